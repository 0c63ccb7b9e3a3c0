/* JSON for people: two-space indentation, "key": value (cJSON_Print uses tabs). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static void put_scalar(struct buf *b, const cJSON *v)
{
	char *s = json_print(v);

	(void)!buf_puts(b, s);
	free(s);
}

static void put_indent(struct buf *b, int depth)
{
	(void)!buf_printf(b, "\n%*s", depth * 2, "");
}

static void put_value(struct buf *b, const cJSON *v, int depth)
{
	bool obj = cJSON_IsObject(v);
	const cJSON *c;

	if (!(obj || cJSON_IsArray(v)) || !v->child) {
		put_scalar(b, v);
		return;
	}
	(void)!buf_puts(b, obj ? "{" : "[");
	for (c = v->child; c; c = c->next) {
		put_indent(b, depth + 1);
		if (obj) {
			cJSON *key = cJSON_CreateString(c->string);

			put_scalar(b, key);
			cJSON_Delete(key);
			(void)!buf_puts(b, ": ");
		}
		put_value(b, c, depth + 1);
		if (c->next)
			(void)!buf_puts(b, ",");
	}
	put_indent(b, depth);
	(void)!buf_puts(b, obj ? "}" : "]");
}

char *json_print_pretty(const struct cJSON *obj)
{
	struct buf b;

	buf_init(&b, 0);
	put_value(&b, obj, 0);
	(void)!buf_puts(&b, "\n");
	return buf_steal(&b);
}
