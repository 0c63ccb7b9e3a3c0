/* Pod networks made in-process: what `ip netns add` + a veth pair + addresses + routes would
 * do, through rtnetlink, on a few worker threads (a network namespace is per thread, and
 * making one mostly waits for the kernel), so that the simulator's loop never waits and no
 * process is started per pod. The loop submits jobs and collects them when done. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubesim.h"
#include "rtnl.h"

#define NET_THREADS 4

struct ks_netpool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct ks_netjob *head, *tail; /* queued, not yet taken by a worker */
	pthread_t threads[NET_THREADS];
	int nthreads;
	int home_fd; /* the world namespace: workers go back to it after each job */
	bool stop;
};

/* ---- namespaces ------------------------------------------------------------------------ */

/* Like `ip netns add`: a new namespace for this thread, kept by a bind mount. */
static int netns_create(const char *path, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);

	if (fd < 0)
		return err_set(err, ERR_IO, "create %s: %s", path, strerror(errno));
	close(fd);
	if (unshare(CLONE_NEWNET) < 0) {
		err_set(err, ERR_IO, "unshare: %s", strerror(errno));
		unlink(path);
		return -1;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		err_set(err, ERR_IO, "bind mount %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Like `ip netns del`; the namespace itself goes when its last process does. */
static void netns_remove(const char *path)
{
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* No duplicate address detection on a new link (written before it goes up): while its
 * link-local address is tentative the kernel sends no neighbour solicitation for traffic
 * it forwards, so IPv6 to a just-started pod from other nodes was dropped for about 1 s. */
static int dad_off(const char *dev, struct err *err)
{
	char path[96];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		rc = err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The node side: the veth end, the gateway addresses, routes to the pod. */
static int node_side(const struct ks_netjob *j, const char *peer, struct err *err)
{
	int nl, idx, rc = -1;

	if (rtnl_enter(j->node_ns, err) < 0)
		return -1;
	nl = rtnl_open(err);
	if (nl < 0)
		return -1;
	if (dad_off(peer, err) < 0 || rtnl_link_up(nl, peer, err) < 0)
		goto out;
	idx = (int)if_nametoindex(peer);
	if (!idx) {
		err_set(err, ERR_IO, "%s: no such link in %s", peer, j->node_ns);
		goto out;
	}
	if (rtnl_addr_add(nl, idx, j->gw4, 32, err) < 0 ||
	    rtnl_addr_add(nl, idx, j->gw6, 128, err) < 0 ||
	    rtnl_route_add(nl, idx, j->ipv4, 32, NULL, err) < 0 ||
	    rtnl_route_add(nl, idx, j->ipv6, 128, NULL, err) < 0)
		goto out;
	rc = 0;
out:
	close(nl);
	return rc;
}

/* The pod side, from inside its new namespace. */
static int pod_side(const struct ks_netjob *j, const char *peer, struct err *err)
{
	char *node_path = xasprintf("%s%s", NETNS_DIR, j->node_ns);
	int node_fd = open(node_path, O_RDONLY | O_CLOEXEC), nl = -1, idx, rc = -1;

	if (node_fd < 0) {
		err_set(err, ERR_IO, "open %s: %s", node_path, strerror(errno));
		goto out;
	}
	nl = rtnl_open(err);
	if (nl < 0)
		goto out;
	if (rtnl_veth_add(nl, "eth0", peer, node_fd, err) < 0 || rtnl_link_up(nl, "lo", err) < 0 ||
	    dad_off("eth0", err) < 0 || rtnl_link_up(nl, "eth0", err) < 0)
		goto out;
	idx = (int)if_nametoindex("eth0");
	if (!idx) {
		err_set(err, ERR_IO, "eth0 vanished");
		goto out;
	}
	if (rtnl_addr_add(nl, idx, j->ipv4, 29, err) < 0 ||
	    rtnl_addr_add(nl, idx, j->ipv6, 64, err) < 0 ||
	    rtnl_route_add(nl, idx, NULL, 0, j->gw4, err) < 0 ||
	    rtnl_route_add(nl, idx, NULL, 0, j->gw6, err) < 0)
		goto out;
	rc = 0;
out:
	if (nl >= 0)
		close(nl);
	if (node_fd >= 0)
		close(node_fd);
	free(node_path);
	return rc;
}

/* Removes the pod's namespace and its veth (the node end first, so that the name is free
 * for the next pod at once, not when the kernel gets round to the namespace). */
static int job_del(const struct ks_netjob *j, struct err *err)
{
	char peer[IFNAMSIZ], *path = xasprintf("%s%s", NETNS_DIR, j->pod_ns);
	int nl, rc = -1;

	snprintf(peer, sizeof(peer), "pv%d", j->slot);
	if (rtnl_enter(j->node_ns, err) == 0 && (nl = rtnl_open(err)) >= 0) {
		rc = rtnl_link_del(nl, peer, err);
		close(nl);
	}
	netns_remove(path);
	free(path);
	return rc;
}

static int job_add(const struct ks_netjob *j, struct err *err)
{
	char peer[IFNAMSIZ], *path = xasprintf("%s%s", NETNS_DIR, j->pod_ns);
	struct err ignored = ERR_INIT;
	int rc = -1;

	snprintf(peer, sizeof(peer), "pv%d", j->slot);
	/* leftovers of a crash, or of a pod whose removal failed */
	job_del(j, &ignored);
	if (netns_create(path, err) < 0)
		goto out;
	if (pod_side(j, peer, err) < 0 || node_side(j, peer, err) < 0) {
		job_del(j, &ignored);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

/* ---- workers --------------------------------------------------------------------------- */

static void *net_worker(void *arg)
{
	struct ks_netpool *net = arg;
	struct ks_netjob *j;

	for (;;) {
		pthread_mutex_lock(&net->lock);
		while (!net->head && !net->stop)
			pthread_cond_wait(&net->work, &net->lock);
		j = net->head;
		if (!j) {
			pthread_mutex_unlock(&net->lock);
			break;
		}
		net->head = j->qnext;
		if (!net->head)
			net->tail = NULL;
		pthread_mutex_unlock(&net->lock);

		j->rc = j->op == KS_NETJOB_ADD ? job_add(j, &j->err) : job_del(j, &j->err);
		/* back home: a worker left in a pod's namespace would keep it alive */
		if (setns(net->home_fd, CLONE_NEWNET) < 0 && j->rc == 0)
			j->rc = err_set(&j->err, ERR_IO, "back to the world namespace: %s",
					strerror(errno));
		pthread_mutex_lock(&net->lock);
		j->done_us = time_mono_us();
		j->done = true;
		pthread_cond_broadcast(&net->done);
		pthread_mutex_unlock(&net->lock);
	}
	return NULL;
}

struct ks_netpool *ks_netpool_new(struct err *err)
{
	struct ks_netpool *net = xcalloc(1, sizeof(*net));
	int i;

	/* like ip(8): /run/netns shared, so that namespaces made here show in every mount
	 * namespace (`world up` has made it so already; this is for a simulator run alone) */
	mkdir(NETNS_DIR, 0755);
	if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 && errno == EINVAL &&
	    mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) == 0)
		mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL);
	net->home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (net->home_fd < 0) {
		err_set(err, ERR_IO, "/proc/self/ns/net: %s", strerror(errno));
		free(net);
		return NULL;
	}
	pthread_mutex_init(&net->lock, NULL);
	pthread_cond_init(&net->work, NULL);
	pthread_cond_init(&net->done, NULL);
	for (i = 0; i < NET_THREADS; i++) {
		if (pthread_create(&net->threads[i], NULL, net_worker, net) != 0)
			break;
		net->nthreads++;
	}
	if (!net->nthreads) {
		err_set(err, ERR_IO, "cannot start pod network threads");
		ks_netpool_free(net);
		return NULL;
	}
	return net;
}

/* Jobs already queued are done first (each takes milliseconds). */
void ks_netpool_free(struct ks_netpool *net)
{
	int i;

	if (!net)
		return;
	pthread_mutex_lock(&net->lock);
	net->stop = true;
	pthread_cond_broadcast(&net->work);
	pthread_mutex_unlock(&net->lock);
	for (i = 0; i < net->nthreads; i++)
		pthread_join(net->threads[i], NULL);
	pthread_mutex_destroy(&net->lock);
	pthread_cond_destroy(&net->work);
	pthread_cond_destroy(&net->done);
	close(net->home_fd);
	free(net);
}

struct ks_netjob *ks_netjob_new(enum ks_netjob_op op, struct ks_node *node, const char *pod_ns,
				int slot)
{
	struct ks_netjob *j = xcalloc(1, sizeof(*j));

	j->op = op;
	j->slot = slot;
	j->node = node;
	str_copy(j->node_ns, sizeof(j->node_ns), node->netns);
	str_copy(j->pod_ns, sizeof(j->pod_ns), pod_ns);
	j->queued_us = time_mono_us();
	return j;
}

void ks_netpool_start(struct ks_netpool *net, struct ks_netjob *j)
{
	pthread_mutex_lock(&net->lock);
	j->qnext = NULL;
	if (net->tail)
		net->tail->qnext = j;
	else
		net->head = j;
	net->tail = j;
	pthread_cond_signal(&net->work);
	pthread_mutex_unlock(&net->lock);
}

bool ks_netpool_done(struct ks_netpool *net, struct ks_netjob *j)
{
	bool done;

	pthread_mutex_lock(&net->lock);
	done = j->done;
	pthread_mutex_unlock(&net->lock);
	return done;
}

void ks_netpool_wait(struct ks_netpool *net, struct ks_netjob *j)
{
	pthread_mutex_lock(&net->lock);
	while (!j->done)
		pthread_cond_wait(&net->done, &net->lock);
	pthread_mutex_unlock(&net->lock);
}
