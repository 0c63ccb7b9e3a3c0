/* delayline: a userspace delay line on a TUN device (this kernel has no netem). Routes send
 * packets into the device; each one is written back DELAY (± JITTER, uniform) later, or
 * dropped with probability LOSS, and the kernel routes it on from there.
 *
 *   delayline --dev NAME --delay-us N [--jitter-us N] [--loss-pct P] [--max-packets N]
 *
 * The device exists while the process runs (not persistent): killing it removes the device
 * and the routes through it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PKT_MAX 65536

struct pkt {
	int64_t due_us;
	uint64_t seq; /* FIFO among equal due times */
	size_t len;
	unsigned char *data;
};

struct line {
	int fd;
	long delay_us, jitter_us;
	double loss;
	size_t max_packets;
	struct pkt *heap;
	size_t n;
	uint64_t seq, in, out, lost, overflow;
	uint64_t rng;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t rng_next(struct line *l)
{
	/* xorshift64*: plenty for jitter and loss */
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 2685821657736338717ULL;
}

static bool pkt_before(const struct pkt *a, const struct pkt *b)
{
	return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_push(struct line *l, struct pkt p)
{
	size_t i = l->n++;

	while (i) {
		size_t parent = (i - 1) / 2;

		if (!pkt_before(&p, &l->heap[parent]))
			break;
		l->heap[i] = l->heap[parent];
		i = parent;
	}
	l->heap[i] = p;
}

static struct pkt heap_pop(struct line *l)
{
	struct pkt top = l->heap[0], last = l->heap[--l->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n)
			break;
		if (c + 1 < l->n && pkt_before(&l->heap[c + 1], &l->heap[c]))
			c++;
		if (!pkt_before(&l->heap[c], &last))
			break;
		l->heap[i] = l->heap[c];
		i = c;
	}
	if (l->n)
		l->heap[i] = last;
	return top;
}

static int tun_open(const char *name, struct err *err)
{
	struct ifreq ifr = {0};
	int fd, s;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(err, ERR_IO, "/dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (str_copy(ifr.ifr_name, sizeof(ifr.ifr_name), name) < 0 ||
	    ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err_set(err, ERR_IO, "TUNSETIFF %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	/* large MTU: the line must not be the path's bottleneck (MTU faults are separate) */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr.ifr_mtu = 65000;
	if (s < 0 || ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		err_set(err, ERR_IO, "configure %s: %s", name, strerror(errno));
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		err_set(err, ERR_IO, "bring up %s: %s", name, strerror(errno));
		goto fail;
	}
	close(s);
	return fd;
fail:
	if (s >= 0)
		close(s);
	close(fd);
	return -1;
}

static void line_read(struct line *l, unsigned char *buf)
{
	for (;;) {
		ssize_t n = read(l->fd, buf, PKT_MAX);
		struct pkt p;
		long j = 0;

		if (n <= 0)
			return;
		l->in++;
		if (l->loss > 0 && (double)(rng_next(l) >> 11) / 9007199254740992.0 < l->loss) {
			l->lost++;
			continue;
		}
		if (l->n >= l->max_packets) {
			l->overflow++;
			continue;
		}
		if (l->jitter_us)
			j = (long)(rng_next(l) % (uint64_t)(2 * l->jitter_us + 1)) - l->jitter_us;
		p.due_us = time_mono_us() + (l->delay_us + j > 0 ? l->delay_us + j : 0);
		p.seq = l->seq++;
		p.len = (size_t)n;
		p.data = xmalloc((size_t)n);
		memcpy(p.data, buf, (size_t)n);
		heap_push(l, p);
	}
}

static void line_release(struct line *l)
{
	int64_t now = time_mono_us();

	while (l->n && l->heap[0].due_us <= now) {
		struct pkt p = heap_pop(l);

		if (write(l->fd, p.data, p.len) == (ssize_t)p.len)
			l->out++;
		free(p.data);
	}
}

static int line_run(struct line *l)
{
	unsigned char *buf = xmalloc(PKT_MAX);
	struct pollfd pfd = {.fd = l->fd, .events = POLLIN};

	while (!stop_requested) {
		struct timespec ts = {1, 0};

		if (l->n) {
			int64_t wait = l->heap[0].due_us - time_mono_us();

			if (wait < 0)
				wait = 0;
			ts.tv_sec = wait / 1000000;
			ts.tv_nsec = (wait % 1000000) * 1000;
		}
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLIN)
			line_read(l, buf);
		line_release(l);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dev", required_argument, NULL, 'd'},
	    {"delay-us", required_argument, NULL, 'D'},
	    {"jitter-us", required_argument, NULL, 'J'},
	    {"loss-pct", required_argument, NULL, 'L'},
	    {"max-packets", required_argument, NULL, 'M'},
	    {"world", required_argument, NULL, 'w'}, /* marks the process as a world's */
	    {0},
	};
	struct line l = {.max_packets = 100000};
	struct err err = ERR_INIT;
	struct sigaction sa = {.sa_handler = on_signal};
	const char *dev = NULL;
	long v;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dev = optarg;
			break;
		case 'w':
			break;
		case 'D':
		case 'J':
		case 'L':
		case 'M':
			if (str_to_long(optarg, 0, o == 'L' ? 100 : 60000000, &v, "value", &err) <
			    0) {
				fprintf(stderr, "delayline: %s\n", err.msg);
				return 2;
			}
			if (o == 'D')
				l.delay_us = v;
			else if (o == 'J')
				l.jitter_us = v;
			else if (o == 'L')
				l.loss = (double)v / 100.0;
			else
				l.max_packets = v ? (size_t)v : 1;
			break;
		default:
			fprintf(stderr, "usage: delayline --dev NAME --delay-us N [--jitter-us N] "
					"[--loss-pct P] [--max-packets N]\n");
			return 2;
		}
	}
	if (!dev) {
		fprintf(stderr, "delayline: --dev is required\n");
		return 2;
	}
	if (getrandom(&l.rng, sizeof(l.rng), 0) != sizeof(l.rng) || !l.rng)
		l.rng = (uint64_t)time_mono_us() | 1;
	l.heap = xcalloc(l.max_packets, sizeof(*l.heap));
	l.fd = tun_open(dev, &err);
	if (l.fd < 0) {
		fprintf(stderr, "delayline: %s\n", err.msg);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "delayline %s: delay %ld us, jitter %ld us, loss %.0f%%\n", dev, l.delay_us,
		l.jitter_us, l.loss * 100);
	line_run(&l);
	fprintf(stderr, "delayline %s: in %llu out %llu lost %llu overflow %llu\n", dev,
		(unsigned long long)l.in, (unsigned long long)l.out, (unsigned long long)l.lost,
		(unsigned long long)l.overflow);
	close(l.fd);
	while (l.n)
		free(heap_pop(&l).data);
	free(l.heap);
	return 0;
}
