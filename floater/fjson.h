/* fjson: a strict, allocation-free JSON pull reader over a bounded buffer (RFC 8259).
 * The floater parses requests with it straight into its own structs: no tree, so a
 * 10,000-target body costs no more memory than the body itself, and the static build
 * needs no JSON library. */
#ifndef FLOATER_FJSON_H
#define FLOATER_FJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FJSON_MAX_DEPTH 32

struct fjson {
	const char *start;
	const char *p;
	const char *end;
	int depth;
	bool first[FJSON_MAX_DEPTH]; /* no member read yet at this depth */
	char kind[FJSON_MAX_DEPTH];  /* '{' or '[' */
	const char *why;	     /* what was wrong, for the error message */
};

/* Value types as returned by fjson_peek(). */
enum fjson_type {
	FJ_BAD = -1,
	FJ_OBJECT = '{',
	FJ_ARRAY = '[',
	FJ_STRING = '"',
	FJ_NUMBER = '0',
	FJ_TRUE = 't',
	FJ_FALSE = 'f',
	FJ_NULL = 'n',
};

void fjson_init(struct fjson *j, const char *text, size_t len);
/* Type of the next value (whitespace skipped, nothing consumed). */
enum fjson_type fjson_peek(struct fjson *j);
const char *fjson_type_name(enum fjson_type t);
/* Objects: begin, then fjson_member() until it returns 0 (the '}' is consumed). */
int fjson_object_begin(struct fjson *j);
/* 1 and the key decoded into key (consumed up to and including ':'), 0 at end, -1 error.
 * Keys longer than keysz-1 are an error; key may be NULL to skip it. */
int fjson_member(struct fjson *j, char *key, size_t keysz);
int fjson_array_begin(struct fjson *j);
/* 1 when another element follows, 0 at end (']' consumed), -1 error. */
int fjson_element(struct fjson *j);
/* Decodes a string into dst (NUL-terminated, at most dstsz-1 bytes; longer is an error).
 * Sets *len when len is not NULL. */
int fjson_string(struct fjson *j, char *dst, size_t dstsz, size_t *len);
/* An integer (no fraction, no exponent) in [min, max]. -1 with why set otherwise. */
int fjson_int(struct fjson *j, int64_t min, int64_t max, int64_t *out);
int fjson_skip(struct fjson *j);
/* 0 when only whitespace is left. */
int fjson_finish(struct fjson *j);
/* Byte offset of the reader, for error messages. */
size_t fjson_offset(const struct fjson *j);

#endif
