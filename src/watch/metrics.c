/* The metrics of `netctl watch`, collected from the store after each check: one walk over
 * the check's results (merged along its resume chain) for the per-group and per-node
 * figures, and the check's verdicts. Memory grows with groups, nodes and verdicts, never
 * with pairs. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "store.h"
#include "verdict.h"
#include "watch_int.h"

const double watch_rtt_bounds[WATCH_RTT_BUCKETS] = {
    0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005,
    0.01,    0.02,    0.05,    0.1,    0.2,    0.5,    1,     2,     5,
};

struct watch_metrics *watch_metrics_new(int64_t every_ms, int64_t recheck_ms, int64_t start_wall_ms)
{
	struct watch_metrics *m = xcalloc(1, sizeof(*m));

	m->every_ms = every_ms;
	m->recheck_ms = recheck_ms;
	m->start_wall_ms = start_wall_ms;
	m->done_wall_ms = start_wall_ms;
	idmap_init(&m->group_ix);
	return m;
}

static void nodes_clear(struct watch_metrics *m)
{
	for (size_t i = 0; i < m->nnodes; i++)
		free(m->nodes[i].name);
	m->nnodes = 0;
}

static void verdicts_clear(struct watch_metrics *m)
{
	for (size_t i = 0; i < m->nverdicts; i++)
		for (int l = 0; l < WV_N; l++)
			free(m->verdicts[i].label[l]);
	m->nverdicts = 0;
}

void watch_metrics_free(struct watch_metrics *m)
{
	if (!m)
		return;
	nodes_clear(m);
	verdicts_clear(m);
	free(m->nodes);
	free(m->verdicts);
	for (size_t i = 0; i < m->nclusters; i++)
		free(m->clusters[i]);
	free(m->clusters);
	free(m->groups);
	free(m->rotations);
	free(m->windows);
	idmap_release(&m->group_ix);
	free(m);
}

static uint32_t cluster_intern(struct watch_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nclusters; i++)
		if (!strcmp(m->clusters[i], name))
			return (uint32_t)i;
	m->clusters = xgrow(m->clusters, &m->capclusters, m->nclusters + 1, sizeof(*m->clusters));
	m->clusters[m->nclusters] = xstrdup(name);
	return (uint32_t)m->nclusters++;
}

/* ---- one walk over a check's results ----------------------------------------------------- */

struct walk {
	struct watch_metrics *m;
	bool observe_rtt;
	struct idmap node_ix; /* node id -> index into m->nodes */
};

static uint32_t node_of(struct walk *w, int64_t id, const char *cluster, const char *name)
{
	struct watch_metrics *m = w->m;
	long ix = idmap_get(&w->node_ix, id);
	struct wnode *n;

	if (ix >= 0)
		return (uint32_t)ix;
	m->nodes = xgrow(m->nodes, &m->capnodes, m->nnodes + 1, sizeof(*m->nodes));
	n = &m->nodes[m->nnodes];
	memset(n, 0, sizeof(*n));
	n->cluster = cluster_intern(m, cluster);
	n->name = xstrdup(name);
	idmap_put(&w->node_ix, id, (uint32_t)m->nnodes);
	return (uint32_t)m->nnodes++;
}

static struct wgroup *group_of(struct watch_metrics *m, uint32_t src, uint32_t dst,
			       const struct store_result *r)
{
	int64_t key = ((int64_t)src << 40) | ((int64_t)dst << 20) | ((int64_t)r->protocol << 8) |
		      ((int64_t)(r->family == 6) << 4) | r->network;
	long ix = idmap_get(&m->group_ix, key);
	struct wgroup *g;

	if (ix >= 0)
		return &m->groups[ix];
	m->groups = xgrow(m->groups, &m->capgroups, m->ngroups + 1, sizeof(*m->groups));
	g = &m->groups[m->ngroups];
	memset(g, 0, sizeof(*g));
	g->src = src;
	g->dst = dst;
	g->protocol = r->protocol;
	g->family = r->family;
	g->network = r->network;
	idmap_put(&m->group_ix, key, (uint32_t)m->ngroups++);
	return g;
}

static int walk_row(const struct store_result_row *row, void *arg)
{
	struct walk *w = arg;
	const struct store_result *r = &row->r;
	uint32_t s = node_of(w, r->src_node, row->src_cluster, row->src_name);
	const char *kind = store_node_kind_group(row->dst_kind);
	char *pseudo = kind ? xasprintf("%s:%s", row->dst_cluster, kind) : NULL;
	/* a target or API server address is a destination group of its own, as in reports */
	uint32_t d = node_of(w, r->dst_node, pseudo ? pseudo : row->dst_cluster, row->dst_name);
	struct wgroup *g;

	free(pseudo);

	/* a hand-edited store must not index out of the names */
	if (r->protocol >= PROTO_MAX || r->network >= STORE_NET_MAX)
		return 0;
	g = group_of(w->m, w->m->nodes[s].cluster, w->m->nodes[d].cluster, r);
	g->current = true;
	g->checked++;
	g->sent += r->sent;
	g->received += r->received;
	if (r->error != PROBE_OK) {
		g->failed++;
		w->m->nodes[s].fail_from++;
		w->m->nodes[d].fail_to++;
		return 0;
	}
	if (w->observe_rtt) {
		double v = (double)r->rtt_avg_us / 1e6;

		g->rtt[prom_bucket_index(watch_rtt_bounds, WATCH_RTT_BUCKETS, v)]++;
		g->rtt_sum += v;
	}
	return 0;
}

static int collect_results(struct watch_metrics *m, struct store *st, int64_t run_id,
			   bool observe_rtt, struct err *err)
{
	struct store_results_query q = {.merged = true};
	struct walk w = {.m = m, .observe_rtt = observe_rtt};
	int rc;

	for (size_t i = 0; i < m->ngroups; i++) {
		struct wgroup *g = &m->groups[i];

		g->current = false;
		g->checked = g->failed = g->sent = g->received = 0;
	}
	nodes_clear(m);
	idmap_init(&w.node_ix);
	rc = store_results_foreach(st, run_id, &q, walk_row, &w, err);
	idmap_release(&w.node_ix);
	return rc;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

/* "east/east-node-1" -> "east-node-1" */
static char *after_slash(const char *s)
{
	const char *p = s ? strchr(s, '/') : NULL;

	return s ? xstrdup(p ? p + 1 : s) : NULL;
}

static char *before_slash(const char *s)
{
	const char *p = s ? strchr(s, '/') : NULL;

	return p ? xstrndup(s, (size_t)(p - s)) : NULL;
}

static bool verdict_known(const struct watch_metrics *m, const struct wverdict *v)
{
	for (size_t i = 0; i < m->nverdicts; i++) {
		int l = 0;

		while (l < WV_N && str_eq(m->verdicts[i].label[l], v->label[l]))
			l++;
		if (l == WV_N)
			return true;
	}
	return false;
}

static void verdict_add(struct watch_metrics *m, const struct verdict *v)
{
	struct wverdict w = {{NULL}};

	w.label[WV_KIND] = xstrdup(verdict_kind_name(v->kind));
	w.label[WV_CLUSTER] = xstrdup_or_null(v->src_cluster);
	w.label[WV_NODE] = after_slash(v->node);
	w.label[WV_PEER_CLUSTER] =
	    v->peer ? before_slash(v->peer) : xstrdup_or_null(v->dst_cluster);
	w.label[WV_PEER_NODE] = after_slash(v->peer);
	if (v->protocol >= 0 && v->protocol < PROTO_MAX)
		w.label[WV_PROTOCOL] = xstrdup(probe_protocol_name(v->protocol));
	if (v->family)
		w.label[WV_FAMILY] = xasprintf("%d", v->family);
	/* two verdicts about the same scope are one series */
	if (verdict_known(m, &w)) {
		for (int l = 0; l < WV_N; l++)
			free(w.label[l]);
		return;
	}
	m->verdicts = xgrow(m->verdicts, &m->capverdicts, m->nverdicts + 1, sizeof(*m->verdicts));
	m->verdicts[m->nverdicts++] = w;
}

static int collect_verdicts(struct watch_metrics *m, struct store *st, int64_t run_id,
			    struct err *err)
{
	struct verdict_opts vo = {.merged = true};
	struct verdict_list *vl = verdict_compute(st, run_id, &vo, err);

	if (!vl)
		return -1;
	verdicts_clear(m);
	for (size_t i = 0; i < verdict_count(vl); i++)
		verdict_add(m, verdict_get(vl, i));
	verdict_list_free(vl);
	return 0;
}

/* ---- the window over the last rotation ----------------------------------------------------- */

bool watch_window_due(int64_t cost_us, int64_t every_ms, int64_t skipped)
{
	return cost_us <= (skipped + 1) * every_ms * 1000 / WATCH_WINDOW_SHARE;
}

/* What the run recorded of its sampling and cluster pairs. */
struct rot {
	struct watch_metrics *m;
	long sample, round;
	size_t nclusters;
	uint32_t *cluster; /* recorded cluster -> interned index */
	bool *pairs;	   /* nclusters x nclusters */
	int64_t *nodes;	   /* real nodes per recorded cluster */
};

static int rot_node(const struct store_run_node *n, void *arg)
{
	struct rot *r = arg;
	uint32_t c;

	if (n->node.kind != STORE_NODE)
		return 0;
	c = cluster_intern(r->m, n->cluster_name);
	for (size_t i = 0; i < r->nclusters; i++)
		if (r->cluster[i] == c)
			r->nodes[i]++;
	return 0;
}

static int rot_options(struct rot *r, const char *options_json, int64_t run_id, struct err *err)
{
	cJSON *o = json_parse(options_json, strlen(options_json), 0, err);
	const cJSON *cl, *cp, *it;
	size_t i = 0;
	int rc = -1;

	if (!o)
		return err_prefix(err, "run %lld: recorded options", (long long)run_id);
	if (json_get_long(o, "sample", 0, LONG_MAX, &r->sample, err) < 0 ||
	    json_get_long(o, "sample_round", 0, LONG_MAX, &r->round, err) < 0)
		goto out;
	cl = cJSON_GetObjectItemCaseSensitive(o, "clusters");
	cp = cJSON_GetObjectItemCaseSensitive(o, "cluster_pairs");
	r->nclusters = cJSON_IsArray(cl) ? (size_t)cJSON_GetArraySize(cl) : 0;
	if (!r->nclusters || !cJSON_IsArray(cp) ||
	    (size_t)cJSON_GetArraySize(cp) != r->nclusters * r->nclusters) {
		err_set(err, ERR_STORE, "run %lld: recorded options lack cluster pairs",
			(long long)run_id);
		goto out;
	}
	r->cluster = xcalloc(r->nclusters, sizeof(*r->cluster));
	r->pairs = xcalloc(r->nclusters * r->nclusters, sizeof(*r->pairs));
	r->nodes = xcalloc(r->nclusters, sizeof(*r->nodes));
	cJSON_ArrayForEach(it, cl)
	{
		const char *name = NULL;

		if (json_get_string(it, "name", &name, err) != 0) {
			err_set(err, ERR_STORE, "run %lld: recorded cluster without name",
				(long long)run_id);
			goto out;
		}
		r->cluster[i++] = cluster_intern(r->m, name);
	}
	i = 0;
	cJSON_ArrayForEach(it, cp) r->pairs[i++] = cJSON_IsTrue(it);
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* The rotation of each cluster pair the run checked: ceil(destinations / K) checks (1 without
 * --sample, or K covering them all); R, the window, is the longest. */
static int64_t rot_checks(struct watch_metrics *m, const struct rot *r)
{
	int64_t longest = 1;

	m->nrotations = 0;
	for (size_t a = 0; a < r->nclusters; a++) {
		for (size_t b = 0; b < r->nclusters; b++) {
			int64_t n = r->nodes[b] - (a == b), k = r->sample;
			struct wrotation *w;

			if (!r->pairs[a * r->nclusters + b] || n <= 0)
				continue;
			m->rotations = xgrow(m->rotations, &m->caprotations, m->nrotations + 1,
					     sizeof(*m->rotations));
			w = &m->rotations[m->nrotations++];
			w->src = r->cluster[a];
			w->dst = r->cluster[b];
			w->checks = k > 0 ? (n + k - 1) / k : 1;
			if (w->checks > longest)
				longest = w->checks;
		}
	}
	return longest < STORE_WINDOW_MAX ? longest : STORE_WINDOW_MAX;
}

static int window_group(const struct store_coverage_group *g, void *arg)
{
	struct watch_metrics *m = arg;
	struct wwindow *w;

	if (!g->all && !g->seen)
		return 0;
	m->windows = xgrow(m->windows, &m->capwindows, m->nwindows + 1, sizeof(*m->windows));
	w = &m->windows[m->nwindows++];
	w->src = cluster_intern(m, g->src_cluster);
	w->dst = cluster_intern(m, g->dst_cluster);
	w->protocol = g->protocol;
	w->family = g->family;
	w->network = g->network;
	w->pairs = g->all;
	w->probed = g->seen;
	w->failed = g->failed;
	return 0;
}

/* The sampling gauges (a full check) and the window over the last R checks ending at the run:
 * `netctl coverage --runs R` per group, rechecks along with their checks. */
static int collect_window(struct watch_metrics *m, struct store *st, const struct watch_check *c,
			  struct err *err)
{
	struct store_run_info *ri = store_run_get(st, c->run_id, err);
	struct rot r = {.m = m};
	struct store_coverage_query q = {.group_cb = window_group, .group_ctx = m};
	struct store_coverage sum;
	struct store_window w = {.checks = true};
	int64_t t0;
	int rc = -1;

	if (!ri)
		return -1;
	if (rot_options(&r, ri->options_json, c->run_id, err) < 0 ||
	    store_run_nodes_foreach(st, c->run_id, rot_node, &r, err) < 0)
		goto out;
	if (c->job == WATCH_FULL) {
		m->sample_size = r.sample;
		m->sample_round = r.sample ? r.round : 0;
	}
	w.runs = (size_t)rot_checks(m, &r);
	if (m->have_window &&
	    !watch_window_due(m->window_cost_us, m->every_ms, m->window_skipped)) {
		m->window_skipped++;
		rc = 0;
		goto out;
	}
	t0 = time_mono_us();
	m->nwindows = 0;
	store_set_window(st, &w);
	rc = store_coverage(st, c->run_id, &q, NULL, NULL, &sum, err);
	store_set_window(st, NULL);
	m->have_window = rc == 0;
	if (rc < 0)
		m->nwindows = 0;
	m->window_cost_us = time_mono_us() - t0;
	m->window_skipped = 0;
	m->window_run_id = c->run_id;
	m->window_rotation = (int64_t)w.runs;
	m->window_checks = sum.checks;
out:
	store_run_info_free(ri);
	free(r.cluster);
	free(r.pairs);
	free(r.nodes);
	return rc;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static void count_check(struct watch_metrics *m, const struct watch_check *c)
{
	int status = c->status >= 0 && c->status < WSTATUS_N ? c->status : STORE_RUN_FAILED;

	m->checks[c->job == WATCH_RECHECK][status]++;
	if (c->late)
		m->late++;
	if (c->job == WATCH_FULL) {
		m->have_full = true;
		m->full_rollout_ms = c->rollout_ms;
		m->full_table_ms = c->table_ms;
		m->full_probe_ms = c->probe_ms;
		m->full_store_ms = c->store_ms;
		m->full_total_ms = c->total_ms;
		m->full_api_requests = c->api_requests;
	}
}

int watch_metrics_add_check(struct watch_metrics *m, struct store *st, const struct watch_check *c,
			    struct err *err)
{
	count_check(m, c);
	if (c->status != STORE_RUN_DONE || c->run_id <= 0)
		return 0;
	if (collect_results(m, st, c->run_id, c->job == WATCH_FULL, err) < 0 ||
	    collect_verdicts(m, st, c->run_id, err) < 0 || collect_window(m, st, c, err) < 0)
		return -1;
	if (c->job == WATCH_FULL) {
		m->done_wall_ms = c->end_wall_ms;
		m->done_run_id = c->run_id;
	} else {
		m->have_recheck = true;
		m->recheck_recovered = c->results - c->failed;
		m->recheck_still_failing = c->failed;
	}
	return 0;
}

void watch_metrics_set_store(struct watch_metrics *m, int64_t runs, int64_t bytes, int64_t pruned)
{
	m->store_runs = runs;
	m->store_bytes = bytes;
	if (pruned > 0)
		m->pruned += (uint64_t)pruned;
}
