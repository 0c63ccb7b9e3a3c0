/* netctl help [COMMAND [SUBCOMMAND]] */
#include <stdio.h>

#include "cmd.h"

static int help_exec(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	const struct cmd_entry *cmd;
	int first, rc;

	rc = cmd_parse(ctx, e, argc, argv, 0, 2, &first);
	if (rc)
		return rc;
	if (first == argc) {
		cmd_print_main_usage(stdout);
		return EXIT_OK;
	}
	cmd = cmd_find(argv[first]);
	if (!cmd)
		return cmd_usage_error(e, "unknown command '%s'", argv[first]);
	if (first + 1 < argc) {
		const struct cmd_entry *sub = cmd_find_sub(cmd, argv[first + 1]);

		if (!sub)
			return cmd_usage_error(e, "'%s' has no subcommand '%s'", cmd->name,
					       argv[first + 1]);
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
    .exec = help_exec,
};
