/* SipHash-2-4, after the reference implementation (public domain, CC0). */

#include "siphash.h"

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND(v)                                                                                \
	do {                                                                                       \
		v[0] += v[1];                                                                      \
		v[1] = rotl(v[1], 13) ^ v[0];                                                      \
		v[0] = rotl(v[0], 32);                                                             \
		v[2] += v[3];                                                                      \
		v[3] = rotl(v[3], 16) ^ v[2];                                                      \
		v[0] += v[3];                                                                      \
		v[3] = rotl(v[3], 21) ^ v[0];                                                      \
		v[2] += v[1];                                                                      \
		v[1] = rotl(v[1], 17) ^ v[2];                                                      \
		v[2] = rotl(v[2], 32);                                                             \
	} while (0)

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len)
{
	const uint8_t *p = in, *end = p + (len & ~(size_t)7);
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
	uint64_t m, last = (uint64_t)len << 56;

	for (; p < end; p += 8) {
		m = load_le64(p);
		v[3] ^= m;
		SIPROUND(v);
		SIPROUND(v);
		v[0] ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[i] << (8 * i);
	v[3] ^= last;
	SIPROUND(v);
	SIPROUND(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
