/* store: deleting and pruning runs (run.c, prune.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "store_fixture.h"

static void test_delete_and_prune(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_result row;
	struct store_run_info *r;
	int64_t r1, r2, r3, r4;

	fx_open_world(f);
	r1 = fx_begin_run(f, 0, 2);
	row = fx_result(f->e[0], f->w[0], PROBE_TIMEOUT, 0);
	fx_add(f, r1, &row, 1);
	fx_finish(f, r1);
	r2 = fx_begin_run(f, r1, 2); /* resume of r1 */
	fx_finish(f, r2);
	r3 = fx_begin_run(f, 0, 2);
	fx_finish(f, r3);
	assert_int_equal(store_run_delete(f->st, r1, &err), 0);
	assert_null(store_run_get(f->st, r2, &err)); /* a resume goes with its parent */
	assert_int_equal(store_run_delete(f->st, r1, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	r = store_run_get(f->st, r3, &err);
	assert_non_null(r);
	store_run_info_free(r);

	r4 = fx_begin_run(f, r3, 2);
	fx_finish(f, r4);
	r1 = fx_begin_run(f, 0, 2);
	fx_finish(f, r1);
	/* Keep 1: the newest (r1) stays; r4 and its parent r3 go. */
	assert_int_equal(store_runs_prune(f->st, 1, &err), 2);
	assert_null(store_run_get(f->st, r3, &err));
	r = store_run_get(f->st, r1, &err);
	assert_non_null(r);
	store_run_info_free(r);
	/* Keep 1 of a resume: its parent is kept too. */
	r2 = fx_begin_run(f, r1, 2);
	fx_finish(f, r2);
	assert_int_equal(store_runs_prune(f->st, 1, &err), 0);
	/* By age: nothing started before the epoch; everything started before tomorrow
	 * but the running run r3 (and its parent r2, and r2's parent r1). */
	assert_int_equal(store_runs_prune_before(f->st, 0, &err), 0);
	r3 = fx_begin_run(f, r2, 2);
	r4 = fx_begin_run(f, 0, 2);
	fx_finish(f, r4);
	assert_int_equal(store_runs_prune_before(f->st, time_wall_ms() + 86400000, &err), 1);
	assert_null(store_run_get(f->st, r4, &err));
	r = store_run_get(f->st, r1, &err);
	assert_non_null(r);
	store_run_info_free(r);
}

/* One integer from SQL on the store's own file (another connection, like a user's). */
static int64_t sql_int(const char *path, const char *text)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* r1: 40 days old, 40,000 results over 200 nodes only it has; r2: 40 days old, resumed
 * by r4 (recent); r3: 40 days old; r5: running (this process); r6: recent. */
static void prune_world(struct fx *f, int64_t r[7])
{
	enum { BIG = 200 };
	struct store_node *big = xcalloc(BIG, sizeof(*big));
	struct store_result *rows = xcalloc(BIG * BIG, sizeof(*rows));
	char(*names)[16] = xcalloc(BIG, sizeof(*names));
	struct err err = ERR_INIT;
	size_t n = 0;
	char *q;

	fx_open_world(f);
	r[1] = fx_begin_run(f, 0, 2);
	for (int i = 0; i < BIG; i++) {
		snprintf(names[i], sizeof(names[i]), "gone-%d", i);
		big[i] = (struct store_node){.cluster_id = f->east, .name = names[i]};
	}
	assert_int_equal(store_run_nodes_add(f->st, r[1], big, BIG, &err), 0);
	for (int i = 0; i < BIG; i++)
		for (int j = 0; j < BIG; j++)
			rows[n++] = fx_result(big[i].id, big[j].id, PROBE_OK, 100);
	fx_add(f, r[1], rows, n);
	fx_finish(f, r[1]);
	r[2] = fx_begin_run(f, 0, 2);
	rows[0] = fx_result(f->e[0], f->w[0], PROBE_TIMEOUT, 0);
	fx_add(f, r[2], rows, 1);
	fx_finish(f, r[2]);
	r[3] = fx_begin_run(f, 0, 2);
	fx_add(f, r[3], rows, 1);
	fx_finish(f, r[3]);
	q = xasprintf("UPDATE runs SET started_ms = started_ms - 40 * 86400000 WHERE id <= %lld",
		      (long long)r[3]);
	fx_sql(f->path, q);
	free(q);
	r[4] = fx_begin_run(f, r[2], 2);
	rows[0] = fx_result(f->e[0], f->w[0], PROBE_OK, 100);
	fx_add(f, r[4], rows, 1);
	fx_finish(f, r[4]);
	r[5] = fx_begin_run(f, 0, 2);
	r[6] = fx_begin_run(f, 0, 2);
	fx_finish(f, r[6]);
	free(big);
	free(rows);
	free(names);
}

static bool run_exists(struct fx *f, int64_t id)
{
	struct err err = ERR_INIT;
	struct store_run_info *r = store_run_get(f->st, id, &err);

	store_run_info_free(r);
	return r != NULL;
}

static void test_prune_report(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_prune_opts o = {
	    .by_age = true, .since_ms = time_wall_ms() - 30 * 86400000LL, .dry_run = true};
	struct store_prune_report rep;
	int64_t r[7];

	prune_world(f, r);
	/* Dry run: counts, changes nothing. */
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 2);	      /* r1, r3 */
	assert_int_equal(rep.results, 40001); /* 40,000 + 1 */
	assert_int_equal(rep.nodes, 200);
	assert_int_equal(rep.kept, 4);
	assert_int_equal(rep.kept_chain, 1); /* r2, the parent of the kept resume r4 */
	assert_int_equal(rep.kept_running, 1);
	assert_false(rep.vacuumed);
	assert_true(run_exists(f, r[1]));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM results"), 40003);

	o.dry_run = false;
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 2);
	assert_int_equal(rep.results, 40001);
	assert_int_equal(rep.nodes, 200);
	assert_true(rep.vacuumed);
	/* 40,000 rows are at least 1 MB; the file and its WAL gave it back. */
	assert_true(rep.bytes_after < rep.bytes_before - 1000000);
	assert_false(run_exists(f, r[1]));
	assert_false(run_exists(f, r[3]));
	for (int i = 2; i <= 6; i += (i == 2 ? 2 : 1))
		assert_true(run_exists(f, r[i]));
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM results"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM nodes WHERE name LIKE 'gone-%'"),
			 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM nodes"), 8);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM pragma_integrity_check "
					  "WHERE integrity_check != 'ok'"),
			 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);

	/* Again: nothing left to prune, no vacuum. */
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 0);
	assert_false(rep.vacuumed);
}

/* Rules add up: a run goes only when no rule keeps it. */
static void test_prune_rules_add_up(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_prune_opts o = {.by_count = true, .keep = 1, .dry_run = true};
	struct store_prune_report rep;
	int64_t r[7];

	prune_world(f, r);
	/* Keep 1: r6 (r5 runs); r4 brings r2 along. */
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 4); /* r1, r2, r3, r4 */
	assert_int_equal(rep.kept_running, 1);
	assert_int_equal(rep.kept_chain, 0);
	/* Keep 1 or younger than 30 days: r4 and r6 kept, r2 with r4. */
	o.by_age = true;
	o.since_ms = time_wall_ms() - 30 * 86400000LL;
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 2);
	/* Keep 0: every finished run goes, the running one stays. */
	o = (struct store_prune_opts){.by_count = true, .keep = 0};
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 5);
	assert_int_equal(rep.kept, 1);
	assert_true(run_exists(f, r[5]));
	/* No rule: a usage error, nothing deleted. */
	o = (struct store_prune_opts){0};
	assert_int_equal(store_prune(f->st, &o, &rep, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
}

/* A run left running by a dead process is reaped first and can go. */
static void test_prune_reaps_dead_runs(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_prune_opts o = {.by_count = true, .keep = 0};
	struct store_prune_report rep;
	int64_t run;

	fx_open_world(f);
	run = fx_begin_run(f, 0, 2);
	fx_sql(f->path, "UPDATE runs SET owner_boot = 'another-boot'");
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 1);
	assert_int_equal(rep.kept_running, 0);
	assert_false(run_exists(f, run));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_delete_and_prune, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_prune_report, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_prune_rules_add_up, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_prune_reaps_dead_runs, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
