/* What the run reads from Kosmos besides the members' kubeconfigs (docs/kosmos.md, "Gateway
 * mode"): each imported cluster's network type and its ClusterNodes, whose roles name the
 * gateways and whose addresses and pod CIDRs are compared with the Node objects. A
 * disagreement is a finding recorded with the run, never a probe failure. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* The canonical text of an IP literal or a CIDR ("fd00:18:0::a" -> "fd00:18::a"); the text
 * as given when it is neither. */
static void canon(const char *s, char *out, size_t outsz)
{
	unsigned char a[16];
	char addr[64], *slash;
	int af;

	str_copy(addr, sizeof(addr), s);
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (strlen(s) >= sizeof(addr) || inet_pton(af, addr, a) != 1 ||
	    !inet_ntop(af, a, addr, sizeof(addr))) {
		str_copy(out, outsz, s);
		return;
	}
	if (slash)
		snprintf(out, outsz, "%s/%ld", addr, strtol(slash + 1, NULL, 10));
	else
		str_copy(out, outsz, addr);
}

static bool same_addr(const char *a, const char *b)
{
	char x[80], y[80];

	if (!a || !b)
		return !a == !b;
	canon(a, x, sizeof(x));
	canon(b, y, sizeof(y));
	return !strcmp(x, y);
}

static bool in_list(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (same_addr(*v, s))
			return true;
	return false;
}

static bool same_cidrs(char *const *a, char *const *b)
{
	for (char *const *p = a; p && *p; p++)
		if (!in_list(b, *p))
			return false;
	for (char *const *p = b; p && *p; p++)
		if (!in_list(a, *p))
			return false;
	return true;
}

static int cmp_node_key(const void *key, const void *item)
{
	return strcmp(key, ((const struct kube_node *)item)->name);
}

/* The Node of that name, taking part or left out (both lists are sorted by name). */
static const struct kube_node *node_find(const struct run_engine_cluster *ec, const char *name)
{
	const struct kube_node *n =
	    bsearch(name, ec->nodes.items, ec->nodes.n, sizeof(*ec->nodes.items), cmp_node_key);

	return n ? n
		 : bsearch(name, ec->left_out.items, ec->left_out.n, sizeof(*ec->left_out.items),
			   cmp_node_key);
}

/* "ip 198.18.0.99 (the Node's InternalIP: 198.18.0.11); podCIDRs ..." or NULL. */
static char *finding(const struct kube_kosmos_node *k, const struct kube_node *n)
{
	struct buf b;
	char *cl, *nl;

	if (!n)
		return xasprintf("ClusterNode %s names node %s, which the cluster has no Node of",
				 k->name, k->node);
	buf_init(&b, 256);
	if (!same_addr(k->ip, n->internal_ipv4))
		(void)!buf_printf(&b, "ip %s (the Node's InternalIP: %s)", k->ip ? k->ip : "none",
				  n->internal_ipv4 ? n->internal_ipv4 : "none");
	if (!same_addr(k->ip6, n->internal_ipv6))
		(void)!buf_printf(&b, "%sip6 %s (the Node's InternalIP: %s)", b.len ? "; " : "",
				  k->ip6 ? k->ip6 : "none",
				  n->internal_ipv6 ? n->internal_ipv6 : "none");
	if (!same_cidrs(k->pod_cidrs, n->pod_cidrs)) {
		cl = k->pod_cidrs ? strv_join(k->pod_cidrs, ",") : xstrdup("none");
		nl = n->pod_cidrs ? strv_join(n->pod_cidrs, ",") : xstrdup("none");
		(void)!buf_printf(&b, "%spodCIDRs %s (the Node's: %s)", b.len ? "; " : "", cl, nl);
		free(cl);
		free(nl);
	}
	if (!b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The cluster's ClusterNodes by node name, the host's order kept among those of one node
 * (the first one counts). */
static int cmp_kn(const void *a, const void *b)
{
	const struct kube_kosmos_node *x = *(const struct kube_kosmos_node *const *)a;
	const struct kube_kosmos_node *y = *(const struct kube_kosmos_node *const *)b;
	int c = strcmp(x->node, y->node);

	return c ? c : (x < y ? -1 : x > y);
}

static int cmp_kn_key(const void *key, const void *item)
{
	return strcmp(key, (*(const struct kube_kosmos_node *const *)item)->node);
}

static void row_add(struct store_kosmos_node **rows, size_t *n, size_t *cap, const char *node,
		    char *roles, char *finding)
{
	*rows = xgrow(*rows, cap, *n + 1, sizeof(**rows));
	memset(&(*rows)[*n], 0, sizeof(**rows));
	(*rows)[*n].node = node;
	(*rows)[*n].roles = roles;
	(*rows)[(*n)++].finding = finding;
}

static int record_cluster(struct run_engine *e, struct run_engine_cluster *ec, struct err *err)
{
	const struct run_cluster *in = ec->in;
	const struct kube_kosmos_node **mine = xcalloc(in->nkosmos_nodes + 1, sizeof(*mine));
	struct store_kosmos_node *rows = NULL;
	size_t n = 0, cap = 0, nmine = 0;
	int rc;

	for (size_t i = 0; i < in->nkosmos_nodes; i++)
		if (!strcmp(in->kosmos_nodes[i].cluster, in->name))
			mine[nmine++] = &in->kosmos_nodes[i];
	qsort(mine, nmine, sizeof(*mine), cmp_kn);
	for (size_t i = 0; i < nmine; i++) {
		const struct kube_kosmos_node *k = mine[i];

		if (i && !strcmp(mine[i - 1]->node, k->node))
			continue; /* a second ClusterNode of one node: the first one counts */
		row_add(&rows, &n, &cap, k->node, k->roles ? strv_join(k->roles, ",") : xstrdup(""),
			finding(k, node_find(ec, k->node)));
	}
	/* A Node without a ClusterNode, when ClusterLink knows any node of the cluster (one
	 * that knows none is not deployed there: no finding per node). */
	for (size_t l = 0; nmine && l < 2; l++) {
		const struct kube_node_list *nl = l ? &ec->left_out : &ec->nodes;

		for (size_t i = 0; i < nl->n; i++)
			if (!bsearch(nl->items[i].name, mine, nmine, sizeof(*mine), cmp_kn_key))
				row_add(&rows, &n, &cap, nl->items[i].name, NULL,
					xstrdup("no ClusterNode names this node"));
	}
	rc = store_run_kosmos_add(e->st, e->res->run_id, in->cluster_id, in->network_type, rows, n,
				  err);
	for (size_t i = 0; i < n; i++) {
		free((char *)rows[i].roles);
		free((char *)rows[i].finding);
	}
	free(rows);
	free(mine);
	return rc;
}

int run_kosmos_record(struct run_engine *e, struct err *err)
{
	for (size_t c = 0; c < e->nclusters; c++)
		if (e->clusters[c].in->kosmos && record_cluster(e, &e->clusters[c], err) < 0)
			return -1;
	return 0;
}
