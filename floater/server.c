/* HTTP/1.1 connections on the floater port: bounded reads, keep-alive, timeouts,
 * chunked NDJSON streaming for probe jobs. A TCP probe from another floater is just a
 * connection that resets at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"

#define CONN_HEAD_TIMEOUT_US  (10 * 1000000LL) /* first byte to complete request */
#define CONN_IDLE_TIMEOUT_US  (60 * 1000000LL) /* keep-alive idle */
#define CONN_STALL_TIMEOUT_US (60 * 1000000LL) /* streaming client not reading */
#define CONN_DRAIN_TIMEOUT_US (2 * 1000000LL)
#define CONN_IN_LIMIT	      (HTTP_MAX_HEAD + WIRE_MAX_BODY + 64 * 1024)
#define CONN_READ_CHUNK	      65536
#define CONN_KEEP_BUF	      (64 * 1024)
/* No further request is started, and nothing more read, while this much of the
 * connection's answers is unread (a client that pipelines and never reads). */
#define CONN_OUT_HIGH  (64 * 1024)
#define CONN_BATCH_US  (20 * 1000) /* a result line waits at most this long for others */
#define CONN_BATCH_MAX (16 * 1024)

static void conn_event(struct evh *h, uint32_t events);
static void conn_timeout(struct timer *t);
static void conn_process(struct conn *c);

static void conn_mark_dirty(struct conn *c)
{
	if (c->dirty || c->closed)
		return;
	c->dirty = true;
	SLIST_INSERT_HEAD(&c->fl->dirty, c, dirty_link);
}

static size_t conn_pending(const struct conn *c)
{
	return c->in.len - c->in_pos;
}

/* ---- the pool of unauthenticated connections ---- */

static bool peer_equal(const union sockaddr_any *a, const union sockaddr_any *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, sizeof(a->v6.sin6_addr));
	return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
}

/* FNV-1a over the address, seeded per process so buckets cannot be aimed at. */
static size_t peer_bucket(const struct floater *fl, const union sockaddr_any *a)
{
	const unsigned char *p = a->sa.sa_family == AF_INET6
				     ? (const unsigned char *)&a->v6.sin6_addr
				     : (const unsigned char *)&a->v4.sin_addr;
	size_t n = a->sa.sa_family == AF_INET6 ? 16 : 4;
	uint32_t h = 2166136261u ^ fl->nonce;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % FL_PEER_BUCKETS;
}

static size_t peer_count(struct floater *fl, const union sockaddr_any *a)
{
	struct conn *c;
	size_t n = 0;

	LIST_FOREACH(c, &fl->peers[peer_bucket(fl, a)], peer_link)
	if (peer_equal(&c->peer, a))
		n++;
	return n;
}

static void unauth_remove(struct conn *c)
{
	TAILQ_REMOVE(&c->fl->unauth, c, unauth_link);
	LIST_REMOVE(c, peer_link);
	c->fl->nunauth--;
}

void conn_authenticated(struct conn *c)
{
	c->req_authed = true;
	if (c->authed)
		return;
	c->authed = true;
	unauth_remove(c);
}

void conn_close(struct conn *c)
{
	struct floater *fl = c->fl;

	if (c->closed)
		return;
	c->closed = true;
	if (c->job) {
		log_debug("client went away: cancelling probe request %s", c->job->req.id);
		engine_job_cancel(c->job);
		c->job = NULL;
	}
	timer_cancel(&fl->loop, &c->timer);
	timer_cancel(&fl->loop, &c->batch);
	LIST_REMOVE(c, link);
	if (!c->authed)
		unauth_remove(c);
	fl->body_bytes -= c->body_reserved;
	c->body_reserved = 0;
	close(c->h.fd);
	c->h.fd = -1;
	fl->nconns--;
	/* Freed after this iteration: the dirty list may still point at it. */
	SLIST_INSERT_HEAD(&fl->dead, c, dead_link);
}

static void conn_free(struct conn *c)
{
	buf_release(&c->in);
	buf_release(&c->out);
	buf_release(&c->pend);
	free(c);
}

size_t conn_backlog(const struct conn *c)
{
	return c ? c->out.len + c->pend.len : 0;
}

static void conn_arm(struct conn *c, int64_t after_us)
{
	timer_arm(&c->fl->loop, &c->timer, c->fl->loop.now + after_us);
}

void conn_send(struct conn *c, const void *data, size_t len)
{
	if (buf_append(&c->out, data, len) < 0) {
		conn_close(c); /* cannot happen with an unlimited out buffer; be safe */
		return;
	}
	conn_mark_dirty(c);
}

/* Result lines share chunks: they wait up to CONN_BATCH_US (or until CONN_BATCH_MAX bytes
 * wait) and go out as one chunk, so a thousand results finishing within a few milliseconds
 * cost the connection, and the API server's proxy in front of it, a few writes, not a
 * thousand (docs/performance.md). */
static void conn_batch_out(struct conn *c)
{
	timer_cancel(&c->fl->loop, &c->batch);
	if (!c->pend.len)
		return;
	(void)!buf_printf(&c->out, "%zx\r\n", c->pend.len);
	(void)!buf_append(&c->out, c->pend.data, c->pend.len);
	(void)!buf_append(&c->out, "\r\n", 2);
	buf_reset(&c->pend);
	conn_mark_dirty(c);
}

static void conn_batch_due(struct timer *t)
{
	conn_batch_out((struct conn *)((char *)t - offsetof(struct conn, batch)));
}

void conn_stream_line(struct conn *c, const char *line, size_t len)
{
	if (!c || c->closed)
		return;
	(void)!buf_append(&c->pend, line, len);
	if (c->pend.len >= CONN_BATCH_MAX)
		conn_batch_out(c);
	else if (!timer_armed(&c->batch))
		timer_arm(&c->fl->loop, &c->batch, c->fl->loop.now + CONN_BATCH_US);
}

void conn_stream_end(struct conn *c)
{
	if (!c || c->closed)
		return;
	conn_batch_out(c);
	(void)!buf_append(&c->out, "0\r\n\r\n", 5);
	c->job = NULL;
	c->state = CONN_READ_HEAD;
	conn_arm(c, conn_pending(c) ? CONN_HEAD_TIMEOUT_US : CONN_IDLE_TIMEOUT_US);
	conn_mark_dirty(c);
	/* A pipelined request may already be waiting. */
	if (!c->close_after)
		c->reprocess = true;
}

/* How many more bytes to read now: none while the client leaves its answers unread, a
 * head's worth while a head (or the next pipelined one) is awaited, the announced body
 * once its head carried the token. */
static size_t conn_in_room(const struct conn *c)
{
	size_t pending = conn_pending(c), want;

	if (c->closed)
		return 0;
	if (c->state == CONN_DRAIN || c->close_after)
		return CONN_READ_CHUNK; /* read and discarded */
	if (c->out.len >= CONN_OUT_HIGH)
		return 0;
	if (c->state != CONN_READ_BODY)
		want = HTTP_MAX_HEAD;
	else if (c->req.chunked)
		want = c->req.head_len + WIRE_MAX_BODY + 2 * HTTP_MAX_CHUNK_LINE + 4;
	else
		want = c->req.head_len + (size_t)c->req.content_length;
	return pending < want ? want - pending : 0;
}

/* Level-triggered epoll: input interest only while there is room for it, or the loop
 * would spin on a client we are not reading from. */
static void conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (c->closed)
		return;
	if (conn_in_room(c))
		ev |= EPOLLIN | EPOLLRDHUP;
	if (c->want_out)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	c->events = ev;
	loop_mod(&c->fl->loop, &c->h, ev);
}

/* Writes what is pending; returns -1 when the connection was closed. */
static int conn_flush(struct conn *c)
{
	while (c->out.len) {
		ssize_t n = write(c->h.fd, c->out.data, c->out.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->want_out = true;
			return 0;
		}
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
		if (c->state == CONN_STREAMING)
			conn_arm(c, CONN_STALL_TIMEOUT_US);
	}
	c->want_out = false;
	if (c->out.cap > CONN_KEEP_BUF)
		buf_release(&c->out);
	if (c->close_after && !c->job && c->state != CONN_DRAIN) {
		/* Half-close and drain: closing with unread input would reset the connection
		 * and the peer could lose the answer (a 413 sent before the body arrived). */
		shutdown(c->h.fd, SHUT_WR);
		c->state = CONN_DRAIN;
		c->in_pos = 0;
		buf_release(&c->in);
		conn_arm(c, CONN_DRAIN_TIMEOUT_US);
	} else if (c->paused) {
		/* Pipelined requests held back while the answers were unread. */
		c->paused = false;
		c->reprocess = true;
		conn_mark_dirty(c);
	}
	return 0;
}

void server_after(struct floater *fl)
{
	while (!SLIST_EMPTY(&fl->dirty)) {
		struct conn *c = SLIST_FIRST(&fl->dirty);

		SLIST_REMOVE_HEAD(&fl->dirty, dirty_link);
		c->dirty = false;
		if (c->closed)
			continue;
		if (c->reprocess) {
			c->reprocess = false;
			conn_process(c);
			if (c->closed)
				continue;
		}
		if (conn_flush(c) == 0)
			conn_update_events(c);
	}
	while (!SLIST_EMPTY(&fl->dead)) {
		struct conn *c = SLIST_FIRST(&fl->dead);

		SLIST_REMOVE_HEAD(&fl->dead, dead_link);
		conn_free(c);
	}
}

/* ---- reading and request framing ---- */

static void conn_body_release(struct conn *c)
{
	c->fl->body_bytes -= c->body_reserved;
	c->body_reserved = 0;
}

static void conn_finish_request(struct conn *c, size_t used)
{
	/* Consumed by moving the start, not the bytes: pipelined requests cost no copy. */
	c->in_pos += used;
	c->head_scan = 0;
	c->req_authed = false;
	if (c->in_pos >= c->in.len) {
		c->in_pos = 0;
		buf_reset(&c->in);
		/* Give a large request's memory back while its probes run. */
		if (c->in.cap > CONN_KEEP_BUF)
			buf_release(&c->in);
	}
	conn_body_release(c);
	if (!c->req.keep_alive)
		c->close_after = true;
	if (c->state != CONN_STREAMING) {
		c->state = CONN_READ_HEAD;
		conn_arm(c, conn_pending(c) ? CONN_HEAD_TIMEOUT_US : CONN_IDLE_TIMEOUT_US);
	}
}

/* 1 when the body is complete (*body, *len point at it, in c->in: a chunked body is
 * decoded in place), 0 when more is needed, -1 answered. */
static int conn_take_body(struct conn *c, size_t *used, const char **body, size_t *len)
{
	char *start = c->in.data + c->in_pos + c->req.head_len;
	size_t avail = conn_pending(c) - c->req.head_len, raw;
	struct http_chunked *ch = &c->chunked;
	int rc, status;

	if (!c->req.chunked) {
		*body = start;
		*len = c->req.content_length > 0 ? (size_t)c->req.content_length : 0;
		if (avail < *len)
			return 0;
		*used = c->req.head_len + *len; /* parsed in place: no copy of a 1 MiB body */
		return 1;
	}
	rc = http_chunked_decode(ch, start, avail, WIRE_MAX_BODY, &status);
	if (rc < 0) {
		c->close_after = true;
		conn_respond_error(
		    c, status, status == 413 ? "body too large" : "malformed chunked body", NULL);
		return -1;
	}
	if (rc == 0) {
		/* The undecoded rest (a part of a chunk-size line at most) moves down next
		 * to the body, so chunk framing takes no memory. */
		raw = avail - ch->in;
		memmove(start + ch->out, start + ch->in, raw);
		c->in.len -= ch->in - ch->out;
		c->in.data[c->in.len] = '\0';
		ch->in = ch->out;
		return 0;
	}
	*used = c->req.head_len + ch->in;
	*body = start;
	*len = ch->out;
	return 1;
}

/* The body's memory, counted against FL_BODY_BUDGET before a byte of it is read. */
static int conn_body_reserve(struct conn *c)
{
	struct floater *fl = c->fl;
	size_t need = c->req.chunked
			  ? WIRE_MAX_BODY
			  : (size_t)(c->req.content_length > 0 ? c->req.content_length : 0);

	if (need > FL_BODY_BUDGET - fl->body_bytes) {
		c->close_after = true;
		conn_respond_error(c, 429, "too many request bodies at once", NULL);
		return -1;
	}
	fl->body_bytes += need;
	c->body_reserved = need;
	return 0;
}

static int conn_read_head(struct conn *c)
{
	const char *p = c->in.data + c->in_pos;
	size_t pending = conn_pending(c), head = http_head_length(p, pending, &c->head_scan);
	char msg[64];
	int rc;

	if (!head && pending < HTTP_MAX_HEAD)
		return 0;
	rc = http_parse_head(p, head ? head : pending, &c->req);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		c->close_after = true;
		conn_respond_error(c, c->req.status, http_reason(c->req.status), NULL);
		return -1;
	}
	c->fl->m.requests++;
	if (api_admit(c->fl, c, &c->req) < 0)
		return -1;
	if (c->req.content_length > WIRE_MAX_BODY) {
		c->close_after = true;
		snprintf(msg, sizeof(msg), "body larger than %d bytes", WIRE_MAX_BODY);
		conn_respond_error(c, 413, msg, NULL);
		return -1;
	}
	if ((c->req.chunked || c->req.content_length > 0) && conn_body_reserve(c) < 0)
		return -1;
	c->state = CONN_READ_BODY;
	c->continued = false;
	http_chunked_init(&c->chunked);
	return 1;
}

static void conn_process(struct conn *c)
{
	size_t used = 0, len = 0;
	const char *body = NULL;
	int rc;

	/* Every pipelined request is answered: the input is at most a head's worth beyond
	 * the request at hand, and the loop pauses while answers pile up unread
	 * (conn_flush resumes it). */
	while (!c->closed && !c->close_after && c->state < CONN_STREAMING) {
		if (c->out.len >= CONN_OUT_HIGH) {
			c->paused = true;
			return;
		}
		if (c->state == CONN_READ_HEAD) {
			if (!conn_pending(c))
				return;
			rc = conn_read_head(c);
			if (rc <= 0)
				return;
		}
		rc = conn_take_body(c, &used, &body, &len);
		if (rc < 0)
			return;
		if (rc == 0) {
			if (c->req.expect_continue && !c->continued) {
				c->continued = true;
				conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			return;
		}
		api_dispatch(c->fl, c, &c->req, body, len);
		if (c->closed)
			return;
		conn_finish_request(c, used);
	}
}

/* Appends read bytes; the consumed start is dropped only when the buffer would grow. */
static int conn_in_append(struct conn *c, const char *data, size_t n)
{
	if (c->in_pos && c->in.len + n + 1 > c->in.cap) {
		memmove(c->in.data, c->in.data + c->in_pos, conn_pending(c));
		c->in.len -= c->in_pos;
		c->in_pos = 0;
	}
	return buf_append(&c->in, data, n);
}

static void conn_read(struct conn *c)
{
	char tmp[CONN_READ_CHUNK];

	for (int i = 0; i < 4; i++) {
		size_t room = conn_in_room(c);
		ssize_t n;

		if (!room)
			break;
		n = read(c->h.fd, tmp, room < sizeof(tmp) ? room : sizeof(tmp));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			conn_close(c); /* EOF or reset; a running job is cancelled */
			return;
		}
		if (c->state == CONN_DRAIN || c->close_after)
			continue; /* answered already; ignore what follows */
		if (c->state == CONN_READ_HEAD && !conn_pending(c))
			conn_arm(c, CONN_HEAD_TIMEOUT_US);
		if (conn_in_append(c, tmp, (size_t)n) < 0) {
			c->close_after = true;
			conn_respond_error(c, 413, "request too large", NULL);
			return;
		}
	}
	conn_process(c);
}

static void conn_event(struct evh *h, uint32_t events)
{
	struct conn *c = (struct conn *)h;

	if (c->closed)
		return;
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(c); /* reset or gone both ways; a running job is cancelled */
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP))
		conn_read(c);
	if (!c->closed && (events & EPOLLOUT))
		conn_mark_dirty(c);
	conn_update_events(c);
}

static void conn_timeout(struct timer *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));

	if (c->state == CONN_STREAMING && !c->out.len) {
		conn_arm(c, CONN_STALL_TIMEOUT_US); /* job running, client keeping up */
		return;
	}
	log_debug("closing idle or stalled connection");
	conn_close(c);
}

/* ---- listening ---- */

/* Limits settled once a new connection's first bytes were read (TCP_DEFER_ACCEPT: its
 * whole head, as a rule), so a request with the token always gets in: an
 * unauthenticated newcomer is refused when its source already holds its share, and the
 * oldest unauthenticated connections make room when the floater is full or only the
 * reserved slots are left. */
static void conn_settle(struct floater *fl, struct conn *c)
{
	struct conn *old;

	if (c->closed)
		return;
	if (!c->authed && !c->close_after && peer_count(fl, &c->peer) > FL_MAX_PEER_CONNS) {
		fl->m.conns_refused++;
		conn_close(c);
		return;
	}
	while (fl->nconns > FL_MAX_CONNS || fl->nunauth > FL_MAX_CONNS - FL_RESERVED_CONNS) {
		old = TAILQ_FIRST(&fl->unauth);
		if (old == c) {
			fl->m.conns_refused++;
			conn_close(c);
			return;
		}
		log_debug("connection limit: closing the oldest unauthenticated connection");
		fl->m.conns_evicted++;
		conn_close(old);
	}
}

static void conn_accept_one(struct floater *fl, int fd, const union sockaddr_any *peer)
{
	struct conn *c;
	int one = 1;

	if (fl->nconns >= FL_MAX_CONNS && TAILQ_EMPTY(&fl->unauth)) {
		fl->m.conns_refused++; /* every slot holds an authenticated connection */
		close(fd);
		return;
	}
	/* Each response leaves in one segment without waiting for delayed ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->fl = fl;
	c->h.fd = fd;
	c->h.fn = conn_event;
	c->timer.fn = conn_timeout;
	c->batch.fn = conn_batch_due;
	c->peer = *peer;
	buf_init(&c->in, CONN_IN_LIMIT);
	buf_init(&c->out, 0); /* bounded by CONN_OUT_HIGH and the engine's backlog check */
	buf_init(&c->pend, 0);
	c->state = CONN_READ_HEAD;
	c->events = EPOLLIN | EPOLLRDHUP;
	if (loop_add(&fl->loop, &c->h, c->events) < 0) {
		close(fd);
		conn_free(c);
		return;
	}
	fl->nconns++;
	LIST_INSERT_HEAD(&fl->conns, c, link);
	TAILQ_INSERT_TAIL(&fl->unauth, c, unauth_link);
	LIST_INSERT_HEAD(&fl->peers[peer_bucket(fl, peer)], c, peer_link);
	fl->nunauth++;
	conn_arm(c, CONN_HEAD_TIMEOUT_US);
	conn_read(c);
	conn_settle(fl, c);
	conn_update_events(c);
}

static void listener_resume(struct timer *t)
{
	struct listener *l = (struct listener *)((char *)t - offsetof(struct listener, resume));

	loop_mod(&l->fl->loop, &l->h, EPOLLIN);
}

static void accept_event(struct evh *h, uint32_t events)
{
	struct listener *l = (struct listener *)h;

	for (int i = 0; i < 64; i++) {
		union sockaddr_any peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(h->fd, &peer.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_accept_one(l->fl, fd, &peer);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* The pending connection stays readable: pause instead of spinning. */
			log_warn("accept: %s; pausing for 100 ms", strerror(errno));
			loop_mod(&l->fl->loop, &l->h, 0);
			l->resume.fn = listener_resume;
			timer_arm(&l->fl->loop, &l->resume, l->fl->loop.now + 100000);
		}
		return;
	}
}

static int listen_one(struct floater *fl, struct listener *l, int family, const char *addr,
		      struct err *err)
{
	union sockaddr_any sa;
	int fd, one = 1, defer_s = CONN_HEAD_TIMEOUT_US / 1000000;

	memset(&sa, 0, sizeof(sa));
	sa.sa.sa_family = (sa_family_t)family;
	sa.v4.sin_port = htons(fl->cfg.port);
	if (addr &&
	    inet_pton(family, addr,
		      family == AF_INET ? (void *)&sa.v4.sin_addr : (void *)&sa.v6.sin6_addr) != 1)
		return err_set(err, ERR_USAGE, "--listen %s: not an IP address", addr);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, ERR_IO, "TCP socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* A TCP probe from another floater completes the handshake and resets without
	 * sending a byte: the kernel answers it and never hands it to us, so probes cost
	 * no accept, descriptor or wakeup here. HTTP clients send at once and are accepted
	 * as usual; a silent one is accepted when this many seconds have passed. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s));
	if (bind(fd, &sa.sa, sockaddr_len(&sa)) < 0 || listen(fd, 4096) < 0) {
		err_set(err, ERR_IO, "listen on TCP port %u: %s", fl->cfg.port, strerror(errno));
		close(fd);
		return -1;
	}
	l->fl = fl;
	l->h.fd = fd;
	l->h.fn = accept_event;
	if (loop_add(&fl->loop, &l->h, EPOLLIN) < 0) {
		close(fd);
		l->h.fd = -1;
		return err_set(err, ERR_IO, "epoll_ctl: %s", strerror(errno));
	}
	return 0;
}

int server_listen(struct floater *fl, struct err *err)
{
	LIST_INIT(&fl->conns);
	TAILQ_INIT(&fl->unauth);
	for (size_t i = 0; i < FL_PEER_BUCKETS; i++)
		LIST_INIT(&fl->peers[i]);
	SLIST_INIT(&fl->dirty);
	SLIST_INIT(&fl->dead);
	fl->listen[0].h.fd = fl->listen[1].h.fd = -1;
	fl->echo[0].h.fd = fl->echo[1].h.fd = -1;
	if (fl->cfg.listen) {
		struct in6_addr a6;
		int family = inet_pton(AF_INET6, fl->cfg.listen, &a6) == 1 ? AF_INET6 : AF_INET;
		int i = family_index(family);

		if (listen_one(fl, &fl->listen[i], family, fl->cfg.listen, err) < 0)
			return -1;
		return echo_open(fl, &fl->echo[i], family, fl->cfg.listen, err);
	}
	if (listen_one(fl, &fl->listen[0], AF_INET, NULL, err) < 0 ||
	    echo_open(fl, &fl->echo[0], AF_INET, NULL, err) < 0)
		return -1;
	/* IPv6 may be disabled on a node: then the floater serves IPv4 only. */
	if (listen_one(fl, &fl->listen[1], AF_INET6, NULL, err) < 0 ||
	    echo_open(fl, &fl->echo[1], AF_INET6, NULL, err) < 0) {
		log_warn("no IPv6: %s", err->msg);
		err_clear(err);
	}
	return 0;
}

void server_close(struct floater *fl)
{
	while (!LIST_EMPTY(&fl->conns))
		conn_close(LIST_FIRST(&fl->conns));
	for (int i = 0; i < 2; i++) {
		timer_cancel(&fl->loop, &fl->listen[i].resume);
		if (fl->listen[i].h.fd >= 0) {
			loop_del(&fl->loop, &fl->listen[i].h);
			close(fl->listen[i].h.fd);
			fl->listen[i].h.fd = -1;
		}
		echo_close(fl, &fl->echo[i]);
	}
}
