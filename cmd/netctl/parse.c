/* The one way commands parse options (getopt_long over a per-command table), print usage,
 * and turn a struct err into an exit code. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define MAX_OPTS 64 /* a command's options and the global ones */

enum { GOPT_DB = 1000, GOPT_LONG_ONLY = 2000 };

/* Not an exit status: parse() printed help, the command exits 0 without running. */
enum { CMD_HELP_SHOWN = -1 };

volatile sig_atomic_t cmd_interrupted;

/* Options every command accepts, so `netctl history --db X -v` works as well as
 * `netctl --db X -v history`. */
static const struct cmd_opt global_opts[] = {
    {OPT_COUNT, 'v', "verbose", NULL, "more logging on stderr (repeatable)", NULL, 0, 0, NULL},
    {OPT_STRING, 0, "db", "PATH", "the SQLite store (default: $NETCTL_DB or the XDG path)", NULL, 0,
     0, NULL},
    {OPT_FLAG, 'h', "help", NULL, "show this help", NULL, 0, 0, NULL},
};

void cmd_set_log_level(int verbose)
{
	int level = LOG_WARN + verbose;

	log_set_level(level > LOG_TRACE ? LOG_TRACE : (enum log_level)level);
}

static void print_opt(const struct cmd_opt *o, FILE *f)
{
	char left[64];

	if (o->short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->long_name,
			 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", o->long_name, o->arg_name ? " " : "",
			 o->arg_name ? o->arg_name : "");
	/* an option too long for the column gets a line of its own */
	if (strlen(left) > 24)
		fprintf(f, "  %s\n  %-24s %s\n", left, "", o->help);
	else
		fprintf(f, "  %-24s %s\n", left, o->help);
}

static void print_synopsis(const struct cmd_entry *e, FILE *f)
{
	const char *p = e->synopsis;
	bool first = true;

	/* Synopsis lines are '\n'-separated; the first gets "usage:", the rest "   or:". */
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "%s netctl %.*s\n", first ? "usage:" : "   or:", len, p);
		first = false;
		p += len + (nl ? 1 : 0);
	}
}

void cmd_usage(const struct cmd_entry *e, FILE *f)
{
	print_synopsis(e, f);
	fprintf(f, "\n%s\n", e->summary);
	if (e->opts && e->opts[0].kind != OPT_END) {
		fprintf(f, "\nOptions:\n");
		for (const struct cmd_opt *o = e->opts; o->kind != OPT_END; o++)
			print_opt(o, f);
	}
	fprintf(f, "\nGlobal options:\n");
	for (size_t i = 0; i < ARRAY_SIZE(global_opts); i++)
		print_opt(&global_opts[i], f);
	if (e->details) {
		size_t n = strlen(e->details);

		fprintf(f, "\n%s%s", e->details, n && e->details[n - 1] == '\n' ? "" : "\n");
	}
}

int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "netctl %s: ", e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(e, stderr);
	fprintf(stderr, "Try 'netctl %s --help'.\n", e->name);
	return EXIT_USAGE;
}

/* Builds getopt_long's tables; index i < n_cmd refers to e->opts[i], the rest to globals. */
static size_t build_getopt(const struct cmd_entry *e, struct option *longopts, char *shortopts,
			   const struct cmd_opt **all)
{
	size_t n = 0, s = 0;

	shortopts[s++] = ':';
	for (const struct cmd_opt *o = e->opts; o && o->kind != OPT_END && n < MAX_OPTS; o++)
		all[n++] = o;
	for (size_t i = 0; i < ARRAY_SIZE(global_opts) && n < MAX_OPTS; i++)
		all[n++] = &global_opts[i];
	if (n == MAX_OPTS) { /* options beyond it would be silently unknown: a bug of ours */
		fprintf(stderr, "netctl: internal error: %s has more than %d options\n", e->name,
			MAX_OPTS - 1);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		bool arg = all[i]->kind == OPT_STRING || all[i]->kind == OPT_LONG ||
			   all[i]->kind == OPT_LIST;

		longopts[i].name = all[i]->long_name;
		longopts[i].has_arg = arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = all[i]->short_name ? all[i]->short_name : GOPT_LONG_ONLY + (int)i;
		if (all[i]->short_name) {
			shortopts[s++] = (char)all[i]->short_name;
			if (arg)
				shortopts[s++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[s] = '\0';
	return n;
}

static const struct cmd_opt *opt_for_val(const struct cmd_opt **all, size_t n, int val)
{
	if (val >= GOPT_LONG_ONLY && (size_t)(val - GOPT_LONG_ONLY) < n)
		return all[val - GOPT_LONG_ONLY];
	for (size_t i = 0; i < n; i++)
		if (all[i]->short_name == val)
			return all[i];
	return NULL;
}

/* Stores one option's value; returns 0, CMD_HELP_SHOWN or EXIT_USAGE. */
static int apply_opt(struct cmd_ctx *ctx, const struct cmd_entry *e, const struct cmd_opt *o,
		     const char *arg)
{
	struct err err = ERR_INIT;
	char what[64];

	if (o->seen)
		*o->seen = true;
	if (o == &global_opts[0]) {
		ctx->verbose++;
		return 0;
	}
	if (o == &global_opts[1]) {
		ctx->db_flag = arg;
		return 0;
	}
	if (o == &global_opts[2]) {
		cmd_usage(e, stdout);
		return CMD_HELP_SHOWN;
	}
	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case OPT_COUNT:
		(*(int *)o->dest)++;
		return 0;
	case OPT_STRING:
		*(const char **)o->dest = arg;
		return 0;
	case OPT_LIST: {
		struct cmd_list *l = o->dest;

		if (l->n == CMD_LIST_MAX)
			return cmd_usage_error(e, "--%s given more than %d times", o->long_name,
					       CMD_LIST_MAX);
		l->v[l->n++] = arg;
		return 0;
	}
	case OPT_LONG:
		snprintf(what, sizeof(what), "--%s", o->long_name);
		if (str_to_long(arg, o->min, o->max, (long *)o->dest, what, &err) < 0)
			return cmd_usage_error(e, "%s", err.msg);
		return 0;
	case OPT_END:
		break;
	}
	return 0;
}

static int unknown_option(const struct cmd_entry *e, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (str_has_prefix(arg, "--") && eq)
		return cmd_usage_error(e, "option '%.*s' takes no value", (int)(eq - arg), arg);
	if (str_has_prefix(arg, "--") || optopt <= 0 || optopt >= 256)
		return cmd_usage_error(e, "unknown option '%s'", arg);
	return cmd_usage_error(e, "unknown option '-%c'", optopt);
}

/* Parses argv (argv[0] = command name) with getopt_long against e->opts plus the global
 * options (-v, --db, -h), and checks the positional arguments against e->args; they are
 * left in argv[*first .. argc). Returns 0, CMD_HELP_SHOWN after printing usage to stdout,
 * or EXIT_USAGE after printing a one-line error and the short usage to stderr. */
static int parse(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv, int *first)
{
	struct option longopts[MAX_OPTS + 1];
	char shortopts[2 * MAX_OPTS + 2];
	const struct cmd_opt *all[MAX_OPTS];
	size_t n = build_getopt(e, longopts, shortopts, all);
	int c, rc = 0, nargs;

	optind = 0; /* glibc: full re-initialisation, the global parse used getopt already */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct cmd_opt *o;

		if (c == ':')
			return cmd_usage_error(e, "option '%s' needs a value", argv[optind - 1]);
		if (c == '?')
			return unknown_option(e, argv[optind - 1]);
		o = opt_for_val(all, n, c);
		if (!o)
			return cmd_usage_error(e, "unknown option '%s'", argv[optind - 1]);
		rc = apply_opt(ctx, e, o, optarg);
	}
	if (rc)
		return rc;
	cmd_set_log_level(ctx->verbose);
	nargs = argc - optind;
	if (nargs < e->args.lower)
		return cmd_usage_error(e, "missing argument");
	if (e->args.upper >= 0 && nargs > e->args.upper)
		return cmd_usage_error(e, "unexpected argument '%s'", argv[optind + e->args.upper]);
	*first = optind;
	return 0;
}

/* ---- errors ---------------------------------------------------------------------------- */

int cmd_exit_code(const struct err *err)
{
	if (cmd_interrupted)
		return EXIT_INTERRUPTED;
	switch (err->code) {
	case ERR_OK:
		return EXIT_OK;
	case ERR_USAGE:
	case ERR_NOTFOUND:
	case ERR_EXISTS:
	case ERR_LIMIT:
		return EXIT_USAGE;
	case ERR_API:
	case ERR_AUTH:
	case ERR_TLS:
	case ERR_TIMEOUT:
	case ERR_PROTO:
		return EXIT_CLUSTER;
	case ERR_IO:
	case ERR_STORE:
	case ERR_INTERNAL:
		return EXIT_STORE;
	}
	return EXIT_STORE;
}

int cmd_fail(const struct err *err)
{
	fprintf(stderr, "netctl: %s\n", err->msg[0] ? err->msg : err_code_name(err->code));
	return cmd_exit_code(err);
}

void cmd_print_json(struct cJSON *obj)
{
	char *s = json_print_pretty(obj);

	fputs(s, stdout);
	free(s);
	cJSON_Delete(obj);
}

/* ---- subcommands ----------------------------------------------------------------------- */

const struct cmd_entry *cmd_find_sub(const struct cmd_entry *e, const char *name)
{
	for (const struct cmd_entry *const *s = e->subs; s && *s; s++) {
		const char *sp = strrchr((*s)->name, ' ');

		if (!strcmp(sp ? sp + 1 : (*s)->name, name))
			return *s;
	}
	return NULL;
}

int cmd_run(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	const struct cmd_entry *sub;
	int first, rc;

	if (!e->subs) {
		rc = parse(ctx, e, argc, argv, &first);
		if (rc)
			return rc == CMD_HELP_SHOWN ? EXIT_OK : rc;
		ctx->entry = e;
		ctx->argc = argc - first;
		ctx->argv = argv + first;
		return e->exec(ctx);
	}
	if (argc < 2)
		return cmd_usage_error(e, "missing subcommand");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_usage(e, stdout);
		return EXIT_OK;
	}
	sub = cmd_find_sub(e, argv[1]);
	if (!sub && argv[1][0] == '-')
		return cmd_usage_error(e, "'%s': options go after the subcommand (or before '%s')",
				       argv[1], e->name);
	if (!sub)
		return cmd_usage_error(e, "unknown subcommand '%s'", argv[1]);
	return cmd_run(ctx, sub, argc - 1, argv + 1);
}
