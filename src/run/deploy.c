/* Floaters: apply the DaemonSets into every cluster, wait for them (bounded), remove them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* Which DaemonSets the asked networks need: the pod floater sends pod and pod-host probes
 * and answers pod and host-pod ones; the host floater the other way round. */
unsigned engine_kube_networks(unsigned store_networks)
{
	unsigned k = 0;

	if (store_networks & ((1u << STORE_NET_POD) | (1u << STORE_NET_POD_HOST) |
			      (1u << STORE_NET_HOST_POD)))
		k |= KUBE_NET_POD;
	if (store_networks & ((1u << STORE_NET_HOST) | (1u << STORE_NET_POD_HOST) |
			      (1u << STORE_NET_HOST_POD)))
		k |= KUBE_NET_HOST;
	return k;
}

int floaters_deploy(struct engine *e, struct err *err)
{
	unsigned nets = engine_kube_networks(e->o.networks);

	for (size_t c = 0; c < e->nclusters; c++) {
		struct engine_cluster *ec = &e->clusters[c];
		struct kube_deploy_vars v = {
			.namespace = e->o.namespace,
			.image_repository = e->o.image_repository,
			.version = e->o.version,
			.port = e->o.port,
		};
		struct kube_apply_report rep;

		memset(&rep, 0, sizeof(rep));
		if (kube_floaters_apply(ec->client, &v, nets, &rep, err) < 0)
			return err_prefix(err, "deploying floaters to %s", ec->in->name);
		ec->token = xstrdup(rep.token);
		ec->deployed = nets;
		engine_phase(e, RUN_PHASE_DEPLOY, "%s: %s", ec->in->name, rep.summary);
	}
	return 0;
}

static int wait_one(struct engine *e, struct engine_cluster *ec, const char *ds,
		    int64_t deadline_us, struct err *err)
{
	struct kube_rollout ro;
	long left = (long)((deadline_us - time_mono_us()) / 1000);
	int rc;

	if (left < 1000)
		left = 1000; /* one look even when the budget is spent */
	memset(&ro, 0, sizeof(ro));
	rc = kube_daemonset_wait(ec->client, e->o.namespace, ds, left, &ro, err);
	if (rc < 0 && err->code != ERR_TIMEOUT) {
		kube_rollout_release(&ro);
		return err_prefix(err, "waiting for %s in %s", ds, ec->in->name);
	}
	engine_phase(e, RUN_PHASE_ROLLOUT, "%s: %ld/%ld %s ready", ec->in->name, ro.ready,
		     ro.desired, ds);
	for (size_t i = 0; i < ro.nproblems; i++)
		engine_warn(e, "%s: node %s has no ready %s: %s", ec->in->name,
			    ro.problems[i].node ? ro.problems[i].node : "?", ds,
			    ro.problems[i].why ? ro.problems[i].why : "unknown");
	kube_rollout_release(&ro);
	err_clear(err);
	return 0;
}

int floaters_wait(struct engine *e, volatile sig_atomic_t *stop, struct err *err)
{
	int64_t deadline = time_mono_us() + (int64_t)e->o.pod_wait_ms * 1000;

	for (size_t c = 0; c < e->nclusters; c++) {
		struct engine_cluster *ec = &e->clusters[c];

		if (stop && *stop)
			return 0;
		if ((ec->deployed & KUBE_NET_POD) &&
		    wait_one(e, ec, KUBE_FLOATER_NAME, deadline, err) < 0)
			return -1;
		if ((ec->deployed & KUBE_NET_HOST) &&
		    wait_one(e, ec, KUBE_FLOATER_HOST_NAME, deadline, err) < 0)
			return -1;
	}
	return 0;
}

void floaters_remove(struct engine *e)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		struct err err = ERR_INIT;

		if (kube_floaters_delete(e->clusters[c].client, e->o.namespace, 0, &err) < 0)
			engine_warn(e, "%s: cleaning up floaters: %s", e->clusters[c].in->name,
				    err.msg);
		else
			engine_phase(e, RUN_PHASE_CLEANUP, "%s: floaters removed",
				     e->clusters[c].in->name);
	}
}

int run_clean(const struct run_cluster *clusters, size_t n, const char *ns, long wait_ms,
	      const struct run_events *ev, struct err *err)
{
	struct kube_loop *loop = kube_loop_new(err);
	int rc = 0;

	if (!loop)
		return -1;
	for (size_t c = 0; c < n; c++) {
		struct kube_client_opts ko = {.name = clusters[c].name};
		struct kube_client *kc = kube_client_new(loop, clusters[c].target, &ko, err);
		char text[256];

		if (!kc || kube_floaters_delete(kc, ns, wait_ms, err) < 0) {
			kube_client_free(kc);
			rc = err_prefix(err, "cleaning %s", clusters[c].name);
			break;
		}
		kube_client_free(kc);
		snprintf(text, sizeof(text), "%s: removed everything netctl created in %s",
			 clusters[c].name, ns);
		if (ev && ev->phase)
			ev->phase(ev->arg, RUN_PHASE_CLEANUP, text);
	}
	kube_loop_free(loop);
	return rc;
}
