#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common.h"

static enum log_level current = LOG_WARN;

void log_set_level(enum log_level level)
{
	current = level;
}

enum log_level log_get_level(void)
{
	return current;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = {"error", "warning", "info", "debug", "trace"};
	va_list ap;

	if (level > current)
		return;
	fprintf(stderr, "netctl: %s: ", tags[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_redact_header(const char *line, char *dst, size_t dstsz)
{
	static const char *const secret[] = {"authorization", "proxy-authorization",
					     "x-floater-token", "cookie", "set-cookie"};
	const char *colon = strchr(line, ':');

	if (colon) {
		size_t name_len = (size_t)(colon - line);

		for (size_t i = 0; i < ARRAY_SIZE(secret); i++) {
			if (strlen(secret[i]) == name_len &&
			    !strncasecmp(line, secret[i], name_len)) {
				snprintf(dst, dstsz, "%.*s: <redacted>", (int)name_len, line);
				return;
			}
		}
	}
	str_copy(dst, dstsz, line);
}
