/* http: a small strict HTTP/1.1 request parser (pure functions over a buffer). */
#ifndef FLOATER_HTTP_H
#define FLOATER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define HTTP_MAX_HEAD	    (16 * 1024)
#define HTTP_MAX_HEADERS    64
#define HTTP_MAX_PATH	    256
#define HTTP_MAX_TOKEN	    256
#define HTTP_MAX_CHUNK_LINE 64 /* a chunk-size line, extensions included */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER };

struct http_req {
	enum http_method method;
	char path[HTTP_MAX_PATH]; /* without the query string */
	bool keep_alive;
	bool chunked;
	bool expect_continue;
	long long content_length; /* -1 when absent */
	bool has_token;
	char token[HTTP_MAX_TOKEN]; /* X-Floater-Token, else Authorization: Bearer */
	size_t head_len;	    /* bytes of the head including the blank line */
	int status;		    /* on error: the status to answer with */
};

/* Length of the head (through its blank line) at data, or 0 while it is incomplete.
 * *scanned carries the bytes already searched from one call to the next (0 at first), so
 * a head that arrives a byte at a time is still searched once. Looks no further than
 * HTTP_MAX_HEAD bytes. */
size_t http_head_length(const char *data, size_t len, size_t *scanned);

/* 1 when a whole head was parsed, 0 when more bytes are needed, -1 on a bad request
 * (req->status says which answer: 400, 413, 414, 431, 501, 505). */
int http_parse_head(const char *data, size_t len, struct http_req *req);

enum http_chunk_state {
	CHUNK_SIZE,
	CHUNK_EXT,
	CHUNK_SIZE_LF,
	CHUNK_DATA,
	CHUNK_DATA_CR,
	CHUNK_DATA_LF,
	CHUNK_END_CR,
	CHUNK_END_LF,
	CHUNK_DONE,
};

/* An incremental chunked decoder: each byte is looked at once, whatever the reads. */
struct http_chunked {
	enum http_chunk_state state;
	size_t size; /* current chunk: its size while the line is read, then bytes left */
	size_t line; /* bytes of the current chunk-size line */
	bool digits;
	size_t out; /* decoded body bytes, at the start of the buffer */
	size_t in;  /* raw bytes taken from the buffer */
};

void http_chunked_init(struct http_chunked *ch);
/* Decodes in place: buf[0, ch->out) is the body so far, buf[ch->in, len) the bytes not
 * yet taken (ch->out <= ch->in always, so the caller may move those down to ch->out and
 * set ch->in = ch->out between calls). 1 when complete (ch->in = bytes of the whole
 * chunked body, trailer included), 0 when more bytes are needed, -1 on malformed input
 * (*status 400) or a body over limit (*status 413). */
int http_chunked_decode(struct http_chunked *ch, char *buf, size_t len, size_t limit, int *status);

/* Decodes a chunked body at data (a copy, for tests and the fuzzer). 1 when complete (body filled,
 * *used = bytes taken), 0 when more bytes are needed, -1 on malformed input (*status 400) or a body
 * over limit (*status 413). */
int http_parse_chunked(const char *data, size_t len, size_t limit, struct buf *body, size_t *used,
		       int *status);

const char *http_reason(int status);

/* Constant-time comparison of a presented token with the expected one. */
bool token_equal(const char *presented, size_t plen, const char *expected, size_t elen);

#endif
