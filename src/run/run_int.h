/* Internal header of src/run, shared by run.c (loop, batches), deploy.c (floaters),
 * nodes.c (node table) and probe.c (probe requests). Everything here is named
 * run_<what>_<verb> (run_engine_*, run_floaters_*, run_nodes_*, run_probe_*) so that no
 * name of src/run can be taken for one of the floater's or another library's. */
#ifndef NETCTL_RUN_INT_H
#define NETCTL_RUN_INT_H

#include <stdarg.h>
#include <sys/queue.h>

#include "run.h"
#include "wire.h"

#define RUN_ENGINE_BATCH 8192

/* How long netctl waits for one probe request (docs/floater.md, "What netctl accepts"):
 * - for the next byte of its answer: one pair's intervals and timeouts plus
 *   RUN_PROBE_REQUEST_MARGIN_MS (the proxy, a floater that gets a core late). A floater
 *   that is still probing answers within that; one that is gone or stuck does not.
 * - for the whole answer: that plus RUN_PROBE_REQUEST_PER_PROBE_MS for each probe asked
 *   (a floater slower than 50 probes/s is broken), never more than RUN_PROBE_REQUEST_MAX_MS.
 *   It bounds a floater that trickles its answer. */
#define RUN_PROBE_REQUEST_MARGIN_MS    15000
#define RUN_PROBE_REQUEST_PER_PROBE_MS 20
#define RUN_PROBE_REQUEST_MAX_MS       600000

/* What netctl reads of a floater's answer (docs/floater.md, "What netctl accepts"): lines
 * of at most RUN_PROBE_LINE_MAX bytes (four times what a floater writes: room for members
 * a newer floater adds), no line left unfinished for RUN_PROBE_LINE_STALL_MS (a floater
 * writes each line whole), and at most one line per (target, protocol) asked plus the final
 * line, RUN_PROBE_LINE_MAX bytes each. */
#define RUN_PROBE_LINE_MAX	(4 * WIRE_MAX_LINE)
#define RUN_PROBE_LINE_STALL_MS 10000

struct run_probe_req;

struct run_engine_cluster {
	const struct run_cluster *in;
	struct kube_client *client;
	char *token;	   /* floater token (hex) from the Secret */
	size_t first_node; /* index of its first node in engine.nodes */
	size_t nnodes;
	size_t cursor;			/* next plan source to dispatch */
	size_t inflight;		/* probe requests in flight */
	unsigned deployed;		/* KUBE_NET_* DaemonSets this run applied */
	char ds_uid[2][64];		/* their uids (pod, host network), read while waiting:
					 * only pods they own get the token */
	struct kube_node_list nodes;	/* listed before the run begins, sorted by name; after
					 * run_nodes_select only the nodes that take part */
	struct kube_node_list left_out; /* the others, reasons in left_why */
	struct store_left_out *left_why;
	struct cJSON *placement; /* where its floaters run (kube_placement_json) */
	size_t nodes_not_ready;	 /* of the nodes taking part, not Ready */
	int64_t unreachable_us;	 /* since when its API server gives no answer (0: it does) */
	bool answered;		 /* a probe request through it got an answer this run */
	bool told_old_floater;	 /* warned that a floater refuses other ports */
	bool no_compact;	 /* a floater refused the compact encoding: JSON from then on */
	struct run_target apiserver[RUN_APISERVER_MAX]; /* its API server's addresses */
	size_t napiserver;
	int64_t apiserver_request_ms; /* time in flight of requests only for those */
	/* protocol dns without a server named: its floater pods' nameservers (dns_default.c) */
	struct run_target dns_default[RUN_DNS_SERVERS_MAX];
	size_t ndns_default;
};

struct run_engine {
	struct store *st;
	struct run_options o;
	const struct run_events *ev;
	struct run_result *res;
	struct kube_loop *loop;
	struct run_engine_cluster *clusters;
	size_t nclusters;

	/* node table: plan_node views over owned strings */
	struct plan_node *nodes;
	size_t nnodes;
	char **strings; /* every string the node table owns */
	size_t nstrings, strings_cap;

	struct plan *plan;

	struct store_result *batch;
	size_t batch_n;
	int64_t last_flush_us, last_progress_us, probe_start_us;
	bool store_failed;
	struct err store_err;
	struct err refused;    /* a floater netctl cannot work with (another wire): ends the run */
	uint8_t *version_told; /* per node and sender (2 * node + plan_sender): an older
				* floater's version was told */

	LIST_HEAD(run_probe_reqs, run_probe_req) requests; /* in flight, or waiting for a retry */
	size_t inflight_total;
	size_t retries_waiting; /* of those, waiting for their retry time (no call) */
	bool interrupted;
};

/* Adds a result to the batch; dst_kind (enum plan_node_kind) counts the API server's. */
void run_engine_emit(struct run_engine *e, const struct store_result *r, unsigned dst_kind);
void run_engine_emit_decided(struct run_engine *e, uint32_t src, const struct plan_target *t,
			     unsigned protocols, enum probe_error error);
void run_engine_phase(struct run_engine *e, enum run_phase phase, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void run_engine_warn(struct run_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* deploy.c */
/* Every cluster's user may create pods/proxy in the namespace (the probes go through it):
 * else ERR_AUTH naming the permission, before anything is deployed. */
int run_floaters_permitted(struct run_engine *e, struct err *err);
int run_floaters_deploy(struct run_engine *e, struct err *err);
/* The floater image repository of a cluster: dstImageRepository for a cluster that is only
 * a destination (when set), else srcImageRepository. */
const char *run_floaters_image_repository(const struct run_engine *e,
					  const struct run_engine_cluster *ec);
int run_floaters_wait(struct run_engine *e, volatile sig_atomic_t *stop, struct err *err);
void run_floaters_remove(struct run_engine *e);

/* select.c */
/* Splits every cluster's listed nodes into those taking part and those left out (and
 * why), and works out where its floaters run. */
int run_nodes_select(struct run_engine *e, struct err *err);
/* Records the nodes left out with the run. */
int run_nodes_record_left_out(struct run_engine *e, struct err *err);
/* kosmos.c: imported clusters' network types and ClusterNodes, with the run */
int run_kosmos_record(struct run_engine *e, struct err *err);
void run_nodes_select_release(struct run_engine_cluster *ec);

/* target.c */
/* Reads each cluster's API server addresses when the run checks them; a cluster whose
 * Endpoints cannot be read is told in a warning and gets no API server check. */
void run_apiserver_list(struct run_engine *e);
/* protocol dns without --dns-server: cluster c's DNS servers are the nameservers in the
 * resolv.conf of one of its Ready floater pods (GET /v1/info), or none with a warning;
 * the summary's line in res->dns_default (docs/decisions.md, "The default DNS server"). */
void run_dns_default_ask(struct run_engine *e, size_t c, const struct kube_pod_list *pods);
/* The DNS servers cluster c's nodes ask: the run's, else its pods' own. */
const struct run_target *run_dns_servers(const struct run_engine *e, size_t c, size_t *n);

/* nodes.c */
int run_nodes_list(struct run_engine *e, struct err *err);
int run_nodes_collect(struct run_engine *e, struct err *err);
void run_nodes_release(struct run_engine *e);

/* probe.c */

/* One probe request to a source floater: a shard of the plan, asked again (only for what
 * is still missing) when it fails. */
/* Reading a compact ("c1") answer: its field list and the previous line's values. */
struct run_c1 {
	size_t nfields;
	int8_t field[WIRE_C_MAX_FIELDS]; /* which known field each is, -1: none netctl knows */
	bool any;			 /* a result line was read */
	char prev[WIRE_C_MAX_FIELDS][WIRE_C_MAX_VALUE + 1];
};

struct run_probe_req {
	LIST_ENTRY(run_probe_req) link; /* engine.requests */
	struct run_engine *e;
	struct run_engine_cluster *ec;
	struct kube_call *call;
	uint32_t src;
	enum plan_sender sender;
	unsigned protocols;
	struct plan_target *targets;
	uint8_t *seen; /* per target: protocols already answered */
	/* per target, this attempt: RUN_PROBE_ASKED when the request names it, and the
	 * protocols its answer gave */
	uint8_t *this_attempt;
	size_t n;
	int attempt;
	size_t lines;	   /* lines of this attempt's answer so far */
	struct err broken; /* why this attempt's answer broke the control API (ERR_PROTO) */
	/* this attempt's floater as its answer's headers name it ("", 0: not named; "?", -1:
	 * named, but no version or wire number) */
	char floater_version[WIRE_MAX_VERSION + 1];
	long floater_wire;
	bool finished;	       /* the floater sent its final line */
	int64_t first_fail_us; /* when an attempt of it first failed */
	int64_t started_us;    /* when it was first sent */
	bool apiserver_only;   /* every target is an API server address */
	int64_t due_us;	       /* a retry waits until then (no call in flight meanwhile) */
	bool compact;	       /* this attempt asks for the compact encoding */
	bool c1_on;	       /* this attempt's answer is compact: its field list came */
	struct run_c1 c1;
	/* Node proof (docs/floater.md, "Which node answered"): per target, what its UDP echo
	 * said (RUN_PROBE_NODE_*), and the ICMP/TCP results held until it said it; NULL until
	 * a result is held. */
	uint8_t *node_seen;
	uint8_t *held_mask;	   /* per target: protocols held */
	struct store_result *held; /* n x PROTO_MAX */
};
#define RUN_PROBE_NODE_UNSAID 0
#define RUN_PROBE_NODE_PROVEN 1 /* or at least not disproven (timeout, an older floater) */
#define RUN_PROBE_NODE_WRONG  2
/* Targets of one request: each names its node (WIRE_TARGET_NODE, 16 hex digits), so fewer
 * fit in a floater's body than WIRE_MAX_TARGETS. */
#define RUN_PROBE_MAX_TARGETS 8000
/* The node id a target's "node" carries: SipHash-2-4 of the name under the all-zero key. */
uint64_t run_node_id(const char *name);
bool run_probe_target_node(const struct run_probe_req *r, size_t i, char hex[WIRE_NODE_ID_HEX + 1]);

/* One line of a floater's answer (wire.h). */
struct run_probe_line {
	bool done;  /* the final line; nothing else is set */
	size_t ref; /* index into the request's targets */
	enum probe_protocol protocol;
	enum probe_error error;	  /* PROBE_OTHER for a name this netctl does not know */
	char ip[WIRE_MAX_IP + 1]; /* the target as the floater parsed it; "" when left out */
	uint32_t sent, received;
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us, rtt_p99_us;
};

/* Where r's targets start in its request body (a rotation by source). */
size_t run_probe_first_target(const struct run_probe_req *r);
/* The POST body of r: the targets not yet answered for every protocol (caller frees). */
char *run_probe_body_build(const struct run_probe_req *r, const struct run_options *o,
			   int64_t run_id);
/* Parses one line of the answer to a request of ntargets targets: 0, or -1 for a line that
 * breaks the control API (not JSON, no ref or a ref out of range, no protocol or error, an
 * unknown protocol, an ip that is no IP literal). */
int run_probe_line_parse(const char *line, size_t len, size_t ntargets, struct run_probe_line *out,
			 struct err *err);

/* The compact encoding (probe_c1.c): the request's "format" and "targets_c" members, the
 * answer's field list (0, or -1: no field list netctl can read) and its lines (as
 * run_probe_line_parse). */
void run_c1_targets(struct buf *b, const struct run_probe_req *r, const struct run_options *o,
		    int (*port_of)(const struct plan_target *t, const struct run_options *o));
int run_c1_fields(struct run_c1 *c, const char *line, size_t len, struct err *err);
int run_c1_line(struct run_c1 *c, const char *line, size_t len, size_t ntargets,
		struct run_probe_line *out, struct err *err);
/* A 400 naming "targets" to a compact request: a floater older than the compact encoding.
 * The cluster's requests go in JSON from then on (this one again at once). */
bool run_probe_compact_refused(struct run_probe_req *r, const struct kube_response *resp);

/* A floater's version against this netctl's (docs/install.md, "Version skew"). */
enum run_floater_skew {
	RUN_FLOATER_OK = 0,  /* netctl's version or a newer one, of netctl's wire */
	RUN_FLOATER_OLDER,   /* an older version of netctl's wire: used, with a warning */
	RUN_FLOATER_UNKNOWN, /* no version (or none netctl can read), netctl's wire: as OLDER */
	RUN_FLOATER_WIRE,    /* another wire (or one netctl cannot read): refused */
};

/* What a floater that named version and wire ("" and 0 when it named none) is to this
 * netctl; a floater that names no wire speaks WIRE_VERSION_UNSAID. */
enum run_floater_skew run_floater_skew(const char *version, long wire);
/* Takes one header of r's answer: the floater's version and wire, checked (printable
 * version characters, at most WIRE_MAX_VERSION; a wire number). */
void run_probe_header(struct run_probe_req *r, const char *name, const char *value);
/* Checks the version r's floater named: 0 to go on (an older or unnamed version is told
 * in one warning per floater and run: cluster, node and both versions), -1 when netctl
 * cannot work with it (another wire): e->refused then says why, and the run ends. */
int run_probe_version_check(struct run_probe_req *r);

/* In run_probe_req.this_attempt: the target is part of this attempt's request. */
#define RUN_PROBE_ASKED 0x80
_Static_assert(PROTO_MAX < 8, "protocol bits stay below RUN_PROBE_ASKED");

/* Marks what attempt r asks for: the targets still missing a protocol. */
void run_probe_attempt_begin(struct run_probe_req *r);
/* Takes a result line l into this attempt of r: 1 for a new result, 0 for one an earlier
 * attempt already gave (the first stays), -1 (err, ERR_PROTO) when the line breaks the
 * control API: a ref this attempt did not ask for, a protocol the request did not name, a
 * (ref, protocol) answered twice, an ip that is not the target's. So no line ever lands on
 * another pair, and an answer has at most one line per pair asked, plus the final line. */
int run_probe_line_accept(struct run_probe_req *r, const struct run_probe_line *l, struct err *err);
/* What a failed request is worth: one more immediate try (a timeout, a line stalled
 * unfinished, a 404, TLS errors, or a floater that finished its answer without every
 * result); tries with backoff while the API server is away (it cannot be reached, or cut
 * the stream, or a cluster whose proxy answered earlier in this run now says 401/403: a
 * restarted API server denies requests until its authorization caches fill); tries with
 * backoff while the floater may be restarting (5xx: the proxy cannot reach the pod); no
 * retry for an answer that broke the control API (a line netctl cannot take, or over
 * its size limits): what was missing is agent-lost at once. */
enum run_probe_retry_kind {
	RUN_PROBE_RETRY_ONCE,
	RUN_PROBE_RETRY_SERVER,
	RUN_PROBE_RETRY_FLOATER,
	RUN_PROBE_RETRY_NEVER,
};

/* How r's failed attempt (resp, err as kube_done_fn has them) is retried. */
enum run_probe_retry_kind run_probe_retry_kind(const struct run_probe_req *r,
					       const struct kube_response *resp,
					       const struct err *err);
/* Whether r, whose attempt failed at now, is asked again (its failure clocks already set). */
bool run_probe_retry_worth(const struct run_probe_req *r, enum run_probe_retry_kind kind,
			   int64_t now);
/* Records that an attempt of r failed at now (starting its and, for an API server away, its
 * cluster's failure clock) and schedules the next: 0 with r->due_us and r->attempt set, or
 * -1 when r is given up. */
int run_probe_retry_next(struct run_probe_req *r, enum run_probe_retry_kind kind, int64_t now);
/* A floater older than the "ports" member refuses the first target on a port other than
 * its own with 400 naming targets[N].port. Then r's targets on other ports (custom targets,
 * the API server) are recorded as error (PROBE_OTHER) and true is returned: the rest is
 * asked again, so an older floater's node pairs still get their results. */
bool run_probe_older_floater(struct run_probe_req *r, const struct kube_response *resp);
void run_probe_request_start(struct run_engine *e, const struct plan_shard *sh, int attempt);
int64_t run_probe_retry_due(struct run_engine *e);
void run_probe_cancel_all(struct run_engine *e);

#endif
