#include <string.h>

#include "common.h"

static const char *const probe_error_names[PROBE_ERROR_MAX] = {
    [PROBE_OK] = "ok",
    [PROBE_TIMEOUT] = "timeout",
    [PROBE_REFUSED] = "refused",
    [PROBE_UNREACHABLE] = "unreachable",
    [PROBE_RESET] = "reset",
    [PROBE_MTU] = "message-too-long",
    [PROBE_NO_AGENT] = "no-agent",
    [PROBE_AGENT_LOST] = "agent-lost",
    [PROBE_NOT_PROBED] = "not-probed",
    [PROBE_LOSS] = "loss",
    [PROBE_OTHER] = "error",
    [PROBE_WRONG_NODE] = "wrong-node",
    [PROBE_NXDOMAIN] = "nxdomain",
    [PROBE_SERVFAIL] = "servfail",
    [PROBE_DNS_REFUSED] = "dns-refused",
    [PROBE_WRONG_ANSWER] = "wrong-answer",
    [PROBE_NO_ANSWER] = "no-answer",
    [PROBE_TRUNCATED] = "truncated",
};

const char *const probe_protocol_names[PROTO_MAX] = {"icmp", "tcp", "udp", "dns"};

const char *probe_error_name(enum probe_error e)
{
	if ((unsigned)e >= PROBE_ERROR_MAX)
		return "error";
	return probe_error_names[e];
}

int probe_error_parse(const char *name)
{
	for (int i = 0; i < PROBE_ERROR_MAX; i++)
		if (!strcmp(name, probe_error_names[i]))
			return i;
	return -1;
}

const char *probe_protocol_name(enum probe_protocol p)
{
	if ((unsigned)p >= PROTO_MAX)
		return "?";
	return probe_protocol_names[p];
}

int probe_protocol_parse(const char *name)
{
	for (int i = 0; i < PROTO_MAX; i++)
		if (!strcmp(name, probe_protocol_names[i]))
			return i;
	return -1;
}
