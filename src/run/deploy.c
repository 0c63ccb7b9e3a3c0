/* Floaters: apply the DaemonSets into every cluster, wait for them (bounded), remove them. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* Which DaemonSets the asked networks need: the pod floater sends pod and pod-host probes
 * and answers pod and host-pod ones; the host floater the other way round. */
static unsigned kube_networks(unsigned store_networks)
{
	unsigned k = 0;

	if (store_networks &
	    ((1u << STORE_NET_POD) | (1u << STORE_NET_POD_HOST) | (1u << STORE_NET_HOST_POD)))
		k |= KUBE_NET_POD;
	if (store_networks &
	    ((1u << STORE_NET_HOST) | (1u << STORE_NET_POD_HOST) | (1u << STORE_NET_HOST_POD)))
		k |= KUBE_NET_HOST;
	return k;
}

/* One UDP echo key for every cluster of the run, for a floater answers only probes tagged
 * with its own: the first cluster that has one gives it, the others get it written. */
static int echo_key_pick(struct run_engine *e, char key[KUBE_ECHO_KEY_LEN + 1], struct err *err)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		int rc = kube_echo_key_get(e->clusters[c].client, e->o.namespace, key, err);

		if (rc < 0)
			return err_prefix(err, "reading the echo key in %s",
					  e->clusters[c].in->name);
		if (rc > 0)
			break;
	}
	return 0;
}

/* NetDoctor's rule: a cluster that is only a destination pulls the floater image from
 * dstImageRepository when it is set, every other cluster from srcImageRepository. */
const char *run_floaters_image_repository(const struct run_engine *e,
					  const struct run_engine_cluster *ec)
{
	if (ec->in->roles == STORE_ROLE_DST && e->o.dst_image_repository)
		return e->o.dst_image_repository;
	return e->o.image_repository;
}

int run_floaters_deploy(struct run_engine *e, struct err *err)
{
	unsigned nets = kube_networks(e->o.networks);
	char key[KUBE_ECHO_KEY_LEN + 1] = "";

	if (echo_key_pick(e, key, err) < 0)
		return -1;
	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];
		struct kube_deploy_vars v = {
		    .namespace = e->o.namespace,
		    .image_repository = run_floaters_image_repository(e, ec),
		    .version = e->o.version,
		    .image_pull_secrets = e->o.image_pull_secrets,
		    .port = e->o.port,
		    .echo_key = key[0] ? key : NULL, /* none anywhere: the first makes one */
		    .rotate_token = e->o.rotate_token,
		    .placement = ec->placement,
		};
		struct kube_apply_report rep;

		memset(&rep, 0, sizeof(rep));
		if (kube_floaters_apply(ec->client, &v, nets, &rep, err) < 0)
			return err_prefix(err, "deploying floaters to %s", ec->in->name);
		ec->token = xstrdup(rep.token);
		str_copy(key, sizeof(key), rep.echo_key);
		ec->deployed = nets;
		run_engine_phase(e, RUN_PHASE_DEPLOY, "%s: %s", ec->in->name, rep.summary);
	}
	return 0;
}

static void warn_problems(struct run_engine *e, struct run_engine_cluster *ec, const char *ds,
			  const struct kube_rollout *ro)
{
	for (size_t i = 0; i < ro->nproblems; i++)
		run_engine_warn(e, "%s: node %s has no ready %s: %s", ec->in->name,
				ro->problems[i].node ? ro->problems[i].node : "?", ds,
				ro->problems[i].why ? ro->problems[i].why : "unknown");
}

/* The wait ran out: the API's rollout wait, given one second, says which nodes have no
 * ready floater and why. */
static int explain(struct run_engine *e, struct run_engine_cluster *ec, const char *ds,
		   struct err *err)
{
	struct kube_rollout ro;
	int rc;

	memset(&ro, 0, sizeof(ro));
	rc = kube_daemonset_wait(ec->client, e->o.namespace, ds, 1000, &ro, err);
	if (rc < 0 && err->code != ERR_TIMEOUT) {
		kube_rollout_release(&ro);
		return err_prefix(err, "waiting for %s in %s", ds, ec->in->name);
	}
	run_engine_phase(e, RUN_PHASE_ROLLOUT, "%s: %ld/%ld %s ready", ec->in->name, ro.ready,
			 ro.desired, ds);
	warn_problems(e, ec, ds, &ro);
	kube_rollout_release(&ro);
	err_clear(err);
	return 0;
}

/* Polls the DaemonSet until the floaters of the Ready nodes are ready, the deadline passes
 * or *stop is set (Ctrl-C is honoured at once, not after --pod-wait). NotReady nodes are
 * not waited for: no kubelet reports their floaters Ready, so waiting for every pod would
 * always cost the whole --pod-wait; their pairs become no-agent. */
static int wait_one(struct run_engine *e, struct run_engine_cluster *ec, const char *ds,
		    int64_t deadline_us, volatile sig_atomic_t *stop, struct err *err)
{
	long want, pause = 200;
	struct kube_ds_status st;
	bool warned = false;

	for (;;) {
		if (kube_daemonset_status(ec->client, e->o.namespace, ds, &st, err) == 0) {
			str_copy(ec->ds_uid[strcmp(ds, KUBE_FLOATER_NAME) == 0 ? 0 : 1],
				 sizeof(ec->ds_uid[0]), st.uid);
		} else {
			err_prefix(err, "waiting for %s in %s", ds, ec->in->name);
			/* A busy API server (timeouts, 5xx after the client's retries) is asked
			 * again until the deadline; a refusal or a missing DaemonSet is final. */
			if (err->code != ERR_TIMEOUT && err->code != ERR_API)
				return -1;
			if (!warned)
				run_engine_warn(e, "%s (still waiting)", err->msg);
			warned = true;
			err_clear(err);
			memset(&st, 0, sizeof(st));
		}
		want = st.desired - (long)ec->nodes_not_ready;
		/* no node taking part: nothing to wait for once the controller saw the template */
		if (st.observed >= st.generation && (st.desired > 0 || !ec->nodes.n) &&
		    st.ready >= want && st.updated >= want)
			break;
		if (stop && *stop)
			return 0;
		if (time_mono_us() + pause * 1000 > deadline_us)
			return explain(e, ec, ds, err);
		poll(NULL, 0, (int)pause); /* a signal ends it early; *stop is looked at next */
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
	}
	if (ec->nodes_not_ready)
		run_engine_phase(e, RUN_PHASE_ROLLOUT, "%s: %ld/%ld %s ready (%zu node%s NotReady)",
				 ec->in->name, st.ready, st.desired, ds, ec->nodes_not_ready,
				 ec->nodes_not_ready == 1 ? "" : "s");
	else
		run_engine_phase(e, RUN_PHASE_ROLLOUT, "%s: %ld/%ld %s ready", ec->in->name,
				 st.ready, st.desired, ds);
	return 0;
}

int run_floaters_wait(struct run_engine *e, volatile sig_atomic_t *stop, struct err *err)
{
	int64_t deadline = time_mono_us() + (int64_t)e->o.pod_wait_ms * 1000;

	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];

		if (stop && *stop)
			return 0;
		if ((ec->deployed & KUBE_NET_POD) &&
		    wait_one(e, ec, KUBE_FLOATER_NAME, deadline, stop, err) < 0)
			return -1;
		if ((ec->deployed & KUBE_NET_HOST) &&
		    wait_one(e, ec, KUBE_FLOATER_HOST_NAME, deadline, stop, err) < 0)
			return -1;
	}
	return 0;
}

int run_floaters_permitted(struct run_engine *e, struct err *err)
{
	struct kube_access a = {.verb = "create",
				.resource = "pods",
				.subresource = "proxy",
				.namespace = e->o.namespace};

	for (size_t c = 0; c < e->nclusters; c++) {
		bool allowed;

		if (kube_access_check(e->clusters[c].client, &a, &allowed, err) < 0)
			return err_prefix(err, "%s: checking permissions", e->clusters[c].in->name);
		if (!allowed)
			return err_set(
			    err, ERR_AUTH,
			    "cluster %s: this user may not create pods/proxy in namespace "
			    "%s, which carries every probe request (see deploy/rbac.yaml)",
			    e->clusters[c].in->name, e->o.namespace);
	}
	return 0;
}

void run_floaters_remove(struct run_engine *e)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		struct err err = ERR_INIT;
		struct kube_clean kc;

		if (kube_floaters_delete(e->clusters[c].client, e->o.namespace, 0, &kc, &err) < 0)
			run_engine_warn(e, "%s: cleaning up floaters: %s", e->clusters[c].in->name,
					err.msg);
		else if (kc.kept[0])
			run_engine_phase(e, RUN_PHASE_CLEANUP,
					 "%s: floaters removed; namespace %s kept: %s",
					 e->clusters[c].in->name, e->o.namespace, kc.kept);
		else
			run_engine_phase(e, RUN_PHASE_CLEANUP, "%s: floaters removed",
					 e->clusters[c].in->name);
	}
}

/* Clean in two passes: the deletes go to every cluster first, then one deadline bounds the
 * wait for all their namespaces (the API servers and kubelets remove them in parallel: a
 * real kubelet 1.20 confirms a deleted pod only after its next container GC, up to a
 * minute later). */
int run_clean(const struct run_cluster *clusters, size_t n, const char *ns, long wait_ms,
	      const struct run_events *ev, struct err *err)
{
	struct kube_loop *loop = kube_loop_new(err);
	struct kube_client **kc = xcalloc(n ? n : 1, sizeof(*kc));
	struct kube_clean *done = xcalloc(n ? n : 1, sizeof(*done));
	int64_t start, end;
	int rc = 0;

	if (!loop) {
		free(kc);
		free(done);
		return -1;
	}
	for (size_t c = 0; c < n && rc == 0; c++) {
		struct kube_client_opts ko = {.name = clusters[c].name};

		kc[c] = kube_client_new(loop, clusters[c].target, &ko, err);
		if (!kc[c] || kube_floaters_delete(kc[c], ns, 0, &done[c], err) < 0)
			rc = err_prefix(err, "cleaning %s", clusters[c].name);
	}
	start = time_mono_us();
	end = start + (int64_t)wait_ms * 1000;
	for (size_t c = 0; c < n && rc == 0; c++) {
		char text[512];

		if (done[c].ns_deleted && wait_ms > 0 &&
		    kube_namespace_wait_gone(kc[c], ns, start, end, err) < 0) {
			rc = err_prefix(err, "cleaning %s", clusters[c].name);
			break;
		}
		if (done[c].kept[0])
			snprintf(text, sizeof(text),
				 "%s: removed netctl's objects from %s; the namespace is kept: %s",
				 clusters[c].name, ns, done[c].kept);
		else
			snprintf(text, sizeof(text), "%s: removed everything netctl created in %s",
				 clusters[c].name, ns);
		if (ev && ev->phase)
			ev->phase(ev->arg, RUN_PHASE_CLEANUP, text);
	}
	for (size_t c = 0; c < n; c++)
		kube_client_free(kc[c]);
	free(kc);
	free(done);
	kube_loop_free(loop);
	return rc;
}
