#include <stdio.h>
#include <string.h>

#include "common.h"

/* Messages are one line even when they quote user input: control characters are shown
 * escaped ("\n", "\x1b"), truncated to fit. */
static void err_one_line(struct err *err)
{
	char raw[sizeof(err->msg)];
	const unsigned char *p;
	size_t o = 0;

	for (p = (const unsigned char *)err->msg; *p >= 0x20 && *p != 0x7f; p++)
		;
	if (!*p)
		return;
	memcpy(raw, err->msg, sizeof(raw));
	for (p = (const unsigned char *)raw; *p; p++) {
		char esc[5];
		size_t n;

		if (*p == '\n' || *p == '\t' || *p == '\r')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c",
					     *p == '\n'	  ? 'n'
					     : *p == '\t' ? 't'
							  : 'r');
		else if (*p < 0x20 || *p == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else
			esc[0] = (char)*p, n = 1;
		if (o + n >= sizeof(err->msg))
			break;
		memcpy(err->msg + o, esc, n);
		o += n;
	}
	err->msg[o] = '\0';
}

int err_set(struct err *err, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err_one_line(err);
	return -1;
}

int err_prefix(struct err *err, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable: the message stays terminated. */
	size_t n = strlen(prefix);

	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	str_copy(err->msg + n + 2, sizeof(err->msg) - n - 2, old);
	err_one_line(err);
	return -1;
}

void err_clear(struct err *err)
{
	if (!err)
		return;
	err->code = ERR_OK;
	err->msg[0] = '\0';
}

const char *err_code_name(enum err_code code)
{
	static const char *const names[] = {
	    [ERR_OK] = "ok",
	    [ERR_USAGE] = "usage",
	    [ERR_NOTFOUND] = "not found",
	    [ERR_EXISTS] = "exists",
	    [ERR_IO] = "i/o",
	    [ERR_STORE] = "store",
	    [ERR_API] = "api",
	    [ERR_AUTH] = "auth",
	    [ERR_TLS] = "tls",
	    [ERR_TIMEOUT] = "timeout",
	    [ERR_PROTO] = "protocol",
	    [ERR_LIMIT] = "limit",
	    [ERR_INTERNAL] = "internal",
	};

	if ((size_t)code >= ARRAY_SIZE(names) || !names[code])
		return "unknown";
	return names[code];
}
