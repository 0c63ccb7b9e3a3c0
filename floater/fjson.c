#include <string.h>

#include "fjson.h"

static int fail(struct fjson *j, const char *why)
{
	if (!j->why)
		j->why = why;
	return -1;
}

void fjson_init(struct fjson *j, const char *text, size_t len)
{
	memset(j, 0, sizeof(*j));
	j->start = text;
	j->p = text;
	j->end = text + len;
}

size_t fjson_offset(const struct fjson *j)
{
	return (size_t)(j->p - j->start);
}

static void skip_ws(struct fjson *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

enum fjson_type fjson_peek(struct fjson *j)
{
	skip_ws(j);
	if (j->p >= j->end)
		return FJ_BAD;
	switch (*j->p) {
	case '{':
	case '[':
	case '"':
	case 't':
	case 'f':
	case 'n':
		return (enum fjson_type) * j->p;
	case '-':
		return FJ_NUMBER;
	default:
		if (*j->p >= '0' && *j->p <= '9')
			return FJ_NUMBER;
		return FJ_BAD;
	}
}

const char *fjson_type_name(enum fjson_type t)
{
	switch (t) {
	case FJ_OBJECT:
		return "an object";
	case FJ_ARRAY:
		return "an array";
	case FJ_STRING:
		return "a string";
	case FJ_NUMBER:
		return "a number";
	case FJ_TRUE:
	case FJ_FALSE:
		return "a boolean";
	case FJ_NULL:
		return "null";
	default:
		return "invalid JSON";
	}
}

static int open_container(struct fjson *j, char c)
{
	if (fjson_peek(j) != (enum fjson_type)c)
		return fail(j, c == '{' ? "expected an object" : "expected an array");
	if (j->depth >= FJSON_MAX_DEPTH)
		return fail(j, "nested too deeply");
	j->p++;
	j->kind[j->depth] = c;
	j->first[j->depth++] = true;
	return 0;
}

int fjson_object_begin(struct fjson *j)
{
	return open_container(j, '{');
}

int fjson_array_begin(struct fjson *j)
{
	return open_container(j, '[');
}

/* Shared by members and elements: handles ',' and the closing bracket. */
static int next_item(struct fjson *j, char close)
{
	bool *first = &j->first[j->depth - 1];

	skip_ws(j);
	if (j->p >= j->end)
		return fail(j, "unexpected end of input");
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	if (!*first) {
		if (*j->p != ',')
			return fail(j, "expected ',' or a closing bracket");
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == close)
			return fail(j, "trailing comma");
	}
	*first = false;
	return 1;
}

int fjson_member(struct fjson *j, char *key, size_t keysz)
{
	int rc = next_item(j, '}');

	if (rc <= 0)
		return rc;
	if (fjson_peek(j) != FJ_STRING)
		return fail(j, "expected a member name");
	if (fjson_string(j, key, key ? keysz : 0, NULL) < 0)
		return -1;
	skip_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return fail(j, "expected ':'");
	j->p++;
	return 1;
}

int fjson_element(struct fjson *j)
{
	return next_item(j, ']');
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Appends one byte to the output if there is room; counts it either way. */
static void put(char *dst, size_t dstsz, size_t *n, char c)
{
	if (dst && *n + 1 < dstsz)
		dst[*n] = c;
	(*n)++;
}

static void put_utf8(char *dst, size_t dstsz, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		put(dst, dstsz, n, (char)cp);
	} else if (cp < 0x800) {
		put(dst, dstsz, n, (char)(0xc0 | (cp >> 6)));
		put(dst, dstsz, n, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(dst, dstsz, n, (char)(0xe0 | (cp >> 12)));
		put(dst, dstsz, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(dst, dstsz, n, (char)(0x80 | (cp & 0x3f)));
	} else {
		put(dst, dstsz, n, (char)(0xf0 | (cp >> 18)));
		put(dst, dstsz, n, (char)(0x80 | ((cp >> 12) & 0x3f)));
		put(dst, dstsz, n, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(dst, dstsz, n, (char)(0x80 | (cp & 0x3f)));
	}
}

static int escape(struct fjson *j, char *dst, size_t dstsz, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned cp, lo;

	if (j->p >= j->end)
		return fail(j, "unterminated string");
	hit = memchr(from, *j->p, sizeof(from) - 1);
	if (hit) {
		put(dst, dstsz, n, to[hit - from]);
		j->p++;
		return 0;
	}
	if (*j->p != 'u' || j->end - j->p < 5 || hex4(j->p + 1, &cp) < 0)
		return fail(j, "bad escape in string");
	j->p += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(j, "lone low surrogate in string");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    hex4(j->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(j, "lone high surrogate in string");
		j->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(dst, dstsz, n, cp);
	return 0;
}

/* Validates one raw UTF-8 sequence starting at j->p (strict: no overlongs, no surrogates). */
static int utf8_seq(struct fjson *j, char *dst, size_t dstsz, size_t *n)
{
	const unsigned char *s = (const unsigned char *)j->p;
	size_t avail = (size_t)(j->end - j->p), len;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return fail(j, "invalid UTF-8 in string");
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (avail < len)
		return fail(j, "invalid UTF-8 in string");
	cp = s[0] & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return fail(j, "invalid UTF-8 in string");
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return fail(j, "invalid UTF-8 in string");
	for (size_t i = 0; i < len; i++)
		put(dst, dstsz, n, (char)s[i]);
	j->p += len;
	return 0;
}

int fjson_string(struct fjson *j, char *dst, size_t dstsz, size_t *len)
{
	size_t n = 0;

	if (fjson_peek(j) != FJ_STRING)
		return fail(j, "expected a string");
	j->p++;
	for (;;) {
		unsigned char c;

		if (j->p >= j->end)
			return fail(j, "unterminated string");
		c = (unsigned char)*j->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(j, "control character in string");
		if (c == '\\') {
			j->p++;
			if (escape(j, dst, dstsz, &n) < 0)
				return -1;
		} else if (c >= 0x80) {
			if (utf8_seq(j, dst, dstsz, &n) < 0)
				return -1;
		} else {
			put(dst, dstsz, &n, (char)c);
			j->p++;
		}
	}
	j->p++;
	if (dst) {
		if (n >= dstsz)
			return fail(j, "string too long");
		dst[n] = '\0';
	}
	if (len)
		*len = n;
	return 0;
}

static bool digit(const struct fjson *j)
{
	return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

/* Scans the JSON number grammar; *integer tells whether it had no fraction/exponent. */
static int scan_number(struct fjson *j, bool *integer)
{
	*integer = true;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (!digit(j))
		return fail(j, "bad number");
	if (*j->p == '0') {
		j->p++;
	} else {
		while (digit(j))
			j->p++;
	}
	if (j->p < j->end && *j->p == '.') {
		*integer = false;
		j->p++;
		if (!digit(j))
			return fail(j, "bad number");
		while (digit(j))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		*integer = false;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digit(j))
			return fail(j, "bad number");
		while (digit(j))
			j->p++;
	}
	return 0;
}

int fjson_int(struct fjson *j, int64_t min, int64_t max, int64_t *out)
{
	const char *s;
	bool integer, neg;
	uint64_t v = 0;

	if (fjson_peek(j) != FJ_NUMBER)
		return fail(j, "expected an integer");
	s = j->p;
	if (scan_number(j, &integer) < 0)
		return -1;
	if (!integer)
		return fail(j, "expected an integer");
	neg = *s == '-';
	for (s += neg; s < j->p; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return fail(j, "integer out of range");
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return fail(j, "integer out of range");
	if ((neg ? -(int64_t)v : (int64_t)v) < min || (neg ? -(int64_t)v : (int64_t)v) > max)
		return fail(j, "integer out of range");
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int literal(struct fjson *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, "bad literal");
	j->p += n;
	return 0;
}

/* One scalar, or the opening bracket of a container. */
static int skip_one(struct fjson *j)
{
	bool integer;

	switch (fjson_peek(j)) {
	case FJ_OBJECT:
		return fjson_object_begin(j);
	case FJ_ARRAY:
		return fjson_array_begin(j);
	case FJ_STRING:
		return fjson_string(j, NULL, 0, NULL);
	case FJ_NUMBER:
		return scan_number(j, &integer);
	case FJ_TRUE:
		return literal(j, "true");
	case FJ_FALSE:
		return literal(j, "false");
	case FJ_NULL:
		return literal(j, "null");
	default:
		return fail(j, "expected a value");
	}
}

int fjson_skip(struct fjson *j)
{
	int base = j->depth, rc;

	/* Iterative, so nesting costs no stack; depth is capped by FJSON_MAX_DEPTH. */
	for (;;) {
		if (skip_one(j) < 0)
			return -1;
		do {
			if (j->depth == base)
				return 0;
			if (j->kind[j->depth - 1] == '{')
				rc = fjson_member(j, NULL, 0);
			else
				rc = fjson_element(j);
			if (rc < 0)
				return -1;
		} while (rc == 0);
	}
}

int fjson_finish(struct fjson *j)
{
	skip_ws(j);
	if (j->p != j->end)
		return fail(j, "trailing data after the JSON value");
	return 0;
}
