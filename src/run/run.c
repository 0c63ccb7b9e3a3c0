/* The check engine: deploy, wait, list, then dispatch the plan through the pod proxy and
 * stream results into the store. Single-threaded around one kube_loop. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_int.h"
#include "wire.h"

/* ---- result batches ------------------------------------------------------------------- */

static int batch_flush(struct run_engine *e)
{
	int64_t t0;
	int rc = 0;

	if (!e->batch_n)
		return 0;
	t0 = time_mono_us();
	if (store_results_add(e->st, e->res->run_id, e->batch, e->batch_n, &e->store_err) < 0) {
		e->store_failed = true;
		rc = -1;
	}
	e->res->store_ms += (time_mono_us() - t0) / 1000;
	e->batch_n = 0;
	e->last_flush_us = time_mono_us();
	return rc;
}

void run_engine_emit(struct run_engine *e, const struct store_result *r, unsigned dst_kind)
{
	e->batch[e->batch_n++] = *r;
	e->res->done++;
	if (r->error != PROBE_OK)
		e->res->failed++;
	if (dst_kind == PLAN_NODE_APISERVER) {
		e->res->apiserver_results++;
		e->res->apiserver_failed += r->error != PROBE_OK;
	}
	if (e->batch_n == RUN_ENGINE_BATCH)
		batch_flush(e);
}

/* Records results decided without a response (no agent, agent lost, no address). */
void run_engine_emit_decided(struct run_engine *e, uint32_t src, const struct plan_target *t,
			     unsigned protocols, enum probe_error error)
{
	struct store_result r;

	memset(&r, 0, sizeof(r));
	r.src_node = e->nodes[src].id;
	r.dst_node = e->nodes[t->dst].id;
	r.family = t->family;
	r.network = t->network;
	r.error = (uint8_t)error;
	for (unsigned p = 0; p < PROTO_MAX; p++) {
		if (!(protocols & (1u << p)))
			continue;
		r.protocol = (uint8_t)p;
		run_engine_emit(e, &r, e->nodes[t->dst].kind);
	}
}

static void run_engine_progress(struct run_engine *e, bool force)
{
	struct run_progress p;
	int64_t now = time_mono_us();

	if (!e->ev || !e->ev->progress)
		return;
	if (!force && now - e->last_progress_us < 100000)
		return;
	e->last_progress_us = now;
	p.total = e->res->total;
	p.done = e->res->done;
	p.failed = e->res->failed;
	p.elapsed_ms = (now - e->probe_start_us) / 1000;
	p.requests_in_flight = (int64_t)e->inflight_total;
	e->ev->progress(e->ev->arg, &p);
}

/* Formats a line for the caller's phase or warn callback (and the log). */
static void run_engine_say(struct run_engine *e, bool warn, enum run_phase phase, const char *fmt,
			   va_list ap) __attribute__((format(printf, 4, 0)));
static void run_engine_say(struct run_engine *e, bool warn, enum run_phase phase, const char *fmt,
			   va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	log_info("%s", text);
	if (!e->ev)
		return;
	if (warn && e->ev->warn)
		e->ev->warn(e->ev->arg, text);
	else if (!warn && e->ev->phase)
		e->ev->phase(e->ev->arg, phase, text);
}

void run_engine_phase(struct run_engine *e, enum run_phase phase, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	run_engine_say(e, false, phase, fmt, ap);
	va_end(ap);
}

void run_engine_warn(struct run_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	run_engine_say(e, true, RUN_PHASE_PROBE, fmt, ap);
	va_end(ap);
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* Starts the work of source s of the plan: decided targets are recorded at once, the rest
 * become probe requests. */
static void dispatch_source(struct run_engine *e, size_t s)
{
	const struct plan_shard *shards;
	size_t n = plan_source(e->plan, s, &shards);

	for (size_t i = 0; i < n; i++) {
		const struct plan_shard *sh = &shards[i];

		if (sh->decided) {
			for (size_t t = 0; t < sh->n; t++)
				run_engine_emit_decided(e, sh->src, &sh->targets[t],
							sh->targets[t].protocols,
							(enum probe_error)sh->targets[t].error);
			continue;
		}
		run_probe_request_start(e, sh, 0);
	}
}

/* Next source of cluster c that has work, or SIZE_MAX. */
static size_t next_source(struct run_engine *e, size_t c)
{
	struct run_engine_cluster *ec = &e->clusters[c];
	size_t end = (ec->first_node + ec->nnodes) * 2;

	if (ec->cursor < ec->first_node * 2)
		ec->cursor = ec->first_node * 2;
	return ec->cursor < end ? ec->cursor++ : SIZE_MAX;
}

static bool dispatch_more(struct run_engine *e)
{
	bool work_left = false;

	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];

		while (ec->inflight < (size_t)e->o.concurrency) {
			size_t s = next_source(e, c);

			if (s == SIZE_MAX)
				break;
			dispatch_source(e, s);
		}
		if (ec->cursor < (ec->first_node + ec->nnodes) * 2)
			work_left = true;
	}
	return work_left;
}

static int probe_all(struct run_engine *e, volatile sig_atomic_t *stop, struct err *err)
{
	bool work_left = true;
	int64_t retry_us;
	int active;

	e->probe_start_us = time_mono_us();
	e->last_flush_us = e->probe_start_us;
	for (;;) {
		if (stop && *stop) {
			e->interrupted = true;
			break;
		}
		retry_us = run_probe_retry_due(e);
		if (work_left)
			work_left = dispatch_more(e);
		if (!work_left && e->inflight_total == 0)
			break;
		active = kube_loop_step(e->loop, 50, err);
		if (active < 0)
			return -1;
		/* only retries waiting for their time: the loop returned at once */
		if (active == 0 && retry_us > 0)
			usleep((useconds_t)(retry_us < 50000 ? retry_us : 50000));
		if (e->store_failed || e->refused.code != ERR_OK)
			break;
		if (time_mono_us() - e->last_flush_us > 250000)
			batch_flush(e);
		run_engine_progress(e, false);
	}
	run_probe_cancel_all(e);
	batch_flush(e);
	e->res->probe_ms = (time_mono_us() - e->probe_start_us) / 1000;
	for (size_t c = 0; c < e->nclusters; c++) {
		int64_t added = e->clusters[c].apiserver_request_ms / e->o.concurrency;

		if (added > e->res->apiserver_added_ms)
			e->res->apiserver_added_ms = added;
	}
	run_engine_progress(e, true);
	if (e->store_failed) {
		*err = e->store_err;
		return -1;
	}
	if (e->refused.code != ERR_OK) {
		*err = e->refused;
		return -1;
	}
	return 0;
}

/* ---- the run ----------------------------------------------------------------------------- */

static void run_engine_release(struct run_engine *e)
{
	run_probe_cancel_all(e);
	plan_free(e->plan);
	for (size_t c = 0; c < e->nclusters; c++) {
		kube_client_free(e->clusters[c].client);
		free(e->clusters[c].token);
	}
	kube_loop_free(e->loop);
	run_nodes_release(e);
	free(e->version_told);
	free(e->clusters);
	free(e->batch);
}

static int run_engine_init(struct run_engine *e, struct store *st,
			   const struct run_cluster *clusters, size_t n,
			   const struct run_options *o, const struct run_events *ev,
			   struct run_result *res, struct err *err)
{
	memset(e, 0, sizeof(*e));
	LIST_INIT(&e->requests);
	e->st = st;
	e->o = *o;
	if (e->o.concurrency <= 0)
		e->o.concurrency = 3;
	if (!e->o.max_targets || e->o.max_targets > RUN_PROBE_MAX_TARGETS)
		e->o.max_targets = RUN_PROBE_MAX_TARGETS;
	if (!e->o.version)
		e->o.version = NETCTL_VERSION;
	e->ev = ev;
	e->res = res;
	e->batch = xcalloc(RUN_ENGINE_BATCH, sizeof(*e->batch));
	e->nclusters = n;
	e->clusters = xcalloc(n, sizeof(*e->clusters));
	e->loop = kube_loop_new(err);
	if (!e->loop)
		return -1;
	for (size_t c = 0; c < n; c++) {
		struct kube_client_opts ko = {.name = clusters[c].name};

		/* Probe requests are long-running pod-proxy streams (the API server does not
		 * count them against its in-flight limit): the client's own cap (100) must not
		 * silently queue what --concurrency asked for. */
		if (e->o.concurrency > 100)
			ko.max_inflight = e->o.concurrency;
		e->clusters[c].in = &clusters[c];
		e->clusters[c].client = kube_client_new(e->loop, clusters[c].target, &ko, err);
		if (!e->clusters[c].client)
			return err_prefix(err, "cluster %s", clusters[c].name);
	}
	return 0;
}

static int64_t begin_run(struct run_engine *e, const struct run_cluster *clusters, size_t n,
			 const char *options_json, struct err *err)
{
	struct store_run_cluster *rc = xcalloc(n, sizeof(*rc));
	struct store_run_spec spec = {
	    .parent_id = e->o.parent_id,
	    .options_json = options_json ? options_json : "{}",
	    .protocols = e->o.protocols,
	    .families = e->o.families,
	    .networks = e->o.networks,
	    .clusters = rc,
	    .n_clusters = n,
	};
	int64_t id;

	for (size_t c = 0; c < n; c++) {
		rc[c].cluster_id = clusters[c].cluster_id;
		rc[c].roles = clusters[c].roles;
	}
	id = store_run_begin(e->st, &spec, err);
	free(rc);
	return id;
}

static uint64_t api_requests(const struct run_engine *e)
{
	uint64_t n = 0;

	for (size_t c = 0; c < e->nclusters; c++)
		n += kube_client_requests(e->clusters[c].client);
	return n;
}

static int outside(const char *what, long v, long min, long max, const char *unit, struct err *err)
{
	return err_set(err, ERR_USAGE,
		       "%s: %ld%s is outside what a floater accepts (%ld%s .. %ld%s)", what, v,
		       unit, min, unit, max, unit);
}

/* Custom targets the run can probe: of a family it checks, with a protocol they take (TCP
 * and UDP need a port), on few enough ports for a probe request to list them. */
static int targets_check(const struct run_options *o, struct err *err)
{
	int ports[RUN_TARGET_PORTS_MAX];
	size_t nports = 0;

	for (size_t i = 0; i < o->ntargets; i++) {
		const struct run_target *t = &o->targets[i];
		char text[64];
		bool known = t->port == o->port || !t->port;

		run_target_format(t, text, sizeof(text));
		if (!(o->families & (t->family == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)))
			return err_set(
			    err, ERR_USAGE,
			    "target %s is IPv%d: add --family %d (the check is IPv%s only)", text,
			    t->family, t->family, t->family == 6 ? "4" : "6");
		if (!t->port && !(o->protocols & (1u << PROTO_ICMP)))
			return err_set(err, ERR_USAGE,
				       "target %s has no port: tcp and udp need ADDR:PORT; icmp "
				       "would take it (--protocol)",
				       text);
		for (size_t k = 0; k < nports && !known; k++)
			known = ports[k] == t->port;
		if (known)
			continue;
		if (nports == RUN_TARGET_PORTS_MAX)
			return err_set(err, ERR_USAGE, "targets name more than %d ports",
				       RUN_TARGET_PORTS_MAX);
		ports[nports++] = t->port;
	}
	return 0;
}

/* protocol dns: servers and names within bounds, of a family the run checks, on a port a
 * request can list with the custom targets'; no server: the pods' own (dns_default.c). */
static int dns_check(const struct run_options *o, struct err *err)
{
	if (!(o->protocols & (1u << PROTO_DNS)))
		return 0;
	if (!o->ndns_names)
		return err_set(err, ERR_USAGE, "protocol dns needs a name to look up (--dns-name)");
	if (o->ndns_servers > RUN_DNS_SERVERS_MAX || o->ndns_names > RUN_DNS_NAMES_MAX)
		return err_set(err, ERR_USAGE, "at most %d DNS servers and %d names",
			       RUN_DNS_SERVERS_MAX, RUN_DNS_NAMES_MAX);
	for (size_t i = 0; i < o->ndns_servers; i++) {
		const struct run_target *t = &o->dns_servers[i];
		char text[64];

		run_target_format(t, text, sizeof(text));
		if (!(o->families & (t->family == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)))
			return err_set(
			    err, ERR_USAGE,
			    "DNS server %s is IPv%d: add --family %d (the check is IPv%s only)",
			    text, t->family, t->family, t->family == 6 ? "4" : "6");
	}
	for (size_t k = 0; k < o->ndns_names; k++) {
		const struct run_dns_name *n = &o->dns_names[k];

		if (n->expect_family &&
		    !(o->families & (n->expect_family == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)))
			return err_set(err, ERR_USAGE,
				       "DNS name %s=%s expects an IPv%d address: add --family %d",
				       n->name, n->expect, n->expect_family, n->expect_family);
	}
	return 0;
}

int run_options_check(const struct run_options *o, struct err *err)
{
	long pair_ms;

	if (o->count < WIRE_MIN_COUNT || o->count > WIRE_MAX_COUNT)
		return outside("count", o->count, WIRE_MIN_COUNT, WIRE_MAX_COUNT, "", err);
	if (o->interval_ms < WIRE_MIN_INTERVAL_MS || o->interval_ms > WIRE_MAX_INTERVAL_MS)
		return outside("interval", o->interval_ms, WIRE_MIN_INTERVAL_MS,
			       WIRE_MAX_INTERVAL_MS, " ms", err);
	if (o->timeout_ms < WIRE_MIN_TIMEOUT_MS || o->timeout_ms > WIRE_MAX_TIMEOUT_MS)
		return outside("timeout", o->timeout_ms, WIRE_MIN_TIMEOUT_MS, WIRE_MAX_TIMEOUT_MS,
			       " ms", err);
	if (o->size < WIRE_MIN_SIZE || o->size > WIRE_MAX_SIZE)
		return outside("size", o->size, WIRE_MIN_SIZE, WIRE_MAX_SIZE, " bytes", err);
	if (o->port < 1 || o->port > 65535)
		return outside("port", o->port, 1, 65535, "", err);
	if (o->max_targets > WIRE_MAX_TARGETS)
		return outside("targets per request", (long)o->max_targets, 1, WIRE_MAX_TARGETS, "",
			       err);
	if (targets_check(o, err) < 0 || dns_check(o, err) < 0)
		return -1;
	/* a floater takes these, but a request whose probes alone outlast the wait for it
	 * would time out every time and leave its pairs agent-lost */
	pair_ms = (long)o->count * o->interval_ms + 2 * o->timeout_ms;
	if (pair_ms > RUN_PROBE_REQUEST_MAX_MS - RUN_PROBE_REQUEST_MARGIN_MS)
		return err_set(err, ERR_USAGE,
			       "count x interval + 2 x timeout = %ld s, more than the %d s a probe "
			       "request may take",
			       pair_ms / 1000,
			       (RUN_PROBE_REQUEST_MAX_MS - RUN_PROBE_REQUEST_MARGIN_MS) / 1000);
	return 0;
}

/* ---- --src-node / --dst-node --------------------------------------------------------- */

struct pick_filter {
	const struct run_options *o;
	plan_filter_fn inner; /* the caller's filter (resume: what did not pass); NULL: none */
	void *inner_arg;
};

static bool node_picked(const struct run_node_pick *v, size_t n, const struct plan_node *node)
{
	if (!n)
		return true;
	if (node->kind != PLAN_NODE || !node->name)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((v[i].cluster < 0 || (uint32_t)v[i].cluster == node->cluster) &&
		    !strcmp(v[i].name, node->name))
			return true;
	return false;
}

static unsigned pick_filter_fn(void *arg, const struct plan_node *src, const struct plan_node *dst,
			       unsigned family, enum plan_network net)
{
	const struct pick_filter *f = arg;

	if (!node_picked(f->o->src_nodes, f->o->nsrc_nodes, src) ||
	    !node_picked(f->o->dst_nodes, f->o->ndst_nodes, dst))
		return 0;
	return f->inner ? f->inner(f->inner_arg, src, dst, family, net) : ~0u;
}

/* Every node named must be one this check takes part with (after run_nodes_select, before
 * anything is deployed): a typo probes nothing. */
static int picks_check(const struct run_engine *e, const struct run_node_pick *v, size_t n,
		       const char *what, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t c = 0; c < e->nclusters && !found; c++) {
			const struct kube_node_list *l = &e->clusters[c].nodes;

			if (v[i].cluster >= 0 && (size_t)v[i].cluster != c)
				continue;
			for (size_t k = 0; k < l->n && !found; k++)
				found = !strcmp(l->items[k].name, v[i].name);
		}
		if (!found)
			return err_set(err, ERR_USAGE,
				       "%s %s%s%s: not a node this check takes part with", what,
				       v[i].cluster < 0 ? "" : e->clusters[v[i].cluster].in->name,
				       v[i].cluster < 0 ? "" : "/", v[i].name);
	}
	return 0;
}

int run_check(struct store *st, const struct run_cluster *clusters, size_t n,
	      const bool *cluster_pairs, const struct run_options *o, plan_filter_fn filter,
	      void *filter_arg, const struct run_events *ev, volatile sig_atomic_t *stop,
	      struct run_result *res, struct err *err)
{
	struct run_engine e;
	struct plan_opts po;
	struct pick_filter pick = {.o = o};
	struct err list_err = ERR_INIT;
	int rc = -1, listed;
	int64_t t0;

	memset(res, 0, sizeof(*res));
	if (run_options_check(o, err) < 0)
		return -1;
	if (run_engine_init(&e, st, clusters, n, o, ev, res, err) < 0)
		goto out;
	t0 = time_mono_us();
	/* the run is recorded even when a cluster cannot be listed: it then shows as failed */
	listed = run_nodes_list(&e, &list_err);
	if (listed == 0)
		listed = run_nodes_select(&e, &list_err);
	if (listed == 0)
		run_apiserver_list(&e);
	res->run_id = begin_run(&e, clusters, n, o->options_json, err);
	if (res->run_id < 0)
		goto out;
	if (listed < 0) {
		*err = list_err;
		goto fail;
	}
	if (run_nodes_record_left_out(&e, err) < 0 || run_kosmos_record(&e, err) < 0 ||
	    picks_check(&e, o->src_nodes, o->nsrc_nodes, "--src-node", err) < 0 ||
	    picks_check(&e, o->dst_nodes, o->ndst_nodes, "--dst-node", err) < 0)
		goto fail;
	if (run_floaters_permitted(&e, err) < 0 || run_floaters_deploy(&e, err) < 0 ||
	    run_floaters_wait(&e, stop, err) < 0)
		goto fail;
	res->rollout_ms = (time_mono_us() - t0) / 1000;
	t0 = time_mono_us();
	if (run_nodes_collect(&e, err) < 0)
		goto fail;
	e.version_told = xcalloc(2 * (e.nnodes ? e.nnodes : 1), 1);
	po.protocols = o->protocols;
	po.families = o->families;
	po.networks = o->networks;
	po.max_targets = e.o.max_targets;
	po.sample = o->sample;
	po.sample_round = o->sample_round;
	if (o->nsrc_nodes || o->ndst_nodes) {
		pick.inner = filter;
		pick.inner_arg = filter_arg;
		filter = pick_filter_fn;
		filter_arg = &pick;
	}
	e.plan = plan_new(e.nodes, e.nnodes, n, cluster_pairs, &po, filter, filter_arg, err);
	if (!e.plan)
		goto fail;
	res->total = plan_total(e.plan);
	if (store_run_set_planned(st, res->run_id, res->total, err) < 0)
		goto fail;
	res->table_ms = (time_mono_us() - t0) / 1000;
	run_engine_phase(&e, RUN_PHASE_PROBE, "probing %lld results over %lld nodes",
			 (long long)res->total, (long long)res->nodes);
	if (probe_all(&e, stop, err) < 0)
		goto fail;
	res->status = e.interrupted ? STORE_RUN_INTERRUPTED : STORE_RUN_DONE;
	t0 = time_mono_us();
	if (store_run_finish(st, res->run_id, res->status, err) < 0)
		goto out;
	res->store_ms += (time_mono_us() - t0) / 1000;
	if (!e.o.keep_floaters && !e.interrupted)
		run_floaters_remove(&e);
	rc = 0;
	goto out;
fail:
	res->status = STORE_RUN_FAILED;
	batch_flush(&e);
	{
		struct err ignored = ERR_INIT;

		store_run_finish(st, res->run_id, STORE_RUN_FAILED, &ignored);
	}
out:
	if (e.clusters)
		res->api_requests = api_requests(&e);
	run_engine_release(&e);
	return rc;
}
