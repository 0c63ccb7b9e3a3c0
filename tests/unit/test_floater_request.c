/* floater request parsing and validation: what a caller of POST /v1/probe sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fjson.h"
#include "request.h"

static const struct request_policy policy = {.port = 8889, .allow = {9}, .nallow = 1};

struct parsed {
	struct probe_request req;
	struct err err;
	char field[64];
	int rc;
};

static struct parsed parse(const char *body)
{
	struct parsed p;

	memset(&p, 0, sizeof(p));
	p.rc = request_parse(body, strlen(body), &policy, &p.req, p.field, sizeof(p.field), &p.err);
	return p;
}

/* Asserts a 400-style rejection naming field. */
static void assert_rejected(const char *body, const char *field)
{
	struct parsed p = parse(body);

	if (p.rc != -1 || strcmp(p.field, field) != 0)
		fail_msg("body %.80s: rc %d field '%s' (%s), want field '%s'", body, p.rc, p.field,
			 p.err.msg, field);
	assert_null(p.req.targets);
}

static void test_full_request(void **state)
{
	struct parsed p =
	    parse("{\"id\":\"r12-s3\",\"targets\":[{\"ip\":\"198.18.1.2\",\"port\":8889,"
		  "\"ref\":123},{\"ip\":\"fd00::2\",\"port\":9}],\"protocols\":"
		  "[\"udp\",\"icmp\"],\"count\":5,\"interval_ms\":20,"
		  "\"timeout_ms\":700,\"size\":1400}");
	char ip[64];

	assert_int_equal(p.rc, 0);
	assert_string_equal(p.req.id, "r12-s3");
	assert_int_equal(p.req.ntargets, 2);
	sockaddr_ntop(&p.req.targets[0].addr, ip, sizeof(ip));
	assert_string_equal(ip, "198.18.1.2");
	assert_int_equal(sockaddr_port(&p.req.targets[0].addr), 8889);
	assert_int_equal(p.req.targets[0].ref, 123);
	sockaddr_ntop(&p.req.targets[1].addr, ip, sizeof(ip));
	assert_string_equal(ip, "fd00::2");
	assert_int_equal(p.req.targets[1].addr.sa.sa_family, AF_INET6);
	assert_int_equal(sockaddr_port(&p.req.targets[1].addr), 9);
	assert_int_equal(p.req.targets[1].ref, -1);
	assert_int_equal(p.req.nprotos, 2);
	assert_int_equal(p.req.protos[0], PROTO_UDP);
	assert_int_equal(p.req.protos[1], PROTO_ICMP);
	assert_int_equal(p.req.count, 5);
	assert_int_equal(p.req.interval_ms, 20);
	assert_int_equal(p.req.timeout_ms, 700);
	assert_int_equal(p.req.size, 1400);
	request_release(&p.req);
}

static void test_defaults_and_unknown_fields(void **state)
{
	struct parsed p = parse(" {\"targets\":[{\"ip\":\"198.18.0.1\",\"x\":{\"y\":[1,2,{}]}}],"
				"\"future\":[true,false,null,-1.5e3,\"\\u00e9\"]} \n");

	assert_int_equal(p.rc, 0);
	assert_string_equal(p.req.id, "");
	assert_int_equal(sockaddr_port(&p.req.targets[0].addr), 8889);
	assert_int_equal(p.req.nprotos, 3);
	assert_int_equal(p.req.count, 3);
	assert_int_equal(p.req.timeout_ms, 1000);
	assert_int_equal(p.req.size, 0);
	request_release(&p.req);
}

static void test_dns_names_and_bad_ips_rejected(void **state)
{
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\"},{\"ip\":\"node-b.example\"}]}",
			"targets[1].ip");
	assert_rejected("{\"targets\":[{\"ip\":\"localhost\"}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.256\"}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[{\"ip\":\"fe80::1%eth0\"}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[{\"ip\":\"\"}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[{\"ip\":42}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[{\"port\":8889}]}", "targets[0].ip");
	assert_rejected("{\"targets\":[\"198.18.0.1\"]}", "targets[0]");
}

/* protocol dns: each target is a DNS server with the name to ask it, the record type and
 * the address the answer must hold; a DNS probe without a name, a name that is none, a
 * type other than A/AAAA, an expected address of the other family are refused. */
static void test_dns_targets(void **state)
{
	struct parsed p = parse(
	    "{\"targets\":[{\"ip\":\"198.18.240.10\",\"port\":53,\"name\":\"kubernetes.default.svc."
	    "cluster.local\"},{\"ip\":\"fd00::a\",\"port\":53,\"name\":\"a.b.\",\"qtype\":\"AAAA\","
	    "\"expect\":\"fd00::1\"}],\"ports\":[53],\"protocols\":[\"dns\"]}");
	static const uint8_t want6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	(void)state;
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.req.nprotos, 1);
	assert_int_equal(p.req.protos[0], PROTO_DNS);
	assert_non_null(p.req.targets[0].dns);
	assert_string_equal(p.req.targets[0].dns->name, "kubernetes.default.svc.cluster.local");
	assert_int_equal(p.req.targets[0].dns->qtype, 1);
	assert_int_equal(p.req.targets[0].dns->expect_len, 0);
	assert_int_equal(p.req.targets[1].dns->qtype, 28);
	assert_int_equal(p.req.targets[1].dns->expect_len, 16);
	assert_memory_equal(p.req.targets[1].dns->expect, want6, 16);
	request_release(&p.req);

	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":53}],\"ports\":[53],"
			"\"protocols\":[\"dns\"]}",
			"targets[0].name");
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":\"a..b\"}],"
			"\"protocols\":[\"dns\"]}",
			"targets[0].name");
	assert_rejected(
	    "{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":7}],\"protocols\":[\"dns\"]}",
	    "targets[0].name");
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":\"a\",\"qtype\":\"MX\"}],"
			"\"protocols\":[\"dns\"]}",
			"targets[0].qtype");
	assert_rejected(
	    "{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":\"a\",\"expect\":\"fd00::1\"}],"
	    "\"protocols\":[\"dns\"]}",
	    "targets[0].expect");
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":\"a\",\"expect\":\"x\"}],"
			"\"protocols\":[\"dns\"]}",
			"targets[0].expect");
	/* port 53 only when the request lists it, as for any other port */
	assert_rejected("{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":53,\"name\":\"a\"}],"
			"\"protocols\":[\"dns\"]}",
			"targets[0].port");
	/* a name on a target of another protocol is read and unused */
	p = parse(
	    "{\"targets\":[{\"ip\":\"198.18.0.1\",\"name\":\"a\"}],\"protocols\":[\"icmp\"]}");
	assert_int_equal(p.rc, 0);
	request_release(&p.req);
}

static char *many_targets(size_t n)
{
	size_t cap = 32 + n * 32, len = 0;
	char *s = malloc(cap);

	len += (size_t)snprintf(s + len, cap - len, "{\"protocols\":[\"icmp\"],\"targets\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s{\"ip\":\"198.18.%zu.%zu\"}",
					i ? "," : "", i / 250, i % 250 + 1);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static void test_target_count_limit(void **state)
{
	char *ok = many_targets(10000), *over = many_targets(10001);
	struct parsed p = parse(ok);

	assert_int_equal(p.rc, 0);
	assert_int_equal(p.req.ntargets, 10000);
	request_release(&p.req);
	assert_rejected(over, "targets");
	assert_rejected("{\"targets\":[]}", "targets");
	assert_rejected("{\"protocols\":[\"icmp\"]}", "targets");
	free(ok);
	free(over);
}

static void test_wrong_types_and_ranges(void **state)
{
	static const char *const cases[][2] = {
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":\"3\"}", "count"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":0}", "count"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":1001}", "count"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":2.5}", "count"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"timeout_ms\":60001}", "timeout_ms"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"timeout_ms\":0}", "timeout_ms"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"interval_ms\":-1}", "interval_ms"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"size\":70000}", "size"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":99999999999999999999}", "count"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\",\"ref\":-1}]}", "targets[0].ref"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":0}]}", "targets[0].port"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":65536}]}", "targets[0].port"},
	    {"{\"targets\":{}}", "targets"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"protocols\":\"icmp\"}", "protocols"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"protocols\":[\"icmp\",\"sctp\"]}",
	     "protocols[1]"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"protocols\":[\"tcp\",\"tcp\"]}",
	     "protocols[1]"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"protocols\":[]}", "protocols"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"id\":7}", "id"},
	    {"{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"id\":\"a\\\"b\"}", "id"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_rejected(cases[i][0], cases[i][1]);
}

static void test_ports_only_to_floaters(void **state)
{
	struct parsed p;

	assert_rejected(
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"},{\"ip\":\"198.18.0.2\",\"port\":22}],"
	    "\"protocols\":[\"tcp\"]}",
	    "targets[1].port");
	/* ICMP has no port: any port given is irrelevant. */
	p = parse("{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":22}],\"protocols\":[\"icmp\"]}");
	assert_int_equal(p.rc, 0);
	request_release(&p.req);
	/* Ports listed with --allow-port are fine. */
	p = parse("{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":9}],\"protocols\":[\"udp\"]}");
	assert_int_equal(p.rc, 0);
	request_release(&p.req);
	/* So are those the (authenticated) request names in "ports", before or after the
	 * targets; nothing else. */
	p = parse("{\"ports\":[22,6443],\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":22},"
		  "{\"ip\":\"fd00::1\",\"port\":6443},{\"ip\":\"198.18.0.2\"}],"
		  "\"protocols\":[\"tcp\"]}");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.req.nports, 2);
	assert_int_equal(sockaddr_port(&p.req.targets[1].addr), 6443);
	request_release(&p.req);
	p = parse("{\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":22}],\"protocols\":[\"tcp\"],"
		  "\"ports\":[22]}");
	assert_int_equal(p.rc, 0);
	request_release(&p.req);
	assert_rejected("{\"ports\":[22],\"targets\":[{\"ip\":\"198.18.0.1\",\"port\":23}],"
			"\"protocols\":[\"tcp\"]}",
			"targets[0].port");
	assert_rejected("{\"ports\":[22,22],\"targets\":[{\"ip\":\"198.18.0.1\"}]}", "ports[1]");
	assert_rejected("{\"ports\":[0],\"targets\":[{\"ip\":\"198.18.0.1\"}]}", "ports[0]");
	assert_rejected("{\"ports\":22,\"targets\":[{\"ip\":\"198.18.0.1\"}]}", "ports");
	{
		struct buf b;

		buf_init(&b, 0);
		(void)!buf_puts(&b, "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"ports\":[");
		for (int i = 0; i < WIRE_MAX_PORTS + 1; i++)
			(void)!buf_printf(&b, "%s%d", i ? "," : "", 1000 + i);
		(void)!buf_puts(&b, "]}");
		assert_rejected(buf_str(&b), "ports");
		buf_release(&b);
	}
}

static void test_malformed_json(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}]",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"},]}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}]} x",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}] \"count\":1}",
	    "{'targets':[]}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"count\":01}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":tru}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":\"\\ud800\"}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":\"\xc3\x28\"}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":\"\xe0\x80\xaf\"}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":\"tab\there\"}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":\"\\x\"}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":-}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":1.}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p = parse(bad[i]);

		if (p.rc != -1)
			fail_msg("accepted malformed body #%zu: %s", i, bad[i]);
		assert_int_equal(p.err.code, ERR_USAGE);
	}
}

static void test_nesting_bounded(void **state)
{
	char deep[200], ok[200];
	struct parsed p;

	/* 40 levels inside an unknown field: refused without recursion. */
	snprintf(deep, sizeof(deep), "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":%.*s%.*s}", 40,
		 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 40,
		 "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	p = parse(deep);
	assert_int_equal(p.rc, -1);
	snprintf(ok, sizeof(ok), "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"x\":%.*s%.*s}", 20,
		 "[[[[[[[[[[[[[[[[[[[[", 20, "]]]]]]]]]]]]]]]]]]]]");
	p = parse(ok);
	assert_int_equal(p.rc, 0);
	request_release(&p.req);
}

static void test_body_limit(void **state)
{
	size_t n = WIRE_MAX_BODY + 1;
	char *big = malloc(n);
	struct probe_request req;
	struct err err = ERR_INIT;
	char field[64];

	memset(big, ' ', n);
	assert_int_equal(request_parse(big, n, &policy, &req, field, sizeof(field), &err), -1);
	assert_int_equal(err.code, ERR_LIMIT);
	free(big);
}

static void test_json_strings(void **state)
{
	const char *text = "\"a\\u00e9\\ud83d\\ude00\\n\xc3\xa9\"";
	struct fjson j;
	char out[32];
	size_t len;

	fjson_init(&j, text, strlen(text));
	assert_int_equal(fjson_string(&j, out, sizeof(out), &len), 0);
	assert_string_equal(out, "a\xc3\xa9\xf0\x9f\x98\x80\n\xc3\xa9");
	assert_int_equal(len, 10);
	fjson_init(&j, text, strlen(text));
	assert_int_equal(fjson_string(&j, out, 5, &len), -1); /* does not fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_request),
	    cmocka_unit_test(test_defaults_and_unknown_fields),
	    cmocka_unit_test(test_dns_names_and_bad_ips_rejected),
	    cmocka_unit_test(test_dns_targets),
	    cmocka_unit_test(test_target_count_limit),
	    cmocka_unit_test(test_wrong_types_and_ranges),
	    cmocka_unit_test(test_ports_only_to_floaters),
	    cmocka_unit_test(test_malformed_json),
	    cmocka_unit_test(test_nesting_bounded),
	    cmocka_unit_test(test_body_limit),
	    cmocka_unit_test(test_json_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
