/* netctl coverage: how much of the pairs a window of runs probed (sampled checks, docs/usage.md
 * "Sampling and coverage"), and the latest result and time of each pair. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "store.h"

static struct {
	long run;
	bool run_seen;
	const char *src, *dst, *window;
	long runs;
	bool json, pairs;
} args;

struct newest {
	int64_t id;
};

static int newest_cb(const struct store_run_info *r, void *ctx)
{
	struct newest *n = ctx;

	if (r->status != STORE_RUN_DONE && r->status != STORE_RUN_INTERRUPTED)
		return 0;
	n->id = r->id;
	return 1;
}

int cmd_window_open(struct store *st, int64_t run_id, const struct store_window *w,
		    const struct store_coverage_query *q, long *run_out, struct store_coverage *cov,
		    struct err *err)
{
	struct store_coverage_query all = {0};

	if (!run_id) {
		struct store_history_query hq = {.cluster = q ? q->src_cluster : NULL};
		struct newest n = {0};

		if (store_history(st, &hq, newest_cb, &n, err) < 0)
			return -1;
		if (!n.id)
			return err_set(
			    err, ERR_NOTFOUND, "no finished run%s%s (see netctl history)",
			    hq.cluster ? " of cluster " : "", hq.cluster ? hq.cluster : "");
		run_id = n.id;
	}
	*run_out = (long)run_id;
	store_set_window(st, w);
	return store_coverage(st, run_id, q ? q : &all, NULL, NULL, cov, err);
}

static double fraction(const struct store_coverage *c)
{
	return c->all ? (double)c->seen / (double)c->all : 0;
}

static int pair_json(const struct store_coverage_pair *p, void *ctx)
{
	const struct store_result_row *r = p->row;
	bool *first = ctx;
	char when[32];

	cmd_format_time(p->run_started_ms, when, sizeof(when));
	printf("%s\n    {\"src_cluster\": \"%s\", \"src\": \"%s\", \"dst_cluster\": \"%s\", "
	       "\"dst\": \"%s\", \"protocol\": \"%s\", \"family\": %u, \"network\": \"%s\", "
	       "\"result\": \"%s\", \"run\": %lld, \"probed_at\": \"%s\"}",
	       *first ? "" : ",", r->src_cluster, r->src_name, r->dst_cluster, r->dst_name,
	       probe_protocol_name(r->r.protocol), r->r.family,
	       store_network_name((enum store_network)r->r.network),
	       probe_error_name((enum probe_error)r->r.error), (long long)r->run_id, when);
	*first = false;
	return 0;
}

static int pair_table(const struct store_coverage_pair *p, void *ctx)
{
	const struct store_result_row *r = p->row;
	char when[32];

	cmd_format_time(p->run_started_ms, when, sizeof(when));
	printf("%s/%s\t%s/%s\t%s\tIPv%u\t%s\t%s\trun %lld\t%s\n", r->src_cluster, r->src_name,
	       r->dst_cluster, r->dst_name, probe_protocol_name(r->r.protocol), r->r.family,
	       store_network_name((enum store_network)r->r.network),
	       probe_error_name((enum probe_error)r->r.error), (long long)r->run_id, when);
	return 0;
}

static void summary_table(const struct store_coverage *c, const char *window)
{
	char oldest[32], newest[32];

	cmd_format_time(c->oldest_ms, oldest, sizeof(oldest));
	cmd_format_time(c->newest_ms, newest, sizeof(newest));
	printf("window: %lld run%s ending at run %lld (%s .. %s)%s%s\n", (long long)c->runs,
	       c->runs == 1 ? "" : "s", (long long)c->run_id, oldest, newest,
	       window ? ", --window " : "", window ? window : "");
	printf("pairs probed: %lld of %lld (%.1f%%), of which %lld failed in their latest result\n",
	       (long long)c->seen, (long long)c->all, 100.0 * fraction(c), (long long)c->failed);
	printf("all pairs: every node pair of run %lld's nodes, clusters, protocols, families and "
	       "networks\n",
	       (long long)c->run_id);
}

static int coverage_exec(struct cmd_ctx *ctx)
{
	struct store_coverage_query q = {.src_cluster = args.src, .dst_cluster = args.dst};
	struct store_window win = {.runs = (size_t)args.runs};
	struct store_coverage cov;
	struct err err = ERR_INIT;
	struct store *st;
	long ms = 0, run = 0;
	bool first = true;
	int rc;

	if (args.window && cmd_parse_age(args.window, "--window", &ms, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	win.ms = ms;
	if (!win.ms && !win.runs)
		win.ms = 24L * 3600 * 1000;
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	rc = cmd_window_open(st, args.run_seen ? args.run : 0, &win, &q, &run, &cov, &err);
	if (rc == 0 && args.json) {
		printf("{\n  \"run\": %lld,\n  \"runs\": %lld,\n  \"pairs\": %lld,\n  \"seen\": "
		       "%lld,\n"
		       "  \"failed\": %lld,\n  \"fraction\": %.6f,\n  \"results\": [",
		       (long long)cov.run_id, (long long)cov.runs, (long long)cov.all,
		       (long long)cov.seen, (long long)cov.failed, fraction(&cov));
		rc = store_coverage(st, run, &q, pair_json, &first, &cov, &err);
		printf("%s]\n}\n", first ? "" : "\n  ");
	} else if (rc == 0) {
		summary_table(&cov, args.window);
		if (args.pairs)
			rc = store_coverage(st, run, &q, pair_table, NULL, &cov, &err);
	}
	store_close(st);
	return rc < 0 ? cmd_fail(&err) : EXIT_OK;
}

static const struct cmd_opt coverage_opts[] = {
    {OPT_LONG, 'r', "run", "ID", "the window ends at this run (default: the newest finished run)",
     &args.run, 1, LONG_MAX, &args.run_seen},
    {OPT_STRING, 0, "src", "CLUSTER", "only pairs from this cluster", &args.src, 0, 0, NULL},
    {OPT_STRING, 0, "dst", "CLUSTER", "only pairs to this cluster", &args.dst, 0, 0, NULL},
    {OPT_STRING, 0, "window", "D", "runs started within D before it (default 24h)", &args.window, 0,
     0, NULL},
    {OPT_LONG, 0, "runs", "R", "at most the last R comparable runs", &args.runs, 1, 256, NULL},
    {OPT_FLAG, 0, "pairs", NULL, "table: also list every pair's latest result and time",
     &args.pairs, 0, 0, NULL},
    {OPT_FLAG, 0, "json", NULL, "print JSON with every pair's latest result and time", &args.json,
     0, 0, NULL},
    {OPT_END},
};

const struct cmd_entry cmd_coverage_entry = {
    .name = "coverage",
    .summary = "How much of the pairs a window of runs probed (sampled checks: check --sample).",
    .synopsis = "coverage [--run ID] [--src A] [--dst B] [--window D | --runs R] [--pairs] "
		"[--json]",
    .details =
	"The window ends at the run (default: the newest finished one, of --src when\n"
	"given) and holds the earlier comparable runs (same clusters, protocols,\n"
	"families, networks) started within --window (default 24h) or the last --runs.\n"
	"All pairs are the node pairs of that run's nodes, cluster pairs, protocols\n"
	"(dns aside), families and networks; a pair counts once, with its latest result.\n"
	"Pseudo-nodes (API server, --target, DNS) are probed by every run and not counted.\n",
    .opts = coverage_opts,
    .exec = coverage_exec,
};
