/* REST over one libcurl multi handle: every request of every cluster in one loop, with
 * retries, timeouts, TLS from memory blobs and API Status errors turned into struct err. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "kube.h"

#define DEFAULT_CONNECT_MS 5000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_ATTEMPTS   5
#define DEFAULT_BUDGET_MS  30000L
/* HTTP/2 servers allow at least 100 streams: one connection per cluster carries them all,
 * where more would open extra connections whose TLS handshakes race the connect timeout */
#define DEFAULT_MAX_INFLIGHT 100
#define DEFAULT_MAX_BODY     (64u << 20)
#define DEFAULT_MAX_LINE     (1u << 20)
#define BACKOFF_BASE_MS	     200L
#define BACKOFF_CAP_MS	     5000L
#define RETRY_AFTER_CAP_MS   30000L
#define ERROR_BODY_LIMIT     (64u << 10)
#define HEADER_LINE_MAX	     1024

struct kube_loop {
	CURLM *multi;
	TAILQ_HEAD(kube_calls, kube_call) calls; /* every live call, oldest first */
	size_t ncalls;
	int busy;	 /* > 0 inside curl_multi_perform (curl callbacks may run) */
	bool need_sweep; /* a call was cancelled while busy */
	uint64_t rng;
};

struct kube_client {
	struct kube_loop *loop;
	struct kube_target *t; /* private deep copy */
	struct kube_auth *auth;
	char *name;
	char *base_url; /* server without trailing '/', host replaced by tls-server-name */
	char *server_shown, *base_shown; /* server and base_url for messages: no password */
	struct curl_slist *connect_to;	 /* CURLOPT_CONNECT_TO when tls-server-name is set */
	long connect_ms, timeout_ms, budget_ms;
	int max_attempts;
	int inflight, max_inflight; /* attempts handed to libcurl now, and the cap */
	uint64_t requests, connections;
};

struct kube_call {
	TAILQ_ENTRY(kube_call) link; /* loop->calls */
	struct kube_loop *loop;
	struct kube_client *client; /* NULL once the client is gone (call is cancelled) */
	CURL *easy;		    /* NULL between attempts */
	struct curl_slist *hdrs;
	char *path, *url;
	enum kube_method method;
	char *body;
	size_t body_len;
	char *content_type;
	char **headers;
	long timeout_ms;
	bool retry_post;
	size_t max_body, max_line;
	long line_stall_ms;
	long idle_ms;
	kube_data_fn on_data;
	kube_line_fn on_line;
	kube_header_fn on_header;
	kube_done_fn on_done;
	void *arg;

	struct buf resp;       /* buffered body (always for errors) */
	struct buf line;       /* partial line of a streamed body */
	size_t streamed;       /* streamed bytes of this call */
	bool delivered;	       /* the caller saw body bytes: never retried */
	bool aborted;	       /* a callback returned -1 */
	bool too_big;	       /* max_body or max_line exceeded */
	bool line_too_long;    /* ... max_line it was */
	bool line_stalled;     /* a started line stayed unfinished for line_stall_ms */
	int64_t line_since_us; /* when the unfinished line in `line` began (0: none) */
	bool idle;	       /* nothing of the answer came for idle_ms */
	int64_t rx_us;	       /* the attempt's start or its last byte of the answer */
	bool cancelled;
	bool urgent; /* blocking calls and list pages: never wait behind the in-flight cap */
	bool in_done;
	bool auth_retried;
	long status;
	int attempt;
	int64_t first_us, due_us; /* due_us > 0: start an attempt at that time */
	int64_t attempt_us;
	char errbuf[CURL_ERROR_SIZE];
};

static const char *const method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* ---- target copy (the client must not depend on the caller's target lifetime) ---------- */

/* ---- loop ------------------------------------------------------------------------------ */

struct kube_loop *kube_loop_new(struct err *err)
{
	static bool global_done;
	struct kube_loop *loop;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, ERR_INTERNAL, "libcurl initialisation failed");
			return NULL;
		}
		global_done = true;
	}
	loop = xcalloc(1, sizeof(*loop));
	TAILQ_INIT(&loop->calls);
	loop->multi = curl_multi_init();
	if (!loop->multi) {
		free(loop);
		err_set(err, ERR_INTERNAL, "libcurl multi handle could not be created");
		return NULL;
	}
	curl_multi_setopt(loop->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	/* Bounded connection pool: HTTP/2 multiplexes, HTTP/1.1 queues beyond this. */
	curl_multi_setopt(loop->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	curl_multi_setopt(loop->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);
	loop->rng =
	    (uint64_t)time_mono_us() ^ ((uint64_t)time_wall_ms() << 20) ^ 0x9e3779b97f4a7c15ull;
	return loop;
}

static void call_free(struct kube_call *call);

void kube_loop_free(struct kube_loop *loop)
{
	if (!loop)
		return;
	while (!TAILQ_EMPTY(&loop->calls)) {
		struct kube_call *call = TAILQ_FIRST(&loop->calls);

		if (call->client)
			call->client = NULL;
		call_free(call);
	}
	curl_multi_cleanup(loop->multi);
	free(loop);
}

size_t kube_loop_pending(const struct kube_loop *loop)
{
	const struct kube_call *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &loop->calls, link)
	if (!c->cancelled)
		n++;
	return n;
}

static uint64_t loop_rand(struct kube_loop *loop)
{
	/* xorshift64*: jitter only, not security relevant */
	loop->rng ^= loop->rng >> 12;
	loop->rng ^= loop->rng << 25;
	loop->rng ^= loop->rng >> 27;
	return loop->rng * 0x2545f4914f6cdd1dull;
}

/* ---- client ---------------------------------------------------------------------------- */

static int client_urls(struct kube_client *c, struct err *err)
{
	const struct kube_target *t = c->t;
	CURLU *u = NULL;
	char *host = NULL, *port = NULL, *url = NULL;
	int rc = -1;
	size_t n;

	if (!t->server || !*t->server)
		return err_set(err, ERR_USAGE, "cluster %s: no server URL", c->name);
	if (!t->tls_server_name || !*t->tls_server_name) {
		c->base_url = xstrdup(t->server);
		goto trim;
	}
	/* tls-server-name: SNI and certificate check use that name while the connection goes
	 * to the server's real address (CURLOPT_CONNECT_TO). */
	u = curl_url();
	if (curl_url_set(u, CURLUPART_URL, t->server, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
	    curl_url_set(u, CURLUPART_HOST, t->tls_server_name, 0) ||
	    curl_url_get(u, CURLUPART_URL, &url, 0)) {
		err_set(err, ERR_USAGE,
			"cluster %s: server URL '%s' or tls-server-name '%s' is invalid", c->name,
			c->server_shown, t->tls_server_name);
		goto out;
	}
	c->base_url = xstrdup(url);
	{
		char *entry = xasprintf("%s:%s:%s:%s", t->tls_server_name, port, host, port);

		c->connect_to = curl_slist_append(NULL, entry);
		free(entry);
	}
trim:
	n = strlen(c->base_url);
	while (n && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

struct kube_client *kube_client_new(struct kube_loop *loop, const struct kube_target *t,
				    const struct kube_client_opts *opts, struct err *err)
{
	struct kube_client *c = xcalloc(1, sizeof(*c));
	struct kube_client_opts o = {0};

	if (opts)
		o = *opts;
	c->loop = loop;
	c->t = kube_target_dup(t);
	c->server_shown = kube_url_redact(t->server ? t->server : "");
	c->name = xstrdup(o.name ? o.name : t->name ? t->name : t->server ? c->server_shown : "?");
	c->connect_ms = o.connect_timeout_ms > 0 ? o.connect_timeout_ms : DEFAULT_CONNECT_MS;
	c->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_attempts = o.max_attempts > 0 ? o.max_attempts : DEFAULT_ATTEMPTS;
	c->budget_ms = o.retry_budget_ms > 0 ? o.retry_budget_ms : DEFAULT_BUDGET_MS;
	c->max_inflight = o.max_inflight > 0 ? o.max_inflight : DEFAULT_MAX_INFLIGHT;
	if (client_urls(c, err) < 0) {
		kube_client_free(c);
		return NULL;
	}
	c->base_shown = kube_url_redact(c->base_url);
	c->auth = kube_auth_new(c->t);
	if (!c->auth) {
		err_set(err, ERR_INTERNAL, "cluster %s: cannot set up credentials", c->name);
		kube_client_free(c);
		return NULL;
	}
	return c;
}

void kube_client_free(struct kube_client *c)
{
	struct kube_call *call, *next;

	if (!c)
		return;
	for (call = TAILQ_FIRST(&c->loop->calls); call; call = next) {
		next = TAILQ_NEXT(call, link);
		if (call->client != c)
			continue;
		call->client = NULL;
		kube_call_cancel(call);
	}
	kube_auth_free(c->auth);
	kube_target_free(c->t);
	free(c->name);
	free(c->base_url);
	free(c->server_shown);
	free(c->base_shown);
	curl_slist_free_all(c->connect_to);
	free(c);
}

const char *kube_client_name(const struct kube_client *c)
{
	return c->name;
}

const char *kube_client_server(const struct kube_client *c)
{
	return c->server_shown;
}

const char *kube_client_namespace(const struct kube_client *c)
{
	return c->t->namespace && *c->t->namespace ? c->t->namespace : "default";
}

uint64_t kube_client_requests(const struct kube_client *c)
{
	return c->requests;
}

uint64_t kube_client_connections(const struct kube_client *c)
{
	return c->connections;
}

struct kube_loop *kube_client_loop(const struct kube_client *c)
{
	return c->loop;
}

char *kube_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			(void)!buf_append(&b, s, 1);
		} else {
			char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};

			(void)!buf_append(&b, enc, 3);
		}
	}
	if (!b.data)
		(void)!buf_append(&b, "", 0);
	return buf_steal(&b);
}

/* ---- calls ----------------------------------------------------------------------------- */

static void call_detach_easy(struct kube_call *call)
{
	if (call->easy) {
		curl_multi_remove_handle(call->loop->multi, call->easy);
		curl_easy_cleanup(call->easy);
		call->easy = NULL;
		if (call->client)
			call->client->inflight--;
	}
	curl_slist_free_all(call->hdrs);
	call->hdrs = NULL;
}

static void call_free(struct kube_call *call)
{
	struct kube_loop *loop = call->loop;

	call_detach_easy(call);
	TAILQ_REMOVE(&loop->calls, call, link);
	loop->ncalls--;
	free(call->path);
	free(call->url);
	free(call->body);
	free(call->content_type);
	strv_free(call->headers);
	buf_release(&call->resp);
	buf_release(&call->line);
	free(call);
}

void kube_call_cancel(struct kube_call *call)
{
	if (!call || call->cancelled)
		return;
	call->cancelled = true;
	if (call->in_done)
		return; /* freed by the completion path once on_done returns */
	if (call->loop->busy) {
		call->loop->need_sweep = true;
		return;
	}
	call_free(call);
}

static int deliver_line(struct kube_call *call)
{
	size_t len = call->line.len;
	int rc;

	if (len && call->line.data[len - 1] == '\r')
		call->line.data[--len] = '\0';
	rc = call->on_line(call->arg, buf_str(&call->line), len);
	buf_reset(&call->line);
	call->line_since_us = 0;
	return rc;
}

static int split_lines(struct kube_call *call, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t len = nl ? (size_t)(nl - data) : n;

		if (buf_append(&call->line, data, len) < 0) {
			call->too_big = true;
			call->line_too_long = true;
			return -1;
		}
		if (!nl) {
			if (call->line.len && !call->line_since_us)
				call->line_since_us = time_mono_us();
			return 0;
		}
		if (deliver_line(call) < 0)
			return -1;
		/* the consumer cancelled this call from its callback: deliver nothing more */
		if (call->cancelled)
			return -1;
		data += len + 1;
		n -= len + 1;
	}
	return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kube_call *call = userdata;
	size_t n = size * nmemb;
	bool stream;
	int rc;

	if (call->cancelled)
		return 0;
	call->rx_us = time_mono_us();
	if (!call->status)
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
	stream = (call->on_data || call->on_line) && call->status >= 200 && call->status < 300;
	if (!stream) {
		if (buf_append(&call->resp, ptr, n) < 0) {
			call->too_big = true;
			return 0;
		}
		return n;
	}
	call->streamed += n;
	if (call->streamed > call->max_body) {
		call->too_big = true;
		return 0;
	}
	call->delivered = true;
	rc = call->on_data ? call->on_data(call->arg, ptr, n) : split_lines(call, ptr, n);
	if (rc < 0) {
		if (!call->too_big)
			call->aborted = true;
		return 0;
	}
	return n;
}

/* One header line as libcurl hands it over ("Name: value\r\n"; also status lines and the
 * empty line ending a head, which have no colon and are skipped). */
static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct kube_call *call = userdata;
	size_t n = size * nitems;
	char line[HEADER_LINE_MAX], *colon, *value, *end;

	call->rx_us = time_mono_us();
	if (call->cancelled || n >= sizeof(line))
		return n;
	memcpy(line, ptr, n);
	line[n] = '\0';
	colon = strchr(line, ':');
	if (!colon || colon == line)
		return n;
	*colon = '\0';
	value = colon + 1 + strspn(colon + 1, " \t");
	for (end = value + strlen(value); end > value && strchr(" \t\r\n", end[-1]); end--)
		;
	*end = '\0';
	call->on_header(call->arg, line, value);
	return n;
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata)
{
	struct kube_call *call = userdata;
	const char *dir;
	char line[1024], red[1100];

	if (type == CURLINFO_HEADER_OUT)
		dir = ">";
	else if (type == CURLINFO_HEADER_IN)
		dir = "<";
	else
		return 0;
	/* one header per line; values of secret headers replaced before printing */
	while (size) {
		const char *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size;
		size_t keep = len;

		if (keep && data[keep - 1] == '\r')
			keep--;
		if (keep >= sizeof(line))
			keep = sizeof(line) - 1;
		memcpy(line, data, keep);
		line[keep] = '\0';
		if (keep) {
			log_redact_header(line, red, sizeof(red));
			log_trace("cluster %s: %s %s", call->client ? call->client->name : "?", dir,
				  red);
		}
		if (!nl)
			break;
		size -= len + 1;
		data += len + 1;
	}
	return 0;
}

static void set_tls(struct kube_call *call, CURL *e)
{
	const struct kube_target *t = call->client->t;
	const struct kube_blob *cert = kube_auth_client_cert(call->client->auth);
	const struct kube_blob *key = kube_auth_client_key(call->client->auth);
	struct curl_blob b;

	if (!cert || !cert->len)
		cert = &t->client_cert;
	if (!key || !key->len)
		key = &t->client_key;
	if (t->insecure_skip_tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (t->ca.len) {
		/* the kubeconfig's CA only, as kubectl: libcurl would add the system store
		 * (its built-in CAINFO and CAPATH) to the blob, so any public or corporate CA
		 * could vouch for the API server and receive the token */
		b = (struct curl_blob){t->ca.data, t->ca.len, CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_SSL_OPTIONS, 0L); /* no CURLSSLOPT_NATIVE_CA */
	}
	if (cert->len && key->len) {
		b = (struct curl_blob){cert->data, cert->len, CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		b = (struct curl_blob){key->data, key->len, CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

static int build_headers(struct kube_call *call, struct err *err)
{
	struct buf auth;
	char *ua = xasprintf("User-Agent: netctl/%s", NETCTL_VERSION);
	char *ct = NULL;
	int rc = 0;

	buf_init(&auth, 64 << 10);
	if (kube_auth_header(call->client->auth, &auth, err) < 0) {
		err_prefix(err, "cluster %s", call->client->name);
		rc = -1;
		goto out;
	}
	call->hdrs = curl_slist_append(call->hdrs, "Accept: application/json");
	call->hdrs = curl_slist_append(call->hdrs, ua);
	call->hdrs = curl_slist_append(call->hdrs, "Expect:");
	if (auth.len)
		call->hdrs = curl_slist_append(call->hdrs, auth.data);
	if (call->body) {
		ct = xasprintf("Content-Type: %s",
			       call->content_type ? call->content_type : "application/json");
		call->hdrs = curl_slist_append(call->hdrs, ct);
	}
	for (char **h = call->headers; h && *h; h++)
		call->hdrs = curl_slist_append(call->hdrs, *h);
out:
	buf_release_secret(&auth); /* it held a credential */
	free(ua);
	free(ct);
	return rc;
}

static int attempt_start(struct kube_call *call, struct err *err)
{
	struct kube_client *c = call->client;
	CURL *e;

	call->due_us = 0;
	call->status = 0;
	call->errbuf[0] = '\0';
	buf_reset(&call->resp);
	buf_reset(&call->line);
	call->line_since_us = 0;
	call->line_stalled = false;
	call->idle = false;
	call->rx_us = time_mono_us();
	if (build_headers(call, err) < 0)
		return -1;
	e = curl_easy_init();
	if (!e)
		return err_set(err, ERR_INTERNAL, "libcurl easy handle could not be created");
	call->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, call->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, call);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	if (call->on_header) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
	}
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->hdrs);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	if (c->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->t->proxy_url && *c->t->proxy_url)
		curl_easy_setopt(e, CURLOPT_PROXY, c->t->proxy_url);
	set_tls(call, e);
	if (call->method != KUBE_GET && call->method != KUBE_POST)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_names[call->method]);
	if (call->body || call->method == KUBE_POST) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body ? call->body : "");
	}
	if (log_get_level() >= LOG_TRACE) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, call);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	call->attempt++;
	call->attempt_us = time_mono_us();
	c->requests++;
	c->inflight++;
	if (curl_multi_add_handle(call->loop->multi, e) != CURLM_OK) {
		call_detach_easy(call);
		return err_set(err, ERR_INTERNAL, "libcurl refused a request");
	}
	return 0;
}

/* ---- completion: success, retry, or an error that names the cluster --------------------- */

static bool is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return true;
	default:
		return false;
	}
}

/* Errors after which the request may not have reached the server, or died on the way. */
static bool is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

static bool idempotent(const struct kube_call *call)
{
	return call->method != KUBE_POST && call->method != KUBE_PATCH ? true : call->retry_post;
}

long kube_backoff_ms(struct kube_loop *loop, int attempt, long base_ms, long cap_ms)
{
	long cap = base_ms << (attempt < 6 ? (attempt > 0 ? attempt : 0) : 6);

	if (cap > cap_ms)
		cap = cap_ms;
	return cap / 2 + (long)(loop_rand(loop) % (uint64_t)(cap / 2 + 1));
}

/* Backoff with jitter, at least the server's Retry-After. */
static long backoff_ms(struct kube_call *call, long retry_after_ms)
{
	long d = kube_backoff_ms(call->loop, call->attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);

	if (retry_after_ms > d)
		d = retry_after_ms > RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : retry_after_ms;
	return d;
}

/* Schedules another attempt when attempts and the time budget allow it. */
static bool retry_schedule(struct kube_call *call, long delay_ms, long window_ms)
{
	int64_t now = time_mono_us();

	if (!call->client || call->delivered || call->attempt >= call->client->max_attempts)
		return false;
	if ((now + delay_ms * 1000 - call->first_us) / 1000 > window_ms)
		return false;
	call_detach_easy(call);
	call->due_us = now + delay_ms * 1000;
	return true;
}

static void status_error(struct kube_call *call, struct err *err)
{
	const char *name = call->client->name;
	const char *msg = NULL, *reason = NULL;
	enum err_code code = ERR_API;
	struct cJSON *j = NULL;
	char snippet[200];

	if (call->resp.len)
		j = cJSON_ParseWithLength(call->resp.data, call->resp.len);
	if (j && cJSON_IsObject(j)) {
		json_get_string(j, "message", &msg, NULL);
		json_get_string(j, "reason", &reason, NULL);
	}
	if (call->status == 401 || call->status == 403)
		code = ERR_AUTH;
	else if (call->status == 404)
		code = ERR_NOTFOUND;
	else if (call->status == 409 && str_eq(reason, "AlreadyExists"))
		code = ERR_EXISTS;
	if (!msg || !*msg) {
		/* not a Status object (a proxied pod, a gateway): show the start of the body */
		size_t n = 0;

		for (; n < call->resp.len && n < sizeof(snippet) - 1; n++) {
			char ch = call->resp.data[n];

			snippet[n] = (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
		}
		while (n && snippet[n - 1] == ' ')
			n--;
		snippet[n] = '\0';
		msg = n ? snippet : "(empty body)";
	}
	if (call->status == 401)
		err_set(err, code, "cluster %s: unauthorized (HTTP 401): %s", name, msg);
	else
		err_set(err, code, "cluster %s: %s (HTTP %ld %s %s)", name, msg, call->status,
			method_names[call->method], call->path);
	cJSON_Delete(j);
}

/* true once the connection (TCP and TLS) was up and the request went out */
static bool was_connected(struct kube_call *call)
{
	curl_off_t pre = 0;

	curl_easy_getinfo(call->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	return pre > 0;
}

static void transport_error(struct kube_call *call, CURLcode rc, struct err *err)
{
	const struct kube_client *c = call->client;
	const char *detail = call->errbuf[0] ? call->errbuf : curl_easy_strerror(rc);

	if (is_tls_error(rc)) {
		err_set(err, ERR_TLS, "cluster %s: TLS with %s failed: %s", c->name,
			c->server_shown, detail);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && was_connected(call)) {
		err_set(err, ERR_TIMEOUT, "cluster %s: %s %s: no complete answer within %ld ms",
			c->name, method_names[call->method], call->path, call->timeout_ms);
		return;
	}
	err_set(err, ERR_API, "cluster %s: cannot reach %s: %s", c->name, c->server_shown, detail);
}

/* Returns true when the call goes on (retry scheduled), false when it is finished. */
static bool call_evaluate(struct kube_call *call, CURLcode rc, struct err *err)
{
	struct kube_client *c = call->client;
	curl_off_t retry_after = 0;

	if (call->too_big) {
		err_set(err, ERR_LIMIT, "cluster %s: %s %s: response exceeds %s limit of %zu bytes",
			c->name, method_names[call->method], call->path,
			call->line_too_long ? "the line" : "the size",
			call->line_too_long ? call->max_line : call->max_body);
		return false;
	}
	if (call->line_stalled) {
		err_set(err, ERR_TIMEOUT,
			"cluster %s: %s %s: the answer stalled in the middle of a line for %ld ms",
			c->name, method_names[call->method], call->path, call->line_stall_ms);
		return false;
	}
	if (call->idle) {
		err_set(err, ERR_TIMEOUT, "cluster %s: %s %s: nothing of the answer for %ld ms",
			c->name, method_names[call->method], call->path, call->idle_ms);
		return false;
	}
	if (call->aborted) {
		err_set(err, ERR_INTERNAL, "cluster %s: %s %s: stopped by its consumer", c->name,
			method_names[call->method], call->path);
		return false;
	}
	if (rc != CURLE_OK) {
		transport_error(call, rc, err);
		/* Refused connections are retried only within the connect timeout, so an
		 * unreachable server is reported within that bound; a connect timeout is final. */
		if (rc == CURLE_COULDNT_CONNECT && idempotent(call))
			return retry_schedule(call, backoff_ms(call, 0), c->connect_ms);
		if (is_transient(rc) && idempotent(call))
			return retry_schedule(call, backoff_ms(call, 0), c->budget_ms);
		return false;
	}
	if (call->status >= 200 && call->status < 300)
		return false;
	status_error(call, err);
	if (call->status == 401 && !call->auth_retried && !call->delivered) {
		/* an expired exec credential or rotated token file: fetch anew, once */
		call->auth_retried = true;
		kube_auth_invalidate(c->auth);
		call_detach_easy(call);
		call->due_us = time_mono_us();
		return true;
	}
	curl_easy_getinfo(call->easy, CURLINFO_RETRY_AFTER, &retry_after);
	if (call->status == 429)
		return retry_schedule(call, backoff_ms(call, (long)retry_after * 1000),
				      c->budget_ms);
	if ((call->status == 500 || call->status == 503 || call->status == 504) && idempotent(call))
		return retry_schedule(call, backoff_ms(call, (long)retry_after * 1000),
				      c->budget_ms);
	return false;
}

static void call_finish(struct kube_call *call, CURLcode rc)
{
	struct err err = ERR_INIT;
	struct kube_response resp = {0};
	bool failed;
	int64_t now = time_mono_us();
	long conns = 0, httpv = 0;

	if (call->cancelled || !call->client) {
		call_free(call);
		return;
	}
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
	curl_easy_getinfo(call->easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(call->easy, CURLINFO_HTTP_VERSION, &httpv);
	call->client->connections += (uint64_t)conns;
	log_debug("cluster %s: %s %s%s -> %ld%s%s (%.1f ms, attempt %d)", call->client->name,
		  method_names[call->method], call->client->base_shown, call->path, call->status,
		  rc ? " " : "", rc ? curl_easy_strerror(rc) : "",
		  (double)(now - call->attempt_us) / 1000.0, call->attempt);
	if (call_evaluate(call, rc, &err)) {
		log_debug("%s; retrying", err.msg);
		return;
	}
	failed = err.code != ERR_OK;
	if (!failed && call->on_line && call->line.len && deliver_line(call) < 0) {
		err_set(&err, ERR_INTERNAL, "cluster %s: %s %s: stopped by its consumer",
			call->client->name, method_names[call->method], call->path);
		failed = true;
	}
	resp.status = call->status;
	resp.body = buf_str(&call->resp);
	resp.body_len = call->resp.len;
	resp.http_version = httpv == CURL_HTTP_VERSION_2_0 ? 2 : 1;
	call_detach_easy(call);
	call->in_done = true;
	if (call->on_done)
		call->on_done(call->arg, &resp, failed ? &err : NULL);
	call_free(call);
}

/* ---- stepping the loop ----------------------------------------------------------------- */

static void loop_sweep(struct kube_loop *loop)
{
	struct kube_call *call, *next;

	if (!loop->need_sweep)
		return;
	loop->need_sweep = false;
	for (call = TAILQ_FIRST(&loop->calls); call; call = next) {
		next = TAILQ_NEXT(call, link);
		if (call->cancelled && !call->in_done)
			call_free(call);
	}
}

/* Starts attempts that are due; returns the ms until the next one (or `cap`). */
static long loop_start_due(struct kube_loop *loop, long cap)
{
	int64_t now = time_mono_us();
	struct kube_call *call, *next;
	long wait = cap;

	for (call = TAILQ_FIRST(&loop->calls); call; call = next) {
		struct err err = ERR_INIT;
		struct kube_response resp = {.body = ""};

		next = TAILQ_NEXT(call, link);
		if (call->cancelled || call->easy || !call->due_us)
			continue;
		/* over the client's cap: waits, unstarted (no libcurl timer runs), for a slot */
		if (!call->urgent && call->client &&
		    call->client->inflight >= call->client->max_inflight)
			continue;
		if (call->due_us > now) {
			long ms = (long)((call->due_us - now + 999) / 1000);

			if (ms < wait)
				wait = ms;
			continue;
		}
		if (attempt_start(call, &err) == 0)
			continue;
		call->in_done = true;
		if (call->on_done)
			call->on_done(call->arg, &resp, &err);
		call_free(call);
		/* on_done may have freed or started other calls: restart the scan */
		next = TAILQ_FIRST(&loop->calls);
	}
	return wait;
}

/* Ends the calls whose answer stopped in the middle of a line, or stopped altogether, for
 * longer than they allow: a peer that sent half a line, or nothing for a while, is not
 * waited for until the call's timeout. Never inside a libcurl callback. */
static void loop_end_stalled(struct kube_loop *loop)
{
	int64_t now = time_mono_us();
	struct kube_call *call, *next;

	for (call = TAILQ_FIRST(&loop->calls); call; call = next) {
		next = TAILQ_NEXT(call, link);
		if (call->cancelled || !call->easy)
			continue;
		if (call->line_stall_ms && call->line_since_us &&
		    now - call->line_since_us >= call->line_stall_ms * 1000LL)
			call->line_stalled = true;
		else if (call->idle_ms && now - call->rx_us >= call->idle_ms * 1000LL)
			call->idle = true;
		else
			continue;
		call_finish(call, CURLE_OPERATION_TIMEDOUT);
		/* on_done may have freed or started other calls: restart the scan */
		next = TAILQ_FIRST(&loop->calls);
	}
}

static int loop_perform(struct kube_loop *loop, struct err *err)
{
	CURLMsg *msg;
	int running = 0, left = 0;
	CURLMcode mc;

	loop->busy++;
	mc = curl_multi_perform(loop->multi, &running);
	loop->busy--;
	loop_sweep(loop);
	loop_end_stalled(loop);
	if (mc != CURLM_OK)
		return err_set(err, ERR_INTERNAL, "libcurl: %s", curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(loop->multi, &left))) {
		struct kube_call *call = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		if (call)
			call_finish(call, msg->data.result);
	}
	return 0;
}

int kube_loop_step(struct kube_loop *loop, long timeout_ms, struct err *err)
{
	long wait;
	CURLMcode mc;

	if (loop->busy)
		return err_set(err, ERR_INTERNAL, "kube loop stepped from inside a body callback");
	loop_sweep(loop);
	loop_start_due(loop, 0);
	if (loop_perform(loop, err) < 0)
		return -1;
	if (TAILQ_EMPTY(&loop->calls))
		return 0;
	wait = loop_start_due(loop, timeout_ms < 0 ? 0 : timeout_ms);
	if (wait > 0) {
		mc = curl_multi_poll(loop->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK)
			return err_set(err, ERR_INTERNAL, "libcurl: %s", curl_multi_strerror(mc));
	}
	loop_start_due(loop, 0);
	if (loop_perform(loop, err) < 0)
		return -1;
	return (int)kube_loop_pending(loop);
}

int kube_loop_run(struct kube_loop *loop, long timeout_ms, struct err *err)
{
	int64_t deadline = time_mono_us() + (int64_t)timeout_ms * 1000;
	int n;

	while ((n = kube_loop_step(loop, 100, err)) > 0) {
		if (time_mono_us() > deadline)
			return err_set(err, ERR_TIMEOUT,
				       "%d API requests still running after %ld ms", n, timeout_ms);
	}
	return n < 0 ? -1 : 0;
}

struct kube_call *kube_call_start(struct kube_client *c, const struct kube_request *req,
				  struct err *err)
{
	struct kube_loop *loop = c->loop;
	struct kube_call *call;

	if (!req->path || req->path[0] != '/') {
		err_set(err, ERR_INTERNAL, "cluster %s: request path must start with '/'", c->name);
		return NULL;
	}
	if (req->on_data && req->on_line) {
		err_set(err, ERR_INTERNAL, "cluster %s: on_data and on_line are exclusive",
			c->name);
		return NULL;
	}
	call = xcalloc(1, sizeof(*call));
	call->loop = loop;
	call->client = c;
	call->method = req->method;
	call->path = xstrdup(req->path);
	call->url = xasprintf("%s%s", c->base_url, req->path);
	if (req->body) {
		call->body_len = req->body_len ? req->body_len : strlen(req->body);
		call->body = xmalloc(call->body_len + 1);
		memcpy(call->body, req->body, call->body_len);
		call->body[call->body_len] = '\0';
	}
	call->content_type = xstrdup_or_null(req->content_type);
	call->headers = strv_dup((char *const *)req->headers);
	call->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
	call->retry_post = req->retry_post;
	call->max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	call->max_line = req->max_line ? req->max_line : DEFAULT_MAX_LINE;
	call->line_stall_ms = req->on_line && req->line_stall_ms > 0 ? req->line_stall_ms : 0;
	call->idle_ms = req->idle_ms > 0 ? req->idle_ms : 0;
	call->on_data = req->on_data;
	call->on_line = req->on_line;
	call->on_header = req->on_header;
	call->on_done = req->on_done;
	call->arg = req->arg;
	/* errors are small; a huge error body is cut, never buffered whole */
	buf_init(&call->resp, (call->on_data || call->on_line) ? ERROR_BODY_LIMIT : call->max_body);
	buf_init(&call->line, call->max_line);
	call->first_us = time_mono_us();
	/* started by the next loop step: never inside a curl callback */
	call->due_us = call->first_us;
	TAILQ_INSERT_TAIL(&loop->calls, call, link);
	loop->ncalls++;
	return call;
}

/* ---- blocking helpers ------------------------------------------------------------------ */

struct sync_result {
	bool done;
	long status;
	char *body;
	struct err err;
};

static void sync_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct sync_result *r = arg;

	r->done = true;
	r->status = resp->status;
	if (err)
		r->err = *err;
	else
		r->body = xstrndup(resp->body, resp->body_len);
}

int kube_request_sync(struct kube_client *c, const struct kube_request *req, long *status,
		      char **out_body, struct err *err)
{
	struct sync_result r = {0};
	struct kube_request q = *req;
	struct kube_call *call;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->timeout_ms;
	/* the longest a request can take: each attempt's timeout plus the retry budget */
	int64_t deadline =
	    time_mono_us() + ((int64_t)timeout * c->max_attempts + c->budget_ms + 1000) * 1000;

	r.err.code = ERR_OK;
	q.on_done = sync_done;
	q.arg = &r;
	if (c->loop->busy)
		return err_set(err, ERR_INTERNAL, "blocking API call from inside a body callback");
	call = kube_call_start(c, &q, err);
	if (!call)
		return -1;
	/* a caller blocks on it (and its deadline runs): it must not queue behind streams */
	call->urgent = true;
	while (!r.done) {
		if (kube_loop_step(c->loop, 200, err) < 0) {
			kube_call_cancel(call);
			return -1;
		}
		if (!r.done && time_mono_us() > deadline) {
			kube_call_cancel(call);
			return err_set(err, ERR_TIMEOUT, "cluster %s: %s %s did not finish",
				       c->name, method_names[req->method], req->path);
		}
	}
	if (status)
		*status = r.status;
	if (r.err.code != ERR_OK) {
		free(r.body);
		if (err)
			*err = r.err;
		return -1;
	}
	if (out_body)
		*out_body = r.body;
	else
		free(r.body);
	return 0;
}

static struct cJSON *json_call(struct kube_client *c, enum kube_method m, const char *path,
			       const char *ctype, const struct cJSON *obj, struct err *err)
{
	struct kube_request q = {.method = m, .path = path, .content_type = ctype};
	char *in = obj ? json_print(obj) : NULL;
	char *body = NULL;
	struct cJSON *j = NULL;

	q.body = in;
	if (kube_request_sync(c, &q, NULL, &body, err) == 0) {
		j = json_parse(body, strlen(body), 0, err);
		if (!j)
			err_prefix(err, "cluster %s: %s %s", c->name, method_names[m], path);
	}
	free(in);
	free(body);
	return j;
}

struct cJSON *kube_get(struct kube_client *c, const char *path, struct err *err)
{
	return json_call(c, KUBE_GET, path, NULL, NULL, err);
}

struct cJSON *kube_create(struct kube_client *c, const char *path, const struct cJSON *obj,
			  struct err *err)
{
	return json_call(c, KUBE_POST, path, NULL, obj, err);
}

struct cJSON *kube_replace(struct kube_client *c, const char *path, const struct cJSON *obj,
			   struct err *err)
{
	return json_call(c, KUBE_PUT, path, NULL, obj, err);
}

struct cJSON *kube_patch(struct kube_client *c, const char *path, const char *patch_type,
			 const struct cJSON *patch, struct err *err)
{
	return json_call(c, KUBE_PATCH, path, patch_type, patch, err);
}

int kube_delete(struct kube_client *c, const char *path, const struct cJSON *options,
		struct err *err)
{
	struct kube_request q = {.method = KUBE_DELETE, .path = path};
	char *in = options ? json_print(options) : NULL;
	int rc;

	q.body = in;
	rc = kube_request_sync(c, &q, NULL, NULL, err);
	free(in);
	return rc;
}

int kube_server_version(struct kube_client *c, char *out, size_t outsz, struct err *err)
{
	struct cJSON *j = kube_get(c, "/version", err);
	const char *v = NULL;
	int rc = -1;

	if (!j)
		return -1;
	if (json_get_string(j, "gitVersion", &v, NULL) != 0 || !v) {
		err_set(err, ERR_PROTO, "cluster %s: /version has no gitVersion string", c->name);
		goto out;
	}
	str_copy(out, outsz, v);
	rc = 0;
out:
	cJSON_Delete(j);
	return rc;
}

/* ---- paginated lists ------------------------------------------------------------------- */

struct list_state {
	struct kube_client *c;
	char *path, *label_selector, *field_selector, *cont;
	long page_size;
	size_t items;
	kube_item_fn on_item;
	kube_list_done_fn on_done;
	void *arg;
};

static void list_finish(struct list_state *s, const struct err *err)
{
	if (s->on_done)
		s->on_done(s->arg, s->items, err);
	free(s->path);
	free(s->label_selector);
	free(s->field_selector);
	free(s->cont);
	free(s);
}

static void list_page_done(void *arg, const struct kube_response *resp, const struct err *err);

static int list_page(struct list_state *s, struct err *err)
{
	struct buf p;
	struct kube_request q = {.method = KUBE_GET, .on_done = list_page_done, .arg = s};
	struct kube_call *call;
	char *e;
	int rc = 0;

	buf_init(&p, 0);
	(void)!buf_printf(&p, "%s%climit=%ld", s->path, strchr(s->path, '?') ? '&' : '?',
			  s->page_size);
	if (s->label_selector) {
		e = kube_escape(s->label_selector);
		(void)!buf_printf(&p, "&labelSelector=%s", e);
		free(e);
	}
	if (s->field_selector) {
		e = kube_escape(s->field_selector);
		(void)!buf_printf(&p, "&fieldSelector=%s", e);
		free(e);
	}
	if (s->cont) {
		e = kube_escape(s->cont);
		(void)!buf_printf(&p, "&continue=%s", e);
		free(e);
	}
	q.path = p.data;
	call = kube_call_start(s->c, &q, err);
	if (!call)
		rc = -1;
	else
		call->urgent = true; /* short reads; never stuck behind long probe streams */
	buf_release(&p);
	return rc;
}

static int list_items(struct list_state *s, const struct cJSON *page, struct err *err)
{
	const struct cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
	const struct cJSON *it;

	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))
		return err_set(err, ERR_PROTO, "cluster %s: list %s: 'items' is not an array",
			       s->c->name, s->path);
	cJSON_ArrayForEach(it, items)
	{
		if (s->on_item && s->on_item(s->arg, it, err) < 0) {
			if (err->code == ERR_OK)
				err_set(err, ERR_INTERNAL, "cluster %s: list %s stopped",
					s->c->name, s->path);
			return -1;
		}
		s->items++;
	}
	return 0;
}

static void list_page_done(void *arg, const struct kube_response *resp, const struct err *cerr)
{
	struct list_state *s = arg;
	struct err err = ERR_INIT;
	struct cJSON *page = NULL;
	const struct cJSON *meta;
	const char *cont = NULL;

	if (cerr) {
		list_finish(s, cerr);
		return;
	}
	page = json_parse(resp->body, resp->body_len, 0, &err);
	if (!page) {
		err_prefix(&err, "cluster %s: list %s", s->c->name, s->path);
		goto fail;
	}
	if (list_items(s, page, &err) < 0)
		goto fail;
	meta = cJSON_GetObjectItemCaseSensitive(page, "metadata");
	if (meta)
		json_get_string(meta, "continue", &cont, NULL);
	if (cont && *cont) {
		free(s->cont);
		s->cont = xstrdup(cont);
		cJSON_Delete(page);
		if (list_page(s, &err) < 0)
			list_finish(s, &err);
		return;
	}
	cJSON_Delete(page);
	list_finish(s, NULL);
	return;
fail:
	cJSON_Delete(page);
	list_finish(s, &err);
}

int kube_list_start(struct kube_client *c, const char *path, const struct kube_list_opts *o,
		    struct err *err)
{
	struct list_state *s = xcalloc(1, sizeof(*s));

	s->c = c;
	s->path = xstrdup(path);
	s->label_selector = xstrdup_or_null(o->label_selector);
	s->field_selector = xstrdup_or_null(o->field_selector);
	s->page_size = o->page_size > 0 ? o->page_size : 500;
	s->on_item = o->on_item;
	s->on_done = o->on_done;
	s->arg = o->arg;
	if (list_page(s, err) < 0) {
		s->on_done = NULL;
		list_finish(s, NULL);
		return -1;
	}
	return 0;
}

struct list_sync {
	bool done;
	size_t items;
	struct err err;
	kube_item_fn on_item; /* the caller's */
	void *arg;
};

static int list_sync_item(void *arg, const struct cJSON *item, struct err *err)
{
	struct list_sync *r = arg;

	return r->on_item ? r->on_item(r->arg, item, err) : 0;
}

static void list_sync_done(void *arg, size_t items, const struct err *err)
{
	struct list_sync *r = arg;

	r->done = true;
	r->items = items;
	if (err)
		r->err = *err;
}

long kube_list(struct kube_client *c, const char *path, const struct kube_list_opts *o,
	       struct err *err)
{
	struct list_sync r = {.err = ERR_INIT, .on_item = o->on_item, .arg = o->arg};
	struct kube_list_opts q = *o;

	q.on_item = list_sync_item;
	q.on_done = list_sync_done;
	q.arg = &r;
	if (c->loop->busy)
		return err_set(err, ERR_INTERNAL, "blocking API call from inside a body callback");
	if (kube_list_start(c, path, &q, err) < 0)
		return -1;
	/* every page is a bounded request, so this ends */
	while (!r.done)
		if (kube_loop_step(c->loop, 200, err) < 0)
			return -1;
	if (r.err.code != ERR_OK) {
		if (err)
			*err = r.err;
		return -1;
	}
	return (long)r.items;
}
