/* Internal to src/verdict: the walk state shared by verdict.c (walks) and build.c (text). */
#ifndef NETCTL_VERDICT_INT_H
#define NETCTL_VERDICT_INT_H

#include "store.h"
#include "verdict.h"

/* ---- counters ------------------------------------------------------------------------ */

struct vcnt {
	int64_t total, failed; /* failed: outright failures (not loss, not explained early) */
};

/* What one candidate explained in walk 2. */
struct vev {
	int64_t failed, sent, received;
	int64_t errors[PROBE_ERROR_MAX];
};

struct vnode {
	char *cluster, *name, *label; /* label: "cluster/name" */
	uint32_t ci;
	enum store_node_kind kind; /* a pseudo-node (target, API server) or a node */
	enum store_floater_state floater;
	bool node_not_ready; /* the run listed the Node NotReady */
	int64_t rows;	     /* every result this node is an end of */
	struct vcnt role[2], proto[2][PROTO_MAX], fam[2][2];
	int64_t peers[2], last_peer[2];
	int64_t loss[2], loss_peers[2], last_loss_peer[2];
	bool bad[2], pblock[2][PROTO_MAX], v6[2], lossy[2];
	struct vev ev_floater, ev_bad, ev_proto[PROTO_MAX], ev_v6, ev_lossy;
};

struct vcp {
	uint32_t sc, dc;
	int64_t rows; /* every result of the cluster pair */
	struct vcnt all, proto[PROTO_MAX], fam[2];
	int64_t node_pairs, last_pair_src, last_pair_dst;
	int64_t loss;		/* results with partial loss */
	int64_t mtu[PROTO_MAX]; /* message-too-long results by protocol */
	bool part, pblock[PROTO_MAX], v6, lossy, lossy_wide;
	struct vev ev_part, ev_proto[PROTO_MAX], ev_v6, ev_mtu, ev_lossy;
};

/* A node's results to (role src) or from (role dst) one peer cluster. */
struct vnc {
	uint32_t node, ci;
	int role;
	struct vcnt cnt;
	int64_t peers, last_peer;
	bool cut;
	struct vev ev;
};

struct vlink {
	uint32_t s, d;
	int64_t total;
	struct vev ev;
	int64_t proto_failed[PROTO_MAX]; /* of ev.failed, by protocol */
	unsigned failing;		 /* protocols with any failure on the pair */
	bool both;
};

/* A cluster in Kosmos gateway mode with its gateway node(s) (docs/kosmos.md, "Gateway
 * mode"): every cross-cluster result with an end in it goes through them. */
#define VGW_NAMES 4 /* gateways named in its verdict */
struct vgw {
	uint32_t ci;
	uint32_t gw[VGW_NAMES]; /* node indices of its gateways */
	size_t ngw;
	struct vcnt cross; /* its cross-cluster results, both directions */
	int64_t node_pairs, last_src, last_dst;
	bool down; /* every one fails, while pairs within the cluster pass (or none ran) */
	struct vev ev;
};

/* A pseudo-node (custom target, API server address) and the nodes that probe it. */
#define VPSEUDO_NAMES 3 /* failing sources named in its verdict */
struct vpseudo {
	uint32_t node; /* index into vstate.nodes */
	int64_t total; /* results to it */
	int64_t sources, failing_sources;
	uint32_t last_src, last_fail_src;
	uint32_t fail_src[VPSEUDO_NAMES];
	struct vcnt proto[PROTO_MAX]; /* results and failures by protocol (loss fails) */
	struct vev ev;		      /* its failures */
};

struct vstate {
	struct store *st;
	int64_t run_id;
	struct verdict_opts opts;
	char **clusters;
	size_t ncl, capcl;
	struct vnode *nodes;
	size_t nn, capn;
	struct idmap node_ix;
	struct vcp *cps;
	size_t ncp, capcp;
	struct idmap cp_ix;
	struct vnc *ncs;
	size_t nnc, capnc;
	struct idmap nc_ix;
	struct vpseudo *ps;
	size_t nps, capps;
	struct vgw *gws;
	size_t ngws, capgws;
	struct idmap ps_ix;
	int64_t total, failed, not_probed;
	int64_t pair_results; /* results per node pair in the run's plan */
	unsigned protocols;   /* the run's protocols (1u << PROTO_*) */
	int64_t planned;      /* result rows the run planned */
	bool interrupted;
	struct vev ev_not_probed;
	/* walk 2: the node pair being streamed and the bad links found so far */
	bool link_open;
	struct vlink cur;
	struct vlink *links;
	size_t nlinks, caplinks;
	int64_t links_dropped;
};

struct verdict_list {
	struct verdict *v;
	size_t n, cap;
	int64_t total, failed;
};

/* The walk-1 counters of a directed cluster pair, or NULL when it has no results. */
struct vcp *cp_find(struct vstate *s, uint32_t sc, uint32_t dc);
/* The gateway-mode counters of cluster ci, or NULL when it has no gateway. */
struct vgw *gw_find(struct vstate *s, uint32_t ci);
/* The node x peer cluster counters, or NULL. */
struct vnc *nc_find(struct vstate *s, uint32_t node, int role, uint32_t ci);
void verdict_build(struct verdict_list *vl, struct vstate *s);

#endif
