/* floater/dnsmsg.c: the DNS query the probe sends, and what it makes of the answers (real
 * answers written by hand after RFC 1035, and the broken and hostile ones a resolver must
 * ignore). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnsmsg.h"

static const uint8_t query_a[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* header, RD */
    0x0a, 'k',	'u',  'b',  'e',  'r',	'n',  'e',  't',  'e',	's',  0x07, 'd',  'e',
    'f',  'a',	'u',  'l',  't',  0x03, 's',  'v',  'c',  0x07, 'c',  'l',  'u',  's',
    't',  'e',	'r',  0x05, 'l',  'o',	'c',  'a',  'l',  0x00, 0x00, 0x01, 0x00, 0x01};

static void test_query_is_rfc1035(void **state)
{
	uint8_t buf[DNSMSG_MAX_QUERY];

	(void)state;
	assert_int_equal(dnsmsg_query(buf, sizeof(buf), 0x1234,
				      "kubernetes.default.svc.cluster.local", DNSMSG_TYPE_A),
			 sizeof(query_a));
	assert_memory_equal(buf, query_a, sizeof(query_a));
	/* a trailing dot is the same name */
	assert_int_equal(dnsmsg_query(buf, sizeof(buf), 0x1234,
				      "kubernetes.default.svc.cluster.local.", DNSMSG_TYPE_A),
			 sizeof(query_a));
	assert_memory_equal(buf, query_a, sizeof(query_a));
	/* too small a buffer, or no name */
	assert_int_equal(dnsmsg_query(buf, 20, 1, "kubernetes.default", DNSMSG_TYPE_A), 0);
	assert_int_equal(dnsmsg_query(buf, sizeof(buf), 1, "a..b", DNSMSG_TYPE_A), 0);
}

static void test_names_checked(void **state)
{
	char long_label[70], long_name[300];

	(void)state;
	assert_int_equal(dnsmsg_name_check("kubernetes.default.svc.cluster.local"), 0);
	assert_int_equal(dnsmsg_name_check("_srv._tcp.example"), 0);
	assert_int_equal(dnsmsg_name_check("x"), 0);
	assert_int_equal(dnsmsg_name_check(""), -1);
	assert_int_equal(dnsmsg_name_check("."), -1);
	assert_int_equal(dnsmsg_name_check(".a"), -1);
	assert_int_equal(dnsmsg_name_check("a..b"), -1);
	assert_int_equal(dnsmsg_name_check("a b"), -1);
	assert_int_equal(dnsmsg_name_check("a\"b"), -1);
	assert_int_equal(dnsmsg_name_check("a\\.b"), -1);
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_int_equal(dnsmsg_name_check(long_label), -1);
	long_label[63] = '\0';
	assert_int_equal(dnsmsg_name_check(long_label), 0);
	for (int i = 0; i < 127; i++)
		memcpy(long_name + 2 * i, "a.", 2);
	long_name[253] = '\0'; /* 127 labels, 253 characters */
	assert_int_equal(dnsmsg_name_check(long_name), 0);
	long_name[253] = 'a';
	long_name[254] = '\0';
	assert_int_equal(dnsmsg_name_check(long_name), -1);
}

/* An answer to query_a: the header given, the question echoed (its name compressed when
 * asked), then the records given raw. */
static size_t answer(uint8_t *buf, uint16_t id, uint16_t flags, uint16_t ancount,
		     const uint8_t *records, size_t rlen)
{
	size_t n = sizeof(query_a);

	memcpy(buf, query_a, n);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = (uint8_t)(flags >> 8);
	buf[3] = (uint8_t)flags;
	buf[6] = (uint8_t)(ancount >> 8);
	buf[7] = (uint8_t)ancount;
	if (rlen)
		memcpy(buf + n, records, rlen);
	return n + rlen;
}

/* "the question's name" (a pointer to offset 12), A, IN, TTL 30, 198.18.240.1 */
static const uint8_t rr_a[] = {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
			       0x00, 0x1e, 0x00, 0x04, 198,  18,   240,	 1};
/* a CNAME first (to "x" + the question's name), then the A record of the target */
static const uint8_t rr_cname_a[] = {
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 0x01, 'x', 0xc0, 0x0c,
    0xc0, 0x42, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x04, 198,  18,  240,  7};

static void test_answers_read(void **state)
{
	uint8_t buf[512];
	struct dnsmsg_answer a;
	size_t n;

	(void)state;
	n = answer(buf, 0x1234, 0x8180, 1, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.rcode, 0);
	assert_int_equal(a.truncated, 0);
	assert_int_equal(a.naddrs, 1);
	assert_memory_equal(a.addrs[0], ((uint8_t[]){198, 18, 240, 1}), 4);

	n = answer(buf, 0x1234, 0x8180, 2, rr_cname_a, sizeof(rr_cname_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.naddrs, 1);
	assert_memory_equal(a.addrs[0], ((uint8_t[]){198, 18, 240, 7}), 4);

	/* NXDOMAIN, SERVFAIL, REFUSED: the rcode, no address */
	n = answer(buf, 0x1234, 0x8183, 0, NULL, 0);
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.rcode, DNSMSG_RCODE_NXDOMAIN);
	assert_int_equal(a.naddrs, 0);
	n = answer(buf, 0x1234, 0x8182, 0, NULL, 0);
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.rcode, DNSMSG_RCODE_SERVFAIL);
	/* a REFUSED answer without the question (some servers send none) */
	n = answer(buf, 0x1234, 0x8105, 0, NULL, 0);
	buf[5] = 0;
	assert_int_equal(dnsmsg_answer_parse(buf, 12, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.rcode, DNSMSG_RCODE_REFUSED);

	/* truncated: TC, records cut anywhere */
	n = answer(buf, 0x1234, 0x8380, 3, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n - 3, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.truncated, 1);
	assert_int_equal(a.naddrs, 0);

	/* the question's name in other letters is the same name (0x20 randomisation) */
	n = answer(buf, 0x1234, 0x8180, 1, rr_a, sizeof(rr_a));
	buf[13] = 'K';
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.naddrs, 1);
}

static void test_foreign_and_broken_answers_ignored(void **state)
{
	uint8_t buf[512];
	struct dnsmsg_answer a;
	size_t n;
	/* a record whose name points at itself: a loop */
	static const uint8_t rr_loop[] = {0xc0, 0x36, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
					  0x00, 0x1e, 0x00, 0x04, 1,	2,    3,    4};

	(void)state;
	/* another id, not a response, another opcode */
	n = answer(buf, 0x1235, 0x8180, 1, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	n = answer(buf, 0x1234, 0x0180, 1, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	n = answer(buf, 0x1234, 0x8980, 1, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	/* another name, another type */
	n = answer(buf, 0x1234, 0x8180, 1, rr_a, sizeof(rr_a));
	buf[14] = 'x';
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	n = answer(buf, 0x1234, 0x8180, 1, rr_a, sizeof(rr_a));
	buf[sizeof(query_a) - 3] = 28;
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	/* a record past the end, without TC */
	n = answer(buf, 0x1234, 0x8180, 1, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n - 1, query_a, sizeof(query_a), &a), -1);
	n = answer(buf, 0x1234, 0x8180, 2, rr_a, sizeof(rr_a));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	/* shorter than a header */
	assert_int_equal(dnsmsg_answer_parse(buf, 11, query_a, sizeof(query_a), &a), -1);
	/* a compression loop in a record's name is skipped, not followed */
	n = answer(buf, 0x1234, 0x8180, 1, rr_loop, sizeof(rr_loop));
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
	assert_int_equal(a.naddrs, 1);
	/* a question that is a pointer loop is no question of ours */
	n = answer(buf, 0x1234, 0x8180, 0, NULL, 0);
	buf[12] = 0xc0;
	buf[13] = 0x0c;
	assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), -1);
	/* an A record of the wrong length is no address */
	{
		uint8_t bad[sizeof(rr_a) + 1];

		memcpy(bad, rr_a, sizeof(rr_a));
		bad[11] = 5;
		bad[sizeof(rr_a)] = 9;
		n = answer(buf, 0x1234, 0x8180, 1, bad, sizeof(bad));
		assert_int_equal(dnsmsg_answer_parse(buf, n, query_a, sizeof(query_a), &a), 0);
		assert_int_equal(a.naddrs, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_is_rfc1035),
	    cmocka_unit_test(test_names_checked),
	    cmocka_unit_test(test_answers_read),
	    cmocka_unit_test(test_foreign_and_broken_answers_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
