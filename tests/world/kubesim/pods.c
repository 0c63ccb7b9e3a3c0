/* Pods bound to this cluster's nodes: floater pods run as real processes in their own
 * network namespace (podnet.c) or the node's (hostNetwork); everything else is reported
 * Failed. Status goes to the API server on every change (merge patch). */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube.h"
#include "kubesim.h"

#define FLOATER_IMAGE "netctl-floater"
#define PROBE_FAST_US 100000 /* until the first success: the kubelet would wait periodSeconds */
/* a just-started pod is reported once it is Ready, or after this */
#define REPORT_GRACE_US	    2000000
#define REPORT_RETRY_US	    500000   /* pause after a failed status PATCH or pod DELETE */
#define PENDING_GRACE_US    30000000 /* a pod not started by then is reported Pending */
#define STATUS_INFLIGHT_MAX 64	     /* status PATCHes in flight, all pods together */
#define BACKOFF_MAX_US	    10000000
#define STATE_MAX	    (16u << 20)
#define SECRET_MAX	    (1u << 20)
#define PROBES_PER_TICK	    200	      /* new probes started per loop step */
#define SECRET_CACHE_US	    600000000 /* per owner: a new DaemonSet fetches its Secret anew */
#define SECRET_ENTRIES	    16
#define NET_PARALLEL	    32 /* pod networks being made at once (queued for the workers) */

/* Orphans: processes a previous simulator left (pods.state), adopted or stopped at sync. */
static struct ks_pod **orphans;
static size_t norphans, caporphans;
static int64_t next_sweep_us;

/* ---- small helpers --------------------------------------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long jlong(const cJSON *o, const char *k, long def)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : def;
}

static struct ks_pod *pod_find(struct ks *ks, const char *uid)
{
	size_t i;

	for (i = 0; uid && i < ks->npods; i++)
		if (strcmp(ks->pods[i]->uid, uid) == 0)
			return ks->pods[i];
	return NULL;
}

static void pod_free(struct ks_pod *p)
{
	if (!p)
		return;
	if (p->probe.fd > 0)
		close(p->probe.fd);
	free(p->uid);
	free(p->ns);
	free(p->name);
	free(p->owner_uid);
	free(p->revision);
	free(p->container);
	free(p->image);
	free(p->netns);
	free(p->fail_reason);
	free(p->fail_message);
	cJSON_Delete(p->spec);
	free(p);
}

/* Pod slot s of a node: IPs .2+s in the node's /29 and ::2+s in its /64; gateway .1 / ::1. */
static int slot_addr(const char *cidr, int family, int host, char *out, size_t outsz)
{
	unsigned char a[16];
	char base[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);

	if (n >= sizeof(base))
		return -1;
	memcpy(base, cidr, n);
	base[n] = '\0';
	if (inet_pton(family, base, a) != 1)
		return -1;
	a[family == AF_INET ? 3 : 15] += (unsigned char)host;
	return inet_ntop(family, a, out, (socklen_t)outsz) ? 0 : -1;
}

/* ---- status ---------------------------------------------------------------------------- */

static void add_cond(cJSON *arr, const char *type, bool ok, const char *now)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", ok ? "True" : "False");
	cJSON_AddNullToObject(c, "lastProbeTime");
	cJSON_AddStringToObject(c, "lastTransitionTime", now);
	cJSON_AddItemToArray(arr, c);
}

static void add_container_state(cJSON *cs, const struct ks_pod *p, const char *started)
{
	cJSON *state = cJSON_AddObjectToObject(cs, "state"), *s;

	if (p->state == KS_POD_RUNNING) {
		s = cJSON_AddObjectToObject(state, "running");
		cJSON_AddStringToObject(s, "startedAt", started);
	} else if (p->state == KS_POD_FAILED) {
		s = cJSON_AddObjectToObject(state, "terminated");
		cJSON_AddNumberToObject(s, "exitCode", 128);
		cJSON_AddStringToObject(s, "reason", p->fail_reason);
		cJSON_AddStringToObject(s, "message", p->fail_message);
	} else {
		s = cJSON_AddObjectToObject(state, "waiting");
		cJSON_AddStringToObject(s, "reason",
					p->restarts ? "CrashLoopBackOff" : "ContainerCreating");
	}
}

static const char *pod_phase(const struct ks_pod *p)
{
	if (p->state == KS_POD_FAILED)
		return "Failed";
	return p->state == KS_POD_RUNNING || p->restarts ? "Running" : "Pending";
}

static cJSON *pod_status(const struct ks_pod *p, bool ready)
{
	cJSON *o = cJSON_CreateObject(), *st, *ips, *conds, *css, *cs;
	const char *phase = pod_phase(p);
	char now[32], started[32];

	time_format_iso(time_wall_ms(), now, sizeof(now));
	time_format_iso(p->started_wall_ms ? p->started_wall_ms : time_wall_ms(), started,
			sizeof(started));
	st = cJSON_AddObjectToObject(o, "status");
	cJSON_AddStringToObject(st, "phase", phase);
	cJSON_AddStringToObject(st, "hostIP", p->node->ipv4);
	cJSON_AddStringToObject(st, "startTime", started);
	if (p->state == KS_POD_FAILED) {
		cJSON_AddStringToObject(st, "reason", p->fail_reason);
		cJSON_AddStringToObject(st, "message", p->fail_message);
	}
	if (p->ipv4[0]) {
		cJSON_AddStringToObject(st, "podIP", p->ipv4);
		ips = cJSON_AddArrayToObject(st, "podIPs");
		cJSON_AddItemToArray(ips, cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetArrayItem(ips, 0), "ip", p->ipv4);
		cJSON_AddItemToArray(ips, cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetArrayItem(ips, 1), "ip", p->ipv6);
	}
	conds = cJSON_AddArrayToObject(st, "conditions");
	add_cond(conds, "Initialized", true, now);
	add_cond(conds, "Ready", ready, now);
	add_cond(conds, "ContainersReady", ready, now);
	add_cond(conds, "PodScheduled", true, now);
	css = cJSON_AddArrayToObject(st, "containerStatuses");
	cs = cJSON_CreateObject();
	cJSON_AddItemToArray(css, cs);
	cJSON_AddStringToObject(cs, "name", p->container);
	cJSON_AddStringToObject(cs, "image", p->image);
	cJSON_AddStringToObject(cs, "imageID", "");
	if (p->pid > 0) {
		char id[64];

		snprintf(id, sizeof(id), "kubesim://%d", (int)p->pid);
		cJSON_AddStringToObject(cs, "containerID", id);
	}
	cJSON_AddBoolToObject(cs, "ready", ready);
	cJSON_AddBoolToObject(cs, "started", p->state == KS_POD_RUNNING);
	cJSON_AddNumberToObject(cs, "restartCount", p->restarts);
	add_container_state(cs, p, started);
	return o;
}

struct report_ctx {
	struct ks *ks;
	char *uid;
	int key;
	int64_t sent_us;
};

static struct report_ctx *report_ctx_new(struct ks *ks, const struct ks_pod *p, int key)
{
	struct report_ctx *ctx = xmalloc(sizeof(*ctx));

	ctx->ks = ks;
	ctx->uid = xstrdup(p->uid);
	ctx->key = key;
	ctx->sent_us = time_mono_us();
	return ctx;
}

static void report_ctx_free(struct report_ctx *ctx)
{
	free(ctx->uid);
	free(ctx);
}

/* resourceVersion as a number (etcd's revision here), 0 when it is not one */
static long long rv_num(const char *rv)
{
	char *end;
	long long v;

	if (!rv || !*rv)
		return 0;
	errno = 0;
	v = strtoll(rv, &end, 10);
	return errno || *end || v < 0 ? 0 : v;
}

static long long body_rv(const struct kube_response *resp)
{
	struct err err = ERR_INIT;
	cJSON *o = resp->body_len ? json_parse(resp->body, resp->body_len, STATE_MAX, &err) : NULL;
	long long rv = rv_num(jstr(jget(o, "metadata"), "resourceVersion"));

	cJSON_Delete(o);
	return rv;
}

static long long ms_between(int64_t a_us, int64_t b_us)
{
	return a_us && b_us ? (long long)((b_us - a_us) / 1000) : -1;
}

/* Where a pod's start went (ms from first sight; -1: not this time, e.g. adopted). */
static void pod_timeline_log(struct ks_pod *p, const struct report_ctx *ctx)
{
	p->timeline_logged = true;
	log_info("kubesim: pod %s/%s Ready on the server %lld ms after first sight (network at"
		 " %lld, process %lld, probe ok %lld, status sent %lld)",
		 p->ns, p->name, ms_between(p->seen_us, time_mono_us()),
		 ms_between(p->seen_us, p->net_us), ms_between(p->seen_us, p->started_us),
		 ms_between(p->seen_us, p->ready_us), ms_between(p->seen_us, ctx->sent_us));
}

/* The server has what we sent (or the pod is gone: 404); a failed patch is sent again
 * after a pause, with whatever the pod's status is by then. */
static void status_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct report_ctx *ctx = arg;
	struct ks_pod *p = pod_find(ctx->ks, ctx->uid);

	ctx->ks->inflight_patches--;
	ctx->ks->inflight_status--;
	log_debug("kubesim: pod %s status key %d done: HTTP %ld after %lld ms", ctx->uid, ctx->key,
		  resp->status, (long long)((time_mono_us() - ctx->sent_us) / 1000));
	if (err && resp->status != 404)
		log_warn("kubesim: pod status: %s", err->msg);
	if (p) {
		p->report_inflight = false;
		if (err && resp->status != 404) {
			p->reported = -1;
			p->report_retry_us = time_mono_us() + REPORT_RETRY_US;
		} else {
			p->reported = ctx->key;
			p->status_rv = err ? 0 : body_rv(resp);
			if ((ctx->key & 1) && !p->timeline_logged)
				pod_timeline_log(p, ctx);
		}
	}
	report_ctx_free(ctx);
}

static bool pod_ready(const struct ks_pod *p)
{
	return p->ready && p->state == KS_POD_RUNNING && !p->node->notready;
}

static int pod_key(const struct ks_pod *p)
{
	return (int)p->state << 1 | pod_ready(p);
}

static void pod_report(struct ks *ks, struct ks_pod *p)
{
	bool ready = pod_ready(p);
	int key = pod_key(p);
	struct err err = ERR_INIT;
	cJSON *st;
	char *text, *path;
	struct report_ctx *ctx;
	struct kube_request req = {
	    .method = KUBE_PATCH,
	    .content_type = "application/merge-patch+json",
	    .on_done = status_done,
	};

	/* one at a time: the next one goes out when this one is done (status_done); and a
	 * bounded number for all pods, so that the client's queue stays short and a Secret's
	 * GET or a lease renewal never waits behind a thousand status PATCHes */
	if (key == p->reported || p->report_inflight || time_mono_us() < p->report_retry_us ||
	    ks->inflight_status >= STATUS_INFLIGHT_MAX)
		return;
	ctx = report_ctx_new(ks, p, key);
	req.arg = ctx;
	st = pod_status(p, ready);
	text = json_print(st);
	path = xasprintf("/api/v1/namespaces/%s/pods/%s/status", p->ns, p->name);
	req.path = path;
	req.body = text;
	if (kube_call_start(ks->api, &req, &err)) {
		ks->inflight_patches++;
		ks->inflight_status++;
		p->report_inflight = true;
		log_debug("kubesim: %s/%s (%s) status key %d sent: %s%s", p->ns, p->name, p->uid,
			  key, cJSON_GetStringValue(jget(jget(st, "status"), "phase")),
			  ready ? " ready" : "");
	} else {
		log_warn("kubesim: pod status %s/%s: %s", p->ns, p->name, err.msg);
		p->report_retry_us = time_mono_us() + REPORT_RETRY_US;
		report_ctx_free(ctx);
	}
	free(path);
	free(text);
	cJSON_Delete(st);
	ks->state_dirty = true;
}

static bool status_ready(const cJSON *status)
{
	const cJSON *c;

	cJSON_ArrayForEach(
	    c, jget(status, "conditions")) if (str_eq(jstr(c, "type"),
						      "Ready")) return str_eq(jstr(c, "status"),
									      "True");
	return false;
}

/* Guard: when the watch shows our pod (at or after the version our last PATCH produced)
 * with a status other than the one we believe the server has, it is sent again. */
static void pod_status_check(struct ks_pod *p, const cJSON *obj)
{
	const cJSON *st = jget(obj, "status");
	long long rv = rv_num(jstr(jget(obj, "metadata"), "resourceVersion"));
	const char *phase = jstr(st, "phase");
	bool ready = pod_ready(p);

	if (p->report_inflight || p->reported < 0 || p->reported != pod_key(p) || !rv ||
	    rv < p->status_rv || p->state == KS_POD_STOPPING)
		return;
	if (str_eq(phase, pod_phase(p)) && status_ready(st) == ready &&
	    (!p->ipv4[0] || str_eq(jstr(st, "podIP"), p->ipv4)))
		return;
	log_info("kubesim: pod %s/%s: the API server shows %s%s, we sent %s%s: sending it again",
		 p->ns, p->name, phase ? phase : "no phase", status_ready(st) ? " ready" : "",
		 pod_phase(p), ready ? " ready" : "");
	p->reported = -1;
}

/* ---- stop ------------------------------------------------------------------------------ */

static void proc_stop(pid_t pid, unsigned long long starttime)
{
	int i;

	if (pid <= 0 || !starttime || ks_proc_starttime(pid) != starttime)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 20 && ks_proc_starttime(pid) == starttime; i++) {
		waitpid(pid, NULL, WNOHANG);
		usleep(10000);
	}
	if (ks_proc_starttime(pid) == starttime)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, WNOHANG);
}

/* Removal runs in the background; the slot stays taken until it is done. */
static void net_del_start(struct ks *ks, struct ks_node *node, const char *pod_ns, int slot)
{
	struct ks_netjob *j = ks_netjob_new(KS_NETJOB_DEL, node, pod_ns, slot);

	node->slots_used |= 1u << slot;
	j->next = ks->net_dels;
	ks->net_dels = j;
	ks_netpool_start(ks->net, j);
}

static void pod_net_release(struct ks *ks, struct ks_pod *p)
{
	if (p->net_job) {
		/* made a moment ago: wait for it (milliseconds), then remove it */
		ks_netpool_wait(ks->net, p->net_job);
		free(p->net_job);
		p->net_job = NULL;
		ks->net_adds--;
	}
	if (p->host || p->slot < 0)
		return;
	net_del_start(ks, p->node, p->netns, p->slot);
	p->slot = -1;
	p->net_status = KS_NET_NONE;
}

/* Removals that are done free their slot. */
static void net_dels_collect(struct ks *ks)
{
	struct ks_netjob **jp = &ks->net_dels, *j;

	while ((j = *jp)) {
		if (!ks_netpool_done(ks->net, j)) {
			jp = &j->next;
			continue;
		}
		*jp = j->next;
		if (j->rc < 0)
			log_warn("kubesim: remove pod network %s: %s", j->pod_ns, j->err.msg);
		j->node->slots_used &= ~(1u << j->slot);
		free(j);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		log_warn("kubesim: remove %s: %s", path, strerror(errno));
	return 0;
}

static void pod_files_remove(struct ks *ks, const char *uid)
{
	char *dir = xasprintf("%spods/%s", ks->state_dir, uid);

	/* depth first, never following links; a pod's files are a few levels deep */
	if (strlen(uid) > 8 && !strchr(uid, '/'))
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void pod_remove(struct ks *ks, struct ks_pod *p)
{
	size_t i;

	proc_stop(p->pid, p->starttime);
	pod_net_release(ks, p);
	pod_files_remove(ks, p->uid);
	for (i = 0; i < ks->npods; i++) {
		if (ks->pods[i] == p) {
			ks->pods[i] = ks->pods[--ks->npods];
			break;
		}
	}
	log_info("kubesim: pod %s/%s removed", p->ns, p->name);
	pod_free(p);
	ks->state_dirty = true;
}

static void delete_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct report_ctx *ctx = arg;
	struct ks_pod *p = pod_find(ctx->ks, ctx->uid);

	ctx->ks->inflight_patches--;
	/* 404: gone already; 409: the uid precondition failed, so it is another pod now */
	if (err && resp->status != 404 && resp->status != 409) {
		log_warn("kubesim: delete pod: %s", err->msg);
		if (p) {
			p->delete_inflight = false;
			p->delete_retry_us = time_mono_us() + REPORT_RETRY_US;
		}
	}
	report_ctx_free(ctx);
}

/* The kubelet confirms a graceful deletion with a DELETE of grace period 0; a failed one is
 * sent again (ks_pods_tick), else the pod would stay Terminating. */
static void pod_confirm_delete(struct ks *ks, struct ks_pod *p)
{
	struct err err = ERR_INIT;
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s", p->ns, p->name);
	char *body =
	    xasprintf("{\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"%s\"}}", p->uid);
	struct report_ctx *ctx = report_ctx_new(ks, p, -1);
	struct kube_request req = {
	    .method = KUBE_DELETE,
	    .path = path,
	    .body = body,
	    .on_done = delete_done,
	    .arg = ctx,
	};

	if (kube_call_start(ks->api, &req, &err)) {
		ks->inflight_patches++;
		p->delete_inflight = true;
	} else {
		log_warn("kubesim: delete %s/%s: %s", p->ns, p->name, err.msg);
		p->delete_retry_us = time_mono_us() + REPORT_RETRY_US;
		report_ctx_free(ctx);
	}
	free(path);
	free(body);
}

/* ---- start ----------------------------------------------------------------------------- */

/* A finished job: ready, or failed (the next attempt starts over). */
static int pod_net_collect(struct ks *ks, struct ks_pod *p, struct err *err)
{
	struct ks_netjob *j = p->net_job;
	int rc = j->rc;

	if (!ks_netpool_done(ks->net, j))
		return 1;
	p->net_job = NULL;
	ks->net_adds--;
	if (rc < 0) {
		err_set(err, j->err.code, "pod network %s: %s", j->pod_ns, j->err.msg);
		p->net_status = KS_NET_NONE;
	} else {
		p->net_status = KS_NET_READY;
		p->net_us = time_mono_us();
		log_debug("kubesim: pod network %s ready %lld ms after it was queued", j->pod_ns,
			  (long long)((j->done_us - j->queued_us) / 1000));
	}
	free(j);
	return rc < 0 ? -1 : 0;
}

/* Picks a free slot: the pod's addresses and namespace name follow from it. */
static int pod_net_plan(struct ks_pod *p, struct ks_netjob *j, struct err *err)
{
	int s;

	if (p->slot < 0) {
		for (s = 0; s < KS_MAX_SLOTS && (p->node->slots_used & (1u << s)); s++)
			;
		if (s == KS_MAX_SLOTS)
			return err_set(err, ERR_LIMIT, "node %s has no free pod address",
				       p->node->name);
		p->slot = s;
		p->node->slots_used |= 1u << s;
	}
	s = p->slot;
	if (slot_addr(p->node->cidr4, AF_INET, 2 + s, p->ipv4, sizeof(p->ipv4)) < 0 ||
	    slot_addr(p->node->cidr4, AF_INET, 1, j->gw4, sizeof(j->gw4)) < 0 ||
	    slot_addr(p->node->cidr6, AF_INET6, 2 + s, p->ipv6, sizeof(p->ipv6)) < 0 ||
	    slot_addr(p->node->cidr6, AF_INET6, 1, j->gw6, sizeof(j->gw6)) < 0)
		return err_set(err, ERR_PROTO, "bad pod CIDR on node %s", p->node->name);
	str_copy(j->ipv4, sizeof(j->ipv4), p->ipv4);
	str_copy(j->ipv6, sizeof(j->ipv6), p->ipv6);
	free(p->netns);
	p->netns = xasprintf("%sp%d", p->node->netns, s);
	str_copy(j->pod_ns, sizeof(j->pod_ns), p->netns);
	j->slot = s;
	return 0;
}

/* 0: the pod's network is ready, 1: being made (by the podnet.c workers, a bounded number
 * at a time, so that a thousand pods never stall the loop), -1: failed. */
static int pod_net_setup(struct ks *ks, struct ks_pod *p, struct err *err)
{
	struct ks_netjob *j;

	if (p->host) {
		str_copy(p->ipv4, sizeof(p->ipv4), p->node->ipv4);
		str_copy(p->ipv6, sizeof(p->ipv6), p->node->ipv6);
		free(p->netns);
		p->netns = xstrdup(p->node->netns);
		return 0;
	}
	if (p->net_status == KS_NET_READY)
		return 0;
	if (p->net_job)
		return pod_net_collect(ks, p, err);
	if (ks->net_adds >= NET_PARALLEL)
		return 1;
	j = ks_netjob_new(KS_NETJOB_ADD, p->node, "", -1);
	if (pod_net_plan(p, j, err) < 0) {
		free(j);
		return -1;
	}
	p->net_job = j;
	p->net_status = KS_NET_RUNNING;
	ks->net_adds++;
	ks_netpool_start(ks->net, j);
	return 1;
}

static int write_file(const char *path, const unsigned char *data, size_t len, struct err *err)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return err_set(err, ERR_IO, "write %s", path);
	}
	fclose(f);
	chmod(path, 0644);
	return 0;
}

/* A DaemonSet's pods all mount the same Secret: one GET serves a burst of pod starts. The
 * GET is asynchronous: with a thousand pods starting, the API server takes seconds per
 * request, and a blocking one stalled every other pod (found at 1,000 nodes). */
struct secret_entry {
	char *path; /* "request path#owner uid" */
	cJSON *obj;
	int64_t until_us; /* fresh until; after a failure: no new GET before */
	bool pending;
	struct err err; /* the last GET's failure */
};

static struct secret_entry secret_cache[SECRET_ENTRIES];

static void secret_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct secret_entry *e = arg;
	struct err perr = ERR_INIT;
	cJSON *o = err ? NULL : json_parse(resp->body, resp->body_len, STATE_MAX, &perr);

	e->pending = false;
	if (!o) {
		e->err = err ? *err : perr;
		e->until_us = time_mono_us() + REPORT_RETRY_US;
		return;
	}
	cJSON_Delete(e->obj);
	e->obj = o;
	e->until_us = time_mono_us() + SECRET_CACHE_US;
	err_clear(&e->err);
}

static struct secret_entry *secret_entry_get(const char *path)
{
	struct secret_entry *e, *victim = NULL;

	for (e = secret_cache; e < secret_cache + SECRET_ENTRIES; e++)
		if (e->path && str_eq(e->path, path))
			return e;
	/* an empty entry, else the one that went stale first (never one being fetched) */
	for (e = secret_cache; e < secret_cache + SECRET_ENTRIES; e++) {
		if (!e->path) {
			victim = e;
			break;
		}
		if (!e->pending && (!victim || e->until_us < victim->until_us))
			victim = e;
	}
	if (!victim)
		return NULL;
	free(victim->path);
	cJSON_Delete(victim->obj);
	memset(victim, 0, sizeof(*victim));
	victim->path = xstrdup(path);
	return victim;
}

/* 0: *out is a fresh copy (borrowed), 1: being fetched (ask again), -1: the GET failed. */
static int secret_get(struct ks *ks, const struct ks_pod *p, const char *name, const cJSON **out,
		      struct err *err)
{
	char *path = xasprintf("/api/v1/namespaces/%s/secrets/%s", p->ns, name);
	/* keyed by the pod's owner and its template too: the pods of one DaemonSet share one
	 * GET, and a new deployment (new DaemonSet, maybe a new token) or a rolled template
	 * (a new echo key changes its annotation) never gets an older copy */
	char *key = xasprintf("%s#%s#%s", path, p->owner_uid ? p->owner_uid : p->uid,
			      p->revision ? p->revision : "");
	struct secret_entry *e = secret_entry_get(key);
	int64_t now = time_mono_us();
	struct kube_request req = {.method = KUBE_GET, .on_done = secret_done};
	int rc = 1;

	if (!e)
		goto out; /* every entry busy: ask again */
	if (e->obj && now < e->until_us) {
		*out = e->obj;
		rc = 0;
	} else if (e->pending) {
		rc = 1;
	} else if (e->err.code && now < e->until_us) {
		*err = e->err;
		rc = -1;
	} else {
		req.path = path;
		req.arg = e;
		if (kube_call_start(ks->api, &req, err)) {
			e->pending = true;
		} else {
			e->err = *err;
			e->until_us = now + REPORT_RETRY_US;
			rc = -1;
		}
	}
out:
	free(path);
	free(key);
	return rc;
}

static int secret_write(struct ks *ks, struct ks_pod *p, const char *secret, const char *dir,
			struct err *err)
{
	const cJSON *s = NULL, *item;
	int rc = secret_get(ks, p, secret, &s, err);

	if (rc != 0)
		return rc;
	if (path_mkdirs(dir, 0755, err) < 0)
		return -1;
	cJSON_ArrayForEach(item, jget(s, "data"))
	{
		size_t in;
		unsigned char *bin;
		int n;
		char *file;

		if (!cJSON_IsString(item) || strchr(item->string, '/') ||
		    (in = strlen(item->valuestring)) > SECRET_MAX)
			continue;
		bin = xmalloc(in / 4 * 3 + 4);
		n = EVP_DecodeBlock(bin, (const unsigned char *)item->valuestring, (int)in);
		if (n >= 0) {
			/* EVP_DecodeBlock counts the padding as zero bytes */
			while (in && item->valuestring[in - 1] == '=' && n > 0) {
				in--;
				n--;
			}
			file = xasprintf("%s/%s", dir, item->string);
			rc = write_file(file, bin, (size_t)n, err);
			free(file);
		}
		free(bin);
		if (n < 0)
			return err_set(err, ERR_PROTO, "secret %s: bad base64", secret);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Mounts: "mountPath=localdir" pairs for secret volumes, written into *mounts. 0, or 1
 * while a Secret is being fetched, -1 on error. */
static int pod_volumes(struct ks *ks, struct ks_pod *p, const cJSON *ctr, char ***mounts,
		       struct err *err)
{
	const cJSON *m, *v;
	size_t n = 0, cap = 0;
	int rc;

	*mounts = NULL;
	cJSON_ArrayForEach(m, jget(ctr, "volumeMounts"))
	{
		const char *vname = jstr(m, "name"), *mpath = jstr(m, "mountPath");

		cJSON_ArrayForEach(v, jget(p->spec, "volumes"))
		{
			const char *secret = jstr(jget(v, "secret"), "secretName");
			char *dir;

			if (!vname || !mpath || !secret || !str_eq(jstr(v, "name"), vname))
				continue;
			dir = xasprintf("%spods/%s/%s", ks->state_dir, p->uid, vname);
			rc = secret_write(ks, p, secret, dir, err);
			if (rc != 0) {
				free(dir);
				return rc;
			}
			*mounts = xgrow(*mounts, &cap, n + 3, sizeof(char *));
			(*mounts)[n++] = xstrdup(mpath);
			(*mounts)[n++] = dir;
			(*mounts)[n] = NULL;
		}
	}
	return 0;
}

/* An argument naming a file under a mount path points into the local copy instead. */
static char *map_path(const char *arg, char **mounts)
{
	size_t i;

	for (i = 0; mounts && mounts[i]; i += 2) {
		const char *hit = strstr(arg, mounts[i]);
		size_t ml = strlen(mounts[i]);

		if (hit && (hit[ml] == '/' || hit[ml] == '\0'))
			return xasprintf("%.*s%s%s", (int)(hit - arg), arg, mounts[i + 1],
					 hit + ml);
	}
	return xstrdup(arg);
}

static void strv_push(char ***v, size_t *n, size_t *cap, char *s)
{
	*v = xgrow(*v, cap, *n + 2, sizeof(char *));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* The hostile floater's mode wanted on a node ("" for the real floater): a mode name,
 * letters and '-' only, as tests/world/fault writes it. */
static void hostile_wanted(struct ks *ks, const struct ks_node *node, char *out, size_t size)
{
	out[0] = '\0';
	if (!ks->hostile_floater)
		return;
	ks_ctl_read(ks, "hostile", node->name, out, size);
	if (strspn(out, "abcdefghijklmnopqrstuvwxyz-") != strlen(out))
		out[0] = '\0';
}

static char **pod_argv(struct ks *ks, struct ks_pod *p, const cJSON *ctr, char **mounts)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	const cJSON *a;
	bool first = true;

	/* the image's entrypoint is the floater; a command names it too */
	hostile_wanted(ks, p->node, p->hostile, sizeof(p->hostile));
	if (p->hostile[0]) {
		strv_push(&v, &n, &cap, xstrdup(ks->hostile_floater));
		strv_push(&v, &n, &cap, xstrdup("--mode"));
		strv_push(&v, &n, &cap, xstrdup(p->hostile));
		log_info("kubesim: pod %s/%s: hostile floater, mode %s", p->ns, p->name,
			 p->hostile);
	} else {
		strv_push(&v, &n, &cap, xstrdup(ks->floater));
	}
	cJSON_ArrayForEach(a, jget(ctr, "command"))
	{
		if (first) {
			first = false;
			continue;
		}
		if (cJSON_IsString(a))
			strv_push(&v, &n, &cap, map_path(a->valuestring, mounts));
	}
	cJSON_ArrayForEach(a, jget(ctr, "args")) if (cJSON_IsString(a))
	    strv_push(&v, &n, &cap, map_path(a->valuestring, mounts));
	return v;
}

static const char *field_ref(const struct ks_pod *p, const char *path)
{
	if (str_eq(path, "spec.nodeName"))
		return p->node->name;
	if (str_eq(path, "metadata.name"))
		return p->name;
	if (str_eq(path, "metadata.namespace"))
		return p->ns;
	if (str_eq(path, "metadata.uid"))
		return p->uid;
	if (str_eq(path, "status.podIP"))
		return p->ipv4;
	if (str_eq(path, "status.hostIP"))
		return p->node->ipv4;
	return "";
}

static char **pod_env(const struct ks_pod *p, const cJSON *ctr, char **mounts)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	const cJSON *e;

	strv_push(&v, &n, &cap, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"));
	strv_push(&v, &n, &cap, xstrdup("HOME=/"));
	strv_push(&v, &n, &cap, xasprintf("HOSTNAME=%s", p->host ? p->node->name : p->name));
	cJSON_ArrayForEach(e, jget(ctr, "env"))
	{
		const char *name = jstr(e, "name"), *val = jstr(e, "value");
		char *mapped;

		if (!name)
			continue;
		if (!val)
			val =
			    field_ref(p, jstr(jget(jget(e, "valueFrom"), "fieldRef"), "fieldPath"));
		mapped = map_path(val, mounts);
		strv_push(&v, &n, &cap, xasprintf("%s=%s", name, mapped));
		free(mapped);
	}
	return v;
}

static const struct {
	const char *name;
	int bit;
} cap_names[] = {
    {"CHOWN", 0},	   {"DAC_OVERRIDE", 1}, {"FOWNER", 3},
    {"FSETID", 4},	   {"KILL", 5},		{"SETGID", 6},
    {"SETUID", 7},	   {"SETPCAP", 8},	{"NET_BIND_SERVICE", 10},
    {"NET_BROADCAST", 11}, {"NET_ADMIN", 12},	{"NET_RAW", 13},
    {"SYS_CHROOT", 18},	   {"SYS_ADMIN", 21},	{"MKNOD", 27},
    {"AUDIT_WRITE", 29},   {"SETFCAP", 31},
};

/* The container runtime's default set, minus drop, plus add. */
static unsigned long long pod_caps(const cJSON *caps)
{
	unsigned long long set = 0;
	const cJSON *c;
	size_t i;
	static const char *const defaults[] = {
	    "CHOWN",	  "DAC_OVERRIDE", "FOWNER",	 "FSETID",	     "KILL",
	    "SETGID",	  "SETUID",	  "SETPCAP",	 "NET_BIND_SERVICE", "NET_RAW",
	    "SYS_CHROOT", "MKNOD",	  "AUDIT_WRITE", "SETFCAP"};

	for (i = 0; i < ARRAY_SIZE(cap_names); i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(defaults); k++)
			if (str_eq(defaults[k], cap_names[i].name))
				set |= 1ULL << cap_names[i].bit;
	}
	cJSON_ArrayForEach(c, jget(caps, "drop"))
	{
		for (i = 0; i < ARRAY_SIZE(cap_names); i++)
			if (str_eq(c->valuestring, "ALL") ||
			    str_eq(c->valuestring, cap_names[i].name))
				set &= ~(1ULL << cap_names[i].bit);
	}
	cJSON_ArrayForEach(c, jget(caps, "add"))
	{
		for (i = 0; i < ARRAY_SIZE(cap_names); i++)
			if (str_eq(c->valuestring, cap_names[i].name))
				set |= 1ULL << cap_names[i].bit;
	}
	return set;
}

static void pod_sysctls(const struct ks_pod *p, struct ks_spawn *s)
{
	const cJSON *sc;
	size_t n = 0, cap = 0, cap2 = 0, n2 = 0;

	if (p->host)
		return; /* the kubelet refuses namespaced sysctls with hostNetwork */
	cJSON_ArrayForEach(sc, jget(jget(p->spec, "securityContext"), "sysctls"))
	{
		const char *name = jstr(sc, "name"), *val = jstr(sc, "value");
		char *path, *q;

		if (!name || !val || !str_has_prefix(name, "net.") || strstr(name, ".."))
			continue;
		path = xasprintf("/proc/sys/%s", name);
		for (q = path + 10; *q; q++)
			if (*q == '.')
				*q = '/';
		strv_push(&s->sysctl_paths, &n, &cap, path);
		strv_push(&s->sysctl_values, &n2, &cap2, xstrdup(val));
	}
}

static const cJSON *pod_container(const struct ks_pod *p)
{
	return cJSON_GetArrayItem(jget(p->spec, "containers"), 0);
}

/* The resolv.conf a kubelet writes for the pod (pkg/kubelet/network/dns) into dir, its path
 * in *out (heap): the cluster DNS for dnsPolicy ClusterFirst (the default) without
 * hostNetwork and for ClusterFirstWithHostNet, dnsConfig's nameservers for None; *out NULL
 * (the node's file) otherwise. */
static int pod_resolv_conf(struct ks *ks, const struct ks_pod *p, const char *dir, char **out,
			   struct err *err)
{
	const char *policy = jstr(p->spec, "dnsPolicy");
	const cJSON *ns;
	char *path, **v = NULL;
	FILE *f;
	int rc = 0;

	*out = NULL;
	if (!policy || !*policy)
		policy = "ClusterFirst";
	if (!str_eq(policy, "None") &&
	    !(ks->cluster_dns && (str_eq(policy, "ClusterFirstWithHostNet") ||
				  (str_eq(policy, "ClusterFirst") && !p->host))))
		return 0;
	if (!str_eq(policy, "None")) {
		v = str_split_list(ks->cluster_dns, 3, "--cluster-dns", err);
		if (!v)
			return -1;
	}
	path = xasprintf("%s/resolv.conf", dir);
	f = fopen(path, "we");
	if (!f) {
		rc = err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (v) {
		fprintf(f, "search %s.svc.cluster.local svc.cluster.local cluster.local\n", p->ns);
		for (size_t i = 0; v[i]; i++)
			fprintf(f, "nameserver %s\n", v[i]);
		fprintf(f, "options ndots:5\n");
	} else {
		cJSON_ArrayForEach(ns, jget(jget(p->spec, "dnsConfig"), "nameservers"))
		{
			if (cJSON_IsString(ns))
				fprintf(f, "nameserver %s\n", ns->valuestring);
		}
	}
	if (fclose(f) != 0) {
		rc = err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	*out = path;
	path = NULL;
out:
	free(path);
	strv_free(v);
	return rc;
}

/* 0: started, 1: a Secret it mounts is being fetched, -1: failed. */
static int pod_spawn(struct ks *ks, struct ks_pod *p, struct err *err)
{
	const cJSON *ctr = pod_container(p);
	const cJSON *csc = jget(ctr, "securityContext"), *psc = jget(p->spec, "securityContext");
	struct ks_spawn s = {0};
	char **mounts = NULL, *logdir = NULL, *nspath = NULL, *resolv = NULL;
	int rc = -1;

	rc = pod_volumes(ks, p, ctr, &mounts, err);
	if (rc != 0)
		goto out;
	rc = -1;
	logdir = xasprintf("%spods/%s", ks->state_dir, p->uid);
	if (path_mkdirs(logdir, 0755, err) < 0)
		goto out;
	nspath = xasprintf("/run/netns/%s", p->netns);
	s.netns = nspath;
	s.log_path = xasprintf("%s/%s.log", logdir, p->container);
	s.argv = pod_argv(ks, p, ctr, mounts);
	s.envp = pod_env(p, ctr, mounts);
	s.uid = jlong(csc, "runAsUser", jlong(psc, "runAsUser", 0));
	s.gid = jlong(csc, "runAsGroup", jlong(psc, "runAsGroup", s.uid));
	s.keep_caps = pod_caps(jget(csc, "capabilities"));
	pod_sysctls(p, &s);
	if (pod_resolv_conf(ks, p, logdir, &resolv, err) < 0)
		goto spawned;
	s.resolv_conf = resolv;
	p->pid = ks_spawn(&s, err);
	if (p->pid > 0) {
		p->starttime = ks_proc_starttime(p->pid);
		rc = 0;
	}
spawned:
	free(resolv);
	free((char *)s.log_path);
	strv_free(s.argv);
	strv_free(s.envp);
	strv_free(s.sysctl_paths);
	strv_free(s.sysctl_values);
out:
	strv_free(mounts);
	free(logdir);
	free(nspath);
	return rc;
}

static void pod_start(struct ks *ks, struct ks_pod *p)
{
	struct err err = ERR_INIT;
	int64_t now = time_mono_us();
	int rc;

	/* network first: a pod waiting for a worker costs no file look-up per step */
	rc = pod_net_setup(ks, p, &err);
	if (rc == 1) {
		p->next_us = now + 20000;
		return;
	}
	if (rc == 0 && ks_ctl_exists(ks, "hold", p->node->name)) {
		p->next_us = now + 500000;
		return;
	}
	if (rc == 0)
		rc = pod_spawn(ks, p, &err);
	if (rc == 1) { /* its Secret is being fetched */
		p->next_us = now + 50000;
		return;
	}
	if (rc < 0) {
		log_warn("kubesim: pod %s/%s: %s", p->ns, p->name, err.msg);
		p->next_us = now + 1000000;
		return;
	}
	p->state = KS_POD_RUNNING;
	p->ready = false;
	p->probe_failures = 0;
	p->started_wall_ms = time_wall_ms();
	p->started_us = now;
	p->next_us =
	    now +
	    jlong(jget(pod_container(p), "readinessProbe"), "initialDelaySeconds", 0) * 1000000 +
	    20000;
	ks->state_dirty = true;
	log_info("kubesim: pod %s/%s started on %s (pid %d, %s %s)", p->ns, p->name, p->node->name,
		 (int)p->pid, p->ipv4, p->ipv6);
}

/* ---- readiness ------------------------------------------------------------------------- */

static int probe_port(const cJSON *ctr, const cJSON *port)
{
	const cJSON *cp;

	if (cJSON_IsNumber(port))
		return (int)port->valuedouble;
	cJSON_ArrayForEach(
	    cp, jget(ctr, "ports")) if (cJSON_IsString(port) &&
					str_eq(jstr(cp, "name"), port->valuestring)) return (int)
	    jlong(cp, "containerPort", 0);
	return 0;
}

static void probe_close(struct ks_pod *p)
{
	if (p->probe.fd >= 0)
		close(p->probe.fd);
	p->probe.fd = -1;
}

static void probe_result(struct ks_pod *p, bool ok, long threshold, long period)
{
	probe_close(p);
	if (ok) {
		p->probe_failures = 0;
		if (!p->ready_us)
			p->ready_us = time_mono_us();
		p->ready = true;
	} else if (++p->probe_failures >= threshold || !p->ready) {
		p->ready = false;
	}
	p->next_us = time_mono_us() + (p->ready ? period * 1000000 : PROBE_FAST_US);
}

/* One step of the pod's readiness probe; never blocks. */
static void pod_probe(struct ks *ks, struct ks_pod *p)
{
	const cJSON *ctr = pod_container(p);
	const cJSON *rp = jget(ctr, "readinessProbe"), *get = jget(rp, "httpGet");
	long period = jlong(rp, "periodSeconds", 10), timeout = jlong(rp, "timeoutSeconds", 1);
	long threshold = jlong(rp, "failureThreshold", 3);
	const char *path = jstr(get, "path");
	int port = probe_port(ctr, jget(get, "port")), rc;

	/* the fault switch is a file: looked at when a probe starts, not on every step */
	if (p->probe.fd < 0 && ks_ctl_exists(ks, "neverready", p->node->name)) {
		probe_result(p, false, 1, period);
		return;
	}
	if (!rp || !get) {
		probe_result(p, true, threshold, period); /* exec/tcpSocket probes: not simulated */
		return;
	}
	if (p->probe.fd < 0) {
		memset(&p->probe, 0, sizeof(p->probe));
		p->probe.fd = ks_probe_start(p->ipv4, port);
		if (p->probe.fd < 0) {
			probe_result(p, false, threshold, period);
			return;
		}
		p->probe.deadline_us = time_mono_us() + timeout * 1000000;
	}
	rc = ks_probe_step(&p->probe, p->ipv4, port, path ? path : "/");
	if (rc != 0)
		probe_result(p, rc > 0, threshold, period);
	else if (time_mono_us() > p->probe.deadline_us)
		probe_result(p, false, threshold, period);
}

/* ---- events ---------------------------------------------------------------------------- */

static bool image_supported(const char *image)
{
	return image && strstr(image, FLOATER_IMAGE);
}

static struct ks_pod *orphan_take(const char *uid)
{
	size_t i;

	for (i = 0; i < norphans; i++) {
		if (str_eq(orphans[i]->uid, uid)) {
			struct ks_pod *o = orphans[i];

			orphans[i] = orphans[--norphans];
			return o;
		}
	}
	return NULL;
}

/* A live process is adopted with its network; a network without one may be half made
 * (the previous simulator stopped while making it): it is removed, the pod starts over. */
static void pod_adopt(struct ks *ks, struct ks_pod *p)
{
	struct ks_pod *o = orphan_take(p->uid);
	bool alive;

	if (!o)
		return;
	alive = o->pid > 0 && ks_proc_starttime(o->pid) == o->starttime;
	if (o->slot >= 0 && !p->host && o->node) {
		if (alive) {
			p->net_status = KS_NET_READY;
			p->slot = o->slot;
			p->node->slots_used |= 1u << o->slot;
			free(p->netns);
			p->netns = xstrdup(o->netns);
			str_copy(p->ipv4, sizeof(p->ipv4), o->ipv4);
			str_copy(p->ipv6, sizeof(p->ipv6), o->ipv6);
		} else {
			net_del_start(ks, o->node, o->netns, o->slot);
		}
	}
	if (alive) {
		p->pid = o->pid;
		p->starttime = o->starttime;
		p->state = KS_POD_RUNNING;
		p->started_wall_ms = time_wall_ms();
		p->started_us = time_mono_us();
		log_info("kubesim: adopted pod %s/%s (pid %d)", p->ns, p->name, (int)p->pid);
	}
	pod_free(o);
}

static struct ks_pod *pod_new(struct ks *ks, const cJSON *obj, struct ks_node *node)
{
	const cJSON *md = jget(obj, "metadata"), *spec = jget(obj, "spec");
	const cJSON *ctr = cJSON_GetArrayItem(jget(spec, "containers"), 0);
	struct ks_pod *p;

	if (!jstr(md, "uid") || !jstr(md, "name") || !jstr(md, "namespace") || !ctr)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->uid = xstrdup(jstr(md, "uid"));
	p->ns = xstrdup(jstr(md, "namespace"));
	p->name = xstrdup(jstr(md, "name"));
	if (jstr(cJSON_GetArrayItem(jget(md, "ownerReferences"), 0), "uid"))
		p->owner_uid =
		    xstrdup(jstr(cJSON_GetArrayItem(jget(md, "ownerReferences"), 0), "uid"));
	if (jstr(jget(md, "labels"), "controller-revision-hash"))
		p->revision = xstrdup(jstr(jget(md, "labels"), "controller-revision-hash"));
	p->node = node;
	p->spec = cJSON_Duplicate(spec, 1);
	p->container = xstrdup(jstr(ctr, "name") ? jstr(ctr, "name") : "main");
	p->image = xstrdup(jstr(ctr, "image") ? jstr(ctr, "image") : "");
	p->host = cJSON_IsTrue(jget(spec, "hostNetwork"));
	p->slot = -1;
	p->reported = -1;
	p->probe.fd = -1;
	p->seen_us = time_mono_us();
	p->netns = xstrdup(node->netns);
	ks->pods = xgrow(ks->pods, &ks->cappods, ks->npods + 1, sizeof(*ks->pods));
	ks->pods[ks->npods++] = p;
	if (!image_supported(p->image)) {
		p->state = KS_POD_FAILED;
		p->fail_reason = xstrdup("UnsupportedImage");
		p->fail_message = xasprintf("the netctl test world's kubelet simulator runs only "
					    "%s images, not %s",
					    FLOATER_IMAGE, p->image);
		pod_report(ks, p);
		return p;
	}
	if (p->host) {
		str_copy(p->ipv4, sizeof(p->ipv4), node->ipv4);
		str_copy(p->ipv6, sizeof(p->ipv6), node->ipv6);
	}
	pod_adopt(ks, p);
	p->next_us = time_mono_us();
	ks->state_dirty = true;
	return p;
}

void ks_pod_event(struct ks *ks, const char *type, const cJSON *obj)
{
	const cJSON *md = jget(obj, "metadata");
	struct ks_node *node = ks_node_find(ks, jstr(jget(obj, "spec"), "nodeName"));
	struct ks_pod *p = pod_find(ks, jstr(md, "uid"));

	if (!node)
		return;
	if (str_eq(type, "DELETED")) {
		if (p)
			pod_remove(ks, p);
		return;
	}
	if (!p) {
		p = pod_new(ks, obj, node);
		if (!p)
			return;
	} else {
		pod_status_check(p, obj);
	}
	if (jstr(md, "deletionTimestamp") && p->state != KS_POD_STOPPING) {
		proc_stop(p->pid, p->starttime);
		p->pid = 0;
		p->state = KS_POD_STOPPING;
		pod_net_release(ks, p);
		pod_confirm_delete(ks, p);
		ks->state_dirty = true;
	}
}

/* A full list: pods we know that are gone were deleted while nobody watched. */
void ks_pods_sync(struct ks *ks, const cJSON *items)
{
	const cJSON *it;
	size_t i;
	bool *seen;

	cJSON_ArrayForEach(it, items) ks_pod_event(ks, "MODIFIED", it);
	seen = xcalloc(ks->npods + 1, sizeof(*seen));
	cJSON_ArrayForEach(it, items)
	{
		for (i = 0; i < ks->npods; i++)
			if (str_eq(ks->pods[i]->uid, jstr(jget(it, "metadata"), "uid")))
				seen[i] = true;
	}
	for (i = ks->npods; i-- > 0;)
		if (!seen[i])
			pod_remove(ks, ks->pods[i]);
	free(seen);
	/* what the previous simulator left for pods that no longer exist */
	while (norphans) {
		struct ks_pod *o = orphans[--norphans];

		log_info("kubesim: cleaning up after pod %s (gone)", o->uid);
		proc_stop(o->pid, o->starttime);
		if (o->slot >= 0 && o->node)
			net_del_start(ks, o->node, o->netns, o->slot);
		pod_files_remove(ks, o->uid);
		pod_free(o);
	}
}

/* ---- tick ------------------------------------------------------------------------------ */

static void reap(struct ks *ks)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < ks->npods; i++) {
			struct ks_pod *p = ks->pods[i];

			if (p->pid == pid)
				p->starttime = 0; /* gone: noticed below */
		}
	}
}

static void pod_exited(struct ks *ks, struct ks_pod *p)
{
	int64_t backoff = 1000000LL << (p->restarts < 4 ? p->restarts : 4);

	if (p->swapping) {
		log_info("kubesim: pod %s/%s: floater (pid %d) stopped to swap floaters", p->ns,
			 p->name, (int)p->pid);
		p->swapping = false;
		p->state = KS_POD_EXITED;
		p->pid = 0;
		p->ready = false;
		p->next_us = time_mono_us();
		ks->state_dirty = true;
		return;
	}
	log_warn("kubesim: pod %s/%s: floater (pid %d) exited; restart in %llds", p->ns, p->name,
		 (int)p->pid, (long long)(backoff / 1000000));
	p->state = KS_POD_EXITED;
	p->pid = 0;
	p->ready = false;
	p->restarts++;
	p->next_us = time_mono_us() + (backoff < BACKOFF_MAX_US ? backoff : BACKOFF_MAX_US);
	ks->state_dirty = true;
}

/* CTL/hostile/ changed (fault hostile, or its undo): a pod whose floater is not the one
 * wanted is stopped and started again at once, as the other binary. */
static void hostile_sweep(struct ks *ks)
{
	char *dir, want[32];
	struct stat sb;
	int64_t mtime;

	if (!ks->hostile_floater)
		return;
	dir = xasprintf("%shostile", ks->ctl_dir);
	mtime = stat(dir, &sb) == 0 ? sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec : 0;
	free(dir);
	if (mtime == ks->hostile_mtime_ns)
		return;
	ks->hostile_mtime_ns = mtime;
	for (size_t i = 0; i < ks->npods; i++) {
		struct ks_pod *p = ks->pods[i];

		if (p->state != KS_POD_RUNNING || p->swapping)
			continue;
		hostile_wanted(ks, p->node, want, sizeof(want));
		if (str_eq(want, p->hostile))
			continue;
		p->swapping = true;
		kill(p->pid, SIGKILL);
	}
}

void ks_pods_tick(struct ks *ks)
{
	int64_t now = time_mono_us();
	bool sweep = now >= next_sweep_us;
	int probes = 0;
	size_t i;

	reap(ks);
	net_dels_collect(ks);
	if (sweep) {
		next_sweep_us = now + 1000000;
		hostile_sweep(ks);
	}
	for (i = 0; i < ks->npods; i++) {
		struct ks_pod *p = ks->pods[i];

		if (p->state == KS_POD_RUNNING &&
		    (!p->starttime || (sweep && ks_proc_starttime(p->pid) != p->starttime)))
			pod_exited(ks, p);
		if ((p->state == KS_POD_NEW || p->state == KS_POD_EXITED) && now >= p->next_us)
			pod_start(ks, p);
		if (p->state == KS_POD_RUNNING &&
		    (p->probe.fd >= 0 || (now >= p->next_us && probes < PROBES_PER_TICK))) {
			if (p->probe.fd < 0)
				probes++;
			pod_probe(ks, p);
		}
		if (p->state != KS_POD_RUNNING && p->probe.fd >= 0)
			probe_close(p);
		if (p->state == KS_POD_STOPPING) {
			if (!p->delete_inflight && now >= p->delete_retry_us)
				pod_confirm_delete(ks, p);
			continue;
		}
		/* a new pod is Pending on the server already: Running and Ready go in one PATCH
		 * (a third of the PATCHes of Pending, Running, Ready when a thousand pods start
		 * at once); Pending with its reason only for a pod that does not start */
		if (p->state == KS_POD_NEW && p->reported < 0 &&
		    now - p->seen_us < PENDING_GRACE_US)
			continue;
		if (p->state == KS_POD_RUNNING && !p->ready &&
		    now - p->started_us < REPORT_GRACE_US)
			continue;
		pod_report(ks, p);
	}
	if (ks->state_dirty && now - ks->state_saved_us > 200000)
		ks_pods_state_save(ks);
}

/* ---- state file: uid pid ns/name node slot state network netns ipv4 ipv6 starttime ------ */

static const char *state_word(const struct ks_pod *p)
{
	switch (p->state) {
	case KS_POD_RUNNING:
		return p->ready ? "ready" : "running";
	case KS_POD_EXITED:
		return "exited";
	case KS_POD_FAILED:
		return "failed";
	case KS_POD_STOPPING:
		return "stopping";
	default:
		return "starting";
	}
}

void ks_pods_state_save(struct ks *ks)
{
	char *tmp = xasprintf("%spods.state.tmp", ks->state_dir);
	char *path = xasprintf("%spods.state", ks->state_dir);
	FILE *f = fopen(tmp, "we");
	size_t i;

	if (!f) {
		log_warn("kubesim: %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (i = 0; i < ks->npods; i++) {
		const struct ks_pod *p = ks->pods[i];

		fprintf(f, "%s\t%d\t%s/%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%llu\n", p->uid, (int)p->pid,
			p->ns, p->name, p->node->name, p->slot, state_word(p),
			p->host ? "host" : "pod", p->netns, p->ipv4[0] ? p->ipv4 : "-",
			p->ipv6[0] ? p->ipv6 : "-", p->starttime);
	}
	for (i = 0; i < norphans; i++) {
		const struct ks_pod *o = orphans[i];

		fprintf(f, "%s\t%d\t-/-\t%s\t%d\torphan\tpod\t%s\t%s\t%s\t%llu\n", o->uid,
			(int)o->pid, o->node ? o->node->name : "-", o->slot, o->netns, o->ipv4,
			o->ipv6, o->starttime);
	}
	if (fclose(f) == 0 && rename(tmp, path) == 0) {
		ks->state_dirty = false;
		ks->state_saved_us = time_mono_us();
	}
out:
	free(tmp);
	free(path);
}

void ks_pods_state_load(struct ks *ks)
{
	char *path = xasprintf("%spods.state", ks->state_dir);
	struct buf b;
	struct err err = ERR_INIT;
	char *line, *save = NULL;

	buf_init(&b, STATE_MAX);
	if (file_read_all(path, STATE_MAX, &b, &err) < 0)
		goto out;
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char uid[128], nsname[512], node[256], st[32], net[8], netns[256], v4[64], v6[64];
		int pid, slot;
		unsigned long long start;
		struct ks_pod *o;

		if (sscanf(line, "%127s %d %511s %255s %d %31s %7s %255s %63s %63s %llu", uid, &pid,
			   nsname, node, &slot, st, net, netns, v4, v6, &start) != 11)
			continue;
		o = xcalloc(1, sizeof(*o));
		o->probe.fd = -1;
		o->uid = xstrdup(uid);
		o->pid = pid;
		o->starttime = start;
		o->node = ks_node_find(ks, node);
		o->slot = (o->node && slot >= 0 && slot < KS_MAX_SLOTS) ? slot : -1;
		o->netns = xstrdup(netns);
		str_copy(o->ipv4, sizeof(o->ipv4), v4);
		str_copy(o->ipv6, sizeof(o->ipv6), v6);
		orphans = xgrow(orphans, &caporphans, norphans + 1, sizeof(*orphans));
		orphans[norphans++] = o;
	}
	log_info("kubesim: %zu pods from a previous run to adopt or clean up", norphans);
out:
	buf_release(&b);
	free(path);
}
