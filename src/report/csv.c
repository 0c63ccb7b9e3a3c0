/* The CSV report: a header row, then one row per pair x protocol x family x network. */
#include "report_int.h"

static const char csv_header[] =
    "run_id,src_cluster,src_node,dst_cluster,dst_node,protocol,family,network,passed,error,"
    "sent,received,loss_pct,rtt_min_us,rtt_avg_us,rtt_max_us,rtt_p99_us\r\n";

static int csv_cb(const struct store_result_row *row, void *ctx)
{
	const struct store_result *res = &row->r;
	FILE *f = ctx;

	fprintf(f, "%lld,", (long long)row->run_id);
	csv_put(f, row->src_cluster);
	putc(',', f);
	csv_put(f, row->src_name);
	putc(',', f);
	csv_put(f, row->dst_cluster);
	putc(',', f);
	csv_put(f, row->dst_name);
	/* RFC 4180 lines end with CRLF. */
	fprintf(f, ",%s,%d,%s,%s,%s,%u,%u,%.2f,%u,%u,%u,%u\r\n", probe_protocol_name(res->protocol),
		res->family, store_network_name(res->network),
		res->error == PROBE_OK ? "true" : "false", probe_error_name(res->error), res->sent,
		res->received, loss_pct(res->sent, res->received), res->rtt_min_us, res->rtt_avg_us,
		res->rtt_max_us, res->rtt_p99_us);
	return 0;
}

int report_csv(struct rctx *r)
{
	fputs(csv_header, r->out);
	return rctx_results(r, false, csv_cb, r->out);
}
