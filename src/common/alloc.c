#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void oom(size_t n)
{
	fprintf(stderr, "netctl: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *xgrow(void *p, size_t *nmemb, size_t need, size_t size)
{
	size_t n = *nmemb ? *nmemb : 8;

	if (need <= *nmemb)
		return p;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			oom(SIZE_MAX);
		n *= 2;
	}
	p = xrealloc(p, n * size);
	*nmemb = n;
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	(void)!buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_steal(&b);
}

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void secret_free(char *s)
{
	if (s)
		secret_wipe(s, strlen(s));
	free(s);
}

char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}
