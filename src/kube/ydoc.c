/* ydoc: a small YAML tree built from libyaml events, with caps on depth, nodes, anchors and
 * aliases (kubeconfigs are untrusted; the deploy templates use it too). */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ydoc.h"

#define YDOC_DEPTH_LIMIT  32
#define YDOC_NODE_LIMIT	  100000
#define YDOC_ANCHOR_LIMIT 1000
/* a power of two, above twice the anchors the limit lets in */
#define YDOC_ANCHOR_SLOTS 4096

void ydoc_release(struct ydoc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->all[i]->value);
		free(d->all[i]->anchor);
		free(d->all[i]->items);
		free(d->all[i]);
	}
	free(d->all);
	free(d->anchors);
	memset(d, 0, sizeof(*d));
}

/* FNV-1a from a per-document random start, so a file cannot be made of colliding names */
static size_t ydoc_anchor_slot(const struct ydoc *d, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ d->anchor_seed;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 32)) & (YDOC_ANCHOR_SLOTS - 1);
}

/* The slot holding name, or the empty slot where it goes. */
static struct ynode **ydoc_anchor_find(const struct ydoc *d, const char *name)
{
	size_t i = ydoc_anchor_slot(d, name);

	while (d->anchors[i] && strcmp(d->anchors[i]->anchor, name))
		i = (i + 1) & (YDOC_ANCHOR_SLOTS - 1);
	return &d->anchors[i];
}

/* A later anchor of the same name replaces the earlier one, as in YAML. */
static void ydoc_anchor_add(struct ydoc *d, struct ynode *n)
{
	if (!d->anchors) {
		d->anchors = xcalloc(YDOC_ANCHOR_SLOTS, sizeof(*d->anchors));
		d->anchor_seed = (uint64_t)time_mono_us() * 0x9e3779b97f4a7c15ull ^
				 (uint64_t)(uintptr_t)d->anchors;
	}
	*ydoc_anchor_find(d, n->anchor) = n;
	d->n_anchored++;
}

static struct ynode *ydoc_node_new(struct ydoc *d, enum ynode_type type, const yaml_mark_t *m,
				   const yaml_char_t *anchor)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = m->line + 1;
	n->done = type == YNODE_SCALAR;
	d->all = xgrow(d->all, &d->cap, d->n + 1, sizeof(*d->all));
	d->all[d->n++] = n;
	if (anchor) {
		n->anchor = xstrdup((const char *)anchor);
		ydoc_anchor_add(d, n);
	}
	return n;
}

static void ynode_add(struct ynode *parent, struct ynode *child)
{
	parent->items = xgrow(parent->items, &parent->cap, parent->n + 1, sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

struct yload {
	struct ydoc *doc;
	struct ynode *stack[YDOC_DEPTH_LIMIT];
	size_t depth;
	const char *what; /* "kubeconfig /path": begins every message */
	struct err *err;
};

static int yload_attach(struct yload *l, struct ynode *n, const yaml_mark_t *m)
{
	struct ynode *top;

	if (l->depth == 0) {
		l->doc->root = n;
		return 0;
	}
	top = l->stack[l->depth - 1];
	if (top->type == YNODE_MAP && top->n % 2 == 0 && n->type != YNODE_SCALAR)
		return err_set(l->err, ERR_USAGE, "%s: line %zu: mapping key is not a string",
			       l->what, (size_t)m->line + 1);
	ynode_add(top, n);
	return 0;
}

static int yload_push(struct yload *l, struct ynode *n, const yaml_mark_t *m)
{
	if (yload_attach(l, n, m) < 0)
		return -1;
	if (l->depth == YDOC_DEPTH_LIMIT)
		return err_set(l->err, ERR_LIMIT, "%s: line %zu: nested deeper than %d levels",
			       l->what, (size_t)m->line + 1, YDOC_DEPTH_LIMIT);
	l->stack[l->depth++] = n;
	return 0;
}

/* Handles one event; returns 1 when the first document is complete. */
static int yload_event(struct yload *l, yaml_event_t *ev)
{
	struct ydoc *d = l->doc;
	struct ynode *n;

	/* aliases count too: each one costs a lookup over the anchors */
	if (d->n + d->aliases >= YDOC_NODE_LIMIT)
		return err_set(l->err, ERR_LIMIT, "%s: more than %d YAML nodes", l->what,
			       YDOC_NODE_LIMIT);
	if (d->n_anchored > YDOC_ANCHOR_LIMIT)
		return err_set(l->err, ERR_LIMIT, "%s: more than %d YAML anchors", l->what,
			       YDOC_ANCHOR_LIMIT);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ydoc_node_new(d, YNODE_SCALAR, &ev->start_mark, ev->data.scalar.anchor);
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		return yload_attach(l, n, &ev->start_mark);
	case YAML_ALIAS_EVENT:
		d->aliases++;
		n = d->anchors ? *ydoc_anchor_find(d, (const char *)ev->data.alias.anchor) : NULL;
		if (!n || !n->done) /* an alias inside its own anchor would make a cycle */
			return err_set(l->err, ERR_USAGE, "%s: line %zu: %s alias *%.60s", l->what,
				       (size_t)ev->start_mark.line + 1, n ? "recursive" : "unknown",
				       (const char *)ev->data.alias.anchor);
		return yload_attach(l, n, &ev->start_mark);
	case YAML_SEQUENCE_START_EVENT:
		n = ydoc_node_new(d, YNODE_SEQ, &ev->start_mark, ev->data.sequence_start.anchor);
		return yload_push(l, n, &ev->start_mark);
	case YAML_MAPPING_START_EVENT:
		n = ydoc_node_new(d, YNODE_MAP, &ev->start_mark, ev->data.mapping_start.anchor);
		return yload_push(l, n, &ev->start_mark);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		l->stack[--l->depth]->done = true;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		return 1; /* like kubectl, only the first document counts */
	default:
		return 0;
	}
}

int ydoc_parse(struct ydoc *doc, const char *text, size_t len, const char *what, struct err *err)
{
	struct yload l = {.doc = doc, .what = what, .err = err};
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	if (!yaml_parser_initialize(&parser))
		return err_set(err, ERR_INTERNAL, "%s: cannot start YAML parser", what);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = err_set(err, ERR_USAGE, "%s: line %zu column %zu: invalid YAML: %s",
				     what, (size_t)parser.problem_mark.line + 1,
				     (size_t)parser.problem_mark.column + 1,
				     parser.problem ? parser.problem : "syntax error");
			break;
		}
		rc = yload_event(&l, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc < 0) {
		ydoc_release(doc);
		return -1;
	}
	return 0;
}

bool ynode_is_null(const struct ynode *n)
{
	return !n || (n->type == YNODE_SCALAR && n->plain &&
		      (!*n->value || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
		       !strcmp(n->value, "Null") || !strcmp(n->value, "NULL")));
}

/* Maps one merge-key lookup may visit: merges of merges of lists must not blow up. The
 * document's YDOC_MERGE_WORK_LIMIT bounds all lookups together (each may scan big maps). */
#define YAML_MERGE_BUDGET 32

struct ymerge {
	struct ydoc *doc;
	int maps; /* left for this lookup */
};

static struct ynode *ymap_lookup(const struct ynode *map, const char *key, struct ymerge *m);

/* Charges n keys visited through merge keys to the document. */
static bool ymerge_charge(struct ymerge *m, size_t n)
{
	struct ydoc *d = m->doc;

	if (d->merge_exhausted || n > YDOC_MERGE_WORK_LIMIT - d->merge_work) {
		d->merge_exhausted = true;
		return false;
	}
	d->merge_work += n;
	return true;
}

/* "<<: *anchor" or "<<: [*a, *b]": keys of the merged mappings, the earlier ones first. */
static struct ynode *ymap_merged(const struct ynode *merge, const char *key, struct ymerge *m)
{
	struct ynode *v = NULL;

	if (merge->type == YNODE_MAP)
		return ymerge_charge(m, merge->n / 2) ? ymap_lookup(merge, key, m) : NULL;
	for (size_t i = 0; merge->type == YNODE_SEQ && i < merge->n && !v; i++) {
		const struct ynode *item = merge->items[i];

		if (!ymerge_charge(m, 1 + (item->type == YNODE_MAP ? item->n / 2 : 0)))
			return NULL;
		if (item->type == YNODE_MAP)
			v = ymap_lookup(item, key, m);
	}
	return v;
}

static struct ynode *ymap_lookup(const struct ynode *map, const char *key, struct ymerge *m)
{
	const struct ynode *merge = NULL, *found = NULL;

	if (--m->maps < 0)
		return NULL;
	/* A repeated key: the last one wins, as in kubectl. */
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->items[i];

		if (!strcmp(k->value, key))
			found = map->items[i + 1];
		else if (k->plain && !strcmp(k->value, "<<"))
			merge = map->items[i + 1];
	}
	if (found)
		return ynode_is_null(found) ? NULL : (struct ynode *)found;
	return merge ? ymap_merged(merge, key, m) : NULL;
}

struct ynode *ymap_get(struct ydoc *d, const struct ynode *map, const char *key)
{
	struct ymerge m = {.doc = d, .maps = YAML_MERGE_BUDGET};

	return ymap_lookup(map, key, &m);
}

const char *ynode_type_name(const struct ynode *n)
{
	if (n->type == YNODE_MAP)
		return "a mapping";
	if (n->type == YNODE_SEQ)
		return "a list";
	return "a scalar";
}
