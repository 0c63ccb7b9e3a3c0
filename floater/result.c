#include <stdio.h>

#include "result.h"

static size_t fitted(int n, size_t dstsz)
{
	return n > 0 && (size_t)n < dstsz ? (size_t)n : 0;
}

size_t result_line(char *dst, size_t dstsz, const struct probe_target *tg,
		   enum probe_protocol proto, const struct rtt_stats *st)
{
	char ip[INET6_ADDRSTRLEN], ref[32] = "";

	sockaddr_ntop(&tg->addr, ip, sizeof(ip));
	if (tg->ref >= 0)
		snprintf(ref, sizeof(ref), WIRE_KEY(WIRE_RES_REF) "%lld,", (long long)tg->ref);
	return fitted(
	    snprintf(
		dst, dstsz,
		"{%s" WIRE_KEY(WIRE_RES_IP) "\"%s\"," WIRE_KEY(WIRE_RES_PORT) "%u," WIRE_KEY(WIRE_RES_PROTOCOL) "\"%s\"," WIRE_KEY(WIRE_RES_SENT) "%u," WIRE_KEY(WIRE_RES_RECEIVED) "%u," WIRE_KEY(
		    WIRE_RES_RTT_MIN_US) "%u," WIRE_KEY(WIRE_RES_RTT_AVG_US) "%u," WIRE_KEY(WIRE_RES_RTT_MAX_US) "%u," WIRE_KEY(WIRE_RES_RTT_P99_US) "%u," WIRE_KEY(WIRE_RES_ERROR) "\"%s\"}\n",
		ref, ip, sockaddr_port(&tg->addr), probe_protocol_name(proto), st->sent,
		st->received, st->min_us, stats_avg(st), st->max_us, stats_p99(st),
		probe_error_name(stats_verdict(st))),
	    dstsz);
}

size_t result_done_line(char *dst, size_t dstsz, const char *id, size_t results, int64_t elapsed_ms)
{
	/* id was checked by request_parse: printable, no quotes or backslashes */
	return fitted(
	    snprintf(dst, dstsz,
		     "{" WIRE_KEY(WIRE_DONE) "true," WIRE_KEY(WIRE_DONE_ID) "\"%s\"," WIRE_KEY(
			 WIRE_DONE_RESULTS) "%zu," WIRE_KEY(WIRE_DONE_ELAPSED_MS) "%lld}\n",
		     id, results, (long long)elapsed_ms),
	    dstsz);
}
