/* netctl watch: `netctl check` on a schedule. Floaters stay deployed between checks, every
 * check is a stored run, retention runs after each, failed pairs can be probed again sooner
 * than the next full check (a flap told from an outage), and /metrics serves it all to
 * Prometheus. SIGTERM/SIGINT end it once the current check is stored, SIGHUP reloads
 * config.json. docs/watch.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "store.h"
#include "watch.h"

#define EVERY_MIN_MS 1000L
#define EVERY_MAX_MS (7L * 86400000L)

static struct {
	const char *every, *recheck, *listen, *older_than;
	long keep;
	bool keep_set;
	long every_ms, recheck_ms, age_ms; /* parsed */
} args;

static const struct cmd_opt watch_opts[] = {
    CHECK_ARGS_OPTS,
    {OPT_STRING, 0, "every", "D", "start a full check this often: 30s, 5m, 1h (required)",
     &args.every, 0, 0, NULL},
    {OPT_STRING, 0, "recheck-failed", "D",
     "probe only the failed pairs again D after a check with failures", &args.recheck, 0, 0, NULL},
    {OPT_STRING, 0, "listen", "ADDR:PORT",
     "serve /metrics and /healthz there (127.0.0.1:9134, [::]:9134, :9134)", &args.listen, 0, 0,
     NULL},
    {OPT_LONG, 0, "keep", "N", "retention after each check: keep the newest N finished runs",
     &args.keep, 0, 1000000000L, &args.keep_set},
    {OPT_STRING, 0, "older-than", "AGE",
     "retention after each check: delete runs started more than AGE ago", &args.older_than, 0, 0,
     NULL},
    {OPT_END},
};

/* ---- signals: a byte in a pipe wakes the wait between checks --------------------------- */

static volatile sig_atomic_t stop_requests, reload_requested, run_stop;
static int sig_pipe[2] = {-1, -1};

/* First SIGTERM/SIGINT: stop once the current check is stored. Second: interrupt the
 * check (what was received is stored, the run is marked interrupted). Third: exit now. */
static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP) {
		reload_requested = 1;
	} else {
		stop_requests = stop_requests + 1;
		if (stop_requests == 2)
			run_stop = 1;
		else if (stop_requests > 2)
			_exit(EXIT_INTERRUPTED);
	}
	(void)!write(sig_pipe[1], "x", 1);
	errno = saved;
}

static int install_signals(struct err *err)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(err, ERR_IO, "pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return 0;
}

/* ---- the watch ----------------------------------------------------------------------------- */

struct watch {
	struct cmd_ctx *ctx;
	struct store *st;
	struct check_job job;
	struct watch_sched sched;
	struct watch_metrics *metrics;
	struct watch_httpd *httpd; /* NULL without --listen */
	int64_t last_done;	   /* the run a recheck continues: the last check that finished */
};

static void beat(struct watch *w)
{
	if (w->httpd)
		watch_httpd_beat(w->httpd);
}

/* The engine logs its phases itself (-v); here they only show the loop is alive. */
static void on_phase(void *arg, enum run_phase phase, const char *text)
{
	beat(arg);
}

static void on_progress(void *arg, const struct run_progress *p)
{
	beat(arg);
}

static void on_warn(void *arg, const char *text)
{
	beat(arg);
	fprintf(stderr, "netctl: warning: %s\n", text);
}

/* Waits until due (monotonic µs), a signal, or a second for the heartbeat. */
static void wait_until(struct watch *w, int64_t due_us)
{
	char drain[64];

	while (!stop_requests && !reload_requested) {
		int64_t left = due_us - time_mono_us();
		struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};

		beat(w);
		if (left <= 0)
			return;
		if (poll(&p, 1, left > 1000000 ? 1000 : (int)(left / 1000) + 1) > 0)
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
	}
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

/* Runs one check (a recheck: only what the last one did not pass) and fills c. */
static void run_one(struct watch *w, enum watch_job job, struct watch_check *c)
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
				       &w->job.o, check_filter_fn, &f, &ev, &run_stop, &res, &err);
		w->job.o.parent_id = 0;
	} else {
		rc = run_check(w->st, w->job.clusters, w->job.n, w->job.cluster_pairs, &w->job.o,
			       NULL, NULL, &ev, &run_stop, &res, &err);
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
	struct store_prune_opts o = {.by_count = args.keep_set,
				     .keep = (size_t)args.keep,
				     .by_age = args.older_than != NULL,
				     .since_ms = time_wall_ms() - args.age_ms,
				     .no_vacuum = true};
	struct store_prune_report rep = {0};
	struct err err = ERR_INIT;
	int64_t runs;

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

static void publish(struct watch *w)
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

/* The job's options from flags over config.json, floaters kept between checks; what a
 * floater would refuse is refused here (ERR_USAGE), before the store is opened. */
static int job_options(struct check_job *j, struct err *err)
{
	struct config c;
	int rc = -1;

	memset(j, 0, sizeof(*j));
	config_init(&c);
	if (check_args_load_config(&c, err) < 0 || check_args_apply(j, &c, err) < 0)
		goto out;
	if (c.auto_clean)
		log_warn("autoClean is not for watch: floaters stay deployed between checks "
			 "(netctl clean removes them)");
	j->o.keep_floaters = true;
	rc = 0;
out:
	config_release(&c);
	if (rc < 0)
		check_job_release(j);
	return rc;
}

/* The options, then the clusters from the registry (kubeconfigs read again). */
static int build_job(struct watch *w, struct check_job *j, struct err *err)
{
	if (job_options(j, err) < 0)
		return -1;
	if (check_args_select(j, w->st, err) < 0) {
		check_job_release(j);
		return -1;
	}
	return 0;
}

static void reload(struct watch *w)
{
	struct err err = ERR_INIT;
	struct check_job j;

	reload_requested = 0;
	if (build_job(w, &j, &err) < 0) {
		fprintf(stderr, "netctl: reload failed, the previous configuration stays: %s\n",
			err.msg);
		return;
	}
	check_job_release(&w->job);
	w->job = j;
	/* a recheck continues a check of the old configuration: the next full check decides */
	watch_sched_drop_recheck(&w->sched);
	fprintf(stderr, "netctl: reloaded %s and the cluster registry: %zu clusters\n",
		check_args.config ? check_args.config : "./" CONFIG_FILE_NAME, w->job.n);
}

static void say_late(const struct watch_check *c, int64_t late_us)
{
	char took[32], every[32], late[32];

	time_format_duration(c->total_ms, took, sizeof(took));
	time_format_duration(args.every_ms, every, sizeof(every));
	time_format_duration(late_us / 1000, late, sizeof(late));
	fprintf(stderr,
		"netctl: %s %lld took %s, longer than --every %s: the next check starts now, %s "
		"late\n",
		c->job == WATCH_FULL ? "check" : "recheck", (long long)c->run_id, took, every,
		late);
}

static int loop(struct watch *w)
{
	bool late = false;

	watch_sched_init(&w->sched, args.every_ms * 1000, args.recheck_ms * 1000, time_mono_us());
	publish(w);
	while (!stop_requests) {
		enum watch_job job;
		int64_t due = watch_sched_next(&w->sched, &job), start, late_us;
		struct watch_check c;
		struct err err = ERR_INIT;

		wait_until(w, due);
		if (stop_requests)
			break;
		if (reload_requested) {
			reload(w);
			continue;
		}
		start = time_mono_us();
		run_one(w, job, &c);
		c.late = late && job == WATCH_FULL;
		late_us = watch_sched_done(&w->sched, job, start, time_mono_us(),
					   c.status == STORE_RUN_DONE ? c.failed : 0);
		if (late_us > 0)
			say_late(&c, late_us);
		late = late_us > 0 || (late && job != WATCH_FULL);
		if (watch_metrics_add_check(w->metrics, w->st, &c, &err) < 0)
			fprintf(stderr, "netctl: warning: metrics of run %lld: %s\n",
				(long long)c.run_id, err.msg);
		apply_retention(w);
		publish(w);
		if (c.status == STORE_RUN_INTERRUPTED)
			break;
	}
	fprintf(stderr, "netctl: watch stopped%s\n",
		run_stop ? " (the last check was interrupted; netctl resume continues it)" : "");
	return run_stop ? EXIT_INTERRUPTED : EXIT_OK;
}

/* ---- options ------------------------------------------------------------------------------- */

static int parse_watch_args(struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!args.every)
		return err_set(err, ERR_USAGE, "--every D is required (e.g. --every 5m)");
	if (cmd_parse_age(args.every, "--every", &args.every_ms, err) < 0)
		return -1;
	if (args.every_ms < EVERY_MIN_MS || args.every_ms > EVERY_MAX_MS)
		return err_set(err, ERR_USAGE, "--every: '%s' is outside 1s .. 7d", args.every);
	if (args.recheck) {
		if (cmd_parse_age(args.recheck, "--recheck-failed", &args.recheck_ms, err) < 0)
			return -1;
		if (args.recheck_ms < EVERY_MIN_MS || args.recheck_ms >= args.every_ms)
			return err_set(
			    err, ERR_USAGE,
			    "--recheck-failed: '%s' must be at least 1s and shorter than "
			    "--every %s",
			    args.recheck, args.every);
	}
	if (args.older_than &&
	    cmd_parse_age(args.older_than, "--older-than", &args.age_ms, err) < 0)
		return -1;
	if (args.listen && watch_listen_parse(args.listen, &ss, &len, err) < 0)
		return -1;
	return 0;
}

static void say_start(const struct watch *w)
{
	char every[32], recheck[32];
	struct buf names;

	buf_init(&names, 0);
	for (size_t i = 0; i < w->job.n; i++)
		(void)!buf_printf(&names, "%s%s", i ? ", " : "", w->job.clusters[i].name);
	time_format_duration(args.every_ms, every, sizeof(every));
	time_format_duration(args.recheck_ms, recheck, sizeof(recheck));
	fprintf(stderr, "netctl: watching %s every %s%s%s%s", buf_str(&names), every,
		args.recheck ? ", failed pairs again after " : "", args.recheck ? recheck : "",
		args.keep_set || args.older_than ? "" : "; no retention (--keep, --older-than)");
	if (w->httpd)
		fprintf(stderr, "; metrics on http://%s/metrics", watch_httpd_address(w->httpd));
	fputc('\n', stderr);
	buf_release(&names);
}

static int watch_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct watch w = {.ctx = ctx};
	int rc;

	if (parse_watch_args(&err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	if (job_options(&w.job, &err) < 0)
		return err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
					     : cmd_fail(&err);
	w.st = cmd_open_store(ctx, &err);
	if (!w.st || check_args_select(&w.job, w.st, &err) < 0) {
		rc = cmd_fail(&err);
		goto out;
	}
	if (install_signals(&err) < 0) {
		rc = cmd_fail(&err);
		goto out;
	}
	if (args.listen) {
		/* a loop that made no progress this long is stuck: a liveness probe restarts it */
		int64_t stale = 3 * args.every_ms + w.job.o.pod_wait_ms + 300000;

		w.httpd = watch_httpd_start(args.listen, stale, &err);
		if (!w.httpd) {
			rc = cmd_fail(&err);
			goto out;
		}
	}
	w.metrics = watch_metrics_new(args.every_ms, args.recheck_ms, time_wall_ms());
	say_start(&w);
	rc = loop(&w);
out:
	watch_httpd_free(w.httpd);
	watch_metrics_free(w.metrics);
	check_job_release(&w.job);
	store_close(w.st);
	return rc;
}

const struct cmd_entry cmd_watch_entry = {
    .name = "watch",
    .summary = "Check on a schedule; serve the results to Prometheus (/metrics).",
    .synopsis = "watch --every D --src A[,B] [--dst C[,D]] [--listen ADDR:PORT] [OPTIONS]\n"
		"watch --every D --mesh [--listen ADDR:PORT] [OPTIONS]",
    .details = "Runs the check `netctl check` would run with the same options every D, never\n"
	       "two at once (a check that takes longer than D delays the next and says so).\n"
	       "Floaters stay deployed between checks; every check is a stored run.\n"
	       "--recheck-failed D: after a check with failures, probe only the failed pairs\n"
	       "again D later (and again while some fail), before the next full check: a pair\n"
	       "that passes then was a flap, one that still fails an outage.\n"
	       "--keep / --older-than: retention after each check, as `history --prune` (it\n"
	       "applies to every run in the store).\n"
	       "SIGTERM or SIGINT: stop once the current check is stored (a second one\n"
	       "interrupts it); SIGHUP: read config.json (or --config FILE) and the cluster\n"
	       "registry again. Metrics and alerts: docs/watch.md.",
    .opts = watch_opts,
    .exec = watch_exec,
};
