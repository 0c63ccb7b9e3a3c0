#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

#define MAXN 16
static struct plan_node nodes[MAXN];
static char names[MAXN][32], ip4[MAXN][32], ip6[MAXN][32], hip4[MAXN][32];

/* n0 nodes in cluster 0, n1 in cluster 1; every node with a pod floater and v4+v6. */
static size_t make_nodes(size_t n0, size_t n1)
{
	size_t n = n0 + n1;

	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "node%zu", i);
		snprintf(ip4[i], sizeof(ip4[i]), "198.18.%u.%zu", i < n0 ? 1u : 2u, i + 10);
		snprintf(ip6[i], sizeof(ip6[i]), "fd00::%zx", i + 10);
		snprintf(hip4[i], sizeof(hip4[i]), "198.19.0.%zu", i + 10);
		nodes[i].id = (int64_t)i + 100;
		nodes[i].cluster = i < n0 ? 0 : 1;
		nodes[i].name = names[i];
		nodes[i].pod_ip[0] = ip4[i];
		nodes[i].pod_ip[1] = ip6[i];
		nodes[i].host_ip[0] = hip4[i];
		nodes[i].pod_floater = "floater-x";
		nodes[i].host_floater = "floater-host-x";
	}
	return n;
}

static struct plan_opts opts(unsigned protos, unsigned fams, unsigned nets)
{
	struct plan_opts o = {
	    .protocols = protos, .families = fams, .networks = nets, .max_targets = 10000};

	return o;
}

/* Counts result rows by walking every source, as the engine does. */
static int64_t walk_rows(struct plan *p, int64_t *decided)
{
	int64_t rows = 0;

	*decided = 0;
	for (size_t s = 0; s < plan_nsources(p); s++) {
		const struct plan_shard *sh;
		size_t n = plan_source(p, s, &sh);

		for (size_t i = 0; i < n; i++) {
			for (size_t t = 0; t < sh[i].n; t++) {
				int64_t k = __builtin_popcount(sh[i].targets[t].protocols);

				rows += k;
				if (sh[i].decided)
					*decided += k;
				else
					assert_int_equal(sh[i].targets[t].protocols,
							 sh[i].protocols);
			}
		}
	}
	return rows;
}

static void test_single_cluster_mesh_counts_ordered_pairs(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(5, 0);
	bool cp[1] = {true};
	struct plan_opts o = opts(1u << PROTO_TCP, 1, 1u << PLAN_NET_POD);
	struct plan *p = plan_new(nodes, n, 1, cp, &o, NULL, NULL, &err);
	int64_t decided;

	assert_non_null(p);
	assert_int_equal(plan_total(p), 20); /* 5 x 4 ordered pairs */
	assert_int_equal(walk_rows(p, &decided), 20);
	assert_int_equal(decided, 0);
	plan_free(p);
}

static void test_cross_cluster_both_directions_no_in_cluster(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(3, 4);
	bool cp[4] = {false, true, true, false};
	struct plan_opts o = opts((1u << PROTO_ICMP) | (1u << PROTO_UDP), 3, 1u << PLAN_NET_POD);
	struct plan *p = plan_new(nodes, n, 2, cp, &o, NULL, NULL, &err);
	const struct plan_shard *sh;
	int64_t decided;

	assert_non_null(p);
	/* 3x4 + 4x3 pairs, 2 protocols, 2 families */
	assert_int_equal(plan_total(p), 24 * 2 * 2);
	assert_int_equal(walk_rows(p, &decided), 96);
	/* node 0 (cluster 0, pod sender) targets the 4 nodes of cluster 1, v4 and v6 */
	assert_int_equal(plan_source(p, 0, &sh), 1);
	assert_int_equal(sh[0].n, 8);
	for (size_t t = 0; t < sh[0].n; t++)
		assert_int_equal(nodes[sh[0].targets[t].dst].cluster, 1);
	/* the host sender has nothing to do when only the pod network is asked for */
	assert_int_equal(plan_source(p, 1, &sh), 0);
	plan_free(p);
}

static void test_missing_floater_becomes_no_agent(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(3, 0);
	bool cp[1] = {true};
	struct plan_opts o = opts(1u << PROTO_TCP, 1, 1u << PLAN_NET_POD);
	struct plan *p;
	const struct plan_shard *sh;
	int64_t decided;

	nodes[2].pod_floater = NULL;
	p = plan_new(nodes, n, 1, cp, &o, NULL, NULL, &err);
	assert_non_null(p);
	/* node 0 probes node 1, node 2 is decided as no-agent */
	assert_int_equal(plan_source(p, 0, &sh), 2);
	assert_false(sh[0].decided);
	assert_int_equal(sh[0].n, 1);
	assert_true(sh[1].decided);
	assert_int_equal(sh[1].targets[0].error, PROBE_NO_AGENT);
	assert_int_equal(walk_rows(p, &decided), 6);
	assert_int_equal(decided, 4); /* 0->2, 1->2, 2->0, 2->1 */
	plan_free(p);
}

static void test_requests_are_split_at_max_targets(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(1, 15);
	bool cp[4] = {false, true, false, false};
	struct plan_opts o = opts(1u << PROTO_TCP, 3, 1u << PLAN_NET_POD);
	struct plan *p;
	const struct plan_shard *sh;

	o.max_targets = 7;
	p = plan_new(nodes, n, 2, cp, &o, NULL, NULL, &err);
	assert_non_null(p);
	assert_int_equal(plan_source(p, 0, &sh), 5); /* 30 targets: 7+7+7+7+2 */
	assert_int_equal(sh[4].n, 2);
	assert_int_equal(plan_total(p), 30);
	plan_free(p);
}

static unsigned only_udp_to_node3(void *arg, const struct plan_node *src,
				  const struct plan_node *dst, unsigned family,
				  enum plan_network net)
{
	(*(int *)arg)++;
	return strcmp(dst->name, "node3") == 0 && family == 4 ? 1u << PROTO_UDP : 0;
}

static void test_filter_limits_pairs_and_protocols(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(5, 0);
	bool cp[1] = {true};
	struct plan_opts o = opts((1u << PROTO_TCP) | (1u << PROTO_UDP), 3, 1u << PLAN_NET_POD);
	int calls = 0;
	struct plan *p = plan_new(nodes, n, 1, cp, &o, only_udp_to_node3, &calls, &err);
	const struct plan_shard *sh;

	assert_non_null(p);
	assert_int_equal(plan_total(p), 4); /* 4 sources -> node3, UDP over IPv4 only */
	assert_true(calls > 0);
	assert_int_equal(plan_source(p, 0, &sh), 1);
	assert_int_equal(sh[0].protocols, 1u << PROTO_UDP);
	assert_string_equal(sh[0].targets[0].ip, "198.18.1.13");
	plan_free(p);
}

static void test_host_network_uses_host_floater_and_node_ips(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(2, 0);
	bool cp[1] = {true};
	struct plan_opts o = opts(1u << PROTO_ICMP, 3, 1u << PLAN_NET_HOST);
	struct plan *p = plan_new(nodes, n, 1, cp, &o, NULL, NULL, &err);
	const struct plan_shard *sh;

	assert_non_null(p);
	assert_int_equal(plan_source(p, 0, &sh), 0); /* pod sender idle */
	assert_int_equal(plan_source(p, 1, &sh), 2); /* host sender: v4 probed, v6 decided */
	assert_int_equal(sh[0].sender, PLAN_SEND_HOST);
	assert_string_equal(sh[0].targets[0].ip, "198.19.0.11");
	assert_true(sh[1].decided);
	assert_int_equal(sh[1].targets[0].error, PROBE_OTHER); /* the nodes have no host IPv6 */
	plan_free(p);
}

/* Appends a pseudo-node of cluster c at ip (v4 or v6), probed with protos on port. */
static size_t add_pseudo(size_t n, uint32_t c, enum plan_node_kind kind, const char *ip, int port,
			 unsigned protos)
{
	memset(&nodes[n], 0, sizeof(nodes[n]));
	snprintf(names[n], sizeof(names[n]), "target:%s", ip);
	nodes[n].id = (int64_t)n + 100;
	nodes[n].cluster = c;
	nodes[n].kind = (uint8_t)kind;
	nodes[n].name = names[n];
	nodes[n].host_ip[strchr(ip, ':') ? 1 : 0] = ip;
	nodes[n].pod_ip[strchr(ip, ':') ? 1 : 0] = ip;
	nodes[n].port = (uint16_t)port;
	nodes[n].protocols = (uint8_t)protos;
	return n + 1;
}

/* A cluster's pseudo-nodes are probed by each of its nodes, whatever the cluster pairs say
 * (here: east -> west only), in their own family, with their own protocols and port; they
 * are never a source. */
static void test_pseudo_nodes_probed_from_their_cluster(void **state)
{
	struct err err = ERR_INIT;
	size_t n = make_nodes(2, 0);
	bool cp[4] = {false, true, true, false};
	struct plan_opts o = opts((1u << PROTO_ICMP) | (1u << PROTO_TCP), 3, 1u << PLAN_NET_POD);
	unsigned both = (1u << PROTO_ICMP) | (1u << PROTO_TCP);
	const struct plan_shard *sh;
	struct plan *p;
	int64_t decided;

	n = add_pseudo(n, 0, PLAN_NODE_TARGET, "198.18.4.2", 18080, both);
	n = add_pseudo(n, 0, PLAN_NODE_APISERVER, "fd00:18::2", 26443, 1u << PROTO_TCP);
	for (size_t i = n; i < n + 3; i++) { /* cluster 1: three nodes after them */
		snprintf(names[i], sizeof(names[i]), "w%zu", i);
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].id = (int64_t)i + 100;
		nodes[i].cluster = 1;
		nodes[i].name = names[i];
		nodes[i].pod_ip[0] = "198.19.9.9";
		nodes[i].pod_floater = "f";
	}
	n += 3;
	p = plan_new(nodes, n, 2, cp, &o, NULL, NULL, &err);
	assert_non_null(p);
	/* node pairs: 2x3 + 3x2, 2 protocols, v4 (cluster 1 has no v6: decided) and v6;
	 * pseudo: 2 east nodes x (target: icmp+tcp, v4; API server: tcp, v6) */
	assert_int_equal(plan_total(p), 12 * 2 * 2 + 2 * (2 + 1));
	assert_int_equal(walk_rows(p, &decided), plan_total(p));
	/* node 0 (pod sender): west's 3 nodes v4 (+ v6 decided), then its cluster's
	 * pseudo-nodes, grouped by protocol mask */
	assert_int_equal(plan_source(p, 0, &sh), 3);
	assert_int_equal(sh[0].protocols, 1u << PROTO_TCP);
	assert_int_equal(sh[0].n, 1);
	assert_int_equal(sh[0].targets[0].port, 26443);
	assert_string_equal(sh[0].targets[0].ip, "fd00:18::2");
	assert_int_equal(sh[1].protocols, both);
	assert_int_equal(sh[1].n, 3 + 1); /* 3 west nodes + the target */
	assert_int_equal(sh[1].targets[3].port, 18080);
	assert_int_equal(sh[1].targets[0].port, 0); /* a node: the floater port */
	/* a pseudo-node is no source; west's nodes never probe east's pseudo-nodes */
	assert_int_equal(plan_source(p, 2 * 2, &sh), 0);
	assert_int_equal(plan_source(p, 2 * 4, &sh), 2); /* east's nodes: v4, v6 decided */
	for (size_t i = 0; i < 2; i++)
		for (size_t t = 0; t < sh[i].n; t++)
			assert_int_equal(nodes[sh[i].targets[t].dst].kind, PLAN_NODE);
	plan_free(p);

	/* the host network: the host floater probes them, recorded as network host */
	o = opts(1u << PROTO_TCP, 1, 1u << PLAN_NET_HOST);
	p = plan_new(nodes, n, 2, cp, &o, NULL, NULL, &err);
	assert_int_equal(plan_source(p, 1, &sh), 2); /* west nodes (v4), then the target */
	assert_int_equal(sh[0].targets[sh[0].n - 1].network, PLAN_NET_HOST);
	assert_int_equal(nodes[sh[0].targets[sh[0].n - 1].dst].kind, PLAN_NODE_TARGET);
	plan_free(p);

	/* pseudo-nodes before their cluster's nodes: refused */
	nodes[0].kind = PLAN_NODE_TARGET;
	assert_null(plan_new(nodes, n, 2, cp, &o, NULL, NULL, &err));
	assert_int_equal(err.code, ERR_INTERNAL);
}

static void test_rejects_empty_selection(void **state)
{
	struct err err = ERR_INIT;
	bool cp[1] = {true};
	struct plan_opts o = opts(0, 1, 1);

	make_nodes(2, 0);
	assert_null(plan_new(nodes, 2, 1, cp, &o, NULL, NULL, &err));
	assert_int_equal(err.code, ERR_USAGE);
}

/* --sample K: over ceil(N/K) consecutive rounds, from any round on, every pair is probed
 * exactly once, and no source probes more than K nodes of a cluster in one round. */
static void sample_cover(size_t n0, size_t n1, const bool *cp, size_t nclusters, size_t k,
			 uint64_t start, size_t ndst)
{
	size_t n = make_nodes(n0, n1), rounds = k >= ndst || !k ? 1 : (ndst + k - 1) / k;
	int hits[MAXN][MAXN];

	memset(hits, 0, sizeof(hits));
	for (size_t r = 0; r < rounds; r++) {
		struct err err = ERR_INIT;
		struct plan_opts o = opts(1u << PROTO_TCP, 1, 1u << PLAN_NET_POD);
		struct plan *p;
		int64_t rows = 0, decided;

		o.sample = k;
		o.sample_round = start + r;
		p = plan_new(nodes, n, nclusters, cp, &o, NULL, NULL, &err);
		assert_non_null(p);
		for (size_t s = 0; s < plan_nsources(p); s += 2) {
			const struct plan_shard *sh;
			size_t ns = plan_source(p, s, &sh), per_src = 0;

			for (size_t i = 0; i < ns; i++) {
				for (size_t t = 0; t < sh[i].n; t++) {
					assert_int_not_equal(sh[i].targets[t].dst, s / 2);
					hits[s / 2][sh[i].targets[t].dst]++;
					per_src++;
				}
			}
			assert_true(per_src <= (k ? k : ndst));
			rows += (int64_t)per_src;
		}
		assert_int_equal(plan_total(p), rows);
		assert_int_equal(walk_rows(p, &decided), rows);
		plan_free(p);
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			assert_int_equal(hits[a][b],
					 a != b &&
					     cp[nodes[a].cluster * nclusters + nodes[b].cluster]);
}

static void test_sample_rotation_covers_every_pair_once(void **state)
{
	static const size_t ks[] = {1, 2, 3, 4, 5, 7, 15, 16, 40};
	bool own[1] = {true}, cross[4] = {false, true, false, false};

	for (size_t n0 = 1; n0 <= 16; n0++) {
		for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
			/* one cluster: N = n0 - 1 others (no self-pairs) */
			sample_cover(n0, 0, own, 1, ks[i], 0, n0 - 1);
			sample_cover(n0, 0, own, 1, ks[i], 7, n0 - 1);
			/* cluster 0 probes cluster 1: N = n1 */
			if (n0 < 16) {
				sample_cover(n0, 16 - n0, cross, 2, ks[i], 3, 16 - n0);
				sample_cover(16 - n0, n0, cross, 2, ks[i], 0, n0);
			}
		}
	}
}

static void test_sample_block(void **state)
{
	size_t first, count;

	plan_sample_block(10, 3, 0, &first, &count); /* 4 rounds: 3, 3, 3, 1 */
	assert_int_equal(first, 0);
	assert_int_equal(count, 3);
	plan_sample_block(10, 3, 3, &first, &count);
	assert_int_equal(first, 9);
	assert_int_equal(count, 1);
	plan_sample_block(10, 3, 4, &first, &count); /* round 4 is round 0 again */
	assert_int_equal(first, 0);
	assert_int_equal(count, 3);
	plan_sample_block(10, 10, 5, &first, &count); /* K >= N: everything, every round */
	assert_int_equal(count, 10);
	plan_sample_block(10, 0, 5, &first, &count); /* K = 0: no sampling */
	assert_int_equal(count, 10);
	plan_sample_block(0, 3, 1, &first, &count);
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_cluster_mesh_counts_ordered_pairs),
	    cmocka_unit_test(test_cross_cluster_both_directions_no_in_cluster),
	    cmocka_unit_test(test_missing_floater_becomes_no_agent),
	    cmocka_unit_test(test_requests_are_split_at_max_targets),
	    cmocka_unit_test(test_filter_limits_pairs_and_protocols),
	    cmocka_unit_test(test_host_network_uses_host_floater_and_node_ips),
	    cmocka_unit_test(test_pseudo_nodes_probed_from_their_cluster),
	    cmocka_unit_test(test_rejects_empty_selection),
	    cmocka_unit_test(test_sample_block),
	    cmocka_unit_test(test_sample_rotation_covers_every_pair_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
