/* store: diff of two runs as a merge join of their key-ordered result walks. Each side is
 * one range scan of the results primary key (no sort, no index lookups per row), so a diff
 * costs two sequential reads whatever the run size. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int store_diff_default_pair(struct store *st, int64_t *a, int64_t *b, struct err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (store_runs_reap(st, err) < 0)
		return -1;
	s = store_prepare(st,
			  "SELECT b.id, (SELECT a.id FROM runs a WHERE a.compare_key = "
			  "b.compare_key AND a.id < b.id AND a.status IN ('done', 'interrupted') "
			  "ORDER BY a.id DESC LIMIT 1) AS prev FROM runs b "
			  "WHERE b.status IN ('done', 'interrupted') AND prev IS NOT NULL "
			  "ORDER BY b.id DESC LIMIT 1",
			  err);
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*b = sqlite3_column_int64(s, 0);
		*a = sqlite3_column_int64(s, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(err, ERR_NOTFOUND,
			     "no two comparable runs (same clusters, protocols, families and "
			     "networks) to diff; name two runs: netctl diff A B");
	} else {
		rc = store_fail(st, err, "find comparable runs");
	}
	sqlite3_finalize(s);
	return rc;
}

struct diff_state {
	struct store *st;
	const struct store_diff_opts *opts;
	unsigned emit;
	struct store_cursor *ca, *cb;
	struct store_names nm;
	struct store_cmap m;
	int kk;
	int64_t (*groups)[STORE_DIFF_KIND_MAX]; /* kk x kk cluster pairs */
	struct store_diff_summary *sum;
	int64_t emitted[STORE_DIFF_KIND_MAX];
	int (*row_cb)(const struct store_diff_row *row, void *ctx);
	void *ctx;
	bool stopped;
	struct idmap left_out_b; /* nodes B's chain left out on purpose */
};

static bool rtt_enabled(const struct store_diff_opts *o)
{
	return o && o->rtt_abs_us != 0;
}

static bool rtt_moved(const struct store_diff_opts *o, uint32_t a, uint32_t b)
{
	uint32_t d = a > b ? a - b : b - a;

	if (!o || o->rtt_abs_us == 0 || d < o->rtt_abs_us)
		return false;
	return o->rtt_pct == 0 || (uint64_t)d * 100 >= (uint64_t)a * o->rtt_pct;
}

static enum store_diff_kind classify(struct diff_state *d, bool in_a, bool in_b)
{
	bool pass_a, pass_b;

	if (!in_a)
		return STORE_DIFF_NEW;
	if (!in_b) {
		const struct store_key *k = store_cursor_key(d->ca);

		return idmap_get(&d->left_out_b, k->src) >= 0 ||
			       idmap_get(&d->left_out_b, k->dst) >= 0
			   ? STORE_DIFF_NOT_SELECTED
			   : STORE_DIFF_VANISHED;
	}
	pass_a = store_cursor_error(d->ca) == PROBE_OK;
	pass_b = store_cursor_error(d->cb) == PROBE_OK;
	if (pass_a && pass_b)
		return rtt_enabled(d->opts) && rtt_moved(d->opts, store_cursor_rtt_avg(d->ca),
							 store_cursor_rtt_avg(d->cb))
			   ? STORE_DIFF_RTT
			   : STORE_DIFF_SAME;
	if (pass_a)
		return STORE_DIFF_REGRESSION;
	return pass_b ? STORE_DIFF_RECOVERY : STORE_DIFF_STILL_FAILING;
}

static void diff_emit(struct diff_state *d, enum store_diff_kind kind, bool in_a, bool in_b)
{
	struct store_result ra, rb;
	struct store_diff_row row = {.kind = kind};
	const struct store_result *any;

	if (in_a)
		store_cursor_row(d->ca, &ra);
	if (in_b)
		store_cursor_row(d->cb, &rb);
	row.a = in_a ? &ra : NULL;
	row.b = in_b ? &rb : NULL;
	any = in_a ? &ra : &rb;
	row.src_cluster = store_names_cluster_of(&d->nm, any->src_node);
	row.src_name = store_names_node(&d->nm, any->src_node);
	row.dst_cluster = store_names_cluster_of(&d->nm, any->dst_node);
	row.dst_name = store_names_node(&d->nm, any->dst_node);
	row.dst_kind = store_names_kind(&d->nm, any->dst_node);
	switch (d->row_cb(&row, d->ctx)) {
	case 0:
		break;
	case STORE_DIFF_ENOUGH_OF_KIND:
		d->emit &= ~(1u << kind);
		break;
	default:
		d->stopped = true;
	}
}

static void diff_count(struct diff_state *d, enum store_diff_kind kind, const struct store_key *k)
{
	int sc = store_cmap_of_node(&d->m, &d->nm, k->src);
	int dc = store_cmap_of_node(&d->m, &d->nm, k->dst);

	d->sum->total.n[kind]++;
	d->groups[sc * d->kk + dc][kind]++;
}

static int diff_merge(struct diff_state *d, struct err *err)
{
	int more_a = store_cursor_next(d->st, d->ca, err);
	int more_b = more_a < 0 ? -1 : store_cursor_next(d->st, d->cb, err);

	while (more_a == 1 || more_b == 1) {
		int cmp = more_a != 1 ? 1
			  : more_b != 1
			      ? -1
			      : store_key_cmp(store_cursor_key(d->ca), store_cursor_key(d->cb));
		bool in_a = cmp <= 0, in_b = cmp >= 0;
		enum store_diff_kind kind = classify(d, in_a, in_b);

		diff_count(d, kind, in_a ? store_cursor_key(d->ca) : store_cursor_key(d->cb));
		if (d->row_cb && !d->stopped && (d->emit & (1u << kind)) &&
		    (!d->opts || !d->opts->limit_per_kind ||
		     d->emitted[kind] < (int64_t)d->opts->limit_per_kind)) {
			d->emitted[kind]++;
			diff_emit(d, kind, in_a, in_b);
		}
		if (in_a && (more_a = store_cursor_next(d->st, d->ca, err)) < 0)
			return -1;
		if (in_b && (more_b = store_cursor_next(d->st, d->cb, err)) < 0)
			return -1;
	}
	return more_a < 0 || more_b < 0 ? -1 : 0;
}

static int group_order(const void *x, const void *y, void *arg)
{
	const struct diff_state *d = arg;
	int a = *(const int *)x, b = *(const int *)y;
	int r = strcmp(store_cmap_name(&d->m, &d->nm, a / d->kk),
		       store_cmap_name(&d->m, &d->nm, b / d->kk));

	if (!r)
		r = strcmp(store_cmap_name(&d->m, &d->nm, a % d->kk),
			   store_cmap_name(&d->m, &d->nm, b % d->kk));
	return r ? r : a - b;
}

static void diff_groups(struct diff_state *d,
			int (*group_cb)(const struct store_diff_counts *g, void *ctx))
{
	int n = 0, *order = xcalloc((size_t)(d->kk * d->kk) + 1, sizeof(*order));

	for (int i = 0; i < d->kk * d->kk; i++)
		for (int k = 0; k < STORE_DIFF_KIND_MAX; k++)
			if (d->groups[i][k]) {
				order[n++] = i;
				break;
			}
	qsort_r(order, (size_t)n, sizeof(*order), group_order, d);
	for (int i = 0; i < n; i++) {
		struct store_diff_counts g = {
		    .src_cluster = store_cmap_name(&d->m, &d->nm, order[i] / d->kk),
		    .dst_cluster = store_cmap_name(&d->m, &d->nm, order[i] % d->kk),
		};

		memcpy(g.n, d->groups[order[i]], sizeof(g.n));
		if (group_cb(&g, d->ctx))
			break;
	}
	free(order);
}

static int left_out_cb(const struct store_left_out *n, void *ctx)
{
	idmap_put(ctx, n->node_id, 1);
	return 0;
}

static int diff_prepare(struct diff_state *d, int64_t a, int64_t b, struct err *err)
{
	int64_t runs[2 * STORE_CHAIN_MAX];

	if (store_cursor_open_keys(d->st, d->ca, a, true,
				   rtt_enabled(d->opts) ? STORE_KEYS_RTT : STORE_KEYS_ONLY,
				   err) < 0 ||
	    store_cursor_open_keys(d->st, d->cb, b, true,
				   rtt_enabled(d->opts) ? STORE_KEYS_RTT : STORE_KEYS_ONLY,
				   err) < 0 ||
	    store_names_load(d->st, &d->nm, err) < 0)
		return -1;
	memcpy(runs, d->ca->run_ids, (size_t)d->ca->n * sizeof(*runs));
	memcpy(runs + d->ca->n, d->cb->run_ids, (size_t)d->cb->n * sizeof(*runs));
	if (store_cmap_load(d->st, runs, d->ca->n + d->cb->n, &d->nm, &d->m, err) < 0)
		return -1;
	for (int i = 0; i < d->cb->n; i++)
		if (store_run_left_out_foreach(d->st, d->cb->run_ids[i], left_out_cb,
					       &d->left_out_b, err) < 0)
			return -1;
	d->kk = d->m.k + 1;
	d->groups = xcalloc((size_t)(d->kk * d->kk), sizeof(*d->groups));
	return 0;
}

int store_diff(struct store *st, int64_t a, int64_t b, const struct store_diff_opts *opts,
	       int (*row_cb)(const struct store_diff_row *row, void *ctx),
	       int (*group_cb)(const struct store_diff_counts *g, void *ctx), void *ctx,
	       struct store_diff_summary *summary, struct err *err)
{
	struct diff_state d = {.st = st, .opts = opts, .row_cb = row_cb, .ctx = ctx};
	struct store_diff_summary local;
	int rc = -1;

	if ((a == 0) != (b == 0))
		return err_set(err, ERR_USAGE, "diff needs two runs, or none for the default");
	if (a == 0 && store_diff_default_pair(st, &a, &b, err) < 0)
		return -1;
	d.sum = summary ? summary : &local;
	memset(d.sum, 0, sizeof(*d.sum));
	d.sum->run_a = a;
	d.sum->run_b = b;
	d.emit = opts && opts->emit ? opts->emit : ~(1u << STORE_DIFF_SAME);
	idmap_init(&d.left_out_b);
	d.ca = xcalloc(1, sizeof(*d.ca));
	d.cb = xcalloc(1, sizeof(*d.cb));
	if (diff_prepare(&d, a, b, err) < 0 || diff_merge(&d, err) < 0)
		goto out;
	if (group_cb)
		diff_groups(&d, group_cb);
	rc = 0;
out:
	store_cursor_close(d.ca);
	store_cursor_close(d.cb);
	free(d.ca);
	free(d.cb);
	free(d.groups);
	store_cmap_release(&d.m);
	store_names_release(&d.nm);
	idmap_release(&d.left_out_b);
	return rc;
}
