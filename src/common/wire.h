/* wire: the contract between netctl and the floater (docs/floater.md, "Control API").
 * Header-only, so the static floater includes it without linking anything: netctl builds
 * requests and reads result lines with these names, the floater parses requests and writes
 * result lines with them, and the CLI refuses what a floater would refuse. */
#ifndef NETCTL_WIRE_H
#define NETCTL_WIRE_H

#include <stddef.h>

#define WIRE_PATH_PROBE	  "/v1/probe"
#define WIRE_PATH_INFO	  "/v1/info"
#define WIRE_HEADER_TOKEN "X-Floater-Token"

/* Versions (docs/floater.md, "Versions"): every answer to an authenticated request names
 * the floater's version and the wire it speaks. The wire changes only when a request or a
 * line changes in a way the other side cannot read (a member renamed, removed or given
 * another meaning); a new member does not change it, since both sides ignore members they
 * do not know. netctl refuses a floater of another wire. A floater that names none
 * predates the headers and speaks wire 1. */
#define WIRE_VERSION	    1
#define WIRE_VERSION_UNSAID 1
#define WIRE_HEADER_VERSION "X-Floater-Version"
#define WIRE_HEADER_WIRE    "X-Floater-Wire"
#define WIRE_MAX_VERSION    32 /* bytes of a version netctl reads ("0.1.0") */
#define WIRE_STR_(x)	    #x
#define WIRE_STR(x)	    WIRE_STR_(x)

/* A JSON member name followed by its colon, for printf-style writers. */
#define WIRE_KEY(name) "\"" name "\":"

/* The probe request (POST /v1/probe, one JSON object). */
#define WIRE_REQ_ID	     "id"
#define WIRE_REQ_TARGETS     "targets"
#define WIRE_REQ_PROTOCOLS   "protocols"
#define WIRE_REQ_COUNT	     "count"
#define WIRE_REQ_INTERVAL_MS "interval_ms"
#define WIRE_REQ_TIMEOUT_MS  "timeout_ms"
#define WIRE_REQ_SIZE	     "size"
/* TCP/UDP ports besides the floater's own (and its --allow-port ones) this request's
 * targets may name: a custom target, the API server. A floater probes no other port. */
#define WIRE_REQ_PORTS "ports"
/* ... each target */
#define WIRE_TARGET_IP	 "ip"
#define WIRE_TARGET_PORT "port"
#define WIRE_TARGET_REF	 "ref"
/* The node expected to answer: its id, 16 hex digits, the SipHash-2-4 of its Kubernetes
 * name under the all-zero key. The UDP echo must prove it; an echo proving another node is
 * "wrong-node" (docs/floater.md, "Which node answered"). */
#define WIRE_TARGET_NODE "node"
#define WIRE_NODE_ID_HEX 16
/* ... a DNS probe's (protocol "dns"; the target is the DNS server): the name to look up,
 * the record type ("A" or "AAAA", default "A") and the address the answer must hold */
#define WIRE_TARGET_NAME   "name"
#define WIRE_TARGET_QTYPE  "qtype"
#define WIRE_TARGET_EXPECT "expect"

/* One NDJSON result line per (target, protocol); "ref" only when the target had one. */
#define WIRE_RES_REF	    "ref"
#define WIRE_RES_IP	    "ip"
#define WIRE_RES_PORT	    "port"
#define WIRE_RES_PROTOCOL   "protocol"
#define WIRE_RES_SENT	    "sent"
#define WIRE_RES_RECEIVED   "received"
#define WIRE_RES_RTT_MIN_US "rtt_min_us"
#define WIRE_RES_RTT_AVG_US "rtt_avg_us"
#define WIRE_RES_RTT_MAX_US "rtt_max_us"
#define WIRE_RES_RTT_P99_US "rtt_p99_us"
#define WIRE_RES_ERROR	    "error"
/* The final line: {"done":true,"id":...,"results":N,"elapsed_ms":T} */
#define WIRE_DONE	     "done"
#define WIRE_DONE_ID	     "id"
#define WIRE_DONE_RESULTS    "results"
#define WIRE_DONE_ELAPSED_MS "elapsed_ms"
/* An error answer (4xx): {"error":"why","field":"targets[3].ip"} */
#define WIRE_ERR_ERROR "error"
#define WIRE_ERR_FIELD "field"

/* The compact encoding (docs/floater.md, "Compact encoding"), asked for by a request's
 * "format" member; a floater that does not know it answers a request with "targets_c" but no
 * "targets" 400 (field "targets"), and netctl asks again in JSON. Both directions:
 * - "targets_c": the targets as one string of comma-separated tokens: IP (v4 or v6 literal),
 *   IP#PORT (this target and the ones after it on PORT; before any, the floater's port),
 *   ~K (skip K refs) or @R (the next target's ref is R). The first target's ref is 0, each
 *   next one's the previous one's + 1.
 * - the answer: a field list line "#fields,NAME,...", then one line of comma-separated values
 *   per (target, protocol) in that order, then "#done,ID,RESULTS,ELAPSED_MS". A value ""
 *   is the same field's value in the previous result line, "=" the previous field's value in
 *   this line, "+D" the previous line's value plus D (integers). A reader skips fields it
 *   does not know, so new fields are appended without a new format. */
#define WIRE_REQ_FORMAT	   "format"
#define WIRE_REQ_TARGETS_C "targets_c"
#define WIRE_FORMAT_C1	   "c1"
#define WIRE_C_SEP	   ','
#define WIRE_C_PORT	   '#'
#define WIRE_C_SKIP	   '~'
#define WIRE_C_REF	   '@'
#define WIRE_C_NODE	   '^' /* IP[#PORT]^NODEID: the node that must answer (WIRE_TARGET_NODE) */
#define WIRE_C_SAME_FIELD  "="
#define WIRE_C_FIELDS_LINE "#fields"
#define WIRE_C_DONE_LINE   "#done"
#define WIRE_C_MAX_FIELDS  16 /* fields of a line netctl reads */
#define WIRE_C_MAX_VALUE   47 /* bytes of one value */

/* Limits: a request outside them is answered 400 (413 for the body size). */
#define WIRE_MAX_BODY	     (1024 * 1024)
#define WIRE_MAX_TARGETS     10000
#define WIRE_MAX_ID	     128 /* bytes of "id" */
#define WIRE_MAX_IP	     45	 /* longest IP literal (INET6_ADDRSTRLEN - 1) */
#define WIRE_MIN_COUNT	     1
#define WIRE_MAX_COUNT	     1000
#define WIRE_MIN_INTERVAL_MS 0
#define WIRE_MAX_INTERVAL_MS 10000
#define WIRE_MIN_TIMEOUT_MS  1
#define WIRE_MAX_TIMEOUT_MS  60000
#define WIRE_MIN_SIZE	     0
#define WIRE_MAX_SIZE	     65000
#define WIRE_MAX_REF	     ((long long)1 << 53) /* exact in a JSON double */
#define WIRE_MAX_REQUESTS    4	 /* probe requests a floater runs at once (429 beyond) */
#define WIRE_MAX_LINE	     512 /* longest result or final line the floater writes */
#define WIRE_MAX_PORTS	     64	 /* entries of "ports" */
#define WIRE_MAX_DNS_NAME    253 /* characters of a target's "name" (a trailing dot aside) */

/* A name a DNS probe may look up: 1..WIRE_MAX_DNS_NAME characters (one trailing dot
 * aside), labels of 1..63 letters, digits, '-' or '_' between single dots. Both sides
 * check it: netctl before it deploys anything, the floater in every request. */
static inline int wire_dns_name_ok(const char *name)
{
	size_t len = 0, label = 0;

	while (name[len])
		len++;
	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > WIRE_MAX_DNS_NAME)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (!label)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_') ||
		    ++label > 63)
			return 0;
	}
	return label > 0;
}

/* What the floater assumes for a member the request leaves out (targets is required;
 * a target's port defaults to the floater's own). */
#define WIRE_DEFAULT_COUNT	 3
#define WIRE_DEFAULT_INTERVAL_MS 100
#define WIRE_DEFAULT_TIMEOUT_MS	 1000

#endif
