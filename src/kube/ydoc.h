/* ydoc: a small YAML tree with caps, built from libyaml events (internal to src/kube). */
#ifndef NETCTL_YDOC_H
#define NETCTL_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	bool plain;	      /* unquoted scalar: may mean null or a boolean */
	char *value;	      /* scalars only */
	char *anchor;	      /* &name, for aliases */
	struct ynode **items; /* seq: items; map: key, value, key, value, ... */
	size_t n, cap;
	size_t line;
	bool done; /* container closed: only then may an alias point at it */
};

/* Keys that merge-key ("<<") lookups of one document may visit in all: enough for any real
 * kubeconfig, a few milliseconds of work. */
#define YDOC_MERGE_WORK_LIMIT 1000000

struct ydoc {
	struct ynode **all; /* every node, for freeing (aliases share nodes) */
	size_t n, cap;
	struct ynode **anchors; /* hash table: the latest node of each &anchor name */
	size_t n_anchored;
	uint64_t anchor_seed;
	size_t aliases;
	size_t merge_work;    /* keys visited through merge keys, every lookup together */
	bool merge_exhausted; /* merge_work passed YDOC_MERGE_WORK_LIMIT: lookups failed */
	struct ynode *root;
};

/* Parses text into doc (root NULL for an empty document); only the first document counts,
 * as in kubectl. Messages begin with what ("kubeconfig /path: line 3: ..."). */
int ydoc_parse(struct ydoc *doc, const char *text, size_t len, const char *what, struct err *err);
void ydoc_release(struct ydoc *d);
/* An absent node, or a plain null scalar ("", "~", "null"). */
bool ynode_is_null(const struct ynode *n);
/* The value of key in a mapping, following "<<" merge keys; NULL when absent or null, and
 * once merge keys cost the document more than YDOC_MERGE_WORK_LIMIT (then
 * d->merge_exhausted is set and the caller refuses the document). */
struct ynode *ymap_get(struct ydoc *d, const struct ynode *map, const char *key);
/* "a mapping", "a list" or "a scalar", for messages. */
const char *ynode_type_name(const struct ynode *n);

#endif
