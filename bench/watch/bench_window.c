/* bench_window: what the window gauges of `netctl watch --sample K` cost per check
 * (docs/watch.md, "Sampling"). Writes sampled checks of a mesh of C clusters of N nodes into
 * a real SQLite store, each round's blocks cut by plan_sample_block as a check cuts them,
 * and hands every check to watch_metrics_add_check, as watch does after each check: it
 * prints the time of the whole metrics step and of the window (netctl_window_duration_seconds
 * of the rendered /metrics), and the coverage the window shows.
 *   bench_window [-n NODES] [-c CLUSTERS] [-k K] [-p PROTOCOLS] [-x CHECKS] [DIR]
 * Not a test: it asserts nothing, it measures. DIR (default: a temporary directory under
 * /var/tmp, removed at the end) holds bench.db. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "plan.h"
#include "store.h"
#include "watch.h"

#define MAX_CLUSTERS 8

struct bench {
	struct store *st;
	long nodes, clusters, k, protocols, checks;
	int64_t cluster_ids[MAX_CLUSTERS];
	int64_t *ids; /* clusters x nodes */
	char *options;
};

static void die(const char *what, const struct err *err)
{
	fprintf(stderr, "bench_window: %s: %s\n", what, err->msg);
	exit(1);
}

static int64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* What a --mesh --sample K check records: its clusters, every cluster pair, K, the round. */
static char *options(const struct bench *b, uint64_t round)
{
	struct buf o;

	buf_init(&o, 0);
	(void)!buf_puts(&o, "{\"clusters\":[");
	for (long c = 0; c < b->clusters; c++)
		(void)!buf_printf(&o, "%s{\"name\":\"c%ld\"}", c ? "," : "", c);
	(void)!buf_puts(&o, "],\"cluster_pairs\":[");
	for (long i = 0; i < b->clusters * b->clusters; i++)
		(void)!buf_printf(&o, "%strue", i ? "," : "");
	(void)!buf_printf(&o, "],\"sample\":%ld,\"sample_round\":%llu}", b->k,
			  (unsigned long long)round);
	return buf_steal(&o);
}

static int64_t check(struct bench *b, uint64_t round, int64_t *results)
{
	struct store_run_cluster cl[MAX_CLUSTERS];
	struct store_node *nodes = xcalloc((size_t)(b->clusters * b->nodes), sizeof(*nodes));
	char **names = xcalloc((size_t)(b->clusters * b->nodes), sizeof(*names));
	struct store_run_spec spec = {.protocols = (1u << b->protocols) - 1,
				      .families = STORE_FAMILY_V4,
				      .networks = 1u << STORE_NET_POD,
				      .clusters = cl,
				      .n_clusters = (size_t)b->clusters};
	struct store_result *rows = NULL;
	size_t nrows = 0, cap = 0;
	struct err err = ERR_INIT;
	char *opts = options(b, round);
	int64_t run;

	for (long c = 0; c < b->clusters; c++)
		cl[c] =
		    (struct store_run_cluster){b->cluster_ids[c], STORE_ROLE_SRC | STORE_ROLE_DST};
	spec.options_json = opts;
	run = store_run_begin(b->st, &spec, &err);
	if (run < 0)
		die("run", &err);
	for (long i = 0; i < b->clusters * b->nodes; i++) {
		names[i] = xasprintf("c%ld-node-%05ld", i / b->nodes, i % b->nodes);
		nodes[i] = (struct store_node){.cluster_id = b->cluster_ids[i / b->nodes],
					       .name = names[i],
					       .pod_ipv4 = "198.18.0.1",
					       .floater = STORE_FLOATER_READY};
	}
	if (store_run_nodes_add(b->st, run, nodes, (size_t)(b->clusters * b->nodes), &err) < 0)
		die("nodes", &err);
	for (long i = 0; i < b->clusters * b->nodes; i++)
		b->ids[i] = nodes[i].id;
	*results = 0;
	for (long s = 0; s < b->clusters * b->nodes; s++) {
		for (long dc = 0; dc < b->clusters; dc++) {
			bool same = dc == s / b->nodes;
			size_t n = (size_t)(b->nodes - same), first, count;

			/* the source's destinations: its cluster's nodes from its own position on,
			 * itself left out */
			plan_sample_block(n, (size_t)b->k, round, &first, &count);
			for (size_t t = first; t < first + count; t++) {
				long d = (s % b->nodes + (long)(t % n) + same) % b->nodes;

				for (long p = 0; p < b->protocols; p++) {
					struct store_result *r;

					rows = xgrow(rows, &cap, nrows + 1, sizeof(*rows));
					r = &rows[nrows++];
					*r = (struct store_result){
					    .src_node = b->ids[s],
					    .dst_node = b->ids[dc * b->nodes + d],
					    .protocol = (uint8_t)p,
					    .family = 4,
					    .sent = 3,
					    .received = 3,
					    .rtt_min_us = 150,
					    .rtt_avg_us = 200 + (uint32_t)(t % 50),
					    .rtt_max_us = 400,
					    .rtt_p99_us = 390};
				}
			}
			if (nrows >= 20000 ||
			    (s == b->clusters * b->nodes - 1 && dc == b->clusters - 1)) {
				if (store_results_add(b->st, run, rows, nrows, &err) < 0)
					die("results", &err);
				*results += (int64_t)nrows;
				nrows = 0;
			}
		}
	}
	if (store_run_finish(b->st, run, STORE_RUN_DONE, &err) < 0)
		die("finish", &err);
	for (long i = 0; i < b->clusters * b->nodes; i++)
		free(names[i]);
	free(names);
	free(nodes);
	free(rows);
	free(opts);
	return run;
}

static int count_group(const struct store_coverage_group *g, void *ctx)
{
	(void)g;
	++*(long *)ctx;
	return 0;
}

/* The window's query alone, as metrics.c runs it: its CPU time. */
static int64_t window_cpu(struct bench *b, int64_t run, size_t rotation)
{
	long groups = 0;
	struct store_coverage_query q = {.group_cb = count_group, .group_ctx = &groups};
	struct store_window w = {.runs = rotation, .checks = true};
	struct store_coverage sum;
	struct err err = ERR_INIT;
	int64_t c0 = cpu_us();

	store_set_window(b->st, &w);
	if (store_coverage(b->st, run, &q, NULL, NULL, &sum, &err) < 0)
		die("coverage", &err);
	store_set_window(b->st, NULL);
	return cpu_us() - c0;
}

/* The value of a metric without labels in the exposition. */
static double metric(const char *text, const char *name)
{
	char *want = xasprintf("\n%s ", name);
	const char *p = strstr(text, want);
	double v = p ? strtod(p + strlen(want), NULL) : -1;

	free(want);
	return v;
}

/* Sums a per-group metric over its series. */
static double metric_sum(const char *text, const char *name)
{
	char *want = xasprintf("\n%s{", name);
	double sum = 0;

	for (const char *p = text; (p = strstr(p, want)); p++) {
		const char *sp = strchr(p + 1, '\n');
		const char *v = sp ? sp : p + strlen(p);

		while (v > p && v[-1] != ' ')
			v--;
		sum += strtod(v, NULL);
	}
	free(want);
	return sum;
}

int main(int argc, char **argv)
{
	struct bench b = {.nodes = 200, .clusters = 1, .k = 100, .protocols = 1, .checks = 0};
	struct err err = ERR_INIT;
	struct watch_metrics *m;
	char dir[] = "/var/tmp/netctl-bench-window-XXXXXX", *path;
	const char *where = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:c:k:p:x:")) != -1) {
		long v = strtol(optarg, NULL, 10);

		if (opt == 'n')
			b.nodes = v;
		else if (opt == 'c')
			b.clusters = v;
		else if (opt == 'k')
			b.k = v;
		else if (opt == 'p')
			b.protocols = v;
		else if (opt == 'x')
			b.checks = v;
		else
			return 2;
	}
	if (b.nodes < 2 || b.clusters < 1 || b.clusters > MAX_CLUSTERS || b.k < 1 ||
	    b.protocols < 1 || b.protocols > 3 || b.checks < 0) {
		fprintf(stderr, "bench_window: -n >= 2, -c 1-%d, -k >= 1, -p 1-3, -x >= 0\n",
			MAX_CLUSTERS);
		return 2;
	}
	if (optind < argc)
		where = argv[optind];
	else if (!mkdtemp(dir))
		return 1;
	path = xasprintf("%s/bench.db", where ? where : dir);
	unlink(path);
	b.st = store_open(path, &err);
	if (!b.st)
		die("open", &err);
	for (long c = 0; c < b.clusters; c++) {
		char name[24];

		snprintf(name, sizeof(name), "c%ld", c);
		if (store_cluster_add(b.st, name, "/dev/null", NULL, &b.cluster_ids[c], &err) < 0)
			die("cluster", &err);
	}
	b.ids = xcalloc((size_t)(b.clusters * b.nodes), sizeof(*b.ids));
	{
		long r = (b.nodes - (b.clusters == 1) + b.k - 1) / b.k;

		if (!b.checks)
			b.checks = r + 2;
		printf(
		    "%ld cluster(s) of %ld nodes, --sample %ld, %ld protocol(s): a rotation is %ld "
		    "checks; %ld checks\n",
		    b.clusters, b.nodes, b.k, b.protocols, r, b.checks);
	}
	printf("check results  metrics_wall  metrics_cpu  window_wall  window_cpu  probed/pairs    "
	       "checks\n");
	m = watch_metrics_new(300000, 0, time_wall_ms());
	for (long i = 0; i < b.checks; i++) {
		int64_t results, t0, c0;
		struct watch_check c = {.job = WATCH_FULL, .status = STORE_RUN_DONE};
		struct buf out;

		c.run_id = check(&b, (uint64_t)i, &results);
		c.results = results;
		c.end_wall_ms = time_wall_ms();
		t0 = time_mono_us();
		c0 = cpu_us();
		if (watch_metrics_add_check(m, b.st, &c, &err) < 0)
			die("metrics", &err);
		t0 = time_mono_us() - t0;
		c0 = cpu_us() - c0;
		buf_init(&out, 0);
		if (watch_metrics_render(m, &out, &err) < 0)
			die("render", &err);
		printf("%5ld %7lld  %10.3fs  %10.3fs  %10.3fs  %9.3fs  %6.0f/%-6.0f  %4.0f/%.0f\n",
		       i + 1, (long long)results, (double)t0 / 1e6, (double)c0 / 1e6,
		       metric(buf_str(&out), "netctl_window_duration_seconds"),
		       (double)window_cpu(
			   &b, c.run_id,
			   (size_t)metric(buf_str(&out), "netctl_window_rotation_checks")) /
			   1e6,
		       metric_sum(buf_str(&out), "netctl_window_pairs_probed"),
		       metric_sum(buf_str(&out), "netctl_window_pairs"),
		       metric(buf_str(&out), "netctl_window_checks"),
		       metric(buf_str(&out), "netctl_window_rotation_checks"));
		buf_release(&out);
	}
	printf("store: %lld bytes\n", (long long)store_size_bytes(b.st));
	watch_metrics_free(m);
	store_close(b.st);
	if (!where) {
		char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);

		unlink(path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
		rmdir(dir);
	}
	free(path);
	free(b.ids);
	return 0;
}
