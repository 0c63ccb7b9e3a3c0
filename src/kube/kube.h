/* kube: a Kubernetes API client for many clusters at once — kubeconfig and auth
 * (kubeconfig.h), REST over one shared libcurl multi handle, the objects netctl deploys,
 * and the pods/proxy channel to floaters. The one public header of src/kube. */
#ifndef NETCTL_KUBE_H
#define NETCTL_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "kubeconfig.h"

struct cJSON;

/* ---- event loop ------------------------------------------------------------------------
 * One loop (a libcurl multi handle) carries every request of every client: requests to
 * many clusters are in flight at once, connections are reused, HTTP/2 streams are
 * multiplexed. Single-threaded: callbacks run inside kube_loop_step(). */
struct kube_loop;

struct kube_loop *kube_loop_new(struct err *err);
/* Cancels what is still in flight (no callbacks) and frees the loop. Free the clients
 * first or after: both orders work. */
void kube_loop_free(struct kube_loop *loop);
/* Waits at most timeout_ms for network activity or a due retry, then runs completions;
 * returns at once when nothing is in flight. Returns the number of requests still in
 * flight (0: idle), -1 on a libcurl failure. */
int kube_loop_step(struct kube_loop *loop, long timeout_ms, struct err *err);
/* Exponential backoff with jitter for a retry (attempt 0 = the first): a random time
 * between half and all of min(base_ms << attempt, cap_ms). */
long kube_backoff_ms(struct kube_loop *loop, int attempt, long base_ms, long cap_ms);
/* Steps until nothing is in flight or timeout_ms ran out (then -1, ERR_TIMEOUT). */
int kube_loop_run(struct kube_loop *loop, long timeout_ms, struct err *err);
/* Requests in flight or waiting for a retry. */
size_t kube_loop_pending(const struct kube_loop *loop);

/* ---- client (one per cluster) ---------------------------------------------------------- */
struct kube_client;

struct kube_client_opts {
	const char *name;	 /* cluster name used in messages; NULL: the context name */
	long connect_timeout_ms; /* TCP + TLS handshake; 0: 5000 */
	long timeout_ms;	 /* whole request, default for each call; 0: 30000 */
	int max_attempts;	 /* tries per request incl. the first; 0: 5 */
	long retry_budget_ms;	 /* no retry starts later than this after the first try; 0: 30000 */
	int max_inflight;	 /* async requests handed to libcurl at once; more wait their
				  * turn (their timeouts start when they do); blocking calls
				  * and list pages skip the queue; 0: 100 */
};

/* The target is copied; opts may be NULL. Makes no request. */
struct kube_client *kube_client_new(struct kube_loop *loop, const struct kube_target *t,
				    const struct kube_client_opts *opts, struct err *err);
/* Cancels the client's requests in flight (no callbacks) and frees it. */
void kube_client_free(struct kube_client *c);
const char *kube_client_name(const struct kube_client *c);
/* The server URL for messages (a user:password@ in it shown as ***@). */
const char *kube_client_server(const struct kube_client *c);
/* The context's namespace ("default" when the context names none). */
const char *kube_client_namespace(const struct kube_client *c);
/* HTTP requests sent by this client, retries included (the engine reports API calls). */
uint64_t kube_client_requests(const struct kube_client *c);
/* New connections this client opened (the rest of its requests reused one). */
uint64_t kube_client_connections(const struct kube_client *c);
struct kube_loop *kube_client_loop(const struct kube_client *c);

/* ---- requests (asynchronous) ----------------------------------------------------------- */
enum kube_method { KUBE_GET = 0, KUBE_POST, KUBE_PUT, KUBE_PATCH, KUBE_DELETE };

struct kube_response {
	long status;	  /* HTTP status; 0 when no response arrived */
	const char *body; /* buffered body (NUL-terminated), "" when streamed or empty */
	size_t body_len;
	int http_version; /* 1 or 2 (HTTP/2 multiplexes every request over one connection) */
};

/* Called once per line of a streamed body (without the newline; also for a last
 * unterminated line). Return 0 to go on, -1 to abort the request (it then fails). */
typedef int (*kube_line_fn)(void *arg, const char *line, size_t len);
/* Called for raw body bytes of a streamed 2xx response. Same return convention. */
typedef int (*kube_data_fn)(void *arg, const char *data, size_t len);
/* Called for each header of a response, name and value without the white space around
 * them (names as the server wrote them: lower case over HTTP/2). Lines over 1 KiB are not
 * passed. Headers of every attempt and every response (errors too) are passed. */
typedef void (*kube_header_fn)(void *arg, const char *name, const char *value);
/* Called exactly once when the request finished: err is NULL on success (2xx) and names
 * the cluster otherwise. resp is valid only during the call. Not called after
 * kube_call_cancel() or kube_client_free(). */
typedef void (*kube_done_fn)(void *arg, const struct kube_response *resp, const struct err *err);

struct kube_request {
	enum kube_method method;
	const char *path;	    /* "/api/v1/nodes?limit=500" (appended to the server URL) */
	const char *body;	    /* copied; NULL: none */
	size_t body_len;	    /* 0 with a body: strlen(body) */
	const char *content_type;   /* NULL: application/json when there is a body */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated; copied */
	long timeout_ms;	    /* 0: the client's */
	bool retry_post;	  /* POST and PATCH are retried (5xx, dropped connection) only when
				   * the caller knows they are idempotent; 429 is always retried */
	size_t max_body;	  /* cap on the buffered body or total streamed bytes; 0: 64 MiB */
	size_t max_line;	  /* with on_line: longest accepted line; 0: 1 MiB */
	long line_stall_ms;	  /* with on_line: a started line unfinished this long ends the call
				   * (ERR_TIMEOUT); 0: only timeout_ms bounds it */
	long idle_ms;		  /* no byte of the answer for this long (from the attempt's start
				   * or the last byte) ends the call (ERR_TIMEOUT); 0: only
				   * timeout_ms bounds it */
	kube_data_fn on_data;	  /* stream the 2xx body raw ... */
	kube_line_fn on_line;	  /* ... or split into lines (at most one of the two) */
	kube_header_fn on_header; /* NULL: headers are not looked at */
	kube_done_fn on_done;
	void *arg;
};

struct kube_call;

/* Starts a request; it progresses inside kube_loop_step(). Error responses (non-2xx) are
 * always buffered and turned into err for on_done, even for streaming requests. */
struct kube_call *kube_call_start(struct kube_client *c, const struct kube_request *req,
				  struct err *err);
/* Stops a request; its on_done is not called. Safe inside any callback. */
void kube_call_cancel(struct kube_call *call);

/* Percent-encodes a query value (labelSelector, continue token). Heap result. */
char *kube_escape(const char *s);

/* ---- blocking helpers (they run the shared loop, so other requests progress too) ----- */

/* Any request; on success a 2xx happened and *out_body (if asked) holds the body
 * (caller frees). Not for use inside on_data / on_line callbacks. */
int kube_request_sync(struct kube_client *c, const struct kube_request *req, long *status,
		      char **out_body, struct err *err);
/* JSON verbs; the result is the server's object (cJSON_Delete it), NULL on error. */
struct cJSON *kube_get(struct kube_client *c, const char *path, struct err *err);
struct cJSON *kube_create(struct kube_client *c, const char *path, const struct cJSON *obj,
			  struct err *err);
struct cJSON *kube_replace(struct kube_client *c, const char *path, const struct cJSON *obj,
			   struct err *err);
/* patch_type: "application/merge-patch+json", "application/strategic-merge-patch+json",
 * "application/json-patch+json". */
struct cJSON *kube_patch(struct kube_client *c, const char *path, const char *patch_type,
			 const struct cJSON *patch, struct err *err);
/* DELETE with optional DeleteOptions; 404 is an error here (ERR_NOTFOUND). */
int kube_delete(struct kube_client *c, const char *path, const struct cJSON *options,
		struct err *err);
/* GET /version: gitVersion ("v1.20.2") into out. */
int kube_server_version(struct kube_client *c, char *out, size_t outsz, struct err *err);

/* ---- lists with pagination (limit/continue): one page in memory at a time ------------ */

/* Called per item (borrowed: valid during the call). Return 0 to go on, -1 to stop (the
 * list then fails with the err the callback filled, or ERR_INTERNAL). */
typedef int (*kube_item_fn)(void *arg, const struct cJSON *item, struct err *err);
typedef void (*kube_list_done_fn)(void *arg, size_t items, const struct err *err);

struct kube_list_opts {
	const char *label_selector; /* NULL: all */
	const char *field_selector; /* NULL: none */
	long page_size;		    /* 0: 500 */
	kube_item_fn on_item;
	kube_list_done_fn on_done; /* async only */
	void *arg;
};

/* path is a collection, e.g. "/api/v1/nodes". Each page is one request (counted). */
int kube_list_start(struct kube_client *c, const char *path, const struct kube_list_opts *o,
		    struct err *err);
/* Blocking; returns the number of items, -1 on error. */
long kube_list(struct kube_client *c, const char *path, const struct kube_list_opts *o,
	       struct err *err);

/* ---- nodes and floater pods ------------------------------------------------------------ */

struct kube_label {
	char *key, *value;
};

struct kube_taint {
	char *key, *value, *effect; /* value: NULL when none */
};

struct kube_node {
	char *name;
	char *internal_ipv4; /* first InternalIP of each family; NULL when absent */
	char *internal_ipv6;
	char **addresses; /* "TYPE=ADDRESS" for every status.addresses entry (NULL-terminated) */
	char **pod_cidrs; /* spec.podCIDRs (or spec.podCIDR), NULL-terminated */
	struct kube_label *labels; /* metadata.labels with a valid key and value */
	size_t nlabels;
	struct kube_taint *taints; /* spec.taints with a key and an effect */
	size_t ntaints;
	bool ready; /* condition Ready=True */
	bool unschedulable;
};

struct kube_node_list {
	struct kube_node *items;
	size_t n;
};

int kube_nodes_list(struct kube_client *c, struct kube_node_list *out, struct err *err);
void kube_node_list_release(struct kube_node_list *l);
/* Adds one Node object as the API server sent it (cap: the list's capacity, 0 at first).
 * The name must be a DNS name (else -1, ERR_PROTO); addresses that are not IP literals are
 * left out. What kube_nodes_list does per item; the fuzz target feeds it directly. */
int kube_node_list_add(struct kube_node_list *l, size_t *cap, const struct cJSON *item,
		       struct err *err);

struct kube_pod {
	char *name;
	char *node;	   /* spec.nodeName, NULL when unscheduled */
	char *wanted_node; /* unscheduled DaemonSet pod: the node its affinity names */
	char *host_ip;	   /* status.hostIP */
	char *ipv4;	   /* from status.podIPs (or podIP) */
	char *ipv6;
	char *network;	 /* label netctl.io/network: "pod" or "host" */
	char *phase;	 /* status.phase */
	bool ready;	 /* condition Ready=True */
	char *why;	 /* when not ready: phase, container waiting reason, conditions */
	char *owner_uid; /* the uid of its controller, when that is a DaemonSet */
};

struct kube_pod_list {
	struct kube_pod *items;
	size_t n;
};

/* Pods in ns matching label_selector (NULL: every netctl floater pod). */
int kube_pods_list(struct kube_client *c, const char *ns, const char *label_selector,
		   struct kube_pod_list *out, struct err *err);
void kube_pod_list_release(struct kube_pod_list *l);
/* Adds one Pod object, checked as kube_node_list_add does. */
int kube_pod_list_add(struct kube_pod_list *l, size_t *cap, const struct cJSON *item,
		      struct err *err);

/* ---- the API server's own addresses ------------------------------------------------------- */

/* One address of the cluster's API server as its endpoint reconciler publishes it. */
struct kube_endpoint {
	char ip[46]; /* an IP literal */
	int port;
};

/* The default/kubernetes Endpoints: every address x its port named "https" (or its only
 * port), at most max, into out; *n = 0 when the object does not exist (an API server whose
 * endpoint reconciler is off). -1 on other errors (ERR_AUTH when it may not be read). */
int kube_apiserver_endpoints(struct kube_client *c, struct kube_endpoint *out, size_t max,
			     size_t *n, struct err *err);

/* ---- which nodes get a floater (selector.c) ---------------------------------------------- */

/* NetDoctor's rule, kept: a node with this label (any value) gets no floater. */
#define KUBE_EXCLUDE_LABEL "kosmos.io/exclude"

/* A label key ([PREFIX/]NAME) / value as Kubernetes accepts them. */
bool kube_label_key_ok(const char *key);
bool kube_label_value_ok(const char *value);

/* A label selector in kubectl's syntax: "a=b,c!=d,e,!f,g in (x,y),h notin (z)" (== for =;
 * requirements are ANDed). NULL with err (ERR_USAGE, one line naming `what` and the
 * column) when it is not one. */
struct kube_selector;
struct kube_selector *kube_selector_parse(const char *text, const char *what, struct err *err);
void kube_selector_free(struct kube_selector *s);
/* Whether n's labels satisfy s (NULL: every node), as the API server decides it: != and
 * notin match a node without the label. */
bool kube_selector_match(const struct kube_selector *s, const struct kube_node *n);

/* Which taints the floaters tolerate. The taints Kubernetes sets for node conditions
 * (node.kubernetes.io/not-ready, unreachable, unschedulable, *-pressure,
 * network-unavailable) are always tolerated. */
enum kube_toleration_mode {
	KUBE_TOLERATE_NO_CONTROL_PLANE = 0, /* every taint but node-role.kubernetes.io/
					     * control-plane and .../master (the default) */
	KUBE_TOLERATE_ALL,		    /* every taint (NetDoctor's) */
	KUBE_TOLERATE_NONE,		    /* none */
	KUBE_TOLERATE_LIST,		    /* KEY[=VALUE][:EFFECT],... */
};
struct kube_tolerations;
/* "no-control-plane" (or NULL), "all", "none" or a list KEY[=VALUE][:EFFECT] / :EFFECT,
 * comma-separated. NULL with err (ERR_USAGE) naming what. */
struct kube_tolerations *kube_tolerations_parse(const char *text, const char *what,
						struct err *err);
void kube_tolerations_free(struct kube_tolerations *t);
/* The first NoSchedule or NoExecute taint of n that t does not tolerate (the floater
 * cannot run there), or NULL. t NULL: the default. */
const struct kube_taint *kube_tolerations_blocking(const struct kube_tolerations *t,
						   const struct kube_node *n);

/* Where a cluster's floaters run: rendered into both DaemonSets' pod template. */
struct kube_placement {
	const struct kube_selector *selector; /* NULL: every node */
	char **exclude_names;		      /* node names left out, NULL-terminated (or NULL) */
	const struct kube_tolerations *tolerations; /* NULL: the default */
	const struct kube_node_list *nodes; /* the cluster's nodes: the default tolerates the
					     * taint keys they carry but the control plane's */
};
/* {"nodeSelector": {...} or null, "affinity": {required node affinity: kosmos.io/exclude
 * DoesNotExist, the selector's other requirements, metadata.name NotIn the excluded
 * names}, "tolerations": [...]}: members of a pod spec. */
struct cJSON *kube_placement_json(const struct kube_placement *p);

/* ---- what netctl deploys (the deploy/ templates, embedded) -------------------------------------
 */

#define KUBE_FLOATER_NAME	      "netctl-floater"
#define KUBE_FLOATER_HOST_NAME	      "netctl-floater-host"
#define KUBE_TOKEN_SECRET	      "netctl-floater-token"
#define KUBE_ECHO_KEY_FILE	      "echo-key" /* the Secret's data key, the floater's file */
#define KUBE_ECHO_KEY_LEN	      32	 /* hex digits: a 128-bit SipHash key */
#define KUBE_MANAGED_SELECTOR	      "app.kubernetes.io/managed-by=netctl"
#define KUBE_DEFAULT_NAMESPACE	      "kosmos-system"
#define KUBE_DEFAULT_IMAGE_REPOSITORY NETCTL_IMAGE_REPOSITORY
#define KUBE_DEFAULT_PORT	      8889
#define KUBE_FLOATER_IMAGE_NAME	      "netctl-floater" /* REPOSITORY/netctl-floater:VERSION */

enum kube_network { KUBE_NET_POD = 1, KUBE_NET_HOST = 2 };

/* The floater image a DaemonSet runs, "REPOSITORY/netctl-floater:VERSION" (heap); NULL
 * repository or version: the defaults (what `netctl --version` prints). The templates
 * spell it ${IMAGE_REPOSITORY}/netctl-floater:${VERSION} (scripts render them with sed
 * too); unit.kube_objects holds the two equal. */
char *kube_floater_image(const char *repository, const char *version);

/* The fixed set of template variables: ${NAMESPACE} ${IMAGE_REPOSITORY} ${VERSION}
 * ${PORT} ${TOKEN} (${TOKEN_BASE64} and ${TOKEN_ID} are derived; ${ECHO_KEY_BASE64} and
 * ${ECHO_KEY_ID} from echo_key). NULL/0 fields take the defaults above
 * (version: NETCTL_VERSION). */
struct kube_deploy_vars {
	const char *namespace;
	const char *image_repository;
	const char *version;
	/* imagePullSecrets of both DaemonSets, NULL-terminated Secret names (DNS-1123
	 * subdomains); NULL: none (a DaemonSet that had some loses them) */
	char *const *image_pull_secrets;
	int port;
	const char *token; /* NULL: reuse the token of an existing Secret, else a new one */
	/* The floaters' UDP echo key, KUBE_ECHO_KEY_LEN hex digits; NULL as for token. Every
	 * cluster of a run needs the same one (docs/floater.md, "UDP echo"). */
	const char *echo_key;
	bool rotate_token; /* token NULL: a new one even if the Secret has one */
	/* members merged into both DaemonSets' pod spec (kube_placement_json); NULL: none */
	const struct cJSON *placement;
};

enum kube_apply_result { KUBE_APPLY_CREATED = 0, KUBE_APPLY_UPDATED, KUBE_APPLY_UNCHANGED };
const char *kube_apply_result_name(enum kube_apply_result r); /* "created", ... */

/* Renders one embedded template ("namespace.yaml", "secret.yaml", "daemonset-pod.yaml",
 * "daemonset-host.yaml") to a JSON object. Variables are substituted inside scalars only
 * (a value can never change the document's structure). */
struct cJSON *kube_template_render(const char *name, const struct kube_deploy_vars *v,
				   struct err *err);

/* Create, or get + compare + merge-patch when our fields differ; unchanged objects are left
 * alone (a second apply makes no request beyond the GET). obj needs apiVersion, kind,
 * metadata.name (and metadata.namespace for namespaced kinds). */
int kube_apply(struct kube_client *c, const struct cJSON *obj, enum kube_apply_result *result,
	       struct err *err);

struct kube_apply_report {
	char token[65]; /* the floater token in use (hex), for X-Floater-Token */
	char echo_key[KUBE_ECHO_KEY_LEN + 1]; /* the echo key in use (hex) */
	int created, updated, unchanged;
	char summary[512]; /* "namespace/kosmos-system unchanged, secret/... created, ..." */
};

/* The echo key in the token Secret of namespace ns (NULL: the default) into out: 1, or 0
 * when there is no Secret or no valid key in it (out empty), -1 on an API error. */
int kube_echo_key_get(struct kube_client *c, const char *ns, char out[KUBE_ECHO_KEY_LEN + 1],
		      struct err *err);

/* Applies Namespace, token Secret and the DaemonSet(s) for the networks in mask. */
int kube_floaters_apply(struct kube_client *c, const struct kube_deploy_vars *v, unsigned networks,
			struct kube_apply_report *rep, struct err *err);

/* ---- DaemonSet rollout ----------------------------------------------------------------- */

struct kube_rollout_problem {
	char *node; /* node without a ready floater */
	char *pod;  /* its pod, NULL when none was created */
	char *why;  /* "no pod (node NotReady)", "Pending: ContainerCreating", ... */
};

struct kube_rollout {
	long desired, ready; /* from the DaemonSet status */
	struct kube_rollout_problem *problems;
	size_t nproblems;
};

/* The rollout figures of DaemonSet ns/name, one GET (0 where the status lacks a field). */
struct kube_ds_status {
	char uid[64]; /* metadata.uid: the pods it owns name it in their ownerReferences */
	long generation, observed, desired, ready, updated;
	char selector[512]; /* spec.selector.matchLabels as "k=v,k=v" */
};
int kube_daemonset_status(struct kube_client *c, const char *ns, const char *name,
			  struct kube_ds_status *st, struct err *err);

/* Waits at most timeout_ms (podWaitTime) until every desired pod of DaemonSet ns/name is
 * ready. 0: all ready (desired > 0). -1: ERR_TIMEOUT with out->problems naming each node
 * without a ready floater and why (zero nodes: a timeout that says so), or another error. */
int kube_daemonset_wait(struct kube_client *c, const char *ns, const char *name, long timeout_ms,
			struct kube_rollout *out, struct err *err);
void kube_rollout_release(struct kube_rollout *r);

/* One permission, as RBAC names it: "create" on pods/proxy in namespace NS. */
struct kube_access {
	const char *verb, *group, *resource, *subresource, *namespace;
};

/* Asks the API server whether the client's user has permission a (a SelfSubjectAccessReview,
 * which every authenticated user may make): *allowed. An API server that does not answer
 * the question (no such API, review refused) leaves *allowed true: the real request will
 * tell. */
int kube_access_check(struct kube_client *c, const struct kube_access *a, bool *allowed,
		      struct err *err);

/* What kube_floaters_delete did with the namespace. */
struct kube_clean {
	bool ns_deleted; /* netctl created it and nothing else was in it: deleted */
	char kept[256];	 /* else, if netctl created it: why it was left ("it holds
			  * deployments/kosmos-operator"); empty when it was not netctl's */
};

/* Deletes every object netctl created in ns (label app.kubernetes.io/managed-by=netctl):
 * DaemonSets (foreground propagation), Secrets, ServiceAccounts, then the Namespace, but
 * only if netctl created it AND nothing else is in it (a namespace netctl made may since
 * hold somebody else's work: Kosmos installs into kosmos-system, and `kubectl apply` keeps
 * our label). A namespace whose contents cannot be listed is kept. Already-gone objects
 * are fine. wait_ms > 0: also wait that long for the namespace to disappear. out may be
 * NULL. */
int kube_floaters_delete(struct kube_client *c, const char *ns, long wait_ms,
			 struct kube_clean *out, struct err *err);

/* Waits until namespace ns is gone (0) or the monotonic clock passes end_us (ERR_TIMEOUT,
 * naming the cluster and how long it waited since start_us). */
int kube_namespace_wait_gone(struct kube_client *c, const char *ns, int64_t start_us,
			     int64_t end_us, struct err *err);

/* ---- pods/proxy to floaters ------------------------------------------------------------ */

struct kube_proxy_request {
	const char *ns, *pod;
	int port;
	enum kube_method method; /* KUBE_GET or KUBE_POST */
	const char *path;	 /* "/v1/probe" */
	const char *body;	 /* copied; NULL for GET */
	size_t body_len;
	const char *const *headers; /* e.g. "X-Floater-Token: …" (redacted in logs) */
	long timeout_ms;
	size_t max_line;	  /* 0: 64 KiB */
	size_t max_body;	  /* total streamed bytes; 0: 64 MiB */
	long line_stall_ms;	  /* see struct kube_request */
	long idle_ms;		  /* see struct kube_request */
	kube_line_fn on_line;	  /* one NDJSON line at a time, as it arrives */
	kube_header_fn on_header; /* the floater's headers (the API server passes them on) */
	kube_done_fn on_done;
	void *arg;
};

/* Request to /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH; never retried once a line
 * was delivered (probes are not repeated behind the caller's back). */
struct kube_call *kube_proxy_start(struct kube_client *c, const struct kube_proxy_request *r,
				   struct err *err);

/* ---- Kosmos (kosmos.c; docs/kosmos.md) ------------------------------------------------ */

/* A clusters.kosmos.io object of a Kosmos host cluster. */
struct kube_kosmos_cluster {
	char *name;
	char *kubeconfig; /* spec.kubeconfig decoded (a secret: wiped on release); NULL: none */
	size_t kubeconfig_len;
	char *network_type; /* "p2p", "gateway"; NULL: not said */
	char *ip_family;    /* "all", "ipv4", "ipv6"; NULL: not said */
	char *global_cidrs; /* globalCIDRsMap as "REAL=GLOBAL,..." (checked); NULL: none */
};
/* Every Cluster of the host (ERR_USAGE when the CRD is missing). */
int kube_kosmos_clusters(struct kube_client *c, struct kube_kosmos_cluster **out, size_t *n,
			 struct err *err);
/* One Cluster by name (ERR_NOTFOUND when there is none). */
int kube_kosmos_cluster_get(struct kube_client *c, const char *name,
			    struct kube_kosmos_cluster *out, struct err *err);
void kube_kosmos_cluster_release(struct kube_kosmos_cluster *c);
/* "all", "ipv4" or "ipv6": the values of a Cluster's ipFamily. */
bool kube_ip_family_valid(const char *s);
/* Writes the member's kubeconfig to path (mode 0600, through a private file in dir renamed
 * over path); *changed false when path held it already. The caller decides whether path may
 * be replaced. */
int kube_kosmos_kubeconfig_write(const struct kube_kosmos_cluster *c, const char *dir,
				 const char *path, bool *changed, struct err *err);
/* A clusternodes.kosmos.io object: ClusterLink's view of one node of a member cluster. */
struct kube_kosmos_node {
	char *name;	  /* metadata.name */
	char *cluster;	  /* spec.clusterName */
	char *node;	  /* spec.nodeName */
	char *ip, *ip6;	  /* spec.ip, spec.ip6 (as written; NULL: none) */
	char **pod_cidrs; /* spec.podCIDRs, NULL-terminated (NULL: none) */
	char **roles;	  /* spec.roles, e.g. "gateway", NULL-terminated (NULL: none) */
	char *interface;  /* spec.interfaceName */
};
/* Every ClusterNode of the host: one LIST (paginated). *present is false (and 0 returned)
 * when the host has no clusternodes.kosmos.io. */
int kube_kosmos_nodes(struct kube_client *c, struct kube_kosmos_node **out, size_t *n,
		      bool *present, struct err *err);
void kube_kosmos_nodes_free(struct kube_kosmos_node *v, size_t n);
/* One ClusterNode object as the API server sent it (what kube_kosmos_nodes does per item;
 * the fuzz target feeds it directly). Names are DNS names, the rest printable ASCII. */
int kube_kosmos_node_parse(const struct cJSON *item, struct kube_kosmos_node *k, struct err *err);
void kube_kosmos_node_release(struct kube_kosmos_node *k);
bool kube_kosmos_node_has_role(const struct kube_kosmos_node *k, const char *role);
/* The member's API server and credentials, from its spec.kubeconfig (its current-context). */
struct kube_target *kube_kosmos_target(const struct kube_kosmos_cluster *c, struct err *err);

#endif
