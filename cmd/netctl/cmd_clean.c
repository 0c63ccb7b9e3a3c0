/* netctl clean: remove the floaters and everything else netctl created, in every
 * registered cluster (or the ones named). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"

static struct {
	const char *cluster, *namespace, *wait;
} args;

static const struct cmd_opt clean_opts[] = {
    {OPT_STRING, 'c', "cluster", "A[,B]", "only these clusters (default: all registered)",
     &args.cluster, 0, 0, NULL},
    {OPT_STRING, 0, "namespace", "NS", "where floaters run (default: config namespace)",
     &args.namespace, 0, 0, NULL},
    {OPT_STRING, 0, "wait", "D", "wait this long for the namespaces to go (default 120s)",
     &args.wait, 0, 0, NULL},
    {OPT_END},
};

static int collect_name(const struct store_cluster *c, void *arg)
{
	struct buf *names = arg;

	(void)!buf_printf(names, "%s%s", names->len ? "," : "", c->name);
	return 0;
}

static int clean_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct check_job j;
	struct config c;
	struct store *st = NULL;
	struct progress *p;
	struct run_events ev;
	struct buf names;
	char **list = NULL;
	long wait_ms = 120000;
	int rc = EXIT_OK;

	p = progress_new(false);
	memset(&j, 0, sizeof(j));
	memset(&ev, 0, sizeof(ev));
	buf_init(&names, 0);
	progress_bind(p, &ev);
	if (cmd_load_config(&c, &err) < 0 ||
	    (args.namespace &&
	     config_set(&c, "namespace", args.namespace, "--namespace", &err) < 0) ||
	    (args.wait && str_to_duration_ms(args.wait, 600000, &wait_ms, "--wait", &err) < 0))
		goto fail;
	st = cmd_open_store(ctx, &err);
	if (!st)
		goto fail;
	if (args.cluster)
		(void)!buf_puts(&names, args.cluster);
	else if (store_cluster_list(st, collect_name, &names, &err) < 0)
		goto fail;
	if (!names.len) {
		printf("no cluster registered: nothing to clean\n");
		goto out;
	}
	list = str_split_list(names.data, 64, "--cluster", &err);
	if (!list)
		goto fail;
	for (char **n = list; *n; n++)
		if (check_job_add_cluster(&j, st, *n, 0, &err) < 0)
			goto fail;
	if (run_clean(j.clusters, j.n, c.namespace, wait_ms, &ev, &err) < 0)
		goto fail;
	goto out;
fail:
	rc = cmd_fail(&err);
out:
	strv_free(list);
	buf_release(&names);
	check_job_release(&j);
	config_release(&c);
	progress_free(p);
	store_close(st);
	return rc;
}

const struct cmd_entry cmd_clean_entry = {
    .name = "clean",
    .summary = "Remove floaters and everything else netctl created in the clusters.",
    .synopsis = "clean [--cluster A[,B]] [--namespace NS] [--wait D]",
    .details = "Deletes what carries the label app.kubernetes.io/managed-by=netctl\n"
	       "(DaemonSets, the token Secret) and the namespace if netctl created it.",
    .opts = clean_opts,
    .exec = clean_exec,
};
