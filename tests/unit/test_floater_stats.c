/* floater stats (p99, loss) and error classification. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank p99 computed the obvious way, to check the bounded one against. */
static uint32_t reference_p99(uint32_t *v, uint32_t n)
{
	uint32_t rank;

	qsort(v, n, sizeof(*v), cmp_u32);
	rank = (uint32_t)((99 * (uint64_t)n + 99) / 100);
	return v[rank - 1];
}

static void test_p99_matches_reference(void **state)
{
	uint32_t v[1000], copy[1000];

	srand(12345);
	for (uint32_t n = 1; n <= 1000; n += (n < 120 ? 1 : 37)) {
		struct rtt_stats s;
		uint64_t sum = 0;
		uint32_t min = UINT32_MAX, max = 0;

		stats_init(&s);
		for (uint32_t i = 0; i < n; i++) {
			v[i] = (uint32_t)(rand() % 5000) + 1;
			/* ties are common in real RTTs */
			if (i % 7 == 0 && i)
				v[i] = v[i - 1];
			stats_add_rtt(&s, v[i]);
			sum += v[i];
			min = v[i] < min ? v[i] : min;
			max = v[i] > max ? v[i] : max;
		}
		memcpy(copy, v, n * sizeof(*v));
		assert_int_equal(stats_p99(&s), reference_p99(copy, n));
		assert_int_equal(s.min_us, min);
		assert_int_equal(s.max_us, max);
		assert_int_equal(stats_avg(&s), (uint32_t)(sum / n));
	}
}

static void test_p99_known_values(void **state)
{
	struct rtt_stats s;

	stats_init(&s);
	for (uint32_t i = 1000; i >= 1; i--)
		stats_add_rtt(&s, i);
	assert_int_equal(stats_p99(&s), 990); /* 990th of 1..1000 */
	stats_init(&s);
	for (uint32_t i = 1; i <= 100; i++)
		stats_add_rtt(&s, i * 10);
	assert_int_equal(stats_p99(&s), 990);
	stats_init(&s);
	assert_int_equal(stats_p99(&s), 0);
	assert_int_equal(stats_avg(&s), 0);
}

static void test_verdicts(void **state)
{
	struct rtt_stats s;

	stats_init(&s);
	s.sent = 3;
	for (int i = 0; i < 3; i++)
		stats_add_rtt(&s, 100);
	assert_int_equal(stats_verdict(&s), PROBE_OK);

	stats_init(&s);
	s.sent = 200;
	for (int i = 0; i < 140; i++)
		stats_add_rtt(&s, 100);
	stats_add_error(&s, PROBE_TIMEOUT);
	assert_int_equal(stats_verdict(&s), PROBE_LOSS);

	stats_init(&s);
	s.sent = 3;
	stats_add_error(&s, PROBE_TIMEOUT);
	assert_int_equal(stats_verdict(&s), PROBE_TIMEOUT);
	/* An active answer explains more than silence. */
	stats_add_error(&s, PROBE_UNREACHABLE);
	assert_int_equal(stats_verdict(&s), PROBE_UNREACHABLE);
	stats_add_error(&s, PROBE_REFUSED);
	assert_int_equal(stats_verdict(&s), PROBE_REFUSED);
	stats_add_error(&s, PROBE_MTU);
	assert_int_equal(stats_verdict(&s), PROBE_MTU);

	stats_init(&s);
	assert_int_equal(stats_verdict(&s), PROBE_TIMEOUT); /* nothing sent is not ok */
}

static void test_error_classification(void **state)
{
	assert_int_equal(errno_to_probe_error(0, PROTO_TCP), PROBE_OK);
	assert_int_equal(errno_to_probe_error(ECONNREFUSED, PROTO_TCP), PROBE_REFUSED);
	assert_int_equal(errno_to_probe_error(ECONNREFUSED, PROTO_UDP), PROBE_REFUSED);
	/* port-unreachable for an echo request: the host is not answering pings */
	assert_int_equal(errno_to_probe_error(ECONNREFUSED, PROTO_ICMP), PROBE_UNREACHABLE);
	assert_int_equal(errno_to_probe_error(ECONNRESET, PROTO_TCP), PROBE_RESET);
	assert_int_equal(errno_to_probe_error(EHOSTUNREACH, PROTO_ICMP), PROBE_UNREACHABLE);
	assert_int_equal(errno_to_probe_error(ENETUNREACH, PROTO_UDP), PROBE_UNREACHABLE);
	assert_int_equal(errno_to_probe_error(EACCES, PROTO_TCP), PROBE_UNREACHABLE);
	assert_int_equal(errno_to_probe_error(EMSGSIZE, PROTO_ICMP), PROBE_MTU);
	assert_int_equal(errno_to_probe_error(EMSGSIZE, PROTO_UDP), PROBE_MTU);
	assert_int_equal(errno_to_probe_error(ETIMEDOUT, PROTO_TCP), PROBE_TIMEOUT);
	assert_int_equal(errno_to_probe_error(EMFILE, PROTO_TCP), PROBE_OTHER);
	assert_string_equal(probe_error_name(errno_to_probe_error(EMSGSIZE, PROTO_UDP)),
			    "message-too-long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_p99_matches_reference),
	    cmocka_unit_test(test_p99_known_values),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_error_classification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
