/* dnsmsg: DNS query writer and answer reader (RFC 1035, sections 4.1 and 4.1.4). */
#include <string.h>

#include "dnsmsg.h"
#include "wire.h"

#define HDR_LEN	     12
#define FLAG_QR	     0x8000
#define FLAG_TC	     0x0200
#define FLAG_RD	     0x0100
#define CLASS_IN     1
#define MAX_POINTERS 64 /* a name may not follow more compression pointers */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dnsmsg_name_check(const char *name)
{
	return wire_dns_name_ok(name) ? 0 : -1;
}

size_t dnsmsg_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type)
{
	size_t len = strlen(name), at = HDR_LEN, start = 0;

	if (dnsmsg_name_check(name) < 0)
		return 0;
	if (name[len - 1] == '.')
		len--;
	/* labels (length byte + text each: the text's length + 1), root label, type, class */
	if (cap < HDR_LEN + len + 2 + 4)
		return 0;
	memset(buf, 0, HDR_LEN);
	put16(buf, id);
	put16(buf + 2, FLAG_RD);
	put16(buf + 4, 1); /* QDCOUNT */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		buf[at++] = (uint8_t)(i - start);
		memcpy(buf + at, name + start, i - start);
		at += i - start;
		start = i + 1;
	}
	buf[at++] = 0;
	put16(buf + at, type);
	put16(buf + at + 2, CLASS_IN);
	return at + 4;
}

/* Skips the name at *at (labels, ending in a root label or a pointer): 0, or -1 when it
 * runs past the end or uses a label type other than a plain label or a pointer. */
static int name_skip(const uint8_t *msg, size_t len, size_t *at)
{
	size_t p = *at;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -1;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -1;
			*at = p + 2;
			return 0;
		}
		if (l & 0xc0)
			return -1;
		p += 1 + (size_t)l;
		if (!l) {
			*at = p;
			return 0;
		}
	}
}

/* Whether the name at msg[at] (compression pointers followed, at most MAX_POINTERS) equals
 * the uncompressed wire name q (qn bytes), letters compared without case. */
static int name_equal(const uint8_t *msg, size_t len, size_t at, const uint8_t *q, size_t qn)
{
	size_t qi = 0;
	int hops = 0;

	for (;;) {
		uint8_t l;

		if (at >= len || qi >= qn)
			return 0;
		l = msg[at];
		if ((l & 0xc0) == 0xc0) {
			if (at + 2 > len || ++hops > MAX_POINTERS)
				return 0;
			at = (size_t)(get16(msg + at) & 0x3fff);
			continue;
		}
		if (l & 0xc0 || l != q[qi])
			return 0;
		if (!l)
			return 1;
		if (at + 1 + l > len || qi + 1 + l > qn)
			return 0;
		for (size_t i = 1; i <= l; i++) {
			uint8_t a = msg[at + i], b = q[qi + i];

			if (a >= 'A' && a <= 'Z')
				a = (uint8_t)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (uint8_t)(b + 32);
			if (a != b)
				return 0;
		}
		at += 1 + l;
		qi += 1 + l;
	}
}

int dnsmsg_answer_parse(const uint8_t *msg, size_t len, const uint8_t *query, size_t qlen,
			struct dnsmsg_answer *out)
{
	size_t qn = qlen - HDR_LEN - 4, at = HDR_LEN;
	uint16_t flags, qtype, ancount;

	memset(out, 0, sizeof(*out));
	if (qlen < HDR_LEN + 1 + 4 || len < HDR_LEN)
		return -1;
	qtype = get16(query + qlen - 4);
	flags = get16(msg + 2);
	if (get16(msg) != get16(query) || !(flags & FLAG_QR) || (flags >> 11 & 0xf) != 0)
		return -1;
	out->rcode = (uint8_t)(flags & 0xf);
	out->truncated = !!(flags & FLAG_TC);
	ancount = get16(msg + 6);
	/* The question is echoed: one, ours. A truncated answer may stop anywhere after it. */
	if (get16(msg + 4) != 1) {
		/* Some servers leave the question out of an error answer; without it the
		 * answer cannot be told from another query's, unless the id says so. */
		if (get16(msg + 4) != 0 || ancount)
			return -1;
		return 0;
	}
	if (!name_equal(msg, len, at, query + HDR_LEN, qn) || name_skip(msg, len, &at) < 0 ||
	    at + 4 > len || get16(msg + at) != qtype || get16(msg + at + 2) != CLASS_IN)
		return -1;
	at += 4;
	for (uint16_t i = 0; i < ancount; i++) {
		uint16_t type, class, rdlen;

		if (name_skip(msg, len, &at) < 0 || at + 10 > len) {
			if (out->truncated)
				break;
			return -1;
		}
		type = get16(msg + at);
		class = get16(msg + at + 2);
		rdlen = get16(msg + at + 8);
		at += 10;
		if (at + rdlen > len) {
			if (out->truncated)
				break;
			return -1;
		}
		/* The records of the query's type answer it, whatever name a CNAME chain
		 * gave them. */
		if (class == CLASS_IN && type == qtype && out->naddrs < DNSMSG_MAX_ADDRS &&
		    rdlen == (qtype == DNSMSG_TYPE_A	  ? 4
			      : qtype == DNSMSG_TYPE_AAAA ? 16
							  : 0)) {
			memcpy(out->addrs[out->naddrs], msg + at, rdlen);
			out->naddrs++;
		}
		at += rdlen;
	}
	return 0;
}
