/* store: retention — delete old runs with everything that hangs off them, never cut a
 * resume chain, never touch a live run, then give the space back to the file system. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store_int.h"

/* The runs the rules keep: ?1 by count, ?2 how many, ?3 by age, ?4 since (epoch ms). */
#define PRUNE_RULES                                                                                \
	"INSERT INTO temp.prune_rule SELECT id FROM runs WHERE status != 'running' AND ("          \
	"(?1 AND id IN (SELECT id FROM runs WHERE status != 'running' ORDER BY id DESC "           \
	"LIMIT ?2)) OR (?3 AND started_ms >= ?4))"

/* Everything not kept by a rule, not running and no ancestor of a kept or running run. */
#define PRUNE_DELETE                                                                               \
	"WITH RECURSIVE k(id) AS (SELECT id FROM temp.prune_rule "                                 \
	"UNION SELECT id FROM runs WHERE status = 'running' "                                      \
	"UNION SELECT r.parent_id FROM runs r JOIN k ON r.id = k.id "                              \
	"WHERE r.parent_id IS NOT NULL) "                                                          \
	"INSERT INTO temp.prune_del SELECT id FROM runs WHERE id NOT IN (SELECT id FROM k)"

#define PRUNE_COUNTS                                                                               \
	"SELECT (SELECT count(*) FROM temp.prune_del), "                                           \
	"(SELECT total(results) FROM runs WHERE id IN temp.prune_del), "                           \
	"(SELECT count(*) FROM runs WHERE id NOT IN temp.prune_del), "                             \
	"(SELECT count(*) FROM runs WHERE id NOT IN temp.prune_del AND status = 'running'), "      \
	"(SELECT count(*) FROM runs WHERE id NOT IN temp.prune_del AND status != 'running' "       \
	"AND id NOT IN temp.prune_rule)"

/* Node names no remaining run uses. The run_nodes test comes first: only when it finds
 * candidates are the remaining results scanned (a result may name a node its run did not
 * list, in stores written by hand). */
#define PRUNE_NODES_WHERE                                                                          \
	"FROM nodes WHERE id NOT IN (SELECT node_id FROM run_nodes "                               \
	"WHERE run_id NOT IN temp.prune_del) "                                                     \
	"AND id NOT IN (SELECT node_id FROM run_left_out WHERE run_id NOT IN temp.prune_del) "     \
	"AND id NOT IN (SELECT src_node FROM results WHERE run_id NOT IN temp.prune_del) "         \
	"AND id NOT IN (SELECT dst_node FROM results WHERE run_id NOT IN temp.prune_del)"

static int64_t file_bytes(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	int64_t n = 0;

	if (stat(path, &sb) == 0)
		n += (int64_t)sb.st_size;
	if (stat(wal, &sb) == 0)
		n += (int64_t)sb.st_size;
	free(wal);
	return n;
}

static int step_done(struct store *st, sqlite3_stmt *s, const char *what, struct err *err)
{
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;

	if (!s)
		return -1;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, err, what);
	return 0;
}

/* Fills temp.prune_rule and temp.prune_del. */
static int prune_select(struct store *st, const struct store_prune_opts *o, struct err *err)
{
	sqlite3_stmt *s;

	if (store_exec(st,
		       "CREATE TEMP TABLE IF NOT EXISTS prune_rule (id INTEGER PRIMARY KEY); "
		       "CREATE TEMP TABLE IF NOT EXISTS prune_del (id INTEGER PRIMARY KEY); "
		       "DELETE FROM temp.prune_rule; DELETE FROM temp.prune_del",
		       err) < 0)
		return err_prefix(err, "prune");
	s = store_prepare(st, PRUNE_RULES, err);
	if (s) {
		sqlite3_bind_int(s, 1, o->by_count);
		sqlite3_bind_int64(s, 2, (int64_t)o->keep);
		sqlite3_bind_int(s, 3, o->by_age);
		sqlite3_bind_int64(s, 4, o->since_ms);
	}
	if (step_done(st, s, "prune: runs to keep", err) < 0)
		return -1;
	return step_done(st, store_prepare(st, PRUNE_DELETE, err), "prune: runs to delete", err);
}

static int prune_count(struct store *st, struct store_prune_report *rep, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, PRUNE_COUNTS, err);
	int rc = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		rep->runs = sqlite3_column_int64(s, 0);
		rep->results = (int64_t)sqlite3_column_double(s, 1);
		rep->kept = sqlite3_column_int64(s, 2);
		rep->kept_running = sqlite3_column_int64(s, 3);
		rep->kept_chain = sqlite3_column_int64(s, 4);
		rc = 0;
	} else {
		store_fail(st, err, "prune: count");
	}
	sqlite3_finalize(s);
	if (rc == 0 && rep->runs > 0) {
		s = store_prepare(st, "SELECT count(*) " PRUNE_NODES_WHERE, err);
		if (!s)
			return -1;
		if (sqlite3_step(s) == SQLITE_ROW)
			rep->nodes = sqlite3_column_int64(s, 0);
		else
			rc = store_fail(st, err, "prune: count nodes");
		sqlite3_finalize(s);
	}
	return rc;
}

static int prune_delete(struct store *st, struct store_prune_report *rep, struct err *err)
{
	/* Children before parents is not needed: one statement deletes a whole chain, and the
	 * parent_id foreign key is checked at the end of the statement. */
	static const char *const sql[] = {
	    "DELETE FROM results WHERE run_id IN temp.prune_del",
	    "DELETE FROM run_nodes WHERE run_id IN temp.prune_del",
	    "DELETE FROM run_left_out WHERE run_id IN temp.prune_del",
	    "DELETE FROM run_kosmos_nodes WHERE run_id IN temp.prune_del",
	    "DELETE FROM run_kosmos WHERE run_id IN temp.prune_del",
	    "DELETE FROM run_clusters WHERE run_id IN temp.prune_del",
	    "DELETE FROM runs WHERE id IN temp.prune_del",
	    "DELETE " PRUNE_NODES_WHERE,
	};

	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		if (step_done(st, store_prepare(st, sql[i], err), "prune: delete", err) < 0)
			return -1;
		/* The exact row count (the counter the estimate came from could be off in a
		 * store written by hand). */
		if (i == 0)
			rep->results = sqlite3_changes64(st->db);
	}
	return 0;
}

/* VACUUM rewrites the file without the free pages. Its copy of the database goes to a
 * temporary file (not memory, where walks keep their temp tables), and in WAL mode the new
 * content passes through the WAL, so the WAL is checkpointed and truncated afterwards. */
static int prune_vacuum(struct store *st, struct store_prune_report *rep, struct err *err)
{
	int rc;

	sqlite3_exec(st->db, "PRAGMA temp_store = FILE", NULL, NULL, NULL);
	rc = sqlite3_exec(st->db, "VACUUM", NULL, NULL, NULL);
	sqlite3_exec(st->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		rep->vacuum_busy = true;
		return 0;
	}
	/* The runs are gone (committed); only the copy did not fit. The deletes still sit in
	 * the WAL: moved into the file (whose pages they reuse), they give that space back. */
	if ((rc & 0xff) == SQLITE_FULL) {
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		rep->vacuum_full = true;
		return 0;
	}
	if (rc != SQLITE_OK)
		return store_fail(st, err, "vacuum after prune");
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	rep->vacuumed = true;
	return 0;
}

int store_prune(struct store *st, const struct store_prune_opts *o, struct store_prune_report *rep,
		struct err *err)
{
	int rc = -1;

	*rep = (struct store_prune_report){0};
	if (!o->by_count && !o->by_age)
		return err_set(err, ERR_USAGE, "prune: no rule (keep N or older than)");
	st->full = false;
	rep->bytes_before = file_bytes(st->path);
	if (store_runs_reap(st, err) < 0)
		return -1;
	/* A dry run reads one snapshot; a real one holds the write lock from the choice to
	 * the delete, so no run can start resuming a run being deleted in between. */
	if (o->dry_run ? store_exec(st, "BEGIN", err) : store_begin(st, err))
		return -1;
	if (prune_select(st, o, err) < 0 || prune_count(st, rep, err) < 0)
		goto out;
	if (!o->dry_run && rep->runs > 0 && prune_delete(st, rep, err) < 0)
		goto out;
	rc = 0;
out:
	store_exec(st, "DELETE FROM temp.prune_rule; DELETE FROM temp.prune_del",
		   &(struct err)ERR_INIT);
	if (rc < 0 || o->dry_run) {
		store_rollback(st);
	} else if (store_commit(st, err) < 0) {
		rc = -1;
	} else if (rep->runs > 0 && !o->no_vacuum) {
		rc = prune_vacuum(st, rep, err);
	}
	rep->bytes_after = file_bytes(st->path);
	if (rc < 0 && st->full)
		err_set(err, ERR_STORE,
			"prune: database or disk is full: deleting runs writes a journal next to "
			"the store %s, up to the size of what goes: free that much on its file "
			"system first, or copy the store where there is room and prune the copy "
			"(--db FILE)",
			st->path);
	return rc;
}

int64_t store_runs_prune(struct store *st, size_t keep, struct err *err)
{
	struct store_prune_opts o = {.by_count = true, .keep = keep};
	struct store_prune_report rep;

	return store_prune(st, &o, &rep, err) < 0 ? -1 : rep.runs;
}

int64_t store_runs_prune_before(struct store *st, int64_t before_ms, struct err *err)
{
	struct store_prune_opts o = {.by_age = true, .since_ms = before_ms};
	struct store_prune_report rep;

	return store_prune(st, &o, &rep, err) < 0 ? -1 : rep.runs;
}

int64_t store_size_bytes(struct store *st)
{
	return file_bytes(st->path);
}

int64_t store_runs_count(struct store *st, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT count(*) FROM runs", err);
	int64_t n = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_fail(st, err, "count runs");
	sqlite3_finalize(s);
	return n;
}

int store_checkpoint(struct store *st, struct err *err)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	/* a reader in another process holds the WAL: the next checkpoint gets it */
	if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 0;
	return store_fail(st, err, "checkpoint");
}
