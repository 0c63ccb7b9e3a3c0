/* bench_report: time and size of reports of a large run (not a test).
 *
 *   bench_report [--src N] [--dst M] [--protocols K] [--db PATH] [--keep] [--formats LIST]
 *
 * Builds two comparable runs of N source nodes x M destination nodes (one direction,
 * K protocols, IPv4, pod network) in a temp store through store.h, with a few faults
 * (a bad node, a bad link, scattered loss) in the second run, then writes every report
 * format of the second run and prints time and size of each, and the verdict time.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "report.h"
#include "store.h"
#include "verdict.h"

#define BATCH 20000

/* The machine is shared: CPU time says what the code costs, wall time what a user waits. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct bench {
	long src, dst, protos;
	struct store *st;
	int64_t *src_ids, *dst_ids;
	int64_t cl_src, cl_dst;
};

static int64_t cluster(struct bench *b, const char *name)
{
	struct err err = ERR_INIT;
	int64_t id = 0;

	if (store_cluster_add(b->st, name, "/dev/null", NULL, &id, &err) < 0) {
		fprintf(stderr, "cluster add: %s\n", err.msg);
		exit(1);
	}
	return id;
}

static void nodes(struct bench *b, int64_t run)
{
	size_t n = (size_t)(b->src + b->dst);
	struct store_node *v = xcalloc(n, sizeof(*v));
	char **names = xcalloc(n, sizeof(*names));
	struct err err = ERR_INIT;

	for (size_t i = 0; i < n; i++) {
		bool s = i < (size_t)b->src;

		names[i] =
		    xasprintf("%s-node-%04zu", s ? "east" : "west", s ? i : i - (size_t)b->src);
		v[i].cluster_id = s ? b->cl_src : b->cl_dst;
		v[i].name = names[i];
		v[i].pod_ipv4 = "198.18.0.1";
		v[i].floater = STORE_FLOATER_READY;
	}
	if (store_run_nodes_add(b->st, run, v, n, &err) < 0) {
		fprintf(stderr, "nodes: %s\n", err.msg);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		if (i < (size_t)b->src)
			b->src_ids[i] = v[i].id;
		else
			b->dst_ids[i - (size_t)b->src] = v[i].id;
		free(names[i]);
	}
	free(names);
	free(v);
}

static int fault(long s, long d, bool faulty)
{
	if (!faulty)
		return PROBE_OK;
	if (s == 7)
		return PROBE_TIMEOUT; /* a bad node */
	if (s == 3 && d == 11)
		return PROBE_REFUSED; /* a bad link */
	if ((s * 31 + d * 17) % 997 == 0)
		return PROBE_LOSS;
	return PROBE_OK;
}

static int64_t make_run(struct bench *b, bool faulty)
{
	struct store_run_cluster rc[2] = {{b->cl_src, STORE_ROLE_SRC}, {b->cl_dst, STORE_ROLE_DST}};
	struct store_run_spec spec = {
	    .options_json = "{\"count\":3}",
	    .protocols = (1u << b->protos) - 1,
	    .families = STORE_FAMILY_V4,
	    .networks = 1u << STORE_NET_POD,
	    .clusters = rc,
	    .n_clusters = 2,
	    .planned = b->src * b->dst * b->protos,
	};
	struct store_result *rows = xcalloc(BATCH, sizeof(*rows));
	struct err err = ERR_INIT;
	size_t n = 0;
	int64_t run = store_run_begin(b->st, &spec, &err);

	if (run < 0)
		goto fail;
	nodes(b, run);
	for (long s = 0; s < b->src; s++)
		for (long d = 0; d < b->dst; d++)
			for (long p = 0; p < b->protos; p++) {
				struct store_result *r = &rows[n++];
				int e = fault(s, d, faulty);

				memset(r, 0, sizeof(*r));
				r->src_node = b->src_ids[s];
				r->dst_node = b->dst_ids[d];
				r->protocol = (uint8_t)p;
				r->family = 4;
				r->network = STORE_NET_POD;
				r->error = (uint8_t)e;
				r->sent = 3;
				r->received = e == PROBE_OK ? 3 : e == PROBE_LOSS ? 2 : 0;
				if (r->received) {
					r->rtt_avg_us = (uint32_t)(150 + (s * 7 + d * 13) % 400);
					r->rtt_min_us = r->rtt_avg_us - 20;
					r->rtt_max_us = r->rtt_avg_us + 60;
					r->rtt_p99_us = r->rtt_avg_us + 50;
				}
				if (n == BATCH) {
					if (store_results_add(b->st, run, rows, n, &err) < 0)
						goto fail;
					n = 0;
				}
			}
	if (n && store_results_add(b->st, run, rows, n, &err) < 0)
		goto fail;
	if (store_run_finish(b->st, run, STORE_RUN_DONE, &err) < 0)
		goto fail;
	free(rows);
	return run;
fail:
	fprintf(stderr, "make_run: %s\n", err.msg);
	exit(1);
}

static void time_report(struct bench *b, int64_t run, enum report_format fmt, const char *dir)
{
	struct report_opts o = {.format = fmt};
	struct err err = ERR_INIT;
	char *path = xasprintf("%s/report.%s", dir, report_format_name(fmt));
	FILE *f = fopen(path, "w");
	int64_t t0 = time_mono_us();
	double c0 = cpu_s();
	struct stat sb;

	if (!f || report_write(b->st, run, &o, f, &err) < 0) {
		fprintf(stderr, "%s: %s\n", report_format_name(fmt), err.msg);
		exit(1);
	}
	fclose(f);
	stat(path, &sb);
	printf("%-7s %7.2f s wall %7.2f s cpu  %9.2f MB  %s\n", report_format_name(fmt),
	       (time_mono_us() - t0) / 1e6, cpu_s() - c0, sb.st_size / 1e6, path);
	free(path);
}

static int noop_cb(const struct store_result_row *row, void *ctx)
{
	(*(int64_t *)ctx)++;
	(void)row;
	return 0;
}

/* The floor under every writer: one walk of the results. */
static void time_walk(struct bench *b, int64_t run, bool merged, bool failed_only)
{
	struct store_results_query q = {.merged = merged, .failed_only = failed_only};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us(), n = 0;
	double c0 = cpu_s();

	if (store_results_foreach(b->st, run, &q, noop_cb, &n, &err) < 0) {
		fprintf(stderr, "walk: %s\n", err.msg);
		exit(1);
	}
	printf("walk%s%s %5.2f s wall %7.2f s cpu  %lld rows\n", merged ? " merged" : "",
	       failed_only ? " failed" : "", (time_mono_us() - t0) / 1e6, cpu_s() - c0,
	       (long long)n);
}

static void time_verdicts(struct bench *b, int64_t run)
{
	struct verdict_opts vo = {.merged = true};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();
	double c0 = cpu_s();
	struct verdict_list *vl = verdict_compute(b->st, run, &vo, &err);

	if (!vl) {
		fprintf(stderr, "verdicts: %s\n", err.msg);
		exit(1);
	}
	printf("verdict %7.2f s wall %7.2f s cpu  %zu verdicts\n", (time_mono_us() - t0) / 1e6,
	       cpu_s() - c0, verdict_count(vl));
	for (size_t i = 0; i < verdict_count(vl); i++)
		printf("        %s\n", verdict_get(vl, i)->text);
	verdict_list_free(vl);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"src", required_argument, NULL, 's'},
	    {"dst", required_argument, NULL, 'd'},
	    {"protocols", required_argument, NULL, 'p'},
	    {"db", required_argument, NULL, 'b'},
	    {"keep", no_argument, NULL, 'k'},
	    {"formats", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct bench b = {.src = 1000, .dst = 1000, .protos = 1};
	char dir[] = "/tmp/netctl-bench-report-XXXXXX";
	const char *db = NULL;
	bool keep = false;
	const char *formats = NULL;
	struct err err = ERR_INIT;
	char *path;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		struct err e = ERR_INIT;
		long v = 0;

		if (c == 'k') {
			keep = true;
			continue;
		}
		if (c == 'b') {
			db = optarg;
			continue;
		}
		if (c == 'f') {
			formats = optarg;
			continue;
		}
		if (c == '?' || str_to_long(optarg, 1, c == 'p' ? 3 : 5000, &v, "value", &e) < 0) {
			fprintf(stderr, "usage: bench_report [--src N] [--dst M] [--protocols 1-3] "
					"[--db PATH] [--keep] [--formats html,json,...]\n");
			return 2;
		}
		if (c == 's')
			b.src = v;
		else if (c == 'd')
			b.dst = v;
		else
			b.protos = v;
	}
	if (!mkdtemp(dir))
		return 1;
	path = db ? xstrdup(db) : xasprintf("%s/netctl.db", dir);
	b.st = store_open(path, &err);
	if (!b.st) {
		fprintf(stderr, "store: %s\n", err.msg);
		return 1;
	}
	b.src_ids = xcalloc((size_t)b.src, sizeof(int64_t));
	b.dst_ids = xcalloc((size_t)b.dst, sizeof(int64_t));
	b.cl_src = cluster(&b, "east");
	b.cl_dst = cluster(&b, "west");

	int64_t t0 = time_mono_us();
	make_run(&b, false);
	int64_t run = make_run(&b, true);

	printf("%ld x %ld nodes, %ld protocol(s): %ld results per run, 2 runs stored in %.1f s\n",
	       b.src, b.dst, b.protos, b.src * b.dst * b.protos, (time_mono_us() - t0) / 1e6);
	time_walk(&b, run, false, false);
	time_walk(&b, run, true, false);
	time_walk(&b, run, false, true);
	time_verdicts(&b, run);
	for (int f = 0; f < REPORT_FORMAT_MAX; f++)
		if (!formats || strstr(formats, report_format_name(f)))
			time_report(&b, run, f, dir);
	store_close(b.st);
	if (keep) {
		printf("kept %s (run %lld)\n", dir, (long long)run);
	} else {
		char *cmd = xasprintf("rm -rf -- '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	}
	free(path);
	free(b.src_ids);
	free(b.dst_ids);
	return 0;
}
