/* watch: what `netctl watch` keeps between checks: when the next check is due (the
 * schedule), the metrics of the last checks in the Prometheus text format, and the small
 * HTTP server that serves them. The one public header of src/watch; cmd/netctl/cmd_watch.c
 * runs the checks and prints. See docs/watch.md. */
#ifndef NETCTL_WATCH_H
#define NETCTL_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common.h"

struct store;

/* ---- the schedule (sched.c): pure, on the caller's monotonic clock (µs) ------------------
 * Full checks are due every `every`, counted from the start of the previous one; a check
 * that takes longer delays the next, which then starts as soon as it ended (never two at
 * once). With rechecks on, a check that left failures is followed, `recheck` after it
 * ended, by a recheck of only what failed, again and again while failures remain (at most
 * WATCH_MAX_RECHECKS in a row), as long as it falls before the next full check. */
enum watch_job { WATCH_FULL = 0, WATCH_RECHECK };

/* A recheck is a resume of the previous check; a resume chain is read whole by every merged
 * view, so its length is bounded (the store follows at most 64). */
#define WATCH_MAX_RECHECKS 32

struct watch_sched {
	int64_t every_us;
	int64_t recheck_us;	 /* 0: no rechecks */
	int64_t next_full_us;	 /* when the next full check is due */
	int64_t next_recheck_us; /* 0: none pending */
	int rechecks;		 /* rechecks since the last full check */
};

/* The first full check is due at now. */
void watch_sched_init(struct watch_sched *s, int64_t every_us, int64_t recheck_us, int64_t now_us);
/* The next job and when it is due (at or before now: start it now). */
int64_t watch_sched_next(const struct watch_sched *s, enum watch_job *job);
/* A check of kind job ran from start_us to end_us and left `failing` results that did not
 * pass (0 for a check that could not run). Returns by how much it overran the time of the
 * next full check (0 when it did not): the next full check starts that late. */
int64_t watch_sched_done(struct watch_sched *s, enum watch_job job, int64_t start_us,
			 int64_t end_us, int64_t failing);
/* Forgets a pending recheck (the configuration changed under it). */
void watch_sched_drop_recheck(struct watch_sched *s);

/* ---- metrics (metrics.c: collected from the store; render.c: the exposition) ------------ */

/* Bucket upper bounds of netctl_pair_rtt_seconds: 1-2-5 steps from 10 µs to 5 s. */
#define WATCH_RTT_BUCKETS 18
extern const double watch_rtt_bounds[WATCH_RTT_BUCKETS];

/* A finished check, as the engine reported it. */
struct watch_check {
	enum watch_job job;
	int64_t run_id; /* 0: the run could not even be recorded */
	int status;	/* enum store_run_status */
	int64_t results, failed;
	uint64_t api_requests;
	int64_t rollout_ms, table_ms, probe_ms, store_ms, total_ms;
	int64_t end_wall_ms; /* when it ended (Unix epoch ms) */
	bool late;	     /* it started late: the check before it overran the interval */
};

struct watch_metrics;

struct watch_metrics *watch_metrics_new(int64_t every_ms, int64_t recheck_ms,
					int64_t start_wall_ms);
void watch_metrics_free(struct watch_metrics *m);
/* Counts a finished check and, when it finished (status done), reads its results (merged
 * along its resume chain, so a recheck shows the whole picture) and verdicts from the
 * store: the per-group and per-node gauges and the verdicts are then the ones of this
 * check. A full check also adds each passed result's mean RTT to netctl_pair_rtt_seconds and
 * sets the sampling gauges from its recorded --sample; then (watch_window_due) the window
 * gauges are read over the last rotation ending at the check (store_coverage). */
int watch_metrics_add_check(struct watch_metrics *m, struct store *st, const struct watch_check *c,
			    struct err *err);
/* The window over the last rotation (netctl_window_*) is computed after a check unless its
 * last computation took longer than 1/WATCH_WINDOW_SHARE of --every: then only after every
 * ceil(cost / (every / WATCH_WINDOW_SHARE))-th check (skipped: checks since it was), so on
 * average it costs at most that share of the schedule. */
#define WATCH_WINDOW_SHARE 10
bool watch_window_due(int64_t cost_us, int64_t every_ms, int64_t skipped);
/* The store after retention: runs it holds, bytes (file + WAL), runs pruned just now. */
void watch_metrics_set_store(struct watch_metrics *m, int64_t runs, int64_t bytes, int64_t pruned);
/* Every metric in the text exposition format, appended to out. */
int watch_metrics_render(const struct watch_metrics *m, struct buf *out, struct err *err);

/* ---- the HTTP server (httpd.c): GET /metrics and /healthz from a thread of its own ------ */

/* "ADDR:PORT", "[ADDR]:PORT" or ":PORT" (every address): numeric only, port 0-65535 (0:
 * the kernel picks one). ERR_USAGE naming --listen. */
int watch_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, struct err *err);

struct watch_httpd;

/* Binds and starts serving. /healthz answers 200 while watch_httpd_beat was called within
 * stale_after_ms, 503 after. /metrics serves what was published last. */
struct watch_httpd *watch_httpd_start(const char *listen, int64_t stale_after_ms, struct err *err);
/* Stops the thread, closes every connection and the socket. */
void watch_httpd_free(struct watch_httpd *h);
/* "127.0.0.1:41234" / "[::1]:9134": where it listens (the kernel's port for port 0). */
const char *watch_httpd_address(const struct watch_httpd *h);
/* What /metrics serves from now on; takes the buffer's contents (b is reset). */
void watch_httpd_publish(struct watch_httpd *h, struct buf *b);
/* The watch loop is alive. */
void watch_httpd_beat(struct watch_httpd *h);
/* Requests answered so far (for tests). */
uint64_t watch_httpd_requests(const struct watch_httpd *h);

#endif
