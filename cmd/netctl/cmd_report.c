/* netctl report: a stored run as a table, JSON, CSV, JUnit XML or a self-contained HTML
 * file, written atomically to -o FILE or to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "report.h"
#include "store.h"

static struct {
	long run;
	bool run_seen;
	const char *format;
	const char *output;
	bool merged;
	long failures;
	const char *window;
	long runs;
} args = {.format = "table"};

/* A temp file next to the target, renamed over it only when complete, so a reader never
 * sees half a report and an old report survives a failed run. */
struct out_file {
	char *path, *tmp;
	FILE *f;
};

static int out_open(struct out_file *o, const char *path, struct err *err)
{
	int fd;

	o->path = xstrdup(path);
	o->tmp = xasprintf("%s.tmp.XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0)
		return err_set(err, ERR_IO, "cannot create %s: %s", o->tmp, strerror(errno));
	/* mkstemp makes 0600; a report is meant to be shared */
	if (fchmod(fd, 0644) < 0 || !(o->f = fdopen(fd, "w"))) {
		err_set(err, ERR_IO, "cannot write %s: %s", o->tmp, strerror(errno));
		close(fd);
		unlink(o->tmp);
		return -1;
	}
	return 0;
}

static int out_commit(struct out_file *o, struct err *err)
{
	int rc = 0;

	if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
		rc = err_set(err, ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
	if (fclose(o->f) != 0 && !rc)
		rc = err_set(err, ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
	o->f = NULL;
	if (!rc && rename(o->tmp, o->path) < 0)
		rc = err_set(err, ERR_IO, "cannot rename %s to %s: %s", o->tmp, o->path,
			     strerror(errno));
	if (rc)
		unlink(o->tmp);
	return rc;
}

static void out_abort(struct out_file *o)
{
	if (o->f) {
		fclose(o->f);
		unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
}

static bool want_color(int format, bool to_stdout)
{
	const char *nc = getenv("NO_COLOR");

	return format == REPORT_TABLE && to_stdout && isatty(STDOUT_FILENO) && !(nc && *nc);
}

static int report_exec(struct cmd_ctx *ctx)
{
	struct report_opts o = {0};
	struct out_file of = {0};
	struct err err = ERR_INIT;
	struct store *st;
	int rc, fmt;

	struct store_window win = {0};
	struct store_coverage cov;

	long ms = 0;

	if (args.window && cmd_parse_age(args.window, "--window", &ms, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	win.ms = ms;
	win.runs = (size_t)args.runs;
	if (!args.run_seen && !win.ms && !win.runs)
		return cmd_usage_error(ctx->entry, "--run ID is required (see `netctl history`)");
	fmt = report_format_parse(args.format);
	if (fmt < 0)
		return cmd_usage_error(
		    ctx->entry, "unknown format '%s' (table, json, csv, junit, html)", args.format);
	o.format = fmt;
	o.merged = args.merged;
	o.max_failures = (size_t)args.failures;
	o.color = want_color(fmt, !args.output);
	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	if ((win.ms || win.runs) && cmd_window_open(st, args.run_seen ? args.run : 0, &win, NULL,
						    &args.run, &cov, &err) < 0) {
		store_close(st);
		return cmd_fail(&err);
	}
	if (win.ms || win.runs) {
		o.merged = true;
		o.coverage = &cov;
	}
	if (args.output && out_open(&of, args.output, &err) < 0) {
		store_close(st);
		out_abort(&of);
		return cmd_fail(&err);
	}
	rc = report_write(st, args.run, &o, args.output ? of.f : stdout, &err);
	store_close(st);
	if (rc == 0 && args.output)
		rc = out_commit(&of, &err);
	out_abort(&of);
	return rc < 0 ? cmd_fail(&err) : EXIT_OK;
}

static const struct cmd_opt report_opts[] = {
    {OPT_LONG, 'r', "run", "ID", "the run to report (see `netctl history`)", &args.run, 1, LONG_MAX,
     &args.run_seen},
    {OPT_STRING, 'f', "format", "FMT", "table (default), json, csv, junit or html", &args.format, 0,
     0, NULL},
    {OPT_STRING, 'o', "output", "FILE", "write to FILE (atomically, mode 0644), not stdout",
     &args.output, 0, 0, NULL},
    {OPT_FLAG, 0, "merged", NULL,
     "a resumed run with its ancestors: the latest result per pair along the chain", &args.merged,
     0, 0, NULL},
    {OPT_STRING, 0, "window", "D",
     "the latest result of every pair over the runs of the last D (24h) up to the run",
     &args.window, 0, 0, NULL},
    {OPT_LONG, 0, "runs", "R", "the latest result of every pair over the last R comparable runs",
     &args.runs, 1, 256, NULL},
    {OPT_LONG, 0, "failures", "N", "table: failure rows shown (default 20)", &args.failures, 0,
     1000000, NULL},
    {.kind = OPT_END},
};

const struct cmd_entry cmd_report_entry = {
    .name = "report",
    .summary = "Write a stored run as a table, JSON, CSV, JUnit XML or an HTML heatmap.",
    .synopsis = "report --run ID [--format table|json|csv|junit|html] [-o FILE] [--merged]\n"
		"report [--run ID] --window D|--runs R [--format ...] [-o FILE]",
    .details = "table is what `netctl check` prints: summary, failures (capped), verdicts.\n"
	       "json, csv and junit hold every pair; html is one self-contained file with a\n"
	       "heatmap per cluster pair and protocol and the changes since the parent or\n"
	       "previous comparable run. Formats: docs/report-format.md. Exit 0 when the\n"
	       "report was written, whatever the run's results.\n"
	       "--window/--runs (sampled checks): the latest result of every pair over the\n"
	       "run (default: the newest finished run) and the earlier comparable runs in the\n"
	       "window; the verdicts say what fraction of the pairs they saw.\n",
    .opts = report_opts,
    .exec = report_exec,
};
