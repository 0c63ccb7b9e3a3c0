/* floater HTTP request parsing: framing, limits, smuggling defences, token headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static int head(const char *s, struct http_req *req)
{
	return http_parse_head(s, strlen(s), req);
}

static void test_post_with_token(void **state)
{
	const char *s =
	    "POST /v1/probe?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n"
	    "Authorization: Bearer other\r\nX-Floater-Token:  s3cret \r\n\r\n{\"targets\"}";
	struct http_req req;

	assert_int_equal(head(s, &req), 1);
	assert_int_equal(req.method, HTTP_POST);
	assert_string_equal(req.path, "/v1/probe");
	assert_int_equal(req.content_length, 12);
	assert_true(req.keep_alive);
	assert_true(req.has_token);
	assert_string_equal(req.token, "s3cret"); /* X-Floater-Token wins over Bearer */
	assert_int_equal(req.head_len, strlen(s) - strlen("{\"targets\"}"));
}

static void test_bearer_and_connection(void **state)
{
	struct http_req req;

	assert_int_equal(head("GET /v1/info HTTP/1.1\r\nauthorization: bearer abc\r\n"
			      "Connection: close\r\n\r\n",
			      &req),
			 1);
	assert_string_equal(req.token, "abc");
	assert_false(req.keep_alive);
	assert_int_equal(head("GET / HTTP/1.0\r\n\r\n", &req), 1);
	assert_false(req.keep_alive);
	assert_false(req.has_token);
	assert_int_equal(head("GET / HTTP/1.1\r\nAuthorization: Basic Zm9v\r\n\r\n", &req), 1);
	assert_false(req.has_token);
}

static void test_incomplete_needs_more(void **state)
{
	struct http_req req;

	assert_int_equal(head("GET /healthz HTTP/1.1\r\nHost: a\r\n", &req), 0);
	assert_int_equal(head("", &req), 0);
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *text;
		int status;
	} cases[] = {
	    {"GET /healthz\r\n\r\n", 400},
	    {"GET healthz HTTP/1.1\r\n\r\n", 400},
	    {"GET /a b HTTP/1.1\r\n\r\n", 400},
	    {"GET / HTTP/2.0\r\n\r\n", 400},
	    {"GET / HTTP/1.2\r\n\r\n", 505},
	    {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nExpect: magic\r\n\r\n", 417},
	    {"POST / HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n", 413},
	    {"GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", 400},
	};
	struct http_req req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = head(cases[i].text, &req);

		if (rc != -1 || req.status != cases[i].status)
			fail_msg("case %zu: rc %d status %d, want %d", i, rc, req.status,
				 cases[i].status);
	}
}

static void test_size_limits(void **state)
{
	struct http_req req;
	size_t n = HTTP_MAX_HEAD + 100;
	char *big = malloc(n + 1), path[HTTP_MAX_PATH + 40];

	memset(big, 'a', n);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	big[n] = '\0';
	assert_int_equal(http_parse_head(big, n, &req), -1);
	assert_int_equal(req.status, 431);
	free(big);

	memset(path, 'a', sizeof(path));
	memcpy(path, "GET /", 5);
	memcpy(path + sizeof(path) - 16, " HTTP/1.1\r\n\r\n", 14);
	path[sizeof(path) - 2] = '\0';
	assert_int_equal(http_parse_head(path, strlen(path), &req), -1);
	assert_int_equal(req.status, 414);

	{
		char many[8192] = "GET / HTTP/1.1\r\n";

		for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
			strncat(many, "A: b\r\n", sizeof(many) - strlen(many) - 1);
		strncat(many, "\r\n", sizeof(many) - strlen(many) - 1);
		assert_int_equal(head(many, &req), -1);
		assert_int_equal(req.status, 431);
	}
}

static void test_chunked_body(void **state)
{
	const char *s = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nNEXT";
	struct buf body;
	size_t used = 0;
	int status;

	buf_init(&body, 1024);
	assert_int_equal(http_parse_chunked(s, strlen(s), 1024, &body, &used, &status), 1);
	assert_string_equal(body.data, "hello, world");
	assert_int_equal(used, strlen(s) - 4);
	/* Every proper prefix needs more bytes. */
	for (size_t n = 0; n < strlen(s) - 4; n++)
		assert_int_equal(http_parse_chunked(s, n, 1024, &body, &used, &status), 0);
	assert_int_equal(
	    http_parse_chunked("5\r\nhelloXX0\r\n\r\n", 15, 1024, &body, &used, &status), -1);
	assert_int_equal(status, 400);
	assert_int_equal(http_parse_chunked("zz\r\n", 4, 1024, &body, &used, &status), -1);
	assert_int_equal(http_parse_chunked("800\r\n", 5, 1024, &body, &used, &status), -1);
	assert_int_equal(status, 413);
	assert_int_equal(
	    http_parse_chunked("0\r\nTrailer: x\r\n\r\n", 18, 1024, &body, &used, &status), -1);
	buf_release(&body);
}

/* Fed one byte at a time, compacted between calls the way a connection does it: the same
 * body, and the chunk framing never piles up in the buffer. */
static void test_chunked_incremental(void **state)
{
	const char *s = "5\r\nhello\r\n1\r\n,\r\n6;a=b\r\n world\r\n0\r\n\r\nGET";
	struct http_chunked ch;
	char buf[HTTP_MAX_CHUNK_LINE + 16];
	size_t len = 0, i;
	int rc = 0, status;

	http_chunked_init(&ch);
	for (i = 0; i < strlen(s) && rc == 0; i++) {
		buf[len++] = s[i];
		rc = http_chunked_decode(&ch, buf, len, 1024, &status);
		if (rc == 0) {
			memmove(buf + ch.out, buf + ch.in, len - ch.in);
			len -= ch.in - ch.out;
			ch.in = ch.out;
			assert_true(len - ch.out <= HTTP_MAX_CHUNK_LINE);
		}
	}
	assert_int_equal(rc, 1);
	assert_int_equal(i, strlen(s) - 3);
	assert_int_equal(ch.out, 12);
	assert_memory_equal(buf, "hello, world", 12);
	/* A chunk-size line longer than HTTP_MAX_CHUNK_LINE, and an overflowing size. */
	memset(buf, '0', sizeof(buf));
	http_chunked_init(&ch);
	assert_int_equal(http_chunked_decode(&ch, buf, sizeof(buf), 1024, &status), -1);
	memcpy(buf, "fffffffffffffffffffff\r\n", 23);
	http_chunked_init(&ch);
	assert_int_equal(http_chunked_decode(&ch, buf, 23, SIZE_MAX, &status), -1);
}

static void test_head_length_incremental(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next";
	size_t scanned = 0, n;

	for (n = 1; n <= strlen(s); n++)
		if (http_head_length(s, n, &scanned))
			break;
	assert_int_equal(n, strlen(s) - 9);
	assert_int_equal(http_head_length(s, strlen(s), &scanned), strlen(s) - 9);
}

static void test_token_compare(void **state)
{
	assert_true(token_equal("abc", 3, "abc", 3));
	assert_false(token_equal("abd", 3, "abc", 3));
	assert_false(token_equal("ab", 2, "abc", 3));
	assert_false(token_equal("abcd", 4, "abc", 3));
	assert_false(token_equal("", 0, "", 0)); /* no token configured: nothing matches */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_post_with_token),
	    cmocka_unit_test(test_bearer_and_connection),
	    cmocka_unit_test(test_incomplete_needs_more),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_size_limits),
	    cmocka_unit_test(test_chunked_body),
	    cmocka_unit_test(test_chunked_incremental),
	    cmocka_unit_test(test_head_length_incremental),
	    cmocka_unit_test(test_token_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
