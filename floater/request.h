/* request: the POST /v1/probe body, parsed and validated against the limits of the wire
 * contract (wire.h). */
#ifndef FLOATER_REQUEST_H
#define FLOATER_REQUEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common.h"
#include "wire.h"

#define REQ_MAX_ALLOW_PORTS 16

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* What a DNS probe asks its target (a DNS server): one name, one type, and the address
 * the answer must hold when one is expected. */
struct probe_dns {
	char name[WIRE_MAX_DNS_NAME + 2];
	uint16_t qtype;	    /* DNSMSG_TYPE_A or DNSMSG_TYPE_AAAA */
	uint8_t expect_len; /* 0: any address will do; else 4 or 16 */
	uint8_t expect[16];
};

struct probe_target {
	union sockaddr_any addr; /* address and port (network order) */
	int64_t ref;		 /* -1 when the caller gave none */
	bool has_node;		 /* "node" given: the UDP echo must prove node_id */
	uint64_t node_id;	 /* echoauth_node_id of "node" */
	struct probe_dns *dns;	 /* the target's "name": NULL when it has none */
};

struct probe_request {
	char id[WIRE_MAX_ID + 1];
	struct probe_target *targets;
	size_t ntargets;
	enum probe_protocol protos[PROTO_MAX]; /* in request order, no duplicates */
	size_t nprotos;
	int count;
	int interval_ms;
	int timeout_ms;
	int size; /* ICMP/UDP payload bytes; > 0 means "check the MTU": DF set */
	uint16_t ports[WIRE_MAX_PORTS]; /* "ports": more ports its targets may name */
	size_t nports;
	bool compact; /* "format": "c1": answer in the compact encoding */
};

/* What the floater allows: its own port, plus --allow-port ones (and, per request, the
 * ports the request names in "ports"). */
struct request_policy {
	uint16_t port;
	uint16_t allow[REQ_MAX_ALLOW_PORTS];
	size_t nallow;
};

/* Parses body into req (caller releases it). On error returns -1, err says why and field
 * (at least 64 bytes) names the offending field ("targets[3].ip"), or "" for the body. */
int request_parse(const char *body, size_t len, const struct request_policy *pol,
		  struct probe_request *req, char *field, size_t fieldsz, struct err *err);
void request_release(struct probe_request *req);

socklen_t sockaddr_len(const union sockaddr_any *a);
uint16_t sockaddr_port(const union sockaddr_any *a);
/* Numeric address without the port. */
void sockaddr_ntop(const union sockaddr_any *a, char *dst, size_t dstsz);

#endif
