/* Internal to src/report: what the writers share. */
#ifndef NETCTL_REPORT_INT_H
#define NETCTL_REPORT_INT_H

#include <stdio.h>

#include "report.h"
#include "store.h"
#include "verdict.h"

/* One report being written. */
struct rctx {
	struct store *st;
	int64_t run_id;
	struct report_opts o;
	FILE *out;
	struct store_run_info *run;
	struct verdict_list *vl; /* computed on demand by rctx_verdicts() */
	struct err *err;
};

/* The verdicts of the run (computed once). NULL on a store error (err filled). */
struct verdict_list *rctx_verdicts(struct rctx *r);
/* The nodes the run left out on purpose: how many, and the first few as
 * "cluster/node (reason: detail), ..." (heap, "" when none). */
int rctx_left_out(struct rctx *r, size_t *n, char **text);
/* The pod addresses other clusters probed at a global address (docs/kosmos.md): how many,
 * and the first few as "cluster/node REAL = GLOBAL, ..." (heap, "" when none). */
int rctx_global_addresses(struct rctx *r, size_t *n, char **text);
/* What the run read from Kosmos (kosmos.c): network type per pair of imported clusters and
 * the ClusterNode findings, as lines of the table report, or as the JSON members
 * ,"network_types":[...],"kosmos_findings":[...] of the run object. */
int report_kosmos_text(struct rctx *r);
int report_kosmos_json(struct rctx *r);
/* Streams the run's results (the view chosen in opts). */
int rctx_results(struct rctx *r, bool failed_only,
		 int (*cb)(const struct store_result_row *row, void *ctx), void *ctx);

/* ---- formatting helpers (format.c) ---- */

/* "812us", "1.52ms", "12.3ms", "2.05s"; "-" for 0. */
void fmt_rtt(uint32_t us, char *dst, size_t dstsz);
/* How long the run took ("4m05s"), "-" while it runs. */
void fmt_took(const struct store_run_info *ri, char *dst, size_t dstsz);
/* Lost probes in percent (0 when nothing was sent). */
double loss_pct(int64_t sent, int64_t received);
/* "IPv4" / "IPv6". */
const char *family_name(int family);
/* JSON string literal with quotes. html: also escape '<', '>' and '&' so the text can sit
 * inside a <script> element. */
void json_put_str(FILE *f, const char *s, bool html);
/* XML text or attribute content; characters XML 1.0 forbids become U+FFFD. */
void xml_put(FILE *f, const char *s);
/* One CSV field (RFC 4180: quoted when it holds a comma, quote, CR or LF). */
void csv_put(FILE *f, const char *s);

/* ---- writers ---- */
int report_table(struct rctx *r);
int report_json(struct rctx *r);
int report_csv(struct rctx *r);
int report_junit(struct rctx *r);
int report_html(struct rctx *r);

/* Table pieces the HTML report reuses. */
struct summary_row {
	char *src, *dst;
	int protocol, family, network;
	int64_t results, passed, failed, sent, received;
	uint32_t p50, p99;
};
/* Summary groups (store_run_groups) into a heap array. */
/* More than one network checked: summaries show the network of each line. */
bool summary_by_network(const struct rctx *r);
int summary_load(struct rctx *r, struct summary_row **rows, size_t *n);
void summary_free(struct summary_row *rows, size_t n);

#endif
