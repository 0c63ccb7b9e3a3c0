/* Kosmos: the member clusters a Kosmos host cluster knows (clusters.kosmos.io, API group
 * kosmos.io/v1alpha1, cluster-scoped). Older releases keep the ClusterLink fields directly
 * under spec, newer ones under spec.clusterLinkOptions: both are read (docs/kosmos.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube.h"

#define KOSMOS_CLUSTERS	      "/apis/kosmos.io/v1alpha1/clusters"
#define KOSMOS_MAX_KUBECONFIG (1024 * 1024)
#define KOSMOS_MAX_FIELD      253

/* A string member of the ClusterLink options (spec.clusterLinkOptions, else spec). */
static const cJSON *link_field(const cJSON *spec, const char *key)
{
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(spec, "clusterLinkOptions");
	const cJSON *v = cJSON_IsObject(opts) ? cJSON_GetObjectItemCaseSensitive(opts, key) : NULL;

	return v ? v : cJSON_GetObjectItemCaseSensitive(spec, key);
}

static int short_string(const cJSON *v, const char *what, const char *name, char **out,
			struct err *err)
{
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > KOSMOS_MAX_FIELD)
		return err_set(err, ERR_PROTO, "Cluster %s: %s is not a string of at most %d bytes",
			       name, what, KOSMOS_MAX_FIELD);
	*out = xstrdup(v->valuestring);
	return 0;
}

/* globalCIDRsMap {"REAL": "GLOBAL", ...} as "REAL=GLOBAL,..." (checked by cidrmap). */
static int global_map(const cJSON *v, const char *name, char **out, struct err *err)
{
	struct cidrmap m = {0};
	const cJSON *e;

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return err_set(err, ERR_PROTO, "Cluster %s: globalCIDRsMap is not an object", name);
	cJSON_ArrayForEach(e, v)
	{
		char pair[2 * KOSMOS_MAX_FIELD + 2];

		if (!cJSON_IsString(e) || strlen(e->string) > KOSMOS_MAX_FIELD ||
		    strlen(e->valuestring) > KOSMOS_MAX_FIELD)
			return err_set(err, ERR_PROTO,
				       "Cluster %s: globalCIDRsMap: a value is not a CIDR string",
				       name);
		snprintf(pair, sizeof(pair), "%s=%s", e->string, e->valuestring);
		if (cidrmap_add(&m, pair, err) < 0) {
			err->code = ERR_PROTO;
			return err_prefix(err, "Cluster %s: globalCIDRsMap", name);
		}
	}
	*out = m.n ? cidrmap_format(&m) : NULL;
	return 0;
}

static int cluster_parse(const cJSON *item, struct kube_kosmos_cluster *c, struct err *err)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "spec");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	const cJSON *kc = cJSON_GetObjectItemCaseSensitive(spec, "kubeconfig");
	unsigned char *raw = NULL;
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	if (!cJSON_IsString(name) || strlen(name->valuestring) > KOSMOS_MAX_FIELD)
		return err_set(err, ERR_PROTO, "a Cluster without a name");
	c->name = xstrdup(name->valuestring);
	if (!cJSON_IsObject(spec))
		return err_set(err, ERR_PROTO, "Cluster %s: no spec", c->name);
	if (cJSON_IsString(kc) && *kc->valuestring) {
		if (strlen(kc->valuestring) > KOSMOS_MAX_KUBECONFIG ||
		    base64_decode(kc->valuestring, &raw, &n) < 0)
			return err_set(err, ERR_PROTO, "Cluster %s: spec.kubeconfig is not base64",
				       c->name);
		c->kubeconfig = xmalloc(n + 1);
		memcpy(c->kubeconfig, raw, n);
		c->kubeconfig[n] = '\0';
		c->kubeconfig_len = n;
		secret_wipe(raw, n);
		free(raw);
	}
	if (short_string(link_field(spec, "networkType"), "networkType", c->name, &c->network_type,
			 err) < 0 ||
	    short_string(link_field(spec, "ipFamily"), "ipFamily", c->name, &c->ip_family, err) <
		0 ||
	    global_map(link_field(spec, "globalCIDRsMap"), c->name, &c->global_cidrs, err) < 0)
		return -1;
	if (c->ip_family && !kube_ip_family_valid(c->ip_family))
		return err_set(err, ERR_PROTO, "Cluster %s: ipFamily '%s' is not all, ipv4 or ipv6",
			       c->name, c->ip_family);
	return 0;
}

bool kube_ip_family_valid(const char *s)
{
	return !strcmp(s, "all") || !strcmp(s, "ipv4") || !strcmp(s, "ipv6");
}

void kube_kosmos_cluster_release(struct kube_kosmos_cluster *c)
{
	free(c->name);
	if (c->kubeconfig)
		secret_wipe(c->kubeconfig, c->kubeconfig_len);
	free(c->kubeconfig);
	free(c->network_type);
	free(c->ip_family);
	free(c->global_cidrs);
	memset(c, 0, sizeof(*c));
}

struct kosmos_list {
	struct kube_kosmos_cluster *v;
	size_t n, cap;
};

static int list_item(void *arg, const cJSON *item, struct err *err)
{
	struct kosmos_list *l = arg;

	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	if (cluster_parse(item, &l->v[l->n], err) < 0) {
		kube_kosmos_cluster_release(&l->v[l->n]);
		return -1;
	}
	l->n++;
	return 0;
}

int kube_kosmos_clusters(struct kube_client *c, struct kube_kosmos_cluster **out, size_t *n,
			 struct err *err)
{
	struct kosmos_list l = {0};
	struct kube_list_opts o = {.on_item = list_item, .arg = &l};

	if (kube_list(c, KOSMOS_CLUSTERS, &o, err) < 0) {
		for (size_t i = 0; i < l.n; i++)
			kube_kosmos_cluster_release(&l.v[i]);
		free(l.v);
		if (err->code == ERR_NOTFOUND)
			err_set(err, ERR_USAGE,
				"no clusters.kosmos.io here: not a Kosmos host cluster (the CRD is "
				"missing)");
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int kube_kosmos_cluster_get(struct kube_client *c, const char *name,
			    struct kube_kosmos_cluster *out, struct err *err)
{
	char *esc = kube_escape(name);
	char *path = xasprintf(KOSMOS_CLUSTERS "/%s", esc);
	cJSON *obj = kube_get(c, path, err);
	int rc = obj ? cluster_parse(obj, out, err) : -1;

	if (!obj && err->code == ERR_NOTFOUND)
		err_set(err, ERR_NOTFOUND, "no Cluster %s in the Kosmos host cluster", name);
	cJSON_Delete(obj);
	free(path);
	free(esc);
	return rc;
}

/* kube_target_load reads a file: the member's kubeconfig goes to a private one (0600, in
 * $TMPDIR or /tmp) only for as long as it is read, and is wiped from memory after. */
struct kube_target *kube_kosmos_target(const struct kube_kosmos_cluster *c, struct err *err)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/netctl-kosmos-XXXXXX", dir && *dir ? dir : "/tmp");
	struct kube_target *t = NULL;
	int fd;

	if (!c->kubeconfig) {
		err_set(err, ERR_USAGE, "Cluster %s has no spec.kubeconfig", c->name);
		goto out;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, c->kubeconfig, c->kubeconfig_len) != (ssize_t)c->kubeconfig_len) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	t = kube_target_load(path, NULL, err);
	unlink(path);
	if (!t)
		err_prefix(err, "Cluster %s: spec.kubeconfig", c->name);
out:
	free(path);
	return t;
}

/* Whether path holds exactly the member's kubeconfig (a file larger than it is not). */
static bool file_same(const struct kube_kosmos_cluster *c, const char *path)
{
	char *buf = xmalloc(c->kubeconfig_len + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, c->kubeconfig_len + 1);
	bool same = n == (ssize_t)c->kubeconfig_len && !memcmp(buf, c->kubeconfig, (size_t)n);

	if (fd >= 0)
		close(fd);
	secret_wipe(buf, c->kubeconfig_len + 1);
	free(buf);
	return same;
}

int kube_kosmos_kubeconfig_write(const struct kube_kosmos_cluster *c, const char *dir,
				 const char *path, bool *changed, struct err *err)
{
	char *tmp = xasprintf("%s/.netctl-kubeconfig-XXXXXX", dir);
	int fd = -1, rc = -1;

	*changed = false;
	if (!c->kubeconfig) {
		err_set(err, ERR_USAGE, "Cluster %s has no spec.kubeconfig", c->name);
		goto out;
	}
	if (file_same(c, path)) {
		rc = 0;
		goto out;
	}
	/* a private file renamed over the old one: readers never see half of it, and a link
	 * planted at path is replaced, not followed */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, c->kubeconfig, c->kubeconfig_len) != (ssize_t)c->kubeconfig_len ||
	    fsync(fd) < 0 || close(fd) < 0) {
		err_set(err, ERR_IO, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	*changed = true;
	rc = 0;
out:
	free(tmp);
	return rc;
}

/* ---- ClusterNodes ------------------------------------------------------------------------ */

#define KOSMOS_CLUSTERNODES "/apis/kosmos.io/v1alpha1/clusternodes"
#define KOSMOS_MAX_LIST	    64 /* podCIDRs or roles of one ClusterNode */

/* What is printed and stored of a ClusterNode: printable ASCII only (no terminal escapes,
 * no line breaks in a finding). */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static bool dns_name(const char *s)
{
	size_t n = strlen(s);

	return n && s[0] != '-' && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

/* A list of short strings (podCIDRs, roles) as a NULL-terminated vector. */
static int string_list(const cJSON *v, const char *what, const char *name, char ***out,
		       struct err *err)
{
	const cJSON *e;
	size_t n = 0;

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > KOSMOS_MAX_LIST)
		return err_set(err, ERR_PROTO, "ClusterNode %s: %s is not a list of at most %d",
			       name, what, KOSMOS_MAX_LIST);
	*out = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(**out));
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e) || strlen(e->valuestring) > KOSMOS_MAX_FIELD ||
		    !printable(e->valuestring))
			return err_set(err, ERR_PROTO,
				       "ClusterNode %s: %s holds something other than a string of "
				       "at most %d printable bytes",
				       name, what, KOSMOS_MAX_FIELD);
		(*out)[n++] = xstrdup(e->valuestring);
	}
	return 0;
}

static int node_string(const cJSON *v, const char *what, const char *name, char **out,
		       struct err *err)
{
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > KOSMOS_MAX_FIELD ||
	    !printable(v->valuestring))
		return err_set(err, ERR_PROTO,
			       "ClusterNode %s: %s is not a string of at most %d printable bytes",
			       name, what, KOSMOS_MAX_FIELD);
	*out = xstrdup(v->valuestring);
	return 0;
}

static void node_release(struct kube_kosmos_node *k)
{
	free(k->name);
	free(k->cluster);
	free(k->node);
	free(k->ip);
	free(k->ip6);
	strv_free(k->pod_cidrs);
	strv_free(k->roles);
	free(k->interface);
	memset(k, 0, sizeof(*k));
}

static int node_parse(const cJSON *item, struct kube_kosmos_node *k, struct err *err)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(item, "spec");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	const char *nm;

	memset(k, 0, sizeof(*k));
	if (!cJSON_IsString(name) || strlen(name->valuestring) > KOSMOS_MAX_FIELD ||
	    !dns_name(name->valuestring))
		return err_set(err, ERR_PROTO, "a ClusterNode without a name (a DNS name)");
	k->name = xstrdup(name->valuestring);
	nm = k->name;
	if (!cJSON_IsObject(spec))
		return err_set(err, ERR_PROTO, "ClusterNode %s: no spec", nm);
#define FIELD(key) cJSON_GetObjectItemCaseSensitive(spec, key)
	if (node_string(FIELD("clusterName"), "clusterName", nm, &k->cluster, err) < 0 ||
	    node_string(FIELD("nodeName"), "nodeName", nm, &k->node, err) < 0 ||
	    node_string(FIELD("ip"), "ip", nm, &k->ip, err) < 0 ||
	    node_string(FIELD("ip6"), "ip6", nm, &k->ip6, err) < 0 ||
	    node_string(FIELD("interfaceName"), "interfaceName", nm, &k->interface, err) < 0 ||
	    string_list(FIELD("podCIDRs"), "podCIDRs", nm, &k->pod_cidrs, err) < 0 ||
	    string_list(FIELD("roles"), "roles", nm, &k->roles, err) < 0)
		return -1;
#undef FIELD
	if (!k->cluster || !k->node || !dns_name(k->cluster) || !dns_name(k->node))
		return err_set(
		    err, ERR_PROTO,
		    "ClusterNode %s: spec.clusterName and spec.nodeName must be DNS names", nm);
	return 0;
}

int kube_kosmos_node_parse(const cJSON *item, struct kube_kosmos_node *k, struct err *err)
{
	if (node_parse(item, k, err) == 0)
		return 0;
	node_release(k);
	return -1;
}

void kube_kosmos_node_release(struct kube_kosmos_node *k)
{
	node_release(k);
}

struct kosmos_nodes {
	struct kube_kosmos_node *v;
	size_t n, cap;
};

static int node_item(void *arg, const cJSON *item, struct err *err)
{
	struct kosmos_nodes *l = arg;

	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	if (node_parse(item, &l->v[l->n], err) < 0) {
		node_release(&l->v[l->n]);
		return -1;
	}
	l->n++;
	return 0;
}

int kube_kosmos_nodes(struct kube_client *c, struct kube_kosmos_node **out, size_t *n,
		      bool *present, struct err *err)
{
	struct kosmos_nodes l = {0};
	struct kube_list_opts o = {.on_item = node_item, .arg = &l};

	*out = NULL;
	*n = 0;
	*present = true;
	if (kube_list(c, KOSMOS_CLUSTERNODES, &o, err) < 0) {
		kube_kosmos_nodes_free(l.v, l.n);
		if (err->code != ERR_NOTFOUND)
			return -1;
		*present = false;
		err_clear(err);
		return 0;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void kube_kosmos_nodes_free(struct kube_kosmos_node *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		node_release(&v[i]);
	free(v);
}

bool kube_kosmos_node_has_role(const struct kube_kosmos_node *k, const char *role)
{
	for (char **r = k->roles; r && *r; r++)
		if (!strcmp(*r, role))
			return true;
	return false;
}
