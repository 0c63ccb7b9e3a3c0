/* netctl resume --run ID: a new run whose parent is ID, probing only what ID (with its own
 * resumes, the merged view) did not pass: failed, never probed, or without an agent. Nodes
 * are those of the original run: nodes that are gone are reported, new nodes are not added. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"
#include "wire.h"

static struct {
	long run;
	const char *timeout, *pod_wait;
	long timeout_ms, pod_wait_ms; /* parsed from those */
	long count, concurrency;
	bool json, keep, quiet;
	bool run_set, count_set, concurrency_set;
} args;

static const struct cmd_opt resume_opts[] = {
    {OPT_LONG, 0, "run", "ID", "the run to resume", &args.run, 1, INT64_MAX, &args.run_set},
    {OPT_STRING, 0, "timeout", "D", "per-probe timeout (default: the run's)", &args.timeout, 0, 0,
     NULL},
    {OPT_LONG, 0, "count", "K", "probes per pair and protocol (default: the run's)", &args.count,
     WIRE_MIN_COUNT, WIRE_MAX_COUNT, &args.count_set},
    {OPT_LONG, 0, "concurrency", "N", "probe requests in flight per cluster (default: the run's)",
     &args.concurrency, 1, 1000, &args.concurrency_set},
    {OPT_STRING, 0, "pod-wait", "D", "bound on waiting for floaters (default: the run's)",
     &args.pod_wait, 0, 0, NULL},
    {OPT_FLAG, 0, "json", NULL, "print one JSON document instead of tables", &args.json, 0, 0,
     NULL},
    {OPT_FLAG, 0, "keep-floaters", NULL, "leave floaters deployed (default: as the run did)",
     &args.keep, 0, 0, NULL},
    {OPT_FLAG, 'q', "quiet", NULL, "no progress output", &args.quiet, 0, 0, NULL},
    {OPT_END},
};

/* Nodes of the original run the resume's plan never met: left out by the resume's node
 * selection (recorded with it, and why), or gone from their clusters. */
struct gone_nodes {
	const struct idmap *seen;
	struct idmap left_out; /* node id -> reason, of the new run */
	size_t n[2];	       /* [0] gone, [1] not selected */
	struct buf names[2];   /* the first few of each, for the notes */
};

static int collect_left_out(const struct store_left_out *n, void *arg)
{
	struct gone_nodes *g = arg;

	idmap_put(&g->left_out, n->node_id, (uint32_t)n->reason);
	return 0;
}

static int collect_gone(const struct store_run_node *n, void *arg)
{
	struct gone_nodes *g = arg;
	long reason;
	int k;

	if (idmap_get(g->seen, n->node.id) != 0)
		return 0;
	reason = idmap_get(&g->left_out, n->node.id);
	k = reason >= 0;
	/* five names of at most 2 x 253 bytes and a reason fit the 4 KiB: cannot fail */
	if (g->n[k]++ < 5)
		(void)!buf_printf(&g->names[k], "%s%s/%s%s%s%s", g->names[k].len ? ", " : "",
				  n->cluster_name, n->node.name, k ? " (" : "",
				  k ? store_left_out_reason_name((enum store_left_out_reason)reason)
				    : "",
				  k ? ")" : "");
	return 0;
}

/* "netctl: note: 2 nodes of run 7 are gone (east/a, east/b); their pairs were not probed
 * again" */
static void note_nodes(int64_t root, size_t n, const struct buf *names, const char *what)
{
	if (n)
		fprintf(stderr,
			"netctl: note: %zu node%s of run %lld %s %s (%s%s); %s pairs were not "
			"probed again\n",
			n, n == 1 ? "" : "s", (long long)root, n == 1 ? "is" : "are", what,
			buf_str(names), n > 5 ? ", ..." : "", n == 1 ? "its" : "their");
}

static void note_gone(struct store *st, int64_t root, int64_t run, const struct check_filter *f)
{
	struct gone_nodes g = {.seen = &f->root_nodes};
	struct err err = ERR_INIT;

	idmap_init(&g.left_out);
	buf_init(&g.names[0], 4096);
	buf_init(&g.names[1], 4096);
	if ((run > 0 && store_run_left_out_foreach(st, run, collect_left_out, &g, &err) < 0) ||
	    store_run_nodes_foreach(st, root, collect_gone, &g, &err) < 0)
		log_warn("%s", err.msg);
	note_nodes(root, g.n[1], &g.names[1], "not selected now");
	note_nodes(root, g.n[0], &g.names[0], "gone");
	buf_release(&g.names[0]);
	buf_release(&g.names[1]);
	idmap_release(&g.left_out);
}

static int clusters_from_run(struct check_job *j, struct store *st, const cJSON *cl,
			     struct err *err)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cl)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		unsigned roles = 0;

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "src")))
			roles |= STORE_ROLE_SRC;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "dst")))
			roles |= STORE_ROLE_DST;
		if (!cJSON_IsString(name))
			return err_set(err, ERR_STORE, "recorded cluster without a name");
		if (check_job_add_cluster(j, st, name->valuestring, roles, err) < 0)
			return -1;
	}
	return 0;
}

/* The recorded image pull secrets, names checked as `check` checks them; a run recorded
 * before they were (or without any) takes config.json's. */
static int pull_secrets_from_run(const cJSON *o, const struct config *c, char ***out,
				 struct err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "image_pull_secrets"), *it;

	*out = NULL;
	if (!a) {
		*out = c->pull_secrets ? strv_dup(c->pull_secrets) : NULL;
		return 0;
	}
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > CONFIG_MAX_LIST)
		return err_set(err, ERR_STORE, "image_pull_secrets: not a list of names");
	cJSON_ArrayForEach(it, a)
	{
		if (!cJSON_IsString(it) || !str_is_dns_subdomain(it->valuestring)) {
			strv_free(*out);
			*out = NULL;
			return err_set(err, ERR_STORE, "image_pull_secrets: not a list of names");
		}
		*out = strv_append(*out, it->valuestring);
	}
	return 0;
}

/* Every option of the parent run as recorded; what a run recorded by an older netctl
 * lacks comes from config.json and the defaults, as `check` would pick it. A recorded value
 * of the wrong type or out of the range `check` allows is refused, not replaced. */
static int options_from_run(struct check_job *j, const cJSON *o, const struct config *c,
			    struct err *err)
{
	long count = 3, size = 0, port = c->port, concurrency = c->max_num;
	long sample = 0, sample_round = 0;
	const char *ns = c->namespace, *repo = c->src_image_repo, *version = c->version;
	const char *dst_repo = c->dst_image_repo;
	char **secrets = NULL;
	bool keep = !c->auto_clean, mesh = false, apiserver = false;

	j->o.interval_ms = 20;
	j->o.timeout_ms = c->cmd_timeout_ms;
	j->o.pod_wait_ms = c->pod_wait_ms;
	if (json_get_long(o, "count", 1, 1000, &count, err) < 0 ||
	    json_get_long(o, "interval_ms", 0, 60000, &j->o.interval_ms, err) < 0 ||
	    json_get_long(o, "timeout_ms", 1, 60000, &j->o.timeout_ms, err) < 0 ||
	    json_get_long(o, "size", 0, 65000, &size, err) < 0 ||
	    json_get_long(o, "port", 1, 65535, &port, err) < 0 ||
	    json_get_long(o, "concurrency", 1, 100000, &concurrency, err) < 0 ||
	    json_get_long(o, "pod_wait_ms", 0, 3600000, &j->o.pod_wait_ms, err) < 0 ||
	    json_get_long(o, "sample", 0, CHECK_SAMPLE_MAX, &sample, err) < 0 ||
	    json_get_long(o, "sample_round", 0, LONG_MAX, &sample_round, err) < 0 ||
	    json_get_string(o, "namespace", &ns, err) < 0 ||
	    json_get_string(o, "image_repository", &repo, err) < 0 ||
	    json_get_string(o, "dst_image_repository", &dst_repo, err) < 0 ||
	    json_get_string(o, "version", &version, err) < 0 ||
	    json_get_bool(o, "keep_floaters", &keep, err) < 0 ||
	    json_get_bool(o, "mesh", &mesh, err) < 0 ||
	    json_get_bool(o, "apiserver_check", &apiserver, err) < 0 ||
	    pull_secrets_from_run(o, c, &secrets, err) < 0) {
		err->code = ERR_STORE;
		return -1;
	}
	/* the same sample as the run resumed: its round, not the series' next one */
	j->o.sample = (size_t)sample;
	j->o.sample_round = (uint64_t)sample_round;
	j->sample_fixed = true;
	j->o.count = (int)count;
	j->o.size = (int)size;
	j->o.port = (int)port;
	j->o.concurrency = (int)concurrency;
	j->o.namespace = ns ? xstrdup(ns) : NULL;
	j->o.image_repository = repo ? xstrdup(repo) : NULL;
	j->o.dst_image_repository = dst_repo ? xstrdup(dst_repo) : NULL;
	j->o.image_pull_secrets = secrets;
	j->o.version = version ? xstrdup(version) : NULL;
	j->o.keep_floaters = keep;
	j->o.apiserver = apiserver; /* a run recorded before the check had none */
	j->mesh = mesh;
	return 0;
}

/* A recorded list of strings ("node_selectors", "exclude_nodes") as a vector (heap). */
static int strv_from_run(const cJSON *o, const char *name, char ***out, struct err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name), *it;
	size_t n = 0;

	*out = xcalloc(1, sizeof(**out));
	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > 64)
		return err_set(err, ERR_STORE, "%s: not a list of at most 64 strings", name);
	cJSON_ArrayForEach(it, a)
	{
		if (!cJSON_IsString(it))
			return err_set(err, ERR_STORE, "%s: not a list of strings", name);
		*out = xrealloc(*out, (n + 2) * sizeof(**out));
		(*out)[n++] = xstrdup(it->valuestring);
		(*out)[n] = NULL;
	}
	return 0;
}

/* The parent's node selection, repeated: a node it left out stays out (and a node that
 * matches it no longer is "not selected", not gone); its --src-node/--dst-node pairs; and
 * its custom targets. */
static int select_from_run(struct check_job *j, const cJSON *o, struct err *err)
{
	char **sel = NULL, **excl = NULL, **targets = NULL, **dns_servers = NULL,
	     **dns_names = NULL, **srcs = NULL, **dsts = NULL;
	const char *tol = NULL;
	int rc = -1;

	if (strv_from_run(o, "node_selectors", &sel, err) < 0 ||
	    strv_from_run(o, "exclude_nodes", &excl, err) < 0 ||
	    json_get_string(o, "tolerations", &tol, err) < 0) {
		err->code = ERR_STORE;
		goto out;
	}
	rc = check_job_select(j, sel, excl, tol, err);
	if (rc == 0)
		rc = strv_from_run(o, "src_nodes", &srcs, err);
	if (rc == 0)
		rc = strv_from_run(o, "dst_nodes", &dsts, err);
	if (rc == 0)
		rc = check_job_pairs(j, srcs, dsts, err);
	if (rc == 0)
		rc = strv_from_run(o, "targets", &targets, err);
	if (rc == 0)
		rc = check_job_targets(j, targets, "recorded target", err);
	if (rc == 0)
		rc = strv_from_run(o, "dns_servers", &dns_servers, err);
	if (rc == 0)
		rc = check_job_dns_servers(j, dns_servers, "recorded DNS server", err);
	if (rc == 0)
		rc = strv_from_run(o, "dns_names", &dns_names, err);
	if (rc == 0)
		rc = check_job_dns_names(j, dns_names, "recorded DNS name", err);
	if (rc < 0)
		err->code = ERR_STORE;
out:
	strv_free(sel);
	strv_free(excl);
	strv_free(targets);
	strv_free(dns_servers);
	strv_free(dns_names);
	strv_free(srcs);
	strv_free(dsts);
	return rc;
}

/* Rebuilds the job of the parent run from its recorded options. */
static int job_from_run(struct check_job *j, struct store *st, const struct store_run_info *r,
			const struct config *c, struct err *err)
{
	cJSON *o = json_parse(r->options_json, strlen(r->options_json), 0, err);
	const cJSON *cl, *cp, *it;
	size_t i = 0;
	int rc = -1;

	if (!o)
		return err_prefix(err, "run %lld: recorded options", (long long)r->id);
	cl = cJSON_GetObjectItemCaseSensitive(o, "clusters");
	cp = cJSON_GetObjectItemCaseSensitive(o, "cluster_pairs");
	if (!cJSON_IsArray(cl) || !cJSON_IsArray(cp)) {
		err_set(err, ERR_STORE, "run %lld: recorded options lack clusters",
			(long long)r->id);
		goto out;
	}
	if (clusters_from_run(j, st, cl, err) < 0) {
		err_prefix(err, "run %lld", (long long)r->id);
		goto out;
	}
	if ((size_t)cJSON_GetArraySize(cp) != j->n * j->n) {
		err_set(err, ERR_STORE, "run %lld: recorded cluster pairs do not match",
			(long long)r->id);
		goto out;
	}
	j->cluster_pairs = xcalloc(j->n ? j->n * j->n : 1, sizeof(bool));
	cJSON_ArrayForEach(it, cp) j->cluster_pairs[i++] = cJSON_IsTrue(it);
	j->o.protocols = r->protocols;
	j->o.families = r->families;
	j->o.networks = r->networks;
	if (options_from_run(j, o, c, err) < 0 || select_from_run(j, o, err) < 0) {
		err_prefix(err, "run %lld: recorded options", (long long)r->id);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* The durations given as flags, checked before anything is opened. */
static int parse_durations(struct err *err)
{
	if (args.timeout && str_to_duration_ms(args.timeout, WIRE_MAX_TIMEOUT_MS, &args.timeout_ms,
					       "--timeout", err) < 0)
		return -1;
	if (args.timeout && args.timeout_ms < WIRE_MIN_TIMEOUT_MS)
		return err_set(err, ERR_USAGE, "--timeout: '%s' is shorter than %d ms",
			       args.timeout, WIRE_MIN_TIMEOUT_MS);
	if (args.pod_wait &&
	    str_to_duration_ms(args.pod_wait, 3600000, &args.pod_wait_ms, "--pod-wait", err) < 0)
		return -1;
	return 0;
}

/* Flags over the parent's options. */
static void apply_flags(struct check_job *j)
{
	if (args.timeout)
		j->o.timeout_ms = args.timeout_ms;
	if (args.pod_wait)
		j->o.pod_wait_ms = args.pod_wait_ms;
	if (args.count_set)
		j->o.count = (int)args.count;
	if (args.concurrency_set)
		j->o.concurrency = (int)args.concurrency;
	if (args.keep)
		j->o.keep_floaters = true;
}

static int resume_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct check_filter f;
	struct store_run_info *parent = NULL;
	struct check_job j;
	struct config c;
	struct store *st = NULL;
	int64_t root;
	int rc;

	if (!args.run_set)
		return cmd_usage_error(ctx->entry, "--run ID is required");
	if (parse_durations(&err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	memset(&j, 0, sizeof(j));
	memset(&f, 0, sizeof(f));
	config_init(&c);
	check_filter_init(&f);
	st = cmd_open_store(ctx, &err);
	if (!st)
		goto fail;
	parent = store_run_get(st, args.run, &err);
	if (!parent) {
		if (err.code == ERR_NOTFOUND)
			err.code = ERR_USAGE;
		goto fail;
	}
	if (parent->status == STORE_RUN_RUNNING) {
		err_set(&err, ERR_USAGE, "run %ld is still running", args.run);
		goto fail;
	}
	config_release(&c);
	if (cmd_load_config(&c, &err) < 0 || job_from_run(&j, st, parent, &c, &err) < 0)
		goto fail;
	apply_flags(&j);
	/* a run recorded by an older netctl may hold options no floater accepts */
	if (run_options_check(&j.o, &err) < 0) {
		err_prefix(&err, "run %lld: options%s", (long long)parent->id,
			   args.count_set || args.timeout ? " with --count/--timeout" : "");
		goto fail;
	}
	/* the options this run really uses, so a resume of it repeats them */
	j.options_json = check_job_options_json(&j);
	j.o.parent_id = parent->id;
	j.o.options_json = j.options_json;
	j.json = args.json;
	j.quiet = args.quiet;
	if (check_filter_load(&f, st, parent->id, &err) < 0)
		goto fail;
	root = f.root;
	j.filter = check_filter_fn;
	j.filter_arg = &f;
	if (!args.quiet && !args.json)
		fprintf(stderr, "netctl: resuming run %lld: probing what it did not pass\n",
			(long long)parent->id);
	rc = check_job_execute(ctx, st, &j);
	/* only a run that got as far as its plan knows which nodes it met */
	if ((rc == 0 || rc == 1) && !args.json)
		note_gone(st, root, j.run_id, &f);
	if (f.new_nodes.len && !args.json)
		fprintf(stderr,
			"netctl: note: %zu node%s joined after run %lld; %s pairs were not added "
			"(run a new check for them)\n",
			f.new_nodes.len, f.new_nodes.len == 1 ? "" : "s", (long long)root,
			f.new_nodes.len == 1 ? "its" : "their");
	goto out;
fail:
	rc = cmd_fail(&err);
out:
	check_filter_release(&f);
	store_run_info_free(parent);
	check_job_release(&j);
	config_release(&c);
	store_close(st);
	return rc;
}

const struct cmd_entry cmd_resume_entry = {
    .name = "resume",
    .summary = "Re-probe only what a run did not pass (a new run whose parent is ID).",
    .synopsis = "resume --run ID [--count K] [--timeout D] [OPTIONS]",
    .details = "Probes the pairs of run ID (and of its earlier resumes) that failed, were\n"
	       "never probed (an interrupted run) or had no agent, with the run's options\n"
	       "(namespace, image, port, timeouts, count, concurrency, pod wait, whether\n"
	       "floaters stay); a flag overrides one of them.\n"
	       "Nodes that joined since are not added; `netctl report --run NEW --merged`\n"
	       "shows the whole picture.",
    .opts = resume_opts,
    .exec = resume_exec,
};
