/* floater loop: deadlines fire in order, once, never early; the loop sleeps until the next
 * one; answers that arrived before a deadline are read before it fires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#define MS 1000LL

/* What fired, in order: timer ids, 'E' for an fd event, 'A' for the after hook. */
struct trace {
	int what[4096];
	size_t n;
};

static struct trace tr;

struct tagged_timer {
	struct timer t;
	int id;
};

static void on_timer(struct timer *t)
{
	struct tagged_timer *tt = (struct tagged_timer *)t;

	if (tr.n < ARRAY_SIZE(tr.what))
		tr.what[tr.n++] = tt->id;
}

static void on_after(void *arg)
{
	(void)arg;
	if (tr.n < ARRAY_SIZE(tr.what))
		tr.what[tr.n++] = 'A';
}

struct pipe_evh {
	struct evh h;
	uint32_t events;
	int calls;
};

static void on_readable(struct evh *h, uint32_t events)
{
	struct pipe_evh *p = (struct pipe_evh *)h;
	char c;

	p->events = events;
	p->calls++;
	if (read(h->fd, &c, 1) != 1)
		fail_msg("event without data");
	if (tr.n < ARRAY_SIZE(tr.what))
		tr.what[tr.n++] = 'E';
}

static int setup(void **state)
{
	struct loop *l = calloc(1, sizeof(*l));
	struct err err = ERR_INIT;

	if (!l || loop_init(l, &err) < 0) {
		free(l);
		return -1;
	}
	memset(&tr, 0, sizeof(tr));
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct loop *l = *state;

	loop_release(l);
	free(l);
	return 0;
}

static void arm(struct loop *l, struct tagged_timer *tt, int id, int64_t when)
{
	tt->t.fn = on_timer;
	tt->id = id;
	timer_arm(l, &tt->t, when);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct loop *l = *state;
	struct tagged_timer t[200] = {0};	 /* an unarmed timer is zeroed, as in its owner */
	int64_t base = time_mono_us() - 10 * MS; /* all due */

	/* Armed in a scrambled order (37 and 200 are coprime: every slot once). */
	for (int i = 0; i < 200; i++) {
		int k = (i * 37) % 200;

		arm(l, &t[k], k, base - (200 - k));
	}
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(tr.what[i], i);
	for (int i = 0; i < 200; i++)
		assert_false(timer_armed(&t[i].t)); /* each fires once */
	tr.n = 0;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 0);
}

static void test_future_timer_waits(void **state)
{
	struct loop *l = *state;
	struct tagged_timer due = {0}, later = {0};
	int64_t now = time_mono_us();

	arm(l, &later, 2, now + 10000 * MS);
	arm(l, &due, 1, now - MS);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 1);
	assert_int_equal(tr.what[0], 1);
	assert_true(timer_armed(&later.t));
	assert_false(timer_armed(&due.t));
	timer_cancel(l, &later.t);
}

static void test_rearm_and_cancel(void **state)
{
	struct loop *l = *state;
	struct tagged_timer t[5] = {0};
	int64_t now = time_mono_us();

	for (int i = 0; i < 5; i++)
		arm(l, &t[i], i, now + (i + 1) * 1000 * MS);
	/* 4 and 1 are moved to due (4 first), 0 from first to last, 3 earlier but still in
	 * the future; 2 is cancelled. */
	timer_arm(l, &t[4].t, now - 2 * MS);
	timer_arm(l, &t[0].t, now + 10000 * MS);
	timer_cancel(l, &t[2].t);
	timer_cancel(l, &t[2].t); /* twice is harmless */
	timer_arm(l, &t[3].t, now + 500 * MS);
	timer_arm(l, &t[1].t, now - MS);
	assert_false(timer_armed(&t[2].t));
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 2);
	assert_int_equal(tr.what[0], 4);
	assert_int_equal(tr.what[1], 1);
	for (int i = 0; i < 5; i++)
		timer_cancel(l, &t[i].t);
	assert_int_equal(l->n, 0);
}

/* The loop sleeps until the next deadline, not for its whole maximum wait, and never
 * fires a timer early. */
static void test_sleeps_until_next_deadline(void **state)
{
	struct loop *l = *state;
	struct tagged_timer t = {0};
	int64_t start = time_mono_us(), took;

	arm(l, &t, 1, start + 50 * MS);
	while (!tr.n && time_mono_us() - start < 5000 * MS)
		assert_int_equal(loop_run_once(l, 5000 * MS), 0);
	took = time_mono_us() - start;
	assert_int_equal(tr.n, 1);
	assert_true(took >= 50 * MS);
	assert_true(took < 2000 * MS);
}

static void test_max_wait_without_timers(void **state)
{
	struct loop *l = *state;
	int64_t start = time_mono_us(), took;

	assert_int_equal(loop_run_once(l, 30 * MS), 0);
	took = time_mono_us() - start;
	assert_true(took >= 25 * MS); /* epoll's clock: a little slack */
	assert_true(took < 2000 * MS);
	assert_true(l->now >= start + 25 * MS); /* the loop's clock moved with it */
}

/* An answer that arrived before a deadline is read before the deadline fires (a probe
 * answered in time never counts as timed out), and the after hook runs last. */
static void test_events_before_timers_then_after(void **state)
{
	struct loop *l = *state;
	struct pipe_evh p = {.h.fn = on_readable};
	struct tagged_timer t = {0};
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	p.h.fd = fds[0];
	assert_int_equal(loop_add(l, &p.h, EPOLLIN), 0);
	l->after = on_after;
	arm(l, &t, 7, time_mono_us() - MS);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1000 * MS), 0);
	assert_int_equal(tr.n, 3);
	assert_int_equal(tr.what[0], 'E');
	assert_int_equal(tr.what[1], 7);
	assert_int_equal(tr.what[2], 'A');
	assert_true(p.events & EPOLLIN);

	/* Removed from the loop: no more events. */
	loop_del(l, &p.h);
	assert_int_equal(write(fds[1], "y", 1), 1);
	tr.n = 0;
	assert_int_equal(loop_run_once(l, 20 * MS), 0);
	assert_int_equal(p.calls, 1);
	assert_int_equal(tr.n, 1); /* the after hook only */
	close(fds[0]);
	close(fds[1]);
}

/* Thousands of due deadlines (probes to send) are fired 1,024 per step, so the answers
 * waiting in socket queues are read in between. */
static void test_due_timers_bounded_per_step(void **state)
{
	struct loop *l = *state;
	static struct tagged_timer t[1500];
	int64_t base = time_mono_us() - 10 * MS;

	for (int i = 0; i < 1500; i++)
		arm(l, &t[i], i, base + i);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 1024);
	assert_int_equal(tr.what[1023], 1023);
	assert_int_equal(l->n, 1500 - 1024);
	tr.n = 0;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(tr.n, 1500 - 1024);
	assert_int_equal(tr.what[0], 1024);
	assert_int_equal(l->n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_timers_fire_in_deadline_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_future_timer_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rearm_and_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sleeps_until_next_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_wait_without_timers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events_before_timers_then_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_due_timers_bounded_per_step, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
