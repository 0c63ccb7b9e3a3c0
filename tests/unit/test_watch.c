/* src/watch: the schedule of checks and rechecks, --listen addresses, the metrics of stored
 * runs as Prometheus reads them, and the HTTP server over loopback.
 * `test_watch --write-metrics FILE` writes the metrics of a two-cluster run with a bad node
 * and a recheck for `promtool check metrics` (ctest unit.watch_promtool). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fixtures/report/mkrun.h"
#include "watch.h"

#define S 1000000LL /* µs per second */

/* ---- schedule ------------------------------------------------------------------------------ */

static void test_sched_full_checks(void **state)
{
	struct watch_sched s;
	enum watch_job job;

	(void)state;
	watch_sched_init(&s, 5 * S, 0, 100 * S);
	assert_int_equal(watch_sched_next(&s, &job), 100 * S);
	assert_int_equal(job, WATCH_FULL);
	/* on time: the next one is due an interval after this one started */
	assert_int_equal(watch_sched_done(&s, WATCH_FULL, 100 * S, 101 * S, 7), 0);
	assert_int_equal(watch_sched_next(&s, &job), 105 * S);
	assert_int_equal(job, WATCH_FULL); /* failures, but rechecks are off */
	/* 7 s for a 5 s interval: 2 s late, the next one starts as this one ends */
	assert_int_equal(watch_sched_done(&s, WATCH_FULL, 105 * S, 112 * S, 0), 2 * S);
	assert_int_equal(watch_sched_next(&s, &job), 112 * S);
	assert_int_equal(watch_sched_done(&s, WATCH_FULL, 112 * S, 113 * S, 0), 0);
	assert_int_equal(watch_sched_next(&s, &job), 117 * S);
}

static void test_sched_rechecks(void **state)
{
	struct watch_sched s;
	enum watch_job job;

	(void)state;
	watch_sched_init(&s, 10 * S, 2 * S, 0);
	watch_sched_done(&s, WATCH_FULL, 0, 1 * S, 3);
	assert_int_equal(watch_sched_next(&s, &job), 3 * S);
	assert_int_equal(job, WATCH_RECHECK);
	/* still failing: again 2 s after that one */
	watch_sched_done(&s, WATCH_RECHECK, 3 * S, 4 * S, 1);
	assert_int_equal(watch_sched_next(&s, &job), 6 * S);
	assert_int_equal(job, WATCH_RECHECK);
	/* recovered: nothing until the full check */
	watch_sched_done(&s, WATCH_RECHECK, 6 * S, 7 * S, 0);
	assert_int_equal(watch_sched_next(&s, &job), 10 * S);
	assert_int_equal(job, WATCH_FULL);
	/* a recheck that would fall at or after the full check is left to it */
	watch_sched_done(&s, WATCH_FULL, 10 * S, 18 * S, 5);
	assert_int_equal(watch_sched_next(&s, &job), 20 * S);
	assert_int_equal(job, WATCH_FULL);
	/* no failures, no recheck */
	watch_sched_done(&s, WATCH_FULL, 20 * S, 21 * S, 0);
	assert_int_equal(watch_sched_next(&s, &job), 30 * S);
	/* a configuration change drops a pending recheck */
	watch_sched_done(&s, WATCH_FULL, 30 * S, 31 * S, 1);
	watch_sched_drop_recheck(&s);
	assert_int_equal(watch_sched_next(&s, &job), 40 * S);
	assert_int_equal(job, WATCH_FULL);
}

static void test_sched_recheck_cap(void **state)
{
	struct watch_sched s;
	enum watch_job job;
	int64_t t = 0;
	int rechecks = 0;

	(void)state;
	watch_sched_init(&s, 3600 * S, 1 * S, 0);
	watch_sched_done(&s, WATCH_FULL, 0, 1, 1);
	while (watch_sched_next(&s, &job) < 3600 * S && job == WATCH_RECHECK) {
		t = s.next_recheck_us;
		watch_sched_done(&s, WATCH_RECHECK, t, t + 1, 1);
		rechecks++;
	}
	assert_int_equal(rechecks, WATCH_MAX_RECHECKS);
	assert_int_equal(job, WATCH_FULL);
}

/* ---- --listen ------------------------------------------------------------------------------ */

static void test_listen_parse(void **state)
{
	struct sockaddr_storage ss;
	struct err err = ERR_INIT;
	socklen_t len;

	(void)state;
	assert_int_equal(watch_listen_parse("127.0.0.1:9134", &ss, &len, &err), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9134);
	assert_int_equal(watch_listen_parse("[::1]:0", &ss, &len, &err), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(watch_listen_parse(":9134", &ss, &len, &err), 0);
	assert_int_equal(ss.ss_family, AF_INET6); /* every address, both families */
	assert_int_equal(watch_listen_parse("198.18.0.2:80", &ss, &len, &err), 0);

	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"9134", "is not ADDR:PORT"},	  {"localhost:9134", "names are not looked up"},
	    {"::1:9134", "in brackets"},	  {"[::1]:65536", "--listen port"},
	    {"1.2.3.4:", "--listen port"},	  {"[nope]:1", "not an IPv6 address"},
	    {"300.1.1.1:1", "not an IP address"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_clear(&err);
		assert_int_equal(watch_listen_parse(bad[i].in, &ss, &len, &err), -1);
		assert_int_equal(err.code, ERR_USAGE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: '%s' lacks '%s'", bad[i].in, err.msg, bad[i].msg);
		assert_null(strchr(err.msg, '\n'));
	}
}

/* ---- metrics of stored runs ------------------------------------------------------------------ */

static struct mk mk;

static int store_setup(void **state)
{
	(void)state;
	return mk_open(&mk) ? 0 : -1;
}

static int store_teardown(void **state)
{
	(void)state;
	mk_close(&mk);
	return 0;
}

/* east/n2 fails everything to and from it, over every protocol */
static int fault_bad_node(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if ((!strcmp(r->src_cluster, "east") && r->src_node == 2) ||
	    (!strcmp(r->dst_cluster, "east") && r->dst_node == 2))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

/* a recheck of the bad node's pairs: only those from east/n2 to west/n1 pass now */
static int fault_recheck(const struct mk_row *r, void *ctx)
{
	bool involved = (!strcmp(r->src_cluster, "east") && r->src_node == 2) ||
			(!strcmp(r->dst_cluster, "east") && r->dst_node == 2);

	(void)ctx;
	if (!involved)
		return -1;
	if (!strcmp(r->src_cluster, "east") && !strcmp(r->dst_cluster, "west") && r->dst_node == 1)
		return PROBE_OK;
	return PROBE_TIMEOUT;
}

static const struct mk_spec two_clusters = {
    .clusters = {"east", "west"},
    .nodes = {3, 2},
    .in_cluster = true,
    .cross = true,
    .record_pairs = true,
};

static struct watch_check full_check(int64_t run)
{
	struct watch_check c = {.job = WATCH_FULL,
				.run_id = run,
				.status = STORE_RUN_DONE,
				.results = 60,
				.failed = 24,
				.api_requests = 17,
				.rollout_ms = 1500,
				.probe_ms = 250,
				.total_ms = 2000,
				.end_wall_ms = 1796645786500LL};

	return c;
}

static char *render(const struct watch_metrics *m)
{
	struct err err = ERR_INIT;
	struct buf b;

	buf_init(&b, 0);
	if (watch_metrics_render(m, &b, &err) < 0)
		fail_msg("render: %s", err.msg);
	return buf_steal(&b);
}

static void assert_line(const char *text, const char *line)
{
	char *want = xasprintf("\n%s\n", line);

	if (!strstr(text, want))
		fail_msg("no line '%s' in:\n%s", line, text);
	free(want);
}

static void assert_no(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("'%s' should not be in:\n%s", part, text);
}

static void test_metrics_full_check(void **state)
{
	struct mk_spec sp = two_clusters;
	struct watch_metrics *m = watch_metrics_new(5000, 0, 1796645700000LL);
	struct watch_check c;
	struct err err = ERR_INIT;
	int64_t run;
	char *t;

	(void)state;
	sp.fault = fault_bad_node;
	run = mk_run(&mk, &sp);
	c = full_check(run);
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	watch_metrics_set_store(m, 1, 123456, 0);
	t = render(m);
	/* east -> east: 3 nodes, 6 ordered pairs per protocol, 4 of them touch n2 */
	assert_line(t, "netctl_pairs_checked{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 6");
	assert_line(t, "netctl_pairs_failed{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 4");
	/* 4 probes sent per result, none back for the failed ones: 4 of 6 lost */
	assert_line(t, "netctl_pair_loss_ratio{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"icmp\",family=\"4\",network=\"pod\"} 0.6666666666666667");
	/* west -> west: 2 pairs, none failed, every RTT between 200 and 500 µs */
	assert_line(t, "netctl_pairs_failed{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\"} 0");
	assert_line(t, "netctl_pair_rtt_seconds_bucket{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\",le=\"0.0002\"} 0");
	assert_line(t, "netctl_pair_rtt_seconds_bucket{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\",le=\"0.0005\"} 2");
	assert_line(t, "netctl_pair_rtt_seconds_bucket{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\",le=\"+Inf\"} 2");
	/* 200 + 10 * src + dst µs: 212 + 221 */
	assert_line(t, "netctl_pair_rtt_seconds_sum{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\"} 0.000433");
	assert_line(t, "netctl_pair_rtt_seconds_count{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\"} 2");
	/* the bad node: 4 peers x 3 protocols each way */
	assert_line(t, "netctl_node_failing_pairs{cluster=\"east\",node=\"n2\",direction=\"from\"} "
		       "12");
	assert_line(t,
		    "netctl_node_failing_pairs{cluster=\"east\",node=\"n2\",direction=\"to\"} 12");
	assert_line(t,
		    "netctl_node_failing_pairs{cluster=\"west\",node=\"n1\",direction=\"to\"} 3");
	assert_line(t, "netctl_verdict{kind=\"bad-node\",cluster=\"east\",node=\"n2\"} 1");
	assert_line(t, "netctl_last_check_run_id 1");
	assert_line(t, "netctl_last_check_timestamp_seconds 1796645786.5");
	assert_line(t, "netctl_check_duration_seconds{phase=\"rollout\"} 1.5");
	assert_line(t, "netctl_check_api_requests 17");
	assert_line(t, "netctl_checks_total{kind=\"full\",status=\"done\"} 1");
	assert_line(t, "netctl_store_size_bytes 123456");
	assert_no(t, "netctl_recheck_pairs");
	/* not sampling: the window is this check, every pair probed */
	assert_line(t, "netctl_sample_size 0");
	assert_line(t,
		    "netctl_sample_rotation_checks{src_cluster=\"east\",dst_cluster=\"west\"} 1");
	assert_line(t, "netctl_window_rotation_checks 1");
	assert_line(t, "netctl_window_checks 1");
	assert_line(t, "netctl_window_run_id 1");
	assert_line(t, "netctl_window_pairs{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 6");
	assert_line(t, "netctl_window_pairs_probed{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 6");
	assert_line(t, "netctl_window_pairs_failed{src_cluster=\"east\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 4");
	assert_line(t, "netctl_window_pairs_failed{src_cluster=\"west\",dst_cluster=\"west\","
		       "protocol=\"udp\",family=\"4\",network=\"pod\"} 0");
	free(t);
	watch_metrics_free(m);
}

/* --sample 2 over east:4 <-> west:4: a round probes the pairs of one parity (src + dst), so
 * two checks make a rotation; east/n1 -> west/n1 (even) fails in the first round. */
struct sampled {
	int round;
	bool fail_e1w1;
};

static int fault_sampled(const struct mk_row *r, void *ctx)
{
	const struct sampled *s = ctx;

	if ((r->src_node + r->dst_node) % 2 != s->round % 2)
		return -1;
	if (s->fail_e1w1 && !strcmp(r->src_cluster, "east") && r->src_node == 1 && r->dst_node == 1)
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

/* the recheck of the first round: only east/n1 -> west/n1, still failing */
static int fault_sampled_recheck(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (strcmp(r->src_cluster, "east") || r->src_node != 1 || r->dst_node != 1)
		return -1;
	return PROBE_TIMEOUT;
}

static const char *const EW = "{src_cluster=\"east\",dst_cluster=\"west\",protocol=\"tcp\","
			      "family=\"4\",network=\"pod\"} ";

static void assert_window(const char *t, int pairs, int probed, int failed, int checks)
{
	char line[256];

	snprintf(line, sizeof(line), "netctl_window_pairs%s%d", EW, pairs);
	assert_line(t, line);
	snprintf(line, sizeof(line), "netctl_window_pairs_probed%s%d", EW, probed);
	assert_line(t, line);
	snprintf(line, sizeof(line), "netctl_window_pairs_failed%s%d", EW, failed);
	assert_line(t, line);
	snprintf(line, sizeof(line), "netctl_window_checks %d", checks);
	assert_line(t, line);
	assert_line(t, "netctl_window_rotation_checks 2");
}

static void test_metrics_sampled_window(void **state)
{
	struct sampled s = {.round = 0, .fail_e1w1 = true};
	struct mk_spec sp = {.clusters = {"east", "west"},
			     .nodes = {4, 4},
			     .cross = true,
			     .protocols = 1u << PROTO_TCP,
			     .record_pairs = true,
			     .sample = 2,
			     .fault = fault_sampled,
			     .ctx = &s};
	struct watch_metrics *m = watch_metrics_new(5000, 1000, 1796645700000LL);
	struct watch_check c;
	struct err err = ERR_INIT;
	int64_t first;
	char *t;

	(void)state;
	/* round 0: half the pairs, one failed */
	first = mk_run(&mk, &sp);
	c = full_check(first);
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_line(t, "netctl_sample_size 2");
	assert_line(t, "netctl_sample_round 0");
	assert_line(t,
		    "netctl_sample_rotation_checks{src_cluster=\"east\",dst_cluster=\"west\"} 2");
	assert_line(t,
		    "netctl_sample_rotation_checks{src_cluster=\"west\",dst_cluster=\"east\"} 2");
	assert_no(t, "netctl_sample_rotation_checks{src_cluster=\"east\",dst_cluster=\"east\"}");
	assert_line(t, "netctl_pairs_checked{src_cluster=\"east\",dst_cluster=\"west\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 8");
	assert_window(t, 16, 8, 1, 1);
	free(t);

	/* its recheck: still failing; a recheck is no check of the rotation */
	sp.fault = fault_sampled_recheck;
	sp.parent = first;
	c = (struct watch_check){.job = WATCH_RECHECK,
				 .run_id = mk_run(&mk, &sp),
				 .status = STORE_RUN_DONE,
				 .results = 1,
				 .failed = 1};
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_window(t, 16, 8, 1, 1);
	assert_line(t, "netctl_window_run_id 2");
	free(t);

	/* round 1: the other half; the rotation is whole, the failure stays in it */
	s = (struct sampled){.round = 1};
	sp.fault = fault_sampled;
	sp.parent = 0;
	sp.sample_round = 1;
	c = full_check(mk_run(&mk, &sp));
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_line(t, "netctl_sample_round 1");
	assert_window(t, 16, 16, 1, 2);
	assert_line(t, "netctl_window_pairs_probed{src_cluster=\"west\",dst_cluster=\"east\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 16");
	free(t);

	/* round 2 probes east/n1 -> west/n1 again and it passes: the window is rounds 1 and 2,
	 * the first round and its recheck are out of it */
	s = (struct sampled){.round = 2};
	sp.sample_round = 2;
	c = full_check(mk_run(&mk, &sp));
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_window(t, 16, 16, 0, 2);
	assert_line(t, "netctl_window_run_id 4");
	free(t);
	watch_metrics_free(m);
}

static void test_window_due(void **state)
{
	(void)state;
	/* cheap: after every check */
	assert_true(watch_window_due(1000, 5000, 0));
	assert_true(watch_window_due(500000, 5000, 0)); /* exactly a tenth of 5 s */
	/* 1.2 s of a 5 s interval: every third check (3 x 0.5 s >= 1.2 s) */
	assert_false(watch_window_due(1200000, 5000, 0));
	assert_false(watch_window_due(1200000, 5000, 1));
	assert_true(watch_window_due(1200000, 5000, 2));
}

static void test_metrics_recheck_and_next_check(void **state)
{
	struct mk_spec sp = two_clusters;
	struct watch_metrics *m = watch_metrics_new(5000, 1000, 1796645700000LL);
	struct watch_check c;
	struct err err = ERR_INIT;
	int64_t full, recheck;
	char *t;

	(void)state;
	sp.fault = fault_bad_node;
	full = mk_run(&mk, &sp);
	c = full_check(full);
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	sp.fault = fault_recheck;
	sp.parent = full;
	recheck = mk_run(&mk, &sp);
	c = (struct watch_check){.job = WATCH_RECHECK,
				 .run_id = recheck,
				 .status = STORE_RUN_DONE,
				 .results = 24,
				 .failed = 21,
				 .end_wall_ms = 1796645790000LL};
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	/* the merged view: east/n2 -> west/n1 passes now (3 protocols) */
	assert_line(t, "netctl_node_failing_pairs{cluster=\"east\",node=\"n2\",direction=\"from\"} "
		       "9");
	assert_line(t, "netctl_pairs_failed{src_cluster=\"east\",dst_cluster=\"west\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 1");
	assert_line(t, "netctl_recheck_pairs{outcome=\"recovered\"} 3");
	assert_line(t, "netctl_recheck_pairs{outcome=\"still-failing\"} 21");
	assert_line(t, "netctl_checks_total{kind=\"recheck\",status=\"done\"} 1");
	/* a recheck is no completed full check, and its RTTs are not observed */
	assert_line(t, "netctl_last_check_run_id 1");
	assert_line(t, "netctl_pair_rtt_seconds_count{src_cluster=\"east\",dst_cluster=\"west\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 4");
	/* every result to east/n2 still fails: it stays a bad node (one way now) */
	assert_line(t, "netctl_verdict{kind=\"bad-node\",cluster=\"east\",node=\"n2\"} 1");
	free(t);

	/* the next full check is healthy: verdicts and per-node counts follow it, the
	 * histogram adds to what it had */
	sp.fault = NULL;
	sp.parent = 0;
	c = full_check(mk_run(&mk, &sp));
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_line(t, "netctl_verdict{kind=\"healthy\"} 1");
	assert_line(t, "netctl_node_failing_pairs{cluster=\"east\",node=\"n2\",direction=\"from\"} "
		       "0");
	assert_line(t, "netctl_pair_rtt_seconds_count{src_cluster=\"east\",dst_cluster=\"west\","
		       "protocol=\"tcp\",family=\"4\",network=\"pod\"} 10");
	assert_line(t, "netctl_last_check_run_id 3");
	free(t);
	watch_metrics_free(m);
}

static void test_metrics_failed_check_keeps_gauges(void **state)
{
	struct mk_spec sp = two_clusters;
	struct watch_metrics *m = watch_metrics_new(5000, 0, 1796645700000LL);
	struct watch_check c;
	struct err err = ERR_INIT;
	char *t;

	(void)state;
	c = full_check(mk_run(&mk, &sp));
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	c = (struct watch_check){.job = WATCH_FULL,
				 .run_id = 0,
				 .status = STORE_RUN_FAILED,
				 .total_ms = 30000,
				 .late = true};
	assert_int_equal(watch_metrics_add_check(m, mk.st, &c, &err), 0);
	t = render(m);
	assert_line(t, "netctl_checks_total{kind=\"full\",status=\"failed\"} 1");
	assert_line(t, "netctl_checks_late_total 1");
	assert_line(t, "netctl_last_check_timestamp_seconds 1796645786.5");
	assert_line(t, "netctl_check_duration_seconds{phase=\"total\"} 30");
	assert_line(t, "netctl_verdict{kind=\"healthy\"} 1");
	free(t);
	watch_metrics_free(m);
}

/* The metrics of test_metrics_recheck_and_next_check's first two checks, for promtool. */
static int write_metrics(const char *path)
{
	struct mk_spec sp = two_clusters;
	struct watch_metrics *m = watch_metrics_new(5000, 1000, 1796645700000LL);
	struct err err = ERR_INIT;
	struct watch_check c;
	struct buf b;
	FILE *f;
	int rc = 1;

	buf_init(&b, 0);
	if (!mk_open(&mk))
		return 1;
	sp.fault = fault_bad_node;
	c = full_check(mk_run(&mk, &sp));
	if (watch_metrics_add_check(m, mk.st, &c, &err) < 0)
		goto out;
	sp.fault = fault_recheck;
	sp.parent = c.run_id;
	c = (struct watch_check){
	    .job = WATCH_RECHECK, .status = STORE_RUN_DONE, .results = 24, .failed = 21};
	c.run_id = mk_run(&mk, &sp);
	watch_metrics_set_store(m, 2, 200000, 0);
	if (watch_metrics_add_check(m, mk.st, &c, &err) < 0 ||
	    watch_metrics_render(m, &b, &err) < 0)
		goto out;
	f = fopen(path, "w");
	if (f && fputs(buf_str(&b), f) >= 0 && fclose(f) == 0)
		rc = 0;
out:
	if (rc)
		fprintf(stderr, "test_watch --write-metrics %s: %s\n", path, err.msg);
	buf_release(&b);
	watch_metrics_free(m);
	mk_close(&mk);
	return rc;
}

/* ---- the HTTP server --------------------------------------------------------------------- */

static int connect_to(const struct watch_httpd *h)
{
	const char *addr = watch_httpd_address(h);
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Sends req and reads until the peer closes or `answers` responses arrived (counted by
 * their status lines); returns what came back (heap). */
static char *exchange(int fd, const char *req, int answers)
{
	struct buf b;
	char chunk[4096];

	buf_init(&b, 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n;
		int seen = 0;

		for (const char *p = buf_str(&b); (p = strstr(p, "HTTP/1.1 ")); p++)
			seen++;
		if (seen >= answers) {
			const char *last = buf_str(&b), *p;
			const char *len;

			while ((p = strstr(last + 1, "HTTP/1.1 ")))
				last = p;
			len = strstr(last, "Content-Length: ");
			if (len && strstr(last, "\r\n\r\n")) {
				size_t body = strtoul(len + 16, NULL, 10);
				const char *start = strstr(last, "\r\n\r\n") + 4;

				if ((size_t)(buf_str(&b) + b.len - start) >= body)
					break;
			}
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		(void)!buf_append(&b, chunk, (size_t)n);
	}
	return buf_steal(&b);
}

static char *get(struct watch_httpd *h, const char *req)
{
	int fd = connect_to(h);
	char *r = exchange(fd, req, 1);

	close(fd);
	return r;
}

static void test_httpd(void **state)
{
	struct err err = ERR_INIT;
	struct watch_httpd *h = watch_httpd_start("127.0.0.1:0", 60000, &err);
	struct buf b;
	char *r;
	int fd;

	(void)state;
	assert_non_null(h);
	assert_true(str_has_prefix(watch_httpd_address(h), "127.0.0.1:"));
	buf_init(&b, 0);
	(void)!buf_puts(&b, "# HELP x X.\n# TYPE x gauge\nx 1\n");
	watch_httpd_publish(h, &b);
	assert_int_equal(b.len, 0);

	r = get(h, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "Content-Length: 31\r\n"));
	assert_true(str_has_suffix(r, "\r\n\r\n# HELP x X.\n# TYPE x gauge\nx 1\n"));
	free(r);

	r = get(h, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 200 OK\r\n"));
	assert_true(str_has_suffix(r, "\r\n\r\n")); /* no body */
	free(r);

	r = get(h, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 200 OK\r\n"));
	assert_true(str_has_suffix(r, "\r\n\r\nok\n"));
	free(r);

	r = get(h, "GET /metricsx?a=b HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 404 "));
	free(r);
	r = get(h, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 405 "));
	assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
	free(r);
	r = get(h, "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	assert_true(str_has_prefix(r, "HTTP/1.1 400 "));
	free(r);
	r = get(h, "GET /metrics HTTP/1.1\nHost: bare-lf\n\n\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 400 "));
	free(r);

	/* keep-alive, two requests in one write (pipelined): two answers, in order */
	fd = connect_to(h);
	r = exchange(
	    fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
	    2);
	assert_non_null(strstr(r, "\r\n\r\nok\nHTTP/1.1 200 OK\r\n"));
	assert_true(str_has_suffix(r, "x 1\n"));
	free(r);
	/* and the connection still answers */
	r = exchange(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 1);
	assert_true(str_has_prefix(r, "HTTP/1.1 200 OK\r\n"));
	free(r);
	close(fd);
	assert_int_equal(watch_httpd_requests(h), 9);
	watch_httpd_free(h);
}

static void test_httpd_head_too_large(void **state)
{
	struct err err = ERR_INIT;
	struct watch_httpd *h = watch_httpd_start("127.0.0.1:0", 60000, &err);
	struct buf req;
	char *r;

	(void)state;
	assert_non_null(h);
	buf_init(&req, 0);
	(void)!buf_puts(&req, "GET /metrics HTTP/1.1\r\n");
	while (req.len < 20000)
		(void)!buf_puts(&req, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	(void)!buf_puts(&req, "\r\n");
	r = get(h, buf_str(&req));
	assert_true(str_has_prefix(r, "HTTP/1.1 431 "));
	free(r);
	buf_release(&req);
	watch_httpd_free(h);
}

static void test_httpd_stale(void **state)
{
	struct err err = ERR_INIT;
	struct watch_httpd *h = watch_httpd_start("127.0.0.1:0", 100, &err);
	char *r;

	(void)state;
	assert_non_null(h);
	usleep(250000);
	r = get(h, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 503 "));
	assert_non_null(strstr(r, "stalled: the watch loop made no progress"));
	free(r);
	watch_httpd_beat(h);
	r = get(h, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 200 "));
	free(r);
	/* nothing published yet: an empty exposition, still 200 */
	r = get(h, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(str_has_prefix(r, "HTTP/1.1 200 "));
	assert_non_null(strstr(r, "Content-Length: 0\r\n"));
	free(r);
	watch_httpd_free(h);
}

static void test_httpd_bind_error(void **state)
{
	struct err err = ERR_INIT;
	struct watch_httpd *a = watch_httpd_start("127.0.0.1:0", 100, &err);
	struct watch_httpd *b;

	(void)state;
	assert_non_null(a);
	b = watch_httpd_start(watch_httpd_address(a), 100, &err);
	assert_null(b);
	assert_int_equal(err.code, ERR_IO);
	assert_non_null(strstr(err.msg, "Address already in use"));
	watch_httpd_free(a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_full_checks),
	    cmocka_unit_test(test_sched_rechecks),
	    cmocka_unit_test(test_sched_recheck_cap),
	    cmocka_unit_test(test_listen_parse),
	    cmocka_unit_test_setup_teardown(test_metrics_full_check, store_setup, store_teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_recheck_and_next_check, store_setup,
					    store_teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_failed_check_keeps_gauges, store_setup,
					    store_teardown),
	    cmocka_unit_test_setup_teardown(test_metrics_sampled_window, store_setup,
					    store_teardown),
	    cmocka_unit_test(test_window_due),
	    cmocka_unit_test(test_httpd),
	    cmocka_unit_test(test_httpd_head_too_large),
	    cmocka_unit_test(test_httpd_stale),
	    cmocka_unit_test(test_httpd_bind_error),
	};

	if (argc == 3 && !strcmp(argv[1], "--write-metrics"))
		return write_metrics(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
