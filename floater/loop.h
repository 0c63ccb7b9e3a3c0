/* loop: one epoll instance plus a binary heap of deadlines (CLOCK_MONOTONIC, µs). */
#ifndef FLOATER_LOOP_H
#define FLOATER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct loop;

/* Embedded in whatever owns an fd; epoll hands it back. */
struct evh {
	int fd;
	void (*fn)(struct evh *h, uint32_t events);
};

/* Embedded in whatever owns a deadline. */
struct timer {
	int64_t when;
	size_t idx; /* 1-based heap slot, 0 = not armed */
	void (*fn)(struct timer *t);
};

struct loop {
	int epfd;
	struct timer **heap;
	size_t n;
	size_t cap;
	int64_t now; /* updated after each wait */
	/* Called once per iteration after events and timers: flush batched work here. */
	void (*after)(void *arg);
	void *after_arg;
};

int loop_init(struct loop *l, struct err *err);
void loop_release(struct loop *l);
int loop_add(struct loop *l, struct evh *h, uint32_t events);
int loop_mod(struct loop *l, struct evh *h, uint32_t events);
void loop_del(struct loop *l, struct evh *h);
void timer_arm(struct loop *l, struct timer *t, int64_t when_us);
void timer_cancel(struct loop *l, struct timer *t);
static inline bool timer_armed(const struct timer *t)
{
	return t->idx != 0;
}
/* Waits at most max_wait_us (or until the next deadline; < 0: no bound but the next
 * deadline), then dispatches. */
int loop_run_once(struct loop *l, int64_t max_wait_us);

#endif
