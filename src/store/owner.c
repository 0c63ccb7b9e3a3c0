/* store: who owns a running run, from /proc: pid + boot id + process start time, so a reused
 * pid or a reboot is not mistaken for the owner still running. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

static void boot_id_read(char *dst, size_t dstsz)
{
	struct buf b;
	struct err err = ERR_INIT;

	dst[0] = '\0';
	buf_init(&b, 128);
	if (file_read_all("/proc/sys/kernel/random/boot_id", 128, &b, &err) == 0) {
		b.data[strcspn(b.data, "\n")] = '\0';
		str_copy(dst, dstsz, b.data);
	}
	buf_release(&b);
}

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat);
 * -1 when the process does not exist. */
static int64_t proc_start_time(long pid)
{
	char path[64], text[1024];
	int64_t start = -1;
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	/* The command name may hold spaces and ')': fields resume after the last ')'. */
	p = strrchr(text, ')');
	if (!p || p[1] != ' ')
		return -1;
	/* A zombie still has its stat file, but it will never write again. */
	if (p[2] == 'Z')
		return -1;
	/* p + 1 is the space before field 3; walk to the space before field 22. */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 2, ' ');
	if (p)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

bool store_owner_alive(long pid, const char *boot, int64_t start)
{
	char now_boot[64];

	boot_id_read(now_boot, sizeof(now_boot));
	if (!str_eq(boot, now_boot))
		return false;
	return proc_start_time(pid) == start;
}

void store_owner_self(struct store_owner *o)
{
	o->pid = (long)getpid();
	boot_id_read(o->boot, sizeof(o->boot));
	o->start = proc_start_time(o->pid);
}
