/* Custom targets: what --target and config.json's customizedTargetIPList x
 * customizedTargetPortList name, read into address, family and port. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

static int port_parse(const char *s, const char *text, const char *what, int *port, struct err *err)
{
	long v;
	struct err local = ERR_INIT;

	if (str_to_long(s, 1, 65535, &v, "port", &local) < 0)
		return err_set(err, ERR_USAGE, "%s %s: '%s' is not a port (1-65535)", what, text,
			       s);
	*port = (int)v;
	return 0;
}

static int addr_parse(const char *s, const char *text, const char *what, struct run_target *t,
		      struct err *err)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		t->family = 4;
	else if (inet_pton(AF_INET6, s, a) == 1)
		t->family = 6;
	else
		return err_set(err, ERR_USAGE,
			       "%s %s: '%s' is not an IP address (names are not resolved; an "
			       "IPv6 address with a port is written [ADDR]:PORT)",
			       what, text, s);
	/* the canonical text: what is stored, shown and compared */
	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, a, t->addr, sizeof(t->addr));
	return 0;
}

int run_target_parse(const char *text, const char *what, struct run_target *t, struct err *err)
{
	char buf[64];
	const char *colon;

	memset(t, 0, sizeof(*t));
	if (!*text || strlen(text) >= sizeof(buf))
		return err_set(err, ERR_USAGE, "%s '%s': not ADDR[:PORT]", what, text);
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || (end[1] && end[1] != ':'))
			return err_set(err, ERR_USAGE,
				       "%s %s: write an IPv6 address as [ADDR]:PORT", what, text);
		snprintf(buf, sizeof(buf), "%.*s", (int)(end - text - 1), text + 1);
		if (addr_parse(buf, text, what, t, err) < 0)
			return -1;
		if (t->family != 6)
			return err_set(err, ERR_USAGE, "%s %s: brackets are for IPv6 addresses",
				       what, text);
		return end[1] ? port_parse(end + 2, text, what, &t->port, err) : 0;
	}
	colon = strchr(text, ':');
	if (colon && !strchr(colon + 1, ':')) { /* one colon: IPv4 with a port */
		snprintf(buf, sizeof(buf), "%.*s", (int)(colon - text), text);
		if (addr_parse(buf, text, what, t, err) < 0)
			return -1;
		if (t->family != 4)
			return err_set(err, ERR_USAGE, "%s %s: not ADDR[:PORT]", what, text);
		return port_parse(colon + 1, text, what, &t->port, err);
	}
	return addr_parse(text, text, what, t, err);
}

void run_target_format(const struct run_target *t, char *dst, size_t dstsz)
{
	if (!t->port)
		snprintf(dst, dstsz, "%s", t->addr);
	else if (t->family == 6)
		snprintf(dst, dstsz, "[%s]:%d", t->addr, t->port);
	else
		snprintf(dst, dstsz, "%s:%d", t->addr, t->port);
}

/* ---- DNS names --------------------------------------------------------------------------- */

int run_dns_name_parse(const char *text, const char *what, struct run_dns_name *n, struct err *err)
{
	const char *eq = strchr(text, '=');
	size_t len = eq ? (size_t)(eq - text) : strlen(text);
	struct run_target t;

	memset(n, 0, sizeof(*n));
	if (len >= sizeof(n->name))
		return err_set(err, ERR_USAGE,
			       "%s '%.40s...': a DNS name has at most %d characters", what, text,
			       WIRE_MAX_DNS_NAME);
	memcpy(n->name, text, len);
	n->name[len] = '\0';
	if (!wire_dns_name_ok(n->name))
		return err_set(err, ERR_USAGE,
			       "%s '%s': not a DNS name (labels of 1-63 letters, digits, '-' or "
			       "'_', dot-separated; NAME or NAME=ADDR)",
			       what, text);
	if (!eq)
		return 0;
	if (addr_parse(eq + 1, text, what, &t, err) < 0)
		return -1;
	str_copy(n->expect, sizeof(n->expect), t.addr);
	n->expect_family = t.family;
	return 0;
}

void run_dns_name_format(const struct run_dns_name *n, char *dst, size_t dstsz)
{
	snprintf(dst, dstsz, "%s%s%s", n->name, n->expect[0] ? "=" : "", n->expect);
}

/* ---- the API server ------------------------------------------------------------------------ */

void run_apiserver_list(struct run_engine *e)
{
	for (size_t c = 0; e->o.apiserver && c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];
		struct kube_endpoint ep[RUN_APISERVER_MAX];
		struct err err = ERR_INIT;
		size_t n = 0;

		if (kube_apiserver_endpoints(ec->client, ep, RUN_APISERVER_MAX, &n, &err) < 0) {
			run_engine_warn(e, "%s: no API server check: %s", ec->in->name, err.msg);
			continue;
		}
		if (!n) {
			run_engine_warn(e,
					"%s: no API server check: the kubernetes Endpoints in "
					"namespace default list no address",
					ec->in->name);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct run_target *t = &ec->apiserver[ec->napiserver];

			/* an address not of the run's families is not probed (plan.c) */
			if (run_target_parse(ep[i].ip, "endpoint", t, &err) < 0)
				continue;
			t->port = ep[i].port;
			ec->napiserver++;
		}
		e->res->apiserver_addresses += (int64_t)ec->napiserver;
	}
}
