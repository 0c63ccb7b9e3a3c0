/* resolvconf: the nameservers of the floater's pod, read from its resolv.conf the way glibc's
 * resolver takes them (the kubelet writes the file from the cluster DNS it is given), so that
 * netctl's default DNS check asks what the pods really use (docs/floater.md, GET /v1/info). */
#ifndef FLOATER_RESOLVCONF_H
#define FLOATER_RESOLVCONF_H

#include <stddef.h>

#define RESOLV_CONF_PATH "/etc/resolv.conf"
#define RESOLV_MAX_NS	 3     /* glibc's MAXNS: later nameserver lines are not used */
#define RESOLV_MAX_BYTES 65536 /* what is read of the file; the rest is ignored */
#define RESOLV_ADDR_LEN	 46    /* INET6_ADDRSTRLEN */

struct resolv_conf {
	size_t n;				   /* addresses below, in file order */
	char addr[RESOLV_MAX_NS][RESOLV_ADDR_LEN]; /* canonical IPv4 or IPv6 literals */
	size_t scoped; /* nameservers with a scope (fe80::1%eth0): used by glibc, not listed */
};

/* Reads the first RESOLV_MAX_NS usable nameservers of text (len bytes, not necessarily
 * NUL-terminated): lines "nameserver ADDR" (keyword at the line's start, then blanks; what
 * follows the address is ignored); comments (# or ;) and other keywords are skipped, as is
 * a nameserver line whose address is no IP literal. A scoped IPv6 address counts towards the
 * three, as glibc counts it, but only in out->scoped: it cannot be a probe target. */
void resolv_conf_parse(const char *text, size_t len, struct resolv_conf *out);

/* The same over a file (the first RESOLV_MAX_BYTES): 0, or -1 with errno when it cannot be
 * read (out then lists nothing). */
int resolv_conf_read(const char *path, struct resolv_conf *out);

#endif
