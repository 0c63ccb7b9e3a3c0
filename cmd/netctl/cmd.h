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
};

struct cmd_entry;

/* What a command's exec is handed: the global options, and its positional arguments
 * (options already parsed into the entry's option table, their count within its bounds). */
struct cmd_ctx {
	const char *db_flag; /* --db value, NULL: NETCTL_DB or the default (store_resolve_path) */
	int verbose;	     /* number of -v */
	const struct cmd_entry *entry; /* the command running (for cmd_usage_error) */
	int argc;		       /* positional arguments, options removed */
	char **argv;
};

struct cmd_opt;

/* How many positional arguments a command takes (tmux's args lower/upper): the dispatcher
 * refuses fewer than lower or more than upper (upper < 0: no limit) before exec runs. */
struct cmd_args {
	int lower, upper;
};

/* A command: tmux's cmd_entry / git's cmd_struct. Everything the dispatcher needs to parse
 * a command line is data here, so exec starts with its arguments already checked. */
struct cmd_entry {
	const char *name;
	const char *summary;	    /* one line for `netctl --help` */
	const char *synopsis;	    /* "cluster add NAME --kubeconfig FILE [--context CTX]" lines */
	const char *details;	    /* extra help text after the options, or NULL */
	const struct cmd_opt *opts; /* OPT_END-terminated; dest points at the command's
				     * static argument struct (one command per process),
				     * whose initializer holds the defaults */
	struct cmd_args args;	    /* positional arguments; {0, 0} when it takes none */
	/* Runs the command on ctx->argc/argv; returns an exit code. */
	int (*exec)(struct cmd_ctx *ctx);
	/* Subcommands ("cluster add"), NULL-terminated; the dispatcher picks one by argv[1]
	 * and exec is unused. */
	const struct cmd_entry *const *subs;
};

/* The dispatcher: argv[0] is e's name. Picks the subcommand (when e has them), parses its
 * options and positional arguments, then runs its exec. Returns an exit code: EXIT_OK after
 * --help, EXIT_USAGE after a one-line usage error (exec is then not run). */
int cmd_run(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv);
/* The subcommand of e called name, or NULL. */
const struct cmd_entry *cmd_find_sub(const struct cmd_entry *e, const char *name);

/* ---- option parsing: one way for every command --------------------------------------- */

enum cmd_opt_kind {
	OPT_END = 0,
	OPT_FLAG,   /* bool *dest = true */
	OPT_STRING, /* const char **dest = optarg */
	OPT_LONG,   /* long *dest, parsed in [min, max] */
	OPT_COUNT,  /* int *dest += 1 (repeatable) */
	OPT_LIST,   /* struct cmd_list *dest: each use adds optarg (repeatable) */
};

/* The values of a repeatable option, in command-line order (pointers into argv). */
#define CMD_LIST_MAX 64
struct cmd_list {
	const char *v[CMD_LIST_MAX];
	size_t n;
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
/* An age or period (history --prune --older-than, watch --every): 90m, 12h, 30d, 2w, also
 * s, ms and m; a bare number is refused (seconds or days?). ERR_USAGE naming `what`. */
int cmd_parse_age(const char *s, const char *what, long *ms, struct err *err);
/* "2026-11-26 04:17:18Z" (UTC) or "-" for 0, into dst (>= 24 bytes). */
void cmd_format_time(int64_t wall_ms, char *dst, size_t dstsz);

struct store_window;
struct store_coverage;
struct store_coverage_query;
/* report, diff, coverage over a window (cmd_coverage.c): sets the window on st, picks the
 * run (run_id, or 0: the newest finished run, of q->src_cluster when given) into *run_out,
 * and fills its coverage (q may be NULL: every pair). */
int cmd_window_open(struct store *st, int64_t run_id, const struct store_window *w,
		    const struct store_coverage_query *q, long *run_out, struct store_coverage *cov,
		    struct err *err);

/* ---- the command table (main.c; one file per command), for `help` ------------------- */

const struct cmd_entry *cmd_find(const char *name);
void cmd_print_main_usage(FILE *f);

#endif
