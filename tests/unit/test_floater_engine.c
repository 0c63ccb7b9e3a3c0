/* floater engine: what a probe request gets back from targets on loopback (a listener, a
 * closed port, the UDP echo, a port that never answers), how probes are spaced, the
 * in-flight cap, a small request next to a big one, cancellation, a client that does not
 * read. Real sockets, loopback only; no root needed (no ICMP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floater_fixture.h"

/* A probe request body under construction: targets get refs 0, 1, 2... */
struct body {
	struct buf targets;
	int n;
};

static void target(struct body *b, const char *ip, uint16_t port)
{
	if (!b->n)
		buf_init(&b->targets, 0);
	if (buf_printf(&b->targets, "%s{\"ip\":\"%s\",\"port\":%u,\"ref\":%d}", b->n ? "," : "", ip,
		       port, b->n) < 0)
		fail();
	b->n++;
}

static char *body_end(struct body *b, const char *id, const char *protocols, int count,
		      int interval_ms, int timeout_ms)
{
	char *s = xasprintf("{\"id\":\"%s\",\"targets\":[%s],\"protocols\":[%s],\"count\":%d,"
			    "\"interval_ms\":%d,\"timeout_ms\":%d}",
			    id, b->targets.data, protocols, count, interval_ms, timeout_ms);

	buf_release(&b->targets);
	b->n = 0;
	return s;
}

static struct job *post(struct flx *x, struct conn *c, char *body)
{
	struct job *job = flx_probe(x, c, body);

	if (!job)
		fail_msg("probe request refused (%d): %s", flx_status(c), c->out.data);
	assert_int_equal(flx_status(c), 200);
	free(body);
	return job;
}

static void assert_result(const struct conn *c, int64_t ref, const char *protocol,
			  const char *error, int64_t sent, int64_t received)
{
	struct flx_line l = flx_result(c, ref, protocol);

	assert_string_equal(l.error, error);
	assert_int_equal(l.sent, sent);
	assert_int_equal(l.received, received);
	if (received)
		assert_true(l.rtt_avg_us > 0);
}

/* Nothing left behind: no probe, task or job, no timer, no slot taken. */
static void assert_idle(struct flx *x)
{
	assert_int_equal(x->fl.njobs, 0);
	assert_int_equal(x->fl.inflight, 0);
	assert_int_equal(x->fl.active_tasks, 0);
	assert_true(TAILQ_EMPTY(&x->fl.waiting));
	assert_int_equal(x->fl.loop.n, 0);
}

static void test_tcp_answered_and_refused(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};
	struct flx_line done;

	flx_start(x, 64);
	c = flx_conn(x);
	target(&b, "127.0.0.1", flx_tcp_listener(x, AF_INET));
	target(&b, "127.0.0.1", flx_tcp_closed(x, AF_INET));
	target(&b, "::1", flx_tcp_listener(x, AF_INET6));
	target(&b, "::1", flx_tcp_closed(x, AF_INET6));
	post(x, c, body_end(&b, "tcp-1", "\"tcp\"", 3, 20, 1000));
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_result(c, 0, "tcp", "ok", 3, 3);
	assert_result(c, 1, "tcp", "refused", 3, 0);
	assert_result(c, 2, "tcp", "ok", 3, 3);
	assert_result(c, 3, "tcp", "refused", 3, 0);
	done = flx_final(c);
	assert_string_equal(done.id, "tcp-1");
	assert_int_equal(done.results, 4);
	assert_int_equal(x->fl.m.sent[PROTO_TCP], 12);
	assert_int_equal(x->fl.m.received[PROTO_TCP], 6);
	assert_idle(x);
}

/* A server that closes every connection it accepts (a custom target can be one): its FIN
 * may come before the prober looks at the socket. The handshake was done: ok, not the
 * timeout the prober gave before it took CLOSE_WAIT for established. */
struct closer {
	int fd;
	volatile bool stop;
};

static void *closer_run(void *arg)
{
	struct closer *cl = arg;

	while (!cl->stop) {
		struct pollfd p = {.fd = cl->fd, .events = POLLIN};

		if (poll(&p, 1, 50) == 1) {
			int c = accept(cl->fd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}
	return NULL;
}

static void test_tcp_to_a_server_that_closes_at_once(void **state)
{
	struct flx *x = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct closer cl = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
	struct conn *c;
	pthread_t th;

	assert_true(cl.fd >= 0);
	assert_int_equal(bind(cl.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(cl.fd, 128), 0);
	assert_int_equal(getsockname(cl.fd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(pthread_create(&th, NULL, closer_run, &cl), 0);
	flx_start(x, 64);
	c = flx_conn(x);
	/* not the floater's port: the request lists it */
	post(x, c,
	     xasprintf("{\"id\":\"closer\",\"ports\":[%u],\"targets\":[{\"ip\":\"127.0.0.1\","
		       "\"port\":%u,\"ref\":0}],\"protocols\":[\"tcp\"],\"count\":40,"
		       "\"interval_ms\":2,\"timeout_ms\":1000}",
		       ntohs(a.sin_port), ntohs(a.sin_port)));
	assert_true(flx_run_until_done(x, &c, 1, 10000));
	assert_result(c, 0, "tcp", "ok", 40, 40);
	cl.stop = true;
	pthread_join(th, NULL);
	close(cl.fd);
	assert_idle(x);
}

static void test_udp_echoed_refused_and_timed_out(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};
	struct flx_line done;

	flx_start(x, 64);
	c = flx_conn(x);
	target(&b, "127.0.0.1", x->fl.cfg.port);	     /* the UDP echo */
	target(&b, "127.0.0.1", flx_tcp_closed(x, AF_INET)); /* no UDP socket there */
	target(&b, "::1", flx_tcp_closed(x, AF_INET6));
	target(&b, "127.0.0.1", flx_udp_silent(x, AF_INET)); /* reads nothing, answers nothing */
	post(x, c, body_end(&b, "udp-1", "\"udp\"", 2, 20, 300));
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_result(c, 0, "udp", "ok", 2, 2);
	assert_result(c, 1, "udp", "refused", 2, 0);
	assert_result(c, 2, "udp", "refused", 2, 0);
	assert_result(c, 3, "udp", "timeout", 2, 0);
	done = flx_final(c);
	assert_int_equal(done.results, 4);
	assert_true(done.elapsed_ms >= 300); /* the silent target had its full timeout */
	assert_true(x->fl.m.echo_replies >= 2);
	assert_idle(x);
}

/* The echo answers a datagram tagged with its key, at the datagram's own size, and
 * nothing else that carries the magic: the old untagged format, another key. */
static void test_udp_echo_only_with_the_key(void **state)
{
	static const uint8_t other[SIPHASH_KEY_LEN] = {9};
	struct flx *x = *state;
	uint8_t key[SIPHASH_KEY_LEN], d[3][64], got[128];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	uint32_t magic = FL_MAGIC_UDP_REQ;
	int fd, n = 0;

	flx_start(x, 8);
	assert_int_equal(echoauth_key_parse(FLX_ECHO_KEY, strlen(FLX_ECHO_KEY), key), 0);
	to.sin_port = htons(x->fl.cfg.port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 3; i++)
		memcpy(d[i], &magic, sizeof(magic));
	echoauth_seal(other, d[1], sizeof(d[1]), echo_clock_s());
	echoauth_seal(key, d[2], sizeof(d[2]), echo_clock_s());
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    sendto(fd, d[i], sizeof(d[i]), 0, (struct sockaddr *)&to, sizeof(to)),
		    (ssize_t)sizeof(d[i]));
	flx_run_for(x, 100);
	for (ssize_t r; (r = recv(fd, got, sizeof(got), 0)) >= 0; n++) {
		uint32_t rep;

		assert_int_equal(r, sizeof(d[2]));
		memcpy(&rep, got, sizeof(rep));
		assert_int_equal(rep, FL_MAGIC_UDP_REP_NODE);
		/* the prober's cookie and clock as sent; the tag replaced by the node proof */
		assert_memory_equal(got + 4, d[2] + 4, ECHO_TAG_OFF - 4);
		assert_true(
		    echoauth_proof_ok(key, got, FL_MAGIC_UDP_REQ, echoauth_node_id(FLX_NODE)));
		assert_false(
		    echoauth_proof_ok(key, got, FL_MAGIC_UDP_REQ, echoauth_node_id("other")));
		assert_false(
		    echoauth_proof_ok(other, got, FL_MAGIC_UDP_REQ, echoauth_node_id(FLX_NODE)));
		assert_memory_equal(got + ECHO_HDR_LEN, d[2] + ECHO_HDR_LEN,
				    sizeof(d[2]) - ECHO_HDR_LEN);
	}
	assert_int_equal(n, 1);
	assert_int_equal(x->fl.m.echo_refused[ECHO_BAD_MAC], 2);
	assert_int_equal(x->fl.m.echo_replies, 1);
	close(fd);
}

/* A target that names its node counts an echo only when it proves that node: the
 * fixture's floater answers as FLX_NODE, so a target expecting another node gets
 * wrong-node (an address that answers for the wrong node: overlapping pod CIDRs), one that
 * names none is answered as before, and a malformed node id is a 400. */
static void test_udp_echo_proves_the_node(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	unsigned long long right = echoauth_node_id(FLX_NODE),
			   wrong = echoauth_node_id("west-node-2");

	flx_start(x, 64);
	c = flx_conn(x);
	post(x, c,
	     xasprintf("{\"id\":\"node\",\"targets\":[{\"ip\":\"127.0.0.1\",\"port\":%u,"
		       "\"node\":\"%016llx\",\"ref\":0},{\"ip\":\"127.0.0.1\",\"port\":%u,"
		       "\"node\":\"%016llx\",\"ref\":1},{\"ip\":\"127.0.0.1\",\"port\":%u,"
		       "\"ref\":2}],\"protocols\":[\"udp\"],\"count\":3,\"interval_ms\":5,"
		       "\"timeout_ms\":500}",
		       x->fl.cfg.port, right, x->fl.cfg.port, wrong, x->fl.cfg.port));
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_result(c, 0, "udp", "ok", 3, 3);
	assert_result(c, 1, "udp", "wrong-node", 3, 0);
	assert_result(c, 2, "udp", "ok", 3, 3);
	assert_idle(x);
}

/* Both protocols for each target: one line per target and protocol. */
static void test_one_line_per_target_and_protocol(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};
	struct flx_line l[FLX_MAX_LINES];

	flx_start(x, 64);
	c = flx_conn(x);
	target(&b, "127.0.0.1", x->fl.cfg.port);
	target(&b, "127.0.0.1", flx_tcp_listener(x, AF_INET));
	post(x, c, body_end(&b, "both", "\"udp\",\"tcp\"", 1, 0, 500));
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_int_equal(flx_lines(c, l, FLX_MAX_LINES), 5);
	assert_result(c, 0, "udp", "ok", 1, 1);
	assert_result(c, 0, "tcp", "refused", 1, 0); /* the echo port has no TCP listener */
	assert_result(c, 1, "udp", "refused", 1, 0);
	assert_result(c, 1, "tcp", "ok", 1, 1);
	assert_int_equal(flx_final(c).results, 4);
}

/* count probes, interval_ms apart: 5 at 50 ms take at least 200 ms. */
static void test_probes_spaced_by_interval(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};

	flx_start(x, 64);
	c = flx_conn(x);
	target(&b, "127.0.0.1", flx_tcp_listener(x, AF_INET));
	post(x, c, body_end(&b, "spaced", "\"tcp\"", 5, 50, 1000));
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_result(c, 0, "tcp", "ok", 5, 5);
	assert_true(flx_final(c).elapsed_ms >= 200);
	assert_true(flx_final(c).elapsed_ms < 2000);
}

/* More pairs than slots: never more probes in flight than --max-inflight, every pair
 * answered all the same, in waves. */
static void test_inflight_never_above_max(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};
	uint16_t silent;
	uint32_t most = 0;
	int64_t end;

	flx_start(x, 4);
	c = flx_conn(x);
	silent = flx_udp_silent(x, AF_INET);
	for (int i = 0; i < 12; i++)
		target(&b, "127.0.0.1", silent);
	post(x, c, body_end(&b, "waves", "\"udp\"", 1, 0, 200));
	end = time_mono_us() + 5000000;
	while (!flx_done(c) && time_mono_us() < end) {
		assert_int_equal(loop_run_once(&x->fl.loop, 10000), 0);
		assert_true(x->fl.inflight <= 4);
		most = x->fl.inflight > most ? x->fl.inflight : most;
	}
	assert_true(flx_done(c));
	assert_int_equal(most, 4);
	for (int i = 0; i < 12; i++)
		assert_result(c, i, "udp", "timeout", 1, 0);
	assert_true(flx_final(c).elapsed_ms >= 3 * 200); /* 12 pairs, 4 at a time */
	assert_idle(x);
}

/* A request that arrives while a big one holds every slot gets slots as they free up
 * (jobs take turns): it is answered after one wave, not after the big request. */
static void test_small_request_not_held_behind_big_one(void **state)
{
	struct flx *x = *state;
	struct conn *big, *small;
	struct body b = {0};
	uint16_t silent, listener;
	int64_t posted, took;

	flx_start(x, 2);
	big = flx_conn(x);
	small = flx_conn(x);
	silent = flx_udp_silent(x, AF_INET);
	listener = flx_tcp_listener(x, AF_INET);
	for (int i = 0; i < 10; i++)
		target(&b, "127.0.0.1", silent);
	post(x, big, body_end(&b, "big", "\"udp\"", 1, 0, 300)); /* 5 waves: 1.5 s */
	flx_run_for(x, 20);
	assert_int_equal(x->fl.inflight, 2);
	target(&b, "127.0.0.1", listener);
	posted = time_mono_us();
	post(x, small, body_end(&b, "small", "\"tcp\"", 1, 0, 1000));
	assert_true(flx_run_until_done(x, &small, 1, 5000));
	took = time_mono_us() - posted;
	assert_false(flx_done(big));
	assert_true(took < 1000000);
	assert_result(small, 0, "tcp", "ok", 1, 1);
	assert_true(flx_run_until_done(x, &big, 1, 5000));
	assert_int_equal(flx_final(big).results, 10);
	assert_true(flx_final(big).elapsed_ms >= 1500);
}

/* A cancelled request (its client went away) stops at once: no more probes, no more
 * lines, every slot back for the next request; another request runs on undisturbed. */
static void test_cancel_stops_and_frees(void **state)
{
	struct flx *x = *state;
	struct conn *gone, *other, *next;
	struct body b = {0};
	uint16_t silent, listener;
	uint64_t sent;
	size_t written;

	flx_start(x, 8);
	gone = flx_conn(x);
	other = flx_conn(x);
	silent = flx_udp_silent(x, AF_INET);
	listener = flx_tcp_listener(x, AF_INET);
	for (int i = 0; i < 4; i++)
		target(&b, "127.0.0.1", silent);
	target(&b, "127.0.0.1", listener);
	post(x, gone, body_end(&b, "gone", "\"udp\",\"tcp\"", 5, 100, 1000));
	target(&b, "127.0.0.1", listener);
	post(x, other, body_end(&b, "other", "\"tcp\"", 4, 100, 1000));
	flx_run_for(x, 150);
	assert_true(x->fl.inflight > 0);
	assert_int_equal(x->fl.njobs, 2);

	engine_job_cancel(gone->job); /* as server.c does when the client goes away */
	gone->job = NULL;
	assert_int_equal(x->fl.njobs, 1);
	sent = x->fl.m.sent[PROTO_UDP];
	written = gone->out.len;
	assert_true(flx_run_until_done(x, &other, 1, 5000));
	flx_run_for(x, 300);
	assert_int_equal(x->fl.m.sent[PROTO_UDP], sent);
	assert_int_equal(gone->out.len, written);
	assert_false(flx_done(gone));
	assert_result(other, 0, "tcp", "ok", 4, 4);
	assert_idle(x);

	/* Every slot is free again: a request of 8 pairs runs them all at once. */
	next = flx_conn(x);
	for (int i = 0; i < 8; i++)
		target(&b, "127.0.0.1", silent);
	post(x, next, body_end(&b, "next", "\"udp\"", 1, 0, 200));
	flx_run_for(x, 20);
	assert_int_equal(x->fl.inflight, 8);
	assert_true(flx_run_until_done(x, &next, 1, 5000));
	assert_int_equal(flx_final(next).results, 8);
}

/* A client that does not read its answer: the request starts no more pairs while 256 KiB
 * wait unread, and goes on once the client has read them. */
static void test_unread_answer_pauses_request(void **state)
{
	struct flx *x = *state;
	struct conn *c;
	struct body b = {0};
	char *head, *unread = xcalloc(1, 256 * 1024);

	flx_start(x, 64);
	c = flx_conn(x);
	target(&b, "127.0.0.1", flx_tcp_listener(x, AF_INET));
	target(&b, "::1", flx_tcp_listener(x, AF_INET6));
	post(x, c, body_end(&b, "slow-reader", "\"tcp\"", 1, 0, 1000));
	head = xstrdup(c->out.data);
	assert_int_equal(buf_append(&c->out, unread, 256 * 1024), 0);
	flx_run_for(x, 100);
	assert_int_equal(x->fl.m.sent[PROTO_TCP], 0);

	buf_reset(&c->out); /* read by the client */
	assert_int_equal(buf_puts(&c->out, head), 0);
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	assert_result(c, 0, "tcp", "ok", 1, 1);
	assert_result(c, 1, "tcp", "ok", 1, 1);
	free(head);
	free(unread);
}

/* A DNS server on loopback for the DNS probe (UDP and TCP on one port), answering by the
 * first label of the name: ok (A 192.0.2.1, AAAA 2001:db8::1), nx (NXDOMAIN), sf (SERVFAIL),
 * big (truncated over UDP, whole over TCP), dead (truncated over UDP, TCP closed unanswered),
 * junk (a foreign answer first: another id, then the real one). */
struct dnsd {
	int udp, tcp;
	volatile bool stop;
};

static size_t dnsd_answer(const uint8_t *q, size_t qlen, bool over_tcp, uint8_t *out, int *drop)
{
	size_t qend = 12, n;
	uint16_t type, rcode = 0, an = 0, flags;
	char label[16] = "";

	*drop = 0;
	while (qend < qlen && q[qend])
		qend += 1u + q[qend];
	qend += 5; /* root label, type, class */
	if (qlen < 17 || qend > qlen)
		return 0;
	memcpy(label, q + 13, q[12] < 15 ? q[12] : 15);
	type = (uint16_t)(q[qend - 4] << 8 | q[qend - 3]);
	memcpy(out, q, qend);
	n = qend;
	if (!strcmp(label, "nx"))
		rcode = 3;
	else if (!strcmp(label, "sf"))
		rcode = 2;
	else if ((!strcmp(label, "big") || !strcmp(label, "dead")) && !over_tcp)
		rcode = 0x200; /* TC, no record */
	else if (!strcmp(label, "dead"))
		*drop = 1;
	else {
		static const uint8_t a[] = {192, 0, 2, 1};
		static const uint8_t aaaa[] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0,
					       0,    0, 0,   0,	   0, 0, 0, 1};
		size_t rdlen = type == 28 ? 16 : 4;
		uint8_t rr[12] = {0xc0, 0x0c, 0, (uint8_t)type, 0, 1, 0, 0,
				  0,	30,   0, (uint8_t)rdlen};

		memcpy(out + n, rr, sizeof(rr));
		memcpy(out + n + sizeof(rr), type == 28 ? aaaa : a, rdlen);
		n += sizeof(rr) + rdlen;
		an = 1;
	}
	flags = (uint16_t)(0x8180 | rcode);
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[6] = 0;
	out[7] = (uint8_t)an;
	return n;
}

static void *dnsd_run(void *arg)
{
	struct dnsd *d = arg;
	uint8_t q[512], out[600];

	while (!d->stop) {
		struct pollfd p[2] = {{.fd = d->udp, .events = POLLIN},
				      {.fd = d->tcp, .events = POLLIN}};
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t len;
		size_t n;
		int drop, c;

		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			len = recvfrom(d->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
			if (len > 0 && (n = dnsd_answer(q, (size_t)len, false, out, &drop)) > 0) {
				if (q[13] == 'j') { /* junk: another id first */
					out[0] ^= 0xff;
					sendto(d->udp, out, n, 0, (struct sockaddr *)&from, flen);
					out[0] ^= 0xff;
				}
				sendto(d->udp, out, n, 0, (struct sockaddr *)&from, flen);
			}
		}
		if (p[1].revents & POLLIN && (c = accept(d->tcp, NULL, NULL)) >= 0) {
			uint8_t lenb[2];
			struct pollfd cp = {.fd = c, .events = POLLIN};

			if (poll(&cp, 1, 1000) == 1 && recv(c, lenb, 2, MSG_WAITALL) == 2 &&
			    recv(c, q, (size_t)(lenb[0] << 8 | lenb[1]), MSG_WAITALL) ==
				(lenb[0] << 8 | lenb[1]) &&
			    (n = dnsd_answer(q, (size_t)(lenb[0] << 8 | lenb[1]), true, out + 2,
					     &drop)) > 0 &&
			    !drop) {
				out[0] = (uint8_t)(n >> 8);
				out[1] = (uint8_t)n;
				send(c, out, n + 2, MSG_NOSIGNAL);
			}
			close(c);
		}
	}
	return NULL;
}

static void dns_target(struct buf *b, int ref, uint16_t port, const char *name, const char *qtype,
		       const char *expect)
{
	if (buf_printf(b,
		       "%s{\"ip\":\"127.0.0.1\",\"port\":%u,\"ref\":%d,\"name\":\"%s\","
		       "\"qtype\":\"%s\"%s%s%s}",
		       ref ? "," : "", port, ref, name, qtype, expect ? ",\"expect\":\"" : "",
		       expect ? expect : "", expect ? "\"" : "") < 0)
		fail();
}

/* The DNS probe against a server on loopback: every outcome a user reads, the TCP fallback
 * on truncation, a foreign answer ignored, silence a timeout. */
static void test_dns_outcomes(void **state)
{
	struct flx *x = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct dnsd d = {.stop = false};
	pthread_t th;
	struct conn *c;
	struct buf b;
	uint16_t port, silent = flx_udp_silent(x, AF_INET);
	char *body;

	d.tcp = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(d.tcp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(d.tcp, 16), 0);
	getsockname(d.tcp, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	d.udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(d.udp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(pthread_create(&th, NULL, dnsd_run, &d), 0);
	flx_start(x, 64);
	c = flx_conn(x);
	buf_init(&b, 0);
	dns_target(&b, 0, port, "ok.test", "A", NULL);
	dns_target(&b, 1, port, "ok.test", "AAAA", "2001:db8::1");
	dns_target(&b, 2, port, "ok.test", "A", "192.0.2.9");
	dns_target(&b, 3, port, "nx.test", "A", NULL);
	dns_target(&b, 4, port, "sf.test", "A", NULL);
	dns_target(&b, 5, port, "big.test", "A", NULL);
	dns_target(&b, 6, port, "dead.test", "A", NULL);
	dns_target(&b, 7, port, "junk.test", "A", NULL);
	/* a UDP socket that reads nothing and answers nothing: timeout */
	if (buf_printf(&b, ",{\"ip\":\"127.0.0.1\",\"port\":%u,\"ref\":8,\"name\":\"ok.test\"}",
		       silent) < 0)
		fail();
	body = xasprintf("{\"id\":\"dns-1\",\"targets\":[%s],\"ports\":[%u],\"protocols\":"
			 "[\"dns\"],\"count\":2,\"interval_ms\":10,\"timeout_ms\":300}",
			 b.data, port);
	buf_release(&b);
	post(x, c, body);
	assert_true(flx_run_until_done(x, &c, 1, 5000));
	d.stop = true;
	pthread_join(th, NULL);
	close(d.udp);
	close(d.tcp);
	assert_result(c, 0, "dns", "ok", 2, 2);
	assert_result(c, 1, "dns", "ok", 2, 2);
	assert_result(c, 2, "dns", "wrong-answer", 2, 0);
	assert_result(c, 3, "dns", "nxdomain", 2, 0);
	assert_result(c, 4, "dns", "servfail", 2, 0);
	assert_result(c, 5, "dns", "ok", 2, 2);
	assert_result(c, 6, "dns", "truncated", 2, 0);
	assert_result(c, 7, "dns", "ok", 2, 2);
	assert_result(c, 8, "dns", "timeout", 2, 0);
	assert_int_equal(x->fl.m.sent[PROTO_DNS], 18);
	assert_idle(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tcp_answered_and_refused, flx_setup, flx_teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_to_a_server_that_closes_at_once, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_udp_echoed_refused_and_timed_out, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_udp_echo_only_with_the_key, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_udp_echo_proves_the_node, flx_setup, flx_teardown),
	    cmocka_unit_test_setup_teardown(test_one_line_per_target_and_protocol, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_probes_spaced_by_interval, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_inflight_never_above_max, flx_setup, flx_teardown),
	    cmocka_unit_test_setup_teardown(test_small_request_not_held_behind_big_one, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_stops_and_frees, flx_setup, flx_teardown),
	    cmocka_unit_test_setup_teardown(test_unread_answer_pauses_request, flx_setup,
					    flx_teardown),
	    cmocka_unit_test_setup_teardown(test_dns_outcomes, flx_setup, flx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
