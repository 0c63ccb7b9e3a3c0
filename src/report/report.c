/* report_write(): picks the writer and owns what they share (run info, verdicts). */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

static const char *const format_names[REPORT_FORMAT_MAX] = {
    [REPORT_TABLE] = "table", [REPORT_JSON] = "json", [REPORT_CSV] = "csv",
    [REPORT_JUNIT] = "junit", [REPORT_HTML] = "html",
};

const char *report_format_name(enum report_format f)
{
	return (unsigned)f < REPORT_FORMAT_MAX ? format_names[f] : "?";
}

int report_format_parse(const char *name)
{
	for (int i = 0; i < REPORT_FORMAT_MAX; i++)
		if (name && !strcmp(name, format_names[i]))
			return i;
	return -1;
}

struct verdict_list *rctx_verdicts(struct rctx *r)
{
	struct verdict_opts vo = {.merged = r->o.merged, .max_bad_links = r->o.max_bad_links};

	if (!r->vl)
		r->vl = verdict_compute(r->st, r->run_id, &vo, r->err);
	return r->vl;
}

int rctx_results(struct rctx *r, bool failed_only,
		 int (*cb)(const struct store_result_row *row, void *ctx), void *ctx)
{
	struct store_results_query q = {.merged = r->o.merged, .failed_only = failed_only};

	return store_results_foreach(r->st, r->run_id, &q, cb, ctx, r->err);
}

/* Names listed in a report's "left out" line; JSON lists them all. */
#define LEFT_OUT_SHOWN 10

struct left_out_text {
	struct buf b;
	size_t n;
};

static int left_out_add(const struct store_left_out *n, void *ctx)
{
	struct left_out_text *t = ctx;

	if (t->n++ < LEFT_OUT_SHOWN)
		(void)!buf_printf(&t->b, "%s%s/%s (%s%s%s)", t->b.len ? ", " : "", n->cluster_name,
				  n->name, store_left_out_reason_name(n->reason),
				  n->detail ? ": " : "", n->detail ? n->detail : "");
	return 0;
}

int rctx_left_out(struct rctx *r, size_t *n, char **text)
{
	struct left_out_text t = {.n = 0};

	buf_init(&t.b, 0);
	if (store_run_left_out_foreach(r->st, r->run->id, left_out_add, &t, r->err) < 0) {
		buf_release(&t.b);
		return -1;
	}
	if (t.n > LEFT_OUT_SHOWN)
		(void)!buf_printf(&t.b, ", ... %zu more (--format json lists them all)",
				  t.n - LEFT_OUT_SHOWN);
	*n = t.n;
	*text = xstrdup(buf_str(&t.b));
	buf_release(&t.b);
	return 0;
}

/* Pods other clusters probed at a global address (docs/kosmos.md): the first few as
 * "cluster/node REAL = GLOBAL". */
#define GLOBAL_SHOWN 3

static int global_add(const struct store_run_node *n, void *ctx)
{
	struct left_out_text *t = ctx;
	const char *real[2] = {n->node.pod_ipv4, n->node.pod_ipv6};
	const char *global[2] = {n->node.pod_global_ipv4, n->node.pod_global_ipv6};

	for (int f = 0; f < 2; f++) {
		if (!global[f])
			continue;
		if (t->n++ < GLOBAL_SHOWN)
			(void)!buf_printf(&t->b, "%s%s/%s %s = %s", t->n > 1 ? ", " : "",
					  n->cluster_name, n->node.name, real[f] ? real[f] : "-",
					  global[f]);
	}
	return 0;
}

int rctx_global_addresses(struct rctx *r, size_t *n, char **text)
{
	struct left_out_text t = {.n = 0};

	buf_init(&t.b, 0);
	if (store_run_nodes_foreach(r->st, r->run->id, global_add, &t, r->err) < 0) {
		buf_release(&t.b);
		return -1;
	}
	if (t.n > GLOBAL_SHOWN)
		(void)!buf_puts(&t.b, ", ...");
	*n = t.n;
	*text = xstrdup(buf_str(&t.b));
	buf_release(&t.b);
	return 0;
}

static int summary_cb(const struct store_group *g, void *ctx)
{
	struct {
		struct summary_row *rows;
		size_t n, cap;
	} *acc = ctx;
	struct summary_row *s;

	acc->rows = xgrow(acc->rows, &acc->cap, acc->n + 1, sizeof(*acc->rows));
	s = &acc->rows[acc->n++];
	s->src = xstrdup(g->src_cluster);
	s->dst = xstrdup(g->dst_cluster);
	s->protocol = g->protocol;
	s->family = g->family;
	s->network = g->network;
	s->results = g->results;
	s->passed = g->passed;
	s->failed = g->failed;
	s->sent = g->sent;
	s->received = g->received;
	s->p50 = g->rtt_p50_us;
	s->p99 = g->rtt_p99_us;
	return 0;
}

int summary_load(struct rctx *r, struct summary_row **rows, size_t *n)
{
	struct {
		struct summary_row *rows;
		size_t n, cap;
	} acc = {NULL, 0, 0};

	if (store_run_groups(r->st, r->run_id, summary_cb, &acc, r->err) < 0) {
		summary_free(acc.rows, acc.n);
		return -1;
	}
	*rows = acc.rows;
	*n = acc.n;
	return 0;
}

bool summary_by_network(const struct rctx *r)
{
	return __builtin_popcount(r->run->networks) > 1;
}

void summary_free(struct summary_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].src);
		free(rows[i].dst);
	}
	free(rows);
}

static int (*const writers[REPORT_FORMAT_MAX])(struct rctx *r) = {
    [REPORT_TABLE] = report_table, [REPORT_JSON] = report_json, [REPORT_CSV] = report_csv,
    [REPORT_JUNIT] = report_junit, [REPORT_HTML] = report_html,
};

int report_write(struct store *st, int64_t run_id, const struct report_opts *opts, FILE *out,
		 struct err *err)
{
	struct rctx r = {.st = st, .run_id = run_id, .o = *opts, .out = out, .err = err};
	int rc = -1;

	if ((unsigned)opts->format >= REPORT_FORMAT_MAX)
		return err_set(err, ERR_USAGE, "unknown report format %d", opts->format);
	if (!r.o.max_failures)
		r.o.max_failures = 20;
	r.run = store_run_get(st, run_id, err);
	if (!r.run)
		return -1;
	rc = writers[opts->format](&r);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = err_set(err, ERR_IO, "writing the %s report failed",
			     report_format_name(opts->format));
	verdict_list_free(r.vl);
	store_run_info_free(r.run);
	return rc;
}
