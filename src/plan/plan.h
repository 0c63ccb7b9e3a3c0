/* plan: which (source node, destination node, protocol, family, network) results a check
 * produces, grouped into probe requests per source floater. The one public header of
 * src/plan.
 *
 * The plan is never materialised: the total is computed arithmetically and the targets of
 * one source floater are built on demand (plan_source), so memory stays O(nodes) even for
 * 1,000 x 1,000 nodes. */
#ifndef NETCTL_PLAN_H
#define NETCTL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Networks (same numbering as enum store_network). */
enum plan_network {
	PLAN_NET_POD = 0,
	PLAN_NET_HOST,
	PLAN_NET_POD_HOST,
	PLAN_NET_HOST_POD,
	PLAN_NET_MAX
};
/* Which floater sends for a network: the pod-network floater (pod, pod-host) or the
 * host-network floater (host, host-pod). */
enum plan_sender { PLAN_SEND_POD = 0, PLAN_SEND_HOST = 1 };

/* A node, or a pseudo-node its cluster's nodes probe (same numbering as enum
 * store_node_kind). A pseudo-node has no floater, is never a source, is probed from every
 * node of its own cluster (whatever the cluster pairs say) at its own address (host_ip of
 * its family), with its own protocols and port. */
enum plan_node_kind { PLAN_NODE = 0, PLAN_NODE_TARGET, PLAN_NODE_APISERVER, PLAN_NODE_DNS };

struct plan_node {
	int64_t id;	   /* stable node id (store) */
	uint32_t cluster;  /* index into the cluster array */
	uint8_t kind;	   /* enum plan_node_kind */
	uint8_t protocols; /* pseudo-node: the protocols it is probed with (within the plan's) */
	uint16_t port;	   /* pseudo-node: the port TCP/UDP probes go to (0: none) */
	const char *name;
	const char *pod_ip[2];	  /* [0] IPv4, [1] IPv6 of the pod floater; NULL: none */
	const char *host_ip[2];	  /* [0] IPv4, [1] IPv6 of the node */
	const char *pod_floater;  /* Ready pod-network floater pod name; NULL: none */
	const char *host_floater; /* Ready host-network floater pod name; NULL: none */
	/* [0] IPv4, [1] IPv6: the pod address other clusters probe (global IP mapping,
	 * docs/kosmos.md); NULL: the real one */
	const char *pod_global_ip[2];
	/* PLAN_NODE_DNS (a DNS server asked for one name, protocol dns only): the name, the
	 * record type (4: A, 6: AAAA) and the address the answer must hold (NULL: any) */
	const char *dns_name;
	const char *dns_expect;
	uint8_t dns_type;
};

struct plan_opts {
	unsigned protocols; /* 1u << PROTO_*; dns is only ever probed on PLAN_NODE_DNS */
	unsigned families;  /* bit 0: IPv4, bit 1: IPv6 */
	unsigned networks;  /* 1u << PLAN_NET_* */
	size_t max_targets; /* most targets in one request; 0: WIRE_MAX_TARGETS */
	/* --sample K: each source probes at most K nodes of each destination cluster, the
	 * block of round sample_round of its rotation (plan_sample_block); 0: every node.
	 * Pseudo-nodes are not sampled. */
	size_t sample;
	uint64_t sample_round;
};

/* The rotation of --sample (docs/usage.md, "Sampling"): a source's N destinations in one
 * cluster (the cluster's nodes in node-table order, itself left out) are cut into
 * R = ceil(N / K) blocks of K (the last one shorter); round r probes block r mod R, starting
 * at the source's own position in its cluster so that sources spread over the targets. So
 * R consecutive rounds probe every pair exactly once. Gives the block's first index and
 * length (0 when N == 0); K == 0 or K >= N: everything. */
void plan_sample_block(size_t n, size_t k, uint64_t round, size_t *first, size_t *count);

/* Decides, per planned pair, which protocols to probe (a mask within opts.protocols);
 * 0 drops the pair. Used by resume to probe only what failed. NULL: everything. */
typedef unsigned (*plan_filter_fn)(void *arg, const struct plan_node *src,
				   const struct plan_node *dst, unsigned family,
				   enum plan_network net);

struct plan;

/* nodes must be grouped by cluster (all nodes of cluster 0 first, …), a cluster's
 * pseudo-nodes after its nodes. cluster_pairs is an
 * nclusters x nclusters matrix: cluster_pairs[i * nclusters + j] means nodes of cluster i
 * probe nodes of cluster j (i == j: in-cluster pairs). The arrays are borrowed and must
 * outlive the plan. */
struct plan *plan_new(const struct plan_node *nodes, size_t nnodes, size_t nclusters,
		      const bool *cluster_pairs, const struct plan_opts *opts,
		      plan_filter_fn filter, void *filter_arg, struct err *err);
void plan_free(struct plan *p);

/* Result rows the plan produces (pairs x protocols x families x networks), counting the
 * filter; computing it walks the pairs once when a filter is set. */
int64_t plan_total(struct plan *p);

/* Protocol masks are 8 bits wide here and in what src/run keeps per target (the
 * protocols a floater already answered for). */
_Static_assert(PROTO_MAX <= 8, "a protocol mask no longer fits uint8_t");

/* One destination of a probe request. */
struct plan_target {
	uint32_t dst;	   /* index into nodes */
	uint8_t family;	   /* 4 or 6 */
	uint8_t network;   /* enum plan_network */
	uint8_t protocols; /* mask of protocols to probe */
	uint8_t error;	   /* PROBE_OK: probe it; else a result decided without probing */
	uint16_t port;	   /* TCP/UDP port; 0: the floater port */
	const char *ip;	   /* target address (NULL when error != PROBE_OK) */
};

/* The work of one source floater: its targets, grouped so that every request
 * carries one protocol mask and at most max_targets targets. */
struct plan_shard {
	uint32_t src; /* index into nodes */
	enum plan_sender sender;
	unsigned protocols; /* mask for the whole request */
	bool decided;	    /* every target carries its own error: record, do not probe */
	const struct plan_target *targets;
	size_t n;
};

/* Number of sources: nnodes x 2 senders. Source s is node s / 2, sender s % 2 (a
 * pseudo-node's sources have nothing to do). */
size_t plan_nsources(const struct plan *p);

/* Builds the shards of source s into the plan's scratch space (valid until the next call).
 * Targets whose result is known without probing (no Ready floater at either end, no address
 * of that family) have error set and are returned in a shard of their own with protocols
 * as the mask of results to record. Returns the number of shards. */
size_t plan_source(struct plan *p, size_t s, const struct plan_shard **shards);

#endif
