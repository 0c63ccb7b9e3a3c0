/* report: a stored run as a table (the `netctl check` output), JSON, CSV, JUnit XML or one
 * self-contained HTML file. The one public header of src/report; formats are described in
 * docs/report-format.md.
 *
 * Every writer streams the run's results from the store to the FILE* (per-node and
 * per-group counters only; never all rows in memory), so a 1,000,000-result run costs
 * time, not memory. Writers only write; the caller opens, names and renames the file.
 */
#ifndef NETCTL_REPORT_H
#define NETCTL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

struct store;
struct store_coverage;

enum report_format {
	REPORT_TABLE = 0,
	REPORT_JSON,
	REPORT_CSV,
	REPORT_JUNIT,
	REPORT_HTML,
	REPORT_FORMAT_MAX
};

/* "table", "json", "csv", "junit", "html". */
const char *report_format_name(enum report_format f);
/* -1 when unknown. */
int report_format_parse(const char *name);

/* Version of the JSON document ("format_version"); bumped on incompatible changes. */
#define REPORT_JSON_VERSION 1

struct report_opts {
	enum report_format format;
	/* The merged view: the latest result per pair along the resume chain, so a resumed
	 * run reads as a whole run. Summaries (store_run_groups) are always merged. */
	bool merged;
	/* table: ANSI colours. The caller decides (stdout is a TTY and NO_COLOR is unset). */
	bool color;
	/* table: failure rows shown before "N more"; 0 = 20. */
	size_t max_failures;
	/* verdicts: bad links listed before "N more"; 0 = 50. */
	size_t max_bad_links;
	/* json: leave out results[] (a summary document, e.g. for `netctl check --json`);
	 * totals then come from the summary groups. */
	bool json_no_results;
	/* html: the run to diff against; 0 = the parent, else the previous comparable run;
	 * -1 = no diff section. */
	int64_t diff_base;
	/* A window over runs (store_set_window, set by the caller): how much of the pairs the
	 * view holds, said next to the verdicts ("verdicts from 37% of pairs"); NULL: none. */
	const struct store_coverage *coverage;
};

/* Writes the report of run_id to out. Returns 0, or -1 with err (ERR_NOTFOUND for an
 * unknown run, ERR_STORE, ERR_IO when out could not be written). */
int report_write(struct store *st, int64_t run_id, const struct report_opts *opts, FILE *out,
		 struct err *err);

/* "verdicts from 37% of pairs (148 of 400 node-pair results, the latest of 2 runs in the
 * window)" */
void report_coverage_text(const struct store_coverage *c, char *dst, size_t dstsz);

#endif
