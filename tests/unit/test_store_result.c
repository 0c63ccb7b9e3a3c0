/* store: results. Batches that repeat keys, the failures of a run, a resume read merged
 * (result.c, cursor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

/* Every key of the 4 x 4 world: 16 pairs x 3 protocols x 2 families x 4 networks. */
static struct store_result key_row(struct fx *f, int k, int error)
{
	struct store_result r = fx_result(f->e[k % 4], f->w[(k / 4) % 4], error, 100);

	r.protocol = (uint8_t)((k / 16) % 3);
	r.family = (k / 48) % 2 ? 6 : 4;
	r.network = (uint8_t)((k / 96) % 4);
	return r;
}

/* Large batches (written many rows per statement) that repeat keys, within a batch and
 * across batches, still store one row per key, the last one, with exact counters. */
static void test_large_batches_with_repeated_keys(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {0};
	struct store_result rows[300];
	struct store_run_info *r;
	int64_t run;
	int seen[3] = {0, 0, 0};

	fx_open_world(f);
	run = fx_begin_run(f, 0, 7);
	for (int k = 0; k < 200; k++)
		rows[k] = key_row(f, k, k % 10 ? PROBE_OK : PROBE_TIMEOUT); /* 20 failed */
	fx_add(f, run, rows, 200);
	/* 100 new keys, then keys 0..99 again: all passing now; key 250 twice, failing last. */
	for (int k = 0; k < 100; k++) {
		rows[k] = key_row(f, 200 + k, PROBE_OK);
		rows[100 + k] = key_row(f, k, PROBE_OK);
		rows[100 + k].rtt_avg_us = 777;
	}
	rows[200] = key_row(f, 250, PROBE_REFUSED);
	fx_add(f, run, rows, 201);
	r = store_run_get(f->st, run, &err);
	assert_non_null(r);
	assert_int_equal(r->results, 300);
	assert_int_equal(r->failed, 10 + 1); /* keys 100..199 with k % 10 == 0, and key 250 */
	store_run_info_free(r);
	assert_int_equal(store_results_foreach(f->st, run, &q, fx_count_failed, seen, &err), 0);
	assert_int_equal(seen[0], 300);
	assert_int_equal(seen[1], 11);
	assert_int_equal(seen[2], 100); /* every repeated key holds its last row */
}

/* The failures of a run come from a key walk plus a lookup per failure: the figures must
 * be the stored ones, and in a merged view a failure a resume has since passed is gone. */
static void test_failed_only_walk(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.failed_only = true};
	struct store_result rows[3];
	struct buf b;
	int64_t p, c;

	fx_open_world(f);
	p = fx_begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = fx_result(f->e[0], f->w[1], PROBE_OK, 700);
	rows[1].error = PROBE_LOSS;
	rows[1].received = 2;
	rows[2] = fx_result(f->e[1], f->w[0], PROBE_REFUSED, 0);
	fx_add(f, p, rows, 3);
	fx_finish(f, p);
	c = fx_begin_run(f, p, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[1], f->w[0], PROBE_OK, 200);
	fx_add(f, c, rows, 1);
	fx_finish(f, c);

	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, p, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp loss 700;"
				    "east/e-1>west/w-0 tcp refused 0;");
	buf_reset(&b);
	q.merged = true;
	assert_int_equal(store_results_foreach(f->st, c, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp loss 700;");
	buf_release(&b);
}

/* A resume holds only the re-probed pairs; read merged it is a whole run, and a diff
 * against its parent shows exactly the recoveries. */
static void test_resume_reads_merged(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.merged = true, .failed_only = true};
	struct store_diff_summary sum;
	struct buf b;
	int64_t p, c, g;
	struct store_result rows[3];

	fx_open_world(f);
	p = fx_begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = fx_result(f->e[0], f->w[1], PROBE_TIMEOUT, 0);
	rows[2] = fx_result(f->e[1], f->w[0], PROBE_AGENT_LOST, 0);
	fx_add(f, p, rows, 3);
	fx_finish(f, p);

	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, p, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp timeout 0;"
				    "east/e-1>west/w-0 tcp agent-lost 0;");

	c = fx_begin_run(f, p, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[1], f->w[0], PROBE_OK, 200);
	fx_add(f, c, rows, 1);
	fx_finish(f, c);
	g = fx_begin_run(f, c, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[0], f->w[1], PROBE_OK, 300);
	fx_add(f, g, rows, 1);
	fx_finish(f, g);

	buf_reset(&b);
	q.failed_only = false;
	assert_int_equal(store_results_foreach(f->st, g, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-0 tcp ok 100;"
				    "east/e-0>west/w-1 tcp ok 300;"
				    "east/e-1>west/w-0 tcp ok 200;");
	buf_reset(&b);
	q.merged = false;
	assert_int_equal(store_results_foreach(f->st, g, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp ok 300;");
	buf_release(&b);

	assert_int_equal(store_diff(f->st, 0, 0, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.run_a, c);
	assert_int_equal(sum.run_b, g);
	assert_int_equal(store_diff(f->st, p, g, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.total.n[STORE_DIFF_RECOVERY], 2);
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_VANISHED], 0);
	assert_int_equal(sum.total.n[STORE_DIFF_NEW], 0);
}

static void count_warning(void *arg, const char *text)
{
	(void)!buf_printf(arg, "%s;", text);
}

/* A parent gone from the store (a file edited by hand): the merged view starts at the gap,
 * the store says so once through its warning callback, and nothing fails. */
static void test_chain_gap_warns_once(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.merged = true};
	struct buf rows, warnings;
	struct store_result r;
	char text[80];
	int64_t p, c;

	fx_open_world(f);
	p = fx_begin_run(f, 0, 1u << PROTO_TCP);
	fx_finish(f, p);
	c = fx_begin_run(f, p, 1u << PROTO_TCP);
	r = fx_result(f->e[0], f->w[0], PROBE_OK, 100);
	fx_add(f, c, &r, 1);
	fx_finish(f, c);
	snprintf(text, sizeof(text), "UPDATE runs SET parent_id = 99 WHERE id = %lld",
		 (long long)c);
	fx_sql(f->path, text);

	buf_init(&rows, 0);
	buf_init(&warnings, 0);
	store_set_warn(f->st, count_warning, &warnings);
	for (int i = 0; i < 2; i++)
		assert_int_equal(store_results_foreach(f->st, c, &q, fx_collect_rows, &rows, &err),
				 0);
	assert_string_equal(rows.data,
			    "east/e-0>west/w-0 tcp ok 100;east/e-0>west/w-0 tcp ok 100;");
	snprintf(text, sizeof(text), "run %lld resumes run 99, which is no longer in the store",
		 (long long)c);
	assert_non_null(strstr(warnings.data, text));
	assert_int_equal(strchr(warnings.data, ';') - warnings.data + 1, (long)warnings.len);
	buf_release(&rows);
	buf_release(&warnings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_large_batches_with_repeated_keys, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_failed_only_walk, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_resume_reads_merged, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_chain_gap_warns_once, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
