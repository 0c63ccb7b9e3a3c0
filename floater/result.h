/* result: the NDJSON lines a probe request is answered with, one per (target, protocol)
 * and a final one (field names in wire.h). Pure, so tests read what the floater writes. */
#ifndef FLOATER_RESULT_H
#define FLOATER_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "stats.h"

/* Writes the result line of target tg and protocol proto, newline included, into dst (at
 * least WIRE_MAX_LINE bytes). Returns its length, 0 when it did not fit. */
size_t result_line(char *dst, size_t dstsz, const struct probe_target *tg,
		   enum probe_protocol proto, const struct rtt_stats *st);
/* The final line: the request's id, how many result lines were sent, how long it took. */
size_t result_done_line(char *dst, size_t dstsz, const char *id, size_t results,
			int64_t elapsed_ms);

/* The compact encoding "c1" (wire.h, docs/floater.md "Compact encoding"): a field list
 * line first, then one line per result whose values may refer to the previous line's,
 * then the final line. */
struct result_prev {
	bool any;      /* a result line was written */
	int64_t ref;   /* -1: none */
	uint32_t v[8]; /* protocol, sent, received, rtt min, avg, max, p99, error */
};
size_t result_fields_line(char *dst, size_t dstsz);
size_t result_line_c1(char *dst, size_t dstsz, const struct probe_target *tg,
		      enum probe_protocol proto, const struct rtt_stats *st,
		      struct result_prev *prev);
size_t result_done_line_c1(char *dst, size_t dstsz, const char *id, size_t results,
			   int64_t elapsed_ms);

#endif
