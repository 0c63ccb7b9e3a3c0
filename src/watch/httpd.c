/* The HTTP server of `netctl watch`: GET /metrics and /healthz, from one thread of its own
 * (a check holds the main thread for its whole run, scrapes must not wait for it). One poll
 * loop over the listening socket and at most WATCH_HTTPD_CONNS connections; requests are
 * read with the floater's strict HTTP/1.1 parser (floater/http.c). Every bound is ours:
 * a request head of at most 16 KiB, 10 s to send it, 30 s to read an answer, 60 s idle on
 * a kept-alive connection, no request bodies. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "prom.h"
#include "watch.h"

#define WATCH_HTTPD_CONNS 32
#define REQUEST_MS	  10000
#define RESPONSE_MS	  30000
#define IDLE_MS		  60000

struct conn {
	int fd;
	char in[HTTP_MAX_HEAD];
	size_t in_len, scanned;
	struct buf out;
	size_t out_off;
	bool close_after;
	int64_t deadline_us;
};

struct watch_httpd {
	int fd;
	int wake[2]; /* a byte here ends the thread */
	pthread_t thread;
	bool running;
	char address[64];
	int64_t stale_after_us;
	_Atomic int64_t beat_us;
	_Atomic uint64_t requests;
	pthread_mutex_t lock; /* guards metrics */
	struct buf metrics;
	struct conn *conns[WATCH_HTTPD_CONNS];
};

/* ---- the listen address ------------------------------------------------------------------- */

int watch_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct err *err)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen;
	bool bracketed = false;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return err_set(err, ERR_USAGE, "--listen: '%s' is not ADDR:PORT", s);
	if (str_to_long(colon + 1, 0, 65535, &port, "--listen port", err) < 0)
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
		bracketed = true;
	} else if (memchr(s, ':', hlen)) {
		return err_set(err, ERR_USAGE,
			       "--listen: an IPv6 address goes in brackets: [ADDR]:PORT");
	}
	if (hlen >= sizeof(host))
		return err_set(err, ERR_USAGE, "--listen: '%.*s' is not an IP address", (int)hlen,
			       s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (!hlen) { /* ":PORT": every address, both families */
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else if (bracketed || strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return err_set(err, ERR_USAGE, "--listen: '%s' is not an IPv6 address",
				       host);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(err, ERR_USAGE,
				       "--listen: '%s' is not an IP address (names are not "
				       "looked up)",
				       host);
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

static void format_address(const struct sockaddr_storage *ss, char *dst, size_t dstsz)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(dst, dstsz, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(dst, dstsz, "%s:%u", ip, ntohs(a->sin_port));
	}
}

static int listen_on(struct watch_httpd *h, const char *listen_s, struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, zero = 0;

	if (watch_listen_parse(listen_s, &ss, &len, err) < 0)
		return -1;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return err_set(err, ERR_IO, "--listen %s: socket: %s", listen_s, strerror(errno));
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* [::] takes IPv4 too */
		setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(h->fd, (struct sockaddr *)&ss, len) < 0)
		return err_set(err, ERR_IO, "--listen %s: %s", listen_s, strerror(errno));
	if (listen(h->fd, 64) < 0)
		return err_set(err, ERR_IO, "--listen %s: listen: %s", listen_s, strerror(errno));
	len = sizeof(ss);
	if (getsockname(h->fd, (struct sockaddr *)&ss, &len) == 0)
		format_address(&ss, h->address, sizeof(h->address));
	return 0;
}

/* ---- answers ------------------------------------------------------------------------------- */

static void respond(struct conn *c, int status, const char *type, const char *extra,
		    const char *body, size_t body_len, bool head_only)
{
	buf_reset(&c->out);
	c->out_off = 0;
	(void)!buf_printf(&c->out,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Cache-Control: no-store\r\n%s%s\r\n",
			  status, http_reason(status), type, body_len, extra ? extra : "",
			  c->close_after ? "Connection: close\r\n" : "");
	if (!head_only)
		(void)!buf_append(&c->out, body, body_len);
}

static void answer_healthz(struct watch_httpd *h, struct conn *c, bool head_only)
{
	int64_t age = time_mono_us() - atomic_load(&h->beat_us);
	char body[128];

	if (age <= h->stale_after_us) {
		respond(c, 200, "text/plain; charset=utf-8", NULL, "ok\n", 3, head_only);
		return;
	}
	snprintf(body, sizeof(body), "stalled: the watch loop made no progress for %lld s\n",
		 (long long)(age / 1000000));
	respond(c, 503, "text/plain; charset=utf-8", NULL, body, strlen(body), head_only);
}

static void answer_metrics(struct watch_httpd *h, struct conn *c, bool head_only)
{
	pthread_mutex_lock(&h->lock);
	respond(c, 200, PROM_CONTENT_TYPE, NULL, buf_str(&h->metrics), h->metrics.len, head_only);
	pthread_mutex_unlock(&h->lock);
}

static void answer_error(struct conn *c, int status)
{
	char body[64];

	c->close_after = true;
	snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	respond(c, status, "text/plain; charset=utf-8", NULL, body, strlen(body), false);
}

static void answer(struct watch_httpd *h, struct conn *c, const struct http_req *req)
{
	bool head = req->method == HTTP_HEAD;

	atomic_fetch_add(&h->requests, 1);
	c->close_after = !req->keep_alive;
	if (req->content_length > 0 || req->chunked) {
		answer_error(c, 400); /* neither route takes a body */
		return;
	}
	if (strcmp(req->path, "/metrics") && strcmp(req->path, "/healthz")) {
		char body[] = "404 Not Found: try /metrics or /healthz\n";

		respond(c, 404, "text/plain; charset=utf-8", NULL, body, strlen(body), head);
		return;
	}
	if (req->method != HTTP_GET && !head) {
		c->close_after = true;
		respond(c, 405, "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n",
			"405 Method Not Allowed\n", 23, false);
		return;
	}
	if (!strcmp(req->path, "/metrics"))
		answer_metrics(h, c, head);
	else
		answer_healthz(h, c, head);
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_close(struct watch_httpd *h, size_t i)
{
	struct conn *c = h->conns[i];

	close(c->fd);
	buf_release(&c->out);
	free(c);
	h->conns[i] = NULL;
}

static void accept_all(struct watch_httpd *h)
{
	for (;;) {
		size_t slot = 0;
		struct conn *c;
		int fd, one = 1;

		while (slot < WATCH_HTTPD_CONNS && h->conns[slot])
			slot++;
		if (slot == WATCH_HTTPD_CONNS)
			return; /* full: the rest wait in the listen queue */
		fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		buf_init(&c->out, 0);
		c->deadline_us = time_mono_us() + REQUEST_MS * 1000LL;
		h->conns[slot] = c;
	}
}

static bool writing(const struct conn *c)
{
	return c->out_off < c->out.len;
}

/* Answers the request whose head is buffered, if there is a whole one. */
static void conn_process(struct watch_httpd *h, struct conn *c)
{
	struct http_req req;
	size_t head;

	if (writing(c) || !c->in_len)
		return;
	head = http_head_length(c->in, c->in_len, &c->scanned);
	if (!head) {
		if (c->in_len == sizeof(c->in))
			answer_error(c, 431);
		return;
	}
	if (http_parse_head(c->in, head, &req) < 0) {
		answer_error(c, req.status ? req.status : 400);
		return;
	}
	answer(h, c, &req);
	memmove(c->in, c->in + head, c->in_len - head);
	c->in_len -= head;
	c->scanned = 0;
	c->deadline_us = time_mono_us() + RESPONSE_MS * 1000LL;
}

/* Reads what arrived. false: close the connection. */
static bool conn_read(struct conn *c)
{
	ssize_t n;

	if (c->in_len == sizeof(c->in))
		return true; /* answered with 431 already */
	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n < 0)
		return true;
	if (c->in_len == 0)
		c->deadline_us = time_mono_us() + REQUEST_MS * 1000LL;
	c->in_len += (size_t)n;
	return true;
}

/* Writes what is pending. false: close the connection. */
static bool conn_write(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
	}
	if (c->close_after)
		return false;
	buf_reset(&c->out);
	c->out_off = 0;
	c->deadline_us = time_mono_us() + (c->in_len ? REQUEST_MS : IDLE_MS) * 1000LL;
	return true;
}

/* One readiness event: read or write, then answer every whole request buffered (several
 * when a client pipelines) while the answers go out at once. false: close it. */
static bool conn_step(struct watch_httpd *h, struct conn *c)
{
	if (writing(c) ? !conn_write(c) : !conn_read(c))
		return false;
	while (!writing(c)) {
		conn_process(h, c);
		if (!writing(c))
			return true; /* no whole request buffered */
		if (!conn_write(c))
			return false;
	}
	return true;
}

static void *serve(void *arg)
{
	struct watch_httpd *h = arg;
	struct pollfd p[WATCH_HTTPD_CONNS + 2];
	size_t ix[WATCH_HTTPD_CONNS];

	for (;;) {
		int64_t now = time_mono_us(), wait_us = IDLE_MS * 1000LL;
		size_t n = 2, nc = 0;

		p[0] = (struct pollfd){.fd = h->wake[0], .events = POLLIN};
		p[1] = (struct pollfd){.fd = h->fd, .events = POLLIN};
		for (size_t i = 0; i < WATCH_HTTPD_CONNS; i++) {
			struct conn *c = h->conns[i];

			if (!c)
				continue;
			if (c->deadline_us <= now) {
				conn_close(h, i);
				continue;
			}
			if (c->deadline_us - now < wait_us)
				wait_us = c->deadline_us - now;
			p[n++] =
			    (struct pollfd){.fd = c->fd, .events = writing(c) ? POLLOUT : POLLIN};
			ix[nc++] = i;
		}
		if (poll(p, n, (int)(wait_us / 1000) + 1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (size_t k = 0; k < nc; k++) {
			if (p[k + 2].revents && !conn_step(h, h->conns[ix[k]]))
				conn_close(h, ix[k]);
		}
		if (p[1].revents & POLLIN)
			accept_all(h);
	}
	for (size_t i = 0; i < WATCH_HTTPD_CONNS; i++)
		if (h->conns[i])
			conn_close(h, i);
	return NULL;
}

/* ---- the server --------------------------------------------------------------------------- */

struct watch_httpd *watch_httpd_start(const char *listen_s, int64_t stale_after_ms, struct err *err)
{
	struct watch_httpd *h = xcalloc(1, sizeof(*h));
	sigset_t all, old;
	int rc;

	h->fd = -1;
	h->wake[0] = h->wake[1] = -1;
	h->stale_after_us = stale_after_ms * 1000LL;
	atomic_store(&h->beat_us, time_mono_us());
	pthread_mutex_init(&h->lock, NULL);
	buf_init(&h->metrics, 0);
	if (listen_on(h, listen_s, err) < 0)
		goto fail;
	if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		err_set(err, ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* signals go to the main thread, which decides what they mean */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		err_set(err, ERR_INTERNAL, "cannot start the HTTP thread: %s", strerror(rc));
		goto fail;
	}
	h->running = true;
	return h;
fail:
	watch_httpd_free(h);
	return NULL;
}

void watch_httpd_free(struct watch_httpd *h)
{
	if (!h)
		return;
	if (h->running) {
		(void)!write(h->wake[1], "x", 1);
		pthread_join(h->thread, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	if (h->wake[0] >= 0) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
	pthread_mutex_destroy(&h->lock);
	buf_release(&h->metrics);
	free(h);
}

const char *watch_httpd_address(const struct watch_httpd *h)
{
	return h->address;
}

void watch_httpd_publish(struct watch_httpd *h, struct buf *b)
{
	struct buf old;

	pthread_mutex_lock(&h->lock);
	old = h->metrics;
	h->metrics = *b;
	pthread_mutex_unlock(&h->lock);
	buf_release(&old);
	buf_init(b, b->limit);
}

void watch_httpd_beat(struct watch_httpd *h)
{
	atomic_store(&h->beat_us, time_mono_us());
}

uint64_t watch_httpd_requests(const struct watch_httpd *h)
{
	return atomic_load(&h->requests);
}
