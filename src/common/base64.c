/* base64 over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, with the strictness kubeconfig data
 * needs (EVP_DecodeBlock alone accepts '=' anywhere and returns the padding as zero bytes). */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

char *base64_encode(const void *data, size_t len)
{
	char *out;

	if (len > (size_t)INT_MAX / 4 * 3) {
		log_error("base64: %zu bytes are too many to encode", len);
		abort();
	}
	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
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
	OPENSSL_cleanse(clean, n + 1); /* kubeconfig data holds private keys */
	free(clean);
	return rc;
}
