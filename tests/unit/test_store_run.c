/* store: runs. What a run records, the history, runs whose writer died (run.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"

static void test_run_and_results_round_trip(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_run_info *r;
	struct store_results_query q = {0};
	struct buf b;
	int64_t run;
	struct store_result rows[3];
	struct store_result bad;

	fx_open_world(f);
	run = fx_begin_run(f, 0, (1u << PROTO_TCP) | (1u << PROTO_ICMP));
	/* Written out of key order: the walk returns key order. */
	rows[0] = fx_result(f->e[1], f->w[0], PROBE_OK, 500);
	rows[1] = fx_result(f->e[0], f->w[1], PROBE_TIMEOUT, 0);
	rows[2] = fx_result(f->e[0], f->w[0], PROBE_OK, 300);
	rows[2].protocol = PROTO_ICMP;
	fx_add(f, run, rows, 3);
	/* A retry replaces the key: counters stay exact. */
	rows[1] = fx_result(f->e[0], f->w[1], PROBE_OK, 700);
	fx_add(f, run, &rows[1], 1);
	/* A batch with one bad row stores nothing. */
	rows[0] = fx_result(f->e[2], f->w[2], PROBE_OK, 1);
	bad = fx_result(f->e[3], f->w[3], PROBE_OK, 1);
	bad.family = 5;
	rows[1] = bad;
	assert_int_equal(store_results_add(f->st, run, rows, 2, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_int_equal(store_results_add(f->st, 9999, rows, 1, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	fx_finish(f, run);

	r = store_run_get(f->st, run, &err);
	assert_non_null(r);
	assert_int_equal(r->status, STORE_RUN_DONE);
	assert_int_equal(r->results, 3);
	assert_int_equal(r->failed, 0);
	assert_int_equal(r->planned, 16);
	assert_string_equal(r->src_clusters, "east");
	assert_string_equal(r->dst_clusters, "west");
	assert_string_equal(r->options_json, "{\"count\":3}");
	assert_string_equal(r->compare_key,
			    "clusters=east:src,west:dst;protocols=icmp,tcp;families=4;"
			    "networks=pod");
	assert_true(r->finished_ms >= r->started_ms);
	store_run_info_free(r);

	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, run, &q, fx_collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-0 icmp ok 300;"
				    "east/e-0>west/w-1 tcp ok 700;"
				    "east/e-1>west/w-0 tcp ok 500;");
	buf_release(&b);
	assert_null(store_run_get(f->st, 4242, &err));
	assert_int_equal(err.code, ERR_NOTFOUND);
}

static int collect_history(const struct store_run_info *r, void *ctx)
{
	(void)!buf_printf(ctx, "%lld:%s:%s>%s:%lld/%lld;", (long long)r->id,
			  store_run_status_name(r->status), r->src_clusters, r->dst_clusters,
			  (long long)r->failed, (long long)r->results);
	return 0;
}

static void test_history_newest_first_with_counts_and_filter(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_run_cluster solo = {0, STORE_ROLE_SRC | STORE_ROLE_DST};
	struct store_run_spec spec = {
	    .protocols = 1, .families = 1, .networks = 1, .clusters = &solo, .n_clusters = 1};
	struct store_history_query q = {0};
	struct store_result rows[2];
	int64_t r1, r2, r3, south;
	struct buf b;

	fx_open_world(f);
	r1 = fx_begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = fx_result(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = fx_result(f->e[0], f->w[1], PROBE_REFUSED, 0);
	fx_add(f, r1, rows, 2);
	fx_finish(f, r1);
	assert_int_equal(store_cluster_add(f->st, "south", "/k/s", NULL, &south, &err), 0);
	solo.cluster_id = south;
	r2 = store_run_begin(f->st, &spec, &err);
	assert_true(r2 > 0);
	assert_int_equal(store_run_finish(f->st, r2, STORE_RUN_FAILED, &err), 0);
	r3 = fx_begin_run(f, 0, 1u << PROTO_TCP);
	fx_add(f, r3, rows, 1);

	buf_init(&b, 0);
	assert_int_equal(store_history(f->st, &q, collect_history, &b, &err), 0);
	assert_string_equal(b.data, "3:running:east>west:0/1;2:failed:south>south:0/0;"
				    "1:done:east>west:1/2;");
	buf_reset(&b);
	q.cluster = "west";
	assert_int_equal(store_history(f->st, &q, collect_history, &b, &err), 0);
	assert_string_equal(b.data, "3:running:east>west:0/1;1:done:east>west:1/2;");
	buf_reset(&b);
	q.limit = 1;
	assert_int_equal(store_history(f->st, &q, collect_history, &b, &err), 0);
	assert_string_equal(b.data, "3:running:east>west:0/1;");
	buf_reset(&b);
	q = (struct store_history_query){.cluster = "nowhere"};
	assert_int_equal(store_history(f->st, &q, collect_history, &b, &err), 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
	(void)r3;
}

static int64_t owner_start(const char *path, int64_t run)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT owner_start FROM runs WHERE id = ?1", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, run);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A run whose writer died (SIGKILL, crash) shows as interrupted and keeps every batch it
 * committed; a run whose writer lives stays running. */
static void test_dead_owner_run_is_interrupted(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_run_info *r;
	int64_t mine, theirs = 0;
	int pipefd[2], status;
	pid_t pid;

	fx_open_world(f);
	mine = fx_begin_run(f, 0, 1u << PROTO_TCP);
	/* SQLite connections must not cross fork(): the child opens its own. */
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(f->path, &err);
		struct store_run_cluster cl = {f->east, STORE_ROLE_SRC | STORE_ROLE_DST};
		struct store_run_spec spec = {
		    .protocols = 2, .families = 1, .networks = 1, .clusters = &cl, .n_clusters = 1};
		struct store_result rows[2] = {fx_result(f->e[0], f->e[1], PROBE_OK, 10),
					       fx_result(f->e[1], f->e[0], PROBE_TIMEOUT, 0)};
		int64_t id = st ? store_run_begin(st, &spec, &err) : -1;

		if (id > 0 && store_results_add(st, id, rows, 2, &err) < 0)
			id = -1;
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(2);
		_exit(9); /* no finish, no close: as if killed */
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(theirs > 0);

	fx_open_store(f);
	r = store_run_get(f->st, theirs, &err);
	assert_non_null(r);
	assert_int_equal(r->status, STORE_RUN_INTERRUPTED);
	assert_int_equal(r->results, 2);
	assert_int_equal(r->failed, 1);
	assert_true(r->finished_ms >= r->started_ms);
	store_run_info_free(r);
	r = store_run_get(f->st, mine, &err);
	assert_int_equal(r->status, STORE_RUN_RUNNING);
	store_run_info_free(r);
	assert_int_equal(store_runs_reap(f->st, &err), 0);

	/* Same pid, other process start time: the pid was reused, the owner is gone. */
	assert_true(owner_start(f->path, mine) > 0); /* a real start time, not a constant */
	fx_sql(f->path, "UPDATE runs SET owner_start = owner_start + 1 WHERE status = 'running'");
	assert_int_equal(store_runs_reap(f->st, &err), 1);
	r = store_run_get(f->st, mine, &err);
	assert_int_equal(r->status, STORE_RUN_INTERRUPTED);
	store_run_info_free(r);
}

#define KILL_NODES 100

#define KILL_BATCH (KILL_NODES * 4) /* one source x 100 destinations x 2 protocols x 2 families */

/* Child: writes batches into a new run until killed (bounded to KILL_NODES batches). */
static void kill_writer(struct fx *f)
{
	struct err err = ERR_INIT;
	struct store *st = store_open(f->path, &err);
	struct store_run_cluster cl = {f->east, STORE_ROLE_SRC | STORE_ROLE_DST};
	struct store_run_spec spec = {
	    .protocols = 3, .families = 3, .networks = 1, .clusters = &cl, .n_clusters = 1};
	struct store_node nodes[KILL_NODES];
	struct store_result rows[KILL_BATCH];
	char names[KILL_NODES][16];
	int64_t id = st ? store_run_begin(st, &spec, &err) : -1;

	for (int i = 0; i < KILL_NODES; i++) {
		snprintf(names[i], sizeof(names[i]), "k-%d", i);
		nodes[i] = (struct store_node){.cluster_id = f->east, .name = names[i]};
	}
	if (id < 0 || store_run_nodes_add(st, id, nodes, KILL_NODES, &err) < 0)
		_exit(2);
	for (int b = 0; b < KILL_NODES; b++) {
		for (int k = 0; k < KILL_BATCH; k++) {
			rows[k] = fx_result(nodes[b].id, nodes[k / 4].id,
					    k % 3 ? PROBE_OK : PROBE_RESET, 100);
			rows[k].protocol = k % 2;
			rows[k].family = (k / 2) % 2 ? 6 : 4;
		}
		if (store_results_add(st, id, rows, KILL_BATCH, &err) < 0)
			_exit(3);
	}
	_exit(0);
}

/* Polls the file (own connection) until some batches are stored; bounded. */
static int64_t wait_rows(const char *path, int64_t want)
{
	int64_t n = 0;

	for (int i = 0; i < 1000 && n < want; i++) {
		sqlite3 *db;
		sqlite3_stmt *s;

		usleep(10000);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			sqlite3_close(db);
			continue;
		}
		if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(results), 0) FROM runs", -1, &s,
				       NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	return n;
}

/* SIGKILL in the middle of writing: the run reads as interrupted, whole batches only,
 * and its counters agree with the rows. */
static void test_sigkill_mid_run_keeps_whole_batches(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {0};
	struct store_run_info *r;
	int seen[3] = {0, 0, 0};
	int status;
	pid_t pid;

	fx_open_world(f);
	store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		kill_writer(f);
	assert_true(wait_rows(f->path, 3 * KILL_BATCH) >= 3 * KILL_BATCH);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	fx_open_store(f);
	r = store_run_get(f->st, 1, &err);
	assert_non_null(r);
	assert_int_equal(r->status, STORE_RUN_INTERRUPTED);
	assert_int_equal(r->results % KILL_BATCH, 0);
	assert_true(r->results >= 3 * KILL_BATCH);
	assert_int_equal(store_results_foreach(f->st, 1, &q, fx_count_failed, seen, &err), 0);
	assert_int_equal(seen[0], r->results);
	assert_int_equal(seen[1], r->failed);
	assert_int_equal(r->failed, r->results / KILL_BATCH * ((KILL_BATCH + 2) / 3));
	store_run_info_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_run_and_results_round_trip, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_history_newest_first_with_counts_and_filter,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_dead_owner_run_is_interrupted, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sigkill_mid_run_keeps_whole_batches, fx_setup,
					    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
