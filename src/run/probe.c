/* Probe requests: one POST /v1/probe per shard to the source floater through the API
 * server's pod proxy; NDJSON results are mapped back to pairs by their ref. A request that
 * fails is asked again for the results still missing (see enum run_probe_retry_kind in
 * run_int.h for how often); what is missing after that is agent-lost. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"
#include "siphash.h"
#include "wire.h"

/* How long the sources of a cluster keep asking while its API server cannot be reached
 * (counted from the cluster's first such failure, so a server that stays away costs one
 * wait, not one per source); how long one source keeps asking while the proxy cannot reach
 * its floater (a container restart takes seconds; a dead floater is given up after this);
 * the backoff between attempts (kube_backoff_ms: doubling, jittered). */
#define PROBE_SERVER_PATIENCE_MS 60000
#define PROBE_FLOATER_GRACE_MS	 20000
#define PROBE_BACKOFF_MS	 500
#define PROBE_BACKOFF_MAX_MS	 8000
#define PROBE_ATTEMPTS_MAX	 16 /* a hard bound, whatever the clocks say */

static void req_link(struct run_engine *e, struct run_probe_req *r)
{
	LIST_INSERT_HEAD(&e->requests, r, link); /* a retried request is linked again */
	r->ec->inflight++;
	e->inflight_total++;
}

static void req_unlink(struct run_engine *e, struct run_probe_req *r)
{
	LIST_REMOVE(r, link);
	r->ec->inflight--;
	e->inflight_total--;
}

/* The time in flight of a request that carried only API server addresses: what the check
 * of the API server costs beyond the node pairs (docs/usage.md, "The API server"). */
static void held_release(struct run_probe_req *r, size_t ref);

static void req_free(struct run_probe_req *r)
{
	if (r->held)
		for (size_t i = 0; i < r->n; i++)
			held_release(r, i);
	free(r->held);
	free(r->held_mask);
	free(r->node_seen);
	if (r->apiserver_only && r->started_us) {
		int64_t ms = (time_mono_us() - r->started_us) / 1000;

		r->ec->apiserver_request_ms += ms;
		r->e->res->apiserver_request_ms += ms;
		r->e->res->apiserver_requests++;
	}
	free(r->targets);
	free(r->seen);
	free(r->this_attempt);
	free(r);
}

/* The longest target in a request:
 * {"ip":"<WIRE_MAX_IP>","port":65535,"node":"<16 hex>","ref":<size_t>}, and its comma. A
 * request of RUN_PROBE_MAX_TARGETS of them stays within the floater's body limit. */
#define TARGET_MAX_BYTES                                                                           \
	(sizeof("{" WIRE_KEY(WIRE_TARGET_IP) "\"\"," WIRE_KEY(WIRE_TARGET_PORT) "65535," WIRE_KEY( \
	     WIRE_TARGET_NODE) "\"0123456789abcdef\"," WIRE_KEY(WIRE_TARGET_REF) "}") -            \
	 1 + WIRE_MAX_IP + 20 + 1)
_Static_assert(RUN_PROBE_MAX_TARGETS *TARGET_MAX_BYTES + 1024 <= WIRE_MAX_BODY,
	       "a request of RUN_PROBE_MAX_TARGETS targets fits in WIRE_MAX_BODY");
_Static_assert(RUN_PROBE_MAX_TARGETS <= WIRE_MAX_TARGETS, "within the floater's limit");

uint64_t run_node_id(const char *name)
{
	static const uint8_t zero[SIPHASH_KEY_LEN];

	return siphash24(zero, name, strlen(name));
}

static bool ip_literal_ok(const char *ip)
{
	if (!*ip || strlen(ip) > WIRE_MAX_IP)
		return false;
	return strspn(ip, "0123456789abcdefABCDEF:.") == strlen(ip);
}

static int target_port(const struct plan_target *t, const struct run_options *o)
{
	return t->port ? t->port : o->port;
}

/* "ports": the TCP/UDP ports besides the floater's that the targets asked for name (custom
 * targets, the API server), each once; nothing when there is none. */
static void body_ports(struct buf *b, const struct run_probe_req *r, const struct run_options *o)
{
	uint16_t seen[WIRE_MAX_PORTS];
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		int port = target_port(&r->targets[i], o);
		bool dup = port == o->port;

		if (r->seen[i] == r->protocols)
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = seen[k] == port;
		if (dup || n == WIRE_MAX_PORTS) /* run_options_check keeps them fewer */
			continue;
		(void)!buf_printf(b, "%s%d", n ? "," : "," WIRE_KEY(WIRE_REQ_PORTS) "[", port);
		seen[n++] = (uint16_t)port;
	}
	if (n)
		(void)!buf_puts(b, "]");
}

/* Each source starts at another target (its own index in the run's node list, modulo its
 * targets): a thousand floaters asked at once do not all open their first connection to the
 * same node. The refs stay the indices into r->targets. */
size_t run_probe_first_target(const struct run_probe_req *r)
{
	return r->n ? r->src % r->n : 0;
}

/* Writes target i's node id (16 hex digits) to hex and returns true when its UDP echo must
 * prove that node (docs/floater.md, "Which node answered"): a Kubernetes node, in a request
 * that checks UDP (only the echo proves a node, and the ICMP and TCP results wait for it). */
bool run_probe_target_node(const struct run_probe_req *r, size_t i, char hex[WIRE_NODE_ID_HEX + 1])
{
	const struct plan_node *dst = r->e ? &r->e->nodes[r->targets[i].dst] : NULL;

	if (!dst || !(r->protocols & (1u << PROTO_UDP)) || dst->kind != PLAN_NODE || !dst->name)
		return false;
	snprintf(hex, WIRE_NODE_ID_HEX + 1, "%016llx", (unsigned long long)run_node_id(dst->name));
	return true;
}

/* A DNS server's target: the name, the record type, the address expected. The name and
 * address were checked when the run began (names: wire_dns_name_ok, no quote possible). */
static void body_dns(struct buf *b, const struct plan_node *dst)
{
	if (dst->kind != PLAN_NODE_DNS || !dst->dns_name)
		return;
	(void)!buf_printf(
	    b, "," WIRE_KEY(WIRE_TARGET_NAME) "\"%s\"," WIRE_KEY(WIRE_TARGET_QTYPE) "\"%s\"",
	    dst->dns_name, dst->dns_type == 6 ? "AAAA" : "A");
	if (dst->dns_expect)
		(void)!buf_printf(b, "," WIRE_KEY(WIRE_TARGET_EXPECT) "\"%s\"", dst->dns_expect);
}

char *run_probe_body_build(const struct run_probe_req *r, const struct run_options *o,
			   int64_t run_id)
{
	struct buf b;
	bool first = true;

	buf_init(&b, 0);
	(void)!buf_printf(&b, "{" WIRE_KEY(WIRE_REQ_ID) "\"r%lld-n%u-a%d\",", (long long)run_id,
			  r->src, r->attempt);
	if (r->compact)
		run_c1_targets(&b, r, o, target_port);
	else
		(void)!buf_puts(&b, WIRE_KEY(WIRE_REQ_TARGETS) "[");
	for (size_t k = 0, i; k < r->n && !r->compact; k++) {
		char node[WIRE_NODE_ID_HEX + 1], member[48] = "";

		i = (run_probe_first_target(r) + k) % r->n;
		if (r->seen[i] == r->protocols)
			continue;
		if (run_probe_target_node(r, i, node))
			snprintf(member, sizeof(member), WIRE_KEY(WIRE_TARGET_NODE) "\"%s\",",
				 node);
		(void)!buf_printf(&b,
				  "%s{" WIRE_KEY(WIRE_TARGET_IP) "\"%s\"," WIRE_KEY(
				      WIRE_TARGET_PORT) "%d,%s" WIRE_KEY(WIRE_TARGET_REF) "%zu",
				  first ? "" : ",", r->targets[i].ip,
				  target_port(&r->targets[i], o), member, i);
		if (r->e)
			body_dns(&b, &r->e->nodes[r->targets[i].dst]);
		(void)!buf_puts(&b, "}");
		first = false;
	}
	if (!r->compact)
		(void)!buf_puts(&b, "]");
	body_ports(&b, r, o);
	(void)!buf_puts(&b, "," WIRE_KEY(WIRE_REQ_PROTOCOLS) "[");
	first = true;
	for (unsigned p = 0; p < PROTO_MAX; p++) {
		if (!(r->protocols & (1u << p)))
			continue;
		(void)!buf_printf(&b, "%s\"%s\"", first ? "" : ",", probe_protocol_name(p));
		first = false;
	}
	(void)!buf_printf(
	    &b,
	    "]," WIRE_KEY(WIRE_REQ_COUNT) "%d," WIRE_KEY(WIRE_REQ_INTERVAL_MS) "%ld," WIRE_KEY(
		WIRE_REQ_TIMEOUT_MS) "%ld," WIRE_KEY(WIRE_REQ_SIZE) "%d}",
	    o->count, o->interval_ms, o->timeout_ms, o->size);
	return buf_steal(&b);
}

/* The longest a request's answer may stay silent: one pair's intervals and timeouts plus
 * the margin (run_int.h). */
static long request_idle_ms(const struct run_options *o)
{
	return RUN_PROBE_REQUEST_MARGIN_MS + (long)o->count * o->interval_ms + 2 * o->timeout_ms;
}

/* The whole request may take: the silence allowed plus a floor rate per probe. Bounded. */
static long request_timeout_ms(const struct run_probe_req *r, const struct run_options *o)
{
	long probes = (long)r->n * __builtin_popcount(r->protocols) * o->count;
	long ms = request_idle_ms(o) + probes * RUN_PROBE_REQUEST_PER_PROBE_MS;

	return ms > RUN_PROBE_REQUEST_MAX_MS ? RUN_PROBE_REQUEST_MAX_MS : ms;
}

int run_probe_line_parse(const char *line, size_t len, size_t ntargets, struct run_probe_line *out,
			 struct err *err)
{
	cJSON *j = json_parse(line, len, RUN_PROBE_LINE_MAX, err);
	const char *proto = NULL, *error = NULL, *ip = NULL;
	long ref = -1, v;
	bool done = false;
	int p, code, rc = -1;

	memset(out, 0, sizeof(*out));
	if (!j)
		return -1;
	if (json_get_bool(j, WIRE_DONE, &done, err) == 0 && done) {
		out->done = true;
		rc = 0;
		goto out;
	}
	if (json_get_long(j, WIRE_RES_REF, 0, (long)ntargets - 1, &ref, err) != 0 ||
	    json_get_string(j, WIRE_RES_PROTOCOL, &proto, err) != 0 ||
	    json_get_string(j, WIRE_RES_ERROR, &error, err) != 0) {
		if (err->code == ERR_OK)
			err_set(err, ERR_PROTO, "a result line needs %s, %s and %s", WIRE_RES_REF,
				WIRE_RES_PROTOCOL, WIRE_RES_ERROR);
		goto out;
	}
	p = probe_protocol_parse(proto);
	if (p < 0) {
		err_set(err, ERR_PROTO, "unknown protocol '%.32s'", proto);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, WIRE_RES_IP)) {
		if (json_get_string(j, WIRE_RES_IP, &ip, err) != 0 || !ip) {
			if (err->code == ERR_OK) /* null: present, but no string */
				err_set(err, ERR_PROTO, "field '%s' must be a string", WIRE_RES_IP);
			goto out;
		}
		if (!ip_literal_ok(ip)) {
			err_set(err, ERR_PROTO, "ip '%.*s' is no IP literal", WIRE_MAX_IP, ip);
			goto out;
		}
		snprintf(out->ip, sizeof(out->ip), "%s", ip);
	}
	out->ref = (size_t)ref;
	out->protocol = (enum probe_protocol)p;
	code = probe_error_parse(error);
	out->error = code < 0 ? PROBE_OTHER : (enum probe_error)code;
	/* the counts are optional: a line without them still says what happened */
	if (json_get_long(j, WIRE_RES_SENT, 0, UINT32_MAX, &v, err) == 0)
		out->sent = (uint32_t)v;
	if (json_get_long(j, WIRE_RES_RECEIVED, 0, UINT32_MAX, &v, err) == 0)
		out->received = (uint32_t)v;
	if (json_get_long(j, WIRE_RES_RTT_MIN_US, 0, UINT32_MAX, &v, err) == 0)
		out->rtt_min_us = (uint32_t)v;
	if (json_get_long(j, WIRE_RES_RTT_AVG_US, 0, UINT32_MAX, &v, err) == 0)
		out->rtt_avg_us = (uint32_t)v;
	if (json_get_long(j, WIRE_RES_RTT_MAX_US, 0, UINT32_MAX, &v, err) == 0)
		out->rtt_max_us = (uint32_t)v;
	if (json_get_long(j, WIRE_RES_RTT_P99_US, 0, UINT32_MAX, &v, err) == 0)
		out->rtt_p99_us = (uint32_t)v;
	rc = 0;
out:
	cJSON_Delete(j);
	return rc;
}

static bool ip_same(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	return inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1 &&
	       memcmp(x, y, 16) == 0;
}

void run_probe_attempt_begin(struct run_probe_req *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->this_attempt[i] = r->seen[i] == r->protocols ? 0 : RUN_PROBE_ASKED;
	r->lines = 0;
	r->floater_version[0] = '\0';
	r->floater_wire = 0;
	r->broken = (struct err)ERR_INIT;
	r->finished = false;
	r->c1_on = false;
}

int run_probe_line_accept(struct run_probe_req *r, const struct run_probe_line *l, struct err *err)
{
	const char *proto = probe_protocol_name(l->protocol);
	unsigned bit = 1u << l->protocol;

	if (l->ref >= r->n || !(r->this_attempt[l->ref] & RUN_PROBE_ASKED))
		return err_set(err, ERR_PROTO, "ref %zu was not asked for", l->ref);
	if (!(r->protocols & bit))
		return err_set(err, ERR_PROTO, "ref %zu: %s was not asked for", l->ref, proto);
	if (r->this_attempt[l->ref] & bit)
		return err_set(err, ERR_PROTO, "ref %zu: %s answered twice", l->ref, proto);
	if (l->ip[0] && !ip_same(l->ip, r->targets[l->ref].ip))
		return err_set(err, ERR_PROTO, "ref %zu: ip %s is not the target's (%s)", l->ref,
			       l->ip, r->targets[l->ref].ip);
	r->this_attempt[l->ref] |= (uint8_t)bit;
	return (r->seen[l->ref] & bit) ? 0 : 1;
}

/* ---- versions ------------------------------------------------------------------------- */

enum run_floater_skew run_floater_skew(const char *version, long wire)
{
	int cmp;

	if ((wire ? wire : WIRE_VERSION_UNSAID) != WIRE_VERSION)
		return RUN_FLOATER_WIRE;
	if (str_version_cmp(version, NETCTL_VERSION, &cmp) < 0)
		return RUN_FLOATER_UNKNOWN;
	return cmp < 0 ? RUN_FLOATER_OLDER : RUN_FLOATER_OK;
}

void run_probe_header(struct run_probe_req *r, const char *name, const char *value)
{
	struct err ignored = ERR_INIT;
	size_t n = strlen(value);

	if (!strcasecmp(name, WIRE_HEADER_VERSION)) {
		bool ok = n && n <= WIRE_MAX_VERSION &&
			  strspn(value, "0123456789abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ.+-") == n;

		str_copy(r->floater_version, sizeof(r->floater_version), ok ? value : "?");
	} else if (!strcasecmp(name, WIRE_HEADER_WIRE)) {
		if (str_to_long(value, 1, 1000000, &r->floater_wire, "wire", &ignored) < 0)
			r->floater_wire = -1;
	}
}

static void version_text(const char *v, char *out, size_t size)
{
	if (!v[0])
		str_copy(out, size, "of no stated version");
	else if (!strcmp(v, "?"))
		str_copy(out, size, "of an unreadable version");
	else
		snprintf(out, size, "%s", v);
}

int run_probe_version_check(struct run_probe_req *r)
{
	struct run_engine *e = r->e;
	const char *node = e->nodes[r->src].name;
	enum run_floater_skew skew = run_floater_skew(r->floater_version, r->floater_wire);
	size_t told = 2 * (size_t)r->src + (r->sender == PLAN_SEND_POD ? 0 : 1);
	char v[WIRE_MAX_VERSION + 32], wire[32];

	version_text(r->floater_version, v, sizeof(v));
	if (skew == RUN_FLOATER_WIRE) {
		if (r->floater_wire > 0)
			snprintf(wire, sizeof(wire), "wire %ld", r->floater_wire);
		else
			str_copy(wire, sizeof(wire),
				 r->floater_wire ? "an unreadable wire"
						 : "wire " WIRE_STR(WIRE_VERSION_UNSAID));
		if (e->refused.code == ERR_OK)
			err_set(&e->refused, ERR_USAGE,
				"cluster %s: node %s: floater %s speaks %s, netctl %s speaks "
				"wire %d: refused (deploy the floater image `netctl --version` "
				"names; docs/install.md, \"Version skew\")",
				r->ec->in->name, node, v, wire, NETCTL_VERSION, WIRE_VERSION);
		return -1;
	}
	if (skew == RUN_FLOATER_OK || e->version_told[told])
		return 0;
	e->version_told[told] = 1;
	run_engine_warn(e,
			"%s: node %s: floater %s is older than netctl %s (wire %d, probed all "
			"the same; docs/install.md, \"Version skew\")",
			r->ec->in->name, node, v, NETCTL_VERSION, WIRE_VERSION);
	return 0;
}

static void on_header(void *arg, const char *name, const char *value)
{
	run_probe_header(arg, name, value);
}

/* A line that breaks the control API ends the answer: nothing after it is read. */
static int line_broken(struct run_probe_req *r, const struct err *why)
{
	err_set(&r->broken, ERR_PROTO, "line %zu: %s", r->lines, why->msg);
	return -1;
}

/* Emits the results held for target ref: as they were, or, when its UDP echo proved
 * another node, as wrong-node (the address answered, but not as the node probed). */
static void held_release(struct run_probe_req *r, size_t ref)
{
	for (unsigned p = 0; p < PROTO_MAX; p++) {
		struct store_result *h = &r->held[ref * PROTO_MAX + p];

		if (!(r->held_mask[ref] & (1u << p)))
			continue;
		if (r->node_seen[ref] == RUN_PROBE_NODE_WRONG && h->received) {
			h->error = PROBE_WRONG_NODE;
			h->received = 0;
			h->rtt_min_us = h->rtt_avg_us = h->rtt_max_us = h->rtt_p99_us = 0;
		}
		run_engine_emit(r->e, h, r->e->nodes[r->targets[ref].dst].kind);
	}
	r->held_mask[ref] = 0;
}

/* ICMP and TCP answers prove no node: a node target's are held until its UDP echo in the
 * same request said which node answers (then released, see held_release). True when res
 * was held or released here. */
static bool node_proof(struct run_probe_req *r, size_t ref, const struct store_result *res)
{
	const struct plan_node *dst = &r->e->nodes[r->targets[ref].dst];

	if (!(r->protocols & (1u << PROTO_UDP)) || dst->kind != PLAN_NODE)
		return false;
	if (!r->node_seen) {
		r->node_seen = xcalloc(r->n, 1);
		r->held_mask = xcalloc(r->n, 1);
		r->held = xcalloc(r->n * PROTO_MAX, sizeof(*r->held));
	}
	if (res->protocol == PROTO_UDP) {
		r->node_seen[ref] =
		    res->error == PROBE_WRONG_NODE ? RUN_PROBE_NODE_WRONG : RUN_PROBE_NODE_PROVEN;
		run_engine_emit(r->e, res, dst->kind);
		held_release(r, ref);
		return true;
	}
	r->held[ref * PROTO_MAX + res->protocol] = *res;
	r->held_mask[ref] |= (uint8_t)(1u << res->protocol);
	if (r->node_seen[ref] != RUN_PROBE_NODE_UNSAID)
		held_release(r, ref);
	return true;
}

static int on_line(void *arg, const char *line, size_t len)
{
	struct run_probe_req *r = arg;
	struct err err = ERR_INIT;
	struct store_result res;
	struct run_probe_line l;
	int rc;

	r->lines++;
	/* the headers are all in when the first line comes */
	if (r->lines == 1 && run_probe_version_check(r) < 0)
		return -1;
	if (r->finished) {
		err_set(&err, ERR_PROTO, "a line after the final line");
		return line_broken(r, &err);
	}
	if (r->lines == 1 && len && line[0] == '#') { /* a compact answer's field list */
		if (run_c1_fields(&r->c1, line, len, &err) < 0)
			return line_broken(r, &err);
		r->c1_on = true;
		return 0;
	}
	if ((r->c1_on ? run_c1_line(&r->c1, line, len, r->n, &l, &err)
		      : run_probe_line_parse(line, len, r->n, &l, &err)) < 0)
		return line_broken(r, &err);
	if (l.done) {
		r->finished = true;
		return 0;
	}
	rc = run_probe_line_accept(r, &l, &err);
	if (rc < 0)
		return line_broken(r, &err);
	if (rc == 0)
		return 0; /* an earlier attempt answered it: its result stays */
	r->seen[l.ref] |= (uint8_t)(1u << l.protocol);
	r->ec->unreachable_us = 0; /* a result came through this cluster's API server */
	r->ec->answered = true;
	memset(&res, 0, sizeof(res));
	res.src_node = r->e->nodes[r->src].id;
	res.dst_node = r->e->nodes[r->targets[l.ref].dst].id;
	res.protocol = (uint8_t)l.protocol;
	res.family = r->targets[l.ref].family;
	res.network = r->targets[l.ref].network;
	res.error = (uint8_t)l.error;
	res.sent = l.sent;
	res.received = l.received;
	res.rtt_min_us = l.rtt_min_us;
	res.rtt_avg_us = l.rtt_avg_us;
	res.rtt_max_us = l.rtt_max_us;
	res.rtt_p99_us = l.rtt_p99_us;
	if (!node_proof(r, l.ref, &res))
		run_engine_emit(r->e, &res, r->e->nodes[r->targets[l.ref].dst].kind);
	return 0;
}

static size_t missing_count(const struct run_probe_req *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->seen[i] != r->protocols)
			n++;
	return n;
}

static void give_up(struct run_probe_req *r, const char *why)
{
	struct run_engine *e = r->e;
	struct err err = ERR_INIT;

	run_engine_warn(e, "%s: node %s: floater lost (%s): %zu targets recorded as agent-lost",
			r->ec->in->name, e->nodes[r->src].name, why, missing_count(r));
	for (size_t i = 0; i < r->n; i++)
		if (r->seen[i] != r->protocols)
			run_engine_emit_decided(e, r->src, &r->targets[i],
						r->protocols & ~r->seen[i], PROBE_AGENT_LOST);
	if (store_run_node_set_floater(e->st, e->res->run_id, e->nodes[r->src].id,
				       STORE_FLOATER_LOST, &err) < 0)
		run_engine_warn(e, "%s", err.msg);
}

static struct run_probe_req *req_new(struct run_engine *e, uint32_t src, enum plan_sender sender,
				     unsigned protocols, size_t n, int attempt)
{
	struct run_probe_req *r = xcalloc(1, sizeof(*r));

	r->e = e;
	r->ec = &e->clusters[e->nodes[src].cluster];
	r->src = src;
	r->sender = sender;
	r->protocols = protocols;
	r->attempt = attempt;
	r->targets = xcalloc(n ? n : 1, sizeof(*r->targets));
	r->seen = xcalloc(n ? n : 1, 1);
	r->this_attempt = xcalloc(n ? n : 1, 1);
	r->n = n;
	return r;
}

/* The compact encoding's targets are addresses, ports and node ids: a request that asks a
 * DNS server for a name goes in JSON (docs/floater.md, "Compact encoding"). */
static bool has_dns_target(const struct run_probe_req *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e->nodes[r->targets[i].dst].kind == PLAN_NODE_DNS)
			return true;
	return false;
}

static void req_send(struct run_probe_req *r);

enum run_probe_retry_kind run_probe_retry_kind(const struct run_probe_req *r,
					       const struct kube_response *resp,
					       const struct err *err)
{
	bool no_status = resp->status == 0 || (resp->status >= 200 && resp->status < 300);

	if (r->broken.code != ERR_OK || (err && err->code == ERR_LIMIT && no_status))
		return RUN_PROBE_RETRY_NEVER;
	if (r->finished)
		return RUN_PROBE_RETRY_ONCE;
	if (!err)
		return RUN_PROBE_RETRY_SERVER; /* the stream ended early, without an error */
	if (err->code == ERR_API && no_status)
		return RUN_PROBE_RETRY_SERVER; /* not reachable, or the connection or stream was cut
						*/
	if (resp->status == 401 || resp->status == 403)
		return r->ec->answered ? RUN_PROBE_RETRY_SERVER : RUN_PROBE_RETRY_ONCE;
	if (resp->status >= 500 && resp->status <= 504)
		return RUN_PROBE_RETRY_FLOATER; /* e.g. 500 "error trying to reach service" (1.20)
						 */
	return RUN_PROBE_RETRY_ONCE;
}

bool run_probe_retry_worth(const struct run_probe_req *r, enum run_probe_retry_kind kind,
			   int64_t now)
{
	int64_t since_first = now - r->first_fail_us;

	if (kind == RUN_PROBE_RETRY_NEVER)
		return false;
	if (r->attempt == 0)
		return true;
	if (r->attempt + 1 >= PROBE_ATTEMPTS_MAX)
		return false; /* r->attempt counts from 0: the next would be one too many */
	if (kind == RUN_PROBE_RETRY_SERVER)
		return now - r->ec->unreachable_us < PROBE_SERVER_PATIENCE_MS * 1000LL &&
		       since_first < PROBE_SERVER_PATIENCE_MS * 1000LL;
	if (kind == RUN_PROBE_RETRY_FLOATER)
		return since_first < PROBE_FLOATER_GRACE_MS * 1000LL;
	return false;
}

int run_probe_retry_next(struct run_probe_req *r, enum run_probe_retry_kind kind, int64_t now)
{
	long delay;

	if (kind == RUN_PROBE_RETRY_SERVER && !r->ec->unreachable_us)
		r->ec->unreachable_us = now;
	if (!r->first_fail_us)
		r->first_fail_us = now;
	if (!run_probe_retry_worth(r, kind, now))
		return -1;
	delay = r->attempt == 0 ? 0
				: kube_backoff_ms(r->e->loop, r->attempt - 1, PROBE_BACKOFF_MS,
						  PROBE_BACKOFF_MAX_MS);
	r->attempt++;
	r->finished = false;
	r->due_us = now + delay * 1000;
	return 0;
}

bool run_probe_compact_refused(struct run_probe_req *r, const struct kube_response *resp)
{
	struct err ignored = ERR_INIT;
	const char *field = NULL;
	cJSON *j;
	bool match;

	if (!r->compact || resp->status != 400 || !resp->body_len)
		return false;
	j = json_parse(resp->body, resp->body_len, 4096, &ignored);
	match = j && json_get_string(j, WIRE_ERR_FIELD, &field, &ignored) == 0 && field &&
		!strcmp(field, WIRE_REQ_TARGETS);
	cJSON_Delete(j);
	if (match && !r->ec->no_compact)
		log_debug("%s: node %s: its floater does not read the compact encoding (older "
			  "than this netctl): JSON from now on in this cluster",
			  r->ec->in->name, r->e->nodes[r->src].name);
	if (match)
		r->ec->no_compact = true;
	return match;
}

bool run_probe_older_floater(struct run_probe_req *r, const struct kube_response *resp)
{
	struct run_engine *e = r->e;
	struct err ignored = ERR_INIT;
	const char *field = NULL;
	cJSON *j;
	size_t n = 0;
	bool match;

	if (resp->status != 400 || !resp->body_len)
		return false;
	j = json_parse(resp->body, resp->body_len, 4096, &ignored);
	match = j && json_get_string(j, WIRE_ERR_FIELD, &field, &ignored) == 0 && field &&
		str_has_prefix(field, WIRE_REQ_TARGETS "[") &&
		str_has_suffix(field, "]." WIRE_TARGET_PORT);
	cJSON_Delete(j);
	if (!match)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		if (r->seen[i] == r->protocols || target_port(&r->targets[i], &e->o) == e->o.port)
			continue;
		run_engine_emit_decided(e, r->src, &r->targets[i], r->protocols & ~r->seen[i],
					PROBE_OTHER);
		r->seen[i] = (uint8_t)r->protocols;
		n++;
	}
	if (!n)
		return false;
	if (!r->ec->told_old_floater)
		run_engine_warn(e,
				"%s: node %s: its floater refuses probes to ports other than its "
				"own (older than this netctl, it does not read \"" WIRE_REQ_PORTS
				"\"): custom targets and the API server are recorded as error from "
				"such floaters (%zu here)",
				r->ec->in->name, e->nodes[r->src].name, n);
	r->ec->told_old_floater = true;
	return true;
}

static void on_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	static const char *const how[] = {
	    [RUN_PROBE_RETRY_ONCE] = " once",
	    [RUN_PROBE_RETRY_SERVER] =
		", with backoff while the API server is unavailable (told once per cluster)",
	    [RUN_PROBE_RETRY_FLOATER] = ", with backoff while its floater may be restarting",
	    [RUN_PROBE_RETRY_NEVER] = "",
	};
	struct run_probe_req *r = arg;
	struct run_engine *e = r->e;
	const char *why = err ? err->msg : "the floater ended its answer early";
	char broken[sizeof(r->broken.msg) + 64];
	enum run_probe_retry_kind kind;
	bool outage_known, first;

	r->call = NULL;
	/* an error answer of a floater netctl cannot work with (a 400 to a request of a wire
	 * it does not speak): the run ends, nothing is retried */
	if (err && (r->floater_version[0] || r->floater_wire) && run_probe_version_check(r) < 0) {
		req_unlink(e, r);
		req_free(r);
		return;
	}
	if (err && run_probe_compact_refused(r, resp) && !e->interrupted) {
		r->due_us = time_mono_us(); /* the same attempt again at once, in JSON */
		r->finished = false;
		e->retries_waiting++;
		return;
	}
	if (err && run_probe_older_floater(r, resp) && missing_count(r) && !e->interrupted &&
	    r->attempt == 0 && run_probe_retry_next(r, RUN_PROBE_RETRY_ONCE, time_mono_us()) == 0) {
		e->retries_waiting++; /* the rest, again, at once */
		return;
	}
	if (missing_count(r) == 0 || e->interrupted || e->refused.code != ERR_OK) {
		req_unlink(e, r);
		req_free(r);
		return;
	}
	kind = run_probe_retry_kind(r, resp, err);
	if (kind == RUN_PROBE_RETRY_NEVER) {
		snprintf(broken, sizeof(broken), "its answer broke the control API: %s",
			 r->broken.code != ERR_OK ? r->broken.msg : why);
		why = broken;
	}
	outage_known = kind == RUN_PROBE_RETRY_SERVER && r->ec->unreachable_us;
	first = r->attempt == 0;
	if (run_probe_retry_next(r, kind, time_mono_us()) < 0) {
		req_unlink(e, r);
		give_up(r, why);
		req_free(r);
		return;
	}
	/* Same targets, only what is still missing is asked for again; the request stays
	 * linked (it counts as in flight) until run_probe_retry_due() sends it. */
	/* an API server outage is told once per cluster, not once per source */
	if (first && !outage_known)
		run_engine_warn(
		    e, "%s: node %s: probe request failed (%s); asking again for %zu targets%s",
		    r->ec->in->name, e->nodes[r->src].name, why, missing_count(r), how[kind]);
	else if (first)
		log_debug("%s: node %s: probe request failed (%s); asking again", r->ec->in->name,
			  e->nodes[r->src].name, why);
	e->retries_waiting++;
}

/* Sends the retries whose wait is over; returns how long until the next one is due (µs),
 * -1 when none waits. */
int64_t run_probe_retry_due(struct run_engine *e)
{
	int64_t now = time_mono_us(), next_us = -1;
	struct run_probe_req *r, *next;

	if (!e->retries_waiting)
		return -1; /* the common case: nothing to walk on each loop step */
	for (r = LIST_FIRST(&e->requests); r; r = next) {
		next = LIST_NEXT(r, link);
		if (r->call || !r->due_us)
			continue;
		if (r->due_us > now) {
			if (next_us < 0 || r->due_us - now < next_us)
				next_us = r->due_us - now;
			continue;
		}
		r->due_us = 0;
		e->retries_waiting--;
		req_unlink(e, r);
		req_send(r); /* links it again, at the head: not seen twice by this walk */
	}
	return next_us;
}

static void req_send(struct run_probe_req *r)
{
	struct run_engine *e = r->e;
	const struct plan_node *src = &e->nodes[r->src];
	const char *pod = r->sender == PLAN_SEND_POD ? src->pod_floater : src->host_floater;
	char header[128];
	const char *headers[] = {header, NULL};
	struct kube_proxy_request pr;
	struct err err = ERR_INIT;
	char *body;

	r->compact = !r->ec->no_compact && !has_dns_target(r);
	body = run_probe_body_build(r, &e->o, e->res->run_id);
	run_probe_attempt_begin(r);
	snprintf(header, sizeof(header), WIRE_HEADER_TOKEN ": %s", r->ec->token);
	memset(&pr, 0, sizeof(pr));
	pr.ns = e->o.namespace;
	pr.pod = pod;
	pr.port = e->o.port;
	pr.method = KUBE_POST;
	pr.path = WIRE_PATH_PROBE;
	pr.body = body;
	pr.body_len = strlen(body);
	pr.headers = headers;
	pr.timeout_ms = request_timeout_ms(r, &e->o);
	pr.idle_ms = request_idle_ms(&e->o);
	pr.max_line = RUN_PROBE_LINE_MAX;
	pr.max_body = (missing_count(r) * (size_t)__builtin_popcount(r->protocols) + 2) *
		      (RUN_PROBE_LINE_MAX + 1);
	pr.line_stall_ms = RUN_PROBE_LINE_STALL_MS;
	pr.on_line = on_line;
	pr.on_header = on_header;
	pr.on_done = on_done;
	pr.arg = r;
	req_link(e, r);
	r->call = kube_proxy_start(r->ec->client, &pr, &err);
	free(body);
	if (!r->call) {
		req_unlink(e, r);
		give_up(r, err.msg);
		req_free(r);
	}
}

void run_probe_request_start(struct run_engine *e, const struct plan_shard *sh, int attempt)
{
	struct run_probe_req *r = req_new(e, sh->src, sh->sender, sh->protocols, sh->n, attempt);
	size_t n = 0;

	for (size_t i = 0; i < sh->n; i++) {
		if (!ip_literal_ok(sh->targets[i].ip)) {
			run_engine_emit_decided(e, sh->src, &sh->targets[i], sh->protocols,
						PROBE_OTHER);
			continue;
		}
		r->targets[n++] = sh->targets[i];
	}
	r->n = n;
	if (!n) {
		req_free(r);
		return;
	}
	r->apiserver_only = true;
	for (size_t i = 0; i < n && r->apiserver_only; i++)
		r->apiserver_only = e->nodes[r->targets[i].dst].kind == PLAN_NODE_APISERVER;
	r->started_us = time_mono_us();
	req_send(r);
}

void run_probe_cancel_all(struct run_engine *e)
{
	while (!LIST_EMPTY(&e->requests)) {
		struct run_probe_req *r = LIST_FIRST(&e->requests);

		if (r->call)
			kube_call_cancel(r->call);
		req_unlink(e, r);
		req_free(r);
	}
	e->retries_waiting = 0;
}
