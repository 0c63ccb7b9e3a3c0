/* config.json loader: one table of fields drives loading from JSON, setting from flags and
 * writing the file, so the three cannot drift apart. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "wire.h"

#define DEFAULT_NAMESPACE   "kosmos-system"
#define DEFAULT_PORT	    8889
#define DEFAULT_MAX_NUM	    64
#define DEFAULT_POD_WAIT_MS 30000
#define DEFAULT_TIMEOUT_MS  10000
#define DEFAULT_KUBECONFIG  "~/.kube/config"

#define MAX_NUM_LIMIT	 100000
#define MAX_DURATION_MS	 3600000L /* an hour bounds every wait */
#define MAX_STRING_BYTES 4096

enum field_type {
	T_NAMESPACE, /* required string, DNS label */
	T_WORD,	     /* required non-empty string without spaces */
	T_OPT_WORD,  /* string without spaces; "" means unset (NULL) */
	T_PATH,	     /* required path, `~` allowed */
	T_OPT_PATH,  /* path; "" means unset */
	T_PROTOCOLS, /* "tcp", "icmp,udp" or ["icmp","tcp"] */
	T_NETWORKS,  /* "pod", "host", "pod,host" or an array */
	T_PORT,	     /* 1..65535, number or numeric string (NetDoctor wrote a string) */
	T_COUNT,     /* whole number >= 1 */
	T_DURATION,  /* seconds as a number, or a duration string; > 0 */
	T_BOOL,
	T_STRLIST,  /* array of strings */
	T_NAMES,    /* array of DNS-1123 subdomain names (Secrets), or a comma list */
	T_IPLIST,   /* array of IP literals (strings) */
	T_PORTLIST, /* array of ports 1..65535, strings (NetDoctor's) or numbers */
};

struct field {
	const char *name;
	enum field_type type;
	size_t off;
	bool unused;   /* NetDoctor field netctl does not act on: warn when set */
	bool optional; /* written (netctl init, config --json) only when set */
	long max_ms;   /* T_DURATION: longest accepted; 0: MAX_DURATION_MS */
};

#define F(n, t, m)                                                                                 \
	{                                                                                          \
		n, t, offsetof(struct config, m), false, false, 0                                  \
	}
/* NetDoctor's extras: written only when set; FU: and not used (a warning says so). */
#define FO(n, t, m)                                                                                \
	{                                                                                          \
		n, t, offsetof(struct config, m), false, true, 0                                   \
	}
#define FU(n, t, m)                                                                                \
	{                                                                                          \
		n, t, offsetof(struct config, m), true, true, 0                                    \
	}
/* A duration with its own bound. */
#define FD(n, m, max)                                                                              \
	{                                                                                          \
		n, T_DURATION, offsetof(struct config, m), false, false, max                       \
	}

static const struct field fields[] = {
    F("namespace", T_NAMESPACE, namespace),
    F("version", T_WORD, version),
    F("protocol", T_PROTOCOLS, protocols),
    F("podWaitTime", T_DURATION, pod_wait_ms),
    F("port", T_PORT, port),
    F("maxNum", T_COUNT, max_num),
    FD("cmdTimeout", cmd_timeout_ms, WIRE_MAX_TIMEOUT_MS), /* a floater's per-probe limit */
    F("srcKubeConfig", T_PATH, src_kubeconfig),
    F("dstKubeConfig", T_OPT_PATH, dst_kubeconfig),
    F("srcImageRepository", T_WORD, src_image_repo),
    F("dstImageRepository", T_OPT_WORD, dst_image_repo),
    F("imagePullSecrets", T_NAMES, pull_secrets),
    F("mode", T_NETWORKS, networks),
    F("autoClean", T_BOOL, auto_clean),
    FO("customizedTargetIPList", T_IPLIST, target_ips),
    FO("customizedTargetPortList", T_PORTLIST, target_ports),
    FO("targetDNSServer", T_STRLIST, dns_servers),
    FO("targetHostToLookup", T_STRLIST, dns_names),
};

#define FIELD_PTR(c, f, type) ((type *)((char *)(c) + (f)->off))

static const struct field *field_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

static void warn_add(struct config *c, char *msg)
{
	size_t n = strv_len(c->warnings);

	c->warnings = xrealloc(c->warnings, (n + 2) * sizeof(*c->warnings));
	c->warnings[n] = msg;
	c->warnings[n + 1] = NULL;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->namespace = xstrdup(DEFAULT_NAMESPACE);
	c->version = xstrdup(NETCTL_VERSION);
	c->protocols = 1u << PROTO_TCP;
	c->pod_wait_ms = DEFAULT_POD_WAIT_MS;
	c->port = DEFAULT_PORT;
	c->max_num = DEFAULT_MAX_NUM;
	c->cmd_timeout_ms = DEFAULT_TIMEOUT_MS;
	c->src_kubeconfig = xstrdup(DEFAULT_KUBECONFIG);
	c->src_image_repo = xstrdup(NETCTL_IMAGE_REPOSITORY);
	c->networks = CONFIG_NET_POD;
}

void config_release(struct config *c)
{
	free(c->namespace);
	free(c->version);
	free(c->src_kubeconfig);
	free(c->dst_kubeconfig);
	free(c->src_image_repo);
	free(c->dst_image_repo);
	strv_free(c->pull_secrets);
	strv_free(c->target_ips);
	strv_free(c->target_ports);
	strv_free(c->dns_servers);
	strv_free(c->dns_names);
	free(c->source);
	strv_free(c->warnings);
	memset(c, 0, sizeof(*c));
}

bool config_is_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

/* ---- parsing single values ------------------------------------------------------------ */

static int parse_word(const char *s, bool optional, const char *what, struct err *err)
{
	if (!*s && !optional)
		return err_set(err, ERR_USAGE, "%s: must not be empty", what);
	if (strlen(s) > MAX_STRING_BYTES)
		return err_set(err, ERR_USAGE, "%s: longer than %d bytes", what, MAX_STRING_BYTES);
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return err_set(err, ERR_USAGE, "%s: '%s' contains white space", what, s);
	return 0;
}

static int parse_path(const char *s, bool optional, const char *what, struct err *err)
{
	char *expanded;

	if (!*s && !optional)
		return err_set(err, ERR_USAGE, "%s: must not be empty", what);
	if (strlen(s) > MAX_STRING_BYTES)
		return err_set(err, ERR_USAGE, "%s: longer than %d bytes", what, MAX_STRING_BYTES);
	if (!*s)
		return 0;
	/* Checked now so that a bad `~user/...` is reported as a config error, by name. */
	expanded = path_expand_home(s, err);
	if (!expanded)
		return err_prefix(err, "%s", what);
	free(expanded);
	return 0;
}

/* Accepts NetDoctor's spellings: "ping" is icmp. */
static int parse_protocol(const char *s, unsigned *bits, const char *what, struct err *err)
{
	int p = str_eq(s, "ping") ? PROTO_ICMP : probe_protocol_parse(s);

	if (p < 0)
		return err_set(err, ERR_USAGE,
			       "%s: unknown protocol '%s' (use icmp, tcp, udp or dns)", what, s);
	*bits |= 1u << p;
	return 0;
}

static int parse_network(const char *s, unsigned *bits, const char *what, struct err *err)
{
	if (str_eq(s, "pod"))
		*bits |= CONFIG_NET_POD;
	else if (str_eq(s, "host"))
		*bits |= CONFIG_NET_HOST;
	else
		return err_set(err, ERR_USAGE, "%s: unknown network '%s' (use pod or host)", what,
			       s);
	return 0;
}

typedef int (*item_parser)(const char *s, unsigned *bits, const char *what, struct err *err);

static int parse_bits_list(const char *s, item_parser parse, unsigned *out, const char *what,
			   struct err *err)
{
	char **items = str_split_list(s, 16, what, err);
	unsigned bits = 0;
	int rc = 0;

	if (!items)
		return -1;
	for (char **p = items; *p && rc == 0; p++)
		rc = parse(*p, &bits, what, err);
	if (rc == 0)
		*out = bits;
	strv_free(items);
	return rc;
}

static long field_max_ms(const struct field *f)
{
	return f->max_ms ? f->max_ms : MAX_DURATION_MS;
}

static int parse_duration(const char *s, long max_ms, long *out, const char *what, struct err *err)
{
	long ms;

	if (str_to_duration_ms(s, max_ms, &ms, what, err) < 0)
		return -1;
	if (ms <= 0)
		return err_set(err, ERR_USAGE, "%s: must be greater than 0", what);
	*out = ms;
	return 0;
}

/* IP literals and ports in NetDoctor's target lists (names are never resolved). */
static int list_check(enum field_type type, char **items, const char *what, struct err *err)
{
	for (size_t i = 0; items[i]; i++) {
		unsigned char a[16];
		long port;

		if (type == T_IPLIST && inet_pton(AF_INET, items[i], a) != 1 &&
		    inet_pton(AF_INET6, items[i], a) != 1)
			return err_set(err, ERR_USAGE,
				       "%s: item %zu '%s' is not an IP address (names are not "
				       "resolved)",
				       what, i, items[i]);
		if (type == T_PORTLIST && str_to_long(items[i], 1, 65535, &port, what, err) < 0)
			return err_set(err, ERR_USAGE, "%s: item %zu '%s' is not a port (1-65535)",
				       what, i, items[i]);
		if (type == T_NAMES && !str_is_dns_subdomain(items[i]))
			return err_set(err, ERR_USAGE,
				       "%s: '%s' is not a valid Secret name (a DNS-1123 subdomain: "
				       "a-z, 0-9, '-' and '.', at most 253)",
				       what, items[i]);
	}
	return 0;
}

/* ---- setting a field from a string (flags, and JSON strings) -------------------------- */

static void set_string(char **dst, const char *s)
{
	free(*dst);
	*dst = *s ? xstrdup(s) : NULL;
}

static int field_set_str(struct config *c, const struct field *f, const char *s, const char *what,
			 struct err *err)
{
	long v;

	switch (f->type) {
	case T_NAMESPACE:
		if (!config_is_dns_label(s))
			return err_set(err, ERR_USAGE,
				       "%s: '%s' is not a valid namespace (1-63 of a-z, 0-9, '-')",
				       what, s);
		set_string(FIELD_PTR(c, f, char *), s);
		return 0;
	case T_WORD:
	case T_OPT_WORD:
		if (parse_word(s, f->type == T_OPT_WORD, what, err) < 0)
			return -1;
		set_string(FIELD_PTR(c, f, char *), s);
		return 0;
	case T_PATH:
	case T_OPT_PATH:
		if (parse_path(s, f->type == T_OPT_PATH, what, err) < 0)
			return -1;
		set_string(FIELD_PTR(c, f, char *), s);
		return 0;
	case T_PROTOCOLS:
		return parse_bits_list(s, parse_protocol, FIELD_PTR(c, f, unsigned), what, err);
	case T_NETWORKS:
		return parse_bits_list(s, parse_network, FIELD_PTR(c, f, unsigned), what, err);
	case T_PORT:
		if (str_to_long(s, 1, 65535, &v, what, err) < 0)
			return -1;
		*FIELD_PTR(c, f, long) = v;
		return 0;
	case T_COUNT:
		if (str_to_long(s, 1, MAX_NUM_LIMIT, &v, what, err) < 0)
			return -1;
		*FIELD_PTR(c, f, long) = v;
		return 0;
	case T_DURATION:
		return parse_duration(s, field_max_ms(f), FIELD_PTR(c, f, long), what, err);
	case T_BOOL:
		if (str_eq(s, "true") || str_eq(s, "false")) {
			*FIELD_PTR(c, f, bool) = str_eq(s, "true");
			return 0;
		}
		return err_set(err, ERR_USAGE, "%s: '%s' is not true or false", what, s);
	case T_STRLIST:
	case T_NAMES:
	case T_IPLIST:
	case T_PORTLIST: {
		char **v2 = str_split_list(s, CONFIG_MAX_LIST, what, err);

		if (!v2 || list_check(f->type, v2, what, err) < 0) {
			strv_free(v2);
			return -1;
		}
		strv_free(*FIELD_PTR(c, f, char **));
		*FIELD_PTR(c, f, char **) = v2;
		return 0;
	}
	}
	return err_set(err, ERR_INTERNAL, "%s: unhandled field type", what);
}

int config_set(struct config *c, const char *field, const char *value, const char *what,
	       struct err *err)
{
	const struct field *f = field_find(field);

	if (!f)
		return err_set(err, ERR_INTERNAL, "no config field '%s'", field);
	return field_set_str(c, f, value, what ? what : field, err);
}

/* ---- setting a field from JSON -------------------------------------------------------- */

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "true/false";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsNull(v))
		return "null";
	return "invalid";
}

static int type_error(const cJSON *v, const char *expected, const char *what, struct err *err)
{
	return err_set(err, ERR_USAGE, "%s: must be %s, not %s", what, expected, json_type_name(v));
}

/* Numbers in the file: whole numbers for ports and counts, seconds for durations. */
static int field_set_number(struct config *c, const struct field *f, const cJSON *v,
			    const char *what, struct err *err)
{
	double d = v->valuedouble;
	char text[64];

	if (!isfinite(d))
		return err_set(err, ERR_USAGE, "%s: not a finite number", what);
	if (f->type == T_DURATION) {
		if (d < 0)
			return err_set(err, ERR_USAGE, "%s: %g is negative", what, d);
		if (d * 1000.0 > (double)field_max_ms(f))
			return err_set(err, ERR_USAGE, "%s: %g s is longer than the limit of %g s",
				       what, d, (double)field_max_ms(f) / 1000.0);
		snprintf(text, sizeof(text), "%.17g", d);
		return field_set_str(c, f, text, what, err);
	}
	if (d != floor(d) || fabs(d) > 1e15)
		return err_set(err, ERR_USAGE, "%s: %g is not a whole number", what, d);
	snprintf(text, sizeof(text), "%.0f", d);
	return field_set_str(c, f, text, what, err);
}

/* Arrays: string lists, and protocol/network lists as arrays of names. */
static int field_set_array(struct config *c, const struct field *f, const cJSON *v,
			   const char *what, struct err *err)
{
	struct buf joined;
	const cJSON *item;
	int n = 0, rc = 0;

	if (cJSON_GetArraySize(v) > CONFIG_MAX_LIST)
		return err_set(err, ERR_USAGE, "%s: more than %d items", what, CONFIG_MAX_LIST);
	bool is_list = f->type == T_STRLIST || f->type == T_NAMES || f->type == T_IPLIST ||
		       f->type == T_PORTLIST;

	if (cJSON_GetArraySize(v) == 0 && is_list) {
		strv_free(*FIELD_PTR(c, f, char **));
		*FIELD_PTR(c, f, char **) = NULL;
		return 0;
	}
	buf_init(&joined, 0);
	cJSON_ArrayForEach(item, v)
	{
		if (f->type == T_PORTLIST && cJSON_IsNumber(item)) {
			double d = item->valuedouble;

			if (d != floor(d) || d < 1 || d > 65535) {
				rc = err_set(err, ERR_USAGE,
					     "%s: item %d %g is not a port (1-65535)", what, n, d);
				goto out;
			}
			(void)!buf_printf(&joined, "%s%.0f", n ? "," : "", d);
			n++;
			continue;
		}
		if (!cJSON_IsString(item)) {
			rc = err_set(err, ERR_USAGE, "%s: item %d must be a string, not %s", what,
				     n, json_type_name(item));
			goto out;
		}
		if (!*item->valuestring || strchr(item->valuestring, ',')) {
			rc = err_set(err, ERR_USAGE, "%s: item %d '%s' is empty or has a comma",
				     what, n, item->valuestring);
			goto out;
		}
		/* the items come from a file of at most CONFIG_MAX_BYTES: they fit */
		(void)!buf_printf(&joined, "%s%s", n ? "," : "", item->valuestring);
		n++;
	}
	rc = field_set_str(c, f, buf_str(&joined), what, err);
out:
	buf_release(&joined);
	return rc;
}

static int field_set_json(struct config *c, const struct field *f, const cJSON *v, const char *what,
			  struct err *err)
{
	switch (f->type) {
	case T_NAMESPACE:
	case T_WORD:
	case T_OPT_WORD:
	case T_PATH:
	case T_OPT_PATH:
		if (!cJSON_IsString(v))
			return type_error(v, "a string", what, err);
		return field_set_str(c, f, v->valuestring, what, err);
	case T_PROTOCOLS:
	case T_NETWORKS:
		if (cJSON_IsArray(v))
			return field_set_array(c, f, v, what, err);
		if (!cJSON_IsString(v))
			return type_error(v, "a string or an array of strings", what, err);
		return field_set_str(c, f, v->valuestring, what, err);
	case T_PORT:
	case T_DURATION:
		if (cJSON_IsString(v))
			return field_set_str(c, f, v->valuestring, what, err);
		if (!cJSON_IsNumber(v))
			return type_error(v, "a number", what, err);
		return field_set_number(c, f, v, what, err);
	case T_COUNT:
		if (!cJSON_IsNumber(v))
			return type_error(v, "a number", what, err);
		return field_set_number(c, f, v, what, err);
	case T_BOOL:
		if (!cJSON_IsBool(v))
			return type_error(v, "true or false", what, err);
		*FIELD_PTR(c, f, bool) = cJSON_IsTrue(v);
		return 0;
	case T_IPLIST:
	case T_PORTLIST:
		if (!cJSON_IsArray(v))
			return type_error(v, "an array of strings", what, err);
		return field_set_array(c, f, v, what, err);
	case T_STRLIST: /* NetDoctor's DNS fields: one string ("" is its unset), or a list */
		if (cJSON_IsString(v) && !*v->valuestring)
			return 0;
		/* fall through */
	case T_NAMES:
		if (cJSON_IsString(v))
			return field_set_str(c, f, v->valuestring, what, err);
		if (!cJSON_IsArray(v))
			return type_error(v, "an array of strings", what, err);
		return field_set_array(c, f, v, what, err);
	}
	return err_set(err, ERR_INTERNAL, "%s: unhandled field type", what);
}

static bool field_is_set(const struct config *c, const struct field *f)
{
	switch (f->type) {
	case T_STRLIST:
	case T_NAMES:
	case T_IPLIST:
	case T_PORTLIST:
		return *FIELD_PTR(c, f, char **) != NULL;
	case T_OPT_WORD:
	case T_OPT_PATH:
		return *FIELD_PTR(c, f, char *) != NULL;
	default:
		return true;
	}
}

static int load_member(struct config *c, const cJSON *m, const char *name, struct err *err)
{
	const struct field *f = field_find(m->string);

	if (!f) {
		warn_add(c, xasprintf("%s: unknown field '%s' ignored", name, m->string));
		return 0;
	}
	/* null reads as "not set", as Go's encoding/json (NetDoctor) treats it. */
	if (cJSON_IsNull(m))
		return 0;
	if (field_set_json(c, f, m, f->name, err) < 0)
		return err_prefix(err, "%s", name);
	if (f->unused && field_is_set(c, f))
		warn_add(c, xasprintf("%s: '%s' is a NetDoctor field netctl does not use", name,
				      f->name));
	return 0;
}

static int check_duplicates(const cJSON *root, const char *name, struct err *err)
{
	for (const cJSON *a = root->child; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (!strcmp(a->string, b->string))
				return err_set(err, ERR_USAGE, "%s: %s: given more than once", name,
					       a->string);
	return 0;
}

/* json_parse accepts a document followed by more text; a config file must be one object.
 * Finds the end of the first value by re-parsing (files are small) and checks what
 * follows is white space. */
static bool trailing_text(const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	cJSON_Delete(j);
	if (!j || !end)
		return false;
	for (; end < text + len; end++)
		if (!isspace((unsigned char)*end) && *end != '\0')
			return true;
	return false;
}

/* People edit config files: say where the syntax broke as line and column. */
static int malformed(const char *text, size_t len, const char *name, struct err *err)
{
	const char *end = NULL, *p;
	cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	long line = 1, col = 1;

	cJSON_Delete(j);
	if (!end || end < text || end > text + len)
		end = text;
	for (p = text; p < end; p++) {
		col++;
		if (*p == '\n') {
			line++;
			col = 1;
		}
	}
	return err_set(err, ERR_USAGE, "%s: malformed JSON at line %ld, column %ld", name, line,
		       col);
}

int config_load_text(struct config *c, const char *text, size_t len, const char *name,
		     struct err *err)
{
	cJSON *root;
	int rc = 0;

	/* Editors on some systems start UTF-8 files with a byte order mark. */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	root = json_parse(text, len, CONFIG_MAX_BYTES, err);
	if (!root && err->code == ERR_PROTO)
		return malformed(text, len, name, err);
	if (!root) {
		err->code = ERR_USAGE;
		return err_prefix(err, "%s", name);
	}
	if (trailing_text(text, len)) {
		rc = err_set(err, ERR_USAGE, "%s: text after the JSON object", name);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		rc = err_set(err, ERR_USAGE, "%s: must be a JSON object, not %s", name,
			     json_type_name(root));
		goto out;
	}
	if (cJSON_GetArraySize(root) > 256) {
		rc = err_set(err, ERR_USAGE, "%s: more than 256 fields", name);
		goto out;
	}
	rc = check_duplicates(root, name, err);
	for (const cJSON *m = root->child; m && rc == 0; m = m->next)
		rc = load_member(c, m, name, err);
	if (rc == 0) {
		free(c->source);
		c->source = xstrdup(name);
	}
out:
	cJSON_Delete(root);
	return rc;
}

int config_load_file(struct config *c, const char *path, struct err *err)
{
	struct buf text;
	int rc;

	buf_init(&text, CONFIG_MAX_BYTES);
	rc = file_read_all(path, CONFIG_MAX_BYTES, &text, err);
	if (rc < 0) {
		err->code = ERR_USAGE;
		goto out;
	}
	rc = config_load_text(c, text.data, text.len, path, err);
out:
	buf_release(&text);
	return rc;
}

int config_load_default(struct config *c, bool *found, struct err *err)
{
	*found = access(CONFIG_FILE_NAME, F_OK) == 0;
	if (!*found)
		return 0;
	return config_load_file(c, CONFIG_FILE_NAME, err);
}

int config_kubeconfig_path(const struct config *c, bool dst, char **out, struct err *err)
{
	const char *p = dst ? c->dst_kubeconfig : c->src_kubeconfig;

	*out = NULL;
	if (!p)
		return 0;
	*out = path_expand_home(p, err);
	if (!*out)
		return err_prefix(err, "%s", dst ? "dstKubeConfig" : "srcKubeConfig");
	return 0;
}

/* ---- writing -------------------------------------------------------------------------- */

char *config_protocols_string(unsigned protocols)
{
	return str_join_bits(protocols, probe_protocol_names, PROTO_MAX, ",");
}

char *config_networks_string(unsigned networks)
{
	static const char *const names[] = {"pod", "host"}; /* CONFIG_NET_* bits */

	return str_join_bits(networks, names, ARRAY_SIZE(names), ",");
}

static cJSON *strv_to_json(char **v)
{
	cJSON *a = cJSON_CreateArray();

	for (char **p = v; p && *p; p++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*p));
	return a;
}

static void field_to_json(const struct config *c, const struct field *f, cJSON *obj)
{
	char *s = NULL;

	switch (f->type) {
	case T_NAMESPACE:
	case T_WORD:
	case T_OPT_WORD:
	case T_PATH:
	case T_OPT_PATH: {
		const char *v = *FIELD_PTR(c, f, char *);

		cJSON_AddStringToObject(obj, f->name, v ? v : "");
		return;
	}
	case T_PROTOCOLS:
		s = config_protocols_string(*FIELD_PTR(c, f, unsigned));
		break;
	case T_NETWORKS:
		s = config_networks_string(*FIELD_PTR(c, f, unsigned));
		break;
	case T_PORT:
	case T_COUNT:
		cJSON_AddNumberToObject(obj, f->name, (double)*FIELD_PTR(c, f, long));
		return;
	case T_DURATION:
		cJSON_AddNumberToObject(obj, f->name, (double)*FIELD_PTR(c, f, long) / 1000.0);
		return;
	case T_BOOL:
		cJSON_AddBoolToObject(obj, f->name, *FIELD_PTR(c, f, bool));
		return;
	case T_STRLIST:
	case T_NAMES:
	case T_IPLIST:
	case T_PORTLIST:
		cJSON_AddItemToObject(obj, f->name, strv_to_json(*FIELD_PTR(c, f, char **)));
		return;
	}
	cJSON_AddStringToObject(obj, f->name, s);
	free(s);
}

char *config_to_json(const struct config *c)
{
	cJSON *obj = cJSON_CreateObject();
	char *text;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		/* NetDoctor's extras are written only when set. */
		if (fields[i].optional && !field_is_set(c, &fields[i]))
			continue;
		field_to_json(c, &fields[i], obj);
	}
	text = json_print_pretty(obj);
	cJSON_Delete(obj);
	return text;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int config_write_file(const struct config *c, const char *path, bool overwrite, struct err *err)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
	char *text = config_to_json(c);
	int fd, rc = 0;

	fd = open(path, flags, 0644);
	if (fd < 0 && errno == EEXIST) {
		rc = err_set(err, ERR_EXISTS, "%s already exists (use --force to overwrite it)",
			     path);
		goto out;
	}
	if (fd < 0) {
		rc = err_set(err, ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) < 0)
		rc = err_set(err, ERR_IO, "cannot write %s: %s", path, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = err_set(err, ERR_IO, "cannot write %s: %s", path, strerror(errno));
out:
	free(text);
	return rc;
}
