/* Small helpers shared by commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "store.h"

/* The longest --older-than: 100 years, in ms (fits a long on 64-bit Linux). */
#define AGE_MAX_MS (100L * 366 * 86400000L)

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

/* An age or period: s, m (str_to_duration_ms) plus h, d and w, which retention needs. A bare
 * number is refused: "30" meaning seconds would delete nearly everything. */
int cmd_parse_age(const char *s, const char *what, long *ms, struct err *err)
{
	static const struct {
		char unit;
		long ms;
	} units[] = {{'h', 3600000L}, {'d', 86400000L}, {'w', 7 * 86400000L}};
	size_t n = strlen(s);
	long v;

	for (size_t i = 0; n > 1 && i < ARRAY_SIZE(units); i++) {
		char *num;
		int rc;

		if (s[n - 1] != units[i].unit)
			continue;
		num = xstrndup(s, n - 1);
		rc = str_to_long(num, 0, AGE_MAX_MS / units[i].ms, &v, what, err);
		free(num);
		if (rc < 0)
			return err_set(err, ERR_USAGE,
				       "%s: '%s' is not a whole number of %s up to 100 "
				       "years (e.g. 30d, 12h, 2w)",
				       what, s,
				       units[i].unit == 'h'   ? "hours"
				       : units[i].unit == 'd' ? "days"
							      : "weeks");
		*ms = v * units[i].ms;
		return 0;
	}
	if (n == 0 || strspn(s, "0123456789.") == n)
		return err_set(err, ERR_USAGE, "%s: '%s' needs a unit (e.g. 30d, 12h, 2w)", what,
			       s);
	if (str_to_duration_ms(s, AGE_MAX_MS, ms, what, err) < 0)
		return err_set(err, ERR_USAGE,
			       "%s: '%s' is not a duration (e.g. 30d, 12h, 2w, 90m)", what, s);
	return 0;
}
