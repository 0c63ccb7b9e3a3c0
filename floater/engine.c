/* engine: jobs (one per probe request), tasks (target x protocol), slots (probes in
 * flight). Everything runs on the one loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "floater.h"

/* Pairs of a job stop starting while its client has this much unread output. */
#define JOB_BACKLOG_MAX (256 * 1024)

int family_index(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

static void slot_timeout(struct timer *t);

int engine_init(struct floater *fl, struct err *err)
{
	uint32_t n = fl->cfg.max_inflight;

	LIST_INIT(&fl->jobs);
	TAILQ_INIT(&fl->waiting);
	uint8_t hash_key[SIPHASH_KEY_LEN];

	if (getrandom(&fl->nonce, sizeof(fl->nonce), 0) != sizeof(fl->nonce) ||
	    getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key))
		return err_set(err, ERR_IO, "getrandom: %s", strerror(errno));
	srclimit_init(&fl->echo_src, fl->cfg.echo_source_rate, hash_key);
	fl->slots = xcalloc(n, sizeof(*fl->slots));
	fl->nslots = n;
	for (uint32_t i = 0; i < n; i++) {
		fl->slots[i].h.fd = -1;
		fl->slots[i].fl = fl;
		fl->slots[i].next_free = i + 1;
		fl->slots[i].timeout.fn = slot_timeout;
	}
	fl->free_head = 0;
	return 0;
}

void engine_release(struct floater *fl)
{
	while (!LIST_EMPTY(&fl->jobs))
		engine_job_cancel(LIST_FIRST(&fl->jobs));
	tcp_pool_drain(fl);
	free(fl->slots);
	fl->slots = NULL;
}

static struct slot *slot_alloc(struct floater *fl, struct task *t)
{
	struct slot *s;

	if (fl->free_head >= fl->nslots)
		return NULL;
	s = &fl->slots[fl->free_head];
	fl->free_head = s->next_free;
	s->task = t;
	s->h.fd = -1;
	fl->inflight++;
	return s;
}

static void slot_free(struct floater *fl, struct slot *s)
{
	timer_cancel(&fl->loop, &s->timeout);
	if (s->dns)
		dns_probe_close(fl, s);
	else if (s->h.fd >= 0)
		tcp_probe_close(fl, s);
	s->task = NULL;
	s->gen++;
	s->next_free = fl->free_head;
	fl->free_head = (uint32_t)(s - fl->slots);
	fl->inflight--;
}

struct slot *slot_from_cookie(struct floater *fl, const struct cookie *ck, uint32_t magic,
			      enum probe_protocol proto)
{
	struct slot *s;

	if (ck->magic != magic || ck->nonce != fl->nonce || ck->slot >= fl->nslots)
		return NULL;
	s = &fl->slots[ck->slot];
	if (!s->task || s->gen != ck->gen || s->task->proto != proto)
		return NULL;
	return s;
}

static void slot_timeout(struct timer *t)
{
	struct slot *s = (struct slot *)((char *)t - offsetof(struct slot, timeout));

	probe_done(s->fl, s, dns_probe_over_tcp(s) ? PROBE_TRUNCATED : PROBE_TIMEOUT, 0);
}

/* ---- results ---- */

static void task_emit(struct task *t)
{
	struct job *job = t->job;
	char line[WIRE_MAX_LINE];
	const struct probe_target *tg = &job->req.targets[t->target];
	size_t n = job->req.compact
		       ? result_line_c1(line, sizeof(line), tg, t->proto, &t->st, &job->prev)
		       : result_line(line, sizeof(line), tg, t->proto, &t->st);

	if (n)
		conn_stream_line(job->conn, line, n);
}

static void job_free(struct job *job)
{
	LIST_REMOVE(job, link);
	job->fl->njobs--;
	request_release(&job->req);
	free(job);
}

static void job_finish(struct job *job)
{
	struct floater *fl = job->fl;
	char line[WIRE_MAX_LINE];
	int64_t ms = (fl->loop.now - job->start_us) / 1000;
	size_t n = job->req.compact
		       ? result_done_line_c1(line, sizeof(line), job->req.id, job->finished, ms)
		       : result_done_line(line, sizeof(line), job->req.id, job->finished, ms);

	if (n)
		conn_stream_line(job->conn, line, n);
	conn_stream_end(job->conn);
	job_free(job);
}

static void wait_remove(struct floater *fl, struct task *t)
{
	if (!t->waiting)
		return;
	TAILQ_REMOVE(&fl->waiting, t, wait_link);
	t->waiting = false;
}

static void task_free(struct floater *fl, struct task *t)
{
	timer_cancel(&fl->loop, &t->send_timer);
	wait_remove(fl, t);
	LIST_REMOVE(t, link);
	fl->active_tasks--;
	free(t);
}

static void task_finish(struct floater *fl, struct task *t)
{
	struct job *job = t->job;

	task_emit(t);
	task_free(fl, t);
	job->finished++;
	if (job->finished == job->npairs)
		job_finish(job);
}

void probe_done(struct floater *fl, struct slot *s, enum probe_error e, int64_t rtt_us)
{
	struct task *t = s->task;

	slot_free(fl, s);
	if (e == PROBE_OK) {
		stats_add_rtt(&t->st, rtt_us < 0 ? 0 : (uint32_t)rtt_us);
		fl->m.received[t->proto]++;
	} else {
		stats_add_error(&t->st, e);
		fl->m.failed[t->proto]++;
		if (log_get_level() >= LOG_TRACE) {
			char ip[INET6_ADDRSTRLEN];

			sockaddr_ntop(&t->job->req.targets[t->target].addr, ip, sizeof(ip));
			log_trace("%s probe to %s: %s", probe_protocol_name(t->proto), ip,
				  probe_error_name(e));
		}
	}
	t->done++;
	if (t->done == (uint32_t)t->job->req.count)
		task_finish(fl, t);
}

/* ---- sending ---- */

static void task_send(struct floater *fl, struct task *t);

static void task_send_timer(struct timer *tm)
{
	struct task *t = (struct task *)((char *)tm - offsetof(struct task, send_timer));

	task_send(t->job->fl, t);
}

static void wait_push(struct floater *fl, struct task *t)
{
	t->waiting = true;
	TAILQ_INSERT_TAIL(&fl->waiting, t, wait_link);
}

static void task_send(struct floater *fl, struct task *t)
{
	const struct probe_request *req = &t->job->req;
	struct slot *s = slot_alloc(fl, t);
	int64_t deadline;
	int fam;

	if (!s) {
		wait_push(fl, t);
		return;
	}
	t->st.sent++;
	fl->m.sent[t->proto]++;
	if (t->st.sent < (uint32_t)req->count)
		timer_arm(&fl->loop, &t->send_timer,
			  t->start_us + (int64_t)t->st.sent * req->interval_ms * 1000);
	s->sent_us = fl->loop.now;
	deadline = fl->loop.now + (int64_t)req->timeout_ms * 1000;
	if (t->proto == PROTO_TCP) {
		uint32_t gen = s->gen;

		/* A connect to a nearby target is often done before it returns: the
		 * deadline goes into the heap only for a probe still pending. The task may
		 * be gone by now; the slot array stays. */
		tcp_probe_start(fl, s, t);
		if (s->task && s->gen == gen)
			timer_arm(&fl->loop, &s->timeout, deadline);
		return;
	}
	if (t->proto == PROTO_DNS) {
		uint32_t gen = s->gen;

		dns_probe_start(fl, s, t);
		if (s->task && s->gen == gen)
			timer_arm(&fl->loop, &s->timeout, deadline);
		return;
	}
	timer_arm(&fl->loop, &s->timeout, deadline);
	/* Last: an immediate failure may finish (and free) the task. */
	fam = family_index(req->targets[t->target].addr.sa.sa_family);
	psock_queue(fl, t->proto == PROTO_ICMP ? &fl->icmp[fam] : &fl->udp[fam], s, t);
}

static void job_activate_one(struct floater *fl, struct job *job)
{
	struct task *t = xcalloc(1, sizeof(*t));
	size_t pair = job->next_pair++;

	t->job = job;
	t->target = (uint32_t)(pair / job->req.nprotos);
	t->proto = job->req.protos[pair % job->req.nprotos];
	t->start_us = fl->loop.now;
	t->send_timer.fn = task_send_timer;
	stats_init(&t->st);
	LIST_INSERT_HEAD(&job->active, t, link);
	fl->active_tasks++;
	task_send(fl, t);
}

static bool job_can_activate(const struct job *job)
{
	return job->next_pair < job->npairs && conn_backlog(job->conn) < JOB_BACKLOG_MAX;
}

/* Starts pairs round-robin over jobs while the in-flight cap allows. */
static void engine_activate(struct floater *fl)
{
	bool progress = true;

	while (progress && fl->active_tasks < fl->nslots) {
		progress = false;
		for (struct job *job = LIST_FIRST(&fl->jobs), *next; job; job = next) {
			next = LIST_NEXT(job, link);
			if (fl->active_tasks >= fl->nslots || fl->free_head >= fl->nslots)
				return;
			if (!job_can_activate(job))
				continue;
			job_activate_one(fl, job);
			progress = true;
		}
	}
}

struct job *engine_job_start(struct floater *fl, struct probe_request *req, struct conn *c)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->fl = fl;
	job->req = *req;
	memset(req, 0, sizeof(*req));
	job->conn = c;
	job->npairs = job->req.ntargets * job->req.nprotos;
	job->start_us = fl->loop.now;
	LIST_INIT(&job->active);
	LIST_INSERT_HEAD(&fl->jobs, job, link);
	fl->njobs++;
	fl->m.probe_requests++;
	return job;
}

void engine_job_cancel(struct job *job)
{
	struct floater *fl = job->fl;

	/* Free the job's probes in flight, then its tasks. */
	for (uint32_t i = 0; i < fl->nslots; i++)
		if (fl->slots[i].task && fl->slots[i].task->job == job)
			slot_free(fl, &fl->slots[i]);
	while (!LIST_EMPTY(&job->active))
		task_free(fl, LIST_FIRST(&job->active));
	job_free(job);
}

static void engine_drain_waiting(struct floater *fl)
{
	while (!TAILQ_EMPTY(&fl->waiting) && fl->free_head < fl->nslots) {
		struct task *t = TAILQ_FIRST(&fl->waiting);

		TAILQ_REMOVE(&fl->waiting, t, wait_link);
		t->waiting = false;
		task_send(fl, t);
	}
}

void engine_after(void *arg)
{
	struct floater *fl = arg;

	fl->loop.now = time_mono_us();
	engine_drain_waiting(fl);
	engine_activate(fl);
	if (!fl->active_tasks)
		tcp_pool_drain(fl); /* an idle floater holds no probe sockets */
	for (int i = 0; i < 2; i++) {
		psock_flush(fl, &fl->icmp[i]);
		psock_flush(fl, &fl->udp[i]);
	}
	server_after(fl);
}
