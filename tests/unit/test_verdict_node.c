/* Verdicts about nodes the engine recorded as NotReady (run_nodes.node_ready = 0): a real
 * temp SQLite store holding a small single-cluster run, as the engine writes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "verdict.h"

#define NODES 4

static char dir[] = "/tmp/netctl-verdict-node.XXXXXX";
static char path[128];

struct spec {
	bool not_ready[NODES];		    /* the Node's Ready condition, n1..n4 */
	enum store_floater_state fl[NODES]; /* floater state per node n1..n4 */
};

/* A 4-node mesh, tcp: pairs with an end whose floater is not READY are no-agent. */
static int64_t run_make(struct store *st, const struct spec *sp)
{
	struct store_run_cluster rc = {0, STORE_ROLE_SRC | STORE_ROLE_DST};
	struct store_run_spec spec = {.options_json = "{}",
				      .protocols = 1u << PROTO_TCP,
				      .families = STORE_FAMILY_V4,
				      .networks = 1u << STORE_NET_POD,
				      .clusters = &rc,
				      .n_clusters = 1};
	struct store_node nodes[NODES];
	struct store_result rows[NODES * NODES];
	char names[NODES][8];
	struct err err = ERR_INIT;
	struct store_cluster *c;
	size_t n = 0;
	int64_t run;

	if (store_cluster_add(st, "east", "/dev/null", NULL, &rc.cluster_id, &err) < 0 &&
	    err.code != ERR_EXISTS)
		fail_msg("cluster add: %s", err.msg);
	c = store_cluster_get(st, "east", &err);
	assert_non_null(c);
	rc.cluster_id = c->id;
	store_cluster_free(c);
	spec.planned = NODES * (NODES - 1);
	run = store_run_begin(st, &spec, &err);
	assert_true(run > 0);
	memset(nodes, 0, sizeof(nodes));
	for (int i = 0; i < NODES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i + 1);
		nodes[i].cluster_id = rc.cluster_id;
		nodes[i].name = names[i];
		nodes[i].floater = sp->fl[i];
		nodes[i].node_not_ready = sp->not_ready[i];
	}
	assert_int_equal(store_run_nodes_add(st, run, nodes, NODES, &err), 0);
	memset(rows, 0, sizeof(rows));
	for (int s = 0; s < NODES; s++) {
		for (int d = 0; d < NODES; d++) {
			bool down =
			    sp->fl[s] != STORE_FLOATER_READY || sp->fl[d] != STORE_FLOATER_READY;

			if (s == d)
				continue;
			rows[n].src_node = nodes[s].id;
			rows[n].dst_node = nodes[d].id;
			rows[n].protocol = PROTO_TCP;
			rows[n].family = 4;
			rows[n].network = STORE_NET_POD;
			rows[n].error = down ? PROBE_NO_AGENT : PROBE_OK;
			rows[n].sent = rows[n].received = down ? 0 : 3;
			rows[n].rtt_avg_us = down ? 0 : 50;
			n++;
		}
	}
	assert_int_equal(store_results_add(st, run, rows, n, &err), 0);
	assert_int_equal(store_run_finish(st, run, STORE_RUN_DONE, &err), 0);
	return run;
}

struct store_node_seen {
	int nodes, not_ready;
	char last_not_ready[8];
};

static int seen_cb(const struct store_run_node *n, void *ctx)
{
	struct store_node_seen *seen = ctx;

	seen->nodes++;
	if (n->node.node_not_ready) {
		seen->not_ready++;
		snprintf(seen->last_not_ready, sizeof(seen->last_not_ready), "%s", n->node.name);
	}
	return 0;
}

static struct verdict_list *compute(struct store *st, int64_t run)
{
	struct verdict_opts o = {.merged = true};
	struct err err = ERR_INIT;
	struct verdict_list *vl = verdict_compute(st, run, &o, &err);

	if (!vl)
		fail_msg("verdict_compute: %s", err.msg);
	for (size_t i = 0; i < verdict_count(vl); i++)
		print_message("  [%s] %s\n", verdict_kind_name(verdict_get(vl, i)->kind),
			      verdict_get(vl, i)->text);
	return vl;
}

static int setup(void **state)
{
	struct err err = ERR_INIT;
	struct store *st;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/netctl.db", dir);
	st = store_open(path, &err);
	*state = st;
	return st ? 0 : -1;
}

static int teardown(void **state)
{
	char f[160];

	store_close(*state);
	unlink(path);
	snprintf(f, sizeof(f), "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", path);
	unlink(f);
	rmdir(dir);
	return 0;
}

/* The NotReady node is named as such; a node that is Ready but has no floater stays a
 * floater-missing verdict. */
static void test_not_ready_named(void **state)
{
	struct spec sp = {
	    .not_ready = {false, true, false, false},
	    .fl = {STORE_FLOATER_READY, STORE_FLOATER_NOT_READY, STORE_FLOATER_READY,
		   STORE_FLOATER_NOT_READY},
	};
	struct verdict_list *vl = compute(*state, run_make(*state, &sp));
	const struct verdict *v;

	assert_int_equal(verdict_count(vl), 2);
	v = verdict_get(vl, 0);
	assert_int_equal(v->kind, VERDICT_NODE_NOT_READY);
	assert_string_equal(verdict_kind_name(v->kind), "node-not-ready");
	assert_string_equal(v->node, "east/n2");
	assert_non_null(strstr(v->text, "node east/n2 is NotReady"));
	/* n2's 6 results (3 as source, 3 as destination) but n4 -> n2, which is n4's own
	 * (the source is blamed first when both ends are down) */
	assert_int_equal(v->failed, 5);
	v = verdict_get(vl, 1);
	assert_int_equal(v->kind, VERDICT_FLOATER_MISSING);
	assert_string_equal(v->node, "east/n4");
	assert_int_equal(verdict_get(vl, 0)->failed + v->failed, 10);
	verdict_list_free(vl);
}

/* A NotReady node whose floater still answered, every pair passing: nothing to explain. */
static void test_not_ready_but_probed(void **state)
{
	struct spec sp = {
	    .not_ready = {false, false, true, false},
	    .fl = {STORE_FLOATER_READY, STORE_FLOATER_READY, STORE_FLOATER_READY,
		   STORE_FLOATER_READY},
	};
	struct verdict_list *vl = compute(*state, run_make(*state, &sp));

	assert_int_equal(verdict_count(vl), 1);
	assert_int_equal(verdict_get(vl, 0)->kind, VERDICT_HEALTHY);
	verdict_list_free(vl);
}

/* The condition is read back as stored, and a Ready node's is not reported: a run that
 * sees no NotReady node says floater-missing, never node-not-ready. */
static void test_stored_condition(void **state)
{
	struct spec sp = {
	    .fl = {STORE_FLOATER_READY, STORE_FLOATER_READY, STORE_FLOATER_NOT_READY,
		   STORE_FLOATER_READY},
	};
	struct store_node_seen seen = {0};
	struct err err = ERR_INIT;
	int64_t run = run_make(*state, &sp);
	struct verdict_list *vl = compute(*state, run);

	assert_int_equal(verdict_count(vl), 1);
	assert_int_equal(verdict_get(vl, 0)->kind, VERDICT_FLOATER_MISSING);
	verdict_list_free(vl);
	sp.not_ready[3] = true;
	run = run_make(*state, &sp);
	assert_int_equal(store_run_nodes_foreach(*state, run, seen_cb, &seen, &err), 0);
	assert_int_equal(seen.nodes, NODES);
	assert_int_equal(seen.not_ready, 1);
	assert_string_equal(seen.last_not_ready, "n4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_ready_named),
	    cmocka_unit_test(test_not_ready_but_probed),
	    cmocka_unit_test(test_stored_condition),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
