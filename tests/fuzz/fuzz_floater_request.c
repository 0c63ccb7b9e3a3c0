/* libFuzzer target: the floater's untrusted input path, HTTP framing then the probe
 * request JSON, exactly as a connection feeds them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "request.h"

static const struct request_policy policy = {.port = 8889, .allow = {9}, .nallow = 1};

static void parse_body(const char *body, size_t len)
{
	struct probe_request req;
	struct err err = ERR_INIT;
	char field[64];

	if (request_parse(body, len, &policy, &req, field, sizeof(field), &err) == 0) {
		/* Accepted requests must be within the limits the engine relies on. */
		if (!req.ntargets || req.ntargets > WIRE_MAX_TARGETS || req.count < 1 ||
		    req.count > WIRE_MAX_COUNT || !req.nprotos || req.nprotos > PROTO_MAX)
			__builtin_trap();
		request_release(&req);
	} else if (strlen(field) >= sizeof(field)) {
		__builtin_trap();
	}
}

/* A chunked body fed in reads of 1..16 bytes (sizes taken from the input itself), the
 * undecoded rest moved down next to the body after each read, exactly as server.c does:
 * it must decode to what one call over the whole input gives. */
static void chunked_in_reads(const char *s, size_t size, const struct buf *whole, int whole_rc,
			     size_t whole_used)
{
	struct http_chunked ch;
	char *buf = malloc(size + 1);
	size_t len = 0, fed = 0;
	int rc = 0, status;

	http_chunked_init(&ch);
	while (fed < size && rc == 0) {
		size_t n = 1 + (unsigned char)s[fed] % 16;

		if (n > size - fed)
			n = size - fed;
		memcpy(buf + len, s + fed, n);
		len += n;
		fed += n;
		rc = http_chunked_decode(&ch, buf, len, WIRE_MAX_BODY, &status);
		if (ch.out > ch.in || ch.in > len)
			__builtin_trap();
		if (rc == 0) {
			memmove(buf + ch.out, buf + ch.in, len - ch.in);
			len -= ch.in - ch.out;
			ch.in = ch.out;
			/* Framing never piles up: a part of one chunk-size line at most. */
			if (len - ch.out > HTTP_MAX_CHUNK_LINE + 2)
				__builtin_trap();
		}
	}
	if (rc != whole_rc)
		__builtin_trap();
	if (rc == 1 && (ch.out != whole->len || memcmp(buf, buf_str(whole), ch.out) ||
			fed - (len - ch.in) != whole_used))
		__builtin_trap();
	free(buf);
}

/* The head's end found a read at a time must be where one search over the whole finds
 * it. */
static void head_in_reads(const char *s, size_t size)
{
	size_t scanned = 0, whole_scanned = 0, found = 0, whole;

	whole = http_head_length(s, size, &whole_scanned);
	for (size_t len = 0; len < size && !found;) {
		len += 1 + (unsigned char)s[len] % 64;
		if (len > size)
			len = size;
		found = http_head_length(s, len, &scanned);
	}
	if (found != whole)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct http_req req;
	struct buf body;
	size_t used = 0, off = 0;
	int status, rc;

	/* The same bytes as a bare body, and as pipelined HTTP requests. */
	parse_body(s, size);
	head_in_reads(s, size);
	for (int n = 0; n < 8 && off < size; n++) {
		const char *r = s + off;
		size_t left = size - off;

		if (http_parse_head(r, left, &req) != 1)
			return 0;
		if (req.head_len > left)
			__builtin_trap();
		if (req.chunked) {
			buf_init(&body, WIRE_MAX_BODY);
			rc = http_parse_chunked(r + req.head_len, left - req.head_len,
						WIRE_MAX_BODY, &body, &used, &status);
			chunked_in_reads(r + req.head_len, left - req.head_len, &body, rc, used);
			if (rc == 1)
				parse_body(buf_str(&body), body.len);
			buf_release(&body);
			if (rc != 1)
				return 0;
			off += req.head_len + used;
		} else if (req.content_length >= 0 &&
			   (size_t)req.content_length <= left - req.head_len) {
			parse_body(r + req.head_len, (size_t)req.content_length);
			off += req.head_len + (size_t)req.content_length;
		} else {
			off += req.head_len;
		}
	}
	return 0;
}
