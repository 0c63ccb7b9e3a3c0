/* Pod networks made in-process: what `ip netns add` + a veth pair + addresses + routes would
 * do, through rtnetlink, on a few worker threads (a network namespace is per thread, and
 * making one mostly waits for the kernel), so that the simulator's loop never waits and no
 * process is started per pod. The loop submits jobs and collects them when done. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "kubesim.h"

#define NETNS_DIR    "/run/netns/"
#define NL_REQ_MAX   1024
#define NL_RECV_MAX  8192
#define NL_TIMEOUT_S 10 /* the kernel answers at once; bounded anyway */
#define NET_THREADS  4

struct ks_netpool {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct ks_netjob *head, *tail; /* queued, not yet taken by a worker */
	pthread_t threads[NET_THREADS];
	int nthreads;
	int home_fd; /* the world namespace: workers go back to it after each job */
	bool stop;
};

/* ---- rtnetlink requests ---------------------------------------------------------------- */

struct nl_req {
	union {
		struct nlmsghdr h;
		char buf[NL_REQ_MAX];
	};
	bool overflow;
};

static void *nl_reserve(struct nl_req *r, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	void *p;

	if (at + RTA_ALIGN(len) > sizeof(r->buf)) {
		r->overflow = true;
		return NULL;
	}
	p = r->buf + at;
	memset(p, 0, RTA_ALIGN(len));
	r->h.nlmsg_len = (uint32_t)(at + len);
	return p;
}

static void nl_init(struct nl_req *r, uint16_t type, uint16_t flags, const void *hdr, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(0);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(nl_reserve(r, hdrlen), hdr, hdrlen);
}

static struct rtattr *nl_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = nl_reserve(r, RTA_LENGTH(len));

	if (!a)
		return NULL;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

static struct rtattr *nl_nest(struct nl_req *r, unsigned short type)
{
	return nl_attr(r, type, NULL, 0);
}

static void nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)(r->buf + r->h.nlmsg_len - (char *)nest);
}

static int nl_open(struct err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = NL_TIMEOUT_S};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return err_set(err, ERR_IO, "netlink socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err_set(err, ERR_IO, "netlink bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends one request and waits for its ack; -1 with errno set to the kernel's error. */
static int nl_talk(int fd, struct nl_req *r, const char *what, struct err *err)
{
	static __thread uint32_t seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char *buf;
	ssize_t n;
	int rc = -1;

	if (r->overflow) {
		errno = EMSGSIZE;
		return err_set(err, ERR_INTERNAL, "%s: request too large", what);
	}
	r->h.nlmsg_seq = ++seq;
	if (sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return err_set(err, ERR_IO, "%s: netlink send: %s", what, strerror(errno));
	buf = xmalloc(NL_RECV_MAX);
	for (;;) {
		struct nlmsghdr *h;
		size_t left;

		n = recv(fd, buf, NL_RECV_MAX, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(err, ERR_IO, "%s: netlink receive: %s", what,
				n < 0 ? strerror(errno) : "closed");
			goto out;
		}
		left = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				err_set(err, ERR_PROTO, "%s: short netlink error", what);
				errno = EPROTO;
				goto out;
			}
			if (e->error) {
				errno = -e->error;
				err_set(err, ERR_IO, "%s: %s", what, strerror(-e->error));
				goto out;
			}
			rc = 0;
			goto out;
		}
	}
out:
	free(buf);
	return rc;
}

/* ---- links, addresses, routes ---------------------------------------------------------- */

/* eth0 here, its peer `peer` in the namespace of ns_fd. */
static int veth_add(int nl, const char *name, const char *peer, int ns_fd, struct err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_req r;
	struct rtattr *info, *data, *pinfo;
	uint32_t fd = (uint32_t)ns_fd;

	nl_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_nest(&r, IFLA_LINKINFO);
	nl_attr(&r, IFLA_INFO_KIND, "veth", 5);
	data = nl_nest(&r, IFLA_INFO_DATA);
	pinfo = nl_nest(&r, VETH_INFO_PEER);
	nl_reserve(&r, sizeof(struct ifinfomsg));
	nl_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_attr(&r, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nl_nest_end(&r, pinfo);
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);
	return nl_talk(nl, &r, "veth add", err);
}

static int link_up(int nl, const char *name, struct err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	struct nl_req r;

	nl_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(nl, &r, name, err);
}

/* 0 also when there is no such link. */
static int link_del(int nl, const char *name, struct err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_req r;

	nl_init(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (nl_talk(nl, &r, "link del", err) < 0 && errno != ENODEV)
		return -1;
	err_clear(err);
	return 0;
}

static int ip_parse(const char *ip, int *family, unsigned char *a)
{
	if (inet_pton(AF_INET, ip, a) == 1) {
		*family = AF_INET;
		return 4;
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		*family = AF_INET6;
		return 16;
	}
	return -1;
}

/* IPv6 without duplicate address detection: the address works at once. */
static int addr_add(int nl, int ifindex, const char *ip, int prefix, struct err *err)
{
	struct ifaddrmsg ifa = {.ifa_prefixlen = (unsigned char)prefix,
				.ifa_index = (unsigned)ifindex};
	unsigned char a[16];
	int family, len = ip_parse(ip, &family, a);
	struct nl_req r;

	if (len < 0)
		return err_set(err, ERR_PROTO, "bad address %s", ip);
	ifa.ifa_family = (unsigned char)family;
	if (family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	nl_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	nl_attr(&r, IFA_LOCAL, a, (size_t)len);
	nl_attr(&r, IFA_ADDRESS, a, (size_t)len);
	return nl_talk(nl, &r, "address add", err);
}

/* dst NULL: default route via gw (onlink); gw NULL: dst/prefix on the link. */
static int route_add(int nl, int ifindex, const char *dst, int prefix, const char *gw,
		     struct err *err)
{
	struct rtmsg rt = {
	    .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_type = RTN_UNICAST};
	unsigned char a[16], g[16];
	int family = 0, gfamily = 0, len = 0, glen = 0;
	uint32_t oif = (uint32_t)ifindex;
	struct nl_req r;

	if ((dst && (len = ip_parse(dst, &family, a)) < 0) ||
	    (gw && (glen = ip_parse(gw, &gfamily, g)) < 0))
		return err_set(err, ERR_PROTO, "bad route %s via %s", dst ? dst : "default",
			       gw ? gw : "-");
	rt.rtm_family = (unsigned char)(dst ? family : gfamily);
	rt.rtm_dst_len = (unsigned char)(dst ? prefix : 0);
	/* like ip(8): an IPv4 route without a gateway is link scope */
	rt.rtm_scope = !gw && rt.rtm_family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (gw)
		rt.rtm_flags = RTNH_F_ONLINK;
	nl_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	if (dst)
		nl_attr(&r, RTA_DST, a, (size_t)len);
	if (gw)
		nl_attr(&r, RTA_GATEWAY, g, (size_t)glen);
	nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return nl_talk(nl, &r, "route add", err);
}

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

static int enter(const char *ns, struct err *err)
{
	char *path = xasprintf("%s%s", NETNS_DIR, ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		rc = err_set(err, ERR_IO, "enter %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
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

	if (enter(j->node_ns, err) < 0)
		return -1;
	nl = nl_open(err);
	if (nl < 0)
		return -1;
	if (dad_off(peer, err) < 0 || link_up(nl, peer, err) < 0)
		goto out;
	idx = (int)if_nametoindex(peer);
	if (!idx) {
		err_set(err, ERR_IO, "%s: no such link in %s", peer, j->node_ns);
		goto out;
	}
	if (addr_add(nl, idx, j->gw4, 32, err) < 0 || addr_add(nl, idx, j->gw6, 128, err) < 0 ||
	    route_add(nl, idx, j->ipv4, 32, NULL, err) < 0 ||
	    route_add(nl, idx, j->ipv6, 128, NULL, err) < 0)
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
	nl = nl_open(err);
	if (nl < 0)
		goto out;
	if (veth_add(nl, "eth0", peer, node_fd, err) < 0 || link_up(nl, "lo", err) < 0 ||
	    dad_off("eth0", err) < 0 || link_up(nl, "eth0", err) < 0)
		goto out;
	idx = (int)if_nametoindex("eth0");
	if (!idx) {
		err_set(err, ERR_IO, "eth0 vanished");
		goto out;
	}
	if (addr_add(nl, idx, j->ipv4, 29, err) < 0 || addr_add(nl, idx, j->ipv6, 64, err) < 0 ||
	    route_add(nl, idx, NULL, 0, j->gw4, err) < 0 ||
	    route_add(nl, idx, NULL, 0, j->gw6, err) < 0)
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
	if (enter(j->node_ns, err) == 0 && (nl = nl_open(err)) >= 0) {
		rc = link_del(nl, peer, err);
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
