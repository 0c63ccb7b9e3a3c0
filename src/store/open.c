/* store: paths, opening, migrations, shared SQLite helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embed.h"
#include "store_int.h"

extern const struct embedded_file netctl_schema_files[];

/* "netc": marks the file as ours, so another application's SQLite file is refused. */
#define STORE_APPLICATION_ID  0x6e657463
#define STORE_BUSY_TIMEOUT_MS 10000
#define SQLITE_MAGIC	      "SQLite format 3"
/* Tuned with bench/store; see docs/decisions.md. */
#ifndef STORE_PAGE_SIZE
#define STORE_PAGE_SIZE 16384
#endif
#ifndef STORE_CACHE_KB
#define STORE_CACHE_KB 65536
#endif
/* Memory-mapped reads (up to SQLite's 2 GiB build limit): a fresh netctl process diffing
 * two 1M-row runs spends 0.7 s CPU instead of 1.0-1.1 s copying pages through read(). */
#ifndef STORE_MMAP_BYTES
#define STORE_MMAP_BYTES 2147418112
#endif
#ifndef STORE_SYNCHRONOUS
#define STORE_SYNCHRONOUS NORMAL
#endif
#define STR_(x) #x
#define STR(x)	STR_(x)

/* ---- helpers ---------------------------------------------------------------------------- */

/* Opening on a full disk fails growing the -shm file: an I/O error with ENOSPC. */
static bool db_full(sqlite3 *db)
{
	int rc = sqlite3_extended_errcode(db) & 0xff;

	return rc == SQLITE_FULL || (rc == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

/* The message names the file, and for a full disk says the ways out. */
int store_fail(struct store *st, struct err *err, const char *what)
{
	const char *msg = sqlite3_errmsg(st->db);

	st->full = db_full(st->db);
	if (st->full && (sqlite3_extended_errcode(st->db) & 0xff) != SQLITE_FULL)
		msg = "disk is full"; /* SQLite calls it "disk I/O error" */
	if (st->full)
		return err_set(err, ERR_STORE,
			       "%s%s%s: no room for the store %s: free space on its file "
			       "system, or use a store elsewhere (--db FILE or NETCTL_DB)",
			       what ? what : "", what ? ": " : "", msg, st->path);
	return err_set(err, ERR_STORE, "%s%s%s (store %s)", what ? what : "", what ? ": " : "", msg,
		       st->path);
}

static int db_exec(sqlite3 *db, const char *sql, struct err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return err_set(err, ERR_STORE, "%s", sqlite3_errmsg(db));
	return 0;
}

int store_exec(struct store *st, const char *sql, struct err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, NULL);
	return 0;
}

int store_begin(struct store *st, struct err *err)
{
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return err_prefix(err, "database busy or read-only");
	return 0;
}

int store_commit(struct store *st, struct err *err)
{
	if (store_exec(st, "COMMIT", err) < 0) {
		store_rollback(st);
		return err_prefix(err, "commit");
	}
	return 0;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_prepare_cached(struct store *st, sqlite3_stmt **stmt, const char *sql, struct err *err)
{
	if (*stmt) {
		sqlite3_reset(*stmt);
		sqlite3_clear_bindings(*stmt);
		return 0;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
		return store_fail(st, err, "prepare");
	return 0;
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql, struct err *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, err, "prepare");
		return NULL;
	}
	return s;
}

const char *store_col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

/* ---- paths -------------------------------------------------------------------------------- */

char *store_default_path(struct err *err)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home;

	/* The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/netctl/netctl.db", xdg);
	home = getenv("HOME");
	if (!home || !*home) {
		err_set(err, ERR_USAGE,
			"cannot find the store: neither XDG_DATA_HOME nor HOME is set "
			"(use --db or NETCTL_DB)");
		return NULL;
	}
	return xasprintf("%s/.local/share/netctl/netctl.db", home);
}

char *store_resolve_path(const char *flag_value, struct err *err)
{
	const char *env = getenv("NETCTL_DB");

	if (flag_value && *flag_value)
		return path_expand_home(flag_value, err);
	if (env && *env)
		return path_expand_home(env, err);
	return store_default_path(err);
}

/* ---- migrations ------------------------------------------------------------------------- */

/* Version of a migration file name "NNN_what.sql"; -1 when malformed. */
static int migration_version(const char *name)
{
	char *end;
	long v = strtol(name, &end, 10);

	if (end != name + 3 || *end != '_' || v <= 0)
		return -1;
	return (int)v;
}

int store_schema_version(void)
{
	int v = 0;

	/* Files are sorted by name and numbered 001, 002, ... without holes (a unit test
	 * checks it), so the last one is the version. */
	for (const struct embedded_file *f = netctl_schema_files; f->name; f++)
		v = migration_version(f->name);
	return v;
}

static int db_int_pragma(sqlite3 *db, const char *sql, int *out, struct err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return err_set(err, ERR_STORE, "%s", sqlite3_errmsg(db));
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		err_set(err, ERR_STORE, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return -1;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int migrate_one(sqlite3 *db, const struct embedded_file *f, int version, struct err *err)
{
	char pragma[64];
	int have;

	if (db_exec(db, "BEGIN IMMEDIATE", err) < 0)
		return err_prefix(err, "migration %s", f->name);
	/* Another process may have migrated while we waited for the lock. */
	if (db_int_pragma(db, "PRAGMA user_version", &have, err) < 0)
		goto fail;
	if (have >= version)
		return db_exec(db, "COMMIT", err);
	if (db_exec(db, f->data, err) < 0)
		goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	if (db_exec(db, pragma, err) < 0)
		goto fail;
	if (version == 1) {
		snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d",
			 STORE_APPLICATION_ID);
		if (db_exec(db, pragma, err) < 0)
			goto fail;
	}
	if (db_exec(db, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err_prefix(err, "migration %s", f->name);
}

int store_migrate_db(sqlite3 *db, int version, struct err *err)
{
	int have;

	if (db_int_pragma(db, "PRAGMA user_version", &have, err) < 0)
		return -1;
	for (const struct embedded_file *f = netctl_schema_files; f->name; f++) {
		int v = migration_version(f->name);

		if (v < 0)
			return err_set(err, ERR_INTERNAL, "bad migration name %s", f->name);
		if (v <= have || v > version)
			continue;
		if (migrate_one(db, f, v, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- opening ------------------------------------------------------------------------------ */

/* Creates the missing directories of dir as 0700 whatever the umask (path_mkdirs leaves
 * the umask in charge, and a umask that removes owner bits would leave us locked out). */
static int dirs_create(char *dir, struct err *err)
{
	for (char *s = dir + 1;; s++) {
		char c = *s;
		int rc = 0;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) == 0)
			rc = chmod(dir, 0700);
		else if (errno != EEXIST)
			rc = -1;
		if (rc < 0)
			err_set(err, ERR_IO, "cannot create directory %s: %s", dir,
				strerror(errno));
		*s = c;
		if (rc < 0)
			return -1;
		if (c == '\0')
			return 0;
	}
}

/* Creates the file 0600 (whatever the umask) and its directory 0700 when missing, and
 * refuses anything that is not empty or a SQLite file before SQLite touches it. */
static int file_prepare(const char *path, struct err *err)
{
	char head[16];
	struct stat sb;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd = -1, rc = -1;
	ssize_t n;

	if (slash && slash != dir) {
		*slash = '\0';
		if (dirs_create(dir, err) < 0)
			goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600) < 0) {
			err_set(err, ERR_IO, "cannot chmod %s: %s", path, strerror(errno));
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (errno != EEXIST) {
		err_set(err, ERR_IO, "cannot create the store %s: %s", path, strerror(errno));
		goto out;
	}
	/* O_NONBLOCK: a FIFO given as --db must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err_set(err, ERR_IO, "cannot open the store %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		err_set(err, ERR_STORE, "%s is not a netctl store (not a regular file)", path);
		goto out;
	}
	n = read(fd, head, sizeof(head));
	if (n < 0) {
		err_set(err, ERR_IO, "cannot read the store %s: %s", path, strerror(errno));
		goto out;
	}
	if (n != 0 && (n < (ssize_t)sizeof(head) || memcmp(head, SQLITE_MAGIC, 16) != 0)) {
		err_set(err, ERR_STORE, "%s is not a netctl store (not an SQLite database)", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* Refuses, without writing anything, a file that is another application's or newer. */
static int check_version(struct store *st, int *have, struct err *err)
{
	int app, tables;

	if (db_int_pragma(st->db, "PRAGMA application_id", &app, err) < 0 ||
	    db_int_pragma(st->db, "PRAGMA user_version", have, err) < 0 ||
	    db_int_pragma(st->db, "SELECT count(*) FROM sqlite_schema", &tables, err) < 0) {
		if (db_full(st->db))
			return store_fail(st, err, "open");
		return err_prefix(err, "%s is not a usable netctl store", st->path);
	}
	if ((app != 0 && app != STORE_APPLICATION_ID) || (app == 0 && tables > 0))
		return err_set(err, ERR_STORE,
			       "%s is an SQLite database of another application, not a netctl "
			       "store",
			       st->path);
	if (*have > store_schema_version())
		return err_set(err, ERR_STORE,
			       "%s has schema version %d, written by a newer netctl; this netctl "
			       "knows up to version %d (upgrade netctl or use another --db)",
			       st->path, *have, store_schema_version());
	return 0;
}

static int configure(struct store *st, bool created, struct err *err)
{
	/* Larger pages: fewer page headers and B-tree levels for million-row runs
	 * (measured in bench/store); only effective before the first table exists. */
	if (created && store_exec(st, "PRAGMA page_size = " STR(STORE_PAGE_SIZE), err) < 0)
		return -1;
	/* WAL: readers (history in another terminal) never block the writer of a run.
	 * synchronous=NORMAL: in WAL mode a power loss may lose the last committed batches
	 * but never corrupts the file; a process crash loses nothing committed. */
	if (store_exec(st, "PRAGMA journal_mode = WAL", err) < 0 ||
	    store_exec(st, "PRAGMA synchronous = " STR(STORE_SYNCHRONOUS), err) < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", err) < 0 ||
	    store_exec(st, "PRAGMA cache_size = -" STR(STORE_CACHE_KB), err) < 0 ||
	    store_exec(st, "PRAGMA temp_store = MEMORY", err) < 0 ||
	    store_exec(st, "PRAGMA mmap_size = " STR(STORE_MMAP_BYTES), err) < 0)
		return err_prefix(err, "configure");
	return 0;
}

struct store *store_open(const char *path, struct err *err)
{
	struct store *st;
	struct stat sb;
	int have = 0;
	bool created;

	if (file_prepare(path, err) < 0)
		return NULL;
	created = stat(path, &sb) == 0 && sb.st_size == 0;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		err_set(err, ERR_STORE, "cannot open the store %s: %s", path,
			st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (check_version(st, &have, err) < 0)
		goto fail;
	if (configure(st, created, err) < 0)
		goto fail;
	if (have < store_schema_version() &&
	    store_migrate_db(st->db, store_schema_version(), err) < 0) {
		err_prefix(err, "%s", path);
		goto fail;
	}
	st->version = store_schema_version();
	if (store_runs_reap(st, err) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

int store_user_version(struct store *st)
{
	return st->version;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->ins_result);
	sqlite3_finalize(st->ins_results);
	sqlite3_finalize(st->old_result_error);
	sqlite3_finalize(st->upd_result);
	sqlite3_finalize(st->upd_run_counts);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

void store_set_warn(struct store *st, void (*warn)(void *arg, const char *text), void *arg)
{
	st->warn = warn;
	st->warn_arg = arg;
}
