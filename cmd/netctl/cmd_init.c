/* netctl init: write ./config.json with every field at its default. */
#include <stdio.h>

#include "cmd.h"
#include "config.h"

static struct {
	bool force;
} args;

static const struct cmd_opt init_opts[] = {
    {OPT_FLAG, 'f', "force", NULL, "overwrite an existing config.json", &args.force, 0, 0, NULL},
    {OPT_END},
};

static int init_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct config c;
	int rc;

	config_init(&c);
	rc = config_write_file(&c, CONFIG_FILE_NAME, args.force, &err);
	config_release(&c);
	if (rc < 0)
		return cmd_fail(&err);
	printf("wrote %s (NetDoctor-compatible fields; flags of `netctl check` override it)\n",
	       CONFIG_FILE_NAME);
	return EXIT_OK;
}

const struct cmd_entry cmd_init_entry = {
    .name = "init",
    .summary = "Write ./config.json with every field at its default.",
    .synopsis = "init [--force]",
    .details = "The file uses NetDoctor's field names (namespace, version, protocol,\n"
	       "podWaitTime, port, maxNum, cmdTimeout, srcKubeConfig, dstKubeConfig,\n"
	       "srcImageRepository, dstImageRepository, mode, autoClean, ...) and netctl's\n"
	       "imagePullSecrets. Commands read ./config.json when it exists; their flags win\n"
	       "over it. Every field: man 5 netctl-config.\n",
    .opts = init_opts,
    .exec = init_exec,
};
