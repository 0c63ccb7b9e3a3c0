/* What `check` and `resume` share: options, clusters, running the engine, drawing
 * progress and printing the outcome. */
#ifndef NETCTL_CMD_CHECK_H
#define NETCTL_CMD_CHECK_H

#include "cmd.h"
#include "run.h"
#include "wire.h"

struct check_job {
	struct run_cluster *clusters; /* owned, with their kube targets */
	size_t n;
	bool *cluster_pairs; /* n x n */
	struct run_options o;
	char *options_json;
	bool mesh;  /* --mesh: recorded so a resume knows how the run was asked for */
	bool json;  /* one JSON document on stdout instead of tables */
	bool quiet; /* no progress */
	plan_filter_fn filter;
	void *filter_arg;
	/* which nodes take part, as given (recorded for resume); the parsed forms are in
	 * clusters[i].select and owned here */
	char **node_selectors; /* "[CLUSTER:]SELECTOR" */
	char **exclude_nodes;  /* "[CLUSTER/]NODE" */
	char *tolerations;     /* NULL: the default */
	/* --src-node / --dst-node as given (recorded for resume), and parsed (j->o points
	 * here) */
	char **src_nodes, **dst_nodes;
	struct run_node_pick *src_picks, *dst_picks;
	struct kube_tolerations *tol;
	int64_t run_id;	   /* out: the run check_job_execute made (0: none) */
	bool sample_fixed; /* o.sample_round is given (resume): no new round of the series */
	struct run_target *targets; /* custom targets (j->o.targets points here) */
	size_t ntargets;
	struct run_target *dns_servers; /* protocol dns (j->o.dns_servers points here) */
	size_t ndns_servers;
	struct run_dns_name *dns_names; /* (j->o.dns_names points here) */
	size_t ndns_names;
	/* families the clusters say (ipFamily, cluster add --ip-family), ANDed over the
	 * clusters (a cluster that says none: IPv4); family_note: "west: ipFamily ipv4
	 * (Kosmos), ..."; NULL when no cluster says one */
	unsigned cluster_families;
	bool families_seen, families_narrowed;
	char *family_note;
	/* Kosmos host clusters of the imported clusters: their ClusterNodes, listed once per
	 * host and check (clusters[i].kosmos_nodes point here) */
	struct check_kosmos_host *kosmos_hosts;
	size_t nkosmos_hosts;
};

/* ---- the options that choose and shape a check (check_args.c) ------------------------
 * `check` and `watch` take the same flags, parsed into check_args by the same table rows
 * (CHECK_ARGS_OPTS, placed first in each command's option table), and turn them into a
 * job the same way: check_args_load_config, check_args_apply, then check_args_select. */
struct check_args {
	const char *src, *dst, *protocol, *family, *network, *timeout, *interval, *pod_wait;
	const char *namespace, *config, *tolerations;
	struct cmd_list node_selectors, exclude_nodes, targets, pull_secrets, dns_servers,
	    dns_names, src_nodes, dst_nodes;
	long count, concurrency, port, size, sample;
	bool mesh, no_apiserver;
	bool count_set, concurrency_set, port_set, size_set, sample_set;
};
extern struct check_args check_args;

#define CHECK_SAMPLE_MAX 100000

/* clang-format off */
#define CHECK_ARGS_OPTS \
	{OPT_STRING, 0, "src", "A[,B]", "source clusters (registered names)", \
	 &check_args.src, 0, 0, NULL}, \
	{OPT_STRING, 0, "dst", "C[,D]", \
	 "destination clusters: every src node to every dst node and back", \
	 &check_args.dst, 0, 0, NULL}, \
	{OPT_FLAG, 0, "mesh", NULL, "all registered clusters, all node pairs", \
	 &check_args.mesh, 0, 0, NULL}, \
	{OPT_STRING, 0, "protocol", "LIST", "icmp,tcp,udp,dns (default: config protocol)", \
	 &check_args.protocol, 0, 0, NULL}, \
	{OPT_STRING, 0, "family", "LIST", "4, 6 or 4,6 (default 4)", &check_args.family, 0, 0, \
	 NULL}, \
	{OPT_STRING, 0, "network", "LIST", \
	 "pod, host, pod-host, host-pod (default: config mode, pod)", &check_args.network, 0, 0, \
	 NULL}, \
	{OPT_LONG, 0, "count", "K", "probes per pair and protocol (default 3)", \
	 &check_args.count, WIRE_MIN_COUNT, WIRE_MAX_COUNT, &check_args.count_set}, \
	{OPT_STRING, 0, "timeout", "D", "per-probe timeout, 1ms..60s (default: cmdTimeout)", \
	 &check_args.timeout, 0, 0, NULL}, \
	{OPT_STRING, 0, "interval", "D", "between the probes of a pair, 0..10s (default 20ms)", \
	 &check_args.interval, 0, 0, NULL}, \
	{OPT_LONG, 0, "concurrency", "N", \
	 "probe requests in flight per cluster (default: maxNum)", &check_args.concurrency, 1, \
	 1000, &check_args.concurrency_set}, \
	{OPT_LONG, 0, "port", "P", "floater port (default: config port)", &check_args.port, 1, \
	 65535, &check_args.port_set}, \
	{OPT_LONG, 0, "size", "BYTES", "ICMP/UDP payload with DF set, for MTU checks", \
	 &check_args.size, WIRE_MIN_SIZE, WIRE_MAX_SIZE, &check_args.size_set}, \
	{OPT_STRING, 0, "pod-wait", "D", "bound on waiting for floaters (default: podWaitTime)", \
	 &check_args.pod_wait, 0, 0, NULL}, \
	{OPT_STRING, 0, "namespace", "NS", "where floaters run (default: config namespace)", \
	 &check_args.namespace, 0, 0, NULL}, \
	{OPT_STRING, 0, "config", "FILE", "config file (default: ./config.json if present)", \
	 &check_args.config, 0, 0, NULL}, \
	{OPT_LIST, 0, "image-pull-secret", "NAME", \
	 "Secret for pulling the floater image (repeatable; default: imagePullSecrets)", \
	 &check_args.pull_secrets, 0, 0, NULL}, \
	{OPT_LIST, 0, "node-selector", "SEL", \
	 "[CLUSTER:]a=b,c!=d,e,!f,g in (x,y): only matching nodes (repeatable)", \
	 &check_args.node_selectors, 0, 0, NULL}, \
	{OPT_LIST, 0, "exclude-node", "NODE", "[CLUSTER/]NODE: leave a node out (repeatable)", \
	 &check_args.exclude_nodes, 0, 0, NULL}, \
	{OPT_LIST, 0, "src-node", "NODE", \
	 "[CLUSTER/]NODE: only the pairs from this node (repeatable)", &check_args.src_nodes, 0, \
	 0, NULL}, \
	{OPT_LIST, 0, "dst-node", "NODE", \
	 "[CLUSTER/]NODE: only the pairs to this node (repeatable)", &check_args.dst_nodes, 0, 0, \
	 NULL}, \
	{OPT_STRING, 0, "tolerations", "T", \
	 "no-control-plane (default), all, none or KEY[=VALUE][:EFFECT],...", \
	 &check_args.tolerations, 0, 0, NULL}, \
	{OPT_LIST, 0, "target", "ADDR", \
	 "ADDR[:PORT], [V6]:PORT: probe it from every node (repeatable)", &check_args.targets, 0, \
	 0, NULL}, \
	{OPT_FLAG, 0, "no-apiserver-check", NULL, "no TCP probe of the API server from every node", \
	 &check_args.no_apiserver, 0, 0, NULL}, \
	{OPT_LONG, 0, "sample", "K", \
	 "probe K nodes of each destination cluster per run, rotating (all pairs in N/K runs)", \
	 &check_args.sample, 1, CHECK_SAMPLE_MAX, &check_args.sample_set}, \
	{OPT_LIST, 0, "dns-server", "ADDR", \
	 "protocol dns: ADDR[:PORT], [V6]:PORT, asked from every node (repeatable)", \
	 &check_args.dns_servers, 0, 0, NULL}, \
	{OPT_LIST, 0, "dns-name", "NAME", \
	 "protocol dns: NAME[=ADDR] to look up (repeatable; default " RUN_DNS_DEFAULT_NAME ")", \
	 &check_args.dns_names, 0, 0, NULL}
/* clang-format on */

struct config;
/* --config FILE, else ./config.json when present, over the defaults (warnings logged). */
int check_args_load_config(struct config *c, struct err *err);
/* The flags over c, then j->o from c: what a floater would refuse is refused here, before
 * anything is deployed (ERR_USAGE). keep_floaters follows autoClean. */
int check_args_apply(struct check_job *j, struct config *c, struct err *err);
/* The clusters of --src/--dst/--mesh from the registry (each kubeconfig loaded), which
 * cluster probes which, and the options recorded with the run (j->options_json). */
int check_args_select(struct check_job *j, struct store *st, struct err *err);

void check_job_release(struct check_job *j);
/* Without --family: the families the clusters say, else IPv4 (ERR_USAGE when they have
 * none in common, or a custom target or DNS server is of another family). Call after the
 * clusters are added; check_args_apply leaves both families until then. */
int check_job_narrow_families(struct check_job *j, struct err *err);
/* Resolves registered cluster names into j->clusters (loading each kubeconfig context). */
int check_job_add_cluster(struct check_job *j, struct store *st, const char *name, unsigned roles,
			  struct err *err);
/* Which nodes of each cluster take part: --node-selector [CLUSTER:]SELECTOR (global ones
 * and the cluster's own are ANDed), --exclude-node [CLUSTER/]NODE (bare: every cluster),
 * --tolerations (NULL: the default). Call after the clusters are added. ERR_USAGE for a
 * value that is not one, or a cluster that is not in the job. */
int check_job_select(struct check_job *j, char *const *selectors, char *const *excludes,
		     const char *tolerations, struct err *err);
/* Which pairs: --src-node / --dst-node [CLUSTER/]NODE (bare: a node of that name in any
 * cluster of the check). ERR_USAGE for a value that is not one, or a cluster not in the
 * job; a node the check does not take part with is refused when the run lists its nodes. */
int check_job_pairs(struct check_job *j, char *const *srcs, char *const *dsts, struct err *err);
/* Custom targets ("ADDR[:PORT]", "[ADDR]:PORT"), duplicates dropped; ERR_USAGE naming
 * `what` for one that is not. */
int check_job_targets(struct check_job *j, char *const *texts, const char *what, struct err *err);
/* DNS servers ("ADDR[:PORT]", port 53 when none) and names ("NAME[=ADDR]"), duplicates
 * dropped; ERR_USAGE naming `what` for one that is not. */
int check_job_dns_servers(struct check_job *j, char *const *texts, const char *what,
			  struct err *err);
int check_job_dns_names(struct check_job *j, char *const *texts, const char *what, struct err *err);
/* The options recorded with a run (every field a resume needs to repeat it), JSON text. */
char *check_job_options_json(const struct check_job *j);
/* --sample: the next round of the job's sampling series from the store into o.sample_round,
 * and the options recorded with the run again (they hold the round). Nothing without
 * --sample. */
int check_job_sample_next(struct check_job *j, struct store *st, struct err *err);
/* Runs the job, draws progress, prints the outcome; returns the exit code. */
int check_job_execute(struct cmd_ctx *ctx, struct store *st, struct check_job *j);

/* ---- what a run did not pass, probed again (check_filter.c): resume, watch's rechecks -- */
struct check_filter {
	struct idmap passed;	 /* (src, dst, family, network) -> protocols passed */
	struct idmap root_nodes; /* node id -> 1 when the plan met it, 0 otherwise */
	struct idmap new_nodes;	 /* nodes the chain's root did not have (not probed) */
	int64_t root;		 /* the run the resume chain started from */
};

void check_filter_init(struct check_filter *f);
void check_filter_release(struct check_filter *f);
/* What run_id passed (merged along its resume chain) and the node table of the chain's
 * root, whose nodes are the only ones probed again. */
int check_filter_load(struct check_filter *f, struct store *st, int64_t run_id, struct err *err);
/* A plan_filter_fn over a loaded filter (arg): the protocols a pair has not passed yet. */
unsigned check_filter_fn(void *arg, const struct plan_node *src, const struct plan_node *dst,
			 unsigned family, enum plan_network net);

/* Prints the outcome of a run: tables and verdicts, or one JSON document (outcome.c). */
int check_print_outcome(struct store *st, const struct run_result *res, bool json, struct err *err);

/* Progress drawing on stderr (progress.c). */
struct progress;
struct progress *progress_new(bool quiet);
void progress_free(struct progress *p);
void progress_bind(struct progress *p, struct run_events *ev);
/* Clears the bar (before printing tables). */
void progress_finish(struct progress *p);

#endif
