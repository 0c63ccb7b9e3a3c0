/* src/kube/selector.c: which nodes a label selector and the tolerations let in, the errors
 * a user sees for a bad one, and what goes into the DaemonSets' pod template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kube.h"

/* A node with labels "k=v" and taints "k=v:Effect" / "k:Effect" (NULL-terminated). */
static struct kube_node *node_new(const char *name, const char *const *labels,
				  const char *const *taints)
{
	struct kube_node *n = calloc(1, sizeof(*n));

	n->name = xstrdup(name);
	for (const char *const *l = labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');

		n->labels = xrealloc(n->labels, (n->nlabels + 1) * sizeof(*n->labels));
		n->labels[n->nlabels].key = xstrndup(*l, (size_t)(eq - *l));
		n->labels[n->nlabels++].value = xstrdup(eq + 1);
	}
	for (const char *const *t = taints; t && *t; t++) {
		const char *colon = strrchr(*t, ':'), *eq = strchr(*t, '=');
		struct kube_taint *k;

		n->taints = xrealloc(n->taints, (n->ntaints + 1) * sizeof(*n->taints));
		k = &n->taints[n->ntaints++];
		k->key = xstrndup(*t, (size_t)((eq && eq < colon ? eq : colon) - *t));
		k->value = eq && eq < colon ? xstrndup(eq + 1, (size_t)(colon - eq - 1)) : NULL;
		k->effect = xstrdup(colon + 1);
	}
	return n;
}

static void node_free(struct kube_node *n)
{
	struct kube_node_list l = {n, 1};

	kube_node_list_release(&l); /* frees n too */
}

static bool sel_match(const char *text, const struct kube_node *n)
{
	struct err err = ERR_INIT;
	struct kube_selector *s = kube_selector_parse(text, "--node-selector", &err);
	bool m;

	if (!s)
		fail_msg("'%s' did not parse: %s", text, err.msg);
	m = kube_selector_match(s, n);
	kube_selector_free(s);
	return m;
}

static void test_selector_operators(void **state)
{
	static const char *const labels[] = {"role=worker", "zone=a", "kosmos.io/gw=true", NULL};
	struct kube_node *n = node_new("n1", labels, NULL);

	(void)state;
	assert_true(sel_match("role=worker", n));
	assert_true(sel_match("role==worker", n));
	assert_false(sel_match("role=edge", n));
	assert_true(sel_match("role!=edge", n));
	assert_false(sel_match("role!=worker", n));
	assert_true(sel_match("gpu!=yes", n)); /* no label at all matches !=, as in kubectl */
	assert_true(sel_match("kosmos.io/gw", n));
	assert_false(sel_match("!kosmos.io/gw", n));
	assert_true(sel_match("!gpu", n));
	assert_true(sel_match("zone in (a,b)", n));
	assert_true(sel_match("zone in ( b , a )", n));
	assert_false(sel_match("zone notin (a)", n));
	assert_true(sel_match("gpu notin (x)", n));
	assert_false(sel_match("gpu in (x)", n));
	/* requirements are ANDed */
	assert_true(sel_match("role=worker, zone in (a), !gpu", n));
	assert_false(sel_match("role=worker,zone=b", n));
	node_free(n);
}

static void assert_refused(const char *text, const char *want)
{
	struct err err = ERR_INIT;
	struct kube_selector *s = kube_selector_parse(text, "--node-selector", &err);

	if (s)
		fail_msg("'%s' was accepted", text);
	assert_int_equal(err.code, ERR_USAGE);
	assert_null(strchr(err.msg, '\n'));
	if (!strstr(err.msg, want))
		fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, want);
}

static void test_selector_errors(void **state)
{
	(void)state;
	assert_refused("", "expected a label key");
	assert_refused("a=b,", "expected a label key");
	assert_refused("=b", "expected a label key");
	assert_refused("a=b c", "expected ',' or the end");
	assert_refused("a in b", "expected '(' after in/notin");
	assert_refused("a in (b", "expected ',' or ')'");
	assert_refused("a in ()", "empty value");
	assert_refused("a=-b", "label value");
	assert_refused("a<b", "expected '='");
	assert_refused("Bad_Prefix.io/x=1", "expected a label key");
	{
		struct buf b;

		buf_init(&b, 0);
		for (int i = 0; i < 65; i++) /* one requirement over the limit */
			(void)!buf_printf(&b, "%sk%d", i ? "," : "", i);
		assert_refused(buf_str(&b), "more than 64");
		buf_release(&b);
	}
	/* the column points at the trouble */
	assert_refused("role=worker,zone~a", "column 17");
}

static bool blocked(const char *tol, const struct kube_node *n)
{
	struct err err = ERR_INIT;
	struct kube_tolerations *t =
	    tol ? kube_tolerations_parse(tol, "--tolerations", &err) : NULL;
	bool b;

	if (tol && !t)
		fail_msg("'%s' did not parse: %s", tol, err.msg);
	b = kube_tolerations_blocking(t, n) != NULL;
	kube_tolerations_free(t);
	return b;
}

static void test_tolerations(void **state)
{
	static const char *const cp_taint[] = {"node-role.kubernetes.io/control-plane:NoSchedule",
					       NULL};
	static const char *const gpu_taint[] = {"gpu=yes:NoSchedule", NULL};
	static const char *const soft_taint[] = {"spot:PreferNoSchedule", NULL};
	static const char *const notready[] = {"node.kubernetes.io/not-ready:NoSchedule",
					       "node.kubernetes.io/unreachable:NoExecute", NULL};
	struct kube_node *cp = node_new("cp", NULL, cp_taint);
	struct kube_node *gpu = node_new("gpu", NULL, gpu_taint);
	struct kube_node *soft = node_new("soft", NULL, soft_taint);
	struct kube_node *nr = node_new("nr", NULL, notready);

	(void)state;
	/* the default leaves the control plane out and nothing else */
	assert_true(blocked(NULL, cp));
	assert_true(blocked("no-control-plane", cp));
	assert_false(blocked(NULL, gpu));
	assert_false(blocked(NULL, nr)); /* condition taints are always tolerated */
	assert_false(blocked("all", cp));
	assert_true(blocked("none", gpu));
	assert_false(blocked("none", soft)); /* PreferNoSchedule never keeps a floater off */
	assert_false(blocked("none", nr));
	assert_false(blocked("gpu", gpu));
	assert_false(blocked("gpu=yes", gpu));
	assert_true(blocked("gpu=no", gpu));
	assert_false(blocked("gpu:NoSchedule", gpu));
	assert_true(blocked("gpu:NoExecute", gpu));
	assert_false(blocked(":NoSchedule", gpu)); /* every key with that effect */
	assert_false(blocked("other,node-role.kubernetes.io/control-plane", cp));
	node_free(cp);
	node_free(gpu);
	node_free(soft);
	node_free(nr);
}

static void test_tolerations_errors(void **state)
{
	static const char *const bad[][2] = {
	    {"gpu:Sometimes", "not NoSchedule, PreferNoSchedule or NoExecute"},
	    {"=yes", "a value needs a key"},
	    {"gpu=bad value", "not a taint value"},
	    {"bad key!", "not a taint key"},
	    {"a,,b", "empty"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;
		struct kube_tolerations *t =
		    kube_tolerations_parse(bad[i][0], "--tolerations", &err);

		if (t)
			fail_msg("'%s' was accepted", bad[i][0]);
		assert_int_equal(err.code, ERR_USAGE);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
	}
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	o = cJSON_GetObjectItemCaseSensitive(o, a);
	return b ? cJSON_GetObjectItemCaseSensitive(o, b) : o;
}

static char *print(const cJSON *o)
{
	return cJSON_PrintUnformatted(o);
}

/* Equality goes to nodeSelector, the rest to the required node affinity beside NetDoctor's
 * kosmos.io/exclude rule, excluded names to matchFields. */
static void test_placement_json(void **state)
{
	static const char *const cp_taint[] = {"node-role.kubernetes.io/control-plane:NoSchedule",
					       NULL};
	static const char *const gpu_taint[] = {"gpu=yes:NoSchedule", NULL};
	struct err err = ERR_INIT;
	struct kube_selector *s =
	    kube_selector_parse("role=worker,zone in (a,b),!edge", "--node-selector", &err);
	char *names[] = {"n2", "n3", NULL};
	struct kube_node_list nodes = {calloc(2, sizeof(struct kube_node)), 2};
	struct kube_node *a = node_new("cp", NULL, cp_taint), *b = node_new("g", NULL, gpu_taint);
	struct kube_placement p = {.selector = s, .exclude_names = names, .nodes = &nodes};
	cJSON *j;
	const cJSON *term;
	char *text;

	(void)state;
	nodes.items[0] = *a;
	nodes.items[1] = *b;
	free(a);
	free(b);
	j = kube_placement_json(&p);
	text = print(at(j, "nodeSelector", NULL));
	assert_string_equal(text, "{\"role\":\"worker\"}");
	free(text);
	term = cJSON_GetArrayItem(at(at(at(j, "affinity", "nodeAffinity"),
					"requiredDuringSchedulingIgnoredDuringExecution", NULL),
				     "nodeSelectorTerms", NULL),
				  0);
	text = print(term);
	assert_string_equal(text, "{\"matchExpressions\":["
				  "{\"key\":\"kosmos.io/exclude\",\"operator\":\"DoesNotExist\"},"
				  "{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]},"
				  "{\"key\":\"edge\",\"operator\":\"DoesNotExist\"}],"
				  "\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":"
				  "\"NotIn\",\"values\":[\"n2\",\"n3\"]}]}");
	free(text);
	/* the default tolerates the taints the nodes carry but the control plane's */
	text = print(at(j, "tolerations", NULL));
	assert_non_null(strstr(text, "{\"key\":\"gpu\",\"operator\":\"Exists\"}"));
	assert_null(strstr(text, "control-plane"));
	assert_non_null(strstr(text, "node.kubernetes.io/not-ready"));
	free(text);
	cJSON_Delete(j);

	/* no selector: nodeSelector null (a merge patch then removes an old one); all: one
	 * toleration for every taint */
	p.selector = NULL;
	p.exclude_names = NULL;
	p.tolerations = kube_tolerations_parse("all", "--tolerations", &err);
	j = kube_placement_json(&p);
	assert_true(cJSON_IsNull(at(j, "nodeSelector", NULL)));
	/* no name left out: matchFields null, so an apply removes an earlier NotIn */
	term = cJSON_GetArrayItem(at(at(at(j, "affinity", "nodeAffinity"),
					"requiredDuringSchedulingIgnoredDuringExecution", NULL),
				     "nodeSelectorTerms", NULL),
				  0);
	assert_true(cJSON_IsNull(at(term, "matchFields", NULL)));
	text = print(at(j, "tolerations", NULL));
	assert_string_equal(text, "[{\"operator\":\"Exists\"}]");
	free(text);
	cJSON_Delete(j);
	kube_tolerations_free((struct kube_tolerations *)p.tolerations);
	kube_selector_free(s);
	kube_node_list_release(&nodes);
}

static void test_label_syntax(void **state)
{
	(void)state;
	assert_true(kube_label_key_ok("kosmos.io/exclude"));
	assert_true(kube_label_key_ok("node-role.kubernetes.io/control-plane"));
	assert_true(kube_label_key_ok("A_b.c-9"));
	assert_false(kube_label_key_ok(""));
	assert_false(kube_label_key_ok("/x"));
	assert_false(kube_label_key_ok("Upper.io/x"));
	assert_false(kube_label_key_ok("-a"));
	assert_false(kube_label_key_ok("a/b/c"));
	assert_true(kube_label_value_ok(""));
	assert_true(kube_label_value_ok("v1.2_x-y"));
	assert_false(kube_label_value_ok("a b"));
	assert_false(kube_label_value_ok("x."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selector_operators), cmocka_unit_test(test_selector_errors),
	    cmocka_unit_test(test_tolerations),	       cmocka_unit_test(test_tolerations_errors),
	    cmocka_unit_test(test_placement_json),     cmocka_unit_test(test_label_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
