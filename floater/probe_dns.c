/* DNS probes (protocol dns): one query for the target's name and type to the target (a DNS
 * server) over UDP, from a socket of its own (connected, so the kernel drops datagrams
 * from anyone else and reports the server's port unreachable); when the answer is
 * truncated, the same query again over TCP (RFC 7766). The answer must carry the query's
 * id and question (dnsmsg.c), anything else is ignored. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "floater.h"

#define DNS_TCP_MAX 65535 /* an answer over TCP: 2 length bytes, then this much at most */

struct dns_probe {
	uint8_t query[2 + DNSMSG_MAX_QUERY]; /* the TCP length prefix, then the query */
	size_t qlen;
	bool tcp;
	bool polled;
	size_t written;	 /* TCP: bytes of prefix + query sent */
	uint8_t *answer; /* TCP: the answer being read (2 + its length bytes) */
	size_t have, need;
};

static uint16_t dns_query_id(struct floater *fl)
{
	/* xorshift32 over the floater's random nonce: ids no off-path sender can count on */
	uint32_t x = fl->dns_id_state ? fl->dns_id_state : fl->nonce | 1;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fl->dns_id_state = x;
	return (uint16_t)(x >> 8);
}

static const uint8_t *qbytes(const struct dns_probe *d)
{
	return d->query + 2;
}

static enum probe_error answer_verdict(const struct probe_dns *q, const struct dnsmsg_answer *a)
{
	switch (a->rcode) {
	case DNSMSG_RCODE_NOERROR:
		break;
	case DNSMSG_RCODE_NXDOMAIN:
		return PROBE_NXDOMAIN;
	case DNSMSG_RCODE_SERVFAIL:
		return PROBE_SERVFAIL;
	case DNSMSG_RCODE_REFUSED:
		return PROBE_DNS_REFUSED;
	default:
		return PROBE_OTHER;
	}
	if (!a->naddrs)
		return PROBE_NO_ANSWER;
	if (!q->expect_len)
		return PROBE_OK;
	for (size_t i = 0; i < a->naddrs; i++)
		if (!memcmp(a->addrs[i], q->expect, q->expect_len))
			return PROBE_OK;
	return PROBE_WRONG_ANSWER;
}

static void dns_finish(struct floater *fl, struct slot *s, const struct dnsmsg_answer *a)
{
	const struct task *t = s->task;
	enum probe_error e = answer_verdict(t->job->req.targets[t->target].dns, a);

	probe_done(fl, s, e, e == PROBE_OK ? time_mono_us() - s->sent_us : 0);
}

static void dns_fd_close(struct floater *fl, struct slot *s)
{
	if (s->dns->polled)
		loop_del(&fl->loop, &s->h);
	s->dns->polled = false;
	if (s->h.fd >= 0)
		close(s->h.fd);
	s->h.fd = -1;
}

static void dns_event(struct evh *h, uint32_t events);

/* The answer was truncated: the query again, over TCP. */
static void dns_tcp_start(struct floater *fl, struct slot *s)
{
	const struct task *t = s->task;
	const union sockaddr_any *to = &t->job->req.targets[t->target].addr;
	struct dns_probe *d = s->dns;

	dns_fd_close(fl, s);
	d->tcp = true;
	s->h.fd = socket(to->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->h.fd < 0) {
		probe_done(fl, s, PROBE_TRUNCATED, 0);
		return;
	}
	if (connect(s->h.fd, &to->sa, sockaddr_len(to)) < 0 && errno != EINPROGRESS) {
		probe_done(fl, s, PROBE_TRUNCATED, 0);
		return;
	}
	if (loop_add(&fl->loop, &s->h, EPOLLOUT | EPOLLIN) < 0) {
		probe_done(fl, s, PROBE_TRUNCATED, 0);
		return;
	}
	d->polled = true;
}

static void dns_udp_read(struct floater *fl, struct slot *s)
{
	struct dns_probe *d = s->dns;
	uint8_t buf[DNSMSG_UDP_MAX * 8];
	struct dnsmsg_answer a;

	for (;;) {
		ssize_t n = recv(s->h.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			probe_done(fl, s, errno_to_probe_error(errno, PROTO_DNS), 0);
			return;
		}
		if (dnsmsg_answer_parse(buf, (size_t)n, qbytes(d), d->qlen, &a) < 0)
			continue; /* not the answer to this query */
		if (a.truncated) {
			dns_tcp_start(fl, s);
			return;
		}
		dns_finish(fl, s, &a);
		return;
	}
}

static void dns_tcp_io(struct floater *fl, struct slot *s, uint32_t events)
{
	struct dns_probe *d = s->dns;
	struct dnsmsg_answer a;
	ssize_t n;

	if (events & EPOLLERR) {
		probe_done(fl, s, PROBE_TRUNCATED, 0);
		return;
	}
	if (d->written < 2 + d->qlen) {
		n = send(s->h.fd, d->query + d->written, 2 + d->qlen - d->written,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != ENOTCONN) {
			probe_done(fl, s, PROBE_TRUNCATED, 0);
			return;
		}
		if (n > 0)
			d->written += (size_t)n;
		if (d->written < 2 + d->qlen)
			return;
		if (loop_mod(&fl->loop, &s->h, EPOLLIN) < 0) {
			probe_done(fl, s, PROBE_TRUNCATED, 0);
			return;
		}
	}
	if (!d->answer) {
		d->answer = xmalloc(2 + DNS_TCP_MAX);
		d->need = 2;
	}
	for (;;) {
		n = recv(s->h.fd, d->answer + d->have, d->need - d->have, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) { /* closed or failed before the whole answer came */
			probe_done(fl, s, PROBE_TRUNCATED, 0);
			return;
		}
		d->have += (size_t)n;
		if (d->have < d->need)
			continue;
		if (d->need == 2) {
			d->need = 2 + (size_t)(d->answer[0] << 8 | d->answer[1]);
			if (d->need > 2)
				continue;
		}
		break;
	}
	if (dnsmsg_answer_parse(d->answer + 2, d->need - 2, qbytes(d), d->qlen, &a) < 0) {
		probe_done(fl, s, PROBE_TRUNCATED, 0);
		return;
	}
	dns_finish(fl, s, &a);
}

static void dns_event(struct evh *h, uint32_t events)
{
	struct slot *s = (struct slot *)h;

	/* The probe may have ended earlier in this batch of events: the event is stale. */
	if (!s->task || !s->dns || h->fd < 0)
		return;
	if (s->dns->tcp)
		dns_tcp_io(s->fl, s, events);
	else
		dns_udp_read(s->fl, s);
}

void dns_probe_start(struct floater *fl, struct slot *s, struct task *t)
{
	const struct probe_target *pt = &t->job->req.targets[t->target];
	const union sockaddr_any *to = &pt->addr;
	struct dns_probe *d;

	if (!pt->dns) { /* request_parse refuses this: a DNS probe needs a name */
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	d = xcalloc(1, sizeof(*d));
	s->dns = d;
	s->h.fn = dns_event;
	d->qlen = dnsmsg_query(d->query + 2, sizeof(d->query) - 2, dns_query_id(fl), pt->dns->name,
			       pt->dns->qtype);
	d->query[0] = (uint8_t)(d->qlen >> 8);
	d->query[1] = (uint8_t)d->qlen;
	s->sent_us = time_mono_us();
	s->h.fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!d->qlen || s->h.fd < 0) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	if (connect(s->h.fd, &to->sa, sockaddr_len(to)) < 0 ||
	    send(s->h.fd, qbytes(d), d->qlen, MSG_DONTWAIT) < 0) {
		probe_done(fl, s, errno_to_probe_error(errno, PROTO_DNS), 0);
		return;
	}
	if (loop_add(&fl->loop, &s->h, EPOLLIN) < 0) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	d->polled = true;
}

bool dns_probe_over_tcp(const struct slot *s)
{
	return s->dns && s->dns->tcp;
}

void dns_probe_close(struct floater *fl, struct slot *s)
{
	dns_fd_close(fl, s);
	free(s->dns->answer);
	free(s->dns);
	s->dns = NULL;
}
