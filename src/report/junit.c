/* The JUnit XML report: one testcase per pair x protocol x family x network; failures
 * carry the error. The counts in the suite header come from a counting walk first, so they
 * match the testcases exactly whatever the view. */
#include "report_int.h"

struct junit_count {
	int64_t tests, failures;
};

static int count_cb(const struct store_result_row *row, void *ctx)
{
	struct junit_count *c = ctx;

	c->tests++;
	if (row->r.error != PROBE_OK)
		c->failures++;
	return 0;
}

static void case_name(FILE *f, const struct store_result_row *row)
{
	xml_put(f, row->src_cluster);
	putc('/', f);
	xml_put(f, row->src_name);
	fputs(" -&gt; ", f);
	xml_put(f, row->dst_cluster);
	putc('/', f);
	xml_put(f, row->dst_name);
	fprintf(f, " %s %s %s", probe_protocol_name(row->r.protocol), family_name(row->r.family),
		store_network_name(row->r.network));
}

static int case_cb(const struct store_result_row *row, void *ctx)
{
	const struct store_result *res = &row->r;
	FILE *f = ctx;
	char rtt[16];

	/* classname groups testcases by cluster pair in CI views */
	fputs("    <testcase classname=\"netctl.", f);
	xml_put(f, row->src_cluster);
	fputs(".", f);
	xml_put(f, row->dst_cluster);
	fputs("\" name=\"", f);
	case_name(f, row);
	fprintf(f, "\" time=\"%.6f\"", res->rtt_avg_us / 1e6);
	if (res->error == PROBE_OK) {
		fputs("/>\n", f);
		return 0;
	}
	fmt_rtt(res->rtt_avg_us, rtt, sizeof(rtt));
	fprintf(f, ">\n      <failure type=\"%s\" message=\"%s\">", probe_error_name(res->error),
		probe_error_name(res->error));
	case_name(f, row);
	fprintf(f, ": %s, %u sent, %u received (%.0f%% lost), rtt %s</failure>\n    </testcase>\n",
		probe_error_name(res->error), res->sent, res->received,
		loss_pct(res->sent, res->received), rtt);
	return 0;
}

int report_junit(struct rctx *r)
{
	struct junit_count c = {0};
	const struct store_run_info *ri = r->run;
	double secs = ri->finished_ms > ri->started_ms
			  ? (double)(ri->finished_ms - ri->started_ms) / 1000.0
			  : 0.0;
	char when[32];
	FILE *f = r->out;

	if (rctx_results(r, false, count_cb, &c) < 0)
		return -1;
	time_format_iso(ri->started_ms, when, sizeof(when));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f,
		"<testsuites name=\"netctl run %lld\" tests=\"%lld\" failures=\"%lld\" "
		"errors=\"0\" time=\"%.3f\">\n",
		(long long)ri->id, (long long)c.tests, (long long)c.failures, secs);
	fprintf(f, "  <testsuite name=\"netctl run %lld: ", (long long)ri->id);
	xml_put(f, ri->src_clusters);
	fputs(" -&gt; ", f);
	xml_put(f, ri->dst_clusters);
	fprintf(f,
		"\" tests=\"%lld\" failures=\"%lld\" errors=\"0\" skipped=\"0\" "
		"timestamp=\"%s\" time=\"%.3f\">\n",
		(long long)c.tests, (long long)c.failures, when, secs);
	fprintf(f, "    <properties>\n      <property name=\"run_id\" value=\"%lld\"/>\n",
		(long long)ri->id);
	fprintf(f, "      <property name=\"status\" value=\"%s\"/>\n    </properties>\n",
		store_run_status_name(ri->status));
	if (rctx_results(r, false, case_cb, f) < 0)
		return -1;
	fputs("  </testsuite>\n</testsuites>\n", f);
	return 0;
}
