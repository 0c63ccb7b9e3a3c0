/* netctl diff [A] [B]: what changed between two runs: the verdicts that came and went, then
 * regressions (passed, now fails), recoveries, new and vanished pairs, grouped by node pair.
 * Exit 1 when there are regressions. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "store.h"
#include "verdict.h"

#define DEFAULT_LIMIT 50

static struct {
	bool json;
	const char *window;
	long runs;
	long limit;
	const char *rtt;
	long rtt_pct;
} args = {.limit = DEFAULT_LIMIT};

#define MAX_RTT_US 60000000L /* a minute: beyond that it is not a latency change */

/* Kinds listed row by row in the table output, in this order. */
static const enum store_diff_kind listed[] = {
    STORE_DIFF_REGRESSION, STORE_DIFF_RECOVERY,	    STORE_DIFF_NEW,
    STORE_DIFF_VANISHED,   STORE_DIFF_NOT_SELECTED, STORE_DIFF_RTT,
};

static const char *const listed_title[] = {
    "Regressions (passed in A, fail in B)",
    "Recoveries (failed in A, pass in B)",
    "New pairs (only in B)",
    "Vanished pairs (only in A)",
    "Not selected in B (only in A: B left a node of the pair out on purpose)",
    "Latency changes (passed in both, average RTT moved beyond --rtt)",
};

/* The changes of one node pair with the same kind and the same errors in A and in B are
 * one row listing their protocols, families and networks, as in a report's failure table. */
struct side {
	int error; /* enum probe_error; -1: not in that run */
	int64_t n, rtt_sum, sent, received;
};

struct dgroup {
	enum store_diff_kind kind;
	struct side a, b;
	unsigned protos, fams, nets;
	int64_t results;
};

/* Global IP mapping (docs/kosmos.md): the pods of a run that other clusters probed at a
 * global address, by node id, so that a change shows the real and the global address. */
struct gaddr {
	int64_t id;
	char *pod[2], *global[2]; /* [0] IPv4, [1] IPv6 */
};

struct gmap {
	struct gaddr *v;
	size_t n, cap;
};

struct diff_out {
	struct gmap gm[2]; /* run A, run B */
	struct table *rows[ARRAY_SIZE(listed)];
	int64_t shown[ARRAY_SIZE(listed)]; /* results in the rows listed */
	struct table *groups;
	/* the node pair being read (key order keeps its rows together) and its groups */
	bool pair_open;
	int64_t src, dst;
	char *src_label, *dst_label;
	struct dgroup *open;
	size_t nopen, capopen;
	bool json_first;
	cJSON *json_groups;
};

static int gmap_item(const struct store_run_node *n, void *ctx)
{
	struct gmap *m = ctx;
	struct gaddr *g;

	if (!n->node.pod_global_ipv4 && !n->node.pod_global_ipv6)
		return 0;
	m->v = xgrow(m->v, &m->cap, m->n + 1, sizeof(*m->v));
	g = &m->v[m->n++];
	g->id = n->node.id;
	g->pod[0] = n->node.pod_ipv4 ? xstrdup(n->node.pod_ipv4) : NULL;
	g->pod[1] = n->node.pod_ipv6 ? xstrdup(n->node.pod_ipv6) : NULL;
	g->global[0] = n->node.pod_global_ipv4 ? xstrdup(n->node.pod_global_ipv4) : NULL;
	g->global[1] = n->node.pod_global_ipv6 ? xstrdup(n->node.pod_global_ipv6) : NULL;
	return 0;
}

static int gaddr_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct gaddr *)a)->id, y = ((const struct gaddr *)b)->id;

	return x < y ? -1 : x > y;
}

static int gmaps_load(struct store *st, int64_t a, int64_t b, struct diff_out *out, struct err *err)
{
	for (int i = 0; i < 2; i++) {
		struct gmap *m = &out->gm[i];

		if (store_run_nodes_foreach(st, i ? b : a, gmap_item, m, err) < 0)
			return -1;
		if (m->n)
			qsort(m->v, m->n, sizeof(*m->v), gaddr_cmp);
	}
	return 0;
}

static void gmaps_release(struct diff_out *out)
{
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < out->gm[i].n; k++)
			for (int f = 0; f < 2; f++) {
				free(out->gm[i].v[k].pod[f]);
				free(out->gm[i].v[k].global[f]);
			}
		free(out->gm[i].v);
		memset(&out->gm[i], 0, sizeof(out->gm[i]));
	}
}

/* The global addresses of the destination of a change in run side (0: A, 1: B), when the
 * pair crosses clusters (inside a cluster the real address is probed); NULL: none. */
static const struct gaddr *row_gaddr(const struct diff_out *out, const struct store_diff_row *row,
				     int side)
{
	const struct store_result *r = side ? row->b : row->a;
	const struct gmap *m = &out->gm[side];
	struct gaddr key;

	if (!r || !m->n || !strcmp(row->src_cluster, row->dst_cluster))
		return NULL;
	key.id = r->dst_node;
	return bsearch(&key, m->v, m->n, sizeof(*m->v), gaddr_cmp);
}

static int listed_index(enum store_diff_kind k)
{
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++)
		if (listed[i] == k)
			return (int)i;
	return -1;
}

static const struct store_result *row_result(const struct store_diff_row *row)
{
	return row->b ? row->b : row->a;
}

/* ---- table output ---------------------------------------------------------------------- */

static void side_add(struct side *s, const struct store_result *r)
{
	if (!r)
		return;
	s->n++;
	s->rtt_sum += r->rtt_avg_us;
	s->sent += r->sent;
	s->received += r->received;
}

/* "ok 0.80ms" (the group's mean RTT), "loss 2/9", "timeout", "-" when not in the run. */
static void side_text(const struct side *s, char *dst, size_t dstsz)
{
	if (s->error < 0 || !s->n)
		str_copy(dst, dstsz, "-");
	else if (s->error == PROBE_OK)
		snprintf(dst, dstsz, "ok %.2fms", (double)s->rtt_sum / (double)s->n / 1000.0);
	else if (s->error == PROBE_LOSS)
		snprintf(dst, dstsz, "loss %" PRId64 "/%" PRId64, s->sent - s->received, s->sent);
	else
		str_copy(dst, dstsz, probe_error_name(s->error));
}

static const char *proto_i(int i)
{
	return probe_protocol_name(i);
}

static const char *fam_i(int i)
{
	return i ? "IPv6" : "IPv4";
}

static const char *net_i(int i)
{
	return store_network_name(i);
}

/* "icmp,tcp" from a bit mask, as the failure table writes it. */
static void mask_text(unsigned mask, int max, const char *(*name)(int), char *dst, size_t dstsz)
{
	size_t len = 0;

	dst[0] = '\0';
	for (int i = 0; i < max && len < dstsz; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(dst + len, dstsz - len, "%s%s", len ? "," : "",
						name(i));
}

static void group_row(struct diff_out *out, const struct dgroup *g)
{
	int k = listed_index(g->kind);
	char protos[32], fams[16], nets[48], before[48], after[48];
	const char *cells[7];

	mask_text(g->protos, PROTO_MAX, proto_i, protos, sizeof(protos));
	mask_text(g->fams, 2, fam_i, fams, sizeof(fams));
	mask_text(g->nets, STORE_NET_MAX, net_i, nets, sizeof(nets));
	side_text(&g->a, before, sizeof(before));
	side_text(&g->b, after, sizeof(after));
	cells[0] = out->src_label;
	cells[1] = out->dst_label;
	cells[2] = protos;
	cells[3] = fams;
	cells[4] = nets;
	cells[5] = before;
	cells[6] = after;
	table_add_row(out->rows[k], cells);
	out->shown[k] += g->results;
}

static void pair_flush(struct diff_out *out)
{
	for (size_t i = 0; i < out->nopen; i++)
		group_row(out, &out->open[i]);
	out->nopen = 0;
	free(out->src_label);
	free(out->dst_label);
	out->src_label = out->dst_label = NULL;
	out->pair_open = false;
}

/* "west/node-1", or "west/node-1 (pod 198.19.0.2 = 198.19.64.2)" when other clusters
 * probed its pod at a global address (as in B, else A). */
static char *dst_label(const struct diff_out *out, const struct store_diff_row *row)
{
	const struct gaddr *g = row_gaddr(out, row, 1);
	struct buf b;

	if (!g)
		g = row_gaddr(out, row, 0);
	buf_init(&b, 0);
	(void)!buf_printf(&b, "%s/%s", row->dst_cluster, row->dst_name);
	for (int f = 0, n = 0; g && f < 2; f++)
		if (g->global[f])
			(void)!buf_printf(&b, "%s%s = %s", n++ ? ", " : " (pod ",
					  g->pod[f] ? g->pod[f] : "-", g->global[f]);
	if (g)
		(void)!buf_puts(&b, ")");
	return buf_steal(&b);
}

static void pair_open(struct diff_out *out, const struct store_diff_row *row)
{
	const struct store_result *r = row_result(row);

	out->pair_open = true;
	out->src = r->src_node;
	out->dst = r->dst_node;
	out->src_label = xasprintf("%s/%s", row->src_cluster, row->src_name);
	out->dst_label = dst_label(out, row);
}

/* --limit rows of this kind are listed or open already. */
static bool kind_full(const struct diff_out *out, enum store_diff_kind kind)
{
	size_t n = table_rows(out->rows[listed_index(kind)]);

	for (size_t i = 0; i < out->nopen; i++)
		n += out->open[i].kind == kind;
	return args.limit && n >= (size_t)args.limit;
}

static struct dgroup *group_find(struct diff_out *out, const struct store_diff_row *row)
{
	int ea = row->a ? row->a->error : -1, eb = row->b ? row->b->error : -1;
	struct dgroup *g;

	for (size_t i = 0; i < out->nopen; i++) {
		g = &out->open[i];
		if (g->kind == row->kind && g->a.error == ea && g->b.error == eb)
			return g;
	}
	if (kind_full(out, row->kind))
		return NULL;
	out->open = xgrow(out->open, &out->capopen, out->nopen + 1, sizeof(*out->open));
	g = &out->open[out->nopen++];
	memset(g, 0, sizeof(*g));
	g->kind = row->kind;
	g->a.error = ea;
	g->b.error = eb;
	return g;
}

static int table_row_cb(const struct store_diff_row *row, void *ctx)
{
	struct diff_out *out = ctx;
	const struct store_result *r = row_result(row);
	struct dgroup *g;

	if (listed_index(row->kind) < 0)
		return 0;
	if (!out->pair_open || r->src_node != out->src || r->dst_node != out->dst) {
		pair_flush(out);
		pair_open(out, row);
		/* A new node pair and the kind's list is full: no more rows of it. Within a
		 * node pair rows are only skipped, so the open groups stay whole. */
		if (kind_full(out, row->kind))
			return STORE_DIFF_ENOUGH_OF_KIND;
	}
	g = group_find(out, row);
	if (!g)
		return 0;
	if (r->protocol < PROTO_MAX)
		g->protos |= 1u << r->protocol;
	g->fams |= r->family == 6 ? 2u : 1u;
	if (r->network < STORE_NET_MAX)
		g->nets |= 1u << r->network;
	g->results++;
	side_add(&g->a, row->a);
	side_add(&g->b, row->b);
	return 0;
}

static int table_group_cb(const struct store_diff_counts *g, void *ctx)
{
	struct diff_out *out = ctx;
	static const enum store_diff_kind cols[] = {
	    STORE_DIFF_REGRESSION, STORE_DIFF_RECOVERY, STORE_DIFF_STILL_FAILING,
	    STORE_DIFF_NEW,	   STORE_DIFF_VANISHED, STORE_DIFF_NOT_SELECTED,
	    STORE_DIFF_SAME,
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
		if (args.window || args.runs) {
			struct store_coverage cov;
			char line[256];

			if (store_coverage(st, ids[i], &(struct store_coverage_query){0}, NULL,
					   NULL, &cov, &err) < 0)
				continue;
			report_coverage_text(&cov, line, sizeof(line));
			printf("   %s's window: %s\n", i ? "B" : "A",
			       line + strlen("verdicts from "));
		}
	}
}

static void print_tables(struct diff_out *out, const struct store_diff_summary *sum)
{
	printf("\n");
	table_print(out->groups, stdout);
	for (size_t i = 0; i < ARRAY_SIZE(listed); i++) {
		int64_t total = sum->total.n[listed[i]];

		if (total == 0)
			continue;
		printf("\n%s: %" PRId64 " result%s\n", listed_title[i], total,
		       total == 1 ? "" : "s");
		table_print(out->rows[i], stdout);
		if (out->shown[i] < total)
			printf("... %" PRId64 " more result%s in other node pairs (--limit 0 or "
			       "--json shows all)\n",
			       total - out->shown[i], total - out->shown[i] == 1 ? "" : "s");
	}
}

/* ---- what changed in the verdicts ------------------------------------------------------- */

struct verdict_change {
	struct verdict_list *a, *b;
};

static int verdicts_load(struct store *st, int64_t a, int64_t b, struct verdict_change *vc,
			 struct err *err)
{
	struct verdict_opts o = {.merged = true};

	vc->a = verdict_compute(st, a, &o, err);
	vc->b = vc->a ? verdict_compute(st, b, &o, err) : NULL;
	return vc->b ? 0 : -1;
}

static void verdicts_release(struct verdict_change *vc)
{
	verdict_list_free(vc->a);
	verdict_list_free(vc->b);
}

/* Whether a verdict of one list has no counterpart in the other. "healthy" is the absence
 * of the others and never news of its own. */
static bool verdict_unmatched(const struct verdict *v, const struct verdict_list *other)
{
	if (v->kind == VERDICT_HEALTHY)
		return false;
	for (size_t i = 0; i < verdict_count(other); i++)
		if (verdict_same(v, verdict_get(other, i)))
			return false;
	return true;
}

/* Calls cb for B's verdicts A lacks ("new"), then A's that B lacks ("gone"); the count. */
static size_t verdict_changes(const struct verdict_change *vc,
			      void (*cb)(const char *what, const struct verdict *v, void *ctx),
			      void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < verdict_count(vc->b); i++) {
		if (!verdict_unmatched(verdict_get(vc->b, i), vc->a))
			continue;
		cb("new", verdict_get(vc->b, i), ctx);
		n++;
	}
	for (size_t i = 0; i < verdict_count(vc->a); i++) {
		if (!verdict_unmatched(verdict_get(vc->a, i), vc->b))
			continue;
		cb("gone", verdict_get(vc->a, i), ctx);
		n++;
	}
	return n;
}

/* The table lists this many new and this many gone verdicts (a run can have 50 bad links);
 * --json has them all. */
#define VERDICT_LINES 10

struct verdict_lines {
	const char *what;
	size_t n, more;
};

/* "... 42 more new verdicts" after the lines of one kind of change. */
static void verdict_lines_end(const struct verdict_lines *l)
{
	if (l->more)
		printf("... %zu more %s verdict%s (--json lists them all)\n", l->more, l->what,
		       l->more == 1 ? "" : "s");
}

static void verdict_line(const char *what, const struct verdict *v, void *ctx)
{
	struct verdict_lines *l = ctx;

	if (!l->what || strcmp(l->what, what)) {
		verdict_lines_end(l);
		*l = (struct verdict_lines){.what = what};
	}
	if (l->n++ < VERDICT_LINES)
		printf("%s: %s\n", what, v->text);
	else
		l->more++;
}

static void print_verdict_changes(const struct verdict_change *vc)
{
	struct verdict_lines l = {0};
	size_t n = verdict_count(vc->b);

	printf("\n");
	if (verdict_changes(vc, verdict_line, &l)) {
		verdict_lines_end(&l);
		return;
	}
	if (n == 1 && verdict_get(vc->b, 0)->kind == VERDICT_HEALTHY)
		printf("verdicts: no change (healthy in both)\n");
	else
		printf("verdicts: no change (%zu in both)\n", n);
}

static void print_verdict(const struct store_diff_summary *sum)
{
	const int64_t *n = sum->total.n;

	printf("\n%" PRId64 " regression%s, %" PRId64 " recover%s, %" PRId64
	       " still failing, %" PRId64 " new, %" PRId64 " vanished, %" PRId64
	       " not selected, %" PRId64 " unchanged",
	       n[STORE_DIFF_REGRESSION], n[STORE_DIFF_REGRESSION] == 1 ? "" : "s",
	       n[STORE_DIFF_RECOVERY], n[STORE_DIFF_RECOVERY] == 1 ? "y" : "ies",
	       n[STORE_DIFF_STILL_FAILING], n[STORE_DIFF_NEW], n[STORE_DIFF_VANISHED],
	       n[STORE_DIFF_NOT_SELECTED], n[STORE_DIFF_SAME] + n[STORE_DIFF_RTT]);
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
	static const char *const row_headers[] = {"SRC",     "DST",    "PROTOCOLS", "FAMILY",
						  "NETWORK", "BEFORE", "AFTER"};
	static const char *const group_headers[] = {"SRC CLUSTER", "DST CLUSTER",   "REGRESSED",
						    "RECOVERED",   "STILL-FAILING", "NEW",
						    "VANISHED",	   "NOT-SELECTED",  "UNCHANGED"};

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
	free(out->src_label);
	free(out->dst_label);
	free(out->open);
	gmaps_release(out);
}

/* ---- JSON output, streamed (a diff of two 1M-result runs must not be built in memory) -- */

/* One side of a change; with the real and the global address of the destination's pod
 * when the probe went to the global one (docs/kosmos.md). */
static cJSON *result_json(const struct diff_out *out, const struct store_diff_row *row, int side)
{
	const struct store_result *r = side ? row->b : row->a;
	const struct gaddr *g = row_gaddr(out, row, side);
	int f;
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
	f = r->family == 6;
	if (g && g->global[f] &&
	    (r->network == STORE_NET_POD || r->network == STORE_NET_HOST_POD)) {
		cJSON_AddStringToObject(o, "dst_pod_ip", g->pod[f] ? g->pod[f] : "");
		cJSON_AddStringToObject(o, "dst_global_ip", g->global[f]);
	}
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
	cJSON_AddItemToObject(o, "a", result_json(out, row, 0));
	cJSON_AddItemToObject(o, "b", result_json(out, row, 1));
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

static void verdict_json(const char *what, const struct verdict *v, void *ctx)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "change", what);
	cJSON_AddStringToObject(o, "kind", verdict_kind_name(v->kind));
	cJSON_AddStringToObject(o, "text", v->text);
	print_json_item(o, ctx);
}

static int run_json(struct store *st, int64_t a, int64_t b, const struct store_diff_opts *opts,
		    struct store_diff_summary *sum, struct err *err)
{
	struct diff_out out = {.json_first = true};
	struct verdict_change vc = {0};
	cJSON *item, *next;
	char *totals;
	int rc;

	if (verdicts_load(st, a, b, &vc, err) < 0) {
		verdicts_release(&vc);
		return -1;
	}
	printf("{\n  \"run_a\": %" PRId64 ",\n  \"run_b\": %" PRId64 ",\n  \"verdicts\": [", a, b);
	verdict_changes(&vc, verdict_json, &out.json_first);
	verdicts_release(&vc);
	printf("%s],\n  \"changes\": [", out.json_first ? "" : "\n  ");
	out.json_first = true;
	out.json_groups = cJSON_CreateArray();
	rc = gmaps_load(st, a, b, &out, err);
	if (rc == 0)
		rc = store_diff(st, a, b, opts, json_row_cb, json_group_cb, &out, sum, err);
	gmaps_release(&out);
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
	struct verdict_change vc = {0};
	struct diff_out out;
	int rc;

	out_init(&out);
	rc = verdicts_load(st, a, b, &vc, err);
	if (rc == 0)
		rc = gmaps_load(st, a, b, &out, err);
	if (rc == 0)
		rc = store_diff(st, a, b, opts, table_row_cb, table_group_cb, &out, sum, err);
	if (rc == 0) {
		pair_flush(&out);
		print_header(st, a, b);
		print_verdict_changes(&vc);
		print_tables(&out, sum);
		print_verdict(sum);
	}
	verdicts_release(&vc);
	out_release(&out);
	return rc;
}

static int diff_exec(struct cmd_ctx *ctx)
{
	struct store_diff_opts opts = {0};
	struct store_diff_summary sum;
	struct err err = ERR_INIT;
	struct store *st;
	int64_t a = 0, b = 0;
	int rc;

	if (args.rtt && parse_rtt(args.rtt, &opts.rtt_abs_us, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	if (args.rtt_pct && !args.rtt)
		return cmd_usage_error(ctx->entry, "--rtt-pct needs --rtt");
	opts.rtt_pct = (uint32_t)args.rtt_pct;
	/* The table lists the first --limit node-pair rows of each kind and tells the walk
	 * when it has them (table_row_cb); JSON streams every change. */
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	memset(&sum, 0, sizeof(sum));
	if (args.window || args.runs) {
		long ms = 0;
		struct store_window win = {.runs = (size_t)args.runs};

		if (args.window && cmd_parse_age(args.window, "--window", &ms, &err) < 0) {
			store_close(st);
			return cmd_usage_error(ctx->entry, "%s", err.msg);
		}
		win.ms = ms;
		store_set_window(st, &win);
	}
	rc = pick_runs(st, ctx->argc, ctx->argv, &a, &b, &err);
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
    {OPT_STRING, 0, "window", "D",
     "each side: the latest result of every pair over the comparable runs of the last D up to it",
     &args.window, 0, 0, NULL},
    {OPT_LONG, 0, "runs", "R", "each side: over its last R comparable runs", &args.runs, 1, 256,
     NULL},
    {OPT_END},
};

const struct cmd_entry cmd_diff_entry = {
    .name = "diff",
    .summary = "Compare two runs: regressions, recoveries, new, vanished and unselected pairs.",
    .synopsis = "diff [A] [B] [--limit N] [--rtt D [--rtt-pct P]] [--window D | --runs R] [--json]",
    .details = "No run ids: the newest finished run against the newest earlier run of the\n"
	       "same check (same clusters, protocols, families, networks). One id B: B\n"
	       "against the newest earlier comparable run. Exit status 1 when some pair\n"
	       "regressed (passed in A, fails in B); latency changes (--rtt) are listed but\n"
	       "do not change the exit status. A pair only in A whose node B left out on\n"
	       "purpose (--node-selector, --exclude-node, kosmos.io/exclude, a taint) is\n"
	       "\"not selected\", not vanished. --window/--runs (sampled checks): each side is\n"
	       "the latest result of every pair over the comparable runs of the window ending\n"
	       "at it; the header says how much of the pairs each side saw.\n",
    .opts = diff_opts,
    .args = {0, 2},
    .exec = diff_exec,
};
