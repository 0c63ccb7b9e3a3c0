/* The outcome of check and resume: the run's report (table or JSON) and how it went. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

/* What the API server check found and what it cost (docs/usage.md, "The API server"). */
static void print_apiserver(const struct run_result *res)
{
	char inflight[32], added[32];

	if (!res->apiserver_results)
		return;
	printf("API server check: %lld result%s to %lld address%s, %lld failed; ",
	       (long long)res->apiserver_results, res->apiserver_results == 1 ? "" : "s",
	       (long long)res->apiserver_addresses, res->apiserver_addresses == 1 ? "" : "es",
	       (long long)res->apiserver_failed);
	if (!res->apiserver_requests) {
		printf("no request of its own (its addresses went along in the node pairs' "
		       "requests)\n");
		return;
	}
	time_format_duration(res->apiserver_request_ms, inflight, sizeof(inflight));
	time_format_duration(res->apiserver_added_ms, added, sizeof(added));
	printf("%lld request%s of its own, %s in flight, adding at most about %s to probing "
	       "(--no-apiserver-check leaves it out)\n",
	       (long long)res->apiserver_requests, res->apiserver_requests == 1 ? "" : "s",
	       inflight, added);
}

/* A sampled run (--sample): its K and round from its recorded options; false otherwise. */
static bool run_sample(struct store *st, int64_t run_id, long *k, long *round)
{
	struct err err = ERR_INIT;
	struct store_run_info *r = store_run_get(st, run_id, &err);
	cJSON *o = r ? json_parse(r->options_json, strlen(r->options_json), 0, &err) : NULL;
	bool yes = o && json_get_long(o, "sample", 1, LONG_MAX, k, &err) == 0 && *k > 0 &&
		   json_get_long(o, "sample_round", 0, LONG_MAX, round, &err) == 0;

	cJSON_Delete(o);
	store_run_info_free(r);
	return yes;
}

/* protocol dns without --dns-server: which servers each cluster's nodes asked, and whence. */
static void print_dns_default(const struct run_result *res)
{
	if (res->dns_default[0])
		printf("DNS servers (none named: the floater pods' own, from their resolv.conf): "
		       "%s\n",
		       res->dns_default);
}

int check_print_outcome(struct store *st, const struct run_result *res, bool json, struct err *err)
{
	struct report_opts ro = {
	    .format = json ? REPORT_JSON : REPORT_TABLE,
	    .merged = true,	     /* a resumed run reads as the whole run */
	    .json_no_results = true, /* every result: netctl report --format json */
	    .color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
	};
	char rollout[32], table[32], probe[32], store[32];
	struct store_coverage cov;
	struct store_coverage_query all = {0};
	long k = 0, round = 0;
	bool sampled = run_sample(st, res->run_id, &k, &round);

	/* a sampled run's verdicts come from part of the pairs: they say how much */
	if (sampled && store_coverage(st, res->run_id, &all, NULL, NULL, &cov, err) == 0)
		ro.coverage = &cov;
	if (report_write(st, res->run_id, &ro, stdout, err) < 0)
		return -1;
	if (json)
		return 0;
	time_format_duration(res->rollout_ms, rollout, sizeof(rollout));
	time_format_duration(res->table_ms, table, sizeof(table));
	time_format_duration(res->probe_ms, probe, sizeof(probe));
	time_format_duration(res->store_ms, store, sizeof(store));
	printf("\nrun %lld %s: %lld of %lld results, %lld failed; floaters ready in %s, "
	       "node table %s, probing %s, store %s, %llu API requests\n",
	       (long long)res->run_id, store_run_status_name(res->status), (long long)res->done,
	       (long long)res->total, (long long)res->failed, rollout, table, probe, store,
	       (unsigned long long)res->api_requests);
	print_apiserver(res);
	if (sampled)
		printf(
		    "sampled: round %ld, at most %ld nodes of each destination cluster per source "
		    "(netctl coverage: what the last runs covered)\n",
		    round, k);
	print_dns_default(res);
	if (res->status == STORE_RUN_INTERRUPTED)
		printf("interrupted: every result received is stored; continue with "
		       "`netctl resume --run %lld`\n",
		       (long long)res->run_id);
	else if (res->failed)
		printf("details: netctl report --run %lld --format html -o report.html\n",
		       (long long)res->run_id);
	return 0;
}
