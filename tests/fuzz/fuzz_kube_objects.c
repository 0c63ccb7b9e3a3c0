/* libFuzzer target: Node, Pod and ClusterNode lists as an API server (or whatever answers
 * in its place) sends them, through the same per-item parsing that kube_nodes_list,
 * kube_pods_list and kube_kosmos_nodes use. What comes out must be safe to print, store and probe:
 * DNS names, IP literals. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kube.h"

static void ip_check(const char *ip)
{
	unsigned char a[16];

	if (ip && inet_pton(strchr(ip, ':') ? AF_INET6 : AF_INET, ip, a) != 1)
		__builtin_trap();
}

static void name_check(const char *name)
{
	if (!name || !*name || strlen(name) > 253 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
			 "0123456789-.") != strlen(name))
		__builtin_trap();
}

/* What a finding prints: no control bytes, nothing outside ASCII. */
static void printable_check(const char *s)
{
	for (; s && *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			__builtin_trap();
}

static void err_check(const struct err *err)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	cJSON *page = json_parse((const char *)data, size, 0, &err);
	const cJSON *item;
	struct kube_node_list nodes = {0};
	struct kube_pod_list pods = {0};
	struct kube_kosmos_node kn;
	size_t ncap = 0, pcap = 0;

	if (!page) {
		err_check(&err);
		return 0;
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(page, "items"))
	{
		err = (struct err)ERR_INIT;
		if (kube_node_list_add(&nodes, &ncap, item, &err) < 0)
			err_check(&err);
		err = (struct err)ERR_INIT;
		if (kube_pod_list_add(&pods, &pcap, item, &err) < 0)
			err_check(&err);
		err = (struct err)ERR_INIT;
		if (kube_kosmos_node_parse(item, &kn, &err) < 0) {
			err_check(&err);
			continue;
		}
		name_check(kn.cluster);
		name_check(kn.node);
		printable_check(kn.ip);
		printable_check(kn.ip6);
		printable_check(kn.interface);
		for (char **r = kn.roles; r && *r; r++)
			printable_check(*r);
		for (char **r = kn.pod_cidrs; r && *r; r++)
			printable_check(*r);
		kube_kosmos_node_release(&kn);
	}
	for (size_t i = 0; i < nodes.n; i++) {
		name_check(nodes.items[i].name);
		ip_check(nodes.items[i].internal_ipv4);
		ip_check(nodes.items[i].internal_ipv6);
		if (!nodes.items[i].addresses || !nodes.items[i].pod_cidrs)
			__builtin_trap();
	}
	for (size_t i = 0; i < pods.n; i++) {
		name_check(pods.items[i].name);
		ip_check(pods.items[i].ipv4);
		ip_check(pods.items[i].ipv6);
		ip_check(pods.items[i].host_ip);
		if (!pods.items[i].ready && !pods.items[i].why)
			__builtin_trap();
	}
	kube_node_list_release(&nodes);
	kube_pod_list_release(&pods);
	cJSON_Delete(page);
	return 0;
}
