/* Shared by check and resume: resolve clusters, run the engine, print the outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"

void check_job_release(struct check_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free((char *)j->clusters[i].name);
		kube_target_free((struct kube_target *)j->clusters[i].target);
	}
	free(j->clusters);
	free(j->cluster_pairs);
	free(j->options_json);
	free((char *)j->o.namespace);
	free((char *)j->o.image_repository);
	free((char *)j->o.version);
	memset(j, 0, sizeof(*j));
}

int check_job_add_cluster(struct check_job *j, struct store *st, const char *name,
			  unsigned roles, struct err *err)
{
	struct store_cluster *sc;
	struct kube_target *t;
	struct run_cluster *rc;

	for (size_t i = 0; i < j->n; i++) {
		if (!strcmp(j->clusters[i].name, name)) {
			j->clusters[i].roles |= roles;
			return 0;
		}
	}
	sc = store_cluster_get(st, name, err);
	if (!sc) {
		if (err->code == ERR_NOTFOUND)
			return err_set(err, ERR_USAGE,
				       "cluster '%s' is not registered (netctl cluster add %s "
				       "--kubeconfig FILE)",
				       name, name);
		return -1;
	}
	t = kube_target_load(sc->kubeconfig, sc->context, err);
	if (!t) {
		store_cluster_free(sc);
		return err_prefix(err, "cluster %s", name);
	}
	j->clusters = xrealloc(j->clusters, (j->n + 1) * sizeof(*j->clusters));
	rc = &j->clusters[j->n++];
	rc->name = xstrdup(name);
	rc->cluster_id = sc->id;
	rc->target = t;
	rc->roles = roles;
	store_cluster_free(sc);
	return 0;
}

int check_job_execute(struct cmd_ctx *ctx, struct store *st, struct check_job *j)
{
	struct err err = ERR_INIT;
	struct run_result res;
	struct run_events ev;
	struct progress *p = progress_new(j->quiet || j->json);
	int rc;

	memset(&ev, 0, sizeof(ev));
	progress_bind(p, &ev);
	rc = run_check(st, j->clusters, j->n, j->cluster_pairs, &j->o, j->filter, j->filter_arg,
		       &ev, &cmd_interrupted, &res, &err);
	progress_finish(p);
	progress_free(p);
	if (rc < 0) {
		if (res.run_id > 0)
			fprintf(stderr, "netctl: run %lld failed\n", (long long)res.run_id);
		return cmd_fail(&err);
	}
	rc = check_print_outcome(st, &res, j->json, &err);
	if (rc < 0)
		return cmd_fail(&err);
	if (res.status == STORE_RUN_INTERRUPTED)
		return EXIT_INTERRUPTED;
	return res.failed > 0 || res.done < res.total ? EXIT_FAILED : EXIT_OK;
}
