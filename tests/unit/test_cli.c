/* cli: the dispatcher and option parser every netctl command goes through (usage errors
 * exit 2 with one line, exec runs only on a valid command line), and the struct err ->
 * exit status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"

static struct {
	bool force;
	long count;
	const char *name;
	struct cmd_list tags;
	bool count_seen;
} args;

static const struct cmd_opt opts[] = {
    {OPT_FLAG, 'f', "force", NULL, "force", &args.force, 0, 0, NULL},
    {OPT_LONG, 'n', "count", "N", "how many", &args.count, 1, 10, &args.count_seen},
    {OPT_STRING, 0, "name", "NAME", "a name", &args.name, 0, 0, NULL},
    {OPT_LIST, 0, "tag", "T", "a tag (repeatable)", &args.tags, 0, 0, NULL},
    {.kind = OPT_END},
};

/* What the last exec was handed. */
static struct {
	int calls;
	const struct cmd_entry *entry;
	int argc;
	const char *arg; /* its first positional argument */
} ran;

static int record_exec(struct cmd_ctx *ctx)
{
	ran.calls++;
	ran.entry = ctx->entry;
	ran.argc = ctx->argc;
	ran.arg = ctx->argc ? ctx->argv[0] : NULL;
	return 42;
}

static const struct cmd_entry entry = {
    .name = "demo",
    .summary = "A command for the test.",
    .synopsis = "demo [--force] [--count N] ARG",
    .opts = opts,
    .args = {1, 1},
    .exec = record_exec,
};

static const struct cmd_opt no_opts[] = {{.kind = OPT_END}};

static const struct cmd_entry bare_entry = {
    .name = "bare",
    .summary = "A command that takes no arguments.",
    .synopsis = "bare",
    .opts = no_opts,
    .exec = record_exec,
};

static const struct cmd_entry sub_entry = {
    .name = "parent sub",
    .summary = "A subcommand of one argument or two.",
    .synopsis = "parent sub ARG [ARG]",
    .opts = opts,
    .args = {1, 2},
    .exec = record_exec,
};

static const struct cmd_entry *const subs[] = {&sub_entry, NULL};

static const struct cmd_entry parent_entry = {
    .name = "parent",
    .summary = "A command with a subcommand.",
    .synopsis = "parent sub ARG [ARG]",
    .opts = no_opts,
    .subs = subs,
};

struct parsed {
	int rc;
	struct cmd_ctx ctx;
	char out[4096], err[4096];
};

static void read_file_into(FILE *f, char *dst, size_t n)
{
	size_t got;

	fflush(f);
	rewind(f);
	got = fread(dst, 1, n - 1, f);
	dst[got] = '\0';
}

/* Runs a NULL-terminated command line through the dispatcher as main does (argv[0] is e's
 * name), capturing stdout and stderr. */
static void run(struct parsed *p, const struct cmd_entry *e, ...)
{
	char *argv[16];
	int argc = 0, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;

	assert_non_null(out);
	assert_non_null(err);
	memset(p, 0, sizeof(*p));
	memset(&args, 0, sizeof(args));
	memset(&ran, 0, sizeof(ran));
	argv[argc++] = (char *)e->name;
	va_start(ap, e);
	for (char *a; (a = va_arg(ap, char *)) && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	p->rc = cmd_run(&p->ctx, e, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	read_file_into(out, p->out, sizeof(p->out));
	read_file_into(err, p->err, sizeof(p->err));
	fclose(out);
	fclose(err);
}

/* Exit 2, nothing on stdout, the first stderr line says what is wrong, then usage; the
 * command did not run. */
static void assert_usage_error(const struct parsed *p, const char *what)
{
	const char *nl = strchr(p->err, '\n');

	assert_int_equal(p->rc, EXIT_USAGE);
	assert_int_equal(ran.calls, 0);
	assert_string_equal(p->out, "");
	assert_non_null(nl);
	if (!strstr(p->err, what) || strstr(p->err, what) > nl)
		fail_msg("first line of '%s' lacks '%s'", p->err, what);
	assert_true(str_has_prefix(p->err, "netctl "));
	assert_non_null(strstr(nl, "usage: netctl "));
}

static void test_options_and_arguments_parse(void **state)
{
	struct parsed p;

	/* Options before and after the argument (permuted, as GNU tools do). */
	run(&p, &entry, "-f", "thing", "--count", "7", "--name=x", "-vv", "--db", "s.db", NULL);
	assert_int_equal(p.rc, 42); /* exec's exit code */
	assert_int_equal(ran.calls, 1);
	assert_ptr_equal(ran.entry, &entry);
	assert_true(args.force);
	assert_int_equal(args.count, 7);
	assert_true(args.count_seen);
	assert_string_equal(args.name, "x");
	assert_int_equal(p.ctx.verbose, 2);
	assert_string_equal(p.ctx.db_flag, "s.db");
	/* exec sees its positional arguments alone */
	assert_int_equal(ran.argc, 1);
	assert_string_equal(ran.arg, "thing");
	assert_string_equal(p.err, "");

	run(&p, &entry, "-n3", "--", "-not-an-option", NULL);
	assert_int_equal(p.rc, 42);
	assert_int_equal(args.count, 3);
	assert_false(args.force);
	assert_string_equal(ran.arg, "-not-an-option");

	run(&p, &bare_entry, NULL);
	assert_int_equal(p.rc, 42);
	assert_int_equal(ran.argc, 0);

	/* a repeatable option keeps every value, in order */
	run(&p, &entry, "--tag", "a", "x", "--tag=b", NULL);
	assert_int_equal(p.rc, 42);
	assert_int_equal(args.tags.n, 2);
	assert_string_equal(args.tags.v[0], "a"); /* pointers into argv */
	assert_string_equal(args.tags.v[1], "b");
	run(&p, &entry, "--tag", NULL);
	assert_int_equal(p.rc, EXIT_USAGE);
}

static void test_subcommands_dispatch(void **state)
{
	struct parsed p;

	run(&p, &parent_entry, "sub", "a", "-f", "b", NULL);
	assert_int_equal(p.rc, 42);
	assert_ptr_equal(ran.entry, &sub_entry);
	assert_int_equal(ran.argc, 2);
	assert_string_equal(ran.arg, "a");
	assert_true(args.force);

	run(&p, &parent_entry, "--help", NULL);
	assert_int_equal(p.rc, EXIT_OK);
	assert_int_equal(ran.calls, 0);
	assert_true(str_has_prefix(p.out, "usage: netctl parent sub ARG [ARG]\n"));

	run(&p, &parent_entry, "sub", "--help", NULL);
	assert_int_equal(p.rc, EXIT_OK);
	assert_int_equal(ran.calls, 0);
	assert_non_null(strstr(p.out, "-n, --count N"));

	run(&p, &parent_entry, NULL);
	assert_usage_error(&p, "missing subcommand");
	run(&p, &parent_entry, "frob", NULL);
	assert_usage_error(&p, "unknown subcommand 'frob'");
	run(&p, &parent_entry, "-f", "sub", "a", NULL);
	assert_usage_error(&p, "options go after the subcommand");
	run(&p, &parent_entry, "sub", NULL);
	assert_usage_error(&p, "missing argument");
	assert_true(str_has_prefix(p.err, "netctl parent sub: "));
	run(&p, &parent_entry, "sub", "a", "b", "c", NULL);
	assert_usage_error(&p, "unexpected argument 'c'");
}

static void test_help_goes_to_stdout(void **state)
{
	struct parsed p;

	run(&p, &entry, "--help", NULL);
	assert_int_equal(p.rc, EXIT_OK);
	assert_int_equal(ran.calls, 0);
	assert_string_equal(p.err, "");
	assert_true(str_has_prefix(p.out, "usage: netctl demo [--force] [--count N] ARG\n"));
	assert_non_null(strstr(p.out, "-n, --count N"));
	assert_non_null(strstr(p.out, "--db PATH"));
	/* Help wins over a missing argument. */
	run(&p, &entry, "-h", NULL);
	assert_int_equal(p.rc, EXIT_OK);
	assert_int_equal(ran.calls, 0);
}

static void test_usage_errors_exit_2(void **state)
{
	struct parsed p;

	run(&p, &entry, "--bogus", "a", NULL);
	assert_usage_error(&p, "unknown option '--bogus'");
	run(&p, &entry, "-x", "a", NULL);
	assert_usage_error(&p, "unknown option '-x'");
	run(&p, &entry, "a", "--force=yes", NULL);
	assert_usage_error(&p, "option '--force' takes no value");
	run(&p, &entry, "a", "--count", NULL);
	assert_usage_error(&p, "option '--count' needs a value");
	run(&p, &entry, "a", "--count", "11", NULL);
	assert_usage_error(&p, "--count: 11 is out of range [1, 10]");
	run(&p, &entry, "a", "--count", "2x", NULL);
	assert_usage_error(&p, "--count: '2x' is not a whole number");
	run(&p, &entry, NULL);
	assert_usage_error(&p, "missing argument");
	run(&p, &entry, "a", "b", NULL);
	assert_usage_error(&p, "unexpected argument 'b'");
	run(&p, &bare_entry, "a", NULL);
	assert_usage_error(&p, "unexpected argument 'a'");
}

static void test_exit_codes_from_errors(void **state)
{
	static const struct {
		enum err_code code;
		int exit;
	} map[] = {
	    {ERR_OK, EXIT_OK},		{ERR_USAGE, EXIT_USAGE}, {ERR_NOTFOUND, EXIT_USAGE},
	    {ERR_EXISTS, EXIT_USAGE},	{ERR_LIMIT, EXIT_USAGE}, {ERR_API, EXIT_CLUSTER},
	    {ERR_AUTH, EXIT_CLUSTER},	{ERR_TLS, EXIT_CLUSTER}, {ERR_TIMEOUT, EXIT_CLUSTER},
	    {ERR_PROTO, EXIT_CLUSTER},	{ERR_STORE, EXIT_STORE}, {ERR_IO, EXIT_STORE},
	    {ERR_INTERNAL, EXIT_STORE},
	};
	struct err err = ERR_INIT;

	assert_int_equal(EXIT_OK, 0);
	assert_int_equal(EXIT_FAILED, 1);
	assert_int_equal(EXIT_USAGE, 2);
	assert_int_equal(EXIT_CLUSTER, 3);
	assert_int_equal(EXIT_STORE, 4);
	assert_int_equal(EXIT_INTERRUPTED, 130);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		err.code = map[i].code;
		if (cmd_exit_code(&err) != map[i].exit)
			fail_msg("%s -> %d, want %d", err_code_name(map[i].code),
				 cmd_exit_code(&err), map[i].exit);
	}
	/* Ctrl-C wins over whatever error it caused. */
	cmd_interrupted = 1;
	err.code = ERR_STORE;
	assert_int_equal(cmd_exit_code(&err), EXIT_INTERRUPTED);
	cmd_interrupted = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options_and_arguments_parse),
	    cmocka_unit_test(test_subcommands_dispatch),
	    cmocka_unit_test(test_help_goes_to_stdout),
	    cmocka_unit_test(test_usage_errors_exit_2),
	    cmocka_unit_test(test_exit_codes_from_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
