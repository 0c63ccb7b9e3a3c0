/* The outcome of check and resume: the run's report (table or JSON) and how it went. */
#include <stdio.h>
#include <stdlib.h>
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
