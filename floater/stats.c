#include <errno.h>
#include <string.h>

#include "stats.h"
#include "wire.h"

/* The nearest-rank p99 of n samples is the (n / 100 + 1)-th largest. */
_Static_assert(WIRE_MAX_COUNT / 100 + 1 <= STATS_TOP, "STATS_TOP holds the p99 of WIRE_MAX_COUNT");

void stats_init(struct rtt_stats *s)
{
	memset(s, 0, sizeof(*s));
}

void stats_add_rtt(struct rtt_stats *s, uint32_t rtt_us)
{
	size_t i;

	if (!s->received || rtt_us < s->min_us)
		s->min_us = rtt_us;
	if (rtt_us > s->max_us)
		s->max_us = rtt_us;
	s->sum_us += rtt_us;
	s->received++;
	/* Insert into the descending top list, dropping the smallest when full. */
	if (s->ntop == STATS_TOP && rtt_us <= s->top[STATS_TOP - 1])
		return;
	i = s->ntop < STATS_TOP ? s->ntop++ : STATS_TOP - 1;
	while (i > 0 && s->top[i - 1] < rtt_us) {
		s->top[i] = s->top[i - 1];
		i--;
	}
	s->top[i] = rtt_us;
}

void stats_add_error(struct rtt_stats *s, enum probe_error e)
{
	if ((unsigned)e < PROBE_ERROR_MAX)
		s->errors |= 1u << e;
}

uint32_t stats_avg(const struct rtt_stats *s)
{
	return s->received ? (uint32_t)(s->sum_us / s->received) : 0;
}

uint32_t stats_p99(const struct rtt_stats *s)
{
	uint32_t n = s->received, rank, k;

	if (!n)
		return 0;
	rank = (99 * n + 99) / 100; /* ceil(0.99 n), 1-based ascending */
	k = n - rank + 1;	    /* the same sample counted from the top */
	if (k > s->ntop)
		k = s->ntop;
	return s->top[k - 1];
}

enum probe_error stats_verdict(const struct rtt_stats *s)
{
	/* Most specific first: a path MTU or an active refusal explains a failure better
	 * than silence does. */
	static const enum probe_error order[] = {
	    PROBE_WRONG_NODE,  PROBE_MTU,	   PROBE_REFUSED,   PROBE_RESET,
	    PROBE_UNREACHABLE, PROBE_WRONG_ANSWER, PROBE_NXDOMAIN,  PROBE_SERVFAIL,
	    PROBE_DNS_REFUSED, PROBE_NO_ANSWER,	   PROBE_TRUNCATED, PROBE_OTHER,
	    PROBE_TIMEOUT};

	if (s->sent && s->received == s->sent)
		return PROBE_OK;
	if (s->received)
		return PROBE_LOSS;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (s->errors & (1u << order[i]))
			return order[i];
	return PROBE_TIMEOUT;
}

enum probe_error errno_to_probe_error(int e, enum probe_protocol proto)
{
	switch (e) {
	case 0:
		return PROBE_OK;
	case EMSGSIZE:
		return PROBE_MTU;
	case ECONNREFUSED:
		/* Port unreachable for an echo request means "not answered there". */
		return proto == PROTO_ICMP ? PROBE_UNREACHABLE : PROBE_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return PROBE_RESET;
	case ETIMEDOUT:
		return PROBE_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENONET:
	case EACCES:
	case EPERM:
	case EPROTO:
	case ENOPROTOOPT:
		return PROBE_UNREACHABLE;
	default:
		return PROBE_OTHER;
	}
}
