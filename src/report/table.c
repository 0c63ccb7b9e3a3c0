/* The table report: what `netctl check` prints. A summary per cluster pair x protocol x
 * family, a capped failure table and the verdicts; bounded output at any run size. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* A table of the report, coloured when the report is. */
static struct table *report_table_new(const struct rctx *r, const char *const *headers,
				      size_t ncols, size_t first_right)
{
	struct table *t = table_new(headers, ncols);

	for (size_t c = first_right; c < ncols; c++)
		table_align_right(t, c);
	table_use_color(t, r->o.color);
	return t;
}

static void heading(struct rctx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void heading(struct rctx *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o.color)
		fputs(color_ansi(COLOR_BOLD), r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	if (r->o.color)
		fputs(COLOR_RESET, r->out);
	putc('\n', r->out);
}

/* ---- header ------------------------------------------------------------------------------ */

static void run_header(struct rctx *r)
{
	const struct store_run_info *ri = r->run;
	char *protos = str_join_bits(ri->protocols, probe_protocol_names, PROTO_MAX, ",");
	char when[32], took[32];

	time_format_iso(ri->started_ms, when, sizeof(when));
	fmt_took(ri, took, sizeof(took));
	heading(r, "run %lld: %s -> %s, %s, %s", (long long)ri->id, ri->src_clusters,
		ri->dst_clusters, protos, store_run_status_name(ri->status));
	fprintf(r->out, "started %s, took %s", when, took);
	if (ri->parent_id)
		fprintf(r->out, ", resumes run %lld (%s view)", (long long)ri->parent_id,
			r->o.merged ? "merged" : "this run's results only");
	putc('\n', r->out);
	free(protos);
}

static int left_out_line(struct rctx *r)
{
	size_t n;
	char *text;

	if (rctx_left_out(r, &n, &text) < 0)
		return -1;
	if (n)
		fprintf(r->out, "left out: %zu node%s: %s\n", n, n == 1 ? "" : "s", text);
	free(text);
	return 0;
}

static int global_line(struct rctx *r)
{
	size_t n;
	char *text;

	if (rctx_global_addresses(r, &n, &text) < 0)
		return -1;
	if (n)
		fprintf(r->out,
			"global addresses: %zu pod address%s probed from other clusters at "
			"its global address: %s\n",
			n, n == 1 ? "" : "es", text);
	free(text);
	return 0;
}

/* ---- summary ----------------------------------------------------------------------------- */

static const char *const sum_headers[] = {"SRC",    "DST",    "PROTO", "FAMILY",  "PAIRS",
					  "PASSED", "FAILED", "LOSS",  "RTT P50", "RTT P99"};
static const char *const sum_net_headers[] = {"SRC",	 "DST",	    "PROTO",  "FAMILY",
					      "NETWORK", "PAIRS",   "PASSED", "FAILED",
					      "LOSS",	 "RTT P50", "RTT P99"};

/* The NETWORK column, when shown, is the fifth: every later column moves right by one. */
static void summary_row_add(struct table *t, bool by_network, const struct summary_row *s,
			    int64_t *tot)
{
	char pairs[24], passed[24], failed[24], loss[16], p50[16], p99[16];
	double lp = loss_pct(s->sent, s->received);
	size_t off = by_network;
	const char *cells[11] = {s->src, s->dst, probe_protocol_name(s->protocol),
				 family_name(s->family)};
	const char *rest[] = {pairs, passed, failed, loss, p50, p99};

	if (by_network)
		cells[4] = store_network_name(s->network);
	for (size_t i = 0; i < ARRAY_SIZE(rest); i++)
		cells[4 + off + i] = rest[i];
	snprintf(pairs, sizeof(pairs), "%lld", (long long)s->results);
	snprintf(passed, sizeof(passed), "%lld", (long long)s->passed);
	snprintf(failed, sizeof(failed), "%lld", (long long)s->failed);
	snprintf(loss, sizeof(loss), "%.1f%%", lp);
	fmt_rtt(s->p50, p50, sizeof(p50));
	fmt_rtt(s->p99, p99, sizeof(p99));
	table_add_row(t, cells);
	table_color_cell(t, 5 + off, s->failed ? COLOR_NONE : COLOR_GREEN);
	table_color_cell(t, 6 + off, s->failed ? COLOR_RED : COLOR_NONE);
	table_color_cell(t, 7 + off, lp > 0 ? COLOR_YELLOW : COLOR_NONE);
	tot[0] += s->results;
	tot[1] += s->passed;
	tot[2] += s->failed;
}

static int summary_print(struct rctx *r)
{
	struct table *t;
	struct summary_row *rows;
	int64_t tot[3] = {0};
	bool by_network = summary_by_network(r);
	size_t n;

	if (summary_load(r, &rows, &n) < 0)
		return -1;
	if (by_network)
		t = report_table_new(r, sum_net_headers, ARRAY_SIZE(sum_net_headers), 5);
	else
		t = report_table_new(r, sum_headers, ARRAY_SIZE(sum_headers), 4);
	for (size_t i = 0; i < n; i++)
		summary_row_add(t, by_network, &rows[i], tot);
	putc('\n', r->out);
	heading(r, "SUMMARY (%lld results: %lld passed, %lld failed)", (long long)tot[0],
		(long long)tot[1], (long long)tot[2]);
	if (n)
		table_print(t, r->out);
	else
		fputs("no results\n", r->out);
	table_free(t);
	summary_free(rows, n);
	return 0;
}

/* ---- failures ------------------------------------------------------------------------------ */

static const char *const fail_headers[] = {"SRC CLUSTER", "SRC NODE", "DST CLUSTER", "DST NODE",
					   "PROTOCOLS",	  "FAMILY",   "NETWORK",     "ERROR",
					   "LOSS",	  "RTT"};

/* Consecutive failing results of one node pair with the same error (key order keeps them
 * together) become one row listing their protocols, families and networks. */
struct fail_group {
	bool open;
	int64_t src, dst;
	char *src_cluster, *src_name, *dst_cluster, *dst_name;
	uint8_t error;
	unsigned protos, fams, nets;
	int64_t results, sent, received;
	uint32_t rtt;
};

struct fail_ctx {
	struct table *t;
	size_t cap;
	int64_t n, shown;
	int64_t by_error[PROBE_ERROR_MAX];
	struct fail_group g;
};

static void group_flush(struct fail_ctx *fc)
{
	struct fail_group *g = &fc->g;
	static const char *const families[] = {"IPv4", "IPv6"};
	char loss[16], rtt[16];

	if (!g->open)
		return;
	if (table_rows(fc->t) < fc->cap) {
		char *protos = str_join_bits(g->protos, probe_protocol_names, PROTO_MAX, ",");
		char *fams = str_join_bits(g->fams, families, ARRAY_SIZE(families), ",");
		char *nets = str_join_bits(g->nets, store_network_names, STORE_NET_MAX, ",");
		const char *cells[] = {
		    g->src_cluster, g->src_name, g->dst_cluster, g->dst_name,
		    protos,	    fams,	 nets,		 probe_error_name(g->error),
		    loss,	    rtt};

		snprintf(loss, sizeof(loss), "%.0f%%", loss_pct(g->sent, g->received));
		fmt_rtt(g->rtt, rtt, sizeof(rtt));
		table_add_row(fc->t, cells);
		table_color_cell(fc->t, 7, g->error == PROBE_LOSS ? COLOR_YELLOW : COLOR_RED);
		fc->shown += g->results;
		free(protos);
		free(fams);
		free(nets);
	}
	free(g->src_cluster);
	free(g->src_name);
	free(g->dst_cluster);
	free(g->dst_name);
	memset(g, 0, sizeof(*g));
}

static int fail_cb(const struct store_result_row *row, void *ctx)
{
	struct fail_ctx *fc = ctx;
	const struct store_result *res = &row->r;
	struct fail_group *g = &fc->g;

	fc->n++;
	if (res->error < PROBE_ERROR_MAX)
		fc->by_error[res->error]++;
	if (g->open &&
	    (g->src != res->src_node || g->dst != res->dst_node || g->error != res->error))
		group_flush(fc);
	if (table_rows(fc->t) >= fc->cap)
		return 0; /* keep counting: the total and the error mix are exact */
	if (!g->open) {
		g->open = true;
		g->src = res->src_node;
		g->dst = res->dst_node;
		g->error = res->error;
		g->src_cluster = xstrdup(row->src_cluster);
		g->src_name = xstrdup(row->src_name);
		g->dst_cluster = xstrdup(row->dst_cluster);
		g->dst_name = xstrdup(row->dst_name);
		g->rtt = res->rtt_avg_us;
	}
	if (res->protocol < PROTO_MAX)
		g->protos |= 1u << res->protocol;
	g->fams |= res->family == 6 ? 2u : 1u;
	if (res->network < STORE_NET_MAX)
		g->nets |= 1u << res->network;
	g->results++;
	g->sent += res->sent;
	g->received += res->received;
	return 0;
}

static void error_mix(struct rctx *r, const struct fail_ctx *fc)
{
	bool first = true;

	fputs("by error:", r->out);
	for (int e = 0; e < PROBE_ERROR_MAX; e++) {
		if (!fc->by_error[e])
			continue;
		fprintf(r->out, "%s %s %lld", first ? "" : ",", probe_error_name(e),
			(long long)fc->by_error[e]);
		first = false;
	}
	putc('\n', r->out);
}

static int failures_print(struct rctx *r)
{
	struct fail_ctx fc = {.t = report_table_new(r, fail_headers, ARRAY_SIZE(fail_headers), 8),
			      .cap = r->o.max_failures};
	int rc = -1;

	if (rctx_results(r, true, fail_cb, &fc) < 0)
		goto out;
	group_flush(&fc);
	rc = 0;
	if (!fc.n)
		goto out;
	putc('\n', r->out);
	heading(r, "FAILURES (%lld results)", (long long)fc.n);
	table_print(fc.t, r->out);
	if (fc.n > fc.shown)
		fprintf(r->out,
			"%lld more failing results \xe2\x80\x94 see netctl report --run %lld%s\n",
			(long long)(fc.n - fc.shown), (long long)r->run_id,
			r->o.merged ? " --merged" : "");
	error_mix(r, &fc);
out:
	fc.cap = 0;
	group_flush(&fc);
	table_free(fc.t);
	return rc;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

static enum text_color verdict_color(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_HEALTHY:
		return COLOR_GREEN;
	case VERDICT_LOSSY_PATH:
	case VERDICT_NOT_PROBED:
	case VERDICT_NO_RESULTS:
		return COLOR_YELLOW;
	default:
		return COLOR_RED;
	}
}

static int verdicts_print(struct rctx *r)
{
	struct verdict_list *vl = rctx_verdicts(r);

	if (!vl)
		return -1;
	putc('\n', r->out);
	heading(r, "VERDICTS");
	if (r->o.coverage) {
		char line[256];

		report_coverage_text(r->o.coverage, line, sizeof(line));
		fprintf(r->out, "* %s\n", line);
	}
	for (size_t i = 0; i < verdict_count(vl); i++) {
		const struct verdict *v = verdict_get(vl, i);
		enum text_color c = verdict_color(v->kind);

		if (r->o.color)
			fprintf(r->out, "%s*" COLOR_RESET " %s\n", color_ansi(c), v->text);
		else
			fprintf(r->out, "* %s\n", v->text);
	}
	return 0;
}

int report_table(struct rctx *r)
{
	run_header(r);
	if (left_out_line(r) < 0 || global_line(r) < 0 || report_kosmos_text(r) < 0 ||
	    summary_print(r) < 0 || failures_print(r) < 0 || verdicts_print(r) < 0)
		return -1;
	return 0;
}
