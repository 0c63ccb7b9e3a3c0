#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "fjson.h"
#include "request.h"

/* Parser state: the reader plus where we are, for error messages. */
struct rp {
	struct fjson j;
	char *field;
	size_t fieldsz;
	struct err *err;
	const struct request_policy *pol;
	bool port_given_bad; /* a target names a port we may not probe */
};

static int rp_fail(struct rp *rp, const char *field, const char *what)
{
	snprintf(rp->field, rp->fieldsz, "%s", field);
	if (rp->j.why)
		return err_set(rp->err, ERR_USAGE, "%s: %s", field[0] ? field : "body", rp->j.why);
	return err_set(rp->err, ERR_USAGE, "%s: %s", field[0] ? field : "body", what);
}

static int rp_int(struct rp *rp, const char *field, int64_t min, int64_t max, int64_t *out)
{
	enum fjson_type t = fjson_peek(&rp->j);

	if (t != FJ_NUMBER) {
		snprintf(rp->field, rp->fieldsz, "%s", field);
		return err_set(rp->err, ERR_USAGE, "%s: expected an integer, got %s", field,
			       fjson_type_name(t));
	}
	if (fjson_int(&rp->j, min, max, out) < 0) {
		snprintf(rp->field, rp->fieldsz, "%s", field);
		return err_set(rp->err, ERR_USAGE, "%s: %s (allowed %lld..%lld)", field, rp->j.why,
			       (long long)min, (long long)max);
	}
	return 0;
}

static int rp_targets_limit(struct rp *rp)
{
	snprintf(rp->field, rp->fieldsz, "%s", WIRE_REQ_TARGETS);
	return err_set(rp->err, ERR_USAGE, "%s: more than %d targets", WIRE_REQ_TARGETS,
		       WIRE_MAX_TARGETS);
}

static int parse_ip(const char *s, union sockaddr_any *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6.sin6_addr) == 1) {
		a->v6.sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static bool port_allowed(const struct request_policy *pol, uint16_t port)
{
	if (port == pol->port)
		return true;
	for (size_t i = 0; i < pol->nallow; i++)
		if (pol->allow[i] == port)
			return true;
	return false;
}

/* The floater's policy, or one of the ports the (authenticated) request names. */
static bool port_asked(const struct probe_request *req, uint16_t port)
{
	for (size_t i = 0; i < req->nports; i++)
		if (req->ports[i] == port)
			return true;
	return false;
}

static int node_id_parse(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n != WIRE_NODE_ID_HEX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = str_hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

static struct probe_dns *target_dns(struct probe_target *t)
{
	if (!t->dns) {
		t->dns = xcalloc(1, sizeof(*t->dns));
		t->dns->qtype = DNSMSG_TYPE_A;
	}
	return t->dns;
}

/* The members of a DNS probe: "name", "qtype", "expect". 1 when key is none of them. */
static int parse_target_dns(struct rp *rp, size_t idx, const char *key, struct probe_target *t)
{
	char field[64], text[WIRE_MAX_DNS_NAME + 8];
	union sockaddr_any a;

	if (strcmp(key, WIRE_TARGET_NAME) && strcmp(key, WIRE_TARGET_QTYPE) &&
	    strcmp(key, WIRE_TARGET_EXPECT))
		return 1;
	snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu].%s", idx, key);
	if (fjson_peek(&rp->j) != FJ_STRING)
		return rp_fail(rp, field, "expected a string");
	if (fjson_string(&rp->j, text, sizeof(text), NULL) < 0) {
		rp->j.why = NULL;
		return rp_fail(rp, field, "too long");
	}
	if (!strcmp(key, WIRE_TARGET_NAME)) {
		if (dnsmsg_name_check(text) < 0)
			return rp_fail(rp, field,
				       "not a DNS name (labels of 1-63 letters, digits, '-' or "
				       "'_', at most 253 characters)");
		str_copy(target_dns(t)->name, sizeof(t->dns->name), text);
	} else if (!strcmp(key, WIRE_TARGET_QTYPE)) {
		if (strcmp(text, "A") && strcmp(text, "AAAA"))
			return rp_fail(rp, field, "expected \"A\" or \"AAAA\"");
		target_dns(t)->qtype = text[1] ? DNSMSG_TYPE_AAAA : DNSMSG_TYPE_A;
	} else {
		if (parse_ip(text, &a) < 0)
			return rp_fail(rp, field, "not an IP address literal");
		if (a.sa.sa_family == AF_INET) {
			target_dns(t)->expect_len = 4;
			memcpy(t->dns->expect, &a.v4.sin_addr, 4);
		} else {
			target_dns(t)->expect_len = 16;
			memcpy(t->dns->expect, &a.v6.sin6_addr, 16);
		}
	}
	return 0;
}

static int parse_target(struct rp *rp, size_t idx, struct probe_target *t)
{
	char field[64], key[16], ip[INET6_ADDRSTRLEN + 8];
	int64_t port = rp->pol->port, v;
	bool have_ip = false;
	int rc, dns;

	t->ref = -1;
	t->has_node = false;
	t->node_id = 0;
	snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]", idx);
	if (fjson_peek(&rp->j) != FJ_OBJECT)
		return rp_fail(rp, field, "expected an object");
	fjson_object_begin(&rp->j);
	while ((rc = fjson_member(&rp->j, key, sizeof(key))) == 1) {
		if (!strcmp(key, WIRE_TARGET_IP)) {
			snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_IP,
				 idx);
			if (fjson_peek(&rp->j) != FJ_STRING)
				return rp_fail(rp, field, "expected a string");
			if (fjson_string(&rp->j, ip, sizeof(ip), NULL) < 0 ||
			    parse_ip(ip, &t->addr) < 0) {
				rp->j.why = NULL;
				return rp_fail(rp, field,
					       "not an IP address literal (names are "
					       "not resolved)");
			}
			have_ip = true;
		} else if (!strcmp(key, WIRE_TARGET_PORT)) {
			snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_PORT,
				 idx);
			if (rp_int(rp, field, 1, 65535, &port) < 0)
				return -1;
		} else if (!strcmp(key, WIRE_TARGET_NODE)) {
			char node[WIRE_NODE_ID_HEX + 2];
			size_t n = 0;

			snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_NODE,
				 idx);
			if (fjson_peek(&rp->j) != FJ_STRING)
				return rp_fail(rp, field, "expected a string");
			if (fjson_string(&rp->j, node, sizeof(node), &n) < 0 ||
			    node_id_parse(node, n, &t->node_id) < 0) {
				rp->j.why = NULL;
				return rp_fail(rp, field, "not a node id (16 hex digits)");
			}
			t->has_node = true;
		} else if (!strcmp(key, WIRE_TARGET_REF)) {
			snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_REF,
				 idx);
			if (rp_int(rp, field, 0, WIRE_MAX_REF, &v) < 0)
				return -1;
			t->ref = v;
		} else if ((dns = parse_target_dns(rp, idx, key, t)) <= 0) {
			if (dns < 0)
				return -1;
		} else if (fjson_skip(&rp->j) < 0) {
			return rp_fail(rp, field, "malformed JSON");
		}
	}
	if (rc < 0)
		return rp_fail(rp, field, "malformed JSON");
	if (!have_ip) {
		snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_IP, idx);
		return rp_fail(rp, field, "missing");
	}
	if (t->dns && t->dns->expect_len &&
	    t->dns->expect_len != (t->dns->qtype == DNSMSG_TYPE_A ? 4 : 16)) {
		snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_EXPECT, idx);
		return rp_fail(rp, field, "not of the family of qtype (A: IPv4, AAAA: IPv6)");
	}
	if (!port_allowed(rp->pol, (uint16_t)port))
		rp->port_given_bad = true;
	/* sin_port and sin6_port share their offset. */
	t->addr.v4.sin_port = htons((uint16_t)port);
	return 0;
}

static int parse_targets(struct rp *rp, struct probe_request *req)
{
	size_t cap = 0;
	int rc;

	if (fjson_peek(&rp->j) != FJ_ARRAY)
		return rp_fail(rp, WIRE_REQ_TARGETS, "expected an array");
	fjson_array_begin(&rp->j);
	while ((rc = fjson_element(&rp->j)) == 1) {
		if (req->ntargets == WIRE_MAX_TARGETS)
			return rp_targets_limit(rp);
		req->targets = xgrow(req->targets, &cap, req->ntargets + 1, sizeof(*req->targets));
		memset(&req->targets[req->ntargets], 0, sizeof(*req->targets));
		/* counted first: request_release frees what a failed target allocated */
		req->ntargets++;
		if (parse_target(rp, req->ntargets - 1, &req->targets[req->ntargets - 1]) < 0)
			return -1;
	}
	if (rc < 0)
		return rp_fail(rp, WIRE_REQ_TARGETS, "malformed JSON");
	if (!req->ntargets)
		return rp_fail(rp, WIRE_REQ_TARGETS, "empty");
	return 0;
}

/* "targets_c" (wire.h): "IP[#PORT],~K,@R,..." -- refs count up from 0, ~K skips K of them,
 * @R sets the next one. */
static int targets_c_token(struct rp *rp, struct probe_request *req, const char *tok, size_t len,
			   int64_t *ref, int64_t *port)
{
	char ip[INET6_ADDRSTRLEN + 8], *end;
	const char *caret, *hash;
	struct probe_target *t;
	size_t iplen;
	uint64_t node = 0;
	long v;

	if (len && (tok[0] == WIRE_C_SKIP || tok[0] == WIRE_C_REF)) {
		long long x;

		errno = 0;
		x = strtoll(tok + 1, &end, 10);
		if (end != tok + len || len == 1 || !isdigit((unsigned char)tok[1]) || errno ||
		    x > WIRE_MAX_REF ||
		    (tok[0] == WIRE_C_SKIP && (x < 1 || x > WIRE_MAX_REF - *ref)))
			return rp_fail(rp, WIRE_REQ_TARGETS_C,
				       "a skip is ~1..2^53, a ref @0..2^53");
		*ref = tok[0] == WIRE_C_SKIP ? *ref + x : x;
		return 0;
	}
	caret = memchr(tok, WIRE_C_NODE, len);
	if (caret) { /* IP[#PORT]^NODEID: the node id ends the token */
		if (node_id_parse(caret + 1, (size_t)(tok + len - caret - 1), &node) < 0)
			return rp_fail(rp, WIRE_REQ_TARGETS_C, "a node id is ^ and 16 hex digits");
		len = (size_t)(caret - tok);
	}
	hash = memchr(tok, WIRE_C_PORT, len);
	iplen = hash ? (size_t)(hash - tok) : len;
	if (hash) {
		v = strtol(hash + 1, &end, 10);
		if (end != tok + len || hash + 1 == end || v < 1 || v > 65535)
			return rp_fail(rp, WIRE_REQ_TARGETS_C, "a port is #1..65535");
		*port = v;
	}
	if (iplen >= sizeof(ip))
		return rp_fail(rp, WIRE_REQ_TARGETS_C, "not an IP address literal");
	memcpy(ip, tok, iplen);
	ip[iplen] = '\0';
	if (req->ntargets == WIRE_MAX_TARGETS)
		return rp_targets_limit(rp);
	if (*ref > WIRE_MAX_REF)
		return rp_fail(rp, WIRE_REQ_TARGETS_C, "ref beyond 2^53");
	t = &req->targets[req->ntargets];
	if (parse_ip(ip, &t->addr) < 0)
		return rp_fail(rp, WIRE_REQ_TARGETS_C,
			       "not an IP address literal (names are not resolved)");
	if (!port_allowed(rp->pol, (uint16_t)*port))
		rp->port_given_bad = true;
	t->addr.v4.sin_port = htons((uint16_t)*port);
	t->has_node = caret != NULL;
	t->node_id = node;
	t->ref = (*ref)++;
	req->ntargets++;
	return 0;
}

static int parse_targets_c(struct rp *rp, struct probe_request *req)
{
	int64_t ref = 0, port = rp->pol->port;
	size_t len, ntok = 1;
	char *s, *tok;
	int rc = 0;

	if (fjson_peek(&rp->j) != FJ_STRING)
		return rp_fail(rp, WIRE_REQ_TARGETS_C, "expected a string");
	request_release(req); /* given twice (or after "targets"): the last wins */
	s = xmalloc((size_t)(rp->j.end - rp->j.p) + 1);
	if (fjson_string(&rp->j, s, (size_t)(rp->j.end - rp->j.p) + 1, &len) < 0) {
		free(s);
		return rp_fail(rp, WIRE_REQ_TARGETS_C, "malformed JSON");
	}
	for (size_t i = 0; i < len; i++)
		ntok += s[i] == WIRE_C_SEP;
	if (ntok > WIRE_MAX_TARGETS * 2) {
		free(s);
		return rp_targets_limit(rp);
	}
	req->targets = xcalloc(ntok, sizeof(*req->targets));
	for (tok = s; rc == 0;) {
		char *end = memchr(tok, WIRE_C_SEP, len - (size_t)(tok - s));
		size_t n = end ? (size_t)(end - tok) : len - (size_t)(tok - s);

		rc = targets_c_token(rp, req, tok, n, &ref, &port);
		if (!end)
			break;
		tok = end + 1;
	}
	free(s);
	if (rc == 0 && !req->ntargets)
		return rp_fail(rp, WIRE_REQ_TARGETS_C, "empty");
	return rc;
}

static int parse_protocols(struct rp *rp, struct probe_request *req)
{
	char name[16], field[32];
	size_t i = 0;
	int rc, p;

	if (fjson_peek(&rp->j) != FJ_ARRAY)
		return rp_fail(rp, WIRE_REQ_PROTOCOLS, "expected an array");
	fjson_array_begin(&rp->j);
	req->nprotos = 0;
	while ((rc = fjson_element(&rp->j)) == 1) {
		snprintf(field, sizeof(field), WIRE_REQ_PROTOCOLS "[%zu]", i++);
		if (fjson_peek(&rp->j) != FJ_STRING)
			return rp_fail(rp, field, "expected \"icmp\", \"tcp\", \"udp\" or \"dns\"");
		if (fjson_string(&rp->j, name, sizeof(name), NULL) < 0 ||
		    (p = probe_protocol_parse(name)) < 0) {
			rp->j.why = NULL;
			return rp_fail(rp, field, "expected \"icmp\", \"tcp\", \"udp\" or \"dns\"");
		}
		for (size_t k = 0; k < req->nprotos; k++)
			if (req->protos[k] == (enum probe_protocol)p)
				return rp_fail(rp, field, "listed twice");
		req->protos[req->nprotos++] = (enum probe_protocol)p;
	}
	if (rc < 0)
		return rp_fail(rp, WIRE_REQ_PROTOCOLS, "malformed JSON");
	if (!req->nprotos)
		return rp_fail(rp, WIRE_REQ_PROTOCOLS, "empty");
	return 0;
}

static int parse_ports(struct rp *rp, struct probe_request *req)
{
	char field[32];
	int64_t v;
	int rc;

	if (fjson_peek(&rp->j) != FJ_ARRAY)
		return rp_fail(rp, WIRE_REQ_PORTS, "expected an array");
	fjson_array_begin(&rp->j);
	req->nports = 0;
	while ((rc = fjson_element(&rp->j)) == 1) {
		snprintf(field, sizeof(field), WIRE_REQ_PORTS "[%zu]", req->nports);
		if (req->nports == WIRE_MAX_PORTS)
			return rp_fail(rp, WIRE_REQ_PORTS, "more than 64 ports");
		if (rp_int(rp, field, 1, 65535, &v) < 0)
			return -1;
		if (port_asked(req, (uint16_t)v))
			return rp_fail(rp, field, "listed twice");
		req->ports[req->nports++] = (uint16_t)v;
	}
	if (rc < 0)
		return rp_fail(rp, WIRE_REQ_PORTS, "malformed JSON");
	return 0;
}

static int parse_id(struct rp *rp, struct probe_request *req)
{
	if (fjson_peek(&rp->j) != FJ_STRING)
		return rp_fail(rp, WIRE_REQ_ID, "expected a string");
	if (fjson_string(&rp->j, req->id, sizeof(req->id), NULL) < 0)
		return rp_fail(rp, WIRE_REQ_ID, "bad string");
	for (const char *c = req->id; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\' || *c == 0x7f)
			return rp_fail(rp, WIRE_REQ_ID, "only printable characters without quotes");
	return 0;
}

/* "format": "c1" asks for the compact answer; any other is answered in JSON lines. */
static int parse_format(struct rp *rp, struct probe_request *req)
{
	char v[16];

	if (fjson_peek(&rp->j) != FJ_STRING)
		return rp_fail(rp, WIRE_REQ_FORMAT, "expected a string");
	if (fjson_string(&rp->j, v, sizeof(v), NULL) < 0) {
		rp->j.why = NULL;
		v[0] = '\0'; /* longer than any format: not one this floater knows */
	}
	req->compact = !strcmp(v, WIRE_FORMAT_C1);
	return 0;
}

static int parse_member(struct rp *rp, const char *key, struct probe_request *req)
{
	int64_t v;

	if (!strcmp(key, WIRE_REQ_ID))
		return parse_id(rp, req);
	if (!strcmp(key, WIRE_REQ_TARGETS))
		return parse_targets(rp, req);
	if (!strcmp(key, WIRE_REQ_PROTOCOLS))
		return parse_protocols(rp, req);
	if (!strcmp(key, WIRE_REQ_PORTS))
		return parse_ports(rp, req);
	if (!strcmp(key, WIRE_REQ_TARGETS_C))
		return parse_targets_c(rp, req);
	if (!strcmp(key, WIRE_REQ_FORMAT))
		return parse_format(rp, req);
	if (!strcmp(key, WIRE_REQ_COUNT)) {
		if (rp_int(rp, key, WIRE_MIN_COUNT, WIRE_MAX_COUNT, &v) < 0)
			return -1;
		req->count = (int)v;
	} else if (!strcmp(key, WIRE_REQ_INTERVAL_MS)) {
		if (rp_int(rp, key, WIRE_MIN_INTERVAL_MS, WIRE_MAX_INTERVAL_MS, &v) < 0)
			return -1;
		req->interval_ms = (int)v;
	} else if (!strcmp(key, WIRE_REQ_TIMEOUT_MS)) {
		if (rp_int(rp, key, WIRE_MIN_TIMEOUT_MS, WIRE_MAX_TIMEOUT_MS, &v) < 0)
			return -1;
		req->timeout_ms = (int)v;
	} else if (!strcmp(key, WIRE_REQ_SIZE)) {
		if (rp_int(rp, key, WIRE_MIN_SIZE, WIRE_MAX_SIZE, &v) < 0)
			return -1;
		req->size = (int)v;
	} else if (fjson_skip(&rp->j) < 0) {
		/* Unknown members are ignored so newer callers work with older floaters. */
		return rp_fail(rp, key, "malformed JSON");
	}
	return 0;
}

static void request_defaults(struct probe_request *req)
{
	memset(req, 0, sizeof(*req));
	req->protos[0] = PROTO_ICMP;
	req->protos[1] = PROTO_TCP;
	req->protos[2] = PROTO_UDP;
	req->nprotos = 3;
	req->count = WIRE_DEFAULT_COUNT;
	req->interval_ms = WIRE_DEFAULT_INTERVAL_MS;
	req->timeout_ms = WIRE_DEFAULT_TIMEOUT_MS;
}

static bool needs_port(const struct probe_request *req)
{
	for (size_t i = 0; i < req->nprotos; i++)
		if (req->protos[i] != PROTO_ICMP)
			return true;
	return false;
}

/* A DNS probe needs a name to look up on every target. */
static int check_names(struct rp *rp, const struct probe_request *req)
{
	char field[64];
	bool dns = false;

	for (size_t i = 0; i < req->nprotos; i++)
		dns |= req->protos[i] == PROTO_DNS;
	for (size_t i = 0; dns && i < req->ntargets; i++) {
		if (req->targets[i].dns && req->targets[i].dns->name[0])
			continue;
		snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_NAME, i);
		return rp_fail(rp, field, "missing (protocol dns looks up a name)");
	}
	return 0;
}

static int check_ports(struct rp *rp, const struct probe_request *req)
{
	char field[64];

	if (!rp->port_given_bad || !needs_port(req))
		return 0;
	for (size_t i = 0; i < req->ntargets; i++) {
		uint16_t port = sockaddr_port(&req->targets[i].addr);

		if (!port_allowed(rp->pol, port) && !port_asked(req, port)) {
			snprintf(field, sizeof(field), WIRE_REQ_TARGETS "[%zu]." WIRE_TARGET_PORT,
				 i);
			return rp_fail(rp, field,
				       "not a floater port (TCP/UDP probes go only to "
				       "the floater port, --allow-port ones and those the "
				       "request lists in \"ports\")");
		}
	}
	return 0;
}

int request_parse(const char *body, size_t len, const struct request_policy *pol,
		  struct probe_request *req, char *field, size_t fieldsz, struct err *err)
{
	struct rp rp = {.field = field, .fieldsz = fieldsz, .err = err, .pol = pol};
	bool have_targets = false;
	char key[32], targets_key[32] = "";
	int rc;

	request_defaults(req);
	field[0] = '\0';
	if (len > WIRE_MAX_BODY)
		return err_set(err, ERR_LIMIT, "body larger than %d bytes", WIRE_MAX_BODY);
	fjson_init(&rp.j, body, len);
	if (fjson_object_begin(&rp.j) < 0) {
		rp_fail(&rp, "", "expected a JSON object");
		goto fail;
	}
	while ((rc = fjson_member(&rp.j, key, sizeof(key))) == 1) {
		if (!strcmp(key, WIRE_REQ_TARGETS) || !strcmp(key, WIRE_REQ_TARGETS_C)) {
			if (have_targets && strcmp(key, targets_key)) {
				rp_fail(&rp, key, "targets and targets_c: give one of them");
				goto fail;
			}
			snprintf(targets_key, sizeof(targets_key), "%s", key);
			have_targets = true;
		}
		if (parse_member(&rp, key, req) < 0)
			goto fail;
	}
	if (rc < 0 || fjson_finish(&rp.j) < 0) {
		rp_fail(&rp, "", "malformed JSON");
		goto fail;
	}
	if (!have_targets) {
		rp_fail(&rp, WIRE_REQ_TARGETS, "missing");
		goto fail;
	}
	if (check_ports(&rp, req) < 0 || check_names(&rp, req) < 0)
		goto fail;
	return 0;
fail:
	request_release(req);
	return -1;
}

void request_release(struct probe_request *req)
{
	for (size_t i = 0; i < req->ntargets; i++)
		free(req->targets[i].dns);
	free(req->targets);
	req->targets = NULL;
	req->ntargets = 0;
}

socklen_t sockaddr_len(const union sockaddr_any *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

uint16_t sockaddr_port(const union sockaddr_any *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

void sockaddr_ntop(const union sockaddr_any *a, char *dst, size_t dstsz)
{
	const void *src = a->sa.sa_family == AF_INET6 ? (const void *)&a->v6.sin6_addr
						      : (const void *)&a->v4.sin_addr;

	if (!inet_ntop(a->sa.sa_family, src, dst, (socklen_t)dstsz))
		str_copy(dst, dstsz, "?");
}
