/* store: the diff of two runs (diff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

struct diff_log {
	struct buf rows;
	struct buf groups;
};

static int diff_row(const struct store_diff_row *row, void *ctx)
{
	struct diff_log *l = ctx;

	(void)!buf_printf(&l->rows, "%s %s>%s", store_diff_kind_name(row->kind), row->src_name,
			  row->dst_name);
	if (row->a)
		(void)!buf_printf(&l->rows, " a=%s", probe_error_name(row->a->error));
	if (row->b)
		(void)!buf_printf(&l->rows, " b=%s", probe_error_name(row->b->error));
	(void)!buf_puts(&l->rows, ";");
	return 0;
}

static int diff_group(const struct store_diff_counts *g, void *ctx)
{
	struct diff_log *l = ctx;

	(void)!buf_printf(&l->groups, "%s>%s reg=%lld rec=%lld same=%lld;", g->src_cluster,
			  g->dst_cluster, (long long)g->n[STORE_DIFF_REGRESSION],
			  (long long)g->n[STORE_DIFF_RECOVERY], (long long)g->n[STORE_DIFF_SAME]);
	return 0;
}

static void test_diff_kinds_on_hand_made_runs(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_opts opts = {.rtt_abs_us = 1000, .rtt_pct = 50};
	struct store_diff_summary sum;
	struct diff_log l;
	int64_t a, b;

	fx_open_world(f);
	a = fx_begin_run(f, 0, 1u << PROTO_TCP);
	{
		struct store_result rows[] = {
		    fx_result(f->e[0], f->w[0], PROBE_OK, 100),	   /* same */
		    fx_result(f->e[0], f->w[1], PROBE_OK, 100),	   /* regression */
		    fx_result(f->e[0], f->w[2], PROBE_TIMEOUT, 0), /* recovery */
		    fx_result(f->e[0], f->w[3], PROBE_REFUSED, 0), /* still failing */
		    fx_result(f->e[1], f->w[0], PROBE_OK, 100),	   /* vanished */
		    fx_result(f->e[2], f->w[0], PROBE_OK, 1000),   /* rtt change */
		    fx_result(f->e[2], f->w[1], PROBE_OK, 1000),   /* small rtt change: same */
		};
		fx_add(f, a, rows, ARRAY_SIZE(rows));
	}
	fx_finish(f, a);
	b = fx_begin_run(f, 0, 1u << PROTO_TCP);
	{
		struct store_result rows[] = {
		    fx_result(f->e[0], f->w[0], PROBE_OK, 120),
		    fx_result(f->e[0], f->w[1], PROBE_UNREACHABLE, 0),
		    fx_result(f->e[0], f->w[2], PROBE_OK, 100),
		    fx_result(f->e[0], f->w[3], PROBE_TIMEOUT, 0),
		    fx_result(f->e[2], f->w[0], PROBE_OK, 2500),
		    fx_result(f->e[2], f->w[1], PROBE_OK, 1400),
		    fx_result(f->e[3], f->w[3], PROBE_OK, 100), /* new */
		};
		fx_add(f, b, rows, ARRAY_SIZE(rows));
	}
	fx_finish(f, b);

	buf_init(&l.rows, 0);
	buf_init(&l.groups, 0);
	assert_int_equal(store_diff(f->st, a, b, &opts, diff_row, diff_group, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "regression e-0>w-1 a=ok b=unreachable;"
					 "recovery e-0>w-2 a=timeout b=ok;"
					 "still-failing e-0>w-3 a=refused b=timeout;"
					 "vanished e-1>w-0 a=ok;"
					 "rtt-change e-2>w-0 a=ok b=ok;"
					 "new e-3>w-3 b=ok;");
	assert_int_equal(sum.run_a, a);
	assert_int_equal(sum.run_b, b);
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 2);
	assert_int_equal(sum.total.n[STORE_DIFF_REGRESSION], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_RECOVERY], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_STILL_FAILING], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_NEW], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_VANISHED], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_RTT], 1);
	assert_string_equal(l.groups.data, "east>west reg=1 rec=1 same=2;");

	/* Only regressions streamed; counts unchanged. */
	buf_reset(&l.rows);
	opts = (struct store_diff_opts){.emit = 1u << STORE_DIFF_REGRESSION};
	assert_int_equal(store_diff(f->st, a, b, &opts, diff_row, NULL, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "regression e-0>w-1 a=ok b=unreachable;");
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 3); /* RTT off: a pass is a pass */
	buf_release(&l.rows);
	buf_release(&l.groups);

	assert_int_equal(store_diff(f->st, a, 0, NULL, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_int_equal(store_diff(f->st, a, 777, NULL, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
}

static int diff_figures(const struct store_diff_row *row, void *ctx)
{
	struct buf *b = ctx;

	(void)!buf_printf(b, "%s>%s a=%u/%u %u-%u-%u-%u b=%s;", row->src_name, row->dst_name,
			  row->a->sent, row->a->received, row->a->rtt_min_us, row->a->rtt_avg_us,
			  row->a->rtt_max_us, row->a->rtt_p99_us, probe_error_name(row->b->error));
	return 0;
}

/* A diff walks keys only and looks the figures of the rows it hands out up: they must be
 * the stored ones; limit_per_kind caps the rows, never the counts. */
static void test_diff_limit_and_figures(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_opts opts = {.limit_per_kind = 2};
	struct store_diff_summary sum;
	struct store_result rows[3];
	struct buf b;
	int64_t ra, rb;

	fx_open_world(f);
	ra = fx_begin_run(f, 0, 1u << PROTO_TCP);
	for (int i = 0; i < 3; i++)
		rows[i] = fx_result(f->e[i], f->w[0], PROBE_OK, (uint32_t)(1000 * (i + 1)));
	fx_add(f, ra, rows, 3);
	fx_finish(f, ra);
	rb = fx_begin_run(f, 0, 1u << PROTO_TCP);
	for (int i = 0; i < 3; i++)
		rows[i] = fx_result(f->e[i], f->w[0], PROBE_RESET, 0);
	fx_add(f, rb, rows, 3);
	fx_finish(f, rb);
	buf_init(&b, 0);
	assert_int_equal(store_diff(f->st, ra, rb, &opts, diff_figures, NULL, &b, &sum, &err), 0);
	assert_string_equal(b.data, "e-0>w-0 a=3/3 990-1000-1010-1010 b=reset;"
				    "e-1>w-0 a=3/3 1990-2000-2010-2010 b=reset;");
	assert_int_equal(sum.total.n[STORE_DIFF_REGRESSION], 3);
	buf_reset(&b);
	opts.limit_per_kind = 0;
	assert_int_equal(store_diff(f->st, ra, rb, &opts, diff_figures, NULL, &b, &sum, &err), 0);
	assert_non_null(strstr(b.data, "e-2>w-0 a=3/3 2990-3000-3010-3010 b=reset;"));
	buf_release(&b);
}

static void test_diff_default_is_last_two_comparable_runs(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_summary sum;
	int64_t a, b, r1, r2, r3, r4;

	fx_open_world(f);
	r1 = fx_begin_run(f, 0, 1u << PROTO_TCP);
	fx_finish(f, r1);
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	r2 = fx_begin_run(f, 0, 1u << PROTO_UDP); /* other protocols: not comparable */
	fx_finish(f, r2);
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), -1);
	r3 = fx_begin_run(f, 0, 1u << PROTO_TCP);
	fx_finish(f, r3);
	r4 = fx_begin_run(f, 0, 1u << PROTO_TCP); /* still running: not a candidate */
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), 0);
	assert_int_equal(a, r1);
	assert_int_equal(b, r3);
	assert_int_equal(store_diff(f->st, 0, 0, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.run_a, r1);
	assert_int_equal(sum.run_b, r3);
	(void)r4;
}

static int left_out_row(const struct store_left_out *n, void *ctx)
{
	(void)!buf_printf(ctx, "%s/%s %s %s;", n->cluster_name, n->name,
			  store_left_out_reason_name(n->reason), n->detail ? n->detail : "-");
	return 0;
}

/* B left w-1 out on purpose (--exclude-node) and w-2 is simply gone: the pairs of the first
 * are "not selected", those of the second "vanished"; a resume of B (its chain) counts B's
 * left-out nodes too. */
static void test_diff_not_selected(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_summary sum;
	struct diff_log l;
	struct store_left_out lo[] = {
	    {.cluster_id = f->west, .name = "w-1", .reason = STORE_LEFT_OUT_NAME},
	    {.cluster_id = f->west,
	     .name = "cp-0",
	     .reason = STORE_LEFT_OUT_TAINT,
	     .detail = "node-role.kubernetes.io/control-plane:NoSchedule"},
	};
	int64_t a, b, c;

	fx_open_world(f);
	lo[0].cluster_id = lo[1].cluster_id = f->west;
	a = fx_begin_run(f, 0, 1u << PROTO_TCP);
	{
		struct store_result rows[] = {
		    fx_result(f->e[0], f->w[0], PROBE_OK, 100),
		    fx_result(f->e[0], f->w[1], PROBE_OK, 100),
		    fx_result(f->e[0], f->w[2], PROBE_OK, 100),
		};
		fx_add(f, a, rows, ARRAY_SIZE(rows));
	}
	fx_finish(f, a);
	b = fx_begin_run(f, 0, 1u << PROTO_TCP);
	assert_int_equal(store_run_left_out_add(f->st, b, lo, ARRAY_SIZE(lo), &err), 0);
	assert_int_equal(lo[0].node_id, f->w[1]); /* the node keeps its id */
	{
		struct store_result rows[] = {fx_result(f->e[0], f->w[0], PROBE_OK, 100)};

		fx_add(f, b, rows, ARRAY_SIZE(rows));
	}
	fx_finish(f, b);
	buf_init(&l.rows, 0);
	buf_init(&l.groups, 0);
	assert_int_equal(store_diff(f->st, a, b, NULL, diff_row, NULL, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "not-selected e-0>w-1 a=ok;vanished e-0>w-2 a=ok;");
	assert_int_equal(sum.total.n[STORE_DIFF_NOT_SELECTED], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_VANISHED], 1);

	/* a resume of B records nothing left out itself; its chain does */
	c = fx_begin_run(f, b, 1u << PROTO_TCP);
	fx_finish(f, c);
	buf_reset(&l.rows);
	assert_int_equal(store_diff(f->st, a, c, NULL, diff_row, NULL, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "not-selected e-0>w-1 a=ok;vanished e-0>w-2 a=ok;");

	/* what a report lists: by cluster, then node, with the reason and the detail */
	buf_reset(&l.rows);
	assert_int_equal(store_run_left_out_foreach(f->st, b, left_out_row, &l.rows, &err), 0);
	assert_string_equal(l.rows.data,
			    "west/cp-0 taint node-role.kubernetes.io/control-plane:NoSchedule;"
			    "west/w-1 --exclude-node -;");
	/* deleting the run takes its left-out nodes with it */
	assert_int_equal(store_run_delete(f->st, b, &err), 0);
	buf_reset(&l.rows);
	assert_int_equal(store_run_left_out_foreach(f->st, b, left_out_row, &l.rows, &err), 0);
	assert_int_equal(l.rows.len, 0);
	buf_release(&l.rows);
	buf_release(&l.groups);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_diff_kinds_on_hand_made_runs, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_diff_limit_and_figures, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_diff_default_is_last_two_comparable_runs, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_diff_not_selected, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
