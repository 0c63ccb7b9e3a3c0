/* http: a small strict HTTP/1.1 request parser (pure functions over a buffer). */
#ifndef FLOATER_HTTP_H
#define FLOATER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define HTTP_MAX_HEAD (16 * 1024)
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_PATH 256
#define HTTP_MAX_TOKEN 256

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
	size_t head_len;            /* bytes of the head including the blank line */
	int status;                 /* on error: the status to answer with */
};

/* 1 when a whole head was parsed, 0 when more bytes are needed, -1 on a bad request
 * (req->status says which answer: 400, 413, 414, 431, 501, 505). */
int http_parse_head(const char *data, size_t len, struct http_req *req);

/* Decodes a chunked body at data. 1 when complete (body filled, *used = bytes taken),
 * 0 when more bytes are needed, -1 on malformed input (*status 400) or a body over
 * limit (*status 413). */
int http_parse_chunked(const char *data, size_t len, size_t limit, struct buf *body,
		       size_t *used, int *status);

const char *http_reason(int status);

/* Constant-time comparison of a presented token with the expected one. */
bool token_equal(const char *presented, size_t plen, const char *expected, size_t elen);

#endif
