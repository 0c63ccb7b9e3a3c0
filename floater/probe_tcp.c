/* TCP probes: non-blocking connect, success when established, closed with a reset
 * (SO_LINGER 0) so thousands of probes leave no TIME_WAIT behind. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floater.h"

/* True when the handshake is done; *rtt_us is the handshake RTT the kernel measured,
 * else our own observation. One getsockopt gives both. */
static bool tcp_established(const struct slot *s, int64_t *rtt_us)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int64_t seen;

	if (getsockopt(s->h.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    ti.tcpi_state != TCP_ESTABLISHED)
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

	if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
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

void tcp_probe_start(struct floater *fl, struct slot *s, struct task *t)
{
	const union sockaddr_any *to = &t->job->req.targets[t->target].addr;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int64_t rtt;
	int fd, rc;

	fd = socket(to->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	s->h.fd = fd;
	s->h.fn = tcp_probe_event;
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
	if (loop_add(&fl->loop, &s->h, EPOLLOUT) < 0)
		probe_done(fl, s, PROBE_OTHER, 0);
}

void tcp_probe_close(struct floater *fl, struct slot *s)
{
	/* close() drops the epoll registration with the last reference. */
	close(s->h.fd);
	s->h.fd = -1;
}
