/* netctl resume --run ID: a new run whose parent is ID, probing only what ID (with its own
 * resumes, the merged view) did not pass: failed, never probed, or without an agent. Nodes
 * are those of the original run: nodes that are gone are reported, new nodes are not added. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"

static struct {
	long run;
	const char *timeout;
	long count, concurrency;
	bool json, keep, quiet;
	bool run_set, count_set, concurrency_set;
} args;

static const struct cmd_opt resume_opts[] = {
	{OPT_LONG, 0, "run", "ID", "the run to resume", &args.run, 1, INT64_MAX, &args.run_set},
	{OPT_STRING, 0, "timeout", "D", "per-probe timeout (default: the run's)", &args.timeout, 0, 0, NULL},
	{OPT_LONG, 0, "count", "K", "probes per pair and protocol (default: the run's)",
	 &args.count, 1, 1000, &args.count_set},
	{OPT_LONG, 0, "concurrency", "N", "probe requests in flight per cluster", &args.concurrency,
	 1, 1000, &args.concurrency_set},
	{OPT_FLAG, 0, "json", NULL, "print one JSON document instead of tables", &args.json, 0, 0, NULL},
	{OPT_FLAG, 0, "keep-floaters", NULL, "leave floaters deployed", &args.keep, 0, 0, NULL},
	{OPT_FLAG, 'q', "quiet", NULL, "no progress output", &args.quiet, 0, 0, NULL},
	{OPT_END},
};

/* What the chain already passed, per (src, dst, family, network): a protocol mask. */
struct resume_filter {
	struct idmap passed;
	struct idmap root_nodes; /* node id -> 1 when seen by the plan, 0 otherwise */
	struct idmap new_nodes;  /* nodes the original run did not have */
};

static int64_t pair_key(int64_t src, int64_t dst, unsigned family, unsigned net)
{
	return ((src & 0xffffff) << 32) | ((dst & 0xffffff) << 8) | ((family == 6) << 3) |
	       (net & 7);
}

static unsigned resume_filter(void *arg, const struct plan_node *src,
			      const struct plan_node *dst, unsigned family,
			      enum plan_network net)
{
	struct resume_filter *f = arg;
	long passed;

	if (idmap_get(&f->root_nodes, src->id) < 0 || idmap_get(&f->root_nodes, dst->id) < 0) {
		if (idmap_get(&f->root_nodes, src->id) < 0)
			idmap_put(&f->new_nodes, src->id, 1);
		if (idmap_get(&f->root_nodes, dst->id) < 0)
			idmap_put(&f->new_nodes, dst->id, 1);
		return 0;
	}
	idmap_put(&f->root_nodes, src->id, 1);
	idmap_put(&f->root_nodes, dst->id, 1);
	passed = idmap_get(&f->passed, pair_key(src->id, dst->id, family, net));
	return passed < 0 ? ~0u : ~(unsigned)passed;
}

static int collect_passed(const struct store_result_row *row, void *arg)
{
	struct resume_filter *f = arg;
	int64_t k = pair_key(row->r.src_node, row->r.dst_node, row->r.family, row->r.network);
	long mask = idmap_get(&f->passed, k);

	if (row->r.error == PROBE_OK)
		idmap_put(&f->passed, k, (uint32_t)((mask < 0 ? 0 : mask) | (1u << row->r.protocol)));
	return 0;
}

static int collect_node(const struct store_run_node *n, void *arg)
{
	struct resume_filter *f = arg;

	idmap_put(&f->root_nodes, n->node.id, 0);
	return 0;
}

/* The run a chain of resumes started from: its node table is the resume's. */
static int64_t chain_root(struct store *st, int64_t id, struct err *err)
{
	for (int depth = 0; depth < 10000; depth++) {
		struct store_run_info *r = store_run_get(st, id, err);
		int64_t parent;

		if (!r)
			return -1;
		parent = r->parent_id;
		store_run_info_free(r);
		if (!parent)
			return id;
		id = parent;
	}
	return err_set(err, ERR_STORE, "run %lld: resume chain too long", (long long)id);
}

static long json_num(const cJSON *o, const char *key, long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

/* Rebuilds the job of the parent run from its recorded options. */
static int job_from_run(struct check_job *j, struct store *st, const struct store_run_info *r,
			struct err *err)
{
	cJSON *o = json_parse(r->options_json, strlen(r->options_json), 0, err);
	const cJSON *cl, *cp, *ns, *it;
	size_t i = 0;
	int rc = -1;

	if (!o)
		return err_prefix(err, "run %lld: recorded options", (long long)r->id);
	cl = cJSON_GetObjectItemCaseSensitive(o, "clusters");
	cp = cJSON_GetObjectItemCaseSensitive(o, "cluster_pairs");
	ns = cJSON_GetObjectItemCaseSensitive(o, "namespace");
	if (!cJSON_IsArray(cl) || !cJSON_IsArray(cp) || !cJSON_IsString(ns)) {
		err_set(err, ERR_STORE, "run %lld: recorded options lack clusters", (long long)r->id);
		goto out;
	}
	cJSON_ArrayForEach(it, cl) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		unsigned roles = (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "src"))
					  ? STORE_ROLE_SRC
					  : 0) |
				 (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "dst"))
					  ? STORE_ROLE_DST
					  : 0);

		if (!cJSON_IsString(name) ||
		    check_job_add_cluster(j, st, name->valuestring, roles, err) < 0)
			goto out;
	}
	if ((size_t)cJSON_GetArraySize(cp) != j->n * j->n) {
		err_set(err, ERR_STORE, "run %lld: recorded cluster pairs do not match",
			(long long)r->id);
		goto out;
	}
	j->cluster_pairs = xcalloc(j->n ? j->n * j->n : 1, sizeof(bool));
	cJSON_ArrayForEach(it, cp)
		j->cluster_pairs[i++] = cJSON_IsTrue(it);
	j->o.protocols = r->protocols;
	j->o.families = r->families;
	j->o.networks = r->networks;
	j->o.count = (int)json_num(o, "count", 3);
	j->o.interval_ms = json_num(o, "interval_ms", 20);
	j->o.timeout_ms = json_num(o, "timeout_ms", 1000);
	j->o.size = (int)json_num(o, "size", 0);
	j->o.port = (int)json_num(o, "port", 8889);
	j->o.concurrency = (int)json_num(o, "concurrency", 3);
	j->o.pod_wait_ms = 30000;
	j->o.namespace = xstrdup(ns->valuestring);
	j->o.image_repository = xstrdup("ghcr.io/kosmos-io");
	j->options_json = xstrdup(r->options_json);
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

static int resume_exec(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct resume_filter f;
	struct store_results_query q = {.merged = true};
	struct store_run_info *parent = NULL;
	struct check_job j;
	struct store *st = NULL;
	int64_t root;
	int first, rc;

	rc = cmd_parse(ctx, e, argc, argv, 0, 0, &first);
	if (rc)
		return rc;
	if (!args.run_set)
		return cmd_usage_error(e, "--run ID is required");
	memset(&j, 0, sizeof(j));
	memset(&f, 0, sizeof(f));
	idmap_init(&f.passed);
	idmap_init(&f.root_nodes);
	idmap_init(&f.new_nodes);
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
	if (job_from_run(&j, st, parent, &err) < 0)
		goto fail;
	if (args.timeout &&
	    str_to_duration_ms(args.timeout, 60000, &j.o.timeout_ms, "--timeout", &err) < 0)
		goto fail;
	if (args.count_set)
		j.o.count = (int)args.count;
	if (args.concurrency_set)
		j.o.concurrency = (int)args.concurrency;
	j.o.keep_floaters = args.keep;
	j.o.parent_id = parent->id;
	j.o.options_json = j.options_json;
	j.json = args.json;
	j.quiet = args.quiet;
	root = chain_root(st, parent->id, &err);
	if (root < 0 || store_run_nodes_foreach(st, root, collect_node, &f, &err) < 0 ||
	    store_results_foreach(st, parent->id, &q, collect_passed, &f, &err) < 0)
		goto fail;
	j.filter = resume_filter;
	j.filter_arg = &f;
	if (!args.quiet && !args.json)
		fprintf(stderr, "netctl: resuming run %lld: probing what it did not pass\n",
			(long long)parent->id);
	rc = check_job_execute(ctx, st, &j);
	if (f.new_nodes.len && !args.json)
		fprintf(stderr,
			"netctl: note: %zu nodes joined after run %lld; their pairs were not added "
			"(run a new check for them)\n",
			f.new_nodes.len, (long long)root);
	goto out;
fail:
	rc = cmd_fail(&err);
out:
	idmap_release(&f.passed);
	idmap_release(&f.root_nodes);
	idmap_release(&f.new_nodes);
	store_run_info_free(parent);
	check_job_release(&j);
	store_close(st);
	return rc;
}

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.summary = "Re-probe only what a run did not pass (a new run whose parent is ID).",
	.synopsis = "resume --run ID [--timeout D] [--count K] [--concurrency N] [--json]",
	.details = "Probes the pairs of run ID (and of its earlier resumes) that failed, were\n"
		   "never probed (an interrupted run) or had no agent, with the run's options.\n"
		   "Nodes that joined since are not added; `netctl report --run NEW --merged`\n"
		   "shows the whole picture.",
	.opts = resume_opts,
	.exec = resume_exec,
};
