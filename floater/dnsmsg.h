/* dnsmsg: the few DNS messages the floater's DNS probe needs (RFC 1035): a query for one
 * name and type, and the answer to it read back, checked against the query. No state, no
 * allocation: the decoder reads untrusted bytes (anything that answers on the server's
 * address) and is fuzzed (tests/fuzz/fuzz_dns_answer.c). */
#ifndef FLOATER_DNSMSG_H
#define FLOATER_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_TYPE_A	      1
#define DNSMSG_TYPE_AAAA      28
#define DNSMSG_MAX_NAME	      253 /* text form, no trailing dot */
#define DNSMSG_MAX_QNAME      255 /* wire form */
#define DNSMSG_MAX_QUERY      (12 + DNSMSG_MAX_QNAME + 4)
#define DNSMSG_UDP_MAX	      512 /* what a query without EDNS may get over UDP */
#define DNSMSG_MAX_ADDRS      16  /* addresses of an answer kept */
#define DNSMSG_RCODE_NOERROR  0
#define DNSMSG_RCODE_SERVFAIL 2
#define DNSMSG_RCODE_NXDOMAIN 3
#define DNSMSG_RCODE_REFUSED  5

/* 0 when name is a name the floater may look up (wire_dns_name_ok), else -1. */
int dnsmsg_name_check(const char *name);

/* Writes a recursive query (RD set) for name and type with the given id into buf: its
 * length, or 0 when name fails dnsmsg_name_check or cap is too small. */
size_t dnsmsg_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type);

struct dnsmsg_answer {
	uint8_t rcode;
	uint8_t truncated;		     /* TC */
	size_t naddrs;			     /* records of the query's type in the answer section */
	uint8_t addrs[DNSMSG_MAX_ADDRS][16]; /* 4 bytes (A) or 16 (AAAA) each */
};

/* Reads msg (len bytes) as the answer to query (qlen bytes, as dnsmsg_query wrote it): 0
 * with *out filled, or -1 when it is no answer to that query (too short, not a response,
 * another id, another question, a record running past the end): such a message is
 * ignored, as a resolver would. A truncated answer is read as far as it goes. */
int dnsmsg_answer_parse(const uint8_t *msg, size_t len, const uint8_t *query, size_t qlen,
			struct dnsmsg_answer *out);

#endif
