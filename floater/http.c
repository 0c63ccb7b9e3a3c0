#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "wire.h"

static int bad(struct http_req *req, int status)
{
	req->status = status;
	return -1;
}

/* Finds the end of the head ("\r\n\r\n"); bare LF line ends are rejected later. */
static const char *find_head_end(const char *data, size_t len)
{
	const char *p = memmem(data, len, "\r\n\r\n", 4);

	return p ? p + 4 : NULL;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int parse_request_line(const char *line, size_t n, struct http_req *req)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *target, *q;
	size_t mlen, tlen;

	if (!sp1)
		return bad(req, 400);
	mlen = (size_t)(sp1 - line);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2)
		return bad(req, 400);
	if (mlen == 3 && !memcmp(line, "GET", 3))
		req->method = HTTP_GET;
	else if (mlen == 4 && !memcmp(line, "HEAD", 4))
		req->method = HTTP_HEAD;
	else if (mlen == 4 && !memcmp(line, "POST", 4))
		req->method = HTTP_POST;
	else
		req->method = HTTP_OTHER;
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(line[i]))
			return bad(req, 400);
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	if (!tlen || target[0] != '/')
		return bad(req, 400);
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return bad(req, 400);
	q = memchr(target, '?', tlen);
	if (q)
		tlen = (size_t)(q - target);
	if (tlen >= sizeof(req->path))
		return bad(req, 414);
	memcpy(req->path, target, tlen);
	req->path[tlen] = '\0';
	if ((size_t)(line + n - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return bad(req, 400);
	if (sp2[8] == '1')
		req->keep_alive = true;
	else if (sp2[8] != '0')
		return bad(req, 505);
	return 0;
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && !strncasecmp(name, want, nlen);
}

/* Strict decimal; duplicates must agree (request smuggling defence). */
static int header_content_length(const char *v, size_t vlen, struct http_req *req)
{
	long long n = 0;

	if (!vlen || vlen > 12)
		return bad(req, vlen > 12 ? 413 : 400);
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return bad(req, 400);
		n = n * 10 + (v[i] - '0');
	}
	if (req->content_length >= 0 && req->content_length != n)
		return bad(req, 400);
	req->content_length = n;
	return 0;
}

static int header_token(const char *v, size_t vlen, struct http_req *req, bool bearer)
{
	if (bearer) {
		if (vlen < 7 || strncasecmp(v, "Bearer ", 7))
			return 0; /* other schemes: no token */
		v += 7;
		vlen -= 7;
		if (req->has_token)
			return 0; /* X-Floater-Token wins */
	}
	if (vlen >= sizeof(req->token))
		vlen = sizeof(req->token) - 1; /* too long to match anyway; still compared */
	memcpy(req->token, v, vlen);
	req->token[vlen] = '\0';
	req->has_token = true;
	return 0;
}

static int parse_header(const char *line, size_t n, struct http_req *req)
{
	const char *colon = memchr(line, ':', n), *v, *vend;
	size_t nlen;

	if (!colon || colon == line)
		return bad(req, 400);
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar(line[i]))
			return bad(req, 400);
	v = colon + 1;
	vend = line + n;
	while (v < vend && (*v == ' ' || *v == '\t'))
		v++;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	for (const char *c = v; c < vend; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return bad(req, 400);
	if (name_is(line, nlen, "content-length"))
		return header_content_length(v, (size_t)(vend - v), req);
	if (name_is(line, nlen, "transfer-encoding")) {
		if ((size_t)(vend - v) != 7 || strncasecmp(v, "chunked", 7))
			return bad(req, 501);
		req->chunked = true;
	} else if (name_is(line, nlen, "connection")) {
		if ((size_t)(vend - v) == 5 && !strncasecmp(v, "close", 5))
			req->keep_alive = false;
		else if ((size_t)(vend - v) == 10 && !strncasecmp(v, "keep-alive", 10))
			req->keep_alive = true;
	} else if (name_is(line, nlen, "expect")) {
		if ((size_t)(vend - v) != 12 || strncasecmp(v, "100-continue", 12))
			return bad(req, 417);
		req->expect_continue = true;
	} else if (name_is(line, nlen, WIRE_HEADER_TOKEN)) {
		return header_token(v, (size_t)(vend - v), req, false);
	} else if (name_is(line, nlen, "authorization")) {
		return header_token(v, (size_t)(vend - v), req, true);
	}
	return 0;
}

size_t http_head_length(const char *data, size_t len, size_t *scanned)
{
	size_t from = *scanned > 3 ? *scanned - 3 : 0;
	const char *p;

	if (len > HTTP_MAX_HEAD)
		len = HTTP_MAX_HEAD;
	if (len <= from)
		return 0;
	p = memmem(data + from, len - from, "\r\n\r\n", 4);
	if (!p) {
		*scanned = len;
		return 0;
	}
	*scanned = (size_t)(p - data); /* asked again, it is found again */
	return (size_t)(p + 4 - data);
}

int http_parse_head(const char *data, size_t len, struct http_req *req)
{
	const char *end, *p, *eol;
	int nheaders = 0;

	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	end = find_head_end(data, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);
	if (!end)
		return len >= HTTP_MAX_HEAD ? bad(req, 431) : 0;
	req->head_len = (size_t)(end - data);
	p = data;
	eol = memmem(p, (size_t)(end - p), "\r\n", 2);
	if (parse_request_line(p, (size_t)(eol - p), req) < 0)
		return -1;
	for (p = eol + 2; p < end - 2; p = eol + 2) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (memchr(p, '\n', (size_t)(eol - p)) || memchr(p, '\r', (size_t)(eol - p)))
			return bad(req, 400);
		if (*p == ' ' || *p == '\t')
			return bad(req, 400); /* obsolete line folding */
		if (++nheaders > HTTP_MAX_HEADERS)
			return bad(req, 431);
		if (parse_header(p, (size_t)(eol - p), req) < 0)
			return -1;
	}
	if (req->chunked && req->content_length >= 0)
		return bad(req, 400);
	return 1;
}

void http_chunked_init(struct http_chunked *ch)
{
	memset(ch, 0, sizeof(*ch));
}

/* One byte of a chunk-size line, the CRLFs around chunk data, or the end: 0 or -1. */
static int chunk_byte(struct http_chunked *ch, char c, size_t limit, int *status)
{
	int v;

	switch (ch->state) {
	case CHUNK_SIZE:
		v = str_hex_digit(c);
		if (v >= 0) {
			if (ch->size > (SIZE_MAX >> 4))
				return -1;
			ch->size = ch->size * 16 + (size_t)v;
			ch->digits = true;
			return 0;
		}
		if (!ch->digits || (c != ';' && c != '\r'))
			return -1;
		ch->state = c == ';' ? CHUNK_EXT : CHUNK_SIZE_LF;
		return 0;
	case CHUNK_EXT:
		if (c == '\n')
			return -1;
		if (c == '\r')
			ch->state = CHUNK_SIZE_LF;
		return 0;
	case CHUNK_SIZE_LF:
		if (c != '\n')
			return -1;
		ch->line = 0;
		if (!ch->size) {
			ch->state = CHUNK_END_CR;
			return 0;
		}
		if (ch->size > limit - ch->out) {
			*status = 413;
			return -1;
		}
		ch->state = CHUNK_DATA;
		return 0;
	case CHUNK_DATA_CR:
	case CHUNK_END_CR:
		if (c != '\r')
			return -1;
		ch->state = ch->state == CHUNK_DATA_CR ? CHUNK_DATA_LF : CHUNK_END_LF;
		return 0;
	case CHUNK_DATA_LF:
		if (c != '\n')
			return -1;
		ch->state = CHUNK_SIZE;
		ch->size = 0;
		ch->digits = false;
		return 0;
	case CHUNK_END_LF:
		/* Trailers are not used by any client of ours: none accepted. */
		if (c != '\n')
			return -1;
		ch->state = CHUNK_DONE;
		return 0;
	default:
		return -1;
	}
}

int http_chunked_decode(struct http_chunked *ch, char *buf, size_t len, size_t limit, int *status)
{
	*status = 400;
	while (ch->in < len && ch->state != CHUNK_DONE) {
		if (ch->state == CHUNK_DATA) {
			size_t n = len - ch->in < ch->size ? len - ch->in : ch->size;

			memmove(buf + ch->out, buf + ch->in, n);
			ch->out += n;
			ch->in += n;
			ch->size -= n;
			if (!ch->size)
				ch->state = CHUNK_DATA_CR;
			continue;
		}
		if (ch->state <= CHUNK_SIZE_LF && ++ch->line > HTTP_MAX_CHUNK_LINE)
			return -1;
		if (chunk_byte(ch, buf[ch->in], limit, status) < 0)
			return -1;
		ch->in++;
	}
	return ch->state == CHUNK_DONE ? 1 : 0;
}

int http_parse_chunked(const char *data, size_t len, size_t limit, struct buf *body, size_t *used,
		       int *status)
{
	struct http_chunked ch;
	char *copy = xmalloc(len + 1);
	int rc;

	buf_reset(body);
	if (len)
		memcpy(copy, data, len);
	http_chunked_init(&ch);
	rc = http_chunked_decode(&ch, copy, len, limit, status);
	if (rc == 1) {
		if (buf_append(body, copy, ch.out) < 0) {
			*status = 413;
			rc = -1;
		}
		*used = ch.in;
	}
	free(copy);
	return rc;
}

const char *http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

bool token_equal(const char *presented, size_t plen, const char *expected, size_t elen)
{
	volatile unsigned char diff = 0;

	/* Time depends only on the expected length, never on where they differ. */
	if (!elen)
		return false;
	diff |= (unsigned char)(plen != elen);
	for (size_t i = 0; i < elen; i++)
		diff |= (unsigned char)((i < plen ? presented[i] : 0) ^ expected[i]);
	return diff == 0;
}
