/* The UDP echo's keyed header and per-source rate limit. */
#include <string.h>

#include "common.h"
#include "echoauth.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t tag_of(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *hdr, size_t len)
{
	uint8_t in[ECHO_TAG_OFF + 4];

	memcpy(in, hdr, ECHO_TAG_OFF);
	/* the length too: a captured datagram cannot be replayed padded to a larger size */
	put_be32(in + ECHO_TAG_OFF, (uint32_t)len);
	return siphash24(key, in, sizeof(in));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void echoauth_seal(const uint8_t key[SIPHASH_KEY_LEN], uint8_t hdr[ECHO_HDR_LEN], size_t len,
		   uint32_t now_s)
{
	put_be32(hdr + ECHO_TIME_OFF, now_s);
	put_le64(hdr + ECHO_TAG_OFF, tag_of(key, hdr, len));
}

bool echoauth_tag_ok(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *dgram, size_t len)
{
	uint8_t want[SIPHASH_TAG_LEN];
	uint8_t diff = 0;

	if (len < ECHO_HDR_LEN)
		return false;
	put_le64(want, tag_of(key, dgram, len));
	for (int i = 0; i < SIPHASH_TAG_LEN; i++)
		diff |= (uint8_t)(want[i] ^ dgram[ECHO_TAG_OFF + i]);
	return diff == 0;
}

uint64_t echoauth_node_id(const char *name)
{
	static const uint8_t zero[SIPHASH_KEY_LEN];

	return siphash24(zero, name, strlen(name));
}

static uint64_t proof_of(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *hdr, uint32_t magic_req,
			 uint64_t node_id)
{
	uint8_t in[ECHO_TAG_OFF + 8];

	memcpy(in, hdr, ECHO_TAG_OFF);
	memcpy(in, &magic_req, sizeof(magic_req)); /* as the prober sent it */
	put_le64(in + ECHO_TAG_OFF, node_id);
	return siphash24(key, in, sizeof(in));
}

void echoauth_prove(const uint8_t key[SIPHASH_KEY_LEN], uint8_t *dgram, uint64_t node_id)
{
	uint32_t magic;

	memcpy(&magic, dgram, sizeof(magic));
	put_le64(dgram + ECHO_TAG_OFF, proof_of(key, dgram, magic, node_id));
}

bool echoauth_proof_ok(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *echo, uint32_t magic_req,
		       uint64_t node_id)
{
	uint8_t want[SIPHASH_TAG_LEN];
	uint8_t diff = 0;

	put_le64(want, proof_of(key, echo, magic_req, node_id));
	for (int i = 0; i < SIPHASH_TAG_LEN; i++)
		diff |= (uint8_t)(want[i] ^ echo[ECHO_TAG_OFF + i]);
	return diff == 0;
}

bool echoauth_fresh(const uint8_t *dgram, uint32_t now_s)
{
	int32_t d = (int32_t)(now_s - get_be32(dgram + ECHO_TIME_OFF));

	return d >= -ECHO_MAX_SKEW_S && d <= ECHO_MAX_SKEW_S;
}

int echoauth_key_parse(const char *text, size_t len, uint8_t key[SIPHASH_KEY_LEN])
{
	if (len < ECHO_KEY_HEX_LEN)
		return -1;
	for (size_t i = ECHO_KEY_HEX_LEN; i < len; i++)
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t')
			return -1;
	for (size_t i = 0; i < SIPHASH_KEY_LEN; i++) {
		int hi = str_hex_digit(text[2 * i]), lo = str_hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void srclimit_init(struct srclimit *l, long rate, const uint8_t hash_key[SIPHASH_KEY_LEN])
{
	memset(l, 0, sizeof(*l));
	l->rate = rate;
	memcpy(l->hash_key, hash_key, SIPHASH_KEY_LEN);
}

bool srclimit_allow(struct srclimit *l, const uint8_t addr[16], int64_t now_us)
{
	struct srclimit_slot *s = &l->slot[siphash24(l->hash_key, addr, 16) % SRCLIMIT_SLOTS];

	if (!s->used || memcmp(s->addr, addr, 16)) {
		memcpy(s->addr, addr, 16);
		s->used = true;
		s->tokens = (double)l->rate;
		s->at_us = now_us;
	} else if (now_us > s->at_us) {
		s->tokens += (double)(now_us - s->at_us) * (double)l->rate / 1e6;
		if (s->tokens > (double)l->rate)
			s->tokens = (double)l->rate;
		s->at_us = now_us;
	}
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}
