/* resolv.conf's nameserver lines, bounded by construction (resolvconf.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "resolvconf.h"

static int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* One address token of at most RESOLV_ADDR_LEN - 1 bytes into out (canonical form). */
static void take(const char *tok, size_t n, struct resolv_conf *out)
{
	char text[RESOLV_ADDR_LEN + 1];
	unsigned char bin[16];
	const char *pct;

	if (!n || n >= sizeof(text) - 1)
		return;
	memcpy(text, tok, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, bin) == 1) {
		inet_ntop(AF_INET, bin, out->addr[out->n++], RESOLV_ADDR_LEN);
		return;
	}
	pct = memchr(text, '%', n);
	if (pct) {
		/* glibc takes fe80::1%eth0 with its scope; a probe target cannot name one */
		text[pct - text] = '\0';
		if (pct[1] && inet_pton(AF_INET6, text, bin) == 1)
			out->scoped++;
		return;
	}
	if (inet_pton(AF_INET6, text, bin) == 1)
		inet_ntop(AF_INET6, bin, out->addr[out->n++], RESOLV_ADDR_LEN);
}

void resolv_conf_parse(const char *text, size_t len, struct resolv_conf *out)
{
	static const char kw[] = "nameserver";
	const size_t kwlen = sizeof(kw) - 1;
	size_t at = 0;

	memset(out, 0, sizeof(*out));
	if (len > RESOLV_MAX_BYTES)
		len = RESOLV_MAX_BYTES;
	while (at < len && out->n + out->scoped < RESOLV_MAX_NS) {
		const char *line = text + at, *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at, i = kwlen, start;

		at += n + 1;
		if (n <= kwlen || memcmp(line, kw, kwlen) || !blank(line[kwlen]))
			continue;
		while (i < n && blank(line[i]))
			i++;
		start = i;
		while (i < n && !blank(line[i]) && line[i] != '\0')
			i++;
		take(line + start, i - start, out);
	}
}

int resolv_conf_read(const char *path, struct resolv_conf *out)
{
	static char buf[RESOLV_MAX_BYTES];
	size_t len = 0;
	int fd, saved;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	resolv_conf_parse(buf, len, out);
	return 0;
}
