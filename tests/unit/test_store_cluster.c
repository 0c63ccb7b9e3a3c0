/* store: registered clusters (cluster.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

static int list_names(const struct store_cluster *c, void *ctx)
{
	(void)!buf_printf(ctx, "%s=%s%s%s;", c->name, c->kubeconfig, c->context ? "@" : "",
			  c->context ? c->context : "");
	return 0;
}

static void test_clusters_add_list_remove(void **state)
{
	struct fx *f = *state;
	struct err err = ERR_INIT;
	struct store_cluster *c;
	struct buf b;
	int64_t id;

	fx_open_world(f);
	assert_int_equal(store_cluster_add(f->st, "east", "/x", NULL, &id, &err), -1);
	assert_int_equal(err.code, ERR_EXISTS);
	assert_int_equal(store_cluster_add(f->st, "", "/x", NULL, &id, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	buf_init(&b, 0);
	assert_int_equal(store_cluster_list(f->st, list_names, &b, &err), 0);
	assert_string_equal(b.data, "east=/k/east;west=/k/west@admin;");
	c = store_cluster_get(f->st, "west", &err);
	assert_non_null(c);
	assert_int_equal(c->id, f->west);
	assert_string_equal(c->context, "admin");
	assert_true(c->added_ms > 0);
	store_cluster_free(c);

	assert_int_equal(store_cluster_remove(f->st, "west", &err), 0);
	assert_null(store_cluster_get(f->st, "west", &err));
	assert_int_equal(err.code, ERR_NOTFOUND);
	assert_int_equal(store_cluster_remove(f->st, "west", &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	buf_reset(&b);
	assert_int_equal(store_cluster_list(f->st, list_names, &b, &err), 0);
	assert_string_equal(b.data, "east=/k/east;");
	/* Added again: same id, so its nodes and past runs line up. */
	assert_int_equal(store_cluster_add(f->st, "west", "/k/new", NULL, &id, &err), 0);
	assert_int_equal(id, f->west);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clusters_add_list_remove, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
