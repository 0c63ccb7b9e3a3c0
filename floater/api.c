/* The control API: routes, authentication, JSON answers. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "resolvconf.h"

static void count_status(struct floater *fl, int status)
{
	int cls = status / 100;

	if (cls >= 1 && cls <= 5)
		fl->m.responses[cls]++;
}

/* Who wrote the answer, for netctl's version check; only with the token: nobody else needs
 * to know the version. */
#define VERSION_HEADERS                                                                            \
	WIRE_HEADER_VERSION ": " NETCTL_VERSION "\r\n" WIRE_HEADER_WIRE                            \
			    ": " WIRE_STR(WIRE_VERSION) "\r\n"

void conn_respond(struct conn *c, int status, const char *ctype, const char *body, size_t len)
{
	struct buf b;

	/* Head and body in one buffer, so one write (docs/floater.md: delayed ACKs). */
	buf_init(&b, 0);
	(void)!buf_printf(&b,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Cache-Control: no-store\r\n%s%s\r\n",
			  status, http_reason(status), ctype, len,
			  c->req_authed ? VERSION_HEADERS : "",
			  c->close_after || !c->req.keep_alive ? "Connection: close\r\n" : "");
	if (c->req.method != HTTP_HEAD)
		(void)!buf_append(&b, body, len);
	conn_send(c, b.data, b.len);
	buf_release(&b);
	count_status(c->fl, status);
}

void conn_respond_error(struct conn *c, int status, const char *msg, const char *field)
{
	struct buf b;

	buf_init(&b, 0);
	(void)!buf_puts(&b, "{" WIRE_KEY(WIRE_ERR_ERROR));
	(void)!buf_put_json_str(&b, msg, false);
	if (field && *field) {
		(void)!buf_puts(&b, "," WIRE_KEY(WIRE_ERR_FIELD));
		(void)!buf_put_json_str(&b, field, false);
	}
	(void)!buf_puts(&b, "}\n");
	conn_respond(c, status, "application/json", b.data, b.len);
	buf_release(&b);
}

static void respond_text(struct conn *c, const char *text)
{
	conn_respond(c, 200, "text/plain; charset=utf-8", text, strlen(text));
}

static void add_addresses(struct buf *b, int family)
{
	struct ifaddrs *ifs, *i;
	bool first = true;
	char ip[INET6_ADDRSTRLEN];

	(void)!buf_puts(b, "[");
	if (getifaddrs(&ifs) < 0) {
		(void)!buf_puts(b, "]");
		return;
	}
	for (i = ifs; i; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (family == AF_INET6) {
			const struct in6_addr *a6 =
			    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			a = a6;
		} else {
			a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		}
		if (!inet_ntop(family, a, ip, sizeof(ip)))
			continue;
		(void)!buf_printf(b, "%s\"%s\"", first ? "" : ",", ip);
		first = false;
	}
	freeifaddrs(ifs);
	(void)!buf_puts(b, "]");
}

/* "nameservers": what the pod's resolv.conf names, read at each request (the kubelet may
 * rewrite it); [] when it names none or cannot be read. */
static void add_nameservers(struct buf *b)
{
	struct resolv_conf rc;

	(void)!buf_puts(b, ",\"nameservers\":[");
	if (resolv_conf_read(RESOLV_CONF_PATH, &rc) == 0)
		for (size_t i = 0; i < rc.n; i++)
			(void)!buf_printf(b, "%s\"%s\"", i ? "," : "", rc.addr[i]);
	(void)!buf_puts(b, "]");
}

static void api_info(struct floater *fl, struct conn *c)
{
	struct buf b;

	buf_init(&b, 0);
	(void)!buf_puts(&b, "{\"node\":");
	(void)!buf_put_json_str(&b, fl->cfg.node, false);
	(void)!buf_printf(&b, ",\"network\":\"%s\",\"version\":\"%s\",\"wire\":%d,\"ipv4\":",
			  fl->cfg.host_network ? "host" : "pod", NETCTL_VERSION, WIRE_VERSION);
	add_addresses(&b, AF_INET);
	(void)!buf_puts(&b, ",\"ipv6\":");
	add_addresses(&b, AF_INET6);
	add_nameservers(&b);
	(void)!buf_printf(&b,
			  ",\"port\":%u,\"icmp\":\"%s\",\"limits\":{\"max_targets\":%d,"
			  "\"max_body\":%d,\"max_count\":%d,\"max_timeout_ms\":%d,"
			  "\"max_interval_ms\":%d,\"max_size\":%d,\"max_inflight\":%u,"
			  "\"max_requests\":%d}}\n",
			  fl->cfg.port, fl->icmp[0].raw ? "raw" : "ping", WIRE_MAX_TARGETS,
			  WIRE_MAX_BODY, WIRE_MAX_COUNT, WIRE_MAX_TIMEOUT_MS, WIRE_MAX_INTERVAL_MS,
			  WIRE_MAX_SIZE, fl->nslots, WIRE_MAX_REQUESTS);
	conn_respond(c, 200, "application/json", b.data, b.len);
	buf_release(&b);
}

static void api_metrics(struct floater *fl, struct conn *c)
{
	static const char *const names[] = {"sent", "received", "failed"};
	const uint64_t *vals[] = {fl->m.sent, fl->m.received, fl->m.failed};
	struct buf b;

	buf_init(&b, 0);
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		(void)!buf_printf(&b, "# TYPE floater_probes_%s_total counter\n", names[k]);
		for (int p = 0; p < PROTO_MAX; p++)
			(void)!buf_printf(&b, "floater_probes_%s_total{protocol=\"%s\"} %llu\n",
					  names[k], probe_protocol_name(p),
					  (unsigned long long)vals[k][p]);
	}
	(void)!buf_printf(&b, "# TYPE floater_probes_inflight gauge\nfloater_probes_inflight %u\n",
			  fl->inflight);
	(void)!buf_printf(&b,
			  "# TYPE floater_probe_requests_active gauge\n"
			  "floater_probe_requests_active %d\n",
			  fl->njobs);
	(void)!buf_printf(&b,
			  "# TYPE floater_probe_requests_total counter\n"
			  "floater_probe_requests_total %llu\n",
			  (unsigned long long)fl->m.probe_requests);
	(void)!buf_printf(&b,
			  "# TYPE floater_http_requests_total counter\n"
			  "floater_http_requests_total %llu\n",
			  (unsigned long long)fl->m.requests);
	(void)!buf_puts(&b, "# TYPE floater_http_responses_total counter\n");
	for (int cls = 1; cls <= 5; cls++)
		(void)!buf_printf(&b, "floater_http_responses_total{code=\"%dxx\"} %llu\n", cls,
				  (unsigned long long)fl->m.responses[cls]);
	(void)!buf_printf(&b,
			  "# TYPE floater_auth_failures_total counter\n"
			  "floater_auth_failures_total %llu\n",
			  (unsigned long long)fl->m.auth_failures);
	(void)!buf_printf(&b,
			  "# TYPE floater_udp_echo_replies_total counter\n"
			  "floater_udp_echo_replies_total %llu\n"
			  "# TYPE floater_udp_echo_dropped_total counter\n"
			  "floater_udp_echo_dropped_total %llu\n",
			  (unsigned long long)fl->m.echo_replies,
			  (unsigned long long)fl->m.echo_dropped);
	(void)!buf_printf(&b,
			  "# TYPE floater_udp_echo_refused_total counter\n"
			  "floater_udp_echo_refused_total{reason=\"no_key\"} %llu\n"
			  "floater_udp_echo_refused_total{reason=\"bad_mac\"} %llu\n"
			  "floater_udp_echo_refused_total{reason=\"stale\"} %llu\n"
			  "floater_udp_echo_refused_total{reason=\"source_rate\"} %llu\n",
			  (unsigned long long)fl->m.echo_refused[ECHO_NO_KEY],
			  (unsigned long long)fl->m.echo_refused[ECHO_BAD_MAC],
			  (unsigned long long)fl->m.echo_refused[ECHO_STALE],
			  (unsigned long long)fl->m.echo_source_limited);
	(void)!buf_printf(&b, "# TYPE floater_connections gauge\nfloater_connections %zu\n",
			  fl->nconns);
	(void)!buf_printf(&b,
			  "# TYPE floater_connections_unauthenticated gauge\n"
			  "floater_connections_unauthenticated %zu\n",
			  fl->nunauth);
	(void)!buf_printf(&b,
			  "# TYPE floater_connections_refused_total counter\n"
			  "floater_connections_refused_total %llu\n"
			  "# TYPE floater_connections_evicted_total counter\n"
			  "floater_connections_evicted_total %llu\n",
			  (unsigned long long)fl->m.conns_refused,
			  (unsigned long long)fl->m.conns_evicted);
	conn_respond(c, 200, "text/plain; version=0.0.4", b.data, b.len);
	buf_release(&b);
}

void conn_start_stream(struct conn *c, struct job *job)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/x-ndjson\r\n"
				   "Transfer-Encoding: chunked\r\n"
				   "Cache-Control: no-store\r\n"
				   "X-Content-Type-Options: nosniff\r\n" VERSION_HEADERS "\r\n";

	c->job = job;
	c->state = CONN_STREAMING;
	conn_send(c, head, sizeof(head) - 1);
	count_status(c->fl, 200);
}

static void api_probe(struct floater *fl, struct conn *c, const char *body, size_t len)
{
	struct probe_request req;
	struct err err = ERR_INIT;
	char field[64];
	struct job *job;

	if (request_parse(body, len, &fl->cfg.policy, &req, field, sizeof(field), &err) < 0) {
		conn_respond_error(c, err.code == ERR_LIMIT ? 413 : 400, err.msg, field);
		return;
	}
	if (fl->njobs >= WIRE_MAX_REQUESTS) {
		request_release(&req);
		conn_respond_error(c, 429, "too many concurrent probe requests", NULL);
		return;
	}
	job = engine_job_start(fl, &req, c);
	conn_start_stream(c, job);
	if (job->req.compact) {
		char line[WIRE_MAX_LINE];
		size_t n = result_fields_line(line, sizeof(line));

		conn_stream_line(c, line, n);
	}
	log_debug("probe request %s: %zu targets x %zu protocols", job->req.id, job->req.ntargets,
		  job->req.nprotos);
}

static bool open_route(const struct http_req *req)
{
	return (req->method == HTTP_GET || req->method == HTTP_HEAD) &&
	       (!strcmp(req->path, "/") || !strcmp(req->path, "/healthz"));
}

static bool known_route(const struct http_req *req)
{
	return !strcmp(req->path, WIRE_PATH_INFO) || !strcmp(req->path, "/metrics") ||
	       !strcmp(req->path, WIRE_PATH_PROBE) || !strcmp(req->path, "/") ||
	       !strcmp(req->path, "/healthz");
}

int api_admit(struct floater *fl, struct conn *c, struct http_req *req)
{
	if (req->has_token &&
	    token_check(&fl->token, req->token, strlen(req->token), fl->loop.now)) {
		conn_authenticated(c);
		return 0;
	}
	/* Without the token nothing is read beyond the head, no 100 Continue is sent and
	 * the connection ends with its answer: it cannot hold memory or a slot. */
	c->close_after = true;
	if (open_route(req)) {
		respond_text(c, !strcmp(req->path, "/") ? "OK" : "ok");
	} else if (!known_route(req)) {
		conn_respond_error(c, 404, "not found", NULL);
	} else {
		fl->m.auth_failures++;
		conn_respond_error(c, 401, "unauthorized", NULL);
	}
	return -1;
}

/* Called with the body once api_admit let the request through: its token is valid. */
void api_dispatch(struct floater *fl, struct conn *c, struct http_req *req, const char *body,
		  size_t body_len)
{
	bool get = req->method == HTTP_GET || req->method == HTTP_HEAD;

	if (!strcmp(req->path, "/") && get)
		return respond_text(c, "OK"); /* NetDoctor's check: curl http://IP:PORT/ */
	if (!strcmp(req->path, "/healthz") && get)
		return respond_text(c, "ok");
	if (!known_route(req))
		return conn_respond_error(c, 404, "not found", NULL);
	if (!strcmp(req->path, WIRE_PATH_PROBE)) {
		if (req->method != HTTP_POST)
			return conn_respond_error(c, 405, "use POST", NULL);
		return api_probe(fl, c, body, body_len);
	}
	if (!get)
		return conn_respond_error(c, 405, "use GET", NULL);
	if (!strcmp(req->path, WIRE_PATH_INFO))
		return api_info(fl, c);
	if (!strcmp(req->path, "/metrics"))
		return api_metrics(fl, c);
	conn_respond_error(c, 405, "use GET", NULL);
}
