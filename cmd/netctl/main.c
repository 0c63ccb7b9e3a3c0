/* netctl: the command table and global options. Everything a command does lives in its own
 * cmd_<name>.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kube.h"

/*
 * The command table. To add a command:
 *   1. write cmd/netctl/cmd_<name>.c defining `const struct cmd_entry cmd_<name>_entry`
 *      (name, summary, synopsis, details, option table, positional argument bounds, exec
 *      function); cmd_run parses the command line against them before exec runs, so exec
 *      starts with its options set and ctx->argc within the bounds;
 *   2. add the file to cmd/netctl/CMakeLists.txt;
 *   3. declare the entry below and add one line to the table, in the order
 *      `netctl --help` should list it.
 */
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_cluster_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_clean_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_coverage_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_help_entry;

/* One line per command, whatever clang-format would pack. */
/* clang-format off */
static const struct cmd_entry *const commands[] = {
	&cmd_init_entry,
	&cmd_cluster_entry,
	&cmd_check_entry,
	&cmd_resume_entry,
	&cmd_watch_entry,
	&cmd_clean_entry,
	&cmd_history_entry,
	&cmd_diff_entry,
	&cmd_report_entry,
	&cmd_coverage_entry,
	&cmd_config_entry,
	&cmd_help_entry,
};
/* clang-format on */

/* First signal: long commands stop cleanly (results already received are committed).
 * Second: exit at once; committed batches stay, SQLite's journal keeps the file sane. */
static void on_signal(int sig)
{
	(void)sig;
	if (cmd_interrupted)
		_exit(EXIT_INTERRUPTED);
	cmd_interrupted = 1;
}

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static const char main_synopsis[] = "netctl [-v] [--db PATH] COMMAND [ARGS...]";

void cmd_print_main_usage(FILE *f)
{
	fprintf(f, "usage: %s\n\n", main_synopsis);
	fprintf(f, "Checks Kubernetes / Kosmos container networks, node pair by node pair.\n\n");
	fprintf(f, "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -v, --verbose     more logging on stderr (repeat for more)\n"
		   "      --db PATH     the SQLite store (default: $NETCTL_DB, else\n"
		   "                    $XDG_DATA_HOME/netctl/netctl.db)\n"
		   "  -h, --help        this help; `netctl help COMMAND` for a command\n"
		   "      --version     print the version and the default floater image\n");
	fprintf(f, "\nExit codes: 0 ok, 1 some pair failed (or diff found regressions), 2 usage\n"
		   "or config error, 3 cluster API unreachable or forbidden, 4 local store error,\n"
		   "130 interrupted.\n");
}

static int main_usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "netctl: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	fprintf(stderr, "usage: %s\nTry 'netctl --help'.\n", main_synopsis);
	return EXIT_USAGE;
}

enum { GOPT_DB = 256, GOPT_VERSION };

/* Two lines, each "what: value" after the first, for scripts (docs/install.md): the floater
 * image is the one `check` deploys when config.json sets no srcImageRepository or version. */
static void print_version(void)
{
	char *image = kube_floater_image(NULL, NULL);

	printf("netctl %s\nfloater image: %s\n", NETCTL_VERSION, image);
	free(image);
}

/* Global options before the command: returns the index of the command name, or -1 when
 * the program is done (help, version, usage error) with its exit code in *rc. */
static int parse_global(struct cmd_ctx *ctx, int argc, char **argv, int *rc)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"db", required_argument, NULL, GOPT_DB},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, GOPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	/* '+': stop at the command name, its options are its own. */
	while ((c = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			ctx->verbose++;
			break;
		case GOPT_DB:
			ctx->db_flag = optarg;
			break;
		case 'h':
			cmd_print_main_usage(stdout);
			*rc = EXIT_OK;
			return -1;
		case GOPT_VERSION:
			print_version();
			*rc = EXIT_OK;
			return -1;
		case ':':
			*rc = main_usage_error("missing value for option", argv[optind - 1]);
			return -1;
		default: {
			char shortopt[3] = {'-', (char)optopt, '\0'};

			*rc = main_usage_error("unknown option", optopt > 0 && optopt < 256
								     ? shortopt
								     : argv[optind - 1]);
			return -1;
		}
		}
	}
	if (optind >= argc) {
		*rc = main_usage_error("no command given", NULL);
		return -1;
	}
	return optind;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = {0};
	const struct cmd_entry *e;
	int idx, rc = EXIT_OK;

	idx = parse_global(&ctx, argc, argv, &rc);
	if (idx < 0)
		return rc;
	e = cmd_find(argv[idx]);
	if (!e)
		return main_usage_error("unknown command", argv[idx]);
	cmd_set_log_level(ctx.verbose);
	install_signals();
	rc = cmd_run(&ctx, e, argc - idx, argv + idx);
	if (cmd_interrupted && rc != EXIT_OK)
		rc = EXIT_INTERRUPTED;
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "netctl: error writing output\n");
		rc = rc ? rc : EXIT_STORE;
	}
	return rc;
}
