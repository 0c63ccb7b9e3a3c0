/* libFuzzer target: kubeconfig text (YAML or JSON) through the same parser and type checks
 * that `netctl cluster add` runs, without reading the files it names; then, from a memfd,
 * through kube_target_load's resolution of the current context (plain-http credential
 * refusal, URL redaction, token checks). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kubeconfig.h"

/* Errors are one bounded line: a user reads them. */
static void check_message(const struct err *err)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	struct kube_target *t;
	char path[64];
	int fd;

	if (kube_config_check_text((const char *)data, size, "fuzz.yaml", &err) < 0)
		check_message(&err);
	fd = memfd_create("fuzz-kubeconfig", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err_clear(&err);
	t = kube_target_load(path, NULL, &err);
	if (!t)
		check_message(&err);
	else if (t->token && !kube_token_valid(t->token))
		__builtin_trap();
	kube_target_free(t);
	close(fd);
	return 0;
}
