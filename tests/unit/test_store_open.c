/* store: opening a store. Schema files and migrations from every earlier version, files
 * that are refused and left untouched, private permissions, where the store is looked for
 * (open.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embed.h"
#include "store_fixture.h"

extern const struct embedded_file netctl_schema_files[];
int store_migrate_db(sqlite3 *db, int version, struct err *err);

static char *read_file(const char *path, size_t *len)
{
	struct buf b;
	struct err err = ERR_INIT;

	buf_init(&b, 0);
	assert_int_equal(file_read_all(path, 64 << 20, &b, &err), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void test_schema_files_are_numbered_without_holes(void **state)
{
	int n = 0;

	for (const struct embedded_file *f = netctl_schema_files; f->name; f++) {
		char want[16];

		n++;
		snprintf(want, sizeof(want), "%03d_", n);
		assert_true(str_has_prefix(f->name, want));
		assert_true(str_has_suffix(f->name, ".sql"));
	}
	assert_true(n >= 1);
	assert_int_equal(store_schema_version(), n);
}

static char *schema_text(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT type, name, sql FROM sqlite_schema "
					    "ORDER BY type, name",
					    -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		(void)!buf_printf(&b, "%s %s %s\n", sqlite3_column_text(s, 0),
				  sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf_steal(&b);
}

/* A store written at each earlier version opens, migrates to the current version, keeps
 * its data, and ends with exactly the schema a new store gets. */
static void test_migrates_from_every_earlier_version(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char *fresh_path = xasprintf("%s/fresh.db", f->dir);
	char *fresh;
	struct store *st = store_open(fresh_path, &err);

	assert_non_null(st);
	store_close(st);
	fresh = schema_text(fresh_path);
	for (int v = 0; v < store_schema_version(); v++) {
		char *path = xasprintf("%s/v%d.db", f->dir, v);
		struct store_cluster *c;
		sqlite3 *db;
		char *got;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(store_migrate_db(db, v, &err), 0);
		if (v >= 1)
			assert_int_equal(sqlite3_exec(db,
						      "INSERT INTO clusters (name, kubeconfig, "
						      "added_ms) VALUES ('old', '/k', 1)",
						      NULL, NULL, NULL),
					 SQLITE_OK);
		sqlite3_close(db);
		st = store_open(path, &err);
		if (!st)
			fail_msg("open at version %d: %s", v, err.msg);
		assert_int_equal(store_user_version(st), store_schema_version());
		c = store_cluster_get(st, "old", &err);
		if (v >= 1) {
			assert_non_null(c);
			assert_string_equal(c->kubeconfig, "/k");
		} else {
			assert_null(c);
		}
		store_cluster_free(c);
		store_close(st);
		got = schema_text(path);
		assert_string_equal(got, fresh);
		free(got);
		free(path);
	}
	free(fresh);
	free(fresh_path);
}

struct not_ready_seen {
	char names[8][16];
	int n;
};

static int not_ready_cb(const struct store_run_node *rn, void *ctx)
{
	struct not_ready_seen *seen = ctx;

	if (rn->node.node_not_ready && seen->n < 8)
		snprintf(seen->names[seen->n++], sizeof(seen->names[0]), "%s", rn->node.name);
	return 0;
}

/* Version 1 named a run's NotReady nodes in its options JSON; migration 2 moves them into
 * run_nodes.node_ready, so old runs keep their node-not-ready verdicts. */
static void test_v1_not_ready_names_carried_over(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct not_ready_seen seen[3];
	struct store *st;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(store_migrate_db(db, 1, &err), 0);
	if (sqlite3_exec(
		db,
		"INSERT INTO clusters (id, name, kubeconfig, added_ms) VALUES (1, 'east', '/k', 1);"
		"INSERT INTO nodes (id, cluster_id, name) VALUES (1, 1, 'n1'), (2, 1, 'n2'), "
		"(3, 1, 'n3');"
		"INSERT INTO runs (id, started_ms, finished_ms, status, protocols, families, "
		"networks, compare_key, options, last_write_ms, owner_pid, owner_boot, "
		"owner_start) "
		"VALUES (1, 1, 2, 'done', 2, 1, 1, 'k', "
		"'{\"count\":3,\"nodes_not_ready\":[\"east/n2\",7,\"west/n3\"]}', 2, 1, 'b', 1),"
		"(2, 3, 4, 'done', 2, 1, 1, 'k', 'not json', 4, 1, 'b', 1),"
		"(3, 5, 6, 'done', 2, 1, 1, 'k', '{\"nodes_not_ready\":[\"east/n3\"]}', 6, 1, "
		"'b', 1);"
		"INSERT INTO run_nodes (run_id, node_id, floater) VALUES (1, 1, 1), (1, 2, 2), "
		"(1, 3, 1), (2, 1, 1), (2, 2, 1), (3, 3, 2);",
		NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	st = store_open(f->path, &err);
	if (!st)
		fail_msg("%s", err.msg);
	memset(seen, 0, sizeof(seen));
	for (int run = 1; run <= 3; run++)
		assert_int_equal(
		    store_run_nodes_foreach(st, run, not_ready_cb, &seen[run - 1], &err), 0);
	store_close(st);
	/* only the names of this run's own cluster and nodes; a malformed record: none */
	assert_int_equal(seen[0].n, 1);
	assert_string_equal(seen[0].names[0], "n2");
	assert_int_equal(seen[1].n, 0);
	assert_int_equal(seen[2].n, 1);
	assert_string_equal(seen[2].names[0], "n3");
}

/* Released migrations are kept as fixtures (tests/fixtures/store/vN.sql: what version N
 * added, frozen): a store made from v1..vN migrates to exactly the schema of a new store.
 * Editing a released migration instead of adding NNN_*.sql breaks this, as it would break
 * users' stores. */
static void test_released_schemas_migrate_to_current(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char *fresh_path = xasprintf("%s/fresh.db", f->dir);
	struct store *st = store_open(fresh_path, &err);
	char *fresh;

	assert_non_null(st);
	store_close(st);
	fresh = schema_text(fresh_path);
	for (int v = 1; v <= store_schema_version(); v++) {
		char *fixture = xasprintf("%s/store/v%d.sql", FIXTURES_DIR, v);
		char *path = xasprintf("%s/released%d.db", f->dir, v);
		char *pragmas = xasprintf("PRAGMA user_version = %d; PRAGMA application_id = %d;",
					  v, 0x6e657463);
		char *text, *got;
		size_t n;

		for (int w = 1; w <= v; w++) {
			char *part = xasprintf("%s/store/v%d.sql", FIXTURES_DIR, w);

			text = read_file(part, &n);
			fx_sql(path, text);
			free(text);
			free(part);
		}
		fx_sql(path, pragmas);
		st = store_open(path, &err);
		if (!st)
			fail_msg("store at released version %d: %s", v, err.msg);
		store_close(st);
		got = schema_text(path);
		if (strcmp(got, fresh) != 0)
			fail_msg(
			    "a store at released schema %d does not migrate to the current schema: "
			    "was a released schema/NNN_*.sql edited? (%s)",
			    v, fixture);
		free(got);
		free(pragmas);
		free(path);
		free(fixture);
	}
	free(fresh);
	free(fresh_path);
}

static void test_newer_schema_is_refused_and_untouched(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char pragma[64];
	char *before, *after;
	size_t nb, na;

	fx_open_world(f);
	store_close(f->st);
	f->st = NULL;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", store_schema_version() + 1);
	fx_sql(f->path, pragma);
	before = read_file(f->path, &nb);
	assert_null(store_open(f->path, &err));
	assert_int_equal(err.code, ERR_STORE);
	assert_non_null(strstr(err.msg, "newer netctl"));
	snprintf(pragma, sizeof(pragma), "version %d", store_schema_version() + 1);
	assert_non_null(strstr(err.msg, pragma));
	after = read_file(f->path, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

static void test_foreign_and_corrupt_files_are_refused(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char *other = xasprintf("%s/other.db", f->dir);
	const char junk[] = "this is a text file, not a database at all\n";
	int fd = open(f->path, O_WRONLY | O_CREAT, 0600);
	char *data;
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	close(fd);
	assert_null(store_open(f->path, &err));
	assert_int_equal(err.code, ERR_STORE);
	assert_non_null(strstr(err.msg, "not a netctl store"));
	data = read_file(f->path, &n);
	assert_int_equal(n, sizeof(junk) - 1);
	assert_memory_equal(data, junk, n);
	free(data);

	/* An SQLite header followed by garbage. */
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "SQLite format 3\0", 16), 16);
	for (int i = 0; i < 256; i++)
		assert_int_equal(write(fd, "\xff\x01garbage", 9), 9);
	close(fd);
	err_clear(&err);
	assert_null(store_open(f->path, &err));
	assert_int_equal(err.code, ERR_STORE);

	/* A directory or a FIFO (must not hang). */
	err_clear(&err);
	assert_null(store_open(f->dir, &err));
	assert_int_equal(err.code, ERR_STORE);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	err_clear(&err);
	assert_null(store_open(f->path, &err));
	assert_int_equal(err.code, ERR_STORE);
	assert_non_null(strstr(err.msg, "not a regular file"));

	/* Another application's SQLite database. */
	fx_sql(other, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)");
	err_clear(&err);
	assert_null(store_open(other, &err));
	assert_int_equal(err.code, ERR_STORE);
	assert_non_null(strstr(err.msg, "another application"));
	free(other);
}

static void check_private_store(const char *top, mode_t mask)
{
	struct err err = ERR_INIT;
	char *deep = xasprintf("%s/a/b/netctl.db", top);
	char *dir = xasprintf("%s/a/b", top);
	char *wal = xasprintf("%s-wal", deep);
	mode_t old = umask(mask);
	struct store *st = store_open(deep, &err);
	struct stat sb;
	int64_t id;

	umask(old);
	if (!st)
		fail_msg("umask %03o: %s", (unsigned)mask, err.msg);
	assert_int_equal(store_cluster_add(st, "c", "/k", NULL, &id, &err), 0);
	assert_int_equal(stat(deep, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	store_close(st);
	free(deep);
	free(dir);
	free(wal);
}

/* Permissive (0) or odd (0277: no owner write) umasks change nothing. */
static void test_file_is_private_whatever_the_umask(void **state)
{
	struct fx *f = *state;
	char *lax = xasprintf("%s/lax", f->dir), *odd = xasprintf("%s/odd", f->dir);

	check_private_store(lax, 0);
	check_private_store(odd, 0277);
	free(lax);
	free(odd);
}

static void test_path_resolution_order(void **state)
{
	struct err err = ERR_INIT;
	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	char *p;

	setenv("HOME", "/home/u", 1);
	setenv("XDG_DATA_HOME", "/data", 1);
	unsetenv("NETCTL_DB");
	p = store_default_path(&err);
	assert_string_equal(p, "/data/netctl/netctl.db");
	free(p);
	setenv("XDG_DATA_HOME", "relative/ignored", 1);
	p = store_default_path(&err);
	assert_string_equal(p, "/home/u/.local/share/netctl/netctl.db");
	free(p);
	unsetenv("XDG_DATA_HOME");
	p = store_resolve_path(NULL, &err);
	assert_string_equal(p, "/home/u/.local/share/netctl/netctl.db");
	free(p);
	setenv("NETCTL_DB", "~/env.db", 1);
	p = store_resolve_path("", &err);
	assert_string_equal(p, "/home/u/env.db");
	free(p);
	p = store_resolve_path("/flag.db", &err);
	assert_string_equal(p, "/flag.db");
	free(p);
	unsetenv("NETCTL_DB");
	unsetenv("HOME");
	assert_null(store_resolve_path(NULL, &err));
	assert_int_equal(err.code, ERR_USAGE);
	if (home)
		setenv("HOME", home, 1);
	free(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_files_are_numbered_without_holes),
	    cmocka_unit_test_setup_teardown(test_migrates_from_every_earlier_version, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_released_schemas_migrate_to_current, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_v1_not_ready_names_carried_over, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_is_refused_and_untouched, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_and_corrupt_files_are_refused, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_file_is_private_whatever_the_umask, fx_setup,
					    fx_teardown),
	    cmocka_unit_test(test_path_resolution_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
