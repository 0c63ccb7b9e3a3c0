/* Turns the counters of the two walks into verdicts: text, scope, evidence, order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict_int.h"

static struct verdict *vl_add(struct verdict_list *vl, enum verdict_kind kind, char *text)
{
	struct verdict *v;

	vl->v = xgrow(vl->v, &vl->cap, vl->n + 1, sizeof(*vl->v));
	v = &vl->v[vl->n++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->text = text;
	v->protocol = -1;
	return v;
}

static void set_evidence(struct verdict *v, const struct vev *ev, int64_t total)
{
	v->failed = ev->failed;
	v->total = total;
	v->sent = ev->sent;
	v->received = ev->received;
}

static void vev_merge(struct vev *into, const struct vev *from)
{
	into->failed += from->failed;
	into->sent += from->sent;
	into->received += from->received;
	for (int e = 0; e < PROBE_ERROR_MAX; e++)
		into->errors[e] += from->errors[e];
}

/* "timeout", or "mostly timeout" when other errors are mixed in. */
static const char *errors_text(const struct vev *ev, char *dst, size_t dstsz)
{
	int top = -1, kinds = 0;

	for (int e = 0; e < PROBE_ERROR_MAX; e++) {
		if (!ev->errors[e])
			continue;
		kinds++;
		if (top < 0 || ev->errors[e] > ev->errors[top])
			top = e;
	}
	if (top < 0)
		str_copy(dst, dstsz, "none");
	else
		snprintf(dst, dstsz, "%s%s", kinds > 1 ? "mostly " : "", probe_error_name(top));
	return dst;
}

static double loss_pct(const struct vev *ev)
{
	if (ev->sent <= 0)
		return 0.0;
	return 100.0 * (double)(ev->sent - ev->received) / (double)ev->sent;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- node verdicts -------------------------------------------------------------------- */

static const char *role_text(const bool r[2], const char *src, const char *dst, const char *both)
{
	if (r[0] && r[1])
		return both;
	return r[0] ? src : dst;
}

static char *node_floater_text(const struct vnode *n)
{
	if (n->node_not_ready)
		return xasprintf("node %s is NotReady (%s)", n->label,
				 n->floater == STORE_FLOATER_LOST
				     ? "its floater was lost during the run"
				     : "no Ready floater there");
	if (n->floater == STORE_FLOATER_LOST)
		return xasprintf("floater on %s was lost during the run", n->label);
	return xasprintf("floater missing on node %s (no Ready floater)", n->label);
}

static void node_floater(struct verdict_list *vl, const struct vnode *n)
{
	struct verdict *v;
	char *text;

	/* A NotReady node whose floater still answered (and nothing failed) explains nothing. */
	if (!n->ev_floater.failed &&
	    !(n->floater == STORE_FLOATER_NOT_READY || n->floater == STORE_FLOATER_LOST))
		return;
	text = node_floater_text(n);
	if (n->ev_floater.failed) {
		char *t = xasprintf("%s: %lld result%s not probed", text,
				    (long long)n->ev_floater.failed, plural(n->ev_floater.failed));

		free(text);
		text = t;
	}
	v = vl_add(vl, n->node_not_ready ? VERDICT_NODE_NOT_READY : VERDICT_FLOATER_MISSING, text);
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	set_evidence(v, &n->ev_floater, n->rows);
}

static void node_bad(struct verdict_list *vl, const struct vnode *n)
{
	char e[64];
	struct verdict *v;
	int64_t total = 0;

	if (!n->ev_bad.failed)
		return;
	for (int r = 0; r < 2; r++)
		if (n->bad[r])
			total += n->role[r].total;
	v = vl_add(vl, VERDICT_BAD_NODE,
		   xasprintf("bad node %s: every result %s fails (%lld results, %s)", n->label,
			     role_text(n->bad, "from it", "to it", "from and to it"),
			     (long long)total, errors_text(&n->ev_bad, e, sizeof(e))));
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->both_directions = n->bad[0] && n->bad[1];
	set_evidence(v, &n->ev_bad, total);
}

static void node_proto(struct verdict_list *vl, const struct vnode *n, int p)
{
	bool roles[2] = {n->pblock[0][p], n->pblock[1][p]};
	struct verdict *v;
	int64_t total = 0;
	char e[64];

	if (!n->ev_proto[p].failed)
		return;
	for (int r = 0; r < 2; r++)
		if (roles[r])
			total += n->proto[r][p].total;
	v = vl_add(vl, VERDICT_PROTOCOL_BLOCKED,
		   xasprintf("%s blocked %s %s: all %lld %s results fail (%s) while other "
			     "protocols pass",
			     probe_protocol_name(p), role_text(roles, "from", "to", "at"), n->label,
			     (long long)total, probe_protocol_name(p),
			     errors_text(&n->ev_proto[p], e, sizeof(e))));
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->protocol = p;
	v->both_directions = roles[0] && roles[1];
	set_evidence(v, &n->ev_proto[p], total);
}

static void node_v6(struct verdict_list *vl, const struct vnode *n)
{
	struct verdict *v;
	int64_t total = 0;
	char e[64];

	if (!n->ev_v6.failed)
		return;
	for (int r = 0; r < 2; r++)
		if (n->v6[r])
			total += n->fam[r][1].total;
	v = vl_add(vl, VERDICT_IPV6_BROKEN,
		   xasprintf("IPv6 broken %s %s: all %lld IPv6 results fail (%s) while IPv4 "
			     "passes",
			     role_text(n->v6, "from", "to", "at"), n->label, (long long)total,
			     errors_text(&n->ev_v6, e, sizeof(e))));
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->family = 6;
	v->both_directions = n->v6[0] && n->v6[1];
	set_evidence(v, &n->ev_v6, total);
}

static void node_lossy(struct verdict_list *vl, const struct vnode *n)
{
	struct verdict *v;
	int64_t total = 0;

	if (!n->ev_lossy.failed)
		return;
	for (int r = 0; r < 2; r++)
		if (n->lossy[r])
			total += n->role[r].total;
	v = vl_add(
	    vl, VERDICT_LOSSY_PATH,
	    xasprintf(
		"lossy path %s %s: %lld of %lld results lose packets (%.1f%% of their probes)",
		role_text(n->lossy, "from", "to", "at"), n->label, (long long)n->ev_lossy.failed,
		(long long)total, loss_pct(&n->ev_lossy)));
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->both_directions = n->lossy[0] && n->lossy[1];
	set_evidence(v, &n->ev_lossy, total);
}

/* Both directions between a node and a cluster fold into one verdict. */
static void node_cut(struct verdict_list *vl, struct vstate *s, const struct vnc *nc)
{
	const struct vnc *other = nc_find(s, nc->node, !nc->role, nc->ci);
	const struct vnode *n = &s->nodes[nc->node];
	const char *peer = s->clusters[nc->ci];
	struct vev ev = nc->ev;
	int64_t total = nc->cnt.total;
	bool both = other && other->ev.failed;
	struct verdict *v;
	char e[64], *text;

	if (!nc->ev.failed || (both && nc->role == 1))
		return; /* nothing, or reported with the source direction */
	if (both) {
		vev_merge(&ev, &other->ev);
		total += other->cnt.total;
	}
	errors_text(&ev, e, sizeof(e));
	if (both)
		text = xasprintf("%s is cut off from %s: every result between them fails (%lld "
				 "results, %s)",
				 n->label, peer, (long long)total, e);
	else if (nc->role == 0)
		text = xasprintf("%s cannot reach %s: every result from it to %s fails (%lld "
				 "results, %s)",
				 n->label, peer, peer, (long long)total, e);
	else
		text = xasprintf("%s cannot reach %s: every result from %s to it fails (%lld "
				 "results, %s)",
				 peer, n->label, peer, (long long)total, e);
	v = vl_add(vl, VERDICT_NODE_CUT_OFF, text);
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->dst_cluster = xstrdup(peer);
	v->both_directions = both;
	set_evidence(v, &ev, total);
}

static void nodes_build(struct verdict_list *vl, struct vstate *s)
{
	for (size_t i = 0; i < s->nnc; i++)
		node_cut(vl, s, &s->ncs[i]);
	for (size_t i = 0; i < s->nn; i++) {
		const struct vnode *n = &s->nodes[i];

		node_floater(vl, n);
		node_bad(vl, n);
		for (int p = 0; p < PROTO_MAX; p++)
			node_proto(vl, n, p);
		node_v6(vl, n);
		node_lossy(vl, n);
	}
}

/* ---- cluster-pair verdicts (both directions folded into one) --------------------------- */

enum cp_what { CP_PART, CP_PROTO, CP_V6, CP_MTU, CP_LOSSY };

static struct vev *cp_ev(struct vcp *cp, enum cp_what w, int p)
{
	switch (w) {
	case CP_PART:
		return &cp->ev_part;
	case CP_PROTO:
		return &cp->ev_proto[p];
	case CP_V6:
		return &cp->ev_v6;
	case CP_MTU:
		return &cp->ev_mtu;
	default:
		return &cp->ev_lossy;
	}
}

static int64_t cp_total(const struct vcp *cp, enum cp_what w, int p)
{
	switch (w) {
	case CP_PROTO:
		return cp->proto[p].total;
	case CP_V6:
		return cp->fam[1].total;
	case CP_MTU:
		return cp->rows;
	default:
		return cp->all.total;
	}
}

static bool cluster_passes(struct vstate *s, uint32_t c)
{
	struct vcp *in = cp_find(s, c, c);

	return in && in->all.total > in->all.failed;
}

static const char *inside_text(struct vstate *s, const struct vcp *cp)
{
	bool a = cp_find(s, cp->sc, cp->sc) != NULL, b = cp_find(s, cp->dc, cp->dc) != NULL;

	if (!a && !b)
		return " (pairs within the clusters were not checked)";
	if (cluster_passes(s, cp->sc) && cluster_passes(s, cp->dc))
		return " while pairs within each cluster pass";
	return "";
}

static char *cp_text(struct vstate *s, const struct vcp *cp, enum cp_what w, int p,
		     const char *scope, const struct vev *ev, int64_t total)
{
	char e[64];

	errors_text(ev, e, sizeof(e));
	switch (w) {
	case CP_PART:
		if (cp->sc == cp->dc)
			return xasprintf("no pair within %s passes: all %lld results fail (%s)",
					 s->clusters[cp->sc], (long long)total, e);
		return xasprintf("cluster pair %s partitioned: all %lld cross-cluster results "
				 "fail (%s)%s",
				 scope, (long long)total, e, inside_text(s, cp));
	case CP_PROTO:
		return xasprintf("%s blocked %s: all %lld %s results fail (%s) while other "
				 "protocols pass",
				 probe_protocol_name(p), scope, (long long)total,
				 probe_protocol_name(p), e);
	case CP_V6:
		return xasprintf("IPv6 broken %s: all %lld IPv6 results fail (%s) while IPv4 "
				 "passes",
				 scope, (long long)total, e);
	case CP_MTU:
		if (ev->errors[PROBE_TIMEOUT])
			return xasprintf(
			    "MTU %s: %lld result%s fail with message too long and %lld "
			    "time out (big packets lost on the way back): the path MTU "
			    "is smaller than the probe size",
			    scope, (long long)ev->errors[PROBE_MTU], plural(ev->errors[PROBE_MTU]),
			    (long long)ev->errors[PROBE_TIMEOUT]);
		return xasprintf("MTU %s: %lld result%s fail with message too long: the path MTU "
				 "is smaller than the probe size",
				 scope, (long long)ev->failed, plural(ev->failed));
	default:
		return xasprintf(
		    "lossy path %s: %lld of %lld results lose packets (%.1f%% of their probes)",
		    scope, (long long)ev->failed, (long long)total, loss_pct(ev));
	}
}

static const enum verdict_kind cp_kinds[] = {
    [CP_PART] = VERDICT_PARTITIONED, [CP_PROTO] = VERDICT_PROTOCOL_BLOCKED,
    [CP_V6] = VERDICT_IPV6_BROKEN,   [CP_MTU] = VERDICT_MTU,
    [CP_LOSSY] = VERDICT_LOSSY_PATH,
};

static void cp_one(struct verdict_list *vl, struct vstate *s, struct vcp *cp, enum cp_what w, int p)
{
	struct vcp *rev = cp->sc != cp->dc ? cp_find(s, cp->dc, cp->sc) : NULL;
	const char *a = s->clusters[cp->sc], *b = s->clusters[cp->dc];
	struct vev ev = *cp_ev(cp, w, p);
	int64_t total = cp_total(cp, w, p);
	enum verdict_kind kind = cp_kinds[w];
	bool both = false;
	struct verdict *v;
	char *scope;

	if (!ev.failed)
		return;
	if (rev && cp_ev(rev, w, p)->failed) {
		if (strcmp(a, b) > 0)
			return; /* reported with the other direction */
		vev_merge(&ev, cp_ev(rev, w, p));
		total += cp_total(rev, w, p);
		both = true;
	}
	if (cp->sc == cp->dc)
		scope = xasprintf("within %s", a);
	else
		scope = xasprintf("%s %s %s", a, both ? "<->" : "->", b);
	if (w == CP_PART && cp->sc == cp->dc)
		kind = VERDICT_CLUSTER_DOWN;
	v = vl_add(vl, kind, cp_text(s, cp, w, p, scope, &ev, total));
	free(scope);
	v->src_cluster = xstrdup(a);
	v->dst_cluster = xstrdup(b);
	v->both_directions = both;
	if (w == CP_PROTO)
		v->protocol = p;
	if (w == CP_V6)
		v->family = 6;
	set_evidence(v, &ev, total);
}

static void cps_build(struct verdict_list *vl, struct vstate *s)
{
	for (size_t i = 0; i < s->ncp; i++) {
		struct vcp *cp = &s->cps[i];

		cp_one(vl, s, cp, CP_PART, 0);
		for (int p = 0; p < PROTO_MAX; p++)
			cp_one(vl, s, cp, CP_PROTO, p);
		cp_one(vl, s, cp, CP_V6, 0);
		cp_one(vl, s, cp, CP_MTU, 0);
		cp_one(vl, s, cp, CP_LOSSY, 0);
	}
}

/* ---- Kosmos gateway mode ------------------------------------------------------------------ */

/* "every cross-cluster path through gateway west/west-node-3 fails: ..." */
static void gw_one(struct verdict_list *vl, struct vstate *s, const struct vgw *g)
{
	const char *c = s->clusters[g->ci];
	struct vcp *in = cp_find(s, g->ci, g->ci);
	struct verdict *v;
	struct buf names;
	char e[64], inside[160];

	if (!g->ev.failed)
		return;
	if (!in || !in->all.total)
		str_copy(inside, sizeof(inside), " (pairs within it were not checked)");
	else if (!in->all.failed)
		snprintf(inside, sizeof(inside), " while every pair within %s passes", c);
	else
		snprintf(inside, sizeof(inside), " while %lld of %lld results within %s pass",
			 (long long)(in->all.total - in->all.failed), (long long)in->all.total, c);
	buf_init(&names, 256);
	for (size_t i = 0; i < g->ngw; i++)
		(void)!buf_printf(&names, "%s%s", i ? ", " : "", s->nodes[g->gw[i]].label);
	errors_text(&g->ev, e, sizeof(e));
	v = vl_add(vl, VERDICT_GATEWAY_DOWN,
		   xasprintf("every cross-cluster path through gateway%s %s fails: all %lld "
			     "results between %s and other clusters fail (%s)%s",
			     g->ngw == 1 ? "" : "s", buf_str(&names), (long long)g->cross.total, c,
			     e, inside));
	buf_release(&names);
	v->node = xstrdup(s->nodes[g->gw[0]].label);
	v->src_cluster = xstrdup(c);
	set_evidence(v, &g->ev, g->cross.total);
}

static void gws_build(struct verdict_list *vl, struct vstate *s)
{
	for (size_t i = 0; i < s->ngws; i++)
		gw_one(vl, s, &s->gws[i]);
}

/* ---- bad links --------------------------------------------------------------------------- */

static const char *link_lo(const struct vstate *s, const struct vlink *l)
{
	const char *a = s->nodes[l->s].label, *b = s->nodes[l->d].label;

	return strcmp(a, b) <= 0 ? a : b;
}

static const char *link_hi(const struct vstate *s, const struct vlink *l)
{
	const char *a = s->nodes[l->s].label, *b = s->nodes[l->d].label;

	return strcmp(a, b) <= 0 ? b : a;
}

static int link_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct vlink *a = pa, *b = pb;
	const struct vstate *s = ctx;
	int c = strcmp(link_lo(s, a), link_lo(s, b));

	if (!c)
		c = strcmp(link_hi(s, a), link_hi(s, b));
	if (!c)
		c = strcmp(s->nodes[a->s].label, s->nodes[b->s].label);
	return c;
}

/* Sorts by the unordered node pair and folds A->B with B->A. */
static size_t links_fold(struct vstate *s)
{
	size_t out = 0;

	if (s->nlinks)
		qsort_r(s->links, s->nlinks, sizeof(*s->links), link_cmp, s);
	for (size_t i = 0; i < s->nlinks; i++) {
		struct vlink *prev = out ? &s->links[out - 1] : NULL;
		struct vlink *l = &s->links[i];

		if (prev && prev->s == l->d && prev->d == l->s) {
			vev_merge(&prev->ev, &l->ev);
			for (int p = 0; p < PROTO_MAX; p++)
				prev->proto_failed[p] += l->proto_failed[p];
			prev->failing |= l->failing;
			prev->total += l->total;
			prev->both = true;
			continue;
		}
		s->links[out++] = *l;
	}
	return out;
}

/* "tcp", "tcp and udp", "icmp, tcp and udp". */
static void protocols_text(unsigned mask, char *dst, size_t dstsz)
{
	int left = __builtin_popcount(mask);
	size_t len = 0;

	dst[0] = '\0';
	for (int p = 0; p < PROTO_MAX && len < dstsz; p++) {
		if (!(mask & (1u << p)))
			continue;
		const char *sep = --left > 1 ? ", " : " and ";

		len += (size_t)snprintf(dst + len, dstsz - len, "%s%s", probe_protocol_name(p),
					left ? sep : "");
	}
}

/* A link that fails for some protocols only says which: "tcp blocked on the link A <-> B"
 * when every result of those protocols fails, "bad link A <-> B: ... (tcp, timeout)" when
 * only some do; "while icmp and udp pass" when the others pass on that node pair. */
static char *link_text(const struct vstate *s, const struct vlink *l, const char *a, const char *b)
{
	unsigned failed = 0, passing;
	int nprotos = __builtin_popcount(s->protocols);
	bool whole = true;
	char e[64], fp[48], pp[48], tail[80] = "";

	errors_text(&l->ev, e, sizeof(e));
	for (int p = 0; p < PROTO_MAX; p++)
		if (l->proto_failed[p])
			failed |= 1u << p;
	if (nprotos < 2 || !failed || (s->protocols & ~failed) == 0)
		return xasprintf("bad link %s %s %s: %lld of %lld results fail (%s)", a,
				 l->both ? "<->" : "->", b, (long long)l->ev.failed,
				 (long long)l->total, e);
	for (int p = 0; p < PROTO_MAX; p++)
		if ((failed & (1u << p)) && l->proto_failed[p] * nprotos < l->total)
			whole = false;
	protocols_text(failed, fp, sizeof(fp));
	passing = s->protocols & ~l->failing;
	if (passing) {
		protocols_text(passing, pp, sizeof(pp));
		snprintf(tail, sizeof(tail), " while %s pass%s", pp,
			 __builtin_popcount(passing) == 1 ? "es" : "");
	}
	if (whole)
		return xasprintf("%s blocked on the link %s %s %s: %lld of %lld results fail "
				 "(%s)%s",
				 fp, a, l->both ? "<->" : "->", b, (long long)l->ev.failed,
				 (long long)l->total, e, tail);
	return xasprintf("bad link %s %s %s: %lld of %lld results fail (%s, %s)%s", a,
			 l->both ? "<->" : "->", b, (long long)l->ev.failed, (long long)l->total,
			 fp, e, tail);
}

static void links_build(struct verdict_list *vl, struct vstate *s)
{
	size_t n = links_fold(s), shown = n < s->opts.max_bad_links ? n : s->opts.max_bad_links;
	int64_t more = (int64_t)(n - shown) + s->links_dropped;

	for (size_t i = 0; i < shown; i++) {
		const struct vlink *l = &s->links[i];
		const struct vnode *a = &s->nodes[l->s], *b = &s->nodes[l->d];
		struct verdict *v;
		int only = -1;

		if (l->both && strcmp(a->label, b->label) > 0) {
			const struct vnode *t = a;

			a = b;
			b = t;
		}
		for (int p = 0; p < PROTO_MAX; p++)
			if (l->proto_failed[p])
				only = only == -1 ? p : -2;
		v = vl_add(vl, VERDICT_BAD_LINK, link_text(s, l, a->label, b->label));
		v->node = xstrdup(a->label);
		v->peer = xstrdup(b->label);
		v->src_cluster = xstrdup(a->cluster);
		v->dst_cluster = xstrdup(b->cluster);
		v->both_directions = l->both;
		/* a link that fails for one protocol of several is about that protocol */
		if (only >= 0 && __builtin_popcount(s->protocols) > 1)
			v->protocol = only;
		set_evidence(v, &l->ev, l->total);
	}
	if (more > 0) {
		struct verdict *v = vl_add(
		    vl, VERDICT_MORE_LINKS,
		    xasprintf("%lld more node pair%s fail on their own: see netctl report --run "
			      "%lld",
			      (long long)more, plural(more), (long long)s->run_id));

		v->failed = more;
		v->total = more;
	}
}

/* ---- pseudo-nodes: custom targets and the API server ------------------------------------- */

/* "timeout" for the whole, or "tcp: refused" when only some protocols fail (and those
 * that pass are named after "while"). */
static void pseudo_detail(const struct vpseudo *p, char *what, size_t whatsz, char *passing,
			  size_t passsz)
{
	char e[64];
	unsigned failing = 0, passing_mask = 0;

	for (int q = 0; q < PROTO_MAX; q++) {
		if (p->proto[q].failed)
			failing |= 1u << q;
		else if (p->proto[q].total)
			passing_mask |= 1u << q;
	}
	errors_text(&p->ev, e, sizeof(e));
	passing[0] = '\0';
	if (!passing_mask) {
		str_copy(what, whatsz, e);
		return;
	}
	protocols_text(failing, what, whatsz);
	snprintf(what + strlen(what), whatsz - strlen(what), ", %s", e);
	protocols_text(passing_mask, passing, passsz);
}

/* Whether a DNS failure says the server gave no answer at all (rather than an answer that
 * is not the address). */
static bool dns_silent(enum probe_error e)
{
	return e == PROBE_TIMEOUT || e == PROBE_REFUSED || e == PROBE_UNREACHABLE ||
	       e == PROBE_RESET || e == PROBE_OTHER || e == PROBE_TRUNCATED;
}

static int top_error(const struct vev *ev)
{
	int top = PROBE_OTHER;

	for (int e = 0; e < PROBE_ERROR_MAX; e++)
		if (e != PROBE_OK && ev->errors[e] > ev->errors[top])
			top = e;
	return top;
}

/* A DNS pseudo-node "dns:SERVER/NAME[=ADDR]/TYPE": "DNS server S unreachable from cluster C",
 * "name N (TYPE) does not resolve through S from any node of cluster C", "node X cannot
 * resolve N (TYPE) through S". */
static void dns_one(struct verdict_list *vl, struct vstate *s, const struct vpseudo *p)
{
	const struct vnode *n = &s->nodes[p->node];
	const char *server = n->name + (strncmp(n->name, "dns:", 4) ? 0 : 4);
	const char *slash = strchr(server, '/'), *type = strrchr(server, '/');
	int slen = slash ? (int)(slash - server) : (int)strlen(server);
	int nlen = slash && type > slash ? (int)(type - slash - 1) : 0;
	char e[48], who[320];
	struct verdict *v;
	int top = top_error(&p->ev);

	if (!p->ev.failed)
		return;
	errors_text(&p->ev, e, sizeof(e));
	if (p->failing_sources >= p->sources && dns_silent((enum probe_error)top)) {
		v = vl_add(vl, VERDICT_DNS_SERVER,
			   xasprintf("DNS server %.*s unreachable from cluster %s (%lld of %lld "
				     "result%s fail, %s; asking %.*s %s)",
				     slen, server, n->cluster, (long long)p->ev.failed,
				     (long long)p->total, plural(p->total), e, nlen,
				     slash ? slash + 1 : "", type ? type + 1 : ""));
	} else if (p->failing_sources >= p->sources) {
		v = vl_add(vl, VERDICT_DNS_NAME,
			   xasprintf("name %.*s (%s) does not resolve through %.*s from any node "
				     "of cluster %s (%lld of %lld result%s fail, %s)",
				     nlen, slash ? slash + 1 : "", type ? type + 1 : "", slen,
				     server, n->cluster, (long long)p->ev.failed,
				     (long long)p->total, plural(p->total), e));
	} else {
		size_t len = (size_t)snprintf(who, sizeof(who), "%s",
					      p->failing_sources == 1 ? "node" : "nodes");

		for (int64_t i = 0; i < p->failing_sources && i < VPSEUDO_NAMES; i++)
			len += (size_t)snprintf(who + len, sizeof(who) - len, "%s %s", i ? "," : "",
						s->nodes[p->fail_src[i]].name);
		if (p->failing_sources > VPSEUDO_NAMES)
			snprintf(who + len, sizeof(who) - len, ", ... (%lld of %lld nodes)",
				 (long long)p->failing_sources, (long long)p->sources);
		v = vl_add(vl, VERDICT_DNS_NODE,
			   xasprintf("%s of cluster %s cannot resolve %.*s (%s) through %.*s (%lld "
				     "of %lld result%s fail, %s; the other nodes resolve it)",
				     who, n->cluster, nlen, slash ? slash + 1 : "",
				     type ? type + 1 : "", slen, server, (long long)p->ev.failed,
				     (long long)p->total, plural(p->total), e));
		if (p->failing_sources == 1)
			v->peer = xstrdup(s->nodes[p->fail_src[0]].label);
	}
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	v->protocol = PROTO_DNS;
	set_evidence(v, &p->ev, p->total);
}

static void pseudo_one(struct verdict_list *vl, struct vstate *s, const struct vpseudo *p)
{
	const struct vnode *n = &s->nodes[p->node];
	bool api = n->kind == STORE_NODE_APISERVER;
	const char *colon = strchr(n->name, ':');
	const char *addr = colon ? colon + 1 : n->name;
	char what[96], passing[48], who[320];
	struct verdict *v;
	int64_t total = p->total;

	if (n->kind == STORE_NODE_DNS) {
		dns_one(vl, s, p);
		return;
	}
	if (!p->ev.failed)
		return;
	pseudo_detail(p, what, sizeof(what), passing, sizeof(passing));
	if (p->failing_sources >= p->sources)
		snprintf(who, sizeof(who), "from every node of cluster %s", n->cluster);
	else if (p->failing_sources == 1)
		snprintf(who, sizeof(who), "from node %s only", s->nodes[p->fail_src[0]].name);
	else {
		size_t len = (size_t)snprintf(who, sizeof(who), "from %lld of %lld nodes of %s:",
					      (long long)p->failing_sources, (long long)p->sources,
					      n->cluster);

		for (int64_t i = 0; i < p->failing_sources && i < VPSEUDO_NAMES; i++)
			len += (size_t)snprintf(who + len, sizeof(who) - len, "%s %s", i ? "," : "",
						s->nodes[p->fail_src[i]].name);
		if (p->failing_sources > VPSEUDO_NAMES)
			snprintf(who + len, sizeof(who) - len, ", ...");
	}
	v = vl_add(vl, api ? VERDICT_APISERVER : VERDICT_TARGET,
		   xasprintf("%s %s unreachable %s (%lld of %lld result%s fail, %s)%s%s%s",
			     api ? "API server" : "target", addr, who, (long long)p->ev.failed,
			     (long long)total, plural(total), what, passing[0] ? " while " : "",
			     passing,
			     !passing[0]	    ? ""
			     : strchr(passing, ' ') ? " pass"
						    : " passes"));
	v->node = xstrdup(n->label);
	v->src_cluster = xstrdup(n->cluster);
	if (p->failing_sources == 1 && p->sources > 1)
		v->peer = xstrdup(s->nodes[p->fail_src[0]].label);
	set_evidence(v, &p->ev, total);
}

/* The NAME[=ADDR] of a DNS pseudo-node "dns:SERVER/NAME[=ADDR]/TYPE" (pointer and length). */
static const char *dns_name_part(const struct vnode *n, int *len)
{
	const char *slash = strchr(n->name, '/'), *type = strrchr(n->name, '/');

	*len = slash && type > slash ? (int)(type - slash - 1) : 0;
	return slash ? slash + 1 : "";
}

/* Every node got an answer from the server, none with the address. */
static bool dns_fails_everywhere(const struct vpseudo *p)
{
	return p->ev.failed && p->failing_sources >= p->sources &&
	       !dns_silent((enum probe_error)top_error(&p->ev));
}

/* "name N does not resolve anywhere": every server of every cluster, every record type
 * asked, answers every node, never with the address. One verdict instead of one per server;
 * *done marks the pseudo-nodes it speaks for. */
static void dns_names_build(struct verdict_list *vl, struct vstate *s, bool *done)
{
	for (size_t i = 0; i < s->nps; i++) {
		const struct vnode *n = &s->nodes[s->ps[i].node];
		struct vev ev;
		int64_t total = 0, npseudo = 0;
		char e[48], clusters[256] = "";
		const char *name;
		int len, klen;
		bool all = true;
		struct verdict *v;

		if (n->kind != STORE_NODE_DNS || done[i])
			continue;
		name = dns_name_part(n, &len);
		memset(&ev, 0, sizeof(ev));
		for (size_t k = i; k < s->nps && all; k++) {
			const struct vpseudo *q = &s->ps[k];
			const struct vnode *m = &s->nodes[q->node];
			const char *other;

			if (m->kind != STORE_NODE_DNS)
				continue;
			other = dns_name_part(m, &klen);
			if (klen != len || strncmp(other, name, (size_t)len))
				continue;
			all = dns_fails_everywhere(q);
			npseudo++;
			total += q->total;
			ev.failed += q->ev.failed;
			ev.sent += q->ev.sent;
			ev.received += q->ev.received;
			for (int x = 0; x < PROBE_ERROR_MAX; x++)
				ev.errors[x] += q->ev.errors[x];
			if (!strstr(clusters, m->cluster) &&
			    strlen(clusters) + strlen(m->cluster) + 3 < sizeof(clusters))
				snprintf(clusters + strlen(clusters),
					 sizeof(clusters) - strlen(clusters), "%s%s",
					 clusters[0] ? ", " : "", m->cluster);
		}
		if (!all || npseudo < 2)
			continue; /* one server, one type: the per-server verdict says it */
		for (size_t k = i; k < s->nps; k++) {
			const struct vnode *m = &s->nodes[s->ps[k].node];
			const char *other;

			if (m->kind != STORE_NODE_DNS)
				continue;
			other = dns_name_part(m, &klen);
			if (klen == len && !strncmp(other, name, (size_t)len))
				done[k] = true;
		}
		errors_text(&ev, e, sizeof(e));
		v = vl_add(
		    vl, VERDICT_DNS_NAME,
		    xasprintf("name %.*s does not resolve anywhere: no server answers any node "
			      "of %s with its address (%lld of %lld result%s fail, %s)",
			      len, name, clusters, (long long)ev.failed, (long long)total,
			      plural(total), e));
		v->node = xstrdup(n->label);
		v->protocol = PROTO_DNS;
		set_evidence(v, &ev, total);
	}
}

static void pseudos_build(struct verdict_list *vl, struct vstate *s)
{
	bool *done = xcalloc(s->nps ? s->nps : 1, sizeof(*done));

	dns_names_build(vl, s, done);
	for (size_t i = 0; i < s->nps; i++)
		if (!done[i])
			pseudo_one(vl, s, &s->ps[i]);
	free(done);
}

/* ---- order and the whole list -------------------------------------------------------------- */

static int strnull_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int verdict_cmp(const void *pa, const void *pb)
{
	const struct verdict *a = pa, *b = pb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = strnull_cmp(a->src_cluster, b->src_cluster)))
		return c;
	if ((c = strnull_cmp(a->dst_cluster, b->dst_cluster)))
		return c;
	if ((c = strnull_cmp(a->node, b->node)))
		return c;
	if ((c = strnull_cmp(a->peer, b->peer)))
		return c;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	return a->family - b->family;
}

/* Results never probed: stored as not-probed, or planned and never stored (a run that
 * was interrupted before it sent them). */
static void missing_build(struct verdict_list *vl, struct vstate *s)
{
	int64_t absent = s->planned > s->total ? s->planned - s->total : 0;
	int64_t n = s->not_probed + absent;
	struct verdict *v;

	if (!n || (!s->not_probed && !s->interrupted))
		return;
	v = vl_add(vl, VERDICT_NOT_PROBED,
		   xasprintf("%lld planned result%s never probed (the run was interrupted): "
			     "netctl resume --run %lld probes them",
			     (long long)n, plural(n), (long long)s->run_id));
	set_evidence(v, &s->ev_not_probed, s->planned > s->total ? s->planned : s->total);
	v->failed = n;
}

void verdict_build(struct verdict_list *vl, struct vstate *s)
{
	struct verdict *v;

	nodes_build(vl, s);
	gws_build(vl, s);
	cps_build(vl, s);
	/* Bad links keep their own (name) order under the cap; sorting below is stable for
	 * them because their scopes are distinct and ordered the same way. */
	links_build(vl, s);
	pseudos_build(vl, s);
	missing_build(vl, s);
	if (!vl->n && !s->total)
		vl_add(vl, VERDICT_NO_RESULTS, xstrdup("the run has no results"));
	else if (!vl->n) {
		v = vl_add(vl, VERDICT_HEALTHY,
			   xasprintf("healthy: all %lld results passed", (long long)s->total));
		v->total = s->total;
	}
	if (vl->n)
		qsort(vl->v, vl->n, sizeof(*vl->v), verdict_cmp);
}

void verdict_list_free(struct verdict_list *vl)
{
	if (!vl)
		return;
	for (size_t i = 0; i < vl->n; i++) {
		free(vl->v[i].text);
		free(vl->v[i].src_cluster);
		free(vl->v[i].dst_cluster);
		free(vl->v[i].node);
		free(vl->v[i].peer);
	}
	free(vl->v);
	free(vl);
}

size_t verdict_count(const struct verdict_list *vl)
{
	return vl ? vl->n : 0;
}

const struct verdict *verdict_get(const struct verdict_list *vl, size_t i)
{
	return i < vl->n ? &vl->v[i] : NULL;
}

bool verdict_same(const struct verdict *a, const struct verdict *b)
{
	return a->kind == b->kind && !strnull_cmp(a->src_cluster, b->src_cluster) &&
	       !strnull_cmp(a->dst_cluster, b->dst_cluster) && !strnull_cmp(a->node, b->node) &&
	       !strnull_cmp(a->peer, b->peer) && a->protocol == b->protocol &&
	       a->family == b->family;
}

int64_t verdict_results_failed(const struct verdict_list *vl)
{
	return vl->failed;
}

int64_t verdict_results_total(const struct verdict_list *vl)
{
	return vl->total;
}
