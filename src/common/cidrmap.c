/* Global IP mapping (docs/kosmos.md, "Global IP mapping"): a cluster whose pod CIDR
 * overlaps another's is reached from other clusters at a global CIDR of the same size,
 * translated to the real one on the way in; an address keeps its host bits. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static int prefix_parse(const char *text, size_t len, struct cidr *c, struct err *err)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	long bits;

	if (len >= sizeof(buf))
		return err_set(err, ERR_USAGE, "'%.*s': not a CIDR", (int)(len > 64 ? 64 : len),
			       text);
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (!slash)
		return err_set(err, ERR_USAGE, "'%s': not a CIDR (ADDRESS/BITS)", buf);
	*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = 6;
	else
		return err_set(err, ERR_USAGE, "'%s/%s': not a CIDR (ADDRESS/BITS)", buf,
			       slash + 1);
	if (str_to_long(slash + 1, 0, c->family == 4 ? 32 : 128, &bits, "prefix length", err) < 0) {
		err->code = ERR_USAGE;
		return err_prefix(err, "'%s/%s'", buf, slash + 1);
	}
	c->bits = (int)bits;
	for (int i = c->bits; i < (c->family == 4 ? 32 : 128); i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return err_set(err, ERR_USAGE,
				       "'%s/%s': host bits set (not a network address)", buf,
				       slash + 1);
	return 0;
}

static void cidr_format(const struct cidr *c, char *dst, size_t dstsz)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(dst, dstsz, "%s/%d", a, c->bits);
}

int cidrmap_add(struct cidrmap *m, const char *text, struct err *err)
{
	const char *eq = strchr(text, '=');
	struct cidr_pair p;
	char a[64];

	if (!eq)
		return err_set(err, ERR_USAGE, "'%s': want REAL=GLOBAL (two CIDRs)", text);
	if (prefix_parse(text, (size_t)(eq - text), &p.real, err) < 0 ||
	    prefix_parse(eq + 1, strlen(eq + 1), &p.global, err) < 0)
		return -1;
	if (p.real.family != p.global.family || p.real.bits != p.global.bits)
		return err_set(err, ERR_USAGE,
			       "'%s': the real and the global CIDR must be of one family and one "
			       "size (an address keeps its host bits)",
			       text);
	cidr_format(&p.real, a, sizeof(a));
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].real.family == p.real.family &&
		    (cidr_contains(&m->v[i].real, p.real.addr) ||
		     cidr_contains(&p.real, m->v[i].real.addr)))
			return err_set(err, ERR_USAGE,
				       "'%s': %s overlaps a real CIDR mapped already", text, a);
	if (m->n == CIDRMAP_MAX)
		return err_set(err, ERR_USAGE, "more than %d CIDR mappings", CIDRMAP_MAX);
	m->v[m->n++] = p;
	return 0;
}

bool cidr_contains(const struct cidr *c, const unsigned char *addr)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, addr, (size_t)full))
		return false;
	return !rest || ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int cidrmap_parse(const char *text, struct cidrmap *m, struct err *err)
{
	char *copy, *save = NULL;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (!text || !*text)
		return 0;
	copy = xstrdup(text);
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save))
		rc = cidrmap_add(m, tok, err);
	free(copy);
	return rc;
}

char *cidrmap_format(const struct cidrmap *m)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++) {
		char a[64], g[64];

		cidr_format(&m->v[i].real, a, sizeof(a));
		cidr_format(&m->v[i].global, g, sizeof(g));
		(void)!buf_printf(&b, "%s%s=%s", i ? "," : "", a, g);
	}
	return buf_steal(&b);
}

bool cidrmap_apply(const struct cidrmap *m, const char *ip, char *dst, size_t dstsz)
{
	unsigned char a[16];
	int family;

	if (!ip)
		return false;
	if (inet_pton(AF_INET, ip, a) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = 6;
	else
		return false;
	for (size_t i = 0; i < m->n; i++) {
		const struct cidr_pair *p = &m->v[i];
		int full = p->real.bits / 8, rest = p->real.bits % 8;

		if (p->real.family != family || !cidr_contains(&p->real, a))
			continue;
		memcpy(a, p->global.addr, (size_t)full);
		if (rest) {
			unsigned char mask = (unsigned char)(0xff << (8 - rest));

			a[full] =
			    (unsigned char)((p->global.addr[full] & mask) | (a[full] & ~mask));
		}
		return inet_ntop(family == 4 ? AF_INET : AF_INET6, a, dst, (socklen_t)dstsz) !=
		       NULL;
	}
	return false;
}
