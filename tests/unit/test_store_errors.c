/* Store errors as a user reads them: every one names the store file, and a full disk
 * (simulated with SQLite's max_page_count, which fails writes the same way) says what to
 * do. The real full file system is in tests/cli (part full). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "store_int.h"

#define NODES 32

struct fx {
	char dir[64], path[96];
	struct store *st;
	int64_t run, nodes[NODES];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_run_spec spec = {.protocols = 1u << PROTO_TCP,
				      .families = STORE_FAMILY_V4,
				      .networks = 1u << STORE_NET_POD};
	struct store_run_cluster rc = {.roles = STORE_ROLE_SRC | STORE_ROLE_DST};
	struct store_node nodes[NODES] = {0};
	char names[NODES][8];
	struct err err = ERR_INIT;

	str_copy(f->dir, sizeof(f->dir), "/tmp/netctl-test-store-errors-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/netctl.db", f->dir);
	f->st = store_open(f->path, &err);
	if (!f->st || store_cluster_add(f->st, "east", "/dev/null", NULL, &rc.cluster_id, &err) < 0)
		goto fail;
	spec.clusters = &rc;
	spec.n_clusters = 1;
	f->run = store_run_begin(f->st, &spec, &err);
	for (int i = 0; i < NODES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		nodes[i].name = names[i];
		nodes[i].cluster_id = rc.cluster_id;
	}
	if (f->run < 0 || store_run_nodes_add(f->st, f->run, nodes, NODES, &err) < 0)
		goto fail;
	for (int i = 0; i < NODES; i++)
		f->nodes[i] = nodes[i].id;
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", err.msg);
	return -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	store_close(f->st);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* 20,000 results (each node pair x protocol x family x network): more pages than the
 * file has room for once it may not grow. */
static int add_results(struct fx *f, struct err *err)
{
	struct store_result *rows = xcalloc(20000, sizeof(*rows));
	size_t n = 0;
	int rc;

	for (int s = 0; s < NODES; s++)
		for (int d = 0; d < NODES; d++)
			for (int k = 0; k < PROTO_MAX * 2 * STORE_NET_MAX && n < 20000; k++) {
				if (s == d)
					continue;
				rows[n].src_node = f->nodes[s];
				rows[n].dst_node = f->nodes[d];
				rows[n].protocol = (uint8_t)(k % PROTO_MAX);
				rows[n].family = k / PROTO_MAX % 2 ? 6 : 4;
				rows[n].network = (uint8_t)(k / PROTO_MAX / 2);
				rows[n].sent = rows[n].received = 3;
				n++;
			}
	rc = store_results_add(f->st, f->run, rows, n, err);
	free(rows);
	return rc;
}

static void test_full_disk_names_the_file_and_the_way_out(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char want[160];

	/* The file may not grow beyond what it has (the pragma clamps to the current size). */
	assert_int_equal(store_exec(f->st, "PRAGMA max_page_count = 1", &err), 0);
	assert_int_equal(add_results(f, &err), -1);
	print_message("  %s\n", err.msg);
	assert_int_equal(err.code, ERR_STORE);
	assert_non_null(strstr(err.msg, "database or disk is full"));
	snprintf(want, sizeof(want), "no room for the store %s: free space on its file system",
		 f->path);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "--db FILE or NETCTL_DB"));

	/* Nothing of the batch was kept, and with room again the same batch goes in. */
	assert_int_equal(store_exec(f->st, "PRAGMA max_page_count = 1073741823", &err), 0);
	assert_int_equal(add_results(f, &err), 0);
}

/* Any other store error names the file too. */
static void test_store_error_names_the_file(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	char want[128];

	assert_int_equal(store_exec(f->st, "PRAGMA query_only = ON", &err), 0);
	assert_int_equal(store_cluster_add(f->st, "west", "/dev/null", NULL, NULL, &err), -1);
	print_message("  %s\n", err.msg);
	assert_int_equal(err.code, ERR_STORE);
	snprintf(want, sizeof(want), "(store %s)", f->path);
	assert_non_null(strstr(err.msg, want));
	assert_null(strstr(err.msg, "no room"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full_disk_names_the_file_and_the_way_out, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_store_error_names_the_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
