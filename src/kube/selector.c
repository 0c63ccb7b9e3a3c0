/* Label selectors, taints and tolerations as Kubernetes evaluates them: parsed from a
 * command line, matched against a node's labels and taints, and written into the pod
 * template of a DaemonSet (nodeSelector, required node affinity, tolerations), so that the
 * nodes netctl probes and the nodes the DaemonSet controller puts floaters on are the same. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"

#define SEL_MAX_REQS   64
#define SEL_MAX_VALUES 64
#define TOL_MAX	       64

enum sel_op { SEL_EQ = 0, SEL_NE, SEL_EXISTS, SEL_NOT_EXISTS, SEL_IN, SEL_NOT_IN };

struct sel_req {
	enum sel_op op;
	char *key;
	char **values; /* NULL-terminated; one for EQ/NE, none for EXISTS/NOT_EXISTS */
};

struct kube_selector {
	struct sel_req *reqs;
	size_t n;
};

/* ---- names and values ---------------------------------------------------------------------- */

static bool alnum(char c)
{
	return isascii((unsigned char)c) && isalnum((unsigned char)c);
}

/* A label name or value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends ("" only
 * where empty is allowed). */
static bool name_ok(const char *s, size_t n, bool empty_ok)
{
	if (n == 0)
		return empty_ok;
	if (n > 63 || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS subdomain (a key's prefix): at most 253 of [a-z0-9-.], dot-separated labels that
 * start and end with a letter or digit. */
static bool subdomain_ok(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
			    s[i] != '-')
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

bool kube_label_key_ok(const char *key)
{
	const char *slash = strchr(key, '/');

	if (!slash)
		return name_ok(key, strlen(key), false);
	return subdomain_ok(key, (size_t)(slash - key)) &&
	       name_ok(slash + 1, strlen(slash + 1), false);
}

bool kube_label_value_ok(const char *value)
{
	return name_ok(value, strlen(value), true);
}

/* ---- selector parsing ---------------------------------------------------------------------- */

struct lexer {
	const char *s, *p;
	const char *what; /* "--node-selector" */
	struct err *err;
};

static void skip_blank(struct lexer *lx)
{
	while (*lx->p == ' ' || *lx->p == '\t')
		lx->p++;
}

static bool word_char(char c)
{
	return alnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
}

/* A key or value word (possibly empty) as a heap string. */
static char *lex_word(struct lexer *lx)
{
	const char *start;

	skip_blank(lx);
	start = lx->p;
	while (word_char(*lx->p))
		lx->p++;
	return xstrndup(start, (size_t)(lx->p - start));
}

static int lex_fail(struct lexer *lx, const char *why)
{
	return err_set(lx->err, ERR_USAGE, "%s: '%s': %s at column %d", lx->what, lx->s, why,
		       (int)(lx->p - lx->s) + 1);
}

static bool lex_keyword(struct lexer *lx, const char *kw)
{
	size_t n = strlen(kw);

	skip_blank(lx);
	if (strncmp(lx->p, kw, n) || word_char(lx->p[n]))
		return false;
	lx->p += n;
	return true;
}

static char **values_push(char **v, size_t *n, char *s)
{
	v = xrealloc(v, (*n + 2) * sizeof(*v));
	v[(*n)++] = s;
	v[*n] = NULL;
	return v;
}

static int parse_value(struct lexer *lx, struct sel_req *r, size_t *n)
{
	char *v = lex_word(lx);

	if (!kube_label_value_ok(v)) {
		free(v);
		return lex_fail(lx, "a label value is at most 63 of A-Z, a-z, 0-9, '-', '_', "
				    "'.', alphanumeric at both ends");
	}
	if (*n >= SEL_MAX_VALUES) {
		free(v);
		return lex_fail(lx, "too many values");
	}
	r->values = values_push(r->values, n, v);
	return 0;
}

/* "(a, b, c)" after in / notin. */
static int parse_set(struct lexer *lx, struct sel_req *r)
{
	size_t n = 0;

	skip_blank(lx);
	if (*lx->p != '(')
		return lex_fail(lx, "expected '(' after in/notin");
	lx->p++;
	for (;;) {
		if (parse_value(lx, r, &n) < 0)
			return -1;
		if (!r->values[n - 1][0])
			return lex_fail(lx, "empty value in a set");
		skip_blank(lx);
		if (*lx->p == ')') {
			lx->p++;
			return 0;
		}
		if (*lx->p != ',')
			return lex_fail(lx, "expected ',' or ')'");
		lx->p++;
	}
}

static int parse_req(struct lexer *lx, struct sel_req *r)
{
	size_t n = 0;
	bool negated;

	memset(r, 0, sizeof(*r));
	skip_blank(lx);
	negated = *lx->p == '!';
	if (negated)
		lx->p++;
	r->key = lex_word(lx);
	if (!kube_label_key_ok(r->key))
		return lex_fail(lx, "expected a label key ([PREFIX/]NAME, NAME at most 63 of "
				    "A-Z, a-z, 0-9, '-', '_', '.')");
	skip_blank(lx);
	if (negated) {
		r->op = SEL_NOT_EXISTS;
		return 0;
	}
	if (*lx->p == ',' || !*lx->p) {
		r->op = SEL_EXISTS;
		return 0;
	}
	if (!strncmp(lx->p, "!=", 2)) {
		r->op = SEL_NE;
		lx->p += 2;
	} else if (!strncmp(lx->p, "==", 2)) {
		r->op = SEL_EQ;
		lx->p += 2;
	} else if (*lx->p == '=') {
		r->op = SEL_EQ;
		lx->p++;
	} else if (lex_keyword(lx, "notin")) {
		r->op = SEL_NOT_IN;
		return parse_set(lx, r);
	} else if (lex_keyword(lx, "in")) {
		r->op = SEL_IN;
		return parse_set(lx, r);
	} else {
		return lex_fail(lx, "expected '=', '==', '!=', 'in', 'notin', ',' or the end");
	}
	return parse_value(lx, r, &n);
}

static void req_release(struct sel_req *r)
{
	free(r->key);
	strv_free(r->values);
}

void kube_selector_free(struct kube_selector *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		req_release(&s->reqs[i]);
	free(s->reqs);
	free(s);
}

struct kube_selector *kube_selector_parse(const char *text, const char *what, struct err *err)
{
	struct kube_selector *s = xcalloc(1, sizeof(*s));
	struct lexer lx = {.s = text, .p = text, .what = what, .err = err};

	for (;;) {
		struct sel_req r;

		if (s->n == SEL_MAX_REQS) {
			lex_fail(&lx, "more than 64 requirements");
			goto fail;
		}
		if (parse_req(&lx, &r) < 0) {
			req_release(&r);
			goto fail;
		}
		s->reqs = xrealloc(s->reqs, (s->n + 1) * sizeof(*s->reqs));
		s->reqs[s->n++] = r;
		skip_blank(&lx);
		if (!*lx.p)
			return s;
		if (*lx.p != ',') {
			lex_fail(&lx, "expected ',' or the end");
			goto fail;
		}
		lx.p++;
	}
fail:
	kube_selector_free(s);
	return NULL;
}

/* ---- matching ------------------------------------------------------------------------------ */

static const char *label_get(const struct kube_node *n, const char *key)
{
	for (size_t i = 0; i < n->nlabels; i++)
		if (!strcmp(n->labels[i].key, key))
			return n->labels[i].value;
	return NULL;
}

static bool in_values(char *const *values, const char *v)
{
	for (char *const *p = values; v && p && *p; p++)
		if (!strcmp(*p, v))
			return true;
	return false;
}

static bool req_match(const struct sel_req *r, const struct kube_node *n)
{
	const char *v = label_get(n, r->key);

	switch (r->op) {
	case SEL_EQ:
	case SEL_IN:
		return in_values(r->values, v);
	case SEL_NE:
	case SEL_NOT_IN:
		return !in_values(r->values, v); /* a node without the label matches, as in k8s */
	case SEL_EXISTS:
		return v != NULL;
	case SEL_NOT_EXISTS:
		return v == NULL;
	}
	return false;
}

bool kube_selector_match(const struct kube_selector *s, const struct kube_node *n)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!req_match(&s->reqs[i], n))
			return false;
	return true;
}

/* ---- tolerations ----------------------------------------------------------------------------- */

/* The taints Kubernetes itself puts on nodes for their conditions: always tolerated, so a
 * NotReady or cordoned node keeps its floater as before and its results say why. */
static const char *const condition_keys[] = {
    "node.kubernetes.io/not-ready",	      "node.kubernetes.io/unreachable",
    "node.kubernetes.io/unschedulable",	      "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",     "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/network-unavailable",
};

/* Left out by the default (docs/decisions.md, "Which nodes get a floater"). */
static const char *const control_plane_keys[] = {
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
};

struct toleration {
	char *key;    /* NULL: every key (operator Exists) */
	char *value;  /* NULL: operator Exists */
	char *effect; /* NULL: every effect */
};

struct kube_tolerations {
	enum kube_toleration_mode mode;
	struct toleration *v; /* KUBE_TOLERATE_LIST */
	size_t n;
};

void kube_tolerations_free(struct kube_tolerations *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
		free(t->v[i].effect);
	}
	free(t->v);
	free(t);
}

static bool effect_ok(const char *e)
{
	return !strcmp(e, "NoSchedule") || !strcmp(e, "PreferNoSchedule") ||
	       !strcmp(e, "NoExecute");
}

/* KEY[=VALUE][:EFFECT] or :EFFECT */
static int toleration_parse(const char *item, const char *what, struct toleration *t,
			    struct err *err)
{
	const char *colon = strrchr(item, ':');
	size_t keylen = colon ? (size_t)(colon - item) : strlen(item);
	char *kv = xstrndup(item, keylen);
	char *eq = strchr(kv, '=');
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (eq)
		*eq = '\0';
	if (colon && !effect_ok(colon + 1))
		rc = err_set(err, ERR_USAGE,
			     "%s: '%s': effect '%s' is not NoSchedule, PreferNoSchedule or "
			     "NoExecute",
			     what, item, colon + 1);
	else if (*kv && !kube_label_key_ok(kv))
		rc = err_set(err, ERR_USAGE, "%s: '%s': '%s' is not a taint key", what, item, kv);
	else if (!*kv && (eq || !colon))
		rc = err_set(err, ERR_USAGE, "%s: '%s': a value needs a key", what, item);
	else if (eq && !kube_label_value_ok(eq + 1))
		rc = err_set(err, ERR_USAGE, "%s: '%s': '%s' is not a taint value", what, item,
			     eq + 1);
	if (rc == 0) {
		t->key = *kv ? xstrdup(kv) : NULL;
		t->value = eq ? xstrdup(eq + 1) : NULL;
		t->effect = colon ? xstrdup(colon + 1) : NULL;
	}
	free(kv);
	return rc;
}

struct kube_tolerations *kube_tolerations_parse(const char *text, const char *what, struct err *err)
{
	struct kube_tolerations *t = xcalloc(1, sizeof(*t));
	char **items;

	if (!text || !strcmp(text, "no-control-plane")) {
		t->mode = KUBE_TOLERATE_NO_CONTROL_PLANE;
		return t;
	}
	if (!strcmp(text, "all") || !strcmp(text, "none")) {
		t->mode = text[0] == 'a' ? KUBE_TOLERATE_ALL : KUBE_TOLERATE_NONE;
		return t;
	}
	t->mode = KUBE_TOLERATE_LIST;
	items = str_split_list(text, TOL_MAX, what, err);
	if (!items)
		goto fail;
	for (char **p = items; *p; p++) {
		t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		if (toleration_parse(*p, what, &t->v[t->n], err) < 0) {
			strv_free(items);
			goto fail;
		}
		t->n++;
	}
	strv_free(items);
	return t;
fail:
	kube_tolerations_free(t);
	return NULL;
}

static bool key_in(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* Kubernetes' ToleratesTaint. */
static bool tolerates(const struct toleration *t, const struct kube_taint *taint)
{
	if (t->effect && !str_eq(t->effect, taint->effect))
		return false;
	if (t->key && strcmp(t->key, taint->key))
		return false;
	return !t->value || str_eq(t->value, taint->value ? taint->value : "");
}

static bool taint_tolerated(const struct kube_tolerations *t, const struct kube_taint *taint)
{
	if (key_in(taint->key, condition_keys, ARRAY_SIZE(condition_keys)))
		return true;
	switch (t->mode) {
	case KUBE_TOLERATE_ALL:
		return true;
	case KUBE_TOLERATE_NONE:
		return false;
	case KUBE_TOLERATE_NO_CONTROL_PLANE:
		return !key_in(taint->key, control_plane_keys, ARRAY_SIZE(control_plane_keys));
	case KUBE_TOLERATE_LIST:
		for (size_t i = 0; i < t->n; i++)
			if (tolerates(&t->v[i], taint))
				return true;
		return false;
	}
	return false;
}

const struct kube_taint *kube_tolerations_blocking(const struct kube_tolerations *t,
						   const struct kube_node *n)
{
	static const struct kube_tolerations dflt = {.mode = KUBE_TOLERATE_NO_CONTROL_PLANE};

	if (!t)
		t = &dflt;
	for (size_t i = 0; i < n->ntaints; i++) {
		const struct kube_taint *taint = &n->taints[i];

		/* PreferNoSchedule never keeps a DaemonSet's pod off a node */
		if (!str_eq(taint->effect, "NoSchedule") && !str_eq(taint->effect, "NoExecute"))
			continue;
		if (!taint_tolerated(t, taint))
			return taint;
	}
	return NULL;
}

/* ---- the pod template's placement ----------------------------------------------------------- */

static cJSON *toleration_json(const char *key, const char *value, const char *effect)
{
	cJSON *o = cJSON_CreateObject();

	if (key)
		cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "operator", value ? "Equal" : "Exists");
	if (value)
		cJSON_AddStringToObject(o, "value", value);
	if (effect)
		cJSON_AddStringToObject(o, "effect", effect);
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The default: every taint key of these nodes but the control-plane ones, sorted (a stable
 * pod template: it changes only when the set of keys does). */
static void tolerate_present(cJSON *arr, const struct kube_node_list *nodes)
{
	char **keys = NULL;
	size_t n = 0;

	for (size_t i = 0; nodes && i < nodes->n; i++) {
		for (size_t k = 0; k < nodes->items[i].ntaints; k++) {
			const char *key = nodes->items[i].taints[k].key;

			if (key_in(key, control_plane_keys, ARRAY_SIZE(control_plane_keys)) ||
			    key_in(key, condition_keys, ARRAY_SIZE(condition_keys)) ||
			    in_values(keys, key))
				continue;
			keys = values_push(keys, &n, xstrdup(key));
		}
	}
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, toleration_json(keys[i], NULL, NULL));
	strv_free(keys);
}

static cJSON *tolerations_json(const struct kube_tolerations *t, const struct kube_node_list *nodes)
{
	static const struct kube_tolerations dflt = {.mode = KUBE_TOLERATE_NO_CONTROL_PLANE};
	cJSON *arr = cJSON_CreateArray();

	if (!t)
		t = &dflt;
	if (t->mode == KUBE_TOLERATE_ALL) {
		cJSON_AddItemToArray(arr, toleration_json(NULL, NULL, NULL));
		return arr;
	}
	for (size_t i = 0; i < ARRAY_SIZE(condition_keys); i++)
		cJSON_AddItemToArray(arr, toleration_json(condition_keys[i], NULL, NULL));
	if (t->mode == KUBE_TOLERATE_NO_CONTROL_PLANE)
		tolerate_present(arr, nodes);
	for (size_t i = 0; t->mode == KUBE_TOLERATE_LIST && i < t->n; i++)
		cJSON_AddItemToArray(arr,
				     toleration_json(t->v[i].key, t->v[i].value, t->v[i].effect));
	return arr;
}

static cJSON *expression_json(const char *key, const char *op, char *const *values)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "operator", op);
	if (values) {
		cJSON *arr = cJSON_AddArrayToObject(o, "values");

		for (char *const *p = values; *p; p++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(*p));
	}
	return o;
}

/* Equality requirements go into nodeSelector (null when there are none: a merge patch
 * then removes an old one), everything else into one required node selector term. */
static void selector_json(const struct kube_selector *s, cJSON *spec, cJSON *exprs)
{
	static const char *const ops[] = {[SEL_NE] = "NotIn",
					  [SEL_EXISTS] = "Exists",
					  [SEL_NOT_EXISTS] = "DoesNotExist",
					  [SEL_IN] = "In",
					  [SEL_NOT_IN] = "NotIn"};
	cJSON *ns = NULL;

	for (size_t i = 0; s && i < s->n; i++) {
		const struct sel_req *r = &s->reqs[i];

		if (r->op == SEL_EQ && !cJSON_GetObjectItemCaseSensitive(ns, r->key)) {
			if (!ns)
				ns = cJSON_CreateObject();
			cJSON_AddStringToObject(ns, r->key, r->values[0]);
			continue;
		}
		cJSON_AddItemToArray(
		    exprs, expression_json(
			       r->key, r->op == SEL_EQ ? "In" : ops[r->op],
			       r->op == SEL_EXISTS || r->op == SEL_NOT_EXISTS ? NULL : r->values));
	}
	cJSON_AddItemToObject(spec, "nodeSelector", ns ? ns : cJSON_CreateNull());
}

cJSON *kube_placement_json(const struct kube_placement *p)
{
	cJSON *spec = cJSON_CreateObject();
	cJSON *aff = cJSON_AddObjectToObject(spec, "affinity");
	cJSON *na = cJSON_AddObjectToObject(aff, "nodeAffinity");
	cJSON *req = cJSON_AddObjectToObject(na, "requiredDuringSchedulingIgnoredDuringExecution");
	cJSON *terms = cJSON_AddArrayToObject(req, "nodeSelectorTerms");
	cJSON *term = cJSON_CreateObject();
	cJSON *exprs = cJSON_AddArrayToObject(term, "matchExpressions");

	cJSON_AddItemToArray(terms, term);
	/* NetDoctor's rule: a node labelled kosmos.io/exclude (any value) gets no floater */
	cJSON_AddItemToArray(exprs, expression_json(KUBE_EXCLUDE_LABEL, "DoesNotExist", NULL));
	selector_json(p->selector, spec, exprs);
	/* null, not left out: an apply compares what it sets, and an old NotIn must go */
	if (p->exclude_names && p->exclude_names[0])
		cJSON_AddItemToArray(cJSON_AddArrayToObject(term, "matchFields"),
				     expression_json("metadata.name", "NotIn", p->exclude_names));
	else
		cJSON_AddNullToObject(term, "matchFields");
	cJSON_AddItemToObject(spec, "tolerations", tolerations_json(p->tolerations, p->nodes));
	return spec;
}
