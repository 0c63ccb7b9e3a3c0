/* store: names of the small integer codes. */
#include <string.h>

#include "store_int.h"

const char *const store_network_names[STORE_NET_MAX] = {"pod", "host", "pod-host", "host-pod"};
static const char *const status_names[STORE_RUN_STATUS_MAX] = {"running", "done", "interrupted",
							       "failed"};
static const char *const floater_names[STORE_FLOATER_STATE_MAX] = {"unknown", "ready", "not-ready",
								   "lost"};
static const char *const diff_names[STORE_DIFF_KIND_MAX] = {
    "same", "regression", "recovery",	"still-failing",
    "new",  "vanished",	  "rtt-change", "not-selected"};

const char *store_network_name(enum store_network n)
{
	return (unsigned)n < STORE_NET_MAX ? store_network_names[n] : "?";
}

int store_network_parse(const char *name)
{
	for (int i = 0; i < STORE_NET_MAX; i++)
		if (str_eq(name, store_network_names[i]))
			return i;
	return -1;
}

const char *store_run_status_name(enum store_run_status s)
{
	return (unsigned)s < STORE_RUN_STATUS_MAX ? status_names[s] : "?";
}

/* Internal: the status stored as text back to the enum (unknown reads as failed). */
int store_run_status_parse(const char *name)
{
	for (int i = 0; i < STORE_RUN_STATUS_MAX; i++)
		if (str_eq(name, status_names[i]))
			return i;
	return STORE_RUN_FAILED;
}

const char *store_floater_state_name(enum store_floater_state s)
{
	return (unsigned)s < STORE_FLOATER_STATE_MAX ? floater_names[s] : "?";
}

const char *store_diff_kind_name(enum store_diff_kind k)
{
	return (unsigned)k < STORE_DIFF_KIND_MAX ? diff_names[k] : "?";
}

const char *store_left_out_reason_name(enum store_left_out_reason r)
{
	static const char *const names[STORE_LEFT_OUT_REASON_MAX] = {
	    [STORE_LEFT_OUT_LABEL] = "kosmos.io/exclude",
	    [STORE_LEFT_OUT_NAME] = "--exclude-node",
	    [STORE_LEFT_OUT_SELECTOR] = "--node-selector",
	    [STORE_LEFT_OUT_TAINT] = "taint",
	};

	return (unsigned)r < STORE_LEFT_OUT_REASON_MAX && names[r] ? names[r] : "?";
}

const char *store_node_kind_name(enum store_node_kind k)
{
	static const char *const names[STORE_NODE_KIND_MAX] = {"node", "target", "apiserver",
							       "dns"};

	return (unsigned)k < STORE_NODE_KIND_MAX ? names[k] : "?";
}
