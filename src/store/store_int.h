/* store internals shared by the files of src/store (not a public header). */
#ifndef NETCTL_STORE_INT_H
#define NETCTL_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Longest resume chain a merged view follows (a chain is a person's retries), and the
 * most runs a window merges (store_set_window). */
#define STORE_CHAIN_MAX 256

struct store {
	sqlite3 *db;
	char *path;
	int version;
	/* Statements reused by every result batch. */
	sqlite3_stmt *ins_result;
	sqlite3_stmt *ins_results; /* STORE_INSERT_ROWS rows at once */
	sqlite3_stmt *old_result_error;
	sqlite3_stmt *upd_result;
	sqlite3_stmt *upd_run_counts;
	bool full; /* the last error was a full disk (or SQLite's size limit) */
	void (*warn)(void *arg, const char *text); /* store_set_warn */
	void *warn_arg;
	bool chain_gap_warned;
	struct store_window window; /* store_set_window; zero: merged views follow chains */
};

/* Fills err with ERR_STORE, "what: sqlite message (store PATH)", or for a full disk what to
 * do about it; what may be NULL. Returns -1. */
int store_fail(struct store *st, struct err *err, const char *what);
/* Runs SQL without results; errors as store_fail. */
int store_exec(struct store *st, const char *sql, struct err *err);
int store_begin(struct store *st, struct err *err); /* BEGIN IMMEDIATE */
int store_commit(struct store *st, struct err *err);
void store_rollback(struct store *st);
/* Prepares sql into *stmt once (kept for the life of the store) or resets it. */
int store_prepare_cached(struct store *st, sqlite3_stmt **stmt, const char *sql, struct err *err);
/* One-shot statement. NULL and err on failure. */
sqlite3_stmt *store_prepare(struct store *st, const char *sql, struct err *err);
/* Text column as a const char * (NULL when SQL NULL). */
const char *store_col_text(sqlite3_stmt *s, int col);

int store_run_status_parse(const char *name);

/* Test hook: migrates a raw connection from its user_version up to `version`. */
int store_migrate_db(sqlite3 *db, int version, struct err *err);

/* ---- owner of a running run (owner.c) ------------------------------------------------- */

struct store_owner {
	long pid;
	char boot[64]; /* /proc/sys/kernel/random/boot_id */
	int64_t start; /* process start time, clock ticks since boot (-1: unknown) */
};

/* This process. */
void store_owner_self(struct store_owner *o);
/* Whether the process recorded as (pid, boot, start) still runs (not a zombie). */
bool store_owner_alive(long pid, const char *boot, int64_t start);

/* The resume chain of a run: ids[0] = run, ids[1] = parent, ...; returns the length. */
int store_run_chain(struct store *st, int64_t run_id, int64_t *ids, int max, struct err *err);
/* With a window set: run_id and the earlier comparable runs within it, newest first. */
bool store_window_set(const struct store *st);
int store_window_chain(struct store *st, int64_t run_id, int64_t *ids, int max, struct err *err);

/* ---- node/cluster names, loaded once per walk (the nodes table is small) --------------- */

struct store_names {
	int64_t n_nodes;       /* node ids are < n_nodes */
	char **node_name;      /* by node id, NULL for holes */
	int64_t *node_cluster; /* by node id */
	uint8_t *node_kind;    /* by node id: enum store_node_kind */
	int64_t n_clusters;
	char **cluster_name; /* by cluster id */
};

int store_names_load(struct store *st, struct store_names *nm, struct err *err);
void store_names_release(struct store_names *nm);
const char *store_names_node(const struct store_names *nm, int64_t node_id);
const char *store_names_cluster_of(const struct store_names *nm, int64_t node_id);
int64_t store_names_cluster_id(const struct store_names *nm, int64_t node_id);
enum store_node_kind store_names_kind(const struct store_names *nm, int64_t node_id);
const char *store_names_cluster(const struct store_names *nm, int64_t cluster_id);

/* Cluster id -> small local index over the clusters of some runs, then one index per
 * (cluster, pseudo-node kind) their node tables hold ("east:targets"), plus one spare index
 * (k) for nodes of a cluster those runs do not list. */
struct store_cmap {
	int64_t n_ids;
	int *local;			      /* by cluster id, -1 when not in the runs */
	int *local_kind[STORE_NODE_KIND_MAX]; /* [kind][cluster id] for pseudo-nodes; -1 */
	int64_t *ids;			      /* by local index */
	uint8_t *kinds;			      /* by local index */
	char **names;			      /* by local index: "CLUSTER:targets" (heap) */
	int k;				      /* indexes found */
	int spare;			      /* == k */
	int cap;
	const struct store_names *nm;
};

int store_cmap_load(struct store *st, const int64_t *runs, int n_runs, const struct store_names *nm,
		    struct store_cmap *m, struct err *err);
void store_cmap_release(struct store_cmap *m);
int store_cmap_of_node(const struct store_cmap *m, const struct store_names *nm, int64_t node_id);
const char *store_cmap_name(const struct store_cmap *m, const struct store_names *nm, int li);

/* ---- merged cursor over the results of a resume chain, in key order -------------------- */

struct store_key {
	int64_t src, dst;
	int proto, family, network;
};

struct store_run_cur {
	sqlite3_stmt *stmt;
	bool valid; /* stmt has a row */
	struct store_key key;
	int error;
};

/* What a key walk reads besides the key and the error (columns 6, 7, 8). */
enum store_key_extra {
	STORE_KEYS_ONLY = 0,
	STORE_KEYS_RTT,	   /* rtt_avg: a diff that compares RTTs */
	STORE_KEYS_COUNTS, /* rtt_avg, sent, received: summaries */
};

struct store_cursor {
	struct store_run_cur runs[STORE_CHAIN_MAX];
	int64_t run_ids[STORE_CHAIN_MAX];
	int n;
	int cur;      /* index of the run whose row is current, -1 before/after */
	bool pending; /* runs[cur] must step before the next row */
	/* A key walk reads only the key, the error and the columns of `extra` per step;
	 * store_cursor_row then looks the rest of the row up by its key. */
	bool keys_only;
	enum store_key_extra extra;
	sqlite3 *db;
	sqlite3_stmt *lookup;
};

int store_cursor_open(struct store *st, struct store_cursor *c, int64_t run_id, bool merged,
		      struct err *err);
/* A key walk, for a diff, a walk of the failures or a summary: reads half of the columns
 * per step (decoding columns is most of a walk's cost) and looks the figures up for the
 * rows store_cursor_row is asked for. */
int store_cursor_open_keys(struct store *st, struct store_cursor *c, int64_t run_id, bool merged,
			   enum store_key_extra extra, struct err *err);
/* 1 when a row is current, 0 at the end, -1 on error. */
int store_cursor_next(struct store *st, struct store_cursor *c, struct err *err);
const struct store_key *store_cursor_key(const struct store_cursor *c);
int store_cursor_error(const struct store_cursor *c);
int64_t store_cursor_run(const struct store_cursor *c);
uint32_t store_cursor_rtt_avg(struct store_cursor *c);
/* Probes sent and received of the current row of a STORE_KEYS_COUNTS walk. */
void store_cursor_counts(const struct store_cursor *c, uint32_t *sent, uint32_t *received);
/* Reads the full current row. */
void store_cursor_row(struct store_cursor *c, struct store_result *r);
void store_cursor_close(struct store_cursor *c);
int store_key_cmp(const struct store_key *a, const struct store_key *b);

#endif
