/* netctl cluster add | list | remove: the registry of clusters (kubeconfig path and
 * context only; credentials stay in the kubeconfig). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "kube.h"
#include "store.h"

#define MAX_CONTEXT_LEN 253

static struct {
	const char *kubeconfig;
	const char *context;
	bool in_cluster;
	struct cmd_list global_cidr; /* --global-cidr REAL=GLOBAL */
	const char *ip_family;	     /* --ip-family */
	bool kosmos;
	const char *kubeconfig_dir; /* import --write-kubeconfigs DIR */
	bool force;
	bool json;
	bool check;
} args;

/* ---- add ------------------------------------------------------------------------------ */

/* `~` expanded and made absolute against the working directory (symlinks kept: a user who
 * points at ~/.kube/prod -> prod-2026 means the link). */
static char *absolute_path(const char *path, struct err *err)
{
	char cwd[PATH_MAX];
	char *expanded = path_expand_home(path, err);
	char *abs;

	if (!expanded)
		return NULL;
	if (expanded[0] == '/')
		return expanded;
	if (!getcwd(cwd, sizeof(cwd))) {
		err_set(err, ERR_IO, "cannot get the working directory: %s", strerror(errno));
		free(expanded);
		return NULL;
	}
	abs = xasprintf("%s/%s", cwd, expanded);
	free(expanded);
	return abs;
}

static int check_readable_file(const char *path, struct err *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(err, ERR_USAGE, "--kubeconfig %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(err, ERR_USAGE, "--kubeconfig %s: not a regular file", path);
	}
	close(fd);
	return 0;
}

/* The file must parse as a kubeconfig and hold the context asked for; the rest (server,
 * credentials) is checked by every `netctl check`, which reads the file again. */
static int check_kubeconfig(const char *path, const char *context, struct err *err)
{
	char **names = kube_context_names(path, err);
	struct buf list;
	int rc = 0;

	if (!names) {
		err->code = ERR_USAGE;
		return err_prefix(err, "--kubeconfig %s", path);
	}
	if (!names[0]) {
		rc = err_set(err, ERR_USAGE, "--kubeconfig %s: has no contexts", path);
		goto out;
	}
	if (!context)
		goto resolve;
	for (char **n = names; *n; n++)
		if (!strcmp(*n, context))
			goto resolve;
	buf_init(&list, 1024);
	for (char **n = names; *n; n++)
		if (buf_printf(&list, "%s%s", n == names ? "" : ", ", *n) < 0) {
			(void)!buf_puts(&list, ", ..."); /* the names that fit in 1 KiB */
			break;
		}
	rc = err_set(err, ERR_USAGE, "--context %s: not in %s (it has: %s)", context, path,
		     buf_str(&list));
	buf_release(&list);
	goto out;
resolve:
	/* the context must resolve: server URL, certificates and keys parse, user exists */
	{
		struct kube_target *t = kube_target_load(path, context, err);

		if (!t) {
			err->code = ERR_USAGE;
			rc = -1;
		}
		kube_target_free(t);
	}
out:
	strv_free(names);
	return rc;
}

static int check_context(const char *ctx, struct err *err)
{
	if (!*ctx)
		return err_set(err, ERR_USAGE, "--context: must not be empty");
	if (strlen(ctx) > MAX_CONTEXT_LEN)
		return err_set(err, ERR_USAGE, "--context: longer than %d bytes", MAX_CONTEXT_LEN);
	for (const char *p = ctx; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(err, ERR_USAGE, "--context: contains control characters");
	return 0;
}

static int add_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct store *st = NULL;
	char *path = NULL, *mapping = NULL;
	const char *name = ctx->argv[0];
	struct cidrmap map = {0};

	if (!config_is_dns_label(name))
		return cmd_usage_error(ctx->entry,
				       "'%s' is not a valid cluster name (1-63 of a-z, 0-9, '-', "
				       "starting and ending with a letter or digit)",
				       name);
	if (args.in_cluster && (args.kubeconfig || args.context))
		return cmd_usage_error(ctx->entry,
				       "--in-cluster takes no --kubeconfig or --context (the pod's "
				       "service account is the credential)");
	if (!args.kubeconfig && !args.in_cluster)
		return cmd_usage_error(ctx->entry, "missing --kubeconfig FILE (or --in-cluster)");
	if (args.context && check_context(args.context, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	for (size_t i = 0; i < args.global_cidr.n; i++)
		if (cidrmap_add(&map, args.global_cidr.v[i], &err) < 0)
			return cmd_usage_error(ctx->entry, "--global-cidr %s", err.msg);
	if (args.ip_family && !kube_ip_family_valid(args.ip_family))
		return cmd_usage_error(ctx->entry, "--ip-family: '%s' is not ipv4, ipv6 or all",
				       args.ip_family);
	mapping = map.n ? cidrmap_format(&map) : NULL;
	if (args.in_cluster) {
		struct kube_target *t = kube_target_load(KUBE_IN_CLUSTER, NULL, &err);

		if (!t) {
			err.code = ERR_USAGE;
			err_prefix(&err, "--in-cluster");
			goto out;
		}
		kube_target_free(t);
		path = xstrdup(KUBE_IN_CLUSTER);
	} else {
		path = absolute_path(args.kubeconfig, &err);
		if (!path || check_readable_file(path, &err) < 0 ||
		    check_kubeconfig(path, args.context, &err) < 0)
			goto out;
	}
	st = cmd_open_store(ctx, &err);
	if (!st)
		goto out;
	if (store_cluster_add(st, name, path, args.context, NULL, &err) < 0) {
		if (err.code == ERR_EXISTS)
			err_set(&err, ERR_EXISTS,
				"cluster '%s' is already registered (see `netctl cluster list`; "
				"remove it first to change it)",
				name);
		goto out;
	}
	if (mapping && store_cluster_set_global_cidrs(st, name, mapping, &err) < 0)
		goto out;
	if (args.ip_family && store_cluster_set_ip_family(st, name, args.ip_family, &err) < 0)
		goto out;
	if (args.in_cluster)
		printf("added cluster %s: the pod's service account (in-cluster)\n", name);
	else
		printf("added cluster %s: kubeconfig %s, context %s\n", name, path,
		       args.context ? args.context : "(current-context)");
	if (mapping)
		printf("other clusters reach its pods at global addresses: %s\n", mapping);
	if (args.ip_family && strcmp(args.ip_family, "all"))
		printf("checked over %s only when a check gives no --family\n",
		       strcmp(args.ip_family, "ipv6") ? "IPv4" : "IPv6");
out:
	store_close(st);
	free(mapping);
	free(path);
	return err.code ? cmd_fail(&err) : EXIT_OK;
}

/* ---- import --kosmos ---------------------------------------------------------------------- */

/* A registered cluster as import compares it. */
struct known {
	char *name, *kubeconfig, *context, *global_cidrs, *network_type, *ip_family;
	char *kubeconfig_file;
	bool kosmos, seen;
};

struct known_list {
	struct known *v;
	size_t n, cap;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int known_add(const struct store_cluster *c, void *ctx)
{
	struct known_list *l = ctx;
	struct known *k;

	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(c->name);
	k->kubeconfig = xstrdup(c->kubeconfig);
	k->context = dup_or_null(c->context);
	k->global_cidrs = dup_or_null(c->global_cidrs);
	k->network_type = dup_or_null(c->network_type);
	k->ip_family = dup_or_null(c->ip_family);
	k->kubeconfig_file = dup_or_null(c->kubeconfig_file);
	k->kosmos = c->kosmos;
	return 0;
}

static void known_free(struct known_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].kubeconfig);
		free(l->v[i].context);
		free(l->v[i].global_cidrs);
		free(l->v[i].network_type);
		free(l->v[i].ip_family);
		free(l->v[i].kubeconfig_file);
	}
	free(l->v);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Imported from this host: same kubeconfig path and context. */
static bool from_host(const struct known *k, const char *path)
{
	return k->kosmos && !strcmp(k->kubeconfig, path) && same_str(k->context, args.context);
}

struct import_count {
	int added, changed, removed, unchanged, skipped;
};

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* --write-kubeconfigs DIR: the member's kubeconfig goes to DIR/NAME.yaml, which may be
 * replaced when this cluster's registration from this host names it (netctl wrote it), when
 * there is none, or with --force. */
static int member_file(const struct known *k, const char *path,
		       const struct kube_kosmos_cluster *kc, char **file, bool *rewritten,
		       struct err *why)
{
	struct stat sb;
	bool ours;

	*file = xasprintf("%s/%s.yaml", args.kubeconfig_dir, kc->name);
	ours = k && from_host(k, path) && same_str(k->kubeconfig_file, *file);
	if (!ours && lstat(*file, &sb) == 0 && !args.force)
		return err_set(
		    why, ERR_EXISTS,
		    "%s exists and netctl did not write it for this cluster (--force replaces it)",
		    *file);
	return kube_kosmos_kubeconfig_write(kc, args.kubeconfig_dir, *file, rewritten, why);
}

/* What an import changes in a registered cluster, " global CIDRs A -> B ..."; empty: none. */
static void describe_change(const struct known *k, const struct kube_kosmos_cluster *kc,
			    const char *file, bool rewritten, struct buf *b)
{
	if (!same_str(k->global_cidrs, kc->global_cidrs))
		(void)!buf_printf(b, " global CIDRs %s -> %s", or_dash(k->global_cidrs),
				  or_dash(kc->global_cidrs));
	if (!same_str(k->network_type, kc->network_type))
		(void)!buf_printf(b, " network type %s -> %s", or_dash(k->network_type),
				  or_dash(kc->network_type));
	if (!same_str(k->ip_family, kc->ip_family))
		(void)!buf_printf(b, " IP family %s -> %s", or_dash(k->ip_family),
				  or_dash(kc->ip_family));
	if (!same_str(k->kubeconfig_file, file))
		(void)!buf_printf(b, " kubeconfig %s -> %s",
				  k->kubeconfig_file ? k->kubeconfig_file : "Cluster object",
				  file ? file : "Cluster object");
	else if (rewritten)
		(void)!buf_printf(b, " kubeconfig %s rewritten (the Cluster's changed)", file);
}

/* An import no longer uses the kubeconfig file it wrote for k: it goes (credentials). */
static void old_file_remove(const struct known *k, const char *file)
{
	if (!k->kubeconfig_file || same_str(k->kubeconfig_file, file))
		return;
	if (unlink(k->kubeconfig_file) == 0)
		printf("deleted %s (netctl wrote it for %s)\n", k->kubeconfig_file, k->name);
	else if (errno != ENOENT)
		printf("could not delete %s: %s\n", k->kubeconfig_file, strerror(errno));
}

/* One Cluster object: added, changed, unchanged, or skipped with a reason. */
static int import_one(struct store *st, const char *path, struct known_list *kl,
		      const struct kube_kosmos_cluster *kc, struct import_count *n, struct err *err)
{
	struct known *k = NULL;
	struct kube_target *t;
	struct err why = ERR_INIT;
	char *file = NULL;
	bool rewritten = false;
	struct buf change;
	int rc = 0;

	for (size_t i = 0; i < kl->n && !k; i++)
		if (!strcmp(kl->v[i].name, kc->name))
			k = &kl->v[i];
	if (k)
		k->seen = true;
	if (!config_is_dns_label(kc->name)) {
		printf("skipped %s: not a valid cluster name for netctl\n", kc->name);
		n->skipped++;
		return 0;
	}
	t = kube_kosmos_target(kc, &why);
	if (!t) {
		printf("skipped %s: %s\n", kc->name, why.msg);
		n->skipped++;
		return 0;
	}
	kube_target_free(t);
	if (k && !from_host(k, path)) {
		printf("skipped %s: registered already (%s), left as it is\n", kc->name,
		       k->kosmos ? "from another Kosmos host" : "by hand");
		n->skipped++;
		return 0;
	}
	if (args.kubeconfig_dir && member_file(k, path, kc, &file, &rewritten, &why) < 0) {
		printf("skipped %s: %s\n", kc->name, why.msg);
		n->skipped++;
		goto out;
	}
	buf_init(&change, 0);
	if (k)
		describe_change(k, kc, file, rewritten, &change);
	if (!k) {
		if (store_cluster_add(st, kc->name, path, args.context, NULL, err) < 0)
			goto fail;
		printf("added %s: network type %s, IP family %s, global CIDRs %s, kubeconfig %s\n",
		       kc->name, or_dash(kc->network_type), or_dash(kc->ip_family),
		       or_dash(kc->global_cidrs), file ? file : "from the Cluster object");
		n->added++;
	} else if (!change.len) {
		printf("unchanged %s\n", kc->name);
		n->unchanged++;
		goto done;
	} else {
		printf("changed %s:%s\n", kc->name, buf_str(&change));
		old_file_remove(k, file);
		n->changed++;
	}
	if (store_cluster_set_global_cidrs(st, kc->name, kc->global_cidrs, err) < 0 ||
	    store_cluster_set_kosmos(st, kc->name, kc->network_type, err) < 0 ||
	    store_cluster_set_ip_family(st, kc->name, kc->ip_family, err) < 0 ||
	    store_cluster_set_kubeconfig_file(st, kc->name, file, err) < 0)
		goto fail;
	goto done;
fail:
	rc = -1;
done:
	buf_release(&change);
out:
	free(file);
	return rc;
}

/* --write-kubeconfigs DIR: created 0700 when missing; one others can write to (or that is
 * someone else's) could have its files swapped, and they hold credentials. */
static int kubeconfig_dir_check(char *dir, struct err *err)
{
	struct stat sb;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(err, ERR_USAGE, "--write-kubeconfigs %s: %s", dir, strerror(errno));
	if (stat(dir, &sb) < 0)
		return err_set(err, ERR_USAGE, "--write-kubeconfigs %s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return err_set(err, ERR_USAGE, "--write-kubeconfigs %s: not a directory", dir);
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(err, ERR_USAGE,
			       "--write-kubeconfigs %s: writable by group or others (the "
			       "kubeconfigs hold credentials: chmod go-w it or pick another)",
			       dir);
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return err_set(err, ERR_USAGE, "--write-kubeconfigs %s: owned by another user",
			       dir);
	return 0;
}

static int import_exec(struct cmd_ctx *ctx)
{
	struct kube_client_opts o = {.name = "kosmos host", .timeout_ms = 30000};
	struct kube_kosmos_cluster *kc = NULL;
	struct import_count n = {0};
	struct known_list kl = {0};
	struct err err = ERR_INIT;
	struct kube_target *t = NULL;
	struct kube_loop *loop = NULL;
	struct kube_client *c = NULL;
	struct store *st = NULL;
	char *path = NULL, *dir = NULL;
	size_t nkc = 0;

	if (!args.kosmos)
		return cmd_usage_error(ctx->entry, "missing --kosmos (the only source for now)");
	if (!args.kubeconfig)
		return cmd_usage_error(ctx->entry, "missing --kubeconfig HOST.yaml");
	if (args.context && check_context(args.context, &err) < 0)
		return cmd_usage_error(ctx->entry, "%s", err.msg);
	if (args.force && !args.kubeconfig_dir)
		return cmd_usage_error(ctx->entry, "--force needs --write-kubeconfigs DIR");
	if (args.kubeconfig_dir && !*args.kubeconfig_dir)
		return cmd_usage_error(ctx->entry, "--write-kubeconfigs: must not be empty");
	if (args.kubeconfig_dir) {
		dir = absolute_path(args.kubeconfig_dir, &err);
		if (!dir || kubeconfig_dir_check(dir, &err) < 0)
			goto out;
		args.kubeconfig_dir = dir;
	}
	path = absolute_path(args.kubeconfig, &err);
	if (!path || check_readable_file(path, &err) < 0 ||
	    check_kubeconfig(path, args.context, &err) < 0)
		goto out;
	t = kube_target_load(path, args.context, &err);
	loop = t ? kube_loop_new(&err) : NULL;
	c = loop ? kube_client_new(loop, t, &o, &err) : NULL;
	if (!c || kube_kosmos_clusters(c, &kc, &nkc, &err) < 0)
		goto out;
	st = cmd_open_store(ctx, &err);
	if (!st || store_cluster_list(st, known_add, &kl, &err) < 0)
		goto out;
	for (size_t i = 0; i < nkc; i++)
		if (import_one(st, path, &kl, &kc[i], &n, &err) < 0)
			goto out;
	for (size_t i = 0; i < kl.n; i++) {
		if (kl.v[i].seen || !from_host(&kl.v[i], path))
			continue;
		if (store_cluster_remove(st, kl.v[i].name, &err) < 0)
			goto out;
		printf("removed %s: no Cluster of that name in the host any more (its runs stay)\n",
		       kl.v[i].name);
		old_file_remove(&kl.v[i], NULL);
		n.removed++;
	}
	printf("kosmos import from %s: %d added, %d changed, %d removed, %d unchanged, %d "
	       "skipped\n",
	       path, n.added, n.changed, n.removed, n.unchanged, n.skipped);
out:
	for (size_t i = 0; i < nkc; i++)
		kube_kosmos_cluster_release(&kc[i]);
	free(kc);
	known_free(&kl);
	store_close(st);
	kube_client_free(c);
	kube_loop_free(loop);
	kube_target_free(t);
	free(path);
	free(dir);
	return err.code ? cmd_fail(&err) : EXIT_OK;
}

/* ---- list ----------------------------------------------------------------------------- */

static int list_row(const struct store_cluster *c, void *ctx)
{
	char added[32];
	const char *cells[7];

	cmd_format_time(c->added_ms, added, sizeof(added));
	cells[0] = c->name;
	/* the file a check reads: a member's written kubeconfig, else the one registered */
	cells[1] = c->kubeconfig_file ? c->kubeconfig_file : c->kubeconfig;
	cells[2] = c->context && !c->kubeconfig_file ? c->context : "-";
	cells[3] = added;
	cells[4] = or_dash(c->global_cidrs);
	cells[5] = or_dash(c->ip_family);
	cells[6] = !c->kosmos		? "-"
		   : c->kubeconfig_file ? "kosmos (file)"
					: "kosmos (Cluster object)";
	table_add_row(ctx, cells);
	return 0;
}

static int list_json(const struct store_cluster *c, void *ctx)
{
	cJSON *o = cJSON_CreateObject();
	char added[32];

	time_format_iso(c->added_ms, added, sizeof(added));
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "kubeconfig", c->kubeconfig);
	if (c->context)
		cJSON_AddStringToObject(o, "context", c->context);
	else
		cJSON_AddNullToObject(o, "context");
	cJSON_AddStringToObject(o, "added", added);
	if (c->global_cidrs)
		cJSON_AddStringToObject(o, "global_cidrs", c->global_cidrs);
	else
		cJSON_AddNullToObject(o, "global_cidrs");
	cJSON_AddStringToObject(o, "from", c->kosmos ? "kosmos" : "hand");
	if (c->network_type)
		cJSON_AddStringToObject(o, "network_type", c->network_type);
	if (c->ip_family)
		cJSON_AddStringToObject(o, "ip_family", c->ip_family);
	else
		cJSON_AddNullToObject(o, "ip_family");
	if (c->kubeconfig_file)
		cJSON_AddStringToObject(o, "kubeconfig_file", c->kubeconfig_file);
	else
		cJSON_AddNullToObject(o, "kubeconfig_file");
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

/* --check: resolve each cluster's kubeconfig and ask its API server for its version. */
struct check_row {
	struct table *t;
	cJSON *arr;
	int unreachable;
};

static void probe_cluster(const struct store_cluster *c, char *server, size_t serversz,
			  char *status, size_t statussz)
{
	struct err err = ERR_INIT;
	struct kube_target *t = c->kubeconfig_file
				    ? kube_target_load(c->kubeconfig_file, NULL, &err)
				    : kube_target_load(c->kubeconfig, c->context, &err);
	struct kube_client_opts o = {
	    .name = c->name, .connect_timeout_ms = 5000, .timeout_ms = 10000, .max_attempts = 2};
	struct kube_loop *loop = NULL;
	struct kube_client *kc = NULL;
	char version[64], *shown;

	str_copy(server, serversz, "-");
	if (!t)
		goto fail;
	shown = kube_url_redact(t->server); /* no user:password@ on screen */
	str_copy(server, serversz, shown);
	free(shown);
	loop = kube_loop_new(&err);
	kc = loop ? kube_client_new(loop, t, &o, &err) : NULL;
	if (!kc || kube_server_version(kc, version, sizeof(version), &err) < 0)
		goto fail;
	snprintf(status, statussz, "ok %s", version);
	goto out;
fail:
	str_copy(status, statussz, err.msg);
out:
	kube_client_free(kc);
	kube_loop_free(loop);
	kube_target_free(t);
}

static int check_row(const struct store_cluster *c, void *ctx)
{
	struct check_row *r = ctx;
	char server[256], status[512];

	probe_cluster(c, server, sizeof(server), status, sizeof(status));
	if (!str_has_prefix(status, "ok "))
		r->unreachable++;
	if (r->arr) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "server", server);
		cJSON_AddBoolToObject(o, "reachable", str_has_prefix(status, "ok "));
		cJSON_AddStringToObject(o, str_has_prefix(status, "ok ") ? "version" : "error",
					str_has_prefix(status, "ok ") ? status + 3 : status);
		cJSON_AddItemToArray(r->arr, o);
	} else {
		const char *cells[3] = {c->name, server, status};

		table_add_row(r->t, cells);
	}
	return 0;
}

static int list_check(struct store *st, struct err *err)
{
	static const char *const headers[] = {"NAME", "SERVER", "STATUS"};
	struct check_row r = {0};
	int rc;

	if (args.json)
		r.arr = cJSON_CreateArray();
	else
		r.t = table_new(headers, ARRAY_SIZE(headers));
	rc = store_cluster_list(st, check_row, &r, err);
	if (rc == 0 && r.arr)
		cmd_print_json(r.arr);
	else if (rc == 0)
		table_print(r.t, stdout);
	else
		cJSON_Delete(r.arr);
	table_free(r.t);
	if (rc < 0)
		return cmd_fail(err);
	return r.unreachable ? EXIT_CLUSTER : EXIT_OK;
}

static int list_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = {"NAME",	      "KUBECONFIG", "CONTEXT", "ADDED",
					      "GLOBAL CIDRS", "IP FAMILY",  "FROM"};
	struct err err = ERR_INIT;
	struct store *st;
	struct table *t = NULL;
	cJSON *arr = NULL;
	int rc;

	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	if (args.check) {
		rc = list_check(st, &err);
		store_close(st);
		return rc;
	}
	if (args.json) {
		arr = cJSON_CreateArray();
		rc = store_cluster_list(st, list_json, arr, &err);
	} else {
		t = table_new(headers, ARRAY_SIZE(headers));
		rc = store_cluster_list(st, list_row, t, &err);
	}
	store_close(st);
	if (rc < 0) {
		cJSON_Delete(arr);
		table_free(t);
		return cmd_fail(&err);
	}
	if (arr)
		cmd_print_json(arr);
	else if (table_rows(t) == 0)
		printf("no clusters registered; add one with: "
		       "netctl cluster add NAME --kubeconfig FILE\n");
	else
		table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

/* ---- remove --------------------------------------------------------------------------- */

static int remove_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct store *st;
	int rc;

	struct store_cluster *c = NULL;
	char *file = NULL;

	st = cmd_open_store(ctx, &err);
	if (!st)
		return cmd_fail(&err);
	c = store_cluster_get(st, ctx->argv[0], &err);
	file = c && c->kubeconfig_file ? xstrdup(c->kubeconfig_file) : NULL;
	store_cluster_free(c);
	rc = store_cluster_remove(st, ctx->argv[0], &err);
	store_close(st);
	if (rc < 0) {
		if (err.code == ERR_NOTFOUND)
			err_set(&err, ERR_NOTFOUND,
				"no cluster named '%s' (see `netctl cluster list`)", ctx->argv[0]);
		free(file);
		return cmd_fail(&err);
	}
	printf("removed cluster %s (its past runs stay in `netctl history`)\n", ctx->argv[0]);
	if (file)
		printf("its kubeconfig file %s stays (delete it when no longer needed)\n", file);
	free(file);
	return EXIT_OK;
}

/* ---- the command table entries -------------------------------------------------------- */

static const struct cmd_opt add_opts[] = {
    {OPT_STRING, 'k', "kubeconfig", "FILE", "kubeconfig to reach the cluster (required)",
     &args.kubeconfig, 0, 0, NULL},
    {OPT_STRING, 'c', "context", "CTX", "context in it (default: its current-context)",
     &args.context, 0, 0, NULL},
    {OPT_FLAG, 0, "in-cluster", NULL,
     "the cluster netctl runs in, with its pod's service account (no kubeconfig)", &args.in_cluster,
     0, 0, NULL},
    {OPT_LIST, 0, "global-cidr", "REAL=GLOBAL",
     "other clusters reach its pods in REAL at the same host bits in GLOBAL (repeatable)",
     &args.global_cidr, 0, 0, NULL},
    {OPT_STRING, 0, "ip-family", "F",
     "ipv4, ipv6 or all: the family checked when a check gives no --family", &args.ip_family, 0, 0,
     NULL},
    {OPT_END},
};

static const struct cmd_opt import_opts[] = {
    {OPT_FLAG, 0, "kosmos", NULL, "import the member clusters of a Kosmos host cluster",
     &args.kosmos, 0, 0, NULL},
    {OPT_STRING, 'k', "kubeconfig", "FILE", "kubeconfig of the host cluster (required)",
     &args.kubeconfig, 0, 0, NULL},
    {OPT_STRING, 'c', "context", "CTX", "context in it (default: its current-context)",
     &args.context, 0, 0, NULL},
    {OPT_STRING, 0, "write-kubeconfigs", "DIR",
     "write each member's kubeconfig to DIR/NAME.yaml (0600) and check with that file",
     &args.kubeconfig_dir, 0, 0, NULL},
    {OPT_FLAG, 0, "force", NULL, "with --write-kubeconfigs: replace files netctl did not write",
     &args.force, 0, 0, NULL},
    {OPT_END},
};

static const struct cmd_opt list_opts[] = {
    {OPT_FLAG, 0, "json", NULL, "print JSON instead of a table", &args.json, 0, 0, NULL},
    {OPT_FLAG, 0, "check", NULL,
     "reach each API server: its version, or why not (exit 3 if one is unreachable)", &args.check,
     0, 0, NULL},
    {OPT_END},
};

static const struct cmd_opt no_opts[] = {{OPT_END}};

static const struct cmd_entry cluster_add_entry = {
    .name = "cluster add",
    .summary = "Register a cluster by name: its kubeconfig path and context, no secrets.",
    .synopsis = "cluster add NAME --kubeconfig FILE [--context CTX] [--global-cidr REAL=GLOBAL]... "
		"[--ip-family F]\n"
		"cluster add NAME --in-cluster [--global-cidr REAL=GLOBAL]... [--ip-family F]",
    .details = "NAME: 1-63 of a-z, 0-9 and '-'. FILE must be a readable kubeconfig that has\n"
	       "the context CTX (when given); it is stored as an absolute path, never\n"
	       "copied, and read again by every check.\n"
	       "--in-cluster: the cluster netctl runs in (netctl watch as a Deployment,\n"
	       "deploy/watch.yaml): KUBERNETES_SERVICE_HOST/PORT and the service account's\n"
	       "token and CA, read again by every check; listed as kubeconfig 'in-cluster'.\n"
	       "--global-cidr REAL=GLOBAL: the cluster's pods in REAL are reached from other\n"
	       "clusters at GLOBAL (a mesh that translates overlapping pod CIDRs, e.g. Kosmos\n"
	       "ClusterLink's globalCIDRsMap): the same host bits under the global prefix.\n"
	       "Both CIDRs of one family and size (docs/kosmos.md).\n"
	       "--ip-family ipv4|ipv6: a check that gives no --family checks this cluster\n"
	       "over that family only (all: netctl's default, IPv4), as Kosmos's ipFamily.\n",
    .opts = add_opts,
    .args = {1, 1},
    .exec = add_exec,
};

static const struct cmd_entry cluster_import_entry = {
    .name = "cluster import",
    .summary = "Register the member clusters of a Kosmos host cluster (and reconcile).",
    .synopsis = "cluster import --kosmos --kubeconfig HOST.yaml [--context CTX] "
		"[--write-kubeconfigs DIR [--force]]",
    .details = "Reads the host's clusters.kosmos.io objects: each one is registered by its name,\n"
	       "with its globalCIDRsMap as the global IP mapping, its networkType and its\n"
	       "ipFamily. The member's kubeconfig is not stored: every check reads it from its\n"
	       "Cluster object through the host's kubeconfig. Importing again reconciles: new\n"
	       "Clusters are added, changed ones updated, clusters whose Cluster is gone removed\n"
	       "(their runs stay), and each is printed. A name registered by hand is left as it\n"
	       "is.\n"
	       "--write-kubeconfigs DIR: each member's kubeconfig is written once to\n"
	       "DIR/NAME.yaml (0600; DIR created 0700, refused when group or others can write\n"
	       "to it) and checks read that file instead of the Cluster object. A file netctl\n"
	       "did not write is not replaced without --force; a later import rewrites the\n"
	       "files it wrote and deletes those of clusters it removes.\n"
	       "Exit 2 when the host has no Kosmos CRDs, 3 when its API cannot be used.\n",
    .opts = import_opts,
    .exec = import_exec,
};

static const struct cmd_entry cluster_list_entry = {
    .name = "cluster list",
    .summary = "List registered clusters.",
    .synopsis = "cluster list [--json] [--check]",
    .opts = list_opts,
    .exec = list_exec,
};

static const struct cmd_entry cluster_remove_entry = {
    .name = "cluster remove",
    .summary = "Unregister a cluster (its past runs stay in the history).",
    .synopsis = "cluster remove NAME",
    .opts = no_opts,
    .args = {1, 1},
    .exec = remove_exec,
};

static const struct cmd_entry *const cluster_subs[] = {
    &cluster_add_entry, &cluster_import_entry, &cluster_list_entry, &cluster_remove_entry, NULL,
};

const struct cmd_entry cmd_cluster_entry = {
    .name = "cluster",
    .summary = "Register, list and remove clusters.",
    .synopsis = "cluster add NAME (--kubeconfig FILE [--context CTX] | --in-cluster) ...\n"
		"cluster import --kosmos --kubeconfig HOST.yaml [--context CTX] ...\n"
		"cluster list [--json] [--check] | cluster remove NAME",
    .details = "`netctl help cluster add` (or `netctl cluster add --help`) for one of them.\n",
    .opts = no_opts,
    .subs = cluster_subs,
};
