/* netctl check: every node of the source clusters against every node of the destination
 * clusters (or each cluster's own mesh), stored as a run and printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "store.h"

static struct {
	bool json, keep, quiet, rotate;
} args;

static const struct cmd_opt check_opts[] = {
    CHECK_ARGS_OPTS,
    {OPT_FLAG, 0, "json", NULL, "print one JSON document instead of tables", &args.json, 0, 0,
     NULL},
    {OPT_FLAG, 0, "keep-floaters", NULL, "leave floaters deployed for the next check", &args.keep,
     0, 0, NULL},
    {OPT_FLAG, 0, "rotate-token", NULL,
     "new floater token in every cluster (floaters restart with it)", &args.rotate, 0, 0, NULL},
    {OPT_FLAG, 'q', "quiet", NULL, "no progress output", &args.quiet, 0, 0, NULL},
    {OPT_END},
};

static int check_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct check_job j;
	struct config c;
	struct store *st = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	config_init(&c);
	if (check_args_load_config(&c, &err) < 0) {
		rc = cmd_fail(&err);
		goto out;
	}
	/* what a floater would refuse is refused here, before anything is deployed */
	if (check_args_apply(&j, &c, &err) < 0) {
		rc = err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
					   : cmd_fail(&err);
		goto out;
	}
	j.o.keep_floaters = j.o.keep_floaters || args.keep;
	j.o.rotate_token = args.rotate;
	st = cmd_open_store(ctx, &err);
	if (!st || check_args_select(&j, st, &err) < 0) {
		rc = st && err.code == ERR_USAGE ? cmd_usage_error(ctx->entry, "%s", err.msg)
						 : cmd_fail(&err);
		goto out;
	}
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
