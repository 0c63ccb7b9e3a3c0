/* Small helpers shared by commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "store.h"

static void store_warn(void *arg, const char *text)
{
	log_warn("%s", text);
}

struct store *cmd_open_store(const struct cmd_ctx *ctx, struct err *err)
{
	char *path = store_resolve_path(ctx->db_flag, err);
	struct store *st;

	if (!path)
		return NULL;
	log_debug("store: %s", path);
	st = store_open(path, err);
	free(path);
	if (st)
		store_set_warn(st, store_warn, NULL);
	return st;
}

void cmd_format_time(int64_t wall_ms, char *dst, size_t dstsz)
{
	char iso[32];
	char *t;

	if (wall_ms <= 0) {
		str_copy(dst, dstsz, "-");
		return;
	}
	time_format_iso(wall_ms, iso, sizeof(iso));
	/* A blank instead of 'T' reads better in a table; still unambiguous UTC. */
	t = strchr(iso, 'T');
	if (t)
		*t = ' ';
	str_copy(dst, dstsz, iso);
}

int cmd_load_config(struct config *c, struct err *err)
{
	bool found;

	config_init(c);
	if (config_load_default(c, &found, err) < 0)
		return -1;
	for (char **w = c->warnings; w && *w; w++)
		log_warn("%s", *w);
	log_debug("config: %s", found ? c->source : "defaults (no ./" CONFIG_FILE_NAME ")");
	return 0;
}
