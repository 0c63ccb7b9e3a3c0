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

#include "config.h"
#include "watch_cmd.h"

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

/* Waits until due (monotonic µs), a signal, or a second for the heartbeat. */
static void wait_until(struct watch *w, int64_t due_us)
{
	char drain[64];

	while (!stop_requests && !reload_requested) {
		int64_t left = due_us - time_mono_us();
		struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};

		watch_beat(w);
		if (left <= 0)
			return;
		if (poll(&p, 1, left > 1000000 ? 1000 : (int)(left / 1000) + 1) > 0)
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
	}
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
	watch_publish(w);
	while (!stop_requests) {
		enum watch_job job;
		int64_t due = watch_sched_next(&w->sched, &job), start, late_us;
		struct watch_check c;

		wait_until(w, due);
		if (stop_requests)
			break;
		if (reload_requested) {
			reload(w);
			continue;
		}
		start = time_mono_us();
		watch_run_one(w, job, &c);
		c.late = late && job == WATCH_FULL;
		late_us = watch_sched_done(&w->sched, job, start, time_mono_us(),
					   c.status == STORE_RUN_DONE ? c.failed : 0);
		if (late_us > 0)
			say_late(&c, late_us);
		late = late_us > 0 || (late && job != WATCH_FULL);
		watch_after_check(w, &c);
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
	struct watch w = {.stop = &run_stop};
	int rc;

	if (parse_watch_args(&err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	if (job_options(&w.job, &err) < 0)
		return err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
					     : cmd_fail(&err);
	w.st = cmd_open_store(ctx, &err);
	if (!w.st || check_args_select(&w.job, w.st, &err) < 0) {
		rc = w.st && err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
						   : cmd_fail(&err);
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
	w.retention.by_count = args.keep_set;
	w.retention.keep = (size_t)args.keep;
	w.retention.by_age = args.older_than != NULL;
	w.retention_age_ms = args.age_ms;
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
