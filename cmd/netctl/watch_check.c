/* One check of `netctl watch` and what follows it: the line it prints, its metrics,
 * retention, and the metrics handed to the HTTP server. */
#include <stdio.h>
#include <string.h>

#include "watch_cmd.h"

void watch_beat(struct watch *w)
{
	if (w->httpd)
		watch_httpd_beat(w->httpd);
}

/* The engine logs its phases itself (-v); here they only show the loop is alive. */
static void on_phase(void *arg, enum run_phase phase, const char *text)
{
	watch_beat(arg);
}

static void on_progress(void *arg, const struct run_progress *p)
{
	watch_beat(arg);
}

static void on_warn(void *arg, const char *text)
{
	watch_beat(arg);
	fprintf(stderr, "netctl: warning: %s\n", text);
}

static void say_check(const struct watch *w, const struct watch_check *c, const char *why)
{
	char took[32], rollout[32], probe[32];

	time_format_duration(c->total_ms, took, sizeof(took));
	time_format_duration(c->rollout_ms, rollout, sizeof(rollout));
	time_format_duration(c->probe_ms, probe, sizeof(probe));
	if (c->run_id <= 0) {
		fprintf(stderr, "netctl: %s failed after %s: %s\n",
			c->job == WATCH_FULL ? "check" : "recheck", took, why);
	} else if (c->status == STORE_RUN_FAILED) {
		fprintf(stderr, "netctl: %s %lld failed after %s: %s\n",
			c->job == WATCH_FULL ? "check" : "recheck", (long long)c->run_id, took,
			why);
	} else if (c->job == WATCH_FULL) {
		fprintf(stderr,
			"netctl: check %lld %s: %lld results, %lld failed in %s (rollout %s, probe "
			"%s), %llu API requests\n",
			(long long)c->run_id, store_run_status_name(c->status),
			(long long)c->results, (long long)c->failed, took, rollout, probe,
			(unsigned long long)c->api_requests);
	} else {
		fprintf(stderr,
			"netctl: recheck %lld of run %lld %s: %lld results probed again, %lld "
			"recovered, %lld still failing in %s\n",
			(long long)c->run_id, (long long)w->last_done,
			store_run_status_name(c->status), (long long)c->results,
			(long long)(c->results - c->failed), (long long)c->failed, took);
	}
}

void watch_run_one(struct watch *w, enum watch_job job, struct watch_check *c)
{
	struct run_events ev = {on_phase, on_progress, on_warn, w};
	struct err err = ERR_INIT;
	struct check_filter f;
	struct run_result res;
	int64_t t0 = time_mono_us();
	int rc = -1;

	memset(c, 0, sizeof(*c));
	memset(&res, 0, sizeof(res));
	c->job = job;
	check_filter_init(&f);
	if (job == WATCH_RECHECK) {
		w->job.o.parent_id = w->last_done;
		if (check_filter_load(&f, w->st, w->last_done, &err) == 0)
			rc = run_check(w->st, w->job.clusters, w->job.n, w->job.cluster_pairs,
				       &w->job.o, check_filter_fn, &f, &ev, w->stop, &res, &err);
		w->job.o.parent_id = 0;
	} else if (check_job_sample_next(&w->job, w->st, &err) == 0) {
		/* --sample: each check takes the next round (a recheck repeats the last one) */
		rc = run_check(w->st, w->job.clusters, w->job.n, w->job.cluster_pairs, &w->job.o,
			       NULL, NULL, &ev, w->stop, &res, &err);
	}
	check_filter_release(&f);
	c->run_id = res.run_id;
	c->status = rc < 0 ? STORE_RUN_FAILED : (int)res.status;
	c->results = res.done;
	c->failed = res.failed;
	c->api_requests = res.api_requests;
	c->rollout_ms = res.rollout_ms;
	c->table_ms = res.table_ms;
	c->probe_ms = res.probe_ms;
	c->store_ms = res.store_ms;
	c->total_ms = (time_mono_us() - t0) / 1000;
	c->end_wall_ms = time_wall_ms();
	say_check(w, c, err.msg);
	if (c->status == STORE_RUN_DONE)
		w->last_done = c->run_id;
}

/* Retention (the rules of `history --prune`, without the vacuum: new runs reuse the pages
 * of deleted ones), the WAL given back, and the store's figures for /metrics. */
static void apply_retention(struct watch *w)
{
	struct store_prune_opts o = w->retention;
	struct store_prune_report rep = {0};
	struct err err = ERR_INIT;
	int64_t runs;

	o.since_ms = time_wall_ms() - w->retention_age_ms;
	o.no_vacuum = true;
	if ((o.by_count || o.by_age) && store_prune(w->st, &o, &rep, &err) < 0)
		fprintf(stderr, "netctl: warning: retention: %s\n", err.msg);
	else if (rep.runs)
		log_info("retention: pruned %lld runs, %lld results", (long long)rep.runs,
			 (long long)rep.results);
	if (store_checkpoint(w->st, &err) < 0)
		fprintf(stderr, "netctl: warning: %s\n", err.msg);
	runs = store_runs_count(w->st, &err);
	watch_metrics_set_store(w->metrics, runs < 0 ? 0 : runs, store_size_bytes(w->st), rep.runs);
}

void watch_publish(struct watch *w)
{
	struct err err = ERR_INIT;
	struct buf b;

	if (!w->httpd)
		return;
	buf_init(&b, 0);
	if (watch_metrics_render(w->metrics, &b, &err) < 0)
		fprintf(stderr, "netctl: warning: %s\n", err.msg);
	else
		watch_httpd_publish(w->httpd, &b);
	buf_release(&b);
}

void watch_after_check(struct watch *w, const struct watch_check *c)
{
	struct err err = ERR_INIT;

	if (watch_metrics_add_check(w->metrics, w->st, c, &err) < 0)
		fprintf(stderr, "netctl: warning: metrics of run %lld: %s\n", (long long)c->run_id,
			err.msg);
	apply_retention(w);
	watch_publish(w);
}
