/* The store tests' fixture: a store file in a temporary directory, two clusters and a
 * run of 4 + 4 nodes, results made to order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	str_copy(f->dir, sizeof(f->dir), "/tmp/netctl-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = xasprintf("%s/netctl.db", f->dir);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->path);
	free(f);
	return 0;
}

void fx_open_store(struct fx *f)
{
	struct err err = ERR_INIT;

	f->st = store_open(f->path, &err);
	if (!f->st)
		fail_msg("store_open: %s", err.msg);
}

void fx_open_world(struct fx *f)
{
	struct err err = ERR_INIT;

	fx_open_store(f);
	assert_int_equal(store_cluster_add(f->st, "east", "/k/east", NULL, &f->east, &err), 0);
	assert_int_equal(store_cluster_add(f->st, "west", "/k/west", "admin", &f->west, &err), 0);
}

int64_t fx_begin_run(struct fx *f, int64_t parent, unsigned protocols)
{
	struct store_run_cluster cl[] = {{f->east, STORE_ROLE_SRC}, {f->west, STORE_ROLE_DST}};
	struct store_run_spec spec = {
	    .parent_id = parent,
	    .options_json = "{\"count\":3}",
	    .protocols = protocols,
	    .families = STORE_FAMILY_V4,
	    .networks = 1u << STORE_NET_POD,
	    .clusters = cl,
	    .n_clusters = 2,
	    .planned = 16,
	};
	struct store_node nodes[8];
	char names[8][32];
	struct err err = ERR_INIT;
	int64_t id = store_run_begin(f->st, &spec, &err);

	if (id <= 0)
		fail_msg("store_run_begin: %s", err.msg);
	for (int i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%d", i < 4 ? "e" : "w", i % 4);
		nodes[i] = (struct store_node){
		    .cluster_id = i < 4 ? f->east : f->west,
		    .name = names[i],
		    .pod_ipv4 = "198.18.1.1",
		    .pod_ipv6 = i == 0 ? NULL : "fd00::1",
		    .floater = STORE_FLOATER_READY,
		};
	}
	if (store_run_nodes_add(f->st, id, nodes, 8, &err) < 0)
		fail_msg("store_run_nodes_add: %s", err.msg);
	for (int i = 0; i < 4; i++) {
		f->e[i] = nodes[i].id;
		f->w[i] = nodes[4 + i].id;
	}
	return id;
}

struct store_result fx_result(int64_t src, int64_t dst, int error, uint32_t rtt)
{
	return (struct store_result){
	    .src_node = src,
	    .dst_node = dst,
	    .protocol = PROTO_TCP,
	    .family = 4,
	    .network = STORE_NET_POD,
	    .error = (uint8_t)error,
	    .sent = 3,
	    .received = error == PROBE_OK ? 3 : 0,
	    .rtt_min_us = error == PROBE_OK ? rtt - 10 : 0,
	    .rtt_avg_us = error == PROBE_OK ? rtt : 0,
	    .rtt_max_us = error == PROBE_OK ? rtt + 10 : 0,
	    .rtt_p99_us = error == PROBE_OK ? rtt + 10 : 0,
	};
}

void fx_add(struct fx *f, int64_t run, const struct store_result *rows, size_t n)
{
	struct err err = ERR_INIT;

	if (store_results_add(f->st, run, rows, n, &err) < 0)
		fail_msg("store_results_add: %s", err.msg);
}

void fx_finish(struct fx *f, int64_t run)
{
	struct err err = ERR_INIT;

	assert_int_equal(store_run_finish(f->st, run, STORE_RUN_DONE, &err), 0);
}

void fx_sql(const char *path, const char *text)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", text, sqlite3_errmsg(db));
	sqlite3_close(db);
}

int fx_collect_rows(const struct store_result_row *row, void *ctx)
{
	(void)!buf_printf(ctx, "%s/%s>%s/%s %s %s %u;", row->src_cluster, row->src_name,
			  row->dst_cluster, row->dst_name, probe_protocol_name(row->r.protocol),
			  probe_error_name(row->r.error), row->r.rtt_avg_us);
	return 0;
}

int fx_count_failed(const struct store_result_row *row, void *ctx)
{
	int *n = ctx;

	n[0]++;
	n[1] += row->r.error != PROBE_OK;
	n[2] += row->r.rtt_avg_us == 777;
	return 0;
}
