/* kubeconfig: kubeconfig files (parsed by ydoc.c), kubectl-style merging, PEM checks, in-cluster
 * config and resolution of one context. */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubeconfig.h"
#include "ydoc.h"

#define KC_FILE_LIMIT  (4u << 20) /* a kubeconfig is a few KiB; 4 MiB is generous */
#define KC_PEM_LIMIT   (1u << 20)
#define KC_FILES_LIMIT 64 /* entries in $KUBECONFIG */
#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

/* ---- kubeconfig model: one file, then merged --------------------------------------- */

struct kc_cluster {
	char *name;
	char *server, *ca_file, *tls_server_name, *proxy_url;
	struct kube_blob ca_data;
	bool has_ca_data, insecure;
	const char *source;
	size_t index;
};

struct kc_user {
	char *name;
	char *cert_file, *key_file, *token, *token_file, *username, *password;
	struct kube_blob cert_data, key_data;
	bool has_cert_data, has_key_data;
	char *auth_provider; /* legacy auth-provider name, unsupported */
	char *impersonate;   /* the first impersonation field seen, unsupported */
	struct kube_exec *exec;
	const char *source;
	size_t index;
};

struct kc_context {
	char *name, *cluster, *user, *namespace;
	const char *source;
	size_t index;
};

struct kc_config {
	struct kc_cluster *clusters;
	struct kc_user *users;
	struct kc_context *contexts;
	size_t n_clusters, n_users, n_contexts;
	size_t cap_clusters, cap_users, cap_contexts;
	char *current_context;
	const char *current_source;
	char **files; /* owned paths; entries above point into these */
	size_t n_files, cap_files;
	size_t n_empty; /* files that held no document */
};

/* Parse context for one file: where we are, for one-line messages. */
struct kc_parse {
	const char *file;
	char *dir;
	struct ydoc *doc;
	struct err *err;
};

static int kc_fail(struct kc_parse *p, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int kc_fail(struct kc_parse *p, const char *path, const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(p->err, ERR_USAGE, "kubeconfig %s: %s%s%s: %s", p->file, path,
		       *path && field ? "." : "", field ? field : "", what);
}

/* String field: absent/null -> 0 with *out untouched; wrong type -> -1. */
static int kc_string(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		     char **out)
{
	const struct ynode *v = ymap_get(p->doc, map, key);

	if (!v)
		return 0;
	if (v->type != YNODE_SCALAR)
		return kc_fail(p, path, key, "expected a string, got %s", ynode_type_name(v));
	free(*out);
	*out = xstrdup(v->value);
	return 0;
}

static int kc_bool(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		   bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",	  "On",	  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",	  "off",   "Off",   "OFF"};
	const struct ynode *v = ymap_get(p->doc, map, key);

	if (!v)
		return 0;
	if (v->type == YNODE_SCALAR && v->plain) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(v->value, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(v->value, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return kc_fail(p, path, key, "expected true or false");
}

/* Map field: absent -> *out NULL and 0. */
static int kc_map(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		  const struct ynode **out)
{
	const struct ynode *v = ymap_get(p->doc, map, key);

	*out = NULL;
	if (!v)
		return 0;
	if (v->type != YNODE_MAP)
		return kc_fail(p, path, key, "expected a mapping, got %s", ynode_type_name(v));
	*out = v;
	return 0;
}

static int kc_seq(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		  const struct ynode **out)
{
	const struct ynode *v = ymap_get(p->doc, map, key);

	*out = NULL;
	if (!v)
		return 0;
	if (v->type != YNODE_SEQ)
		return kc_fail(p, path, key, "expected a list, got %s", ynode_type_name(v));
	*out = v;
	return 0;
}

static int kc_base64(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		     struct kube_blob *out, bool *has)
{
	char *s = NULL;
	int rc = -1;

	if (kc_string(p, map, path, key, &s) < 0)
		return -1;
	if (!s)
		return 0;
	free(out->data);
	out->data = NULL;
	if (base64_decode(s, &out->data, &out->len) < 0) {
		kc_fail(p, path, key, "invalid base64");
		goto out;
	}
	*has = out->len > 0; /* empty data counts as absent, as in kubectl */
	rc = 0;
out:
	free(s);
	return rc;
}

/* Resolves a file reference: '~' expanded, relative paths against the kubeconfig's dir. */
static int kc_path(struct kc_parse *p, const struct ynode *map, const char *path, const char *key,
		   char **out)
{
	char *s = NULL, *home;
	struct err e = ERR_INIT;

	if (kc_string(p, map, path, key, &s) < 0)
		return -1;
	if (!s)
		return 0;
	if (!*s) {
		free(s);
		return 0;
	}
	home = path_expand_home(s, &e);
	free(s);
	if (!home)
		return kc_fail(p, path, key, "%s", e.msg);
	free(*out);
	*out = home[0] == '/' ? home : xasprintf("%s/%s", p->dir, home);
	if (*out != home)
		free(home);
	return 0;
}

static int kc_name(struct kc_parse *p, const struct ynode *item, const char *path, char **out)
{
	if (item->type != YNODE_MAP)
		return kc_fail(p, path, NULL, "expected a mapping, got %s", ynode_type_name(item));
	if (kc_string(p, item, path, "name", out) < 0)
		return -1;
	if (!*out || !**out)
		return kc_fail(p, path, "name", "missing");
	return 0;
}

void kube_blob_release(struct kube_blob *b)
{
	secret_wipe(b->data, b->len); /* key material: do not leave it in freed memory */
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void kube_blob_copy(struct kube_blob *dst, const struct kube_blob *src)
{
	dst->data = NULL;
	dst->len = src->len;
	if (src->data) {
		dst->data = xmalloc(src->len + 1);
		memcpy(dst->data, src->data, src->len);
		dst->data[src->len] = '\0';
	}
}

static void kc_cluster_release(struct kc_cluster *c)
{
	free(c->name);
	free(c->server);
	free(c->ca_file);
	free(c->tls_server_name);
	free(c->proxy_url);
	kube_blob_release(&c->ca_data);
}

void kube_exec_free(struct kube_exec *x)
{
	if (!x)
		return;
	free(x->api_version);
	free(x->command);
	strv_free(x->args);
	strv_free(x->env);
	free(x->install_hint);
	free(x->interactive_mode);
	free(x);
}

struct kube_exec *kube_exec_dup(const struct kube_exec *x)
{
	struct kube_exec *c;

	if (!x)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->api_version = xstrdup_or_null(x->api_version);
	c->command = xstrdup_or_null(x->command);
	c->install_hint = xstrdup_or_null(x->install_hint);
	c->interactive_mode = xstrdup_or_null(x->interactive_mode);
	c->provide_cluster_info = x->provide_cluster_info;
	c->args = strv_dup(x->args);
	c->env = strv_dup(x->env);
	return c;
}

static void kc_user_release(struct kc_user *u)
{
	free(u->name);
	free(u->cert_file);
	free(u->key_file);
	secret_free(u->token);
	free(u->token_file);
	free(u->username);
	secret_free(u->password);
	kube_blob_release(&u->cert_data);
	kube_blob_release(&u->key_data);
	free(u->auth_provider);
	free(u->impersonate);
	kube_exec_free(u->exec);
}

static void kc_context_release(struct kc_context *c)
{
	free(c->name);
	free(c->cluster);
	free(c->user);
	free(c->namespace);
}

static void kc_config_release(struct kc_config *c)
{
	for (size_t i = 0; i < c->n_clusters; i++)
		kc_cluster_release(&c->clusters[i]);
	for (size_t i = 0; i < c->n_users; i++)
		kc_user_release(&c->users[i]);
	for (size_t i = 0; i < c->n_contexts; i++)
		kc_context_release(&c->contexts[i]);
	free(c->clusters);
	free(c->users);
	free(c->contexts);
	free(c->current_context);
	strv_free(c->files);
	memset(c, 0, sizeof(*c));
}

/* Names, sorted: a kubeconfig may hold tens of thousands of entries, so duplicates and
 * names already merged are found in O(n log n), not by comparing every pair. */
struct kc_name {
	const char *name;
	size_t index;
};

static int kc_name_cmp(const void *a, const void *b)
{
	const struct kc_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int kc_name_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct kc_name *)a)->name, ((const struct kc_name *)b)->name);
}

/* The names of the n entries of an array of struct kc_cluster, kc_user or kc_context. */
#define KC_NAMES(arr, n, type) kc_names_sorted((arr), (n), sizeof(type), offsetof(type, name))

static struct kc_name *kc_names_sorted(const void *base, size_t n, size_t size, size_t off)
{
	struct kc_name *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i].name = *(char *const *)((const char *)base + i * size + off);
		v[i].index = i;
	}
	qsort(v, n, sizeof(*v), kc_name_cmp);
	return v;
}

static bool kc_names_have(const struct kc_name *v, size_t n, const char *name)
{
	struct kc_name key = {.name = name};

	return n && bsearch(&key, v, n, sizeof(*v), kc_name_cmp_name);
}

/* Fails on the first entry (in file order) whose name an earlier entry has; frees v. */
static int kc_unique(struct kc_parse *p, const char *section, struct kc_name *v, size_t n)
{
	const struct kc_name *dup = NULL;
	char path[32];
	int rc = 0;

	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].name, v[i - 1].name) && (!dup || v[i].index < dup->index))
			dup = &v[i];
	if (dup) {
		snprintf(path, sizeof(path), "%s[%zu]", section, dup->index);
		rc = kc_fail(p, path, "name", "duplicate name '%.80s'", dup->name);
	}
	free(v);
	return rc;
}

/* ---- per-section parsers ----------------------------------------------------------- */

static int kc_parse_cluster(struct kc_parse *p, const struct ynode *item, const char *path,
			    struct kc_cluster *c)
{
	const struct ynode *m;
	char sub[64];

	if (kc_name(p, item, path, &c->name) < 0 || kc_map(p, item, path, "cluster", &m) < 0)
		return -1;
	if (!m)
		return kc_fail(p, path, "cluster", "missing");
	snprintf(sub, sizeof(sub), "%s.cluster", path);
	if (kc_string(p, m, sub, "server", &c->server) < 0 ||
	    kc_path(p, m, sub, "certificate-authority", &c->ca_file) < 0 ||
	    kc_base64(p, m, sub, "certificate-authority-data", &c->ca_data, &c->has_ca_data) < 0 ||
	    kc_bool(p, m, sub, "insecure-skip-tls-verify", &c->insecure) < 0 ||
	    kc_string(p, m, sub, "tls-server-name", &c->tls_server_name) < 0 ||
	    kc_string(p, m, sub, "proxy-url", &c->proxy_url) < 0)
		return -1;
	return 0;
}

static int kc_parse_exec_env(struct kc_parse *p, const struct ynode *seq, const char *path,
			     struct kube_exec *x)
{
	x->env = xcalloc(seq->n + 1, sizeof(char *));
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *e = seq->items[i];
		char sub[160];
		char *name = NULL, *value = NULL;
		int rc;

		snprintf(sub, sizeof(sub), "%s.env[%zu]", path, i);
		if (e->type != YNODE_MAP)
			return kc_fail(p, sub, NULL,
				       "expected a mapping with name and value, got %s",
				       ynode_type_name(e));
		rc = kc_string(p, e, sub, "name", &name);
		if (rc == 0)
			rc = kc_string(p, e, sub, "value", &value);
		if (rc == 0 && (!name || !*name || strchr(name, '=')))
			rc =
			    kc_fail(p, sub, "name", name ? "not a valid variable name" : "missing");
		if (rc == 0) /* a missing value is the empty string, as in kubectl */
			x->env[i] = xasprintf("%s=%s", name, value ? value : "");
		free(name);
		free(value);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int kc_parse_exec_args(struct kc_parse *p, const struct ynode *seq, const char *path,
			      struct kube_exec *x)
{
	x->args = xcalloc((seq ? seq->n : 0) + 1, sizeof(char *));
	for (size_t i = 0; seq && i < seq->n; i++) {
		if (seq->items[i]->type != YNODE_SCALAR) {
			char sub[160];

			snprintf(sub, sizeof(sub), "%s.args[%zu]", path, i);
			return kc_fail(p, sub, NULL, "expected a string, got %s",
				       ynode_type_name(seq->items[i]));
		}
		x->args[i] = xstrdup(seq->items[i]->value);
	}
	return 0;
}

static int kc_exec_check(struct kc_parse *p, const char *path, struct kube_exec *x)
{
	bool v1 = str_eq(x->api_version, "client.authentication.k8s.io/v1");
	bool v1beta1 = str_eq(x->api_version, "client.authentication.k8s.io/v1beta1");

	if (!x->command || !*x->command)
		return kc_fail(p, path, "command", "missing (an exec plugin needs a command)");
	if (!x->api_version)
		return kc_fail(p, path, "apiVersion", "missing");
	if (!v1 && !v1beta1)
		return kc_fail(p, path, "apiVersion",
			       "'%.80s' is not supported (use client.authentication.k8s.io/v1 "
			       "or v1beta1)",
			       x->api_version);
	if (!x->interactive_mode) {
		if (v1)
			return kc_fail(p, path, "interactiveMode",
				       "missing (required by client.authentication.k8s.io/v1: "
				       "Never, IfAvailable or Always)");
		x->interactive_mode = xstrdup("IfAvailable");
	}
	if (strcmp(x->interactive_mode, "Never") && strcmp(x->interactive_mode, "IfAvailable") &&
	    strcmp(x->interactive_mode, "Always"))
		return kc_fail(p, path, "interactiveMode",
			       "'%.40s' is not one of Never, IfAvailable, Always",
			       x->interactive_mode);
	return 0;
}

static int kc_parse_exec(struct kc_parse *p, const struct ynode *m, const char *path,
			 struct kube_exec **out)
{
	struct kube_exec *x = xcalloc(1, sizeof(*x));
	const struct ynode *args, *env;
	int rc = -1;

	*out = x;
	if (kc_string(p, m, path, "apiVersion", &x->api_version) < 0 ||
	    kc_string(p, m, path, "command", &x->command) < 0 ||
	    kc_string(p, m, path, "installHint", &x->install_hint) < 0 ||
	    kc_string(p, m, path, "interactiveMode", &x->interactive_mode) < 0 ||
	    kc_bool(p, m, path, "provideClusterInfo", &x->provide_cluster_info) < 0 ||
	    kc_seq(p, m, path, "args", &args) < 0 || kc_seq(p, m, path, "env", &env) < 0)
		goto out;
	if (kc_parse_exec_args(p, args, path, x) < 0)
		goto out;
	if (env ? kc_parse_exec_env(p, env, path, x) < 0 : (x->env = xcalloc(1, sizeof(char *)), 0))
		goto out;
	if (kc_exec_check(p, path, x) < 0)
		goto out;
	/* Like kubectl: a command with a '/' is a path relative to the kubeconfig. */
	if (strchr(x->command, '/') && x->command[0] != '/') {
		char *abs = xasprintf("%s/%s", p->dir, x->command);

		free(x->command);
		x->command = abs;
	}
	rc = 0;
out:
	return rc;
}

static int kc_parse_user_fields(struct kc_parse *p, const struct ynode *m, const char *sub,
				struct kc_user *u)
{
	static const char *const imp[] = {"as", "as-uid", "as-groups", "as-user-extra"};
	const struct ynode *ap, *ex;

	if (kc_path(p, m, sub, "client-certificate", &u->cert_file) < 0 ||
	    kc_base64(p, m, sub, "client-certificate-data", &u->cert_data, &u->has_cert_data) < 0 ||
	    kc_path(p, m, sub, "client-key", &u->key_file) < 0 ||
	    kc_base64(p, m, sub, "client-key-data", &u->key_data, &u->has_key_data) < 0 ||
	    kc_string(p, m, sub, "token", &u->token) < 0 ||
	    kc_path(p, m, sub, "tokenFile", &u->token_file) < 0 ||
	    kc_string(p, m, sub, "username", &u->username) < 0 ||
	    kc_string(p, m, sub, "password", &u->password) < 0 ||
	    kc_map(p, m, sub, "auth-provider", &ap) < 0 || kc_map(p, m, sub, "exec", &ex) < 0)
		return -1;
	if (u->token && !kube_token_valid(u->token))
		return kc_fail(p, sub, "token", "contains a line break or control character");
	if (ap) {
		const struct ynode *name = ymap_get(p->doc, ap, "name");

		u->auth_provider = xstrdup(name && name->type == YNODE_SCALAR ? name->value : "?");
	}
	for (size_t i = 0; i < ARRAY_SIZE(imp) && !u->impersonate; i++)
		if (ymap_get(p->doc, m, imp[i]))
			u->impersonate = xstrdup(imp[i]);
	if (ex) {
		char xsub[96];

		snprintf(xsub, sizeof(xsub), "%s.exec", sub);
		return kc_parse_exec(p, ex, xsub, &u->exec);
	}
	return 0;
}

static int kc_parse_user(struct kc_parse *p, const struct ynode *item, const char *path,
			 struct kc_user *u)
{
	const struct ynode *m;
	char sub[64];

	if (kc_name(p, item, path, &u->name) < 0 || kc_map(p, item, path, "user", &m) < 0)
		return -1;
	if (!m)
		return kc_fail(p, path, "user", "missing");
	snprintf(sub, sizeof(sub), "%s.user", path);
	return kc_parse_user_fields(p, m, sub, u);
}

static int kc_parse_context(struct kc_parse *p, const struct ynode *item, const char *path,
			    struct kc_context *c)
{
	const struct ynode *m;
	char sub[64];

	if (kc_name(p, item, path, &c->name) < 0 || kc_map(p, item, path, "context", &m) < 0)
		return -1;
	if (!m)
		return kc_fail(p, path, "context", "missing");
	snprintf(sub, sizeof(sub), "%s.context", path);
	if (kc_string(p, m, sub, "cluster", &c->cluster) < 0 ||
	    kc_string(p, m, sub, "user", &c->user) < 0 ||
	    kc_string(p, m, sub, "namespace", &c->namespace) < 0)
		return -1;
	if (!c->cluster || !*c->cluster)
		return kc_fail(p, sub, "cluster", "missing");
	return 0;
}

/* ---- one file into the merged config ------------------------------------------------ */

/* Parses each section into a scratch config, checking names are unique within the file. */
static int kc_parse_clusters(struct kc_parse *p, const struct ynode *seq, struct kc_config *f)
{
	for (size_t i = 0; seq && i < seq->n; i++) {
		struct kc_cluster *c;
		char path[32];

		snprintf(path, sizeof(path), "clusters[%zu]", i);
		f->clusters =
		    xgrow(f->clusters, &f->cap_clusters, f->n_clusters + 1, sizeof(*f->clusters));
		c = &f->clusters[f->n_clusters++];
		memset(c, 0, sizeof(*c));
		c->source = p->file;
		c->index = i;
		if (kc_parse_cluster(p, seq->items[i], path, c) < 0)
			return -1;
	}
	return kc_unique(p, "clusters", KC_NAMES(f->clusters, f->n_clusters, struct kc_cluster),
			 f->n_clusters);
}

static int kc_parse_users(struct kc_parse *p, const struct ynode *seq, struct kc_config *f)
{
	for (size_t i = 0; seq && i < seq->n; i++) {
		struct kc_user *u;
		char path[32];

		snprintf(path, sizeof(path), "users[%zu]", i);
		f->users = xgrow(f->users, &f->cap_users, f->n_users + 1, sizeof(*f->users));
		u = &f->users[f->n_users++];
		memset(u, 0, sizeof(*u));
		u->source = p->file;
		u->index = i;
		if (kc_parse_user(p, seq->items[i], path, u) < 0)
			return -1;
	}
	return kc_unique(p, "users", KC_NAMES(f->users, f->n_users, struct kc_user), f->n_users);
}

static int kc_parse_contexts(struct kc_parse *p, const struct ynode *seq, struct kc_config *f)
{
	for (size_t i = 0; seq && i < seq->n; i++) {
		struct kc_context *c;
		char path[32];

		snprintf(path, sizeof(path), "contexts[%zu]", i);
		f->contexts =
		    xgrow(f->contexts, &f->cap_contexts, f->n_contexts + 1, sizeof(*f->contexts));
		c = &f->contexts[f->n_contexts++];
		memset(c, 0, sizeof(*c));
		c->source = p->file;
		c->index = i;
		if (kc_parse_context(p, seq->items[i], path, c) < 0)
			return -1;
	}
	return kc_unique(p, "contexts", KC_NAMES(f->contexts, f->n_contexts, struct kc_context),
			 f->n_contexts);
}

static int kc_parse_root(struct kc_parse *p, const struct ynode *root, struct kc_config *f)
{
	const struct ynode *clusters, *users, *contexts;
	char *kind = NULL;
	int rc = -1;

	if (root->type != YNODE_MAP)
		return err_set(p->err, ERR_USAGE,
			       "kubeconfig %s: top level: expected a mapping, got %s", p->file,
			       ynode_type_name(root));
	if (kc_string(p, root, "", "kind", &kind) < 0)
		return -1;
	if (kind && strcmp(kind, "Config")) {
		kc_fail(p, "", "kind", "'%.40s' is not Config", kind);
		goto out;
	}
	if (kc_seq(p, root, "", "clusters", &clusters) < 0 ||
	    kc_seq(p, root, "", "users", &users) < 0 ||
	    kc_seq(p, root, "", "contexts", &contexts) < 0 ||
	    kc_string(p, root, "", "current-context", &f->current_context) < 0)
		goto out;
	if (kc_parse_clusters(p, clusters, f) < 0 || kc_parse_users(p, users, f) < 0 ||
	    kc_parse_contexts(p, contexts, f) < 0)
		goto out;
	rc = 0;
out:
	free(kind);
	return rc;
}

/* Moves the entries of f whose names are new into c (first file wins, as in kubectl). */
static void kc_merge(struct kc_config *c, struct kc_config *f, const char *source)
{
	struct kc_name *have = KC_NAMES(c->clusters, c->n_clusters, struct kc_cluster);
	size_t n_have = c->n_clusters;

	for (size_t i = 0; i < f->n_clusters; i++) {
		if (kc_names_have(have, n_have, f->clusters[i].name)) {
			kc_cluster_release(&f->clusters[i]);
			continue;
		}
		c->clusters =
		    xgrow(c->clusters, &c->cap_clusters, c->n_clusters + 1, sizeof(*c->clusters));
		c->clusters[c->n_clusters++] = f->clusters[i];
	}
	free(have);
	have = KC_NAMES(c->users, c->n_users, struct kc_user);
	n_have = c->n_users;
	for (size_t i = 0; i < f->n_users; i++) {
		if (kc_names_have(have, n_have, f->users[i].name)) {
			kc_user_release(&f->users[i]);
			continue;
		}
		c->users = xgrow(c->users, &c->cap_users, c->n_users + 1, sizeof(*c->users));
		c->users[c->n_users++] = f->users[i];
	}
	free(have);
	have = KC_NAMES(c->contexts, c->n_contexts, struct kc_context);
	n_have = c->n_contexts;
	for (size_t i = 0; i < f->n_contexts; i++) {
		if (kc_names_have(have, n_have, f->contexts[i].name)) {
			kc_context_release(&f->contexts[i]);
			continue;
		}
		c->contexts =
		    xgrow(c->contexts, &c->cap_contexts, c->n_contexts + 1, sizeof(*c->contexts));
		c->contexts[c->n_contexts++] = f->contexts[i];
	}
	free(have);
	if (!c->current_context && f->current_context && *f->current_context) {
		c->current_context = f->current_context;
		c->current_source = source;
		f->current_context = NULL;
	}
	f->n_clusters = f->n_users = f->n_contexts = 0;
	kc_config_release(f);
}

/* Absolute form of a kubeconfig path, so the names in messages and in stored cluster
 * records do not depend on the working directory. */
static char *path_absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The YAML tree of one kubeconfig; messages begin "kubeconfig NAME". */
static int kc_yaml(struct ydoc *doc, const char *text, size_t len, const char *name,
		   struct err *err)
{
	char *what = xasprintf("kubeconfig %s", name);
	int rc = ydoc_parse(doc, text, len, what, err);

	free(what);
	return rc;
}

/* The sections of a parsed file into f. Merge keys cut short may have read as absent
 * fields: past the document's budget the file is refused whatever came of it. */
static int kc_parse_doc(struct kc_parse *p, struct kc_config *f)
{
	int rc = kc_parse_root(p, p->doc->root, f);

	if (p->doc->merge_exhausted)
		return err_set(p->err, ERR_LIMIT,
			       "kubeconfig %s: merge keys (<<) visit more than %d keys", p->file,
			       YDOC_MERGE_WORK_LIMIT);
	return rc;
}

static int kc_load_file(struct kc_config *c, const char *file, struct err *err)
{
	struct kc_config f = {0};
	struct buf text;
	struct ydoc doc;
	struct kc_parse p;
	const char *source;
	int rc = -1;

	buf_init(&text, KC_FILE_LIMIT);
	c->files = xgrow(c->files, &c->cap_files, c->n_files + 2, sizeof(*c->files));
	source = c->files[c->n_files++] = path_absolute(file);
	c->files[c->n_files] = NULL;
	if (file_read_all(source, KC_FILE_LIMIT, &text, err) < 0) {
		err_prefix(err, "kubeconfig %s", source);
		if (err->code == ERR_LIMIT)
			err_set(err, ERR_LIMIT, "kubeconfig %s: larger than the limit of %u bytes",
				source, KC_FILE_LIMIT);
		goto out;
	}
	if (kc_yaml(&doc, text.data, text.len, source, err) < 0)
		goto out;
	p.file = source;
	p.dir = path_dirname(source);
	p.doc = &doc;
	p.err = err;
	if (!doc.root) {
		c->n_empty++;
		rc = 0;
	} else if (kc_parse_doc(&p, &f) == 0) {
		kc_merge(c, &f, source);
		rc = 0;
	}
	kc_config_release(&f);
	free(p.dir);
	ydoc_release(&doc);
out:
	buf_release(&text);
	return rc;
}

/* ---- which files ---------------------------------------------------------------------- */

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Loads $KUBECONFIG (missing entries skipped, like kubectl) or ~/.kube/config.
 * Returns 0, 1 when no file exists at all, -1 on error. */
static int kc_load_default(struct kc_config *c, struct err *err)
{
	const char *env = getenv("KUBECONFIG");
	char *home_cfg;
	int rc;

	if (env && *env) {
		char *list = xstrdup(env), *save = NULL, *tok;
		size_t n = 0;

		rc = 1;
		for (tok = strtok_r(list, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			char *abs = path_absolute(tok);
			bool seen = false;

			for (size_t i = 0; i < c->n_files; i++)
				seen |= !strcmp(c->files[i], abs);
			free(abs);
			if (seen || !file_exists(tok))
				continue;
			if (++n > KC_FILES_LIMIT) {
				rc = err_set(err, ERR_LIMIT, "KUBECONFIG: more than %d files",
					     KC_FILES_LIMIT);
				break;
			}
			rc = kc_load_file(c, tok, err);
			if (rc < 0)
				break;
		}
		free(list);
		return rc;
	}
	home_cfg = path_expand_home("~/.kube/config", err);
	if (!home_cfg)
		return 1;
	rc = file_exists(home_cfg) ? kc_load_file(c, home_cfg, err) : 1;
	free(home_cfg);
	return rc;
}

static int kc_load(struct kc_config *c, const char *path, struct err *err)
{
	memset(c, 0, sizeof(*c));
	if (path && *path) /* "" means "not given", like an empty --kubeconfig */
		return kc_load_file(c, path, err);
	return kc_load_default(c, err);
}

/* ---- resolving a context into a kube_target -------------------------------------------- */

/* Never prompts: kubectl does not support encrypted keys either. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static X509 *pem_cert(const struct kube_blob *b)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;

	BIO_free(bio);
	return x;
}

static EVP_PKEY *pem_key(const struct kube_blob *b)
{
	BIO *bio = BIO_new_mem_buf(b->data, (int)b->len);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;

	BIO_free(bio);
	return k;
}

static int64_t cert_not_after_ms(const X509 *x)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

static int kc_read_pem(const char *file, const char *source, const char *what, size_t index,
		       const char *field, struct kube_blob *out, struct err *err)
{
	struct buf b;

	buf_init(&b, KC_PEM_LIMIT);
	if (file_read_all(file, KC_PEM_LIMIT, &b, err) < 0) {
		err_prefix(err, "kubeconfig %s: %s[%zu].%s", source, what, index, field);
		buf_release(&b);
		return -1;
	}
	out->len = b.len;
	out->data = (unsigned char *)buf_steal(&b);
	return 0;
}

static bool blob_is_pem(const struct kube_blob *b)
{
	return b->len && memmem(b->data, b->len, "-----BEGIN ", 11);
}

char *kube_url_redact(const char *url)
{
	const char *host = strstr(url, "://");
	const char *end, *at = NULL;

	host = host ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	for (const char *s = host; s < end; s++)
		if (*s == '@')
			at = s;
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(host - url), url, at);
}

static int kc_check_url(const char *url, bool proxy)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		goto out;
	if (!strcmp(scheme, "https") || !strcmp(scheme, "http") ||
	    (proxy && !strcmp(scheme, "socks5")))
		rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int kc_fill_cluster(struct kube_target *t, const struct kc_cluster *c, struct err *err)
{
	const char *src = c->source;

	if (!c->server || !*c->server)
		return err_set(err, ERR_USAGE,
			       "kubeconfig %s: clusters[%zu].cluster.server: missing", src,
			       c->index);
	if (kc_check_url(c->server, false) < 0) {
		char *shown = kube_url_redact(c->server);

		err_set(err, ERR_USAGE,
			"kubeconfig %s: clusters[%zu].cluster.server: '%.100s' is not an https:// "
			"or http:// URL",
			src, c->index, shown);
		free(shown);
		return -1;
	}
	if (c->proxy_url && *c->proxy_url && kc_check_url(c->proxy_url, true) < 0)
		return err_set(
		    err, ERR_USAGE,
		    "kubeconfig %s: clusters[%zu].cluster.proxy-url: not an http, https or "
		    "socks5 URL",
		    src, c->index);
	if (c->insecure && (c->has_ca_data || c->ca_file))
		return err_set(err, ERR_USAGE,
			       "kubeconfig %s: clusters[%zu].cluster.insecure-skip-tls-verify: "
			       "cannot be combined with a certificate authority",
			       src, c->index);
	t->server = xstrdup(c->server);
	t->cluster_name = xstrdup(c->name);
	t->tls_server_name = c->tls_server_name ? xstrdup(c->tls_server_name) : NULL;
	t->proxy_url = c->proxy_url && *c->proxy_url ? xstrdup(c->proxy_url) : NULL;
	t->insecure_skip_tls_verify = c->insecure;
	if (c->has_ca_data) /* -data wins over the file, as in kubectl */
		kube_blob_copy(&t->ca, &c->ca_data);
	else if (c->ca_file && kc_read_pem(c->ca_file, src, "clusters", c->index,
					   "cluster.certificate-authority", &t->ca, err) < 0)
		return -1;
	if (t->ca.data && !blob_is_pem(&t->ca))
		return err_set(err, ERR_USAGE,
			       "kubeconfig %s: clusters[%zu].cluster.certificate-authority%s: not "
			       "PEM data",
			       src, c->index, c->has_ca_data ? "-data" : "");
	if (t->ca.data) {
		X509 *x = pem_cert(&t->ca);

		ERR_clear_error();
		if (!x)
			return err_set(
			    err, ERR_USAGE,
			    "kubeconfig %s: clusters[%zu].cluster.certificate-authority%s: "
			    "not a valid PEM certificate",
			    src, c->index, c->has_ca_data ? "-data" : "");
		X509_free(x);
	}
	return 0;
}

static int kc_user_fail(const struct kc_user *u, const char *field, const char *what,
			struct err *err)
{
	return err_set(err, ERR_USAGE, "kubeconfig %s: users[%zu].user%s%s: %s", u->source,
		       u->index, field ? "." : "", field ? field : "", what);
}

/* The certificate and key parse and belong together, so TLS fails for no silly reason. */
static int kc_user_cert_check(struct kube_target *t, const struct kc_user *u, struct err *err)
{
	X509 *x = pem_cert(&t->client_cert);
	EVP_PKEY *k = x ? pem_key(&t->client_key) : NULL;
	int rc = -1;

	if (!x)
		kc_user_fail(u, u->has_cert_data ? "client-certificate-data" : "client-certificate",
			     "not a valid PEM certificate", err);
	else if (!k)
		kc_user_fail(u, u->has_key_data ? "client-key-data" : "client-key",
			     "not a valid unencrypted PEM private key", err);
	else if (X509_check_private_key(x, k) != 1)
		kc_user_fail(u, u->has_key_data ? "client-key-data" : "client-key",
			     "does not match the client certificate", err);
	else
		rc = 0;
	if (x)
		t->client_cert_not_after_ms = cert_not_after_ms(x);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return rc;
}

static int kc_user_cert(struct kube_target *t, const struct kc_user *u, struct err *err)
{
	bool cert = u->has_cert_data || u->cert_file, key = u->has_key_data || u->key_file;

	if (cert && !key)
		return kc_user_fail(u, "client-key", "missing (client-certificate is set)", err);
	if (key && !cert)
		return kc_user_fail(u, "client-certificate", "missing (client-key is set)", err);
	if (!cert)
		return 0;
	if (u->has_cert_data)
		kube_blob_copy(&t->client_cert, &u->cert_data);
	else if (kc_read_pem(u->cert_file, u->source, "users", u->index, "user.client-certificate",
			     &t->client_cert, err) < 0)
		return -1;
	if (u->has_key_data)
		kube_blob_copy(&t->client_key, &u->key_data);
	else if (kc_read_pem(u->key_file, u->source, "users", u->index, "user.client-key",
			     &t->client_key, err) < 0)
		return -1;
	if (!blob_is_pem(&t->client_cert))
		return kc_user_fail(
		    u, u->has_cert_data ? "client-certificate-data" : "client-certificate",
		    "not PEM data", err);
	if (!blob_is_pem(&t->client_key))
		return kc_user_fail(u, u->has_key_data ? "client-key-data" : "client-key",
				    "not PEM data", err);
	return kc_user_cert_check(t, u, err);
}

static int kc_user_check(const struct kc_user *u, struct err *err)
{
	char msg[160];

	if (u->auth_provider) {
		snprintf(msg, sizeof(msg),
			 "'%.40s' (legacy auth-provider) is not supported, use an exec plugin",
			 u->auth_provider);
		return kc_user_fail(u, "auth-provider", msg, err);
	}
	if (u->impersonate)
		return kc_user_fail(u, u->impersonate, "impersonation is not supported", err);
	if (u->token && *u->token && (u->username || u->password))
		return kc_user_fail(u, NULL,
				    "more than one authentication method (token and "
				    "username/password); only one is allowed",
				    err);
	if ((u->username != NULL) != (u->password != NULL))
		return kc_user_fail(u, u->username ? "password" : "username",
				    "missing (basic auth needs both)", err);
	if (u->token_file && !u->token && access(u->token_file, R_OK) < 0) {
		snprintf(msg, sizeof(msg), "cannot read %.100s: %s", u->token_file,
			 strerror(errno));
		return kc_user_fail(u, "tokenFile", msg, err);
	}
	return 0;
}

static int kc_fill_user(struct kube_target *t, const struct kc_user *u, struct err *err)
{
	if (kc_user_check(u, err) < 0 || kc_user_cert(t, u, err) < 0)
		return -1;
	t->user_name = xstrdup(u->name);
	if (u->token && *u->token)
		t->token = xstrdup(u->token);
	else if (u->token_file)
		t->token_file = xstrdup(u->token_file);
	if (u->username) {
		t->username = xstrdup(u->username);
		t->password = xstrdup(u->password);
	}
	t->exec = kube_exec_dup(u->exec);
	return 0;
}

/* Credentials go over plain HTTP only when the user said so: anyone on the path could
 * read them. */
static int kc_plain_http_check(const struct kube_target *t, const struct kc_cluster *cl,
			       const struct kc_user *u, struct err *err)
{
	const char *allow = getenv("NETCTL_ALLOW_INSECURE_CREDENTIALS");
	CURLU *url = curl_url();
	char *scheme = NULL, *user = NULL;
	char who[48] = "the URL's user";
	bool plain, creds;

	curl_url_set(url, CURLUPART_URL, t->server, 0);
	curl_url_get(url, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(url, CURLUPART_USER, &user, 0);
	plain = scheme && !strcmp(scheme, "http");
	creds = t->token || t->token_file || t->exec || t->username || (user && *user);
	curl_free(scheme);
	curl_free(user);
	curl_url_cleanup(url);
	if (!plain || !creds || (allow && !strcmp(allow, "1")))
		return 0;
	if (u && (t->token || t->token_file || t->exec || t->username))
		snprintf(who, sizeof(who), "users[%zu]", u->index);
	return err_set(err, ERR_USAGE,
		       "kubeconfig %s: clusters[%zu].cluster.server: http:// would send the "
		       "credentials of %s in clear (use https://, or set "
		       "NETCTL_ALLOW_INSECURE_CREDENTIALS=1)",
		       cl->source, cl->index, who);
}

static const struct kc_context *kc_pick_context(const struct kc_config *c, const char *name,
						struct err *err)
{
	const char *files = c->n_files ? c->files[0] : "(none)";
	const char *more = c->n_files > 1 ? " and others in KUBECONFIG" : "";

	if (!name) {
		name = c->current_context;
		if (!name) {
			if (c->n_files == 1 && c->n_empty == 1)
				err_set(err, ERR_USAGE, "kubeconfig %s: file is empty", files);
			else
				err_set(err, ERR_USAGE,
					"kubeconfig %s%s: current-context: not set (pick one with "
					"--context)",
					files, more);
			return NULL;
		}
	}
	for (size_t i = 0; i < c->n_contexts; i++)
		if (!strcmp(c->contexts[i].name, name))
			return &c->contexts[i];
	err_set(err, ERR_NOTFOUND, "kubeconfig %s%s: %s: context '%.100s' not found",
		name == c->current_context && c->current_source ? c->current_source : files,
		name == c->current_context ? "" : more,
		name == c->current_context ? "current-context" : "contexts", name);
	return NULL;
}

static int kc_resolve(const struct kc_config *c, const char *context, struct kube_target *t,
		      struct err *err)
{
	const struct kc_context *ctx = kc_pick_context(c, context, err);
	const struct kc_cluster *cl = NULL;
	const struct kc_user *u = NULL;

	if (!ctx)
		return -1;
	for (size_t i = 0; i < c->n_clusters; i++)
		if (!strcmp(c->clusters[i].name, ctx->cluster))
			cl = &c->clusters[i];
	for (size_t i = 0; ctx->user && i < c->n_users; i++)
		if (!strcmp(c->users[i].name, ctx->user))
			u = &c->users[i];
	if (!cl)
		return err_set(err, ERR_USAGE,
			       "kubeconfig %s: contexts[%zu].context.cluster: cluster '%.100s' not "
			       "found",
			       ctx->source, ctx->index, ctx->cluster);
	if (ctx->user && *ctx->user && !u)
		return err_set(err, ERR_USAGE,
			       "kubeconfig %s: contexts[%zu].context.user: user '%.100s' not found",
			       ctx->source, ctx->index, ctx->user);
	t->name = xstrdup(ctx->name);
	t->source = xstrdup(ctx->source);
	t->namespace = xstrdup(ctx->namespace && *ctx->namespace ? ctx->namespace : "default");
	if (kc_fill_cluster(t, cl, err) < 0)
		return -1;
	if (u && kc_fill_user(t, u, err) < 0)
		return -1;
	if (!u)
		t->user_name = xstrdup("");
	return kc_plain_http_check(t, cl, u, err);
}

/* ---- in-cluster configuration ---------------------------------------------------------- */

static bool in_cluster_env(void)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");

	return host && *host;
}

static const char *sa_dir(void)
{
	const char *d = getenv("NETCTL_SA_DIR");

	return d && *d ? d : SA_DIR_DEFAULT;
}

static char *sa_namespace(const char *dir)
{
	char *file = xasprintf("%s/namespace", dir);
	struct buf b;
	struct err e = ERR_INIT;
	char *ns;

	buf_init(&b, 4096);
	if (file_read_all(file, 4096, &b, &e) < 0 || b.len == 0) {
		ns = xstrdup("default");
	} else {
		while (b.len && strchr(" \t\r\n", b.data[b.len - 1]))
			b.data[--b.len] = '\0';
		ns = xstrdup(b.len ? b.data : "default");
	}
	buf_release(&b);
	free(file);
	return ns;
}

static int kc_read_ca(const char *file, struct kube_blob *out, struct err *err)
{
	struct buf b;

	buf_init(&b, KC_PEM_LIMIT);
	if (file_read_all(file, KC_PEM_LIMIT, &b, err) < 0) {
		buf_release(&b);
		return err_prefix(err, "in-cluster config");
	}
	out->len = b.len;
	out->data = (unsigned char *)buf_steal(&b);
	return 0;
}

static struct kube_target *kube_target_in_cluster(struct err *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = sa_dir();
	struct kube_target *t;
	long p;
	char *ca;

	if (!port || !*port)
		port = "443";
	if (str_to_long(port, 1, 65535, &p, "KUBERNETES_SERVICE_PORT", err) < 0)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup("in-cluster");
	t->cluster_name = xstrdup("in-cluster");
	t->user_name = xstrdup("serviceaccount");
	t->source = xstrdup(dir);
	t->server = strchr(host, ':') ? xasprintf("https://[%s]:%ld", host, p)
				      : xasprintf("https://%s:%ld", host, p);
	t->token_file = xasprintf("%s/token", dir);
	t->namespace = sa_namespace(dir);
	ca = xasprintf("%s/ca.crt", dir);
	if (access(t->token_file, R_OK) < 0) {
		err_set(err, ERR_USAGE, "in-cluster config: cannot read %s: %s", t->token_file,
			strerror(errno));
		goto fail;
	}
	if (kc_read_ca(ca, &t->ca, err) < 0)
		goto fail;
	free(ca);
	return t;
fail:
	free(ca);
	kube_target_free(t);
	return NULL;
}

/* ---- public API ------------------------------------------------------------------------- */

/* KUBE_IN_CLUSTER: the service account, asked for by name. */
static struct kube_target *in_cluster_named(const char *context, struct err *err)
{
	if (context) {
		err_set(err, ERR_USAGE, "in-cluster config: has no contexts (asked for '%.100s')",
			context);
		return NULL;
	}
	if (!in_cluster_env()) {
		err_set(err, ERR_USAGE,
			"in-cluster config: KUBERNETES_SERVICE_HOST is not set (not running in a "
			"pod)");
		return NULL;
	}
	return kube_target_in_cluster(err);
}

struct kube_target *kube_target_load(const char *path, const char *context, struct err *err)
{
	struct kc_config c;
	struct kube_target *t = NULL;
	int rc;

	if (path && !strcmp(path, KUBE_IN_CLUSTER))
		return in_cluster_named(context, err);
	rc = kc_load(&c, path, err);

	if (rc < 0)
		goto out;
	if (rc == 1) {
		if (in_cluster_env()) {
			t = kube_target_in_cluster(err);
			goto out;
		}
		err_set(err, ERR_USAGE,
			"no kubeconfig: none of the files in KUBECONFIG or ~/.kube/config exists "
			"(pass --kubeconfig)");
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	if (kc_resolve(&c, context, t, err) < 0) {
		kube_target_free(t);
		t = NULL;
		goto out;
	}
	if (log_get_level() >= LOG_DEBUG) {
		char *shown = kube_url_redact(t->server);

		log_debug("kubeconfig: context %s from %s: server %s, namespace %s", t->name,
			  t->source, shown, t->namespace);
		free(shown);
	}
out:
	kc_config_release(&c);
	return t;
}

void kube_target_free(struct kube_target *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->cluster_name);
	free(t->user_name);
	free(t->server);
	free(t->namespace);
	free(t->tls_server_name);
	free(t->proxy_url);
	kube_blob_release(&t->ca);
	kube_blob_release(&t->client_cert);
	kube_blob_release(&t->client_key);
	secret_free(t->token);
	free(t->token_file);
	free(t->username);
	secret_free(t->password);
	kube_exec_free(t->exec);
	free(t->source);
	free(t);
}

struct kube_target *kube_target_dup(const struct kube_target *t)
{
	struct kube_target *x = xcalloc(1, sizeof(*x));

	x->name = xstrdup_or_null(t->name);
	x->cluster_name = xstrdup_or_null(t->cluster_name);
	x->user_name = xstrdup_or_null(t->user_name);
	x->server = xstrdup_or_null(t->server);
	x->namespace = xstrdup_or_null(t->namespace);
	x->tls_server_name = xstrdup_or_null(t->tls_server_name);
	x->proxy_url = xstrdup_or_null(t->proxy_url);
	x->insecure_skip_tls_verify = t->insecure_skip_tls_verify;
	kube_blob_copy(&x->ca, &t->ca);
	kube_blob_copy(&x->client_cert, &t->client_cert);
	kube_blob_copy(&x->client_key, &t->client_key);
	x->token = xstrdup_or_null(t->token);
	x->token_file = xstrdup_or_null(t->token_file);
	x->username = xstrdup_or_null(t->username);
	x->password = xstrdup_or_null(t->password);
	x->exec = kube_exec_dup(t->exec);
	x->source = xstrdup_or_null(t->source);
	return x;
}

int kube_config_check_text(const char *text, size_t len, const char *name, struct err *err)
{
	struct kc_config f = {0};
	struct ydoc doc;
	struct kc_parse p = {.file = name, .doc = &doc, .err = err};
	int rc = 0;

	if (len > KC_FILE_LIMIT)
		return err_set(err, ERR_LIMIT, "kubeconfig %s: larger than the limit of %u bytes",
			       name, KC_FILE_LIMIT);
	if (kc_yaml(&doc, text, len, name, err) < 0)
		return -1;
	p.dir = path_dirname(name);
	if (doc.root)
		rc = kc_parse_doc(&p, &f);
	kc_config_release(&f);
	free(p.dir);
	ydoc_release(&doc);
	return rc;
}

char **kube_context_names(const char *path, struct err *err)
{
	struct kc_config c;
	char **names = NULL;
	int rc;

	if (path && !strcmp(path, KUBE_IN_CLUSTER)) {
		struct kube_target *t = in_cluster_named(NULL, err);

		if (!t)
			return NULL;
		kube_target_free(t);
		names = xcalloc(2, sizeof(char *));
		names[0] = xstrdup("in-cluster");
		return names;
	}
	rc = kc_load(&c, path, err);

	if (rc == 1 && in_cluster_env()) {
		names = xcalloc(2, sizeof(char *));
		names[0] = xstrdup("in-cluster");
	} else if (rc == 1) {
		err_set(err, ERR_USAGE,
			"no kubeconfig: none of the files in KUBECONFIG or ~/.kube/config exists");
	}
	if (rc == 0) {
		names = xcalloc(c.n_contexts + 1, sizeof(char *));
		for (size_t i = 0; i < c.n_contexts; i++)
			names[i] = xstrdup(c.contexts[i].name);
	}
	kc_config_release(&c);
	return names;
}
