/* The floater tests' fixture: a floater without its HTTP server (floater_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fjson.h"
#include "floater_fixture.h"

/* ---- server.c's part, standing in ---- */

void conn_send(struct conn *c, const void *data, size_t len)
{
	if (buf_append(&c->out, data, len) < 0)
		fail_msg("connection output over its limit");
}

/* The request carried the token (server.c also takes the connection out of the
 * unauthenticated pool, which the stand-in does not keep). */
void conn_authenticated(struct conn *c)
{
	c->req_authed = true;
	c->authed = true;
}

/* The client went away: its request is cancelled. */
void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	if (c->job) {
		engine_job_cancel(c->job);
		c->job = NULL;
	}
}

/* Nothing the stand-in writes is read: everything written is unread output. */
size_t conn_backlog(const struct conn *c)
{
	return c ? c->out.len : 0;
}

/* The line as written (server.c frames it as an HTTP chunk). */
void conn_stream_line(struct conn *c, const char *line, size_t len)
{
	if (!c || c->closed)
		return;
	conn_send(c, line, len);
}

void conn_stream_end(struct conn *c)
{
	if (!c || c->closed)
		return;
	c->job = NULL;
	c->state = CONN_READ_HEAD;
}

void server_after(struct floater *fl)
{
	(void)fl;
}

/* ---- the floater ---- */

int flx_setup(void **state)
{
	struct flx *x = calloc(1, sizeof(*x));
	struct err err = ERR_INIT;
	FILE *f;

	if (!x)
		return -1;
	str_copy(x->dir, sizeof(x->dir), "/tmp/netctl-test-floater-XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	x->token_path = xasprintf("%s/token", x->dir);
	f = fopen(x->token_path, "w");
	if (!f || fputs(FLX_TOKEN "\n", f) < 0 || fclose(f) != 0)
		return -1;
	x->echo_key_path = xasprintf("%s/echo-key", x->dir);
	f = fopen(x->echo_key_path, "w");
	if (!f || fputs(FLX_ECHO_KEY "\n", f) < 0 || fclose(f) != 0)
		return -1;
	if (loop_init(&x->fl.loop, &err) < 0)
		return -1;
	x->fl.loop.after = engine_after;
	x->fl.loop.after_arg = &x->fl;
	for (int i = 0; i < 2; i++) {
		x->fl.icmp[i].h.fd = -1; /* no ICMP here: ping sockets may be refused */
		x->fl.udp[i].h.fd = -1;
		x->fl.echo[i].h.fd = -1;
		x->fl.listen[i].h.fd = -1;
	}
	x->fl.cfg.echo_rate = 100000;
	x->fl.cfg.echo_source_rate = 100000;
	token_init(&x->fl.token, x->token_path);
	echokey_init(&x->fl.echo_key, x->echo_key_path, time_mono_us());
	*state = x;
	return 0;
}

int flx_teardown(void **state)
{
	struct flx *x = *state;

	if (x->fl.slots)
		engine_release(&x->fl);
	for (int i = 0; i < 2; i++) {
		psock_close(&x->fl, &x->fl.udp[i]);
		echo_close(&x->fl, &x->fl.echo[i]);
	}
	for (int i = 0; i < x->nfds; i++)
		close(x->fds[i]);
	for (int i = 0; i < x->nconns; i++) {
		buf_release(&x->conns[i]->out);
		free(x->conns[i]);
	}
	loop_release(&x->fl.loop);
	unlink(x->token_path);
	unlink(x->echo_key_path);
	rmdir(x->dir);
	free(x->token_path);
	free(x->echo_key_path);
	free(x);
	return 0;
}

static uint16_t local_port(int fd)
{
	union sockaddr_any a;
	socklen_t len = sizeof(a);

	assert_int_equal(getsockname(fd, &a.sa, &len), 0);
	return sockaddr_port(&a);
}

static void allow_port(struct flx *x, uint16_t port)
{
	struct request_policy *p = &x->fl.cfg.policy;

	assert_true(p->nallow < REQ_MAX_ALLOW_PORTS);
	p->allow[p->nallow++] = port;
}

void flx_start(struct flx *x, uint32_t max_inflight)
{
	static const int families[2] = {AF_INET, AF_INET6};
	struct floater *fl = &x->fl;
	struct err err = ERR_INIT;

	fl->cfg.max_inflight = max_inflight;
	fl->cfg.node = FLX_NODE;
	fl->node_id = echoauth_node_id(FLX_NODE);
	if (engine_init(fl, &err) < 0)
		fail_msg("engine_init: %s", err.msg);
	for (int i = 0; i < 2; i++)
		if (psock_open_udp(fl, &fl->udp[i], families[i], &err) < 0)
			fail_msg("psock_open_udp: %s", err.msg);
	/* port 0: the kernel picks a free one, which becomes the floater port */
	if (echo_open(fl, &fl->echo[0], AF_INET, "127.0.0.1", &err) < 0)
		fail_msg("echo_open: %s", err.msg);
	fl->cfg.port = local_port(fl->echo[0].h.fd);
	fl->cfg.policy.port = fl->cfg.port;
	fl->echo_tokens = (double)fl->cfg.echo_rate;
	fl->echo_refill_us = time_mono_us();
}

static int loopback_socket(struct flx *x, int family, int type, uint16_t *port)
{
	union sockaddr_any a;
	int one = 1;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(x->nfds < (int)ARRAY_SIZE(x->fds));
	x->fds[x->nfds++] = fd;
	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)family;
	if (family == AF_INET) {
		a.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a.v6.sin6_addr = in6addr_loopback;
	}
	if (bind(fd, &a.sa, sockaddr_len(&a)) < 0)
		fail_msg("bind to %s: %s", family == AF_INET ? "127.0.0.1" : "::1",
			 strerror(errno));
	*port = local_port(fd);
	allow_port(x, *port);
	return fd;
}

uint16_t flx_tcp_listener(struct flx *x, int family)
{
	uint16_t port;

	assert_int_equal(listen(loopback_socket(x, family, SOCK_STREAM, &port), 128), 0);
	return port;
}

uint16_t flx_tcp_closed(struct flx *x, int family)
{
	uint16_t port;

	loopback_socket(x, family, SOCK_STREAM, &port); /* bound: the port stays ours */
	return port;
}

uint16_t flx_udp_silent(struct flx *x, int family)
{
	uint16_t port;

	loopback_socket(x, family, SOCK_DGRAM, &port);
	return port;
}

/* ---- connections ---- */

struct conn *flx_conn(struct flx *x)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	assert_true(x->nconns < FLX_MAX_CONNS);
	x->conns[x->nconns++] = c;
	c->h.fd = -1;
	c->fl = &x->fl;
	c->state = CONN_READ_HEAD;
	buf_init(&c->out, 0);
	return c;
}

void flx_request(struct flx *x, struct conn *c, enum http_method method, const char *path,
		 const char *token, const char *body)
{
	memset(&c->req, 0, sizeof(c->req));
	c->req.method = method;
	str_copy(c->req.path, sizeof(c->req.path), path);
	c->req.keep_alive = true;
	c->req.content_length = body ? (long long)strlen(body) : -1;
	if (token) {
		c->req.has_token = true;
		str_copy(c->req.token, sizeof(c->req.token), token);
	}
	x->fl.loop.now = time_mono_us();
	/* as server.c does: the token is checked at the end of the head, the body read after */
	if (api_admit(&x->fl, c, &c->req) < 0)
		return;
	api_dispatch(&x->fl, c, &c->req, body ? body : "", body ? strlen(body) : 0);
}

struct job *flx_probe(struct flx *x, struct conn *c, const char *body)
{
	flx_request(x, c, HTTP_POST, WIRE_PATH_PROBE, FLX_TOKEN, body);
	return c->job;
}

bool flx_done(const struct conn *c)
{
	struct flx_line l[FLX_MAX_LINES];
	int n = flx_lines(c, l, ARRAY_SIZE(l));

	return n > 0 && l[n - 1].done;
}

bool flx_run_until_done(struct flx *x, struct conn **conns, int n, int64_t max_ms)
{
	int64_t end = time_mono_us() + max_ms * 1000;

	for (;;) {
		int done = 0;

		for (int i = 0; i < n; i++)
			done += flx_done(conns[i]);
		if (done == n)
			return true;
		if (time_mono_us() >= end)
			return false;
		if (loop_run_once(&x->fl.loop, 10000) < 0)
			fail_msg("loop_run_once: %s", strerror(errno));
	}
}

void flx_run_for(struct flx *x, int64_t ms)
{
	int64_t end = time_mono_us() + ms * 1000;

	while (time_mono_us() < end)
		if (loop_run_once(&x->fl.loop, 5000) < 0)
			fail_msg("loop_run_once: %s", strerror(errno));
}

int flx_status(const struct conn *c)
{
	int status = 0;

	if (c->out.len > 12 && !strncmp(c->out.data, "HTTP/1.1 ", 9))
		sscanf(c->out.data + 9, "%3d", &status);
	return status;
}

/* ---- answers ---- */

static int member_int(struct fjson *j, int64_t *out)
{
	return fjson_int(j, -1, INT64_MAX, out);
}

static int parse_line(const char *s, size_t n, struct flx_line *l)
{
	struct fjson j;
	char key[32];
	int rc;

	memset(l, 0, sizeof(*l));
	l->ref = -1;
	fjson_init(&j, s, n);
	if (fjson_object_begin(&j) < 0)
		return -1;
	while ((rc = fjson_member(&j, key, sizeof(key))) == 1) {
		if (!strcmp(key, WIRE_DONE)) {
			l->done = fjson_peek(&j) == FJ_TRUE;
			rc = fjson_skip(&j);
		} else if (!strcmp(key, WIRE_RES_REF)) {
			rc = member_int(&j, &l->ref);
		} else if (!strcmp(key, WIRE_RES_PROTOCOL)) {
			rc = fjson_string(&j, l->protocol, sizeof(l->protocol), NULL);
		} else if (!strcmp(key, WIRE_RES_ERROR)) {
			rc = fjson_string(&j, l->error, sizeof(l->error), NULL);
		} else if (!strcmp(key, WIRE_RES_SENT)) {
			rc = member_int(&j, &l->sent);
		} else if (!strcmp(key, WIRE_RES_RECEIVED)) {
			rc = member_int(&j, &l->received);
		} else if (!strcmp(key, WIRE_RES_RTT_AVG_US)) {
			rc = member_int(&j, &l->rtt_avg_us);
		} else if (!strcmp(key, WIRE_DONE_ID)) {
			rc = fjson_string(&j, l->id, sizeof(l->id), NULL);
		} else if (!strcmp(key, WIRE_DONE_RESULTS)) {
			rc = member_int(&j, &l->results);
		} else if (!strcmp(key, WIRE_DONE_ELAPSED_MS)) {
			rc = member_int(&j, &l->elapsed_ms);
		} else {
			rc = fjson_skip(&j);
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

int flx_lines(const struct conn *c, struct flx_line *out, int max)
{
	const char *p, *end;
	int n = 0;

	if (!c->out.len || flx_status(c) != 200)
		return 0;
	end = c->out.data + c->out.len;
	p = strstr(c->out.data, "\r\n\r\n");
	if (!p)
		return 0;
	for (p += 4; p < end && n < max;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break; /* the engine writes whole lines only */
		if (parse_line(p, (size_t)(nl - p), &out[n]) < 0)
			fail_msg("not a result line: %.*s", (int)(nl - p), p);
		n++;
		p = nl + 1;
	}
	return n;
}

struct flx_line flx_result(const struct conn *c, int64_t ref, const char *protocol)
{
	struct flx_line l[FLX_MAX_LINES], found;
	int n = flx_lines(c, l, ARRAY_SIZE(l)), hits = 0;

	for (int i = 0; i < n; i++) {
		if (l[i].done || l[i].ref != ref || strcmp(l[i].protocol, protocol))
			continue;
		found = l[i];
		hits++;
	}
	if (hits != 1)
		fail_msg("%d result lines for ref %lld %s, want 1", hits, (long long)ref, protocol);
	return found;
}

struct flx_line flx_final(const struct conn *c)
{
	struct flx_line l[FLX_MAX_LINES];
	int n = flx_lines(c, l, ARRAY_SIZE(l));

	if (n == 0 || !l[n - 1].done)
		fail_msg("no final line");
	return l[n - 1];
}
