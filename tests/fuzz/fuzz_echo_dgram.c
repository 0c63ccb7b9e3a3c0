/* The UDP echo's check of what arrives (echoauth): any datagram, any length, any key
 * file text. A datagram is accepted only under the key it was sealed with, and sealing
 * then checking always succeeds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echoauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[SIPHASH_KEY_LEN] = {1, 2, 3};
	uint8_t parsed[SIPHASH_KEY_LEN], *d;
	uint32_t now = size >= 4 ? (uint32_t)data[0] << 24 | data[1] << 16 | data[2] << 8 : 0;

	echoauth_key_parse((const char *)data, size, parsed);
	if (size < ECHO_HDR_LEN) {
		if (echoauth_tag_ok(key, data, size))
			abort(); /* too short to carry a tag */
		return 0;
	}
	if (echoauth_tag_ok(key, data, size))
		(void)echoauth_fresh(data, now);
	d = malloc(size);
	memcpy(d, data, size);
	echoauth_seal(key, d, size, now);
	if (!echoauth_tag_ok(key, d, size) || !echoauth_fresh(d, now))
		abort();
	d[size / 2 % ECHO_TAG_OFF] ^= 0x80; /* one header bit flipped */
	if (echoauth_tag_ok(key, d, size))
		abort();
	free(d);
	return 0;
}
