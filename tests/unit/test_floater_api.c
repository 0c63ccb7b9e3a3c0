/* floater API: at most WIRE_MAX_REQUESTS probe requests at once (429 beyond), the token,
 * an error answer that names the field (docs/floater.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/socket.h>

#include "floater_fixture.h"

/* One target that never answers: the request runs for its timeout. */
static char *slow_body(uint16_t port, int timeout_ms)
{
	return xasprintf(
	    "{\"targets\":[{\"ip\":\"127.0.0.1\",\"port\":%u}],\"protocols\":[\"udp\"],"
	    "\"count\":1,\"timeout_ms\":%d}",
	    port, timeout_ms);
}

static bool answered_with(const struct conn *c, int status, const char *text)
{
	return flx_status(c) == status && strstr(c->out.data, text);
}

static void test_requests_beyond_limit_refused(void **state)
{
	struct flx *x = *state;
	struct conn *c[WIRE_MAX_REQUESTS], *extra, *later;
	uint16_t silent;
	char *body;

	flx_start(x, 64);
	silent = flx_udp_silent(x, AF_INET);
	body = slow_body(silent, 2000);
	for (int i = 0; i < WIRE_MAX_REQUESTS; i++) {
		c[i] = flx_conn(x);
		assert_non_null(flx_probe(x, c[i], body));
		assert_int_equal(flx_status(c[i]), 200);
	}
	extra = flx_conn(x);
	assert_null(flx_probe(x, extra, body));
	assert_true(answered_with(extra, 429, "too many concurrent probe requests"));
	assert_int_equal(x->fl.njobs, WIRE_MAX_REQUESTS);

	/* One client goes away: its place is free. */
	engine_job_cancel(c[0]->job);
	c[0]->job = NULL;
	later = flx_conn(x);
	assert_non_null(flx_probe(x, later, body));
	assert_int_equal(flx_status(later), 200);
	free(body);

	/* Finished requests free theirs too. */
	assert_true(flx_run_until_done(x, c + 1, WIRE_MAX_REQUESTS - 1, 5000));
	assert_true(flx_run_until_done(x, &later, 1, 5000));
	assert_int_equal(x->fl.njobs, 0);
	assert_int_equal(x->fl.m.probe_requests, WIRE_MAX_REQUESTS + 1);
}

static void test_probe_needs_the_token(void **state)
{
	struct flx *x = *state;
	struct conn *none, *wrong, *health;
	char *body;

	flx_start(x, 64);
	body = slow_body(flx_udp_silent(x, AF_INET), 100);
	none = flx_conn(x);
	flx_request(x, none, HTTP_POST, WIRE_PATH_PROBE, NULL, body);
	assert_true(answered_with(none, 401, "unauthorized"));
	wrong = flx_conn(x);
	flx_request(x, wrong, HTTP_POST, WIRE_PATH_PROBE, FLX_TOKEN "0", body);
	assert_true(answered_with(wrong, 401, "unauthorized"));
	assert_int_equal(x->fl.njobs, 0);
	assert_int_equal(x->fl.m.auth_failures, 2);
	assert_int_equal(x->fl.m.sent[PROTO_UDP], 0);
	/* health checks need none */
	health = flx_conn(x);
	flx_request(x, health, HTTP_GET, "/healthz", NULL, NULL);
	assert_true(answered_with(health, 200, "ok"));
	free(body);
}

static void test_bad_request_names_its_field(void **state)
{
	struct flx *x = *state;
	struct conn *port, *get;

	flx_start(x, 64);
	port = flx_conn(x);
	/* port 9 is neither the floater port nor an allowed one */
	assert_null(flx_probe(x, port, "{\"targets\":[{\"ip\":\"127.0.0.1\",\"port\":9}]}"));
	assert_true(answered_with(port, 400, "\"field\":\"targets[0].port\""));
	get = flx_conn(x);
	flx_request(x, get, HTTP_GET, WIRE_PATH_PROBE, FLX_TOKEN, NULL);
	assert_true(answered_with(get, 405, "use POST"));
	assert_int_equal(x->fl.njobs, 0);
}

/* Every answer to the token names the floater's version and wire (netctl's version
 * check, docs/floater.md "Versions"): the probe stream, its errors, /v1/info; an answer
 * without the token names neither. */
static void test_answers_name_the_version(void **state)
{
	static const char headers[] = "\r\n" WIRE_HEADER_VERSION ": " NETCTL_VERSION
				      "\r\n" WIRE_HEADER_WIRE ": " WIRE_STR(WIRE_VERSION) "\r\n";
	struct flx *x = *state;
	struct conn *probe, *bad, *info, *anon;
	char *body;

	flx_start(x, 64);
	body = slow_body(flx_udp_silent(x, AF_INET), 100);
	probe = flx_conn(x);
	assert_non_null(flx_probe(x, probe, body));
	assert_non_null(strstr(probe->out.data, headers));
	bad = flx_conn(x);
	assert_null(flx_probe(x, bad, "{\"targets\":[{\"ip\":\"x\"}]}"));
	assert_int_equal(flx_status(bad), 400);
	assert_non_null(strstr(bad->out.data, headers));
	info = flx_conn(x);
	flx_request(x, info, HTTP_GET, WIRE_PATH_INFO, FLX_TOKEN, NULL);
	assert_true(answered_with(
	    info, 200, "\"version\":\"" NETCTL_VERSION "\",\"wire\":" WIRE_STR(WIRE_VERSION) ","));
	assert_non_null(strstr(info->out.data, headers));
	/* the pod's nameservers (this machine's resolv.conf: any number, even none) */
	assert_non_null(strstr(info->out.data, "\"nameservers\":["));
	anon = flx_conn(x);
	flx_request(x, anon, HTTP_GET, "/healthz", NULL, NULL);
	assert_true(answered_with(anon, 200, "ok"));
	assert_null(strstr(anon->out.data, WIRE_HEADER_VERSION));
	assert_true(flx_run_until_done(x, &probe, 1, 5000));
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_requests_beyond_limit_refused, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_probe_needs_the_token, flx_setup, flx_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_request_names_its_field, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_answers_name_the_version, flx_setup, flx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
