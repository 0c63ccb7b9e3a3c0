/* netctl history: stored runs, newest first. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"
#include "store.h"

#define DEFAULT_LIMIT 20

static struct {
	long limit;
	bool limit_seen;
	const char *cluster;
	bool json;
} args;

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

static int history_exec(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	static const char *const headers[] = {"RUN", "STARTED",	  "DURATION", "STATUS", "SRC",
					      "DST", "PROTOCOLS", "RESULTS",  "FAILED", "RESUMES"};
	struct store_history_query q = {0};
	struct err err = ERR_INIT;
	struct store *st;
	struct table *t = NULL;
	cJSON *arr = NULL;
	int first, rc;

	args.limit = DEFAULT_LIMIT;
	rc = cmd_parse(ctx, e, argc, argv, 0, 0, &first);
	if (rc)
		return rc;
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
    {OPT_END},
};

const struct cmd_entry cmd_history_entry = {
    .name = "history",
    .summary = "List stored runs, newest first, with result and failure counts.",
    .synopsis = "history [--limit N] [--cluster NAME] [--json]",
    .details = "RESULTS counts stored pair results (x/y while a run is incomplete: y were\n"
	       "planned); FAILED those that did not pass; RESUMES the run a resume continued.\n"
	       "A run whose process died shows as interrupted; `netctl resume --run ID`\n"
	       "continues it.\n",
    .opts = history_opts,
    .exec = history_exec,
};
