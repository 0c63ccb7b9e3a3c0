#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

int64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_format_iso(int64_t wall_ms, char *dst, size_t dstsz)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(dst, dstsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int time_parse_iso(const char *s, int64_t *wall_ms)
{
	struct tm tm;
	const char *p;
	int64_t ms = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		int64_t scale = 100;

		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	*wall_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

void time_format_duration(int64_t ms, char *dst, size_t dstsz)
{
	if (ms < 1000)
		snprintf(dst, dstsz, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(dst, dstsz, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(dst, dstsz, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)(ms / 1000 % 60));
	else
		snprintf(dst, dstsz, "%lldh%02lldm", (long long)(ms / 3600000),
			 (long long)(ms / 60000 % 60));
}
