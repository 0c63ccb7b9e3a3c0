/* store: nodes (stable ids per cluster + name), the node table of a run, name lookups. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define NODE_NAME_MAX 253 /* a Kubernetes node name is a DNS subdomain */

static int node_id_get(struct store *st, sqlite3_stmt *s, struct store_node *n, struct err *err)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, n->cluster_id);
	sqlite3_bind_text(s, 2, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)n->kind);
	if (sqlite3_step(s) != SQLITE_ROW) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
			return err_set(err, ERR_NOTFOUND, "node %s: no cluster with id %lld",
				       n->name, (long long)n->cluster_id);
		return store_fail(st, err, "add node");
	}
	n->id = sqlite3_column_int64(s, 0);
	/* RETURNING rows are produced before the statement ends: step to completion. */
	while (sqlite3_step(s) == SQLITE_ROW)
		;
	return 0;
}

static int run_node_put(struct store *st, sqlite3_stmt *s, int64_t run_id,
			const struct store_node *n, struct err *err)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, n->id);
	sqlite3_bind_text(s, 3, n->pod_ipv4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, n->pod_ipv6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, n->host_ipv4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, n->host_ipv6, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, (int)n->floater);
	sqlite3_bind_int(s, 8, !n->node_not_ready);
	sqlite3_bind_text(s, 9, n->pod_global_ipv4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, n->pod_global_ipv6, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		return 0;
	if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(err, ERR_NOTFOUND, "no run %lld", (long long)run_id);
	return store_fail(st, err, "add run node");
}

static int node_check(const struct store_node *n, struct err *err)
{
	if (!n->name || !*n->name || strlen(n->name) > NODE_NAME_MAX)
		return err_set(err, ERR_USAGE, "node name must be 1 to %d characters",
			       NODE_NAME_MAX);
	if ((unsigned)n->floater >= STORE_FLOATER_STATE_MAX)
		return err_set(err, ERR_USAGE, "node %s: bad floater state %d", n->name,
			       (int)n->floater);
	if ((unsigned)n->kind >= STORE_NODE_KIND_MAX)
		return err_set(err, ERR_USAGE, "node %s: bad kind %d", n->name, (int)n->kind);
	return 0;
}

int store_run_nodes_add(struct store *st, int64_t run_id, struct store_node *nodes, size_t n,
			struct err *err)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (node_check(&nodes[i], err) < 0)
			return -1;
	if (store_begin(st, err) < 0)
		return -1;
	get = store_prepare(
	    st,
	    "INSERT INTO nodes (cluster_id, name, kind) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (cluster_id, name) DO UPDATE SET name = excluded.name RETURNING id",
	    err);
	put = get ? store_prepare(
			st,
			"INSERT INTO run_nodes (run_id, node_id, pod_ipv4, pod_ipv6, "
			"host_ipv4, host_ipv6, floater, node_ready, pod_global_ipv4, "
			"pod_global_ipv6) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
			"ON CONFLICT (run_id, node_id) DO UPDATE SET pod_ipv4 = excluded.pod_ipv4, "
			"pod_ipv6 = excluded.pod_ipv6, host_ipv4 = excluded.host_ipv4, "
			"host_ipv6 = excluded.host_ipv6, floater = excluded.floater, "
			"node_ready = excluded.node_ready, "
			"pod_global_ipv4 = excluded.pod_global_ipv4, "
			"pod_global_ipv6 = excluded.pod_global_ipv6",
			err)
		  : NULL;
	if (!put)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (node_id_get(st, get, &nodes[i], err) < 0 ||
		    run_node_put(st, put, run_id, &nodes[i], err) < 0)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	if (rc == 0)
		return store_commit(st, err);
	store_rollback(st);
	return -1;
}

int store_run_node_set_floater(struct store *st, int64_t run_id, int64_t node_id,
			       enum store_floater_state state, struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st, "UPDATE run_nodes SET floater = ?3 WHERE run_id = ?1 AND node_id = ?2", err);
	int rc = 0;

	if ((unsigned)state >= STORE_FLOATER_STATE_MAX)
		rc = err_set(err, ERR_USAGE, "bad floater state %d", (int)state);
	if (!s || rc < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, node_id);
	sqlite3_bind_int(s, 3, (int)state);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "set floater state");
	else if (sqlite3_changes(st->db) == 0)
		rc = err_set(err, ERR_NOTFOUND, "run %lld has no node %lld", (long long)run_id,
			     (long long)node_id);
	sqlite3_finalize(s);
	return rc;
}

int store_run_nodes_foreach(struct store *st, int64_t run_id,
			    int (*cb)(const struct store_run_node *n, void *ctx), void *ctx,
			    struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st,
	    "SELECT n.id, n.cluster_id, n.name, rn.pod_ipv4, rn.pod_ipv6, rn.host_ipv4, "
	    "rn.host_ipv6, rn.floater, c.name, rn.node_ready, n.kind, rn.pod_global_ipv4, "
	    "rn.pod_global_ipv6 FROM run_nodes rn "
	    "JOIN nodes n ON n.id = rn.node_id JOIN clusters c ON c.id = n.cluster_id "
	    "WHERE rn.run_id = ?1 ORDER BY c.name, n.name",
	    err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int fl = sqlite3_column_int(s, 7), kind = sqlite3_column_int(s, 10);
		struct store_run_node n = {
		    .node = {.id = sqlite3_column_int64(s, 0),
			     .cluster_id = sqlite3_column_int64(s, 1),
			     .kind = (unsigned)kind < STORE_NODE_KIND_MAX
					 ? (enum store_node_kind)kind
					 : STORE_NODE,
			     .name = store_col_text(s, 2),
			     .pod_ipv4 = store_col_text(s, 3),
			     .pod_ipv6 = store_col_text(s, 4),
			     .host_ipv4 = store_col_text(s, 5),
			     .host_ipv6 = store_col_text(s, 6),
			     .floater = (unsigned)fl < STORE_FLOATER_STATE_MAX
					    ? (enum store_floater_state)fl
					    : STORE_FLOATER_UNKNOWN,
			     .node_not_ready = sqlite3_column_int(s, 9) == 0,
			     .pod_global_ipv4 = store_col_text(s, 11),
			     .pod_global_ipv6 = store_col_text(s, 12)},
		    .cluster_name = store_col_text(s, 8),
		};

		if (cb(&n, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "list run nodes");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- nodes left out ------------------------------------------------------------------------ */

int store_run_left_out_add(struct store *st, int64_t run_id, struct store_left_out *nodes, size_t n,
			   struct err *err)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		struct store_node sn = {.name = nodes[i].name};

		if (node_check(&sn, err) < 0)
			return -1;
		if (nodes[i].reason < STORE_LEFT_OUT_LABEL ||
		    nodes[i].reason >= STORE_LEFT_OUT_REASON_MAX)
			return err_set(err, ERR_USAGE, "node %s: bad reason %d", nodes[i].name,
				       (int)nodes[i].reason);
	}
	if (!n)
		return 0;
	if (store_begin(st, err) < 0)
		return -1;
	get = store_prepare(
	    st,
	    "INSERT INTO nodes (cluster_id, name, kind) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (cluster_id, name) DO UPDATE SET name = excluded.name RETURNING id",
	    err);
	put = get ? store_prepare(st,
				  "INSERT OR REPLACE INTO run_left_out (run_id, node_id, reason, "
				  "detail) VALUES (?1, ?2, ?3, ?4)",
				  err)
		  : NULL;
	if (!put)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct store_node sn = {.cluster_id = nodes[i].cluster_id, .name = nodes[i].name};

		if (node_id_get(st, get, &sn, err) < 0)
			goto out;
		nodes[i].node_id = sn.id;
		sqlite3_reset(put);
		sqlite3_bind_int64(put, 1, run_id);
		sqlite3_bind_int64(put, 2, sn.id);
		sqlite3_bind_int(put, 3, (int)nodes[i].reason);
		sqlite3_bind_text(put, 4, nodes[i].detail, -1, SQLITE_STATIC);
		if (sqlite3_step(put) != SQLITE_DONE) {
			if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
				err_set(err, ERR_NOTFOUND, "no run %lld", (long long)run_id);
			else
				store_fail(st, err, "add left-out node");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	if (rc == 0)
		return store_commit(st, err);
	store_rollback(st);
	return -1;
}

int store_run_left_out_foreach(struct store *st, int64_t run_id,
			       int (*cb)(const struct store_left_out *n, void *ctx), void *ctx,
			       struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st,
	    "SELECT n.id, n.cluster_id, n.name, lo.reason, lo.detail, c.name FROM run_left_out lo "
	    "JOIN nodes n ON n.id = lo.node_id JOIN clusters c ON c.id = n.cluster_id "
	    "WHERE lo.run_id = ?1 ORDER BY c.name, n.name",
	    err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int reason = sqlite3_column_int(s, 3);
		struct store_left_out n = {
		    .node_id = sqlite3_column_int64(s, 0),
		    .cluster_id = sqlite3_column_int64(s, 1),
		    .name = store_col_text(s, 2),
		    .reason = reason > 0 && reason < STORE_LEFT_OUT_REASON_MAX
				  ? (enum store_left_out_reason)reason
				  : STORE_LEFT_OUT_REASON_MAX,
		    .detail = store_col_text(s, 4),
		    .cluster_name = store_col_text(s, 5),
		};

		if (cb(&n, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "list left-out nodes");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- names by id ------------------------------------------------------------------------- */

static int64_t max_id(struct store *st, const char *sql, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, sql, err);
	int64_t v = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		store_fail(st, err, "count names");
	sqlite3_finalize(s);
	return v;
}

static int names_fill(struct store *st, const char *sql, char **name, int64_t *cluster,
		      uint8_t *kind, int64_t n, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, sql, err);
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);

		/* Rows added since max_id() was read are not needed by this walk. */
		if (id < 0 || id >= n)
			continue;
		name[id] = xstrdup(store_col_text(s, 1));
		if (cluster)
			cluster[id] = sqlite3_column_int64(s, 2);
		if (kind) {
			int k = sqlite3_column_int(s, 3);

			kind[id] = (uint8_t)((unsigned)k < STORE_NODE_KIND_MAX ? k : STORE_NODE);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "load names");
	return 0;
}

int store_names_load(struct store *st, struct store_names *nm, struct err *err)
{
	memset(nm, 0, sizeof(*nm));
	nm->n_nodes = max_id(st, "SELECT coalesce(max(id), 0) + 1 FROM nodes", err);
	nm->n_clusters = max_id(st, "SELECT coalesce(max(id), 0) + 1 FROM clusters", err);
	if (nm->n_nodes < 0 || nm->n_clusters < 0)
		return -1;
	nm->node_name = xcalloc((size_t)nm->n_nodes, sizeof(*nm->node_name));
	nm->node_cluster = xcalloc((size_t)nm->n_nodes, sizeof(*nm->node_cluster));
	nm->node_kind = xcalloc((size_t)nm->n_nodes, sizeof(*nm->node_kind));
	nm->cluster_name = xcalloc((size_t)nm->n_clusters, sizeof(*nm->cluster_name));
	if (names_fill(st, "SELECT id, name, cluster_id, kind FROM nodes", nm->node_name,
		       nm->node_cluster, nm->node_kind, nm->n_nodes, err) < 0 ||
	    names_fill(st, "SELECT id, name FROM clusters", nm->cluster_name, NULL, NULL,
		       nm->n_clusters, err) < 0) {
		store_names_release(nm);
		return -1;
	}
	return 0;
}

void store_names_release(struct store_names *nm)
{
	for (int64_t i = 0; i < nm->n_nodes && nm->node_name; i++)
		free(nm->node_name[i]);
	for (int64_t i = 0; i < nm->n_clusters && nm->cluster_name; i++)
		free(nm->cluster_name[i]);
	free(nm->node_name);
	free(nm->node_cluster);
	free(nm->node_kind);
	free(nm->cluster_name);
	memset(nm, 0, sizeof(*nm));
}

const char *store_names_node(const struct store_names *nm, int64_t node_id)
{
	if (node_id < 0 || node_id >= nm->n_nodes || !nm->node_name[node_id])
		return "?";
	return nm->node_name[node_id];
}

int64_t store_names_cluster_id(const struct store_names *nm, int64_t node_id)
{
	if (node_id < 0 || node_id >= nm->n_nodes)
		return 0;
	return nm->node_cluster[node_id];
}

enum store_node_kind store_names_kind(const struct store_names *nm, int64_t node_id)
{
	if (node_id < 0 || node_id >= nm->n_nodes)
		return STORE_NODE;
	return (enum store_node_kind)nm->node_kind[node_id];
}

const char *store_names_cluster(const struct store_names *nm, int64_t cluster_id)
{
	if (cluster_id < 0 || cluster_id >= nm->n_clusters || !nm->cluster_name[cluster_id])
		return "?";
	return nm->cluster_name[cluster_id];
}

const char *store_names_cluster_of(const struct store_names *nm, int64_t node_id)
{
	return store_names_cluster(nm, store_names_cluster_id(nm, node_id));
}
