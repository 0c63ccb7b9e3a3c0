/* Files embedded into the binary at build time (cmake/embed.cmake). */
#ifndef NETCTL_EMBED_H
#define NETCTL_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name; /* base name, e.g. "001_init.sql"; NULL ends the array */
	const char *data; /* NUL-terminated */
	size_t len;
};

#endif
