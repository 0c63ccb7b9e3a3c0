/* base64 over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, with the strictness kubeconfig data
 * needs (EVP_DecodeBlock alone accepts '=' anywhere and returns the padding as zero bytes). */
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define B64_CHUNK    (3u << 20)
#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

char *base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc(len / 3 * 4 + 5), *o = out;

	*o = '\0';
	/* EVP_EncodeBlock takes an int length: whole 3-byte groups at a time */
	while (len) {
		size_t n = len < B64_CHUNK ? len : B64_CHUNK;

		o += EVP_EncodeBlock((unsigned char *)o, p, (int)n);
		p += n;
		len -= n;
	}
	return out;
}

int base64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(s), len = 0, pad = 0;
	char *clean = xmalloc(n + 1);
	unsigned char *d = NULL;
	int got, rc = -1;

	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			clean[len++] = s[i];
	clean[len] = '\0';
	while (pad < len && clean[len - 1 - pad] == '=')
		pad++;
	if (len % 4 || pad > 2 || strspn(clean, B64_ALPHABET) != len - pad || len > INT_MAX)
		goto out;
	d = xmalloc(len / 4 * 3 + 1);
	got = EVP_DecodeBlock(d, (const unsigned char *)clean, (int)len);
	if (got < 0 || (size_t)got < pad) {
		free(d);
		goto out;
	}
	*out = d;
	*outlen = (size_t)got - pad;
	rc = 0;
out:
	secret_wipe(clean, n + 1); /* kubeconfig data holds private keys */
	free(clean);
	return rc;
}
