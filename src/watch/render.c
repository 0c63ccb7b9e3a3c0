/* The metrics of `netctl watch` in the Prometheus text exposition format; docs/watch.md
 * lists them with their labels and bounds. */
#include <stdio.h>
#include <string.h>

#include "prom.h"
#include "store.h"
#include "watch_int.h"

static const char *const status_names[WSTATUS_N] = {"running", "done", "interrupted", "failed"};

static double seconds(int64_t ms)
{
	return (double)ms / 1000.0;
}

static void render_watch(struct prom_writer *w, const struct watch_metrics *m)
{
	struct prom_label version = {"version", NETCTL_VERSION};

	prom_family(w, "netctl_build_info", PROM_GAUGE, "netctl's version, as a label; always 1.");
	prom_sample(w, &version, 1, 1);
	prom_family(w, "netctl_watch_interval_seconds", PROM_GAUGE,
		    "How often a full check starts (--every).");
	prom_sample(w, NULL, 0, seconds(m->every_ms));
	prom_family(w, "netctl_watch_recheck_interval_seconds", PROM_GAUGE,
		    "How soon after a check with failures only the failed pairs are probed "
		    "again (--recheck-failed); 0 when off.");
	prom_sample(w, NULL, 0, seconds(m->recheck_ms));
	prom_family(w, "netctl_watch_start_time_seconds", PROM_GAUGE,
		    "When this netctl watch started (Unix time).");
	prom_sample(w, NULL, 0, seconds(m->start_wall_ms));
}

static void render_checks(struct prom_writer *w, const struct watch_metrics *m)
{
	static const char *const phases[] = {"rollout", "table", "probe", "store", "total"};
	const int64_t ms[] = {m->full_rollout_ms, m->full_table_ms, m->full_probe_ms,
			      m->full_store_ms, m->full_total_ms};

	prom_family(w, "netctl_checks_total", PROM_COUNTER,
		    "Checks that ended, by kind (full, recheck) and run status.");
	for (int job = 0; job < 2; job++) {
		for (int s = 1; s < WSTATUS_N; s++) {
			struct prom_label l[] = {{"kind", job ? "recheck" : "full"},
						 {"status", status_names[s]}};

			prom_sample(w, l, ARRAY_SIZE(l), (double)m->checks[job][s]);
		}
	}
	prom_family(w, "netctl_checks_late_total", PROM_COUNTER,
		    "Full checks that started late because the check before them took longer "
		    "than the interval.");
	prom_sample(w, NULL, 0, (double)m->late);
	prom_family(w, "netctl_last_check_timestamp_seconds", PROM_GAUGE,
		    "When the last completed full check ended (Unix time); the start of netctl "
		    "watch until one has.");
	prom_sample(w, NULL, 0, seconds(m->done_wall_ms));
	prom_family(w, "netctl_last_check_run_id", PROM_GAUGE,
		    "Run id of the last completed full check in the store (0: none yet).");
	prom_sample(w, NULL, 0, (double)m->done_run_id);
	if (!m->have_full)
		return;
	prom_family(w, "netctl_check_duration_seconds", PROM_GAUGE,
		    "How long the last full check took, by phase: rollout (deploy and wait), "
		    "table (nodes and plan), probe, store, total.");
	for (size_t i = 0; i < ARRAY_SIZE(phases); i++) {
		struct prom_label l = {"phase", phases[i]};

		prom_sample(w, &l, 1, seconds(ms[i]));
	}
	prom_family(w, "netctl_check_api_requests", PROM_GAUGE,
		    "HTTP requests to the API servers during the last full check, retries "
		    "included.");
	prom_sample(w, NULL, 0, (double)m->full_api_requests);
}

static void group_labels(const struct watch_metrics *m, const struct wgroup *g,
			 struct prom_label *l, char *fam, size_t famsz)
{
	snprintf(fam, famsz, "%u", g->family);
	l[0] = (struct prom_label){"src_cluster", m->clusters[g->src]};
	l[1] = (struct prom_label){"dst_cluster", m->clusters[g->dst]};
	l[2] = (struct prom_label){"protocol", probe_protocol_name(g->protocol)};
	l[3] = (struct prom_label){"family", fam};
	l[4] = (struct prom_label){"network", store_network_name(g->network)};
}

enum { GROUP_CHECKED, GROUP_FAILED, GROUP_LOSS };

static void render_group_gauge(struct prom_writer *w, const struct watch_metrics *m, int what)
{
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct wgroup *g = &m->groups[i];
		struct prom_label l[5];
		char fam[8];
		double v;

		if (!g->current)
			continue;
		group_labels(m, g, l, fam, sizeof(fam));
		if (what == GROUP_CHECKED)
			v = (double)g->checked;
		else if (what == GROUP_FAILED)
			v = (double)g->failed;
		else
			v = g->sent ? 1.0 - (double)g->received / (double)g->sent : 0;
		prom_sample(w, l, ARRAY_SIZE(l), v);
	}
}

static void render_groups(struct prom_writer *w, const struct watch_metrics *m)
{
	prom_family(w, "netctl_pairs_checked", PROM_GAUGE,
		    "Results (node pairs) of the last check, per source cluster, destination "
		    "cluster, protocol, family and network.");
	render_group_gauge(w, m, GROUP_CHECKED);
	prom_family(w, "netctl_pairs_failed", PROM_GAUGE,
		    "Results of the last check that did not pass (after its rechecks).");
	render_group_gauge(w, m, GROUP_FAILED);
	prom_family(w, "netctl_pair_loss_ratio", PROM_GAUGE,
		    "Probes lost over probes sent in the last check.");
	render_group_gauge(w, m, GROUP_LOSS);
	prom_family(w, "netctl_pair_rtt_seconds", PROM_HISTOGRAM,
		    "Mean round-trip time of each passed result of every full check since netctl "
		    "watch started.");
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct wgroup *g = &m->groups[i];
		struct prom_hist h = {watch_rtt_bounds, WATCH_RTT_BUCKETS, g->rtt, g->rtt_sum};
		struct prom_label l[5];
		char fam[8];

		group_labels(m, g, l, fam, sizeof(fam));
		prom_histogram(w, l, ARRAY_SIZE(l), &h);
	}
}

static void render_nodes(struct prom_writer *w, const struct watch_metrics *m)
{
	prom_family(w, "netctl_node_failing_pairs", PROM_GAUGE,
		    "Results of the last check that failed from (the node probed) or to the node "
		    "(it was probed).");
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct wnode *n = &m->nodes[i];
		struct prom_label l[] = {
		    {"cluster", m->clusters[n->cluster]}, {"node", n->name}, {"direction", "from"}};

		prom_sample(w, l, ARRAY_SIZE(l), (double)n->fail_from);
		l[2].value = "to";
		prom_sample(w, l, ARRAY_SIZE(l), (double)n->fail_to);
	}
}

static void render_verdicts(struct prom_writer *w, const struct watch_metrics *m)
{
	static const char *const names[WV_N] = {"kind",	     "cluster",	 "node",  "peer_cluster",
						"peer_node", "protocol", "family"};

	prom_family(w, "netctl_verdict", PROM_GAUGE,
		    "1 for each verdict of the last check (see docs/report-format.md, "
		    "Verdicts); a verdict that no longer holds is gone.");
	for (size_t i = 0; i < m->nverdicts; i++) {
		struct prom_label l[WV_N];

		for (int k = 0; k < WV_N; k++)
			l[k] = (struct prom_label){names[k], m->verdicts[i].label[k]};
		prom_sample(w, l, WV_N, 1);
	}
	if (!m->have_recheck)
		return;
	prom_family(w, "netctl_recheck_pairs", PROM_GAUGE,
		    "Results the last recheck probed again: recovered (a flap) or still-failing "
		    "(an outage).");
	{
		struct prom_label l = {"outcome", "recovered"};

		prom_sample(w, &l, 1, (double)m->recheck_recovered);
		l.value = "still-failing";
		prom_sample(w, &l, 1, (double)m->recheck_still_failing);
	}
}

static void render_sampling(struct prom_writer *w, const struct watch_metrics *m)
{
	prom_family(w, "netctl_sample_size", PROM_GAUGE,
		    "K of --sample in the last completed full check: nodes of each destination "
		    "cluster each source probes per check; 0 when not sampling.");
	prom_sample(w, NULL, 0, (double)m->sample_size);
	prom_family(w, "netctl_sample_round", PROM_GAUGE,
		    "Round of the last completed full check in its sampling series (0 when not "
		    "sampling); round r probes block r mod R of each rotation.");
	prom_sample(w, NULL, 0, (double)m->sample_round);
	prom_family(w, "netctl_sample_rotation_checks", PROM_GAUGE,
		    "Checks that probe every pair of a cluster pair once: ceil(destinations / "
		    "K), 1 when not sampling.");
	for (size_t i = 0; i < m->nrotations; i++) {
		const struct wrotation *r = &m->rotations[i];
		struct prom_label l[] = {{"src_cluster", m->clusters[r->src]},
					 {"dst_cluster", m->clusters[r->dst]}};

		prom_sample(w, l, ARRAY_SIZE(l), (double)r->checks);
	}
}

enum { WINDOW_PAIRS, WINDOW_PROBED, WINDOW_FAILED };

static void render_window_gauge(struct prom_writer *w, const struct watch_metrics *m, int what)
{
	for (size_t i = 0; i < m->nwindows; i++) {
		const struct wwindow *x = &m->windows[i];
		struct wgroup g = {.src = x->src,
				   .dst = x->dst,
				   .protocol = x->protocol,
				   .family = x->family,
				   .network = x->network};
		const int64_t v[] = {x->pairs, x->probed, x->failed};
		struct prom_label l[5];
		char fam[8];

		group_labels(m, &g, l, fam, sizeof(fam));
		prom_sample(w, l, ARRAY_SIZE(l), (double)v[what]);
	}
}

static void render_window(struct prom_writer *w, const struct watch_metrics *m)
{
	if (!m->have_window)
		return;
	prom_family(w, "netctl_window_rotation_checks", PROM_GAUGE,
		    "Checks in the window: a whole rotation of --sample (the longest "
		    "netctl_sample_rotation_checks), 1 when not sampling.");
	prom_sample(w, NULL, 0, (double)m->window_rotation);
	prom_family(w, "netctl_window_checks", PROM_GAUGE,
		    "Checks the store held for the window (their rechecks come along): fewer than "
		    "netctl_window_rotation_checks until a whole rotation has run.");
	prom_sample(w, NULL, 0, (double)m->window_checks);
	prom_family(w, "netctl_window_run_id", PROM_GAUGE,
		    "Run id of the check the window ends at (netctl coverage --run ID --runs R).");
	prom_sample(w, NULL, 0, (double)m->window_run_id);
	prom_family(w, "netctl_window_duration_seconds", PROM_GAUGE,
		    "How long reading the window from the store took.");
	prom_sample(w, NULL, 0, (double)m->window_cost_us / 1e6);
	prom_family(w, "netctl_window_pairs", PROM_GAUGE,
		    "Node pairs of the last check's nodes, per source cluster, destination "
		    "cluster, protocol, family and network.");
	render_window_gauge(w, m, WINDOW_PAIRS);
	prom_family(w, "netctl_window_pairs_probed", PROM_GAUGE,
		    "Of those, pairs with a result in the window (the last rotation).");
	render_window_gauge(w, m, WINDOW_PROBED);
	prom_family(w, "netctl_window_pairs_failed", PROM_GAUGE,
		    "Of the pairs probed, those whose latest result in the window did not pass.");
	render_window_gauge(w, m, WINDOW_FAILED);
}

static void render_store(struct prom_writer *w, const struct watch_metrics *m)
{
	prom_family(w, "netctl_runs_stored", PROM_GAUGE, "Runs in the store after retention.");
	prom_sample(w, NULL, 0, (double)m->store_runs);
	prom_family(w, "netctl_store_size_bytes", PROM_GAUGE,
		    "Size of the store: the database file and its write-ahead log.");
	prom_sample(w, NULL, 0, (double)m->store_bytes);
	prom_family(w, "netctl_runs_pruned_total", PROM_COUNTER,
		    "Runs deleted by retention (--keep, --older-than).");
	prom_sample(w, NULL, 0, (double)m->pruned);
}

int watch_metrics_render(const struct watch_metrics *m, struct buf *out, struct err *err)
{
	struct prom_writer w;
	int rc = 0;

	prom_writer_init(&w, out);
	render_watch(&w, m);
	render_checks(&w, m);
	render_groups(&w, m);
	render_nodes(&w, m);
	render_verdicts(&w, m);
	if (m->done_run_id)
		render_sampling(&w, m);
	render_window(&w, m);
	render_store(&w, m);
	if (prom_writer_error(&w, err))
		rc = -1;
	prom_writer_release(&w);
	return rc;
}
