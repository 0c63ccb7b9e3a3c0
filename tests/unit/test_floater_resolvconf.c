/* floater/resolvconf.c: the pod's nameservers as glibc takes them from resolv.conf (the
 * files a kubelet writes, and odd ones), which netctl's default DNS check asks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolvconf.h"

static void parse(const char *text, struct resolv_conf *rc)
{
	resolv_conf_parse(text, strlen(text), rc);
}

static void test_kubelet_file(void **state)
{
	struct resolv_conf rc;

	(void)state;
	parse("search kosmos-system.svc.cluster.local svc.cluster.local cluster.local\n"
	      "nameserver 198.18.241.10\n"
	      "nameserver fd00:18:1:53::a\n"
	      "options ndots:5\n",
	      &rc);
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.addr[0], "198.18.241.10");
	assert_string_equal(rc.addr[1], "fd00:18:1:53::a");
	assert_int_equal(rc.scoped, 0);
}

static void test_comments_blanks_and_other_keywords(void **state)
{
	struct resolv_conf rc;

	(void)state;
	parse("# nameserver 10.0.0.1\n"
	      "; nameserver 10.0.0.2\n"
	      "  nameserver 10.0.0.3\n" /* not at the line's start: glibc skips it */
	      "nameservers 10.0.0.4\n"
	      "nameserver\n"
	      "nameserver    \t\n"
	      "nameserver not-an-address\n"
	      "domain cluster.local\n"
	      "options timeout:1 attempts:2 rotate\n"
	      "nameserver\t10.96.0.10   # the cluster DNS\r\n"
	      "nameserver FD00:0018:0000:0053:0000:0000:0000:000A",
	      &rc); /* no newline at the end */
	assert_int_equal(rc.n, 2);
	assert_string_equal(rc.addr[0], "10.96.0.10");
	assert_string_equal(rc.addr[1], "fd00:18:0:53::a");
}

static void test_three_at_most_scoped_counted(void **state)
{
	struct resolv_conf rc;

	(void)state;
	parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"
	      "nameserver 10.0.0.4\n",
	      &rc);
	assert_int_equal(rc.n, RESOLV_MAX_NS);
	assert_string_equal(rc.addr[2], "10.0.0.3");
	/* a scoped address is one of glibc's three, but no probe target */
	parse("nameserver fe80::1%eth0\nnameserver 10.0.0.1\nnameserver fe80::2%2\n"
	      "nameserver 10.0.0.9\n",
	      &rc);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.addr[0], "10.0.0.1");
	assert_int_equal(rc.scoped, 2);
	/* an empty scope or an address too long is no address */
	parse("nameserver fe80::1%\nnameserver "
	      "0000:0000:0000:0000:0000:0000:0000:0000:0000:0001\nnameserver ::1\n",
	      &rc);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.addr[0], "::1");
	assert_int_equal(rc.scoped, 0);
}

static void test_bounded(void **state)
{
	struct resolv_conf rc;
	size_t len = 2 * RESOLV_MAX_BYTES;
	char *big = malloc(len);

	(void)state;
	assert_non_null(big);
	/* a NUL inside a line, and a line with no end, read no further than len */
	parse("nameserver 10.0.0.1\0 junk\n", &rc);
	assert_int_equal(rc.n, 1);
	resolv_conf_parse("nameserver 10.0.0.12", 19, &rc);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.addr[0], "10.0.0.1");
	/* past RESOLV_MAX_BYTES nothing is read */
	memset(big, '#', len);
	memcpy(big + RESOLV_MAX_BYTES + 1, "\nnameserver 10.0.0.1\n", 21);
	resolv_conf_parse(big, len, &rc);
	assert_int_equal(rc.n, 0);
	free(big);
}

static void test_files(void **state)
{
	char path[] = "/tmp/netctl-resolv-XXXXXX";
	struct resolv_conf rc;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("nameserver 198.18.241.10\nnameserver fd00:18:1:53::a\n", f);
	fclose(f);
	assert_int_equal(resolv_conf_read(path, &rc), 0);
	assert_int_equal(rc.n, 2);
	unlink(path);
	/* a missing file: no nameservers, and errno says why */
	assert_int_equal(resolv_conf_read(path, &rc), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(rc.n, 0);
	/* a directory cannot be read */
	assert_int_equal(resolv_conf_read("/tmp", &rc), -1);
	assert_int_equal(rc.n, 0);
	/* an empty file names none */
	assert_int_equal(resolv_conf_read("/dev/null", &rc), 0);
	assert_int_equal(rc.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kubelet_file),
	    cmocka_unit_test(test_comments_blanks_and_other_keywords),
	    cmocka_unit_test(test_three_at_most_scoped_counted),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
