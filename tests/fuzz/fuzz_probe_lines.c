/* libFuzzer target: a floater's answer as netctl reads it (run_probe_line_parse and
 * run_probe_line_accept), line by line, for a request of 1..16 targets x icmp,tcp,udp; with
 * bit 4 of the first byte set, as a compact answer (its first line the field list, then
 * run_c1_line).
 * Whatever the lines say: an error is one line, no (target, protocol) is taken twice, and
 * no more results are taken than the request asked for (docs/floater.md, "What netctl
 * accepts"). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

static const char *const IPS[] = {"198.18.0.10", "fd00:18::b", "198.18.0.12", "fd00:19::1"};

static void one_line_or_trap(const struct err *err)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_probe_req r;
	struct plan_target targets[16];
	uint8_t seen[16], this_attempt[16];
	size_t n, taken = 0, off;
	struct err err = ERR_INIT;

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(targets, 0, sizeof(targets));
	memset(seen, 0, sizeof(seen));
	n = (size_t)(data[0] & 15) + 1;
	for (size_t i = 0; i < n; i++)
		targets[i].ip = IPS[i % 4];
	r.n = n;
	r.protocols = (1u << PROTO_ICMP) | (1u << PROTO_TCP) | (1u << PROTO_UDP);
	r.targets = targets;
	r.seen = seen;
	r.this_attempt = this_attempt;
	run_probe_attempt_begin(&r);
	off = 1;
	if (data[0] & 16) { /* a compact answer: the field list first */
		const char *line = (const char *)data + off;
		const char *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) : size - off;

		off += len + 1;
		r.c1_on = run_c1_fields(&r.c1, line, len, &err) == 0;
		if (!r.c1_on) {
			one_line_or_trap(&err);
			return 0;
		}
	}
	while (off < size) {
		const char *line = (const char *)data + off;
		const char *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) : size - off;
		struct run_probe_line l;
		int rc;

		off += len + 1;
		err_clear(&err);
		if ((r.c1_on ? run_c1_line(&r.c1, line, len, n, &l, &err)
			     : run_probe_line_parse(line, len, n, &l, &err)) < 0) {
			one_line_or_trap(&err);
			continue;
		}
		if (l.done)
			continue;
		if (l.ref >= n)
			__builtin_trap(); /* the parser let a ref out of range through */
		rc = run_probe_line_accept(&r, &l, &err);
		if (rc < 0)
			one_line_or_trap(&err);
		else if (rc == 1 && ++taken > n * 3)
			__builtin_trap(); /* more results than the request asked for */
	}
	return 0;
}
