/* libFuzzer target: kubeconfig text (YAML or JSON) through the same parser and type checks
 * that `netctl cluster add` runs, without reading the files it names. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;

	if (kube_config_check_text((const char *)data, size, "fuzz.yaml", &err) < 0) {
		/* Errors are one bounded line: a user reads them. */
		if (!err.msg[0] || strchr(err.msg, '\n'))
			__builtin_trap();
	}
	return 0;
}
