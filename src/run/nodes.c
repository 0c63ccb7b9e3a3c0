/* The node table of a run: every node of every cluster with its floaters and addresses,
 * recorded in the store (which gives each node its stable id). */
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

static const char *keep(struct run_engine *e, const char *s)
{
	if (!s)
		return NULL;
	e->strings = xgrow(e->strings, &e->strings_cap, e->nstrings + 1, sizeof(char *));
	e->strings[e->nstrings] = xstrdup(s);
	return e->strings[e->nstrings++];
}

void run_nodes_release(struct run_engine *e)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		kube_node_list_release(&e->clusters[c].nodes);
		run_nodes_select_release(&e->clusters[c]);
	}
	for (size_t i = 0; i < e->nstrings; i++)
		free(e->strings[i]);
	free(e->strings);
	free(e->nodes);
	e->strings = NULL;
	e->nodes = NULL;
	e->nnodes = e->nstrings = e->strings_cap = 0;
}

static int cmp_node_name(const void *a, const void *b)
{
	const struct kube_node *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* The floater pod of node on network: one owned by the DaemonSet this run applied (uid
 * owner), Ready if there is one. A pod that only carries the label (anybody who may create
 * pods in the namespace can make one) is counted in *foreign: it is never sent the token. */
static const struct kube_pod *find_pod(const struct kube_pod_list *pods, const char *node,
				       const char *network, const char *owner, size_t *foreign)
{
	const struct kube_pod *best = NULL;

	if (!*owner) /* that network's DaemonSet was not applied by this run */
		return NULL;
	for (size_t i = 0; i < pods->n; i++) {
		const struct kube_pod *p = &pods->items[i];

		if (!p->node || strcmp(p->node, node) || !str_eq(p->network, network))
			continue;
		if (!str_eq(p->owner_uid, owner)) {
			(*foreign)++;
			continue;
		}
		if (p->ready)
			return p;
		best = p;
	}
	return best;
}

/* The protocols a pseudo-node is probed with: TCP only for the API server; the run's for a
 * custom target, but TCP and UDP need its port. */
static unsigned pseudo_protocols(const struct run_engine *e, const struct run_target *t,
				 enum plan_node_kind kind)
{
	unsigned node = e->o.protocols & ~(1u << PROTO_DNS);

	if (kind == PLAN_NODE_APISERVER)
		return 1u << PROTO_TCP;
	if (kind == PLAN_NODE_DNS)
		return 1u << PROTO_DNS;
	return t->port ? node : node & (1u << PROTO_ICMP);
}

/* The DNS pseudo-nodes of a cluster: every server x name x record type the run asks (A
 * when it checks IPv4, AAAA when IPv6; a name with an expected address only its family's),
 * servers of a family the run does not check left out. */
static size_t dns_pseudo_count(const struct run_engine *e, size_t c)
{
	size_t n = 0, nservers;

	run_dns_servers(e, c, &nservers);

	if (!(e->o.protocols & (1u << PROTO_DNS)))
		return 0;
	for (size_t k = 0; k < e->o.ndns_names; k++)
		for (int f = 4; f <= 6; f += 2)
			if ((e->o.families & (f == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)) &&
			    (!e->o.dns_names[k].expect_family ||
			     e->o.dns_names[k].expect_family == f))
				n++;
	return n * nservers;
}

/* A pseudo-node of cluster c after its nodes: "target:ADDR:PORT", "apiserver:ADDR:PORT"
 * or "dns:ADDR:PORT/NAME[=ADDR]/TYPE", at its address in either family's slot. */
static void pseudo_add(struct run_engine *e, size_t c, const struct run_target *t,
		       enum plan_node_kind kind, struct plan_node *pn, struct store_node *sn)
{
	static const char *const prefix[] = {[PLAN_NODE_TARGET] = "target",
					     [PLAN_NODE_APISERVER] = "apiserver",
					     [PLAN_NODE_DNS] = "dns"};
	char text[64], *name;
	int f = t->family == 6;

	run_target_format(t, text, sizeof(text));
	name = xasprintf("%s:%s", prefix[kind], text);
	memset(pn, 0, sizeof(*pn));
	pn->cluster = (uint32_t)c;
	pn->kind = (uint8_t)kind;
	pn->name = keep(e, name);
	pn->host_ip[f] = pn->pod_ip[f] = keep(e, t->addr);
	pn->port = (uint16_t)t->port;
	pn->protocols = (uint8_t)pseudo_protocols(e, t, kind);
	free(name);
	memset(sn, 0, sizeof(*sn));
	sn->cluster_id = e->clusters[c].in->cluster_id;
	sn->kind = (enum store_node_kind)kind;
	sn->name = pn->name;
	sn->host_ipv4 = pn->host_ip[0];
	sn->host_ipv6 = pn->host_ip[1];
	sn->floater = STORE_FLOATER_UNKNOWN;
}

/* The DNS pseudo-nodes of cluster c into pn[] and sn[] (dns_pseudo_count of each). */
static void dns_pseudo_add(struct run_engine *e, size_t c, struct plan_node *pn,
			   struct store_node *sn)
{
	size_t i = 0, nservers;
	const struct run_target *servers = run_dns_servers(e, c, &nservers);

	for (size_t s = 0; s < nservers; s++) {
		for (size_t k = 0; k < e->o.ndns_names; k++) {
			const struct run_dns_name *dn = &e->o.dns_names[k];

			for (int f = 4; f <= 6; f += 2) {
				char q[WIRE_MAX_DNS_NAME + 64], *name;

				if (!(e->o.families &
				      (f == 6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4)) ||
				    (dn->expect_family && dn->expect_family != f))
					continue;
				pseudo_add(e, c, &servers[s], PLAN_NODE_DNS, &pn[i], &sn[i]);
				run_dns_name_format(dn, q, sizeof(q));
				name = xasprintf("%s/%s/%s", pn[i].name, q, f == 6 ? "AAAA" : "A");
				pn[i].name = sn[i].name = keep(e, name);
				free(name);
				pn[i].dns_name = keep(e, dn->name);
				pn[i].dns_expect = dn->expect[0] ? keep(e, dn->expect) : NULL;
				pn[i].dns_type = (uint8_t)f;
				i++;
			}
		}
	}
}

/* Adds the nodes of one cluster to the table and to the store, then its pseudo-nodes. */
static int collect_cluster(struct run_engine *e, size_t c, const struct kube_node_list *nl,
			   const struct kube_pod_list *pods, struct err *err)
{
	struct run_engine_cluster *ec = &e->clusters[c];
	size_t ndns = dns_pseudo_count(e, c), npseudo = e->o.ntargets + ec->napiserver + ndns;
	struct store_node *sn = xcalloc(nl->n + npseudo + 1, sizeof(*sn));
	unsigned need = ec->deployed;
	size_t missing = 0, foreign = 0;
	int rc;

	ec->first_node = e->nnodes;
	ec->nnodes = nl->n + npseudo;
	for (size_t i = 0; i < nl->n; i++) {
		const struct kube_node *kn = &nl->items[i];
		const struct kube_pod *pp =
		    find_pod(pods, kn->name, "pod", ec->ds_uid[0], &foreign);
		const struct kube_pod *hp =
		    find_pod(pods, kn->name, "host", ec->ds_uid[1], &foreign);
		struct plan_node *pn = &e->nodes[e->nnodes + i];
		bool ok = true;

		pn->cluster = (uint32_t)c;
		pn->name = keep(e, kn->name);
		pn->host_ip[0] = keep(e, kn->internal_ipv4);
		pn->host_ip[1] = keep(e, kn->internal_ipv6);
		if (pp && pp->ready) {
			pn->pod_floater = keep(e, pp->name);
			pn->pod_ip[0] = keep(e, pp->ipv4);
			pn->pod_ip[1] = keep(e, pp->ipv6);
			for (int f = 0; f < 2; f++) {
				char g[64];

				if (cidrmap_apply(&ec->in->global, pn->pod_ip[f], g, sizeof(g)))
					pn->pod_global_ip[f] = keep(e, g);
			}
		} else if (need & KUBE_NET_POD) {
			ok = false;
		}
		if (hp && hp->ready)
			pn->host_floater = keep(e, hp->name);
		else if (need & KUBE_NET_HOST)
			ok = false;
		if (!ok)
			missing++;
		if (!kn->ready)
			run_engine_warn(e, "%s: node %s is NotReady: %s", ec->in->name, kn->name,
					ok ? "its floater still answers, probing through it"
					   : "no Ready floater there, its results are no-agent");
		sn[i].cluster_id = ec->in->cluster_id;
		sn[i].name = pn->name;
		sn[i].pod_ipv4 = pn->pod_ip[0];
		sn[i].pod_ipv6 = pn->pod_ip[1];
		sn[i].pod_global_ipv4 = pn->pod_global_ip[0];
		sn[i].pod_global_ipv6 = pn->pod_global_ip[1];
		sn[i].host_ipv4 = pn->host_ip[0];
		sn[i].host_ipv6 = pn->host_ip[1];
		sn[i].floater = ok ? STORE_FLOATER_READY : STORE_FLOATER_NOT_READY;
		sn[i].node_not_ready = !kn->ready;
	}
	for (size_t k = 0; k < e->o.ntargets; k++)
		pseudo_add(e, c, &e->o.targets[k], PLAN_NODE_TARGET,
			   &e->nodes[e->nnodes + nl->n + k], &sn[nl->n + k]);
	for (size_t k = 0; k < ec->napiserver; k++) {
		size_t at = nl->n + e->o.ntargets + k;

		pseudo_add(e, c, &ec->apiserver[k], PLAN_NODE_APISERVER, &e->nodes[e->nnodes + at],
			   &sn[at]);
	}
	if (ndns)
		dns_pseudo_add(e, c, &e->nodes[e->nnodes + nl->n + npseudo - ndns],
			       &sn[nl->n + npseudo - ndns]);
	rc = store_run_nodes_add(e->st, e->res->run_id, sn, nl->n + npseudo, err);
	for (size_t i = 0; rc == 0 && i < nl->n + npseudo; i++)
		e->nodes[e->nnodes + i].id = sn[i].id;
	free(sn);
	if (rc < 0)
		return -1;
	if (foreign)
		run_engine_warn(
		    e,
		    "%s: %zu pod%s labelled as floaters in %s %s not owned by the "
		    "DaemonSet netctl applied: never sent the token, not probed through",
		    ec->in->name, foreign, foreign == 1 ? "" : "s", e->o.namespace,
		    foreign == 1 ? "is" : "are");
	e->nnodes += nl->n + npseudo;
	e->res->nodes += (int64_t)nl->n;
	e->res->nodes_without_floater += (int64_t)missing;
	run_engine_phase(e, RUN_PHASE_NODES, "%s: %zu nodes, %zu without a ready floater",
			 ec->in->name, nl->n, missing);
	return 0;
}

/* Lists every cluster's nodes before the rollout, which does not wait for floaters that
 * cannot become Ready on NotReady nodes (run_nodes_select then counts those that take
 * part). */
int run_nodes_list(struct run_engine *e, struct err *err)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];

		if (kube_nodes_list(ec->client, &ec->nodes, err) < 0)
			return err_prefix(err, "listing nodes of %s", ec->in->name);
		qsort(ec->nodes.items, ec->nodes.n, sizeof(*ec->nodes.items), cmp_node_name);
	}
	return 0;
}

int run_nodes_collect(struct run_engine *e, struct err *err)
{
	struct kube_pod_list *pods = xcalloc(e->nclusters, sizeof(*pods));
	size_t total = 0;
	int rc = -1;

	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];

		if (kube_pods_list(ec->client, e->o.namespace, NULL, &pods[c], err) < 0) {
			err_prefix(err, "listing floaters of %s", ec->in->name);
			goto out;
		}
		run_dns_default_ask(e, c, &pods[c]);
		total += ec->nodes.n + e->o.ntargets + ec->napiserver + dns_pseudo_count(e, c);
	}
	e->nodes = xcalloc(total ? total : 1, sizeof(*e->nodes));
	for (size_t c = 0; c < e->nclusters; c++)
		if (collect_cluster(e, c, &e->clusters[c].nodes, &pods[c], err) < 0)
			goto out;
	rc = 0;
out:
	for (size_t c = 0; c < e->nclusters; c++)
		kube_pod_list_release(&pods[c]);
	free(pods);
	return rc;
}
