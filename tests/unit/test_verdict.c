/* Verdicts on hand-made runs in a real temp SQLite store: each pattern is found, named
 * with its scope and evidence, and nothing else is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "verdict.h"
#include "../fixtures/report/mkrun.h"

static struct mk mk;

static int setup(void **state)
{
	(void)state;
	return mk_open(&mk) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mk_close(&mk);
	return 0;
}

static struct verdict_list *compute(int64_t run, size_t max_links)
{
	struct verdict_opts o = {.merged = true, .max_bad_links = max_links};
	struct err err = ERR_INIT;
	struct verdict_list *vl;

	assert_true(run > 0);
	vl = verdict_compute(mk.st, run, &o, &err);
	if (!vl)
		fail_msg("verdict_compute: %s", err.msg);
	for (size_t i = 0; i < verdict_count(vl); i++)
		print_message("  [%s] %s\n", verdict_kind_name(verdict_get(vl, i)->kind),
			      verdict_get(vl, i)->text);
	return vl;
}

/* The list holds exactly `n` verdicts, of these kinds in this order. */
static void expect_kinds(const struct verdict_list *vl, size_t n, ...)
{
	va_list ap;

	assert_int_equal(verdict_count(vl), n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(verdict_kind_name(verdict_get(vl, i)->kind),
				    verdict_kind_name(va_arg(ap, int)));
	va_end(ap);
}

static const struct mk_spec two_clusters = {
    .clusters = {"east", "west"},
    .nodes = {4, 4},
    .in_cluster = true,
    .cross = true,
};

static void test_healthy(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl = compute(mk_run(&mk, &sp), 0);

	(void)state;
	expect_kinds(vl, 1, VERDICT_HEALTHY);
	/* 8 nodes, 56 ordered pairs, 3 protocols */
	assert_int_equal(verdict_get(vl, 0)->total, 56 * 3);
	assert_int_equal(verdict_results_failed(vl), 0);
	assert_non_null(strstr(verdict_get(vl, 0)->text, "168"));
	verdict_list_free(vl);
}

/* Custom targets and the API server: their failures make verdicts of their own, by
 * cluster, naming the nodes they fail from; they never make a node bad. */
static int fault_targets(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!r->dst_target)
		return PROBE_OK;
	/* east/n2 cannot reach the target at all */
	if (!strcmp(r->dst_target, "target:198.18.4.2:80") && !strcmp(r->src_cluster, "east") &&
	    r->src_node == 2)
		return PROBE_TIMEOUT;
	/* nothing listens on west's target: tcp refused everywhere, icmp and udp pass */
	if (!strcmp(r->dst_target, "target:198.18.4.2:80") && !strcmp(r->src_cluster, "west") &&
	    r->protocol == PROTO_TCP)
		return PROBE_REFUSED;
	/* west/n1 and west/n3 lose the API server */
	if (!strcmp(r->dst_target, "apiserver:198.18.4.2:26453") &&
	    !strcmp(r->src_cluster, "west") && (r->src_node == 1 || r->src_node == 3))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

static void test_targets_and_apiserver(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.targets[0] = "target:198.18.4.2:80";
	sp.targets[1] = "apiserver:198.18.4.2:26453";
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_HEALTHY);
	/* 56 node pairs and 8 nodes x 2 pseudo-nodes, 3 protocols */
	assert_int_equal(verdict_get(vl, 0)->total, (56 + 16) * 3);
	verdict_list_free(vl);

	sp.fault = fault_targets;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 3, VERDICT_TARGET, VERDICT_TARGET, VERDICT_APISERVER);
	v = verdict_get(vl, 0);
	assert_string_equal(v->text, "target 198.18.4.2:80 unreachable from node n2 only (3 of 12 "
				     "results fail, timeout)");
	assert_string_equal(v->node, "east/target:198.18.4.2:80");
	assert_string_equal(v->src_cluster, "east");
	assert_string_equal(v->peer, "east/n2");
	v = verdict_get(vl, 1);
	assert_string_equal(v->text,
			    "target 198.18.4.2:80 unreachable from every node of cluster west (4 "
			    "of 12 results fail, tcp, refused) while icmp and udp pass");
	assert_null(v->peer);
	v = verdict_get(vl, 2);
	assert_string_equal(v->text, "API server 198.18.4.2:26453 unreachable from 2 of 4 nodes "
				     "of west: n1, n3 (6 of 12 results fail, timeout)");
	assert_string_equal(v->node, "west/apiserver:198.18.4.2:26453");
	verdict_list_free(vl);
}

static int fault_dns(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!r->dst_target)
		return PROBE_OK;
	/* a.svc exists nowhere */
	if (strstr(r->dst_target, "/a.svc/"))
		return PROBE_NXDOMAIN;
	/* west cannot reach the IPv4 server at all; east gets the wrong address from it */
	if (!strncmp(r->dst_target, "dns:198.18.240.10:53/", 21))
		return strcmp(r->src_cluster, "west") ? PROBE_WRONG_ANSWER : PROBE_TIMEOUT;
	/* east's n2 gets a truncated answer and no TCP through the IPv6 server */
	if (!strcmp(r->src_cluster, "east") && r->src_node == 2)
		return PROBE_TRUNCATED;
	return PROBE_OK;
}

/* DNS pseudo-nodes: "name N does not resolve anywhere" (every server, type and cluster),
 * "DNS server S unreachable from cluster C", "name N (T) does not resolve through S from any
 * node of cluster C", "node X of cluster C cannot resolve N (T) through S". */
static void test_dns(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	static const char *const want[] = {
	    "name a.svc does not resolve anywhere: no server answers any node of east, west with "
	    "its address (16 of 16 results fail, nxdomain)",
	    "name b.svc=198.18.0.9 (A) does not resolve through 198.18.240.10:53 from any node of "
	    "cluster east (4 of 4 results fail, wrong-answer)",
	    "DNS server 198.18.240.10:53 unreachable from cluster west (4 of 4 results fail, "
	    "timeout; asking b.svc=198.18.0.9 A)",
	    "node n2 of cluster east cannot resolve b.svc=198.18.0.9 (A) through [fd00::a]:53 (1 "
	    "of "
	    "4 results fail, truncated; the other nodes resolve it)",
	};

	(void)state;
	sp.protocols = 1u << PROTO_DNS;
	sp.targets[0] = "dns:198.18.240.10:53/a.svc/A";
	sp.targets[1] = "dns:[fd00::a]:53/a.svc/AAAA";
	sp.targets[2] = "dns:198.18.240.10:53/b.svc=198.18.0.9/A";
	sp.targets[3] = "dns:[fd00::a]:53/b.svc=198.18.0.9/A";
	sp.fault = fault_dns;
	vl = compute(mk_run(&mk, &sp), 0);
	assert_int_equal(verdict_count(vl), 4);
	for (size_t k = 0; k < 4; k++) {
		bool found = false;

		for (size_t i = 0; i < verdict_count(vl); i++)
			found |= !strcmp(verdict_get(vl, i)->text, want[k]);
		if (!found)
			fail_msg("no verdict '%s'", want[k]);
	}
	for (size_t i = 0; i < verdict_count(vl); i++)
		assert_int_equal(verdict_get(vl, i)->protocol, PROTO_DNS);
	verdict_list_free(vl);
}

static int fault_node(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if ((!strcmp(r->src_cluster, "east") && r->src_node == 2) ||
	    (!strcmp(r->dst_cluster, "east") && r->dst_node == 2))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

static void test_bad_node(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_node;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_BAD_NODE);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "east/n2");
	/* 7 peers, both directions, 3 protocols: no failure left for bad links */
	assert_int_equal(v->failed, 7 * 2 * 3);
	assert_int_equal(v->total, 7 * 2 * 3);
	assert_true(v->both_directions);
	assert_non_null(strstr(v->text, "timeout"));
	verdict_list_free(vl);
}

static int fault_node_west(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!strcmp(r->src_cluster, "east") && r->src_node == 1 && !strcmp(r->dst_cluster, "west"))
		return PROBE_TIMEOUT;
	if (!strcmp(r->dst_cluster, "east") && r->dst_node == 1 && !strcmp(r->src_cluster, "west"))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

/* A node that reaches its own cluster but nothing of the other: one verdict, not 4 links. */
static void test_node_cut_off(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_node_west;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_NODE_CUT_OFF);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "east/n1");
	assert_string_equal(v->dst_cluster, "west");
	assert_true(v->both_directions);
	assert_int_equal(v->failed, 4 * 2 * 3);
	assert_non_null(strstr(v->text, "east/n1 is cut off from west"));
	verdict_list_free(vl);
}

static int fault_link(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (strcmp(r->src_cluster, "east") || strcmp(r->dst_cluster, "west"))
		return PROBE_OK;
	if (r->src_node == 1 && r->dst_node == 3)
		return PROBE_UNREACHABLE;
	return PROBE_OK;
}

static void test_bad_link(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_link;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_BAD_LINK);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "east/n1");
	assert_string_equal(v->peer, "west/n3");
	assert_false(v->both_directions);
	assert_int_equal(v->failed, 3);
	assert_int_equal(v->total, 3);
	assert_non_null(strstr(v->text, "unreachable"));
	verdict_list_free(vl);
}

/* A one-way TCP drop between east/n1 and west/n3 breaks TCP both ways (the handshake
 * needs both); ICMP and UDP pass on that link. */
static int fault_link_tcp(const struct mk_row *r, void *ctx)
{
	bool ab = !strcmp(r->src_cluster, "east") && r->src_node == 1 &&
		  !strcmp(r->dst_cluster, "west") && r->dst_node == 3;
	bool ba = !strcmp(r->src_cluster, "west") && r->src_node == 3 &&
		  !strcmp(r->dst_cluster, "east") && r->dst_node == 1;
	int v6_only = ctx ? *(const int *)ctx : 0;

	if ((ab || ba) && r->protocol == PROTO_TCP && (!v6_only || r->family == 6))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

static void test_bad_link_one_protocol(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_link_tcp;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_BAD_LINK);
	v = verdict_get(vl, 0);
	assert_string_equal(v->text, "tcp blocked on the link east/n1 <-> west/n3: 2 of 6 "
				     "results fail (timeout) while icmp and udp pass");
	assert_int_equal(v->protocol, PROTO_TCP);
	assert_true(v->both_directions);
	verdict_list_free(vl);
}

/* TCP fails on the link over IPv6 only: not "blocked", but the text still names tcp. */
static void test_bad_link_protocol_partly(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	int v6_only = 1;

	(void)state;
	sp.fault = fault_link_tcp;
	sp.ctx = &v6_only;
	sp.families = STORE_FAMILY_V4 | STORE_FAMILY_V6;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_BAD_LINK);
	assert_string_equal(verdict_get(vl, 0)->text,
			    "bad link east/n1 <-> west/n3: 2 of 12 results fail (tcp, timeout) "
			    "while icmp and udp pass");
	verdict_list_free(vl);
}

static int fault_partition(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return strcmp(r->src_cluster, r->dst_cluster) ? PROBE_TIMEOUT : PROBE_OK;
}

static void test_partitioned(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_partition;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_PARTITIONED);
	v = verdict_get(vl, 0);
	assert_string_equal(v->src_cluster, "east");
	assert_string_equal(v->dst_cluster, "west");
	assert_true(v->both_directions);
	assert_int_equal(v->failed, 4 * 4 * 2 * 3);
	assert_non_null(strstr(v->text, "within each cluster pass"));
	verdict_list_free(vl);
}

/* --src east --dst west: no in-cluster pairs, every node fails everything; still one
 * partition, not 8 bad nodes. */
static void test_partitioned_cross_only(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.in_cluster = false;
	sp.fault = fault_partition;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_PARTITIONED);
	assert_non_null(strstr(verdict_get(vl, 0)->text, "not checked"));
	verdict_list_free(vl);
}

/* ---- Kosmos gateway mode (docs/kosmos.md, "Gateway mode") ---------------------------- */

static const struct mk_spec gateway_world = {
    .clusters = {"east", "west", "north"},
    .nodes = {3, 4, 3},
    .in_cluster = true,
    .cross = true,
    .network_types = {"p2p", "gateway", "p2p"},
    .gateways = {"west/n4"},
};

/* west's gateway n4 loses its link: everything to and from it fails, and so does every
 * cross-cluster result of west (its other nodes' traffic goes through n4); pairs within
 * west among n1-n3 pass. */
static int fault_gateway_link(const struct mk_row *r, void *ctx)
{
	bool src_w = !strcmp(r->src_cluster, "west"), dst_w = !strcmp(r->dst_cluster, "west");

	(void)ctx;
	if ((src_w && r->src_node == 4) || (dst_w && r->dst_node == 4))
		return PROBE_TIMEOUT;
	return src_w != dst_w ? PROBE_TIMEOUT : PROBE_OK;
}

/* Only the gateway's way out is cut: pairs within west all pass. */
static int fault_gateway_uplink(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return !strcmp(r->src_cluster, "west") != !strcmp(r->dst_cluster, "west") ? PROBE_TIMEOUT
										  : PROBE_OK;
}

static size_t count_kind(const struct verdict_list *vl, enum verdict_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < verdict_count(vl); i++)
		n += verdict_get(vl, i)->kind == k;
	return n;
}

static void test_gateway_down(void **state)
{
	struct mk_spec sp = gateway_world;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_gateway_link;
	vl = compute(mk_run(&mk, &sp), 0);
	/* the gateway's verdict, and the gateway itself bad (its pairs within west); no
	 * partition, no node of west behind the gateway blamed */
	expect_kinds(vl, 2, VERDICT_GATEWAY_DOWN, VERDICT_BAD_NODE);
	v = verdict_get(vl, 0);
	assert_non_null(strstr(v->text, "every cross-cluster path through gateway west/n4 fails"));
	assert_string_equal(v->node, "west/n4");
	assert_string_equal(v->src_cluster, "west");
	/* 4 west nodes x 6 others x 2 directions x 3 protocols */
	assert_int_equal(v->failed, 4 * 6 * 2 * 3);
	assert_int_equal(v->total, 4 * 6 * 2 * 3);
	assert_non_null(strstr(v->text, "results within west pass"));
	v = verdict_get(vl, 1);
	assert_string_equal(v->node, "west/n4");
	/* n4's pairs within west: 3 peers x 2 directions x 3 protocols */
	assert_int_equal(v->failed, 3 * 2 * 3);
	for (size_t i = 0; i < verdict_count(vl); i++)
		assert_true(!verdict_get(vl, i)->node ||
			    !strcmp(verdict_get(vl, i)->node, "west/n4"));
	verdict_list_free(vl);
}

static void test_gateway_uplink_only(void **state)
{
	struct mk_spec sp = gateway_world;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_gateway_uplink;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_GATEWAY_DOWN);
	assert_non_null(strstr(verdict_get(vl, 0)->text, "while every pair within west passes"));
	verdict_list_free(vl);
}

/* The same failures in p2p mode (or with no gateway recorded) are what they were: west
 * partitioned from each cluster. */
static void test_gateway_needs_gateway_mode(void **state)
{
	struct mk_spec sp = gateway_world;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_gateway_uplink;
	sp.network_types[1] = "p2p";
	vl = compute(mk_run(&mk, &sp), 0);
	assert_int_equal(count_kind(vl, VERDICT_GATEWAY_DOWN), 0);
	assert_int_equal(count_kind(vl, VERDICT_PARTITIONED), 2);
	verdict_list_free(vl);
	sp.network_types[1] = "gateway";
	sp.gateways[0] = NULL;
	vl = compute(mk_run(&mk, &sp), 0);
	assert_int_equal(count_kind(vl, VERDICT_GATEWAY_DOWN), 0);
	assert_int_equal(count_kind(vl, VERDICT_PARTITIONED), 2);
	verdict_list_free(vl);
}

/* east <-> west fails but west <-> north passes: the gateway carries traffic, the pair is
 * partitioned somewhere else. */
static int fault_east_west(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return (!strcmp(r->src_cluster, "east") && !strcmp(r->dst_cluster, "west")) ||
		       (!strcmp(r->src_cluster, "west") && !strcmp(r->dst_cluster, "east"))
		   ? PROBE_TIMEOUT
		   : PROBE_OK;
}

static void test_gateway_carries_other_pairs(void **state)
{
	struct mk_spec sp = gateway_world;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_east_west;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_PARTITIONED);
	verdict_list_free(vl);
}

/* When nothing within west passes either, the cluster is down, not its gateway. */
static int fault_west_down(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return !strcmp(r->src_cluster, "west") || !strcmp(r->dst_cluster, "west") ? PROBE_TIMEOUT
										  : PROBE_OK;
}

static void test_gateway_cluster_down(void **state)
{
	struct mk_spec sp = gateway_world;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_west_down;
	vl = compute(mk_run(&mk, &sp), 0);
	assert_int_equal(count_kind(vl, VERDICT_GATEWAY_DOWN), 0);
	assert_int_equal(count_kind(vl, VERDICT_CLUSTER_DOWN), 1);
	verdict_list_free(vl);
}

static int fault_udp(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (r->protocol == PROTO_UDP && strcmp(r->src_cluster, r->dst_cluster))
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

static void test_protocol_blocked(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_udp;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_PROTOCOL_BLOCKED);
	v = verdict_get(vl, 0);
	assert_int_equal(v->protocol, PROTO_UDP);
	assert_true(v->both_directions);
	assert_int_equal(v->failed, 4 * 4 * 2);
	assert_non_null(strstr(v->text, "udp blocked east <-> west"));
	verdict_list_free(vl);
}

static int fault_icmp_to_node(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (r->protocol == PROTO_ICMP && !strcmp(r->dst_cluster, "west") && r->dst_node == 4)
		return PROBE_TIMEOUT;
	return PROBE_OK;
}

/* ICMP dropped by one node: one verdict naming the node, not 7 bad links. */
static void test_protocol_blocked_node(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_icmp_to_node;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_PROTOCOL_BLOCKED);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "west/n4");
	assert_int_equal(v->protocol, PROTO_ICMP);
	assert_int_equal(v->failed, 7);
	assert_non_null(strstr(v->text, "icmp blocked to west/n4"));
	verdict_list_free(vl);
}

static int fault_mtu(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!strcmp(r->src_cluster, "east") && !strcmp(r->dst_cluster, "west") &&
	    r->protocol == PROTO_ICMP && r->src_node <= 2)
		return PROBE_MTU;
	return PROBE_OK;
}

static void test_mtu(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_mtu;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_MTU);
	v = verdict_get(vl, 0);
	assert_int_equal(v->failed, 2 * 4);
	assert_false(v->both_directions);
	assert_non_null(strstr(v->text, "east -> west"));
	verdict_list_free(vl);
}

static int fault_v6(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (r->family == 6 && strcmp(r->src_cluster, r->dst_cluster))
		return PROBE_UNREACHABLE;
	return PROBE_OK;
}

static void test_ipv6_broken(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.families = STORE_FAMILY_V4 | STORE_FAMILY_V6;
	sp.fault = fault_v6;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_IPV6_BROKEN);
	v = verdict_get(vl, 0);
	assert_int_equal(v->family, 6);
	assert_int_equal(v->failed, 4 * 4 * 2 * 3);
	verdict_list_free(vl);
}

static int fault_loss(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	/* scattered partial loss on the cross-cluster path */
	if (strcmp(r->src_cluster, r->dst_cluster) && (r->src_node + r->dst_node) % 3 == 0)
		return PROBE_LOSS;
	return PROBE_OK;
}

static void test_lossy(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_loss;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_LOSSY_PATH);
	v = verdict_get(vl, 0);
	assert_true(v->both_directions);
	assert_int_equal(v->sent - v->received, v->failed); /* one of 4 lost per result */
	assert_non_null(strstr(v->text, "25.0% of their probes"));
	verdict_list_free(vl);
}

static int fault_lossy_node(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!strcmp(r->dst_cluster, "west") && r->dst_node == 3)
		/* random loss: now and then every probe of a result is lost */
		return r->src_node == 2 && r->protocol == PROTO_TCP ? PROBE_TIMEOUT : PROBE_LOSS;
	return PROBE_OK;
}

/* Loss on the way into one node: one lossy verdict naming it, not a cluster pair. */
static void test_lossy_node(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.fault = fault_lossy_node;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_LOSSY_PATH);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "west/n3");
	assert_int_equal(v->failed, 7 * 3);
	assert_non_null(strstr(v->text, "lossy path to west/n3"));
	verdict_list_free(vl);
}

static int fault_interrupted(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return r->src_node == 4 ? PROBE_NOT_PROBED : PROBE_OK;
}

/* An interrupted run: what was never sent is not a network fault. */
static void test_not_probed(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_interrupted;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_NOT_PROBED);
	/* n4 of both clusters as source: 2 x 7 peers x 3 protocols */
	assert_int_equal(verdict_get(vl, 0)->failed, 42);
	assert_non_null(strstr(verdict_get(vl, 0)->text, "netctl resume --run"));
	verdict_list_free(vl);
}

/* Interrupted before some results were sent: they are missing, not failed or passed. */
static void test_interrupted_missing(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.unsent = 35;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_NOT_PROBED);
	assert_int_equal(verdict_get(vl, 0)->failed, 35);
	assert_non_null(strstr(verdict_get(vl, 0)->text, "35 planned results never probed"));
	verdict_list_free(vl);
}

static int fault_mtu_back(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (r->protocol != PROTO_ICMP || !strcmp(r->src_cluster, r->dst_cluster))
		return PROBE_OK;
	return !strcmp(r->src_cluster, "east") ? PROBE_MTU : PROBE_TIMEOUT;
}

/* Too big one way is "message too long", the other way big replies just vanish: one MTU
 * verdict for both, not an MTU verdict plus a partition. */
static void test_mtu_and_silent_drops(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_mtu_back;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_MTU);
	assert_true(verdict_get(vl, 0)->both_directions);
	assert_int_equal(verdict_get(vl, 0)->failed, 32);
	assert_non_null(strstr(verdict_get(vl, 0)->text,
			       "16 results fail with message too long and 16 time out"));
	verdict_list_free(vl);
}

static int fault_mtu_cross(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	return strcmp(r->src_cluster, r->dst_cluster) ? PROBE_MTU : PROBE_OK;
}

/* Every cross pair failing with message-too-long is an MTU problem, not a partition. */
static void test_mtu_not_partition(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_mtu_cross;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_MTU);
	assert_true(verdict_get(vl, 0)->both_directions);
	assert_int_equal(verdict_get(vl, 0)->failed, 96);
	verdict_list_free(vl);
}

static void test_floater_missing(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;
	const struct verdict *v;

	(void)state;
	sp.no_floater[0] = "west/n1";
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_FLOATER_MISSING);
	v = verdict_get(vl, 0);
	assert_string_equal(v->node, "west/n1");
	assert_int_equal(v->failed, 7 * 2 * 3);
	assert_non_null(strstr(v->text, "floater missing on node west/n1"));
	verdict_list_free(vl);
}

static int fault_many_links(const struct mk_row *r, void *ctx)
{
	(void)ctx;
	if (!strcmp(r->src_cluster, "east") && !strcmp(r->dst_cluster, "west") &&
	    r->src_node == r->dst_node)
		return PROBE_REFUSED;
	return PROBE_OK;
}

static void test_links_capped(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_many_links;
	vl = compute(mk_run(&mk, &sp), 2);
	expect_kinds(vl, 3, VERDICT_BAD_LINK, VERDICT_BAD_LINK, VERDICT_MORE_LINKS);
	assert_string_equal(verdict_get(vl, 0)->node, "east/n1");
	assert_string_equal(verdict_get(vl, 1)->node, "east/n2");
	assert_int_equal(verdict_get(vl, 2)->failed, 2);
	verdict_list_free(vl);
}

static int fault_node_and_link(const struct mk_row *r, void *ctx)
{
	if (fault_node(r, ctx) != PROBE_OK)
		return PROBE_TIMEOUT;
	/* west/n1 <-> west/n2 both ways */
	if (!strcmp(r->src_cluster, "west") && !strcmp(r->dst_cluster, "west") &&
	    r->src_node + r->dst_node == 3)
		return PROBE_RESET;
	return PROBE_OK;
}

static void test_node_and_link_ordered(void **state)
{
	struct mk_spec sp = two_clusters;
	struct verdict_list *vl, *again;

	(void)state;
	sp.fault = fault_node_and_link;
	int64_t run = mk_run(&mk, &sp);

	vl = compute(run, 0);
	expect_kinds(vl, 2, VERDICT_BAD_NODE, VERDICT_BAD_LINK);
	assert_true(verdict_get(vl, 1)->both_directions);
	assert_string_equal(verdict_get(vl, 1)->node, "west/n1");
	assert_string_equal(verdict_get(vl, 1)->peer, "west/n2");
	again = compute(run, 0);
	for (size_t i = 0; i < verdict_count(vl); i++)
		assert_string_equal(verdict_get(vl, i)->text, verdict_get(again, i)->text);
	verdict_list_free(vl);
	verdict_list_free(again);
}

static int fault_all(const struct mk_row *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return PROBE_TIMEOUT;
}

/* A single-cluster mesh where nothing passes: one verdict for the cluster. */
static void test_single_cluster_down(void **state)
{
	struct mk_spec sp = {.clusters = {"solo"}, .nodes = {3}, .in_cluster = true};
	struct verdict_list *vl;

	(void)state;
	sp.fault = fault_all;
	vl = compute(mk_run(&mk, &sp), 0);
	expect_kinds(vl, 1, VERDICT_CLUSTER_DOWN);
	assert_int_equal(verdict_get(vl, 0)->failed, 6 * 3);
	verdict_list_free(vl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy),
	    cmocka_unit_test(test_dns),
	    cmocka_unit_test(test_targets_and_apiserver),
	    cmocka_unit_test(test_bad_node),
	    cmocka_unit_test(test_node_cut_off),
	    cmocka_unit_test(test_bad_link),
	    cmocka_unit_test(test_bad_link_one_protocol),
	    cmocka_unit_test(test_bad_link_protocol_partly),
	    cmocka_unit_test(test_partitioned),
	    cmocka_unit_test(test_partitioned_cross_only),
	    cmocka_unit_test(test_protocol_blocked),
	    cmocka_unit_test(test_protocol_blocked_node),
	    cmocka_unit_test(test_mtu),
	    cmocka_unit_test(test_ipv6_broken),
	    cmocka_unit_test(test_lossy),
	    cmocka_unit_test(test_lossy_node),
	    cmocka_unit_test(test_not_probed),
	    cmocka_unit_test(test_mtu_not_partition),
	    cmocka_unit_test(test_interrupted_missing),
	    cmocka_unit_test(test_mtu_and_silent_drops),
	    cmocka_unit_test(test_floater_missing),
	    cmocka_unit_test(test_links_capped),
	    cmocka_unit_test(test_node_and_link_ordered),
	    cmocka_unit_test(test_single_cluster_down),
	    cmocka_unit_test(test_gateway_down),
	    cmocka_unit_test(test_gateway_uplink_only),
	    cmocka_unit_test(test_gateway_needs_gateway_mode),
	    cmocka_unit_test(test_gateway_carries_other_pairs),
	    cmocka_unit_test(test_gateway_cluster_down),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
