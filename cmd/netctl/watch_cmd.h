/* What cmd_watch.c (options, signals, the loop) and watch_check.c (one check and what
 * follows it) share. */
#ifndef NETCTL_CMD_WATCH_H
#define NETCTL_CMD_WATCH_H

#include "check.h"
#include "store.h"
#include "watch.h"

struct watch {
	struct store *st;
	struct check_job job;
	struct watch_sched sched;
	struct watch_metrics *metrics;
	struct watch_httpd *httpd;	   /* NULL without --listen */
	volatile sig_atomic_t *stop;	   /* non-zero: interrupt the check in progress */
	struct store_prune_opts retention; /* by_count / by_age: --keep, --older-than */
	long retention_age_ms;		   /* --older-than, from now at each prune */
	int64_t last_done; /* the run a recheck continues: the last check that finished */
};

/* The loop is alive (for /healthz). */
void watch_beat(struct watch *w);
/* Runs one check (a recheck: only what the last finished one did not pass), says how it
 * went on stderr, and fills c. */
void watch_run_one(struct watch *w, enum watch_job job, struct watch_check *c);
/* After a check: its metrics, retention, the store's figures, and /metrics updated. */
void watch_after_check(struct watch *w, const struct watch_check *c);
/* Renders the metrics and hands them to the HTTP server (when there is one). */
void watch_publish(struct watch *w);

#endif
