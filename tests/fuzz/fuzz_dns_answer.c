/* What answers a DNS probe (anybody who can send to the floater's query socket): any bytes
 * read as the answer to a query for one of a few names, A or AAAA (the first byte picks).
 * The reader never reads outside the message (an exact-size copy under ASan), an answer it
 * accepts carries the query's id, and a query is never taken for its own answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"kubernetes.default.svc.cluster.local", "a", "x.y",
					    "many.svc.cluster.local."};
	uint8_t query[DNSMSG_MAX_QUERY], *msg;
	struct dnsmsg_answer a;
	size_t qlen;
	uint8_t pick = size ? data[0] : 0;

	qlen = dnsmsg_query(query, sizeof(query), 0x4242, names[pick % 4],
			    pick & 4 ? DNSMSG_TYPE_AAAA : DNSMSG_TYPE_A);
	if (!qlen)
		abort();
	if (size)
		size--, data++;
	/* an exact-size copy: ASan sees any read past the end */
	msg = malloc(size ? size : 1);
	memcpy(msg, data, size);
	if (dnsmsg_answer_parse(msg, size, query, qlen, &a) == 0) {
		if (size < 12 || msg[0] != 0x42 || msg[1] != 0x42 || a.naddrs > DNSMSG_MAX_ADDRS ||
		    a.rcode > 15)
			abort();
	}
	/* the answer to itself: a query is never taken for its answer (QR clear) */
	if (dnsmsg_answer_parse(query, qlen, query, qlen, &a) == 0)
		abort();
	free(msg);
	return 0;
}
