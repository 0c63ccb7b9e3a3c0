/* store: sampling series, windows over runs and coverage (window.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

#define OPTIONS                                                                                    \
	"{\"clusters\":[{\"name\":\"east\",\"src\":true,\"dst\":false},"                           \
	"{\"name\":\"west\",\"src\":false,\"dst\":true}],\"cluster_pairs_n\":2,"                   \
	"\"cluster_pairs\":[false,true,true,false]}"

/* A run east -> west and back with nodes e-0..e-3, w-0..w-3 and the given results. */
static int64_t run_with(struct fx *f, unsigned protocols, const int (*pairs)[3], size_t n)
{
	struct store_run_cluster cl[] = {{f->east, STORE_ROLE_SRC}, {f->west, STORE_ROLE_DST}};
	struct store_run_spec spec = {.options_json = OPTIONS,
				      .protocols = protocols,
				      .families = STORE_FAMILY_V4,
				      .networks = 1u << STORE_NET_POD,
				      .clusters = cl,
				      .n_clusters = 2,
				      .planned = 32};
	struct store_node nodes[8];
	char names[8][32];
	struct err err = ERR_INIT;
	int64_t id = store_run_begin(f->st, &spec, &err);

	assert_true(id > 0);
	for (int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%d", i < 4 ? "e" : "w", i % 4);
		nodes[i] = (struct store_node){.cluster_id = i < 4 ? f->east : f->west,
					       .name = names[i],
					       .pod_ipv4 = "198.18.1.1",
					       .floater = STORE_FLOATER_READY};
	}
	assert_int_equal(store_run_nodes_add(f->st, id, nodes, 8, &err), 0);
	for (int i = 0; i < 4; i++) {
		f->e[i] = nodes[i].id;
		f->w[i] = nodes[4 + i].id;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_result r =
		    fx_result(f->e[pairs[i][0]], f->w[pairs[i][1]], pairs[i][2], 700);

		fx_add(f, id, &r, 1);
	}
	fx_finish(f, id);
	return id;
}

static void test_sample_series_count_rounds(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	uint64_t r = 99;

	fx_open_world(f);
	for (uint64_t want = 0; want < 3; want++) {
		assert_int_equal(store_sample_next(f->st, "clusters=east:3;sample=10", &r, &err),
				 0);
		assert_int_equal(r, want);
	}
	assert_int_equal(store_sample_next(f->st, "clusters=east:3;sample=20", &r, &err), 0);
	assert_int_equal(r, 0); /* another series starts at round 0 */
}

static void test_window_merges_comparable_runs_newest_wins(void **state)
{
	static const int one[][3] = {{0, 0, PROBE_OK}, {0, 1, PROBE_TIMEOUT}};
	static const int two[][3] = {{0, 1, PROBE_OK}, {1, 0, PROBE_OK}};
	static const int other[][3] = {{2, 2, PROBE_OK}};
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_coverage_query q = {0};
	struct store_coverage c;
	struct store_window w = {.runs = 2};
	struct store_results_query rq = {.merged = true};
	struct buf b;
	int64_t r1, r2;

	fx_open_world(f);
	r1 = run_with(f, 1u << PROTO_TCP, one, 2);
	run_with(f, 1u << PROTO_ICMP, other, 1); /* not comparable: another protocol */
	r2 = run_with(f, 1u << PROTO_TCP, two, 2);
	/* without a window: the run alone */
	assert_int_equal(store_coverage(f->st, r2, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.all, 32); /* 4 x 4 each way, tcp, IPv4, pod */
	assert_int_equal(c.seen, 2);
	store_set_window(f->st, &w);
	assert_int_equal(store_coverage(f->st, r2, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 2);
	assert_int_equal(c.seen, 3);
	assert_int_equal(c.failed, 0); /* e-0 > w-1 failed in run 1, passes in run 2 */
	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, r2, &rq, fx_collect_rows, &b, &err), 0);
	assert_string_equal(buf_str(&b),
			    "east/e-0>west/w-0 tcp ok 700;east/e-0>west/w-1 tcp ok 700;"
			    "east/e-1>west/w-0 tcp ok 700;");
	buf_release(&b);
	/* --dst east: the west -> east pairs, none probed */
	q.dst_cluster = "east";
	assert_int_equal(store_coverage(f->st, r2, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.all, 16);
	assert_int_equal(c.seen, 0);
	/* a window in time: run 1 started two hours before run 2 */
	fx_sql(f->path, "UPDATE runs SET started_ms = started_ms - 7200000 WHERE id = 1");
	q.dst_cluster = NULL;
	w = (struct store_window){.ms = 3600 * 1000};
	store_set_window(f->st, &w);
	assert_int_equal(store_coverage(f->st, r2, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.seen, 2);
	store_set_window(f->st, NULL);
	assert_int_equal(store_coverage(f->st, r1, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.seen, 2);
	assert_int_equal(c.failed, 1);
}

static int group_line(const struct store_coverage_group *g, void *ctx)
{
	(void)!buf_printf(ctx, "%s>%s %s/%u/%s %lld/%lld/%lld nodes %lld>%lld;", g->src_cluster,
			  g->dst_cluster, probe_protocol_name(g->protocol), g->family,
			  store_network_name(g->network), (long long)g->seen, (long long)g->all,
			  (long long)g->failed, (long long)g->src_nodes, (long long)g->dst_nodes);
	return 0;
}

/* watch's window over a rotation: --runs counts checks, a resume (a recheck) comes along with
 * the check it resumes; per group figures from the same walk */
static void test_window_counts_checks_and_groups(void **state)
{
	static const int one[][3] = {{0, 0, PROBE_TIMEOUT}, {0, 1, PROBE_OK}};
	static const int recheck[][3] = {{0, 0, PROBE_TIMEOUT}};
	static const int two[][3] = {{1, 0, PROBE_OK}, {1, 1, PROBE_OK}};
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct buf b;
	struct store_coverage_query q = {.group_cb = group_line};
	struct store_coverage c;
	struct store_window w = {.runs = 2};
	int64_t r1, r2;

	fx_open_world(f);
	r1 = run_with(f, 1u << PROTO_TCP, one, 2);
	run_with(f, 1u << PROTO_TCP, recheck, 1);
	fx_sql(f->path, "UPDATE runs SET parent_id = 1 WHERE id = 2");
	r2 = run_with(f, 1u << PROTO_TCP, two, 2);
	assert_int_equal(r1, 1);
	assert_int_equal(r2, 3);
	/* the last two runs: the recheck and run 3; run 1's e-0 > w-1 is missing */
	store_set_window(f->st, &w);
	assert_int_equal(
	    store_coverage(f->st, r2, &(struct store_coverage_query){0}, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 2);
	assert_int_equal(c.checks, 1);
	assert_int_equal(c.seen, 3);
	/* the last two checks: runs 1, 2 and 3 */
	w.checks = true;
	store_set_window(f->st, &w);
	buf_init(&b, 0);
	q.group_ctx = &b;
	assert_int_equal(store_coverage(f->st, r2, &q, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 3);
	assert_int_equal(c.checks, 2);
	assert_int_equal(c.seen, 4);
	assert_int_equal(c.failed, 1);
	assert_string_equal(buf_str(&b), "east>west tcp/4/pod 4/16/1 nodes 4>4;"
					 "west>east tcp/4/pod 0/16/0 nodes 4>4;");
	/* one check: run 1 is out, its recheck too */
	w.runs = 1;
	store_set_window(f->st, &w);
	assert_int_equal(
	    store_coverage(f->st, r2, &(struct store_coverage_query){0}, NULL, NULL, &c, &err), 0);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.seen, 2);
	assert_int_equal(c.failed, 0);
	store_set_window(f->st, NULL);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sample_series_count_rounds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_window_merges_comparable_runs_newest_wins,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_window_counts_checks_and_groups, fx_setup,
					    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
