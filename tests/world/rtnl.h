/* rtnetlink in-process (rtnl.c): what `ip link/addr/route` and `ip netns exec` do, for the
 * test world's tools. Each returns 0, or -1 with err (and errno the kernel's error). */
#ifndef NETCTL_WORLD_RTNL_H
#define NETCTL_WORLD_RTNL_H

#include "common.h"

#define NETNS_DIR "/run/netns/"

/* A netlink socket of the calling thread's current network namespace. */
int rtnl_open(struct err *err);
/* veth `name` here, its peer `peer` moved into the namespace of ns_fd. */
int rtnl_veth_add(int nl, const char *name, const char *peer, int ns_fd, struct err *err);
int rtnl_link_up(int nl, const char *name, struct err *err);
/* 0 also when there is no such link. */
int rtnl_link_del(int nl, const char *name, struct err *err);
/* IPv6 without duplicate address detection: the address works at once. */
int rtnl_addr_add(int nl, int ifindex, const char *ip, int prefix, struct err *err);
/* dst NULL: default route via gw (onlink); gw NULL: dst/prefix on the link. */
int rtnl_route_add(int nl, int ifindex, const char *dst, int prefix, const char *gw,
		   struct err *err);
/* Moves the calling thread into /run/netns/NS. */
int rtnl_enter(const char *ns, struct err *err);

#endif
