/* Internal header of src/run, shared by run.c (loop, batches), deploy.c (floaters),
 * nodes.c (node table) and probe.c (probe requests). */
#ifndef NETCTL_RUN_INT_H
#define NETCTL_RUN_INT_H

#include <stdarg.h>
#include <sys/queue.h>

#include "run.h"

#define ENGINE_BATCH 8192

/* How long netctl waits for one probe request: its probes' intervals and timeouts plus
 * this margin (the floater's rate, the proxy), never more than PROBE_REQUEST_MAX_MS. */
#define PROBE_REQUEST_MARGIN_MS 15000
#define PROBE_REQUEST_MAX_MS	600000

struct probe_req;

struct engine_cluster {
	const struct run_cluster *in;
	struct kube_client *client;
	char *token;         /* floater token (hex) from the Secret */
	size_t first_node;   /* index of its first node in engine.nodes */
	size_t nnodes;
	size_t cursor;       /* next plan source to dispatch */
	size_t inflight;     /* probe requests in flight */
	unsigned deployed;   /* KUBE_NET_* DaemonSets this run applied */
	struct kube_node_list nodes; /* listed before the run begins, sorted by name */
	size_t nodes_not_ready;      /* of which the Ready condition is not True */
	int64_t unreachable_us;      /* since when its API server gives no answer (0: it does) */
	bool answered;		     /* a probe request through it got an answer this run */
};

struct engine {
	struct store *st;
	struct run_options o;
	const struct run_events *ev;
	struct run_result *res;
	struct kube_loop *loop;
	struct engine_cluster *clusters;
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

	LIST_HEAD(probe_reqs, probe_req) requests; /* in flight, or waiting for a retry */
	size_t inflight_total;
	size_t retries_waiting; /* of those, waiting for their retry time (no call) */
	bool interrupted;
};

void engine_emit(struct engine *e, const struct store_result *r);
void engine_emit_decided(struct engine *e, uint32_t src, const struct plan_target *t,
			 unsigned protocols, enum probe_error error);
void engine_phase(struct engine *e, enum run_phase phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void engine_warn(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* deploy.c */
/* Every cluster's user may create pods/proxy in the namespace (the probes go through it):
 * else ERR_AUTH naming the permission, before anything is deployed. */
int floaters_permitted(struct engine *e, struct err *err);
int floaters_deploy(struct engine *e, struct err *err);
int floaters_wait(struct engine *e, volatile sig_atomic_t *stop, struct err *err);
void floaters_remove(struct engine *e);
unsigned engine_kube_networks(unsigned store_networks);

/* nodes.c */
int nodes_list(struct engine *e, struct err *err);
int nodes_collect(struct engine *e, struct err *err);
void nodes_release(struct engine *e);

/* probe.c */

/* One probe request to a source floater: a shard of the plan, asked again (only for what
 * is still missing) when it fails. */
struct probe_req {
	LIST_ENTRY(probe_req) link; /* engine.requests */
	struct engine *e;
	struct engine_cluster *ec;
	struct kube_call *call;
	uint32_t src;
	enum plan_sender sender;
	unsigned protocols;
	struct plan_target *targets;
	uint8_t *seen; /* per target: protocols already answered */
	size_t n;
	int attempt;
	bool finished;	       /* the floater sent its final line */
	int64_t first_fail_us; /* when an attempt of it first failed */
	int64_t due_us;	       /* a retry waits until then (no call in flight meanwhile) */
};

/* One line of a floater's answer (wire.h). */
struct probe_line {
	bool done; /* the final line; nothing else is set */
	size_t ref; /* index into the request's targets */
	enum probe_protocol protocol;
	enum probe_error error; /* PROBE_OTHER for a name this netctl does not know */
	uint32_t sent, received;
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us, rtt_p99_us;
};

/* The POST body of r: the targets not yet answered for every protocol (caller frees). */
char *probe_body_build(const struct probe_req *r, const struct run_options *o, int64_t run_id);
/* Parses one line of the answer to a request of ntargets targets: 0, or -1 for a line to
 * ignore (not JSON, a ref out of range, no protocol or error, an unknown protocol). */
int probe_line_parse(const char *line, size_t len, size_t ntargets, struct probe_line *out,
		     struct err *err);
/* What a failed request is worth: one more immediate try (a timeout, a 404, TLS or size
 * errors, or a floater that finished its answer without every result); tries with backoff
 * while the API server is away (it cannot be reached, or cut the stream, or a cluster whose
 * proxy answered earlier in this run now says 401/403: a restarted API server denies
 * requests until its authorization caches fill); tries with backoff while the floater may
 * be restarting (5xx: the proxy cannot reach the pod). */
enum probe_retry_kind { PROBE_RETRY_ONCE, PROBE_RETRY_SERVER, PROBE_RETRY_FLOATER };

/* How r's failed attempt (resp, err as kube_done_fn has them) is retried. */
enum probe_retry_kind probe_retry_kind(const struct probe_req *r,
				      const struct kube_response *resp, const struct err *err);
/* Whether r, whose attempt failed at now, is asked again (its failure clocks already set). */
bool probe_retry_worth(const struct probe_req *r, enum probe_retry_kind kind, int64_t now);
/* Records that an attempt of r failed at now (starting its and, for an API server away, its
 * cluster's failure clock) and schedules the next: 0 with r->due_us and r->attempt set, or
 * -1 when r is given up. */
int probe_retry_next(struct probe_req *r, enum probe_retry_kind kind, int64_t now);
void probe_request_start(struct engine *e, const struct plan_shard *sh, int attempt);
int64_t probe_retry_due(struct engine *e);
void probe_cancel_all(struct engine *e);

#endif
