/* store: registered clusters. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define CLUSTER_NAME_MAX 253 /* a DNS name; also keeps tables readable */

static int cluster_revive(struct store *st, int64_t id, const char *kubeconfig, const char *context,
			  struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st,
			  "UPDATE clusters SET kubeconfig = ?2, context = ?3, "
			  "added_ms = ?4, removed_ms = NULL, global_cidrs = NULL, kosmos = 0, "
			  "network_type = NULL, ip_family = NULL, kubeconfig_file = NULL "
			  "WHERE id = ?1",
			  err);
	int rc = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, kubeconfig, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, context, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, time_wall_ms());
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "re-add cluster");
	sqlite3_finalize(s);
	return rc;
}

static int cluster_insert(struct store *st, const char *name, const char *kubeconfig,
			  const char *context, int64_t *id, struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st,
			  "INSERT INTO clusters (name, kubeconfig, context, added_ms) "
			  "VALUES (?1, ?2, ?3, ?4)",
			  err);
	int rc = 0;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kubeconfig, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, context, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, time_wall_ms());
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "add cluster");
	else
		*id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	return rc;
}

/* Looks a name up, registered or removed: 1 found, 0 not, -1 error. */
static int cluster_find(struct store *st, const char *name, int64_t *id, bool *removed,
			struct err *err)
{
	sqlite3_stmt *s = store_prepare(
	    st, "SELECT id, removed_ms IS NOT NULL FROM clusters WHERE name = ?1", err);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*removed = sqlite3_column_int(s, 1);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_fail(st, err, "find cluster");
	}
	sqlite3_finalize(s);
	return rc;
}

int store_cluster_add(struct store *st, const char *name, const char *kubeconfig,
		      const char *context, int64_t *id_out, struct err *err)
{
	int64_t id = 0;
	bool removed = false;
	int found;

	if (!name || !*name || strlen(name) > CLUSTER_NAME_MAX)
		return err_set(err, ERR_USAGE, "cluster name must be 1 to %d characters",
			       CLUSTER_NAME_MAX);
	if (!kubeconfig || !*kubeconfig)
		return err_set(err, ERR_USAGE, "cluster %s: a kubeconfig path is required", name);
	if (store_begin(st, err) < 0)
		return -1;
	found = cluster_find(st, name, &id, &removed, err);
	if (found < 0)
		goto fail;
	if (found && !removed) {
		err_set(err, ERR_EXISTS, "cluster %s is already registered", name);
		goto fail;
	}
	if (found ? cluster_revive(st, id, kubeconfig, context, err)
		  : cluster_insert(st, name, kubeconfig, context, &id, err))
		goto fail;
	if (store_commit(st, err) < 0)
		return -1;
	if (id_out)
		*id_out = id;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

static struct store_cluster *cluster_from_row(sqlite3_stmt *s)
{
	struct store_cluster *c = xcalloc(1, sizeof(*c));
	const char *ctx = store_col_text(s, 3);

	c->id = sqlite3_column_int64(s, 0);
	c->name = xstrdup(store_col_text(s, 1));
	c->kubeconfig = xstrdup(store_col_text(s, 2));
	c->context = ctx ? xstrdup(ctx) : NULL;
	c->added_ms = sqlite3_column_int64(s, 4);
	c->global_cidrs = store_col_text(s, 5) ? xstrdup(store_col_text(s, 5)) : NULL;
	c->kosmos = sqlite3_column_int(s, 6) != 0;
	c->network_type = store_col_text(s, 7) ? xstrdup(store_col_text(s, 7)) : NULL;
	c->ip_family = store_col_text(s, 8) ? xstrdup(store_col_text(s, 8)) : NULL;
	c->kubeconfig_file = store_col_text(s, 9) ? xstrdup(store_col_text(s, 9)) : NULL;
	return c;
}

#define CLUSTER_COLS                                                                               \
	"SELECT id, name, kubeconfig, context, added_ms, global_cidrs, kosmos, network_type, "     \
	"ip_family, kubeconfig_file FROM clusters "

struct store_cluster *store_cluster_get(struct store *st, const char *name, struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st, CLUSTER_COLS "WHERE name = ?1 AND removed_ms IS NULL", err);
	struct store_cluster *c = NULL;
	int rc;

	if (!s)
		return NULL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		c = cluster_from_row(s);
	else if (rc == SQLITE_DONE)
		err_set(err, ERR_NOTFOUND, "no cluster named %s (see netctl cluster list)", name);
	else
		store_fail(st, err, "get cluster");
	sqlite3_finalize(s);
	return c;
}

void store_cluster_free(struct store_cluster *c)
{
	if (!c)
		return;
	free((char *)c->name);
	free((char *)c->kubeconfig);
	free((char *)c->context);
	free((char *)c->global_cidrs);
	free((char *)c->network_type);
	free((char *)c->ip_family);
	free((char *)c->kubeconfig_file);
	free(c);
}

int store_cluster_list(struct store *st, int (*cb)(const struct store_cluster *c, void *ctx),
		       void *ctx, struct err *err)
{
	sqlite3_stmt *s =
	    store_prepare(st, CLUSTER_COLS "WHERE removed_ms IS NULL ORDER BY name", err);
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_cluster c = {
		    .id = sqlite3_column_int64(s, 0),
		    .name = store_col_text(s, 1),
		    .kubeconfig = store_col_text(s, 2),
		    .context = store_col_text(s, 3),
		    .added_ms = sqlite3_column_int64(s, 4),
		    .global_cidrs = store_col_text(s, 5),
		    .kosmos = sqlite3_column_int(s, 6) != 0,
		    .network_type = store_col_text(s, 7),
		    .ip_family = store_col_text(s, 8),
		    .kubeconfig_file = store_col_text(s, 9),
		};

		if (cb(&c, ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(st, err, "list clusters");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

#define CLUSTER_UPDATE(set) "UPDATE clusters SET " set " WHERE name = ?1 AND removed_ms IS NULL"

/* Runs s, an UPDATE of the registered cluster name (bound here as ?1; the caller bound the
 * rest), and finalizes it: ERR_NOTFOUND when no such cluster is registered. */
static int cluster_update(struct store *st, sqlite3_stmt *s, const char *name, const char *what,
			  struct err *err)
{
	int rc = 0;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, what);
	else if (sqlite3_changes(st->db) == 0)
		rc = err_set(err, ERR_NOTFOUND, "no cluster named %s (see netctl cluster list)",
			     name);
	sqlite3_finalize(s);
	return rc;
}

int store_cluster_set_global_cidrs(struct store *st, const char *name, const char *global_cidrs,
				   struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, CLUSTER_UPDATE("global_cidrs = ?2"), err);

	if (!s)
		return -1;
	if (global_cidrs && *global_cidrs)
		sqlite3_bind_text(s, 2, global_cidrs, -1, SQLITE_STATIC);
	return cluster_update(st, s, name, "set global CIDRs", err);
}

int store_cluster_set_kosmos(struct store *st, const char *name, const char *network_type,
			     struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, CLUSTER_UPDATE("kosmos = 1, network_type = ?2"), err);

	if (!s)
		return -1;
	sqlite3_bind_text(s, 2, network_type, -1, SQLITE_STATIC);
	return cluster_update(st, s, name, "mark cluster as imported", err);
}

int store_cluster_set_ip_family(struct store *st, const char *name, const char *ip_family,
				struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, CLUSTER_UPDATE("ip_family = ?2"), err);

	if (!s)
		return -1;
	sqlite3_bind_text(s, 2, ip_family, -1, SQLITE_STATIC);
	return cluster_update(st, s, name, "set IP family", err);
}

int store_cluster_set_kubeconfig_file(struct store *st, const char *name, const char *path,
				      struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, CLUSTER_UPDATE("kubeconfig_file = ?2"), err);

	if (!s)
		return -1;
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	return cluster_update(st, s, name, "set kubeconfig file", err);
}

int store_cluster_remove(struct store *st, const char *name, struct err *err)
{
	sqlite3_stmt *s = store_prepare(st, CLUSTER_UPDATE("removed_ms = ?2"), err);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 2, time_wall_ms());
	return cluster_update(st, s, name, "remove cluster", err);
}
