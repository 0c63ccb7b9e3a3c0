/* kubesim: registers the nodes of one test-world cluster, keeps their leases fresh, watches
 * the pods bound to them and runs floater pods as real processes (pods.c). Uses src/kube. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube.h"
#include "kubesim.h"

#define NODES_FILE_MAX	(4u << 20)
#define WATCH_LINE_MAX	(16u << 20)
#define LOOP_STEP_MS	50
#define LEASE_SECONDS	40 /* up to 100 nodes (renewed every 10 s); 4x above (every 120 s) */
#define LEASES_PER_STEP 100

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct ks_node *ks_node_find(struct ks *ks, const char *name)
{
	size_t i;

	for (i = 0; name && i < ks->nnodes; i++)
		if (strcmp(ks->nodes[i].name, name) == 0)
			return &ks->nodes[i];
	return NULL;
}

/* Fault switches are files: CTL/<what>/<node> (written by tests/world/fault). */
bool ks_ctl_exists(struct ks *ks, const char *what, const char *node)
{
	char *p = xasprintf("%s%s/%s", ks->ctl_dir, what, node);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/* The first line of CTL/<what>/<node> into out (empty when the file is missing). */
void ks_ctl_read(struct ks *ks, const char *what, const char *node, char *out, size_t size)
{
	char *p = xasprintf("%s%s/%s", ks->ctl_dir, what, node);
	FILE *f = fopen(p, "re");

	out[0] = '\0';
	if (f) {
		if (!fgets(out, (int)size, f))
			out[0] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		fclose(f);
	}
	free(p);
}

/* nodes.tsv: name index netns ipv4 ipv6 cidr4 cidr6 (written by `world up`) */
static int nodes_load(struct ks *ks, const char *path, struct err *err)
{
	struct buf b;
	char *line, *save = NULL;
	size_t cap = 0;
	int rc = -1;

	buf_init(&b, NODES_FILE_MAX);
	if (file_read_all(path, NODES_FILE_MAX, &b, err) < 0)
		goto out;
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7], *fs = NULL;
		struct ks_node *n;
		int k;

		for (k = 0; k < 7; k++) {
			f[k] = strtok_r(k ? NULL : line, "\t", &fs);
			if (!f[k]) {
				err_set(err, ERR_PROTO, "%s: line with fewer than 7 fields", path);
				goto out;
			}
		}
		ks->nodes = xgrow(ks->nodes, &cap, ks->nnodes + 1, sizeof(*ks->nodes));
		n = &ks->nodes[ks->nnodes++];
		memset(n, 0, sizeof(*n));
		n->ks = ks;
		n->name = xstrdup(f[0]);
		n->index = (int)strtol(f[1], NULL, 10);
		n->netns = xstrdup(f[2]);
		n->ipv4 = xstrdup(f[3]);
		n->ipv6 = xstrdup(f[4]);
		n->cidr4 = xstrdup(f[5]);
		n->cidr6 = xstrdup(f[6]);
	}
	if (!ks->nnodes) {
		err_set(err, ERR_PROTO, "%s: no nodes", path);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

/* ---- nodes and leases ------------------------------------------------------------------ */

static cJSON *node_object(const struct ks *ks, const struct ks_node *n)
{
	cJSON *o = cJSON_CreateObject(), *md, *labels, *spec, *cidrs;

	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Node");
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", n->name);
	labels = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(labels, "kubernetes.io/hostname", n->name);
	cJSON_AddStringToObject(labels, "kubernetes.io/os", "linux");
	cJSON_AddStringToObject(labels, "kubernetes.io/arch", "amd64");
	cJSON_AddStringToObject(labels, "netctl.io/world-cluster", ks->cluster);
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "podCIDR", n->cidr4);
	cidrs = cJSON_AddArrayToObject(spec, "podCIDRs");
	cJSON_AddItemToArray(cidrs, cJSON_CreateString(n->cidr4));
	cJSON_AddItemToArray(cidrs, cJSON_CreateString(n->cidr6));
	return o;
}

static void add_condition(cJSON *arr, const char *type, bool status, const char *reason,
			  const char *msg, const char *now)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status ? "True" : "False");
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddStringToObject(c, "lastHeartbeatTime", now);
	cJSON_AddStringToObject(c, "lastTransitionTime", now);
	cJSON_AddItemToArray(arr, c);
}

static void add_address(cJSON *arr, const char *type, const char *addr)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "type", type);
	cJSON_AddStringToObject(a, "address", addr);
	cJSON_AddItemToArray(arr, a);
}

static void add_resources(cJSON *st, const char *key)
{
	cJSON *r = cJSON_AddObjectToObject(st, key);

	cJSON_AddStringToObject(r, "cpu", "4");
	cJSON_AddStringToObject(r, "memory", "8Gi");
	cJSON_AddStringToObject(r, "pods", "110");
	cJSON_AddStringToObject(r, "ephemeral-storage", "20Gi");
}

static cJSON *node_status_patch(const struct ks_node *n, bool ready)
{
	cJSON *o = cJSON_CreateObject(), *st, *conds, *addrs, *info, *ep;
	char now[32];

	time_format_iso(time_wall_ms(), now, sizeof(now));
	st = cJSON_AddObjectToObject(o, "status");
	conds = cJSON_AddArrayToObject(st, "conditions");
	add_condition(conds, "MemoryPressure", false, "KubeletHasSufficientMemory", "ok", now);
	add_condition(conds, "DiskPressure", false, "KubeletHasNoDiskPressure", "ok", now);
	add_condition(conds, "PIDPressure", false, "KubeletHasSufficientPID", "ok", now);
	add_condition(conds, "NetworkUnavailable", false, "RouteCreated", "test world routes", now);
	if (ready)
		add_condition(conds, "Ready", true, "KubeletReady",
			      "kubelet simulator (netctl test world) is posting ready status", now);
	else
		add_condition(conds, "Ready", false, "KubeletNotReady",
			      "node made NotReady by a test-world fault", now);
	addrs = cJSON_AddArrayToObject(st, "addresses");
	add_address(addrs, "InternalIP", n->ipv4);
	add_address(addrs, "InternalIP", n->ipv6);
	add_address(addrs, "Hostname", n->name);
	add_resources(st, "capacity");
	add_resources(st, "allocatable");
	info = cJSON_AddObjectToObject(st, "nodeInfo");
	cJSON_AddStringToObject(info, "kubeletVersion", "v1.20.2");
	cJSON_AddStringToObject(info, "kubeProxyVersion", "v1.20.2");
	cJSON_AddStringToObject(info, "containerRuntimeVersion", "kubesim://" NETCTL_VERSION);
	cJSON_AddStringToObject(info, "operatingSystem", "linux");
	cJSON_AddStringToObject(info, "architecture", "amd64");
	cJSON_AddStringToObject(info, "osImage", "netctl test world");
	cJSON_AddStringToObject(info, "kernelVersion", "");
	cJSON_AddStringToObject(info, "machineID", n->name);
	cJSON_AddStringToObject(info, "systemUUID", n->name);
	cJSON_AddStringToObject(info, "bootID", n->name);
	ep = cJSON_AddObjectToObject(cJSON_AddObjectToObject(st, "daemonEndpoints"),
				     "kubeletEndpoint");
	cJSON_AddNumberToObject(ep, "Port", 10250);
	return o;
}

static void patch_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct ks *ks = arg;

	ks->inflight_patches--;
	if (err && resp->status != 404)
		log_warn("kubesim: %s", err->msg);
}

/* Fire-and-forget merge patch (node status); errors are logged. */
static void patch_async(struct ks *ks, const char *path, const cJSON *body)
{
	struct err err = ERR_INIT;
	char *text = json_print(body);
	struct kube_request req = {
	    .method = KUBE_PATCH,
	    .path = path,
	    .body = text,
	    .content_type = "application/merge-patch+json",
	    .on_done = patch_done,
	    .arg = ks,
	};

	if (kube_call_start(ks->api, &req, &err))
		ks->inflight_patches++;
	else
		log_warn("kubesim: PATCH %s: %s", path, err.msg);
	free(text);
}

static void node_report(struct ks *ks, struct ks_node *n)
{
	cJSON *st = node_status_patch(n, !n->notready);
	char *path = xasprintf("/api/v1/nodes/%s/status", n->name);

	patch_async(ks, path, st);
	free(path);
	cJSON_Delete(st);
}

static void create_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct ks_node *n = arg;

	n->ks->inflight_patches--;
	/* 409: registered by an earlier run of the simulator, which made its Lease too: renew
	 * it with a PATCH (a 404 then means a POST), no thousand POSTs after a restart */
	if (err && resp->status == 409)
		n->lease_created = true;
	if (err && resp->status != 409) {
		log_warn("kubesim: register node: %s", err->msg);
		n->ks->register_failed = true;
	}
}

/* All creates in flight at once (HTTP/2 streams), then all status patches. */
static int nodes_register(struct ks *ks, struct err *err)
{
	size_t i;

	for (i = 0; i < ks->nnodes; i++) {
		cJSON *o = node_object(ks, &ks->nodes[i]);
		char *text = json_print(o);
		struct kube_request req = {
		    .method = KUBE_POST,
		    .path = "/api/v1/nodes",
		    .body = text,
		    .retry_post = true, /* a repeated create answers 409, which is fine */
		    .on_done = create_done,
		    .arg = &ks->nodes[i],
		};

		if (kube_call_start(ks->api, &req, err))
			ks->inflight_patches++;
		else
			ks->register_failed = true;
		free(text);
		cJSON_Delete(o);
	}
	if (kube_loop_run(ks->loop, 300000, err) < 0)
		return err_prefix(err, "register nodes");
	if (ks->register_failed)
		return err_set(err, ERR_API, "some nodes could not be registered (see above)");
	for (i = 0; i < ks->nnodes; i++) {
		struct ks_node *n = &ks->nodes[i];

		n->notready = ks_ctl_exists(ks, "notready", n->name);
		node_report(ks, n);
		/* spread lease renewals over the period */
		n->next_lease_us =
		    time_mono_us() + (int64_t)i * ks->lease_period_us / (int64_t)ks->nnodes;
	}
	if (kube_loop_run(ks->loop, 300000, err) < 0)
		return err_prefix(err, "node status");
	return 0;
}

static cJSON *lease_object(const struct ks_node *n, const char *now)
{
	cJSON *o = cJSON_CreateObject(), *md, *spec;

	cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
	cJSON_AddStringToObject(o, "kind", "Lease");
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", n->name);
	cJSON_AddStringToObject(md, "namespace", "kube-node-lease");
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddStringToObject(spec, "holderIdentity", n->name);
	cJSON_AddNumberToObject(spec, "leaseDurationSeconds",
				n->ks->nnodes <= 100 ? LEASE_SECONDS : 4 * LEASE_SECONDS);
	cJSON_AddStringToObject(spec, "renewTime", now);
	return o;
}

/* MicroTime: RFC 3339 with microseconds. */
static void micro_now(char *dst, size_t n)
{
	int64_t us = time_mono_us(), ms = time_wall_ms();
	char iso[32];

	time_format_iso(ms, iso, sizeof(iso));
	snprintf(dst, n, "%.19s.%06dZ", iso, (int)((ms % 1000) * 1000 + us % 1000));
}

static void lease_created(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct ks_node *n = arg;

	n->ks->inflight_patches--;
	n->lease_pending = false;
	n->lease_created = !err || resp->status == 409;
	if (!n->lease_created)
		log_warn("kubesim: lease %s: %s", n->name, err->msg);
}

static void lease_patched(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct ks_node *n = arg;

	n->ks->inflight_patches--;
	n->lease_pending = false;
	if (err && resp->status == 404)
		n->lease_created = false; /* created on the next renewal */
	else if (err)
		log_warn("kubesim: lease %s: %s", n->name, err->msg);
}

/* Start one lease request (the create or a renewal); the node has at most one in flight. */
static void lease_send(struct ks *ks, struct ks_node *n, struct kube_request *req)
{
	struct err err = ERR_INIT;

	req->arg = n;
	if (kube_call_start(ks->api, req, &err)) {
		ks->inflight_patches++;
		n->lease_pending = true;
	} else {
		log_warn("kubesim: lease %s: %s", n->name, err.msg);
	}
}

/* Create once (async), then merge-patch renewTime; never blocks the loop, one request per
 * node in flight (a renewal never overtakes a slow one). */
static void lease_renew(struct ks *ks, struct ks_node *n)
{
	char now[40];
	cJSON *o;
	char *text, *path = NULL;

	if (n->lease_pending)
		return;
	micro_now(now, sizeof(now));
	o = lease_object(n, now);
	text = json_print(o);
	cJSON_Delete(o);
	if (!n->lease_created) {
		lease_send(
		    ks, n,
		    &(struct kube_request){
			.method = KUBE_POST,
			.path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
			.body = text,
			.retry_post = true,
			.on_done = lease_created,
		    });
	} else {
		path = xasprintf(
		    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", n->name);
		lease_send(ks, n,
			   &(struct kube_request){
			       .method = KUBE_PATCH,
			       .path = path,
			       .body = text,
			       .content_type = "application/merge-patch+json",
			       .on_done = lease_patched,
			   });
	}
	free(path);
	free(text);
}

static void nodes_tick(struct ks *ks)
{
	static int64_t next_ctl_us;
	int64_t now = time_mono_us();
	bool ctl = now >= next_ctl_us;
	int renewals = 0;
	size_t i;

	/* fault switches are looked at twice a second, not on every loop step */
	if (ctl)
		next_ctl_us = now + 500000;
	for (i = 0; i < ks->nnodes; i++) {
		struct ks_node *n = &ks->nodes[i];
		bool notready = ctl ? ks_ctl_exists(ks, "notready", n->name) : n->notready;

		if (notready != n->notready) {
			n->notready = notready;
			log_info("kubesim: node %s %s", n->name, notready ? "NotReady" : "Ready");
			node_report(ks, n);
		}
		/* a NotReady node's kubelet is silent; a bounded number of renewals per step */
		if (n->notready || now < n->next_lease_us || renewals >= LEASES_PER_STEP)
			continue;
		n->next_lease_us = now + ks->lease_period_us;
		lease_renew(ks, n);
		renewals++;
	}
}

/* ---- pod watch ------------------------------------------------------------------------- */

static int watch_line(void *arg, const char *line, size_t len)
{
	struct ks *ks = arg;
	struct err err = ERR_INIT;
	cJSON *ev = json_parse(line, len, WATCH_LINE_MAX, &err);

	if (!ev) {
		log_warn("kubesim: watch: %s", err.msg);
		return -1;
	}
	ks->events = xgrow(ks->events, &ks->capevents, ks->nevents + 1, sizeof(*ks->events));
	ks->events[ks->nevents++] = ev;
	return 0;
}

static void watch_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct ks *ks = arg;

	ks->watch = NULL;
	if (err) {
		/* 410: our resourceVersion is too old; anything else may have lost events in
		 * between: a fresh list either way (pods_list reconciles every pod) */
		log_warn("kubesim: watch ended: %s (status %ld); listing pods again", err->msg,
			 resp->status);
		ks->need_list = true;
		ks->watch_retry_us = time_mono_us() + 1000000;
	}
}

static void watch_start(struct ks *ks)
{
	struct err err = ERR_INIT;
	char *path = xasprintf("/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=240"
			       "&fieldSelector=spec.nodeName%%21%%3D&resourceVersion=%s",
			       ks->watch_rv);
	struct kube_request req = {
	    .method = KUBE_GET,
	    .path = path,
	    .timeout_ms = 300000,
	    .max_body = (size_t)1 << 40,
	    .max_line = WATCH_LINE_MAX,
	    .on_line = watch_line,
	    .on_done = watch_done,
	    .arg = ks,
	};

	ks->watch = kube_call_start(ks->api, &req, &err);
	if (!ks->watch) {
		log_warn("kubesim: watch: %s", err.msg);
		ks->watch_retry_us = time_mono_us() + 1000000;
	}
	free(path);
}

static int pods_list(struct ks *ks, struct err *err)
{
	const char *rv = NULL;
	cJSON *list = kube_get(ks->api, "/api/v1/pods?fieldSelector=spec.nodeName%21%3D", err);
	const cJSON *md;

	if (!list)
		return err_prefix(err, "list pods");
	md = cJSON_GetObjectItemCaseSensitive(list, "metadata");
	if (json_get_string(md, "resourceVersion", &rv, err) != 0) {
		cJSON_Delete(list);
		return err_set(err, ERR_PROTO, "pod list without resourceVersion");
	}
	free(ks->watch_rv);
	ks->watch_rv = xstrdup(rv);
	ks_pods_sync(ks, cJSON_GetObjectItemCaseSensitive(list, "items"));
	cJSON_Delete(list);
	ks->need_list = false;
	return 0;
}

static void events_drain(struct ks *ks)
{
	size_t i;

	for (i = 0; i < ks->nevents; i++) {
		cJSON *ev = ks->events[i];
		const char *type = NULL;
		const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
		const char *rv = NULL;
		struct err err = ERR_INIT;

		if (json_get_string(ev, "type", &type, &err) == 0) {
			if (strcmp(type, "ERROR") == 0) {
				/* usually 410 Gone: our resourceVersion is too old */
				ks->need_list = true;
			} else {
				if (json_get_string(md, "resourceVersion", &rv, &err) == 0) {
					free(ks->watch_rv);
					ks->watch_rv = xstrdup(rv);
				}
				if (strcmp(type, "BOOKMARK") != 0)
					ks_pod_event(ks, type, obj);
			}
		}
		cJSON_Delete(ev);
	}
	ks->nevents = 0;
}

static void watch_tick(struct ks *ks)
{
	struct err err = ERR_INIT;

	if (ks->need_list && time_mono_us() >= ks->watch_retry_us) {
		if (ks->watch) {
			kube_call_cancel(ks->watch);
			ks->watch = NULL;
		}
		if (pods_list(ks, &err) < 0) {
			log_warn("kubesim: %s", err.msg);
			ks->watch_retry_us = time_mono_us() + 1000000;
			return;
		}
	}
	if (!ks->watch && !ks->need_list && time_mono_us() >= ks->watch_retry_us)
		watch_start(ks);
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: kubesim --cluster NAME --cluster-index N --kubeconfig FILE --nodes FILE\n"
		"               --state DIR/ --ctl DIR/ --floater BIN [--hostile-floater BIN]\n"
		"               [--cluster-dns ADDR[,ADDR]] [-v]\n");
	exit(2);
}

static int parse_args(struct ks *ks, int argc, char **argv, const char **kubeconfig,
		      const char **nodes)
{
	static const struct option opts[] = {
	    {"cluster", required_argument, NULL, 'c'},
	    {"cluster-index", required_argument, NULL, 'i'},
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"nodes", required_argument, NULL, 'n'},
	    {"state", required_argument, NULL, 's'},
	    {"ctl", required_argument, NULL, 'C'},
	    {"floater", required_argument, NULL, 'f'},
	    {"hostile-floater", required_argument, NULL, 'H'},
	    {"cluster-dns", required_argument, NULL, 'D'},
	    {"world", required_argument, NULL, 'w'},
	    {"verbose", no_argument, NULL, 'v'},
	    {0},
	};
	struct err err = ERR_INIT;
	long v;
	int o;

	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			ks->cluster = optarg;
			break;
		case 'i':
			if (str_to_long(optarg, 0, 7, &v, "--cluster-index", &err) < 0)
				usage();
			ks->cluster_index = (int)v;
			break;
		case 'k':
			*kubeconfig = optarg;
			break;
		case 'n':
			*nodes = optarg;
			break;
		case 's':
			ks->state_dir = optarg;
			break;
		case 'C':
			ks->ctl_dir = optarg;
			break;
		case 'f':
			ks->floater = optarg;
			break;
		case 'H':
			ks->hostile_floater = optarg;
			break;
		case 'D':
			ks->cluster_dns = optarg;
			break;
		case 'w':
			break; /* marks the process as this world's (world down finds it by it) */
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		default:
			usage();
		}
	}
	if (!ks->cluster || !*kubeconfig || !*nodes || !ks->state_dir || !ks->ctl_dir ||
	    !ks->floater || !str_has_suffix(ks->state_dir, "/") ||
	    !str_has_suffix(ks->ctl_dir, "/"))
		usage();
	return 0;
}

static int setup(struct ks *ks, const char *kubeconfig, const char *nodes, struct err *err)
{
	struct kube_target *t;
	struct kube_client_opts copts = {.name = ks->cluster, .max_attempts = 8};
	char *path;
	FILE *f;

	if (nodes_load(ks, nodes, err) < 0)
		return -1;
	/* a thousand leases every 30 s were the most common slow request in the API server's
	 * log while a thousand floaters started; the controller-manager here waits 5 min */
	ks->lease_period_us = (ks->nnodes <= 100 ? 10 : 120) * 1000000LL;
	t = kube_target_load(kubeconfig, NULL, err);
	if (!t)
		return -1;
	ks->loop = kube_loop_new(err);
	if (ks->loop)
		ks->api = kube_client_new(ks->loop, t, &copts, err);
	kube_target_free(t);
	if (!ks->api)
		return -1;
	if (nodes_register(ks, err) < 0)
		return -1;
	path = xasprintf("%sregistered", ks->state_dir);
	f = fopen(path, "we");
	if (f)
		fclose(f);
	free(path);
	log_info("kubesim %s: %zu nodes registered", ks->cluster, ks->nnodes);
	ks->net = ks_netpool_new(err);
	if (!ks->net)
		return -1;
	ks_pods_state_load(ks);
	ks->need_list = true;
	ks->state_dirty = true;
	return 0;
}

int main(int argc, char **argv)
{
	struct ks ks = {0};
	struct err err = ERR_INIT;
	const char *kubeconfig = NULL, *nodes = NULL;
	struct sigaction sa = {.sa_handler = on_signal};

	log_set_level(LOG_INFO);
	parse_args(&ks, argc, argv, &kubeconfig, &nodes);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&ks, kubeconfig, nodes, &err) < 0) {
		log_error("kubesim %s: %s", ks.cluster, err.msg);
		return 1;
	}
	while (!stop_requested) {
		if (kube_loop_step(ks.loop, LOOP_STEP_MS, &err) < 0) {
			log_warn("kubesim: %s", err.msg);
			err_clear(&err);
		}
		events_drain(&ks);
		watch_tick(&ks);
		nodes_tick(&ks);
		ks_pods_tick(&ks);
	}
	/* Floaters keep running: a restarted simulator adopts them (world down stops them). */
	ks_netpool_free(ks.net); /* what is queued is done first: no half-made namespace is left */
	ks_pods_state_save(&ks);
	log_info("kubesim %s: stopping", ks.cluster);
	kube_client_free(ks.api);
	kube_loop_free(ks.loop);
	return 0;
}
