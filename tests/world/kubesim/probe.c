/* Readiness probe: HTTP GET to the pod, as the kubelet does (status 200..399 = success). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kubesim.h"

static int addr_make(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static bool wait_fd(int fd, short events, int64_t deadline_us)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline_us - time_mono_us();

	if (left <= 0)
		return false;
	return poll(&p, 1, (int)(left / 1000) + 1) == 1 && (p.revents & (events | POLLHUP));
}

static bool exchange(int fd, const char *ip, int port, const char *path, int64_t deadline_us)
{
	char req[512], resp[256];
	size_t got = 0;
	int n, code = 0;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.20\r\n"
		     "Connection: close\r\n\r\n",
		     path, ip, port);
	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n)
		return false;
	while (got < sizeof(resp) - 1 && !memchr(resp, '\n', got)) {
		ssize_t r;

		if (!wait_fd(fd, POLLIN, deadline_us))
			return false;
		r = read(fd, resp + got, sizeof(resp) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		resp[got] = '\0';
	}
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
		return false;
	return code >= 200 && code < 400;
}

bool ks_http_probe(const char *ip, int port, const char *path, long timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int64_t deadline = time_mono_us() + timeout_ms * 1000;
	bool ok = false;
	int fd, soerr = 0;
	socklen_t slen = sizeof(soerr);

	if (addr_make(ip, port, &ss, &len) < 0)
		return false;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT, deadline))
		goto out;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0 || soerr)
		goto out;
	ok = exchange(fd, ip, port, path, deadline);
out:
	close(fd);
	return ok;
}

/* ---- non-blocking probes: the simulator's loop never waits for a pod ------------------- */

int ks_probe_start(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (addr_make(ip, port, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

int ks_probe_step(struct ks_probe *pr, const char *ip, int port, const char *path)
{
	struct pollfd p = {.fd = pr->fd, .events = pr->sent ? POLLIN : POLLOUT};
	int code = 0, soerr = 0;
	socklen_t slen = sizeof(soerr);
	ssize_t r;

	if (poll(&p, 1, 0) != 1)
		return 0;
	if (!pr->sent) {
		char req[512];
		int n;

		if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0 || soerr)
			return -1;
		n = snprintf(req, sizeof(req),
			     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.20\r\n"
			     "Connection: close\r\n\r\n",
			     path, ip, port);
		if (n < 0 || (size_t)n >= sizeof(req) || write(pr->fd, req, (size_t)n) != n)
			return -1;
		pr->sent = true;
		return 0;
	}
	r = read(pr->fd, pr->buf + pr->got, sizeof(pr->buf) - 1 - pr->got);
	if (r < 0)
		return errno == EAGAIN ? 0 : -1;
	pr->got += (size_t)r;
	pr->buf[pr->got] = '\0';
	if (!memchr(pr->buf, '\n', pr->got) && r > 0 && pr->got < sizeof(pr->buf) - 1)
		return 0;
	if (sscanf(pr->buf, "HTTP/1.%*d %d", &code) != 1)
		return -1;
	return code >= 200 && code < 400 ? 1 : -1;
}
