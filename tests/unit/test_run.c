/* run: how a failed probe request is retried (docs/decisions.md, "The check engine"). A
 * request is either asked again (at once, or after a jittered backoff) or given up, its
 * missing results then recorded as agent-lost. The tests drive the policy with the clock
 * a real run would see and check when each request is retried and when it is given up,
 * and which lines of an answer are taken: one per pair asked, never another pair's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run_int.h"

#define S  1000000LL /* µs */
#define MS 1000LL
/* Any moment of a run: the policy takes 0 to mean "no failure yet". */
#define T0 (1000 * S)

/* What the user is promised. */
#define SERVER_PATIENCE (60 * S)
#define FLOATER_GRACE	(20 * S)
#define ATTEMPTS_MAX	16
#define BACKOFF_MAX	(8 * S)

struct fixture {
	struct run_engine e;
	struct run_engine_cluster ec;
	struct run_probe_req r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err err = ERR_INIT;

	if (!f)
		return -1;
	f->e.loop = kube_loop_new(&err); /* the backoff's jitter */
	if (!f->e.loop) {
		free(f);
		return -1;
	}
	f->r.e = &f->e;
	f->r.ec = &f->ec;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kube_loop_free(f->e.loop);
	free(f);
	return 0;
}

/* A failed attempt as the kube client reports it: no answer (status 0), or a status. */
static enum run_probe_retry_kind kind_of(const struct run_probe_req *r, enum err_code code,
					 long status)
{
	struct kube_response resp = {.status = status, .body = ""};
	struct err err = ERR_INIT;

	err.code = code;
	return run_probe_retry_kind(r, &resp, &err);
}

/* A request that fails every attempt the same way, each attempt taking took_us to fail:
 * when it is given up, after how many attempts, and the wait before each retry. */
struct outcome {
	int64_t given_up_at;
	int attempts;
	int64_t wait[ATTEMPTS_MAX];
};

static struct outcome fail_every_attempt(struct run_probe_req *r, enum run_probe_retry_kind kind,
					 int64_t first_fail, int64_t took_us)
{
	struct outcome o;
	int64_t now = first_fail;

	memset(&o, 0, sizeof(o));
	for (;;) {
		int attempt = r->attempt;

		o.attempts++;
		assert_true(o.attempts <= ATTEMPTS_MAX); /* never more, whatever the clocks */
		if (run_probe_retry_next(r, kind, now) < 0)
			break;
		assert_int_equal(r->attempt, attempt + 1);
		o.wait[attempt] = r->due_us - now;
		now = r->due_us + took_us;
	}
	o.given_up_at = now;
	return o;
}

/* The wait before retry k (the first retry is k = 0): none for the first, then a doubling
 * backoff from 0.25-0.5 s up to 4-8 s, jittered. */
static void assert_backoff(const struct outcome *o, int retries)
{
	assert_int_equal(o->wait[0], 0);
	for (int k = 1; k < retries; k++) {
		int64_t cap = (500 * MS) << (k - 1 < 6 ? k - 1 : 6);

		if (cap > BACKOFF_MAX)
			cap = BACKOFF_MAX;
		assert_in_range(o->wait[k], cap / 2, cap);
	}
}

/* ---- what kind of failure ---- */

static void test_server_away_kinds(void **state)
{
	struct fixture *f = *state;
	struct kube_response ok = {.status = 200, .body = ""};

	/* cannot connect: no status at all */
	assert_int_equal(kind_of(&f->r, ERR_API, 0), RUN_PROBE_RETRY_SERVER);
	/* the stream was cut after the 200 */
	assert_int_equal(kind_of(&f->r, ERR_API, 200), RUN_PROBE_RETRY_SERVER);
	/* the stream ended early without an error and without the floater's final line */
	assert_int_equal(run_probe_retry_kind(&f->r, &ok, NULL), RUN_PROBE_RETRY_SERVER);
}

static void test_denied_is_server_away_only_after_answers(void **state)
{
	struct fixture *f = *state;

	/* Denied from the start: credentials or RBAC are wrong, waiting will not help. */
	assert_int_equal(kind_of(&f->r, ERR_AUTH, 401), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_AUTH, 403), RUN_PROBE_RETRY_ONCE);
	/* Denied after this cluster's proxy answered in this run: a restarted API server
	 * whose authorization caches are still cold. */
	f->ec.answered = true;
	assert_int_equal(kind_of(&f->r, ERR_AUTH, 401), RUN_PROBE_RETRY_SERVER);
	assert_int_equal(kind_of(&f->r, ERR_AUTH, 403), RUN_PROBE_RETRY_SERVER);
}

static void test_proxy_5xx_is_floater_restarting(void **state)
{
	struct fixture *f = *state;

	for (long status = 500; status <= 504; status++)
		assert_int_equal(kind_of(&f->r, ERR_API, status), RUN_PROBE_RETRY_FLOATER);
	assert_int_equal(kind_of(&f->r, ERR_API, 505), RUN_PROBE_RETRY_ONCE);
}

static void test_anything_else_is_once(void **state)
{
	struct fixture *f = *state;
	struct kube_response ok = {.status = 200, .body = ""};

	assert_int_equal(kind_of(&f->r, ERR_TIMEOUT, 0), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_TIMEOUT, 200), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_API, 404), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_NOTFOUND, 404), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_API, 400), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_TLS, 0), RUN_PROBE_RETRY_ONCE);
	/* The floater sent its final line but results are missing: asking it again with
	 * backoff would get the same answer. */
	f->r.finished = true;
	assert_int_equal(run_probe_retry_kind(&f->r, &ok, NULL), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_API, 0), RUN_PROBE_RETRY_ONCE);
	assert_int_equal(kind_of(&f->r, ERR_API, 503), RUN_PROBE_RETRY_ONCE);
}

static void test_broken_answer_is_never_retried(void **state)
{
	struct fixture *f = *state;

	/* over the line or body limit of a probe answer: the floater wrote what no floater
	 * writes; asking again would only read as much once more */
	assert_int_equal(kind_of(&f->r, ERR_LIMIT, 200), RUN_PROBE_RETRY_NEVER);
	assert_false(run_probe_retry_worth(&f->r, RUN_PROBE_RETRY_NEVER, T0));
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_NEVER, T0), -1);
	/* a line netctl cannot take ended the answer: the stream then reads as stopped by
	 * its consumer, and that is not a retry either */
	err_set(&f->r.broken, ERR_PROTO, "line 1: ref 7 was not asked for");
	assert_int_equal(kind_of(&f->r, ERR_INTERNAL, 200), RUN_PROBE_RETRY_NEVER);
	f->r.finished = true;
	assert_int_equal(kind_of(&f->r, ERR_INTERNAL, 200), RUN_PROBE_RETRY_NEVER);
}

static void test_line_stalled_is_once(void **state)
{
	struct fixture *f = *state;

	/* the kube client's "stalled in the middle of a line" is a timeout after the 200 */
	assert_int_equal(kind_of(&f->r, ERR_TIMEOUT, 200), RUN_PROBE_RETRY_ONCE);
}

/* ---- which lines an answer may carry ---- */

#define ICMP (1u << PROTO_ICMP)
#define TCP  (1u << PROTO_TCP)
#define UDP  (1u << PROTO_UDP)

static const char *const ips[] = {"198.18.0.10", "fd00:18::b", "198.18.0.12"};

/* A request for ips x (icmp, tcp); seen: what earlier attempts answered, per target. */
static void request(struct run_probe_req *r, const uint8_t seen[3])
{
	r->n = 3;
	r->protocols = ICMP | TCP;
	r->targets = calloc(3, sizeof(*r->targets));
	r->seen = calloc(3, 1);
	r->this_attempt = calloc(3, 1);
	assert_non_null(r->targets);
	assert_non_null(r->seen);
	assert_non_null(r->this_attempt);
	for (size_t i = 0; i < 3; i++) {
		r->targets[i].ip = ips[i];
		r->seen[i] = seen[i];
	}
	run_probe_attempt_begin(r);
}

static void request_release(struct run_probe_req *r)
{
	free(r->targets);
	free(r->seen);
	free(r->this_attempt);
}

static struct run_probe_line line(size_t ref, enum probe_protocol p, const char *ip)
{
	struct run_probe_line l;

	memset(&l, 0, sizeof(l));
	l.ref = ref;
	l.protocol = p;
	snprintf(l.ip, sizeof(l.ip), "%s", ip ? ip : "");
	return l;
}

static void test_each_pair_asked_is_taken_once(void **state)
{
	struct fixture *f = *state;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	const uint8_t none[3] = {0};

	request(&f->r, none);
	l = line(1, PROTO_TCP, "fd00:18:0:0::b"); /* the floater's canonical form may differ */
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), 1);
	l = line(1, PROTO_ICMP, NULL); /* no ip: nothing to compare */
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), 1);
	/* the same pair again in this answer breaks it, whatever it says */
	l = line(1, PROTO_TCP, "fd00:18::b");
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	assert_int_equal(err.code, ERR_PROTO);
	assert_non_null(strstr(err.msg, "ref 1: tcp answered twice"));
	request_release(&f->r);
}

static void test_lines_for_other_pairs_break_the_answer(void **state)
{
	struct fixture *f = *state;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	const uint8_t none[3] = {0};

	request(&f->r, none);
	/* a protocol the request did not name */
	l = line(0, PROTO_UDP, "198.18.0.10");
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	assert_non_null(strstr(err.msg, "udp was not asked for"));
	/* a ref whose ip is another target's: never stored on either pair */
	l = line(0, PROTO_ICMP, "198.18.0.12");
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	assert_non_null(strstr(err.msg, "is not the target's"));
	/* beyond the request (run_probe_line_parse refuses it first; here as a second wall) */
	l = line(3, PROTO_ICMP, NULL);
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	/* nothing was taken */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(f->r.this_attempt[i], RUN_PROBE_ASKED);
	request_release(&f->r);
}

static void test_retry_asks_only_what_is_missing(void **state)
{
	struct fixture *f = *state;
	struct run_probe_line l;
	struct err err = ERR_INIT;
	const uint8_t seen[3] = {ICMP | TCP, ICMP, 0}; /* target 0 complete, 1 half */

	request(&f->r, seen);
	/* target 0 is not in this attempt's request */
	l = line(0, PROTO_ICMP, NULL);
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	assert_non_null(strstr(err.msg, "ref 0 was not asked for"));
	/* target 1 is asked for both protocols: icmp was answered before, and that first
	 * result stays (0: nothing to store), tcp is new */
	l = line(1, PROTO_ICMP, NULL);
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), 0);
	l = line(1, PROTO_TCP, NULL);
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), 1);
	/* but not twice in one answer */
	l = line(1, PROTO_ICMP, NULL);
	assert_int_equal(run_probe_line_accept(&f->r, &l, &err), -1);
	/* a new attempt starts afresh */
	f->r.seen[1] |= TCP;
	run_probe_attempt_begin(&f->r);
	assert_int_equal(f->r.this_attempt[1], 0);
	assert_int_equal(f->r.this_attempt[2], RUN_PROBE_ASKED);
	assert_int_equal(f->r.broken.code, ERR_OK);
	request_release(&f->r);
}

/* ---- retried, or given up, and when ---- */

static void test_once_is_one_immediate_retry(void **state)
{
	struct fixture *f = *state;
	struct outcome o = fail_every_attempt(&f->r, RUN_PROBE_RETRY_ONCE, T0, 2 * S);

	assert_int_equal(o.attempts, 2);
	assert_int_equal(o.wait[0], 0);
	assert_int_equal(o.given_up_at, T0 + 2 * S);
	/* not an API server outage: the cluster's clock does not start */
	assert_int_equal(f->ec.unreachable_us, 0);
}

static void test_server_away_retried_for_60s(void **state)
{
	struct fixture *f = *state;
	/* each attempt waits 5 s for a connection that never comes */
	struct outcome o = fail_every_attempt(&f->r, RUN_PROBE_RETRY_SERVER, T0, 5 * S);

	assert_int_equal(f->ec.unreachable_us, T0);
	assert_true(o.attempts < ATTEMPTS_MAX);
	assert_backoff(&o, o.attempts - 1);
	/* retried while under 60 s, given up at the first failure past it */
	assert_true(o.given_up_at >= T0 + SERVER_PATIENCE);
	assert_true(o.given_up_at < T0 + SERVER_PATIENCE + BACKOFF_MAX + 5 * S);
}

static void test_server_back_within_60s_keeps_request(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0), 0);
	f->r.attempt = 5; /* four retries failed already: the backoff is at its cap */
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0 + 59 * S), 0);
	assert_in_range(f->r.due_us - (T0 + 59 * S), 4 * S, 8 * S);
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0 + 60 * S), -1);
}

static void test_denied_after_answers_retried_for_60s(void **state)
{
	struct fixture *f = *state;
	struct outcome o;

	f->ec.answered = true;
	o = fail_every_attempt(&f->r, kind_of(&f->r, ERR_AUTH, 403), T0, 100 * MS);
	assert_true(o.given_up_at >= T0 + SERVER_PATIENCE || o.attempts == ATTEMPTS_MAX);
	assert_true(o.given_up_at < T0 + SERVER_PATIENCE + BACKOFF_MAX + 100 * MS);
	assert_true(o.attempts > 2);
}

static void test_denied_from_start_given_up_after_one_retry(void **state)
{
	struct fixture *f = *state;
	struct outcome o = fail_every_attempt(&f->r, kind_of(&f->r, ERR_AUTH, 403), T0, 0);

	assert_int_equal(o.attempts, 2);
	assert_int_equal(o.given_up_at, T0);
}

static void test_floater_restarting_retried_for_20s(void **state)
{
	struct fixture *f = *state;
	/* the proxy answers 503 at once, every time */
	struct outcome o = fail_every_attempt(&f->r, kind_of(&f->r, ERR_API, 503), T0, 0);

	assert_backoff(&o, o.attempts - 1);
	assert_true(o.given_up_at >= T0 + FLOATER_GRACE);
	assert_true(o.given_up_at < T0 + FLOATER_GRACE + BACKOFF_MAX);
	/* the floater's trouble is not the API server's: no cluster-wide wait */
	assert_int_equal(f->ec.unreachable_us, 0);
}

static void test_floater_back_within_20s_keeps_request(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_FLOATER, T0), 0);
	assert_int_equal(f->r.due_us, T0);
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_FLOATER, T0 + 19 * S), 0);
	assert_in_range(f->r.due_us - (T0 + 19 * S), 250 * MS, 500 * MS);
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_FLOATER, T0 + 20 * S), -1);
}

static void test_at_most_16_attempts(void **state)
{
	struct fixture *f = *state;
	struct outcome o;

	/* Whatever the clocks say: the 16th attempt is the last (r.attempt counts from 0). */
	f->r.first_fail_us = T0;
	f->ec.unreachable_us = T0;
	f->r.attempt = ATTEMPTS_MAX - 2; /* the 15th failed */
	assert_true(run_probe_retry_worth(&f->r, RUN_PROBE_RETRY_SERVER, T0 + S));
	assert_true(run_probe_retry_worth(&f->r, RUN_PROBE_RETRY_FLOATER, T0 + S));
	f->r.attempt = ATTEMPTS_MAX - 1; /* the 16th failed */
	assert_false(run_probe_retry_worth(&f->r, RUN_PROBE_RETRY_SERVER, T0 + S));
	assert_false(run_probe_retry_worth(&f->r, RUN_PROBE_RETRY_FLOATER, T0 + S));

	/* An API server refusing at once: given up after 60 s or 16 attempts, whichever
	 * comes first (the jitter decides). */
	memset(&f->r, 0, sizeof(f->r));
	f->r.e = &f->e;
	f->r.ec = &f->ec;
	f->ec.unreachable_us = 0;
	o = fail_every_attempt(&f->r, RUN_PROBE_RETRY_SERVER, T0, 0);
	assert_true(o.attempts <= ATTEMPTS_MAX);
	assert_true(o.attempts == ATTEMPTS_MAX || o.given_up_at >= T0 + SERVER_PATIENCE);
	assert_true(o.given_up_at < T0 + SERVER_PATIENCE + BACKOFF_MAX);
}

static void test_cluster_window_shared_by_its_sources(void **state)
{
	struct fixture *f = *state;
	struct run_probe_req other;
	struct outcome o;

	/* One source meets the API server away at T0 ... */
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0), 0);
	/* ... another one first at T0 + 50 s: it is given up with the cluster's window at
	 * about T0 + 60 s, not 60 s after its own first failure. */
	memset(&other, 0, sizeof(other));
	other.e = &f->e;
	other.ec = &f->ec;
	o = fail_every_attempt(&other, RUN_PROBE_RETRY_SERVER, T0 + 50 * S, S);
	assert_int_equal(f->ec.unreachable_us, T0);
	assert_true(o.given_up_at >= T0 + SERVER_PATIENCE);
	assert_true(o.given_up_at < T0 + SERVER_PATIENCE + BACKOFF_MAX + S);

	/* A source that first fails after the window gets its one immediate retry only. */
	memset(&other, 0, sizeof(other));
	other.e = &f->e;
	other.ec = &f->ec;
	o = fail_every_attempt(&other, RUN_PROBE_RETRY_SERVER, T0 + 90 * S, S);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(o.wait[0], 0);
}

static void test_cluster_window_restarts_after_an_answer(void **state)
{
	struct fixture *f = *state;
	struct run_probe_req later;
	struct outcome o;

	/* Away from T0 for one source ... */
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0), 0);
	/* ... until a result came through at T0 + 65 s (what on_line records). */
	f->ec.unreachable_us = 0;
	f->ec.answered = true;
	/* The next outage, from T0 + 70 s, gets its own 60 s. */
	memset(&later, 0, sizeof(later));
	later.e = &f->e;
	later.ec = &f->ec;
	o = fail_every_attempt(&later, RUN_PROBE_RETRY_SERVER, T0 + 70 * S, 5 * S);
	assert_int_equal(f->ec.unreachable_us, T0 + 70 * S);
	assert_true(o.given_up_at >= T0 + 70 * S + SERVER_PATIENCE);
}

static void test_request_own_window_bounds_server_wait(void **state)
{
	struct fixture *f = *state;

	/* The cluster answered in between (its clock restarted), yet this request has been
	 * failing for 60 s: it is given up. */
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0), 0);
	f->ec.unreachable_us = T0 + 55 * S;
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0 + 59 * S), 0);
	assert_int_equal(run_probe_retry_next(&f->r, RUN_PROBE_RETRY_SERVER, T0 + 60 * S), -1);
}

/* ---- versions ---- */

/* docs/install.md, "Version skew": the same wire is used whatever the versions (an older
 * floater with a warning), another wire is refused; a floater that names none predates
 * the headers and speaks wire 1. */
static void test_floater_skew(void **state)
{
	assert_int_equal(run_floater_skew(NETCTL_VERSION, WIRE_VERSION), RUN_FLOATER_OK);
	assert_int_equal(run_floater_skew("999.0.0", WIRE_VERSION), RUN_FLOATER_OK);
	assert_int_equal(run_floater_skew("0.0.1", WIRE_VERSION), RUN_FLOATER_OLDER);
	assert_int_equal(run_floater_skew(NETCTL_VERSION "-rc1", WIRE_VERSION), RUN_FLOATER_OLDER);
	assert_int_equal(run_floater_skew("", 0), WIRE_VERSION_UNSAID == WIRE_VERSION
						      ? RUN_FLOATER_UNKNOWN
						      : RUN_FLOATER_WIRE);
	assert_int_equal(run_floater_skew("?", WIRE_VERSION), RUN_FLOATER_UNKNOWN);
	assert_int_equal(run_floater_skew(NETCTL_VERSION, WIRE_VERSION + 1), RUN_FLOATER_WIRE);
	assert_int_equal(run_floater_skew("999.0.0", -1), RUN_FLOATER_WIRE);
}

/* The headers are untrusted: a version is kept only when it is short and plain. */
static void test_version_headers_checked(void **state)
{
	struct fixture *f = *state;

	run_probe_attempt_begin(&f->r);
	run_probe_header(&f->r, "x-floater-version", "0.0.9"); /* HTTP/2: lower case */
	run_probe_header(&f->r, "X-Floater-Wire", "1");
	run_probe_header(&f->r, "Content-Type", "application/x-ndjson");
	assert_string_equal(f->r.floater_version, "0.0.9");
	assert_int_equal(f->r.floater_wire, 1);
	run_probe_header(&f->r, "X-Floater-Version", "0.0.9\x1b[2J");
	assert_string_equal(f->r.floater_version, "?");
	run_probe_header(&f->r, "X-Floater-Version", "0.0.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0");
	assert_string_equal(f->r.floater_version, "?");
	run_probe_header(&f->r, "X-Floater-Wire", "two");
	assert_int_equal(f->r.floater_wire, -1);
	/* a new attempt starts with nothing known */
	run_probe_attempt_begin(&f->r);
	assert_string_equal(f->r.floater_version, "");
	assert_int_equal(f->r.floater_wire, 0);
}

static char warned[8][512];
static int nwarned;

static void capture_warning(void *arg, const char *text)
{
	if (nwarned < 8)
		str_copy(warned[nwarned], sizeof(warned[0]), text);
	nwarned++;
}

/* One warning per floater and run naming the cluster, the node and both versions; another
 * wire ends the run with an error that says the same. */
static void test_version_check_warns_once_refuses_wire(void **state)
{
	struct fixture *f = *state;
	struct run_cluster cl = {.name = "east"};
	struct plan_node node = {.name = "east-node-1"};
	struct run_events ev = {.warn = capture_warning};
	uint8_t told[2] = {0, 0};

	nwarned = 0;
	f->ec.in = &cl;
	f->e.nodes = &node;
	f->e.nnodes = 1;
	f->e.ev = &ev;
	f->e.version_told = told;
	f->r.sender = PLAN_SEND_POD;
	run_probe_attempt_begin(&f->r);
	run_probe_header(&f->r, "X-Floater-Version", NETCTL_VERSION);
	run_probe_header(&f->r, "X-Floater-Wire", WIRE_STR(WIRE_VERSION));
	assert_int_equal(run_probe_version_check(&f->r), 0);
	assert_int_equal(nwarned, 0);

	run_probe_header(&f->r, "X-Floater-Version", "0.0.9");
	assert_int_equal(run_probe_version_check(&f->r), 0);
	assert_int_equal(run_probe_version_check(&f->r), 0); /* its retry, its next request */
	assert_int_equal(nwarned, 1);
	assert_non_null(strstr(warned[0], "east: node east-node-1: floater 0.0.9 is older than "
					  "netctl " NETCTL_VERSION));
	f->r.sender = PLAN_SEND_HOST; /* the node's other floater is told of on its own */
	assert_int_equal(run_probe_version_check(&f->r), 0);
	assert_int_equal(nwarned, 2);

	run_probe_attempt_begin(&f->r); /* no headers: a floater from before them */
	f->r.sender = PLAN_SEND_POD;
	told[0] = 0;
	assert_int_equal(run_probe_version_check(&f->r), 0);
	assert_int_equal(nwarned, 3);
	assert_non_null(strstr(warned[2], "floater of no stated version is older than netctl"));
	assert_int_equal(f->e.refused.code, ERR_OK);

	run_probe_header(&f->r, "X-Floater-Version", "9.0.0");
	run_probe_header(&f->r, "X-Floater-Wire", "2");
	assert_int_equal(run_probe_version_check(&f->r), -1);
	assert_int_equal(f->e.refused.code, ERR_USAGE);
	assert_non_null(strstr(f->e.refused.msg, "cluster east: node east-node-1: floater 9.0.0 "
						 "speaks wire 2, netctl " NETCTL_VERSION
						 " speaks wire " WIRE_STR(WIRE_VERSION)));
	assert_null(strchr(f->e.refused.msg, '\n'));
	f->e.nodes = NULL;
	f->e.ev = NULL;
	f->e.version_told = NULL;
}

/* ---- deploying ---- */

/* NetDoctor's srcImageRepository / dstImageRepository: a cluster that is only a
 * destination pulls from the second when it is set; a source, or a cluster that is both
 * (its own mesh, --mesh), from the first. */
static void test_dst_image_repository(void **state)
{
	struct fixture *f = *state;
	struct run_cluster src = {.name = "east", .roles = STORE_ROLE_SRC};
	struct run_cluster dst = {.name = "west", .roles = STORE_ROLE_DST};
	struct run_cluster both = {.name = "north", .roles = STORE_ROLE_SRC | STORE_ROLE_DST};

	f->e.o.image_repository = "src.example/netctl";
	f->ec.in = &dst;
	assert_string_equal(run_floaters_image_repository(&f->e, &f->ec), "src.example/netctl");
	f->e.o.dst_image_repository = "dst.example/netctl";
	assert_string_equal(run_floaters_image_repository(&f->e, &f->ec), "dst.example/netctl");
	f->ec.in = &src;
	assert_string_equal(run_floaters_image_repository(&f->e, &f->ec), "src.example/netctl");
	f->ec.in = &both;
	assert_string_equal(run_floaters_image_repository(&f->e, &f->ec), "src.example/netctl");
}

/* --target and config.json's lists: what is taken, how it reads back, what is refused with
 * a message naming the value. */
static void test_target_parse(void **state)
{
	static const char *const good[][2] = {
	    {"198.18.4.2", "198.18.4.2"},
	    {"198.18.4.2:18080", "198.18.4.2:18080"},
	    {"fd00:18:1::2", "fd00:18:1::2"},
	    {"[fd00:18:1::2]", "fd00:18:1::2"},
	    {"[FD00:18:1:0::2]:443", "[fd00:18:1::2]:443"}, /* canonical form */
	    {"::ffff:198.18.0.1", "::ffff:198.18.0.1"},
	};
	static const char *const bad[][2] = {
	    {"", "not ADDR[:PORT]"},
	    {"example.com:80", "names are not resolved"},
	    {"198.18.4.2:0", "is not a port"},
	    {"198.18.4.2:65536", "is not a port"},
	    {"198.18.4.2:http", "is not a port"},
	    {"[198.18.4.2]:80", "brackets are for IPv6"},
	    {"[fd00::2:80", "[ADDR]:PORT"},
	    {"[fd00::2]80", "[ADDR]:PORT"},
	    {"198.18.4.256", "is not an IP address"},
	};
	struct run_target t;
	char text[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct err err = ERR_INIT;

		if (run_target_parse(good[i][0], "--target", &t, &err) < 0)
			fail_msg("%s: %s", good[i][0], err.msg);
		run_target_format(&t, text, sizeof(text));
		assert_string_equal(text, good[i][1]);
		assert_int_equal(t.family, strchr(good[i][1], ':') && good[i][1][0] != '1' ? 6 : 4);
	}
	assert_int_equal(run_target_parse("[fd00::2]:443", "--target", &t, &(struct err)ERR_INIT),
			 0);
	assert_int_equal(t.port, 443);
	assert_int_equal(run_target_parse("fd00::2", "--target", &t, &(struct err)ERR_INIT), 0);
	assert_int_equal(t.port, 0); /* a bare IPv6 address has no port */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct err err = ERR_INIT;

		if (run_target_parse(bad[i][0], "--target", &t, &err) == 0)
			fail_msg("'%s' was accepted", bad[i][0]);
		assert_int_equal(err.code, ERR_USAGE);
		if (!strstr(err.msg, bad[i][1]) || !strstr(err.msg, "--target"))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
	}
}

/* What a run refuses about its targets before anything is deployed: a family it does not
 * check, TCP/UDP without a port, too many ports for a probe request to list. */
static void test_targets_checked_with_the_options(void **state)
{
	struct run_options o = {.protocols = 1u << PROTO_TCP,
				.families = STORE_FAMILY_V4,
				.count = 3,
				.interval_ms = 20,
				.timeout_ms = 1000,
				.port = 8889};
	struct run_target t[RUN_TARGET_PORTS_MAX + 2];
	struct err err = ERR_INIT;

	(void)state;
	assert_int_equal(run_target_parse("[fd00::2]:80", "--target", &t[0], &err), 0);
	o.targets = t;
	o.ntargets = 1;
	assert_int_equal(run_options_check(&o, &err), -1);
	assert_non_null(strstr(err.msg, "is IPv6: add --family 6"));
	assert_int_equal(run_target_parse("198.18.0.1", "--target", &t[0], &err), 0);
	assert_int_equal(run_options_check(&o, &err), -1);
	assert_non_null(strstr(err.msg, "has no port"));
	o.protocols |= 1u << PROTO_ICMP;
	assert_int_equal(run_options_check(&o, &err), 0);
	for (int i = 0; i < RUN_TARGET_PORTS_MAX + 1; i++) {
		char text[32];

		snprintf(text, sizeof(text), "198.18.0.1:%d", 1000 + i);
		assert_int_equal(run_target_parse(text, "--target", &t[i], &err), 0);
	}
	o.ntargets = RUN_TARGET_PORTS_MAX;
	assert_int_equal(run_options_check(&o, &err), 0);
	o.ntargets = RUN_TARGET_PORTS_MAX + 1;
	assert_int_equal(run_options_check(&o, &err), -1);
	assert_non_null(strstr(err.msg, "more than 32 ports"));
}

/* An older floater does not know "ports": its 400 naming targets[N].port records the
 * targets on other ports as error and leaves the node targets to be asked again. */
static void test_older_floater_refusing_other_ports(void **state)
{
	struct fixture *f = *state;
	struct plan_node nodes[3] = {
	    {.id = 11, .name = "n1"},
	    {.id = 12, .name = "n2"},
	    {.id = 13, .name = "target:198.18.4.2:18080", .kind = PLAN_NODE_TARGET},
	};
	struct plan_target t[] = {
	    {.dst = 1, .ip = "198.18.0.2", .family = 4},
	    {.dst = 2, .ip = "198.18.4.2", .family = 4, .port = 18080},
	};
	static const char refused[] = "{\"error\":\"targets[1].port: not a floater port\","
				      "\"field\":\"targets[1].port\"}";
	static const char other[] = "{\"error\":\"count: out of range\",\"field\":\"count\"}";
	struct kube_response resp = {.status = 400, .body = refused, .body_len = strlen(refused)};
	struct run_cluster in = {.name = "east"};
	struct store_result batch[4];
	struct run_result res;
	uint8_t seen[2] = {0, 0};

	memset(&res, 0, sizeof(res));
	f->e.nodes = nodes;
	f->e.batch = batch;
	f->e.res = &res;
	f->e.o.port = 8889;
	f->ec.in = &in;
	f->r.targets = t;
	f->r.seen = seen;
	f->r.n = 2;
	f->r.protocols = 1u << PROTO_TCP;
	resp.body = other;
	resp.body_len = strlen(other);
	assert_false(run_probe_older_floater(&f->r, &resp)); /* another 400 */
	resp.body = refused;
	resp.body_len = strlen(refused);
	resp.status = 500;
	assert_false(run_probe_older_floater(&f->r, &resp));
	resp.status = 400;
	assert_true(run_probe_older_floater(&f->r, &resp));
	assert_int_equal(seen[0], 0); /* the node target: asked again */
	assert_int_equal(seen[1], 1u << PROTO_TCP);
	assert_int_equal(res.done, 1);
	assert_int_equal(batch[0].dst_node, 13);
	assert_int_equal(batch[0].error, PROBE_OTHER);
	assert_true(f->ec.told_old_floater);
	/* nothing left on another port: not that case any more */
	assert_false(run_probe_older_floater(&f->r, &resp));
	f->e.batch = NULL;
	f->e.nodes = NULL;
}

/* A floater older than the compact encoding answers a compact request 400 naming
 * "targets": the cluster is asked in JSON from then on; other answers are not that. */
static void test_older_floater_refusing_compact(void **state)
{
	struct fixture *f = *state;
	static const char missing[] = "{\"error\":\"targets: missing\",\"field\":\"targets\"}";
	static const char other[] = "{\"error\":\"count: out of range\",\"field\":\"count\"}";
	struct kube_response resp = {.status = 400, .body = missing, .body_len = strlen(missing)};
	struct plan_node nodes[1] = {{.id = 11, .name = "n1"}};
	struct run_cluster in = {.name = "east"};

	f->e.nodes = nodes;
	f->ec.in = &in;
	f->r.compact = false;
	assert_false(run_probe_compact_refused(&f->r, &resp)); /* a JSON request: not that */
	f->r.compact = true;
	resp.status = 500;
	assert_false(run_probe_compact_refused(&f->r, &resp));
	resp.status = 400;
	resp.body = other;
	resp.body_len = strlen(other);
	assert_false(run_probe_compact_refused(&f->r, &resp));
	assert_false(f->ec.no_compact);
	resp.body = missing;
	resp.body_len = strlen(missing);
	assert_true(run_probe_compact_refused(&f->r, &resp));
	assert_true(f->ec.no_compact);
	f->e.nodes = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_server_away_kinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_older_floater_refusing_compact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_denied_is_server_away_only_after_answers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_proxy_5xx_is_floater_restarting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anything_else_is_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_answer_is_never_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_stalled_is_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_pair_asked_is_taken_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines_for_other_pairs_break_the_answer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_asks_only_what_is_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_once_is_one_immediate_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_away_retried_for_60s, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_back_within_60s_keeps_request, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_denied_after_answers_retried_for_60s, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_denied_from_start_given_up_after_one_retry, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_floater_restarting_retried_for_20s, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_floater_back_within_20s_keeps_request, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_at_most_16_attempts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_window_shared_by_its_sources, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_window_restarts_after_an_answer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_request_own_window_bounds_server_wait, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_floater_skew, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_headers_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_check_warns_once_refuses_wire, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dst_image_repository, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_older_floater_refusing_other_ports, setup,
					    teardown),
	    cmocka_unit_test(test_target_parse),
	    cmocka_unit_test(test_targets_checked_with_the_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
