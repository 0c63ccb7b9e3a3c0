/* Starts a container's process the way a container runtime would, minus the image: in the
 * pod's network namespace, with the pod's sysctls, uid and capabilities. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubesim.h"

#define CAP_LAST_POSSIBLE 63

/* Only async-signal-safe calls from here on: the parent may have other threads (libcurl). */
static void child_fail(int fd, const char *what)
{
	char msg[160];
	size_t n = 0;
	const char *p = "kubesim: cannot start container: ";

	while (*p && n < sizeof(msg) - 2)
		msg[n++] = *p++;
	while (*what && n < sizeof(msg) - 2)
		msg[n++] = *what++;
	msg[n++] = '\n';
	if (write(fd, msg, n) < 0) {
		/* nothing left to report to */
	}
	_exit(127);
}

static void child_sysctls(const struct ks_spawn *s, int logfd)
{
	size_t i;

	for (i = 0; s->sysctl_paths && s->sysctl_paths[i]; i++) {
		int fd = open(s->sysctl_paths[i], O_WRONLY | O_CLOEXEC);
		size_t len = strlen(s->sysctl_values[i]);

		if (fd < 0 || write(fd, s->sysctl_values[i], len) != (ssize_t)len)
			child_fail(logfd, s->sysctl_paths[i]);
		close(fd);
	}
}

static void child_identity(const struct ks_spawn *s, int logfd)
{
	int cap;

	/* bounding set: what survives execve for root; everything else goes */
	for (cap = 0; cap <= CAP_LAST_POSSIBLE; cap++) {
		if (s->uid <= 0 && (s->keep_caps & (1ULL << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail(logfd, "PR_CAPBSET_DROP");
	}
	if (s->gid >= 0 && (setgroups(0, NULL) < 0 || setgid((gid_t)s->gid) < 0))
		child_fail(logfd, "setgid");
	if (s->uid > 0 && setuid((uid_t)s->uid) < 0)
		child_fail(logfd, "setuid");
	/* allowPrivilegeEscalation: false */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(logfd, "PR_SET_NO_NEW_PRIVS");
}

pid_t ks_spawn(const struct ks_spawn *s, struct err *err)
{
	int nsfd, logfd, devnull;
	pid_t pid;

	nsfd = open(s->netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return err_set(err, ERR_IO, "open %s: %s", s->netns, strerror(errno));
	logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (logfd < 0) {
		err_set(err, ERR_IO, "open %s: %s", s->log_path, strerror(errno));
		close(nsfd);
		return -1;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		/* own session: the container outlives a crashed simulator (adopted on restart) */
		setsid();
		if (dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			child_fail(logfd, "dup2");
		if (setns(nsfd, CLONE_NEWNET) < 0)
			child_fail(logfd, "setns");
		child_sysctls(s, logfd);
		/* the pod's resolv.conf: a mount namespace of its own, nothing propagated back */
		if (s->resolv_conf &&
		    (unshare(CLONE_NEWNS) < 0 ||
		     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		     mount(s->resolv_conf, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0))
			child_fail(logfd, "resolv.conf bind mount");
		if (chdir("/") < 0)
			child_fail(logfd, "chdir");
		child_identity(s, logfd);
		execve(s->argv[0], s->argv, s->envp);
		child_fail(logfd, "execve");
	}
	close(nsfd);
	close(logfd);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0)
		return err_set(err, ERR_IO, "fork: %s", strerror(errno));
	return pid;
}

unsigned long long ks_proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char state;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may contain spaces and ')': fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	state = *p;
	if (state == 'Z' || state == 'X')
		return 0;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}
