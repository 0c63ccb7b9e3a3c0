/* The objects netctl deploys: templates (YAML -> JSON), idempotent apply, DaemonSet rollout
 * wait, node and pod listings, and deleting everything netctl created. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "kube.h"
#include "ydoc.h"

/* the deploy/ templates, ending with {NULL} (src/kube/CMakeLists.txt) */
extern const struct embedded_file kube_deploy_files[];

#define TEMPLATE_NODE_LIMIT 10000
#define NS_GONE_WAIT_MS	    60000L

const char *kube_apply_result_name(enum kube_apply_result r)
{
	static const char *const names[] = {"created", "updated", "unchanged"};

	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

/* ---- template variables ------------------------------------------------------------------ */

struct vars {
	char ns[254];
	char repo[512];
	char version[128];
	char port[16];
	char token[65];
	char token_b64[96];
	char echo_key[KUBE_ECHO_KEY_LEN + 1];
	char echo_key_b64[48];
	char echo_key_id[17];
	char token_id[17];
	char *const *pull_secrets;     /* the caller's, NULL-terminated; NULL: none */
	const struct cJSON *placement; /* merged into a DaemonSet's pod spec */
};

#define PULL_SECRETS_MAX 64

static bool echo_key_ok(const char *s)
{
	return strlen(s) == KUBE_ECHO_KEY_LEN && strspn(s, "0123456789abcdef") == KUBE_ECHO_KEY_LEN;
}

/* 16 hex digits naming a secret without telling it: the first 8 bytes of
 * SHA-256("netctl WHAT id SECRET"). */
static int secret_id(const char *what, const char *secret, char out[17], struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf in;
	int ok;

	buf_init(&in, 256);
	if (buf_printf(&in, "netctl %s id %s", what, secret) < 0) {
		buf_release_secret(&in);
		return err_set(err, ERR_INTERNAL, "%s longer than 200 characters", what);
	}
	ok = EVP_Digest(in.data, in.len, md, &mdlen, EVP_sha256(), NULL);
	buf_release_secret(&in);
	if (!ok)
		return err_set(err, ERR_INTERNAL, "SHA-256 failed");
	for (size_t i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* base64 of a secret into a fixed field of struct vars (which fits it: 64 hex digits at
 * most), the heap copy wiped. */
static void secret_b64(const char *secret, char *out, size_t size)
{
	char *b64 = base64_encode(secret, strlen(secret));

	str_copy(out, size, b64);
	secret_free(b64);
}

/* The Secret's data values and the DaemonSets' annotations for the token and the echo
 * key: a token or key that changes changes the pod template, so the floaters restart with
 * it at once rather than when each kubelet gets round to refreshing the volume, which
 * would fail probes meanwhile (docs/decisions.md). */
static int secrets_derive(struct vars *v, struct err *err)
{
	if (v->token[0]) {
		secret_b64(v->token, v->token_b64, sizeof(v->token_b64));
		if (secret_id("token", v->token, v->token_id, err) < 0)
			return -1;
	}
	if (!v->echo_key[0])
		return 0;
	secret_b64(v->echo_key, v->echo_key_b64, sizeof(v->echo_key_b64));
	return secret_id("echo key", v->echo_key, v->echo_key_id, err);
}

char *kube_floater_image(const char *repository, const char *version)
{
	return xasprintf("%s/" KUBE_FLOATER_IMAGE_NAME ":%s",
			 repository ? repository : KUBE_DEFAULT_IMAGE_REPOSITORY,
			 version ? version : NETCTL_VERSION);
}

static int vars_init(struct vars *out, const struct kube_deploy_vars *v, struct err *err)
{
	int port = v->port ? v->port : KUBE_DEFAULT_PORT;

	memset(out, 0, sizeof(*out));
	if (port < 1 || port > 65535)
		return err_set(err, ERR_USAGE, "floater port %d is not in 1..65535", port);
	if (str_copy(out->ns, sizeof(out->ns),
		     v->namespace ? v->namespace : KUBE_DEFAULT_NAMESPACE) ||
	    str_copy(out->repo, sizeof(out->repo),
		     v->image_repository ? v->image_repository : KUBE_DEFAULT_IMAGE_REPOSITORY) ||
	    str_copy(out->version, sizeof(out->version), v->version ? v->version : NETCTL_VERSION))
		return err_set(err, ERR_USAGE, "namespace, image repository or version too long");
	snprintf(out->port, sizeof(out->port), "%d", port);
	if (strv_len(v->image_pull_secrets) > PULL_SECRETS_MAX)
		return err_set(err, ERR_USAGE, "more than %d image pull secrets", PULL_SECRETS_MAX);
	for (char *const *s = v->image_pull_secrets; s && *s; s++)
		if (!str_is_dns_subdomain(*s))
			return err_set(err, ERR_USAGE, "image pull secret '%s' is not a valid name",
				       *s);
	out->pull_secrets = v->image_pull_secrets;
	if (v->token && str_copy(out->token, sizeof(out->token), v->token))
		return err_set(err, ERR_USAGE, "floater token longer than 64 characters");
	if (v->echo_key) {
		if (!echo_key_ok(v->echo_key))
			return err_set(err, ERR_USAGE, "echo key: not %d lowercase hex digits",
				       KUBE_ECHO_KEY_LEN);
		str_copy(out->echo_key, sizeof(out->echo_key), v->echo_key);
	}
	out->placement = v->placement;
	return secrets_derive(out, err);
}

static const char *var_value(const struct vars *v, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} table[] = {
	    {"NAMESPACE", offsetof(struct vars, ns)},
	    {"IMAGE_REPOSITORY", offsetof(struct vars, repo)},
	    {"VERSION", offsetof(struct vars, version)},
	    {"PORT", offsetof(struct vars, port)},
	    {"TOKEN", offsetof(struct vars, token)},
	    {"TOKEN_BASE64", offsetof(struct vars, token_b64)},
	    {"ECHO_KEY_BASE64", offsetof(struct vars, echo_key_b64)},
	    {"ECHO_KEY_ID", offsetof(struct vars, echo_key_id)},
	    {"TOKEN_ID", offsetof(struct vars, token_id)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strlen(table[i].name) == len && !memcmp(table[i].name, name, len))
			return (const char *)v + table[i].off;
	return NULL;
}

/* Replaces ${NAME} inside one scalar; unknown names are an error. */
static char *subst(const char *s, const struct vars *v, struct err *err)
{
	struct buf b;
	const char *p, *end, *val;

	buf_init(&b, 1 << 20);
	while ((p = strstr(s, "${"))) {
		end = strchr(p + 2, '}');
		if (!end) {
			err_set(err, ERR_INTERNAL, "template: unterminated '${' in '%s'", s);
			goto fail;
		}
		val = var_value(v, p + 2, (size_t)(end - p - 2));
		if (!val) {
			err_set(err, ERR_INTERNAL, "template: unknown variable '%.*s'",
				(int)(end - p - 2), p + 2);
			goto fail;
		}
		if (buf_append(&b, s, (size_t)(p - s)) < 0 || buf_puts(&b, val) < 0)
			goto too_long;
		s = end + 1;
	}
	if (buf_puts(&b, s) < 0)
		goto too_long;
	return buf_steal(&b);
too_long:
	err_set(err, ERR_LIMIT, "template: rendered text over 1 MiB");
fail:
	buf_release(&b);
	return NULL;
}

/* ---- YAML -> JSON (over the ydoc tree kubeconfigs use) ----------------------------------- */

static bool plain_int(const char *s)
{
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (!*p || (p[0] == '0' && p[1]))
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return strlen(s) < 16;
}

static struct cJSON *scalar_json(const struct ynode *n, const struct vars *v, struct err *err)
{
	char *s = subst(n->value, v, err);
	struct cJSON *j;

	if (!s)
		return NULL;
	if (!n->plain)
		j = cJSON_CreateString(s);
	else if (!strcmp(s, "null") || !strcmp(s, "~") || !*s)
		j = cJSON_CreateNull();
	else if (!strcmp(s, "true"))
		j = cJSON_CreateTrue();
	else if (!strcmp(s, "false"))
		j = cJSON_CreateFalse();
	else if (plain_int(s))
		j = cJSON_CreateNumber((double)strtoll(s, NULL, 10));
	else
		j = cJSON_CreateString(s);
	free(s);
	return j;
}

/* budget: nodes left to emit (aliases may repeat a subtree many times over). */
static struct cJSON *node_json(const struct ynode *n, const struct vars *v, size_t *budget,
			       struct err *err)
{
	struct cJSON *j, *child;

	if (*budget == 0) {
		err_set(err, ERR_LIMIT, "template: more than %d YAML nodes", TEMPLATE_NODE_LIMIT);
		return NULL;
	}
	--*budget;
	if (n->type == YNODE_SCALAR)
		return scalar_json(n, v, err);
	if (n->type == YNODE_SEQ) {
		j = cJSON_CreateArray();
		for (size_t i = 0; i < n->n; i++) {
			if (!(child = node_json(n->items[i], v, budget, err)))
				goto fail;
			cJSON_AddItemToArray(j, child);
		}
		return j;
	}
	j = cJSON_CreateObject();
	for (size_t i = 0; i + 1 < n->n; i += 2) { /* key, value, ... (keys are scalars) */
		if (!(child = node_json(n->items[i + 1], v, budget, err)))
			goto fail;
		cJSON_AddItemToObject(j, n->items[i]->value, child);
	}
	return j;
fail:
	cJSON_Delete(j);
	return NULL;
}

static struct cJSON *yaml_to_json(const char *text, size_t len, const struct vars *v,
				  struct err *err)
{
	size_t budget = TEMPLATE_NODE_LIMIT;
	struct cJSON *j = NULL;
	struct ydoc doc;

	if (ydoc_parse(&doc, text, len, "template", err) < 0)
		return NULL;
	if (doc.root)
		j = node_json(doc.root, v, &budget, err);
	else
		err_set(err, ERR_INTERNAL, "template: empty document");
	ydoc_release(&doc);
	return j;
}

/* The pod spec of a rendered DaemonSet (spec.template.spec); NULL for any other object. */
static struct cJSON *daemonset_pod_spec(struct cJSON *obj)
{
	struct cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const char *kind = NULL;

	json_get_string(obj, "kind", &kind, NULL);
	spec = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "template"),
						"spec");
	return str_eq(kind, "DaemonSet") && cJSON_IsObject(spec) ? spec : NULL;
}

/* A DaemonSet's pod spec names the image pull secrets, or null, which a create ignores and
 * a merge patch reads as "remove": a DaemonSet that had some loses them, one that never
 * had any compares equal (json_subset). Added here, not in the YAML, because a template
 * variable only ever fills a scalar. */
static void pull_secrets_add(struct cJSON *obj, const struct vars *v)
{
	struct cJSON *spec = daemonset_pod_spec(obj), *list;

	if (!spec)
		return;
	if (!v->pull_secrets || !v->pull_secrets[0]) {
		cJSON_AddNullToObject(spec, "imagePullSecrets");
		return;
	}
	list = cJSON_AddArrayToObject(spec, "imagePullSecrets");
	for (char *const *s = v->pull_secrets; *s; s++) {
		struct cJSON *ref = cJSON_CreateObject();

		cJSON_AddStringToObject(ref, "name", *s);
		cJSON_AddItemToArray(list, ref);
	}
}

/* The placement's members replace those of a DaemonSet's pod spec. */
static void place(struct cJSON *obj, const struct cJSON *placement)
{
	struct cJSON *spec = placement ? daemonset_pod_spec(obj) : NULL;
	const struct cJSON *m;

	if (!spec)
		return;
	cJSON_ArrayForEach(m, placement)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(spec, m->string);
		cJSON_AddItemToObject(spec, m->string, cJSON_Duplicate(m, true));
	}
}

static struct cJSON *render(const char *name, const struct vars *v, struct err *err)
{
	for (const struct embedded_file *f = kube_deploy_files; f->name; f++) {
		if (strcmp(f->name, name))
			continue;
		struct cJSON *j = yaml_to_json(f->data, f->len, v, err);

		if (j) {
			place(j, v->placement);
			pull_secrets_add(j, v);
			return j;
		}
		err_prefix(err, "deploy/%s", name);
		return NULL;
	}
	err_set(err, ERR_INTERNAL, "no embedded template deploy/%s", name);
	return NULL;
}

struct cJSON *kube_template_render(const char *name, const struct kube_deploy_vars *dv,
				   struct err *err)
{
	struct vars v;

	if (vars_init(&v, dv, err) < 0)
		return NULL;
	return render(name, &v, err);
}

/* ---- object paths ------------------------------------------------------------------------- */

struct obj_ref {
	char collection[512]; /* /api/v1/namespaces/NS/secrets */
	char item[800];	      /* collection/NAME */
	const char *kind, *name, *ns;
};

static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

static int obj_ref_init(struct obj_ref *r, const struct cJSON *obj, struct err *err)
{
	const struct cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *api = NULL;
	char plural[64], prefix[128];
	size_t i;

	memset(r, 0, sizeof(*r));
	json_get_string(obj, "apiVersion", &api, NULL);
	json_get_string(obj, "kind", &r->kind, NULL);
	if (meta) {
		json_get_string(meta, "name", &r->name, NULL);
		json_get_string(meta, "namespace", &r->ns, NULL);
	}
	if (!api || !r->kind || !r->name || !dns_name_ok(r->name) || strlen(r->kind) > 60)
		return err_set(err, ERR_INTERNAL, "object needs apiVersion, kind and a valid name");
	for (i = 0; r->kind[i]; i++)
		plural[i] = (char)tolower((unsigned char)r->kind[i]);
	/* the kinds netctl handles all pluralise with a plain 's' */
	plural[i++] = 's';
	plural[i] = '\0';
	if (strchr(api, '/'))
		snprintf(prefix, sizeof(prefix), "/apis/%s", api);
	else
		snprintf(prefix, sizeof(prefix), "/api/%s", api);
	if (!strcmp(r->kind, "Namespace") || !strcmp(r->kind, "Node")) {
		snprintf(r->collection, sizeof(r->collection), "%s/%s", prefix, plural);
	} else {
		if (!r->ns || !dns_name_ok(r->ns))
			return err_set(err, ERR_INTERNAL, "%s %s needs a namespace", r->kind,
				       r->name);
		snprintf(r->collection, sizeof(r->collection), "%s/namespaces/%s/%s", prefix, r->ns,
			 plural);
	}
	snprintf(r->item, sizeof(r->item), "%s/%s", r->collection, r->name);
	return 0;
}

/* ---- apply -------------------------------------------------------------------------------- */

/* true when every field we set has the same value on the server (which adds defaults,
 * status and metadata of its own); a null we set means the field must be absent. */
static bool json_subset(const struct cJSON *want, const struct cJSON *have)
{
	const struct cJSON *w, *h;

	if (cJSON_IsNull(want)) /* a merge patch's null: "absent" */
		return !have || cJSON_IsNull(have);
	if (!have)
		return false;
	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(have))
			return false;
		cJSON_ArrayForEach(w, want)
		{
			if (!json_subset(w, cJSON_GetObjectItemCaseSensitive(have, w->string)))
				return false;
		}
		return true;
	}
	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(have) || cJSON_GetArraySize(want) != cJSON_GetArraySize(have))
			return false;
		h = have->child;
		cJSON_ArrayForEach(w, want)
		{
			if (!json_subset(w, h))
				return false;
			h = h->next;
		}
		return true;
	}
	return cJSON_Compare(want, have, true);
}

static bool has_our_label(const struct cJSON *obj)
{
	const struct cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const struct cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
	const char *v = NULL;

	json_get_string(labels, "app.kubernetes.io/managed-by", &v, NULL);
	return str_eq(v, "netctl");
}

static const char *obj_phase(const struct cJSON *obj)
{
	const struct cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const char *phase = NULL;

	json_get_string(st, "phase", &phase, NULL);
	return phase;
}

/* Sleeps while the loop keeps serving other requests. */
static void loop_sleep(struct kube_client *c, long ms)
{
	int64_t end = time_mono_us() + (int64_t)ms * 1000;
	struct timespec ts;

	for (int64_t now = time_mono_us(); now < end; now = time_mono_us()) {
		long left = (long)((end - now + 999) / 1000);

		if (kube_loop_pending(kube_client_loop(c))) {
			if (kube_loop_step(kube_client_loop(c), left, NULL) >= 0)
				continue;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* A namespace left Terminating by a previous clean refuses new objects: wait it out. */
static struct cJSON *wait_not_terminating(struct kube_client *c, const struct obj_ref *r,
					  struct cJSON *live, struct err *err)
{
	int64_t end = time_mono_us() + NS_GONE_WAIT_MS * 1000;

	while (live && str_eq(obj_phase(live), "Terminating")) {
		cJSON_Delete(live);
		if (time_mono_us() > end) {
			err_set(err, ERR_TIMEOUT, "cluster %s: namespace %s is still terminating",
				kube_client_name(c), r->name);
			return NULL;
		}
		loop_sleep(c, 500);
		live = kube_get(c, r->item, err);
	}
	return live;
}

/* Maps netctl sets whole: a key the server has and netctl no longer sets must go, but a
 * merge patch only removes what it names null, and json_subset would call the object
 * unchanged. */
static const char *const exact_map_paths[][4] = {
    {"spec", "template", "spec", "nodeSelector"},
};

static struct cJSON *path_get(const struct cJSON *obj, const char *const *path)
{
	for (size_t i = 0; i < 4 && obj; i++)
		obj = cJSON_GetObjectItemCaseSensitive(obj, path[i]);
	return (struct cJSON *)obj;
}

/* A copy of obj with a null for every key of such a map that live has and obj lacks, or
 * NULL when there is none (a map obj sets null goes whole anyway). */
static struct cJSON *exact_maps(const struct cJSON *obj, const struct cJSON *live)
{
	struct cJSON *copy = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(exact_map_paths); i++) {
		const struct cJSON *have = path_get(live, exact_map_paths[i]), *k;

		if (!cJSON_IsObject(have) || !cJSON_IsObject(path_get(obj, exact_map_paths[i])))
			continue;
		cJSON_ArrayForEach(k, have)
		{
			if (cJSON_GetObjectItemCaseSensitive(path_get(obj, exact_map_paths[i]),
							     k->string))
				continue;
			if (!copy)
				copy = cJSON_Duplicate(obj, true);
			cJSON_AddNullToObject(path_get(copy, exact_map_paths[i]), k->string);
		}
	}
	return copy;
}

int kube_apply(struct kube_client *c, const struct cJSON *obj, enum kube_apply_result *result,
	       struct err *err)
{
	struct err local = ERR_INIT;
	struct obj_ref r;
	struct cJSON *live, *out, *want = NULL;
	bool is_ns;

	if (!err)
		err = &local;
	if (obj_ref_init(&r, obj, err) < 0)
		return -1;
	is_ns = !strcmp(r.kind, "Namespace");
	live = kube_get(c, r.item, err);
	if (live && is_ns)
		live = wait_not_terminating(c, &r, live, err);
	if (!live) {
		if (err->code != ERR_NOTFOUND)
			return -1;
		out = kube_create(c, r.collection, obj, err);
		if (!out)
			return -1;
		cJSON_Delete(out);
		*result = KUBE_APPLY_CREATED;
		return 0;
	}
	want = exact_maps(obj, live);
	if (want)
		obj = want;
	/* a namespace somebody else made is used as it is, never adopted (or later deleted) */
	if (json_subset(obj, live) || (is_ns && !has_our_label(live))) {
		cJSON_Delete(live);
		cJSON_Delete(want);
		*result = KUBE_APPLY_UNCHANGED;
		return 0;
	}
	cJSON_Delete(live);
	out = kube_patch(c, r.item, "application/merge-patch+json", obj, err);
	cJSON_Delete(want);
	if (!out)
		return -1;
	cJSON_Delete(out);
	*result = KUBE_APPLY_UPDATED;
	return 0;
}

/* The Secret's value of key when it is what netctl writes there (hex of len characters,
 * base64-encoded), copied into out; else out is left empty. */
/* n bytes, every one a lower-case hex digit (what netctl writes into the Secret). */
static bool memspn_lower_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static void secret_hex(const struct cJSON *data, const char *key, size_t len, char *out)
{
	const char *b64 = NULL;
	unsigned char *raw = NULL;
	size_t n = 0;

	if (json_get_string(data, key, &b64, NULL) != 0 || !b64 || strlen(b64) > 88 ||
	    base64_decode(b64, &raw, &n) < 0)
		return;
	if (n == len && memspn_lower_hex(raw, n)) {
		memcpy(out, raw, len);
		out[len] = '\0';
	}
	secret_wipe(raw, n);
	free(raw);
}

static cJSON *secret_get(struct kube_client *c, const char *ns, struct err *err)
{
	char path[512];

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", ns, KUBE_TOKEN_SECRET);
	return kube_get(c, path, err);
}

static void random_hex(char *out, size_t nbytes, const unsigned char *rnd)
{
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

/* Reuses the token and echo key of an existing Secret (running floaters already hold
 * them), but the token when rotate is set; makes up what is missing. */
static int secret_pick(struct kube_client *c, struct vars *v, bool rotate, struct err *err)
{
	struct cJSON *s = secret_get(c, v->ns, err);
	const struct cJSON *data;
	unsigned char rnd[32];

	if (!s && err->code != ERR_NOTFOUND)
		return -1;
	err_clear(err);
	data = cJSON_GetObjectItemCaseSensitive(s, "data");
	if (!v->token[0] && !rotate)
		secret_hex(data, "token", 64, v->token);
	if (!v->echo_key[0])
		secret_hex(data, KUBE_ECHO_KEY_FILE, KUBE_ECHO_KEY_LEN, v->echo_key);
	cJSON_Delete(s);
	if (!v->token[0]) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return err_set(err, ERR_INTERNAL, "no random bytes for the floater token");
		random_hex(v->token, sizeof(rnd), rnd);
	}
	if (!v->echo_key[0]) {
		if (RAND_bytes(rnd, KUBE_ECHO_KEY_LEN / 2) != 1)
			return err_set(err, ERR_INTERNAL, "no random bytes for the echo key");
		random_hex(v->echo_key, KUBE_ECHO_KEY_LEN / 2, rnd);
	}
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return secrets_derive(v, err);
}

int kube_echo_key_get(struct kube_client *c, const char *ns, char out[KUBE_ECHO_KEY_LEN + 1],
		      struct err *err)
{
	struct cJSON *s = secret_get(c, ns ? ns : KUBE_DEFAULT_NAMESPACE, err);

	out[0] = '\0';
	if (!s) {
		if (err->code != ERR_NOTFOUND)
			return -1;
		err_clear(err);
		return 0;
	}
	secret_hex(cJSON_GetObjectItemCaseSensitive(s, "data"), KUBE_ECHO_KEY_FILE,
		   KUBE_ECHO_KEY_LEN, out);
	cJSON_Delete(s);
	return out[0] ? 1 : 0;
}

static int apply_one(struct kube_client *c, const char *tmpl, const struct vars *v,
		     struct kube_apply_report *rep, struct err *err)
{
	struct cJSON *obj = render(tmpl, v, err);
	enum kube_apply_result res;
	struct obj_ref r;
	size_t len;
	int rc = -1;

	if (!obj)
		return -1;
	if (obj_ref_init(&r, obj, err) < 0 || kube_apply(c, obj, &res, err) < 0)
		goto out;
	if (res == KUBE_APPLY_CREATED)
		rep->created++;
	else if (res == KUBE_APPLY_UPDATED)
		rep->updated++;
	else
		rep->unchanged++;
	len = strlen(rep->summary);
	snprintf(rep->summary + len, sizeof(rep->summary) - len, "%s%s/%s %s", len ? ", " : "",
		 r.kind, r.name, kube_apply_result_name(res));
	rc = 0;
out:
	cJSON_Delete(obj);
	return rc;
}

int kube_floaters_apply(struct kube_client *c, const struct kube_deploy_vars *dv, unsigned networks,
			struct kube_apply_report *rep, struct err *err)
{
	struct vars v;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	if (vars_init(&v, dv, err) < 0)
		return -1;
	if (!dns_name_ok(v.ns))
		return err_set(err, ERR_USAGE, "namespace '%s' is not a valid name", v.ns);
	if (apply_one(c, "namespace.yaml", &v, rep, err) < 0)
		goto out;
	if ((!v.token[0] || !v.echo_key[0]) && secret_pick(c, &v, dv->rotate_token, err) < 0)
		goto out;
	if (apply_one(c, "secret.yaml", &v, rep, err) < 0)
		goto out;
	if ((networks & KUBE_NET_POD) && apply_one(c, "daemonset-pod.yaml", &v, rep, err) < 0)
		goto out;
	if ((networks & KUBE_NET_HOST) && apply_one(c, "daemonset-host.yaml", &v, rep, err) < 0)
		goto out;
	str_copy(rep->token, sizeof(rep->token), v.token);
	str_copy(rep->echo_key, sizeof(rep->echo_key), v.echo_key);
	rc = 0;
out:
	OPENSSL_cleanse(&v, sizeof(v));
	return rc;
}

/* ---- nodes ---------------------------------------------------------------------------------- */

static bool condition_true(const struct cJSON *obj, const char *type)
{
	const struct cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const struct cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions");
	const struct cJSON *cnd;

	cJSON_ArrayForEach(cnd, conds)
	{
		const char *t = NULL, *v = NULL;

		json_get_string(cnd, "type", &t, NULL);
		json_get_string(cnd, "status", &v, NULL);
		if (str_eq(t, type))
			return str_eq(v, "True");
	}
	return false;
}

static const char *meta_name(const struct cJSON *obj)
{
	const struct cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *name = NULL;

	json_get_string(meta, "name", &name, NULL);
	return name;
}

/* An address as the API server reports it, kept only when it is an IP literal: what is
 * later probed or printed never comes unchecked from the server. */
static bool ip_ok(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, a) == 1;
}

/* Labels that a selector can name (valid key and value); others cannot match anything. */
static void node_labels(struct kube_node *n, const struct cJSON *item)
{
	const struct cJSON *meta = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const struct cJSON *l;
	size_t cap = 0;

	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(meta, "labels"))
	{
		if (!cJSON_IsString(l) || !l->string || !kube_label_key_ok(l->string) ||
		    !kube_label_value_ok(l->valuestring))
			continue;
		n->labels = xgrow(n->labels, &cap, n->nlabels + 1, sizeof(*n->labels));
		n->labels[n->nlabels].key = xstrdup(l->string);
		n->labels[n->nlabels++].value = xstrdup(l->valuestring);
	}
}

static void node_taints(struct kube_node *n, const struct cJSON *spec)
{
	const struct cJSON *t;
	size_t cap = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(spec, "taints"))
	{
		const char *key = NULL, *value = NULL, *effect = NULL;

		if (json_get_string(t, "key", &key, NULL) || !key ||
		    json_get_string(t, "effect", &effect, NULL) || !effect)
			continue;
		json_get_string(t, "value", &value, NULL);
		n->taints = xgrow(n->taints, &cap, n->ntaints + 1, sizeof(*n->taints));
		n->taints[n->ntaints].key = xstrdup(key);
		n->taints[n->ntaints].value = xstrdup_or_null(value);
		n->taints[n->ntaints++].effect = xstrdup(effect);
	}
}

static void node_parse(struct kube_node *n, const struct cJSON *item)
{
	const struct cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "spec");
	const struct cJSON *st = cJSON_GetObjectItemCaseSensitive(item, "status");
	const struct cJSON *a, *cidrs;
	const char *one = NULL;

	n->name = xstrdup(meta_name(item));
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(st, "addresses"))
	{
		const char *type = NULL, *addr = NULL;
		char *entry;

		if (json_get_string(a, "type", &type, NULL) ||
		    json_get_string(a, "address", &addr, NULL))
			continue;
		entry = xasprintf("%s=%s", type, addr);
		n->addresses = strv_append(n->addresses, entry);
		free(entry);
		if (strcmp(type, "InternalIP") || !ip_ok(addr))
			continue;
		if (strchr(addr, ':') && !n->internal_ipv6)
			n->internal_ipv6 = xstrdup(addr);
		else if (!strchr(addr, ':') && !n->internal_ipv4)
			n->internal_ipv4 = xstrdup(addr);
	}
	cidrs = cJSON_GetObjectItemCaseSensitive(spec, "podCIDRs");
	cJSON_ArrayForEach(a, cidrs)
	{
		if (cJSON_IsString(a))
			n->pod_cidrs = strv_append(n->pod_cidrs, a->valuestring);
	}
	if (!n->pod_cidrs && json_get_string(spec, "podCIDR", &one, NULL) == 0)
		n->pod_cidrs = strv_append(n->pod_cidrs, one);
	if (!n->addresses)
		n->addresses = xcalloc(1, sizeof(char *));
	if (!n->pod_cidrs)
		n->pod_cidrs = xcalloc(1, sizeof(char *));
	json_get_bool(spec, "unschedulable", &n->unschedulable, NULL);
	n->ready = condition_true(item, "Ready");
	node_labels(n, item);
	node_taints(n, spec);
}

/* A name from the server that becomes a table cell, a store key or a URL path segment. */
static int object_name_check(const char *kind, const char *name, struct err *err)
{
	if (!name)
		return err_set(err, ERR_PROTO, "the API server sent a %s without metadata.name",
			       kind);
	if (!dns_name_ok(name))
		return err_set(err, ERR_PROTO,
			       "the API server sent a %s named '%.80s', which is not a DNS name",
			       kind, name);
	return 0;
}

int kube_node_list_add(struct kube_node_list *l, size_t *cap, const struct cJSON *item,
		       struct err *err)
{
	if (object_name_check("node", meta_name(item), err) < 0)
		return -1;
	l->items = xgrow(l->items, cap, l->n + 1, sizeof(*l->items));
	memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
	node_parse(&l->items[l->n++], item);
	return 0;
}

struct list_acc {
	void *out;
	size_t cap;
};

static int node_item(void *arg, const struct cJSON *item, struct err *err)
{
	struct list_acc *acc = arg;

	return kube_node_list_add(acc->out, &acc->cap, item, err);
}

int kube_nodes_list(struct kube_client *c, struct kube_node_list *out, struct err *err)
{
	struct list_acc acc = {out, 0};
	struct kube_list_opts o = {.on_item = node_item, .arg = &acc};

	memset(out, 0, sizeof(*out));
	if (kube_list(c, "/api/v1/nodes", &o, err) < 0) {
		kube_node_list_release(out);
		return -1;
	}
	return 0;
}

void kube_node_list_release(struct kube_node_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct kube_node *n = &l->items[i];

		free(n->name);
		free(n->internal_ipv4);
		free(n->internal_ipv6);
		strv_free(n->addresses);
		strv_free(n->pod_cidrs);
		for (size_t k = 0; k < n->nlabels; k++) {
			free(n->labels[k].key);
			free(n->labels[k].value);
		}
		free(n->labels);
		for (size_t k = 0; k < n->ntaints; k++) {
			free(n->taints[k].key);
			free(n->taints[k].value);
			free(n->taints[k].effect);
		}
		free(n->taints);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* ---- the API server's addresses ---------------------------------------------------------- */

/* The port of an Endpoints subset the API server listens on: the one named "https", or
 * the only one; 0 when neither. */
static int https_port(const struct cJSON *subset)
{
	const struct cJSON *p, *ports = cJSON_GetObjectItemCaseSensitive(subset, "ports");
	long port = 0, only = 0;
	int n = 0;

	cJSON_ArrayForEach(p, ports)
	{
		const char *name = NULL;
		long v = 0;

		if (json_get_long(p, "port", 1, 65535, &v, NULL) != 0)
			continue;
		n++;
		only = v;
		if (json_get_string(p, "name", &name, NULL) == 0 && str_eq(name, "https"))
			port = v;
	}
	return (int)(port ? port : n == 1 ? only : 0);
}

int kube_apiserver_endpoints(struct kube_client *c, struct kube_endpoint *out, size_t max,
			     size_t *n, struct err *err)
{
	struct cJSON *ep = kube_get(c, "/api/v1/namespaces/default/endpoints/kubernetes", err);
	const struct cJSON *subset, *a;

	*n = 0;
	if (!ep) {
		if (err->code != ERR_NOTFOUND)
			return -1;
		err_clear(err);
		return 0;
	}
	cJSON_ArrayForEach(subset, cJSON_GetObjectItemCaseSensitive(ep, "subsets"))
	{
		int port = https_port(subset);

		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(subset, "addresses"))
		{
			const char *ip = NULL;

			if (!port || *n >= max || json_get_string(a, "ip", &ip, NULL) != 0 ||
			    !ip_ok(ip) || strlen(ip) >= sizeof(out->ip))
				continue;
			str_copy(out[*n].ip, sizeof(out[*n].ip), ip);
			out[(*n)++].port = port;
		}
	}
	cJSON_Delete(ep);
	return 0;
}

/* ---- pods ----------------------------------------------------------------------------------- */

/* "Pending; floater: ImagePullBackOff (...); PodScheduled=False Unschedulable: ..." */
static char *pod_why(const struct cJSON *item, const char *phase)
{
	const struct cJSON *st = cJSON_GetObjectItemCaseSensitive(item, "status");
	const struct cJSON *cs, *cnd;
	struct buf b;
	bool full;

	/* 600 bytes of the API server's words at most: what does not fit is left out */
	buf_init(&b, 600);
	full = buf_puts(&b, phase ? phase : "no phase") < 0;
	cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(st, "containerStatuses"))
	{
		const struct cJSON *state = cJSON_GetObjectItemCaseSensitive(cs, "state");
		const struct cJSON *w = cJSON_GetObjectItemCaseSensitive(state, "waiting");
		const struct cJSON *t = cJSON_GetObjectItemCaseSensitive(state, "terminated");
		const char *reason = NULL, *msg = NULL, *name = NULL;

		json_get_string(cs, "name", &name, NULL);
		json_get_string(w ? w : t, "reason", &reason, NULL);
		json_get_string(w ? w : t, "message", &msg, NULL);
		if (reason)
			full |= buf_printf(&b, "; %s: %s%s%s%s", name ? name : "container", reason,
					   msg ? " (" : "", msg ? msg : "", msg ? ")" : "") < 0;
		else if (!condition_true(item, "Ready"))
			full |= buf_printf(&b, "; %s: running, not ready",
					   name ? name : "container") < 0;
	}
	cJSON_ArrayForEach(cnd, cJSON_GetObjectItemCaseSensitive(st, "conditions"))
	{
		const char *type = NULL, *status = NULL, *reason = NULL, *msg = NULL;

		json_get_string(cnd, "type", &type, NULL);
		json_get_string(cnd, "status", &status, NULL);
		json_get_string(cnd, "reason", &reason, NULL);
		json_get_string(cnd, "message", &msg, NULL);
		if (str_eq(status, "True") || !type)
			continue;
		full |= buf_printf(&b, "; %s=%s%s%s%s%s", type, status ? status : "?",
				   reason ? " " : "", reason ? reason : "", msg ? ": " : "",
				   msg ? msg : "") < 0;
	}
	if (full && buf_puts(&b, "; ...") < 0 && b.len >= 5)
		memcpy(b.data + b.len - 5, "; ...", 5);
	return buf_steal(&b);
}

/* The DaemonSet controller pins each pod to its node with a required node affinity on
 * metadata.name; until the scheduler binds it, that is the only link to the node. */
static char *affinity_node(const struct cJSON *spec)
{
	const struct cJSON *na = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(spec, "affinity"), "nodeAffinity");
	const struct cJSON *req =
	    cJSON_GetObjectItemCaseSensitive(na, "requiredDuringSchedulingIgnoredDuringExecution");
	const struct cJSON *term, *f;

	cJSON_ArrayForEach(term, cJSON_GetObjectItemCaseSensitive(req, "nodeSelectorTerms"))
	{
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(term, "matchFields"))
		{
			const char *key = NULL, *op = NULL;
			const struct cJSON *vals = cJSON_GetObjectItemCaseSensitive(f, "values");

			json_get_string(f, "key", &key, NULL);
			json_get_string(f, "operator", &op, NULL);
			if (str_eq(key, "metadata.name") && str_eq(op, "In") &&
			    cJSON_GetArraySize(vals) == 1 && cJSON_IsString(vals->child))
				return xstrdup(vals->child->valuestring);
		}
	}
	return NULL;
}

static void pod_parse(struct kube_pod *p, const struct cJSON *item)
{
	const struct cJSON *meta = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const struct cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");
	const struct cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "spec");
	const struct cJSON *st = cJSON_GetObjectItemCaseSensitive(item, "status");
	const struct cJSON *ip, *ref;
	const char *s = NULL;

	p->name = xstrdup(meta_name(item));
	if (json_get_string(spec, "nodeName", &s, NULL) == 0)
		p->node = xstrdup(s);
	if (json_get_string(st, "hostIP", &s, NULL) == 0 && ip_ok(s))
		p->host_ip = xstrdup(s);
	if (json_get_string(labels, "netctl.io/network", &s, NULL) == 0)
		p->network = xstrdup(s);
	if (json_get_string(st, "phase", &s, NULL) == 0)
		p->phase = xstrdup(s);
	cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences"))
	{
		const struct cJSON *ctl = cJSON_GetObjectItemCaseSensitive(ref, "controller");

		if (cJSON_IsTrue(ctl) && json_get_string(ref, "kind", &s, NULL) == 0 &&
		    str_eq(s, "DaemonSet") && json_get_string(ref, "uid", &s, NULL) == 0 &&
		    !p->owner_uid)
			p->owner_uid = xstrdup(s);
	}
	cJSON_ArrayForEach(ip, cJSON_GetObjectItemCaseSensitive(st, "podIPs"))
	{
		if (json_get_string(ip, "ip", &s, NULL) != 0 || !ip_ok(s))
			continue;
		if (strchr(s, ':') && !p->ipv6)
			p->ipv6 = xstrdup(s);
		else if (!strchr(s, ':') && !p->ipv4)
			p->ipv4 = xstrdup(s);
	}
	if (!p->ipv4 && !p->ipv6 && json_get_string(st, "podIP", &s, NULL) == 0 && ip_ok(s))
		*(strchr(s, ':') ? &p->ipv6 : &p->ipv4) = xstrdup(s);
	if (!p->node)
		p->wanted_node = affinity_node(spec);
	p->ready = condition_true(item, "Ready");
	if (!p->ready)
		p->why = pod_why(item, p->phase);
}

int kube_pod_list_add(struct kube_pod_list *l, size_t *cap, const struct cJSON *item,
		      struct err *err)
{
	if (object_name_check("pod", meta_name(item), err) < 0)
		return -1;
	l->items = xgrow(l->items, cap, l->n + 1, sizeof(*l->items));
	memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
	pod_parse(&l->items[l->n++], item);
	return 0;
}

static int pod_item(void *arg, const struct cJSON *item, struct err *err)
{
	struct list_acc *acc = arg;

	return kube_pod_list_add(acc->out, &acc->cap, item, err);
}

int kube_pods_list(struct kube_client *c, const char *ns, const char *label_selector,
		   struct kube_pod_list *out, struct err *err)
{
	struct list_acc acc = {out, 0};
	struct kube_list_opts o = {.on_item = pod_item, .arg = &acc};
	char path[512];

	memset(out, 0, sizeof(*out));
	if (!dns_name_ok(ns))
		return err_set(err, ERR_USAGE, "namespace '%s' is not a valid name", ns);
	o.label_selector =
	    label_selector ? label_selector : "app.kubernetes.io/name=netctl-floater";
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	if (kube_list(c, path, &o, err) < 0) {
		kube_pod_list_release(out);
		return -1;
	}
	return 0;
}

void kube_pod_list_release(struct kube_pod_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct kube_pod *p = &l->items[i];

		free(p->name);
		free(p->node);
		free(p->wanted_node);
		free(p->host_ip);
		free(p->ipv4);
		free(p->ipv6);
		free(p->network);
		free(p->phase);
		free(p->why);
		free(p->owner_uid);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* ---- DaemonSet rollout -------------------------------------------------------------------- */

int kube_daemonset_status(struct kube_client *c, const char *ns, const char *name,
			  struct kube_ds_status *s, struct err *err)
{
	struct cJSON *ds;
	const struct cJSON *meta, *st, *sel, *lbl;
	char path[512];
	size_t len = 0;

	if (!dns_name_ok(ns) || !dns_name_ok(name))
		return err_set(err, ERR_USAGE, "invalid DaemonSet %s/%s", ns, name);
	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/daemonsets/%s", ns, name);
	ds = kube_get(c, path, err);
	if (!ds)
		return -1;
	memset(s, 0, sizeof(*s));
	meta = cJSON_GetObjectItemCaseSensitive(ds, "metadata");
	st = cJSON_GetObjectItemCaseSensitive(ds, "status");
	{
		const char *uid = NULL;

		if (json_get_string(meta, "uid", &uid, NULL) == 0)
			str_copy(s->uid, sizeof(s->uid), uid);
	}
	json_get_long(meta, "generation", 0, LONG_MAX, &s->generation, NULL);
	json_get_long(st, "observedGeneration", 0, LONG_MAX, &s->observed, NULL);
	json_get_long(st, "desiredNumberScheduled", 0, LONG_MAX, &s->desired, NULL);
	json_get_long(st, "numberReady", 0, LONG_MAX, &s->ready, NULL);
	json_get_long(st, "updatedNumberScheduled", 0, LONG_MAX, &s->updated, NULL);
	sel = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ds, "spec"),
					     "selector"),
	    "matchLabels");
	cJSON_ArrayForEach(lbl, sel)
	{
		if (cJSON_IsString(lbl) && len < sizeof(s->selector))
			len += (size_t)snprintf(s->selector + len, sizeof(s->selector) - len,
						"%s%s=%s", len ? "," : "", lbl->string,
						lbl->valuestring);
	}
	cJSON_Delete(ds);
	return 0;
}

static void problem_add(struct kube_rollout *out, size_t *cap, const char *node, const char *pod,
			const char *why)
{
	struct kube_rollout_problem *p;

	out->problems = xgrow(out->problems, cap, out->nproblems + 1, sizeof(*out->problems));
	p = &out->problems[out->nproblems++];
	p->node = xstrdup(node ? node : "(unscheduled)");
	p->pod = pod ? xstrdup(pod) : NULL;
	p->why = xstrdup(why);
}

/* Per node: which has no ready floater, and why. */
static int rollout_explain(struct kube_client *c, const char *ns, const struct kube_ds_status *s,
			   struct kube_rollout *out, struct err *err)
{
	struct kube_node_list nodes;
	struct kube_pod_list pods;
	size_t cap = 0;

	if (kube_nodes_list(c, &nodes, err) < 0)
		return -1;
	if (kube_pods_list(c, ns, s->selector[0] ? s->selector : NULL, &pods, err) < 0) {
		kube_node_list_release(&nodes);
		return -1;
	}
	for (size_t i = 0; i < nodes.n; i++) {
		const struct kube_pod *pod = NULL;

		for (size_t k = 0; k < pods.n && !pod; k++)
			if (str_eq(pods.items[k].node, nodes.items[i].name) ||
			    str_eq(pods.items[k].wanted_node, nodes.items[i].name))
				pod = &pods.items[k];
		if (pod && pod->ready)
			continue;
		if (pod)
			problem_add(out, &cap, nodes.items[i].name, pod->name, pod->why);
		else
			problem_add(out, &cap, nodes.items[i].name, NULL,
				    nodes.items[i].ready ? "no floater pod created for this node"
							 : "no floater pod (node NotReady)");
	}
	for (size_t k = 0; k < pods.n; k++)
		if (!pods.items[k].node && !pods.items[k].wanted_node)
			problem_add(out, &cap, NULL, pods.items[k].name,
				    pods.items[k].why ? pods.items[k].why : "not scheduled");
	kube_node_list_release(&nodes);
	kube_pod_list_release(&pods);
	return 0;
}

int kube_daemonset_wait(struct kube_client *c, const char *ns, const char *name, long timeout_ms,
			struct kube_rollout *out, struct err *err)
{
	int64_t start = time_mono_us(), end = start + (int64_t)timeout_ms * 1000;
	struct kube_ds_status s;
	char took[32];
	long pause = 200;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (kube_daemonset_status(c, ns, name, &s, err) < 0)
			return -1;
		out->desired = s.desired;
		out->ready = s.ready;
		if (s.observed >= s.generation && s.desired > 0 && s.ready >= s.desired &&
		    s.updated >= s.desired)
			return 0;
		if (time_mono_us() + pause * 1000 > end)
			break;
		loop_sleep(c, pause);
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
	}
	time_format_duration(timeout_ms, took, sizeof(took));
	if (rollout_explain(c, ns, &s, out, err) < 0)
		return -1;
	if (!out->nproblems && s.desired == 0)
		return err_set(err, ERR_TIMEOUT,
			       "cluster %s: DaemonSet %s/%s: no floater scheduled after %s: the "
			       "cluster has no nodes",
			       kube_client_name(c), ns, name, took);
	return err_set(err, ERR_TIMEOUT,
		       "cluster %s: DaemonSet %s/%s: %ld of %ld floaters ready after %s; %zu "
		       "node(s) without a ready floater, first %s: %s",
		       kube_client_name(c), ns, name, s.ready, s.desired, took, out->nproblems,
		       out->nproblems ? out->problems[0].node : "-",
		       out->nproblems ? out->problems[0].why : "rollout not observed yet");
}

void kube_rollout_release(struct kube_rollout *r)
{
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].node);
		free(r->problems[i].pod);
		free(r->problems[i].why);
	}
	free(r->problems);
	r->problems = NULL;
	r->nproblems = 0;
}

/* ---- delete ------------------------------------------------------------------------------- */

/* Foreground for DaemonSets (they go once their pods are gone); objects without dependents
 * are deleted in the background, so they never wait for the garbage collector. */
/* Deletes one object by name if it carries netctl's label, with its UID as precondition
 * (an object somebody else re-created under that name in between is not touched). By name
 * rather than by label selector: RBAC can then limit get and delete to netctl's own names
 * (deploy/rbac.yaml), and no list of other Secrets is ever needed. */
static int delete_ours(struct kube_client *c, const char *item, bool foreground, struct err *err)
{
	struct cJSON *live = kube_get(c, item, err), *opts, *pre;
	const char *uid = NULL;
	int rc;

	if (!live)
		return err->code == ERR_NOTFOUND ? (err_clear(err), 0) : -1;
	if (!has_our_label(live)) {
		cJSON_Delete(live);
		return 0;
	}
	json_get_string(cJSON_GetObjectItemCaseSensitive(live, "metadata"), "uid", &uid, NULL);
	opts = cJSON_CreateObject();
	cJSON_AddStringToObject(opts, "kind", "DeleteOptions");
	cJSON_AddStringToObject(opts, "apiVersion", "v1");
	cJSON_AddStringToObject(opts, "propagationPolicy",
				foreground ? "Foreground" : "Background");
	if (uid) {
		pre = cJSON_AddObjectToObject(opts, "preconditions");
		cJSON_AddStringToObject(pre, "uid", uid);
	}
	rc = kube_delete(c, item, opts, err);
	/* gone, or replaced by somebody else's object since we read it (409): fine */
	if (rc < 0 && (err->code == ERR_NOTFOUND || strstr(err->msg, "(HTTP 409 ")))
		rc = (err_clear(err), 0);
	cJSON_Delete(opts);
	cJSON_Delete(live);
	return rc;
}

/* Kinds a namespace can hold that make it somebody else's too, each with what in it is
 * ours or the cluster's own (the "default" ServiceAccount, its token, kube-root-ca.crt). */
static const struct foreign_kind {
	const char *prefix, *resource, *fields;
	bool labelled; /* netctl's objects of this kind carry KUBE_MANAGED_SELECTOR */
} FOREIGN_KINDS[] = {
    {"/api/v1", "pods", NULL, true},
    {"/apis/apps/v1", "deployments", NULL, false},
    {"/apis/apps/v1", "statefulsets", NULL, false},
    {"/apis/apps/v1", "daemonsets", NULL, true},
    {"/apis/apps/v1", "replicasets", NULL, false},
    {"/apis/batch/v1", "jobs", NULL, false},
    {"/api/v1", "services", NULL, false},
    {"/api/v1", "persistentvolumeclaims", NULL, false},
    {"/api/v1", "configmaps", "metadata.name!=kube-root-ca.crt", false},
    {"/api/v1", "secrets", "type!=kubernetes.io/service-account-token", true},
    {"/api/v1", "serviceaccounts", "metadata.name!=default", true},
};

/* 1 and a description in why if ns holds an object netctl did not make, 0 if not, -1 if
 * that cannot be known (a list refused: the namespace is then kept, and why says so). */
static int foreign_object(struct kube_client *c, const char *ns, char *why, size_t len,
			  struct err *err)
{
	char *not_ours = kube_escape("app.kubernetes.io/managed-by!=netctl");
	int found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(FOREIGN_KINDS) && !found; i++) {
		const struct foreign_kind *k = &FOREIGN_KINDS[i];
		char *fields = k->fields ? kube_escape(k->fields) : NULL;
		char *path =
		    xasprintf("%s/namespaces/%s/%s?limit=1%s%s%s%s", k->prefix, ns, k->resource,
			      fields ? "&fieldSelector=" : "", fields ? fields : "",
			      k->labelled ? "&labelSelector=" : "", k->labelled ? not_ours : "");
		struct cJSON *list = kube_get(c, path, err), *item;
		const char *name = NULL;

		free(path);
		free(fields);
		if (!list) {
			snprintf(why, len, "its %s cannot be listed (%.180s)", k->resource,
				 err->msg);
			err_clear(err);
			found = -1;
			break;
		}
		item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(list, "items"), 0);
		if (item) {
			json_get_string(cJSON_GetObjectItemCaseSensitive(item, "metadata"), "name",
					&name, NULL);
			snprintf(why, len, "it holds %s/%s, which netctl did not create",
				 k->resource, name ? name : "?");
			found = 1;
		}
		cJSON_Delete(list);
	}
	free(not_ours);
	return found;
}

int kube_floaters_delete(struct kube_client *c, const char *ns, long wait_ms,
			 struct kube_clean *out, struct err *err)
{
	static const char *const items[][2] = {
	    {"/apis/apps/v1", "daemonsets/" KUBE_FLOATER_NAME},
	    {"/apis/apps/v1", "daemonsets/" KUBE_FLOATER_HOST_NAME},
	    {"/api/v1", "secrets/" KUBE_TOKEN_SECRET}};
	struct kube_clean local_out;
	struct err local = ERR_INIT;
	char path[512];
	struct cJSON *live;
	int64_t now;
	bool ours;

	if (!err)
		err = &local;
	if (!out)
		out = &local_out;
	memset(out, 0, sizeof(*out));
	if (!dns_name_ok(ns))
		return err_set(err, ERR_USAGE, "namespace '%s' is not a valid name", ns);
	for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
		snprintf(path, sizeof(path), "%s/namespaces/%s/%s", items[i][0], ns, items[i][1]);
		if (delete_ours(c, path, i < 2, err) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
	live = kube_get(c, path, err);
	if (!live)
		return err->code == ERR_NOTFOUND ? (err_clear(err), 0) : -1;
	ours = has_our_label(live);
	cJSON_Delete(live);
	if (!ours || foreign_object(c, ns, out->kept, sizeof(out->kept), err) != 0)
		return 0;
	if (kube_delete(c, path, NULL, err) < 0 && err->code != ERR_NOTFOUND)
		return -1;
	out->ns_deleted = true;
	if (wait_ms <= 0)
		return 0;
	now = time_mono_us();
	return kube_namespace_wait_gone(c, ns, now, now + (int64_t)wait_ms * 1000, err);
}

int kube_namespace_wait_gone(struct kube_client *c, const char *ns, int64_t start_us,
			     int64_t end_us, struct err *err)
{
	char path[512];

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
	for (;;) {
		struct cJSON *live = kube_get(c, path, err);

		if (!live)
			return err->code == ERR_NOTFOUND ? (err_clear(err), 0) : -1;
		cJSON_Delete(live);
		if (time_mono_us() > end_us)
			return err_set(err, ERR_TIMEOUT,
				       "cluster %s: namespace %s still terminating after %lld ms",
				       kube_client_name(c), ns,
				       (long long)((end_us - start_us) / 1000));
		loop_sleep(c, 250);
	}
}

int kube_access_check(struct kube_client *c, const struct kube_access *a, bool *allowed,
		      struct err *err)
{
	struct cJSON *review = cJSON_CreateObject(), *attrs, *out;
	const struct cJSON *status;

	*allowed = true;
	cJSON_AddStringToObject(review, "apiVersion", "authorization.k8s.io/v1");
	cJSON_AddStringToObject(review, "kind", "SelfSubjectAccessReview");
	attrs =
	    cJSON_AddObjectToObject(cJSON_AddObjectToObject(review, "spec"), "resourceAttributes");
	cJSON_AddStringToObject(attrs, "verb", a->verb);
	cJSON_AddStringToObject(attrs, "group", a->group ? a->group : "");
	cJSON_AddStringToObject(attrs, "resource", a->resource);
	if (a->subresource)
		cJSON_AddStringToObject(attrs, "subresource", a->subresource);
	if (a->namespace)
		cJSON_AddStringToObject(attrs, "namespace", a->namespace);
	out = kube_create(c, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review, err);
	cJSON_Delete(review);
	if (!out) {
		/* an API server without the review API, or a user who may not ask: the request
		 * itself will tell */
		if (err->code == ERR_NOTFOUND || err->code == ERR_AUTH)
			return (err_clear(err), 0);
		return -1;
	}
	status = cJSON_GetObjectItemCaseSensitive(out, "status");
	if (json_get_bool(status, "allowed", allowed, NULL) != 0)
		*allowed = false;
	cJSON_Delete(out);
	return 0;
}
