/* store: the SQLite store of clusters, runs, nodes and per-pair results.
 * The one public header of src/store. See docs/decisions.md, "Store schema".
 *
 * Conventions
 * - Functions return 0 (or a positive id, or a pointer) on success and -1 (or NULL) on
 *   failure, filling the caller's struct err (ERR_STORE for SQLite trouble, ERR_NOTFOUND,
 *   ERR_EXISTS, ERR_USAGE for bad arguments).
 * - Walks (`*_foreach`, history, diff) stream rows to a callback in a fixed order and never
 *   build the whole result set in memory. Pointers handed to a callback are valid only
 *   during that call. A callback returns 0 to go on and non-zero to stop early; the walk
 *   then returns 0 (stopping is not an error), -1 only on a store error. A walk reads one
 *   consistent snapshot; do not write through the same struct store from its callback.
 * - One struct store is used by one thread at a time.
 * - Node ids, cluster ids and run ids are stable for the life of the file, so the same
 *   (src node, dst node, protocol, family, network) key means the same pair in every run.
 */
#ifndef NETCTL_STORE_H
#define NETCTL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct store;

/* ---- opening ---------------------------------------------------------------------------- */

/* The schema version this binary writes (the highest NNN of schema/NNN_*.sql). */
int store_schema_version(void);

/* $XDG_DATA_HOME/netctl/netctl.db, or ~/.local/share/netctl/netctl.db. Heap string. */
char *store_default_path(struct err *err);
/* The one way to pick the database: flag_value (--db) when non-NULL and non-empty, else
 * $NETCTL_DB when set and non-empty, else store_default_path(). "~" is expanded. Heap. */
char *store_resolve_path(const char *flag_value, struct err *err);

/* Opens (creating when missing: parent directories 0700, file 0600 whatever the umask) and
 * migrates the database to store_schema_version(). A file written by a newer netctl, or
 * one that is not a netctl SQLite database, is refused with ERR_STORE and left untouched.
 * Runs left 'running' by a process that no longer exists are marked 'interrupted'. */
struct store *store_open(const char *path, struct err *err);
void store_close(struct store *st);
/* Where the store sends what deserves a warning but is not an error (a resume chain with a
 * gap); nothing is said without one. */
void store_set_warn(struct store *st, void (*warn)(void *arg, const char *text), void *arg);
/* The schema version of an open store (== store_schema_version() after store_open). */
int store_user_version(struct store *st);

/* ---- codes stored as small integers ----------------------------------------------------- */

/* protocol: enum probe_protocol (common.h); error: enum probe_error (common.h);
 * family: 4 or 6. A result passes when its error is PROBE_OK; anything else is a failure. */

enum store_network {
	STORE_NET_POD = 0,  /* pod IP -> pod IP */
	STORE_NET_HOST,	    /* node IP -> node IP (hostNetwork floaters) */
	STORE_NET_POD_HOST, /* pod IP -> node IP */
	STORE_NET_HOST_POD, /* node IP -> pod IP */
	STORE_NET_MAX
};
/* "pod", "host", "pod-host", "host-pod", indexed by enum store_network. */
extern const char *const store_network_names[STORE_NET_MAX];
const char *store_network_name(enum store_network n);
int store_network_parse(const char *name); /* -1 when unknown */

enum store_run_status {
	STORE_RUN_RUNNING = 0,
	STORE_RUN_DONE,
	STORE_RUN_INTERRUPTED,
	STORE_RUN_FAILED,
	STORE_RUN_STATUS_MAX
};
const char *store_run_status_name(enum store_run_status s); /* "running", "done", ... */

/* Role of a cluster in a run; a single-cluster mesh cluster is SRC | DST. */
enum store_role { STORE_ROLE_SRC = 1, STORE_ROLE_DST = 2 };

enum store_floater_state {
	STORE_FLOATER_UNKNOWN = 0,
	STORE_FLOATER_READY,	 /* a Ready floater ran on this node */
	STORE_FLOATER_NOT_READY, /* no Ready floater within the wait: its pairs are no-agent */
	STORE_FLOATER_LOST,	 /* the floater died or its request failed during the run */
	STORE_FLOATER_STATE_MAX
};
const char *store_floater_state_name(enum store_floater_state s);

/* Bit masks used in runs: protocols (1u << PROTO_*), families (STORE_FAMILY_*),
 * networks (1u << STORE_NET_*). */
#define STORE_FAMILY_V4 1u
#define STORE_FAMILY_V6 2u

/* ---- clusters (registered by name; kubeconfig path and context only, never secrets) ----- */

struct store_cluster {
	int64_t id;
	const char *name;
	const char *kubeconfig; /* path as given (absolute after the CLI resolves it) */
	const char *context;	/* NULL = the kubeconfig's current-context */
	int64_t added_ms;	/* Unix epoch ms */
	/* "REAL=GLOBAL[,...]" (docs/kosmos.md, "Global IP mapping"); NULL: none */
	const char *global_cidrs;
	/* imported from a Kosmos host cluster: kubeconfig/context are the host's, the member's
	 * own is read from its Cluster object at check time (docs/kosmos.md) */
	bool kosmos;
	const char *network_type; /* the Cluster's networkType; NULL: not said */
	/* the family checked when the check gives none: "ipv4", "ipv6", "all"; NULL: not said
	 * (ipFamily, or cluster add --ip-family; docs/kosmos.md) */
	const char *ip_family;
	/* imported with --write-kubeconfigs: the member's kubeconfig file (0600) the import
	 * wrote, read by checks instead of the Cluster object; NULL: none */
	const char *kubeconfig_file;
};

/* ERR_EXISTS when the name is registered. A name that was removed and is added again gets
 * its old id back, so node ids and diffs across the removal stay meaningful. */
int store_cluster_add(struct store *st, const char *name, const char *kubeconfig,
		      const char *context, int64_t *id_out, struct err *err);
/* Heap copy (free with store_cluster_free); NULL with ERR_NOTFOUND when not registered. */
struct store_cluster *store_cluster_get(struct store *st, const char *name, struct err *err);
void store_cluster_free(struct store_cluster *c);
/* Registered clusters by name. */
int store_cluster_list(struct store *st, int (*cb)(const struct store_cluster *c, void *ctx),
		       void *ctx, struct err *err);
/* Sets a registered cluster's global CIDR mapping (NULL or "": none). ERR_NOTFOUND when not
 * registered. */
int store_cluster_set_global_cidrs(struct store *st, const char *name, const char *global_cidrs,
				   struct err *err);
/* Marks a registered cluster as imported from Kosmos, with its networkType (NULL: none). */
int store_cluster_set_kosmos(struct store *st, const char *name, const char *network_type,
			     struct err *err);
/* Sets a registered cluster's IP family ("ipv4", "ipv6", "all"; NULL: not said). */
int store_cluster_set_ip_family(struct store *st, const char *name, const char *ip_family,
				struct err *err);
/* Sets the kubeconfig file an import wrote for a Kosmos member (NULL: none). */
int store_cluster_set_kubeconfig_file(struct store *st, const char *name, const char *path,
				      struct err *err);
/* Unregisters (past runs keep their history). ERR_NOTFOUND when not registered. */
int store_cluster_remove(struct store *st, const char *name, struct err *err);

/* ---- runs --------------------------------------------------------------------------------- */

struct store_run_cluster {
	int64_t cluster_id;
	unsigned roles; /* STORE_ROLE_* bits */
};

struct store_run_spec {
	int64_t parent_id;	  /* 0 = none; a resume names the run it resumes */
	const char *options_json; /* the effective options, as JSON text (no secrets) */
	unsigned protocols;	  /* 1u << PROTO_* bits */
	unsigned families;	  /* STORE_FAMILY_* bits */
	unsigned networks;	  /* 1u << STORE_NET_* bits */
	const struct store_run_cluster *clusters;
	size_t n_clusters;
	int64_t planned; /* result rows planned (pairs x protocols x families x networks) */
};

/* Starts a run with status 'running', owned by this process. Returns the run id (> 0) or -1.
 * Runs with the same clusters (and roles), protocols, families and networks share a
 * comparability key and are what `diff` compares by default. */
int64_t store_run_begin(struct store *st, const struct store_run_spec *spec, struct err *err);
/* Sets the final status (done, interrupted or failed) and the finish time. */
int store_run_finish(struct store *st, int64_t run_id, enum store_run_status status,
		     struct err *err);
/* Updates the planned row count (the engine may learn it after listing nodes). */
int store_run_set_planned(struct store *st, int64_t run_id, int64_t planned, struct err *err);

struct store_run_info {
	int64_t id;
	int64_t parent_id; /* 0 = none */
	int64_t started_ms;
	int64_t finished_ms; /* 0 while running or when the owner died */
	enum store_run_status status;
	unsigned protocols, families, networks;
	const char *src_clusters; /* comma list of cluster names, sorted */
	const char *dst_clusters;
	const char *options_json;
	const char *compare_key;
	int64_t planned;
	int64_t results; /* result rows stored */
	int64_t failed;	 /* of which error != PROBE_OK */
};

/* Heap copy of one run (free with store_run_info_free); NULL + ERR_NOTFOUND if absent. */
struct store_run_info *store_run_get(struct store *st, int64_t run_id, struct err *err);
void store_run_info_free(struct store_run_info *r);

struct store_history_query {
	const char *cluster; /* only runs involving this cluster name; NULL = all */
	size_t limit;	     /* 0 = no limit */
};

/* Runs newest first. */
int store_history(struct store *st, const struct store_history_query *q,
		  int (*cb)(const struct store_run_info *r, void *ctx), void *ctx, struct err *err);

/* Marks runs left 'running' by a dead owner as 'interrupted'; returns how many, or -1.
 * store_open already does this; long-lived callers may call it again. */
int store_runs_reap(struct store *st, struct err *err);

/* Deletes a run with its results and run_nodes, and its resumes (descendants), which mean
 * nothing without it. ERR_NOTFOUND when absent. */
int store_run_delete(struct store *st, int64_t run_id, struct err *err);
/* Retention. A run is kept when a rule given keeps it (rules add up: --keep 10 and
 * --older-than 30d keep the newest 10 and everything younger than 30 days), when it is
 * running with a live owner (runs of dead owners are reaped first), or when it is an
 * ancestor of a kept run: a resume reads through its whole chain, so a chain is never cut.
 * Everything else goes with its results, run_nodes and run_clusters, and so do node names
 * no remaining run uses; then the file is vacuumed and its WAL truncated. */
struct store_prune_opts {
	bool by_count; /* keep the newest `keep` finished runs (by id) */
	size_t keep;
	bool by_age; /* keep runs started at or after since_ms (Unix epoch ms) */
	int64_t since_ms;
	bool dry_run;	/* count what would go, change nothing (no vacuum) */
	bool no_vacuum; /* delete but leave the file size alone */
};

struct store_prune_report {
	int64_t runs;			   /* runs deleted (with dry_run: that would be) */
	int64_t results;		   /* their result rows */
	int64_t nodes;			   /* node names no remaining run uses */
	int64_t kept;			   /* runs left */
	int64_t kept_chain;		   /* of which kept only as ancestors of kept resumes */
	int64_t kept_running;		   /* of which running with a live owner */
	int64_t bytes_before, bytes_after; /* database file + WAL */
	bool vacuumed;
	bool vacuum_busy; /* another process held the database: deleted, not vacuumed */
	bool vacuum_full; /* no room for vacuum's copy of the file: deleted, not vacuumed */
};

/* 0 or -1. ERR_USAGE when no rule is given. The report is filled on success. */
int store_prune(struct store *st, const struct store_prune_opts *o, struct store_prune_report *rep,
		struct err *err);
/* store_prune by count / by age alone; the number of runs deleted, or -1. */
int64_t store_runs_prune(struct store *st, size_t keep, struct err *err);
int64_t store_runs_prune_before(struct store *st, int64_t before_ms, struct err *err);

/* Bytes of the database file plus its WAL. */
int64_t store_size_bytes(struct store *st);
/* Runs in the store, whatever their status; -1 on error. */
int64_t store_runs_count(struct store *st, struct err *err);
/* Moves the WAL into the database file and truncates it (a long-lived writer such as
 * `netctl watch` calls it after each run: the WAL would otherwise keep its largest size).
 * A reader in another process that holds the WAL is not an error: the next call does it. */
int store_checkpoint(struct store *st, struct err *err);

/* ---- nodes of a run ---------------------------------------------------------------------- */

/* A node row is a Kubernetes node, or a pseudo-node its cluster's nodes probe: a custom
 * target ("target:ADDR[:PORT]") or an address of the cluster's API server
 * ("apiserver:ADDR:PORT"). Pseudo-nodes have no floater and are never a source. */
enum store_node_kind {
	STORE_NODE = 0,
	STORE_NODE_TARGET,
	STORE_NODE_APISERVER,
	STORE_NODE_DNS, /* a DNS server asked for one name: "dns:SERVER/NAME[=ADDR]/TYPE" */
	STORE_NODE_KIND_MAX
};
/* "node", "target", "apiserver", "dns". */
const char *store_node_kind_name(enum store_node_kind k);
/* The suffix of a pseudo-node kind's group in reports and metrics ("east:targets",
 * "east:apiserver"); NULL for STORE_NODE. */
const char *store_node_kind_group(enum store_node_kind k);

struct store_node {
	int64_t id; /* out: the stable node id (per cluster + name), used in results */
	int64_t cluster_id;
	enum store_node_kind kind; /* recorded when the node is first seen */
	const char *name;
	const char *pod_ipv4, *pod_ipv6;   /* NULL when none */
	const char *host_ipv4, *host_ipv6; /* NULL when none */
	enum store_floater_state floater;
	bool node_not_ready; /* the Node's Ready condition was not True when the run listed it */
	/* the pod addresses other clusters probed (global IP mapping); NULL: the real ones */
	const char *pod_global_ipv4, *pod_global_ipv6;
};

/* Records the node table of a run (one transaction) and fills nodes[i].id. Adding a node
 * that the run already has updates its addresses and floater state. */
int store_run_nodes_add(struct store *st, int64_t run_id, struct store_node *nodes, size_t n,
			struct err *err);
/* Updates one node's floater state in a run (e.g. LOST mid-run). */
int store_run_node_set_floater(struct store *st, int64_t run_id, int64_t node_id,
			       enum store_floater_state state, struct err *err);

struct store_run_node {
	struct store_node node;
	const char *cluster_name;
};
/* Nodes of a run, ordered by cluster name then node name. */
int store_run_nodes_foreach(struct store *st, int64_t run_id,
			    int (*cb)(const struct store_run_node *n, void *ctx), void *ctx,
			    struct err *err);

/* ---- nodes a run left out on purpose ------------------------------------------------------- */

/* Why: the node got no floater and no pair (docs/usage.md, "Choosing nodes"). */
enum store_left_out_reason {
	STORE_LEFT_OUT_LABEL = 1, /* labelled kosmos.io/exclude (NetDoctor's rule) */
	STORE_LEFT_OUT_NAME,	  /* --exclude-node */
	STORE_LEFT_OUT_SELECTOR,  /* does not match --node-selector */
	STORE_LEFT_OUT_TAINT,	  /* a NoSchedule/NoExecute taint --tolerations does not cover */
	STORE_LEFT_OUT_REASON_MAX
};
/* "kosmos.io/exclude", "--exclude-node", "--node-selector", "taint"; "?" for others. */
const char *store_left_out_reason_name(enum store_left_out_reason r);

struct store_left_out {
	int64_t cluster_id;
	const char *name; /* node name */
	enum store_left_out_reason reason;
	const char *detail;	  /* the label's value, the taint as key=value:effect; NULL */
	const char *cluster_name; /* out (foreach only) */
	int64_t node_id;	  /* out */
};

/* Records the nodes a run left out (one transaction; a node given again is replaced). */
int store_run_left_out_add(struct store *st, int64_t run_id, struct store_left_out *nodes, size_t n,
			   struct err *err);
/* The nodes run_id left out, ordered by cluster name then node name (not merged: a resume
 * records its own). */
int store_run_left_out_foreach(struct store *st, int64_t run_id,
			       int (*cb)(const struct store_left_out *n, void *ctx), void *ctx,
			       struct err *err);

/* ---- what a run read from Kosmos (kosmos.c; docs/kosmos.md, "Gateway mode") --------------- */

/* A ClusterNode of an imported cluster, or a Node of it that has none (roles NULL). */
struct store_kosmos_node {
	const char *cluster;	  /* out (foreach only): the cluster's name */
	int64_t cluster_id;	  /* out (foreach only) */
	const char *node;	  /* spec.nodeName */
	const char *roles;	  /* spec.roles, comma separated; NULL: no ClusterNode */
	const char *finding;	  /* what it disagrees on with the Node; NULL: nothing */
	const char *network_type; /* out (foreach only): the cluster's in this run */
};

/* Records an imported cluster's network type (NULL: not said) and its ClusterNodes for a
 * run (one transaction; a cluster given again is replaced row by row). */
int store_run_kosmos_add(struct store *st, int64_t run_id, int64_t cluster_id,
			 const char *network_type, const struct store_kosmos_node *nodes, size_t n,
			 struct err *err);
/* The run's imported clusters by name, with their network type (NULL: not said). */
int store_run_kosmos_clusters(struct store *st, int64_t run_id,
			      int (*cb)(const char *cluster, const char *network_type, void *ctx),
			      void *ctx, struct err *err);
/* The run's ClusterNode rows, ordered by cluster name then node name. */
int store_run_kosmos_nodes(struct store *st, int64_t run_id,
			   int (*cb)(const struct store_kosmos_node *n, void *ctx), void *ctx,
			   struct err *err);
/* A gateway of a gateway-mode cluster: "gateway" among its roles, network type "gateway". */
bool store_kosmos_is_gateway(const struct store_kosmos_node *n);

/* ---- results ----------------------------------------------------------------------------- */

struct store_result {
	int64_t src_node, dst_node; /* node ids from store_run_nodes_add */
	uint8_t protocol;	    /* enum probe_protocol */
	uint8_t family;		    /* 4 or 6 */
	uint8_t network;	    /* enum store_network */
	uint8_t error;		    /* enum probe_error; PROBE_OK = passed */
	uint32_t sent, received;
	/* Round-trip times in microseconds; 0 when nothing was received. */
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us, rtt_p99_us;
};

/* Writes a batch in one transaction (all or nothing): a crash loses at most the batch in
 * flight. A key the run already has is replaced (e.g. a retry after agent-lost), and the
 * run's result/failure counters stay exact. Batches of 1,000 - 50,000 rows are best. */
int store_results_add(struct store *st, int64_t run_id, const struct store_result *rows, size_t n,
		      struct err *err);

/* A result with the names a person reads. */
struct store_result_row {
	struct store_result r;
	int64_t run_id; /* the run the result came from (an ancestor in a merged view) */
	const char *src_cluster, *src_name;
	const char *dst_cluster, *dst_name;
	enum store_node_kind dst_kind;
};

struct store_results_query {
	/* Merged view: the latest result per key along the resume chain (run, parent,
	 * grandparent, ...), so a resumed run reads as a whole run. */
	bool merged;
	bool failed_only; /* only error != PROBE_OK */
};

/* Results of a run in key order (src node, dst node, protocol, family, network). */
int store_results_foreach(struct store *st, int64_t run_id, const struct store_results_query *q,
			  int (*cb)(const struct store_result_row *row, void *ctx), void *ctx,
			  struct err *err);

/* One group of a run's summary: cluster pair x protocol x family x network. */
struct store_group {
	/* dst_cluster of a pseudo-node group: "CLUSTER:targets" or "CLUSTER:apiserver" */
	const char *src_cluster, *dst_cluster;
	uint8_t protocol, family;
	uint8_t network; /* enum store_network */
	int64_t results; /* result rows (node pairs) */
	int64_t passed, failed;
	int64_t sent, received; /* loss = 1 - received / sent */
	/* Over the per-result average RTT of the passed results; 0 when none passed. */
	uint32_t rtt_p50_us, rtt_p99_us;
};

/* Summary groups ordered by src cluster, dst cluster, protocol, family, network. Always
 * merged. */
int store_run_groups(struct store *st, int64_t run_id,
		     int (*cb)(const struct store_group *g, void *ctx), void *ctx, struct err *err);

/* ---- sampling, windows and coverage (window.c) ------------------------------------------ */

/* The next round of a sampling series (check --sample K): 0 for its first run, then 1, 2,
 * ...; key names the series (clusters and roles, protocols, families, networks, K). */
int store_sample_next(struct store *st, const char *key, uint64_t *round, struct err *err);

/* A window over runs. Once set, every merged view of a run (results, summary groups, diff,
 * verdicts) reads the latest result of every pair over the run and the earlier runs
 * comparable with it (the same comparability key; done or interrupted) that started at
 * most ms before it and, with runs > 0, are among its last `runs` such runs: so a report
 * of the newest sampled run covers every round in the window. NULL or zero: off. */
struct store_window {
	int64_t ms;  /* 0: no bound in time */
	size_t runs; /* 0: no bound in runs */
	/* runs counts checks: a run that resumes another (a resume, a watch's recheck) does not
	 * count but comes along with the check it follows; at most STORE_WINDOW_MAX runs in
	 * all are read, the newest (no error beyond) */
	bool checks;
};
#define STORE_WINDOW_MAX 256
void store_set_window(struct store *st, const struct store_window *w);

struct store_coverage_group;

struct store_coverage_query {
	const char *src_cluster, *dst_cluster; /* NULL: any */
	/* Optional: after the walk, each group's figures (cluster pair x protocol x family x
	 * network of the newest run, the query's cluster pairs only) in cluster, protocol,
	 * family, network order; non-zero from it stops. */
	int (*group_cb)(const struct store_coverage_group *g, void *ctx);
	void *group_ctx;
};

/* One pair's latest result within the window and when it was probed (its run's start). */
struct store_coverage_pair {
	const struct store_result_row *row;
	int64_t run_started_ms;
};

/* Coverage of node pairs (pseudo-nodes are probed by every run and not counted). "All
 * pairs" are those of the newest run: its real nodes, its cluster pairs, its protocols
 * (without dns), families and networks; pairs of nodes it no longer has are not counted. */
struct store_coverage {
	int64_t run_id;		      /* the newest run */
	int64_t runs;		      /* runs in the window */
	int64_t oldest_ms, newest_ms; /* start of the oldest and the newest run */
	int64_t all;		      /* result keys (pair x protocol x family x network) */
	int64_t seen;		      /* of which the window holds a result */
	int64_t failed;		      /* of which the latest result failed */
	int64_t checks;		      /* runs in the window that resume no other run */
};

struct store_coverage_group {
	const char *src_cluster, *dst_cluster;
	int64_t src_nodes, dst_nodes; /* real nodes of the newest run */
	uint8_t protocol, family;
	uint8_t network; /* enum store_network */
	int64_t all, seen, failed;
};

/* Coverage of run_id's window (store_set_window; none: its resume chain), streaming each
 * pair counted as seen to cb (may be NULL) in key order. */
int store_coverage(struct store *st, int64_t run_id, const struct store_coverage_query *q,
		   int (*cb)(const struct store_coverage_pair *p, void *ctx), void *ctx,
		   struct store_coverage *sum, struct err *err);

/* ---- diff ---------------------------------------------------------------------------------- */

enum store_diff_kind {
	STORE_DIFF_SAME = 0,	  /* passed in both (RTT within the thresholds) */
	STORE_DIFF_REGRESSION,	  /* passed in A, failed in B */
	STORE_DIFF_RECOVERY,	  /* failed in A, passed in B */
	STORE_DIFF_STILL_FAILING, /* failed in both */
	STORE_DIFF_NEW,		  /* only in B */
	STORE_DIFF_VANISHED,	  /* only in A */
	STORE_DIFF_RTT,		  /* passed in both, average RTT moved beyond the thresholds */
	STORE_DIFF_NOT_SELECTED,  /* only in A: B left out one of its nodes on purpose */
	STORE_DIFF_KIND_MAX
};
const char *store_diff_kind_name(enum store_diff_kind k); /* "regression", ... */

struct store_diff_opts {
	/* Which kinds are streamed to the row callback: bits (1u << STORE_DIFF_*);
	 * 0 = everything but SAME. Counts cover every kind regardless. */
	unsigned emit;
	/* An RTT change is reported when |avg B - avg A| >= rtt_abs_us and, when rtt_pct > 0,
	 * also >= rtt_pct percent of avg A. rtt_abs_us == 0 disables RTT reporting. */
	uint32_t rtt_abs_us;
	uint32_t rtt_pct;
	/* At most this many rows of each kind go to the row callback (0 = all); the counts
	 * stay complete. A row costs a lookup of its figures: a table of the first 50 is
	 * cheaper than streaming 20,000 regressions to drop them. */
	size_t limit_per_kind;
};

struct store_diff_row {
	enum store_diff_kind kind;
	const char *src_cluster, *src_name;
	const char *dst_cluster, *dst_name;
	enum store_node_kind dst_kind;
	const struct store_result *a; /* NULL for NEW */
	const struct store_result *b; /* NULL for VANISHED and NOT_SELECTED */
};

/* Counts for one cluster pair (or, in store_diff_summary, for everything). */
struct store_diff_counts {
	const char *src_cluster, *dst_cluster; /* NULL in the totals */
	int64_t n[STORE_DIFF_KIND_MAX];
};

struct store_diff_summary {
	int64_t run_a, run_b;
	struct store_diff_counts total;
};

/* b = the newest run (done or interrupted) that has an earlier comparable run (same
 * comparability key, done or interrupted), a = the newest such earlier run. Running and
 * failed runs are skipped. ERR_NOTFOUND when no two runs are comparable. */
int store_diff_default_pair(struct store *st, int64_t *a, int64_t *b, struct err *err);

/* A diff row callback returns this to get no more rows of that row's kind (the counts
 * stay complete): a caller that lists the first N of a kind its own way stops the
 * lookups there. */
#define STORE_DIFF_ENOUGH_OF_KIND 2

/* Compares run A with run B (both as merged views), streaming rows in key order to row_cb
 * (may be NULL), then per cluster pair counts to group_cb (may be NULL), ordered by src
 * then dst cluster name. a == 0 && b == 0 picks store_diff_default_pair(). */
int store_diff(struct store *st, int64_t a, int64_t b, const struct store_diff_opts *opts,
	       int (*row_cb)(const struct store_diff_row *row, void *ctx),
	       int (*group_cb)(const struct store_diff_counts *g, void *ctx), void *ctx,
	       struct store_diff_summary *summary, struct err *err);

#endif
