/* bench_store: insert rate, bytes per result row, diff/report/history times of the SQLite
 * store at the project's target scale (1,000 x 1,000 nodes, a million results per run).
 *   bench_store [-n NODES] [-b BATCH] [-s STREAMS] [-r HISTORY_RUNS] [DIR]
 *   bench_store -x DIR      read benchmarks again on DIR/bench.db from an earlier run
 * Writes DIR/bench.db (default: a temporary directory under /var/tmp, removed at the end).
 * Not a test: it asserts nothing, it measures; CPU time is printed next to wall time
 * because on a shared machine wall time mostly measures the other jobs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

struct bench {
	struct store *st;
	char *path;
	long nodes, batch, streams, history_runs;
	bool reuse;   /* -x: read benchmarks on the runs 1 and 2 of an existing bench.db */
	char *tmpdir; /* made by us: removed at the end */
	int64_t cluster_src, cluster_dst;
	int64_t *src_ids, *dst_ids;
	uint64_t rng;
};

static void die(const char *what, const struct err *err)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, err->msg);
	exit(1);
}

static uint32_t rnd(struct bench *b)
{
	/* xorshift64*: deterministic, so every run of the bench writes the same data. */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return (uint32_t)((b->rng * 2685821657736338717ULL) >> 32);
}

static double secs(int64_t us)
{
	return (double)us / 1e6;
}

/* User + system CPU time: the machine is shared, so wall time alone is noisy. */
static int64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

struct timing {
	int64_t wall, cpu;
};

static void timing_start(struct timing *t)
{
	t->wall = time_mono_us();
	t->cpu = cpu_us();
}

static void timing_stop(struct timing *t)
{
	t->wall = time_mono_us() - t->wall;
	t->cpu = cpu_us() - t->cpu;
}

static int64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Main file + WAL: what the disk holds right now. */
static int64_t store_bytes(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	int64_t n = file_size(path) + file_size(wal);

	free(wal);
	return n;
}

static void nodes_add(struct bench *b, int64_t run_id)
{
	struct store_node *n = xcalloc((size_t)b->nodes * 2, sizeof(*n));
	char **names = xcalloc((size_t)b->nodes * 2, sizeof(*names));
	struct err err = ERR_INIT;

	for (long i = 0; i < b->nodes * 2; i++) {
		bool src = i < b->nodes;

		names[i] = xasprintf("%s-node-%04ld", src ? "east" : "west", i % b->nodes);
		n[i].cluster_id = src ? b->cluster_src : b->cluster_dst;
		n[i].name = names[i];
		n[i].pod_ipv4 = "198.18.0.1";
		n[i].pod_ipv6 = "fd00::1";
		n[i].floater = STORE_FLOATER_READY;
	}
	if (store_run_nodes_add(b->st, run_id, n, (size_t)b->nodes * 2, &err) < 0)
		die("nodes", &err);
	for (long i = 0; i < b->nodes; i++) {
		b->src_ids[i] = n[i].id;
		b->dst_ids[i] = n[b->nodes + i].id;
	}
	for (long i = 0; i < b->nodes * 2; i++)
		free(names[i]);
	free(names);
	free(n);
}

static int64_t run_begin(struct bench *b)
{
	struct store_run_cluster cl[2] = {{b->cluster_src, STORE_ROLE_SRC},
					  {b->cluster_dst, STORE_ROLE_DST}};
	struct store_run_spec spec = {
	    .options_json = "{\"count\":3}",
	    .protocols = 1u << PROTO_TCP,
	    .families = STORE_FAMILY_V4,
	    .networks = 1u << STORE_NET_POD,
	    .clusters = cl,
	    .n_clusters = 2,
	    .planned = b->nodes * b->nodes,
	};
	struct err err = ERR_INIT;
	int64_t id = store_run_begin(b->st, &spec, &err);

	if (id < 0)
		die("run", &err);
	nodes_add(b, id);
	return id;
}

static void result_make(struct bench *b, struct store_result *r, long s, long d, int fail_pct)
{
	uint32_t base = 150 + rnd(b) % 2000;

	memset(r, 0, sizeof(*r));
	r->src_node = b->src_ids[s];
	r->dst_node = b->dst_ids[d];
	r->protocol = PROTO_TCP;
	r->family = 4;
	r->network = STORE_NET_POD;
	r->sent = 3;
	if ((long)(rnd(b) % 1000) < fail_pct * 10) {
		r->error = PROBE_TIMEOUT;
		return;
	}
	r->received = 3;
	r->rtt_min_us = base;
	r->rtt_avg_us = base + rnd(b) % 100;
	r->rtt_max_us = r->rtt_avg_us + rnd(b) % 300;
	r->rtt_p99_us = r->rtt_max_us;
}

static void flush(struct bench *b, int64_t run, struct store_result *rows, size_t *n)
{
	struct err err = ERR_INIT;

	if (*n && store_results_add(b->st, run, rows, *n, &err) < 0)
		die("results", &err);
	*n = 0;
}

/* Results arrive the way the engine gets them: `streams` source floaters answer at once,
 * each in its own (shuffled) destination order, interleaved into batches. */
static struct timing fill_run(struct bench *b, int64_t run, int fail_pct)
{
	struct store_result *rows = xcalloc((size_t)b->batch, sizeof(*rows));
	long *perm = xcalloc((size_t)b->nodes, sizeof(*perm));
	size_t n = 0;
	struct timing t;

	timing_start(&t);
	for (long i = 0; i < b->nodes; i++)
		perm[i] = i;
	for (long s0 = 0; s0 < b->nodes; s0 += b->streams) {
		long ns = b->streams < b->nodes - s0 ? b->streams : b->nodes - s0;

		for (long i = b->nodes - 1; i > 0; i--) {
			long j = (long)(rnd(b) % (uint32_t)(i + 1)), tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
		}
		for (long k = 0; k < b->nodes; k++)
			for (long s = 0; s < ns; s++) {
				result_make(b, &rows[n++], s0 + s, perm[(k + s * 7) % b->nodes],
					    fail_pct);
				if ((long)n == b->batch)
					flush(b, run, rows, &n);
			}
	}
	flush(b, run, rows, &n);
	timing_stop(&t);
	free(perm);
	free(rows);
	return t;
}

static int count_row(const struct store_diff_row *row, void *ctx)
{
	(*(int64_t *)ctx)++;
	return 0;
}

static int count_result(const struct store_result_row *row, void *ctx)
{
	(*(int64_t *)ctx)++;
	return 0;
}

static int count_group(const struct store_group *g, void *ctx)
{
	(*(int64_t *)ctx)++;
	return 0;
}

static int count_run(const struct store_run_info *r, void *ctx)
{
	(*(int64_t *)ctx)++;
	return 0;
}

static void bench_diff(struct bench *b, int64_t a, int64_t c)
{
	struct store_diff_summary sum;
	struct err err = ERR_INIT;
	int64_t rows = 0;
	struct timing t;

	timing_start(&t);
	if (store_diff(b->st, a, c, NULL, count_row, NULL, &rows, &sum, &err) < 0)
		die("diff", &err);
	timing_stop(&t);
	printf("diff of two runs:   %.3f s wall, %.3f s CPU (%lld keys in both, %lld "
	       "regressions, %lld recoveries, %lld still failing, %lld rows streamed)\n",
	       secs(t.wall), secs(t.cpu),
	       (long long)(sum.total.n[STORE_DIFF_SAME] + sum.total.n[STORE_DIFF_REGRESSION] +
			   sum.total.n[STORE_DIFF_RECOVERY] +
			   sum.total.n[STORE_DIFF_STILL_FAILING]),
	       (long long)sum.total.n[STORE_DIFF_REGRESSION],
	       (long long)sum.total.n[STORE_DIFF_RECOVERY],
	       (long long)sum.total.n[STORE_DIFF_STILL_FAILING], (long long)rows);
}

static void bench_reads(struct bench *b, int64_t run)
{
	struct store_results_query q = {.merged = true};
	struct err err = ERR_INIT;
	int64_t n = 0;
	struct timing t;

	timing_start(&t);
	if (store_results_foreach(b->st, run, &q, count_result, &n, &err) < 0)
		die("results walk", &err);
	timing_stop(&t);
	printf("results walk:       %.3f s wall, %.3f s CPU (%lld rows with names)\n", secs(t.wall),
	       secs(t.cpu), (long long)n);
	n = 0;
	timing_start(&t);
	if (store_run_groups(b->st, run, count_group, &n, &err) < 0)
		die("groups", &err);
	timing_stop(&t);
	printf("group summary:      %.3f s wall, %.3f s CPU (%lld groups)\n", secs(t.wall),
	       secs(t.cpu), (long long)n);
}

static void bench_history(struct bench *b)
{
	struct store_run_cluster cl[2] = {{b->cluster_src, STORE_ROLE_SRC},
					  {b->cluster_dst, STORE_ROLE_DST}};
	struct store_run_spec spec = {
	    .protocols = 1, .families = 1, .networks = 1, .clusters = cl, .n_clusters = 2};
	struct store_history_query q = {0};
	struct err err = ERR_INIT;
	int64_t n = 0;
	struct timing t;

	for (long i = 0; i < b->history_runs; i++) {
		int64_t id = store_run_begin(b->st, &spec, &err);

		if (id < 0 || store_run_finish(b->st, id, STORE_RUN_DONE, &err) < 0)
			die("history runs", &err);
	}
	timing_start(&t);
	if (store_history(b->st, &q, count_run, &n, &err) < 0)
		die("history", &err);
	timing_stop(&t);
	printf("history:            %.3f s wall, %.3f s CPU (%lld runs, all listed)\n",
	       secs(t.wall), secs(t.cpu), (long long)n);
}

/* The rejected alternative: the diff as one SQL join over the primary key (inner join
 * only, counting; the store's merge join also finds new/vanished pairs and streams rows). */
static void bench_sql_join(struct bench *b, int64_t a, int64_t c)
{
	const char *q = "SELECT count(*), sum(a.error = 0 AND b.error != 0) FROM results a "
			"JOIN results b ON b.run_id = ?2 AND b.src_node = a.src_node AND "
			"b.dst_node = a.dst_node AND b.protocol = a.protocol AND "
			"b.family = a.family AND b.network = a.network WHERE a.run_id = ?1";
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct timing t;

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_store: sql join: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, c);
	timing_start(&t);
	if (sqlite3_step(s) != SQLITE_ROW) {
		fprintf(stderr, "bench_store: sql join: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	timing_stop(&t);
	printf("SQL join (rejected): %.3f s wall, %.3f s CPU (%lld keys in both, %lld "
	       "regressions; no new/vanished, no rows)\n",
	       secs(t.wall), secs(t.cpu), (long long)sqlite3_column_int64(s, 0),
	       (long long)sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_store [-n NODES] [-b BATCH] [-s STREAMS] "
			"[-r HISTORY_RUNS] [-x] [DIR]\n");
	exit(2);
}

static void parse(struct bench *b, int argc, char **argv)
{
	struct err err = ERR_INIT;
	char *dir;
	int c;

	b->nodes = 1000;
	b->batch = 10000;
	b->streams = 8;
	b->history_runs = 10000;
	while ((c = getopt(argc, argv, "n:b:s:r:xh")) != -1) {
		long *dst = c == 'n'   ? &b->nodes
			    : c == 'b' ? &b->batch
			    : c == 's' ? &b->streams
			    : c == 'r' ? &b->history_runs
				       : NULL;

		if (c == 'x') {
			b->reuse = true;
			continue;
		}
		if (!dst)
			usage();
		if (str_to_long(optarg, c == 'r' ? 0 : 1, 100000000, dst, "option", &err) < 0)
			die("usage", &err);
	}
	if (optind < argc) {
		dir = xstrdup(argv[optind]);
	} else {
		dir = xstrdup("/var/tmp/netctl-bench-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			exit(1);
		}
		b->tmpdir = xstrdup(dir);
	}
	b->path = xasprintf("%s/bench.db", dir);
	free(dir);
}

static void bench_write(struct bench *b, int64_t *ra, int64_t *rb)
{
	int64_t rows = (int64_t)b->nodes * b->nodes, before;
	struct err err = ERR_INIT;
	struct timing t;

	for (const char *sfx = ""; sfx; sfx = *sfx ? NULL : "-wal") {
		char *p = xasprintf("%s%s", b->path, sfx);

		unlink(p);
		free(p);
	}
	b->st = store_open(b->path, &err);
	if (!b->st ||
	    store_cluster_add(b->st, "east", "/dev/null", NULL, &b->cluster_src, &err) < 0 ||
	    store_cluster_add(b->st, "west", "/dev/null", NULL, &b->cluster_dst, &err) < 0)
		die("open", &err);
	before = store_bytes(b->path);
	for (int i = 0; i < 2; i++) {
		int64_t id = run_begin(b);

		t = fill_run(b, id, i + 1);
		printf(
		    "insert run %c:       %.3f s wall, %.3f s CPU: %.0f rows/s wall, %.0f rows/s "
		    "CPU\n",
		    'A' + i, secs(t.wall), secs(t.cpu), (double)rows / secs(t.wall),
		    (double)rows / secs(t.cpu));
		if (store_run_finish(b->st, id, STORE_RUN_DONE, &err) < 0)
			die("finish", &err);
		*(i ? rb : ra) = id;
	}
	store_close(b->st);
	b->st = NULL;
	/* Closing checkpoints the WAL into the main file: its growth is what the runs cost. */
	printf("file size:          %.1f MB for 2 runs, %.1f bytes per result row\n",
	       (double)(store_bytes(b->path) - before) / 1e6,
	       (double)(store_bytes(b->path) - before) / (double)(2 * rows));
}

int main(int argc, char **argv)
{
	struct bench b = {.rng = 0x9e3779b97f4a7c15ULL};
	struct err err = ERR_INIT;
	struct rusage ru;
	int64_t ra = 1, rb = 2;

	parse(&b, argc, argv);
	b.src_ids = xcalloc((size_t)b.nodes, sizeof(*b.src_ids));
	b.dst_ids = xcalloc((size_t)b.nodes, sizeof(*b.dst_ids));
	printf("store bench: %s, %ld x %ld nodes = %lld results per run, batches of %ld, "
	       "%ld interleaved source streams\n",
	       b.path, b.nodes, b.nodes, (long long)b.nodes * b.nodes, b.batch, b.streams);
	if (!b.reuse)
		bench_write(&b, &ra, &rb);
	b.st = store_open(b.path, &err);
	if (!b.st)
		die("open", &err);
	bench_diff(&b, ra, rb);
	bench_diff(&b, ra, rb);
	bench_sql_join(&b, ra, rb);
	bench_reads(&b, rb);
	if (!b.reuse)
		bench_history(&b);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS:           %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	store_close(b.st);
	free(b.src_ids);
	free(b.dst_ids);
	if (b.tmpdir) {
		unlink(b.path);
		rmdir(b.tmpdir);
		free(b.tmpdir);
	}
	free(b.path);
	return 0;
}
