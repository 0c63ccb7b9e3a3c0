/* The options that choose and shape a check, shared by `check` and `watch`: one table of
 * flags (CHECK_ARGS_OPTS), one way from flags over config.json to a check_job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"
#include "wire.h"

#define MAX_CLUSTERS 64

struct check_args check_args;

static int parse_families(const char *s, unsigned *out, struct err *err)
{
	char **v = str_split_list(s, 4, "--family", err);

	if (!v)
		return -1;
	*out = 0;
	for (char **p = v; *p; p++) {
		if (!strcmp(*p, "4"))
			*out |= STORE_FAMILY_V4;
		else if (!strcmp(*p, "6"))
			*out |= STORE_FAMILY_V6;
		else {
			err_set(err, ERR_USAGE, "--family: '%s' is not 4 or 6", *p);
			strv_free(v);
			return -1;
		}
	}
	strv_free(v);
	return 0;
}

static int parse_networks(const char *s, unsigned *out, struct err *err)
{
	char **v = str_split_list(s, 8, "--network", err);

	if (!v)
		return -1;
	*out = 0;
	for (char **p = v; *p; p++) {
		int n = store_network_parse(*p);

		if (n < 0) {
			err_set(err, ERR_USAGE,
				"--network: '%s' is not pod, host, pod-host or host-pod", *p);
			strv_free(v);
			return -1;
		}
		*out |= 1u << n;
	}
	strv_free(v);
	return 0;
}

int check_args_load_config(struct config *c, struct err *err)
{
	bool found = false;

	if (check_args.config ? config_load_file(c, check_args.config, err) < 0
			      : config_load_default(c, &found, err) < 0)
		return -1;
	for (char **w = c->warnings; w && *w; w++)
		log_warn("%s", *w);
	return 0;
}

/* Flags over config.json over defaults. */
static int config_from_flags(struct config *c, struct err *err)
{
	const struct check_args *a = &check_args;

	if (a->protocol && config_set(c, "protocol", a->protocol, "--protocol", err) < 0)
		return -1;
	if (a->timeout && config_set(c, "cmdTimeout", a->timeout, "--timeout", err) < 0)
		return -1;
	if (a->pod_wait && config_set(c, "podWaitTime", a->pod_wait, "--pod-wait", err) < 0)
		return -1;
	if (a->namespace && config_set(c, "namespace", a->namespace, "--namespace", err) < 0)
		return -1;
	if (a->pull_secrets.n) {
		struct buf names;
		int rc;

		buf_init(&names, 0);
		for (size_t i = 0; i < a->pull_secrets.n; i++)
			(void)!buf_printf(&names, "%s%s", i ? "," : "", a->pull_secrets.v[i]);
		rc = config_set(c, "imagePullSecrets", buf_str(&names), "--image-pull-secret", err);
		buf_release(&names);
		return rc;
	}
	return 0;
}

/* A repeatable option's values as a NULL-terminated vector (borrowed strings). */
static void list_vector(const struct cmd_list *l, char **v)
{
	for (size_t i = 0; i < l->n; i++)
		v[i] = (char *)l->v[i];
	v[l->n] = NULL;
}

static int select_nodes(struct check_job *j, struct err *err)
{
	char *sel[CMD_LIST_MAX + 1], *excl[CMD_LIST_MAX + 1];

	char *srcs[CMD_LIST_MAX + 1], *dsts[CMD_LIST_MAX + 1];

	list_vector(&check_args.node_selectors, sel);
	list_vector(&check_args.exclude_nodes, excl);
	list_vector(&check_args.src_nodes, srcs);
	list_vector(&check_args.dst_nodes, dsts);
	if (check_job_select(j, sel, excl, check_args.tolerations, err) < 0)
		return -1;
	return check_job_pairs(j, srcs, dsts, err);
}

/* --target, else NetDoctor's config.json lists: every IP x every port (an IP alone when
 * no port is listed). */
static int targets_from(struct check_job *j, const struct config *c, struct err *err)
{
	char *v[CMD_LIST_MAX + 1], **texts = NULL;
	size_t n = 0;
	int rc;

	if (check_args.targets.n) {
		list_vector(&check_args.targets, v);
		return check_job_targets(j, v, "--target", err);
	}
	for (char **ip = c->target_ips; ip && *ip; ip++) {
		bool v6 = strchr(*ip, ':') != NULL;

		for (char **port = c->target_ports; port && *port; port++) {
			texts = xrealloc(texts, (n + 2) * sizeof(*texts));
			texts[n++] = xasprintf(v6 ? "[%s]:%s" : "%s:%s", *ip, *port);
		}
		if (!c->target_ports || !*c->target_ports) {
			texts = xrealloc(texts, (n + 2) * sizeof(*texts));
			texts[n++] = xstrdup(*ip);
		}
		texts[n] = NULL;
	}
	rc = check_job_targets(j, texts, "customizedTargetIPList", err);
	strv_free(texts);
	return rc;
}

/* protocol dns: --dns-server, else targetDNSServer; --dns-name, else targetHostToLookup,
 * else kubernetes.default.svc.cluster.local. Without dns they are not read. */
static int dns_from(struct check_job *j, const struct config *c, struct err *err)
{
	char *v[CMD_LIST_MAX + 1], *dflt[] = {RUN_DNS_DEFAULT_NAME, NULL};

	if (!(j->o.protocols & (1u << PROTO_DNS)))
		return 0;
	if (check_args.dns_servers.n) {
		list_vector(&check_args.dns_servers, v);
		if (check_job_dns_servers(j, v, "--dns-server", err) < 0)
			return -1;
	} else if (check_job_dns_servers(j, c->dns_servers, "targetDNSServer", err) < 0) {
		return -1;
	}
	if (check_args.dns_names.n) {
		list_vector(&check_args.dns_names, v);
		return check_job_dns_names(j, v, "--dns-name", err);
	}
	if (c->dns_names && *c->dns_names)
		return check_job_dns_names(j, c->dns_names, "targetHostToLookup", err);
	return check_job_dns_names(j, dflt, "default name", err);
}

static int fill_options(struct check_job *j, const struct config *c, struct err *err)
{
	const struct check_args *a = &check_args;
	struct run_options *o = &j->o;
	long interval = 20;

	o->protocols = c->protocols;
	/* without --family: both until the clusters say (check_job_narrow_families) */
	o->families = STORE_FAMILY_V4 | STORE_FAMILY_V6;
	if (a->family && parse_families(a->family, &o->families, err) < 0)
		return -1;
	o->networks = 0;
	if (c->networks & CONFIG_NET_POD)
		o->networks |= 1u << STORE_NET_POD;
	if (c->networks & CONFIG_NET_HOST)
		o->networks |= 1u << STORE_NET_HOST;
	if (a->network && parse_networks(a->network, &o->networks, err) < 0)
		return -1;
	if (a->interval &&
	    str_to_duration_ms(a->interval, WIRE_MAX_INTERVAL_MS, &interval, "--interval", err) < 0)
		return -1;
	o->count = a->count_set ? (int)a->count : 3;
	o->interval_ms = interval;
	o->timeout_ms = c->cmd_timeout_ms;
	o->size = a->size_set ? (int)a->size : 0;
	o->port = a->port_set ? (int)a->port : (int)c->port;
	o->concurrency = a->concurrency_set ? (int)a->concurrency : (int)c->max_num;
	o->pod_wait_ms = c->pod_wait_ms;
	o->namespace = xstrdup(c->namespace);
	o->image_repository = xstrdup(c->src_image_repo);
	o->dst_image_repository = c->dst_image_repo ? xstrdup(c->dst_image_repo) : NULL;
	o->image_pull_secrets = c->pull_secrets ? strv_dup(c->pull_secrets) : NULL;
	o->version = xstrdup(c->version);
	o->keep_floaters = !c->auto_clean;
	o->apiserver = !a->no_apiserver;
	o->sample = a->sample_set ? (size_t)a->sample : 0;
	if (targets_from(j, c, err) < 0 || dns_from(j, c, err) < 0)
		return -1;
	return run_options_check(o, err);
}

int check_args_apply(struct check_job *j, struct config *c, struct err *err)
{
	if (config_from_flags(c, err) < 0 || fill_options(j, c, err) < 0)
		return -1;
	return 0;
}

static int add_list(struct check_job *j, struct store *st, const char *list, unsigned role,
		    const char *what, struct err *err)
{
	char **v = str_split_list(list, MAX_CLUSTERS, what, err);
	int rc = 0;

	if (!v)
		return -1;
	for (char **p = v; *p && rc == 0; p++)
		rc = check_job_add_cluster(j, st, *p, role, err);
	strv_free(v);
	return rc;
}

struct registered {
	char *names[MAX_CLUSTERS];
	size_t n;
};

static int add_registered_cb(const struct store_cluster *c, void *arg)
{
	struct registered *r = arg;

	if (r->n < MAX_CLUSTERS)
		r->names[r->n++] = xstrdup(c->name);
	return 0;
}

static int select_mesh(struct check_job *j, struct store *st, struct err *err)
{
	struct registered r = {.n = 0};
	int rc = 0;

	if (check_args.src || check_args.dst)
		return err_set(err, ERR_USAGE, "--mesh takes no --src or --dst");
	if (store_cluster_list(st, add_registered_cb, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r.n; i++) {
		if (rc == 0)
			rc = check_job_add_cluster(j, st, r.names[i],
						   STORE_ROLE_SRC | STORE_ROLE_DST, err);
		free(r.names[i]);
	}
	if (rc == 0 && j->n == 0)
		return err_set(err, ERR_USAGE,
			       "--mesh: no cluster registered (netctl cluster add)");
	return rc;
}

static int select_clusters(struct check_job *j, struct store *st, struct err *err)
{
	const struct check_args *a = &check_args;

	if (a->mesh)
		return select_mesh(j, st, err);
	if (!a->src)
		return err_set(err, ERR_USAGE,
			       "--src is required (a registered cluster; see netctl cluster add)");
	if (add_list(j, st, a->src, STORE_ROLE_SRC | (a->dst ? 0 : STORE_ROLE_DST), "--src", err) <
	    0)
		return -1;
	if (a->dst && add_list(j, st, a->dst, STORE_ROLE_DST, "--dst", err) < 0)
		return -1;
	return 0;
}

/* Which cluster probes which: each src its own mesh without --dst; src <-> dst with it;
 * everything with --mesh. */
static void build_cluster_pairs(struct check_job *j)
{
	size_t n = j->n;

	j->cluster_pairs = xcalloc(n ? n * n : 1, sizeof(bool));
	for (size_t a = 0; a < n; a++) {
		for (size_t b = 0; b < n; b++) {
			unsigned ra = j->clusters[a].roles, rb = j->clusters[b].roles;
			bool on;

			if (check_args.mesh)
				on = true;
			else if (!check_args.dst)
				on = a == b;
			else
				on = ((ra & STORE_ROLE_SRC) && (rb & STORE_ROLE_DST)) ||
				     ((ra & STORE_ROLE_DST) && (rb & STORE_ROLE_SRC));
			j->cluster_pairs[a * n + b] = on;
		}
	}
}

int check_args_select(struct check_job *j, struct store *st, struct err *err)
{
	if (select_clusters(j, st, err) < 0 ||
	    (!check_args.family && check_job_narrow_families(j, err) < 0) ||
	    select_nodes(j, err) < 0)
		return -1;
	build_cluster_pairs(j);
	j->mesh = check_args.mesh;
	j->options_json = check_job_options_json(j);
	j->o.options_json = j->options_json;
	return 0;
}
