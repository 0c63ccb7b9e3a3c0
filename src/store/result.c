/* store: writing result batches and walking results in key order. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Every statement below numbers the result columns the same way, so one bind function
 * serves all of them (binding a number a statement lacks is a harmless SQLITE_RANGE). */
#define SQL_INSERT                                                                                 \
	"INSERT INTO results (run_id, src_node, dst_node, protocol, family, network, error, "      \
	"sent, received, rtt_min, rtt_avg, rtt_max, rtt_p99) "                                     \
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
#define SQL_KEY                                                                                    \
	" WHERE run_id = ?1 AND src_node = ?2 AND dst_node = ?3 AND protocol = ?4 AND "            \
	"family = ?5 AND network = ?6"
#define SQL_OLD_ERROR "SELECT error FROM results" SQL_KEY
#define SQL_UPDATE                                                                                 \
	"UPDATE results SET error = ?7, sent = ?8, received = ?9, rtt_min = ?10, "                 \
	"rtt_avg = ?11, rtt_max = ?12, rtt_p99 = ?13" SQL_KEY
#define SQL_COUNTS                                                                                 \
	"UPDATE runs SET results = results + ?2, failed = failed + ?3, last_write_ms = ?4 "        \
	"WHERE id = ?1"

#define RESULT_COLS 13
/* Rows per INSERT statement: 128 rows per statement step execute 23% fewer instructions
 * per row than one row per step (32: 13% fewer; callgrind on bench_store -n 200). */
#ifndef STORE_INSERT_ROWS
#define STORE_INSERT_ROWS 128
#endif

/* Binds a row to parameters at+1 .. at+13. */
static void result_bind_at(sqlite3_stmt *s, int at, int64_t run_id, const struct store_result *r)
{
	sqlite3_bind_int64(s, at + 1, run_id);
	sqlite3_bind_int64(s, at + 2, r->src_node);
	sqlite3_bind_int64(s, at + 3, r->dst_node);
	sqlite3_bind_int(s, at + 4, r->protocol);
	sqlite3_bind_int(s, at + 5, r->family);
	sqlite3_bind_int(s, at + 6, r->network);
	sqlite3_bind_int(s, at + 7, r->error);
	sqlite3_bind_int64(s, at + 8, r->sent);
	sqlite3_bind_int64(s, at + 9, r->received);
	sqlite3_bind_int64(s, at + 10, r->rtt_min_us);
	sqlite3_bind_int64(s, at + 11, r->rtt_avg_us);
	sqlite3_bind_int64(s, at + 12, r->rtt_max_us);
	sqlite3_bind_int64(s, at + 13, r->rtt_p99_us);
}

static void result_bind(sqlite3_stmt *s, int64_t run_id, const struct store_result *r)
{
	result_bind_at(s, 0, run_id, r);
}

static int result_check(const struct store_result *r, struct err *err)
{
	if (r->src_node <= 0 || r->dst_node <= 0 || r->protocol >= PROTO_MAX ||
	    (r->family != 4 && r->family != 6) || r->network >= STORE_NET_MAX ||
	    r->error >= PROBE_ERROR_MAX)
		return err_set(err, ERR_USAGE,
			       "bad result row (src %lld dst %lld protocol %u family %u network "
			       "%u error %u)",
			       (long long)r->src_node, (long long)r->dst_node, r->protocol,
			       r->family, r->network, r->error);
	return 0;
}

/* A key the run already has: replace the row and return the change of the failure
 * count through *dfailed. */
static int result_replace(struct store *st, int64_t run_id, const struct store_result *r,
			  int64_t *dfailed, struct err *err)
{
	int old;

	if (store_prepare_cached(st, &st->old_result_error, SQL_OLD_ERROR, err) < 0)
		return -1;
	result_bind(st->old_result_error, run_id, r);
	if (sqlite3_step(st->old_result_error) != SQLITE_ROW)
		return store_fail(st, err, "read replaced result");
	old = sqlite3_column_int(st->old_result_error, 0);
	sqlite3_reset(st->old_result_error);
	if (store_prepare_cached(st, &st->upd_result, SQL_UPDATE, err) < 0)
		return -1;
	result_bind(st->upd_result, run_id, r);
	if (sqlite3_step(st->upd_result) != SQLITE_DONE)
		return store_fail(st, err, "replace result");
	sqlite3_reset(st->upd_result);
	*dfailed += (r->error != PROBE_OK) - (old != PROBE_OK);
	return 0;
}

static int result_insert_one(struct store *st, int64_t run_id, const struct store_result *r,
			     int64_t *added, int64_t *failed, struct err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare_cached(st, &st->ins_result, SQL_INSERT, err) < 0)
		return -1;
	s = st->ins_result;
	result_bind(s, run_id, r);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		*added += 1;
		*failed += r->error != PROBE_OK;
		return 0;
	}
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return result_replace(st, run_id, r, failed, err);
	return store_fail(st, err, "add result");
}

static int multi_prepare(struct store *st, struct err *err)
{
	struct buf b;
	int rc;

	if (st->ins_results)
		return 0;
	buf_init(&b, 0);
	(void)!buf_puts(
	    &b, "INSERT INTO results (run_id, src_node, dst_node, protocol, family, network, "
		"error, sent, received, rtt_min, rtt_avg, rtt_max, rtt_p99) VALUES ");
	for (int i = 0; i < STORE_INSERT_ROWS; i++)
		(void)!buf_printf(&b, "%s(?,?,?,?,?,?,?,?,?,?,?,?,?)", i ? "," : "");
	rc = store_prepare_cached(st, &st->ins_results, b.data, err);
	buf_release(&b);
	return rc;
}

/* STORE_INSERT_ROWS rows in one statement. A key the run already has aborts just this
 * statement (SQLite's default ABORT undoes only its own rows): redo the rows one by one. */
static int results_insert_chunk(struct store *st, int64_t run_id, const struct store_result *rows,
				int64_t *added, int64_t *failed, struct err *err)
{
	sqlite3_stmt *s;
	int rc, nfail = 0;

	if (multi_prepare(st, err) < 0)
		return -1;
	s = st->ins_results;
	for (int i = 0; i < STORE_INSERT_ROWS; i++) {
		result_bind_at(s, i * RESULT_COLS, run_id, &rows[i]);
		nfail += rows[i].error != PROBE_OK;
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		*added += STORE_INSERT_ROWS;
		*failed += nfail;
		return 0;
	}
	if (rc != SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_fail(st, err, "add results");
	for (int i = 0; i < STORE_INSERT_ROWS; i++)
		if (result_insert_one(st, run_id, &rows[i], added, failed, err) < 0)
			return -1;
	return 0;
}

static int results_insert(struct store *st, int64_t run_id, const struct store_result *rows,
			  size_t n, int64_t *added, int64_t *failed, struct err *err)
{
	size_t i = 0;

	for (size_t k = 0; k < n; k++)
		if (result_check(&rows[k], err) < 0)
			return -1;
	for (; STORE_INSERT_ROWS > 1 && n - i >= STORE_INSERT_ROWS; i += STORE_INSERT_ROWS)
		if (results_insert_chunk(st, run_id, rows + i, added, failed, err) < 0)
			return -1;
	for (; i < n; i++)
		if (result_insert_one(st, run_id, &rows[i], added, failed, err) < 0)
			return -1;
	return 0;
}

static int run_counts_add(struct store *st, int64_t run_id, int64_t added, int64_t failed,
			  struct err *err)
{
	sqlite3_stmt *s;

	if (store_prepare_cached(st, &st->upd_run_counts, SQL_COUNTS, err) < 0)
		return -1;
	s = st->upd_run_counts;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, added);
	sqlite3_bind_int64(s, 3, failed);
	sqlite3_bind_int64(s, 4, time_wall_ms());
	if (sqlite3_step(s) != SQLITE_DONE)
		return store_fail(st, err, "count results");
	sqlite3_reset(s);
	if (sqlite3_changes(st->db) == 0)
		return err_set(err, ERR_NOTFOUND, "no run %lld", (long long)run_id);
	return 0;
}

int store_results_add(struct store *st, int64_t run_id, const struct store_result *rows, size_t n,
		      struct err *err)
{
	int64_t added = 0, failed = 0;

	if (n == 0)
		return 0;
	if (store_begin(st, err) < 0)
		return -1;
	if (results_insert(st, run_id, rows, n, &added, &failed, err) < 0 ||
	    run_counts_add(st, run_id, added, failed, err) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

/* ---- walking results ----------------------------------------------------------------------- */

int store_results_foreach(struct store *st, int64_t run_id, const struct store_results_query *q,
			  int (*cb)(const struct store_result_row *row, void *ctx), void *ctx,
			  struct err *err)
{
	struct store_cursor *c = xcalloc(1, sizeof(*c));
	struct store_names nm = {0};
	int rc = -1, more;

	/* Cursor first: its read transaction then covers the names too. Failures are few: a
	 * key walk finds them, their figures are looked up. */
	if ((q && q->failed_only
		 ? store_cursor_open_keys(st, c, run_id, q->merged, STORE_KEYS_ONLY, err)
		 : store_cursor_open(st, c, run_id, q && q->merged, err)) < 0 ||
	    store_names_load(st, &nm, err) < 0)
		goto out;
	while ((more = store_cursor_next(st, c, err)) == 1) {
		struct store_result_row row;

		if (q && q->failed_only && store_cursor_error(c) == PROBE_OK)
			continue;
		store_cursor_row(c, &row.r);
		row.run_id = store_cursor_run(c);
		row.src_cluster = store_names_cluster_of(&nm, row.r.src_node);
		row.src_name = store_names_node(&nm, row.r.src_node);
		row.dst_cluster = store_names_cluster_of(&nm, row.r.dst_node);
		row.dst_name = store_names_node(&nm, row.r.dst_node);
		row.dst_kind = store_names_kind(&nm, row.r.dst_node);
		if (cb(&row, ctx))
			break;
	}
	if (more >= 0)
		rc = 0;
out:
	store_cursor_close(c);
	free(c);
	store_names_release(&nm);
	return rc;
}
