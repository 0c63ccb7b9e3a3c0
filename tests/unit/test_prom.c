/* src/prom: the text exposition format as a scraper reads it: HELP/TYPE lines, escaping,
 * cumulative histogram buckets, number formatting, and what a scraper would reject refused
 * at render time. `test_prom --write FILE` writes the exposition of test_everything_at_once
 * for `promtool check metrics` (ctest unit.prom_promtool). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "prom.h"

static struct buf out;
static struct prom_writer w;

static int setup(void **state)
{
	(void)state;
	buf_init(&out, 0);
	prom_writer_init(&w, &out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	prom_writer_release(&w);
	buf_release(&out);
	return 0;
}

static void assert_ok(void)
{
	struct err err = ERR_INIT;

	if (prom_writer_error(&w, &err))
		fail_msg("writer failed: %s", err.msg);
}

static void assert_failed(const char *needle)
{
	struct err err = ERR_INIT;

	assert_true(prom_writer_error(&w, &err));
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void test_gauge_with_labels(void **state)
{
	struct prom_label l[] = {{"cluster", "east"}, {"node", "east-node-1"}};

	(void)state;
	prom_family(&w, "netctl_things", PROM_GAUGE, "Things.");
	prom_sample(&w, l, 2, 3);
	prom_sample(&w, NULL, 0, 0.25);
	assert_ok();
	assert_string_equal(buf_str(&out),
			    "# HELP netctl_things Things.\n"
			    "# TYPE netctl_things gauge\n"
			    "netctl_things{cluster=\"east\",node=\"east-node-1\"} 3\n"
			    "netctl_things 0.25\n");
}

static void test_label_value_escaping(void **state)
{
	struct prom_label l[] = {{"a", "back\\slash \"quoted\"\nnext line"}};

	(void)state;
	prom_family(&w, "x", PROM_GAUGE, "help with \\ and\na newline, \"quotes\" stay");
	prom_sample(&w, l, 1, 1);
	assert_ok();
	assert_string_equal(buf_str(&out),
			    "# HELP x help with \\\\ and\\na newline, \"quotes\" stay\n"
			    "# TYPE x gauge\n"
			    "x{a=\"back\\\\slash \\\"quoted\\\"\\nnext line\"} 1\n");
}

static void test_empty_labels_left_out(void **state)
{
	struct prom_label l[] = {{"a", NULL}, {"b", "x"}, {"c", ""}};

	(void)state;
	prom_family(&w, "y", PROM_GAUGE, "Y.");
	prom_sample(&w, l, 3, 1);
	prom_sample(&w, l, 1, 2);
	assert_ok();
	assert_non_null(strstr(buf_str(&out), "\ny{b=\"x\"} 1\ny 2\n"));
}

static void test_histogram_cumulative(void **state)
{
	static const double bounds[] = {0.1, 0.5, 1};
	static const uint64_t counts[] = {1, 2, 0, 3}; /* 3 above the highest bound */
	struct prom_hist h = {bounds, 3, counts, 10.5};
	struct prom_label l = {"src", "east"};

	(void)state;
	prom_family(&w, "rtt_seconds", PROM_HISTOGRAM, "RTT.");
	prom_histogram(&w, &l, 1, &h);
	prom_histogram(&w, NULL, 0, &h);
	assert_ok();
	assert_string_equal(buf_str(&out), "# HELP rtt_seconds RTT.\n"
					   "# TYPE rtt_seconds histogram\n"
					   "rtt_seconds_bucket{src=\"east\",le=\"0.1\"} 1\n"
					   "rtt_seconds_bucket{src=\"east\",le=\"0.5\"} 3\n"
					   "rtt_seconds_bucket{src=\"east\",le=\"1\"} 3\n"
					   "rtt_seconds_bucket{src=\"east\",le=\"+Inf\"} 6\n"
					   "rtt_seconds_sum{src=\"east\"} 10.5\n"
					   "rtt_seconds_count{src=\"east\"} 6\n"
					   "rtt_seconds_bucket{le=\"0.1\"} 1\n"
					   "rtt_seconds_bucket{le=\"0.5\"} 3\n"
					   "rtt_seconds_bucket{le=\"1\"} 3\n"
					   "rtt_seconds_bucket{le=\"+Inf\"} 6\n"
					   "rtt_seconds_sum 10.5\n"
					   "rtt_seconds_count 6\n");
}

static void test_bucket_index(void **state)
{
	static const double b[] = {0.00001, 0.0001, 0.001};

	(void)state;
	assert_int_equal(prom_bucket_index(b, 3, 0), 0);
	assert_int_equal(prom_bucket_index(b, 3, 0.00001), 0); /* le: at the bound is in */
	assert_int_equal(prom_bucket_index(b, 3, 0.000011), 1);
	assert_int_equal(prom_bucket_index(b, 3, 0.001), 2);
	assert_int_equal(prom_bucket_index(b, 3, 0.0011), 3);
	assert_int_equal(prom_bucket_index(b, 3, 1e9), 3);
}

static void test_values(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0, "0"},
	    {-3, "-3"},
	    {1796645786, "1796645786"},
	    {0.1, "0.1"},
	    {1e-05, "1e-05"},
	    {2.5e-05, "2.5e-05"},
	    {1.0 / 3, "0.3333333333333333"},
	    {9007199254740992.0, "9007199254740992"},
	    {1e300, "1e+300"},
	};
	char s[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		prom_format_value(cases[i].v, s, sizeof(s));
		assert_string_equal(s, cases[i].text);
	}
	prom_format_value(NAN, s, sizeof(s));
	assert_string_equal(s, "NaN");
	prom_format_value(INFINITY, s, sizeof(s));
	assert_string_equal(s, "+Inf");
	prom_format_value(-INFINITY, s, sizeof(s));
	assert_string_equal(s, "-Inf");
}

static void test_names(void **state)
{
	(void)state;
	assert_true(prom_metric_name_valid("netctl_pairs_failed"));
	assert_true(prom_metric_name_valid("job:rate5m"));
	assert_false(prom_metric_name_valid("1abc"));
	assert_false(prom_metric_name_valid("a-b"));
	assert_false(prom_metric_name_valid(""));
	assert_true(prom_label_name_valid("src_cluster"));
	assert_false(prom_label_name_valid("__name__"));
	assert_false(prom_label_name_valid("a:b"));
	assert_false(prom_label_name_valid("9"));
}

static void test_family_twice_refused(void **state)
{
	(void)state;
	prom_family(&w, "z", PROM_GAUGE, "Z.");
	prom_sample(&w, NULL, 0, 1);
	prom_family(&w, "z", PROM_GAUGE, "Z.");
	assert_failed("family written twice");
}

static void test_counter_needs_total(void **state)
{
	(void)state;
	prom_family(&w, "requests", PROM_COUNTER, "R.");
	assert_failed("ends in _total");
	assert_int_equal(out.len, 0);
}

static void test_counter_not_negative(void **state)
{
	(void)state;
	prom_family(&w, "requests_total", PROM_COUNTER, "R.");
	prom_sample(&w, NULL, 0, -1);
	assert_failed("counter cannot be");
}

static void test_histogram_le_is_its_own(void **state)
{
	static const double bounds[] = {1};
	static const uint64_t counts[] = {1, 1};
	struct prom_hist h = {bounds, 1, counts, 2};
	struct prom_label l = {"le", "x"};

	(void)state;
	prom_family(&w, "h_seconds", PROM_HISTOGRAM, "H.");
	prom_histogram(&w, &l, 1, &h);
	assert_failed("'le' is its own");
}

static void test_bounds_must_rise(void **state)
{
	static const double bounds[] = {1, 1};
	static const uint64_t counts[] = {1, 1, 1};
	struct prom_hist h = {bounds, 2, counts, 2};

	(void)state;
	prom_family(&w, "h_seconds", PROM_HISTOGRAM, "H.");
	prom_histogram(&w, NULL, 0, &h);
	assert_failed("must rise");
}

static void test_label_twice_and_bad_names(void **state)
{
	struct prom_label twice[] = {{"a", "1"}, {"a", "2"}};

	(void)state;
	prom_family(&w, "g", PROM_GAUGE, "G.");
	prom_sample(&w, twice, 2, 1);
	assert_failed("label a given twice");
	teardown(NULL);
	setup(NULL);
	prom_family(&w, "bad-name", PROM_GAUGE, "G.");
	assert_failed("not a metric name");
	teardown(NULL);
	setup(NULL);
	prom_sample(&w, NULL, 0, 1);
	assert_failed("before any family");
}

static void test_first_error_sticks(void **state)
{
	(void)state;
	prom_family(&w, "h", PROM_HISTOGRAM, "H.");
	prom_sample(&w, NULL, 0, 1);
	assert_failed("takes prom_histogram");
	assert_int_equal(prom_family(&w, "ok", PROM_GAUGE, "OK."), -1);
	assert_failed("takes prom_histogram");
	assert_null(strstr(buf_str(&out), "ok"));
}

static void test_limit(void **state)
{
	struct buf small;
	struct prom_writer ws;
	struct err err = ERR_INIT;

	(void)state;
	buf_init(&small, 40);
	prom_writer_init(&ws, &small);
	prom_family(&ws, "a_rather_long_metric_name", PROM_GAUGE,
		    "And a help text that does not fit.");
	assert_true(prom_writer_error(&ws, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	prom_writer_release(&ws);
	buf_release(&small);
}

/* What ctest's promtool run reads: every kind of series, awkward label values included. */
static void write_everything(struct prom_writer *pw)
{
	static const double bounds[] = {0.00001, 0.0001, 0.001, 0.01, 0.1, 1};
	static const uint64_t counts[] = {0, 5, 90, 4, 1, 0, 0};
	struct prom_hist h = {bounds, 6, counts, 0.07};
	struct prom_label l[] = {{"node", "odd \"name\" \\ with\nnewline"}, {"cluster", "east"}};

	prom_family(pw, "netctl_test_requests_total", PROM_COUNTER, "Requests, a counter.");
	prom_sample(pw, l, 2, 12);
	prom_family(pw, "netctl_test_ratio", PROM_GAUGE, "A gauge with \\ and\nnewline in help.");
	prom_sample(pw, l + 1, 1, 0.125);
	prom_sample(pw, NULL, 0, NAN);
	prom_family(pw, "netctl_test_rtt_seconds", PROM_HISTOGRAM, "A histogram.");
	prom_histogram(pw, l, 2, &h);
}

static void test_everything_at_once(void **state)
{
	(void)state;
	write_everything(&w);
	assert_ok();
	assert_non_null(strstr(buf_str(&out), "netctl_test_rtt_seconds_bucket{node=\"odd "
					      "\\\"name\\\" \\\\ with\\nnewline\",cluster=\"east\","
					      "le=\"0.001\"} 95\n"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gauge_with_labels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_value_escaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_labels_left_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_histogram_cumulative, setup, teardown),
	    cmocka_unit_test(test_bucket_index),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_family_twice_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counter_needs_total, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counter_not_negative, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_histogram_le_is_its_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds_must_rise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_label_twice_and_bad_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_error_sticks, setup, teardown),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test_setup_teardown(test_everything_at_once, setup, teardown),
	};

	if (argc == 3 && !strcmp(argv[1], "--write")) {
		FILE *f = fopen(argv[2], "w");
		struct err err = ERR_INIT;

		setup(NULL);
		write_everything(&w);
		if (!f || prom_writer_error(&w, &err) || fputs(buf_str(&out), f) < 0 ||
		    fclose(f) != 0) {
			fprintf(stderr, "test_prom --write %s failed: %s\n", argv[2], err.msg);
			return 1;
		}
		teardown(NULL);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
