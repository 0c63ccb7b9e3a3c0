/* libFuzzer target: config.json (NetDoctor's format) through the strict loader. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err err = ERR_INIT;

	config_init(&c);
	if (config_load_text(&c, (const char *)data, size, "fuzz.json", &err) < 0) {
		if (!err.msg[0] || strchr(err.msg, '\n'))
			__builtin_trap();
	}
	config_release(&c);
	return 0;
}
