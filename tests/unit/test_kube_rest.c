/* The REST layer of src/kube against a scripted HTTP/1.1 server on loopback (a thread of
 * this test): retries and their bounds, Retry-After, error mapping, body and line caps,
 * line splitting across chunks, cancellation, headers passed and redacted in logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kube.h"

/* ---- scripted server ---------------------------------------------------------------------- */

#define MAX_STEPS 8

/* One answer: parts written with gap_ms between them; parts[0] == NULL closes the
 * connection without answering. */
struct step {
	const char *parts[4];
	int gap_ms;
};

struct fake {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t mu;
	struct step script[MAX_STEPS];
	size_t nsteps, next;
	int requests;
	char log[32768]; /* request lines and headers of every request */
	size_t loglen;
	volatile int stop;
};

static void fake_log(struct fake *f, const char *s, size_t n)
{
	pthread_mutex_lock(&f->mu);
	if (f->loglen + n < sizeof(f->log)) {
		memcpy(f->log + f->loglen, s, n);
		f->loglen += n;
		f->log[f->loglen] = '\0';
	}
	pthread_mutex_unlock(&f->mu);
}

/* Reads one request (headers + Content-Length body); 0 on success, -1 when the peer left. */
static int read_request(struct fake *f, int fd)
{
	char req[65536];
	size_t len = 0;
	char *end = NULL;
	long clen = 0;
	const char *cl;

	while (!end) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (f->stop || poll(&p, 1, 100) < 0)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		req[len] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (!end && len >= sizeof(req) - 1)
			return -1;
	}
	fake_log(f, req, (size_t)(end + 4 - req));
	cl = strcasestr(req, "\r\nContent-Length:");
	if (cl)
		clen = strtol(cl + 17, NULL, 10);
	for (long have = (long)(len - (size_t)(end + 4 - req)); have < clen;) {
		ssize_t n =
		    read(fd, req,
			 sizeof(req) < (size_t)(clen - have) ? sizeof(req) : (size_t)(clen - have));

		if (n <= 0)
			return -1;
		have += n;
	}
	return 0;
}

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		/* the client may hang up first (caps, cancel): no SIGPIPE */
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void serve_conn(struct fake *f, int fd)
{
	while (!f->stop && read_request(f, fd) == 0) {
		struct step st = {
		    .parts = {"HTTP/1.1 599 Script Ended\r\nContent-Length: 0\r\n\r\n"}, 0};

		pthread_mutex_lock(&f->mu);
		f->requests++;
		if (f->next < f->nsteps)
			st = f->script[f->next++];
		pthread_mutex_unlock(&f->mu);
		if (!st.parts[0])
			return;
		for (int i = 0; i < 4 && st.parts[i]; i++) {
			if (i)
				usleep((useconds_t)st.gap_ms * 1000);
			write_all(fd, st.parts[i]);
		}
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	while (!f->stop) {
		struct pollfd p = {f->lfd, POLLIN, 0};
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_conn(f, fd);
		close(fd);
	}
	return NULL;
}

static struct fake *fake_start(const struct step *steps, size_t n)
{
	struct fake *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	assert_true(n <= MAX_STEPS);
	memcpy(f->script, steps, n * sizeof(*steps));
	f->nsteps = n;
	pthread_mutex_init(&f->mu, NULL);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 16), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &len), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
	return f;
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
	close(f->lfd);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* ---- client side --------------------------------------------------------------------------- */

static struct kube_loop *loop;

static struct kube_client *client_for(struct fake *f, const struct kube_client_opts *o)
{
	char server[64];
	struct kube_target t = {0};
	struct err err = ERR_INIT;
	struct kube_client *c;

	snprintf(server, sizeof(server), "http://127.0.0.1:%d", f->port);
	t.name = "fake";
	t.server = server;
	t.namespace = "default";
	t.token = "tok-123";
	c = kube_client_new(loop, &t, o, &err);
	if (!c)
		fail_msg("%s", err.msg);
	return c;
}

#define OK_JSON                                                                                    \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "                    \
	"11\r\n\r\n{\"ok\":true}"

static void test_429_honours_retry_after(void **state)
{
	const struct step steps[] = {
	    {.parts =
		 {"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"}},
	    {.parts = {OK_JSON}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();
	/* 429 means "not processed": even a POST is sent again */
	struct kube_request q = {.method = KUBE_POST, .path = "/api/v1/namespaces", .body = "{}"};

	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), 0);
	assert_true(time_mono_us() - t0 >= 950 * 1000);
	assert_int_equal(kube_client_requests(c), 2);
	assert_int_equal(f->requests, 2);
	kube_client_free(c);
	fake_stop(f);
}

static void test_503_get_retried_post_not(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"}},
	    {.parts = {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"}},
	    {.parts = {OK_JSON}},
	    {.parts = {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	struct cJSON *j = kube_get(c, "/api/v1/nodes", &err);
	struct kube_request q = {.method = KUBE_POST, .path = "/api/v1/nodes", .body = "{}"};

	assert_non_null(j);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
	cJSON_Delete(j);
	assert_int_equal(kube_client_requests(c), 3);
	/* a POST is not idempotent: one try, and the error says what happened */
	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_API);
	assert_non_null(strstr(err.msg, "HTTP 503 POST /api/v1/nodes"));
	assert_int_equal(kube_client_requests(c), 4);
	kube_client_free(c);
	fake_stop(f);
}

static void test_attempts_bounded(void **state)
{
	const struct step e500 = {
	    .parts = {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"}};
	const struct step steps[] = {e500, e500, e500, e500, e500};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client_opts o = {.max_attempts = 3};
	struct kube_client *c = client_for(f, &o);
	struct err err = ERR_INIT;

	assert_null(kube_get(c, "/api/v1/nodes", &err));
	assert_int_equal(err.code, ERR_API);
	assert_int_equal(kube_client_requests(c), 3);
	assert_int_equal(f->requests, 3);
	kube_client_free(c);
	fake_stop(f);
}

static void test_dropped_connection_retried_for_get(void **state)
{
	const struct step steps[] = {{.parts = {NULL}}, {.parts = {OK_JSON}}};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	struct cJSON *j = kube_get(c, "/version", &err);

	if (!j)
		fail_msg("%s", err.msg);
	cJSON_Delete(j);
	assert_int_equal(f->requests, 2);
	kube_client_free(c);
	fake_stop(f);
}

static void test_status_objects_mapped(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: "
		       "102\r\n\r\n"
		       "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"AlreadyExists\","
		       "\"message\":"
		       "\"secrets \\\"x\\\" already exists\"}"}},
	    {.parts =
		 {"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: "
		  "186\r\n\r\n"
		  "{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"daemonsets.apps is "
		  "forbidden: User \\\"x\\\" cannot create resource \\\"daemonsets\\\" in API "
		  "group "
		  "\\\"apps\\\" in the namespace \\\"kosmos-system\\\"\"}"}},
	    {.parts = {"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: "
		       "37\r\n\r\n"
		       "<html>\n<b>upstream\tdown</b>\n</html>\n\n"}},
	    {.parts = {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	struct kube_request q = {.method = KUBE_POST, .path = "/x", .body = "{}"};

	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_EXISTS);
	assert_non_null(strstr(err.msg, "cluster fake: secrets \"x\" already exists"));
	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_AUTH);
	assert_non_null(strstr(err.msg, "forbidden: User \"x\" cannot create resource "
					"\"daemonsets\" in API group \"apps\" in the namespace "
					"\"kosmos-system\""));
	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_API);
	/* not a Status: the start of the body, on one line */
	assert_non_null(strstr(err.msg, "<html> <b>upstream down</b> </html> (HTTP 502"));
	assert_null(kube_get(c, "/gone", &err));
	assert_int_equal(err.code, ERR_NOTFOUND);
	kube_client_free(c);
	fake_stop(f);
}

/* clusternodes.kosmos.io (docs/kosmos.md, "Gateway mode"): a list read with its roles,
 * addresses and pod CIDRs; a host without the CRD has none (no error); an object of the
 * wrong shape is one line naming it. */
static char *json_answer(const char *body)
{
	return xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
			 "%zu\r\n\r\n%s",
			 strlen(body), body);
}

static void test_kosmos_clusternodes(void **state)
{
	char *good = json_answer(
	    "{\"kind\":\"ClusterNodeList\",\"metadata\":{},\"items\":["
	    "{\"metadata\":{\"name\":\"west-node-3\"},\"spec\":{\"clusterName\":\"west\","
	    "\"nodeName\":\"west-node-3\",\"ip\":\"198.18.4.12\",\"ip6\":\"fd00:18:1::c\","
	    "\"podCIDRs\":[\"198.19.0.16/29\",\"fd00:19:1:2::/64\"],\"roles\":[\"gateway\"],"
	    "\"interfaceName\":\"eth0\"}},"
	    "{\"metadata\":{\"name\":\"west-node-1\"},\"spec\":{\"clusterName\":\"west\","
	    "\"nodeName\":\"west-node-1\",\"ip\":\"198.18.4.10\",\"roles\":[\"node\"]}}]}");
	char *bad =
	    json_answer("{\"kind\":\"ClusterNodeList\",\"metadata\":{},\"items\":["
			"{\"metadata\":{\"name\":\"x1\"},\"spec\":{\"clusterName\":\"west\","
			"\"nodeName\":\"west-node-1\",\"roles\":\"gateway\"}}]}");
	const struct step steps[] = {
	    {.parts = {good}},
	    {.parts = {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"}},
	    {.parts = {bad}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	struct kube_kosmos_node *v;
	size_t n;
	bool present;

	(void)state;
	assert_int_equal(kube_kosmos_nodes(c, &v, &n, &present, &err), 0);
	assert_true(present);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].cluster, "west");
	assert_string_equal(v[0].node, "west-node-3");
	assert_string_equal(v[0].ip6, "fd00:18:1::c");
	assert_string_equal(v[0].pod_cidrs[1], "fd00:19:1:2::/64");
	assert_null(v[0].pod_cidrs[2]);
	assert_true(kube_kosmos_node_has_role(&v[0], "gateway"));
	assert_false(kube_kosmos_node_has_role(&v[1], "gateway"));
	assert_null(v[1].ip6);
	assert_null(v[1].pod_cidrs);
	kube_kosmos_nodes_free(v, n);
	assert_int_equal(kube_kosmos_nodes(c, &v, &n, &present, &err), 0);
	assert_false(present);
	assert_int_equal(n, 0);
	assert_int_equal(kube_kosmos_nodes(c, &v, &n, &present, &err), -1);
	assert_int_equal(err.code, ERR_PROTO);
	assert_non_null(strstr(err.msg, "ClusterNode x1: roles is not a list"));
	assert_null(strchr(err.msg, '\n'));
	kube_client_free(c);
	fake_stop(f);
	free(good);
	free(bad);
}

static void test_body_cap(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
		       "0123456789012345678901234567890123456789012345678901234567890123456789"
		       "012345678901234567890123456789"}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct err err = ERR_INIT;
	struct kube_request q = {.method = KUBE_GET, .path = "/big", .max_body = 64};

	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "limit of 64 bytes"));
	kube_client_free(c);
	fake_stop(f);
}

struct got_lines {
	int n;
	char lines[8][64];
	bool done;
	struct err err;
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct got_lines *g = arg;

	if (g->n < 8)
		snprintf(g->lines[g->n], sizeof(g->lines[0]), "%.*s", (int)len, line);
	g->n++;
	return 0;
}

static void on_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct got_lines *g = arg;

	g->done = true;
	if (err)
		g->err = *err;
}

static void test_lines_split_across_chunks(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n"
		       "c\r\n{\"a\":1}\n{\"b\"\r\n",
		       "a\r\n:2}\r\n{\"c\":\r\n", "3\r\n3}\n\r\n6\r\n{\"d\":4\r\n0\r\n\r\n"},
	     .gap_ms = 30},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 5000, &err), 0);
	assert_true(g.done);
	assert_int_equal(g.err.code, ERR_OK);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.lines[0], "{\"a\":1}");
	/* "\r\n" inside a JSON line ends it too */
	assert_string_equal(g.lines[1], "{\"b\":2}");
	assert_string_equal(g.lines[2], "{\"c\":3}");
	/* the last line has no newline and still arrives */
	assert_string_equal(g.lines[3], "{\"d\":4");
	kube_client_free(c);
	fake_stop(f);
}

static void test_line_cap(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 43\r\n\r\n",
		       "short\nthis line is much longer than twenty\n"}},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .max_line = 20,
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 5000, &err), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.err.code, ERR_LIMIT);
	assert_non_null(strstr(g.err.msg, "line limit of 20 bytes"));
	kube_client_free(c);
	fake_stop(f);
}

static void test_line_stalled_midway_ends_the_call(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"a\":1}\n{\"b\"", ":2}\n"},
	     .gap_ms = 3000},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .line_stall_ms = 300,
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 5000, &err), 0);
	/* ended 0.3 s after the half line, not when the rest came 3 s later */
	assert_true(time_mono_us() - t0 < 2000000);
	assert_true(g.done);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.err.code, ERR_TIMEOUT);
	assert_non_null(strstr(g.err.msg, "stalled in the middle of a line for 300 ms"));
	kube_client_free(c);
	fake_stop(f);
}

static void test_pause_between_lines_is_no_stall(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"a\":1}\n", "{\"b\":2}\n"},
	     .gap_ms = 700},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .line_stall_ms = 300,
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 5000, &err), 0);
	assert_true(g.done);
	assert_int_equal(g.err.code, ERR_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.lines[1], "{\"b\":2}");
	kube_client_free(c);
	fake_stop(f);
}

/* An answer that stops coming ends at idle_ms, long before the call's timeout. */
static void test_silent_answer_ends_at_idle(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"a\":1}\n", "{\"b\":2}\n"},
	     .gap_ms = 3000},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .timeout_ms = 20000,
				 .idle_ms = 400,
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	/* ended 0.4 s after the first line, not when the second came 3 s later */
	assert_true(time_mono_us() - t0 < 2000000);
	assert_true(g.done);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.err.code, ERR_TIMEOUT);
	assert_non_null(strstr(g.err.msg, "nothing of the answer for 400 ms"));
	kube_client_free(c);
	fake_stop(f);
}

/* An answer that keeps coming may take longer than idle_ms in all. */
static void test_answer_that_keeps_coming_outlives_idle(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 32\r\n\r\n{\"a\":1}\n", "{\"b\":2}\n",
		       "{\"c\":3}\n", "{\"d\":4}\n"},
	     .gap_ms = 250},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/stream",
				 .idle_ms = 400,
				 .on_line = on_line,
				 .on_done = on_done,
				 .arg = &g};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	assert_true(time_mono_us() - t0 >= 700000); /* three gaps of 250 ms: past idle_ms */
	assert_true(g.done);
	assert_int_equal(g.err.code, ERR_OK);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.lines[3], "{\"d\":4}");
	kube_client_free(c);
	fake_stop(f);
}

static void test_cancel_skips_callback(void **state)
{
	const struct step steps[] = {
	    {.parts = {"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", "{\"ok\":true}"},
	     .gap_ms = 1500},
	};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	struct got_lines g = {.err = ERR_INIT};
	struct kube_request q = {
	    .method = KUBE_GET, .path = "/slow", .on_done = on_done, .arg = &g};
	struct err err = ERR_INIT;
	struct kube_call *call = kube_call_start(c, &q, &err);
	int64_t t0 = time_mono_us();

	assert_non_null(call);
	assert_true(kube_loop_step(loop, 100, &err) >= 0);
	kube_call_cancel(call);
	assert_int_equal(kube_loop_pending(loop), 0);
	assert_int_equal(kube_loop_run(loop, 3000, &err), 0);
	assert_false(g.done);
	assert_true(time_mono_us() - t0 < 1000 * 1000);
	kube_client_free(c);
	fake_stop(f);
}

static void test_headers_sent_and_redacted(void **state)
{
	const struct step steps[] = {{.parts = {OK_JSON}}};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client *c = client_for(f, NULL);
	const char *const hdrs[] = {"X-Floater-Token: floater-secret", NULL};
	struct kube_request q = {
	    .method = KUBE_POST, .path = "/v1/probe", .body = "{\"id\":1}", .headers = hdrs};
	struct err err = ERR_INIT;
	char tmpl[] = "/tmp/netctl-kube-rest-log.XXXXXX";
	int logfd = mkstemp(tmpl), saved = dup(2);
	struct buf logged;

	assert_true(logfd >= 0);
	/* trace logging of headers goes to stderr: capture it */
	fflush(stderr);
	dup2(logfd, 2);
	log_set_level(LOG_TRACE);
	assert_int_equal(kube_request_sync(c, &q, NULL, NULL, &err), 0);
	log_set_level(LOG_WARN);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(logfd);
	/* the server got the credentials and the custom header ... */
	assert_non_null(strstr(f->log, "Authorization: Bearer tok-123\r\n"));
	assert_non_null(strstr(f->log, "X-Floater-Token: floater-secret\r\n"));
	assert_non_null(strstr(f->log, "Content-Type: application/json\r\n"));
	/* ... and the log shows neither secret */
	buf_init(&logged, 1 << 20);
	assert_int_equal(file_read_all(tmpl, 1 << 20, &logged, &err), 0);
	unlink(tmpl);
	assert_non_null(strstr(logged.data, "POST /v1/probe"));
	assert_non_null(strstr(logged.data, "Authorization: <redacted>"));
	assert_non_null(strstr(logged.data, "X-Floater-Token: <redacted>"));
	assert_null(strstr(logged.data, "tok-123"));
	assert_null(strstr(logged.data, "floater-secret"));
	buf_release(&logged);
	kube_client_free(c);
	fake_stop(f);
}

static void test_proxy_url_used(void **state)
{
	const struct step steps[] = {{.parts = {OK_JSON}}};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	char proxy[64];
	/* nothing listens on port 1: only the proxy can answer */
	struct kube_target t = {
	    .name = "via-proxy", .server = "http://127.0.0.1:1", .proxy_url = proxy};
	struct err err = ERR_INIT;
	struct kube_client *c;
	struct cJSON *j;

	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", f->port);
	c = kube_client_new(loop, &t, NULL, &err);
	assert_non_null(c);
	j = kube_get(c, "/version", &err);
	if (!j)
		fail_msg("%s", err.msg);
	cJSON_Delete(j);
	assert_non_null(strstr(f->log, "GET http://127.0.0.1:1/version HTTP/1.1\r\n"));
	kube_client_free(c);
	fake_stop(f);
}

static void test_server_password_hidden(void **state)
{
	const struct step steps[] = {{.parts = {OK_JSON}}};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	char server[96];
	struct kube_target t = {.server = server};
	struct kube_client_opts o = {.connect_timeout_ms = 300};
	struct err err = ERR_INIT;
	char tmpl[] = "/tmp/netctl-kube-rest-log.XXXXXX";
	int logfd = mkstemp(tmpl), saved = dup(2);
	struct kube_client *c;
	struct cJSON *j;
	struct buf logged;

	snprintf(server, sizeof(server), "http://alice:s3cret@127.0.0.1:%d", f->port);
	c = kube_client_new(loop, &t, &o, &err);
	assert_non_null(c);
	assert_true(logfd >= 0);
	fflush(stderr);
	dup2(logfd, 2);
	log_set_level(LOG_TRACE);
	j = kube_get(c, "/version", &err);
	log_set_level(LOG_WARN);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(logfd);
	if (!j)
		fail_msg("%s", err.msg);
	cJSON_Delete(j);
	kube_client_free(c);
	fake_stop(f);
	buf_init(&logged, 1 << 20);
	assert_int_equal(file_read_all(tmpl, 1 << 20, &logged, &err), 0);
	unlink(tmpl);
	if (strstr(logged.data, "s3cret") || !strstr(logged.data, "http://***@127.0.0.1:"))
		fail_msg("log: %s", logged.data);
	buf_release(&logged);

	/* errors name the server (and the client, named after it) without the password */
	snprintf(server, sizeof(server), "http://alice:s3cret@127.0.0.1:1");
	c = kube_client_new(loop, &t, &o, &err);
	assert_non_null(c);
	assert_null(kube_get(c, "/version", &err));
	if (strstr(err.msg, "s3cret") || !strstr(err.msg, "cannot reach http://***@127.0.0.1:1"))
		fail_msg("error: %s", err.msg);
	assert_string_equal(kube_client_name(c), "http://***@127.0.0.1:1");
	kube_client_free(c);
}

struct order {
	int seen[4], n;
};

static void order_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct order *o = arg;
	struct cJSON *j = err ? NULL : cJSON_ParseWithLength(resp->body, resp->body_len);
	long v = -1;

	json_get_long(j, "n", 0, 9, &v, NULL);
	if (o->n < 4)
		o->seen[o->n++] = (int)v;
	cJSON_Delete(j);
}

#define N_JSON(n) "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"n\":" #n "}"

static void test_inflight_cap_keeps_order(void **state)
{
	const struct step steps[] = {
	    {.parts = {N_JSON(1)}}, {.parts = {N_JSON(2)}}, {.parts = {N_JSON(3)}}};
	struct fake *f = fake_start(steps, ARRAY_SIZE(steps));
	struct kube_client_opts o = {.max_inflight = 1};
	struct kube_client *c = client_for(f, &o);
	struct order ord = {{0}, 0};
	struct kube_request q = {
	    .method = KUBE_GET, .path = "/n", .on_done = order_done, .arg = &ord};
	struct err err = ERR_INIT;

	for (int i = 0; i < 3; i++)
		assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_pending(loop), 3);
	assert_int_equal(kube_loop_run(loop, 5000, &err), 0);
	/* one at a time, first come first served */
	assert_int_equal(ord.n, 3);
	assert_int_equal(ord.seen[0], 1);
	assert_int_equal(ord.seen[1], 2);
	assert_int_equal(ord.seen[2], 3);
	kube_client_free(c);
	fake_stop(f);
}

static void test_escape(void **state)
{
	char *e = kube_escape("app.kubernetes.io/managed-by=netctl,a in (b c)");

	assert_string_equal(e, "app.kubernetes.io%2Fmanaged-by%3Dnetctl%2Ca%20in%20%28b%20c%29");
	free(e);
}

static int setup(void **state)
{
	struct err err = ERR_INIT;

	loop = kube_loop_new(&err);
	return loop ? 0 : -1;
}

static int teardown(void **state)
{
	kube_loop_free(loop);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_429_honours_retry_after),
	    cmocka_unit_test(test_503_get_retried_post_not),
	    cmocka_unit_test(test_attempts_bounded),
	    cmocka_unit_test(test_dropped_connection_retried_for_get),
	    cmocka_unit_test(test_status_objects_mapped),
	    cmocka_unit_test(test_kosmos_clusternodes),
	    cmocka_unit_test(test_body_cap),
	    cmocka_unit_test(test_lines_split_across_chunks),
	    cmocka_unit_test(test_line_cap),
	    cmocka_unit_test(test_line_stalled_midway_ends_the_call),
	    cmocka_unit_test(test_pause_between_lines_is_no_stall),
	    cmocka_unit_test(test_silent_answer_ends_at_idle),
	    cmocka_unit_test(test_answer_that_keeps_coming_outlives_idle),
	    cmocka_unit_test(test_cancel_skips_callback),
	    cmocka_unit_test(test_headers_sent_and_redacted),
	    cmocka_unit_test(test_proxy_url_used),
	    cmocka_unit_test(test_server_password_hidden),
	    cmocka_unit_test(test_inflight_cap_keeps_order),
	    cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
