#include <stdio.h>
#include <string.h>

#include "common.h"

int err_set(struct err *err, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
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
