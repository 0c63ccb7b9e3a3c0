/* libFuzzer target: the floater's untrusted input path, HTTP framing then the probe
 * request JSON, exactly as a connection feeds them. */
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct http_req req;
	struct buf body;
	size_t used = 0;
	int status;

	/* The same bytes as a bare body, and as a whole HTTP request. */
	parse_body(s, size);
	if (http_parse_head(s, size, &req) != 1)
		return 0;
	if (req.head_len > size)
		__builtin_trap();
	if (req.chunked) {
		buf_init(&body, WIRE_MAX_BODY);
		if (http_parse_chunked(s + req.head_len, size - req.head_len, WIRE_MAX_BODY, &body,
				       &used, &status) == 1)
			parse_body(body.data ? body.data : "", body.len);
		buf_release(&body);
	} else if (req.content_length >= 0 &&
		   (size_t)req.content_length <= size - req.head_len) {
		parse_body(s + req.head_len, (size_t)req.content_length);
	}
	return 0;
}
