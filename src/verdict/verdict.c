/* Verdicts: two streaming walks over a run's results.
 *
 * Walk 1 counts, per node (as source and as destination) and per directed cluster pair,
 * how many results there are and how many failed outright, by protocol and family. Those
 * counters mark candidates: bad nodes, partitioned cluster pairs, blocked protocols, broken
 * IPv6, lossy nodes. Walk 2 hands every failing result to the first candidate that explains
 * it, biggest first; what nothing explains is a bad link. Candidates that explain nothing
 * are dropped, which is what keeps a partition from also being reported as N bad nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "verdict.h"
#include "verdict_int.h"

enum { ROLE_SRC = 0, ROLE_DST = 1 };

static const char *const kind_names[VERDICT_KIND_MAX] = {
    [VERDICT_NODE_NOT_READY] = "node-not-ready",
    [VERDICT_FLOATER_MISSING] = "floater-missing",
    [VERDICT_CLUSTER_DOWN] = "cluster-down",
    [VERDICT_GATEWAY_DOWN] = "gateway-down",
    [VERDICT_PARTITIONED] = "partitioned",
    [VERDICT_BAD_NODE] = "bad-node",
    [VERDICT_NODE_CUT_OFF] = "node-cut-off",
    [VERDICT_PROTOCOL_BLOCKED] = "protocol-blocked",
    [VERDICT_IPV6_BROKEN] = "ipv6-broken",
    [VERDICT_MTU] = "mtu",
    [VERDICT_BAD_LINK] = "bad-link",
    [VERDICT_LOSSY_PATH] = "lossy-path",
    [VERDICT_NOT_PROBED] = "not-probed",
    [VERDICT_MORE_LINKS] = "more-links",
    [VERDICT_TARGET] = "target-unreachable",
    [VERDICT_APISERVER] = "apiserver-unreachable",
    [VERDICT_DNS_SERVER] = "dns-server-unreachable",
    [VERDICT_DNS_NAME] = "dns-name-unresolved",
    [VERDICT_DNS_NODE] = "node-cannot-resolve",
    [VERDICT_NO_RESULTS] = "no-results",
    [VERDICT_HEALTHY] = "healthy",
};

static const char *const kind_titles[VERDICT_KIND_MAX] = {
    [VERDICT_NODE_NOT_READY] = "node NotReady",
    [VERDICT_FLOATER_MISSING] = "floater missing",
    [VERDICT_CLUSTER_DOWN] = "cluster down",
    [VERDICT_GATEWAY_DOWN] = "gateway down",
    [VERDICT_PARTITIONED] = "cluster pair partitioned",
    [VERDICT_BAD_NODE] = "bad node",
    [VERDICT_NODE_CUT_OFF] = "node cut off",
    [VERDICT_PROTOCOL_BLOCKED] = "protocol blocked",
    [VERDICT_IPV6_BROKEN] = "IPv6 broken",
    [VERDICT_MTU] = "MTU",
    [VERDICT_BAD_LINK] = "bad link",
    [VERDICT_LOSSY_PATH] = "lossy path",
    [VERDICT_NOT_PROBED] = "not probed",
    [VERDICT_MORE_LINKS] = "more bad links",
    [VERDICT_TARGET] = "target unreachable",
    [VERDICT_APISERVER] = "API server unreachable",
    [VERDICT_DNS_SERVER] = "DNS server unreachable",
    [VERDICT_DNS_NAME] = "name does not resolve",
    [VERDICT_DNS_NODE] = "node cannot resolve",
    [VERDICT_NO_RESULTS] = "no results",
    [VERDICT_HEALTHY] = "healthy",
};

const char *verdict_kind_name(enum verdict_kind k)
{
	return (unsigned)k < VERDICT_KIND_MAX && kind_names[k] ? kind_names[k] : "?";
}

const char *verdict_kind_title(enum verdict_kind k)
{
	return (unsigned)k < VERDICT_KIND_MAX && kind_titles[k] ? kind_titles[k] : "?";
}

static uint32_t cluster_index(struct vstate *s, const char *name)
{
	for (size_t i = 0; i < s->ncl; i++)
		if (!strcmp(s->clusters[i], name))
			return (uint32_t)i;
	s->clusters = xgrow(s->clusters, &s->capcl, s->ncl + 1, sizeof(*s->clusters));
	s->clusters[s->ncl] = xstrdup(name);
	return (uint32_t)s->ncl++;
}

static uint32_t node_register(struct vstate *s, int64_t id, const char *cluster, const char *name,
			      enum store_node_kind kind)
{
	long ix = idmap_get(&s->node_ix, id);
	struct vnode *n;

	if (ix >= 0)
		return (uint32_t)ix;
	s->nodes = xgrow(s->nodes, &s->capn, s->nn + 1, sizeof(*s->nodes));
	n = &s->nodes[s->nn];
	memset(n, 0, sizeof(*n));
	n->cluster = xstrdup(cluster ? cluster : "?");
	n->name = xstrdup(name ? name : "?");
	n->label = xasprintf("%s/%s", n->cluster, n->name);
	n->ci = cluster_index(s, n->cluster);
	n->kind = kind;
	n->last_peer[0] = n->last_peer[1] = -1;
	n->last_loss_peer[0] = n->last_loss_peer[1] = -1;
	idmap_put(&s->node_ix, id, (uint32_t)s->nn);
	return (uint32_t)s->nn++;
}

static struct vcp *cp_get(struct vstate *s, uint32_t sc, uint32_t dc)
{
	int64_t key = ((int64_t)sc << 32) | dc;
	long ix = idmap_get(&s->cp_ix, key);
	struct vcp *cp;

	if (ix >= 0)
		return &s->cps[ix];
	s->cps = xgrow(s->cps, &s->capcp, s->ncp + 1, sizeof(*s->cps));
	cp = &s->cps[s->ncp];
	memset(cp, 0, sizeof(*cp));
	cp->sc = sc;
	cp->dc = dc;
	cp->last_pair_src = cp->last_pair_dst = -1;
	idmap_put(&s->cp_ix, key, (uint32_t)s->ncp);
	return &s->cps[s->ncp++];
}

struct vcp *cp_find(struct vstate *s, uint32_t sc, uint32_t dc)
{
	long ix = idmap_get(&s->cp_ix, ((int64_t)sc << 32) | dc);

	return ix >= 0 ? &s->cps[ix] : NULL;
}

static int64_t nc_key(uint32_t node, int role, uint32_t ci)
{
	return ((int64_t)node << 21) | ((int64_t)ci << 1) | role;
}

struct vnc *nc_find(struct vstate *s, uint32_t node, int role, uint32_t ci)
{
	long ix = idmap_get(&s->nc_ix, nc_key(node, role, ci));

	return ix >= 0 ? &s->ncs[ix] : NULL;
}

static struct vnc *nc_get(struct vstate *s, uint32_t node, int role, uint32_t ci)
{
	struct vnc *nc = nc_find(s, node, role, ci);

	if (nc)
		return nc;
	s->ncs = xgrow(s->ncs, &s->capnc, s->nnc + 1, sizeof(*s->ncs));
	nc = &s->ncs[s->nnc];
	memset(nc, 0, sizeof(*nc));
	nc->node = node;
	nc->ci = ci;
	nc->role = role;
	nc->last_peer = -1;
	idmap_put(&s->nc_ix, nc_key(node, role, ci), (uint32_t)s->nnc);
	return &s->ncs[s->nnc++];
}

static void vcnt_add(struct vcnt *c, bool failed)
{
	c->total++;
	if (failed)
		c->failed++;
}

static void vev_add(struct vev *ev, const struct store_result *r)
{
	ev->failed++;
	ev->sent += r->sent;
	ev->received += r->received;
	if (r->error < PROBE_ERROR_MAX)
		ev->errors[r->error]++;
}

/* Partial loss is its own error code (PROBE_LOSS); an OK result answered every probe. */
static bool is_lossy(const struct store_result *r)
{
	return r->error == PROBE_LOSS;
}

/* Results whose error code alone says why; they never count for or against patterns. */
static bool explained_by_code(uint8_t e)
{
	return e == PROBE_NO_AGENT || e == PROBE_AGENT_LOST || e == PROBE_NOT_PROBED ||
	       e == PROBE_MTU;
}

static int fam_ix(uint8_t family)
{
	return family == 6 ? 1 : 0;
}

/* ---- walk 1: counting ------------------------------------------------------------------ */

static int nodes_cb(const struct store_run_node *rn, void *ctx)
{
	struct vstate *s = ctx;
	uint32_t ix = node_register(s, rn->node.id, rn->cluster_name, rn->node.name, rn->node.kind);

	s->nodes[ix].floater = rn->node.floater;
	s->nodes[ix].node_not_ready = rn->node.node_not_ready;
	return 0;
}

/* ---- Kosmos gateway mode ------------------------------------------------------------------ */

struct vgw *gw_find(struct vstate *s, uint32_t ci)
{
	for (size_t i = 0; i < s->ngws; i++)
		if (s->gws[i].ci == ci)
			return &s->gws[i];
	return NULL;
}

/* A gateway of a gateway-mode cluster, as the run recorded its ClusterNodes: its cluster
 * gets the gateway counters. A gateway the run has no node of is not one it can name. */
static int gateway_cb(const struct store_kosmos_node *k, void *ctx)
{
	struct vstate *s = ctx;
	struct vgw *g;

	if (!store_kosmos_is_gateway(k))
		return 0;
	for (size_t i = 0; i < s->nn; i++) {
		const struct vnode *n = &s->nodes[i];

		if (n->kind != STORE_NODE || strcmp(n->cluster, k->cluster) ||
		    strcmp(n->name, k->node))
			continue;
		g = gw_find(s, n->ci);
		if (!g) {
			s->gws = xgrow(s->gws, &s->capgws, s->ngws + 1, sizeof(*s->gws));
			g = &s->gws[s->ngws++];
			memset(g, 0, sizeof(*g));
			g->ci = n->ci;
			g->last_src = g->last_dst = -1;
		}
		if (g->ngw < VGW_NAMES)
			g->gw[g->ngw++] = (uint32_t)i;
		break;
	}
	return 0;
}

static void count_gw(struct vstate *s, uint32_t ci, uint32_t si, uint32_t di, bool failed)
{
	struct vgw *g = gw_find(s, ci);

	if (!g)
		return;
	if (g->last_src != si || g->last_dst != di) {
		g->last_src = si;
		g->last_dst = di;
		g->node_pairs++;
	}
	vcnt_add(&g->cross, failed);
}

static void count_role(struct vnode *n, int role, int64_t peer, const struct store_result *r,
		       bool failed)
{
	if (n->last_peer[role] != peer) {
		n->last_peer[role] = peer;
		n->peers[role]++;
	}
	vcnt_add(&n->role[role], failed);
	if (r->protocol < PROTO_MAX)
		vcnt_add(&n->proto[role][r->protocol], failed);
	vcnt_add(&n->fam[role][fam_ix(r->family)], failed);
	if (is_lossy(r)) {
		n->loss[role]++;
		if (n->last_loss_peer[role] != peer) {
			n->last_loss_peer[role] = peer;
			n->loss_peers[role]++;
		}
	}
}

static void count_nc(struct vnc *nc, int64_t peer, bool failed)
{
	if (nc->last_peer != peer) {
		nc->last_peer = peer;
		nc->peers++;
	}
	vcnt_add(&nc->cnt, failed);
}

/* ---- pseudo-nodes: custom targets and the API server ------------------------------------- */

/* Their results explain nothing about the network between nodes (a target may be down by
 * design): they are counted apart, per pseudo-node, and make verdicts of their own. */
static struct vpseudo *pseudo_get(struct vstate *s, uint32_t node)
{
	long ix = idmap_get(&s->ps_ix, node);
	struct vpseudo *p;

	if (ix >= 0)
		return &s->ps[ix];
	s->ps = xgrow(s->ps, &s->capps, s->nps + 1, sizeof(*s->ps));
	p = &s->ps[s->nps];
	memset(p, 0, sizeof(*p));
	p->node = node;
	p->last_src = p->last_fail_src = UINT32_MAX;
	idmap_put(&s->ps_ix, node, (uint32_t)s->nps);
	return &s->ps[s->nps++];
}

static void pseudo_count(struct vstate *s, uint32_t di, uint32_t si, const struct store_result *r)
{
	struct vpseudo *p = pseudo_get(s, di);

	p->total++;
	if (p->last_src != si) {
		p->last_src = si;
		p->sources++;
	}
	if (r->protocol < PROTO_MAX)
		vcnt_add(&p->proto[r->protocol], r->error != PROBE_OK);
}

/* Walk 2: a failing result to a pseudo-node. What its code explains (no floater at the
 * source, never probed) goes to the source as for any pair; the rest is the target's. */
static void pseudo_explain(struct vstate *s, struct vnode *sn, uint32_t di, uint32_t si,
			   const struct store_result *r)
{
	struct vpseudo *p;

	if (r->error == PROBE_NOT_PROBED) {
		s->not_probed++;
		vev_add(&s->ev_not_probed, r);
		return;
	}
	if (r->error == PROBE_NO_AGENT || r->error == PROBE_AGENT_LOST) {
		vev_add(&sn->ev_floater, r);
		return;
	}
	p = pseudo_get(s, di);
	vev_add(&p->ev, r);
	if (p->last_fail_src != si) {
		p->last_fail_src = si;
		if (p->failing_sources < VPSEUDO_NAMES)
			p->fail_src[p->failing_sources] = si;
		p->failing_sources++;
	}
}

static int count_cb(const struct store_result_row *row, void *ctx)
{
	struct vstate *s = ctx;
	const struct store_result *r = &row->r;
	uint32_t si = node_register(s, r->src_node, row->src_cluster, row->src_name, STORE_NODE);
	uint32_t di = node_register(s, r->dst_node, row->dst_cluster, row->dst_name, row->dst_kind);
	struct vnode *sn = &s->nodes[si], *dn = &s->nodes[di];
	struct vcp *cp;
	bool failed = r->error != PROBE_OK && r->error != PROBE_LOSS;

	s->total++;
	if (r->error != PROBE_OK)
		s->failed++;
	if (dn->kind != STORE_NODE) {
		sn->rows++;
		pseudo_count(s, di, si, r);
		return 0;
	}
	cp = cp_get(s, sn->ci, dn->ci);
	cp->rows++;
	if (r->error == PROBE_MTU && r->protocol < PROTO_MAX)
		cp->mtu[r->protocol]++;
	sn->rows++;
	if (dn != sn)
		dn->rows++;
	if (explained_by_code(r->error))
		return 0;
	count_role(sn, ROLE_SRC, di, r, failed);
	count_role(dn, ROLE_DST, si, r, failed);
	count_nc(nc_get(s, si, ROLE_SRC, dn->ci), di, failed);
	count_nc(nc_get(s, di, ROLE_DST, sn->ci), si, failed);
	if (sn->ci != dn->ci) {
		count_gw(s, sn->ci, si, di, failed);
		count_gw(s, dn->ci, si, di, failed);
	}
	if (cp->last_pair_src != si || cp->last_pair_dst != di) {
		cp->last_pair_src = si;
		cp->last_pair_dst = di;
		cp->node_pairs++;
	}
	vcnt_add(&cp->all, failed);
	if (is_lossy(r))
		cp->loss++;
	if (r->protocol < PROTO_MAX)
		vcnt_add(&cp->proto[r->protocol], failed);
	vcnt_add(&cp->fam[fam_ix(r->family)], failed);
	return 0;
}

static bool all_fail(const struct vcnt *c)
{
	return c->total > 0 && c->failed == c->total;
}

static bool some_pass(const struct vcnt *c)
{
	return c->total > c->failed;
}

/* One protocol fails entirely while another protocol passes somewhere in the scope. */
static bool proto_blocked(const struct vcnt *p, int proto)
{
	if (!all_fail(&p[proto]))
		return false;
	for (int q = 0; q < PROTO_MAX; q++)
		if (q != proto && some_pass(&p[q]))
			return true;
	return false;
}

static void mark_candidates(struct vstate *s)
{
	for (size_t i = 0; i < s->nn; i++) {
		struct vnode *n = &s->nodes[i];

		for (int r = 0; r < 2; r++) {
			bool enough = n->peers[r] >= 2;

			n->bad[r] = enough && all_fail(&n->role[r]);
			for (int p = 0; p < PROTO_MAX; p++)
				n->pblock[r][p] = enough && proto_blocked(n->proto[r], p);
			n->v6[r] = enough && all_fail(&n->fam[r][1]) && some_pass(&n->fam[r][0]);
			n->lossy[r] = n->loss_peers[r] >= 2 && n->loss[r] * 2 >= n->role[r].total;
		}
	}
	for (size_t i = 0; i < s->ncp; i++) {
		struct vcp *cp = &s->cps[i];
		bool enough = cp->node_pairs >= 2;

		cp->part = enough && all_fail(&cp->all);
		for (int p = 0; p < PROTO_MAX; p++)
			cp->pblock[p] = enough && proto_blocked(cp->proto, p);
		cp->v6 = enough && all_fail(&cp->fam[1]) && some_pass(&cp->fam[0]);
		/* a quarter of the results losing packets: timeouts there are loss too */
		cp->lossy = cp->loss >= 2 && cp->loss * 4 >= cp->all.total;
		cp->lossy_wide = cp->loss >= 2 && cp->loss * 2 >= cp->all.total;
	}
	for (size_t i = 0; i < s->nnc; i++)
		s->ncs[i].cut = s->ncs[i].peers >= 2 && all_fail(&s->ncs[i].cnt);
	for (size_t i = 0; i < s->ngws; i++) {
		struct vgw *g = &s->gws[i];
		struct vcp *in = cp_find(s, g->ci, g->ci);

		/* when no pair within the cluster passes, the cluster is down, not its gateway */
		g->down = g->node_pairs >= 2 && all_fail(&g->cross) &&
			  (!in || in->all.total == 0 || some_pass(&in->all));
	}
}

/* ---- walk 2: explaining ------------------------------------------------------------------ */

static bool floater_down(const struct vnode *n)
{
	return n->floater == STORE_FLOATER_NOT_READY || n->floater == STORE_FLOATER_LOST ||
	       n->node_not_ready;
}

static void explain_by_code(struct vstate *s, struct vnode *sn, struct vnode *dn, struct vcp *cp,
			    const struct store_result *r)
{
	switch (r->error) {
	case PROBE_NOT_PROBED:
		s->not_probed++;
		vev_add(&s->ev_not_probed, r);
		break;
	case PROBE_MTU:
		vev_add(&cp->ev_mtu, r);
		break;
	default:
		/* no-agent / agent-lost: blame the end whose floater was not there; failing
		 * that, agent-lost is the source's floater and no-agent the target's. */
		if (floater_down(sn))
			vev_add(&sn->ev_floater, r);
		else if (floater_down(dn))
			vev_add(&dn->ev_floater, r);
		else if (r->error == PROBE_AGENT_LOST)
			vev_add(&sn->ev_floater, r);
		else
			vev_add(&dn->ev_floater, r);
	}
}

static void link_push(struct vstate *s)
{
	int64_t total = s->cur.ev.failed > s->pair_results ? s->cur.ev.failed : s->pair_results;
	/* Links beyond this many are only counted: the list stays bounded at 1M pairs. */
	size_t cap = 4 * (s->opts.max_bad_links + 1) + 1000;

	if (!s->link_open || !s->cur.ev.failed)
		return;
	s->cur.total = total;
	if (s->nlinks >= cap) {
		s->links_dropped++;
		return;
	}
	s->links = xgrow(s->links, &s->caplinks, s->nlinks + 1, sizeof(*s->links));
	s->links[s->nlinks++] = s->cur;
}

static void link_add(struct vstate *s, const struct store_result *r)
{
	vev_add(&s->cur.ev, r);
	if (r->protocol < PROTO_MAX)
		s->cur.proto_failed[r->protocol]++;
}

static void explain_failure(struct vstate *s, struct vnode *sn, struct vnode *dn, struct vcp *cp,
			    const struct store_result *r)
{
	int p = r->protocol < PROTO_MAX ? r->protocol : -1;
	uint32_t si = (uint32_t)(sn - s->nodes), di = (uint32_t)(dn - s->nodes);
	struct vcp *rev;
	struct vnc *nc;
	struct vgw *g;

	if (r->error == PROBE_TIMEOUT && p >= 0 && (rev = cp_find(s, cp->dc, cp->sc)) &&
	    rev != cp && rev->mtu[p])
		vev_add(&cp->ev_mtu, r); /* the big replies die silently on the same link */
	else if (sn->ci != dn->ci && (g = gw_find(s, sn->ci)) && g->down)
		vev_add(&g->ev, r); /* every path out of or into its cluster goes through it */
	else if (sn->ci != dn->ci && (g = gw_find(s, dn->ci)) && g->down)
		vev_add(&g->ev, r);
	else if (cp->part)
		vev_add(&cp->ev_part, r);
	else if (sn->bad[ROLE_SRC])
		vev_add(&sn->ev_bad, r);
	else if (dn->bad[ROLE_DST])
		vev_add(&dn->ev_bad, r);
	else if ((nc = nc_find(s, si, ROLE_SRC, dn->ci)) && nc->cut)
		vev_add(&nc->ev, r);
	else if ((nc = nc_find(s, di, ROLE_DST, sn->ci)) && nc->cut)
		vev_add(&nc->ev, r);
	else if (p >= 0 && cp->pblock[p])
		vev_add(&cp->ev_proto[p], r);
	else if (p >= 0 && sn->pblock[ROLE_SRC][p])
		vev_add(&sn->ev_proto[p], r);
	else if (p >= 0 && dn->pblock[ROLE_DST][p])
		vev_add(&dn->ev_proto[p], r);
	else if (r->family == 6 && cp->v6)
		vev_add(&cp->ev_v6, r);
	else if (r->family == 6 && sn->v6[ROLE_SRC])
		vev_add(&sn->ev_v6, r);
	else if (r->family == 6 && dn->v6[ROLE_DST])
		vev_add(&dn->ev_v6, r);
	else if (r->error == PROBE_TIMEOUT && cp->lossy_wide)
		vev_add(&cp->ev_lossy, r);
	else if (r->error == PROBE_TIMEOUT && sn->lossy[ROLE_SRC])
		vev_add(&sn->ev_lossy, r); /* on a lossy path every probe is sometimes lost */
	else if (r->error == PROBE_TIMEOUT && dn->lossy[ROLE_DST])
		vev_add(&dn->ev_lossy, r);
	else if (r->error == PROBE_TIMEOUT && cp->lossy)
		vev_add(&cp->ev_lossy, r);
	else
		link_add(s, r);
}

static void explain_loss(struct vnode *sn, struct vnode *dn, struct vcp *cp,
			 const struct store_result *r)
{
	if (cp->lossy_wide)
		vev_add(&cp->ev_lossy, r); /* the path, not one node: every node would qualify */
	else if (sn->lossy[ROLE_SRC])
		vev_add(&sn->ev_lossy, r);
	else if (dn->lossy[ROLE_DST])
		vev_add(&dn->ev_lossy, r);
	else
		vev_add(&cp->ev_lossy, r);
}

static int explain_cb(const struct store_result_row *row, void *ctx)
{
	struct vstate *s = ctx;
	const struct store_result *r = &row->r;
	uint32_t si = node_register(s, r->src_node, row->src_cluster, row->src_name, STORE_NODE);
	uint32_t di = node_register(s, r->dst_node, row->dst_cluster, row->dst_name, row->dst_kind);
	struct vnode *sn = &s->nodes[si], *dn = &s->nodes[di];
	struct vcp *cp;

	if (dn->kind != STORE_NODE) {
		if (r->error != PROBE_OK)
			pseudo_explain(s, sn, di, si, r);
		return 0;
	}
	cp = cp_get(s, sn->ci, dn->ci);
	if (!s->link_open || s->cur.s != si || s->cur.d != di) {
		link_push(s);
		memset(&s->cur, 0, sizeof(s->cur));
		s->cur.s = si;
		s->cur.d = di;
		s->link_open = true;
	}
	if (r->protocol < PROTO_MAX)
		s->cur.failing |= 1u << r->protocol;
	if (explained_by_code(r->error)) {
		explain_by_code(s, sn, dn, cp, r);
		return 0;
	}
	if (is_lossy(r))
		explain_loss(sn, dn, cp, r);
	else if (r->error != PROBE_OK)
		explain_failure(s, sn, dn, cp, r);
	return 0;
}

/* ---- walks ------------------------------------------------------------------------------- */

/* Walk 1 sees every result; walk 2 only failures (all it assigns), which saves most of
 * its cost on a mostly healthy run. */
static int walk(struct vstate *s, int (*cb)(const struct store_result_row *, void *),
		bool failed_only, struct err *err)
{
	struct store_results_query q = {.merged = s->opts.merged, .failed_only = failed_only};

	return store_results_foreach(s->st, s->run_id, &q, cb, s, err);
}

static void vstate_release(struct vstate *s)
{
	for (size_t i = 0; i < s->ncl; i++)
		free(s->clusters[i]);
	free(s->clusters);
	for (size_t i = 0; i < s->nn; i++) {
		free(s->nodes[i].cluster);
		free(s->nodes[i].name);
		free(s->nodes[i].label);
	}
	free(s->nodes);
	free(s->cps);
	free(s->ncs);
	free(s->links);
	free(s->ps);
	free(s->gws);
	idmap_release(&s->ps_ix);
	idmap_release(&s->node_ix);
	idmap_release(&s->cp_ix);
	idmap_release(&s->nc_ix);
}

static int popcount(unsigned v)
{
	return __builtin_popcount(v);
}

/* Results one node pair has in this run (protocols x families x networks): walk 2 sees
 * only failures, so a bad link's "N of M" takes M from the run's plan. */
static int run_pair_results(struct vstate *s, struct err *err)
{
	struct store_run_info *ri = store_run_get(s->st, s->run_id, err);

	if (!ri)
		return -1;
	s->planned = ri->planned;
	s->interrupted = ri->status == STORE_RUN_INTERRUPTED;
	s->protocols = ri->protocols;
	s->pair_results = popcount(ri->protocols) * popcount(ri->families ? ri->families : 1) *
			  popcount(ri->networks ? ri->networks : 1);
	store_run_info_free(ri);
	return 0;
}

struct verdict_list *verdict_compute(struct store *st, int64_t run_id,
				     const struct verdict_opts *opts, struct err *err)
{
	struct vstate s;
	struct verdict_list *vl = NULL;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.run_id = run_id;
	if (opts)
		s.opts = *opts;
	if (!s.opts.max_bad_links)
		s.opts.max_bad_links = 50;
	idmap_init(&s.node_ix);
	idmap_init(&s.ps_ix);
	idmap_init(&s.cp_ix);
	idmap_init(&s.nc_ix);
	if (run_pair_results(&s, err) < 0 ||
	    store_run_nodes_foreach(st, run_id, nodes_cb, &s, err) < 0 ||
	    store_run_kosmos_nodes(st, run_id, gateway_cb, &s, err) < 0)
		goto out;
	if (walk(&s, count_cb, false, err) < 0)
		goto out;
	mark_candidates(&s);
	if (walk(&s, explain_cb, true, err) < 0)
		goto out;
	link_push(&s);
	vl = xcalloc(1, sizeof(*vl));
	vl->total = s.total;
	vl->failed = s.failed;
	verdict_build(vl, &s);
out:
	vstate_release(&s);
	return vl;
}
