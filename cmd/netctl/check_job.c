/* Shared by check and resume: resolve clusters, run the engine, print the outcome. */
#include <cjson/cJSON.h>
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
	free((char *)j->o.dst_image_repository);
	strv_free((char **)j->o.image_pull_secrets);
	free((char *)j->o.version);
	memset(j, 0, sizeof(*j));
}

int check_job_add_cluster(struct check_job *j, struct store *st, const char *name, unsigned roles,
			  struct err *err)
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

/* Everything the engine is given except the clusters' kubeconfigs (resolved again from the
 * registry) and the filter: `resume` rebuilds the job from this. No secrets. */
char *check_job_options_json(const struct check_job *j)
{
	cJSON *o = cJSON_CreateObject(), *cl = cJSON_AddArrayToObject(o, "clusters");
	cJSON *cp;
	char *s;

	for (size_t i = 0; i < j->n; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "name", j->clusters[i].name);
		cJSON_AddBoolToObject(c, "src", j->clusters[i].roles & STORE_ROLE_SRC);
		cJSON_AddBoolToObject(c, "dst", j->clusters[i].roles & STORE_ROLE_DST);
		cJSON_AddItemToArray(cl, c);
	}
	cJSON_AddNumberToObject(o, "protocols", j->o.protocols);
	cJSON_AddNumberToObject(o, "families", j->o.families);
	cJSON_AddNumberToObject(o, "networks", j->o.networks);
	cJSON_AddNumberToObject(o, "count", j->o.count);
	cJSON_AddNumberToObject(o, "interval_ms", (double)j->o.interval_ms);
	cJSON_AddNumberToObject(o, "timeout_ms", (double)j->o.timeout_ms);
	cJSON_AddNumberToObject(o, "size", j->o.size);
	cJSON_AddNumberToObject(o, "port", j->o.port);
	cJSON_AddNumberToObject(o, "concurrency", j->o.concurrency);
	cJSON_AddNumberToObject(o, "pod_wait_ms", (double)j->o.pod_wait_ms);
	cJSON_AddStringToObject(o, "namespace", j->o.namespace);
	if (j->o.image_repository)
		cJSON_AddStringToObject(o, "image_repository", j->o.image_repository);
	if (j->o.dst_image_repository)
		cJSON_AddStringToObject(o, "dst_image_repository", j->o.dst_image_repository);
	if (j->o.image_pull_secrets)
		cJSON_AddItemToObject(
		    o, "image_pull_secrets",
		    cJSON_CreateStringArray((const char *const *)j->o.image_pull_secrets,
					    (int)strv_len(j->o.image_pull_secrets)));
	if (j->o.version)
		cJSON_AddStringToObject(o, "version", j->o.version);
	cJSON_AddBoolToObject(o, "keep_floaters", j->o.keep_floaters);
	cJSON_AddBoolToObject(o, "mesh", j->mesh);
	cJSON_AddNumberToObject(o, "cluster_pairs_n", (double)j->n);
	cp = cJSON_AddArrayToObject(o, "cluster_pairs");
	for (size_t i = 0; i < j->n * j->n; i++)
		cJSON_AddItemToArray(cp, cJSON_CreateBool(j->cluster_pairs[i]));
	s = json_print(o);
	cJSON_Delete(o);
	return s;
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
		/* one line: which run (it is stored, as failed) and why */
		if (res.run_id > 0)
			err_prefix(&err, "run %lld failed", (long long)res.run_id);
		return cmd_fail(&err);
	}
	rc = check_print_outcome(st, &res, j->json, &err);
	if (rc < 0)
		return cmd_fail(&err);
	if (res.status == STORE_RUN_INTERRUPTED)
		return EXIT_INTERRUPTED;
	return res.failed > 0 || res.done < res.total ? EXIT_FAILED : EXIT_OK;
}
