/* Shared by check and resume: resolve clusters, run the engine, print the outcome. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"

/* A Kosmos host of this check: its ClusterNodes, listed once (docs/kosmos.md, "Gateway
 * mode"). */
struct check_kosmos_host {
	char *kubeconfig, *context;
	struct kube_kosmos_node *nodes;
	size_t n;
};

void check_job_release(struct check_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free((char *)j->clusters[i].name);
		kube_target_free((struct kube_target *)j->clusters[i].target);
		kube_selector_free((struct kube_selector *)j->clusters[i].select.selector);
		strv_free(j->clusters[i].select.exclude);
		free((char *)j->clusters[i].network_type);
	}
	for (size_t i = 0; i < j->nkosmos_hosts; i++) {
		free(j->kosmos_hosts[i].kubeconfig);
		free(j->kosmos_hosts[i].context);
		kube_kosmos_nodes_free(j->kosmos_hosts[i].nodes, j->kosmos_hosts[i].n);
	}
	free(j->kosmos_hosts);
	free(j->targets);
	free(j->dns_servers);
	free(j->dns_names);
	strv_free(j->node_selectors);
	strv_free(j->exclude_nodes);
	strv_free(j->src_nodes);
	strv_free(j->dst_nodes);
	free(j->src_picks);
	free(j->dst_picks);
	free(j->tolerations);
	kube_tolerations_free(j->tol);
	free(j->clusters);
	free(j->cluster_pairs);
	free(j->options_json);
	free(j->family_note);
	free((char *)j->o.namespace);
	free((char *)j->o.image_repository);
	free((char *)j->o.dst_image_repository);
	strv_free((char **)j->o.image_pull_secrets);
	free((char *)j->o.version);
	memset(j, 0, sizeof(*j));
}

static struct check_kosmos_host *kosmos_host(struct check_job *j, const struct store_cluster *sc,
					     struct kube_client *c, struct err *err)
{
	struct check_kosmos_host *h;
	bool present; /* no clusternodes.kosmos.io: none, and no error */

	for (size_t i = 0; i < j->nkosmos_hosts; i++) {
		h = &j->kosmos_hosts[i];
		if (!strcmp(h->kubeconfig, sc->kubeconfig) && str_eq(h->context, sc->context))
			return h;
	}
	j->kosmos_hosts =
	    xrealloc(j->kosmos_hosts, (j->nkosmos_hosts + 1) * sizeof(*j->kosmos_hosts));
	h = &j->kosmos_hosts[j->nkosmos_hosts];
	memset(h, 0, sizeof(*h));
	if (kube_kosmos_nodes(c, &h->nodes, &h->n, &present, err) < 0) {
		if (err->code != ERR_AUTH) {
			err_prefix(err, "ClusterNodes of the Kosmos host");
			return NULL;
		}
		/* RBAC that predates gateway mode: check without what ClusterNodes tell */
		log_warn("Kosmos host %s: %s: no gateways and no ClusterNode findings in this "
			 "check (grant list on clusternodes.kosmos.io)",
			 sc->kubeconfig, err->msg);
		err_clear(err);
	}
	h->kubeconfig = xstrdup(sc->kubeconfig);
	h->context = sc->context ? xstrdup(sc->context) : NULL;
	j->nkosmos_hosts++;
	return h;
}

/* A cluster imported from Kosmos: its kubeconfig is in its Cluster object in the host
 * (whose kubeconfig the store keeps), read now (docs/kosmos.md), with its network type and
 * the host's ClusterNodes; or in the file import --write-kubeconfigs wrote. */
static struct kube_target *kosmos_member(struct check_job *j, const struct store_cluster *sc,
					 struct run_cluster *rc, struct err *err)
{
	struct kube_client_opts o = {.name = "kosmos host", .timeout_ms = 30000};
	struct kube_target *host = kube_target_load(sc->kubeconfig, sc->context, err), *t = NULL;
	struct kube_loop *loop = host ? kube_loop_new(err) : NULL;
	struct kube_client *c = loop ? kube_client_new(loop, host, &o, err) : NULL;
	struct check_kosmos_host *h = NULL;
	struct kube_kosmos_cluster kc;

	if (sc->kubeconfig_file) {
		/* written by import --write-kubeconfigs: the member is reached through its own
		 * file, with the network type the import stored, even while the host is down */
		struct err herr = ERR_INIT;

		if (c)
			h = kosmos_host(j, sc, c, &herr);
		if (!h)
			log_warn("cluster %s: Kosmos host %s: %s: no gateways and no ClusterNode "
				 "findings in this check",
				 sc->name, sc->kubeconfig, c ? herr.msg : err->msg);
		err_clear(err);
		t = kube_target_load(sc->kubeconfig_file, NULL, err);
		rc->network_type = sc->network_type ? xstrdup(sc->network_type) : NULL;
	} else if (c && kube_kosmos_cluster_get(c, sc->name, &kc, err) == 0) {
		t = kube_kosmos_target(&kc, err);
		rc->network_type = kc.network_type ? xstrdup(kc.network_type) : NULL;
		kube_kosmos_cluster_release(&kc);
		if (t && !(h = kosmos_host(j, sc, c, err))) {
			kube_target_free(t);
			t = NULL;
		}
	}
	if (t) {
		rc->kosmos = true;
		rc->kosmos_nodes = h ? h->nodes : NULL;
		rc->nkosmos_nodes = h ? h->n : 0;
	}
	kube_client_free(c);
	kube_loop_free(loop);
	kube_target_free(host);
	return t;
}

/* The family a cluster is checked over when the check gives none (docs/kosmos.md): its
 * ipFamily (or cluster add --ip-family) when ipv4 or ipv6, else netctl's default, IPv4. */
static void family_said(struct check_job *j, const struct store_cluster *sc)
{
	bool v6 = sc->ip_family && !strcmp(sc->ip_family, "ipv6");
	bool said = v6 || (sc->ip_family && !strcmp(sc->ip_family, "ipv4"));
	char *note;

	if (!j->families_seen) {
		j->cluster_families = STORE_FAMILY_V4 | STORE_FAMILY_V6;
		j->families_seen = true;
	}
	j->cluster_families &= v6 ? STORE_FAMILY_V6 : STORE_FAMILY_V4;
	if (!said)
		return;
	note = xasprintf("%s%s%s: ipFamily %s (%s)", j->family_note ? j->family_note : "",
			 j->family_note ? ", " : "", sc->name, sc->ip_family,
			 sc->kosmos ? "Kosmos" : "cluster add --ip-family");
	free(j->family_note);
	j->family_note = note;
}

int check_job_add_cluster(struct check_job *j, struct store *st, const char *name, unsigned roles,
			  struct err *err)
{
	struct store_cluster *sc;
	struct kube_target *t;
	struct run_cluster *rc, kr;

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
	memset(&kr, 0, sizeof(kr));
	t = sc->kosmos ? kosmos_member(j, sc, &kr, err)
		       : kube_target_load(sc->kubeconfig, sc->context, err);
	if (!t) {
		free((char *)kr.network_type);
		store_cluster_free(sc);
		return err_prefix(err, "cluster %s", name);
	}
	j->clusters = xrealloc(j->clusters, (j->n + 1) * sizeof(*j->clusters));
	rc = &j->clusters[j->n++];
	*rc = kr;
	rc->name = xstrdup(name);
	rc->cluster_id = sc->id;
	rc->target = t;
	rc->roles = roles;
	if (cidrmap_parse(sc->global_cidrs, &rc->global, err) < 0) {
		store_cluster_free(sc);
		return err_prefix(err, "cluster %s: global CIDRs", name);
	}
	family_said(j, sc);
	store_cluster_free(sc);
	return 0;
}

int check_job_narrow_families(struct check_job *j, struct err *err)
{
	j->o.families = j->family_note ? j->cluster_families : STORE_FAMILY_V4;
	j->families_narrowed = j->family_note != NULL;
	if (!j->o.families)
		return err_set(err, ERR_USAGE,
			       "the clusters have no IP family in common (%s; a cluster that says "
			       "none is checked over IPv4): give --family",
			       j->family_note);
	/* custom targets and DNS servers of a family the check no longer probes */
	return run_options_check(&j->o, err);
}

/* ---- which nodes take part ---------------------------------------------------------------- */

static struct run_cluster *job_cluster(struct check_job *j, const char *name, size_t len)
{
	for (size_t i = 0; i < j->n; i++)
		if (strlen(j->clusters[i].name) == len && !strncmp(j->clusters[i].name, name, len))
			return &j->clusters[i];
	return NULL;
}

/* "east:role=x" -> the cluster east; NULL for a selector of every cluster (a label key
 * has no ':', so a ':' can only end a cluster name). */
static int selector_cluster(struct check_job *j, const char *item, struct run_cluster **c,
			    const char **text, struct err *err)
{
	const char *colon = strchr(item, ':');

	*c = NULL;
	*text = item;
	if (!colon)
		return 0;
	*c = job_cluster(j, item, (size_t)(colon - item));
	*text = colon + 1;
	if (!*c)
		return err_set(err, ERR_USAGE,
			       "--node-selector %s: '%.*s' is not a cluster of this check", item,
			       (int)(colon - item), item);
	return 0;
}

static int selectors_resolve(struct check_job *j, char *const *items, struct err *err)
{
	struct buf *joined = xcalloc(j->n ? j->n : 1, sizeof(*joined));
	int rc = 0;

	for (size_t i = 0; i < j->n; i++)
		buf_init(&joined[i], 0);
	for (char *const *p = items; p && *p && rc == 0; p++) {
		struct run_cluster *c;
		struct kube_selector *one;
		const char *text;

		if (selector_cluster(j, *p, &c, &text, err) < 0) {
			rc = -1;
			break;
		}
		one = kube_selector_parse(text, "--node-selector", err);
		if (!one) {
			rc = -1;
			break;
		}
		kube_selector_free(one);
		for (size_t i = 0; i < j->n; i++)
			if (!c || c == &j->clusters[i])
				(void)!buf_printf(&joined[i], "%s%s", joined[i].len ? "," : "",
						  text);
	}
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		if (!joined[i].len)
			continue;
		j->clusters[i].select.selector =
		    kube_selector_parse(buf_str(&joined[i]), "--node-selector", err);
		if (!j->clusters[i].select.selector)
			rc = -1;
	}
	for (size_t i = 0; i < j->n; i++)
		buf_release(&joined[i]);
	free(joined);
	return rc;
}

/* A node name: a DNS subdomain, as the API server has them. */
static bool node_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

/* "[CLUSTER/]NODE" as given to option what: the cluster (NULL: every cluster of the check)
 * and the node name. */
static int node_ref_parse(struct check_job *j, const char *item, const char *what,
			  struct run_cluster **c, const char **name, struct err *err)
{
	const char *slash = strchr(item, '/');

	*name = slash ? slash + 1 : item;
	*c = slash ? job_cluster(j, item, (size_t)(slash - item)) : NULL;
	if (slash && !*c)
		return err_set(err, ERR_USAGE, "%s %s: '%.*s' is not a cluster of this check", what,
			       item, (int)(slash - item), item);
	if (!node_name_ok(*name))
		return err_set(err, ERR_USAGE,
			       "%s %s: '%s' is not a node name (lowercase letters, digits, '-' and "
			       "'.')",
			       what, item, *name);
	return 0;
}

static int excludes_resolve(struct check_job *j, char *const *items, struct err *err)
{
	for (char *const *p = items; p && *p; p++) {
		struct run_cluster *c;
		const char *name;

		if (node_ref_parse(j, *p, "--exclude-node", &c, &name, err) < 0)
			return -1;
		for (size_t i = 0; i < j->n; i++) {
			struct run_select *sel = &j->clusters[i].select;
			size_t n = strv_len(sel->exclude);

			if (c && c != &j->clusters[i])
				continue;
			sel->exclude = xrealloc(sel->exclude, (n + 2) * sizeof(*sel->exclude));
			sel->exclude[n] = xstrdup(name);
			sel->exclude[n + 1] = NULL;
		}
	}
	return 0;
}

int check_job_select(struct check_job *j, char *const *selectors, char *const *excludes,
		     const char *tolerations, struct err *err)
{
	if (selectors_resolve(j, selectors, err) < 0 || excludes_resolve(j, excludes, err) < 0)
		return -1;
	if (tolerations) {
		j->tol = kube_tolerations_parse(tolerations, "--tolerations", err);
		if (!j->tol)
			return -1;
		j->tolerations = xstrdup(tolerations);
	}
	for (size_t i = 0; i < j->n; i++)
		j->clusters[i].select.tolerations = j->tol;
	j->node_selectors = strv_dup(selectors);
	j->exclude_nodes = strv_dup(excludes);
	return 0;
}

/* items as picks into *out (names borrowed from items, which the job keeps) */
static int picks_resolve(struct check_job *j, char *const *items, const char *what,
			 struct run_node_pick **out, size_t *n, struct err *err)
{
	*n = 0;
	*out = xcalloc(strv_len(items) + 1, sizeof(**out));
	for (char *const *p = items; p && *p; p++) {
		struct run_cluster *c;
		const char *name;

		if (node_ref_parse(j, *p, what, &c, &name, err) < 0)
			return -1;
		(*out)[*n].cluster = c ? (int)(c - j->clusters) : -1;
		(*out)[(*n)++].name = name;
	}
	return 0;
}

int check_job_pairs(struct check_job *j, char *const *srcs, char *const *dsts, struct err *err)
{
	j->src_nodes = strv_dup(srcs);
	j->dst_nodes = strv_dup(dsts);
	if (picks_resolve(j, j->src_nodes, "--src-node", &j->src_picks, &j->o.nsrc_nodes, err) <
		0 ||
	    picks_resolve(j, j->dst_nodes, "--dst-node", &j->dst_picks, &j->o.ndst_nodes, err) < 0)
		return -1;
	j->o.src_nodes = j->src_picks;
	j->o.dst_nodes = j->dst_picks;
	return 0;
}

/* Appends t to the list (v, n) unless it holds the same address and port: 1 added, 0 a
 * repeat (left out), -1 the list holds max already. */
static int target_add(struct run_target **v, size_t *n, const struct run_target *t, size_t max)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].addr, t->addr) && (*v)[i].port == t->port)
			return 0;
	if (*n >= max)
		return -1;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *t;
	return 1;
}

int check_job_targets(struct check_job *j, char *const *texts, const char *what, struct err *err)
{
	for (char *const *p = texts; p && *p; p++) {
		struct run_target t;

		if (run_target_parse(*p, what, &t, err) < 0)
			return -1;
		(void)target_add(&j->targets, &j->ntargets, &t, SIZE_MAX);
	}
	j->o.targets = j->targets;
	j->o.ntargets = j->ntargets;
	return 0;
}

int check_job_dns_servers(struct check_job *j, char *const *texts, const char *what,
			  struct err *err)
{
	for (char *const *p = texts; p && *p; p++) {
		struct run_target t;

		if (run_target_parse(*p, what, &t, err) < 0)
			return -1;
		if (!t.port)
			t.port = RUN_DNS_PORT;
		if (target_add(&j->dns_servers, &j->ndns_servers, &t, RUN_DNS_SERVERS_MAX) < 0)
			return err_set(err, ERR_USAGE, "%s: at most %d DNS servers", what,
				       RUN_DNS_SERVERS_MAX);
	}
	j->o.dns_servers = j->dns_servers;
	j->o.ndns_servers = j->ndns_servers;
	return 0;
}

int check_job_dns_names(struct check_job *j, char *const *texts, const char *what, struct err *err)
{
	for (char *const *p = texts; p && *p; p++) {
		struct run_dns_name n;
		bool dup = false;

		if (run_dns_name_parse(*p, what, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < j->ndns_names && !dup; i++)
			dup = !strcmp(j->dns_names[i].name, n.name) &&
			      !strcmp(j->dns_names[i].expect, n.expect);
		if (dup)
			continue;
		if (j->ndns_names == RUN_DNS_NAMES_MAX)
			return err_set(err, ERR_USAGE, "%s: at most %d DNS names", what,
				       RUN_DNS_NAMES_MAX);
		j->dns_names = xrealloc(j->dns_names, (j->ndns_names + 1) * sizeof(*j->dns_names));
		j->dns_names[j->ndns_names++] = n;
	}
	j->o.dns_names = j->dns_names;
	j->o.ndns_names = j->ndns_names;
	return 0;
}

static void add_strv(cJSON *o, const char *name, char *const *v)
{
	cJSON *a;

	if (!v || !*v)
		return;
	a = cJSON_AddArrayToObject(o, name);
	for (; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
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
	cJSON_AddBoolToObject(o, "apiserver_check", j->o.apiserver);
	add_strv(o, "node_selectors", j->node_selectors);
	add_strv(o, "exclude_nodes", j->exclude_nodes);
	add_strv(o, "src_nodes", j->src_nodes);
	add_strv(o, "dst_nodes", j->dst_nodes);
	if (j->tolerations)
		cJSON_AddStringToObject(o, "tolerations", j->tolerations);
	if (j->ntargets) {
		cJSON *t = cJSON_AddArrayToObject(o, "targets");

		for (size_t i = 0; i < j->ntargets; i++) {
			char text[64];

			run_target_format(&j->targets[i], text, sizeof(text));
			cJSON_AddItemToArray(t, cJSON_CreateString(text));
		}
	}
	if (j->ndns_servers) {
		cJSON *t = cJSON_AddArrayToObject(o, "dns_servers");

		for (size_t i = 0; i < j->ndns_servers; i++) {
			char text[64];

			run_target_format(&j->dns_servers[i], text, sizeof(text));
			cJSON_AddItemToArray(t, cJSON_CreateString(text));
		}
	}
	if (j->ndns_names) {
		cJSON *t = cJSON_AddArrayToObject(o, "dns_names");

		for (size_t i = 0; i < j->ndns_names; i++) {
			char text[WIRE_MAX_DNS_NAME + 64];

			run_dns_name_format(&j->dns_names[i], text, sizeof(text));
			cJSON_AddItemToArray(t, cJSON_CreateString(text));
		}
	}
	if (j->o.sample) {
		cJSON_AddNumberToObject(o, "sample", (double)j->o.sample);
		cJSON_AddNumberToObject(o, "sample_round", (double)j->o.sample_round);
	}
	cJSON_AddNumberToObject(o, "cluster_pairs_n", (double)j->n);
	cp = cJSON_AddArrayToObject(o, "cluster_pairs");
	for (size_t i = 0; i < j->n * j->n; i++)
		cJSON_AddItemToArray(cp, cJSON_CreateBool(j->cluster_pairs[i]));
	s = json_print(o);
	cJSON_Delete(o);
	return s;
}

/* The sampling series: what the run probes, by name (clusters sorted), and K. */
static char *sample_key(const struct check_job *j)
{
	size_t *order = xcalloc(j->n ? j->n : 1, sizeof(*order));
	struct buf b;

	for (size_t i = 0; i < j->n; i++) {
		size_t k = i;

		for (; k > 0 && strcmp(j->clusters[order[k - 1]].name, j->clusters[i].name) > 0;
		     k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	buf_init(&b, 0);
	(void)!buf_puts(&b, "clusters=");
	for (size_t i = 0; i < j->n; i++)
		(void)!buf_printf(&b, "%s%s:%u", i ? "," : "", j->clusters[order[i]].name,
				  j->clusters[order[i]].roles & 3);
	(void)!buf_printf(&b, ";mesh=%d;protocols=%u;families=%u;networks=%u;sample=%zu", j->mesh,
			  j->o.protocols, j->o.families, j->o.networks, j->o.sample);
	free(order);
	return buf_steal(&b);
}

int check_job_sample_next(struct check_job *j, struct store *st, struct err *err)
{
	char *key;
	int rc;

	if (!j->o.sample)
		return 0;
	key = sample_key(j);
	rc = store_sample_next(st, key, &j->o.sample_round, err);
	free(key);
	if (rc < 0)
		return -1;
	free(j->options_json);
	j->options_json = check_job_options_json(j);
	j->o.options_json = j->options_json;
	return 0;
}

int check_job_execute(struct cmd_ctx *ctx, struct store *st, struct check_job *j)
{
	struct err err = ERR_INIT;
	struct run_result res;
	struct run_events ev;
	struct progress *p = progress_new(j->quiet || j->json);
	int rc;

	if (!j->sample_fixed && check_job_sample_next(j, st, &err) < 0) {
		progress_free(p);
		return cmd_fail(&err);
	}
	memset(&ev, 0, sizeof(ev));
	progress_bind(p, &ev);
	rc = run_check(st, j->clusters, j->n, j->cluster_pairs, &j->o, j->filter, j->filter_arg,
		       &ev, &cmd_interrupted, &res, &err);
	j->run_id = res.run_id;
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
	if (j->families_narrowed && !j->json)
		printf("families: %s only, as the clusters say (%s); --family overrides\n",
		       j->o.families == STORE_FAMILY_V6 ? "IPv6" : "IPv4", j->family_note);
	if (res.status == STORE_RUN_INTERRUPTED)
		return EXIT_INTERRUPTED;
	return res.failed > 0 || res.done < res.total ? EXIT_FAILED : EXIT_OK;
}
