#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return -1;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int str_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* "X.Y.Z[-suffix]": the numbers, and whether a suffix follows. */
static bool version_parse(const char *s, unsigned long v[3], bool *pre)
{
	char *end;

	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return false;
		errno = 0;
		v[i] = strtoul(s, &end, 10);
		if (errno || (i < 2 && *end != '.'))
			return false;
		s = end + (i < 2);
	}
	*pre = *s == '-';
	return !*s || (*pre && s[1]);
}

int str_version_cmp(const char *a, const char *b, int *cmp)
{
	unsigned long va[3], vb[3];
	bool pa, pb;

	if (!a || !b || !version_parse(a, va, &pa) || !version_parse(b, vb, &pb))
		return -1;
	*cmp = 0;
	for (int i = 0; i < 3 && !*cmp; i++)
		*cmp = va[i] < vb[i] ? -1 : va[i] > vb[i];
	if (!*cmp && pa != pb)
		*cmp = pa ? -1 : 1;
	return 0;
}

static bool dns_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool str_is_dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool part_edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';

		if (s[i] == '.' && (i == 0 || i == n - 1 || s[i + 1] == '.'))
			return false;
		if (s[i] != '.' && !dns_alnum(s[i]) && (s[i] != '-' || part_edge))
			return false;
	}
	return true;
}

int str_to_long(const char *s, long min, long max, long *out, const char *what, struct err *err)
{
	char *end;
	long v;

	if (!s || !*s)
		return err_set(err, ERR_USAGE, "%s: empty value, expected a number", what);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return err_set(err, ERR_USAGE, "%s: '%s' is not a whole number", what, s);
	if (v < min || v > max)
		return err_set(err, ERR_USAGE, "%s: %ld is out of range [%ld, %ld]", what, v, min,
			       max);
	*out = v;
	return 0;
}

int str_to_duration_ms(const char *s, long max_ms, long *out, const char *what, struct err *err)
{
	char *end;
	double v, mul = 1000.0;

	if (!s || !*s)
		return err_set(err, ERR_USAGE, "%s: empty duration", what);
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v != v)
		return err_set(err, ERR_USAGE, "%s: '%s' is not a duration (e.g. 10s, 500ms)", what,
			       s);
	if (!*end || !strcmp(end, "s"))
		mul = 1000.0;
	else if (!strcmp(end, "ms"))
		mul = 1.0;
	else if (!strcmp(end, "m"))
		mul = 60000.0;
	else
		return err_set(err, ERR_USAGE, "%s: '%s' has an unknown unit (use ms, s or m)",
			       what, s);
	if (v < 0)
		return err_set(err, ERR_USAGE, "%s: '%s' is negative", what, s);
	v *= mul;
	if (v > (double)max_ms)
		return err_set(err, ERR_USAGE, "%s: '%s' is longer than the limit of %ld ms", what,
			       s, max_ms);
	*out = (long)v;
	return 0;
}

char *str_join_bits(unsigned mask, const char *const *names, size_t n, const char *sep)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		if (mask & (1u << i))
			(void)!buf_printf(&b, "%s%s", b.len ? sep : "", names[i]);
	return buf_steal(&b);
}

char **str_split_list(const char *s, size_t max_items, const char *what, struct err *err)
{
	char **v;
	size_t n = 0;
	const char *p = s;

	if (!s || !*s) {
		err_set(err, ERR_USAGE, "%s: empty list", what);
		return NULL;
	}
	v = xcalloc(max_items + 1, sizeof(*v));
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 0) {
			err_set(err, ERR_USAGE, "%s: empty item in '%s'", what, s);
			goto fail;
		}
		if (n == max_items) {
			err_set(err, ERR_USAGE, "%s: more than %zu items", what, max_items);
			goto fail;
		}
		v[n++] = xstrndup(p, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	return v;
fail:
	strv_free(v);
	return NULL;
}

char **strv_dup(char *const *v)
{
	size_t n = v ? strv_len(v) : 0;
	char **out = xcalloc(n + 1, sizeof(*out));

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char *strv_join(char *const *v, const char *sep)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; v && v[i]; i++)
		(void)!buf_printf(&b, "%s%s", i ? sep : "", v[i]);
	return buf_steal(&b);
}

char **strv_append(char **v, const char *s)
{
	size_t n = strv_len(v);

	v = xrealloc(v, (n + 2) * sizeof(*v));
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return v;
}

char *path_expand_home(const char *path, struct err *err)
{
	const char *home;

	if (path[0] != '~')
		return xstrdup(path);
	if (path[1] != '\0' && path[1] != '/') {
		err_set(err, ERR_USAGE, "'%s': only '~' and '~/' are expanded", path);
		return NULL;
	}
	home = getenv("HOME");
	if (!home || !*home) {
		err_set(err, ERR_USAGE, "'%s': HOME is not set", path);
		return NULL;
	}
	return xasprintf("%s%s", home, path + 1);
}

int path_mkdirs(const char *dir, int mode, struct err *err)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			rc = err_set(err, ERR_IO, "cannot create directory %s: %s", p,
				     strerror(errno));
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST)
		rc = err_set(err, ERR_IO, "cannot create directory %s: %s", p, strerror(errno));
out:
	free(p);
	return rc;
}

int file_read_all(const char *path, size_t limit, struct buf *out, struct err *err)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return err_set(err, ERR_IO, "cannot read %s: %s", path, strerror(errno));
	buf_reset(out);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(err, ERR_IO, "cannot read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((limit && out->len + (size_t)n > limit) ||
		    buf_append(out, chunk, (size_t)n) < 0) {
			rc = err_set(err, ERR_LIMIT, "%s is larger than %zu bytes", path, limit);
			break;
		}
	}
	if (rc == 0 && !out->data)
		(void)!buf_append(out, "", 0);
	close(fd);
	return rc;
}
