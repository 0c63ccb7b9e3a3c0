/* Which nodes take part in a run: NetDoctor's kosmos.io/exclude label, --exclude-node,
 * --node-selector and the taints the floaters tolerate. A node left out gets no floater
 * (the DaemonSets' placement says the same thing to the DaemonSet controller) and no pair;
 * the run records it with the reason, so resume and diff can tell it from a node that is
 * gone. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "run_int.h"

/* Node names of a run's note: the first few, then a count. */
#define SELECT_NAMES_SHOWN 5

static const char *label_value(const struct kube_node *n, const char *key)
{
	for (size_t i = 0; i < n->nlabels; i++)
		if (!strcmp(n->labels[i].key, key))
			return n->labels[i].value;
	return NULL;
}

static bool name_listed(char *const *names, const char *name)
{
	for (char *const *p = names; p && *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

/* "key=value:Effect" of a taint (heap). */
static char *taint_text(const struct kube_taint *t)
{
	return xasprintf("%s%s%s:%s", t->key, t->value && *t->value ? "=" : "",
			 t->value ? t->value : "", t->effect);
}

/* Why n takes no part (0: it does); *detail (heap or NULL) says more. A node labelled
 * kosmos.io/exclude (any value, as NetDoctor's DoesNotExist affinity had it) is left out
 * whatever else was asked. */
static int why_left_out(const struct run_select *sel, const struct kube_node *n, char **detail)
{
	const char *v = label_value(n, KUBE_EXCLUDE_LABEL);
	const struct kube_taint *t;

	*detail = NULL;
	if (v) {
		*detail = xasprintf("%s=%s", KUBE_EXCLUDE_LABEL, v);
		return STORE_LEFT_OUT_LABEL;
	}
	if (name_listed(sel->exclude, n->name))
		return STORE_LEFT_OUT_NAME;
	if (!kube_selector_match(sel->selector, n))
		return STORE_LEFT_OUT_SELECTOR;
	t = kube_tolerations_blocking(sel->tolerations, n);
	if (t) {
		*detail = taint_text(t);
		return STORE_LEFT_OUT_TAINT;
	}
	return 0;
}

static void list_push(struct kube_node_list *l, size_t *cap, const struct kube_node *n)
{
	l->items = xgrow(l->items, cap, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = *n;
}

/* --exclude-node names that are no node of the cluster: a typo, or a node since gone. */
static void warn_unknown_names(struct run_engine *e, struct run_engine_cluster *ec)
{
	for (char *const *p = ec->in->select.exclude; p && *p; p++) {
		bool found = false;

		for (size_t i = 0; i < ec->left_out.n && !found; i++)
			found = !strcmp(ec->left_out.items[i].name, *p);
		for (size_t i = 0; i < ec->nodes.n && !found; i++)
			found = !strcmp(ec->nodes.items[i].name, *p);
		if (!found)
			run_engine_warn(e, "%s: --exclude-node %s: no such node in %s",
					ec->in->name, *p, ec->in->name);
	}
}

/* "2 of 5 nodes left out: east-node-2 (kosmos.io/exclude), east-node-3 (--exclude-node)" */
static void say_left_out(struct run_engine *e, struct run_engine_cluster *ec, size_t total)
{
	struct buf b;

	if (!ec->left_out.n)
		return;
	buf_init(&b, 0);
	for (size_t i = 0; i < ec->left_out.n && i < SELECT_NAMES_SHOWN; i++)
		(void)!buf_printf(&b, "%s%s (%s%s%s)", i ? ", " : "", ec->left_out.items[i].name,
				  store_left_out_reason_name(ec->left_why[i].reason),
				  ec->left_why[i].detail ? ": " : "",
				  ec->left_why[i].detail ? ec->left_why[i].detail : "");
	if (ec->left_out.n > SELECT_NAMES_SHOWN)
		(void)!buf_printf(&b, ", ... %zu more", ec->left_out.n - SELECT_NAMES_SHOWN);
	run_engine_phase(e, RUN_PHASE_NODES, "%s: %zu of %zu nodes left out: %s", ec->in->name,
			 ec->left_out.n, total, buf_str(&b));
	buf_release(&b);
}

static void select_cluster(struct run_engine *e, struct run_engine_cluster *ec)
{
	const struct run_select *sel = &ec->in->select;
	struct kube_placement pl = {.selector = sel->selector,
				    .exclude_names = sel->exclude,
				    .tolerations = sel->tolerations,
				    .nodes = &ec->nodes};
	struct kube_node_list keep = {0};
	size_t keep_cap = 0, left_cap = 0, total = ec->nodes.n;

	ec->placement = kube_placement_json(&pl);
	ec->nodes_not_ready = 0;
	for (size_t i = 0; i < ec->nodes.n; i++) {
		const struct kube_node *n = &ec->nodes.items[i];
		char *detail;
		int why = why_left_out(sel, n, &detail);

		if (!why) {
			list_push(&keep, &keep_cap, n);
			if (!n->ready)
				ec->nodes_not_ready++;
			continue;
		}
		list_push(&ec->left_out, &left_cap, n);
		ec->left_why = xrealloc(ec->left_why, ec->left_out.n * sizeof(*ec->left_why));
		ec->left_why[ec->left_out.n - 1] = (struct store_left_out){
		    .cluster_id = ec->in->cluster_id,
		    .name = n->name,
		    .reason = (enum store_left_out_reason)why,
		    .detail = detail,
		};
	}
	/* the items moved: free the old array only, not what they own */
	free(ec->nodes.items);
	ec->nodes = keep;
	e->res->nodes_left_out += (int64_t)ec->left_out.n;
	warn_unknown_names(e, ec);
	say_left_out(e, ec, total);
}

int run_nodes_select(struct run_engine *e, struct err *err)
{
	(void)err;
	for (size_t c = 0; c < e->nclusters; c++)
		select_cluster(e, &e->clusters[c]);
	return 0;
}

int run_nodes_record_left_out(struct run_engine *e, struct err *err)
{
	for (size_t c = 0; c < e->nclusters; c++) {
		struct run_engine_cluster *ec = &e->clusters[c];

		if (store_run_left_out_add(e->st, e->res->run_id, ec->left_why, ec->left_out.n,
					   err) < 0)
			return -1;
	}
	return 0;
}

void run_nodes_select_release(struct run_engine_cluster *ec)
{
	for (size_t i = 0; i < ec->left_out.n; i++)
		free((char *)ec->left_why[i].detail);
	free(ec->left_why);
	ec->left_why = NULL;
	kube_node_list_release(&ec->left_out);
	cJSON_Delete(ec->placement);
	ec->placement = NULL;
}
