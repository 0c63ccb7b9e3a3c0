/* Unit tests of src/store against real SQLite files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "embed.h"
#include "store.h"

extern const struct embedded_file netctl_schema_files[];
int store_migrate_db(sqlite3 *db, int version, struct err *err);

struct fx {
	char dir[64];
	char *path;
	struct store *st;
	int64_t east, west;
	int64_t e[4], w[4]; /* node ids */
};

/* ---- fixture helpers ----------------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	str_copy(f->dir, sizeof(f->dir), "/tmp/netctl-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = xasprintf("%s/netctl.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->path);
	free(f);
	return 0;
}

static void open_store(struct fx *f)
{
	struct err err = ERR_INIT;

	f->st = store_open(f->path, &err);
	if (!f->st)
		fail_msg("store_open: %s", err.msg);
}

/* Two clusters of 4 nodes each, registered and given node ids through a first run. */
static void open_world(struct fx *f)
{
	struct err err = ERR_INIT;

	open_store(f);
	assert_int_equal(store_cluster_add(f->st, "east", "/k/east", NULL, &f->east, &err), 0);
	assert_int_equal(store_cluster_add(f->st, "west", "/k/west", "admin", &f->west, &err), 0);
}

static int64_t begin_run(struct fx *f, int64_t parent, unsigned protocols)
{
	struct store_run_cluster cl[] = {{f->east, STORE_ROLE_SRC}, {f->west, STORE_ROLE_DST}};
	struct store_run_spec spec = {
	    .parent_id = parent,
	    .options_json = "{\"count\":3}",
	    .protocols = protocols,
	    .families = STORE_FAMILY_V4,
	    .networks = 1u << STORE_NET_POD,
	    .clusters = cl,
	    .n_clusters = 2,
	    .planned = 16,
	};
	struct store_node nodes[8];
	char names[8][32];
	struct err err = ERR_INIT;
	int64_t id = store_run_begin(f->st, &spec, &err);

	if (id <= 0)
		fail_msg("store_run_begin: %s", err.msg);
	for (int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%d", i < 4 ? "e" : "w", i % 4);
		nodes[i] = (struct store_node){
		    .cluster_id = i < 4 ? f->east : f->west,
		    .name = names[i],
		    .pod_ipv4 = "198.18.1.1",
		    .pod_ipv6 = i == 0 ? NULL : "fd00::1",
		    .floater = STORE_FLOATER_READY,
		};
	}
	if (store_run_nodes_add(f->st, id, nodes, 8, &err) < 0)
		fail_msg("store_run_nodes_add: %s", err.msg);
	for (int i = 0; i < 4; i++) {
		f->e[i] = nodes[i].id;
		f->w[i] = nodes[4 + i].id;
	}
	return id;
}

static struct store_result res(int64_t src, int64_t dst, int error, uint32_t rtt)
{
	return (struct store_result){
	    .src_node = src,
	    .dst_node = dst,
	    .protocol = PROTO_TCP,
	    .family = 4,
	    .network = STORE_NET_POD,
	    .error = (uint8_t)error,
	    .sent = 3,
	    .received = error == PROBE_OK ? 3 : 0,
	    .rtt_min_us = error == PROBE_OK ? rtt - 10 : 0,
	    .rtt_avg_us = error == PROBE_OK ? rtt : 0,
	    .rtt_max_us = error == PROBE_OK ? rtt + 10 : 0,
	    .rtt_p99_us = error == PROBE_OK ? rtt + 10 : 0,
	};
}

static void add(struct fx *f, int64_t run, const struct store_result *rows, size_t n)
{
	struct err err = ERR_INIT;

	if (store_results_add(f->st, run, rows, n, &err) < 0)
		fail_msg("store_results_add: %s", err.msg);
}

static void finish(struct fx *f, int64_t run)
{
	struct err err = ERR_INIT;

	assert_int_equal(store_run_finish(f->st, run, STORE_RUN_DONE, &err), 0);
}

static char *read_file(const char *path, size_t *len)
{
	struct buf b;
	struct err err = ERR_INIT;

	buf_init(&b, 0);
	assert_int_equal(file_read_all(path, 64 << 20, &b, &err), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void sql(const char *path, const char *text)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", text, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* ---- opening, paths, migrations ------------------------------------------------------------ */

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
		buf_printf(&b, "%s %s %s\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
			   sqlite3_column_text(s, 2));
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
		"networks, compare_key, options, last_write_ms, owner_pid, owner_boot, owner_start) "
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
		assert_int_equal(store_run_nodes_foreach(st, run, not_ready_cb, &seen[run - 1], &err),
				 0);
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
			sql(path, text);
			free(text);
			free(part);
		}
		sql(path, pragmas);
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

	open_world(f);
	store_close(f->st);
	f->st = NULL;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", store_schema_version() + 1);
	sql(f->path, pragma);
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
	sql(other, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)");
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

/* ---- clusters ------------------------------------------------------------------------------ */

static int list_names(const struct store_cluster *c, void *ctx)
{
	buf_printf(ctx, "%s=%s%s%s;", c->name, c->kubeconfig, c->context ? "@" : "",
		   c->context ? c->context : "");
	return 0;
}

static void test_clusters_add_list_remove(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_cluster *c;
	struct buf b;
	int64_t id;

	open_world(f);
	assert_int_equal(store_cluster_add(f->st, "east", "/x", NULL, &id, &err), -1);
	assert_int_equal(err.code, ERR_EXISTS);
	assert_int_equal(store_cluster_add(f->st, "", "/x", NULL, &id, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	buf_init(&b, 0);
	assert_int_equal(store_cluster_list(f->st, list_names, &b, &err), 0);
	assert_string_equal(b.data, "east=/k/east;west=/k/west@admin;");
	c = store_cluster_get(f->st, "west", &err);
	assert_non_null(c);
	assert_int_equal(c->id, f->west);
	assert_string_equal(c->context, "admin");
	assert_true(c->added_ms > 0);
	store_cluster_free(c);

	assert_int_equal(store_cluster_remove(f->st, "west", &err), 0);
	assert_null(store_cluster_get(f->st, "west", &err));
	assert_int_equal(err.code, ERR_NOTFOUND);
	assert_int_equal(store_cluster_remove(f->st, "west", &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	buf_reset(&b);
	assert_int_equal(store_cluster_list(f->st, list_names, &b, &err), 0);
	assert_string_equal(b.data, "east=/k/east;");
	/* Added again: same id, so its nodes and past runs line up. */
	assert_int_equal(store_cluster_add(f->st, "west", "/k/new", NULL, &id, &err), 0);
	assert_int_equal(id, f->west);
	buf_release(&b);
}

/* ---- runs and results ---------------------------------------------------------------------- */

static int collect_rows(const struct store_result_row *row, void *ctx)
{
	buf_printf(ctx, "%s/%s>%s/%s %s %s %u;", row->src_cluster, row->src_name, row->dst_cluster,
		   row->dst_name, probe_protocol_name(row->r.protocol),
		   probe_error_name(row->r.error), row->r.rtt_avg_us);
	return 0;
}

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

	open_world(f);
	run = begin_run(f, 0, (1u << PROTO_TCP) | (1u << PROTO_ICMP));
	/* Written out of key order: the walk returns key order. */
	rows[0] = res(f->e[1], f->w[0], PROBE_OK, 500);
	rows[1] = res(f->e[0], f->w[1], PROBE_TIMEOUT, 0);
	rows[2] = res(f->e[0], f->w[0], PROBE_OK, 300);
	rows[2].protocol = PROTO_ICMP;
	add(f, run, rows, 3);
	/* A retry replaces the key: counters stay exact. */
	rows[1] = res(f->e[0], f->w[1], PROBE_OK, 700);
	add(f, run, &rows[1], 1);
	/* A batch with one bad row stores nothing. */
	rows[0] = res(f->e[2], f->w[2], PROBE_OK, 1);
	bad = res(f->e[3], f->w[3], PROBE_OK, 1);
	bad.family = 5;
	rows[1] = bad;
	assert_int_equal(store_results_add(f->st, run, rows, 2, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_int_equal(store_results_add(f->st, 9999, rows, 1, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	finish(f, run);

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
	assert_int_equal(store_results_foreach(f->st, run, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-0 icmp ok 300;"
				    "east/e-0>west/w-1 tcp ok 700;"
				    "east/e-1>west/w-0 tcp ok 500;");
	buf_release(&b);
	assert_null(store_run_get(f->st, 4242, &err));
	assert_int_equal(err.code, ERR_NOTFOUND);
}

/* Every key of the 4 x 4 world: 16 pairs x 3 protocols x 2 families x 4 networks. */
static struct store_result key_row(struct fx *f, int k, int error)
{
	struct store_result r = res(f->e[k % 4], f->w[(k / 4) % 4], error, 100);

	r.protocol = (uint8_t)((k / 16) % 3);
	r.family = (k / 48) % 2 ? 6 : 4;
	r.network = (uint8_t)((k / 96) % 4);
	return r;
}

static int count_failed(const struct store_result_row *row, void *ctx)
{
	int *n = ctx;

	n[0]++;
	n[1] += row->r.error != PROBE_OK;
	n[2] += row->r.rtt_avg_us == 777;
	return 0;
}

/* Large batches (written many rows per statement) that repeat keys, within a batch and
 * across batches, still store one row per key, the last one, with exact counters. */
static void test_large_batches_with_repeated_keys(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {0};
	struct store_result rows[300];
	struct store_run_info *r;
	int64_t run;
	int seen[3] = {0, 0, 0};

	open_world(f);
	run = begin_run(f, 0, 7);
	for (int k = 0; k < 200; k++)
		rows[k] = key_row(f, k, k % 10 ? PROBE_OK : PROBE_TIMEOUT); /* 20 failed */
	add(f, run, rows, 200);
	/* 100 new keys, then keys 0..99 again: all passing now; key 250 twice, failing last. */
	for (int k = 0; k < 100; k++) {
		rows[k] = key_row(f, 200 + k, PROBE_OK);
		rows[100 + k] = key_row(f, k, PROBE_OK);
		rows[100 + k].rtt_avg_us = 777;
	}
	rows[200] = key_row(f, 250, PROBE_REFUSED);
	add(f, run, rows, 201);
	r = store_run_get(f->st, run, &err);
	assert_non_null(r);
	assert_int_equal(r->results, 300);
	assert_int_equal(r->failed, 10 + 1); /* keys 100..199 with k % 10 == 0, and key 250 */
	store_run_info_free(r);
	assert_int_equal(store_results_foreach(f->st, run, &q, count_failed, seen, &err), 0);
	assert_int_equal(seen[0], 300);
	assert_int_equal(seen[1], 11);
	assert_int_equal(seen[2], 100); /* every repeated key holds its last row */
}

static int collect_nodes(const struct store_run_node *n, void *ctx)
{
	buf_printf(ctx, "%s/%s %s %s %s;", n->cluster_name, n->node.name,
		   n->node.pod_ipv4 ? n->node.pod_ipv4 : "-",
		   n->node.pod_ipv6 ? n->node.pod_ipv6 : "-",
		   store_floater_state_name(n->node.floater));
	return n->node.name[2] == '1'; /* stop after the second node */
}

static void test_run_nodes_are_stable_and_listed(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	int64_t first[4], r2;
	struct buf b;

	open_world(f);
	begin_run(f, 0, 1u << PROTO_TCP);
	memcpy(first, f->e, sizeof(first));
	r2 = begin_run(f, 0, 1u << PROTO_TCP);
	assert_memory_equal(first, f->e, sizeof(first));
	assert_int_equal(store_run_node_set_floater(f->st, r2, f->e[1], STORE_FLOATER_LOST, &err),
			 0);
	buf_init(&b, 0);
	assert_int_equal(store_run_nodes_foreach(f->st, r2, collect_nodes, &b, &err), 0);
	assert_string_equal(b.data,
			    "east/e-0 198.18.1.1 - ready;east/e-1 198.18.1.1 fd00::1 lost;");
	buf_release(&b);
}

/* ---- history ------------------------------------------------------------------------------- */

static int collect_history(const struct store_run_info *r, void *ctx)
{
	buf_printf(ctx, "%lld:%s:%s>%s:%lld/%lld;", (long long)r->id,
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

	open_world(f);
	r1 = begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = res(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = res(f->e[0], f->w[1], PROBE_REFUSED, 0);
	add(f, r1, rows, 2);
	finish(f, r1);
	assert_int_equal(store_cluster_add(f->st, "south", "/k/s", NULL, &south, &err), 0);
	solo.cluster_id = south;
	r2 = store_run_begin(f->st, &spec, &err);
	assert_true(r2 > 0);
	assert_int_equal(store_run_finish(f->st, r2, STORE_RUN_FAILED, &err), 0);
	r3 = begin_run(f, 0, 1u << PROTO_TCP);
	add(f, r3, rows, 1);

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

	open_world(f);
	mine = begin_run(f, 0, 1u << PROTO_TCP);
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
		struct store_result rows[2] = {res(f->e[0], f->e[1], PROBE_OK, 10),
					       res(f->e[1], f->e[0], PROBE_TIMEOUT, 0)};
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

	open_store(f);
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
	sql(f->path, "UPDATE runs SET owner_start = owner_start + 1 WHERE status = 'running'");
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
			rows[k] =
			    res(nodes[b].id, nodes[k / 4].id, k % 3 ? PROBE_OK : PROBE_RESET, 100);
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

	open_world(f);
	store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		kill_writer(f);
	assert_true(wait_rows(f->path, 3 * KILL_BATCH) >= 3 * KILL_BATCH);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	open_store(f);
	r = store_run_get(f->st, 1, &err);
	assert_non_null(r);
	assert_int_equal(r->status, STORE_RUN_INTERRUPTED);
	assert_int_equal(r->results % KILL_BATCH, 0);
	assert_true(r->results >= 3 * KILL_BATCH);
	assert_int_equal(store_results_foreach(f->st, 1, &q, count_failed, seen, &err), 0);
	assert_int_equal(seen[0], r->results);
	assert_int_equal(seen[1], r->failed);
	assert_int_equal(r->failed, r->results / KILL_BATCH * ((KILL_BATCH + 2) / 3));
	store_run_info_free(r);
}

/* ---- diff ---------------------------------------------------------------------------------- */

struct diff_log {
	struct buf rows;
	struct buf groups;
};

static int diff_row(const struct store_diff_row *row, void *ctx)
{
	struct diff_log *l = ctx;

	buf_printf(&l->rows, "%s %s>%s", store_diff_kind_name(row->kind), row->src_name,
		   row->dst_name);
	if (row->a)
		buf_printf(&l->rows, " a=%s", probe_error_name(row->a->error));
	if (row->b)
		buf_printf(&l->rows, " b=%s", probe_error_name(row->b->error));
	buf_puts(&l->rows, ";");
	return 0;
}

static int diff_group(const struct store_diff_counts *g, void *ctx)
{
	struct diff_log *l = ctx;

	buf_printf(&l->groups, "%s>%s reg=%lld rec=%lld same=%lld;", g->src_cluster, g->dst_cluster,
		   (long long)g->n[STORE_DIFF_REGRESSION], (long long)g->n[STORE_DIFF_RECOVERY],
		   (long long)g->n[STORE_DIFF_SAME]);
	return 0;
}

static void test_diff_kinds_on_hand_made_runs(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_opts opts = {.rtt_abs_us = 1000, .rtt_pct = 50};
	struct store_diff_summary sum;
	struct diff_log l;
	int64_t a, b;

	open_world(f);
	a = begin_run(f, 0, 1u << PROTO_TCP);
	{
		struct store_result rows[] = {
		    res(f->e[0], f->w[0], PROBE_OK, 100),    /* same */
		    res(f->e[0], f->w[1], PROBE_OK, 100),    /* regression */
		    res(f->e[0], f->w[2], PROBE_TIMEOUT, 0), /* recovery */
		    res(f->e[0], f->w[3], PROBE_REFUSED, 0), /* still failing */
		    res(f->e[1], f->w[0], PROBE_OK, 100),    /* vanished */
		    res(f->e[2], f->w[0], PROBE_OK, 1000),   /* rtt change */
		    res(f->e[2], f->w[1], PROBE_OK, 1000),   /* small rtt change: same */
		};
		add(f, a, rows, ARRAY_SIZE(rows));
	}
	finish(f, a);
	b = begin_run(f, 0, 1u << PROTO_TCP);
	{
		struct store_result rows[] = {
		    res(f->e[0], f->w[0], PROBE_OK, 120),
		    res(f->e[0], f->w[1], PROBE_UNREACHABLE, 0),
		    res(f->e[0], f->w[2], PROBE_OK, 100),
		    res(f->e[0], f->w[3], PROBE_TIMEOUT, 0),
		    res(f->e[2], f->w[0], PROBE_OK, 2500),
		    res(f->e[2], f->w[1], PROBE_OK, 1400),
		    res(f->e[3], f->w[3], PROBE_OK, 100), /* new */
		};
		add(f, b, rows, ARRAY_SIZE(rows));
	}
	finish(f, b);

	buf_init(&l.rows, 0);
	buf_init(&l.groups, 0);
	assert_int_equal(store_diff(f->st, a, b, &opts, diff_row, diff_group, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "regression e-0>w-1 a=ok b=unreachable;"
					 "recovery e-0>w-2 a=timeout b=ok;"
					 "still-failing e-0>w-3 a=refused b=timeout;"
					 "vanished e-1>w-0 a=ok;"
					 "rtt-change e-2>w-0 a=ok b=ok;"
					 "new e-3>w-3 b=ok;");
	assert_int_equal(sum.run_a, a);
	assert_int_equal(sum.run_b, b);
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 2);
	assert_int_equal(sum.total.n[STORE_DIFF_REGRESSION], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_RECOVERY], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_STILL_FAILING], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_NEW], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_VANISHED], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_RTT], 1);
	assert_string_equal(l.groups.data, "east>west reg=1 rec=1 same=2;");

	/* Only regressions streamed; counts unchanged. */
	buf_reset(&l.rows);
	opts = (struct store_diff_opts){.emit = 1u << STORE_DIFF_REGRESSION};
	assert_int_equal(store_diff(f->st, a, b, &opts, diff_row, NULL, &l, &sum, &err), 0);
	assert_string_equal(l.rows.data, "regression e-0>w-1 a=ok b=unreachable;");
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 3); /* RTT off: a pass is a pass */
	buf_release(&l.rows);
	buf_release(&l.groups);

	assert_int_equal(store_diff(f->st, a, 0, NULL, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_int_equal(store_diff(f->st, a, 777, NULL, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
}

static int diff_figures(const struct store_diff_row *row, void *ctx)
{
	struct buf *b = ctx;

	buf_printf(b, "%s>%s a=%u/%u %u-%u-%u-%u b=%s;", row->src_name, row->dst_name, row->a->sent,
		   row->a->received, row->a->rtt_min_us, row->a->rtt_avg_us, row->a->rtt_max_us,
		   row->a->rtt_p99_us, probe_error_name(row->b->error));
	return 0;
}

/* A diff walks keys only and looks the figures of the rows it hands out up: they must be
 * the stored ones; limit_per_kind caps the rows, never the counts. */
static void test_diff_limit_and_figures(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_opts opts = {.limit_per_kind = 2};
	struct store_diff_summary sum;
	struct store_result rows[3];
	struct buf b;
	int64_t ra, rb;

	open_world(f);
	ra = begin_run(f, 0, 1u << PROTO_TCP);
	for (int i = 0; i < 3; i++)
		rows[i] = res(f->e[i], f->w[0], PROBE_OK, (uint32_t)(1000 * (i + 1)));
	add(f, ra, rows, 3);
	finish(f, ra);
	rb = begin_run(f, 0, 1u << PROTO_TCP);
	for (int i = 0; i < 3; i++)
		rows[i] = res(f->e[i], f->w[0], PROBE_RESET, 0);
	add(f, rb, rows, 3);
	finish(f, rb);
	buf_init(&b, 0);
	assert_int_equal(store_diff(f->st, ra, rb, &opts, diff_figures, NULL, &b, &sum, &err), 0);
	assert_string_equal(b.data, "e-0>w-0 a=3/3 990-1000-1010-1010 b=reset;"
				    "e-1>w-0 a=3/3 1990-2000-2010-2010 b=reset;");
	assert_int_equal(sum.total.n[STORE_DIFF_REGRESSION], 3);
	buf_reset(&b);
	opts.limit_per_kind = 0;
	assert_int_equal(store_diff(f->st, ra, rb, &opts, diff_figures, NULL, &b, &sum, &err), 0);
	assert_non_null(strstr(b.data, "e-2>w-0 a=3/3 2990-3000-3010-3010 b=reset;"));
	buf_release(&b);
}

static void test_diff_default_is_last_two_comparable_runs(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_diff_summary sum;
	int64_t a, b, r1, r2, r3, r4;

	open_world(f);
	r1 = begin_run(f, 0, 1u << PROTO_TCP);
	finish(f, r1);
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	r2 = begin_run(f, 0, 1u << PROTO_UDP); /* other protocols: not comparable */
	finish(f, r2);
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), -1);
	r3 = begin_run(f, 0, 1u << PROTO_TCP);
	finish(f, r3);
	r4 = begin_run(f, 0, 1u << PROTO_TCP); /* still running: not a candidate */
	assert_int_equal(store_diff_default_pair(f->st, &a, &b, &err), 0);
	assert_int_equal(a, r1);
	assert_int_equal(b, r3);
	assert_int_equal(store_diff(f->st, 0, 0, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.run_a, r1);
	assert_int_equal(sum.run_b, r3);
	(void)r4;
}

/* The failures of a run come from a key walk plus a lookup per failure: the figures must
 * be the stored ones, and in a merged view a failure a resume has since passed is gone. */
static void test_failed_only_walk(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.failed_only = true};
	struct store_result rows[3];
	struct buf b;
	int64_t p, c;

	open_world(f);
	p = begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = res(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = res(f->e[0], f->w[1], PROBE_OK, 700);
	rows[1].error = PROBE_LOSS;
	rows[1].received = 2;
	rows[2] = res(f->e[1], f->w[0], PROBE_REFUSED, 0);
	add(f, p, rows, 3);
	finish(f, p);
	c = begin_run(f, p, 1u << PROTO_TCP);
	rows[0] = res(f->e[1], f->w[0], PROBE_OK, 200);
	add(f, c, rows, 1);
	finish(f, c);

	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, p, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp loss 700;"
				    "east/e-1>west/w-0 tcp refused 0;");
	buf_reset(&b);
	q.merged = true;
	assert_int_equal(store_results_foreach(f->st, c, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp loss 700;");
	buf_release(&b);
}

static void count_warning(void *arg, const char *text)
{
	buf_printf(arg, "%s;", text);
}

/* A parent gone from the store (a file edited by hand): the merged view starts at the gap,
 * the store says so once through its warning callback, and nothing fails. */
static void test_chain_gap_warns_once(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.merged = true};
	struct buf rows, warnings;
	struct store_result r;
	char text[80];
	int64_t p, c;

	open_world(f);
	p = begin_run(f, 0, 1u << PROTO_TCP);
	finish(f, p);
	c = begin_run(f, p, 1u << PROTO_TCP);
	r = res(f->e[0], f->w[0], PROBE_OK, 100);
	add(f, c, &r, 1);
	finish(f, c);
	snprintf(text, sizeof(text), "UPDATE runs SET parent_id = 99 WHERE id = %lld", (long long)c);
	sql(f->path, text);

	buf_init(&rows, 0);
	buf_init(&warnings, 0);
	store_set_warn(f->st, count_warning, &warnings);
	for (int i = 0; i < 2; i++)
		assert_int_equal(store_results_foreach(f->st, c, &q, collect_rows, &rows, &err), 0);
	assert_string_equal(rows.data, "east/e-0>west/w-0 tcp ok 100;east/e-0>west/w-0 tcp ok 100;");
	snprintf(text, sizeof(text), "run %lld resumes run 99, which is no longer in the store",
		 (long long)c);
	assert_non_null(strstr(warnings.data, text));
	assert_int_equal(strchr(warnings.data, ';') - warnings.data + 1, (long)warnings.len);
	buf_release(&rows);
	buf_release(&warnings);
}

/* A resume holds only the re-probed pairs; read merged it is a whole run, and a diff
 * against its parent shows exactly the recoveries. */
static void test_resume_reads_merged(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_results_query q = {.merged = true, .failed_only = true};
	struct store_diff_summary sum;
	struct buf b;
	int64_t p, c, g;
	struct store_result rows[3];

	open_world(f);
	p = begin_run(f, 0, 1u << PROTO_TCP);
	rows[0] = res(f->e[0], f->w[0], PROBE_OK, 100);
	rows[1] = res(f->e[0], f->w[1], PROBE_TIMEOUT, 0);
	rows[2] = res(f->e[1], f->w[0], PROBE_AGENT_LOST, 0);
	add(f, p, rows, 3);
	finish(f, p);

	buf_init(&b, 0);
	assert_int_equal(store_results_foreach(f->st, p, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp timeout 0;"
				    "east/e-1>west/w-0 tcp agent-lost 0;");

	c = begin_run(f, p, 1u << PROTO_TCP);
	rows[0] = res(f->e[1], f->w[0], PROBE_OK, 200);
	add(f, c, rows, 1);
	finish(f, c);
	g = begin_run(f, c, 1u << PROTO_TCP);
	rows[0] = res(f->e[0], f->w[1], PROBE_OK, 300);
	add(f, g, rows, 1);
	finish(f, g);

	buf_reset(&b);
	q.failed_only = false;
	assert_int_equal(store_results_foreach(f->st, g, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-0 tcp ok 100;"
				    "east/e-0>west/w-1 tcp ok 300;"
				    "east/e-1>west/w-0 tcp ok 200;");
	buf_reset(&b);
	q.merged = false;
	assert_int_equal(store_results_foreach(f->st, g, &q, collect_rows, &b, &err), 0);
	assert_string_equal(b.data, "east/e-0>west/w-1 tcp ok 300;");
	buf_release(&b);

	assert_int_equal(store_diff(f->st, 0, 0, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.run_a, c);
	assert_int_equal(sum.run_b, g);
	assert_int_equal(store_diff(f->st, p, g, NULL, NULL, NULL, NULL, &sum, &err), 0);
	assert_int_equal(sum.total.n[STORE_DIFF_RECOVERY], 2);
	assert_int_equal(sum.total.n[STORE_DIFF_SAME], 1);
	assert_int_equal(sum.total.n[STORE_DIFF_VANISHED], 0);
	assert_int_equal(sum.total.n[STORE_DIFF_NEW], 0);
}

/* ---- groups, deletion ---------------------------------------------------------------------- */

static int collect_groups(const struct store_group *g, void *ctx)
{
	buf_printf(ctx, "%s>%s %s/%u n=%lld ok=%lld fail=%lld rx=%lld/%lld p50=%u p99=%u;",
		   g->src_cluster, g->dst_cluster, probe_protocol_name(g->protocol), g->family,
		   (long long)g->results, (long long)g->passed, (long long)g->failed,
		   (long long)g->received, (long long)g->sent, g->rtt_p50_us, g->rtt_p99_us);
	return 0;
}

static void test_group_summary(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_result rows[12];
	int n = 0;
	int64_t run;
	struct buf b;

	open_world(f);
	run = begin_run(f, 0, (1u << PROTO_TCP) | (1u << PROTO_ICMP));
	for (int d = 0; d < 4; d++)
		rows[n++] = res(f->e[0], f->w[d], PROBE_OK, (uint32_t)(100 * (d + 1)));
	rows[n++] = res(f->e[1], f->w[0], PROBE_TIMEOUT, 0);
	rows[n] = res(f->e[1], f->w[1], PROBE_OK, 50);
	rows[n++].protocol = PROTO_ICMP;
	rows[n] = res(f->w[1], f->e[1], PROBE_OK, 70);
	rows[n++].family = 6;
	add(f, run, rows, (size_t)n);
	finish(f, run);
	buf_init(&b, 0);
	assert_int_equal(store_run_groups(f->st, run, collect_groups, &b, &err), 0);
	assert_string_equal(b.data, "east>west icmp/4 n=1 ok=1 fail=0 rx=3/3 p50=50 p99=50;"
				    "east>west tcp/4 n=5 ok=4 fail=1 rx=12/15 p50=200 p99=400;"
				    "west>east tcp/6 n=1 ok=1 fail=0 rx=3/3 p50=70 p99=70;");
	buf_release(&b);
}

static void test_delete_and_prune(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_result row;
	struct store_run_info *r;
	int64_t r1, r2, r3, r4;

	open_world(f);
	r1 = begin_run(f, 0, 2);
	row = res(f->e[0], f->w[0], PROBE_TIMEOUT, 0);
	add(f, r1, &row, 1);
	finish(f, r1);
	r2 = begin_run(f, r1, 2); /* resume of r1 */
	finish(f, r2);
	r3 = begin_run(f, 0, 2);
	finish(f, r3);
	assert_int_equal(store_run_delete(f->st, r1, &err), 0);
	assert_null(store_run_get(f->st, r2, &err)); /* a resume goes with its parent */
	assert_int_equal(store_run_delete(f->st, r1, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	r = store_run_get(f->st, r3, &err);
	assert_non_null(r);
	store_run_info_free(r);

	r4 = begin_run(f, r3, 2);
	finish(f, r4);
	r1 = begin_run(f, 0, 2);
	finish(f, r1);
	/* Keep 1: the newest (r1) stays; r4 and its parent r3 go. */
	assert_int_equal(store_runs_prune(f->st, 1, &err), 2);
	assert_null(store_run_get(f->st, r3, &err));
	r = store_run_get(f->st, r1, &err);
	assert_non_null(r);
	store_run_info_free(r);
	/* Keep 1 of a resume: its parent is kept too. */
	r2 = begin_run(f, r1, 2);
	finish(f, r2);
	assert_int_equal(store_runs_prune(f->st, 1, &err), 0);
	/* By age: nothing started before the epoch; everything started before tomorrow
	 * but the running run r3 (and its parent r2, and r2's parent r1). */
	assert_int_equal(store_runs_prune_before(f->st, 0, &err), 0);
	r3 = begin_run(f, r2, 2);
	r4 = begin_run(f, 0, 2);
	finish(f, r4);
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

	open_world(f);
	r[1] = begin_run(f, 0, 2);
	for (int i = 0; i < BIG; i++) {
		snprintf(names[i], sizeof(names[i]), "gone-%d", i);
		big[i] = (struct store_node){.cluster_id = f->east, .name = names[i]};
	}
	assert_int_equal(store_run_nodes_add(f->st, r[1], big, BIG, &err), 0);
	for (int i = 0; i < BIG; i++)
		for (int j = 0; j < BIG; j++)
			rows[n++] = res(big[i].id, big[j].id, PROBE_OK, 100);
	add(f, r[1], rows, n);
	finish(f, r[1]);
	r[2] = begin_run(f, 0, 2);
	rows[0] = res(f->e[0], f->w[0], PROBE_TIMEOUT, 0);
	add(f, r[2], rows, 1);
	finish(f, r[2]);
	r[3] = begin_run(f, 0, 2);
	add(f, r[3], rows, 1);
	finish(f, r[3]);
	q = xasprintf("UPDATE runs SET started_ms = started_ms - 40 * 86400000 WHERE id <= %lld",
		      (long long)r[3]);
	sql(f->path, q);
	free(q);
	r[4] = begin_run(f, r[2], 2);
	rows[0] = res(f->e[0], f->w[0], PROBE_OK, 100);
	add(f, r[4], rows, 1);
	finish(f, r[4]);
	r[5] = begin_run(f, 0, 2);
	r[6] = begin_run(f, 0, 2);
	finish(f, r[6]);
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

	open_world(f);
	run = begin_run(f, 0, 2);
	sql(f->path, "UPDATE runs SET owner_boot = 'another-boot'");
	assert_int_equal(store_prune(f->st, &o, &rep, &err), 0);
	assert_int_equal(rep.runs, 1);
	assert_int_equal(rep.kept_running, 0);
	assert_false(run_exists(f, run));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_files_are_numbered_without_holes),
	    cmocka_unit_test_setup_teardown(test_migrates_from_every_earlier_version, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_released_schemas_migrate_to_current, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_v1_not_ready_names_carried_over, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_is_refused_and_untouched, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_and_corrupt_files_are_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_file_is_private_whatever_the_umask, setup,
					    teardown),
	    cmocka_unit_test(test_path_resolution_order),
	    cmocka_unit_test_setup_teardown(test_clusters_add_list_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_and_results_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_batches_with_repeated_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_run_nodes_are_stable_and_listed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_newest_first_with_counts_and_filter, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dead_owner_run_is_interrupted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigkill_mid_run_keeps_whole_batches, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_diff_kinds_on_hand_made_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_limit_and_figures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_diff_default_is_last_two_comparable_runs, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_only_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resume_reads_merged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_gap_warns_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_and_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_rules_add_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune_reaps_dead_runs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
