/* nssysctl: sets net.* sysctls in many network namespaces from one process (a world with
 * 1,000 nodes would otherwise fork a sysctl per namespace).
 *
 *   nssysctl KEY=VALUE... < names     (names: one namespace of /run/netns per line) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rtnl.h"

static int write_key(const char *kv, struct err *err)
{
	const char *eq = strchr(kv, '=');
	char path[256], *p;
	size_t vlen;
	int fd, n;

	if (!eq || !str_has_prefix(kv, "net."))
		return err_set(err, ERR_USAGE, "want net.KEY=VALUE, not '%s'", kv);
	n = snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - kv), kv);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(err, ERR_LIMIT, "key too long: %s", kv);
	for (p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	vlen = strlen(eq + 1);
	if (write(fd, eq + 1, vlen) != (ssize_t)vlen) {
		err_set(err, ERR_IO, "write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int in_ns(const char *name, int argc, char **argv, struct err *err)
{
	int i, rc;

	if (!*name || strchr(name, '/'))
		return err_set(err, ERR_USAGE, "bad namespace name '%s'", name);
	rc = rtnl_enter(name, err);
	for (i = 1; rc == 0 && i < argc; i++)
		if (write_key(argv[i], err) < 0)
			rc = err_prefix(err, "namespace %s", name);
	return rc;
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	char line[300];
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: nssysctl net.KEY=VALUE... < namespace-names\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (in_ns(line, argc, argv, &err) < 0) {
			fprintf(stderr, "nssysctl: %s\n", err.msg);
			failed = 1;
		}
	}
	return failed;
}
