/* netctl history: stored runs, newest first. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "store.h"

#define DEFAULT_LIMIT 20

static struct {
	long limit;
	bool limit_seen;
	const char *cluster;
	bool json;
	bool prune, dry_run;
	long keep;
	bool keep_seen;
	const char *older_than;
} args = {.limit = DEFAULT_LIMIT};

static void run_duration(const struct store_run_info *r, char *dst, size_t dstsz)
{
	if (r->finished_ms <= 0 || r->finished_ms < r->started_ms)
		str_copy(dst, dstsz, "-");
	else
		time_format_duration(r->finished_ms - r->started_ms, dst, dstsz);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int history_row(const struct store_run_info *r, void *ctx)
{
	char id[24], parent[24], started[32], dur[32], pairs[48], failed[24];
	char *protos = config_protocols_string(r->protocols);
	const char *cells[10];

	snprintf(id, sizeof(id), "%" PRId64, r->id);
	snprintf(parent, sizeof(parent), r->parent_id ? "%" PRId64 : "-", r->parent_id);
	cmd_format_time(r->started_ms, started, sizeof(started));
	run_duration(r, dur, sizeof(dur));
	if (r->planned > 0 && r->planned != r->results)
		snprintf(pairs, sizeof(pairs), "%" PRId64 "/%" PRId64, r->results, r->planned);
	else
		snprintf(pairs, sizeof(pairs), "%" PRId64, r->results);
	snprintf(failed, sizeof(failed), "%" PRId64, r->failed);
	cells[0] = id;
	cells[1] = started;
	cells[2] = dur;
	cells[3] = store_run_status_name(r->status);
	cells[4] = or_dash(r->src_clusters);
	cells[5] = or_dash(r->dst_clusters);
	cells[6] = or_dash(protos);
	cells[7] = pairs;
	cells[8] = failed;
	cells[9] = parent;
	table_add_row(ctx, cells);
	free(protos);
	return 0;
}

static cJSON *run_to_json(const struct store_run_info *r)
{
	cJSON *o = cJSON_CreateObject();
	char started[32], finished[32];
	char *protos = config_protocols_string(r->protocols);
	cJSON *opts = r->options_json ? cJSON_Parse(r->options_json) : NULL;

	time_format_iso(r->started_ms, started, sizeof(started));
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	if (r->parent_id)
		cJSON_AddNumberToObject(o, "parent_id", (double)r->parent_id);
	else
		cJSON_AddNullToObject(o, "parent_id");
	cJSON_AddStringToObject(o, "started", started);
	if (r->finished_ms > 0) {
		time_format_iso(r->finished_ms, finished, sizeof(finished));
		cJSON_AddStringToObject(o, "finished", finished);
	} else {
		cJSON_AddNullToObject(o, "finished");
	}
	cJSON_AddStringToObject(o, "status", store_run_status_name(r->status));
	cJSON_AddStringToObject(o, "src_clusters", r->src_clusters ? r->src_clusters : "");
	cJSON_AddStringToObject(o, "dst_clusters", r->dst_clusters ? r->dst_clusters : "");
	cJSON_AddStringToObject(o, "protocols", protos);
	cJSON_AddNumberToObject(o, "planned", (double)r->planned);
	cJSON_AddNumberToObject(o, "results", (double)r->results);
	cJSON_AddNumberToObject(o, "failed", (double)r->failed);
	cJSON_AddItemToObject(o, "options", opts ? opts : cJSON_CreateNull());
	free(protos);
	return o;
}

static int history_json(const struct store_run_info *r, void *ctx)
{
	cJSON_AddItemToArray(ctx, run_to_json(r));
	return 0;
}

static void print_empty(void)
{
	if (args.cluster)
		printf("no runs involving cluster '%s' yet\n", args.cluster);
	else
		printf("no runs yet: `netctl check` makes one\n");
}

/* ---- --prune ------------------------------------------------------------------------- */

/* 3400000 -> "3,400,000". */
static void format_count(int64_t v, char *dst, size_t dstsz)
{
	char digits[32];
	size_t n, o = 0;

	n = (size_t)snprintf(digits, sizeof(digits), "%" PRId64, v < 0 ? 0 : v);
	for (size_t i = 0; i < n && o + 2 < dstsz; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			dst[o++] = ',';
		dst[o++] = digits[i];
	}
	dst[o] = '\0';
}

static void format_bytes(int64_t v, char *dst, size_t dstsz)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB"};
	double d = (double)v;
	size_t u = 0;

	if (v < 1000) {
		snprintf(dst, dstsz, "%" PRId64 " bytes", v);
		return;
	}
	d /= 1000.0;
	while (d >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
		d /= 1000.0;
		u++;
	}
	snprintf(dst, dstsz, d < 10.0 ? "%.1f %s" : "%.0f %s", d, units[u]);
}

static int prune_check_args(const struct cmd_entry *e)
{
	if (!args.prune) {
		if (args.keep_seen)
			return cmd_usage_error(e, "--keep needs --prune");
		if (args.older_than)
			return cmd_usage_error(e, "--older-than needs --prune");
		if (args.dry_run)
			return cmd_usage_error(e, "--dry-run needs --prune");
		return 0;
	}
	if (!args.keep_seen && !args.older_than)
		return cmd_usage_error(e, "--prune needs --keep N and/or --older-than AGE");
	if (args.limit_seen)
		return cmd_usage_error(e, "--limit lists runs; it does not go with --prune");
	if (args.cluster)
		return cmd_usage_error(e, "--cluster lists runs; it does not go with --prune");
	return 0;
}

static void prune_print_json(const struct store_prune_report *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "dry_run", args.dry_run);
	cJSON_AddNumberToObject(o, "runs_pruned", (double)r->runs);
	cJSON_AddNumberToObject(o, "results_pruned", (double)r->results);
	cJSON_AddNumberToObject(o, "nodes_pruned", (double)r->nodes);
	cJSON_AddNumberToObject(o, "runs_kept", (double)r->kept);
	cJSON_AddNumberToObject(o, "kept_for_resume_chains", (double)r->kept_chain);
	cJSON_AddNumberToObject(o, "kept_running", (double)r->kept_running);
	cJSON_AddNumberToObject(o, "bytes_before", (double)r->bytes_before);
	cJSON_AddNumberToObject(o, "bytes_after", (double)r->bytes_after);
	cJSON_AddBoolToObject(o, "vacuumed", r->vacuumed);
	cmd_print_json(o);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void prune_print(const struct store_prune_report *r)
{
	char runs[32], results[32], nodes[32], before[32], after[32];

	format_count(r->runs, runs, sizeof(runs));
	format_count(r->results, results, sizeof(results));
	format_count(r->nodes, nodes, sizeof(nodes));
	format_bytes(r->bytes_before, before, sizeof(before));
	format_bytes(r->bytes_after, after, sizeof(after));
	if (r->runs == 0)
		printf("nothing to prune; database %s\n", before);
	else
		printf("%s %s %s, %s %s, %s %s; database %s%s%s\n",
		       args.dry_run ? "would prune" : "pruned", runs,
		       plural(r->runs, "run", "runs"), results,
		       plural(r->results, "result", "results"), nodes,
		       plural(r->nodes, "node name", "node names"), args.dry_run ? "now " : before,
		       args.dry_run ? before : " -> ",
		       args.dry_run ? " (dry run: nothing deleted)" : after);
	printf("%s %" PRId64 " %s", args.dry_run && r->runs ? "would keep" : "kept", r->kept,
	       plural(r->kept, "run", "runs"));
	if (r->kept_chain || r->kept_running) {
		printf(" (");
		if (r->kept_chain)
			printf("%" PRId64 " only because a kept resume reads through %s",
			       r->kept_chain, plural(r->kept_chain, "it", "them"));
		if (r->kept_running)
			printf("%s%" PRId64 " running", r->kept_chain ? ", " : "", r->kept_running);
		printf(")");
	}
	printf("\n");
	if (r->vacuum_busy)
		fprintf(stderr, "netctl: the database was busy: runs deleted, space not given back "
				"yet (prune again later)\n");
	if (r->vacuum_full)
		fprintf(stderr, "netctl: no room for vacuum's copy of the store (about the size of "
				"the file): runs deleted, new runs reuse their space, the file "
				"shrinks at a later prune with room\n");
}

static int history_prune(struct cmd_ctx *ctx)
{
	struct store_prune_opts o = {.dry_run = args.dry_run};
	struct store_prune_report rep;
	struct err err = ERR_INIT;
	struct store *st;
	long age = 0;
	int rc;

	if (args.older_than && cmd_parse_age(args.older_than, "--older-than", &age, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	o.by_count = args.keep_seen;
	o.keep = (size_t)args.keep;
	o.by_age = args.older_than != NULL;
	o.since_ms = time_wall_ms() - age;
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	rc = store_prune(st, &o, &rep, &err);
	store_close(st);
	if (rc < 0)
		return cmd_fail(&err);
	if (args.json)
		prune_print_json(&rep);
	else
		prune_print(&rep);
	return EXIT_OK;
}

static int history_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = {"RUN", "STARTED",	  "DURATION", "STATUS", "SRC",
					      "DST", "PROTOCOLS", "RESULTS",  "FAILED", "RESUMES"};
	struct store_history_query q = {0};
	struct err err = ERR_INIT;
	struct store *st;
	struct table *t = NULL;
	cJSON *arr = NULL;
	int rc;

	rc = prune_check_args(ctx->entry);
	if (rc)
		return rc;
	if (args.prune)
		return history_prune(ctx);
	q.cluster = args.cluster;
	q.limit = (size_t)args.limit;
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	if (args.json) {
		arr = cJSON_CreateArray();
		rc = store_history(st, &q, history_json, arr, &err);
	} else {
		t = table_new(headers, ARRAY_SIZE(headers));
		for (size_t i = 0; i < ARRAY_SIZE(headers); i++)
			if (i == 0 || i == 7 || i == 8)
				table_align_right(t, i);
		rc = store_history(st, &q, history_row, t, &err);
	}
	store_close(st);
	if (rc < 0) {
		cJSON_Delete(arr);
		table_free(t);
		return cmd_fail(&err);
	}
	if (arr) {
		cmd_print_json(arr);
	} else if (table_rows(t) == 0) {
		print_empty();
	} else {
		table_print(t, stdout);
		if (!args.limit_seen && table_rows(t) == DEFAULT_LIMIT)
			printf("(newest %d runs; --limit 0 shows all)\n", DEFAULT_LIMIT);
	}
	table_free(t);
	return EXIT_OK;
}

static const struct cmd_opt history_opts[] = {
    {OPT_LONG, 'n', "limit", "N", "show the newest N runs (default 20, 0 = all)", &args.limit, 0,
     1000000000L, &args.limit_seen},
    {OPT_STRING, 'c', "cluster", "NAME", "only runs involving this cluster", &args.cluster, 0, 0,
     NULL},
    {OPT_FLAG, 0, "json", NULL, "print JSON instead of a table", &args.json, 0, 0, NULL},
    {OPT_FLAG, 0, "prune", NULL, "delete old runs (with --keep and/or --older-than)", &args.prune,
     0, 0, NULL},
    {OPT_LONG, 0, "keep", "N", "with --prune: keep the newest N finished runs", &args.keep, 0,
     1000000000L, &args.keep_seen},
    {OPT_STRING, 0, "older-than", "AGE",
     "with --prune: delete runs started more than AGE ago (30d, 12h, 2w)", &args.older_than, 0, 0,
     NULL},
    {OPT_FLAG, 0, "dry-run", NULL, "with --prune: say what would go, delete nothing", &args.dry_run,
     0, 0, NULL},
    {OPT_END},
};

const struct cmd_entry cmd_history_entry = {
    .name = "history",
    .summary = "List stored runs, newest first; --prune deletes old ones.",
    .synopsis = "history [--limit N] [--cluster NAME] [--json]\n"
		"history --prune [--keep N] [--older-than AGE] [--dry-run] [--json]",
    .details = "RESULTS counts stored pair results (x/y while a run is incomplete: y were\n"
	       "planned); FAILED those that did not pass; RESUMES the run a resume continued.\n"
	       "A run whose process died shows as interrupted; `netctl resume --run ID`\n"
	       "continues it.\n"
	       "\n"
	       "--prune deletes runs with their results, then gives the space back (VACUUM).\n"
	       "A run stays when a rule keeps it (--keep 10 --older-than 30d keeps the newest\n"
	       "10 and every run younger than 30 days), when it is running, or when a kept\n"
	       "resume reads through it (a resume chain is never cut).\n",
    .opts = history_opts,
    .exec = history_exec,
};
