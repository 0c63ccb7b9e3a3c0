/* netctl help [COMMAND [SUBCOMMAND]] */
#include <stdio.h>

#include "cmd.h"

static int help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry *cmd;

	if (ctx->argc == 0) {
		cmd_print_main_usage(stdout);
		return EXIT_OK;
	}
	cmd = cmd_find(ctx->argv[0]);
	if (!cmd)
		return cmd_usage_error(ctx->entry, "unknown command '%s'", ctx->argv[0]);
	if (ctx->argc > 1) {
		const struct cmd_entry *sub = cmd_find_sub(cmd, ctx->argv[1]);

		if (!sub)
			return cmd_usage_error(ctx->entry, "'%s' has no subcommand '%s'", cmd->name,
					       ctx->argv[1]);
		cmd = sub;
	}
	cmd_usage(cmd, stdout);
	return EXIT_OK;
}

static const struct cmd_opt help_opts[] = {{OPT_END}};

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .summary = "Show help for netctl or one of its commands.",
    .synopsis = "help [COMMAND [SUBCOMMAND]]",
    .opts = help_opts,
    .args = {0, 2},
    .exec = help_exec,
};
