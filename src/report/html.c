/* The HTML report: one self-contained file (report.html, embedded at build time). Tables
 * (verdicts, summary, diff, first failures) are static HTML; the heatmaps are drawn by a
 * small script on <canvas> from one character per node pair, so 1,000 x 1,000 nodes is a
 * few MB and no DOM nodes per cell. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "report_int.h"

extern const struct embedded_file netctl_report_assets[];

/* A cell is one of 64 characters (report.html reads the same two bounds) */
#define CELL_PASS_MAX 41 /* 1..41: passed, RTT bucket (two per octave from 8 us; 41: >= 8 s) */
#define CELL_LOSS_MAX 51 /* 42..51: loss in tens of percent; 52..63: failed, 51 + error */
/* The DNS outcomes share code 63 (51 + PROBE_NXDOMAIN), which the map calls "dns" (the
 * failure table names each). */
#define CELL_ERRORS (PROBE_NXDOMAIN + 1)
_Static_assert(CELL_LOSS_MAX + PROBE_NXDOMAIN <= 63, "a failed cell's code beyond 63");
#define HTML_FAILURES  5000	   /* failing results embedded with exact figures */
#define HTML_FAIL_ROWS 100	   /* of which shown as a table */
#define HTML_DIFF_ROWS 200	   /* regressions/recoveries listed */
#define HTML_MAX_CELLS (64u << 20) /* bound on heatmap memory and file size */
#define HTML_MAX_CHAIN 1000	   /* resume-chain hops followed to find nodes */

static const char cell_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct hcluster {
	char *name;
	int64_t *ids;
	char **nodes;
	size_t n, cap;
};

struct hmap {
	uint32_t sc, dc;
	int protocol;
	size_t rows, cols;
	unsigned char *cells;
};

struct hfail {
	uint32_t map, row, col;
	uint8_t family, network, error;
	uint32_t sent, received, rtt;
};

struct hdiff {
	enum store_diff_kind kind;
	char *src, *dst; /* "cluster/node" */
	uint8_t protocol, family, network;
	int a_err, b_err; /* -1: absent */
};

struct html {
	struct rctx *r;
	struct hcluster *cl;
	size_t ncl, capcl;
	struct idmap node_ix; /* node id -> ci << 32 | position, via two arrays */
	uint32_t *node_ci, *node_pos;
	struct hmap *maps;
	size_t nmaps, capmaps, cells_total;
	struct idmap map_ix;
	struct hfail *fails;
	size_t nfails, capfails;
	int64_t fails_total, unmapped, skipped_maps;
	/* diff */
	int64_t base;
	const char *base_why;
	struct store_diff_summary dsum;
	struct store_diff_counts *dgroups;
	size_t ndgroups, capdgroups;
	struct hdiff *drows;
	size_t ndrows, capdrows;
	int64_t drows_total;
	bool diff_ok;
};

/* ---- nodes ---------------------------------------------------------------------------------- */

static struct hcluster *cluster_get(struct html *h, const char *name, uint32_t *ci)
{
	for (size_t i = 0; i < h->ncl; i++)
		if (!strcmp(h->cl[i].name, name)) {
			*ci = (uint32_t)i;
			return &h->cl[i];
		}
	h->cl = xgrow(h->cl, &h->capcl, h->ncl + 1, sizeof(*h->cl));
	memset(&h->cl[h->ncl], 0, sizeof(*h->cl));
	h->cl[h->ncl].name = xstrdup(name);
	*ci = (uint32_t)h->ncl;
	return &h->cl[h->ncl++];
}

static int node_cb(const struct store_run_node *rn, void *ctx)
{
	struct html *h = ctx;
	struct hcluster *c;
	uint32_t ci;

	if (idmap_get(&h->node_ix, rn->node.id) >= 0)
		return 0;
	if (rn->node.kind != STORE_NODE) {
		/* pseudo-nodes get maps of their own ("east -> east:targets"), as in the summary */
		char *name = xasprintf("%s:%s", rn->cluster_name ? rn->cluster_name : "?",
				       store_node_kind_group(rn->node.kind));

		c = cluster_get(h, name, &ci);
		free(name);
	} else {
		c = cluster_get(h, rn->cluster_name ? rn->cluster_name : "?", &ci);
	}
	c->ids = xgrow(c->ids, &c->cap, c->n + 1, sizeof(*c->ids));
	c->nodes = xrealloc(c->nodes, c->cap * sizeof(*c->nodes));
	c->ids[c->n] = rn->node.id;
	c->nodes[c->n++] = xstrdup(rn->node.name ? rn->node.name : "?");
	idmap_put(&h->node_ix, rn->node.id, 0); /* positions are assigned after sorting */
	return 0;
}

static int name_cmp(const void *a, const void *b, void *ctx)
{
	const struct hcluster *c = ctx;

	return strcmp(c->nodes[*(const size_t *)a], c->nodes[*(const size_t *)b]);
}

/* Sorts each cluster's nodes by name and records every node's cluster and position. */
static void nodes_index(struct html *h)
{
	size_t dense = 0;

	for (size_t i = 0; i < h->ncl; i++)
		dense += h->cl[i].n;
	h->node_ci = xcalloc(dense + 1, sizeof(*h->node_ci));
	h->node_pos = xcalloc(dense + 1, sizeof(*h->node_pos));
	dense = 0;
	for (size_t i = 0; i < h->ncl; i++) {
		struct hcluster *c = &h->cl[i];
		size_t *order = xcalloc(c->n + 1, sizeof(*order));
		int64_t *ids = xcalloc(c->n + 1, sizeof(*ids));
		char **names = xcalloc(c->n + 1, sizeof(*names));

		for (size_t j = 0; j < c->n; j++)
			order[j] = j;
		qsort_r(order, c->n, sizeof(*order), name_cmp, c);
		for (size_t j = 0; j < c->n; j++) {
			ids[j] = c->ids[order[j]];
			names[j] = c->nodes[order[j]];
			idmap_put(&h->node_ix, ids[j], (uint32_t)dense);
			h->node_ci[dense] = (uint32_t)i;
			h->node_pos[dense++] = (uint32_t)j;
		}
		free(c->ids);
		free(c->nodes);
		free(order);
		c->ids = ids;
		c->nodes = names;
	}
}

/* The run's nodes and, for the merged view, its ancestors' (a resumed run's results can
 * name nodes only an ancestor recorded). */
static int nodes_load(struct html *h)
{
	struct rctx *r = h->r;
	int64_t id = r->run_id, parent = r->run->parent_id;

	for (int hop = 0; hop < HTML_MAX_CHAIN; hop++) {
		struct store_run_info *ri;

		if (store_run_nodes_foreach(r->st, id, node_cb, h, r->err) < 0)
			return -1;
		if (!r->o.merged || !parent)
			break;
		id = parent;
		ri = store_run_get(r->st, id, r->err);
		if (!ri)
			return -1;
		parent = ri->parent_id;
		store_run_info_free(ri);
	}
	nodes_index(h);
	return 0;
}

/* ---- cells ---------------------------------------------------------------------------------- */

static unsigned char cell_code(const struct store_result *res)
{
	bool lossy = res->received > 0 && res->received < res->sent;

	if (res->error == PROBE_OK && !lossy) {
		double b = res->rtt_avg_us > 8 ? 1 + floor(2 * log2(res->rtt_avg_us / 8.0)) : 1;

		return (unsigned char)(b > CELL_PASS_MAX ? CELL_PASS_MAX : b);
	}
	if (res->error == PROBE_OK || (res->error == PROBE_LOSS && res->received > 0)) {
		int lvl = (int)ceil(loss_pct(res->sent, res->received) / 10.0);

		lvl = lvl < 1 ? 1 : lvl > 10 ? 10 : lvl;
		return (unsigned char)(CELL_PASS_MAX + lvl);
	}
	return (unsigned char)(CELL_LOSS_MAX + (res->error < PROBE_NXDOMAIN    ? res->error
						: res->error < PROBE_ERROR_MAX ? PROBE_NXDOMAIN
									       : PROBE_OTHER));
}

static struct hmap *map_get(struct html *h, uint32_t sc, uint32_t dc, int protocol)
{
	int64_t key = ((int64_t)sc << 34) | ((int64_t)dc << 2) | protocol;
	long ix = idmap_get(&h->map_ix, key);
	struct hmap *m;
	size_t cells;

	if (ix >= 0)
		return h->maps[ix].cells ? &h->maps[ix] : NULL;
	h->maps = xgrow(h->maps, &h->capmaps, h->nmaps + 1, sizeof(*h->maps));
	m = &h->maps[h->nmaps];
	m->sc = sc;
	m->dc = dc;
	m->protocol = protocol;
	m->rows = h->cl[sc].n;
	m->cols = h->cl[dc].n;
	cells = m->rows * m->cols;
	m->cells = NULL;
	if (h->cells_total + cells <= HTML_MAX_CELLS) {
		m->cells = xcalloc(cells ? cells : 1, 1);
		h->cells_total += cells;
	} else {
		h->skipped_maps++;
	}
	idmap_put(&h->map_ix, key, (uint32_t)h->nmaps);
	h->nmaps++;
	return m->cells ? m : NULL;
}

static void fail_add(struct html *h, struct hmap *m, size_t row, size_t col,
		     const struct store_result *res)
{
	struct hfail *f;

	h->fails_total++;
	if (h->nfails >= HTML_FAILURES)
		return;
	h->fails = xgrow(h->fails, &h->capfails, h->nfails + 1, sizeof(*h->fails));
	f = &h->fails[h->nfails++];
	f->map = (uint32_t)(m - h->maps);
	f->row = (uint32_t)row;
	f->col = (uint32_t)col;
	f->family = res->family;
	f->network = res->network;
	f->error = res->error;
	f->sent = res->sent;
	f->received = res->received;
	f->rtt = res->rtt_avg_us;
}

static int cell_cb(const struct store_result_row *row, void *ctx)
{
	struct html *h = ctx;
	const struct store_result *res = &row->r;
	long s = idmap_get(&h->node_ix, res->src_node), d = idmap_get(&h->node_ix, res->dst_node);
	struct hmap *m;
	unsigned char code, *cell;

	if (s < 0 || d < 0 || res->protocol >= PROTO_MAX) {
		h->unmapped++;
		return 0;
	}
	m = map_get(h, h->node_ci[s], h->node_ci[d], res->protocol);
	if (!m)
		return 0;
	code = cell_code(res);
	cell = &m->cells[h->node_pos[s] * m->cols + h->node_pos[d]];
	if (code > *cell)
		*cell = code;
	if (res->error != PROBE_OK)
		fail_add(h, m, h->node_pos[s], h->node_pos[d], res);
	return 0;
}

/* ---- diff ----------------------------------------------------------------------------------- */

struct prev_ctx {
	int64_t run_id;
	const char *key;
	int64_t found;
};

static int prev_cb(const struct store_run_info *ri, void *ctx)
{
	struct prev_ctx *p = ctx;

	if (ri->id >= p->run_id || !str_eq(ri->compare_key, p->key))
		return 0;
	if (ri->status != STORE_RUN_DONE && ri->status != STORE_RUN_INTERRUPTED)
		return 0;
	p->found = ri->id;
	return 1;
}

static int diff_pick_base(struct html *h)
{
	struct rctx *r = h->r;
	struct prev_ctx p = {.run_id = r->run_id, .key = r->run->compare_key};
	struct store_history_query q = {0};

	if (r->o.diff_base < 0)
		return 0;
	if (r->o.diff_base > 0) {
		h->base = r->o.diff_base;
		h->base_why = "chosen";
		return 0;
	}
	if (r->run->parent_id) {
		h->base = r->run->parent_id;
		h->base_why = "parent";
		return 0;
	}
	if (store_history(r->st, &q, prev_cb, &p, r->err) < 0)
		return -1;
	h->base = p.found;
	h->base_why = "previous comparable";
	return 0;
}

static int diff_row_cb(const struct store_diff_row *d, void *ctx)
{
	struct html *h = ctx;
	const struct store_result *x = d->b ? d->b : d->a;
	struct hdiff *r;

	if (h->ndrows >= HTML_DIFF_ROWS)
		return 0;
	h->drows = xgrow(h->drows, &h->capdrows, h->ndrows + 1, sizeof(*h->drows));
	r = &h->drows[h->ndrows++];
	r->kind = d->kind;
	r->src = xasprintf("%s/%s", d->src_cluster, d->src_name);
	r->dst = xasprintf("%s/%s", d->dst_cluster, d->dst_name);
	r->protocol = x->protocol;
	r->family = x->family;
	r->network = x->network;
	r->a_err = d->a ? d->a->error : -1;
	r->b_err = d->b ? d->b->error : -1;
	return 0;
}

static int diff_group_cb(const struct store_diff_counts *g, void *ctx)
{
	struct html *h = ctx;
	struct store_diff_counts *c;

	h->dgroups = xgrow(h->dgroups, &h->capdgroups, h->ndgroups + 1, sizeof(*h->dgroups));
	c = &h->dgroups[h->ndgroups++];
	*c = *g;
	c->src_cluster = xstrdup(g->src_cluster ? g->src_cluster : "?");
	c->dst_cluster = xstrdup(g->dst_cluster ? g->dst_cluster : "?");
	return 0;
}

static int diff_load(struct html *h)
{
	struct store_diff_opts o = {
	    .emit = (1u << STORE_DIFF_REGRESSION) | (1u << STORE_DIFF_RECOVERY),
	    .rtt_abs_us = 1000,
	    .rtt_pct = 50,
	    .limit_per_kind = HTML_DIFF_ROWS,
	};
	struct err derr = ERR_INIT;

	if (diff_pick_base(h) < 0)
		return -1;
	if (!h->base)
		return 0;
	/* A base that cannot be compared (deleted run) only loses the diff section. */
	h->diff_ok = store_diff(h->r->st, h->base, h->r->run_id, &o, diff_row_cb, diff_group_cb, h,
				&h->dsum, &derr) == 0;
	h->drows_total =
	    h->dsum.total.n[STORE_DIFF_REGRESSION] + h->dsum.total.n[STORE_DIFF_RECOVERY];
	return 0;
}

/* ---- writing ----------------------------------------------------------------------------------
 */

static void td_text(FILE *f, const char *s, const char *cls)
{
	if (cls)
		fprintf(f, "<td class=\"%s\">", cls);
	else
		fputs("<td>", f);
	xml_put(f, s);
	fputs("</td>", f);
}

static void td_num(FILE *f, int64_t v, const char *cls)
{
	fprintf(f, "<td class=\"n%s%s\">%lld</td>", cls ? " " : "", cls ? cls : "", (long long)v);
}

static void write_header(struct html *h, FILE *f)
{
	const struct store_run_info *ri = h->r->run;
	char *protos = str_join_bits(ri->protocols, probe_protocol_names, PROTO_MAX, ",");
	char *nets = str_join_bits(ri->networks, store_network_names, STORE_NET_MAX, ",");
	char when[32], took[32];

	time_format_iso(ri->started_ms, when, sizeof(when));
	fmt_took(ri, took, sizeof(took));
	fprintf(f, "<h1>netctl run %lld: ", (long long)ri->id);
	xml_put(f, ri->src_clusters);
	fputs(" &#8594; ", f);
	xml_put(f, ri->dst_clusters);
	fprintf(f,
		"</h1>\n<p class=\"meta\">status %s &middot; started %s &middot; took %s "
		"&middot; protocols %s &middot; networks %s",
		store_run_status_name(ri->status), when, took, protos, nets);
	if (ri->parent_id)
		fprintf(f, " &middot; resumes run %lld (%s view)", (long long)ri->parent_id,
			h->r->o.merged ? "merged" : "this run only");
	fprintf(f, " &middot; generated by netctl %s</p>\n", NETCTL_VERSION);
	free(protos);
	free(nets);
}

static int write_left_out(struct html *h, FILE *f)
{
	size_t n;
	char *text;

	if (rctx_left_out(h->r, &n, &text) < 0)
		return -1;
	if (n) {
		fprintf(f, "<p class=\"meta\" id=\"left-out\">left out: %zu node%s: ", n,
			n == 1 ? "" : "s");
		xml_put(f, text);
		fputs("</p>\n", f);
	}
	free(text);
	return 0;
}

/* Both addresses of the pods other clusters probed at a global address (docs/kosmos.md). */
static int write_global(struct html *h, FILE *f)
{
	size_t n;
	char *text;

	if (rctx_global_addresses(h->r, &n, &text) < 0)
		return -1;
	if (n) {
		fprintf(f,
			"<p class=\"meta\" id=\"global-addresses\">global addresses: %zu pod "
			"address%s probed from other clusters at its global address: ",
			n, n == 1 ? "" : "es");
		xml_put(f, text);
		fputs("</p>\n", f);
	}
	free(text);
	return 0;
}

static int write_verdicts(struct html *h, FILE *f)
{
	struct verdict_list *vl = rctx_verdicts(h->r);

	if (!vl)
		return -1;
	fputs("<h2 id=\"verdicts\">Verdicts</h2>\n<ul class=\"verdicts\">\n", f);
	for (size_t i = 0; i < verdict_count(vl); i++) {
		const struct verdict *v = verdict_get(vl, i);
		const char *cls = v->kind == VERDICT_HEALTHY ? "good"
				  : v->kind == VERDICT_LOSSY_PATH || v->kind == VERDICT_NOT_PROBED
				      ? "warn"
				      : "bad";

		fprintf(f, "<li data-kind=\"%s\"><span class=\"kind %s\">%s</span> ",
			verdict_kind_name(v->kind), cls, verdict_kind_title(v->kind));
		xml_put(f, v->text);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	return 0;
}

static int write_summary(struct html *h, FILE *f)
{
	bool by_net = summary_by_network(h->r);
	struct summary_row *rows;
	size_t n;

	if (summary_load(h->r, &rows, &n) < 0)
		return -1;
	fprintf(f,
		"<h2 id=\"summary\">Summary</h2>\n<table id=\"summary-table\"><tr><th>source</th>"
		"<th>destination</th><th>protocol</th><th>family</th>%s<th>pairs</th>"
		"<th>passed</th><th>failed</th><th>loss</th><th>RTT p50</th><th>RTT p99</th>"
		"</tr>\n",
		by_net ? "<th>network</th>" : "");
	for (size_t i = 0; i < n; i++) {
		const struct summary_row *s = &rows[i];
		char p50[16], p99[16];

		fmt_rtt(s->p50, p50, sizeof(p50));
		fmt_rtt(s->p99, p99, sizeof(p99));
		fputs("<tr>", f);
		td_text(f, s->src, NULL);
		td_text(f, s->dst, NULL);
		fprintf(f, "<td>%s</td><td>%s</td>", probe_protocol_name(s->protocol),
			family_name(s->family));
		if (by_net)
			fprintf(f, "<td>%s</td>", store_network_name(s->network));
		td_num(f, s->results, NULL);
		td_num(f, s->passed, s->failed ? NULL : "good");
		td_num(f, s->failed, s->failed ? "bad" : NULL);
		fprintf(f,
			"<td class=\"n\">%.1f%%</td><td class=\"n\">%s</td><td class=\"n\">%s"
			"</td></tr>\n",
			loss_pct(s->sent, s->received), p50, p99);
	}
	fputs("</table>\n", f);
	summary_free(rows, n);
	return 0;
}

static void write_diff_row(FILE *f, const struct hdiff *d)
{
	fprintf(f, "<tr><td class=\"%s\">%s</td>",
		d->kind == STORE_DIFF_REGRESSION ? "bad" : "good", store_diff_kind_name(d->kind));
	td_text(f, d->src, NULL);
	td_text(f, d->dst, NULL);
	fprintf(f, "<td>%s %s %s</td><td>%s</td><td>%s</td></tr>\n",
		probe_protocol_name(d->protocol), family_name(d->family),
		store_network_name(d->network), d->a_err >= 0 ? probe_error_name(d->a_err) : "-",
		d->b_err >= 0 ? probe_error_name(d->b_err) : "-");
}

static void write_diff(struct html *h, FILE *f)
{
	const int64_t *t = h->dsum.total.n;

	fputs("<h2 id=\"diff\">Changes</h2>\n", f);
	if (!h->base || !h->diff_ok) {
		fputs(h->base ? "<p>The diff against the base run failed.</p>\n"
			      : "<p>No earlier comparable run to compare with.</p>\n",
		      f);
		return;
	}
	fprintf(f,
		"<p id=\"diff-counts\">against run %lld (%s): <span class=\"bad\">%lld "
		"regressions</span>, <span class=\"good\">%lld recoveries</span>, %lld still "
		"failing, %lld new, %lld vanished, %lld not selected, %lld RTT changes (&ge; 1 "
		"ms and 50%%), %lld unchanged</p>\n",
		(long long)h->base, h->base_why, (long long)t[STORE_DIFF_REGRESSION],
		(long long)t[STORE_DIFF_RECOVERY], (long long)t[STORE_DIFF_STILL_FAILING],
		(long long)t[STORE_DIFF_NEW], (long long)t[STORE_DIFF_VANISHED],
		(long long)t[STORE_DIFF_NOT_SELECTED], (long long)t[STORE_DIFF_RTT],
		(long long)t[STORE_DIFF_SAME]);
	fputs("<table><tr><th>source</th><th>destination</th><th>regressions</th>"
	      "<th>recoveries</th><th>still failing</th><th>new</th><th>vanished</th>"
	      "<th>not selected</th><th>RTT</th></tr>\n",
	      f);
	for (size_t i = 0; i < h->ndgroups; i++) {
		const struct store_diff_counts *g = &h->dgroups[i];

		fputs("<tr>", f);
		td_text(f, g->src_cluster, NULL);
		td_text(f, g->dst_cluster, NULL);
		td_num(f, g->n[STORE_DIFF_REGRESSION], g->n[STORE_DIFF_REGRESSION] ? "bad" : NULL);
		td_num(f, g->n[STORE_DIFF_RECOVERY], g->n[STORE_DIFF_RECOVERY] ? "good" : NULL);
		td_num(f, g->n[STORE_DIFF_STILL_FAILING], NULL);
		td_num(f, g->n[STORE_DIFF_NEW], NULL);
		td_num(f, g->n[STORE_DIFF_VANISHED], NULL);
		td_num(f, g->n[STORE_DIFF_NOT_SELECTED], NULL);
		td_num(f, g->n[STORE_DIFF_RTT], NULL);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (!h->ndrows)
		return;
	fprintf(f, "<details><summary>%s%zu regressions and recoveries</summary>\n",
		h->drows_total > (int64_t)h->ndrows ? "the first " : "", h->ndrows);
	fputs("<table id=\"diff-rows\"><tr><th>change</th><th>source</th><th>destination</th>"
	      "<th>probe</th><th>before</th><th>after</th></tr>\n",
	      f);
	for (size_t i = 0; i < h->ndrows; i++)
		write_diff_row(f, &h->drows[i]);
	fputs("</table></details>\n", f);
	if (h->drows_total > (int64_t)h->ndrows)
		fprintf(f, "<p class=\"note\">%lld more: netctl diff %lld %lld</p>\n",
			(long long)(h->drows_total - (int64_t)h->ndrows), (long long)h->base,
			(long long)h->r->run_id);
}

static void node_label(struct html *h, FILE *f, uint32_t ci, uint32_t pos)
{
	xml_put(f, h->cl[ci].name);
	putc('/', f);
	xml_put(f, h->cl[ci].nodes[pos]);
}

static void write_failures(struct html *h, FILE *f)
{
	size_t shown = h->nfails < HTML_FAIL_ROWS ? h->nfails : HTML_FAIL_ROWS;

	fprintf(f, "<h2 id=\"failures\">Failures (%lld)</h2>\n", (long long)h->fails_total);
	if (!shown) {
		fputs("<p class=\"good\">None.</p>\n", f);
		return;
	}
	fprintf(f, "<details%s><summary>%s%zu failing results</summary>\n",
		shown <= 20 ? " open" : "", h->fails_total > (int64_t)shown ? "the first " : "",
		shown);
	fputs("<table id=\"failure-table\"><tr><th>source</th><th>destination</th><th>protocol"
	      "</th><th>family</th><th>network</th><th>error</th><th>sent</th><th>received</th>"
	      "<th>RTT</th></tr>\n",
	      f);
	for (size_t i = 0; i < shown; i++) {
		const struct hfail *x = &h->fails[i];
		const struct hmap *m = &h->maps[x->map];
		char rtt[16];

		fmt_rtt(x->rtt, rtt, sizeof(rtt));
		fputs("<tr class=\"fail\"><td>", f);
		node_label(h, f, m->sc, x->row);
		fputs("</td><td>", f);
		node_label(h, f, m->dc, x->col);
		fprintf(
		    f,
		    "</td><td>%s</td><td>%s</td><td>%s</td><td class=\"bad\">%s</td>"
		    "<td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%s</td></tr>\n",
		    probe_protocol_name(m->protocol), family_name(x->family),
		    store_network_name(x->network), probe_error_name(x->error), x->sent,
		    x->received, rtt);
	}
	fputs("</table></details>\n", f);
	if (h->fails_total > (int64_t)shown)
		fprintf(f,
			"<p class=\"note\">%lld more: netctl report --run %lld --format csv</p>\n",
			(long long)(h->fails_total - (int64_t)shown), (long long)h->r->run_id);
}

static void write_data(struct html *h, FILE *f)
{
	fprintf(f, "{\"format_version\":%d,\"run_id\":%lld,\"errors\":[", REPORT_JSON_VERSION,
		(long long)h->r->run_id);
	for (int e = 0; e < CELL_ERRORS; e++)
		fprintf(f, "%s\"%s\"", e ? "," : "",
			e == PROBE_NXDOMAIN ? "dns" : probe_error_name(e));
	fputs("],\"networks\":[", f);
	for (int n = 0; n < STORE_NET_MAX; n++)
		fprintf(f, "%s\"%s\"", n ? "," : "", store_network_name(n));
	fputs("],\n\"clusters\":[", f);
	for (size_t i = 0; i < h->ncl; i++) {
		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
		json_put_str(f, h->cl[i].name, true);
		fputs(",\"nodes\":[", f);
		for (size_t j = 0; j < h->cl[i].n; j++) {
			fputs(j ? "," : "", f);
			json_put_str(f, h->cl[i].nodes[j], true);
		}
		fputs("]}", f);
	}
	fputs("],\n\"maps\":[", f);
	for (size_t i = 0; i < h->nmaps; i++) {
		const struct hmap *m = &h->maps[i];
		size_t n = m->rows * m->cols, failing = 0;

		for (size_t c = 0; m->cells && c < n; c++)
			failing += m->cells[c] > CELL_PASS_MAX;
		fprintf(f,
			"%s{\"index\":%zu,\"src\":%u,\"dst\":%u,\"protocol\":\"%s\",\"rows\":%zu,"
			"\"cols\":%zu,\"failing\":%zu,\"cells\":\"",
			i ? ",\n" : "\n", i, m->sc, m->dc, probe_protocol_name(m->protocol),
			m->rows, m->cols, failing);
		for (size_t c = 0; m->cells && c < n; c++)
			putc(cell_alpha[m->cells[c] & 63], f);
		fputs("\"}", f);
	}
	fprintf(f, "],\n\"failures_total\":%lld,\"failures\":[", (long long)h->fails_total);
	for (size_t i = 0; i < h->nfails; i++) {
		const struct hfail *x = &h->fails[i];

		fprintf(f, "%s[%u,%u,%u,%u,%u,%u,%u,%u,%u]", i ? (i % 8 ? "," : ",\n") : "", x->map,
			x->row, x->col, x->family, x->network, x->error, x->sent, x->received,
			x->rtt);
	}
	fputs("]}", f);
}

static int map_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct html *h = ctx;
	const struct hmap *a = pa, *b = pb;
	int c = strcmp(h->cl[a->sc].name, h->cl[b->sc].name);

	if (!c)
		c = strcmp(h->cl[a->dc].name, h->cl[b->dc].name);
	return c ? c : a->protocol - b->protocol;
}

/* Orders the maps by cluster names and protocol, and renumbers the failures' map index. */
static void maps_sort(struct html *h)
{
	uint32_t *where;
	struct hmap *old;

	if (!h->nmaps)
		return;
	where = xcalloc(h->nmaps, sizeof(*where));
	old = xcalloc(h->nmaps, sizeof(*old));
	/* (src, dst, protocol) is unique per map: match old and new positions by it */
	memcpy(old, h->maps, h->nmaps * sizeof(*old));
	qsort_r(h->maps, h->nmaps, sizeof(*h->maps), map_cmp, h);
	for (size_t i = 0; i < h->nmaps; i++)
		for (size_t j = 0; j < h->nmaps; j++)
			if (old[j].sc == h->maps[i].sc && old[j].dc == h->maps[i].dc &&
			    old[j].protocol == h->maps[i].protocol)
				where[j] = (uint32_t)i;
	for (size_t i = 0; i < h->nfails; i++)
		h->fails[i].map = where[h->fails[i].map];
	free(old);
	free(where);
}

static int write_body(struct html *h, FILE *f)
{
	write_header(h, f);
	if (write_left_out(h, f) < 0 || write_global(h, f) < 0 || write_verdicts(h, f) < 0 ||
	    write_summary(h, f) < 0)
		return -1;
	if (h->skipped_maps)
		fprintf(f,
			"<p class=\"note\">%lld heatmaps left out: the run is larger than the "
			"report draws (%u cells)</p>\n",
			(long long)h->skipped_maps, HTML_MAX_CELLS);
	if (h->unmapped)
		fprintf(f,
			"<p class=\"note\">%lld results name nodes missing from the run's node "
			"table and are not drawn</p>\n",
			(long long)h->unmapped);
	return 0;
}

/* After the heatmaps: the long tables. */
static void write_tail(struct html *h, FILE *f)
{
	write_diff(h, f);
	write_failures(h, f);
}

static const char *template_text(void)
{
	for (const struct embedded_file *e = netctl_report_assets; e->name; e++)
		if (!strcmp(e->name, "report.html"))
			return e->data;
	return NULL;
}

/* Writes the template up to the next @NAME@ marker; returns the marker's name end. */
static const char *template_until(FILE *f, const char *p, const char *marker)
{
	const char *m = strstr(p, marker);

	if (!m)
		m = p + strlen(p);
	fwrite(p, 1, (size_t)(m - p), f);
	return *m ? m + strlen(marker) : m;
}

static int html_write(struct html *h)
{
	const char *tpl = template_text(), *p;
	FILE *f = h->r->out;

	if (!tpl)
		return err_set(h->r->err, ERR_INTERNAL, "the HTML template is not embedded");
	p = template_until(f, tpl, "@TITLE@");
	fprintf(f, "netctl run %lld", (long long)h->r->run_id);
	p = template_until(f, p, "@BODY@");
	if (write_body(h, f) < 0)
		return -1;
	p = template_until(f, p, "@TAIL@");
	write_tail(h, f);
	p = template_until(f, p, "@DATA@");
	write_data(h, f);
	fputs(p, f);
	return 0;
}

static void html_release(struct html *h)
{
	for (size_t i = 0; i < h->ncl; i++) {
		for (size_t j = 0; j < h->cl[i].n; j++)
			free(h->cl[i].nodes[j]);
		free(h->cl[i].nodes);
		free(h->cl[i].ids);
		free(h->cl[i].name);
	}
	free(h->cl);
	for (size_t i = 0; i < h->nmaps; i++)
		free(h->maps[i].cells);
	free(h->maps);
	free(h->fails);
	free(h->node_ci);
	free(h->node_pos);
	for (size_t i = 0; i < h->ndgroups; i++) {
		free((char *)h->dgroups[i].src_cluster);
		free((char *)h->dgroups[i].dst_cluster);
	}
	free(h->dgroups);
	for (size_t i = 0; i < h->ndrows; i++) {
		free(h->drows[i].src);
		free(h->drows[i].dst);
	}
	free(h->drows);
	idmap_release(&h->node_ix);
	idmap_release(&h->map_ix);
}

int report_html(struct rctx *r)
{
	struct html h;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	h.r = r;
	idmap_init(&h.node_ix);
	idmap_init(&h.map_ix);
	if (nodes_load(&h) < 0 || rctx_results(r, false, cell_cb, &h) < 0 || diff_load(&h) < 0)
		goto out;
	maps_sort(&h);
	rc = html_write(&h);
out:
	html_release(&h);
	return rc;
}
