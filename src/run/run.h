/* run: the check engine. Deploys floaters into every cluster, lists nodes and floater pods,
 * dispatches the plan (one probe request per source floater, through the API server's pod
 * proxy) and streams every result into the store. Reports progress through callbacks; the
 * caller (cmd/) draws them. The one public header of src/run. */
#ifndef NETCTL_RUN_H
#define NETCTL_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "kube.h"
#include "plan.h"
#include "store.h"
#include "wire.h"

/* Which nodes of a cluster take part (docs/usage.md, "Choosing nodes"); a node labelled
 * kosmos.io/exclude never does. The others are left out with no floater and no pair, and
 * the run records why. */
struct run_select {
	const struct kube_selector *selector;	    /* NULL: every node */
	char **exclude;				    /* node names, NULL-terminated; NULL: none */
	const struct kube_tolerations *tolerations; /* NULL: the default */
};

struct run_cluster {
	const char *name;		  /* registered name, used in messages */
	int64_t cluster_id;		  /* store id */
	const struct kube_target *target; /* resolved kubeconfig context */
	unsigned roles;			  /* STORE_ROLE_* */
	struct run_select select;
	/* global IP mapping: other clusters probe its pods here (docs/kosmos.md); n == 0: none */
	struct cidrmap global;
	/* imported from Kosmos (docs/kosmos.md, "Gateway mode"): its Cluster's networkType
	 * (NULL: not said) and the host's ClusterNodes (every cluster's: those of this one are
	 * spec.clusterName == name), read when the check began */
	bool kosmos;
	const char *network_type;
	const struct kube_kosmos_node *kosmos_nodes;
	size_t nkosmos_nodes;
};

/* A custom target: an address every node taking part probes, besides the node pairs
 * (docs/usage.md, "Custom targets"); recorded as a pseudo-node of each cluster. */
struct run_target {
	char addr[46]; /* canonical IP literal (INET6_ADDRSTRLEN) */
	int family;    /* 4 or 6 */
	int port;      /* TCP/UDP port; 0: none, ICMP only */
};

/* ADDR or ADDR:PORT for IPv4, ADDR, [ADDR] or [ADDR]:PORT for IPv6 (a bare IPv6 address
 * has no port); IP literals only, never names. ERR_USAGE naming what otherwise. */
int run_target_parse(const char *text, const char *what, struct run_target *t, struct err *err);
/* "198.18.0.9:80", "[fd00::9]:80", "198.18.0.9": the text run_target_parse reads back. */
void run_target_format(const struct run_target *t, char *dst, size_t dstsz);

/* Custom targets and the API server's addresses may name at most this many TCP/UDP ports
 * besides the floater's (a probe request lists them; WIRE_MAX_PORTS in all). */
#define RUN_TARGET_PORTS_MAX 32

/* A name every node looks up through each DNS server (protocol dns; docs/usage.md, "DNS"):
 * NAME or NAME=ADDR, ADDR the address the answer must hold (then only the record type of
 * ADDR's family is asked). */
struct run_dns_name {
	char name[WIRE_MAX_DNS_NAME + 2];
	char expect[46];   /* canonical IP literal; "" when any address will do */
	int expect_family; /* 4 or 6; 0 with no expect */
};

/* NAME or NAME=ADDR; ERR_USAGE naming `what` otherwise. */
int run_dns_name_parse(const char *text, const char *what, struct run_dns_name *n, struct err *err);
void run_dns_name_format(const struct run_dns_name *n, char *dst, size_t dstsz);

/* At most this many DNS servers and names per run (the pseudo-nodes of a cluster are
 * servers x names x record types). */
#define RUN_DNS_SERVERS_MAX 8
#define RUN_DNS_NAMES_MAX   16
#define RUN_DNS_PORT	    53
/* NetDoctor's targetHostToLookup default */
#define RUN_DNS_DEFAULT_NAME "kubernetes.default.svc.cluster.local"

/* A node named on the command line: NAME in cluster (an index into the run's clusters), or
 * in any of them (cluster < 0). */
struct run_node_pick {
	int cluster;
	const char *name;
};

struct run_options {
	unsigned protocols; /* 1u << PROTO_* */
	unsigned families;  /* STORE_FAMILY_* */
	unsigned networks;  /* 1u << STORE_NET_* */
	int count;	    /* probes per pair and protocol */
	long interval_ms;   /* between the probes of one pair */
	long timeout_ms;    /* per probe */
	int size;	    /* ICMP/UDP payload bytes; > 0 sets DF (MTU check) */
	int port;	    /* floater port */
	int concurrency;    /* probe requests in flight per cluster */
	long pod_wait_ms;   /* bound on the floater rollout wait */
	const char *namespace;
	const char *image_repository; /* srcImageRepository; NULL: the default */
	/* dstImageRepository: for clusters that are only destinations; NULL: image_repository */
	const char *dst_image_repository;
	char *const *image_pull_secrets; /* Secret names for the DaemonSets; NULL: none */
	const char *version;		 /* floater image tag; NULL: NETCTL_VERSION */
	bool keep_floaters;		 /* false: delete what was deployed when the run ends */
	bool rotate_token;	  /* a new floater token in every cluster (not recorded: resume
				   * uses the token the floaters hold) */
	int64_t parent_id;	  /* resume: the run this one continues (0: none) */
	const char *options_json; /* recorded with the run */
	size_t max_targets;	  /* per request; 0: WIRE_MAX_TARGETS */
	const struct run_target *targets; /* custom targets (borrowed) */
	size_t ntargets;
	/* every node also probes its cluster's API server: TCP to each address of the
	 * default/kubernetes Endpoints (check's default; --no-apiserver-check) */
	bool apiserver;
	/* protocol dns: the DNS servers (ADDR[:PORT], port 53 when none) and the names every
	 * node asks each of them for (borrowed) */
	const struct run_target *dns_servers;
	size_t ndns_servers;
	const struct run_dns_name *dns_names;
	size_t ndns_names;
	/* --src-node / --dst-node: only the pairs from (to) these nodes; none: every node
	 * (borrowed). A destination list leaves out the pseudo-nodes (targets, API server, DNS) */
	const struct run_node_pick *src_nodes, *dst_nodes;
	size_t nsrc_nodes, ndst_nodes;
	/* --sample K: each source probes K nodes of each destination cluster, the block of
	 * round sample_round of the rotation (plan_sample_block); 0: every node */
	size_t sample;
	uint64_t sample_round;
};

/* API server addresses probed per cluster, at most. */
#define RUN_APISERVER_MAX 16

enum run_phase {
	RUN_PHASE_DEPLOY = 0, /* applying Namespace, Secret, DaemonSets */
	RUN_PHASE_ROLLOUT,    /* waiting for floaters to be Ready */
	RUN_PHASE_NODES,      /* listing nodes and floater pods */
	RUN_PHASE_PROBE,      /* dispatching the plan */
	RUN_PHASE_CLEANUP,    /* removing floaters */
};

struct run_progress {
	int64_t total;	    /* result rows planned */
	int64_t done;	    /* result rows stored */
	int64_t failed;	    /* of which failed */
	int64_t elapsed_ms; /* since probing started */
	int64_t requests_in_flight;
};

struct run_events {
	/* A phase starts; text says what for humans ("east: 5/5 floaters ready"). */
	void (*phase)(void *arg, enum run_phase phase, const char *text);
	/* At most every 100 ms while probing, and once at the end. */
	void (*progress)(void *arg, const struct run_progress *p);
	/* Something worth a warning line (a node without floater, a retried request). */
	void (*warn)(void *arg, const char *text);
	void *arg;
};

struct run_result {
	int64_t run_id;
	enum store_run_status status;
	int64_t total, done, failed;
	int64_t nodes, nodes_without_floater;
	int64_t nodes_left_out; /* left out on purpose (recorded with the run) */
	/* the API server check: its results, failures, the requests that carried only its
	 * targets and their time in flight (the rest rode along in node pairs' requests), and
	 * what that adds to probing at --concurrency (the busiest cluster's share) */
	int64_t apiserver_addresses, apiserver_results, apiserver_failed;
	int64_t apiserver_requests, apiserver_request_ms, apiserver_added_ms;
	uint64_t api_requests; /* HTTP requests to the API servers, retries included */
	int64_t rollout_ms;    /* node list + deploy + wait */
	int64_t table_ms;      /* floater pods listed, node table stored, plan built */
	int64_t probe_ms;      /* dispatching until the last result */
	int64_t store_ms;      /* time spent writing results and finishing the run */
	/* protocol dns without a server named: per cluster the servers its floater pods'
	 * resolv.conf named ("east 198.18.241.10, fd00:18:1:53::a; west none"); "" otherwise */
	char dns_default[512];
};

/* 0 when every option is one a floater accepts (wire.h), else -1 and err (ERR_USAGE) names
 * the first that is not. run_check refuses such options; a command checks them first so
 * that a bad flag is a usage error rather than a run of agent-lost pairs. */
int run_options_check(const struct run_options *o, struct err *err);

/* Runs a check. cluster_pairs is an n x n matrix (see plan_new). filter (may be NULL)
 * restricts the pairs (resume). *stop is polled: when it becomes non-zero, dispatching
 * stops, requests in flight are cancelled, everything received is stored and the run is
 * marked interrupted. Returns 0 when the run finished or was interrupted (see
 * res->status; failed pairs are not an error), -1 when it could not run (err: ERR_API,
 * ERR_AUTH, ERR_TLS for a cluster, ERR_STORE for the store); a run that had started is
 * then marked failed. */
int run_check(struct store *st, const struct run_cluster *clusters, size_t n,
	      const bool *cluster_pairs, const struct run_options *o, plan_filter_fn filter,
	      void *filter_arg, const struct run_events *ev, volatile sig_atomic_t *stop,
	      struct run_result *res, struct err *err);

/* Removes every object netctl created in each cluster (netctl clean). */
int run_clean(const struct run_cluster *clusters, size_t n, const char *ns, long wait_ms,
	      const struct run_events *ev, struct err *err);

#endif
