/* protocol dns without --dns-server: the DNS servers are those the floater pods are given,
 * their resolv.conf (docs/decisions.md, "The default DNS server"). One Ready floater per
 * cluster is asked (GET /v1/info through the pod proxy) after the rollout: one API request
 * per cluster, and the pseudo-nodes are then what an explicit --dns-server makes. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"
#include "wire.h"

#define DNS_DEFAULT_TRIES      3	  /* floaters asked per cluster before giving up */
#define DNS_DEFAULT_TIMEOUT_MS 5000	  /* per request */
#define DNS_DEFAULT_MAX_BODY   (64 << 10) /* a floater's /v1/info is < 1 KiB */

const struct run_target *run_dns_servers(const struct run_engine *e, size_t c, size_t *n)
{
	if (e->o.ndns_servers) {
		*n = e->o.ndns_servers;
		return e->o.dns_servers;
	}
	*n = e->clusters[c].ndns_default;
	return e->clusters[c].dns_default;
}

static bool picked_source(const struct run_engine *e, size_t c, const char *node)
{
	for (size_t i = 0; i < e->o.nsrc_nodes; i++)
		if ((e->o.src_nodes[i].cluster < 0 || (size_t)e->o.src_nodes[i].cluster == c) &&
		    str_eq(e->o.src_nodes[i].name, node))
			return true;
	return false;
}

/* The want-th (from 0) Ready floater of a node taking part: on a node named by --src-node
 * first (the few pairs re-checked ask their own pods' servers), pod network before host
 * network (ClusterFirst; ClusterFirstWithHostNet gives the host network's the same file). */
static const struct kube_pod *candidate(const struct run_engine *e, size_t c,
					const struct kube_pod_list *pods, size_t want)
{
	static const char *const nets[] = {"pod", "host"};
	const struct run_engine_cluster *ec = &e->clusters[c];
	size_t seen = 0;

	for (int round = e->o.nsrc_nodes ? 0 : 1; round < 2; round++)
		for (int k = 0; k < 2; k++) {
			if (!ec->ds_uid[k][0])
				continue;
			for (size_t i = 0; i < ec->nodes.n; i++) {
				const char *node = ec->nodes.items[i].name;

				if (picked_source(e, c, node) != (round == 0))
					continue;
				for (size_t j = 0; j < pods->n; j++) {
					const struct kube_pod *p = &pods->items[j];

					if (p->ready && p->node && str_eq(p->node, node) &&
					    str_eq(p->network, nets[k]) &&
					    str_eq(p->owner_uid, ec->ds_uid[k]) && seen++ == want)
						return p;
				}
			}
		}
	return NULL;
}

/* GET /v1/info of pod: 0 with its "nameservers" array in *ns (inside *info, which the caller
 * deletes), 1 when the floater does not report them (older than the member), -1 with err. */
static int ask(struct run_engine *e, struct run_engine_cluster *ec, const struct kube_pod *pod,
	       cJSON **info, const cJSON **ns, struct err *err)
{
	char header[128], *path, *body = NULL;
	const char *headers[] = {header, NULL};
	struct kube_request q;
	long status = 0;
	int rc;

	snprintf(header, sizeof(header), WIRE_HEADER_TOKEN ": %s", ec->token);
	path = xasprintf("/api/v1/namespaces/%s/pods/%s:%d/proxy" WIRE_PATH_INFO, e->o.namespace,
			 pod->name, e->o.port);
	memset(&q, 0, sizeof(q));
	q.method = KUBE_GET;
	q.path = path;
	q.headers = headers;
	q.timeout_ms = DNS_DEFAULT_TIMEOUT_MS;
	q.max_body = DNS_DEFAULT_MAX_BODY;
	rc = kube_request_sync(ec->client, &q, &status, &body, err);
	free(path);
	if (rc < 0)
		return -1;
	*info = cJSON_Parse(body ? body : "");
	free(body);
	if (!cJSON_IsObject(*info)) {
		cJSON_Delete(*info);
		*info = NULL;
		return err_set(err, ERR_API, "its /v1/info is no JSON object");
	}
	*ns = cJSON_GetObjectItemCaseSensitive(*info, "nameservers");
	if (!*ns)
		return 1;
	if (!cJSON_IsArray(*ns))
		return err_set(err, ERR_API, "its /v1/info has nameservers that are no list");
	return 0;
}

/* The servers of ns into ec (IP literals of the run's families, port 53, no repeats); the
 * rest named in skipped. */
static void take(const struct run_engine *e, struct run_engine_cluster *ec, const cJSON *ns,
		 struct buf *skipped)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, ns)
	{
		struct run_target t;
		struct err ignored = ERR_INIT;
		bool dup = false;

		if (!cJSON_IsString(it) ||
		    run_target_parse(it->valuestring, "nameserver", &t, &ignored) < 0 || t.port)
			continue;
		t.port = RUN_DNS_PORT;
		if (!(e->o.families & (t.family == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4))) {
			(void)!buf_printf(skipped, "%s%s", skipped->len ? ", " : "", t.addr);
			continue;
		}
		for (size_t i = 0; i < ec->ndns_default; i++)
			dup = dup || !strcmp(ec->dns_default[i].addr, t.addr);
		if (!dup && ec->ndns_default < RUN_DNS_SERVERS_MAX)
			ec->dns_default[ec->ndns_default++] = t;
	}
}

/* A floater's version as it says it, when it is one (docs/floater.md, "Versions"). */
static const char *version_of(const cJSON *info)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, "version");
	size_t n;

	if (!cJSON_IsString(v))
		return "of no stated version";
	n = strlen(v->valuestring);
	if (!n || n > WIRE_MAX_VERSION ||
	    strspn(v->valuestring, "0123456789abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+-") != n)
		return "of an unreadable version";
	return v->valuestring;
}

static void say(struct run_engine *e, const char *cluster, const char *what)
{
	size_t len = strlen(e->res->dns_default);

	snprintf(e->res->dns_default + len, sizeof(e->res->dns_default) - len, "%s%s %s",
		 len ? "; " : "", cluster, what);
}

void run_dns_default_ask(struct run_engine *e, size_t c, const struct kube_pod_list *pods)
{
	struct run_engine_cluster *ec = &e->clusters[c];
	const char *name = ec->in->name;
	struct err err = ERR_INIT;
	const struct kube_pod *pod = NULL;
	struct buf used, skipped;
	int rc = -1;

	if (!(e->o.protocols & (1u << PROTO_DNS)) || e->o.ndns_servers || !ec->nodes.n)
		return;
	for (size_t k = 0; k < DNS_DEFAULT_TRIES && rc < 0; k++) {
		cJSON *info = NULL;
		const cJSON *ns = NULL;
		const struct kube_pod *next = candidate(e, c, pods, k);

		if (!next)
			break;
		pod = next;
		err = (struct err)ERR_INIT;
		rc = ask(e, ec, pod, &info, &ns, &err);
		if (rc == 1) {
			run_engine_warn(e,
					"%s: no DNS check: the floater on node %s (%s) does not "
					"report its pod's nameservers, it is older than netctl %s; "
					"name the server with --dns-server",
					name, pod->node, version_of(info), NETCTL_VERSION);
			say(e, name, "none (its floater is too old to tell)");
		} else if (rc == 0) {
			buf_init(&skipped, 0);
			take(e, ec, ns, &skipped);
			if (!ec->ndns_default)
				run_engine_warn(
				    e,
				    "%s: no DNS check: the resolv.conf of the floater pod "
				    "on node %s names no nameserver%s%s%s; name the server "
				    "with --dns-server",
				    name, pod->node, skipped.len ? " of the run's families (" : "",
				    skipped.len ? skipped.data : "",
				    skipped.len ? "; --family 4,6 takes it)" : "");
			buf_release(&skipped);
		}
		cJSON_Delete(info);
	}
	if (rc < 0) {
		if (pod)
			run_engine_warn(e,
					"%s: no DNS check: no floater told its pod's nameservers "
					"(node %s: %s); name the server with --dns-server",
					name, pod->node, err.msg);
		else
			run_engine_warn(e,
					"%s: no DNS check: no Ready floater to ask for its pod's "
					"nameservers; name the server with --dns-server",
					name);
		say(e, name, "none (no floater told)");
		return;
	}
	if (rc == 1)
		return;
	if (!ec->ndns_default) {
		say(e, name, "none (no nameserver in its pods' resolv.conf)");
		return;
	}
	buf_init(&used, 0);
	for (size_t i = 0; i < ec->ndns_default; i++)
		(void)!buf_printf(&used, "%s%s", i ? ", " : "", ec->dns_default[i].addr);
	(void)!buf_printf(&used, " (node %s's floater pod)", pod->node);
	say(e, name, used.data);
	run_engine_phase(e, RUN_PHASE_NODES,
			 "%s: DNS servers from its floater pods' resolv.conf: %s", name, used.data);
	buf_release(&used);
}
