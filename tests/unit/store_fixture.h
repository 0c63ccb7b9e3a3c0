/* The store tests' fixture (test_store_*.c): each test gets a store path in a temporary
 * directory of its own, removed afterwards; fx_open_world fills it with two clusters. */
#ifndef NETCTL_TESTS_STORE_FIXTURE_H
#define NETCTL_TESTS_STORE_FIXTURE_H

#include <stdint.h>

#include "store.h"

struct fx {
	char dir[64];
	char *path;
	struct store *st;
	int64_t east, west;
	int64_t e[4], w[4]; /* node ids */
};

/* cmocka setup and teardown: *state is a struct fx, its store not yet opened. */
int fx_setup(void **state);
int fx_teardown(void **state);

void fx_open_store(struct fx *f);
/* Opens the store with clusters east and west (context admin) registered. */
void fx_open_world(struct fx *f);
/* A run of east (source) to west (destination), parent 0 or the run it resumes, with
 * nodes e-0..e-3 and w-0..w-3 (ids in f->e, f->w; the same ids in every run). */
int64_t fx_begin_run(struct fx *f, int64_t parent, unsigned protocols);
/* A TCP, IPv4, pod-network result of 3 probes: all answered for PROBE_OK (rtt_avg_us rtt,
 * min and max 10 µs either side), none otherwise. */
struct store_result fx_result(int64_t src, int64_t dst, int error, uint32_t rtt);
void fx_add(struct fx *f, int64_t run, const struct store_result *rows, size_t n);
void fx_finish(struct fx *f, int64_t run);
/* Runs SQL on the store file through a connection of its own, as a user's sqlite3 would. */
void fx_sql(const char *path, const char *text);

/* store_results_foreach callbacks. Appends "east/e-0>west/w-1 tcp ok 700;" to a struct buf. */
int fx_collect_rows(const struct store_result_row *row, void *ctx);
/* Counts into int[3]: rows, failed rows, rows with rtt_avg_us 777. */
int fx_count_failed(const struct store_result_row *row, void *ctx);

#endif
