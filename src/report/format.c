/* Small formatting helpers shared by the writers. */
#include <stdio.h>
#include <string.h>

#include "report_int.h"

void fmt_rtt(uint32_t us, char *dst, size_t dstsz)
{
	if (!us)
		snprintf(dst, dstsz, "-");
	else if (us < 1000)
		snprintf(dst, dstsz, "%uus", us);
	else if (us < 10000)
		snprintf(dst, dstsz, "%.2fms", us / 1000.0);
	else if (us < 1000000)
		snprintf(dst, dstsz, "%.1fms", us / 1000.0);
	else
		snprintf(dst, dstsz, "%.2fs", us / 1e6);
}

void fmt_took(const struct store_run_info *ri, char *dst, size_t dstsz)
{
	if (ri->finished_ms > ri->started_ms)
		time_format_duration(ri->finished_ms - ri->started_ms, dst, dstsz);
	else
		str_copy(dst, dstsz, "-");
}

double loss_pct(int64_t sent, int64_t received)
{
	if (sent <= 0)
		return 0.0;
	if (received > sent)
		received = sent;
	return 100.0 * (double)(sent - received) / (double)sent;
}

const char *family_name(int family)
{
	return family == 6 ? "IPv6" : "IPv4";
}

void json_put_str(FILE *f, const char *s, bool html)
{
	struct buf b;

	buf_init(&b, 0);
	(void)!buf_put_json_str(&b, s, html); /* unbounded: cannot fail */
	fwrite(b.data, 1, b.len, f);
	buf_release(&b);
}

void xml_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	for (; *p; p++) {
		switch (*p) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				fputs("\xef\xbf\xbd", f);
			else
				putc(*p, f);
		}
	}
}

void csv_put(FILE *f, const char *s)
{
	s = s ? s : "";
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

void report_coverage_text(const struct store_coverage *c, char *dst, size_t dstsz)
{
	double pct = c->all ? 100.0 * (double)c->seen / (double)c->all : 0;

	snprintf(
	    dst, dstsz,
	    "verdicts from %.*f%% of pairs (%lld of %lld node-pair results, the latest of %lld "
	    "run%s in the window)",
	    pct > 0 && pct < 1 ? 2 : 0, pct, (long long)c->seen, (long long)c->all,
	    (long long)c->runs, c->runs == 1 ? "" : "s");
}
