/* rtnetlink in-process: links, addresses, routes and entering a namespace of /run/netns,
 * what `ip` would do, without a process per namespace. Shared by kubesim (pod networks) and
 * nsnet (node networks). One request at a time, each waiting for its ack (bounded). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rtnl.h"

#define NL_REQ_MAX   1024
#define NL_RECV_MAX  8192
#define NL_TIMEOUT_S 10 /* the kernel answers at once; bounded anyway */

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

int rtnl_open(struct err *err)
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
static int rtnl_talk(int fd, struct nl_req *r, const char *what, struct err *err)
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
int rtnl_veth_add(int nl, const char *name, const char *peer, int ns_fd, struct err *err)
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
	return rtnl_talk(nl, &r, "veth add", err);
}

int rtnl_link_up(int nl, const char *name, struct err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
	struct nl_req r;

	nl_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return rtnl_talk(nl, &r, name, err);
}

/* 0 also when there is no such link. */
int rtnl_link_del(int nl, const char *name, struct err *err)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_req r;

	nl_init(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (rtnl_talk(nl, &r, "link del", err) < 0 && errno != ENODEV)
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
int rtnl_addr_add(int nl, int ifindex, const char *ip, int prefix, struct err *err)
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
	return rtnl_talk(nl, &r, "address add", err);
}

/* dst NULL: default route via gw (onlink); gw NULL: dst/prefix on the link. */
int rtnl_route_add(int nl, int ifindex, const char *dst, int prefix, const char *gw,
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
	return rtnl_talk(nl, &r, "route add", err);
}

int rtnl_enter(const char *ns, struct err *err)
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
