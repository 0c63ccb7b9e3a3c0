/* The UDP echo's authentication: SipHash-2-4 against the reference vectors, the keyed
 * header, the key file (rotation, grace, fail closed) and the per-source rate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "floater.h"

static const uint8_t ref_key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void hex_le64(uint64_t v, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

/* The reference implementation's vectors.h (key 00..0f, message 00..len-1); the 15-byte
 * one is the SipHash paper's Appendix A. OpenSSL's SIPHASH MAC agrees. */
static void test_siphash_reference_vectors(void **state)
{
	static const struct {
		size_t len;
		const char *tag;
	} v[] = {
	    {0, "310e0edd47db6f72"},  {1, "fd67dc93c539f874"},	{7, "37d1018bf50002ab"},
	    {8, "6224939a79f5f593"},  {15, "e545be4961ca29a1"}, {16, "db9bc2577fcc2a3f"},
	    {63, "724506eb4c328a95"},
	};
	uint8_t msg[64];
	char hex[17];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hex_le64(siphash24(ref_key, msg, v[i].len), hex);
		assert_string_equal(hex, v[i].tag);
	}
}

static void sealed(uint8_t *d, size_t len, const uint8_t *key, uint32_t now_s)
{
	uint32_t magic = 0x4e436675u;

	memset(d, 0, len);
	memcpy(d, &magic, 4);
	d[7] = 42; /* some cookie */
	echoauth_seal(key, d, len, now_s);
}

/* A sealed header passes; any changed header byte, another length, another key fail. */
static void test_tag_covers_header_and_length(void **state)
{
	uint8_t other[16] = {1}, d[100];

	(void)state;
	sealed(d, sizeof(d), ref_key, 1000);
	assert_true(echoauth_tag_ok(ref_key, d, sizeof(d)));
	assert_false(echoauth_tag_ok(other, d, sizeof(d)));
	assert_false(echoauth_tag_ok(ref_key, d, sizeof(d) - 1)); /* cut short */
	assert_false(echoauth_tag_ok(ref_key, d, ECHO_HDR_LEN));  /* padding taken off */
	assert_false(echoauth_tag_ok(ref_key, d, ECHO_HDR_LEN - 1));
	for (size_t i = 0; i < ECHO_HDR_LEN; i++) {
		d[i] ^= 0x01;
		assert_false(echoauth_tag_ok(ref_key, d, sizeof(d)));
		d[i] ^= 0x01;
	}
	d[ECHO_HDR_LEN] = 1; /* the padding is not covered: only its length is */
	assert_true(echoauth_tag_ok(ref_key, d, sizeof(d)));
}

/* The prober's clock may be ECHO_MAX_SKEW_S either side, across the 2^32 wrap too. */
static void test_fresh_window(void **state)
{
	uint8_t d[ECHO_HDR_LEN];

	(void)state;
	sealed(d, sizeof(d), ref_key, 1000000);
	assert_true(echoauth_fresh(d, 1000000));
	assert_true(echoauth_fresh(d, 1000000 + ECHO_MAX_SKEW_S));
	assert_true(echoauth_fresh(d, 1000000 - ECHO_MAX_SKEW_S));
	assert_false(echoauth_fresh(d, 1000000 + ECHO_MAX_SKEW_S + 1));
	assert_false(echoauth_fresh(d, 1000000 - ECHO_MAX_SKEW_S - 1));
	assert_false(echoauth_fresh(d, 1000000 + 86400));
	sealed(d, sizeof(d), ref_key, UINT32_MAX - 10);
	assert_true(echoauth_fresh(d, 20));
}

static void test_key_file_text(void **state)
{
	uint8_t key[16];

	(void)state;
	assert_int_equal(echoauth_key_parse("000102030405060708090a0b0c0d0e0f\n", 33, key), 0);
	assert_memory_equal(key, ref_key, 16);
	assert_int_equal(echoauth_key_parse("000102030405060708090A0B0C0D0E0F", 32, key), 0);
	assert_memory_equal(key, ref_key, 16);
	assert_int_equal(echoauth_key_parse("000102030405060708090a0b0c0d0e0", 31, key), -1);
	assert_int_equal(echoauth_key_parse("000102030405060708090a0b0c0d0e0f0", 33, key), -1);
	assert_int_equal(echoauth_key_parse("000102030405060708090a0b0c0d0e0g", 32, key), -1);
	assert_int_equal(echoauth_key_parse("", 0, key), -1);
}

/* 100/s: 100 at once, then one per 10 ms; another address has its own bucket; an idle
 * address never holds more than one second's worth. */
static void test_source_rate_limit(void **state)
{
	static struct srclimit l;
	uint8_t a[16] = {0xfd, 0, 1}, b[16] = {0xfd, 0, 2};
	int64_t t = 5000000;
	int n = 0;

	(void)state;
	srclimit_init(&l, 100, ref_key);
	while (srclimit_allow(&l, a, t))
		n++;
	assert_int_equal(n, 100);
	assert_true(srclimit_allow(&l, b, t));
	assert_false(srclimit_allow(&l, a, t + 5000));
	assert_true(srclimit_allow(&l, a, t + 10000));
	assert_false(srclimit_allow(&l, a, t + 10000));
	t += 60000000;
	for (n = 0; srclimit_allow(&l, a, t); n++)
		;
	assert_int_equal(n, 100);
}

struct keyfile {
	char dir[64];
	char path[96];
};

static void key_write(struct keyfile *kf, const char *text)
{
	char tmp[128];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", kf->path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, kf->path), 0); /* a new inode, as the kubelet's swap */
}

static enum echo_verdict check(struct echo_keys *k, const uint8_t *key, int64_t now_us)
{
	uint8_t d[64];

	sealed(d, sizeof(d), key, 1000);
	return echokey_check(k, d, sizeof(d), 1000, now_us, NULL);
}

/* A new key takes over at the next look (at most a second later); the previous one is
 * still accepted for 300 s, then not; an unreadable or malformed file signs nothing. */
static void test_key_rotation_and_grace(void **state)
{
	static const uint8_t key2[16] = {0xaa, 0xbb};
	struct keyfile kf;
	struct echo_keys k;
	int64_t t = 10000000;

	(void)state;
	snprintf(kf.dir, sizeof(kf.dir), "/tmp/netctl-test-echokey-XXXXXX");
	assert_non_null(mkdtemp(kf.dir));
	snprintf(kf.path, sizeof(kf.path), "%s/echo-key", kf.dir);
	echokey_init(&k, kf.path, t);
	assert_null(echokey_current(&k, t)); /* no file: nothing to sign with */
	assert_int_equal(check(&k, ref_key, t), ECHO_NO_KEY);

	key_write(&kf, "000102030405060708090a0b0c0d0e0f\n");
	t += 1100000;
	assert_int_equal(check(&k, ref_key, t), ECHO_OK);
	assert_memory_equal(echokey_current(&k, t), ref_key, 16);
	assert_int_equal(check(&k, key2, t), ECHO_BAD_MAC);

	key_write(&kf, "aabb0000000000000000000000000000");
	assert_int_equal(check(&k, key2, t + 1000), ECHO_BAD_MAC); /* looked at once a second */
	t += 1100000;
	assert_int_equal(check(&k, key2, t), ECHO_OK);
	assert_int_equal(check(&k, ref_key, t), ECHO_OK); /* the previous, in its grace */
	assert_memory_equal(echokey_current(&k, t), key2, 16);
	t += 299000000;
	assert_int_equal(check(&k, ref_key, t), ECHO_OK);
	t += 2000000;
	assert_int_equal(check(&k, ref_key, t), ECHO_BAD_MAC); /* grace over */
	assert_int_equal(check(&k, key2, t), ECHO_OK);

	key_write(&kf, "not a key\n");
	t += 1100000;
	assert_null(echokey_current(&k, t));
	assert_int_equal(check(&k, key2, t), ECHO_OK); /* the previous, in its grace */
	unlink(kf.path);
	t += 400000000;
	assert_int_equal(check(&k, key2, t), ECHO_NO_KEY);
	assert_int_equal(rmdir(kf.dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_reference_vectors),
	    cmocka_unit_test(test_tag_covers_header_and_length),
	    cmocka_unit_test(test_fresh_window),
	    cmocka_unit_test(test_key_file_text),
	    cmocka_unit_test(test_source_rate_limit),
	    cmocka_unit_test(test_key_rotation_and_grace),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
