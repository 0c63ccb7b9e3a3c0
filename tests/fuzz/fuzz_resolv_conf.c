/* The pod's resolv.conf as the floater reads it for /v1/info (floater/resolvconf.c): any
 * bytes. Nothing is read outside the text (an exact-size copy under ASan), at most glibc's
 * three nameservers count, and every address listed is a canonical IP literal. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolv_conf rc;
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	resolv_conf_parse(text, size, &rc);
	if (rc.n + rc.scoped > RESOLV_MAX_NS)
		abort();
	for (size_t i = 0; i < rc.n; i++) {
		unsigned char bin[16];
		char back[RESOLV_ADDR_LEN];
		int af = strchr(rc.addr[i], ':') ? AF_INET6 : AF_INET;

		if (inet_pton(af, rc.addr[i], bin) != 1 ||
		    !inet_ntop(af, bin, back, sizeof(back)) || strcmp(back, rc.addr[i]))
			abort();
	}
	free(text);
	return 0;
}
