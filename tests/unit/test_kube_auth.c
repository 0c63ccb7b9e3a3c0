/* auth: bearer token, token file re-read, basic auth, exec credential plugins (real
 * processes: tests/fixtures/kubeconfig/plugin/exec-plugin.sh). */
#include <fcntl.h>
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

#include "kubeconfig.h"

#define KC FIXTURES_DIR "/kubeconfig"

static char tmpdir[] = "/tmp/netctl-auth-XXXXXX";
static char counter[128], info[128];

static int group_setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(counter, sizeof(counter), "%s/calls", tmpdir);
	snprintf(info, sizeof(info), "%s/info", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf -- '%s'", tmpdir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Each test starts with a fresh counter and default plugin behaviour. */
static int setup(void **state)
{
	unlink(counter);
	unlink(info);
	setenv("NETCTL_PLUGIN_COUNTER", counter, 1);
	setenv("NETCTL_PLUGIN_INFO_OUT", info, 1);
	unsetenv("NETCTL_PLUGIN_MODE");
	unsetenv("NETCTL_PLUGIN_EXPIRY");
	unsetenv("NETCTL_PLUGIN_TOKEN");
	return 0;
}

static int calls(void)
{
	FILE *f = fopen(counter, "r");
	int n = 0, c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static struct kube_target *load(const char *name)
{
	char *path = xasprintf("%s/%s", KC, name);
	struct err err = ERR_INIT;
	struct kube_target *t = kube_target_load(path, NULL, &err);

	if (!t)
		fail_msg("%s: %s", name, err.msg);
	free(path);
	return t;
}

/* header for the target, or NULL with err filled */
static char *header_of(struct kube_auth *a, struct err *err)
{
	struct buf b;

	buf_init(&b, 64 << 10);
	if (kube_auth_header(a, &b, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void expect_header(struct kube_auth *a, const char *want)
{
	struct err err = ERR_INIT;
	char *h = header_of(a, &err);

	if (!h)
		fail_msg("header: %s", err.msg);
	assert_string_equal(h, want);
	free(h);
}

/* The header call must fail; returns the message for further checks. */
static void expect_fail(struct kube_auth *a, struct err *err)
{
	char *h = header_of(a, err);

	assert_null(h);
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
	if (strstr(err->msg, "tok-"))
		fail_msg("a token leaked into the error: %s", err->msg);
}

static void test_static_token_and_basic(void **state)
{
	struct kube_target *t = load("token.yaml");
	struct kube_auth *a = kube_auth_new(t);

	expect_header(a, "Authorization: Bearer tok-static-0123456789");
	kube_auth_free(a);
	kube_target_free(t);

	t = load("basic-auth.yaml");
	a = kube_auth_new(t);
	expect_header(a, "Authorization: Basic YWxpY2U6cEBzczp3b3Jk"); /* alice:p@ss:word */
	kube_auth_free(a);
	kube_target_free(t);

	/* client certificates only: no header, certs come from the target */
	t = load("full-cert-files.yaml");
	a = kube_auth_new(t);
	expect_header(a, "");
	assert_null(kube_auth_client_cert(a));
	assert_null(kube_auth_client_key(a));
	kube_auth_free(a);
	kube_target_free(t);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_token_file_reread(void **state)
{
	struct kube_target *t = load("token-file.yaml");
	char *tf = xasprintf("%s/token", tmpdir);
	struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
	struct kube_auth *a;
	struct err err = ERR_INIT;

	write_file(tf, "tok-first\n");
	free(t->token_file);
	t->token_file = xstrdup(tf);
	a = kube_auth_new(t);
	expect_header(a, "Authorization: Bearer tok-first");
	expect_header(a, "Authorization: Bearer tok-first");
	write_file(tf, "  tok-second-longer\n");
	expect_header(a, "Authorization: Bearer tok-second-longer");
	/* same size, new content: the mtime tells */
	write_file(tf, "  tok-THIRD--longer\n");
	assert_int_equal(utimensat(AT_FDCWD, tf, times, 0), 0);
	expect_header(a, "Authorization: Bearer tok-THIRD--longer");
	write_file(tf, "\n");
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "is empty"));
	unlink(tf);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "No such file"));
	write_file(tf, "tok-back\n");
	expect_header(a, "Authorization: Bearer tok-back");
	kube_auth_free(a);
	kube_target_free(t);
	unlink(tf);
	free(tf);
}

/* A CR or LF in a token would end the Authorization header and start another. */
static void test_token_control_characters(void **state)
{
	struct kube_target *t = load("token.yaml");
	char *tf = xasprintf("%s/token", tmpdir);
	struct kube_auth *a;
	struct err err = ERR_INIT;

	/* set by a caller, past the kubeconfig's own check */
	secret_free(t->token);
	t->token = xstrdup("tok-a\r\nX-Injected: yes");
	a = kube_auth_new(t);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "contains a line break or control character"));
	kube_auth_free(a);
	kube_target_free(t);

	t = load("token-file.yaml");
	write_file(tf, "tok-a\rX-Injected: yes\n");
	free(t->token_file);
	t->token_file = xstrdup(tf);
	a = kube_auth_new(t);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "line break or control character"));
	kube_auth_free(a);
	kube_target_free(t);
	unlink(tf);
	free(tf);

	t = load("exec-v1.yaml");
	setenv("NETCTL_PLUGIN_TOKEN", "tok-exec\\r\\nX-Injected: yes", 1);
	a = kube_auth_new(t);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "ExecCredential status.token contains a line break or "
					"control character"));
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_cached_until_expiry(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a;

	setenv("NETCTL_PLUGIN_EXPIRY", "3600", 1);
	a = kube_auth_new(t);
	for (int i = 0; i < 5; i++)
		expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 1);
	assert_int_equal(kube_auth_exec_runs(a), 1);
	/* after a 401 the caller invalidates: the plugin runs again */
	kube_auth_invalidate(a);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 2);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_no_expiry_cached(void **state)
{
	struct kube_target *t = load("exec-v1beta1.yaml");
	struct kube_auth *a = kube_auth_new(t);

	setenv("NETCTL_PLUGIN_TOKEN", "tok-beta", 1);
	expect_header(a, "Authorization: Bearer tok-beta");
	expect_header(a, "Authorization: Bearer tok-beta");
	assert_int_equal(calls(), 1);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_expired_runs_again(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a;

	setenv("NETCTL_PLUGIN_EXPIRY", "-60", 1);
	a = kube_auth_new(t);
	for (int i = 0; i < 3; i++)
		expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 3);
	kube_auth_free(a);

	/* valid for ~9 s: cached now; 5 s later it is inside the refresh margin */
	setenv("NETCTL_PLUGIN_EXPIRY", "9", 1);
	a = kube_auth_new(t);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 4);
	sleep(5);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 5);
	kube_auth_free(a);

	/* a short-lived credential (~3 s) is still reused for the first half of its life */
	setenv("NETCTL_PLUGIN_EXPIRY", "3", 1);
	a = kube_auth_new(t);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 6);
	sleep(3);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	assert_int_equal(calls(), 7);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_info_and_env(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	struct buf b;
	struct err err = ERR_INIT;

	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	buf_init(&b, 1 << 20);
	assert_int_equal(file_read_all(info, 1 << 20, &b, &err), 0);
	assert_non_null(strstr(b.data, "\"apiVersion\":\"client.authentication.k8s.io/v1\""));
	assert_non_null(strstr(b.data, "\"kind\":\"ExecCredential\""));
	assert_non_null(strstr(b.data, "\"interactive\":false"));
	assert_non_null(strstr(b.data, "\"server\":\"https://198.18.0.10:6443\""));
	assert_non_null(strstr(b.data, "\"certificate-authority-data\":\"LS0t"));
	assert_non_null(strstr(b.data, "\nhello world\n")); /* env from the kubeconfig */
	buf_release(&b);
	kube_auth_free(a);
	kube_target_free(t);

	/* without provideClusterInfo: no cluster in the request */
	t = load("exec-v1beta1.yaml");
	a = kube_auth_new(t);
	expect_header(a, "Authorization: Bearer tok-exec-plugin");
	buf_init(&b, 1 << 20);
	assert_int_equal(file_read_all(info, 1 << 20, &b, &err), 0);
	assert_non_null(strstr(b.data, "client.authentication.k8s.io/v1beta1"));
	assert_null(strstr(b.data, "\"cluster\""));
	buf_release(&b);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_failure_names_hint(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	struct err err = ERR_INIT;

	setenv("NETCTL_PLUGIN_MODE", "fail", 1);
	expect_fail(a, &err);
	assert_int_equal(err.code, ERR_AUTH);
	assert_non_null(strstr(err.msg, "exec-plugin.sh for user 'u1': exited with status 3: "
					"exec-plugin: login required: credentials expired; "
					"install the test plugin: see "
					"tests/fixtures/kubeconfig/README.md"));
	assert_null(strstr(err.msg, "second line"));
	/* a failure is not cached: the next request tries again */
	expect_fail(a, &err);
	assert_int_equal(calls(), 2);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_garbage_and_bad_status(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	struct err err = ERR_INIT;

	setenv("NETCTL_PLUGIN_MODE", "garbage", 1);
	setenv("NETCTL_PLUGIN_TOKEN", "tok-must-not-leak", 1);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "output is not an ExecCredential JSON object: "
					"exec-plugin: warning: cached login used; install"));

	setenv("NETCTL_PLUGIN_MODE", "bad-expiry", 1);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "status.expirationTimestamp is not RFC 3339"));

	setenv("NETCTL_PLUGIN_MODE", "empty-status", 1);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "ExecCredential status has neither token nor client "
					"certificate"));

	setenv("NETCTL_PLUGIN_MODE", "big", 1);
	expect_fail(a, &err);
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "output larger than 1048576 bytes"));
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_api_version_mismatch(void **state)
{
	struct kube_target *t = load("exec-v1beta1.yaml");
	struct kube_auth *a;
	struct err err = ERR_INIT;

	/* the kubeconfig asks for v1beta1, the plugin answers v1 */
	free(t->exec->args[1]);
	t->exec->args[1] = xstrdup("client.authentication.k8s.io/v1");
	a = kube_auth_new(t);
	expect_fail(a, &err);
	assert_non_null(strstr(err.msg, "plugin answered apiVersion "
					"'client.authentication.k8s.io/v1', expected "
					"'client.authentication.k8s.io/v1beta1'"));
	kube_auth_free(a);
	kube_target_free(t);

	t = load("exec-v1.yaml");
	a = kube_auth_new(t);
	setenv("NETCTL_PLUGIN_MODE", "wrong-version", 1);
	expect_fail(a, &err);
	assert_non_null(
	    strstr(err.msg, "answered apiVersion 'client.authentication.k8s.io/v1alpha1'"));
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_not_installed(void **state)
{
	struct kube_target *t = load("exec-path-command.yaml"), *copy;
	struct kube_auth *a = kube_auth_new(t);
	struct err err = ERR_INIT;

	expect_fail(a, &err);
	assert_string_equal(err.msg, "exec plugin netctl-no-such-plugin for user 'u1': cannot run: "
				     "not found in PATH; run apt-get install "
				     "netctl-test-plugin");
	kube_auth_free(a);
	kube_target_free(t);

	/* as loaded, and in the copy of the target a REST client keeps */
	t = load("exec-interactive-always.yaml");
	copy = kube_target_dup(t);
	for (int i = 0; i < 2; i++) {
		a = kube_auth_new(i ? copy : t);
		expect_fail(a, &err);
		assert_non_null(strstr(err.msg, "interactiveMode is Always"));
		assert_int_equal(calls(), 0);
		kube_auth_free(a);
	}
	kube_target_free(t);
	kube_target_free(copy);
}

static void test_exec_timeout_kills(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	struct err err = ERR_INIT;
	int64_t t0;

	setenv("NETCTL_PLUGIN_MODE", "sleep", 1);
	kube_auth_set_exec_timeout(a, 400);
	t0 = time_mono_us();
	expect_fail(a, &err);
	/* the plugin sleeps 60 s: well under that means it was killed at the timeout (a
	 * loaded machine can take seconds to start and kill it, never a minute) */
	assert_true(time_mono_us() - t0 < 20000000);
	assert_int_equal(err.code, ERR_TIMEOUT);
	assert_non_null(strstr(err.msg, "no answer within 400 ms (killed)"));
	kube_auth_free(a);
	kube_target_free(t);
}

/* True while pid is a live (not zombie) process. */
static bool process_alive(long pid)
{
	char path[64], stat[256];
	FILE *f;
	char *paren;
	bool alive = false;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(stat, sizeof(stat), f) && (paren = strrchr(stat, ')')))
		alive = paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	fclose(f);
	return alive;
}

static void test_exec_timeout_kills_process_group(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	char *pidfile = xasprintf("%s/orphan.pid", tmpdir);
	struct err err = ERR_INIT;
	FILE *f;
	long pid = 0;

	setenv("NETCTL_PLUGIN_MODE", "orphan", 1);
	setenv("NETCTL_PLUGIN_PIDFILE", pidfile, 1);
	kube_auth_set_exec_timeout(a, 400);
	expect_fail(a, &err);
	assert_int_equal(err.code, ERR_TIMEOUT);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	/* the plugin's own child, holding the output pipe, died with it */
	for (int i = 0; i < 1000 && process_alive(pid); i++) /* 10 s at most: a loaded machine */
		usleep(10000);
	assert_false(process_alive(pid));
	unsetenv("NETCTL_PLUGIN_PIDFILE");
	free(pidfile);
	kube_auth_free(a);
	kube_target_free(t);
}

static void test_exec_client_certificate(void **state)
{
	struct kube_target *t = load("exec-v1.yaml");
	struct kube_auth *a = kube_auth_new(t);
	const struct kube_blob *cert, *key;
	struct buf pem;
	struct err err = ERR_INIT;

	setenv("NETCTL_PLUGIN_MODE", "cert", 1);
	setenv("NETCTL_PLUGIN_CERT", KC "/certs/client.crt", 1);
	setenv("NETCTL_PLUGIN_KEY", KC "/certs/client.key", 1);
	expect_header(a, ""); /* certificate only, no bearer token */
	cert = kube_auth_client_cert(a);
	key = kube_auth_client_key(a);
	assert_non_null(cert);
	assert_non_null(key);
	buf_init(&pem, 1 << 20);
	assert_int_equal(file_read_all(KC "/certs/client.crt", 1 << 20, &pem, &err), 0);
	assert_int_equal(cert->len, pem.len);
	assert_memory_equal(cert->data, pem.data, pem.len);
	assert_int_equal(file_read_all(KC "/certs/client.key", 1 << 20, &pem, &err), 0);
	assert_int_equal(key->len, pem.len);
	assert_memory_equal(key->data, pem.data, pem.len);
	buf_release(&pem);
	kube_auth_free(a);
	kube_target_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_static_token_and_basic, setup),
	    cmocka_unit_test_setup(test_token_file_reread, setup),
	    cmocka_unit_test_setup(test_token_control_characters, setup),
	    cmocka_unit_test_setup(test_exec_cached_until_expiry, setup),
	    cmocka_unit_test_setup(test_exec_no_expiry_cached, setup),
	    cmocka_unit_test_setup(test_exec_expired_runs_again, setup),
	    cmocka_unit_test_setup(test_exec_info_and_env, setup),
	    cmocka_unit_test_setup(test_exec_failure_names_hint, setup),
	    cmocka_unit_test_setup(test_exec_garbage_and_bad_status, setup),
	    cmocka_unit_test_setup(test_exec_api_version_mismatch, setup),
	    cmocka_unit_test_setup(test_exec_not_installed, setup),
	    cmocka_unit_test_setup(test_exec_timeout_kills, setup),
	    cmocka_unit_test_setup(test_exec_timeout_kills_process_group, setup),
	    cmocka_unit_test_setup(test_exec_client_certificate, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
