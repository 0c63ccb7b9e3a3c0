/* store: a cursor over the results of a run in primary-key order; in a merged view it
 * k-way merges the runs of a resume chain, the newest run winning on equal keys. Only
 * the key and the error are read per step: the rest of a row is read when asked for,
 * which keeps a diff of two million-row runs cheap. */
#include <string.h>

#include "store_int.h"

#define SQL_RUN_RESULTS                                                                            \
	"SELECT src_node, dst_node, protocol, family, network, error, sent, received, "            \
	"rtt_min, rtt_avg, rtt_max, rtt_p99 FROM results WHERE run_id = ?1 "                       \
	"ORDER BY src_node, dst_node, protocol, family, network"

/* The key walk: columns 0-5 as above, then (enum store_key_extra) rtt_avg, sent,
 * received as columns 6, 7, 8. */
#define SQL_RUN_KEYS_COLS "SELECT src_node, dst_node, protocol, family, network, error"
#define SQL_RUN_KEYS_TAIL                                                                          \
	" FROM results WHERE run_id = ?1 ORDER BY src_node, dst_node, protocol, family, network"
#define SQL_RUN_KEYS	    SQL_RUN_KEYS_COLS SQL_RUN_KEYS_TAIL
#define SQL_RUN_KEYS_RTT    SQL_RUN_KEYS_COLS ", rtt_avg" SQL_RUN_KEYS_TAIL
#define SQL_RUN_KEYS_COUNTS SQL_RUN_KEYS_COLS ", rtt_avg, sent, received" SQL_RUN_KEYS_TAIL
#define SQL_ROW_LOOKUP                                                                             \
	"SELECT sent, received, rtt_min, rtt_avg, rtt_max, rtt_p99 FROM results "                  \
	"WHERE run_id = ?1 AND src_node = ?2 AND dst_node = ?3 AND protocol = ?4 AND "             \
	"family = ?5 AND network = ?6"

int store_key_cmp(const struct store_key *a, const struct store_key *b)
{
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->dst != b->dst)
		return a->dst < b->dst ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->network != b->network)
		return a->network < b->network ? -1 : 1;
	return 0;
}

static int run_cur_step(struct store *st, struct store_run_cur *rc, struct err *err)
{
	sqlite3_stmt *s = rc->stmt;
	int r = sqlite3_step(s);

	if (r == SQLITE_DONE) {
		rc->valid = false;
		return 0;
	}
	if (r != SQLITE_ROW)
		return store_fail(st, err, "read results");
	rc->valid = true;
	rc->key.src = sqlite3_column_int64(s, 0);
	rc->key.dst = sqlite3_column_int64(s, 1);
	rc->key.proto = sqlite3_column_int(s, 2);
	rc->key.family = sqlite3_column_int(s, 3);
	rc->key.network = sqlite3_column_int(s, 4);
	rc->error = sqlite3_column_int(s, 5);
	return 0;
}

static int cursor_open(struct store *st, struct store_cursor *c, int64_t run_id, bool merged,
		       const char *sql, struct err *err)
{
	c->cur = -1;
	c->db = st->db;
	c->n = merged && store_window_set(st)
		   ? store_window_chain(st, run_id, c->run_ids, STORE_CHAIN_MAX, err)
		   : store_run_chain(st, run_id, c->run_ids, STORE_CHAIN_MAX, err);
	if (c->n < 0) {
		c->n = 0;
		return -1;
	}
	if (!merged)
		c->n = 1;
	for (int i = 0; i < c->n; i++) {
		if (sqlite3_prepare_v2(st->db, sql, -1, &c->runs[i].stmt, NULL) != SQLITE_OK)
			return store_fail(st, err, "prepare results walk");
		sqlite3_bind_int64(c->runs[i].stmt, 1, c->run_ids[i]);
		if (run_cur_step(st, &c->runs[i], err) < 0)
			return -1;
	}
	return 0;
}

int store_cursor_open(struct store *st, struct store_cursor *c, int64_t run_id, bool merged,
		      struct err *err)
{
	memset(c, 0, sizeof(*c));
	return cursor_open(st, c, run_id, merged, SQL_RUN_RESULTS, err);
}

int store_cursor_open_keys(struct store *st, struct store_cursor *c, int64_t run_id, bool merged,
			   enum store_key_extra extra, struct err *err)
{
	static const char *const sql[] = {
	    [STORE_KEYS_ONLY] = SQL_RUN_KEYS,
	    [STORE_KEYS_RTT] = SQL_RUN_KEYS_RTT,
	    [STORE_KEYS_COUNTS] = SQL_RUN_KEYS_COUNTS,
	};

	memset(c, 0, sizeof(*c));
	c->keys_only = true;
	c->extra = extra;
	return cursor_open(st, c, run_id, merged, sql[extra], err);
}

int store_cursor_next(struct store *st, struct store_cursor *c, struct err *err)
{
	const struct store_key *min = NULL;
	int win = -1;

	if (c->pending && run_cur_step(st, &c->runs[c->cur], err) < 0)
		return -1;
	c->pending = false;
	for (int i = 0; i < c->n; i++) {
		if (!c->runs[i].valid)
			continue;
		if (!min || store_key_cmp(&c->runs[i].key, min) < 0) {
			min = &c->runs[i].key;
			win = i;
		}
	}
	c->cur = win;
	if (win < 0)
		return 0;
	/* Older runs' rows for the same key are shadowed by the winner: skip them. */
	for (int i = win + 1; i < c->n; i++)
		if (c->runs[i].valid && store_key_cmp(&c->runs[i].key, min) == 0 &&
		    run_cur_step(st, &c->runs[i], err) < 0)
			return -1;
	c->pending = true;
	return 1;
}

const struct store_key *store_cursor_key(const struct store_cursor *c)
{
	return &c->runs[c->cur].key;
}

int store_cursor_error(const struct store_cursor *c)
{
	return c->runs[c->cur].error;
}

int64_t store_cursor_run(const struct store_cursor *c)
{
	return c->run_ids[c->cur];
}

/* The figures of the current row of a key walk, by its primary key (one B-tree descent).
 * Returns the statement positioned on the row (columns sent .. rtt_p99 = 0 .. 5), or NULL
 * when the row is gone or SQLite fails (the figures then read as 0). */
static sqlite3_stmt *cursor_lookup(struct store_cursor *c)
{
	const struct store_run_cur *rc = &c->runs[c->cur];
	sqlite3_stmt *s = c->lookup;

	if (!s && sqlite3_prepare_v3(c->db, SQL_ROW_LOOKUP, -1, SQLITE_PREPARE_PERSISTENT,
				     &c->lookup, NULL) != SQLITE_OK)
		return NULL;
	s = c->lookup;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, c->run_ids[c->cur]);
	sqlite3_bind_int64(s, 2, rc->key.src);
	sqlite3_bind_int64(s, 3, rc->key.dst);
	sqlite3_bind_int(s, 4, rc->key.proto);
	sqlite3_bind_int(s, 5, rc->key.family);
	sqlite3_bind_int(s, 6, rc->key.network);
	return sqlite3_step(s) == SQLITE_ROW ? s : NULL;
}

uint32_t store_cursor_rtt_avg(struct store_cursor *c)
{
	sqlite3_stmt *s;

	if (!c->keys_only)
		return (uint32_t)sqlite3_column_int64(c->runs[c->cur].stmt, 9);
	if (c->extra != STORE_KEYS_ONLY)
		return (uint32_t)sqlite3_column_int64(c->runs[c->cur].stmt, 6);
	s = cursor_lookup(c);
	return s ? (uint32_t)sqlite3_column_int64(s, 3) : 0;
}

void store_cursor_counts(const struct store_cursor *c, uint32_t *sent, uint32_t *received)
{
	sqlite3_stmt *s = c->runs[c->cur].stmt;
	int col = c->keys_only ? 7 : 6; /* the full walk has sent, received at 6, 7 */

	*sent = (uint32_t)sqlite3_column_int64(s, col);
	*received = (uint32_t)sqlite3_column_int64(s, col + 1);
}

void store_cursor_row(struct store_cursor *c, struct store_result *r)
{
	const struct store_run_cur *rc = &c->runs[c->cur];
	sqlite3_stmt *s = rc->stmt;
	int col = 6;

	r->src_node = rc->key.src;
	r->dst_node = rc->key.dst;
	r->protocol = (uint8_t)rc->key.proto;
	r->family = (uint8_t)rc->key.family;
	r->network = (uint8_t)rc->key.network;
	r->error = (uint8_t)rc->error;
	if (c->keys_only) {
		s = cursor_lookup(c);
		col = 0;
	}
	r->sent = s ? (uint32_t)sqlite3_column_int64(s, col) : 0;
	r->received = s ? (uint32_t)sqlite3_column_int64(s, col + 1) : 0;
	r->rtt_min_us = s ? (uint32_t)sqlite3_column_int64(s, col + 2) : 0;
	r->rtt_avg_us = s ? (uint32_t)sqlite3_column_int64(s, col + 3) : 0;
	r->rtt_max_us = s ? (uint32_t)sqlite3_column_int64(s, col + 4) : 0;
	r->rtt_p99_us = s ? (uint32_t)sqlite3_column_int64(s, col + 5) : 0;
}

void store_cursor_close(struct store_cursor *c)
{
	for (int i = 0; i < c->n; i++)
		sqlite3_finalize(c->runs[i].stmt);
	sqlite3_finalize(c->lookup);
	c->lookup = NULL;
	c->n = 0;
}
