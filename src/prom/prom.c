/* The Prometheus text exposition format 0.0.4: HELP and TYPE lines, escaped label values,
 * histograms as cumulative _bucket series with +Inf, _sum and _count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

static const char *const type_names[] = {"counter", "gauge", "histogram"};

void prom_writer_init(struct prom_writer *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->err = (struct err)ERR_INIT;
}

void prom_writer_release(struct prom_writer *w)
{
	for (size_t i = 0; i < w->ndone; i++)
		free(w->done[i]);
	free(w->done);
	memset(w, 0, sizeof(*w));
}

bool prom_writer_error(const struct prom_writer *w, struct err *err)
{
	if (w->err.code == ERR_OK)
		return false;
	if (err)
		*err = w->err;
	return true;
}

static bool failed(const struct prom_writer *w)
{
	return w->err.code != ERR_OK;
}

/* The first error sticks; -1. */
static int fail(struct prom_writer *w, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct prom_writer *w, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(w->err.msg)];

	if (failed(w))
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(&w->err, code, "metrics: %s", msg);
}

static int put(struct prom_writer *w, const char *s, size_t n)
{
	if (failed(w))
		return -1;
	if (buf_append(w->out, s, n) < 0)
		return fail(w, ERR_LIMIT, "exposition larger than %zu bytes", w->out->limit);
	return 0;
}

static int puts_w(struct prom_writer *w, const char *s)
{
	return put(w, s, strlen(s));
}

bool prom_metric_name_valid(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

bool prom_label_name_valid(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9') || str_has_prefix(s, "__"))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

void prom_format_value(double v, char *dst, size_t dstsz)
{
	if (isnan(v)) {
		str_copy(dst, dstsz, "NaN");
		return;
	}
	if (isinf(v)) {
		str_copy(dst, dstsz, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
		snprintf(dst, dstsz, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(dst, dstsz, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			return;
	}
}

/* Escapes for HELP text (backslash, newline) or a label value (also the double quote). */
static int put_escaped(struct prom_writer *w, const char *s, bool quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (quote && *s == '"')
			esc = "\\\"";
		if (!esc)
			continue;
		if (put(w, run, (size_t)(s - run)) < 0 || puts_w(w, esc) < 0)
			return -1;
		run = s + 1;
	}
	return put(w, run, (size_t)(s - run));
}

int prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *help)
{
	if (failed(w))
		return -1;
	if (!prom_metric_name_valid(name) || strlen(name) >= sizeof(w->family))
		return fail(w, ERR_INTERNAL, "'%s' is not a metric name", name ? name : "(null)");
	if ((unsigned)type > PROM_HISTOGRAM)
		return fail(w, ERR_INTERNAL, "%s: unknown metric type", name);
	if (type == PROM_COUNTER && !str_has_suffix(name, "_total"))
		return fail(w, ERR_INTERNAL, "counter %s: a counter's name ends in _total", name);
	for (size_t i = 0; i < w->ndone; i++)
		if (!strcmp(w->done[i], name))
			return fail(w, ERR_INTERNAL, "%s: family written twice", name);
	w->done = xgrow(w->done, &w->capdone, w->ndone + 1, sizeof(*w->done));
	w->done[w->ndone++] = xstrdup(name);
	str_copy(w->family, sizeof(w->family), name);
	w->type = type;
	if (puts_w(w, "# HELP ") < 0 || puts_w(w, name) < 0 || puts_w(w, " ") < 0 ||
	    put_escaped(w, help ? help : "", false) < 0 || puts_w(w, "\n# TYPE ") < 0 ||
	    puts_w(w, name) < 0 || puts_w(w, " ") < 0 || puts_w(w, type_names[type]) < 0 ||
	    puts_w(w, "\n") < 0)
		return -1;
	return 0;
}

/* Label names valid, none twice, none reserved for the type. */
static int labels_check(struct prom_writer *w, const struct prom_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!prom_label_name_valid(l[i].name))
			return fail(w, ERR_INTERNAL, "%s: '%s' is not a label name", w->family,
				    l[i].name ? l[i].name : "(null)");
		if (w->type == PROM_HISTOGRAM && !strcmp(l[i].name, "le"))
			return fail(w, ERR_INTERNAL, "%s: a histogram's label 'le' is its own",
				    w->family);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l[i].name, l[j].name))
				return fail(w, ERR_INTERNAL, "%s: label %s given twice", w->family,
					    l[i].name);
	}
	return 0;
}

/* name{a="x",b="y"[,le="..."]} value\n; labels without a value are left out. */
static int put_series(struct prom_writer *w, const char *suffix, const struct prom_label *l,
		      size_t n, const char *le, double value)
{
	char v[64];
	bool open = false;

	if (puts_w(w, w->family) < 0 || puts_w(w, suffix) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!l[i].value || !*l[i].value)
			continue;
		if (puts_w(w, open ? "," : "{") < 0 || puts_w(w, l[i].name) < 0 ||
		    puts_w(w, "=\"") < 0 || put_escaped(w, l[i].value, true) < 0 ||
		    puts_w(w, "\"") < 0)
			return -1;
		open = true;
	}
	if (le &&
	    (puts_w(w, open ? ",le=\"" : "{le=\"") < 0 || puts_w(w, le) < 0 || puts_w(w, "\"") < 0))
		return -1;
	if ((open || le) && puts_w(w, "}") < 0)
		return -1;
	prom_format_value(value, v, sizeof(v));
	if (puts_w(w, " ") < 0 || puts_w(w, v) < 0 || puts_w(w, "\n") < 0)
		return -1;
	return 0;
}

int prom_sample(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		double value)
{
	if (failed(w))
		return -1;
	if (!w->family[0])
		return fail(w, ERR_INTERNAL, "a sample before any family");
	if (w->type == PROM_HISTOGRAM)
		return fail(w, ERR_INTERNAL, "%s: a histogram takes prom_histogram", w->family);
	if (w->type == PROM_COUNTER && (value < 0 || isnan(value)))
		return fail(w, ERR_INTERNAL, "%s: a counter cannot be %g", w->family, value);
	if (labels_check(w, labels, nlabels) < 0)
		return -1;
	return put_series(w, "", labels, nlabels, NULL, value);
}

int prom_histogram(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		   const struct prom_hist *h)
{
	uint64_t cum = 0;
	char le[64];

	if (failed(w))
		return -1;
	if (w->type != PROM_HISTOGRAM || !w->family[0])
		return fail(w, ERR_INTERNAL, "%s: not a histogram family",
			    w->family[0] ? w->family : "(none)");
	for (size_t i = 0; i < h->nbounds; i++)
		if (!isfinite(h->bounds[i]) || (i && h->bounds[i] <= h->bounds[i - 1]))
			return fail(w, ERR_INTERNAL, "%s: bucket bounds must rise and be finite",
				    w->family);
	if (labels_check(w, labels, nlabels) < 0)
		return -1;
	for (size_t i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		prom_format_value(h->bounds[i], le, sizeof(le));
		if (put_series(w, "_bucket", labels, nlabels, le, (double)cum) < 0)
			return -1;
	}
	cum += h->counts[h->nbounds];
	if (put_series(w, "_bucket", labels, nlabels, "+Inf", (double)cum) < 0 ||
	    put_series(w, "_sum", labels, nlabels, NULL, h->sum) < 0 ||
	    put_series(w, "_count", labels, nlabels, NULL, (double)cum) < 0)
		return -1;
	return 0;
}

size_t prom_bucket_index(const double *bounds, size_t n, double v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v <= bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
