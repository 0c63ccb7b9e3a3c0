#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

struct cJSON *json_parse(const char *text, size_t len, size_t limit, struct err *err)
{
	const char *end = NULL;
	cJSON *j;

	if (limit && len > limit) {
		err_set(err, ERR_LIMIT, "JSON document of %zu bytes exceeds the limit of %zu", len,
			limit);
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!j) {
		size_t off = end ? (size_t)(end - text) : 0;

		err_set(err, ERR_PROTO, "malformed JSON near byte %zu", off);
		return NULL;
	}
	return j;
}

int json_get_string(const struct cJSON *obj, const char *key, const char **out, struct err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsString(v))
		return err_set(err, ERR_PROTO, "field '%s' must be a string", key);
	*out = v->valuestring;
	return 0;
}

int json_get_long(const struct cJSON *obj, const char *key, long min, long max, long *out,
		  struct err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsNumber(v))
		return err_set(err, ERR_PROTO, "field '%s' must be a number", key);
	d = v->valuedouble;
	/* the range first: casting a double beyond long (1e30) to long is undefined */
	if (d < (double)min || d > (double)max || d < -0x1p63 || d >= 0x1p63)
		return err_set(err, ERR_PROTO, "field '%s' is out of range [%ld, %ld]", key, min,
			       max);
	if (d != (double)(long)d)
		return err_set(err, ERR_PROTO, "field '%s' must be a whole number", key);
	*out = (long)d;
	return 0;
}

int json_get_bool(const struct cJSON *obj, const char *key, bool *out, struct err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsBool(v))
		return err_set(err, ERR_PROTO, "field '%s' must be true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

char *json_print(const struct cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	char *copy;

	if (!s) {
		fprintf(stderr, "netctl: out of memory printing JSON\n");
		abort();
	}
	copy = xstrdup(s);
	cJSON_free(s);
	return copy;
}
