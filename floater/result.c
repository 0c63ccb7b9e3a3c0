#include <stdio.h>
#include <string.h>

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

/* ---- compact encoding "c1" ---- */

#define C1_FIELDS                                                                                  \
	WIRE_RES_REF "," WIRE_RES_PROTOCOL "," WIRE_RES_SENT "," WIRE_RES_RECEIVED                 \
		     "," WIRE_RES_RTT_MIN_US "," WIRE_RES_RTT_AVG_US "," WIRE_RES_RTT_MAX_US       \
		     "," WIRE_RES_RTT_P99_US "," WIRE_RES_ERROR

size_t result_fields_line(char *dst, size_t dstsz)
{
	return fitted(snprintf(dst, dstsz, WIRE_C_FIELDS_LINE ",%s\n", C1_FIELDS), dstsz);
}

/* Appends one value: "" when the previous line had the same, "=" when the field before it
 * in this line has the same (eq_left), else the number. */
static char *put_num(char *p, const char *end, uint32_t v, bool same_prev, bool eq_left)
{
	*p++ = WIRE_C_SEP;
	if (same_prev)
		return p;
	if (eq_left)
		return p + snprintf(p, (size_t)(end - p), WIRE_C_SAME_FIELD);
	return p + snprintf(p, (size_t)(end - p), "%u", v);
}

size_t result_line_c1(char *dst, size_t dstsz, const struct probe_target *tg,
		      enum probe_protocol proto, const struct rtt_stats *st,
		      struct result_prev *prev)
{
	uint32_t v[8] = {(uint32_t)proto, st->sent,   st->received,  st->min_us,
			 stats_avg(st),	  st->max_us, stats_p99(st), 0};
	char line[WIRE_MAX_LINE], *p = line;
	const char *end = line + sizeof(line); /* ten short values: never reached */
	size_t n;

	v[7] = (uint32_t)stats_verdict(st);
	if (tg->ref < 0)
		*p++ = '-'; /* no ref: a reader skips the line */
	else if (prev->any && tg->ref == prev->ref)
		;
	else if (prev->any && prev->ref >= 0 && tg->ref > prev->ref && tg->ref - prev->ref < 100)
		p += snprintf(p, (size_t)(end - p), "+%lld", (long long)(tg->ref - prev->ref));
	else
		p += snprintf(p, (size_t)(end - p), "%lld", (long long)tg->ref);
	*p++ = WIRE_C_SEP;
	if (!prev->any || prev->v[0] != v[0])
		p += snprintf(p, (size_t)(end - p), "%s", probe_protocol_name(proto));
	for (int i = 1; i < 7; i++)
		p = put_num(p, end, v[i], prev->any && prev->v[i] == v[i],
			    i >= 4 && v[i] == v[i - 1]);
	*p++ = WIRE_C_SEP;
	if (!prev->any || prev->v[7] != v[7])
		p += snprintf(p, (size_t)(end - p), "%s", probe_error_name((enum probe_error)v[7]));
	*p++ = '\n';
	n = (size_t)(p - line);
	if (n >= dstsz)
		return 0;
	memcpy(dst, line, n);
	dst[n] = '\0';
	prev->any = true;
	prev->ref = tg->ref;
	memcpy(prev->v, v, sizeof(v));
	return n;
}

size_t result_done_line_c1(char *dst, size_t dstsz, const char *id, size_t results,
			   int64_t elapsed_ms)
{
	return fitted(snprintf(dst, dstsz, WIRE_C_DONE_LINE ",%s,%zu,%lld\n", id, results,
			       (long long)elapsed_ms),
		      dstsz);
}
