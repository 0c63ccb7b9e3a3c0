/* Reports of hand-made runs in a real temp SQLite store: what a reader of each format
 * sees (table text, JSON schema fields, CSV rows and quoting, JUnit counts as python's
 * XML parser reads them, a self-contained HTML file with its heatmap data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <sys/wait.h>

#include "report.h"
#include "../fixtures/report/mkrun.h"

static struct mk mk;

static int setup(void **state)
{
	(void)state;
	return mk_open(&mk) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *keep = getenv("NETCTL_TEST_DB_OUT");

	(void)state;
	/* check_cli.sh runs `netctl report` on the runs these tests made */
	if (keep) {
		store_close(mk.st);
		mk.st = NULL;
		if (rename(mk.path, keep) < 0)
			return -1;
	}
	mk_close(&mk);
	return 0;
}

/* The report as a heap string. */
static char *render(int64_t run, enum report_format fmt, bool merged, bool color)
{
	struct report_opts o = {.format = fmt, .merged = merged, .color = color};
	struct err err = ERR_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_true(run > 0);
	if (report_write(mk.st, run, &o, f, &err) < 0)
		fail_msg("report_write(%s): %s", report_format_name(fmt), err.msg);
	fclose(f);
	return text;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static const struct mk_spec two_clusters = {
    .clusters = {"east", "west"},
    .nodes = {3, 3},
    .cross = true,
};

static int fault_node(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if ((!strcmp(r->src_cluster, "east") && r->src_node == 2) ||
	    (!strcmp(r->dst_cluster, "east") && r->dst_node == 2))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

/* ---- table ------------------------------------------------------------------------------ */

static void test_table_healthy(void **state)
{
	struct mk_spec sp = two_clusters;
	int64_t run = mk_run(&mk, &sp);
	char *t = render(run, REPORT_TABLE, false, false);

	(void)state;
	assert_non_null(strstr(t, "SUMMARY (54 results: 54 passed, 0 failed)"));
	/* one summary line per cluster pair x protocol x family: 2 directions x 3 */
	assert_int_equal(count(t, "east  west  "), 3);
	assert_int_equal(count(t, "west  east  "), 3);
	assert_null(strstr(t, "FAILURES"));
	assert_non_null(strstr(t, "* healthy: all 54 results passed"));
	assert_null(strchr(t, '\033'));
	free(t);
	t = render(run, REPORT_TABLE, false, true);
	assert_non_null(strstr(t, "\033[32m"));
	free(t);
}

static void test_table_failures_capped(void **state)
{
	struct mk_spec sp = two_clusters;
	int64_t run;
	char *t, more[96];

	(void)state;
	sp.fault = fault_node;
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_TABLE, false, false);
	/* east/n2 with 3 peers both ways, 3 protocols each = 18 failing results */
	assert_non_null(strstr(t, "FAILURES (18 results)"));
	assert_non_null(strstr(t, "by error: timeout 18"));
	/* a node pair's three protocols share a row: 6 rows, all under the cap */
	assert_int_equal(count(t, "icmp,tcp,udp  IPv4"), 6);
	assert_null(strstr(t, "more failing results"));
	assert_non_null(strstr(t, "* bad node east/n2"));
	free(t);

	struct report_opts o = {.format = REPORT_TABLE, .max_failures = 2};
	struct err err = ERR_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(report_write(mk.st, run, &o, f, &err), 0);
	fclose(f);
	snprintf(more, sizeof(more),
		 "12 more failing results \xe2\x80\x94 see netctl report --run %lld",
		 (long long)run);
	assert_non_null(strstr(text, more));
	free(text);
}

/* --network pod,host,pod-host,host-pod: one summary line per network, with the network
 * named, so a line's PAIRS are node pairs (3 x 3 per direction), not 4 networks' worth. */
static void test_table_networks(void **state)
{
	struct mk_spec sp = two_clusters;
	int64_t run;
	char *t;

	(void)state;
	sp.protocols = 1u << PROTO_TCP;
	sp.networks = (1u << STORE_NET_MAX) - 1;
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_TABLE, false, false);
	assert_non_null(strstr(t, "SUMMARY (72 results: 72 passed, 0 failed)"));
	assert_non_null(strstr(t, "SRC   DST   PROTO  FAMILY  NETWORK   PAIRS  PASSED"));
	assert_non_null(strstr(t, "east  west  tcp    IPv4    host-pod      9       9"));
	assert_int_equal(count(t, "east  west  tcp    IPv4"), 4);
	free(t);
	t = render(run, REPORT_HTML, false, false);
	assert_non_null(strstr(t, "<th>family</th><th>network</th><th>pairs</th>"));
	assert_non_null(strstr(t, "<td>IPv4</td><td>pod-host</td>"));
	free(t);

	/* one network: no column, as before */
	sp.networks = 1u << STORE_NET_HOST;
	t = render(mk_run(&mk, &sp), REPORT_TABLE, false, false);
	assert_non_null(strstr(t, "SRC   DST   PROTO  FAMILY  PAIRS  PASSED"));
	assert_null(strstr(t, "NETWORK"));
	free(t);
}

/* ---- json ------------------------------------------------------------------------------- */

/* The fields docs/report-format.md promises, with their JSON types:
 * n number, s string, S string|null, N number|null, b bool, a array, o object, O any. */
struct field {
	const char *name;
	char type;
};

static const struct field top_fields[] = {
    {"format_version", 'n'}, {"generator", 's'}, {"run", 'o'},	  {"summary", 'a'},
    {"verdicts", 'a'},	     {"results", 'a'},	 {"totals", 'o'}, {NULL, 0},
};
static const struct field run_fields[] = {
    {"id", 'n'},	   {"parent_id", 'N'},	  {"status", 's'},
    {"started", 'S'},	   {"finished", 'S'},	  {"duration_ms", 'n'},
    {"src_clusters", 'a'}, {"dst_clusters", 'a'}, {"protocols", 'a'},
    {"families", 'a'},	   {"networks", 'a'},	  {"planned", 'n'},
    {"merged", 'b'},	   {"options", 'O'},	  {NULL, 0},
};
static const struct field summary_fields[] = {
    {"src_cluster", 's'}, {"dst_cluster", 's'},
    {"protocol", 's'},	  {"family", 'n'},
    {"network", 's'},	  {"results", 'n'},
    {"passed", 'n'},	  {"failed", 'n'},
    {"sent", 'n'},	  {"received", 'n'},
    {"loss_pct", 'n'},	  {"rtt_p50_us", 'n'},
    {"rtt_p99_us", 'n'},  {NULL, 0},
};
static const struct field verdict_fields[] = {
    {"kind", 's'},     {"text", 's'},  {"src_cluster", 'S'},	 {"dst_cluster", 'S'},
    {"node", 'S'},     {"peer", 'S'},  {"protocol", 'S'},	 {"family", 'N'},
    {"failed", 'n'},   {"total", 'n'}, {"both_directions", 'b'}, {"sent", 'n'},
    {"received", 'n'}, {NULL, 0},
};
static const struct field result_fields[] = {
    {"src_cluster", 's'}, {"src_node", 's'},   {"dst_cluster", 's'}, {"dst_node", 's'},
    {"protocol", 's'},	  {"family", 'n'},     {"network", 's'},     {"passed", 'b'},
    {"error", 's'},	  {"sent", 'n'},       {"received", 'n'},    {"loss_pct", 'n'},
    {"rtt_min_us", 'n'},  {"rtt_avg_us", 'n'}, {"rtt_max_us", 'n'},  {"rtt_p99_us", 'n'},
    {"run_id", 'n'},	  {NULL, 0},
};
static const struct field totals_fields[] = {
    {"results", 'n'},
    {"passed", 'n'},
    {"failed", 'n'},
    {NULL, 0},
};

static bool type_ok(const cJSON *v, char t)
{
	switch (t) {
	case 'n':
		return cJSON_IsNumber(v);
	case 's':
		return cJSON_IsString(v);
	case 'S':
		return cJSON_IsString(v) || cJSON_IsNull(v);
	case 'N':
		return cJSON_IsNumber(v) || cJSON_IsNull(v);
	case 'b':
		return cJSON_IsBool(v);
	case 'a':
		return cJSON_IsArray(v);
	case 'o':
		return cJSON_IsObject(v);
	default:
		return v != NULL;
	}
}

static void expect_fields(const cJSON *obj, const struct field *fields, const char *what)
{
	assert_true(cJSON_IsObject(obj));
	for (const struct field *f = fields; f->name; f++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->name);

		if (!type_ok(v, f->type))
			fail_msg("%s.%s missing or not of type '%c'", what, f->name, f->type);
	}
}

static cJSON *render_json(int64_t run, bool merged)
{
	struct err err = ERR_INIT;
	char *text = render(run, REPORT_JSON, merged, false);
	cJSON *doc = json_parse(text, strlen(text), 64u << 20, &err);

	if (!doc)
		fail_msg("report is not JSON: %s", err.msg);
	free(text);
	return doc;
}

static void test_json_schema(void **state)
{
	struct mk_spec sp = two_clusters;
	const cJSON *item;
	int64_t run;
	cJSON *doc;
	long fails = 0;

	(void)state;
	sp.fault = fault_node;
	sp.families = STORE_FAMILY_V4 | STORE_FAMILY_V6;
	run = mk_run(&mk, &sp);
	doc = render_json(run, false);
	expect_fields(doc, top_fields, "report");
	assert_int_equal(cJSON_GetObjectItem(doc, "format_version")->valueint, REPORT_JSON_VERSION);
	expect_fields(cJSON_GetObjectItem(doc, "run"), run_fields, "run");
	assert_int_equal(
	    (int64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "run"), "id")->valuedouble, run);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "summary"))
	    expect_fields(item, summary_fields, "summary[]");
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "verdicts"))
	    expect_fields(item, verdict_fields, "verdicts[]");
	/* every pair: 18 ordered pairs x 3 protocols x 2 families */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "results")), 108);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "results"))
	{
		expect_fields(item, result_fields, "results[]");
		fails += !cJSON_IsTrue(cJSON_GetObjectItem(item, "passed"));
	}
	assert_int_equal(fails, 36);
	expect_fields(cJSON_GetObjectItem(doc, "totals"), totals_fields, "totals");
	assert_int_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "totals"), "failed")->valueint, 36);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "verdicts"), 0), "kind")
		->valuestring,
	    "bad-node");
	cJSON_Delete(doc);
}

/* The summary document `netctl check --json` prints: no results[], same totals. */
/* What the run read from Kosmos: the network type per pair of imported clusters (a
 * cluster not imported has none) and the ClusterNode findings, in the table and in JSON. */
static void test_kosmos_network_types(void **state)
{
	struct mk_spec sp = {
	    .clusters = {"east", "west", "north"},
	    .nodes = {2, 4, 2},
	    .cross = true,
	    .network_types = {"p2p", "gateway", NULL},
	    .gateways = {"west/n4"},
	    .findings = {"west/n2=ip 198.18.4.99 (the Node's InternalIP: 198.18.4.11)"},
	};
	const cJSON *run, *nt, *kf;
	int64_t id = mk_run(&mk, &sp);
	char *text = render(id, REPORT_TABLE, false, false);
	cJSON *doc;

	(void)state;
	assert_non_null(strstr(text, "network type east <-> west: mixed (west through gateway "
				     "west/n4)\n"));
	assert_null(strstr(text, "north <->"));
	assert_non_null(strstr(text, "ClusterNode finding west/n2: ip 198.18.4.99 (the Node's "
				     "InternalIP: 198.18.4.11)\n"));
	free(text);
	doc = render_json(id, false);
	run = cJSON_GetObjectItem(doc, "run");
	nt = cJSON_GetObjectItem(run, "network_types");
	assert_int_equal(cJSON_GetArraySize(nt), 1);
	nt = cJSON_GetArrayItem(nt, 0);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(nt, "clusters"), 1)->valuestring,
			    "west");
	assert_string_equal(cJSON_GetObjectItem(nt, "network_type")->valuestring, "mixed");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(nt, "gateways"), 0)->valuestring,
			    "west/n4");
	kf = cJSON_GetObjectItem(run, "kosmos_findings");
	assert_int_equal(cJSON_GetArraySize(kf), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(kf, 0), "node")->valuestring,
			    "n2");
	cJSON_Delete(doc);
	/* both sides in gateway mode */
	sp.network_types[0] = "gateway";
	sp.gateways[1] = "east/n1";
	text = render(mk_run(&mk, &sp), REPORT_TABLE, false, false);
	assert_non_null(strstr(text, "network type east <-> west: gateway (east through gateway "
				     "east/n1, west through gateway west/n4)\n"));
	free(text);
}

static void test_json_no_results(void **state)
{
	struct mk_spec sp = two_clusters;
	struct report_opts o = {.format = REPORT_JSON, .json_no_results = true};
	struct err err = ERR_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cJSON *doc, *totals;

	(void)state;
	sp.fault = fault_node;
	assert_int_equal(report_write(mk.st, mk_run(&mk, &sp), &o, f, &err), 0);
	fclose(f);
	doc = json_parse(text, len, 1u << 20, &err);
	assert_non_null(doc);
	assert_null(cJSON_GetObjectItem(doc, "results"));
	totals = cJSON_GetObjectItem(doc, "totals");
	expect_fields(totals, totals_fields, "totals");
	assert_int_equal(cJSON_GetObjectItem(totals, "results")->valueint, 54);
	assert_int_equal(cJSON_GetObjectItem(totals, "failed")->valueint, 18);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "verdicts")), 1);
	cJSON_Delete(doc);
	free(text);
}

/* A run that resumes a failed one: the merged view reads as a whole run, the plain view
 * holds only what the resume probed. */
static int fault_only_node(const struct mk_row *r, void *ctx)
{
	return fault_node(r, ctx) == PROBE_OK ? -1 : PROBE_OK;
}

static void test_json_merged_resume(void **state)
{
	struct mk_spec sp = two_clusters;
	int64_t parent, child;
	cJSON *doc, *totals;

	(void)state;
	sp.fault = fault_node;
	parent = mk_run(&mk, &sp);
	sp.parent = parent;
	sp.fault = fault_only_node;
	child = mk_run(&mk, &sp);

	doc = render_json(child, true);
	totals = cJSON_GetObjectItem(doc, "totals");
	assert_int_equal(cJSON_GetObjectItem(totals, "results")->valueint, 54);
	assert_int_equal(cJSON_GetObjectItem(totals, "failed")->valueint, 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "run"), "merged")));
	assert_int_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "run"), "parent_id")->valueint, parent);
	cJSON_Delete(doc);

	doc = render_json(child, false);
	totals = cJSON_GetObjectItem(doc, "totals");
	assert_int_equal(cJSON_GetObjectItem(totals, "results")->valueint, 18);
	cJSON_Delete(doc);
}

/* ---- csv -------------------------------------------------------------------------------- */

static void test_csv_rows_and_quoting(void **state)
{
	struct mk_spec sp = {.clusters = {"east", "we,st \"b\""}, .nodes = {2, 2}, .cross = true};
	int64_t run = mk_run(&mk, &sp);
	char *t = render(run, REPORT_CSV, false, false);

	(void)state;
	/* header + 8 ordered pairs x 3 protocols, each line ending in CRLF */
	assert_int_equal(count(t, "\r\n"), 1 + 24);
	assert_int_equal(count(t, "\n"), 1 + 24);
	assert_true(str_has_prefix(t, "run_id,src_cluster,src_node,dst_cluster,dst_node,"));
	/* RFC 4180: the comma and quotes of the name are quoted and doubled */
	assert_int_equal(count(t, ",\"we,st \"\"b\"\"\","), 24);
	free(t);
}

/* ---- junit ------------------------------------------------------------------------------- */

static int run_python(const char *script, const char *file, long tests, long failures)
{
	char *cmd = xasprintf("python3 '%s/report/%s' '%s' %ld %ld", FIXTURES_DIR, script, file,
			      tests, failures);
	int st = system(cmd);

	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_junit_parses_with_counts(void **state)
{
	struct mk_spec sp = {.clusters = {"east", "we<st>&"}, .nodes = {3, 3}, .cross = true};
	char path[256];
	int64_t run;
	char *t;
	FILE *f;

	(void)state;
	sp.fault = fault_node;
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_JUNIT, false, false);
	assert_non_null(strstr(t, "we&lt;st&gt;&amp;"));
	assert_null(strstr(t, "we<st>"));
	snprintf(path, sizeof(path), "%s/junit.xml", mk.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(t, f);
	fclose(f);
	free(t);
	assert_int_equal(run_python("check_junit.py", path, 54, 18), 0);
	/* and the checker itself fails on wrong expectations */
	assert_int_not_equal(run_python("check_junit.py", path, 54, 17), 0);
	unlink(path);
}

/* ---- html -------------------------------------------------------------------------------- */

static cJSON *html_data(const char *html)
{
	static const char open[] = "<script type=\"application/json\" id=\"netctl-data\">";
	const char *a = strstr(html, open), *b;
	struct err err = ERR_INIT;
	cJSON *d;

	assert_non_null(a);
	a += strlen(open);
	b = strstr(a, "</script>");
	assert_non_null(b);
	d = json_parse(a, (size_t)(b - a), 64u << 20, &err);
	if (!d)
		fail_msg("embedded data is not JSON: %s", err.msg);
	return d;
}

static void test_html_self_contained(void **state)
{
	struct mk_spec sp = {.clusters = {"east", "west</script>"}, .nodes = {3, 4}, .cross = true};
	const cJSON *m;
	int64_t run;
	cJSON *d;
	char *t;
	int maps = 0, failing = 0;

	(void)state;
	sp.fault = fault_node;
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_HTML, false, false);
	/* check_html_chromium.py opens this report in a browser */
	if (getenv("NETCTL_TEST_HTML_OUT")) {
		FILE *f = fopen(getenv("NETCTL_TEST_HTML_OUT"), "w");

		assert_non_null(f);
		fputs(t, f);
		fclose(f);
	}
	/* no network, no external assets */
	assert_null(strstr(t, "http://"));
	assert_null(strstr(t, "https://"));
	assert_null(strstr(t, "src="));
	assert_null(strstr(t, "<link"));
	assert_null(strstr(t, "@import"));
	/* a cluster name cannot close the data script early */
	assert_int_equal(count(t, "</script>"), 2);
	assert_non_null(strstr(t, "data-kind=\"bad-node\""));
	assert_non_null(strstr(t, "id=\"summary-table\""));
	/* 4 + 3 + 3 failing pairs x 3 protocols... as one table row per failing result */
	assert_int_equal(count(t, "<tr class=\"fail\">"), 2 * 4 * 3);
	d = html_data(t);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(d, "maps"))
	{
		int rows = cJSON_GetObjectItem(m, "rows")->valueint;
		int cols = cJSON_GetObjectItem(m, "cols")->valueint;

		assert_int_equal(strlen(cJSON_GetObjectItem(m, "cells")->valuestring),
				 (size_t)(rows * cols));
		failing += cJSON_GetObjectItem(m, "failing")->valueint;
		maps++;
	}
	/* east->west and west->east, 3 protocols each; east/n2's 4 cells per direction */
	assert_int_equal(maps, 6);
	assert_int_equal(failing, 2 * 4 * 3);
	assert_int_equal(cJSON_GetObjectItem(d, "failures_total")->valueint, 24);
	cJSON_Delete(d);
	free(t);
}

static void test_html_diff_against_previous(void **state)
{
	struct mk_spec sp = {.clusters = {"north", "south"}, .nodes = {2, 2}, .cross = true};
	int64_t run;
	char *t;

	(void)state;
	mk_run(&mk, &sp);
	sp.fault = fault_node; /* names east: nothing fails here */
	sp.clusters[0] = "north";
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_HTML, false, false);
	assert_non_null(strstr(t, "(previous comparable)"));
	assert_non_null(strstr(t, "0 regressions"));
	free(t);
}

static int fault_none(const struct mk_row *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return -1;
}

/* A run with no results (every floater missing, or stopped at once) still reports. */
static void test_empty_run(void **state)
{
	struct mk_spec sp = {.clusters = {"east"}, .nodes = {2}, .in_cluster = true};
	int64_t run;
	char *t;
	cJSON *doc;

	(void)state;
	sp.fault = fault_none;
	run = mk_run(&mk, &sp);
	t = render(run, REPORT_TABLE, false, false);
	assert_non_null(strstr(t, "* the run has no results"));
	free(t);
	doc = render_json(run, false);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "results")), 0);
	cJSON_Delete(doc);
	t = render(run, REPORT_CSV, false, false);
	assert_int_equal(count(t, "\r\n"), 1);
	free(t);
	t = render(run, REPORT_JUNIT, false, false);
	assert_non_null(strstr(t, "tests=\"0\" failures=\"0\""));
	free(t);
	t = render(run, REPORT_HTML, false, false);
	assert_non_null(strstr(t, "\"maps\":[]"));
	free(t);
}

static void test_unknown_run(void **state)
{
	struct report_opts o = {.format = REPORT_JSON};
	struct err err = ERR_INIT;
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(report_write(mk.st, 999999, &o, f, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	fclose(f);
	assert_int_equal(report_format_parse("junit"), REPORT_JUNIT);
	assert_int_equal(report_format_parse("xml"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_healthy),
	    cmocka_unit_test(test_table_failures_capped),
	    cmocka_unit_test(test_table_networks),
	    cmocka_unit_test(test_json_schema),
	    cmocka_unit_test(test_json_no_results),
	    cmocka_unit_test(test_kosmos_network_types),
	    cmocka_unit_test(test_json_merged_resume),
	    cmocka_unit_test(test_csv_rows_and_quoting),
	    cmocka_unit_test(test_junit_parses_with_counts),
	    cmocka_unit_test(test_html_self_contained),
	    cmocka_unit_test(test_html_diff_against_previous),
	    cmocka_unit_test(test_empty_run),
	    cmocka_unit_test(test_unknown_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
