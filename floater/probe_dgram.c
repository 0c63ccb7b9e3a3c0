/* ICMP echo (ping sockets, raw fallback) and UDP echo probes: batched with sendmmsg and
 * recvmmsg; ICMP errors read from the socket error queue (IP_RECVERR). */
#include <errno.h>
#include <time.h>

#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floater.h"

#define RX_BUF 192 /* enough for an IPv4 header + ICMP header + our cookie */

/* Payload padding is zeros: probes need no content beyond the cookie. */
static const uint8_t zeros[WIRE_MAX_SIZE];

static int setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* DF on, errors queued: needed to tell "message too long" and "unreachable" apart
 * from silence. */
static void dgram_options(int fd, int family)
{
	if (family == AF_INET) {
		setopt(fd, IPPROTO_IP, IP_RECVERR, 1);
		setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
	} else {
		setopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
		setopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
		setopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1);
	}
	/* Receive times from the kernel: RTTs must not include our own scheduling delay. */
	setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	/* Bursts of a thousand probes: make room, quietly accept what the system allows. */
	if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20) < 0)
		setopt(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
	if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, 4 << 20) < 0)
		setopt(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20);
}

static void psock_event(struct evh *h, uint32_t events);

static int psock_register(struct floater *fl, struct psock *ps, int fd, struct err *err)
{
	ps->h.fd = fd;
	ps->h.fn = psock_event;
	ps->fl = fl;
	if (loop_add(&fl->loop, &ps->h, EPOLLIN) < 0) {
		close(fd);
		ps->h.fd = -1;
		return err_set(err, ERR_IO, "epoll_ctl: %s", strerror(errno));
	}
	return 0;
}

static void icmp_raw_filter(int fd, int family)
{
	if (family == AF_INET) {
		/* Bits set = dropped: keep only echo replies (errors come via IP_RECVERR). */
		struct icmp_filter f = {.data = ~(1u << ICMP_ECHOREPLY)};

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		memset(&f, 0xff, sizeof(f));
		f.data[ICMPV6_ECHO_REPLY >> 5] &= ~(1u << (ICMPV6_ECHO_REPLY & 31));
		setsockopt(fd, IPPROTO_ICMPV6, ICMPV6_FILTER, &f, sizeof(f));
	}
}

int psock_open_icmp(struct floater *fl, struct psock *ps, int family, struct err *err)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd;

	memset(ps, 0, sizeof(*ps));
	ps->h.fd = -1;
	ps->family = family;
	ps->proto = PROTO_ICMP;
	/* Ping sockets need no privilege (net.ipv4.ping_group_range); raw needs NET_RAW. */
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		int ping_errno = errno;

		fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (fd < 0)
			return err_set(
			    err, ERR_IO, "ICMP%s socket: ping socket: %s; raw socket: %s",
			    family == AF_INET ? "v4" : "v6", strerror(ping_errno), strerror(errno));
		ps->raw = true;
		if (getrandom(&ps->ident, sizeof(ps->ident), 0) != sizeof(ps->ident))
			ps->ident = (uint16_t)getpid();
		icmp_raw_filter(fd, family);
	}
	dgram_options(fd, family);
	return psock_register(fl, ps, fd, err);
}

int psock_open_udp(struct floater *fl, struct psock *ps, int family, struct err *err)
{
	int fd;

	memset(ps, 0, sizeof(*ps));
	ps->h.fd = -1;
	ps->family = family;
	ps->proto = PROTO_UDP;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return err_set(err, ERR_IO, "UDP%s socket: %s", family == AF_INET ? "v4" : "v6",
			       strerror(errno));
	if (family == AF_INET6)
		setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	dgram_options(fd, family);
	return psock_register(fl, ps, fd, err);
}

void psock_close(struct floater *fl, struct psock *ps)
{
	if (ps->h.fd < 0)
		return;
	loop_del(&fl->loop, &ps->h);
	close(ps->h.fd);
	ps->h.fd = -1;
}

static uint16_t inet_cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fill_cookie(struct floater *fl, uint8_t *dst, uint32_t magic, struct slot *s)
{
	struct cookie ck = {
	    .magic = magic, .slot = (uint32_t)(s - fl->slots), .gen = s->gen, .nonce = fl->nonce};

	memcpy(dst, &ck, sizeof(ck));
}

void psock_queue(struct floater *fl, struct psock *ps, struct slot *s, struct task *t)
{
	const struct probe_request *req = &t->job->req;
	const uint8_t *key = NULL;
	struct sendq_ent *e;
	size_t payload;

	if (ps->h.fd < 0) {
		probe_done(fl, s, PROBE_OTHER, 0); /* family not available on this node */
		return;
	}
	/* no echo key: no responder would answer, so the probe fails here, not as a timeout */
	if (ps->proto == PROTO_UDP && !(key = echokey_current(&fl->echo_key, fl->loop.now))) {
		probe_done(fl, s, PROBE_OTHER, 0);
		return;
	}
	if (ps->q.n == FL_BATCH)
		psock_flush(fl, ps);
	if (ps->q.n == FL_BATCH) {
		probe_done(fl, s, PROBE_OTHER, 0); /* send buffer full */
		return;
	}
	e = &ps->q.ent[ps->q.n++];
	e->slot = (uint32_t)(s - fl->slots);
	e->gen = s->gen;
	e->to = req->targets[t->target].addr;
	if (ps->proto == PROTO_ICMP)
		e->to.v4.sin_port = 0; /* raw IPv6 sockets take a port as the protocol */
	if (ps->proto == PROTO_UDP) {
		/* the echo header is the least a UDP probe carries, whatever the size asked */
		payload = req->size > ECHO_HDR_LEN ? (size_t)req->size : ECHO_HDR_LEN;
		fill_cookie(fl, e->hdr, FL_MAGIC_UDP_REQ, s);
		echoauth_seal(key, e->hdr, payload, echo_clock_s());
		e->hdrlen = ECHO_HDR_LEN;
		e->padlen = (uint16_t)(payload - ECHO_HDR_LEN);
	} else {
		payload = req->size > FL_COOKIE_LEN ? (size_t)req->size : 56; /* like ping(8) */
		memset(e->hdr, 0, 8);
		e->hdr[0] = ps->family == AF_INET ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
		e->hdr[4] = (uint8_t)(ps->ident >> 8);
		e->hdr[5] = (uint8_t)ps->ident;
		e->hdr[6] = (uint8_t)(ps->seq >> 8);
		e->hdr[7] = (uint8_t)ps->seq;
		ps->seq++;
		fill_cookie(fl, e->hdr + 8, FL_MAGIC_ICMP, s);
		e->hdrlen = 8 + FL_COOKIE_LEN;
		if (ps->raw && ps->family == AF_INET) {
			/* Padding is zeros, so the header alone gives the checksum. */
			uint16_t ck = inet_cksum(e->hdr, e->hdrlen);

			e->hdr[2] = (uint8_t)(ck >> 8);
			e->hdr[3] = (uint8_t)ck;
		}
		e->padlen = (uint16_t)(payload - FL_COOKIE_LEN);
	}
}

/* The probe in queue slot i failed to send with errno e. */
static void send_failed(struct floater *fl, struct psock *ps, struct sendq_ent *ent, int e)
{
	struct slot *s = &fl->slots[ent->slot];

	if (s->task && s->gen == ent->gen)
		probe_done(fl, s, errno_to_probe_error(e, ps->proto), 0);
}

static bool ent_live(struct floater *fl, const struct sendq_ent *e)
{
	const struct slot *s = &fl->slots[e->slot];

	return s->task && s->gen == e->gen;
}

/* Send times of msgs [first, first + n) that one system call sent between t0 and t1 (each
 * clock): spread evenly. A batch takes a while to send (on a veth path the answers even
 * arrive during the call), and a stamp shared by the batch would add that to every
 * RTT, the same for every target in it. */
static void stamp_sent(struct floater *fl, struct sendq_ent **live, unsigned first, unsigned n,
		       const int64_t t0[2], const int64_t t1[2])
{
	for (unsigned k = 0; k < n; k++) {
		struct slot *s = &fl->slots[live[first + k]->slot];

		s->sent_us = t0[0] + (t1[0] - t0[0]) * k / n;
		s->sent_rt_ns = t0[1] + (t1[1] - t0[1]) * k / n;
	}
}

static void clock_pair(int64_t t[2])
{
	t[0] = time_mono_us();
	t[1] = time_real_ns();
}

void psock_flush(struct floater *fl, struct psock *ps)
{
	struct mmsghdr msg[FL_BATCH];
	struct iovec iov[FL_BATCH][2];
	struct sendq_ent *live[FL_BATCH];
	unsigned n = 0, done = 0;
	int64_t t0[2], t1[2];

	for (unsigned i = 0; i < ps->q.n; i++) {
		struct sendq_ent *e = &ps->q.ent[i];

		if (!ent_live(fl, e))
			continue; /* cancelled while queued */
		iov[n][0] = (struct iovec){e->hdr, e->hdrlen};
		iov[n][1] = (struct iovec){(void *)zeros, e->padlen};
		memset(&msg[n], 0, sizeof(msg[n]));
		msg[n].msg_hdr.msg_name = &e->to;
		msg[n].msg_hdr.msg_namelen = sockaddr_len(&e->to);
		msg[n].msg_hdr.msg_iov = iov[n];
		msg[n].msg_hdr.msg_iovlen = e->padlen ? 2 : 1;
		live[n++] = e;
	}
	ps->q.n = 0;
	clock_pair(t0);
	while (done < n) {
		int rc = sendmmsg(ps->h.fd, msg + done, n - done, 0);

		clock_pair(t1);
		if (rc > 0) {
			stamp_sent(fl, live, done, (unsigned)rc, t0, t1);
			done += (unsigned)rc;
			memcpy(t0, t1, sizeof(t0));
			continue;
		}
		if (errno == EINTR)
			continue;
		/* A queued ICMP error may surface here once (sk_err): retry that message
		 * alone before blaming it. */
		if (sendmsg(ps->h.fd, &msg[done].msg_hdr, 0) >= 0) {
			clock_pair(t1);
			stamp_sent(fl, live, done, 1, t0, t1);
			done++;
			memcpy(t0, t1, sizeof(t0));
			continue;
		}
		send_failed(fl, ps, live[done], errno);
		done++;
		clock_pair(t0);
	}
}

/* ---- receiving ---- */

int64_t time_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Kernel receive time (CLOCK_REALTIME ns) of a message, or 0. */
static int64_t rx_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	return 0;
}

/* RTT of a probe answered at rx_rt (kernel stamp) or, without one, now (monotonic). */
/* How early an answer may look and still be ours: a batch's send times are estimates, and
 * an answer that came back while its batch was still being sent (a veth path does that)
 * can look a little early. Further off means the wall clock stepped. */
#define RTT_EARLY_SLACK_NS 10000000

static int64_t probe_rtt(const struct slot *s, int64_t rx_rt, int64_t now)
{
	int64_t seen = now - s->sent_us, d;

	if (!rx_rt)
		return seen;
	d = rx_rt - s->sent_rt_ns;
	if (d < 0 && d > -RTT_EARLY_SLACK_NS)
		return 1; /* answered within the send call: about a microsecond */
	/* A wall-clock step makes the stamp useless: fall back to our own clock. */
	if (d < 0 || d / 1000 > seen)
		return seen;
	return d < 1000 ? 1 : d / 1000;
}

/* An answer counts only when it comes from the address that was probed. */
static bool from_target(const struct slot *s, const union sockaddr_any *from)
{
	const union sockaddr_any *to = &s->task->job->req.targets[s->task->target].addr;

	if (from->sa.sa_family != to->sa.sa_family)
		return false;
	if (to->sa.sa_family == AF_INET)
		return from->v4.sin_addr.s_addr == to->v4.sin_addr.s_addr;
	return !memcmp(&from->v6.sin6_addr, &to->v6.sin6_addr, sizeof(to->v6.sin6_addr));
}

static void icmp_reply(struct floater *fl, struct psock *ps, const uint8_t *p, size_t n,
		       const union sockaddr_any *from, int64_t rx_rt, int64_t now)
{
	struct cookie ck;
	struct slot *s;

	if (ps->raw && ps->family == AF_INET) {
		size_t ihl;

		if (n < 20)
			return;
		ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < 20 || n < ihl)
			return;
		p += ihl;
		n -= ihl;
	}
	if (n < 8 + sizeof(ck))
		return;
	if (p[0] != (ps->family == AF_INET ? ICMP_ECHOREPLY : ICMPV6_ECHO_REPLY) || p[1] != 0)
		return;
	if (ps->raw && (p[4] != (uint8_t)(ps->ident >> 8) || p[5] != (uint8_t)ps->ident))
		return; /* someone else's ping */
	memcpy(&ck, p + 8, sizeof(ck));
	s = slot_from_cookie(fl, &ck, FL_MAGIC_ICMP, PROTO_ICMP);
	if (s && from_target(s, from))
		probe_done(fl, s, PROBE_OK, probe_rtt(s, rx_rt, now));
}

/* Which node an echo proves: the target's when the request named none (nothing to
 * compare), else PROBE_OK only for a proof of that node under our key. An echo without a
 * proof (a floater before node proofs) proves nothing: ignored, so the probe times out. */
static int udp_node_verdict(struct floater *fl, const struct probe_target *tg, const uint8_t *p,
			    size_t n, uint32_t magic)
{
	const struct echo_keys *k = &fl->echo_key;
	bool ok;

	if (!tg->has_node)
		return PROBE_OK;
	if (magic != FL_MAGIC_UDP_REP_NODE || n < ECHO_HDR_LEN)
		return -1;
	ok = k->has_cur && echoauth_proof_ok(k->cur, p, FL_MAGIC_UDP_REQ, tg->node_id);
	ok |= k->has_prev && echoauth_proof_ok(k->prev, p, FL_MAGIC_UDP_REQ, tg->node_id);
	return ok ? PROBE_OK : PROBE_WRONG_NODE;
}

static void udp_reply(struct floater *fl, const uint8_t *p, size_t n,
		      const union sockaddr_any *from, int64_t rx_rt, int64_t now)
{
	struct cookie ck;
	struct slot *s;
	int v;

	if (n < sizeof(ck))
		return;
	memcpy(&ck, p, sizeof(ck));
	s = slot_from_cookie(
	    fl, &ck, ck.magic == FL_MAGIC_UDP_REP_NODE ? FL_MAGIC_UDP_REP_NODE : FL_MAGIC_UDP_REP,
	    PROTO_UDP);
	if (!s || !from_target(s, from))
		return;
	v = udp_node_verdict(fl, &s->task->job->req.targets[s->task->target], p, n, ck.magic);
	if (v == PROBE_OK)
		probe_done(fl, s, PROBE_OK, probe_rtt(s, rx_rt, now));
	else if (v == PROBE_WRONG_NODE)
		probe_done(fl, s, PROBE_WRONG_NODE, 0);
}

static void psock_read(struct floater *fl, struct psock *ps)
{
	uint8_t buf[FL_BATCH][RX_BUF];
	uint64_t ctl[FL_BATCH][8]; /* room for one SCM_TIMESTAMPNS, aligned */
	union sockaddr_any from[FL_BATCH];
	struct iovec iov[FL_BATCH];
	struct mmsghdr msg[FL_BATCH];

	/* Bounded, but generously: answers left queued are lost when the buffer fills.
	 * The loop comes back if more is waiting (level-triggered). */
	for (int round = 0; round < 64; round++) {
		int64_t now;
		int n;

		for (int i = 0; i < FL_BATCH; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msg[i].msg_hdr.msg_control = ctl[i];
			msg[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(ps->h.fd, msg, FL_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0 && errno != EINTR && errno != ECONNREFUSED &&
			    errno != EHOSTUNREACH && errno != ENETUNREACH && errno != EMSGSIZE)
				return;
			continue; /* a pending socket error was reported and cleared */
		}
		now = time_mono_us();
		for (int i = 0; i < n; i++) {
			int64_t rx_rt = rx_stamp(&msg[i].msg_hdr);

			if (ps->proto == PROTO_ICMP)
				icmp_reply(fl, ps, buf[i], msg[i].msg_len, &from[i], rx_rt, now);
			else
				udp_reply(fl, buf[i], msg[i].msg_len, &from[i], rx_rt, now);
		}
		if (n < FL_BATCH)
			return;
	}
}

static const struct sock_extended_err *find_ee(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)CMSG_DATA(c);
	return NULL;
}

/* ICMP errors about our probes: the queued data is the start of the probe we sent. */
static void psock_read_errors(struct floater *fl, struct psock *ps)
{
	for (int i = 0; i < 256; i++) {
		uint8_t data[RX_BUF], ctl[512];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		const struct sock_extended_err *ee;
		size_t off = ps->proto == PROTO_ICMP ? 8 : 0;
		struct cookie ck;
		struct slot *s;
		ssize_t n = recvmsg(ps->h.fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0)
			return;
		ee = find_ee(&mh);
		if (!ee || (size_t)n < off + sizeof(ck))
			continue;
		memcpy(&ck, data + off, sizeof(ck));
		s = slot_from_cookie(
		    fl, &ck, ps->proto == PROTO_ICMP ? FL_MAGIC_ICMP : FL_MAGIC_UDP_REQ, ps->proto);
		if (s)
			probe_done(fl, s, errno_to_probe_error((int)ee->ee_errno, ps->proto), 0);
	}
}

static void psock_event(struct evh *h, uint32_t events)
{
	struct psock *ps = (struct psock *)h;

	if (events & EPOLLERR)
		psock_read_errors(ps->fl, ps);
	if (events & EPOLLIN)
		psock_read(ps->fl, ps);
}
