/* config: defaults, NetDoctor files, every bad file refused naming its field, flags over
 * file values, `~` expansion, init's file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define CFG_DIR FIXTURES_DIR "/config"

static unsigned proto_bit(enum probe_protocol p)
{
	return 1u << p;
}

static void load_ok(struct config *c, const char *name)
{
	struct err err = ERR_INIT;
	char *path = xasprintf("%s/good/%s", CFG_DIR, name);

	config_init(c);
	if (config_load_file(c, path, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	free(path);
}

static void test_defaults_are_netdoctors(void **state)
{
	struct config c;

	config_init(&c);
	assert_string_equal(c.namespace, "kosmos-system");
	assert_int_equal(c.protocols, proto_bit(PROTO_TCP));
	assert_int_equal(c.pod_wait_ms, 30000);
	assert_int_equal(c.port, 8889);
	assert_int_equal(c.max_num, 64);
	assert_int_equal(c.cmd_timeout_ms, 10000);
	assert_string_equal(c.src_kubeconfig, "~/.kube/config");
	assert_null(c.dst_kubeconfig);
	assert_string_equal(c.src_image_repo, "ghcr.io/kosmos-io");
	assert_null(c.dst_image_repo);
	assert_int_equal(c.networks, CONFIG_NET_POD);
	assert_false(c.auto_clean);
	assert_null(c.warnings);
	config_release(&c);
}

/* The config.json of NetDoctor's README loads unchanged (port written as a string). */
static void test_netdoctor_file_loads(void **state)
{
	struct config c;

	load_ok(&c, "netdoctor-readme.json");
	assert_string_equal(c.version, "v0.2.0");
	assert_int_equal(c.port, 8889);
	assert_int_equal(c.max_num, 3);
	assert_int_equal(c.cmd_timeout_ms, 10000);
	assert_string_equal(c.dst_kubeconfig, "~/.kube/dst-config");
	assert_string_equal(c.dst_image_repo, "ghcr.io/kosmos-io");
	assert_null(c.warnings);
	assert_non_null(strstr(c.source, "netdoctor-readme.json"));
	config_release(&c);
}

static void test_full_file_and_unknown_field_warns(void **state)
{
	struct config c;
	bool unknown_warned = false;

	load_ok(&c, "full.json");
	assert_string_equal(c.namespace, "netcheck");
	assert_int_equal(c.protocols,
			 proto_bit(PROTO_ICMP) | proto_bit(PROTO_TCP) | proto_bit(PROTO_UDP));
	assert_int_equal(c.pod_wait_ms, 45000);
	assert_int_equal(c.port, 9999);
	assert_int_equal(c.max_num, 64);
	assert_int_equal(c.cmd_timeout_ms, 2500);
	assert_int_equal(c.networks, CONFIG_NET_POD | CONFIG_NET_HOST);
	assert_true(c.auto_clean);
	/* Empty NetDoctor extras read as unset, so they do not warn. */
	assert_null(c.target_ips);
	assert_null(c.dns_servers);
	assert_non_null(c.warnings);
	for (char **w = c.warnings; *w; w++)
		if (strstr(*w, "'comment'"))
			unknown_warned = true;
	assert_true(unknown_warned);
	config_release(&c);
}

/* A NetDoctor config.json with every field set, DNS ones included (one string, as NetDoctor
 * writes them, and lists): read, used, and not one warning. */
static void test_netdoctor_dns_fields_used(void **state)
{
	static const char *const texts[] = {
	    "{\"protocol\": \"dns\", \"targetDNSServer\": \"10.96.0.10\", "
	    "\"targetHostToLookup\": \"kubernetes.default.svc.cluster.local\", "
	    "\"customizedTargetIPList\": [\"198.18.0.9\"], \"customizedTargetPortList\": [\"80\"]}",
	    "{\"protocol\": [\"tcp\", \"dns\"], \"targetDNSServer\": [\"10.96.0.10\", "
	    "\"[fd00::a]:5353\"], \"targetHostToLookup\": [\"a.svc\", \"b.svc=10.0.0.1\"]}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		struct err err = ERR_INIT;
		struct config c;

		config_init(&c);
		assert_int_equal(
		    config_load_text(&c, texts[i], strlen(texts[i]), "config.json", &err), 0);
		assert_true(c.protocols & proto_bit(PROTO_DNS));
		assert_non_null(c.dns_servers);
		assert_non_null(c.dns_names);
		if (c.warnings && *c.warnings)
			fail_msg("%s: warned '%s'", texts[i], *c.warnings);
		config_release(&c);
	}
}

static void test_protocol_spellings(void **state)
{
	struct config c;

	load_ok(&c, "protocol-array.json");
	/* "ping" is NetDoctor's name for icmp. */
	assert_int_equal(c.protocols, proto_bit(PROTO_ICMP) | proto_bit(PROTO_UDP));
	assert_int_equal(c.networks, CONFIG_NET_HOST);
	assert_int_equal(c.cmd_timeout_ms, 500);
	assert_null(c.dst_kubeconfig);
	config_release(&c);
}

/* Each bad file: refused, ERR_USAGE, one line naming the file and the field. */
static const struct {
	const char *file;
	const char *field;
} bad_files[] = {
    {"maxnum-zero", "maxNum"},
    {"maxnum-negative", "maxNum"},
    {"maxnum-string", "maxNum"},
    {"maxnum-fraction", "maxNum"},
    {"protocol-unknown", "protocol"},
    {"protocol-number", "protocol"},
    {"protocol-empty-item", "protocol"},
    {"protocol-array-number", "protocol"},
    {"cmdtimeout-negative", "cmdTimeout"},
    {"cmdtimeout-zero", "cmdTimeout"},
    {"cmdtimeout-bool", "cmdTimeout"},
    {"cmdtimeout-huge", "cmdTimeout"},
    {"cmdtimeout-unit", "cmdTimeout"},
    {"podwaittime-negative", "podWaitTime"},
    {"port-zero", "port"},
    {"port-too-big", "port"},
    {"port-text", "port"},
    {"namespace-invalid", "namespace"},
    {"namespace-number", "namespace"},
    {"srckubeconfig-other-user", "srcKubeConfig"},
    {"srckubeconfig-empty", "srcKubeConfig"},
    {"autoclean-string", "autoClean"},
    {"mode-unknown", "mode"},
    {"version-array", "version"},
    {"image-space", "srcImageRepository"},
    {"duplicate-field", "maxNum"},
    {"targetiplist-string", "customizedTargetIPList"},
    {"targetiplist-name", "customizedTargetIPList: item 1 'example.com' is not an IP address"},
    {"targetportlist-zero", "customizedTargetPortList: item 1 '0' is not a port"},
    {"targetportlist-fraction", "customizedTargetPortList: item 0 80.5 is not a port"},
    {"not-object", "JSON object"},
    {"malformed", "malformed JSON"},
    {"empty", "malformed JSON"},
    {"two-objects", "text after the JSON object"},
};

/* NetDoctor's custom targets are read (and used: check probes every IP x every port);
 * ports may be NetDoctor's strings or numbers, and neither list warns any more. */
static void test_target_lists(void **state)
{
	static const char text[] = "{\"customizedTargetIPList\": [\"198.18.4.2\", \"fd00::2\"],"
				   "\"customizedTargetPortList\": [\"80\", 443]}";
	struct err err = ERR_INIT;
	struct config c;
	char *json;

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_text(&c, text, strlen(text), "t.json", &err), 0);
	assert_int_equal(strv_len(c.target_ips), 2);
	assert_string_equal(c.target_ips[1], "fd00::2");
	assert_string_equal(c.target_ports[1], "443");
	assert_null(c.warnings);
	json = config_to_json(&c);
	assert_non_null(strstr(json, "\"customizedTargetPortList\""));
	assert_non_null(strstr(json, "\"443\""));
	free(json);
	config_release(&c);
}

static void test_bad_files_name_the_field(void **state)
{
	assert_true(ARRAY_SIZE(bad_files) >= 15);
	for (size_t i = 0; i < ARRAY_SIZE(bad_files); i++) {
		struct err err = ERR_INIT;
		struct config c;
		char *path = xasprintf("%s/bad/%s.json", CFG_DIR, bad_files[i].file);
		int rc;

		config_init(&c);
		rc = config_load_file(&c, path, &err);
		if (rc != -1 || err.code != ERR_USAGE || !strstr(err.msg, bad_files[i].field) ||
		    !strstr(err.msg, bad_files[i].file) || strchr(err.msg, '\n'))
			fail_msg("%s: rc %d code %d msg '%s' (want field '%s')", bad_files[i].file,
				 rc, err.code, err.msg, bad_files[i].field);
		config_release(&c);
		free(path);
	}
}

/* Values that are wrong for a reason a user should read in the message. */
static void test_bad_values_say_why(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"maxNum\": 0}", "out of range"},
	    {"{\"cmdTimeout\": -1}", "negative"},
	    {"{\"cmdTimeout\": 0}", "greater than 0"},
	    {"{\"protocol\": \"smtp\"}", "unknown protocol 'smtp' (use icmp, tcp, udp or dns)"},
	    {"{\"maxNum\": \"3\"}", "must be a number, not a string"},
	    {"{\"autoClean\": 1}", "must be true or false, not a number"},
	    {"{\"imagePullSecrets\": [\"Reg_Cred\"]}",
	     "config.json: imagePullSecrets: 'Reg_Cred' is not a valid Secret name"},
	    {"{\"imagePullSecrets\": {\"name\": \"a\"}}", "must be an array of strings"},
	    {"{\n  \"maxNum\": 3,\n  \"port\": ,\n}", "malformed JSON at line 3, column 11"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct err err = ERR_INIT;
		struct config c;

		config_init(&c);
		assert_int_equal(
		    config_load_text(&c, cases[i].json, strlen(cases[i].json), "config.json", &err),
		    -1);
		if (!strstr(err.msg, cases[i].want))
			fail_msg("%s: '%s' lacks '%s'", cases[i].json, err.msg, cases[i].want);
		config_release(&c);
	}
}

static void test_byte_order_mark_is_skipped(void **state)
{
	static const char text[] = "\xEF\xBB\xBF{\"maxNum\": 9}";
	struct err err = ERR_INIT;
	struct config c;

	config_init(&c);
	assert_int_equal(config_load_text(&c, text, strlen(text), "bom.json", &err), 0);
	assert_int_equal(c.max_num, 9);
	config_release(&c);
}

static void test_missing_and_oversized_files(void **state)
{
	struct err err = ERR_INIT;
	struct config c;
	char *big;

	config_init(&c);
	assert_int_equal(config_load_file(&c, CFG_DIR "/no-such.json", &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "no-such.json"));

	big = xmalloc(CONFIG_MAX_BYTES + 2);
	memset(big, ' ', CONFIG_MAX_BYTES + 1);
	big[0] = '{';
	big[CONFIG_MAX_BYTES] = '}';
	big[CONFIG_MAX_BYTES + 1] = '\0';
	err_clear(&err);
	assert_int_equal(config_load_text(&c, big, CONFIG_MAX_BYTES + 1, "big.json", &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "big.json"));
	free(big);
	config_release(&c);
}

static void test_tilde_expansion(void **state)
{
	struct err err = ERR_INIT;
	struct config c;
	char *old = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	char *path;

	setenv("HOME", "/home/tester", 1);
	load_ok(&c, "netdoctor-readme.json");
	assert_int_equal(config_kubeconfig_path(&c, false, &path, &err), 0);
	assert_string_equal(path, "/home/tester/.kube/src-config");
	free(path);
	assert_int_equal(config_kubeconfig_path(&c, true, &path, &err), 0);
	assert_string_equal(path, "/home/tester/.kube/dst-config");
	free(path);
	config_release(&c);

	/* Defaults expand too; no destination is not an error. */
	config_init(&c);
	assert_int_equal(config_kubeconfig_path(&c, false, &path, &err), 0);
	assert_string_equal(path, "/home/tester/.kube/config");
	free(path);
	assert_int_equal(config_kubeconfig_path(&c, true, &path, &err), 0);
	assert_null(path);
	config_release(&c);
	if (old)
		setenv("HOME", old, 1);
	free(old);
}

/* imagePullSecrets: a list of Secret names (or one comma list), for both DaemonSets; the
 * flag replaces the file's list. */
static void test_image_pull_secrets(void **state)
{
	static const char json[] = "{\"imagePullSecrets\": [\"regcred\", \"mirror.key\"]}";
	struct err err = ERR_INIT;
	struct config c;
	char *text;

	config_init(&c);
	assert_null(c.pull_secrets);
	assert_int_equal(config_load_text(&c, json, strlen(json), "config.json", &err), 0);
	assert_int_equal(strv_len(c.pull_secrets), 2);
	assert_string_equal(c.pull_secrets[1], "mirror.key");
	text = config_to_json(&c);
	assert_non_null(
	    strstr(text, "\"imagePullSecrets\": [\n    \"regcred\",\n    \"mirror.key\"\n  ]"));
	free(text);
	assert_int_equal(config_set(&c, "imagePullSecrets", "other", "--image-pull-secret", &err),
			 0);
	assert_int_equal(strv_len(c.pull_secrets), 1);
	assert_int_equal(
	    config_set(&c, "imagePullSecrets", "ok,NotOk", "--image-pull-secret", &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_string_equal(err.msg, "--image-pull-secret: 'NotOk' is not a valid Secret name (a "
				     "DNS-1123 subdomain: a-z, 0-9, '-' and '.', at most 253)");
	assert_string_equal(c.pull_secrets[0], "other"); /* unchanged */
	config_release(&c);
}

static void test_flags_override_file(void **state)
{
	struct err err = ERR_INIT;
	struct config c;

	load_ok(&c, "full.json");
	assert_int_equal(config_set(&c, "maxNum", "8", "--concurrency", &err), 0);
	assert_int_equal(c.max_num, 8);
	assert_int_equal(config_set(&c, "protocol", "icmp", "--protocol", &err), 0);
	assert_int_equal(c.protocols, proto_bit(PROTO_ICMP));
	assert_int_equal(config_set(&c, "cmdTimeout", "750ms", "--timeout", &err), 0);
	assert_int_equal(c.cmd_timeout_ms, 750);
	assert_int_equal(config_set(&c, "port", "7000", "--port", &err), 0);
	assert_int_equal(c.port, 7000);
	assert_int_equal(config_set(&c, "mode", "host", "--network", &err), 0);
	assert_int_equal(c.networks, CONFIG_NET_HOST);
	/* Fields no flag touched keep the file's value. */
	assert_string_equal(c.namespace, "netcheck");
	assert_int_equal(c.pod_wait_ms, 45000);

	/* A bad flag names the flag, and leaves the value as it was. */
	assert_int_equal(config_set(&c, "maxNum", "0", "--concurrency", &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "--concurrency"));
	assert_int_equal(c.max_num, 8);
	assert_int_equal(config_set(&c, "protocol", "sctp", "--protocol", &err), -1);
	assert_non_null(strstr(err.msg, "--protocol"));
	assert_int_equal(c.protocols, proto_bit(PROTO_ICMP));
	assert_int_equal(config_set(&c, "cmdTimeout", "-2s", "--timeout", &err), -1);
	assert_non_null(strstr(err.msg, "--timeout"));
	assert_int_equal(c.cmd_timeout_ms, 750);
	config_release(&c);
}

/* What `netctl init` writes loads back to the same values, with every field present. */
static void test_written_file_round_trips(void **state)
{
	static const char *const names[] = {
	    "namespace",
	    "version",
	    "protocol",
	    "podWaitTime",
	    "port",
	    "maxNum",
	    "cmdTimeout",
	    "srcKubeConfig",
	    "dstKubeConfig",
	    "srcImageRepository",
	    "dstImageRepository",
	    "imagePullSecrets",
	    "mode",
	    "autoClean",
	};
	char dir[] = "/tmp/netctl-config-XXXXXX";
	struct err err = ERR_INIT;
	struct config c, back;
	char *path, *text;
	struct stat sb;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/config.json", dir);
	load_ok(&c, "full.json");
	text = config_to_json(&c);
	/* Pretty for people who edit it: two-space indent, "key": value. */
	assert_non_null(strstr(text, "{\n  \"namespace\": \"netcheck\",\n"));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *key = xasprintf("\"%s\"", names[i]);

		if (!strstr(text, key))
			fail_msg("written config lacks %s", names[i]);
		free(key);
	}
	free(text);

	assert_int_equal(config_write_file(&c, path, false, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(config_write_file(&c, path, false, &err), -1);
	assert_int_equal(err.code, ERR_EXISTS);
	assert_non_null(strstr(err.msg, "--force"));
	assert_int_equal(config_write_file(&c, path, true, &err), 0);

	config_init(&back);
	assert_int_equal(config_load_file(&back, path, &err), 0);
	assert_string_equal(back.namespace, c.namespace);
	assert_int_equal(back.protocols, c.protocols);
	assert_int_equal(back.cmd_timeout_ms, c.cmd_timeout_ms);
	assert_int_equal(back.pod_wait_ms, c.pod_wait_ms);
	assert_int_equal(back.networks, c.networks);
	assert_int_equal(back.port, c.port);
	assert_int_equal(back.max_num, c.max_num);
	assert_true(back.auto_clean);
	assert_string_equal(back.dst_kubeconfig, c.dst_kubeconfig);
	assert_null(back.warnings);
	config_release(&back);
	config_release(&c);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_netdoctors),
	    cmocka_unit_test(test_netdoctor_file_loads),
	    cmocka_unit_test(test_target_lists),
	    cmocka_unit_test(test_full_file_and_unknown_field_warns),
	    cmocka_unit_test(test_netdoctor_dns_fields_used),
	    cmocka_unit_test(test_protocol_spellings),
	    cmocka_unit_test(test_bad_files_name_the_field),
	    cmocka_unit_test(test_bad_values_say_why),
	    cmocka_unit_test(test_byte_order_mark_is_skipped),
	    cmocka_unit_test(test_missing_and_oversized_files),
	    cmocka_unit_test(test_tilde_expansion),
	    cmocka_unit_test(test_image_pull_secrets),
	    cmocka_unit_test(test_flags_override_file),
	    cmocka_unit_test(test_written_file_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
