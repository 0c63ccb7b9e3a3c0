#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_EVENTS 512
/* Full batches in a row before timers run: a deadline must see every answer that
 * arrived before it (else thousands of ready TCP probes would "time out" in the queue). */
#define LOOP_DRAIN_ROUNDS 16

int loop_init(struct loop *l, struct err *err)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return err_set(err, ERR_IO, "epoll_create1: %s", strerror(errno));
	l->now = time_mono_us();
	return 0;
}

void loop_release(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	l->heap = NULL;
	l->epfd = -1;
}

static int ctl(struct loop *l, int op, struct evh *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	return epoll_ctl(l->epfd, op, h->fd, &ev);
}

int loop_add(struct loop *l, struct evh *h, uint32_t events)
{
	return ctl(l, EPOLL_CTL_ADD, h, events);
}

int loop_mod(struct loop *l, struct evh *h, uint32_t events)
{
	return ctl(l, EPOLL_CTL_MOD, h, events);
}

void loop_del(struct loop *l, struct evh *h)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
}

/* ---- binary min-heap on when; heap[i]->idx == i + 1 ---- */

static void heap_set(struct loop *l, size_t i, struct timer *t)
{
	l->heap[i] = t;
	t->idx = i + 1;
}

static void sift_up(struct loop *l, size_t i)
{
	struct timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->when <= t->when)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void sift_down(struct loop *l, size_t i)
{
	struct timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n)
			break;
		if (c + 1 < l->n && l->heap[c + 1]->when < l->heap[c]->when)
			c++;
		if (t->when <= l->heap[c]->when)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void timer_cancel(struct loop *l, struct timer *t)
{
	size_t i;
	struct timer *last;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = l->heap[--l->n];
	if (i == l->n)
		return;
	heap_set(l, i, last);
	sift_down(l, i);
	sift_up(l, last->idx - 1);
}

void timer_arm(struct loop *l, struct timer *t, int64_t when_us)
{
	if (t->idx) {
		int64_t old = t->when;

		t->when = when_us;
		if (when_us < old)
			sift_up(l, t->idx - 1);
		else
			sift_down(l, t->idx - 1);
		return;
	}
	l->heap = xgrow(l->heap, &l->cap, l->n + 1, sizeof(*l->heap));
	t->when = when_us;
	heap_set(l, l->n, t);
	l->n++;
	sift_up(l, l->n - 1);
}

static void run_timers(struct loop *l)
{
	/* Bounded per iteration so reading answers is never starved by sending probes:
	 * replies left in a socket queue past its buffer are lost. */
	for (int budget = 1024; l->n && budget > 0; budget--) {
		struct timer *t = l->heap[0];

		if (t->when > l->now)
			break;
		timer_cancel(l, t);
		t->fn(t);
	}
}

int loop_run_once(struct loop *l, int64_t max_wait_us)
{
	struct epoll_event evs[LOOP_EVENTS];
	struct timespec ts;
	int64_t wait = max_wait_us;
	int n;

	if (l->n) {
		int64_t due = l->heap[0]->when - time_mono_us();

		if (wait < 0 || due < wait)
			wait = due < 0 ? 0 : due;
	}
	ts.tv_sec = wait / 1000000;
	ts.tv_nsec = (wait % 1000000) * 1000;
	n = epoll_pwait2(l->epfd, evs, LOOP_EVENTS, wait < 0 ? NULL : &ts, NULL);
	if (n < 0 && errno != EINTR)
		return -1;
	for (int round = 0; n > 0 && round < LOOP_DRAIN_ROUNDS; round++) {
		l->now = time_mono_us();
		for (int i = 0; i < n; i++) {
			struct evh *h = evs[i].data.ptr;

			h->fn(h, evs[i].events);
		}
		if (n < LOOP_EVENTS)
			break;
		n = epoll_wait(l->epfd, evs, LOOP_EVENTS, 0);
	}
	l->now = time_mono_us();
	run_timers(l);
	if (l->after)
		l->after(l->after_arg);
	return 0;
}
