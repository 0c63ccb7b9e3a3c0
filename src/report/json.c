/* The JSON report (docs/report-format.md): one document, results streamed last. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report_int.h"

/* Bound for the stored options document we embed. */
#define OPTIONS_LIMIT (1u << 20)

static void put_time(FILE *f, int64_t ms)
{
	char iso[32];

	if (ms <= 0) {
		fputs("null", f);
		return;
	}
	time_format_iso(ms, iso, sizeof(iso));
	json_put_str(f, iso, false);
}

static void put_list(FILE *f, const char *comma_list)
{
	const char *p = comma_list ? comma_list : "";
	bool first = true;

	putc('[', f);
	while (*p) {
		size_t n = strcspn(p, ",");
		char *item = xstrndup(p, n);

		fputs(first ? "" : ",", f);
		json_put_str(f, item, false);
		free(item);
		first = false;
		p += n;
		if (*p == ',')
			p++;
	}
	putc(']', f);
}

/* A JSON array of the names of the bits set in mask (names are plain words). */
static void put_mask(FILE *f, unsigned mask, const char *const *names, size_t n)
{
	char *list = str_join_bits(mask, names, n, "\",\"");

	fprintf(f, *list ? "[\"%s\"]" : "[]", list);
	free(list);
}

/* The stored options, re-printed by cJSON so a damaged value can never break the
 * document; null when it does not parse. */
static void put_options(FILE *f, const char *text)
{
	struct err err = ERR_INIT;
	struct cJSON *o = text ? json_parse(text, strlen(text), OPTIONS_LIMIT, &err) : NULL;
	char *s;

	if (!o) {
		fputs("null", f);
		return;
	}
	s = json_print(o);
	fputs(s, f);
	free(s);
	cJSON_Delete(o);
}

struct left_out_json {
	FILE *f;
	bool first;
};

static int left_out_item(const struct store_left_out *n, void *ctx)
{
	struct left_out_json *lj = ctx;
	FILE *f = lj->f;

	fputs(lj->first ? "{\"cluster\":" : ",{\"cluster\":", f);
	lj->first = false;
	json_put_str(f, n->cluster_name, false);
	fputs(",\"node\":", f);
	json_put_str(f, n->name, false);
	fputs(",\"reason\":", f);
	json_put_str(f, store_left_out_reason_name(n->reason), false);
	fputs(",\"detail\":", f);
	if (n->detail)
		json_put_str(f, n->detail, false);
	else
		fputs("null", f);
	putc('}', f);
	return 0;
}

/* Pods other clusters probed at a global address (docs/kosmos.md, "Global IP mapping"). */
static int global_item(const struct store_run_node *n, void *ctx)
{
	struct left_out_json *lj = ctx;
	const char *real[2] = {n->node.pod_ipv4, n->node.pod_ipv6};
	const char *global[2] = {n->node.pod_global_ipv4, n->node.pod_global_ipv6};
	FILE *f = lj->f;

	for (int i = 0; i < 2; i++) {
		if (!global[i])
			continue;
		fputs(lj->first ? "{\"cluster\":" : ",{\"cluster\":", f);
		lj->first = false;
		json_put_str(f, n->cluster_name, false);
		fputs(",\"node\":", f);
		json_put_str(f, n->node.name, false);
		fprintf(f, ",\"family\":%d,\"pod_ip\":", i ? 6 : 4);
		json_put_str(f, real[i] ? real[i] : "", false);
		fputs(",\"global_ip\":", f);
		json_put_str(f, global[i], false);
		putc('}', f);
	}
	return 0;
}

static int run_object(struct rctx *r)
{
	static const char *const family_numbers[] = {"4", "6"};
	const struct store_run_info *ri = r->run;
	FILE *f = r->out;
	struct left_out_json lj = {f, true};
	char *families;

	fprintf(f, "\"run\":{\"id\":%lld,\"parent_id\":", (long long)ri->id);
	if (ri->parent_id)
		fprintf(f, "%lld", (long long)ri->parent_id);
	else
		fputs("null", f);
	fputs(",\"status\":", f);
	json_put_str(f, store_run_status_name(ri->status), false);
	fputs(",\"started\":", f);
	put_time(f, ri->started_ms);
	fputs(",\"finished\":", f);
	put_time(f, ri->finished_ms);
	fprintf(f, ",\"duration_ms\":%lld",
		ri->finished_ms > ri->started_ms ? (long long)(ri->finished_ms - ri->started_ms)
						 : 0LL);
	fputs(",\"src_clusters\":", f);
	put_list(f, ri->src_clusters);
	fputs(",\"dst_clusters\":", f);
	put_list(f, ri->dst_clusters);
	fputs(",\"protocols\":", f);
	put_mask(f, ri->protocols, probe_protocol_names, PROTO_MAX);
	families = str_join_bits(ri->families, family_numbers, ARRAY_SIZE(family_numbers), ",");
	fprintf(f, ",\"families\":[%s]", families);
	free(families);
	fputs(",\"networks\":", f);
	put_mask(f, ri->networks, store_network_names, STORE_NET_MAX);
	fprintf(f, ",\"planned\":%lld,\"merged\":%s,\"options\":", (long long)ri->planned,
		r->o.merged ? "true" : "false");
	put_options(f, ri->options_json);
	fputs(",\"left_out\":[", f);
	if (store_run_left_out_foreach(r->st, ri->id, left_out_item, &lj, r->err) < 0)
		return -1;
	fputs("],\"global_addresses\":[", f);
	lj.first = true;
	if (store_run_nodes_foreach(r->st, ri->id, global_item, &lj, r->err) < 0)
		return -1;
	putc(']', f);
	if (report_kosmos_json(r) < 0)
		return -1;
	putc('}', f);
	return 0;
}

static int summary_array(struct rctx *r, int64_t totals[3])
{
	struct summary_row *rows;
	FILE *f = r->out;
	size_t n;

	if (summary_load(r, &rows, &n) < 0)
		return -1;
	fputs(",\n\"summary\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct summary_row *s = &rows[i];

		fputs(i ? ",\n{" : "\n{", f);
		fputs("\"src_cluster\":", f);
		json_put_str(f, s->src, false);
		fputs(",\"dst_cluster\":", f);
		json_put_str(f, s->dst, false);
		fprintf(f,
			",\"protocol\":\"%s\",\"family\":%d,\"network\":\"%s\",\"results\":%lld,"
			"\"passed\":%lld,"
			"\"failed\":%lld,\"sent\":%lld,\"received\":%lld,\"loss_pct\":%.2f,"
			"\"rtt_p50_us\":%u,\"rtt_p99_us\":%u}",
			probe_protocol_name(s->protocol), s->family, store_network_name(s->network),
			(long long)s->results, (long long)s->passed, (long long)s->failed,
			(long long)s->sent, (long long)s->received, loss_pct(s->sent, s->received),
			s->p50, s->p99);
		totals[0] += s->results;
		totals[1] += s->passed;
		totals[2] += s->failed;
	}
	fputs("]", f);
	summary_free(rows, n);
	return 0;
}

static void put_str_or_null(FILE *f, const char *key, const char *v)
{
	fprintf(f, ",\"%s\":", key);
	if (v)
		json_put_str(f, v, false);
	else
		fputs("null", f);
}

static int verdict_array(struct rctx *r)
{
	struct verdict_list *vl = rctx_verdicts(r);
	FILE *f = r->out;

	if (!vl)
		return -1;
	if (r->o.coverage) {
		const struct store_coverage *c = r->o.coverage;

		fprintf(f,
			",\n\"coverage\":{\"runs\":%lld,\"pairs\":%lld,\"seen\":%lld,"
			"\"failed\":%lld,\"fraction\":%.6f}",
			(long long)c->runs, (long long)c->all, (long long)c->seen,
			(long long)c->failed, c->all ? (double)c->seen / (double)c->all : 0.0);
	}
	fputs(",\n\"verdicts\":[", f);
	for (size_t i = 0; i < verdict_count(vl); i++) {
		const struct verdict *v = verdict_get(vl, i);

		fputs(i ? ",\n{" : "\n{", f);
		fprintf(f, "\"kind\":\"%s\",\"text\":", verdict_kind_name(v->kind));
		json_put_str(f, v->text, false);
		put_str_or_null(f, "src_cluster", v->src_cluster);
		put_str_or_null(f, "dst_cluster", v->dst_cluster);
		put_str_or_null(f, "node", v->node);
		put_str_or_null(f, "peer", v->peer);
		put_str_or_null(f, "protocol",
				v->protocol >= 0 ? probe_protocol_name(v->protocol) : NULL);
		fputs(",\"family\":", f);
		if (v->family)
			fprintf(f, "%d", v->family);
		else
			fputs("null", f);
		fprintf(f,
			",\"both_directions\":%s,\"failed\":%lld,\"total\":%lld,\"sent\":%lld,"
			"\"received\":%lld}",
			v->both_directions ? "true" : "false", (long long)v->failed,
			(long long)v->total, (long long)v->sent, (long long)v->received);
	}
	fputs("]", f);
	return 0;
}

struct json_rows {
	FILE *f;
	int64_t n, failed;
};

static int result_cb(const struct store_result_row *row, void *ctx)
{
	struct json_rows *jr = ctx;
	const struct store_result *res = &row->r;
	FILE *f = jr->f;

	fputs(jr->n ? ",\n{" : "\n{", f);
	fputs("\"src_cluster\":", f);
	json_put_str(f, row->src_cluster, false);
	fputs(",\"src_node\":", f);
	json_put_str(f, row->src_name, false);
	fputs(",\"dst_cluster\":", f);
	json_put_str(f, row->dst_cluster, false);
	fputs(",\"dst_node\":", f);
	json_put_str(f, row->dst_name, false);
	fprintf(f,
		",\"protocol\":\"%s\",\"family\":%d,\"network\":\"%s\",\"passed\":%s,"
		"\"error\":\"%s\",\"sent\":%u,\"received\":%u,\"loss_pct\":%.2f,"
		"\"rtt_min_us\":%u,\"rtt_avg_us\":%u,\"rtt_max_us\":%u,\"rtt_p99_us\":%u,"
		"\"run_id\":%lld}",
		probe_protocol_name(res->protocol), res->family, store_network_name(res->network),
		res->error == PROBE_OK ? "true" : "false", probe_error_name(res->error), res->sent,
		res->received, loss_pct(res->sent, res->received), res->rtt_min_us, res->rtt_avg_us,
		res->rtt_max_us, res->rtt_p99_us, (long long)row->run_id);
	jr->n++;
	if (res->error != PROBE_OK)
		jr->failed++;
	return 0;
}

int report_json(struct rctx *r)
{
	struct json_rows jr = {.f = r->out};
	int64_t sum[3] = {0};
	FILE *f = r->out;

	fprintf(f, "{\"format_version\":%d,\"generator\":\"netctl %s\",\n", REPORT_JSON_VERSION,
		NETCTL_VERSION);
	if (run_object(r) < 0 || summary_array(r, sum) < 0 || verdict_array(r) < 0)
		return -1;
	if (r->o.json_no_results) {
		fprintf(f, ",\n\"totals\":{\"results\":%lld,\"passed\":%lld,\"failed\":%lld}}\n",
			(long long)sum[0], (long long)sum[1], (long long)sum[2]);
		return 0;
	}
	fputs(",\n\"results\":[", f);
	if (rctx_results(r, false, result_cb, &jr) < 0)
		return -1;
	fprintf(f, "],\n\"totals\":{\"results\":%lld,\"passed\":%lld,\"failed\":%lld}}\n",
		(long long)jr.n, (long long)(jr.n - jr.failed), (long long)jr.failed);
	return 0;
}
