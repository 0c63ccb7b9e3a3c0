/* netctl check: every node of the source clusters against every node of the destination
 * clusters (or each cluster's own mesh), stored as a run and printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"
#include "wire.h"

#define MAX_CLUSTERS 64

static struct {
	const char *src, *dst, *protocol, *family, *network, *timeout, *interval, *pod_wait;
	const char *namespace, *config, *tolerations;
	struct cmd_list node_selectors, exclude_nodes, targets;
	long count, concurrency, port, size;
	bool mesh, json, keep, quiet, rotate, no_apiserver;
	bool count_set, concurrency_set, port_set, size_set;
} args;

static const struct cmd_opt check_opts[] = {
    {OPT_STRING, 0, "src", "A[,B]", "source clusters (registered names)", &args.src, 0, 0, NULL},
    {OPT_STRING, 0, "dst", "C[,D]",
     "destination clusters: every src node to every dst node and back", &args.dst, 0, 0, NULL},
    {OPT_FLAG, 0, "mesh", NULL, "all registered clusters, all node pairs", &args.mesh, 0, 0, NULL},
    {OPT_STRING, 0, "protocol", "LIST", "icmp,tcp,udp (default: config protocol)", &args.protocol,
     0, 0, NULL},
    {OPT_STRING, 0, "family", "LIST", "4, 6 or 4,6 (default 4)", &args.family, 0, 0, NULL},
    {OPT_STRING, 0, "network", "LIST", "pod, host, pod-host, host-pod (default: config mode, pod)",
     &args.network, 0, 0, NULL},
    {OPT_LIST, 0, "node-selector", "SEL",
     "[CLUSTER:]a=b,c!=d,e,!f,g in (x,y): only matching nodes (repeatable)", &args.node_selectors,
     0, 0, NULL},
    {OPT_LIST, 0, "exclude-node", "NODE", "[CLUSTER/]NODE: leave a node out (repeatable)",
     &args.exclude_nodes, 0, 0, NULL},
    {OPT_STRING, 0, "tolerations", "T",
     "no-control-plane (default), all, none or KEY[=VALUE][:EFFECT],...", &args.tolerations, 0, 0,
     NULL},
    {OPT_LIST, 0, "target", "ADDR", "ADDR[:PORT], [V6]:PORT: probe it from every node (repeatable)",
     &args.targets, 0, 0, NULL},
    {OPT_FLAG, 0, "no-apiserver-check", NULL, "no TCP probe of the API server from every node",
     &args.no_apiserver, 0, 0, NULL},
    {OPT_LONG, 0, "count", "K", "probes per pair and protocol (default 3)", &args.count,
     WIRE_MIN_COUNT, WIRE_MAX_COUNT, &args.count_set},
    {OPT_STRING, 0, "timeout", "D", "per-probe timeout, 1ms..60s (default: cmdTimeout)",
     &args.timeout, 0, 0, NULL},
    {OPT_STRING, 0, "interval", "D", "between the probes of a pair, 0..10s (default 20ms)",
     &args.interval, 0, 0, NULL},
    {OPT_LONG, 0, "concurrency", "N", "probe requests in flight per cluster (default: maxNum)",
     &args.concurrency, 1, 1000, &args.concurrency_set},
    {OPT_LONG, 0, "port", "P", "floater port (default: config port)", &args.port, 1, 65535,
     &args.port_set},
    {OPT_LONG, 0, "size", "BYTES", "ICMP/UDP payload with DF set, for MTU checks", &args.size,
     WIRE_MIN_SIZE, WIRE_MAX_SIZE, &args.size_set},
    {OPT_STRING, 0, "pod-wait", "D", "bound on waiting for floaters (default: podWaitTime)",
     &args.pod_wait, 0, 0, NULL},
    {OPT_STRING, 0, "namespace", "NS", "where floaters run (default: config namespace)",
     &args.namespace, 0, 0, NULL},
    {OPT_STRING, 0, "config", "FILE", "config file (default: ./config.json if present)",
     &args.config, 0, 0, NULL},
    {OPT_FLAG, 0, "json", NULL, "print one JSON document instead of tables", &args.json, 0, 0,
     NULL},
    {OPT_FLAG, 0, "keep-floaters", NULL, "leave floaters deployed for the next check", &args.keep,
     0, 0, NULL},
    {OPT_FLAG, 0, "rotate-token", NULL,
     "new floater token in every cluster (floaters restart with it)", &args.rotate, 0, 0, NULL},
    {OPT_FLAG, 'q', "quiet", NULL, "no progress output", &args.quiet, 0, 0, NULL},
    {OPT_END},
};

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

	list_vector(&args.node_selectors, sel);
	list_vector(&args.exclude_nodes, excl);
	return check_job_select(j, sel, excl, args.tolerations, err);
}

/* --target, else NetDoctor's config.json lists: every IP x every port (an IP alone when
 * no port is listed). */
static int targets_from(struct check_job *j, const struct config *c, struct err *err)
{
	char *v[CMD_LIST_MAX + 1], **texts = NULL;
	size_t n = 0;
	int rc;

	if (args.targets.n) {
		list_vector(&args.targets, v);
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

static int load_config(struct config *c, struct err *err)
{
	bool found = false;

	if (args.config ? config_load_file(c, args.config, err) < 0
			: config_load_default(c, &found, err) < 0)
		return -1;
	for (char **w = c->warnings; w && *w; w++)
		log_warn("%s", *w);
	return 0;
}

/* Flags over config.json over defaults. */
static int config_from_flags(struct config *c, struct err *err)
{
	if (args.protocol && config_set(c, "protocol", args.protocol, "--protocol", err) < 0)
		return -1;
	if (args.timeout && config_set(c, "cmdTimeout", args.timeout, "--timeout", err) < 0)
		return -1;
	if (args.pod_wait && config_set(c, "podWaitTime", args.pod_wait, "--pod-wait", err) < 0)
		return -1;
	if (args.namespace && config_set(c, "namespace", args.namespace, "--namespace", err) < 0)
		return -1;
	return 0;
}

static int fill_options(struct check_job *j, const struct config *c, struct err *err)
{
	struct run_options *o = &j->o;
	long interval = 20;

	o->protocols = c->protocols;
	o->families = STORE_FAMILY_V4;
	if (args.family && parse_families(args.family, &o->families, err) < 0)
		return -1;
	o->networks = 0;
	if (c->networks & CONFIG_NET_POD)
		o->networks |= 1u << STORE_NET_POD;
	if (c->networks & CONFIG_NET_HOST)
		o->networks |= 1u << STORE_NET_HOST;
	if (args.network && parse_networks(args.network, &o->networks, err) < 0)
		return -1;
	if (args.interval && str_to_duration_ms(args.interval, WIRE_MAX_INTERVAL_MS, &interval,
						"--interval", err) < 0)
		return -1;
	o->count = args.count_set ? (int)args.count : 3;
	o->interval_ms = interval;
	o->timeout_ms = c->cmd_timeout_ms;
	o->size = args.size_set ? (int)args.size : 0;
	o->port = args.port_set ? (int)args.port : (int)c->port;
	o->concurrency = args.concurrency_set ? (int)args.concurrency : (int)c->max_num;
	o->pod_wait_ms = c->pod_wait_ms;
	o->namespace = xstrdup(c->namespace);
	o->image_repository = xstrdup(c->src_image_repo);
	o->version = xstrdup(c->version);
	o->keep_floaters = args.keep || !c->auto_clean;
	o->rotate_token = args.rotate;
	o->apiserver = !args.no_apiserver;
	if (targets_from(j, c, err) < 0)
		return -1;
	return run_options_check(o, err);
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

static int add_all_registered_cb(const struct store_cluster *c, void *arg)
{
	struct {
		struct check_job *j;
		char **names;
		size_t n;
	} *a = arg;

	if (a->n < MAX_CLUSTERS)
		a->names[a->n++] = xstrdup(c->name);
	return 0;
}

static int select_clusters(struct check_job *j, struct store *st, struct err *err)
{
	if (args.mesh) {
		char *names[MAX_CLUSTERS];
		struct {
			struct check_job *j;
			char **names;
			size_t n;
		} a = {j, names, 0};
		int rc = 0;

		if (args.src || args.dst)
			return err_set(err, ERR_USAGE, "--mesh takes no --src or --dst");
		if (store_cluster_list(st, add_all_registered_cb, &a, err) < 0)
			return -1;
		for (size_t i = 0; i < a.n; i++) {
			if (rc == 0)
				rc = check_job_add_cluster(j, st, names[i],
							   STORE_ROLE_SRC | STORE_ROLE_DST, err);
			free(names[i]);
		}
		if (rc == 0 && j->n == 0)
			return err_set(err, ERR_USAGE,
				       "--mesh: no cluster registered (netctl cluster add)");
		return rc;
	}
	if (!args.src)
		return err_set(err, ERR_USAGE,
			       "--src is required (a registered cluster; see netctl cluster add)");
	if (add_list(j, st, args.src, STORE_ROLE_SRC | (args.dst ? 0 : STORE_ROLE_DST), "--src",
		     err) < 0)
		return -1;
	if (args.dst && add_list(j, st, args.dst, STORE_ROLE_DST, "--dst", err) < 0)
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

			if (args.mesh)
				on = true;
			else if (!args.dst)
				on = a == b;
			else
				on = ((ra & STORE_ROLE_SRC) && (rb & STORE_ROLE_DST)) ||
				     ((ra & STORE_ROLE_DST) && (rb & STORE_ROLE_SRC));
			j->cluster_pairs[a * n + b] = on;
		}
	}
}

static int check_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct check_job j;
	struct config c;
	struct store *st = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	config_init(&c);
	if (load_config(&c, &err) < 0) {
		rc = cmd_fail(&err);
		goto out;
	}
	/* what a floater would refuse is refused here, before anything is deployed */
	if (config_from_flags(&c, &err) < 0 || fill_options(&j, &c, &err) < 0) {
		rc = err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
					   : cmd_fail(&err);
		goto out;
	}
	st = cmd_open_store(ctx, &err);
	if (!st || select_clusters(&j, st, &err) < 0) {
		rc = cmd_fail(&err);
		goto out;
	}
	if (select_nodes(&j, &err) < 0) {
		rc = cmd_usage_error(ctx->entry, "%s", err.msg);
		goto out;
	}
	build_cluster_pairs(&j);
	j.mesh = args.mesh;
	j.options_json = check_job_options_json(&j);
	j.o.options_json = j.options_json;
	j.json = args.json;
	j.quiet = args.quiet;
	rc = check_job_execute(ctx, st, &j);
out:
	check_job_release(&j);
	config_release(&c);
	store_close(st);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
    .name = "check",
    .summary = "Check node pairs within and across clusters; store and print the run.",
    .synopsis = "check --src A[,B] [--dst C[,D]] [OPTIONS]\n"
		"check --mesh [OPTIONS]",
    .details = "Without --dst every ordered node pair inside each --src cluster is checked;\n"
	       "with --dst every node of each src cluster against every node of each dst\n"
	       "cluster, in both directions. Exit code 0 when every pair passed, 1 when some\n"
	       "failed, 3 when a cluster API could not be used, 130 when interrupted.\n"
	       "Nodes labelled kosmos.io/exclude, nodes named by --exclude-node, nodes not\n"
	       "matching --node-selector and nodes with a taint --tolerations does not cover\n"
	       "(by default: the control plane's) get no floater and no pair; the summary\n"
	       "names them.\n"
	       "Every node also probes each --target (default: config.json's\n"
	       "customizedTargetIPList x customizedTargetPortList; tcp and udp need a port)\n"
	       "and, unless --no-apiserver-check, makes a TCP handshake with every address of\n"
	       "its cluster's kubernetes Endpoints; the summary says what that cost.",
    .opts = check_opts,
    .exec = check_exec,
};
