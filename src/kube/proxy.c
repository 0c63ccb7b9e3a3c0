/* pods/proxy: requests to a floater through the API server, answers streamed as lines. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"

#define DEFAULT_PROXY_LINE (64u << 10)

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

struct kube_call *kube_proxy_start(struct kube_client *c, const struct kube_proxy_request *r,
				   struct err *err)
{
	struct kube_request q = {0};
	struct kube_call *call;
	char *path;

	if (!name_ok(r->ns) || !name_ok(r->pod)) {
		err_set(err, ERR_USAGE, "cluster %s: invalid pod %s/%s", kube_client_name(c),
			r->ns ? r->ns : "", r->pod ? r->pod : "");
		return NULL;
	}
	if (r->port < 1 || r->port > 65535 || !r->path || r->path[0] != '/' ||
	    (r->method != KUBE_GET && r->method != KUBE_POST)) {
		err_set(err, ERR_USAGE, "cluster %s: invalid proxy request to pod %s",
			kube_client_name(c), r->pod);
		return NULL;
	}
	path =
	    xasprintf("/api/v1/namespaces/%s/pods/%s:%d/proxy%s", r->ns, r->pod, r->port, r->path);
	q.method = r->method;
	q.path = path;
	q.body = r->body;
	q.body_len = r->body_len;
	q.headers = r->headers;
	q.timeout_ms = r->timeout_ms;
	q.max_line = r->max_line ? r->max_line : DEFAULT_PROXY_LINE;
	q.max_body = r->max_body;
	q.line_stall_ms = r->line_stall_ms;
	q.idle_ms = r->idle_ms;
	q.on_line = r->on_line;
	q.on_header = r->on_header;
	q.on_done = r->on_done;
	q.arg = r->arg;
	/* a probe request is never repeated behind the caller's back */
	q.retry_post = false;
	call = kube_call_start(c, &q, err);
	free(path);
	return call;
}
