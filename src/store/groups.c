/* store: per-group summary of a run (cluster pair x protocol x family x network) and the cluster
 * index map shared with diff. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- cluster map: cluster id -> small local index ---------------------------------------- */

static int cmap_add_run(struct store *st, sqlite3_stmt *s, int64_t run_id, struct store_cmap *m,
			struct err *err)
{
	int rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		if (id <= 0 || id >= m->n_ids || m->local[id] >= 0)
			continue;
		m->local[id] = m->k;
		m->kinds[m->k] = STORE_NODE;
		m->names[m->k] = xstrdup(store_names_cluster(m->nm, id));
		m->ids[m->k++] = id;
	}
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "read run clusters");
	return 0;
}

const char *store_node_kind_group(enum store_node_kind k)
{
	static const char *const suffix[STORE_NODE_KIND_MAX] = {[STORE_NODE_TARGET] = "targets",
								[STORE_NODE_APISERVER] =
								    "apiserver",
								[STORE_NODE_DNS] = "dns"};

	return k > STORE_NODE && k < STORE_NODE_KIND_MAX ? suffix[k] : NULL;
}

/* An index per (cluster, pseudo-node kind) the runs' node tables hold: "east:targets". */
static int cmap_add_pseudo(struct store *st, sqlite3_stmt *s, int64_t run_id, struct store_cmap *m,
			   struct err *err)
{
	int rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int kind = sqlite3_column_int(s, 1);

		if (id <= 0 || id >= m->n_ids || kind <= STORE_NODE ||
		    kind >= STORE_NODE_KIND_MAX || m->local_kind[kind][id] >= 0 || m->k >= m->cap)
			continue;
		m->local_kind[kind][id] = m->k;
		m->kinds[m->k] = (uint8_t)kind;
		m->names[m->k] = xasprintf("%s:%s", store_names_cluster(m->nm, id),
					   store_node_kind_group((enum store_node_kind)kind));
		m->ids[m->k++] = id;
	}
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "read run pseudo-nodes");
	return 0;
}

int store_cmap_load(struct store *st, const int64_t *runs, int n_runs, const struct store_names *nm,
		    struct store_cmap *m, struct err *err)
{
	sqlite3_stmt *s, *p;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->nm = nm;
	m->n_ids = nm->n_clusters;
	/* every cluster, and each with its two kinds of pseudo-nodes, at most */
	m->cap = (int)(m->n_ids * STORE_NODE_KIND_MAX);
	m->local = xmalloc((size_t)m->n_ids * sizeof(*m->local));
	for (int k = 0; k < STORE_NODE_KIND_MAX; k++)
		m->local_kind[k] = xmalloc((size_t)m->n_ids * sizeof(*m->local_kind[k]));
	for (int64_t i = 0; i < m->n_ids; i++) {
		m->local[i] = -1;
		for (int k = 0; k < STORE_NODE_KIND_MAX; k++)
			m->local_kind[k][i] = -1;
	}
	/* One spare slot at the end for nodes of a cluster the run does not list. */
	m->ids = xcalloc((size_t)m->cap + 1, sizeof(*m->ids));
	m->kinds = xcalloc((size_t)m->cap + 1, sizeof(*m->kinds));
	m->names = xcalloc((size_t)m->cap + 1, sizeof(*m->names));
	s = store_prepare(st, "SELECT cluster_id FROM run_clusters WHERE run_id = ?1", err);
	p = s ? store_prepare(st,
			      "SELECT DISTINCT n.cluster_id, n.kind FROM run_nodes rn JOIN nodes n "
			      "ON n.id = rn.node_id WHERE rn.run_id = ?1 AND n.kind != 0 "
			      "ORDER BY n.cluster_id, n.kind",
			      err)
	      : NULL;
	if (!p)
		rc = -1;
	for (int i = 0; i < n_runs && rc == 0; i++)
		rc = cmap_add_run(st, s, runs[i], m, err);
	for (int i = 0; i < n_runs && rc == 0; i++)
		rc = cmap_add_pseudo(st, p, runs[i], m, err);
	sqlite3_finalize(s);
	sqlite3_finalize(p);
	m->spare = m->k;
	return rc;
}

void store_cmap_release(struct store_cmap *m)
{
	for (int i = 0; m->names && i < m->k; i++)
		free(m->names[i]);
	free(m->names);
	free(m->local);
	for (int k = 0; k < STORE_NODE_KIND_MAX; k++)
		free(m->local_kind[k]);
	free(m->ids);
	free(m->kinds);
	memset(m, 0, sizeof(*m));
}

int store_cmap_of_node(const struct store_cmap *m, const struct store_names *nm, int64_t node_id)
{
	int64_t cid = store_names_cluster_id(nm, node_id);
	enum store_node_kind kind = store_names_kind(nm, node_id);
	int li;

	if (cid <= 0 || cid >= m->n_ids)
		return m->spare;
	li = kind == STORE_NODE ? m->local[cid] : m->local_kind[kind][cid];
	return li < 0 ? m->spare : li;
}

const char *store_cmap_name(const struct store_cmap *m, const struct store_names *nm, int li)
{
	(void)nm;
	return li == m->spare || !m->names[li] ? "?" : m->names[li];
}

/* ---- groups -------------------------------------------------------------------------------- */

struct group_acc {
	int64_t results, passed, sent, received;
	uint32_t *rtt; /* average RTT of each passed result, for percentiles */
	size_t n_rtt, cap_rtt;
};

struct groups_ctx {
	const struct store_cmap *m;
	const struct store_names *nm;
	int kk; /* clusters per side, with the spare */
};

static void group_split(const struct groups_ctx *g, int idx, int *sc, int *dc, int *proto, int *fam,
			int *net)
{
	*net = idx % STORE_NET_MAX;
	idx /= STORE_NET_MAX;
	*fam = idx % 2;
	idx /= 2;
	*proto = idx % PROTO_MAX;
	idx /= PROTO_MAX;
	*dc = idx % g->kk;
	*sc = idx / g->kk;
}

static int group_cmp(const void *a, const void *b, void *arg)
{
	const struct groups_ctx *g = arg;
	int ia = *(const int *)a, ib = *(const int *)b;
	int sa, da, pa, fa, na, sb, db, pb, fb, nb, r;

	group_split(g, ia, &sa, &da, &pa, &fa, &na);
	group_split(g, ib, &sb, &db, &pb, &fb, &nb);
	r = strcmp(store_cmap_name(g->m, g->nm, sa), store_cmap_name(g->m, g->nm, sb));
	if (!r)
		r = strcmp(store_cmap_name(g->m, g->nm, da), store_cmap_name(g->m, g->nm, db));
	return r ? r : ia - ib;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint32_t percentile(const uint32_t *v, size_t n, int pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (n * (size_t)pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

static void group_add(struct group_acc *a, const struct store_result *r)
{
	a->results++;
	a->sent += r->sent;
	a->received += r->received;
	if (r->error != PROBE_OK)
		return;
	a->passed++;
	if (a->n_rtt == a->cap_rtt)
		a->rtt = xgrow(a->rtt, &a->cap_rtt, a->n_rtt + 1, sizeof(*a->rtt));
	a->rtt[a->n_rtt++] = r->rtt_avg_us;
}

static int groups_emit(struct groups_ctx *g, struct group_acc *acc, int n_groups,
		       int (*cb)(const struct store_group *grp, void *ctx), void *ctx)
{
	int *order = xcalloc((size_t)n_groups + 1, sizeof(*order));
	int n = 0;

	for (int i = 0; i < n_groups; i++)
		if (acc[i].results)
			order[n++] = i;
	qsort_r(order, (size_t)n, sizeof(*order), group_cmp, g);
	for (int i = 0; i < n; i++) {
		struct group_acc *a = &acc[order[i]];
		struct store_group grp = {0};
		int sc, dc, proto, fam, net;

		group_split(g, order[i], &sc, &dc, &proto, &fam, &net);
		qsort(a->rtt, a->n_rtt, sizeof(*a->rtt), u32_cmp);
		grp.src_cluster = store_cmap_name(g->m, g->nm, sc);
		grp.dst_cluster = store_cmap_name(g->m, g->nm, dc);
		grp.protocol = (uint8_t)proto;
		grp.family = fam ? 6 : 4;
		grp.network = (uint8_t)net;
		grp.results = a->results;
		grp.passed = a->passed;
		grp.failed = a->results - a->passed;
		grp.sent = a->sent;
		grp.received = a->received;
		grp.rtt_p50_us = percentile(a->rtt, a->n_rtt, 50);
		grp.rtt_p99_us = percentile(a->rtt, a->n_rtt, 99);
		if (cb(&grp, ctx))
			break;
	}
	free(order);
	return 0;
}

static int groups_scan(struct store *st, struct store_cursor *c, struct groups_ctx *g,
		       struct group_acc *acc, struct err *err)
{
	int more;

	while ((more = store_cursor_next(st, c, err)) == 1) {
		const struct store_key *k = store_cursor_key(c);
		struct store_result r = {
		    .src_node = k->src,
		    .dst_node = k->dst,
		    .protocol = (uint8_t)k->proto,
		    .family = (uint8_t)k->family,
		    .network = (uint8_t)k->network,
		    .error = (uint8_t)store_cursor_error(c),
		    .rtt_avg_us = store_cursor_rtt_avg(c),
		};
		int sc, dc;

		store_cursor_counts(c, &r.sent, &r.received);
		/* The store writes valid codes only; a hand-edited file must not index out of
		 * the group table. */
		if (r.protocol >= PROTO_MAX || r.network >= STORE_NET_MAX)
			continue;
		sc = store_cmap_of_node(g->m, g->nm, r.src_node);
		dc = store_cmap_of_node(g->m, g->nm, r.dst_node);
		group_add(
		    &acc[(((sc * g->kk + dc) * PROTO_MAX + r.protocol) * 2 + (r.family == 6)) *
			     STORE_NET_MAX +
			 r.network],
		    &r);
	}
	return more;
}

int store_run_groups(struct store *st, int64_t run_id,
		     int (*cb)(const struct store_group *g, void *ctx), void *ctx, struct err *err)
{
	struct store_cursor *c = xcalloc(1, sizeof(*c));
	struct group_acc *acc = NULL;
	struct store_names nm = {0};
	struct store_cmap m = {0};
	struct groups_ctx g;
	int rc = -1, n_groups = 0;

	if (store_cursor_open_keys(st, c, run_id, true, STORE_KEYS_COUNTS, err) < 0 ||
	    store_names_load(st, &nm, err) < 0 ||
	    store_cmap_load(st, c->run_ids, c->n, &nm, &m, err) < 0)
		goto out;
	g = (struct groups_ctx){.m = &m, .nm = &nm, .kk = m.k + 1};
	n_groups = g.kk * g.kk * PROTO_MAX * 2 * STORE_NET_MAX;
	acc = xcalloc((size_t)n_groups, sizeof(*acc));
	if (groups_scan(st, c, &g, acc, err) < 0)
		goto out;
	rc = groups_emit(&g, acc, n_groups, cb, ctx);
out:
	for (int i = 0; acc && i < n_groups; i++)
		free(acc[i].rtt);
	free(acc);
	store_cmap_release(&m);
	store_names_release(&nm);
	store_cursor_close(c);
	free(c);
	return rc;
}
