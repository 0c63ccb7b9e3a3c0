/* kubeconfig: load kubeconfig files the way kubectl does and resolve one context into
 * everything a REST client needs. Included by kube.h (the public header of src/kube). */
#ifndef NETCTL_KUBECONFIG_H
#define NETCTL_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Key material held in memory only (handed to libcurl as blobs, never written to disk). */
struct kube_blob {
	unsigned char *data;
	size_t len;
};
/* Wipes and frees the data. */
void kube_blob_release(struct kube_blob *b);
/* A copy (NUL-terminated, for PEM parsers). */
void kube_blob_copy(struct kube_blob *dst, const struct kube_blob *src);

/* An exec credential plugin (client.authentication.k8s.io/v1 or v1beta1). */
struct kube_exec {
	char *api_version;
	char *command;
	char **args; /* NULL-terminated, may be empty */
	char **env;  /* NULL-terminated "NAME=value" items added to the environment */
	char *install_hint;
	bool provide_cluster_info;
	char *interactive_mode; /* Never, IfAvailable or Always (v1beta1 default IfAvailable) */
};

/* One context resolved to a server and credentials. */
struct kube_target {
	char *name;	    /* context name */
	char *cluster_name; /* clusters[].name */
	char *user_name;    /* users[].name */
	char *server;	    /* https://host:port[/path] */
	char *namespace;    /* context namespace or "default" */
	char *tls_server_name;
	char *proxy_url;
	bool insecure_skip_tls_verify;
	struct kube_blob ca;		  /* PEM, the only CA trusted; empty: system store */
	struct kube_blob client_cert;	  /* PEM */
	struct kube_blob client_key;	  /* PEM */
	char *token;			  /* static bearer token */
	char *token_file;		  /* re-read when its mtime changes (kube_auth_header) */
	char *username, *password;	  /* basic auth */
	struct kube_exec *exec;		  /* NULL when no exec plugin */
	char *source;			  /* file the context came from (for messages) */
	int64_t client_cert_not_after_ms; /* expiry of client_cert (epoch ms), 0: none */
};

/* The path that names the pod's own service account instead of a file (a registered
 * cluster's kubeconfig is otherwise always an absolute path): KUBERNETES_SERVICE_HOST and
 * _PORT, the token (re-read when it changes) and CA in
 * /var/run/secrets/kubernetes.io/serviceaccount ($NETCTL_SA_DIR overrides the directory). */
#define KUBE_IN_CLUSTER "in-cluster"

/* Loads the kubeconfig(s) and resolves a context.
 *  path:    a file, or NULL (or "") to use $KUBECONFIG (':'-separated list, merged the way kubectl
 *           merges: the first file that defines a name wins) or else ~/.kube/config;
 *           when KUBERNETES_SERVICE_HOST is set and no file exists, the in-cluster config;
 *           KUBE_IN_CLUSTER: the in-cluster config, whatever files exist (ERR_USAGE
 *           outside a pod).
 *  context: NULL for current-context (must be NULL with KUBE_IN_CLUSTER).
 * Relative paths are resolved against the directory of the file that names them; '~' is
 * expanded. Errors are one line naming the file and the field. */
struct kube_target *kube_target_load(const char *path, const char *context, struct err *err);
void kube_target_free(struct kube_target *t);
/* A deep copy (a client must not depend on its caller's target). */
struct kube_target *kube_target_dup(const struct kube_target *t);

/* The names of all contexts in the given kubeconfig(s) (NULL-terminated, strv_free). */
char **kube_context_names(const char *path, struct err *err);

/* Parses kubeconfig text as if read from the file `name` and type-checks every field,
 * without choosing a context or reading the files it names (for validation and fuzzing). */
int kube_config_check_text(const char *text, size_t len, const char *name, struct err *err);

/* The URL for messages and logs: a user:password@ before the host becomes ***@ (heap). */
char *kube_url_redact(const char *url);

/* Deep copy (every field, including interactive_mode) and free. */
struct kube_exec *kube_exec_dup(const struct kube_exec *x);
void kube_exec_free(struct kube_exec *x);

/* Credentials for one request. Fills `header` with "Authorization: Bearer …" or
 * "Authorization: Basic …" (or leaves it empty when client certificates are the only auth).
 * Precedence: token, then token_file, then exec plugin, then username/password.
 * Runs the exec plugin when needed (posix_spawn, no shell, stdin /dev/null, 30 s bound);
 * its result is cached until 5 s (at most half its lifetime) before its expirationTimestamp,
 * or without one until kube_auth_invalidate. Re-reads token_file when its inode, size or
 * mtime changed. Errors are one line and never contain a credential; plugin errors carry the
 * first line of its stderr and the installHint. Not thread-safe: one kube_auth per client. */
struct kube_auth;
/* A token fit for an Authorization header: no CR, LF or other control character (one
 * would end the header and start another). */
bool kube_token_valid(const char *token);
struct kube_auth *kube_auth_new(const struct kube_target *t);
void kube_auth_free(struct kube_auth *a);
int kube_auth_header(struct kube_auth *a, struct buf *header, struct err *err);
/* Client certificate and key from an exec plugin (if it returned them), else NULL. Valid
 * after a successful kube_auth_header and until the next call to it. */
const struct kube_blob *kube_auth_client_cert(struct kube_auth *a);
const struct kube_blob *kube_auth_client_key(struct kube_auth *a);
/* Forget the cached credential (call after a 401 so the next request re-runs the plugin). */
void kube_auth_invalidate(struct kube_auth *a);
/* Bound on one plugin run (default 30 s); the plugin's process group is killed after it. */
void kube_auth_set_exec_timeout(struct kube_auth *a, long ms);
/* How many times the exec plugin has been started (for tests and -v output). */
unsigned long kube_auth_exec_runs(const struct kube_auth *a);

#endif
