/* siphash: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012),
 * the keyed MAC of the UDP echo. Self-contained: the static floater links no crypto
 * library. */
#ifndef FLOATER_SIPHASH_H
#define FLOATER_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16
#define SIPHASH_TAG_LEN 8

/* The 64-bit tag of in[0..len) under key, as the reference implementation returns it
 * (its bytes, little-endian, are the reference's output bytes). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len);

#endif
