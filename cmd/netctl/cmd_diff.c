/* netctl diff [A] [B]: what changed between two runs: regressions (passed, now fails),
 * recoveries, new and vanished pairs. Exit 1 when there are regressions. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "store.h"

#define DEFAULT_LIMIT 50

static struct {
	bool json;
	long limit;
	const char *rtt;
	long rtt_pct;
} args;

#define MAX_RTT_US 60000000L /* a minute: beyond that it is not a latency change */

/* Kinds listed row by row in the table output, in this order. */
static const enum store_diff_kind listed[] = {
    STORE_DIFF_REGRESSION, STORE_DIFF_RECOVERY, STORE_DIFF_NEW, STORE_DIFF_VANISHED, STORE_DIFF_RTT,
};

static const char *const listed_title[] = {
    "Regressions (passed in A, fail in B)",
    "Recoveries (failed in A, pass in B)",
    "New pairs (only in B)",
    "Vanished pairs (only in A)",
    "Latency changes (passed in both, average RTT moved beyond --rtt)",
};

struct diff_out {
	struct table *rows[ARRAY_SIZE(listed)];
	struct table *groups;
	bool json_first;
	cJSON *json_groups;
};

static int listed_index(enum store_diff_kind k)
{
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++)
		if (listed[i] == k)
			return (int)i;
	return -1;
}

static void result_text(const struct store_result *r, char *dst, size_t dstsz)
{
	if (!r)
		str_copy(dst, dstsz, "-");
	else if (r->error == PROBE_OK)
		snprintf(dst, dstsz, "ok %.2fms", r->rtt_avg_us / 1000.0);
	else if (r->error == PROBE_LOSS)
		snprintf(dst, dstsz, "loss %u/%u", r->sent - r->received, r->sent);
	else
		str_copy(dst, dstsz, probe_error_name(r->error));
}

static const struct store_result *row_result(const struct store_diff_row *row)
{
	return row->b ? row->b : row->a;
}

/* ---- table output ---------------------------------------------------------------------- */

static int table_row_cb(const struct store_diff_row *row, void *ctx)
{
	struct diff_out *out = ctx;
	const struct store_result *r = row_result(row);
	char src[320], dst[320], family[8], before[48], after[48];
	const char *cells[7];
	int i = listed_index(row->kind);

	if (i < 0 || (args.limit && table_rows(out->rows[i]) >= (size_t)args.limit))
		return 0;
	snprintf(src, sizeof(src), "%s/%s", row->src_cluster, row->src_name);
	snprintf(dst, sizeof(dst), "%s/%s", row->dst_cluster, row->dst_name);
	snprintf(family, sizeof(family), "ipv%u", r->family);
	result_text(row->a, before, sizeof(before));
	result_text(row->b, after, sizeof(after));
	cells[0] = src;
	cells[1] = dst;
	cells[2] = probe_protocol_name(r->protocol);
	cells[3] = family;
	cells[4] = store_network_name(r->network);
	cells[5] = before;
	cells[6] = after;
	table_add_row(out->rows[i], cells);
	return 0;
}

static int table_group_cb(const struct store_diff_counts *g, void *ctx)
{
	struct diff_out *out = ctx;
	static const enum store_diff_kind cols[] = {
	    STORE_DIFF_REGRESSION, STORE_DIFF_RECOVERY, STORE_DIFF_STILL_FAILING,
	    STORE_DIFF_NEW,	   STORE_DIFF_VANISHED, STORE_DIFF_SAME,
	};
	char num[ARRAY_SIZE(cols)][24];
	const char *cells[2 + ARRAY_SIZE(cols)];

	cells[0] = g->src_cluster;
	cells[1] = g->dst_cluster;
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		int64_t n = g->n[cols[i]];

		/* RTT changes are passes too: count them as unchanged verdicts. */
		if (cols[i] == STORE_DIFF_SAME)
			n += g->n[STORE_DIFF_RTT];
		snprintf(num[i], sizeof(num[i]), "%" PRId64, n);
		cells[2 + i] = num[i];
	}
	table_add_row(out->groups, cells);
	return 0;
}

static void print_header(struct store *st, int64_t a, int64_t b)
{
	int64_t ids[2] = {a, b};

	for (int i = 0; i < 2; i++) {
		struct err err = ERR_INIT;
		struct store_run_info *r = store_run_get(st, ids[i], &err);
		char started[32];

		if (!r)
			continue;
		cmd_format_time(r->started_ms, started, sizeof(started));
		printf("%s: run %" PRId64 ", started %s, %s, %s -> %s\n", i ? "B" : "A", r->id,
		       started, store_run_status_name(r->status),
		       r->src_clusters ? r->src_clusters : "-",
		       r->dst_clusters ? r->dst_clusters : "-");
		store_run_info_free(r);
	}
}

static void print_tables(struct diff_out *out, const struct store_diff_summary *sum)
{
	printf("\n");
	table_print(out->groups, stdout);
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++) {
		int64_t total = sum->total.n[listed[i]];
		size_t shown = table_rows(out->rows[i]);

		if (total == 0)
			continue;
		printf("\n%s: %" PRId64 "\n", listed_title[i], total);
		table_print(out->rows[i], stdout);
		if ((int64_t)shown < total)
			printf("... %" PRId64 " more (--limit 0 or --json shows all)\n",
			       total - (int64_t)shown);
	}
}

static void print_verdict(const struct store_diff_summary *sum)
{
	const int64_t *n = sum->total.n;

	printf("\n%" PRId64 " regression%s, %" PRId64 " recover%s, %" PRId64
	       " still failing, %" PRId64 " new, %" PRId64 " vanished, %" PRId64 " unchanged",
	       n[STORE_DIFF_REGRESSION], n[STORE_DIFF_REGRESSION] == 1 ? "" : "s",
	       n[STORE_DIFF_RECOVERY], n[STORE_DIFF_RECOVERY] == 1 ? "y" : "ies",
	       n[STORE_DIFF_STILL_FAILING], n[STORE_DIFF_NEW], n[STORE_DIFF_VANISHED],
	       n[STORE_DIFF_SAME] + n[STORE_DIFF_RTT]);
	if (args.rtt)
		printf(" (%" PRId64 " with a latency change)", n[STORE_DIFF_RTT]);
	printf("\n");
}

/* --rtt: "2ms", "1.5s", "500us" or a number of milliseconds, in microseconds. */
static int parse_rtt(const char *s, uint32_t *us, struct err *err)
{
	long v;

	if (str_has_suffix(s, "us")) {
		char *num = xstrndup(s, strlen(s) - 2);
		int rc = str_to_long(num, 1, MAX_RTT_US, &v, "--rtt", err);

		free(num);
		if (rc < 0)
			return -1;
		*us = (uint32_t)v;
		return 0;
	}
	if (str_to_duration_ms(s, MAX_RTT_US / 1000, &v, "--rtt", err) < 0)
		return -1;
	if (v <= 0)
		return err_set(err, ERR_USAGE, "--rtt: must be at least 1ms (or 1us)");
	*us = (uint32_t)(v * 1000);
	return 0;
}

static void out_init(struct diff_out *out)
{
	static const char *const row_headers[] = {"SRC",     "DST",    "PROTOCOL", "FAMILY",
						  "NETWORK", "BEFORE", "AFTER"};
	static const char *const group_headers[] = {"SRC CLUSTER", "DST CLUSTER",   "REGRESSED",
						    "RECOVERED",   "STILL-FAILING", "NEW",
						    "VANISHED",	   "UNCHANGED"};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++)
		out->rows[i] = table_new(row_headers, ARRAY_SIZE(row_headers));
	out->groups = table_new(group_headers, ARRAY_SIZE(group_headers));
	for (size_t i = 2; i < ARRAY_SIZE(group_headers); i++)
		table_align_right(out->groups, i);
}

static void out_release(struct diff_out *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++)
		table_free(out->rows[i]);
	table_free(out->groups);
}

/* ---- JSON output, streamed (a diff of two 1M-result runs must not be built in memory) -- */

static cJSON *result_json(const struct store_result *r)
{
	cJSON *o;

	if (!r)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", probe_error_name(r->error));
	cJSON_AddBoolToObject(o, "passed", r->error == PROBE_OK);
	cJSON_AddNumberToObject(o, "sent", r->sent);
	cJSON_AddNumberToObject(o, "received", r->received);
	cJSON_AddNumberToObject(o, "rtt_avg_us", r->rtt_avg_us);
	cJSON_AddNumberToObject(o, "rtt_p99_us", r->rtt_p99_us);
	return o;
}

static void print_json_item(cJSON *o, bool *first)
{
	char *s = json_print(o);

	printf("%s\n    %s", *first ? "" : ",", s);
	*first = false;
	free(s);
	cJSON_Delete(o);
}

static int json_row_cb(const struct store_diff_row *row, void *ctx)
{
	struct diff_out *out = ctx;
	const struct store_result *r = row_result(row);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", store_diff_kind_name(row->kind));
	cJSON_AddStringToObject(o, "src_cluster", row->src_cluster);
	cJSON_AddStringToObject(o, "src_node", row->src_name);
	cJSON_AddStringToObject(o, "dst_cluster", row->dst_cluster);
	cJSON_AddStringToObject(o, "dst_node", row->dst_name);
	cJSON_AddStringToObject(o, "protocol", probe_protocol_name(r->protocol));
	cJSON_AddNumberToObject(o, "family", r->family);
	cJSON_AddStringToObject(o, "network", store_network_name(r->network));
	cJSON_AddItemToObject(o, "a", result_json(row->a));
	cJSON_AddItemToObject(o, "b", result_json(row->b));
	print_json_item(o, &out->json_first);
	return 0;
}

static cJSON *counts_json(const struct store_diff_counts *g)
{
	cJSON *o = cJSON_CreateObject();

	if (g->src_cluster)
		cJSON_AddStringToObject(o, "src_cluster", g->src_cluster);
	if (g->dst_cluster)
		cJSON_AddStringToObject(o, "dst_cluster", g->dst_cluster);
	for (int k = 0; k < STORE_DIFF_KIND_MAX; k++)
		cJSON_AddNumberToObject(o, store_diff_kind_name(k), (double)g->n[k]);
	return o;
}

/* Groups are few (cluster pairs): kept and printed after the streamed changes. */
static int json_group_cb(const struct store_diff_counts *g, void *ctx)
{
	struct diff_out *out = ctx;

	cJSON_AddItemToArray(out->json_groups, counts_json(g));
	return 0;
}

/* ---- picking the runs ------------------------------------------------------------------ */

struct earlier {
	int64_t before;
	const char *key;
	int64_t found;
};

static int find_earlier(const struct store_run_info *r, void *ctx)
{
	struct earlier *e = ctx;

	if (r->id >= e->before || !str_eq(r->compare_key, e->key))
		return 0;
	if (r->status != STORE_RUN_DONE && r->status != STORE_RUN_INTERRUPTED)
		return 0;
	e->found = r->id;
	return 1;
}

/* `diff B`: A is the newest earlier run comparable with B. */
static int pick_earlier(struct store *st, int64_t b, int64_t *a, struct err *err)
{
	struct store_history_query q = {0};
	struct store_run_info *rb = store_run_get(st, b, err);
	struct earlier e = {0};
	int rc;

	if (!rb)
		return -1;
	e.before = b;
	e.key = rb->compare_key;
	rc = store_history(st, &q, find_earlier, &e, err);
	store_run_info_free(rb);
	if (rc < 0)
		return -1;
	if (!e.found)
		return err_set(err, ERR_NOTFOUND,
			       "no earlier run comparable with run %" PRId64
			       " (same clusters, protocols, families, networks)",
			       b);
	*a = e.found;
	return 0;
}

static int parse_run_id(const char *s, int64_t *id, struct err *err)
{
	long v;

	if (str_to_long(s, 1, LONG_MAX, &v, "run id", err) < 0)
		return -1;
	*id = v;
	return 0;
}

/* Resolves the runs to compare; returns 1 (not an error) when there is nothing to compare. */
static int pick_runs(struct store *st, int nargs, char **ids, int64_t *a, int64_t *b,
		     struct err *err)
{
	struct store_run_info *r;

	if (nargs == 0) {
		if (store_diff_default_pair(st, a, b, err) == 0)
			return 0;
		return err->code == ERR_NOTFOUND ? 1 : -1;
	}
	if (parse_run_id(ids[nargs - 1], b, err) < 0)
		return -1;
	if (nargs == 2 && parse_run_id(ids[0], a, err) < 0)
		return -1;
	if (nargs == 1)
		return pick_earlier(st, *b, a, err);
	for (int i = 0; i < 2; i++) {
		r = store_run_get(st, i ? *b : *a, err);
		if (!r)
			return -1;
		store_run_info_free(r);
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------------------- */

static int run_json(struct store *st, int64_t a, int64_t b, const struct store_diff_opts *opts,
		    struct store_diff_summary *sum, struct err *err)
{
	struct diff_out out = {.json_first = true};
	cJSON *item, *next;
	char *totals;
	int rc;

	out.json_groups = cJSON_CreateArray();
	printf("{\n  \"run_a\": %" PRId64 ",\n  \"run_b\": %" PRId64 ",\n  \"changes\": [", a, b);
	rc = store_diff(st, a, b, opts, json_row_cb, json_group_cb, &out, sum, err);
	if (rc < 0) {
		/* stdout holds a partial document; the exit status and stderr say why. */
		cJSON_Delete(out.json_groups);
		return -1;
	}
	printf("%s],\n  \"groups\": [", out.json_first ? "" : "\n  ");
	out.json_first = true;
	for (item = out.json_groups->child; item; item = next) {
		next = item->next;
		print_json_item(cJSON_DetachItemViaPointer(out.json_groups, item), &out.json_first);
	}
	cJSON_Delete(out.json_groups);
	item = counts_json(&sum->total);
	totals = json_print(item);
	cJSON_Delete(item);
	printf("%s],\n  \"totals\": %s\n}\n", out.json_first ? "" : "\n  ", totals);
	free(totals);
	return 0;
}

static int run_table(struct store *st, int64_t a, int64_t b, const struct store_diff_opts *opts,
		     struct store_diff_summary *sum, struct err *err)
{
	struct diff_out out;
	int rc;

	out_init(&out);
	rc = store_diff(st, a, b, opts, table_row_cb, table_group_cb, &out, sum, err);
	if (rc == 0) {
		print_header(st, a, b);
		print_tables(&out, sum);
		print_verdict(sum);
	}
	out_release(&out);
	return rc;
}

static int diff_exec(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	struct store_diff_opts opts = {0};
	struct store_diff_summary sum;
	struct err err = ERR_INIT;
	struct store *st;
	int64_t a = 0, b = 0;
	int first, rc;

	args.limit = DEFAULT_LIMIT;
	rc = cmd_parse(ctx, e, argc, argv, 0, 2, &first);
	if (rc)
		return rc;
	if (args.rtt && parse_rtt(args.rtt, &opts.rtt_abs_us, &err) < 0)
		return cmd_usage_error(e, "%s", err.msg);
	if (args.rtt_pct && !args.rtt)
		return cmd_usage_error(e, "--rtt-pct needs --rtt");
	opts.rtt_pct = (uint32_t)args.rtt_pct;
	/* The table lists the first --limit rows of each kind; JSON streams them all. */
	opts.limit_per_kind = args.json ? 0 : (size_t)args.limit;
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	memset(&sum, 0, sizeof(sum));
	rc = pick_runs(st, argc - first, argv + first, &a, &b, &err);
	if (rc == 1) {
		printf("nothing to compare: diff needs two finished runs of the same check "
		       "(`netctl history` lists runs)\n");
		store_close(st);
		return EXIT_OK;
	}
	if (rc == 0)
		rc = args.json ? run_json(st, a, b, &opts, &sum, &err)
			       : run_table(st, a, b, &opts, &sum, &err);
	store_close(st);
	if (rc < 0)
		return cmd_fail(&err);
	return sum.total.n[STORE_DIFF_REGRESSION] > 0 ? EXIT_FAILED : EXIT_OK;
}

static const struct cmd_opt diff_opts[] = {
    {OPT_LONG, 'n', "limit", "N", "list at most N rows of each kind (default 50, 0 = all)",
     &args.limit, 0, 1000000000L, NULL},
    {OPT_STRING, 0, "rtt", "D", "also list pairs whose average RTT moved by D or more (2ms, 500us)",
     &args.rtt, 0, 0, NULL},
    {OPT_LONG, 0, "rtt-pct", "P", "with --rtt: and by P percent or more", &args.rtt_pct, 0, 100000,
     NULL},
    {OPT_FLAG, 0, "json", NULL, "print JSON (every change, streamed)", &args.json, 0, 0, NULL},
    {OPT_END},
};

const struct cmd_entry cmd_diff_entry = {
    .name = "diff",
    .summary = "Compare two runs: regressions, recoveries, new and vanished pairs.",
    .synopsis = "diff [A] [B] [--limit N] [--rtt D [--rtt-pct P]] [--json]",
    .details = "No run ids: the newest finished run against the newest earlier run of the\n"
	       "same check (same clusters, protocols, families, networks). One id B: B\n"
	       "against the newest earlier comparable run. Exit status 1 when some pair\n"
	       "regressed (passed in A, fails in B); latency changes (--rtt) are listed but\n"
	       "do not change the exit status.\n",
    .opts = diff_opts,
    .exec = diff_exec,
};
