/* ydoc: a small YAML tree built from libyaml events, with caps on depth, nodes, anchors and
 * aliases (kubeconfigs are untrusted; the deploy templates use it too). */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ydoc.h"

#define YDOC_DEPTH_LIMIT  32
#define YDOC_NODE_LIMIT	  100000
#define YDOC_ANCHOR_LIMIT 1000

void ydoc_release(struct ydoc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->all[i]->value);
		free(d->all[i]->anchor);
		free(d->all[i]->items);
		free(d->all[i]);
	}
	free(d->all);
	free(d->anchored);
	memset(d, 0, sizeof(*d));
}

static struct ynode *ydoc_node_new(struct ydoc *d, enum ynode_type type, const yaml_mark_t *m,
				   const yaml_char_t *anchor)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = m->line + 1;
	n->done = type == YNODE_SCALAR;
	if (anchor) {
		n->anchor = xstrdup((const char *)anchor);
		d->anchored =
		    xgrow(d->anchored, &d->cap_anchored, d->n_anchored + 1, sizeof(*d->anchored));
		d->anchored[d->n_anchored++] = n;
	}
	d->all = xgrow(d->all, &d->cap, d->n + 1, sizeof(*d->all));
	d->all[d->n++] = n;
	return n;
}

static void ynode_add(struct ynode *parent, struct ynode *child)
{
	parent->items = xgrow(parent->items, &parent->cap, parent->n + 1, sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

/* Finds a completed anchored node (aliases may only point back at finished nodes, so no
 * cycles are possible and nothing is copied). */
static struct ynode *ydoc_anchor(struct ydoc *d, const char *name)
{
	for (size_t i = d->n_anchored; i > 0; i--)
		if (d->anchored[i - 1]->done && !strcmp(d->anchored[i - 1]->anchor, name))
			return d->anchored[i - 1];
	return NULL;
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
		return err_set(l->err, ERR_USAGE,
			       "%s: line %zu: mapping key is not a string", l->what,
			       (size_t)m->line + 1);
	ynode_add(top, n);
	return 0;
}

static int yload_push(struct yload *l, struct ynode *n, const yaml_mark_t *m)
{
	if (yload_attach(l, n, m) < 0)
		return -1;
	if (l->depth == YDOC_DEPTH_LIMIT)
		return err_set(l->err, ERR_LIMIT,
			       "%s: line %zu: nested deeper than %d levels", l->what,
			       (size_t)m->line + 1, YDOC_DEPTH_LIMIT);
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
		return err_set(l->err, ERR_LIMIT, "%s: more than %d YAML anchors",
			       l->what, YDOC_ANCHOR_LIMIT);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = ydoc_node_new(d, YNODE_SCALAR, &ev->start_mark, ev->data.scalar.anchor);
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		return yload_attach(l, n, &ev->start_mark);
	case YAML_ALIAS_EVENT:
		d->aliases++;
		n = ydoc_anchor(d, (const char *)ev->data.alias.anchor);
		if (!n)
			return err_set(l->err, ERR_USAGE,
				       "%s: line %zu: unknown alias *%.60s", l->what,
				       (size_t)ev->start_mark.line + 1,
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
			rc = err_set(err, ERR_USAGE,
				     "%s: line %zu column %zu: invalid YAML: %s", what,
				     (size_t)parser.problem_mark.line + 1,
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

/* Maps a merge-key lookup may visit: merges of merges of lists must not blow up. */
#define YAML_MERGE_BUDGET 32

static struct ynode *ymap_lookup(const struct ynode *map, const char *key, int *budget);

/* "<<: *anchor" or "<<: [*a, *b]": keys of the merged mappings, the earlier ones first. */
static struct ynode *ymap_merged(const struct ynode *merge, const char *key, int *budget)
{
	struct ynode *v = NULL;

	if (merge->type == YNODE_MAP)
		return ymap_lookup(merge, key, budget);
	for (size_t i = 0; merge->type == YNODE_SEQ && i < merge->n && !v; i++)
		if (merge->items[i]->type == YNODE_MAP)
			v = ymap_lookup(merge->items[i], key, budget);
	return v;
}

static struct ynode *ymap_lookup(const struct ynode *map, const char *key, int *budget)
{
	const struct ynode *merge = NULL, *found = NULL;

	if (--*budget < 0)
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
	return merge ? ymap_merged(merge, key, budget) : NULL;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	int budget = YAML_MERGE_BUDGET;

	return ymap_lookup(map, key, &budget);
}

const char *ynode_type_name(const struct ynode *n)
{
	if (n->type == YNODE_MAP)
		return "a mapping";
	if (n->type == YNODE_SEQ)
		return "a list";
	return "a scalar";
}
