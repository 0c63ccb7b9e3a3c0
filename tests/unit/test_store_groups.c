/* store: the per-group summary of a run (groups.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

static int collect_groups(const struct store_group *g, void *ctx)
{
	(void)!buf_printf(ctx, "%s>%s %s/%u n=%lld ok=%lld fail=%lld rx=%lld/%lld p50=%u p99=%u;",
			  g->src_cluster, g->dst_cluster, probe_protocol_name(g->protocol),
			  g->family, (long long)g->results, (long long)g->passed,
			  (long long)g->failed, (long long)g->received, (long long)g->sent,
			  g->rtt_p50_us, g->rtt_p99_us);
	return 0;
}

static void test_group_summary(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_result rows[12];
	int n = 0;
	int64_t run;
	struct buf b;

	fx_open_world(f);
	run = fx_begin_run(f, 0, (1u << PROTO_TCP) | (1u << PROTO_ICMP));
	for (int d = 0; d < 4; d++)
		rows[n++] = fx_result(f->e[0], f->w[d], PROBE_OK, (uint32_t)(100 * (d + 1)));
	rows[n++] = fx_result(f->e[1], f->w[0], PROBE_TIMEOUT, 0);
	rows[n] = fx_result(f->e[1], f->w[1], PROBE_OK, 50);
	rows[n++].protocol = PROTO_ICMP;
	rows[n] = fx_result(f->w[1], f->e[1], PROBE_OK, 70);
	rows[n++].family = 6;
	fx_add(f, run, rows, (size_t)n);
	fx_finish(f, run);
	buf_init(&b, 0);
	assert_int_equal(store_run_groups(f->st, run, collect_groups, &b, &err), 0);
	assert_string_equal(b.data, "east>west icmp/4 n=1 ok=1 fail=0 rx=3/3 p50=50 p99=50;"
				    "east>west tcp/4 n=5 ok=4 fail=1 rx=12/15 p50=200 p99=400;"
				    "west>east tcp/6 n=1 ok=1 fail=0 rx=3/3 p50=70 p99=70;");
	buf_release(&b);
}

/* Results to pseudo-nodes (custom targets, the API server) are groups of their own:
 * "east>east:targets", never mixed with east's node pairs; their kind reads back. */
static void test_pseudo_node_groups(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_node pseudo[] = {
	    {.name = "target:198.18.4.2:80", .kind = STORE_NODE_TARGET, .host_ipv4 = "198.18.4.2"},
	    {.name = "apiserver:198.18.0.2:26443",
	     .kind = STORE_NODE_APISERVER,
	     .host_ipv4 = "198.18.0.2"},
	};
	struct store_result rows[4];
	int64_t run;
	struct buf b;

	fx_open_world(f);
	run = fx_begin_run(f, 0, 1u << PROTO_TCP);
	pseudo[0].cluster_id = pseudo[1].cluster_id = f->east;
	assert_int_equal(store_run_nodes_add(f->st, run, pseudo, 2, &err), 0);
	rows[0] = fx_result(f->e[0], f->e[1], PROBE_OK, 100);
	rows[1] = fx_result(f->e[0], pseudo[0].id, PROBE_OK, 300);
	rows[2] = fx_result(f->e[1], pseudo[0].id, PROBE_TIMEOUT, 0);
	rows[3] = fx_result(f->e[0], pseudo[1].id, PROBE_OK, 500);
	fx_add(f, run, rows, 4);
	fx_finish(f, run);
	buf_init(&b, 0);
	assert_int_equal(store_run_groups(f->st, run, collect_groups, &b, &err), 0);
	assert_string_equal(b.data,
			    "east>east tcp/4 n=1 ok=1 fail=0 rx=3/3 p50=100 p99=100;"
			    "east>east:apiserver tcp/4 n=1 ok=1 fail=0 rx=3/3 p50=500 p99=500;"
			    "east>east:targets tcp/4 n=2 ok=1 fail=1 rx=3/6 p50=300 p99=300;");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_group_summary, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pseudo_node_groups, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
