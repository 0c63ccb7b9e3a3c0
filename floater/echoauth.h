/* echoauth: the keyed header of a UDP echo probe (docs/floater.md, "UDP echo"), and the
 * per-source token buckets that bound what the echo sends to one address. Pure: no I/O,
 * the caller passes the time. */
#ifndef FLOATER_ECHOAUTH_H
#define FLOATER_ECHOAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

/* Datagram layout: [0,16) the prober's cookie (magic first), [16,20) the prober's clock,
 * seconds since the epoch mod 2^32, big-endian, [20,28) the SipHash-2-4 tag of bytes
 * [0,20) followed by the datagram's length (4 bytes, big-endian); zeros after. */
#define ECHO_COOKIE_LEN 16
#define ECHO_TIME_OFF	16
#define ECHO_TAG_OFF	20
#define ECHO_HDR_LEN	28
/* How far the prober's clock may be from the responder's (a replayed datagram is
 * refused once this old). */
#define ECHO_MAX_SKEW_S	 600
#define ECHO_KEY_HEX_LEN (2 * SIPHASH_KEY_LEN)

enum echo_verdict { ECHO_OK = 0, ECHO_NO_KEY, ECHO_BAD_MAC, ECHO_STALE };

/* Writes the time and tag into hdr, whose cookie is filled, for a datagram of len bytes
 * (len >= ECHO_HDR_LEN). */
void echoauth_seal(const uint8_t key[SIPHASH_KEY_LEN], uint8_t hdr[ECHO_HDR_LEN], size_t len,
		   uint32_t now_s);
/* Whether the first ECHO_HDR_LEN bytes of a datagram of len bytes carry a tag made with
 * key (constant time). */
bool echoauth_tag_ok(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *dgram, size_t len);
/* Whether the datagram's time is within ECHO_MAX_SKEW_S of now_s. */
bool echoauth_fresh(const uint8_t *dgram, uint32_t now_s);
/* Node identity (docs/floater.md, "Which node answered"): the responder's echo carries,
 * instead of the request's tag, a proof: the SipHash-2-4 under the echo key of the
 * request's bytes [0,20) followed by the node id, little-endian, the id being the
 * SipHash-2-4 of the node name under the all-zero key. */
#define ECHO_NODE_NAME_MAX 253
uint64_t echoauth_node_id(const char *name);
/* Writes the proof into an echo (its bytes [0,20) are still the request's). */
void echoauth_prove(const uint8_t key[SIPHASH_KEY_LEN], uint8_t *dgram, uint64_t node_id);
/* Whether an echo's proof names node_id; magic_req is the request magic the proof was
 * made over (the echo's own magic differs). Constant time. */
bool echoauth_proof_ok(const uint8_t key[SIPHASH_KEY_LEN], const uint8_t *echo, uint32_t magic_req,
		       uint64_t node_id);
/* The key file's text: exactly ECHO_KEY_HEX_LEN hex digits, then optional blanks or a
 * newline. 0, or -1 when it is anything else. */
int echoauth_key_parse(const char *text, size_t len, uint8_t key[SIPHASH_KEY_LEN]);

/* Token buckets by source address: rate per second, one second of burst. A fixed table
 * indexed by a keyed hash of the address (an attacker cannot aim at one bucket); an
 * address that lands on a bucket held by another takes it over, full, so a collision
 * only ever lets more through, never refuses a prober. */
#define SRCLIMIT_SLOTS 2048

struct srclimit_slot {
	uint8_t addr[16];
	bool used;
	double tokens;
	int64_t at_us;
};

struct srclimit {
	long rate;
	uint8_t hash_key[SIPHASH_KEY_LEN];
	struct srclimit_slot slot[SRCLIMIT_SLOTS];
};

void srclimit_init(struct srclimit *l, long rate, const uint8_t hash_key[SIPHASH_KEY_LEN]);
/* addr: an IPv6 address, or an IPv4 one mapped (::ffff:a.b.c.d). True when one more
 * datagram from it may be answered now (and takes its token). */
bool srclimit_allow(struct srclimit *l, const uint8_t addr[16], int64_t now_us);

#endif
