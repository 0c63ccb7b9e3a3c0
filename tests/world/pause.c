/* pause: the pod-infra ("sandbox") container for the test world's kubelet. It holds the
 * pod's namespaces open and does nothing else: it blocks in pause(), exits 0 on SIGINT or
 * SIGTERM, and reaps the children it inherits as PID 1 of a pod that shares its PID
 * namespace. Built static (pause-static) into the netctl-pause image (`pause-image`). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void on_child(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
		printf("pause %s\n", NETCTL_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: pause [--version]\n");
		return 2;
	}
	if (handle(SIGINT, on_term) < 0 || handle(SIGTERM, on_term) < 0 ||
	    handle(SIGCHLD, on_child) < 0) {
		perror("pause: sigaction");
		return 1;
	}
	for (;;)
		pause();
}
