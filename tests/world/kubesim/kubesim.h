/* kubesim: the test world's kubelet simulator (one process per cluster). Internal header. */
#ifndef NETCTL_KUBESIM_H
#define NETCTL_KUBESIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct cJSON;
struct kube_client;
struct kube_loop;

#define KS_MAX_SLOTS 5 /* pods per node: pod CIDR /29 = gateway .1 + pods .2-.6 */

struct ks;

struct ks_node {
	struct ks *ks;
	char *name;
	int index;
	char *netns;
	char *ipv4, *ipv6;
	char *cidr4, *cidr6;
	unsigned slots_used; /* bit s: pod slot s taken */
	bool notready;	     /* fault: node reported NotReady, no heartbeats */
	int64_t next_lease_us;
	bool lease_created;
	bool lease_pending;
};

enum ks_pod_state {
	KS_POD_NEW = 0,	 /* seen, not started yet (waiting for its secret, slot, backoff) */
	KS_POD_RUNNING,	 /* process alive */
	KS_POD_EXITED,	 /* process died; restart after backoff */
	KS_POD_FAILED,	 /* unsupported image: reported Failed, never started */
	KS_POD_STOPPING, /* deletionTimestamp seen: stopped, delete confirmation sent */
};

/* A readiness probe in flight (probe.c). */
struct ks_probe {
	int fd;
	bool sent;
	size_t got;
	int64_t deadline_us;
	char buf[256];
};

enum ks_net { KS_NET_NONE = 0, KS_NET_RUNNING, KS_NET_READY, KS_NET_FAILED };

/* podnet.c: a pod network made or removed by a worker thread */
enum ks_netjob_op { KS_NETJOB_ADD = 0, KS_NETJOB_DEL };

struct ks_netjob {
	enum ks_netjob_op op;
	struct ks_node *node; /* DEL: its slot is free again when the job is done */
	char node_ns[64], pod_ns[80];
	int slot;
	char ipv4[64], gw4[64], ipv6[64], gw6[64]; /* ADD */
	int64_t queued_us, done_us;
	/* written by the worker, read after ks_netpool_done() */
	bool done;
	int rc;
	struct err err;
	struct ks_netjob *qnext; /* the workers' queue (podnet.c) */
	struct ks_netjob *next;	 /* the simulator's list of removals in flight */
};

struct ks_pod {
	char *uid, *ns, *name;
	char *owner_uid; /* its DaemonSet's, NULL for a bare pod */
	char *revision;	 /* its controller-revision-hash label (the DaemonSet's template) */
	struct ks_node *node;
	struct cJSON *spec; /* copy of .spec */
	char *container, *image;
	bool host; /* hostNetwork */
	int slot;  /* -1 for host network */
	enum ks_net net_status;
	struct ks_netjob *net_job; /* its network being made */
	char *netns;		   /* pod or node namespace */
	char ipv4[64], ipv6[64];
	enum ks_pod_state state;
	pid_t pid;
	unsigned long long starttime; /* /proc/PID/stat field 22: tells pid reuse apart */
	int restarts;
	char hostile[32]; /* the hostile floater's mode it runs, "" for the real floater */
	bool swapping;	  /* killed to swap floaters: restarted at once, not counted */
	int64_t next_us;  /* next start attempt or readiness probe */
	int64_t started_wall_ms;
	int64_t started_us;
	/* first sight, network made, first probe success: logged once the server has Ready */
	int64_t seen_us, net_us, ready_us;
	bool timeline_logged;
	bool ready;
	int probe_failures;
	struct ks_probe probe; /* fd -1: no probe in flight */
	/* Status: only changes are patched, one PATCH per pod at a time (two in flight may be
	 * applied in either order, leaving the older status on the server). */
	int reported;		 /* key the server confirmed, -1 none; key = state << 1 | ready */
	bool report_inflight;	 /* a status PATCH of this pod is in flight */
	int64_t report_retry_us; /* after a failed PATCH: not before this */
	long long status_rv;	 /* resourceVersion our last PATCH produced (0: unknown) */
	bool delete_inflight;	 /* the confirming DELETE is in flight or done */
	int64_t delete_retry_us;
	char *fail_reason, *fail_message;
};

struct ks {
	const char *cluster;
	int cluster_index;
	const char *state_dir; /* ends with '/' */
	const char *ctl_dir;   /* ends with '/' */
	const char *floater;
	const char *hostile_floater; /* runs instead where CTL/hostile/<node> names a mode */
	const char *cluster_dns;     /* "ADDR[,ADDR...]": the kubelet's clusterDNS, or NULL */
	int64_t hostile_mtime_ns;    /* of CTL/hostile/: pods are looked at again when it moves */
	struct ks_netpool *net;	     /* pod network workers */
	struct ks_netjob *net_dels;  /* removals in flight */
	int net_adds;		     /* pod networks being made */
	struct kube_loop *loop;
	struct kube_client *api;
	struct ks_node *nodes;
	size_t nnodes;
	struct ks_pod **pods;
	size_t npods, cappods;
	bool state_dirty;
	int64_t state_saved_us;
	int64_t lease_period_us;
	/* watch */
	struct kube_call *watch;
	char *watch_rv;
	bool need_list;
	int64_t watch_retry_us;
	struct cJSON **events;
	size_t nevents, capevents;
	int inflight_patches;
	int inflight_status; /* pod status PATCHes among them */
	bool register_failed;
};

/* main.c */
struct ks_node *ks_node_find(struct ks *ks, const char *name);
bool ks_ctl_exists(struct ks *ks, const char *what, const char *node);
void ks_ctl_read(struct ks *ks, const char *what, const char *node, char *out, size_t size);

/* pods.c */
void ks_pod_event(struct ks *ks, const char *type, const struct cJSON *obj);
void ks_pods_sync(struct ks *ks, const struct cJSON *items);
void ks_pods_tick(struct ks *ks);
void ks_pods_state_save(struct ks *ks);
void ks_pods_state_load(struct ks *ks);
void ks_pods_stop_all(struct ks *ks);

/* podnet.c: jobs run in the order started, by a few threads; the loop polls ks_netpool_done */
struct ks_netpool;
struct ks_netpool *ks_netpool_new(struct err *err);
void ks_netpool_free(struct ks_netpool *net); /* finishes the queued jobs first */
struct ks_netjob *ks_netjob_new(enum ks_netjob_op op, struct ks_node *node, const char *pod_ns,
				int slot);
void ks_netpool_start(struct ks_netpool *net, struct ks_netjob *j);
bool ks_netpool_done(struct ks_netpool *net, struct ks_netjob *j);
void ks_netpool_wait(struct ks_netpool *net, struct ks_netjob *j);

/* spawn.c: the container's process, inside netns, with the pod's identity */
struct ks_spawn {
	const char *netns;    /* /run/netns/NAME */
	const char *log_path; /* stdout + stderr */
	char **argv, **envp;
	char **sysctl_paths, **sysctl_values; /* NULL-terminated, same length */
	long uid, gid;			      /* -1: keep root */
	unsigned long long keep_caps;	      /* bounding set bits kept (uid 0 only) */
	const char *resolv_conf; /* bind-mounted over /etc/resolv.conf in a mount namespace of
				  * its own, as a container runtime does; NULL: the node's */
};
pid_t ks_spawn(const struct ks_spawn *s, struct err *err);
/* /proc/PID/stat start time, 0 when gone or a zombie */
unsigned long long ks_proc_starttime(pid_t pid);

/* probe.c: HTTP GET, true for 200..399 */
bool ks_http_probe(const char *ip, int port, const char *path, long timeout_ms);
/* Non-blocking: start connects (fd or -1); step: 1 success, -1 failure, 0 not yet. */
int ks_probe_start(const char *ip, int port);
int ks_probe_step(struct ks_probe *pr, const char *ip, int port, const char *path);

#endif
