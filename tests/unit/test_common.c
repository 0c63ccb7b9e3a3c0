#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"

static void test_buf_limit_refuses_growth(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_puts(&b, "9"), -1);
	assert_string_equal(b.data, "12345678");
	buf_consume(&b, 3);
	assert_string_equal(b.data, "45678");
	assert_int_equal(buf_printf(&b, "%d", 42), 0);
	assert_string_equal(b.data, "4567842");
	buf_release(&b);
}

static void test_duration_parsing(void **state)
{
	struct err err = ERR_INIT;
	long ms;

	assert_int_equal(str_to_duration_ms("10", 60000, &ms, "timeout", &err), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(str_to_duration_ms("250ms", 60000, &ms, "timeout", &err), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(str_to_duration_ms("1.5s", 60000, &ms, "timeout", &err), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(str_to_duration_ms("-1s", 60000, &ms, "timeout", &err), -1);
	assert_non_null(strstr(err.msg, "negative"));
	assert_int_equal(str_to_duration_ms("5h", 60000, &ms, "timeout", &err), -1);
	assert_non_null(strstr(err.msg, "unit"));
	assert_int_equal(str_to_duration_ms("2m", 150000, &ms, "timeout", &err), 0);
	assert_int_equal(str_to_duration_ms("3m", 150000, &ms, "timeout", &err), -1);
}

static void test_long_parsing_names_field(void **state)
{
	struct err err = ERR_INIT;
	long v;

	assert_int_equal(str_to_long("12x", 0, 100, &v, "--count", &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "--count"));
	assert_int_equal(str_to_long("101", 0, 100, &v, "--count", &err), -1);
	assert_int_equal(str_to_long("100", 0, 100, &v, "--count", &err), 0);
	assert_int_equal(v, 100);
}

static void test_split_list(void **state)
{
	struct err err = ERR_INIT;
	char **v = str_split_list("icmp,tcp,udp", 8, "--protocol", &err);

	assert_non_null(v);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[2], "udp");
	strv_free(v);
	assert_null(str_split_list("icmp,,udp", 8, "--protocol", &err));
	assert_null(str_split_list("a,b,c", 2, "--protocol", &err));
}

/* Secret names: DNS-1123 subdomains, as Kubernetes checks them. */
static void test_dns_subdomain(void **state)
{
	static const char *const good[] = {"a", "regcred", "my-registry.key-2", "0x", "a.b.c"};
	static const char *const bad[] = {"",	  "Regcred", "reg_cred", "-a",	"a-", "a.-b",
					  "a..b", ".a",	     "a.",	 "a b", "a/b"};
	char *long_name = xcalloc(255, 1);

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!str_is_dns_subdomain(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (str_is_dns_subdomain(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	memset(long_name, 'a', 253);
	assert_true(str_is_dns_subdomain(long_name));
	long_name[253] = 'a';
	assert_false(str_is_dns_subdomain(long_name));
	free(long_name);
}

static void test_version_compare(void **state)
{
	static const struct {
		const char *a, *b;
		int cmp;
	} cases[] = {
	    {"0.1.0", "0.1.0", 0},   {"0.1.0", "0.2.0", -1},	 {"0.10.0", "0.9.9", 1},
	    {"1.0.0", "0.99.99", 1}, {"0.2.0-rc1", "0.2.0", -1}, {"0.2.0", "0.2.0-rc1", 1},
	    {"0.1.10", "0.1.9", 1},
	};
	static const char *const bad[] = {"",	    "1",    "1.2",   "v1.2.3", "1.2.3.4",
					  "1.2.3-", "1..3", "a.b.c", "1.2.3 "};
	int cmp;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(str_version_cmp(cases[i].a, cases[i].b, &cmp), 0);
		if (cmp != cases[i].cmp)
			fail_msg("%s vs %s: %d", cases[i].a, cases[i].b, cmp);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (str_version_cmp(bad[i], "0.1.0", &cmp) == 0)
			fail_msg("'%s' read as a version", bad[i]);
}

static void test_strv_append_join(void **state)
{
	char **v = NULL;
	char *s = strv_join(v, ",");

	assert_string_equal(s, "");
	free(s);
	v = strv_append(v, "a");
	v = strv_append(v, "b");
	assert_int_equal(strv_len(v), 2);
	s = strv_join(v, ",");
	assert_string_equal(s, "a,b");
	free(s);
	strv_free(v);
}

static void test_join_bits(void **state)
{
	static const char *const families[] = {"4", "6"};
	char *s;

	s = str_join_bits(1u << PROTO_ICMP | 1u << PROTO_UDP, probe_protocol_names, PROTO_MAX, ",");
	assert_string_equal(s, "icmp,udp");
	free(s);
	s = str_join_bits(0, probe_protocol_names, PROTO_MAX, ",");
	assert_string_equal(s, "");
	free(s);
	/* bits past the names are ignored */
	s = str_join_bits(0xff, families, 2, "\",\"");
	assert_string_equal(s, "4\",\"6");
	free(s);
}

static void test_json_string(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_put_json_str(&b, "a\"b\\c\n\x01<x>", false), 0);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001<x>\"");
	buf_reset(&b);
	assert_int_equal(buf_put_json_str(&b, "</script>&", true), 0);
	assert_string_equal(b.data, "\"\\u003c/script\\u003e\\u0026\"");
	buf_reset(&b);
	assert_int_equal(buf_put_json_str(&b, NULL, false), 0);
	assert_string_equal(b.data, "\"\"");
	buf_release(&b);

	/* at the limit nothing half-written is left behind */
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "x="), 0);
	assert_int_equal(buf_put_json_str(&b, "too long", false), -1);
	assert_string_equal(b.data, "x=");
	buf_release(&b);
}

static void decodes_to(const char *in, const char *want)
{
	unsigned char *d = NULL;
	size_t n = 99;

	assert_int_equal(base64_decode(in, &d, &n), 0);
	assert_non_null(d);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(d, want, n);
	free(d);
}

static void test_base64(void **state)
{
	static const char *const bad[] = {
	    "YQ",	/* padding missing */
	    "YQ=",	/* padding short */
	    "Y===",	/* three padding characters */
	    "YQ==YQ==", /* data after padding */
	    "YW=j",	/* padding inside a quad */
	    "YW*j",	/* outside the alphabet */
	    "YW-j",	/* the URL alphabet is not base64 */
	    "=",
	};
	unsigned char *d = NULL;
	size_t n = 0;
	char *e;

	decodes_to("", "");
	decodes_to("YQ==", "a");
	decodes_to("YWI=", "ab");
	decodes_to("YWJj", "abc");
	/* YAML block scalars fold long data over lines */
	decodes_to(" YWJj\nZGVm\r\n\tZw==\n", "abcdefg");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(base64_decode(bad[i], &d, &n), -1);
	assert_null(d);

	e = base64_encode("user:pass", 9);
	assert_string_equal(e, "dXNlcjpwYXNz");
	free(e);
	e = base64_encode("ab", 2);
	assert_string_equal(e, "YWI=");
	free(e);
	e = base64_encode("", 0);
	assert_string_equal(e, "");
	free(e);
}

/* A table printed into a string. */
static char *table_text(const struct table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	table_print(t, f);
	fclose(f);
	return text;
}

static void test_table_aligns_and_sanitises(void **state)
{
	static const char *const head[] = {"NAME", "COUNT", "NOTE"};
	static const char *const r1[] = {"a", "7", "short"};
	static const char *const r2[] = {"longer-name", "1234", "x\x1b[31my"};
	static const char *const r3[] = {"n\xc3\xa9", "1", ""}; /* "né": 2 columns wide */
	struct table *t = table_new(head, 3);
	char *text;

	table_align_right(t, 1);
	table_add_row(t, r1);
	table_add_row(t, r2);
	table_add_row(t, r3);
	assert_int_equal(table_rows(t), 3);
	text = table_text(t);
	assert_string_equal(text, "NAME         COUNT  NOTE\n"
				  "a                7  short\n"
				  "longer-name   1234  x?[31my\n"
				  "n\xc3\xa9               1  \n");
	free(text);
	table_free(t);
}

/* Colour only when asked for; the padding stays outside the colour codes. */
static void test_table_colors(void **state)
{
	static const char *const head[] = {"A", "N"};
	static const char *const r1[] = {"x", "12"};
	struct table *t = table_new(head, 2);
	char *text;

	table_align_right(t, 1);
	table_add_row(t, r1);
	table_color_cell(t, 1, COLOR_RED);
	text = table_text(t);
	assert_string_equal(text, "A   N\nx  12\n");
	free(text);
	table_use_color(t, true);
	text = table_text(t);
	assert_string_equal(text, "\033[1mA\033[0m   \033[1mN\033[0m\n"
				  "x  \033[31m12\033[0m\n");
	free(text);
	table_free(t);
}

static void test_redact_header(void **state)
{
	char out[128];

	log_redact_header("Authorization: Bearer abc.def", out, sizeof(out));
	assert_string_equal(out, "Authorization: <redacted>");
	log_redact_header("x-floater-token: s3cret", out, sizeof(out));
	assert_null(strstr(out, "s3cret"));
	log_redact_header("Content-Type: application/json", out, sizeof(out));
	assert_string_equal(out, "Content-Type: application/json");
}

static void test_iso_time_round_trip(void **state)
{
	int64_t ms;
	char s[32];

	assert_int_equal(time_parse_iso("2026-11-26T04:17:18Z", &ms), 0);
	time_format_iso(ms, s, sizeof(s));
	assert_string_equal(s, "2026-11-26T04:17:18Z");
	assert_int_equal(time_parse_iso("2026-11-26T04:17:18.250Z", &ms), 0);
	assert_int_equal(ms % 1000, 250);
	assert_int_equal(time_parse_iso("yesterday", &ms), -1);
}

/* A message quoting user input (a path with a newline, an escape sequence) stays one line. */
static void test_error_is_one_line(void **state)
{
	struct err err = ERR_INIT;
	char big[600];

	(void)state;
	err_set(&err, ERR_USAGE, "path '%s' is bad", "a\nb\tc\x1b[31m");
	assert_string_equal(err.msg, "path 'a\\nb\\tc\\x1b[31m' is bad");
	err_prefix(&err, "config %s", "x\ry");
	assert_string_equal(err.msg, "config x\\ry: path 'a\\nb\\tc\\x1b[31m' is bad");
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&err, ERR_USAGE, "%s", big);
	assert_null(strchr(err.msg, '\n'));
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_int_equal(strlen(err.msg) % 2, 0); /* no half escape at the cut */
}

static void test_probe_names(void **state)
{
	assert_int_equal(probe_error_parse("refused"), PROBE_REFUSED);
	assert_string_equal(probe_error_name(PROBE_MTU), "message-too-long");
	assert_int_equal(probe_protocol_parse("udp"), PROTO_UDP);
	assert_int_equal(probe_protocol_parse("sctp"), -1);
}

/* Global IP mapping: an address keeps its host bits under the global prefix (v4, v6, a
 * prefix not on a byte boundary); addresses outside every real CIDR are not mapped; what
 * cannot be a mapping is refused with a message naming it. */
static void test_cidrmap(void **state)
{
	struct cidrmap m;
	struct err err = ERR_INIT;
	char out[64], *text;

	(void)state;
	assert_int_equal(
	    cidrmap_parse("198.19.0.0/19=198.19.64.0/19,fd00:19::/48=fd00:99::/48", &m, &err), 0);
	assert_true(cidrmap_apply(&m, "198.19.0.10", out, sizeof(out)));
	assert_string_equal(out, "198.19.64.10");
	assert_true(cidrmap_apply(&m, "198.19.31.255", out, sizeof(out)));
	assert_string_equal(out, "198.19.95.255");
	assert_false(cidrmap_apply(&m, "198.19.32.1", out, sizeof(out)));
	assert_true(cidrmap_apply(&m, "fd00:19:0:5::2", out, sizeof(out)));
	assert_string_equal(out, "fd00:99:0:5::2");
	assert_false(cidrmap_apply(&m, "10.0.0.1", out, sizeof(out)));
	assert_false(cidrmap_apply(&m, NULL, out, sizeof(out)));
	text = cidrmap_format(&m);
	assert_string_equal(text, "198.19.0.0/19=198.19.64.0/19,fd00:19::/48=fd00:99::/48");
	free(text);
	assert_int_equal(cidrmap_parse(NULL, &m, &err), 0);
	assert_int_equal(m.n, 0);
	static const char *const bad[] = {
	    "198.19.0.0/19",						 /* no '=' */
	    "198.19.0.0/19=198.19.64.0/20",				 /* sizes differ */
	    "198.19.0.0/19=fd00::/19",					 /* families differ */
	    "198.19.0.1/19=198.19.64.0/19",				 /* host bits */
	    "198.19.0.0/33=198.19.64.0/33",				 /* prefix length */
	    "host/19=198.19.64.0/19",					 /* not an address */
	    "198.19.0.0/19=198.19.64.0/19,198.19.8.0/21=198.19.96.0/21", /* overlapping reals */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = (struct err)ERR_INIT;
		assert_int_equal(cidrmap_parse(bad[i], &m, &err), -1);
		assert_int_equal(err.code, ERR_USAGE);
		assert_null(strchr(err.msg, '\n'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_limit_refuses_growth),
	    cmocka_unit_test(test_duration_parsing),
	    cmocka_unit_test(test_long_parsing_names_field),
	    cmocka_unit_test(test_split_list),
	    cmocka_unit_test(test_dns_subdomain),
	    cmocka_unit_test(test_strv_append_join),
	    cmocka_unit_test(test_version_compare),
	    cmocka_unit_test(test_join_bits),
	    cmocka_unit_test(test_json_string),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_table_aligns_and_sanitises),
	    cmocka_unit_test(test_table_colors),
	    cmocka_unit_test(test_redact_header),
	    cmocka_unit_test(test_iso_time_round_trip),
	    cmocka_unit_test(test_probe_names),
	    cmocka_unit_test(test_error_is_one_line),
	    cmocka_unit_test(test_cidrmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
