#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "wire.h"

/* Target lists by protocol mask: index 0 holds targets decided without probing. */
#define PLAN_GROUPS (1u << PROTO_MAX)

struct target_list {
	struct plan_target *v;
	size_t n, cap;
};

struct plan {
	const struct plan_node *nodes;
	size_t nnodes, nclusters;
	const bool *cluster_pairs;
	struct plan_opts opts;
	plan_filter_fn filter;
	void *filter_arg;
	size_t *cluster_first, *cluster_count; /* node ranges per cluster (real nodes) */
	size_t *pseudo_first, *pseudo_count;   /* the pseudo-nodes after them */
	struct target_list groups[PLAN_GROUPS];
	struct plan_shard *shards;
	size_t nshards, shards_cap;
	int64_t total; /* -1 until computed */
};

static unsigned popcount(unsigned v)
{
	return (unsigned)__builtin_popcount(v);
}

/* The protocols of node pairs: a DNS probe asks a DNS server (a pseudo-node), never a node. */
static unsigned node_protocols(unsigned protocols)
{
	return protocols & ~(1u << PROTO_DNS);
}

struct plan *plan_new(const struct plan_node *nodes, size_t nnodes, size_t nclusters,
		      const bool *cluster_pairs, const struct plan_opts *opts,
		      plan_filter_fn filter, void *filter_arg, struct err *err)
{
	struct plan *p;

	if (!opts->protocols || !opts->families || !opts->networks) {
		err_set(err, ERR_USAGE, "plan: no protocol, family or network selected");
		return NULL;
	}
	for (size_t i = 0; i < nnodes; i++) {
		bool same = i > 0 && nodes[i].cluster == nodes[i - 1].cluster;

		if (nodes[i].cluster >= nclusters ||
		    (i > 0 && nodes[i].cluster < nodes[i - 1].cluster) ||
		    (same && nodes[i].kind == PLAN_NODE && nodes[i - 1].kind != PLAN_NODE)) {
			err_set(err, ERR_INTERNAL,
				"plan: nodes not grouped by cluster, pseudo-nodes last");
			return NULL;
		}
	}
	p = xcalloc(1, sizeof(*p));
	p->nodes = nodes;
	p->nnodes = nnodes;
	p->nclusters = nclusters;
	p->cluster_pairs = cluster_pairs;
	p->opts = *opts;
	if (!p->opts.max_targets)
		p->opts.max_targets = WIRE_MAX_TARGETS;
	p->filter = filter;
	p->filter_arg = filter_arg;
	p->total = -1;
	p->cluster_first = xcalloc(nclusters ? nclusters : 1, sizeof(size_t));
	p->cluster_count = xcalloc(nclusters ? nclusters : 1, sizeof(size_t));
	p->pseudo_first = xcalloc(nclusters ? nclusters : 1, sizeof(size_t));
	p->pseudo_count = xcalloc(nclusters ? nclusters : 1, sizeof(size_t));
	for (size_t i = nnodes; i-- > 0;) {
		uint32_t c = nodes[i].cluster;

		if (nodes[i].kind == PLAN_NODE) {
			p->cluster_first[c] = i;
			p->cluster_count[c]++;
		} else {
			p->pseudo_first[c] = i;
			p->pseudo_count[c]++;
		}
	}
	return p;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t g = 0; g < PLAN_GROUPS; g++)
		free(p->groups[g].v);
	free(p->shards);
	free(p->cluster_first);
	free(p->cluster_count);
	free(p->pseudo_first);
	free(p->pseudo_count);
	free(p);
}

size_t plan_nsources(const struct plan *p)
{
	return p->nnodes * 2;
}

/* Networks a sender serves, within the options. */
static unsigned sender_networks(const struct plan *p, enum plan_sender sender)
{
	unsigned mine = sender == PLAN_SEND_POD ? (1u << PLAN_NET_POD) | (1u << PLAN_NET_POD_HOST)
						: (1u << PLAN_NET_HOST) | (1u << PLAN_NET_HOST_POD);

	return mine & p->opts.networks;
}

/* The network a sender's probes of pseudo-nodes are recorded under: where they leave from
 * (the pod network for the pod floater, the node's for the host floater), when the plan has
 * a network sent from there; PLAN_NET_MAX when it has none. */
static enum plan_network pseudo_network(const struct plan *p, enum plan_sender sender)
{
	if (!sender_networks(p, sender))
		return PLAN_NET_MAX;
	return sender == PLAN_SEND_POD ? PLAN_NET_POD : PLAN_NET_HOST;
}

/* The family of a pseudo-node's address (4 or 6), 0 when the plan does not check it. */
static unsigned pseudo_family(const struct plan *p, const struct plan_node *n)
{
	unsigned f = n->host_ip[1] ? 6 : 4;

	return p->opts.families & (f == 6 ? 2u : 1u) ? f : 0;
}

static bool net_targets_pod(enum plan_network net)
{
	return net == PLAN_NET_POD || net == PLAN_NET_HOST_POD;
}

static unsigned pair_protocols(struct plan *p, const struct plan_node *src,
			       const struct plan_node *dst, unsigned family, enum plan_network net)
{
	if (!p->filter)
		return p->opts.protocols;
	return p->filter(p->filter_arg, src, dst, family, net) & p->opts.protocols;
}

/* Result rows of the pseudo-nodes of cluster c: every node of c probes each of them from
 * each sender that has a network, in its family, with its protocols. */
static int64_t pseudo_total(const struct plan *p, size_t c)
{
	int64_t per_node = 0;
	unsigned senders = (pseudo_network(p, PLAN_SEND_POD) != PLAN_NET_MAX) +
			   (pseudo_network(p, PLAN_SEND_HOST) != PLAN_NET_MAX);

	for (size_t k = 0; k < p->pseudo_count[c]; k++) {
		const struct plan_node *n = &p->nodes[p->pseudo_first[c] + k];

		if (pseudo_family(p, n))
			per_node += popcount(n->protocols & p->opts.protocols);
	}
	return per_node * senders * (int64_t)p->cluster_count[c];
}

void plan_sample_block(size_t n, size_t k, uint64_t round, size_t *first, size_t *count)
{
	size_t rounds;

	if (!k || k >= n) {
		*first = 0;
		*count = n;
		return;
	}
	rounds = (n + k - 1) / k;
	*first = (size_t)(round % rounds) * k;
	*count = n - *first < k ? n - *first : k;
}

/* Destinations of one source in one cluster this round (self left out). */
static size_t sample_count(const struct plan *p, size_t na, size_t nb, bool same)
{
	size_t n = same ? (na > 0 ? nb - 1 : 0) : nb, first, count;

	plan_sample_block(n, p->opts.sample, p->opts.sample_round, &first, &count);
	return count;
}

int64_t plan_total(struct plan *p)
{
	unsigned nets = popcount(p->opts.networks), fams = popcount(p->opts.families & 3);
	unsigned protos = popcount(node_protocols(p->opts.protocols));
	int64_t pairs = 0, pseudo = 0;

	if (p->total >= 0)
		return p->total;
	if (!p->filter) {
		for (size_t a = 0; a < p->nclusters; a++) {
			pseudo += pseudo_total(p, a);
			for (size_t b = 0; b < p->nclusters; b++) {
				int64_t na = (int64_t)p->cluster_count[a];
				int64_t nb = (int64_t)p->cluster_count[b];

				if (!p->cluster_pairs[a * p->nclusters + b])
					continue;
				pairs +=
				    na * (int64_t)sample_count(p, (size_t)na, (size_t)nb, a == b);
			}
		}
		p->total = pairs * nets * fams * protos + pseudo;
		return p->total;
	}
	p->total = 0;
	for (size_t s = 0; s < plan_nsources(p); s++) {
		const struct plan_shard *shards;
		size_t n = plan_source(p, s, &shards);

		for (size_t i = 0; i < n; i++)
			for (size_t t = 0; t < shards[i].n; t++)
				p->total += popcount(shards[i].targets[t].protocols);
	}
	return p->total;
}

static void group_push(struct target_list *l, const struct plan_target *t)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *t;
}

/* Fills the target of one (src, dst, family, network); false when nothing is planned. */
static bool make_target(struct plan *p, size_t si, size_t di, unsigned family,
			enum plan_network net, enum plan_sender sender, struct plan_target *t)
{
	const struct plan_node *src = &p->nodes[si], *dst = &p->nodes[di];
	int f = family == 6 ? 1 : 0;
	const char *src_floater = sender == PLAN_SEND_POD ? src->pod_floater : src->host_floater;
	const char *src_ip = sender == PLAN_SEND_POD ? src->pod_ip[f] : src->host_ip[f];
	bool to_pod = net_targets_pod(net);
	const char *dst_floater = to_pod ? dst->pod_floater : dst->host_floater;
	const char *dst_ip = to_pod ? dst->pod_ip[f] : dst->host_ip[f];
	unsigned protos = node_protocols(pair_protocols(p, src, dst, family, net));

	if (!protos)
		return false;
	memset(t, 0, sizeof(*t));
	t->dst = (uint32_t)di;
	t->family = (uint8_t)family;
	t->network = (uint8_t)net;
	t->protocols = (uint8_t)protos;
	if (!src_floater || !dst_floater)
		t->error = PROBE_NO_AGENT;
	else if (!src_ip || !dst_ip)
		t->error = PROBE_OTHER; /* no address of this family at one end */
	else
		t->ip = dst_ip;
	/* another cluster's pod behind a global CIDR: its real address may be ours too */
	if (t->ip && to_pod && src->cluster != dst->cluster && dst->pod_global_ip[f])
		t->ip = dst->pod_global_ip[f];
	return true;
}

/* The target of one (src, pseudo-node) for a sender; false when nothing is planned. */
static bool make_pseudo_target(struct plan *p, size_t si, size_t di, enum plan_sender sender,
			       struct plan_target *t)
{
	const struct plan_node *src = &p->nodes[si], *dst = &p->nodes[di];
	enum plan_network net = pseudo_network(p, sender);
	unsigned family = pseudo_family(p, dst), protos;
	int f = family == 6 ? 1 : 0;
	const char *src_floater = sender == PLAN_SEND_POD ? src->pod_floater : src->host_floater;
	const char *src_ip = sender == PLAN_SEND_POD ? src->pod_ip[f] : src->host_ip[f];

	if (net == PLAN_NET_MAX || !family)
		return false;
	protos = pair_protocols(p, src, dst, family, net) & dst->protocols;
	if (!protos)
		return false;
	memset(t, 0, sizeof(*t));
	t->dst = (uint32_t)di;
	t->family = (uint8_t)family;
	t->network = (uint8_t)net;
	t->protocols = (uint8_t)protos;
	t->port = dst->port;
	if (!src_floater)
		t->error = PROBE_NO_AGENT;
	else if (!src_ip || !dst->host_ip[f])
		t->error = PROBE_OTHER; /* the source has no address of the target's family */
	else
		t->ip = dst->host_ip[f];
	return true;
}

static void add_shard(struct plan *p, size_t si, enum plan_sender sender, unsigned mask,
		      bool decided, const struct plan_target *v, size_t n)
{
	struct plan_shard *sh;

	p->shards = xgrow(p->shards, &p->shards_cap, p->nshards + 1, sizeof(*p->shards));
	sh = &p->shards[p->nshards++];
	sh->src = (uint32_t)si;
	sh->sender = sender;
	sh->protocols = mask;
	sh->decided = decided;
	sh->targets = v;
	sh->n = n;
}

size_t plan_source(struct plan *p, size_t s, const struct plan_shard **shards)
{
	size_t si = s / 2;
	enum plan_sender sender = (enum plan_sender)(s % 2);
	unsigned nets = sender_networks(p, sender);
	uint32_t ci;

	p->nshards = 0;
	*shards = NULL;
	for (size_t g = 0; g < PLAN_GROUPS; g++)
		p->groups[g].n = 0;
	if (si >= p->nnodes || !nets || p->nodes[si].kind != PLAN_NODE)
		return 0;
	ci = p->nodes[si].cluster;
	for (size_t cj = 0; cj < p->nclusters; cj++) {
		if (!p->cluster_pairs[ci * p->nclusters + cj])
			continue;
		size_t n = p->cluster_count[cj] - (cj == ci), first, count;
		size_t self = si - p->cluster_first[ci];

		plan_sample_block(n, p->opts.sample, p->opts.sample_round, &first, &count);
		for (size_t j = 0; j < count; j++) {
			/* position among the n others, rotated by the source's own position */
			size_t pos = n == count ? j : (first + j + self) % n;
			size_t di = p->cluster_first[cj] + pos + (cj == ci && pos >= self);

			if (di == si)
				continue;
			for (unsigned net = 0; net < PLAN_NET_MAX; net++) {
				if (!(nets & (1u << net)))
					continue;
				for (unsigned f = 0; f < 2; f++) {
					struct plan_target t;

					if (!(p->opts.families & (1u << f)))
						continue;
					if (!make_target(p, si, di, f ? 6 : 4, net, sender, &t))
						continue;
					group_push(&p->groups[t.error ? 0 : t.protocols], &t);
				}
			}
		}
	}
	for (size_t k = 0; k < p->pseudo_count[ci]; k++) {
		struct plan_target t;

		if (make_pseudo_target(p, si, p->pseudo_first[ci] + k, sender, &t))
			group_push(&p->groups[t.error ? 0 : t.protocols], &t);
	}
	/* Requests to send first, then what was decided without probing. */
	for (size_t i = 1; i <= PLAN_GROUPS; i++) {
		size_t g = i % PLAN_GROUPS;
		struct target_list *l = &p->groups[g];

		for (size_t off = 0; off < l->n; off += p->opts.max_targets) {
			size_t n =
			    l->n - off < p->opts.max_targets ? l->n - off : p->opts.max_targets;

			add_shard(p, si, sender, g ? (unsigned)g : p->opts.protocols, g == 0,
				  l->v + off, n);
		}
	}
	*shards = p->shards;
	return p->nshards;
}
