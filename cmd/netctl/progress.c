/* The progress bar of check and resume: on a TTY one line redrawn at most 4 times a second
 * (pairs done/total, rate, ETA, failures so far); otherwise a plain line every 5 seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

struct progress {
	bool quiet, tty, drawn;
	int64_t last_draw_us;
	struct run_progress last;
};

struct progress *progress_new(bool quiet)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->quiet = quiet;
	p->tty = isatty(STDERR_FILENO);
	return p;
}

void progress_free(struct progress *p)
{
	free(p);
}

static void clear_line(struct progress *p)
{
	if (p->tty && p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = false;
	}
}

static void draw(struct progress *p, const struct run_progress *r)
{
	double secs = (double)r->elapsed_ms / 1000.0;
	double rate = secs > 0 ? (double)r->done / secs : 0;
	double pct = r->total > 0 ? 100.0 * (double)r->done / (double)r->total : 100.0;
	char eta[32] = "-";
	char bar[31];
	int fill = (int)(pct * 30 / 100);

	if (rate > 0 && r->total > r->done)
		time_format_duration((int64_t)((double)(r->total - r->done) / rate * 1000), eta,
				     sizeof(eta));
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (p->tty) {
		fprintf(stderr,
			"\r\033[K[%s] %lld/%lld results %5.1f%%  %.0f/s  ETA %s  failed %lld", bar,
			(long long)r->done, (long long)r->total, pct, rate, eta,
			(long long)r->failed);
		p->drawn = true;
	} else {
		fprintf(stderr,
			"netctl: progress %lld/%lld results (%.1f%%), %.0f/s, %lld failed\n",
			(long long)r->done, (long long)r->total, pct, rate, (long long)r->failed);
	}
	fflush(stderr);
}

static void on_progress(void *arg, const struct run_progress *r)
{
	struct progress *p = arg;
	int64_t now = time_mono_us();
	int64_t every = p->tty ? 250000 : 5000000;

	p->last = *r;
	if (p->quiet || now - p->last_draw_us < every)
		return;
	p->last_draw_us = now;
	draw(p, r);
}

static void on_phase(void *arg, enum run_phase phase, const char *text)
{
	struct progress *p = arg;

	if (p->quiet)
		return;
	clear_line(p);
	fprintf(stderr, "netctl: %s\n", text);
}

static void on_warn(void *arg, const char *text)
{
	struct progress *p = arg;

	clear_line(p);
	fprintf(stderr, "netctl: warning: %s\n", text);
}

void progress_bind(struct progress *p, struct run_events *ev)
{
	ev->phase = on_phase;
	ev->progress = on_progress;
	ev->warn = on_warn;
	ev->arg = p;
}

void progress_finish(struct progress *p)
{
	if (!p->quiet && p->last.total > 0) {
		draw(p, &p->last);
		if (p->tty)
			fputc('\n', stderr);
	}
	p->drawn = false;
}
