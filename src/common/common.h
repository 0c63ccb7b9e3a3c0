/* common: errors, checked allocation, secrets, bounded buffers, strings, base64, tables,
 * logging, time, JSON helpers.
 * The one public header of src/common. */
#ifndef NETCTL_COMMON_H
#define NETCTL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Both come from CMakeLists.txt: project(VERSION) and NETCTL_IMAGE_REPOSITORY. */
#if !defined(NETCTL_VERSION) || !defined(NETCTL_IMAGE_REPOSITORY)
#error "NETCTL_VERSION and NETCTL_IMAGE_REPOSITORY are defined by CMakeLists.txt"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ---------------------------------------------------------------------------- */

/* What went wrong, in terms a command can turn into an exit code. */
enum err_code {
	ERR_OK = 0,
	ERR_USAGE,    /* bad flag, bad config value, bad argument */
	ERR_NOTFOUND, /* named thing does not exist */
	ERR_EXISTS,   /* named thing already exists */
	ERR_IO,	      /* local file or socket error */
	ERR_STORE,    /* SQLite store error */
	ERR_API,      /* cluster API unreachable or answered with an error */
	ERR_AUTH,     /* cluster API refused our credentials (401/403) */
	ERR_TLS,      /* TLS handshake or certificate problem */
	ERR_TIMEOUT,  /* a bounded wait ran out */
	ERR_PROTO,    /* peer sent something malformed */
	ERR_LIMIT,    /* input larger than a bound */
	ERR_INTERNAL,
};

/* Caller-owned error: functions return 0 / -1 (or NULL) and fill this. */
struct err {
	enum err_code code;
	char msg[512];
};

/* A braced initializer in a macro: clang-format 14 would spread it over six lines. */
/* clang-format off */
#define ERR_INIT {ERR_OK, {0}}
/* clang-format on */

/* Sets code and message; always returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *err, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepends "prefix: " to an existing message (keeps the code). Returns -1. */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *err);
const char *err_code_name(enum err_code code);

/* ---- checked allocation (abort with a message on OOM) ---------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of nmemb elements of size to at least need elements (doubling). */
void *xgrow(void *p, size_t *nmemb, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup, or NULL for NULL. */
char *xstrdup_or_null(const char *s);
/* Overwrites memory that held a secret (a token, a key); never optimised away. */
void secret_wipe(void *p, size_t n);
/* Wipes and frees a NUL-terminated secret; NULL is fine. */
void secret_free(char *s);
/* Heap-formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- bounded growable buffer ----------------------------------------------------------- */

struct buf {
	char *data; /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t limit; /* 0 = no limit */
};

/* limit: the most bytes this buffer may ever hold (0 = unbounded, only for trusted data). */
void buf_init(struct buf *b, size_t limit);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Return 0, or -1 when the limit would be exceeded (buffer unchanged). The result must be
 * looked at: a bounded buffer (untrusted input, a capped answer) can be full. A buffer
 * with limit 0 only grows (allocation failure aborts), so its writers may cast the result
 * to (void), on purpose: written `(void)!buf_puts(...)`, since gcc does not take a plain
 * (void) cast as looking at the result. */
#define BUF_MUST_CHECK __attribute__((warn_unused_result))
BUF_MUST_CHECK int buf_append(struct buf *b, const void *data, size_t n);
BUF_MUST_CHECK int buf_puts(struct buf *b, const char *s);
BUF_MUST_CHECK int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
BUF_MUST_CHECK int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends s (NULL: "") as a JSON string literal, quotes included. html: also escapes '<',
 * '>' and '&' so the text can sit inside a <script> element. -1 at the limit (buffer
 * unchanged). */
BUF_MUST_CHECK int buf_put_json_str(struct buf *b, const char *s, bool html);
/* The text so far, never NULL ("" before the first write). */
static inline const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* buf_release for a buffer that held a secret: wipes all it ever held first. */
void buf_release_secret(struct buf *b);
/* Hands the string to the caller (who frees it) and resets the buffer. */
char *buf_steal(struct buf *b);

/* ---- strings and numbers --------------------------------------------------------------- */

/* Bounded copy that always terminates; returns -1 if truncated. */
int str_copy(char *dst, size_t dstsz, const char *src);
bool str_eq(const char *a, const char *b); /* NULL-safe */
/* The value of a hexadecimal digit, or -1. */
int str_hex_digit(char c);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* Compares versions "X.Y.Z" with an optional "-suffix" (a pre-release: "0.2.0-rc1" comes
 * before "0.2.0") into *cmp (-1, 0, 1); -1 when a or b is no such version. */
int str_version_cmp(const char *a, const char *b, int *cmp);
/* A DNS-1123 subdomain, what Kubernetes allows as a Secret's name: at most 253 of a-z, 0-9,
 * '-' and '.', every dot-separated part non-empty and starting and ending with a letter or
 * digit. */
bool str_is_dns_subdomain(const char *s);
/* Parses a whole decimal integer in [min, max]; 0 or -1 (err names `what`). */
int str_to_long(const char *s, long min, long max, long *out, const char *what, struct err *err);
/* Parses a duration: "10", "10s", "250ms", "2m", "1.5s". Result in milliseconds. */
int str_to_duration_ms(const char *s, long max_ms, long *out, const char *what, struct err *err);
/* The names of the bits set in mask, in bit order, joined by sep ("icmp,udp"): bit i is
 * named names[i], for i < n (higher bits are ignored). Heap, "" for an empty mask. */
char *str_join_bits(unsigned mask, const char *const *names, size_t n, const char *sep);
/* Splits a comma list into a NULL-terminated heap vector (free with strv_free); empty items
 * rejected. */
char **str_split_list(const char *s, size_t max_items, const char *what, struct err *err);
void strv_free(char **v);
/* A copy of a NULL-terminated vector (NULL: an empty one). */
char **strv_dup(char *const *v);
size_t strv_len(char *const *v);
/* The strings of v (NULL: none) joined by sep (heap; "" for none). */
char *strv_join(char *const *v, const char *sep);
/* v (NULL: an empty vector) with a copy of s appended; v is reallocated. */
char **strv_append(char **v, const char *s);
/* Expands a leading "~" or "~/" with $HOME. Heap result. */
char *path_expand_home(const char *path, struct err *err);
/* Creates a directory and its parents with mode. */
int path_mkdirs(const char *dir, int mode, struct err *err);
/* Reads a whole file (at most limit bytes) into out. */
int file_read_all(const char *path, size_t limit, struct buf *out, struct err *err);

/* ---- base64 (base64.c, over OpenSSL) ------------------------------------------------- */

/* Standard base64 with padding, no line breaks. Heap. */
char *base64_encode(const void *data, size_t len);
/* Standard base64 with padding; blanks and line breaks are ignored (YAML block scalars).
 * Fills *out (heap, never NULL on success) and *outlen; -1 on a character outside the
 * alphabet, missing or misplaced padding. */
int base64_decode(const char *s, unsigned char **out, size_t *outlen);

/* ---- aligned text tables for people (table.c) ------------------------------------------ */

/* ANSI colours, written only where colour was asked for. */
enum text_color { COLOR_NONE = 0, COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BOLD, COLOR_DIM };
#define COLOR_RESET "\033[0m"
/* The sequence that starts colour c ("" for COLOR_NONE); COLOR_RESET ends it. */
const char *color_ansi(enum text_color c);

/* Columns sized to their widest cell (in code points), two blanks apart, no padding after
 * the last column; control characters in cells print as '?'. */
struct table;
struct table *table_new(const char *const *headers, size_t ncols);
/* Right-align a column (numbers). */
void table_align_right(struct table *t, size_t col);
/* Adds a row of ncols cells (copied). */
void table_add_row(struct table *t, const char *const *cells);
/* Colours one cell of the row added last. */
void table_color_cell(struct table *t, size_t col, enum text_color color);
/* Print in colour: headers bold, cells as coloured (off by default). */
void table_use_color(struct table *t, bool on);
size_t table_rows(const struct table *t);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* ---- logging (stderr) ------------------------------------------------------------------ */

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)
/* Copies an HTTP header line into dst, replacing the value of secret-bearing headers
 * (Authorization, X-Floater-Token, Cookie, Proxy-Authorization) with "<redacted>". */
void log_redact_header(const char *line, char *dst, size_t dstsz);

/* ---- time ------------------------------------------------------------------------------ */

int64_t time_mono_us(void); /* CLOCK_MONOTONIC */
int64_t time_wall_ms(void); /* CLOCK_REALTIME, Unix epoch ms */
/* "2026-11-26T04:17:18Z" into dst (>= 21 bytes). */
void time_format_iso(int64_t wall_ms, char *dst, size_t dstsz);
/* Parses RFC 3339 UTC ("2026-11-26T04:17:18Z", fractional seconds allowed) to epoch ms. */
int time_parse_iso(const char *s, int64_t *wall_ms);
/* "1.2s", "350ms", "4m05s" for humans. */
void time_format_duration(int64_t ms, char *dst, size_t dstsz);

/* ---- JSON helpers over cJSON (type-checked field access) ------------------------------- */

struct cJSON;
/* Parses at most limit bytes; NULL and err on malformed input. */
struct cJSON *json_parse(const char *text, size_t len, size_t limit, struct err *err);
/* Field getters: 0 when present with the right type, 1 when absent (out untouched),
 * -1 with err naming the field when present with the wrong type or out of range. */
int json_get_string(const struct cJSON *obj, const char *key, const char **out, struct err *err);
int json_get_long(const struct cJSON *obj, const char *key, long min, long max, long *out,
		  struct err *err);
int json_get_bool(const struct cJSON *obj, const char *key, bool *out, struct err *err);
/* Prints compactly into a heap string. */
char *json_print(const struct cJSON *obj);

/* ---- probe outcome codes shared by floater, engine and store --------------------------- */

enum probe_error {
	PROBE_OK = 0,
	PROBE_TIMEOUT,
	PROBE_REFUSED,
	PROBE_UNREACHABLE,
	PROBE_RESET,
	PROBE_MTU,	  /* message too long (DF set, path MTU smaller) */
	PROBE_NO_AGENT,	  /* no Ready floater on the source or target node */
	PROBE_AGENT_LOST, /* the source floater died or its request failed mid-run */
	PROBE_NOT_PROBED, /* planned but never sent (interrupted run) */
	PROBE_LOSS,	  /* some but not all probes answered */
	PROBE_OTHER,
	PROBE_WRONG_NODE, /* answered, but by another node than the one probed (node proof) */
	/* DNS outcomes (protocol dns): the server answered, but not with the address */
	PROBE_NXDOMAIN,	    /* the name does not exist (RCODE 3) */
	PROBE_SERVFAIL,	    /* the server failed (RCODE 2) */
	PROBE_DNS_REFUSED,  /* the server refuses to answer (RCODE 5) */
	PROBE_WRONG_ANSWER, /* resolves, but not to the address expected (NAME=ADDR) */
	PROBE_NO_ANSWER,    /* the name exists, no record of the type asked (A, AAAA) */
	PROBE_TRUNCATED,    /* truncated over UDP and the query over TCP failed */
	PROBE_ERROR_MAX
};
const char *probe_error_name(enum probe_error e);
/* -1 when unknown. */
int probe_error_parse(const char *name);

enum probe_protocol { PROTO_ICMP = 0, PROTO_TCP, PROTO_UDP, PROTO_DNS, PROTO_MAX };
/* "icmp", "tcp", "udp", "dns": the one list of protocol names, indexed by enum probe_protocol. */
extern const char *const probe_protocol_names[PROTO_MAX];
const char *probe_protocol_name(enum probe_protocol p);
int probe_protocol_parse(const char *name); /* -1 when unknown */

/* ---- global IP mapping (cidrmap.c; docs/kosmos.md, "Global IP mapping") ---------------- */

struct cidr {
	int family; /* 4 or 6 */
	int bits;
	unsigned char addr[16]; /* network byte order, host bits zero */
};
struct cidr_pair {
	struct cidr real, global; /* one family, one size */
};
#define CIDRMAP_MAX 16
struct cidrmap {
	struct cidr_pair v[CIDRMAP_MAX];
	size_t n;
};

/* Adds "REAL=GLOBAL" (ERR_USAGE naming what is wrong: not CIDRs, host bits set, families
 * or sizes differ, a real CIDR overlapping one mapped already). */
int cidrmap_add(struct cidrmap *m, const char *text, struct err *err);
/* "REAL=GLOBAL[,REAL=GLOBAL...]" (as stored); NULL or "" is no mapping. */
int cidrmap_parse(const char *text, struct cidrmap *m, struct err *err);
/* The stored form, canonical (heap). */
char *cidrmap_format(const struct cidrmap *m);
bool cidr_contains(const struct cidr *c, const unsigned char *addr);
/* The global address of ip (same host bits under the global prefix) into dst; false when
 * no real CIDR holds ip. */
bool cidrmap_apply(const struct cidrmap *m, const char *ip, char *dst, size_t dstsz);

/* ---- int64 id -> dense index map (idmap.c) --------------------------------------------- */

/* Maps sparse int64 ids (node ids, run ids) to dense indexes into caller arrays. */
struct idmap {
	int64_t *keys;
	uint32_t *vals;
	size_t cap, len;
};
void idmap_init(struct idmap *m);
void idmap_release(struct idmap *m);
/* The value stored for key, or -1. */
long idmap_get(const struct idmap *m, int64_t key);
/* Stores key -> val (val < UINT32_MAX), replacing an existing value. */
void idmap_put(struct idmap *m, int64_t key, uint32_t val);

/* ---- JSON for people (json_pretty.c) --------------------------------------------------- */

/* Two-space indented JSON ending in a newline (heap). */
char *json_print_pretty(const struct cJSON *obj);

#endif
