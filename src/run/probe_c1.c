/* The compact encoding "c1" of a probe request and its answer (wire.h, docs/floater.md
 * "Compact encoding"): netctl writes the targets as one string and reads result lines of
 * positional values, each relative to the line before it. A reader of untrusted input:
 * every line is checked as a JSON line is, and a line that breaks the encoding ends the
 * answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

enum c1_field {
	C1_REF,
	C1_PROTOCOL,
	C1_SENT,
	C1_RECEIVED,
	C1_MIN,
	C1_AVG,
	C1_MAX,
	C1_P99,
	C1_ERROR,
	C1_KNOWN
};

static const char *const c1_names[C1_KNOWN] = {
    [C1_REF] = WIRE_RES_REF,	    [C1_PROTOCOL] = WIRE_RES_PROTOCOL,
    [C1_SENT] = WIRE_RES_SENT,	    [C1_RECEIVED] = WIRE_RES_RECEIVED,
    [C1_MIN] = WIRE_RES_RTT_MIN_US, [C1_AVG] = WIRE_RES_RTT_AVG_US,
    [C1_MAX] = WIRE_RES_RTT_MAX_US, [C1_P99] = WIRE_RES_RTT_P99_US,
    [C1_ERROR] = WIRE_RES_ERROR,
};

void run_c1_targets(struct buf *b, const struct run_probe_req *r, const struct run_options *o,
		    int (*port_of)(const struct plan_target *t, const struct run_options *o))
{
	size_t next = 0; /* the ref the floater gives the next target */
	char node[WIRE_NODE_ID_HEX + 1];
	int port = -1;
	bool first = true;

	(void)!buf_puts(b, WIRE_KEY(WIRE_REQ_FORMAT) "\"" WIRE_FORMAT_C1
						     "\"," WIRE_KEY(WIRE_REQ_TARGETS_C) "\"");
	for (size_t k = 0; k < r->n; k++) {
		size_t i = (run_probe_first_target(r) + k) % r->n;
		int p = port_of(&r->targets[i], o);

		if (r->seen[i] == r->protocols)
			continue;
		if (!first)
			(void)!buf_append(b, ",", 1);
		first = false;
		if (i > next)
			(void)!buf_printf(b, "%c%zu,", WIRE_C_SKIP, i - next);
		else if (i < next)
			(void)!buf_printf(b, "%c%zu,", WIRE_C_REF, i);
		(void)!buf_puts(b, r->targets[i].ip);
		if (p != port)
			(void)!buf_printf(b, "%c%d", WIRE_C_PORT, p);
		if (run_probe_target_node(r, i, node))
			(void)!buf_printf(b, "%c%s", WIRE_C_NODE, node);
		port = p;
		next = i + 1;
	}
	(void)!buf_puts(b, "\"");
}

static bool is_line(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && !memcmp(line, word, n) && (len == n || line[n] == WIRE_C_SEP);
}

/* Splits line at the separators into at most max values; returns how many, -1 beyond. */
static int c1_split(const char *line, size_t len, const char **v, size_t *vlen, size_t max)
{
	size_t n = 0, start = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != WIRE_C_SEP)
			continue;
		if (n == max)
			return -1;
		v[n] = line + start;
		vlen[n++] = i - start;
		start = i + 1;
	}
	return (int)n;
}

int run_c1_fields(struct run_c1 *c, const char *line, size_t len, struct err *err)
{
	const char *v[WIRE_C_MAX_FIELDS + 1];
	size_t vlen[WIRE_C_MAX_FIELDS + 1];
	unsigned have = 0;
	int n;

	memset(c, 0, sizeof(*c));
	if (!is_line(line, len, WIRE_C_FIELDS_LINE))
		return err_set(err, ERR_PROTO, "a compact answer starts with its field list");
	n = c1_split(line, len, v, vlen, WIRE_C_MAX_FIELDS + 1);
	if (n < 2)
		return err_set(err, ERR_PROTO, "more than %d fields, or none", WIRE_C_MAX_FIELDS);
	c->nfields = (size_t)n - 1;
	for (size_t i = 0; i < c->nfields; i++) {
		c->field[i] = -1;
		for (int k = 0; k < C1_KNOWN; k++)
			if (vlen[i + 1] == strlen(c1_names[k]) &&
			    !memcmp(v[i + 1], c1_names[k], vlen[i + 1])) {
				if (have & (1u << k))
					return err_set(err, ERR_PROTO, "field %s listed twice",
						       c1_names[k]);
				have |= 1u << k;
				c->field[i] = (int8_t)k;
			}
	}
	if (!(have & (1u << C1_REF)) || !(have & (1u << C1_PROTOCOL)) || !(have & (1u << C1_ERROR)))
		return err_set(err, ERR_PROTO, "a field list needs %s, %s and %s", WIRE_RES_REF,
			       WIRE_RES_PROTOCOL, WIRE_RES_ERROR);
	return 0;
}

static int c1_number(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The value of field i: "" the previous line's, "=" the field before it, "+D" the previous
 * line's plus D, else as written. */
static int c1_value(struct run_c1 *c, size_t i, const char *v, size_t len,
		    char cur[][WIRE_C_MAX_VALUE + 1], struct err *err)
{
	long long base, d;

	if (len > WIRE_C_MAX_VALUE)
		return err_set(err, ERR_PROTO, "a value longer than %d bytes", WIRE_C_MAX_VALUE);
	if (!len || (len == 1 && v[0] == WIRE_C_SAME_FIELD[0])) {
		if (len ? i == 0 : !c->any)
			return err_set(err, ERR_PROTO, "field %zu refers to no value", i + 1);
		memcpy(cur[i], len ? cur[i - 1] : c->prev[i], WIRE_C_MAX_VALUE + 1);
		return 0;
	}
	memcpy(cur[i], v, len);
	cur[i][len] = '\0';
	if (v[0] != '+')
		return 0;
	if (!c->any || c1_number(c->prev[i], WIRE_MAX_REF, &base) < 0 ||
	    c1_number(cur[i] + 1, WIRE_MAX_REF, &d) < 0)
		return err_set(err, ERR_PROTO, "field %zu: '%.20s' adds to no number", i + 1,
			       cur[i]);
	snprintf(cur[i], WIRE_C_MAX_VALUE + 1, "%lld", base + d);
	return 0;
}

int run_c1_line(struct run_c1 *c, const char *line, size_t len, size_t ntargets,
		struct run_probe_line *out, struct err *err)
{
	const char *v[WIRE_C_MAX_FIELDS + 1];
	size_t vlen[WIRE_C_MAX_FIELDS + 1];
	char cur[WIRE_C_MAX_FIELDS][WIRE_C_MAX_VALUE + 1];
	uint32_t *num[C1_KNOWN] = {
	    [C1_SENT] = &out->sent,	 [C1_RECEIVED] = &out->received,
	    [C1_MIN] = &out->rtt_min_us, [C1_AVG] = &out->rtt_avg_us,
	    [C1_MAX] = &out->rtt_max_us, [C1_P99] = &out->rtt_p99_us,
	};
	long long x;
	int n, p;

	memset(out, 0, sizeof(*out));
	if (is_line(line, len, WIRE_C_DONE_LINE)) {
		out->done = true;
		return 0;
	}
	if (len && line[0] == '#')
		return err_set(err, ERR_PROTO, "a '#' line other than the final one");
	n = c1_split(line, len, v, vlen, WIRE_C_MAX_FIELDS + 1);
	if (n != (int)c->nfields)
		return err_set(err, ERR_PROTO, "%d values for %zu fields", n, c->nfields);
	for (size_t i = 0; i < c->nfields; i++)
		if (c1_value(c, i, v[i], vlen[i], cur, err) < 0)
			return -1;
	for (size_t i = 0; i < c->nfields; i++) {
		int k = c->field[i];

		if (k < 0)
			continue; /* a field this netctl does not know */
		if (k == C1_PROTOCOL) {
			if ((p = probe_protocol_parse(cur[i])) < 0)
				return err_set(err, ERR_PROTO, "unknown protocol '%.32s'", cur[i]);
			out->protocol = (enum probe_protocol)p;
		} else if (k == C1_ERROR) {
			p = probe_error_parse(cur[i]);
			out->error = p < 0 ? PROBE_OTHER : (enum probe_error)p;
		} else if (k == C1_REF) {
			if (c1_number(cur[i], (long long)ntargets - 1, &x) < 0)
				return err_set(err, ERR_PROTO,
					       "ref '%.20s' is none of the request's", cur[i]);
			out->ref = (size_t)x;
		} else {
			if (c1_number(cur[i], UINT32_MAX, &x) < 0)
				return err_set(err, ERR_PROTO, "%s '%.20s' is no count",
					       c1_names[k], cur[i]);
			*num[k] = (uint32_t)x;
		}
	}
	memcpy(c->prev, cur, sizeof(cur[0]) * c->nfields);
	c->any = true;
	return 0;
}
