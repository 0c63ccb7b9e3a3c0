/* stats: per (target, protocol) probe outcomes: counts, RTT min/avg/max/p99, verdict. */
#ifndef FLOATER_STATS_H
#define FLOATER_STATS_H

#include <stdint.h>

#include "common.h"

/* p99 by nearest rank needs only the largest n - ceil(0.99 n) + 1 samples: at most 11 for
 * count <= WIRE_MAX_COUNT (1000), so a probe pair costs tens of bytes whatever its count. */
#define STATS_TOP 11

struct rtt_stats {
	uint32_t sent;
	uint32_t received;
	uint32_t min_us;
	uint32_t max_us;
	uint64_t sum_us;
	uint32_t top[STATS_TOP]; /* largest RTTs, descending */
	uint8_t ntop;
	uint32_t errors; /* bit per enum probe_error seen */
};

void stats_init(struct rtt_stats *s);
void stats_add_rtt(struct rtt_stats *s, uint32_t rtt_us);
void stats_add_error(struct rtt_stats *s, enum probe_error e);
uint32_t stats_avg(const struct rtt_stats *s);
uint32_t stats_p99(const struct rtt_stats *s);
/* ok when all answered, loss when some did, otherwise the most telling failure. */
enum probe_error stats_verdict(const struct rtt_stats *s);

/* Classifies a socket error (SO_ERROR, send errno, or an ICMP error's ee_errno). */
enum probe_error errno_to_probe_error(int e, enum probe_protocol proto);

#endif
