/* store: sampling series, windows over runs (the latest result of every pair within a
 * window) and coverage (docs/usage.md, "Sampling and coverage"). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int store_sample_next(struct store *st, const char *key, uint64_t *round, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st,
					"INSERT INTO sample_series (key, rounds) VALUES (?1, 1) "
					"ON CONFLICT (key) DO UPDATE SET rounds = rounds + 1 "
					"RETURNING rounds - 1",
					err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*round = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, "sampling series");
	return 0;
}

void store_set_window(struct store *st, const struct store_window *w)
{
	memset(&st->window, 0, sizeof(st->window));
	if (w)
		st->window = *w;
}

bool store_window_set(const struct store *st)
{
	return st->window.ms > 0 || st->window.runs > 0;
}

_Static_assert(STORE_WINDOW_MAX == STORE_CHAIN_MAX, "the window reads one cursor per run");

/* The oldest of the last `checks` runs up to run_id that resume nothing (0: none). */
static int window_first_check(struct store *st, int64_t run_id, int64_t checks, int64_t *first,
			      struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st,
	    "SELECT min(id) FROM (SELECT f.id FROM runs f, runs n WHERE n.id = ?1 AND "
	    "f.compare_key = n.compare_key AND f.id <= n.id AND f.parent_id IS NULL AND "
	    "(f.id = n.id OR f.status IN ('done', 'interrupted')) ORDER BY f.id DESC LIMIT ?2)",
	    err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, checks);
	rc = sqlite3_step(s);
	*first = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, "window");
}

int store_window_chain(struct store *st, int64_t run_id, int64_t *ids, int max, struct err *err)
{
	/* with checks: the runs from the runs-th newest one that resumes nothing on */
	sqlite3_stmt *s = store_prepare(
	    st,
	    "SELECT r.id FROM runs r, runs n WHERE n.id = ?1 AND r.compare_key = n.compare_key "
	    "AND r.id <= n.id AND r.id >= ?4 AND (r.id = n.id OR r.status IN ('done', "
	    "'interrupted')) AND r.started_ms >= n.started_ms - ?2 ORDER BY r.id DESC LIMIT ?3",
	    err);
	bool checks = st->window.checks && st->window.runs;
	int64_t limit = st->window.runs && !checks ? (int64_t)st->window.runs : (int64_t)max + 1;
	int64_t first = 0;
	int n = 0, rc;

	if (!s)
		return -1;
	if (checks) {
		limit = max;
		if (window_first_check(st, run_id, (int64_t)st->window.runs, &first, err) < 0) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, st->window.ms > 0 ? st->window.ms : INT64_MAX / 4);
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, first);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == max) {
			rc = SQLITE_DONE;
			n = -1;
			err_set(err, ERR_LIMIT,
				"run %lld: the window holds more than %d comparable runs (narrow "
				"it with --runs or a shorter --window)",
				(long long)run_id, max);
			break;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		n = store_fail(st, err, "window");
	} else if (n == 0) {
		n = -1;
		err_set(err, ERR_NOTFOUND, "no run %lld (see netctl history)", (long long)run_id);
	}
	sqlite3_finalize(s);
	return n;
}

/* ---- coverage ------------------------------------------------------------------------ */

struct cov {
	struct store *st;
	const struct store_coverage_query *q;
	struct store_coverage *sum;
	int (*cb)(const struct store_coverage_pair *p, void *ctx);
	void *ctx;
	cJSON *opts;
	size_t nclusters;      /* clusters of the newest run, in its recorded order */
	const char **names;    /* borrowed from opts */
	bool *pairs;	       /* nclusters x nclusters */
	int64_t *count;	       /* real nodes per cluster in the newest run */
	struct idmap node_idx; /* node id -> cluster index, real nodes of the newest run */
	struct idmap run_idx;  /* run id -> index into run_ms */
	int64_t run_ms[STORE_CHAIN_MAX];
	unsigned protocols, families, networks;
	int64_t *group_seen, *group_failed; /* per group, with q->group_cb only */
};

/* Index of bit among the bits of mask (mask has it). */
static size_t bit_rank(unsigned mask, unsigned bit)
{
	return (size_t)__builtin_popcount(mask & ((1u << bit) - 1));
}

static size_t cov_group_ix(const struct cov *c, size_t a, size_t b, unsigned proto,
			   unsigned fam_bit, unsigned net)
{
	size_t np = (size_t)__builtin_popcount(c->protocols);
	size_t nf = (size_t)__builtin_popcount(c->families);
	size_t nn = (size_t)__builtin_popcount(c->networks);

	return (((a * c->nclusters + b) * np + bit_rank(c->protocols, proto)) * nf +
		bit_rank(c->families, fam_bit)) *
		   nn +
	       bit_rank(c->networks, net);
}

static bool cluster_match(const char *want, const char *name)
{
	return !want || !strcmp(want, name);
}

static int cov_clusters(struct cov *c, const struct store_run_info *r, struct err *err)
{
	const cJSON *cl, *cp, *it;
	size_t i = 0;

	c->opts = json_parse(r->options_json, strlen(r->options_json), 0, err);
	if (!c->opts)
		return err_prefix(err, "run %lld: recorded options", (long long)r->id);
	cl = cJSON_GetObjectItemCaseSensitive(c->opts, "clusters");
	cp = cJSON_GetObjectItemCaseSensitive(c->opts, "cluster_pairs");
	c->nclusters = cJSON_IsArray(cl) ? (size_t)cJSON_GetArraySize(cl) : 0;
	if (!c->nclusters || !cJSON_IsArray(cp) ||
	    (size_t)cJSON_GetArraySize(cp) != c->nclusters * c->nclusters)
		return err_set(err, ERR_STORE, "run %lld: recorded options lack cluster pairs",
			       (long long)r->id);
	c->names = xcalloc(c->nclusters, sizeof(*c->names));
	c->pairs = xcalloc(c->nclusters * c->nclusters, sizeof(bool));
	c->count = xcalloc(c->nclusters, sizeof(int64_t));
	cJSON_ArrayForEach(it, cl)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");

		if (!cJSON_IsString(name))
			return err_set(err, ERR_STORE, "run %lld: recorded cluster without name",
				       (long long)r->id);
		c->names[i++] = name->valuestring;
	}
	i = 0;
	cJSON_ArrayForEach(it, cp) c->pairs[i++] = cJSON_IsTrue(it);
	return 0;
}

static int cov_node(const struct store_run_node *n, void *arg)
{
	struct cov *c = arg;

	if (n->node.kind != STORE_NODE)
		return 0;
	for (size_t i = 0; i < c->nclusters; i++) {
		if (!strcmp(c->names[i], n->cluster_name)) {
			idmap_put(&c->node_idx, n->node.id, (uint32_t)i);
			c->count[i]++;
		}
	}
	return 0;
}

/* The pairs of (a, b) counted: the run pairs them and the query asks for them. */
static bool cov_pair_on(const struct cov *c, size_t a, size_t b)
{
	return c->pairs[a * c->nclusters + b] && cluster_match(c->q->src_cluster, c->names[a]) &&
	       cluster_match(c->q->dst_cluster, c->names[b]);
}

static int cov_row(const struct store_result_row *row, void *arg)
{
	struct cov *c = arg;
	long a = idmap_get(&c->node_idx, row->r.src_node);
	long b = idmap_get(&c->node_idx, row->r.dst_node);
	long ri = idmap_get(&c->run_idx, row->run_id);
	struct store_coverage_pair p;

	if (a < 0 || b < 0 || !cov_pair_on(c, (size_t)a, (size_t)b) ||
	    !(c->protocols & (1u << row->r.protocol)) ||
	    !(c->families & (row->r.family == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)) ||
	    !(c->networks & (1u << row->r.network)))
		return 0;
	c->sum->seen++;
	if (row->r.error != PROBE_OK)
		c->sum->failed++;
	if (c->group_seen) {
		size_t g = cov_group_ix(c, (size_t)a, (size_t)b, row->r.protocol,
					row->r.family == 6 ? 1 : 0, row->r.network);

		c->group_seen[g]++;
		if (row->r.error != PROBE_OK)
			c->group_failed[g]++;
	}
	if (!c->cb)
		return 0;
	p.row = row;
	p.run_started_ms = ri < 0 ? 0 : c->run_ms[ri];
	return c->cb(&p, c->ctx);
}

static int cov_runs(struct cov *c, int64_t run_id, struct err *err)
{
	int64_t ids[STORE_CHAIN_MAX];
	int n = store_window_set(c->st)
		    ? store_window_chain(c->st, run_id, ids, STORE_CHAIN_MAX, err)
		    : store_run_chain(c->st, run_id, ids, STORE_CHAIN_MAX, err);

	if (n < 0)
		return -1;
	c->sum->runs = n;
	for (int i = 0; i < n; i++) {
		struct store_run_info *r = store_run_get(c->st, ids[i], err);

		if (!r)
			return -1;
		idmap_put(&c->run_idx, ids[i], (uint32_t)i);
		c->run_ms[i] = r->started_ms;
		if (!r->parent_id)
			c->sum->checks++;
		if (i == n - 1)
			c->sum->oldest_ms = r->started_ms;
		if (i == 0)
			c->sum->newest_ms = r->started_ms;
		store_run_info_free(r);
	}
	return 0;
}

/* Each group's figures to q->group_cb, in index order (cluster pair, protocol, family,
 * network). */
static int cov_groups(const struct cov *c, const int64_t *per_cluster)
{
	for (size_t a = 0; a < c->nclusters; a++) {
		for (size_t b = 0; b < c->nclusters; b++) {
			struct store_coverage_group g = {.src_cluster = c->names[a],
							 .dst_cluster = c->names[b],
							 .src_nodes = per_cluster[a],
							 .dst_nodes = per_cluster[b]};

			if (!cov_pair_on(c, a, b))
				continue;
			g.all = per_cluster[a] * (per_cluster[b] - (a == b));
			for (unsigned p = 0; p < PROTO_MAX; p++) {
				if (!(c->protocols & (1u << p)))
					continue;
				for (unsigned f = 0; f < 2; f++) {
					if (!(c->families & (1u << f)))
						continue;
					for (unsigned n = 0; n < STORE_NET_MAX; n++) {
						size_t ix = cov_group_ix(c, a, b, p, f, n);
						int rc;

						if (!(c->networks & (1u << n)))
							continue;
						g.protocol = (uint8_t)p;
						g.family = f ? 6 : 4;
						g.network = (uint8_t)n;
						g.seen = c->group_seen[ix];
						g.failed = c->group_failed[ix];
						rc = c->q->group_cb(&g, c->q->group_ctx);
						if (rc)
							return rc;
					}
				}
			}
		}
	}
	return 0;
}

int store_coverage(struct store *st, int64_t run_id, const struct store_coverage_query *q,
		   int (*cb)(const struct store_coverage_pair *p, void *ctx), void *ctx,
		   struct store_coverage *sum, struct err *err)
{
	struct store_results_query rq = {.merged = true};
	struct store_run_info *r = store_run_get(st, run_id, err);
	struct cov c = {.st = st, .q = q, .sum = sum, .cb = cb, .ctx = ctx};
	int rc = -1;
	int64_t per_pair;

	memset(sum, 0, sizeof(*sum));
	idmap_init(&c.node_idx);
	idmap_init(&c.run_idx);
	if (!r)
		goto out;
	sum->run_id = run_id;
	c.protocols = r->protocols & ~(1u << PROTO_DNS);
	c.families = r->families;
	c.networks = r->networks;
	per_pair = (int64_t)__builtin_popcount(c.protocols) * __builtin_popcount(c.families) *
		   __builtin_popcount(c.networks);
	if (cov_clusters(&c, r, err) < 0 ||
	    store_run_nodes_foreach(st, run_id, cov_node, &c, err) < 0 ||
	    cov_runs(&c, run_id, err) < 0)
		goto out;
	for (size_t a = 0; a < c.nclusters; a++)
		for (size_t b = 0; b < c.nclusters; b++)
			if (cov_pair_on(&c, a, b))
				sum->all += c.count[a] * (c.count[b] - (a == b)) * per_pair;
	if (q->group_cb) {
		size_t ngroups = c.nclusters * c.nclusters * (size_t)per_pair;

		c.group_seen = xcalloc(ngroups ? ngroups : 1, sizeof(int64_t));
		c.group_failed = xcalloc(ngroups ? ngroups : 1, sizeof(int64_t));
	}
	rc = store_results_foreach(st, run_id, &rq, cov_row, &c, err);
	if (rc == 0 && q->group_cb)
		rc = cov_groups(&c, c.count);
out:
	store_run_info_free(r);
	cJSON_Delete(c.opts);
	free(c.names);
	free(c.pairs);
	free(c.count);
	free(c.group_seen);
	free(c.group_failed);
	idmap_release(&c.node_idx);
	idmap_release(&c.run_idx);
	return rc;
}
