/* prom: the Prometheus text exposition format, version 0.0.4, written into a struct buf.
 * The one public header of src/prom.
 *
 * A family is one HELP line, one TYPE line and then all of its samples; the writer refuses
 * what a scraper would reject (a family written twice, a sample outside its family, a name
 * or label name outside the format's alphabet, a label given twice, a histogram's reserved
 * "le"), so a bug here is an error at render time rather than a failed scrape.
 *
 *   struct prom_writer w;
 *   prom_writer_init(&w, &out);
 *   prom_family(&w, "netctl_pairs_failed", PROM_GAUGE, "Pairs that failed ...");
 *   prom_sample(&w, labels, nlabels, 3);
 *   ...
 *   if (prom_writer_error(&w, &err)) ...
 *   prom_writer_release(&w);
 */
#ifndef NETCTL_PROM_H
#define NETCTL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* The content type of what this writer produces. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type { PROM_COUNTER = 0, PROM_GAUGE, PROM_HISTOGRAM };

/* A label; a NULL or empty value leaves the label out (Prometheus reads an empty label as
 * an absent one). */
struct prom_label {
	const char *name;
	const char *value;
};

/* One histogram's observations: counts[i] observations v with bounds[i-1] < v <= bounds[i]
 * (per bucket, not cumulative), counts[nbounds] those above the highest bound. The writer
 * makes the cumulative _bucket series, le="+Inf", _sum and _count. */
struct prom_hist {
	const double *bounds; /* finite, strictly ascending */
	size_t nbounds;
	const uint64_t *counts; /* nbounds + 1 */
	double sum;
};

struct prom_writer {
	struct buf *out;
	char family[128]; /* the family being written, "" before the first */
	enum prom_type type;
	char **done; /* families written */
	size_t ndone, capdone;
	struct err err; /* the first error; later calls do nothing */
};

void prom_writer_init(struct prom_writer *w, struct buf *out);
void prom_writer_release(struct prom_writer *w);
/* True when a call failed (err filled with the first failure). */
bool prom_writer_error(const struct prom_writer *w, struct err *err);

/* Starts a family: "# HELP name help" (help escaped) and "# TYPE name type". A counter's
 * name ends in _total. 0 or -1. */
int prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *help);
/* A sample of the current counter or gauge family. */
int prom_sample(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		double value);
/* The series of one histogram of the current histogram family. */
int prom_histogram(struct prom_writer *w, const struct prom_label *labels, size_t nlabels,
		   const struct prom_hist *h);

/* The bucket an observation falls in: the first i with v <= bounds[i], else n. */
size_t prom_bucket_index(const double *bounds, size_t n, double v);
/* A sample value as the format writes it: "NaN", "+Inf", "-Inf", integers without an
 * exponent up to 2^53, else the shortest text that reads back as the same double. */
void prom_format_value(double v, char *dst, size_t dstsz);
/* Whether s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) / label name
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", which Prometheus reserves). */
bool prom_metric_name_valid(const char *s);
bool prom_label_name_valid(const char *s);

#endif
