/* wire: netctl and the floater read each other. netctl's request body goes through the
 * floater's parser, the floater's result lines through netctl's, and the options netctl
 * accepts are exactly those a floater accepts. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "echoauth.h"
#include "request.h"
#include "result.h"
#include "run_int.h"
#include "wire.h"

static const struct request_policy policy = {.port = 8889};

static struct run_options options(void)
{
	struct run_options o;

	memset(&o, 0, sizeof(o));
	o.count = 5;
	o.interval_ms = 250;
	o.timeout_ms = 1500;
	o.size = 1400;
	o.port = 8889;
	return o;
}

/* The nodes targets name (dst 0 unless a test says otherwise): a Kubernetes node. */
static struct plan_node wire_nodes[] = {{.name = "east-node-1", .kind = PLAN_NODE}};
static struct run_engine wire_engine = {.nodes = wire_nodes};

/* A request over targets, none answered yet. */
static struct run_probe_req request(struct plan_target *targets, uint8_t *seen, size_t n,
				    unsigned protocols)
{
	struct run_probe_req r;

	memset(&r, 0, sizeof(r));
	memset(seen, 0, n);
	r.e = &wire_engine;
	r.src = 7;
	r.attempt = 1;
	r.protocols = protocols;
	r.targets = targets;
	r.seen = seen;
	r.n = n;
	return r;
}

static int by_ref(const void *a, const void *b)
{
	const struct probe_target *x = a, *y = b;

	return (x->ref > y->ref) - (x->ref < y->ref);
}

/* Builds r's body and parses it as a floater with policy would; returns request_parse's.
 * The targets come back in ref order (netctl rotates where each source starts). */
static int floater_reads(const struct run_probe_req *r, const struct run_options *o,
			 struct probe_request *req, char *field, size_t fieldsz)
{
	struct err err = ERR_INIT;
	char *body = run_probe_body_build(r, o, 42);
	int rc = request_parse(body, strlen(body), &policy, req, field, fieldsz, &err);

	free(body);
	if (rc == 0)
		qsort(req->targets, req->ntargets, sizeof(*req->targets), by_ref);
	return rc;
}

static void assert_target(const struct probe_target *t, int family, const char *ip, int64_t ref)
{
	char got[INET6_ADDRSTRLEN];

	assert_int_equal(t->addr.sa.sa_family, family);
	sockaddr_ntop(&t->addr, got, sizeof(got));
	assert_string_equal(got, ip);
	assert_int_equal(sockaddr_port(&t->addr), 8889);
	assert_int_equal(t->ref, ref);
}

static void test_request_round_trips(void **state)
{
	struct plan_target targets[] = {
	    {.ip = "198.18.0.1", .family = 4},
	    {.ip = "fd00::2", .family = 6},
	    {.ip = "198.18.0.3", .family = 4},
	};
	uint8_t seen[3];
	struct run_options o = options();
	struct run_probe_req r = request(targets, seen, 3, 1u << PROTO_ICMP | 1u << PROTO_UDP);
	struct probe_request req;
	char field[64];

	/* a retry asks only for what is missing: target 1 answered for both protocols */
	seen[1] = (uint8_t)r.protocols;
	seen[2] = 1u << PROTO_ICMP;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_string_equal(req.id, "r42-n7-a1");
	assert_int_equal(req.ntargets, 2);
	assert_target(&req.targets[0], AF_INET, "198.18.0.1", 0);
	assert_target(&req.targets[1], AF_INET, "198.18.0.3", 2);
	/* each names the node whose echo counts, as the floater of that node computes it */
	assert_true(req.targets[0].has_node);
	assert_true(req.targets[0].node_id == echoauth_node_id("east-node-1"));
	assert_true(req.targets[0].node_id != echoauth_node_id("east-node-2"));
	assert_int_equal(req.nprotos, 2);
	assert_int_equal(req.protos[0], PROTO_ICMP);
	assert_int_equal(req.protos[1], PROTO_UDP);
	assert_int_equal(req.count, 5);
	assert_int_equal(req.interval_ms, 250);
	assert_int_equal(req.timeout_ms, 1500);
	assert_int_equal(req.size, 1400);
	request_release(&req);

	seen[1] = 0;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.ntargets, 3);
	assert_target(&req.targets[1], AF_INET6, "fd00::2", 1);
	request_release(&req);
}

/* Custom targets and the API server: their ports go into "ports" once each, so a floater
 * probes them; node targets keep the floater port. */
static void test_request_names_the_other_ports(void **state)
{
	struct plan_target targets[] = {
	    {.ip = "198.18.0.1", .family = 4},
	    {.ip = "198.18.4.2", .family = 4, .port = 18080},
	    {.ip = "fd00:18::2", .family = 6, .port = 26443},
	    {.ip = "fd00:18::3", .family = 6, .port = 18080},
	    {.ip = "198.18.4.9", .family = 4, .port = 8889}, /* the floater port: not listed */
	};
	uint8_t seen[5];
	struct run_options o = options();
	struct run_probe_req r = request(targets, seen, 5, 1u << PROTO_TCP);
	struct probe_request req;
	char field[64];

	(void)state;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.nports, 2);
	assert_int_equal(req.ports[0], 18080);
	assert_int_equal(req.ports[1], 26443);
	assert_int_equal(sockaddr_port(&req.targets[0].addr), 8889);
	assert_int_equal(sockaddr_port(&req.targets[2].addr), 26443);
	request_release(&req);
	/* a retry of only the node target names no other port */
	seen[1] = seen[2] = seen[3] = seen[4] = (uint8_t)r.protocols;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.nports, 0);
	request_release(&req);
}

/* WIRE_MAX_TARGETS of the longest IP literals fit in the floater's body limit. */
/* A DNS server's target carries the name, the record type and the address expected: the
 * floater reads them back, and port 53 is among the request's ports. */
static void test_dns_request_round_trips(void **state)
{
	struct plan_node nodes[] = {
	    {.kind = PLAN_NODE_DNS,
	     .dns_name = "kubernetes.default.svc.cluster.local",
	     .dns_type = 6},
	    {.kind = PLAN_NODE_DNS,
	     .dns_name = "many.svc.cluster.local",
	     .dns_expect = "198.18.240.101",
	     .dns_type = 4},
	};
	struct plan_target targets[] = {
	    {.dst = 0, .ip = "198.18.240.10", .family = 4, .port = 53},
	    {.dst = 1, .ip = "fd00:18::53:0:0:a", .family = 6, .port = 53},
	};
	struct run_engine e;
	struct run_options o = options();
	struct probe_request req;
	uint8_t seen[2];
	struct run_probe_req r = request(targets, seen, 2, 1u << PROTO_DNS);
	char field[64];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.nodes = nodes;
	r.e = &e;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.nprotos, 1);
	assert_int_equal(req.protos[0], PROTO_DNS);
	assert_int_equal(req.nports, 1);
	assert_int_equal(req.ports[0], 53);
	assert_string_equal(req.targets[0].dns->name, "kubernetes.default.svc.cluster.local");
	assert_int_equal(req.targets[0].dns->qtype, 28);
	assert_int_equal(req.targets[0].dns->expect_len, 0);
	assert_string_equal(req.targets[1].dns->name, "many.svc.cluster.local");
	assert_int_equal(req.targets[1].dns->qtype, 1);
	assert_int_equal(req.targets[1].dns->expect_len, 4);
	assert_memory_equal(req.targets[1].dns->expect, ((uint8_t[]){198, 18, 240, 101}), 4);
	request_release(&req);
}

static void test_largest_request_is_accepted(void **state)
{
	static const char longest[] = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	size_t n = RUN_PROBE_MAX_TARGETS; /* each names its node */
	struct plan_target *targets = calloc(n, sizeof(*targets));
	uint8_t *seen = calloc(n, 1);
	struct run_options o = options();
	struct run_probe_req r;
	struct probe_request req;
	char field[64];

	assert_int_equal(strlen(longest), WIRE_MAX_IP);
	for (size_t i = 0; i < n; i++)
		targets[i] = (struct plan_target){.ip = longest, .family = 6};
	/* the longest port is not the floater's: only ICMP may go there */
	r = request(targets, seen, n, 1u << PROTO_ICMP);
	o.count = WIRE_MAX_COUNT;
	o.timeout_ms = WIRE_MAX_TIMEOUT_MS;
	o.size = WIRE_MAX_SIZE;
	o.port = 65535;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.ntargets, n);
	assert_int_equal(req.targets[n - 1].ref, (int64_t)n - 1);
	request_release(&req);
	free(targets);
	free(seen);
}

/* Every option value netctl lets through, a floater accepts, and the other way round. */
static void test_netctl_refuses_what_a_floater_refuses(void **state)
{
	struct plan_target target = {.ip = "198.18.0.1", .family = 4};
	uint8_t seen;
	struct run_probe_req r = request(&target, &seen, 1, 1u << PROTO_TCP);
	static const struct {
		const char *what;
		int count;
		long interval_ms, timeout_ms;
		int size;
		bool ok;
	} cases[] = {
	    {"count min", WIRE_MIN_COUNT, 20, 1000, 0, true},
	    {"count 0", WIRE_MIN_COUNT - 1, 20, 1000, 0, false},
	    {"count max", WIRE_MAX_COUNT, 20, 1000, 0, true},
	    {"count max + 1", WIRE_MAX_COUNT + 1, 20, 1000, 0, false},
	    {"interval 0", 3, WIRE_MIN_INTERVAL_MS, 1000, 0, true},
	    {"interval -1", 3, WIRE_MIN_INTERVAL_MS - 1, 1000, 0, false},
	    {"interval max", 3, WIRE_MAX_INTERVAL_MS, 1000, 0, true},
	    {"interval 15 s", 3, 15000, 1000, 0, false},
	    {"timeout min", 3, 20, WIRE_MIN_TIMEOUT_MS, 0, true},
	    {"timeout 0", 3, 20, WIRE_MIN_TIMEOUT_MS - 1, 0, false},
	    {"timeout max", 3, 20, WIRE_MAX_TIMEOUT_MS, 0, true},
	    {"timeout max + 1", 3, 20, WIRE_MAX_TIMEOUT_MS + 1, 0, false},
	    {"size max", 3, 20, 1000, WIRE_MAX_SIZE, true},
	    {"size max + 1", 3, 20, 1000, WIRE_MAX_SIZE + 1, false},
	    {"size -1", 3, 20, 1000, WIRE_MIN_SIZE - 1, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_options o = options();
		struct probe_request req;
		struct err err = ERR_INIT;
		char field[64];
		int netctl, floater;

		o.count = cases[i].count;
		o.interval_ms = cases[i].interval_ms;
		o.timeout_ms = cases[i].timeout_ms;
		o.size = cases[i].size;
		seen = 0;
		netctl = run_options_check(&o, &err);
		floater = floater_reads(&r, &o, &req, field, sizeof(field));
		if (floater == 0)
			request_release(&req);
		if ((netctl == 0) != cases[i].ok || (floater == 0) != cases[i].ok)
			fail_msg("%s: netctl %d (%s), floater %d (%s), want %s", cases[i].what,
				 netctl, err.msg, floater, field, cases[i].ok ? "ok" : "refused");
		if (!cases[i].ok)
			assert_int_equal(err.code, ERR_USAGE);
	}
}

/* The longest wait netctl gives one request bounds count x interval, below the floater's. */
static void test_probes_must_fit_the_request_wait(void **state)
{
	struct run_options o = options();
	struct err err = ERR_INIT;

	o.count = WIRE_MAX_COUNT;
	o.interval_ms = 500;
	o.timeout_ms = 10000;
	assert_int_equal(run_options_check(&o, &err), 0);
	o.interval_ms = 1000;
	assert_int_equal(run_options_check(&o, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "probe request"));
}

static struct probe_target target(const char *ip, int64_t ref)
{
	struct probe_target t;

	memset(&t, 0, sizeof(t));
	if (inet_pton(AF_INET6, ip, &t.addr.v6.sin6_addr) == 1) {
		t.addr.v6.sin6_family = AF_INET6;
		t.addr.v6.sin6_port = htons(8889);
	} else {
		assert_int_equal(inet_pton(AF_INET, ip, &t.addr.v4.sin_addr), 1);
		t.addr.v4.sin_family = AF_INET;
		t.addr.v4.sin_port = htons(8889);
	}
	t.ref = ref;
	return t;
}

static void test_result_line_round_trips(void **state)
{
	struct probe_target t = target("fd00::2", 2);
	struct rtt_stats st;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE];
	size_t n;

	stats_init(&st);
	st.sent = 3;
	stats_add_rtt(&st, 100);
	stats_add_rtt(&st, 300);
	stats_add_error(&st, PROBE_TIMEOUT);
	n = result_line(line, sizeof(line), &t, PROTO_UDP, &st);
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_int_equal(run_probe_line_parse(line, n, 3, &l, &err), 0);
	assert_false(l.done);
	assert_int_equal(l.ref, 2);
	assert_int_equal(l.protocol, PROTO_UDP);
	assert_int_equal(l.error, PROBE_LOSS);
	assert_int_equal(l.sent, 3);
	assert_int_equal(l.received, 2);
	assert_int_equal(l.rtt_min_us, 100);
	assert_int_equal(l.rtt_avg_us, 200);
	assert_int_equal(l.rtt_max_us, 300);
	assert_int_equal(l.rtt_p99_us, 300);

	/* a ref beyond the request's targets is not taken for any of them */
	assert_int_equal(run_probe_line_parse(line, n, 2, &l, &err), -1);
}

static void test_the_ip_reads_back_as_the_floater_wrote_it(void **state)
{
	struct probe_target t = target("fd00:18:0:0:0:0:0:b", 0);
	struct rtt_stats st;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE];
	size_t n;

	stats_init(&st);
	n = result_line(line, sizeof(line), &t, PROTO_ICMP, &st);
	assert_int_equal(run_probe_line_parse(line, n, 1, &l, &err), 0);
	assert_string_equal(l.ip, "fd00:18::b"); /* canonical: run_probe_line_accept compares */
}

/* Lines no floater writes: each breaks the answer (netctl reads nothing after it). */
static void test_lines_no_floater_writes_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\x01\xfe garbage",
	    "{\"ip\":\"198.18.0.1\",\"protocol\":\"icmp\",\"error\":\"ok\"}", /* no ref */
	    "{\"ref\":-1,\"protocol\":\"icmp\",\"error\":\"ok\"}",
	    "{\"ref\":9007199254740992,\"protocol\":\"icmp\",\"error\":\"ok\"}",
	    "{\"ref\":1e30,\"protocol\":\"icmp\",\"error\":\"ok\"}",
	    "{\"ref\":\"0\",\"protocol\":\"icmp\",\"error\":\"ok\"}",
	    "{\"ref\":0,\"protocol\":\"sctp\",\"error\":\"ok\"}",
	    "{\"ref\":0,\"protocol\":\"icmp\"}",
	    "{\"ref\":0,\"ip\":\"east-node-1\",\"protocol\":\"icmp\",\"error\":\"ok\"}",
	    "{\"ref\":0,\"ip\":7,\"protocol\":\"icmp\",\"error\":\"ok\"}",
	};
	struct run_probe_line l;
	char *big = malloc(RUN_PROBE_LINE_MAX + 64);
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;

		assert_int_equal(run_probe_line_parse(bad[i], strlen(bad[i]), 4, &l, &err), -1);
		assert_int_not_equal(err.code, ERR_OK);
	}
	/* a line of a valid result padded past the line limit */
	assert_non_null(big);
	n = snprintf(big, RUN_PROBE_LINE_MAX + 64,
		     "{\"ref\":0,\"protocol\":\"icmp\",\"error\":\"ok\",\"pad\":\"%0*d\"}",
		     RUN_PROBE_LINE_MAX, 0);
	{
		struct err err = ERR_INIT;

		assert_int_equal(run_probe_line_parse(big, (size_t)n, 4, &l, &err), -1);
	}
	free(big);
	(void)state;
}

static void test_every_outcome_reads_back(void **state)
{
	struct probe_target t = target("198.18.0.9", 0);
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE];

	for (int e = 0; e < PROBE_ERROR_MAX; e++) {
		struct rtt_stats st;
		size_t n;

		stats_init(&st);
		st.sent = 1;
		if (e == PROBE_OK)
			stats_add_rtt(&st, 50);
		else if (e != PROBE_LOSS)
			stats_add_error(&st, (enum probe_error)e);
		if (stats_verdict(&st) != (enum probe_error)e)
			continue; /* not an outcome a task can end with */
		n = result_line(line, sizeof(line), &t, PROTO_TCP, &st);
		assert_int_equal(run_probe_line_parse(line, n, 1, &l, &err), 0);
		assert_int_equal(l.error, e);
		assert_int_equal(l.protocol, PROTO_TCP);
	}
}

static void test_a_target_without_ref_is_not_taken(void **state)
{
	struct probe_target t = target("198.18.0.1", -1);
	struct rtt_stats st;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE];
	size_t n;

	stats_init(&st);
	n = result_line(line, sizeof(line), &t, PROTO_ICMP, &st);
	assert_true(n > 0);
	assert_int_equal(run_probe_line_parse(line, n, 1, &l, &err), -1);
}

static void test_done_line_ends_the_answer(void **state)
{
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE];
	size_t n = result_done_line(line, sizeof(line), "r42-n7-a1", 6, 1234);

	assert_true(n > 0);
	assert_int_equal(run_probe_line_parse(line, n, 3, &l, &err), 0);
	assert_true(l.done);
	/* a line that is not JSON is ignored, not taken for the end */
	assert_int_equal(run_probe_line_parse("{\"done\":tr", 10, 3, &l, &err), -1);
	assert_false(l.done);
}

/* ---- the compact encoding "c1" ---- */

/* netctl's compact request reads back as the same targets, refs (a skip for answered
 * ones), ports and format as the JSON one. */
static void test_compact_request_round_trips(void **state)
{
	struct plan_target targets[] = {
	    {.ip = "198.18.0.1", .family = 4}, {.ip = "fd00::2", .family = 6},
	    {.ip = "198.18.0.3", .family = 4}, {.ip = "198.18.4.2", .family = 4, .port = 18080},
	    {.ip = "198.18.0.5", .family = 4},
	};
	uint8_t seen[5];
	struct run_options o = options();
	struct run_probe_req r = request(targets, seen, 5, 1u << PROTO_TCP);
	struct probe_request req;
	struct err err = ERR_INIT;
	char field[64], *body;

	(void)state;
	r.compact = true;
	r.src = 0; /* source 0 starts at target 0 */
	seen[1] = (uint8_t)r.protocols;
	seen[2] = (uint8_t)r.protocols;
	body = run_probe_body_build(&r, &o, 42);
	assert_non_null(strstr(body, "\"targets_c\":\"198.18.0.1#8889,~2,198.18.4.2#18080,"
				     "198.18.0.5#8889\""));
	assert_null(strstr(body, "\"targets\""));
	assert_int_equal(
	    request_parse(body, strlen(body), &policy, &req, field, sizeof(field), &err), 0);
	free(body);
	assert_true(req.compact);
	assert_int_equal(req.ntargets, 3);
	assert_target(&req.targets[0], AF_INET, "198.18.0.1", 0);
	assert_int_equal(req.targets[1].ref, 3);
	assert_int_equal(sockaddr_port(&req.targets[1].addr), 18080);
	assert_target(&req.targets[2], AF_INET, "198.18.0.5", 4);
	request_release(&req);

	seen[1] = seen[2] = 0;
	assert_int_equal(floater_reads(&r, &o, &req, field, sizeof(field)), 0);
	assert_int_equal(req.ntargets, 5);
	assert_target(&req.targets[1], AF_INET6, "fd00::2", 1);
	request_release(&req);

	/* source 7 of 5 targets starts at target 2 and wraps with an absolute ref */
	r.src = 7;
	seen[3] = (uint8_t)r.protocols;
	body = run_probe_body_build(&r, &o, 42);
	assert_non_null(strstr(body, "\"targets_c\":\"~2,198.18.0.3#8889,~1,198.18.0.5,"
				     "@0,198.18.0.1,fd00::2\""));
	assert_int_equal(
	    request_parse(body, strlen(body), &policy, &req, field, sizeof(field), &err), 0);
	free(body);
	assert_int_equal(req.ntargets, 4);
	assert_int_equal(req.targets[0].ref, 2);
	assert_int_equal(req.targets[1].ref, 4);
	assert_int_equal(req.targets[2].ref, 0);
	assert_target(&req.targets[3], AF_INET6, "fd00::2", 1);
	request_release(&req);
}

/* Each source starts at another target: 1,000 floaters do not open their first
 * connections to the same node. */
static void test_sources_start_at_different_targets(void **state)
{
	struct plan_target targets[] = {
	    {.ip = "198.18.0.1", .family = 4},
	    {.ip = "198.18.0.2", .family = 4},
	    {.ip = "198.18.0.3", .family = 4},
	};
	uint8_t seen[3];
	struct run_options o = options();
	struct run_probe_req r = request(targets, seen, 3, 1u << PROTO_TCP);
	char first[3][16];

	(void)state;
	for (uint32_t src = 0; src < 3; src++) {
		char *body, *ip;

		r.src = src;
		body = run_probe_body_build(&r, &o, 42);
		ip = strstr(body, "\"ip\":\"");
		assert_non_null(ip);
		snprintf(first[src], sizeof(first[src]), "%.10s", ip + 6);
		free(body);
	}
	assert_string_not_equal(first[0], first[1]);
	assert_string_not_equal(first[1], first[2]);
	assert_string_not_equal(first[0], first[2]);
}

/* Compact targets a floater refuses, each with one clear reason naming targets_c. */
static void test_compact_request_refusals(void **state)
{
	static const char *const bad[] = {
	    "{\"targets_c\":\"\"}",
	    "{\"targets_c\":\"198.18.0.1,,198.18.0.2\"}",
	    "{\"targets_c\":\"example.com\"}",
	    "{\"targets_c\":\"198.18.0.1#0\"}",
	    "{\"targets_c\":\"198.18.0.1#65536\"}",
	    "{\"targets_c\":\"198.18.0.1#\"}",
	    "{\"targets_c\":\"~0,198.18.0.1\"}",
	    "{\"targets_c\":\"~x,198.18.0.1\"}",
	    "{\"targets_c\":\"@-1,198.18.0.1\"}",
	    "{\"targets_c\":\"@9007199254740993,198.18.0.1\"}",
	    "{\"targets_c\":\"198.18.0.1^0123\"}",
	    "{\"targets_c\":\"198.18.0.1^0123456789abcdefg\"}",
	    "{\"targets_c\":\"198.18.0.1^0123456789abcdeg\"}",
	    "{\"targets_c\":\"198.18.0.1^\"}",
	    "{\"targets_c\":\"~2^0123456789abcdef,198.18.0.1\"}",
	    "{\"targets_c\":\"198.18.0.1^0123456789abcdef#8889\"}",
	    "{\"targets_c\":[\"198.18.0.1\"]}",
	    "{\"targets\":[{\"ip\":\"198.18.0.1\"}],\"targets_c\":\"198.18.0.1\"}",
	};
	struct probe_request req;
	char field[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;

		assert_int_equal(request_parse(bad[i], strlen(bad[i]), &policy, &req, field,
					       sizeof(field), &err),
				 -1);
		assert_string_equal(field, WIRE_REQ_TARGETS_C);
	}
}

/* With UDP checked, a node target's compact token ends with its node id (^ and 16 hex
 * digits), which the floater reads as "node" in JSON; without UDP nothing proves a node and
 * no id is sent. */
static void test_compact_request_node_ids(void **state)
{
	struct plan_target targets[] = {{.ip = "198.18.0.1", .family = 4},
					{.ip = "198.18.4.2", .family = 4, .port = 18080}};
	uint8_t seen[2];
	struct run_options o = options();
	struct run_probe_req r = request(targets, seen, 2, 1u << PROTO_TCP | 1u << PROTO_UDP);
	struct probe_request req;
	struct err err = ERR_INIT;
	char field[64], *body, id[WIRE_NODE_ID_HEX + 2];

	(void)state;
	r.compact = true;
	r.src = 0;
	snprintf(id, sizeof(id), "^%016llx", (unsigned long long)echoauth_node_id("east-node-1"));
	body = run_probe_body_build(&r, &o, 42);
	assert_non_null(strstr(body, "198.18.0.1#8889^"));
	assert_non_null(strstr(body, id));
	assert_int_equal(
	    request_parse(body, strlen(body), &policy, &req, field, sizeof(field), &err), 0);
	free(body);
	assert_int_equal(req.ntargets, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(req.targets[i].has_node);
		assert_true(req.targets[i].node_id == echoauth_node_id("east-node-1"));
	}
	assert_int_equal(sockaddr_port(&req.targets[1].addr), 18080);
	request_release(&req);

	r.protocols = 1u << PROTO_TCP;
	body = run_probe_body_build(&r, &o, 42);
	assert_null(strchr(body, '^'));
	free(body);
}

/* What the floater writes in c1 reads back as the same results, each value relative to the
 * line before it where it can be, and is shorter than a JSON line. */
static void test_compact_answer_round_trips(void **state)
{
	struct probe_target t[3] = {target("198.18.0.9", 7), target("198.18.0.10", 8),
				    target("fd00::2", 2)};
	struct rtt_stats st[3];
	struct result_prev prev = {0};
	struct run_c1 c;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	char line[WIRE_MAX_LINE], json[WIRE_MAX_LINE];
	size_t n;

	(void)state;
	for (int i = 0; i < 3; i++)
		stats_init(&st[i]);
	st[0].sent = 1;
	stats_add_rtt(&st[0], 312);
	st[1].sent = 1;
	stats_add_rtt(&st[1], 290);
	st[2].sent = 3;
	stats_add_rtt(&st[2], 100);
	stats_add_rtt(&st[2], 300);
	stats_add_error(&st[2], PROBE_TIMEOUT);

	n = result_fields_line(line, sizeof(line));
	assert_int_equal(run_c1_fields(&c, line, n, &err), 0);

	n = result_line_c1(line, sizeof(line), &t[0], PROTO_TCP, &st[0], &prev);
	assert_string_equal(line, "7,tcp,1,1,312,=,=,=,ok\n");
	assert_int_equal(run_c1_line(&c, line, n, 9, &l, &err), 0);
	assert_int_equal(l.ref, 7);
	assert_int_equal(l.protocol, PROTO_TCP);
	assert_int_equal(l.error, PROBE_OK);
	assert_int_equal(l.rtt_p99_us, 312);

	n = result_line_c1(line, sizeof(line), &t[1], PROTO_TCP, &st[1], &prev);
	assert_string_equal(line, "+1,,,,290,=,=,=,\n");
	assert_true(n < result_line(json, sizeof(json), &t[1], PROTO_TCP, &st[1]) / 8);
	assert_int_equal(run_c1_line(&c, line, n, 9, &l, &err), 0);
	assert_int_equal(l.ref, 8);
	assert_int_equal(l.protocol, PROTO_TCP);
	assert_int_equal(l.sent, 1);
	assert_int_equal(l.received, 1);
	assert_int_equal(l.rtt_min_us, 290);
	assert_int_equal(l.rtt_max_us, 290);
	assert_int_equal(l.error, PROBE_OK);

	n = result_line_c1(line, sizeof(line), &t[2], PROTO_UDP, &st[2], &prev);
	assert_int_equal(run_c1_line(&c, line, n, 9, &l, &err), 0);
	assert_int_equal(l.ref, 2);
	assert_int_equal(l.protocol, PROTO_UDP);
	assert_int_equal(l.error, PROBE_LOSS);
	assert_int_equal(l.sent, 3);
	assert_int_equal(l.received, 2);
	assert_int_equal(l.rtt_min_us, 100);
	assert_int_equal(l.rtt_avg_us, 200);
	assert_int_equal(l.rtt_max_us, 300);
	assert_int_equal(l.rtt_p99_us, 300);

	n = result_done_line_c1(line, sizeof(line), "r42-n7-a0", 3, 93);
	assert_int_equal(run_c1_line(&c, line, n, 9, &l, &err), 0);
	assert_true(l.done);
}

/* A field list with fields netctl does not know (a newer floater's): they are skipped,
 * the known ones read wherever they stand. */
static void test_compact_unknown_fields_are_skipped(void **state)
{
	static const char fields[] = "#fields,node,error,ref,protocol,zone,rtt_avg_us";
	struct run_c1 c;
	struct run_probe_line l;
	struct err err = ERR_INIT;

	(void)state;
	assert_int_equal(run_c1_fields(&c, fields, strlen(fields), &err), 0);
	assert_int_equal(run_c1_line(&c, "east-node-1,ok,3,icmp,a,250", 27, 4, &l, &err), 0);
	assert_int_equal(l.ref, 3);
	assert_int_equal(l.protocol, PROTO_ICMP);
	assert_int_equal(l.rtt_avg_us, 250);
	assert_int_equal(run_c1_line(&c, ",refused,-1,tcp,,300", 20, 4, &l, &err), -1);
	assert_int_equal(run_c1_line(&c, ",refused,+0,tcp,,300", 20, 4, &l, &err), 0);
	assert_int_equal(l.ref, 3);
	assert_int_equal(l.error, PROBE_REFUSED);
	assert_int_equal(l.rtt_avg_us, 300);
	/* "=": the field before it, here "zone" = "a", which is no count */
	assert_int_equal(run_c1_line(&c, ",,,,,=", 6, 4, &l, &err), -1);
}

/* Lines and field lists no floater writes: each breaks the answer. */
static void test_compact_lines_refused(void **state)
{
	static const char *const bad_fields[] = {
	    "#fields",
	    "#fields,ref,protocol",
	    "#fields,ref,protocol,error,ref",
	    "ref,protocol,error",
	    "#fields,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,ref,protocol,error",
	};
	static const char *const bad[] = {
	    "+1,tcp,1,1,5,=,=,=,ok",	      /* relative to no line */
	    "1,tcp,1,1",		      /* too few values */
	    "1,tcp,1,1,5,=,=,=,ok,x",	      /* too many */
	    "=,tcp,1,1,5,=,=,=,ok",	      /* "=" in the first field */
	    "4,tcp,1,1,5,=,=,=,ok",	      /* ref beyond the request */
	    "1,sctp,1,1,5,=,=,=,ok",	      /* unknown protocol */
	    "1,tcp,-1,1,5,=,=,=,ok",	      /* no count */
	    "1,tcp,1,1,99999999999,=,=,=,ok", /* beyond 32 bits */
	    "#fields,ref,protocol,error",     /* a second field list */
	};
	static const char fields[] = "#fields,ref,protocol,sent,received,rtt_min_us,rtt_avg_us,"
				     "rtt_max_us,rtt_p99_us,error";
	struct run_c1 c;
	struct run_probe_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_fields) / sizeof(bad_fields[0]); i++) {
		struct err err = ERR_INIT;

		assert_int_equal(run_c1_fields(&c, bad_fields[i], strlen(bad_fields[i]), &err), -1);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;

		assert_int_equal(run_c1_fields(&c, fields, strlen(fields), &err), 0);
		assert_int_equal(run_c1_line(&c, bad[i], strlen(bad[i]), 4, &l, &err), -1);
	}
	/* an empty value is the previous line's: only after one */
	{
		struct err err = ERR_INIT;

		assert_int_equal(run_c1_fields(&c, fields, strlen(fields), &err), 0);
		assert_int_equal(run_c1_line(&c, "1,,1,1,5,=,=,=,ok", 17, 4, &l, &err), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_round_trips),
	    cmocka_unit_test(test_request_names_the_other_ports),
	    cmocka_unit_test(test_dns_request_round_trips),
	    cmocka_unit_test(test_largest_request_is_accepted),
	    cmocka_unit_test(test_netctl_refuses_what_a_floater_refuses),
	    cmocka_unit_test(test_probes_must_fit_the_request_wait),
	    cmocka_unit_test(test_result_line_round_trips),
	    cmocka_unit_test(test_every_outcome_reads_back),
	    cmocka_unit_test(test_a_target_without_ref_is_not_taken),
	    cmocka_unit_test(test_the_ip_reads_back_as_the_floater_wrote_it),
	    cmocka_unit_test(test_lines_no_floater_writes_are_refused),
	    cmocka_unit_test(test_done_line_ends_the_answer),
	    cmocka_unit_test(test_compact_request_round_trips),
	    cmocka_unit_test(test_compact_request_refusals),
	    cmocka_unit_test(test_compact_request_node_ids),
	    cmocka_unit_test(test_sources_start_at_different_targets),
	    cmocka_unit_test(test_compact_answer_round_trips),
	    cmocka_unit_test(test_compact_unknown_fields_are_skipped),
	    cmocka_unit_test(test_compact_lines_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
