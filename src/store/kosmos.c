/* store: what a run read from Kosmos (docs/kosmos.md, "Gateway mode"): each imported
 * cluster's network type, its ClusterNodes' roles and what they disagree on with the Nodes. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define KOSMOS_TEXT_MAX 1024

static int kosmos_check(const struct store_kosmos_node *nodes, size_t n, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct store_kosmos_node *k = &nodes[i];

		if (!k->node || !*k->node || strlen(k->node) > 253)
			return err_set(err, ERR_USAGE,
				       "ClusterNode: node name must be 1 to 253 "
				       "characters");
		if ((k->roles && strlen(k->roles) > KOSMOS_TEXT_MAX) ||
		    (k->finding && strlen(k->finding) > KOSMOS_TEXT_MAX))
			return err_set(err, ERR_USAGE, "ClusterNode %s: roles or finding too long",
				       k->node);
	}
	return 0;
}

static int step_done(struct store *st, sqlite3_stmt *s, const char *what, struct err *err)
{
	if (sqlite3_step(s) == SQLITE_DONE)
		return 0;
	if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(err, ERR_NOTFOUND, "%s: no such run or cluster", what);
	return store_fail(st, err, what);
}

int store_run_kosmos_add(struct store *st, int64_t run_id, int64_t cluster_id,
			 const char *network_type, const struct store_kosmos_node *nodes, size_t n,
			 struct err *err)
{
	sqlite3_stmt *c = NULL, *k = NULL;
	int rc = -1;

	if (kosmos_check(nodes, n, err) < 0 || store_begin(st, err) < 0)
		return -1;
	c = store_prepare(st,
			  "INSERT OR REPLACE INTO run_kosmos (run_id, cluster_id, network_type) "
			  "VALUES (?1, ?2, ?3)",
			  err);
	k = c ? store_prepare(st,
			      "INSERT OR REPLACE INTO run_kosmos_nodes (run_id, cluster_id, node, "
			      "roles, finding) VALUES (?1, ?2, ?3, ?4, ?5)",
			      err)
	      : NULL;
	if (!k)
		goto out;
	sqlite3_bind_int64(c, 1, run_id);
	sqlite3_bind_int64(c, 2, cluster_id);
	sqlite3_bind_text(c, 3, network_type, -1, SQLITE_STATIC);
	if (step_done(st, c, "add Kosmos cluster", err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(k);
		sqlite3_bind_int64(k, 1, run_id);
		sqlite3_bind_int64(k, 2, cluster_id);
		sqlite3_bind_text(k, 3, nodes[i].node, -1, SQLITE_STATIC);
		sqlite3_bind_text(k, 4, nodes[i].roles, -1, SQLITE_STATIC);
		sqlite3_bind_text(k, 5, nodes[i].finding, -1, SQLITE_STATIC);
		if (step_done(st, k, "add ClusterNode", err) < 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(c);
	sqlite3_finalize(k);
	if (rc == 0)
		return store_commit(st, err);
	store_rollback(st);
	return -1;
}

int store_run_kosmos_clusters(struct store *st, int64_t run_id,
			      int (*cb)(const char *cluster, const char *network_type, void *ctx),
			      void *ctx, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st,
					"SELECT c.name, k.network_type FROM run_kosmos k JOIN "
					"clusters c ON c.id = k.cluster_id WHERE k.run_id = ?1 "
					"ORDER BY c.name",
					err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(store_col_text(s, 0), store_col_text(s, 1), ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "list Kosmos clusters");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_run_kosmos_nodes(struct store *st, int64_t run_id,
			   int (*cb)(const struct store_kosmos_node *n, void *ctx), void *ctx,
			   struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st,
			  "SELECT c.name, k.cluster_id, k.node, k.roles, k.finding, "
			  "rk.network_type FROM run_kosmos_nodes k JOIN clusters c ON "
			  "c.id = k.cluster_id LEFT JOIN run_kosmos rk ON rk.run_id = "
			  "k.run_id AND rk.cluster_id = k.cluster_id WHERE k.run_id = ?1 "
			  "ORDER BY c.name, k.node",
			  err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_kosmos_node n = {
		    .cluster = store_col_text(s, 0),
		    .cluster_id = sqlite3_column_int64(s, 1),
		    .node = store_col_text(s, 2),
		    .roles = store_col_text(s, 3),
		    .finding = store_col_text(s, 4),
		    .network_type = store_col_text(s, 5),
		};

		if (cb(&n, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "list ClusterNodes");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

bool store_kosmos_is_gateway(const struct store_kosmos_node *n)
{
	const char *p = n->roles;
	size_t len = strlen("gateway");

	if (!p || !n->network_type || strcmp(n->network_type, "gateway"))
		return false;
	for (; *p; p += strcspn(p, ",")) {
		p += *p == ',';
		if (!strncmp(p, "gateway", len) && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}
