/* store: runs — begin/finish, marking runs of dead owners interrupted, history, lineage,
 * deletion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- runs of dead owners ---------------------------------------------------------------- */

int store_runs_reap(struct store *st, struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st, "SELECT id, owner_pid, owner_boot, owner_start FROM runs WHERE status = 'running'",
	    err);
	int64_t dead[256];
	int n = 0, rc = SQLITE_DONE;

	if (!s)
		return -1;
	/* Bounded per call: more than 256 dead runs at once is reaped over several opens. */
	while (n < (int)ARRAY_SIZE(dead) && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if (!store_owner_alive(sqlite3_column_int(s, 1), store_col_text(s, 2),
				       sqlite3_column_int64(s, 3)))
			dead[n++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(st, err, "find running runs");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	if (n == 0)
		return 0;
	s = store_prepare(st,
			  "UPDATE runs SET status = 'interrupted', finished_ms = last_write_ms "
			  "WHERE id = ?1 AND status = 'running'",
			  err);
	if (!s)
		return -1;
	for (int i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, dead[i]);
		if (sqlite3_step(s) != SQLITE_DONE) {
			store_fail(st, err, "mark interrupted run");
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	log_debug("store: %d run(s) of dead processes marked interrupted", n);
	return n;
}

/* ---- begin / finish ---------------------------------------------------------------------- */

struct key_cluster {
	char *name;
	unsigned roles;
};

static int key_cluster_cmp(const void *a, const void *b)
{
	return strcmp(((const struct key_cluster *)a)->name, ((const struct key_cluster *)b)->name);
}

/* Canonical text of what makes two runs comparable. */
static char *compare_key(struct store *st, const struct store_run_spec *sp, struct err *err)
{
	static const char *const roles[] = {"?", "src", "dst", "src+dst"};
	static const char *const families[] = {"4", "6"};
	struct key_cluster *kc = xcalloc(sp->n_clusters + 1, sizeof(*kc));
	sqlite3_stmt *s = store_prepare(st, "SELECT name FROM clusters WHERE id = ?1", err);
	char *key = NULL, *protos, *fams, *nets;
	struct buf b;

	buf_init(&b, 0);
	if (!s)
		goto out;
	for (size_t i = 0; i < sp->n_clusters; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, sp->clusters[i].cluster_id);
		if (sqlite3_step(s) != SQLITE_ROW) {
			err_set(err, ERR_NOTFOUND, "run: no cluster with id %lld",
				(long long)sp->clusters[i].cluster_id);
			goto out;
		}
		kc[i].name = xstrdup(store_col_text(s, 0));
		kc[i].roles = sp->clusters[i].roles & 3;
	}
	qsort(kc, sp->n_clusters, sizeof(*kc), key_cluster_cmp);
	(void)!buf_puts(&b, "clusters=");
	for (size_t i = 0; i < sp->n_clusters; i++)
		(void)!buf_printf(&b, "%s%s:%s", i ? "," : "", kc[i].name, roles[kc[i].roles]);
	protos = str_join_bits(sp->protocols, probe_protocol_names, PROTO_MAX, ",");
	fams = str_join_bits(sp->families, families, ARRAY_SIZE(families), ",");
	nets = str_join_bits(sp->networks, store_network_names, STORE_NET_MAX, ",");
	(void)!buf_printf(&b, ";protocols=%s;families=%s;networks=%s", protos, fams, nets);
	free(protos);
	free(fams);
	free(nets);
	key = buf_steal(&b);
out:
	for (size_t i = 0; i < sp->n_clusters; i++)
		free(kc[i].name);
	free(kc);
	buf_release(&b);
	sqlite3_finalize(s);
	return key;
}

static int spec_check(const struct store_run_spec *sp, struct err *err)
{
	if (sp->n_clusters == 0)
		return err_set(err, ERR_USAGE, "run: no cluster");
	if (!sp->protocols || sp->protocols >> PROTO_MAX)
		return err_set(err, ERR_USAGE, "run: bad protocol set %#x", sp->protocols);
	if (!sp->families || sp->families > 3)
		return err_set(err, ERR_USAGE, "run: bad family set %#x", sp->families);
	if (!sp->networks || sp->networks >> STORE_NET_MAX)
		return err_set(err, ERR_USAGE, "run: bad network set %#x", sp->networks);
	for (size_t i = 0; i < sp->n_clusters; i++)
		if (!(sp->clusters[i].roles & 3) || sp->clusters[i].roles > 3)
			return err_set(err, ERR_USAGE, "run: bad roles for a cluster");
	return 0;
}

static int run_insert(struct store *st, const struct store_run_spec *sp, const char *key,
		      int64_t *id, struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st,
	    "INSERT INTO runs (parent_id, started_ms, status, protocols, families, networks, "
	    "compare_key, options, planned, last_write_ms, owner_pid, owner_boot, owner_start) "
	    "VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?2, ?9, ?10, ?11)",
	    err);
	struct store_owner self;
	int64_t now = time_wall_ms();
	int rc = 0;

	if (!s)
		return -1;
	store_owner_self(&self);
	if (sp->parent_id > 0)
		sqlite3_bind_int64(s, 1, sp->parent_id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, (int)sp->protocols);
	sqlite3_bind_int(s, 4, (int)sp->families);
	sqlite3_bind_int(s, 5, (int)sp->networks);
	sqlite3_bind_text(s, 6, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, sp->options_json ? sp->options_json : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, sp->planned);
	sqlite3_bind_int64(s, 9, self.pid);
	sqlite3_bind_text(s, 10, self.boot, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 11, self.start);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			 ? err_set(err, ERR_NOTFOUND, "run: no parent run %lld",
				   (long long)sp->parent_id)
			 : store_fail(st, err, "add run");
	else
		*id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	return rc;
}

static int run_clusters_insert(struct store *st, int64_t id, const struct store_run_spec *sp,
			       struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st,
			  "INSERT INTO run_clusters (run_id, cluster_id, roles) "
			  "VALUES (?1, ?2, ?3) ON CONFLICT (run_id, cluster_id) DO UPDATE "
			  "SET roles = roles | excluded.roles",
			  err);
	int rc = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i < sp->n_clusters && rc == 0; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, sp->clusters[i].cluster_id);
		sqlite3_bind_int(s, 3, (int)sp->clusters[i].roles);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = store_fail(st, err, "add run cluster");
	}
	sqlite3_finalize(s);
	return rc;
}

int64_t store_run_begin(struct store *st, const struct store_run_spec *spec, struct err *err)
{
	int64_t id = -1;
	char *key;

	if (spec_check(spec, err) < 0)
		return -1;
	if (store_begin(st, err) < 0)
		return -1;
	key = compare_key(st, spec, err);
	if (!key || run_insert(st, spec, key, &id, err) < 0 ||
	    run_clusters_insert(st, id, spec, err) < 0 || store_commit(st, err) < 0) {
		store_rollback(st);
		id = -1;
	}
	free(key);
	return id;
}

static int run_update(struct store *st, const char *sql, int64_t run_id, int64_t v, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, sql, err);
	int rc = 0;

	if (!s)
		return -1;
	/* ?2 and ?3 are optional: binding an absent parameter is a harmless SQLITE_RANGE. */
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, v);
	sqlite3_bind_int64(s, 3, time_wall_ms());
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "update run");
	else if (sqlite3_changes(st->db) == 0)
		rc = err_set(err, ERR_NOTFOUND, "no run %lld", (long long)run_id);
	sqlite3_finalize(s);
	return rc;
}

int store_run_finish(struct store *st, int64_t run_id, enum store_run_status status,
		     struct err *err)
{
	static const char *const sql[] = {
	    [STORE_RUN_DONE] = "UPDATE runs SET status = 'done', finished_ms = ?3 "
			       "WHERE id = ?1",
	    [STORE_RUN_INTERRUPTED] = "UPDATE runs SET status = 'interrupted', "
				      "finished_ms = ?3 WHERE id = ?1",
	    [STORE_RUN_FAILED] = "UPDATE runs SET status = 'failed', finished_ms = ?3 "
				 "WHERE id = ?1",
	};

	if (status != STORE_RUN_DONE && status != STORE_RUN_INTERRUPTED &&
	    status != STORE_RUN_FAILED)
		return err_set(err, ERR_USAGE, "run %lld: cannot finish as %s", (long long)run_id,
			       store_run_status_name(status));
	return run_update(st, sql[status], run_id, 0, err);
}

int store_run_set_planned(struct store *st, int64_t run_id, int64_t planned, struct err *err)
{
	return run_update(st, "UPDATE runs SET planned = ?2 WHERE id = ?1", run_id, planned, err);
}

/* ---- reading runs -------------------------------------------------------------------------- */

#define RUN_NAMES(bit)                                                                             \
	"(SELECT group_concat(name, ',') FROM (SELECT c.name AS name FROM run_clusters rc "        \
	"JOIN clusters c ON c.id = rc.cluster_id WHERE rc.run_id = r.id AND rc.roles & " bit       \
	" ORDER BY c.name))"
#define RUN_COLS                                                                                   \
	"SELECT r.id, r.parent_id, r.started_ms, r.finished_ms, r.status, r.protocols, "           \
	"r.families, r.networks, r.options, r.compare_key, r.planned, r.results, "                 \
	"r.failed, " RUN_NAMES("1") ", " RUN_NAMES("2") " FROM runs r "

static void run_from_row(sqlite3_stmt *s, struct store_run_info *r)
{
	const char *src = store_col_text(s, 13), *dst = store_col_text(s, 14);

	r->id = sqlite3_column_int64(s, 0);
	r->parent_id = sqlite3_column_int64(s, 1);
	r->started_ms = sqlite3_column_int64(s, 2);
	r->finished_ms = sqlite3_column_int64(s, 3);
	r->status = (enum store_run_status)store_run_status_parse(store_col_text(s, 4));
	r->protocols = (unsigned)sqlite3_column_int(s, 5);
	r->families = (unsigned)sqlite3_column_int(s, 6);
	r->networks = (unsigned)sqlite3_column_int(s, 7);
	r->options_json = store_col_text(s, 8);
	r->compare_key = store_col_text(s, 9);
	r->planned = sqlite3_column_int64(s, 10);
	r->results = sqlite3_column_int64(s, 11);
	r->failed = sqlite3_column_int64(s, 12);
	r->src_clusters = src ? src : "";
	r->dst_clusters = dst ? dst : "";
}

struct store_run_info *store_run_get(struct store *st, int64_t run_id, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, RUN_COLS "WHERE r.id = ?1", err);
	struct store_run_info *r = NULL;
	int rc;

	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r = xcalloc(1, sizeof(*r));
		run_from_row(s, r);
		r->options_json = xstrdup(r->options_json);
		r->compare_key = xstrdup(r->compare_key);
		r->src_clusters = xstrdup(r->src_clusters);
		r->dst_clusters = xstrdup(r->dst_clusters);
	} else if (rc == SQLITE_DONE) {
		err_set(err, ERR_NOTFOUND, "no run %lld (see netctl history)", (long long)run_id);
	} else {
		store_fail(st, err, "get run");
	}
	sqlite3_finalize(s);
	return r;
}

void store_run_info_free(struct store_run_info *r)
{
	if (!r)
		return;
	free((char *)r->options_json);
	free((char *)r->compare_key);
	free((char *)r->src_clusters);
	free((char *)r->dst_clusters);
	free(r);
}

int store_history(struct store *st, const struct store_history_query *q,
		  int (*cb)(const struct store_run_info *r, void *ctx), void *ctx, struct err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (store_runs_reap(st, err) < 0)
		return -1;
	s = store_prepare(st,
			  RUN_COLS "WHERE ?1 IS NULL OR r.id IN (SELECT rc.run_id FROM "
				   "run_clusters rc JOIN clusters c ON c.id = rc.cluster_id "
				   "WHERE c.name = ?1) ORDER BY r.id DESC LIMIT ?2",
			  err);
	if (!s)
		return -1;
	if (q && q->cluster)
		sqlite3_bind_text(s, 1, q->cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q && q->limit ? (int64_t)q->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_run_info r;

		run_from_row(s, &r);
		if (cb(&r, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "history");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Once per store: the walks of one command each build the chain. */
static void chain_gap_warn(struct store *st, int64_t run_id, int64_t parent_id)
{
	char text[200];

	if (!st->warn || st->chain_gap_warned)
		return;
	st->chain_gap_warned = true;
	snprintf(text, sizeof(text),
		 "run %lld resumes run %lld, which is no longer in the store: its merged view "
		 "starts at run %lld",
		 (long long)run_id, (long long)parent_id, (long long)run_id);
	st->warn(st->warn_arg, text);
}

int store_run_chain(struct store *st, int64_t run_id, int64_t *ids, int max, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT parent_id FROM runs WHERE id = ?1", err);
	int n = 0, rc;

	if (!s)
		return -1;
	while (run_id > 0) {
		if (n == max) {
			err_set(err, ERR_LIMIT, "run %lld: resume chain longer than %d runs",
				(long long)ids[0], max);
			n = -1;
			break;
		}
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run_id);
		rc = sqlite3_step(s);
		/* netctl never deletes an ancestor of a kept run (foreign key; prune keeps
		 * chains whole), but a file edited by hand may lack one: the chain, and the
		 * merged view, then end at the gap instead of failing. */
		if (rc == SQLITE_DONE && n > 0) {
			chain_gap_warn(st, ids[n - 1], run_id);
			break;
		}
		if (rc != SQLITE_ROW) {
			if (rc == SQLITE_DONE)
				err_set(err, ERR_NOTFOUND, "no run %lld (see netctl history)",
					(long long)run_id);
			else
				store_fail(st, err, "resume chain");
			n = -1;
			break;
		}
		ids[n++] = run_id;
		run_id = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return n;
}

/* ---- deletion ---------------------------------------------------------------------------- */

static int run_delete_one(struct store *st, int64_t id, struct err *err)
{
	static const char *const sql[] = {
	    "DELETE FROM results WHERE run_id = ?1",
	    "DELETE FROM run_nodes WHERE run_id = ?1",
	    "DELETE FROM run_left_out WHERE run_id = ?1",
	    "DELETE FROM run_kosmos_nodes WHERE run_id = ?1",
	    "DELETE FROM run_kosmos WHERE run_id = ?1",
	    "DELETE FROM run_clusters WHERE run_id = ?1",
	    "DELETE FROM runs WHERE id = ?1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		sqlite3_stmt *s = store_prepare(st, sql[i], err);
		int rc;

		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return store_fail(st, err, "delete run");
	}
	return 0;
}

/* Deletes the runs a query lists, newest first (children before parents). */
static int64_t runs_delete_query(struct store *st, const char *sql, int64_t arg, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, sql, err);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int64_t done = -1;
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, arg);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ids = xgrow(ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, "list runs to delete");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (run_delete_one(st, ids[i], err) < 0)
			goto out;
	done = (int64_t)n;
out:
	free(ids);
	return done;
}

int store_run_delete(struct store *st, int64_t run_id, struct err *err)
{
	int64_t n;

	if (store_begin(st, err) < 0)
		return -1;
	n = runs_delete_query(st,
			      "WITH RECURSIVE d(id) AS (SELECT id FROM runs WHERE id = ?1 "
			      "UNION SELECT r.id FROM runs r JOIN d ON r.parent_id = d.id) "
			      "SELECT id FROM d ORDER BY id DESC",
			      run_id, err);
	if (n == 0)
		err_set(err, ERR_NOTFOUND, "no run %lld (see netctl history)", (long long)run_id);
	if (n <= 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}
