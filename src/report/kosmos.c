/* What a run read from Kosmos, in the reports (docs/kosmos.md, "Gateway mode"): the network
 * type of each pair of imported clusters, and the ClusterNode findings. */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

#define KOSMOS_FINDINGS_SHOWN 5 /* in the table report; JSON has them all */

struct kcl {
	char *name, *type; /* type: "p2p", "gateway" (NULL: not said, Kosmos's default p2p) */
	struct buf gateways;
};

struct kosmos_view {
	struct kcl *v;
	size_t n, cap;
};

static int cluster_cb(const char *cluster, const char *network_type, void *ctx)
{
	struct kosmos_view *kv = ctx;
	struct kcl *c;

	kv->v = xgrow(kv->v, &kv->cap, kv->n + 1, sizeof(*kv->v));
	c = &kv->v[kv->n++];
	c->name = xstrdup(cluster);
	c->type = network_type ? xstrdup(network_type) : NULL;
	buf_init(&c->gateways, 0);
	return 0;
}

static int gateway_cb(const struct store_kosmos_node *k, void *ctx)
{
	struct kosmos_view *kv = ctx;

	if (!store_kosmos_is_gateway(k))
		return 0;
	for (size_t i = 0; i < kv->n; i++)
		if (!strcmp(kv->v[i].name, k->cluster))
			(void)!buf_printf(&kv->v[i].gateways, "%s%s/%s",
					  kv->v[i].gateways.len ? "," : "", k->cluster, k->node);
	return 0;
}

static void view_release(struct kosmos_view *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->v[i].name);
		free(kv->v[i].type);
		buf_release(&kv->v[i].gateways);
	}
	free(kv->v);
}

static int view_load(struct rctx *r, struct kosmos_view *kv)
{
	memset(kv, 0, sizeof(*kv));
	if (store_run_kosmos_clusters(r->st, r->run_id, cluster_cb, kv, r->err) < 0 ||
	    store_run_kosmos_nodes(r->st, r->run_id, gateway_cb, kv, r->err) < 0) {
		view_release(kv);
		return -1;
	}
	return 0;
}

static bool is_gateway(const struct kcl *c)
{
	return c->type && !strcmp(c->type, "gateway");
}

/* "p2p" (both sides), "gateway" (both), "mixed" (one side in gateway mode: its nodes reach
 * the other cluster through its gateways, the other side's nodes answer directly). */
static const char *pair_type(const struct kcl *a, const struct kcl *b)
{
	if (is_gateway(a) && is_gateway(b))
		return "gateway";
	return is_gateway(a) || is_gateway(b) ? "mixed" : "p2p";
}

/* ---- table ----------------------------------------------------------------------------------- */

static void pair_line(struct rctx *r, const struct kcl *a, const struct kcl *b)
{
	fprintf(r->out, "network type %s <-> %s: %s", a->name, b->name, pair_type(a, b));
	for (int s = 0; s < 2; s++) {
		const struct kcl *c = s ? b : a;

		if (is_gateway(c))
			fprintf(r->out, "%s%s through gateway %s", s && is_gateway(a) ? ", " : " (",
				c->name, c->gateways.len ? buf_str(&c->gateways) : "(none named)");
	}
	fputs(is_gateway(a) || is_gateway(b) ? ")\n" : "\n", r->out);
}

struct findings_text {
	struct rctx *r;
	size_t n;
};

static int finding_line(const struct store_kosmos_node *k, void *ctx)
{
	struct findings_text *ft = ctx;

	if (!k->finding)
		return 0;
	if (ft->n++ < KOSMOS_FINDINGS_SHOWN)
		fprintf(ft->r->out, "ClusterNode finding %s/%s: %s\n", k->cluster, k->node,
			k->finding);
	return 0;
}

int report_kosmos_text(struct rctx *r)
{
	struct kosmos_view kv;
	struct findings_text ft = {r, 0};

	if (view_load(r, &kv) < 0)
		return -1;
	for (size_t i = 0; i < kv.n; i++)
		for (size_t j = i + 1; j < kv.n; j++)
			pair_line(r, &kv.v[i], &kv.v[j]);
	view_release(&kv);
	if (store_run_kosmos_nodes(r->st, r->run_id, finding_line, &ft, r->err) < 0)
		return -1;
	if (ft.n > KOSMOS_FINDINGS_SHOWN)
		fprintf(r->out,
			"%zu more ClusterNode findings: netctl report --run %lld --format json\n",
			ft.n - KOSMOS_FINDINGS_SHOWN, (long long)r->run_id);
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void put_gateways(FILE *f, const struct kcl *c)
{
	const char *p = buf_str(&c->gateways);

	while (is_gateway(c) && *p) {
		size_t len = strcspn(p, ",");
		char *one = xasprintf("%.*s", (int)len, p);

		fputs(p == buf_str(&c->gateways) ? "" : ",", f);
		json_put_str(f, one, false);
		free(one);
		p += len + (p[len] == ',');
	}
}

struct findings_json {
	FILE *f;
	bool first;
};

static int finding_item(const struct store_kosmos_node *k, void *ctx)
{
	struct findings_json *fj = ctx;

	if (!k->finding)
		return 0;
	fputs(fj->first ? "{\"cluster\":" : ",{\"cluster\":", fj->f);
	fj->first = false;
	json_put_str(fj->f, k->cluster, false);
	fputs(",\"node\":", fj->f);
	json_put_str(fj->f, k->node, false);
	fputs(",\"finding\":", fj->f);
	json_put_str(fj->f, k->finding, false);
	putc('}', fj->f);
	return 0;
}

int report_kosmos_json(struct rctx *r)
{
	struct kosmos_view kv;
	struct findings_json fj = {r->out, true};
	FILE *f = r->out;
	bool first = true;

	if (view_load(r, &kv) < 0)
		return -1;
	fputs(",\"network_types\":[", f);
	for (size_t i = 0; i < kv.n; i++) {
		for (size_t j = i + 1; j < kv.n; j++) {
			fputs(first ? "{\"clusters\":[" : ",{\"clusters\":[", f);
			first = false;
			json_put_str(f, kv.v[i].name, false);
			putc(',', f);
			json_put_str(f, kv.v[j].name, false);
			fputs("],\"network_type\":", f);
			json_put_str(f, pair_type(&kv.v[i], &kv.v[j]), false);
			fputs(",\"gateways\":[", f);
			put_gateways(f, &kv.v[i]);
			if (is_gateway(&kv.v[i]) && kv.v[i].gateways.len && is_gateway(&kv.v[j]) &&
			    kv.v[j].gateways.len)
				putc(',', f);
			put_gateways(f, &kv.v[j]);
			fputs("]}", f);
		}
	}
	view_release(&kv);
	fputs("],\"kosmos_findings\":[", f);
	if (store_run_kosmos_nodes(r->st, r->run_id, finding_item, &fj, r->err) < 0)
		return -1;
	putc(']', f);
	return 0;
}
