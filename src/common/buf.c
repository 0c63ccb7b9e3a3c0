#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->limit);
}

void buf_release_secret(struct buf *b)
{
	secret_wipe(b->data, b->cap);
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + extra + 1;
	if (b->limit && b->len + extra > b->limit)
		return -1;
	if (need <= b->cap)
		return 0;
	b->data = xgrow(b->data, &b->cap, need, 1);
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

static int json_char(struct buf *b, unsigned char c, bool html)
{
	switch (c) {
	case '"':
		return buf_puts(b, "\\\"");
	case '\\':
		return buf_puts(b, "\\\\");
	case '\n':
		return buf_puts(b, "\\n");
	case '\r':
		return buf_puts(b, "\\r");
	case '\t':
		return buf_puts(b, "\\t");
	default:
		if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&')))
			return buf_printf(b, "\\u%04x", c);
		return buf_append(b, &c, 1);
	}
}

int buf_put_json_str(struct buf *b, const char *s, bool html)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t start = b->len;
	int rc = buf_puts(b, "\"");

	for (; *p && rc == 0; p++)
		rc = json_char(b, *p, html);
	if (rc == 0)
		rc = buf_puts(b, "\"");
	if (rc < 0 && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	buf_init(b, b->limit);
	return s;
}
