/* Probing again what a run did not pass: the plan filter of `resume` and of the rechecks
 * of `watch --recheck-failed`. */
#include <stdlib.h>

#include "check.h"
#include "store.h"

/* The chain's node ids fit 24 bits here, as in the store's ids of any real registry. */
static int64_t pair_key(int64_t src, int64_t dst, unsigned family, unsigned net)
{
	return ((src & 0xffffff) << 32) | ((dst & 0xffffff) << 8) | ((family == 6) << 3) |
	       (net & 7);
}

unsigned check_filter_fn(void *arg, const struct plan_node *src, const struct plan_node *dst,
			 unsigned family, enum plan_network net)
{
	struct check_filter *f = arg;
	long passed;

	if (idmap_get(&f->root_nodes, src->id) < 0 || idmap_get(&f->root_nodes, dst->id) < 0) {
		if (idmap_get(&f->root_nodes, src->id) < 0)
			idmap_put(&f->new_nodes, src->id, 1);
		/* an API server address that changed is no node that joined */
		if (idmap_get(&f->root_nodes, dst->id) < 0 && dst->kind == PLAN_NODE)
			idmap_put(&f->new_nodes, dst->id, 1);
		return 0;
	}
	idmap_put(&f->root_nodes, src->id, 1);
	idmap_put(&f->root_nodes, dst->id, 1);
	passed = idmap_get(&f->passed, pair_key(src->id, dst->id, family, net));
	return passed < 0 ? ~0u : ~(unsigned)passed;
}

static int collect_passed(const struct store_result_row *row, void *arg)
{
	struct check_filter *f = arg;
	int64_t k = pair_key(row->r.src_node, row->r.dst_node, row->r.family, row->r.network);
	long mask = idmap_get(&f->passed, k);

	if (row->r.error == PROBE_OK)
		idmap_put(&f->passed, k,
			  (uint32_t)((mask < 0 ? 0 : mask) | (1u << row->r.protocol)));
	return 0;
}

static int collect_node(const struct store_run_node *n, void *arg)
{
	struct check_filter *f = arg;

	idmap_put(&f->root_nodes, n->node.id, 0);
	return 0;
}

/* The run a chain of resumes started from: its node table is the resume's. */
static int64_t chain_root(struct store *st, int64_t id, struct err *err)
{
	for (int depth = 0; depth < 10000; depth++) {
		struct store_run_info *r = store_run_get(st, id, err);
		int64_t parent;

		if (!r)
			return -1;
		parent = r->parent_id;
		store_run_info_free(r);
		if (!parent)
			return id;
		id = parent;
	}
	return err_set(err, ERR_STORE, "run %lld: resume chain too long", (long long)id);
}

void check_filter_init(struct check_filter *f)
{
	idmap_init(&f->passed);
	idmap_init(&f->root_nodes);
	idmap_init(&f->new_nodes);
	f->root = 0;
}

void check_filter_release(struct check_filter *f)
{
	idmap_release(&f->passed);
	idmap_release(&f->root_nodes);
	idmap_release(&f->new_nodes);
}

int check_filter_load(struct check_filter *f, struct store *st, int64_t run_id, struct err *err)
{
	struct store_results_query q = {.merged = true};

	f->root = chain_root(st, run_id, err);
	if (f->root < 0 || store_run_nodes_foreach(st, f->root, collect_node, f, err) < 0 ||
	    store_results_foreach(st, run_id, &q, collect_passed, f, err) < 0)
		return -1;
	return 0;
}
