/* What `check` and `resume` share: options, clusters, running the engine, drawing
 * progress and printing the outcome. */
#ifndef NETCTL_CMD_CHECK_H
#define NETCTL_CMD_CHECK_H

#include "cmd.h"
#include "run.h"

struct check_job {
	struct run_cluster *clusters; /* owned, with their kube targets */
	size_t n;
	bool *cluster_pairs; /* n x n */
	struct run_options o;
	char *options_json;
	bool mesh;  /* --mesh: recorded so a resume knows how the run was asked for */
	bool json;  /* one JSON document on stdout instead of tables */
	bool quiet; /* no progress */
	plan_filter_fn filter;
	void *filter_arg;
	/* which nodes take part, as given (recorded for resume); the parsed forms are in
	 * clusters[i].select and owned here */
	char **node_selectors; /* "[CLUSTER:]SELECTOR" */
	char **exclude_nodes;  /* "[CLUSTER/]NODE" */
	char *tolerations;     /* NULL: the default */
	struct kube_tolerations *tol;
	int64_t run_id;		    /* out: the run check_job_execute made (0: none) */
	struct run_target *targets; /* custom targets (j->o.targets points here) */
	size_t ntargets;
};

void check_job_release(struct check_job *j);
/* Resolves registered cluster names into j->clusters (loading each kubeconfig context). */
int check_job_add_cluster(struct check_job *j, struct store *st, const char *name, unsigned roles,
			  struct err *err);
/* Which nodes of each cluster take part: --node-selector [CLUSTER:]SELECTOR (global ones
 * and the cluster's own are ANDed), --exclude-node [CLUSTER/]NODE (bare: every cluster),
 * --tolerations (NULL: the default). Call after the clusters are added. ERR_USAGE for a
 * value that is not one, or a cluster that is not in the job. */
int check_job_select(struct check_job *j, char *const *selectors, char *const *excludes,
		     const char *tolerations, struct err *err);
/* Custom targets ("ADDR[:PORT]", "[ADDR]:PORT"), duplicates dropped; ERR_USAGE naming
 * `what` for one that is not. */
int check_job_targets(struct check_job *j, char *const *texts, const char *what, struct err *err);
/* The options recorded with a run (every field a resume needs to repeat it), JSON text. */
char *check_job_options_json(const struct check_job *j);
/* Runs the job, draws progress, prints the outcome; returns the exit code. */
int check_job_execute(struct cmd_ctx *ctx, struct store *st, struct check_job *j);

/* Prints the outcome of a run: tables and verdicts, or one JSON document (outcome.c). */
int check_print_outcome(struct store *st, const struct run_result *res, bool json, struct err *err);

/* Progress drawing on stderr (progress.c). */
struct progress;
struct progress *progress_new(bool quiet);
void progress_free(struct progress *p);
void progress_bind(struct progress *p, struct run_events *ev);
/* Clears the bar (before printing tables). */
void progress_finish(struct progress *p);

#endif
