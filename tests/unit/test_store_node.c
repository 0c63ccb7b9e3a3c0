/* store: the node table of a run (node.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

static int collect_nodes(const struct store_run_node *n, void *ctx)
{
	(void)!buf_printf(ctx, "%s/%s %s %s %s;", n->cluster_name, n->node.name,
			  n->node.pod_ipv4 ? n->node.pod_ipv4 : "-",
			  n->node.pod_ipv6 ? n->node.pod_ipv6 : "-",
			  store_floater_state_name(n->node.floater));
	return n->node.name[2] == '1'; /* stop after the second node */
}

static void test_run_nodes_are_stable_and_listed(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	int64_t first[4], r2;
	struct buf b;

	fx_open_world(f);
	fx_begin_run(f, 0, 1u << PROTO_TCP);
	memcpy(first, f->e, sizeof(first));
	r2 = fx_begin_run(f, 0, 1u << PROTO_TCP);
	assert_memory_equal(first, f->e, sizeof(first));
	assert_int_equal(store_run_node_set_floater(f->st, r2, f->e[1], STORE_FLOATER_LOST, &err),
			 0);
	buf_init(&b, 0);
	assert_int_equal(store_run_nodes_foreach(f->st, r2, collect_nodes, &b, &err), 0);
	assert_string_equal(b.data,
			    "east/e-0 198.18.1.1 - ready;east/e-1 198.18.1.1 fd00::1 lost;");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_run_nodes_are_stable_and_listed, fx_setup,
					    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
