/* The UDP echo responder on the floater port: answers probes that carry our request
 * magic and a tag made with the echo key, from the address they were sent to, within a
 * rate limit per source and one for all. Anything else is dropped without a word. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floater.h"

#define ECHO_BUF       2048
#define ECHO_MAX_DGRAM 65535

static const uint8_t pad_zeros[ECHO_MAX_DGRAM];

static void echo_event(struct evh *h, uint32_t events);

int echo_open(struct floater *fl, struct echo *e, int family, const char *addr, struct err *err)
{
	union sockaddr_any sa;
	int fd, one = 1, big = 4 << 20;

	memset(&sa, 0, sizeof(sa));
	e->h.fd = -1;
	e->fl = fl;
	e->family = family;
	sa.sa.sa_family = (sa_family_t)family;
	sa.v4.sin_port = htons(fl->cfg.port);
	if (addr &&
	    inet_pton(family, addr,
		      family == AF_INET ? (void *)&sa.v4.sin_addr : (void *)&sa.v6.sin6_addr) != 1)
		return err_set(err, ERR_USAGE, "--listen %s: not an IP address", addr);
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return err_set(err, ERR_IO, "UDP socket: %s", strerror(errno));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		int probe = IP_PMTUDISC_PROBE;

		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		/* DF like the request, never fragmented here: also spares the kernel the
		 * shared IP ID generator it needs for every datagram it may fragment. */
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, &sa.sa, sockaddr_len(&sa)) < 0) {
		err_set(err, ERR_IO, "bind UDP port %u: %s", fl->cfg.port, strerror(errno));
		close(fd);
		return -1;
	}
	e->h.fd = fd;
	e->h.fn = echo_event;
	if (loop_add(&fl->loop, &e->h, EPOLLIN) < 0) {
		close(fd);
		e->h.fd = -1;
		return err_set(err, ERR_IO, "epoll_ctl: %s", strerror(errno));
	}
	return 0;
}

void echo_close(struct floater *fl, struct echo *e)
{
	if (e->h.fd < 0)
		return;
	loop_del(&fl->loop, &e->h);
	close(e->h.fd);
	e->h.fd = -1;
}

/* Token bucket: rate per second, one second of burst. */
static bool echo_allow(struct floater *fl)
{
	int64_t now = fl->loop.now;

	if (now > fl->echo_refill_us) {
		fl->echo_tokens += (double)(now - fl->echo_refill_us) * fl->cfg.echo_rate / 1e6;
		if (fl->echo_tokens > fl->cfg.echo_rate)
			fl->echo_tokens = (double)fl->cfg.echo_rate;
		fl->echo_refill_us = now;
	}
	if (fl->echo_tokens < 1.0)
		return false;
	fl->echo_tokens -= 1.0;
	return true;
}

/* The source address as the per-source limit keys it: IPv4 mapped into IPv6. */
static void source_key(const union sockaddr_any *from, uint8_t out[16])
{
	if (from->sa.sa_family == AF_INET6) {
		memcpy(out, &from->v6.sin6_addr, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, &from->v4.sin_addr, 4);
}

/* Whether a received datagram gets an echo; counts why not. */
static bool echo_admit(struct floater *fl, const uint8_t *d, size_t len,
		       const union sockaddr_any *from, uint32_t now_s, const uint8_t **key)
{
	enum echo_verdict v;
	uint8_t src[16];
	uint32_t magic;

	if (len < FL_COOKIE_LEN)
		return false;
	memcpy(&magic, d, sizeof(magic));
	if (magic != FL_MAGIC_UDP_REQ)
		return false; /* not a probe: not ours to count */
	v = echokey_check(&fl->echo_key, d, len, now_s, fl->loop.now, key);
	if (v != ECHO_OK) {
		fl->m.echo_refused[v]++;
		return false;
	}
	/* after the tag: forged datagrams in a prober's name cannot use up its budget */
	source_key(from, src);
	if (!srclimit_allow(&fl->echo_src, src, fl->loop.now)) {
		fl->m.echo_source_limited++;
		return false;
	}
	if (!echo_allow(fl)) {
		fl->m.echo_dropped++;
		return false;
	}
	return true;
}

/* Turns the received packet-info into the reply's source address. */
static size_t reply_control(struct msghdr *in, int family, uint8_t *ctl, size_t ctlsz)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		struct cmsghdr *out = (struct cmsghdr *)ctl;

		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			if (ctlsz < CMSG_SPACE(sizeof(pi)))
				return 0;
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			if (ctlsz < CMSG_SPACE(sizeof(struct in6_pktinfo)))
				return 0;
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(out), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

struct echo_batch {
	uint8_t buf[FL_BATCH][ECHO_BUF];
	uint8_t ctl_in[FL_BATCH][128];
	uint8_t ctl_out[FL_BATCH][64];
	union sockaddr_any from[FL_BATCH];
	struct iovec iov[FL_BATCH];
	struct iovec out_iov[FL_BATCH][2];
	struct mmsghdr in[FL_BATCH];
	struct mmsghdr out[FL_BATCH];
};

static int echo_receive(struct echo *e, struct echo_batch *b)
{
	for (int i = 0; i < FL_BATCH; i++) {
		b->iov[i] = (struct iovec){b->buf[i], ECHO_BUF};
		memset(&b->in[i], 0, sizeof(b->in[i]));
		b->in[i].msg_hdr.msg_name = &b->from[i];
		b->in[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		b->in[i].msg_hdr.msg_iov = &b->iov[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_control = b->ctl_in[i];
		b->in[i].msg_hdr.msg_controllen = sizeof(b->ctl_in[i]);
	}
	/* MSG_TRUNC: msg_len is the real datagram size, so the echo keeps the size even
	 * when only our buffer's worth was read (the rest is zero padding anyway). */
	return recvmmsg(e->h.fd, b->in, FL_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
}

/* Builds the replies for n received datagrams; returns how many to send. */
static unsigned echo_build(struct floater *fl, struct echo *e, struct echo_batch *b, int n)
{
	const uint32_t rep = FL_MAGIC_UDP_REP_NODE;
	uint32_t now_s = echo_clock_s();
	unsigned k = 0;

	for (int i = 0; i < n; i++) {
		size_t len = b->in[i].msg_len, got = len < ECHO_BUF ? len : ECHO_BUF;
		struct msghdr *mh = &b->out[k].msg_hdr;
		const uint8_t *key = NULL;

		if (!echo_admit(fl, b->buf[i], len, &b->from[i], now_s, &key))
			continue;
		/* the echo is the datagram itself, its tag replaced by the proof of which node
		 * answers and its magic changed: never larger */
		echoauth_prove(key, b->buf[i], fl->node_id);
		memcpy(b->buf[i], &rep, sizeof(rep));
		memset(&b->out[k], 0, sizeof(b->out[k]));
		b->out_iov[k][0] = (struct iovec){b->buf[i], got};
		b->out_iov[k][1] = (struct iovec){(void *)pad_zeros, len - got};
		mh->msg_name = &b->from[i];
		mh->msg_namelen = b->in[i].msg_hdr.msg_namelen;
		mh->msg_iov = b->out_iov[k];
		mh->msg_iovlen = len > got ? 2 : 1;
		mh->msg_control = b->ctl_out[k];
		mh->msg_controllen = reply_control(&b->in[i].msg_hdr, e->family, b->ctl_out[k],
						   sizeof(b->ctl_out[k]));
		if (!mh->msg_controllen)
			mh->msg_control = NULL;
		k++;
	}
	return k;
}

static void echo_event(struct evh *h, uint32_t events)
{
	static struct echo_batch b; /* one thread: a static batch keeps the stack small */
	struct echo *e = (struct echo *)h;
	struct floater *fl = e->fl;

	for (int round = 0; round < 16; round++) {
		int n = echo_receive(e, &b);
		unsigned k, sent = 0;

		if (n <= 0)
			return;
		k = echo_build(fl, e, &b, n);
		while (sent < k) {
			int rc = sendmmsg(h->fd, b.out + sent, k - sent, 0);

			if (rc <= 0) {
				sent++; /* skip the one that failed: the prober will time out */
				continue;
			}
			sent += (unsigned)rc;
			fl->m.echo_replies += (unsigned)rc;
		}
		if (n < FL_BATCH)
			return;
	}
}
