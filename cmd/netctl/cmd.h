/* netctl command-line program: what every cmd_*.c shares. */
#ifndef NETCTL_CMD_H
#define NETCTL_CMD_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "common.h"

/* Exit codes (docs/usage.md). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* some pair failed; diff found regressions */
	EXIT_USAGE = 2,	  /* usage or config error */
	EXIT_CLUSTER = 3, /* cluster API unreachable or forbidden */
	EXIT_STORE = 4,	  /* local store (or other local) error */
	EXIT_INTERRUPTED = 130,
	/* Not an exit status: cmd_parse() printed help, the command exits 0. */
	CMD_HELP_SHOWN = -1,
};

/* Global state every command sees (global options). */
struct cmd_ctx {
	const char *db_flag; /* --db value, NULL: NETCTL_DB or the default (store_resolve_path) */
	int verbose;	     /* number of -v */
};

struct cmd_opt;

/* A subcommand: tmux's cmd_entry / git's cmd_struct. */
struct cmd_entry {
	const char *name;
	const char *summary;	    /* one line for `netctl --help` */
	const char *synopsis;	    /* "cluster add NAME --kubeconfig FILE [--context CTX]" lines */
	const char *details;	    /* extra help text after the options, or NULL */
	const struct cmd_opt *opts; /* OPT_END-terminated; dest points at the command's
				     * static argument struct (one command per process) */
	/* argv[0] is the command name; returns an exit code. */
	int (*exec)(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv);
	/* Subcommands ("cluster add"), NULL-terminated; exec is then cmd_exec_subcommand. */
	const struct cmd_entry *const *subs;
};

/* exec of a command with subcommands: dispatches argv[1] to e->subs. */
int cmd_exec_subcommand(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv);
/* The subcommand of e called name, or NULL. */
const struct cmd_entry *cmd_find_sub(const struct cmd_entry *e, const char *name);

/* ---- option parsing: one way for every command --------------------------------------- */

enum cmd_opt_kind {
	OPT_END = 0,
	OPT_FLAG,   /* bool *dest = true */
	OPT_STRING, /* const char **dest = optarg */
	OPT_LONG,   /* long *dest, parsed in [min, max] */
	OPT_COUNT,  /* int *dest += 1 (repeatable) */
};

struct cmd_opt {
	enum cmd_opt_kind kind;
	int short_name; /* 0: long option only */
	const char *long_name;
	const char *arg_name; /* "N", "PATH"; NULL for flags */
	const char *help;
	void *dest;
	long min, max;
	bool *seen; /* optional: set when the option was given */
};

/* Parses argv (argv[0] = command name) with getopt_long against e->opts plus the global
 * options (-v, --db, -h). Positional arguments are left in argv[*first .. argc).
 * Returns 0, CMD_HELP_SHOWN after printing usage to stdout, or EXIT_USAGE after printing
 * a one-line error and the short usage to stderr. min_args/max_args bound the positional
 * arguments (max_args < 0: unbounded). */
int cmd_parse(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv, int min_args,
	      int max_args, int *first);

/* -v count to log level: warnings by default, -v info, -vv debug, -vvv trace. */
void cmd_set_log_level(int verbose);

/* Full usage of a command on f (synopsis, options, details). */
void cmd_usage(const struct cmd_entry *e, FILE *f);
/* "netctl: <message>" + "usage: <synopsis>" + hint on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- errors and exit codes (the one mapping from struct err to exit status) ---------- */

int cmd_exit_code(const struct err *err);
/* Prints "netctl: <msg>" on stderr and returns cmd_exit_code(err). */
int cmd_fail(const struct err *err);

/* Set by the SIGINT/SIGTERM handler; long commands poll it. */
extern volatile sig_atomic_t cmd_interrupted;

/* ---- JSON output --------------------------------------------------------------------- */

struct cJSON;
/* Prints obj pretty on stdout with a newline, then deletes it. */
void cmd_print_json(struct cJSON *obj);

/* ---- shared by commands (util.c) ----------------------------------------------------- */

struct store;
/* Opens the store chosen by --db / NETCTL_DB / the default path. */
struct store *cmd_open_store(const struct cmd_ctx *ctx, struct err *err);
struct config;
/* The config every command uses: defaults, then ./config.json when present (warnings about
 * it printed to stderr). Flags go on top with config_set(). */
int cmd_load_config(struct config *c, struct err *err);
/* "2026-11-26 04:17:18Z" (UTC) or "-" for 0, into dst (>= 24 bytes). */
void cmd_format_time(int64_t wall_ms, char *dst, size_t dstsz);

/* ---- the commands (one file each; see the table in main.c) --------------------------- */

extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_cluster_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_clean_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_help_entry;

/* The command table (main.c), for `help`. */
const struct cmd_entry *cmd_find(const char *name);
void cmd_print_main_usage(FILE *f);

#endif
