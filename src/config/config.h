/* config: ./config.json with NetDoctor's fields, strictly type-checked, plus flags on top.
 * The one public header of src/config.
 *
 * Use:  config_init(&c);                      defaults
 *       config_load_file(&c, path, &err);     file values over defaults
 *       config_set(&c, "maxNum", "8", "--concurrency", &err);   flags over file values
 *       ... read c's fields ...
 *       config_release(&c);
 */
#ifndef NETCTL_CONFIG_H
#define NETCTL_CONFIG_H

#include <stdbool.h>

#include "common.h"

#define CONFIG_FILE_NAME "config.json"
#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_LIST	 64

/* Bits of config.networks (NetDoctor's "mode"). */
enum config_network {
	CONFIG_NET_POD = 1u << 0,
	CONFIG_NET_HOST = 1u << 1,
};

struct config {
	char *namespace;      /* "namespace": where floaters run (DNS label) */
	char *version;	      /* "version": floater image tag */
	unsigned protocols;   /* "protocol": bits 1u << enum probe_protocol, never 0 */
	long pod_wait_ms;     /* "podWaitTime": bound on waiting for floaters Ready (s in file) */
	long port;	      /* "port": floater TCP/UDP port (number or numeric string) */
	long max_num;	      /* "maxNum": concurrency, >= 1 */
	long cmd_timeout_ms;  /* "cmdTimeout": per-probe timeout (seconds in the file) */
	char *src_kubeconfig; /* "srcKubeConfig" as written ("~/.kube/config") */
	char *dst_kubeconfig; /* "dstKubeConfig" as written; NULL: no destination */
	char *src_image_repo; /* "srcImageRepository" */
	char *dst_image_repo; /* "dstImageRepository"; NULL: same as src */
	char **pull_secrets; /* "imagePullSecrets": Secret names for both DaemonSets (NULL: none) */
	unsigned networks;   /* "mode": CONFIG_NET_* bits, never 0 */
	bool auto_clean;     /* "autoClean": remove floaters after a check */
	/* NetDoctor's custom targets: every IP x every port (check --target overrides) */
	char **target_ips;   /* "customizedTargetIPList" (NULL-terminated, may be NULL) */
	char **target_ports; /* "customizedTargetPortList" (numbers as strings, NetDoctor's) */
	/* NetDoctor fields netctl reads but does not act on (a warning says so). */
	char **dns_servers; /* "targetDNSServer": ADDR[:PORT], one or a list */
	char **dns_names;   /* "targetHostToLookup": NAME[=ADDR], one or a list */

	char *source;	 /* file the values came from, NULL: defaults only */
	char **warnings; /* NULL-terminated messages for the user (unknown fields …) */
};

/* Fills c with the defaults (NetDoctor's, with netctl's floater version). */
void config_init(struct config *c);
void config_release(struct config *c);

/* Reads a config file over the current values. Every field is type-checked; a bad one
 * fails with ERR_USAGE and a one-line message naming the field. Unknown fields add a
 * warning. On error c keeps defined (but possibly partly updated) values. */
int config_load_file(struct config *c, const char *path, struct err *err);
/* Same, from memory (name is used in messages). */
int config_load_text(struct config *c, const char *text, size_t len, const char *name,
		     struct err *err);
/* Loads ./config.json when it exists (found set accordingly); absent is not an error. */
int config_load_default(struct config *c, bool *found, struct err *err);

/* Sets one field from a string (a command-line flag): field is the JSON name
 * ("protocol", "maxNum", "cmdTimeout", "port", ...), what names the flag in messages.
 * cmdTimeout and podWaitTime take durations ("10", "10s", "500ms"). */
int config_set(struct config *c, const char *field, const char *value, const char *what,
	       struct err *err);

/* The expanded source / destination kubeconfig path (heap), NULL with err when `~` cannot
 * be expanded; *out = NULL without error when no destination is configured. */
int config_kubeconfig_path(const struct config *c, bool dst, char **out, struct err *err);

/* "icmp,tcp" for the protocol bits, "pod,host" for the network bits (heap). */
char *config_protocols_string(unsigned protocols);
char *config_networks_string(unsigned networks);

/* The configuration as a JSON document, pretty-printed (heap), every field present. */
char *config_to_json(const struct config *c);
/* Writes config_to_json to path with mode 0644; refuses an existing file with ERR_EXISTS
 * unless overwrite. */
int config_write_file(const struct config *c, const char *path, bool overwrite, struct err *err);

/* True when s is a valid Kubernetes namespace / DNS-1123 label (1-63 of [a-z0-9-],
 * alphanumeric at both ends). Also used for cluster names. */
bool config_is_dns_label(const char *s);

#endif
