/* TCP probes: non-blocking connect, success when established, then a reset so thousands
 * of probes leave no TIME_WAIT behind. The reset comes from disconnecting the socket
 * (connect to AF_UNSPEC), which leaves it ready for the next probe. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floater.h"

/* True when the handshake is done; *rtt_us is the handshake RTT the kernel measured,
 * else our own observation. One getsockopt gives both. A server that closes what it
 * accepts (a custom target; a floater never accepts a probe) may have sent its FIN before
 * we look: the handshake was done all the same (CLOSE_WAIT). Before, such a probe waited
 * for an EPOLLOUT that never came again and timed out. */
static bool tcp_established(const struct slot *s, int64_t *rtt_us)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int64_t seen;

	if (getsockopt(s->h.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    (ti.tcpi_state != TCP_ESTABLISHED && ti.tcpi_state != TCP_CLOSE_WAIT))
		return false;
	seen = time_mono_us() - s->sent_us;
	*rtt_us = ti.tcpi_rtt > 0 && ti.tcpi_rtt <= seen ? ti.tcpi_rtt : seen;
	return true;
}

static void tcp_probe_event(struct evh *h, uint32_t events)
{
	struct slot *s = (struct slot *)h;
	int soerr = 0;
	int64_t rtt;
	socklen_t len = sizeof(soerr);

	/* The probe may have ended earlier in this batch of events (its request was
	 * cancelled when the client went away): the event is stale. */
	if (!s->task || h->fd < 0 || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return;
	if (!(events & EPOLLERR) && tcp_established(s, &rtt)) {
		probe_done(s->fl, s, PROBE_OK, rtt);
		return;
	}
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (!soerr)
		soerr = (events & EPOLLHUP) ? ECONNRESET : 0;
	if (!soerr)
		return; /* spurious: still connecting */
	probe_done(s->fl, s, errno_to_probe_error(soerr, PROTO_TCP), 0);
}

static int tcp_socket_get(struct floater *fl, int family)
{
	struct tcp_pool *p = &fl->tcp_pool[family_index(family)];
	/* Reset on close too, in case a socket is closed rather than disconnected. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd;

	if (p->n)
		return p->fd[--p->n];
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return fd;
}

/* Resets the connection (or abandons the attempt) and keeps the socket for reuse. */
static void tcp_socket_put(struct floater *fl, int family, int fd)
{
	struct tcp_pool *p = &fl->tcp_pool[family_index(family)];
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	int soerr;
	socklen_t len = sizeof(soerr);

	/* The pool never outgrows the probes in flight, so descriptors stay within the
	 * limit main() set for them. */
	if (p->n >= fl->nslots || connect(fd, &unspec, sizeof(unspec)) < 0) {
		close(fd);
		return;
	}
	/* Disconnecting leaves ECONNRESET pending; the next probe must not see it. */
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	p->fd = xgrow(p->fd, &p->cap, p->n + 1, sizeof(*p->fd));
	p->fd[p->n++] = fd;
}

void tcp_pool_drain(struct floater *fl)
{
	for (int i = 0; i < 2; i++) {
		struct tcp_pool *p = &fl->tcp_pool[i];

		while (p->n)
			close(p->fd[--p->n]);
		free(p->fd);
		memset(p, 0, sizeof(*p));
	}
}

void tcp_probe_start(struct floater *fl, struct slot *s, struct task *t)
{
	const union sockaddr_any *to = &t->job->req.targets[t->target].addr;
	int64_t rtt;
	int fd, rc;

	fd = tcp_socket_get(fl, to->sa.sa_family);
	if (fd < 0) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	s->h.fd = fd;
	s->h.fn = tcp_probe_event;
	s->polled = false;
	s->sent_us = time_mono_us();
	rc = connect(fd, &to->sa, sockaddr_len(to));
	if (rc == 0) {
		probe_done(fl, s, PROBE_OK, time_mono_us() - s->sent_us);
		return;
	}
	if (errno != EINPROGRESS) {
		probe_done(fl, s, errno_to_probe_error(errno, PROTO_TCP), 0);
		return;
	}
	/* A target on this host (same node, or a namespace next door) has often answered
	 * before connect returns: then one look saves the epoll round. Tried again only
	 * while it keeps paying off for this target. */
	if (!t->tcp_slow) {
		if (tcp_established(s, &rtt)) {
			probe_done(fl, s, PROBE_OK, rtt);
			return;
		}
		t->tcp_slow = true;
	}
	if (loop_add(&fl->loop, &s->h, EPOLLOUT) < 0) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	s->polled = true;
}

void tcp_probe_close(struct floater *fl, struct slot *s)
{
	const struct task *t = s->task;
	int family = t->job->req.targets[t->target].addr.sa.sa_family;

	if (s->polled)
		loop_del(&fl->loop, &s->h);
	s->polled = false;
	tcp_socket_put(fl, family, s->h.fd);
	s->h.fd = -1;
}
