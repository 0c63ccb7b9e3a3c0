/* watch internals shared by metrics.c (collecting) and render.c (writing). */
#ifndef NETCTL_WATCH_INT_H
#define NETCTL_WATCH_INT_H

#include "watch.h"

/* One group: src cluster x dst cluster x protocol x family x network. Groups stay for the
 * life of the process (their histogram is a counter); the gauges are those of the last
 * check that had the group (current). */
struct wgroup {
	uint32_t src, dst; /* cluster indexes */
	uint8_t protocol, family, network;
	bool current;
	int64_t checked, failed, sent, received;
	uint64_t rtt[WATCH_RTT_BUCKETS + 1]; /* observations per bucket, not cumulative */
	double rtt_sum;
};

/* A node of the last check: failing results from it (as source) and to it. */
struct wnode {
	uint32_t cluster;
	char *name;
	int64_t fail_from, fail_to;
};

/* An active verdict's labels (NULL: not about that). */
enum {
	WV_KIND = 0,
	WV_CLUSTER,
	WV_NODE,
	WV_PEER_CLUSTER,
	WV_PEER_NODE,
	WV_PROTOCOL,
	WV_FAMILY,
	WV_N
};

struct wverdict {
	char *label[WV_N];
};

/* A group over the window of the last rotation (the coverage of `netctl coverage`). */
struct wwindow {
	uint32_t src, dst; /* cluster indexes */
	uint8_t protocol, family, network;
	int64_t pairs, probed, failed;
};

/* A cluster pair's rotation: the checks that probe each of its pairs once (R). */
struct wrotation {
	uint32_t src, dst;
	int64_t checks;
};

enum { WSTATUS_N = 4 }; /* enum store_run_status */

struct watch_metrics {
	int64_t every_ms, recheck_ms, start_wall_ms;

	char **clusters; /* interned names; indexes are stable */
	size_t nclusters, capclusters;

	struct wgroup *groups;
	size_t ngroups, capgroups;
	struct idmap group_ix; /* group key -> index */

	struct wnode *nodes; /* of the last check */
	size_t nnodes, capnodes;

	struct wverdict *verdicts; /* of the last check */
	size_t nverdicts, capverdicts;

	uint64_t checks[2][WSTATUS_N]; /* by enum watch_job and status */
	uint64_t late;
	uint64_t pruned;

	/* the last full check that finished (any status) */
	bool have_full;
	int64_t full_rollout_ms, full_table_ms, full_probe_ms, full_store_ms, full_total_ms;
	uint64_t full_api_requests;
	/* the last completed (done) full check; start_wall_ms before the first */
	int64_t done_wall_ms, done_run_id;

	/* the last recheck that finished */
	bool have_recheck;
	int64_t recheck_recovered, recheck_still_failing;

	int64_t store_runs, store_bytes;

	/* --sample of the last completed full check (0: not sampling) and its rotations */
	int64_t sample_size, sample_round;
	struct wrotation *rotations;
	size_t nrotations, caprotations;

	/* the window over the last rotation, after the last completed check (have_window) */
	bool have_window;
	int64_t window_run_id;	 /* the run it ends at */
	int64_t window_rotation; /* R: checks in a whole rotation (1 without --sample) */
	int64_t window_checks;	 /* checks it holds (their rechecks come along) */
	int64_t window_cost_us;	 /* how long its computation took */
	int64_t window_skipped;	 /* checks since it was computed (bounded cost) */
	struct wwindow *windows;
	size_t nwindows, capwindows;
};

#endif
