/* verdict: failure patterns of a stored run -> verdicts that say why pairs failed.
 * The one public header of src/verdict. See docs/report-format.md, "Verdicts".
 *
 * verdict_compute() streams the run's results twice (per-node and per-cluster-pair
 * counters only, never the rows) and assigns every failing result to the biggest pattern
 * that explains it, so a bad node's pairs do not also show up as hundreds of bad links.
 * A run whose every result passed gets exactly one VERDICT_HEALTHY.
 */
#ifndef NETCTL_VERDICT_H
#define NETCTL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct store;

/* In the order verdicts are listed: bigger explanations first. */
enum verdict_kind {
	VERDICT_NODE_NOT_READY = 0, /* a node was NotReady: no floater ran there */
	VERDICT_FLOATER_MISSING,    /* no Ready floater on a node, or it died mid-run */
	VERDICT_CLUSTER_DOWN,	    /* no pair within one cluster passes */
	VERDICT_GATEWAY_DOWN,	    /* Kosmos gateway mode: every cross-cluster path through a
				     * cluster's gateway node(s) fails */
	VERDICT_PARTITIONED,	    /* every cross pair of a cluster pair fails */
	VERDICT_BAD_NODE,	    /* every pair of a node fails (as source and/or dest) */
	VERDICT_NODE_CUT_OFF,	    /* every pair between a node and one cluster fails */
	VERDICT_PROTOCOL_BLOCKED,   /* one protocol fails where the others pass */
	VERDICT_IPV6_BROKEN,	    /* IPv6 fails where IPv4 passes */
	VERDICT_MTU,		    /* message too long: path MTU below the probe size */
	VERDICT_BAD_LINK,	    /* one node pair fails, both nodes otherwise fine */
	VERDICT_MORE_LINKS,	    /* more bad links than listed (the cap) */
	VERDICT_TARGET,		    /* a custom target fails from some or all nodes of a cluster */
	VERDICT_APISERVER,	    /* the cluster's API server fails from some or all nodes */
	VERDICT_DNS_SERVER,	    /* a DNS server gives no answer to any node of a cluster */
	VERDICT_DNS_NAME,	    /* a name does not resolve (right) from any node of a cluster */
	VERDICT_DNS_NODE,	    /* some nodes cannot resolve a name the others resolve */
	VERDICT_LOSSY_PATH,	    /* packets lost, but not all of them */
	VERDICT_NOT_PROBED,	    /* planned results never probed (interrupted run) */
	VERDICT_NO_RESULTS,	    /* the run has no results at all */
	VERDICT_HEALTHY,	    /* every result passed */
	VERDICT_KIND_MAX
};

/* "node-not-ready", "floater-missing", "cluster-down", "gateway-down", "partitioned",
 * "bad-node",
 * "protocol-blocked", "ipv6-broken", "mtu", "bad-link", "more-links", "target-unreachable",
 * "apiserver-unreachable", "dns-server-unreachable", "dns-name-unresolved",
 * "node-cannot-resolve", "lossy-path", "not-probed", "no-results", "healthy". */
const char *verdict_kind_name(enum verdict_kind k);
/* The same for people: "floater missing", "bad node", ... */
const char *verdict_kind_title(enum verdict_kind k);

struct verdict {
	enum verdict_kind kind;
	char *text; /* one line, e.g. "bad node east/n3: every result to it fails (48 of 48,
		       timeout)" */
	/* Scope; NULL / -1 / 0 when the verdict is not about that dimension. */
	char *src_cluster, *dst_cluster; /* cluster pair (dst == src within one cluster) */
	char *node;			 /* "cluster/node" for node verdicts */
	char *peer;			 /* the other end of a bad link ("cluster/node") */
	int protocol;			 /* enum probe_protocol, or -1 */
	int family;			 /* 4 or 6, or 0 */
	bool both_directions;		 /* link or cluster pair fails both ways */
	/* Evidence: results this verdict explains (failed; for lossy paths, results with
	 * loss) out of the results in its scope; sent/received over the explained ones. */
	int64_t failed, total;
	int64_t sent, received;
};

struct verdict_list;

struct verdict_opts {
	bool merged;	      /* the merged view (latest result per pair along resumes) */
	size_t max_bad_links; /* bad links listed before one VERDICT_MORE_LINKS; 0 = 50 */
};

/* Computes the verdicts of a stored run. NULL + err on store errors. */
struct verdict_list *verdict_compute(struct store *st, int64_t run_id,
				     const struct verdict_opts *opts, struct err *err);
void verdict_list_free(struct verdict_list *vl);
size_t verdict_count(const struct verdict_list *vl);
/* i < verdict_count(vl); valid until verdict_list_free. Deterministic order: kind, then
 * scope names. */
const struct verdict *verdict_get(const struct verdict_list *vl, size_t i);
/* Whether two verdicts (of two runs, say) are about the same thing: the same kind and
 * scope, whatever their figures. */
bool verdict_same(const struct verdict *a, const struct verdict *b);
/* Results that failed / were seen in the walk (for callers that print totals). */
int64_t verdict_results_failed(const struct verdict_list *vl);
int64_t verdict_results_total(const struct verdict_list *vl);

#endif
