/* cli: the option parser every netctl command uses (usage errors exit 2 with one line),
 * and the struct err -> exit status mapping. */
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
	bool count_seen;
} args;

static const struct cmd_opt opts[] = {
    {OPT_FLAG, 'f', "force", NULL, "force", &args.force, 0, 0, NULL},
    {OPT_LONG, 'n', "count", "N", "how many", &args.count, 1, 10, &args.count_seen},
    {OPT_STRING, 0, "name", "NAME", "a name", &args.name, 0, 0, NULL},
    {.kind = OPT_END},
};

static int no_exec(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv)
{
	return 0;
}

static const struct cmd_entry entry = {
    .name = "demo",
    .summary = "A command for the test.",
    .synopsis = "demo [--force] [--count N] ARG",
    .opts = opts,
    .exec = no_exec,
};

struct parsed {
	int rc, first;
	const char *arg; /* the first positional argument after parsing */
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

/* Runs cmd_parse on a NULL-terminated argument list, capturing stdout and stderr. */
static void parse(struct parsed *p, int min_args, int max_args, ...)
{
	char *argv[16];
	int argc = 0, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;

	assert_non_null(out);
	assert_non_null(err);
	memset(p, 0, sizeof(*p));
	memset(&args, 0, sizeof(args));
	argv[argc++] = "demo";
	va_start(ap, max_args);
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
	p->rc = cmd_parse(&p->ctx, &entry, argc, argv, min_args, max_args, &p->first);
	if (p->rc == 0 && p->first < argc)
		p->arg = argv[p->first];
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

/* Exit 2, nothing on stdout, the first stderr line says what is wrong, then usage. */
static void assert_usage_error(const struct parsed *p, const char *what)
{
	const char *nl = strchr(p->err, '\n');

	assert_int_equal(p->rc, EXIT_USAGE);
	assert_string_equal(p->out, "");
	assert_non_null(nl);
	if (!strstr(p->err, what) || strstr(p->err, what) > nl)
		fail_msg("first line of '%s' lacks '%s'", p->err, what);
	assert_true(str_has_prefix(p->err, "netctl demo: "));
	assert_non_null(strstr(nl, "usage: netctl demo [--force] [--count N] ARG"));
}

static void test_options_and_arguments_parse(void **state)
{
	struct parsed p;

	/* Options before and after the argument (permuted, as GNU tools do). */
	parse(&p, 1, 1, "-f", "thing", "--count", "7", "--name=x", "-vv", "--db", "s.db", NULL);
	assert_int_equal(p.rc, 0);
	assert_true(args.force);
	assert_int_equal(args.count, 7);
	assert_true(args.count_seen);
	assert_string_equal(args.name, "x");
	assert_int_equal(p.ctx.verbose, 2);
	assert_string_equal(p.ctx.db_flag, "s.db");
	assert_int_equal(p.first, 8);
	assert_string_equal(p.arg, "thing");
	assert_string_equal(p.err, "");

	parse(&p, 1, 1, "-n3", "--", "-not-an-option", NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(args.count, 3);
	assert_false(args.force);
	assert_string_equal(p.arg, "-not-an-option");
}

static void test_help_goes_to_stdout(void **state)
{
	struct parsed p;

	parse(&p, 1, 1, "--help", NULL);
	assert_int_equal(p.rc, CMD_HELP_SHOWN);
	assert_string_equal(p.err, "");
	assert_true(str_has_prefix(p.out, "usage: netctl demo [--force] [--count N] ARG\n"));
	assert_non_null(strstr(p.out, "-n, --count N"));
	assert_non_null(strstr(p.out, "--db PATH"));
	/* Help wins over a missing argument. */
	parse(&p, 1, 1, "-h", NULL);
	assert_int_equal(p.rc, CMD_HELP_SHOWN);
}

static void test_usage_errors_exit_2(void **state)
{
	struct parsed p;

	parse(&p, 1, 1, "--bogus", "a", NULL);
	assert_usage_error(&p, "unknown option '--bogus'");
	parse(&p, 1, 1, "-x", "a", NULL);
	assert_usage_error(&p, "unknown option '-x'");
	parse(&p, 1, 1, "a", "--force=yes", NULL);
	assert_usage_error(&p, "option '--force' takes no value");
	parse(&p, 1, 1, "a", "--count", NULL);
	assert_usage_error(&p, "option '--count' needs a value");
	parse(&p, 1, 1, "a", "--count", "11", NULL);
	assert_usage_error(&p, "--count: 11 is out of range [1, 10]");
	parse(&p, 1, 1, "a", "--count", "2x", NULL);
	assert_usage_error(&p, "--count: '2x' is not a whole number");
	parse(&p, 1, 1, NULL);
	assert_usage_error(&p, "missing argument");
	parse(&p, 1, 1, "a", "b", NULL);
	assert_usage_error(&p, "unexpected argument 'b'");
	parse(&p, 0, 0, "a", NULL);
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
	    cmocka_unit_test(test_help_goes_to_stdout),
	    cmocka_unit_test(test_usage_errors_exit_2),
	    cmocka_unit_test(test_exit_codes_from_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
