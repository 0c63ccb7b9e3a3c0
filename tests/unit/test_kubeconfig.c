/* kubeconfig loading: every field, merge order, relative paths, malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kubeconfig.h"

#define KC FIXTURES_DIR "/kubeconfig"

static struct kube_target *load(const char *name, const char *context, struct err *err)
{
	char *path = xasprintf("%s/%s", KC, name);
	struct kube_target *t;

	err_clear(err);
	t = kube_target_load(path, context, err);
	free(path);
	return t;
}

static bool blob_has(const struct kube_blob *b, const char *s)
{
	return b->data && memmem(b->data, b->len, s, strlen(s));
}

/* Loading must fail with exactly "kubeconfig <fixture path>: <rest>", on one line. */
static void expect_error(const char *name, const char *context, const char *rest)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load(name, context, &err);
	char *want = xasprintf("kubeconfig %s/%s: %s", KC, name, rest);

	assert_null(t);
	assert_string_equal(err.msg, want);
	assert_null(strchr(err.msg, '\n'));
	free(want);
}

/* Loading must fail with a message containing every given fragment, and no newline. */
static void expect_error_has(const char *name, const char *context, const char *a, const char *b)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load(name, context, &err);

	assert_null(t);
	if (!strstr(err.msg, a) || (b && !strstr(err.msg, b)))
		fail_msg("%s: message '%s' lacks '%s' / '%s'", name, err.msg, a, b ? b : "");
	assert_null(strchr(err.msg, '\n'));
}

static void test_cert_files_relative_paths(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("full-cert-files.yaml", NULL, &err);

	assert_non_null(t);
	assert_string_equal(t->name, "ctx");
	assert_string_equal(t->cluster_name, "c1");
	assert_string_equal(t->user_name, "u1");
	assert_string_equal(t->server, "https://198.18.0.10:6443");
	assert_string_equal(t->namespace, "kosmos-system");
	assert_string_equal(t->tls_server_name, "api.test.internal");
	assert_string_equal(t->proxy_url, "http://198.18.0.1:3128");
	assert_false(t->insecure_skip_tls_verify);
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	assert_true(blob_has(&t->client_cert, "BEGIN CERTIFICATE"));
	assert_true(blob_has(&t->client_key, "PRIVATE KEY"));
	assert_null(t->token);
	assert_null(t->exec);
	assert_string_equal(t->source, KC "/full-cert-files.yaml");
	kube_target_free(t);
}

static void test_cert_data_equals_files(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *d = load("full-cert-data.yaml", NULL, &err);
	struct kube_target *f = load("full-cert-files.yaml", NULL, &err);

	assert_non_null(d);
	assert_non_null(f);
	assert_int_equal(d->ca.len, f->ca.len);
	assert_memory_equal(d->ca.data, f->ca.data, d->ca.len);
	assert_int_equal(d->client_cert.len, f->client_cert.len);
	assert_memory_equal(d->client_cert.data, f->client_cert.data, d->client_cert.len);
	assert_int_equal(d->client_key.len, f->client_key.len);
	assert_memory_equal(d->client_key.data, f->client_key.data, d->client_key.len);
	assert_string_equal(d->namespace, "default");
	assert_null(d->tls_server_name);
	assert_null(d->proxy_url);
	kube_target_free(d);
	kube_target_free(f);
}

static void test_token_kinds(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("token.yaml", NULL, &err);

	assert_non_null(t);
	assert_string_equal(t->token, "tok-static-0123456789");
	assert_null(t->token_file);
	assert_int_equal(t->ca.len, 0);
	kube_target_free(t);

	t = load("token-file.yaml", NULL, &err);
	assert_non_null(t);
	assert_null(t->token);
	assert_string_equal(t->token_file, KC "/tokens/token.txt");
	kube_target_free(t);

	t = load("basic-auth.yaml", NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->username, "alice");
	assert_string_equal(t->password, "p@ss:word");
	kube_target_free(t);

	t = load("insecure.yaml", NULL, &err);
	assert_non_null(t);
	assert_true(t->insecure_skip_tls_verify);
	kube_target_free(t);
}

static void test_exec_v1_fields(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("exec-v1.yaml", NULL, &err);

	assert_non_null(t);
	assert_non_null(t->exec);
	assert_string_equal(t->exec->api_version, "client.authentication.k8s.io/v1");
	/* a command with a '/' is relative to the kubeconfig's directory */
	assert_string_equal(t->exec->command, KC "/./plugin/exec-plugin.sh");
	assert_int_equal(strv_len(t->exec->args), 2);
	assert_string_equal(t->exec->args[0], "--api-version");
	assert_string_equal(t->exec->args[1], "client.authentication.k8s.io/v1");
	assert_int_equal(strv_len(t->exec->env), 1);
	assert_string_equal(t->exec->env[0], "PLUGIN_GREETING=hello world");
	assert_string_equal(t->exec->install_hint,
			    "install the test plugin: see tests/fixtures/kubeconfig/README.md");
	assert_true(t->exec->provide_cluster_info);
	assert_string_equal(t->exec->interactive_mode, "Never");
	kube_target_free(t);
}

static void test_exec_v1beta1_defaults(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("exec-v1beta1.yaml", NULL, &err);

	assert_non_null(t);
	assert_string_equal(t->exec->api_version, "client.authentication.k8s.io/v1beta1");
	assert_string_equal(t->exec->interactive_mode, "IfAvailable");
	assert_int_equal(strv_len(t->exec->env), 0);
	assert_false(t->exec->provide_cluster_info);
	assert_null(t->exec->install_hint);
	kube_target_free(t);

	/* an env item without a value sets the variable empty, as kubectl does */
	t = load("exec-env-no-value.yaml", NULL, &err);
	assert_non_null(t);
	assert_int_equal(strv_len(t->exec->env), 1);
	assert_string_equal(t->exec->env[0], "FOO=");
	kube_target_free(t);

	/* a bare command name is left for a PATH search */
	t = load("exec-path-command.yaml", NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->exec->command, "netctl-no-such-plugin");
	kube_target_free(t);
}

static void test_contexts_and_namespaces(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("multi-context.yaml", NULL, &err);
	char **names;

	assert_non_null(t);
	assert_string_equal(t->name, "second");
	assert_string_equal(t->server, "https://[fd00::10]:6443");
	assert_string_equal(t->token, "tok-second");
	assert_string_equal(t->namespace, "default");
	kube_target_free(t);

	t = load("multi-context.yaml", "first", &err);
	assert_non_null(t);
	assert_string_equal(t->namespace, "ns-first");
	assert_string_equal(t->token, "tok-static-0123456789");
	kube_target_free(t);

	/* a context without a user: no credentials, still valid */
	t = load("multi-context.yaml", "anon", &err);
	assert_non_null(t);
	assert_null(t->token);
	assert_null(t->exec);
	kube_target_free(t);

	names = kube_context_names(KC "/multi-context.yaml", &err);
	assert_non_null(names);
	assert_int_equal(strv_len(names), 3);
	assert_string_equal(names[0], "first");
	assert_string_equal(names[2], "anon");
	strv_free(names);

	expect_error("multi-context.yaml", "nope", "contexts: context 'nope' not found");
	t = load("no-current-context.yaml", "ctx", &err);
	assert_non_null(t);
	kube_target_free(t);
	expect_error("no-current-context.yaml", NULL,
		     "current-context: not set (pick one with --context)");
}

static void test_merge_first_file_wins(void **state)
{
	struct err err = ERR_INIT;
	char *list = xasprintf("%s/merge-a.yaml:%s/missing.yaml::%s/merge-b.yaml:%s/merge-c.yaml",
			       KC, KC, KC, KC);
	struct kube_target *t;
	char **names;

	setenv("KUBECONFIG", list, 1);
	/* current-context: a has none, so b's (not c's) */
	t = kube_target_load(NULL, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->name, "ctx-b");
	assert_string_equal(t->server, "https://198.18.2.2:6443");
	/* b's relative paths resolve against b's directory */
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	assert_string_equal(t->token_file, KC "/tokens/token.txt");
	assert_string_equal(t->source, KC "/merge-b.yaml");
	kube_target_free(t);

	/* ctx-shared, cluster shared and user shared-user: a defined all three first */
	t = kube_target_load(NULL, "ctx-shared", &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.1.2:6443");
	assert_string_equal(t->token, "tok-from-a");
	assert_string_equal(t->namespace, "default");
	kube_target_free(t);

	t = kube_target_load(NULL, "ctx-a", &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.1.1:6443");
	assert_string_equal(t->namespace, "ns-a");
	kube_target_free(t);

	t = kube_target_load(NULL, "ctx-c", &err);
	assert_non_null(t);
	assert_string_equal(t->token, "tok-from-c");
	kube_target_free(t);

	names = kube_context_names(NULL, &err);
	assert_non_null(names);
	assert_int_equal(strv_len(names), 4); /* ctx-a, ctx-shared, ctx-b, ctx-c */
	strv_free(names);

	/* the order decides: c first makes ctx-c current */
	free(list);
	list = xasprintf("%s/merge-c.yaml:%s/merge-b.yaml", KC, KC);
	setenv("KUBECONFIG", list, 1);
	t = kube_target_load(NULL, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->name, "ctx-c");
	kube_target_free(t);

	/* b before a: b's "shared" cluster wins */
	free(list);
	list = xasprintf("%s/merge-b.yaml:%s/merge-a.yaml", KC, KC);
	setenv("KUBECONFIG", list, 1);
	t = kube_target_load(NULL, "ctx-a", &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.2.1:6443");
	assert_string_equal(t->token, "tok-from-b");
	kube_target_free(t);

	/* a broken file in the list breaks the load, naming it */
	free(list);
	list = xasprintf("%s/merge-a.yaml:%s/bad-yaml.yaml", KC, KC);
	setenv("KUBECONFIG", list, 1);
	t = kube_target_load(NULL, NULL, &err);
	assert_null(t);
	assert_non_null(strstr(err.msg, "bad-yaml.yaml"));
	unsetenv("KUBECONFIG");
	free(list);
}

static void test_home_and_nested_paths(void **state)
{
	struct err err = ERR_INIT;
	char *old = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct kube_target *t;

	setenv("HOME", KC, 1);
	t = load("home-paths.yaml", NULL, &err);
	assert_non_null(t);
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	assert_true(blob_has(&t->client_key, "PRIVATE KEY"));
	kube_target_free(t);
	if (old)
		setenv("HOME", old, 1);
	free(old);

	t = load("subdir/nested.yaml", NULL, &err);
	assert_non_null(t);
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	assert_string_equal(t->token_file, KC "/subdir/../tokens/token.txt");
	kube_target_free(t);
}

static void test_relative_kubeconfig_path(void **state)
{
	struct err err = ERR_INIT;
	char cwd[4096];
	struct kube_target *t;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(KC), 0);
	t = kube_target_load("subdir/nested.yaml", NULL, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(t);
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	assert_string_equal(t->token_file, KC "/subdir/../tokens/token.txt");
	assert_string_equal(t->source, KC "/subdir/nested.yaml");
	kube_target_free(t);
}

static void test_yaml_features(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t = load("anchors.yaml", NULL, &err);

	assert_non_null(t);
	assert_string_equal(t->cluster_name, "c2");
	assert_string_equal(t->server, "https://198.18.0.10:6443");
	assert_true(t->insecure_skip_tls_verify); /* "yes" is a YAML 1.1 boolean */
	assert_string_equal(t->namespace, "ns-quoted");
	assert_string_equal(t->token, "tok-flow-style");
	kube_target_free(t);

	t = load("unknown-fields.yaml", NULL, &err);
	assert_non_null(t);
	kube_target_free(t);

	/* YAML merge keys, as go-yaml reads them: own keys first, then the merged maps */
	t = load("merge-keys.yaml", NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.0.10:6443");
	assert_string_equal(t->tls_server_name, "override.test.internal");
	assert_true(t->insecure_skip_tls_verify);
	kube_target_free(t);

	/* a repeated key: the last one wins, as in kubectl */
	t = load("repeated-keys.yaml", NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.0.2:6443");
	assert_string_equal(t->token, "tok-two");
	assert_string_equal(t->namespace, "b");
	kube_target_free(t);

	/* only the first document counts, as in kubectl */
	t = load("two-documents.yaml", NULL, &err);
	assert_non_null(t);
	kube_target_free(t);
}

static void test_alias_bomb_is_cheap(void **state)
{
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();
	struct kube_target *t = load("billion-laughs.yaml", NULL, &err);

	/* aliases share nodes instead of copying them: 10^9 "lol"s never exist */
	assert_non_null(t);
	assert_true(time_mono_us() - t0 < 2000000);
	kube_target_free(t);
}

/* ---- hostile kubeconfigs: every file within the limits loads or is refused quickly --- */

/* Writes text to a temporary file, loads it, prints and returns the milliseconds taken. A
 * refusal must be a one-line error. */
/* CPU time of this process: what parsing costs, whatever else the machine runs (wall time
 * on a loaded 2-core machine measured the other processes too). */
static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double hostile_load_ms(const char *what, struct buf *text)
{
	char dir[] = "/tmp/netctl-kc-XXXXXX";
	struct err err = ERR_INIT;
	struct kube_target *t;
	char *path;
	FILE *f;
	int64_t t0;
	double ms;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/hostile.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text->data, 1, text->len, f), text->len);
	fclose(f);
	t0 = cpu_us();
	t = kube_target_load(path, NULL, &err);
	ms = (double)(cpu_us() - t0) / 1000.0;
	printf("# %s: %zu bytes, %s in %.1f ms of CPU%s%s\n", what, text->len,
	       t ? "loaded" : "refused", ms, t ? "" : ": ", t ? "" : err.msg);
	if (!t)
		assert_null(strchr(err.msg, '\n'));
	kube_target_free(t);
	unlink(path);
	rmdir(dir);
	free(path);
	return ms;
}

static void hostile_head(struct buf *b)
{
	(void)!buf_printf(b, "apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
			     "clusters:\n- name: c\n  cluster: {server: https://198.18.0.1:6443}\n"
			     "contexts:\n- name: ctx\n  context: {cluster: c, user: u0}\n");
}

/* One big anchored map merged 32 times into every user (issue 15's 94 KB file grows with
 * map_keys: its users each cost 32 map scans per field looked up). */
static void hostile_merge_keys(struct buf *b, int map_keys, int users)
{
	hostile_head(b);
	(void)!buf_printf(b, "preferences: &M\n");
	for (int i = 0; i < map_keys; i++)
		(void)!buf_printf(b, "  k%d: v\n", i);
	(void)!buf_printf(b, "users:\n");
	for (int u = 0; u < users; u++) {
		(void)!buf_printf(b, "- name: u%d\n  user:\n    <<: [", u);
		for (int i = 0; i < 32; i++)
			(void)!buf_printf(b, "%s*M", i ? "," : "");
		(void)!buf_printf(b, "]\n");
	}
}

/* Merges of merges: each level merges the previous one 32 times. */
static void hostile_merge_chain(struct buf *b, int levels, int users)
{
	hostile_head(b);
	(void)!buf_printf(b, "preferences:\n  m0: &m0 {a: b}\n");
	for (int l = 1; l < levels; l++) {
		(void)!buf_printf(b, "  m%d: &m%d {<<: [", l, l);
		for (int i = 0; i < 32; i++)
			(void)!buf_printf(b, "%s*m%d", i ? "," : "", l - 1);
		(void)!buf_printf(b, "]}\n");
	}
	(void)!buf_printf(b, "users:\n");
	for (int u = 0; u < users; u++)
		(void)!buf_printf(b, "- name: u%d\n  user: *m%d\n", u, levels - 1);
}

/* A merge key naming a long list of scalars (no maps to charge for, but items to skip). */
static void hostile_merge_list(struct buf *b, int items, int users)
{
	hostile_head(b);
	(void)!buf_printf(b, "preferences: &L [");
	for (int i = 0; i < items; i++)
		(void)!buf_printf(b, "%s1", i ? "," : "");
	(void)!buf_printf(b, "]\nusers:\n");
	for (int u = 0; u < users; u++)
		(void)!buf_printf(b, "- {name: u%d, user: {<<: *L}}\n", u);
}

/* As many distinct small users as the node limit allows (names are checked for
 * duplicates). */
static void hostile_many_users(struct buf *b, int users)
{
	hostile_head(b);
	(void)!buf_printf(b, "users:\n- {name: u0, user: {}}\n");
	for (int u = 0; u < users; u++)
		(void)!buf_printf(b, "- {name: user-with-a-long-common-prefix-%d, user: {}}\n", u);
}

/* The most anchors allowed, and aliases to the oldest of them. */
static void hostile_aliases(struct buf *b, int anchors, int aliases)
{
	hostile_head(b);
	(void)!buf_printf(b, "users:\n- name: u0\n  user: {}\npreferences:\n");
	for (int i = 0; i < anchors; i++)
		(void)!buf_printf(b, "  a%d: &anchor-with-a-long-common-prefix-%d x\n", i, i);
	(void)!buf_printf(b, "  l: [");
	for (int i = 0; i < aliases; i++)
		(void)!buf_printf(b, "%s*anchor-with-a-long-common-prefix-0", i ? "," : "");
	(void)!buf_printf(b, "]\n");
}

static void test_hostile_files_are_cheap(void **state)
{
	/* CPU time: each takes well under 100 ms (a few hundred under the sanitizers) */
	const double bound_ms = 1000.0;
	struct buf b;

	buf_init(&b, 8u << 20);
	hostile_merge_keys(&b, 400, 600); /* about issue 15's 94 KB file */
	assert_true(hostile_load_ms("merge keys, 94 KB", &b) < bound_ms);
	buf_reset(&b);
	hostile_merge_keys(&b, 25000, 1200); /* the worst ratio at the node limit */
	assert_true(hostile_load_ms("merge keys at the node limit", &b) < bound_ms);
	buf_reset(&b);
	hostile_merge_chain(&b, 30, 2000);
	assert_true(hostile_load_ms("merge-key chain", &b) < bound_ms);
	buf_reset(&b);
	hostile_merge_list(&b, 80000, 2500);
	assert_true(hostile_load_ms("merge key naming a long list", &b) < bound_ms);
	buf_reset(&b);
	hostile_many_users(&b, 19000);
	assert_true(hostile_load_ms("many users", &b) < bound_ms);
	buf_reset(&b);
	hostile_aliases(&b, 1000, 95000);
	assert_true(hostile_load_ms("aliases to the oldest anchor", &b) < bound_ms);
	buf_release(&b);
}

/* ---- credentials: never in clear, never in messages, never splitting a header ---------- */

/* Loads kubeconfig text from a temporary file; with log_out, what was logged (-v) too. */
static struct kube_target *load_text(const char *text, struct err *err, char **log_out)
{
	char text_dir[] = "/tmp/netctl-kc-XXXXXX";
	char *path, *log_path = NULL;
	struct kube_target *t;
	FILE *f;
	int saved = -1;

	assert_non_null(mkdtemp(text_dir));
	path = xasprintf("%s/config.yaml", text_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (log_out) {
		int fd;

		log_path = xasprintf("%s/stderr", text_dir);
		fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		fflush(stderr);
		saved = dup(2);
		dup2(fd, 2);
		close(fd);
		log_set_level(LOG_TRACE);
	}
	err_clear(err);
	t = kube_target_load(path, NULL, err);
	if (log_out) {
		struct buf b;
		struct err e = ERR_INIT;

		log_set_level(LOG_WARN);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		buf_init(&b, 1 << 20);
		assert_int_equal(file_read_all(log_path, 1 << 20, &b, &e), 0);
		*log_out = buf_steal(&b);
		unlink(log_path);
		free(log_path);
	}
	unlink(path);
	rmdir(text_dir);
	free(path);
	return t;
}

#define KC_HEAD                                                                                    \
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"                                     \
	"contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"

static void test_token_control_characters(void **state)
{
	static const char *const tokens[] = {"\"tok-a\\r\\nX-Injected: yes\"", "\"tok-a\\nb\"",
					     "\"tok-a\\rb\"", "\"tok-\\x01\"",
					     "|\n      tok-block\n"};
	struct err err = ERR_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(tokens); i++) {
		char *text =
		    xasprintf(KC_HEAD "clusters:\n- name: c\n  cluster: {server: "
				      "https://198.18.0.1:6443}\nusers:\n- name: u\n  user:\n"
				      "    token: %s\n",
			      tokens[i]);
		struct kube_target *t = load_text(text, &err, NULL);

		if (t)
			fail_msg("token %s was accepted", tokens[i]);
		assert_int_equal(err.code, ERR_USAGE);
		assert_non_null(strstr(err.msg, "users[0].user.token: contains a line break or "
						"control character"));
		assert_null(strchr(err.msg, '\n'));
		assert_null(strstr(err.msg, "tok-"));
		free(text);
	}
}

static void test_credentials_over_plain_http(void **state)
{
	static const char *const users[] = {
	    "{token: tok-plain}", "{username: a, password: b}", "{tokenFile: /dev/null}",
	    ("{exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
	     "command: /bin/true}}")};
	struct err err = ERR_INIT;
	struct kube_target *t;
	char *text;

	unsetenv("NETCTL_ALLOW_INSECURE_CREDENTIALS");
	for (size_t i = 0; i < ARRAY_SIZE(users); i++) {
		text = xasprintf(KC_HEAD "clusters:\n- name: c\n  cluster: {server: "
					 "http://198.18.0.1:8080}\nusers:\n- name: u\n  user: %s\n",
				 users[i]);
		t = load_text(text, &err, NULL);
		if (t)
			fail_msg("credentials %s over http:// were accepted", users[i]);
		assert_string_equal(
		    strstr(err.msg, "clusters[0]"),
		    "clusters[0].cluster.server: http:// would send the credentials "
		    "of users[0] in clear (use https://, or set "
		    "NETCTL_ALLOW_INSECURE_CREDENTIALS=1)");
		/* said explicitly: allowed */
		setenv("NETCTL_ALLOW_INSECURE_CREDENTIALS", "1", 1);
		t = load_text(text, &err, NULL);
		unsetenv("NETCTL_ALLOW_INSECURE_CREDENTIALS");
		if (!t)
			fail_msg("%s", err.msg);
		kube_target_free(t);
		free(text);
	}
	/* user:password@ in the URL is a credential too */
	t = load_text(KC_HEAD
		      "clusters:\n- name: c\n  cluster: {server: "
		      "http://alice:s3cret@198.18.0.1:8080}\nusers:\n- name: u\n  user: {}\n",
		      &err, NULL);
	assert_null(t);
	assert_non_null(strstr(err.msg, "http:// would send the credentials"));
	assert_null(strstr(err.msg, "s3cret"));
	/* no credentials, or TLS: nothing to say */
	t = load_text(KC_HEAD "clusters:\n- name: c\n  cluster: {server: http://198.18.0.1:8080}\n"
			      "users:\n- name: u\n  user: {}\n",
		      &err, NULL);
	assert_non_null(t);
	kube_target_free(t);
	t = load_text(KC_HEAD "clusters:\n- name: c\n  cluster: {server: https://198.18.0.1:6443}\n"
			      "users:\n- name: u\n  user: {token: tok-tls}\n",
		      &err, NULL);
	assert_non_null(t);
	kube_target_free(t);
}

static void test_server_password_hidden(void **state)
{
	struct err err = ERR_INIT;
	char *log = NULL, *r;
	struct kube_target *t;

	t = load_text(KC_HEAD "clusters:\n- name: c\n  cluster: {server: "
			      "https://alice:s3cret@198.18.0.1:6443/k8s}\nusers:\n- name: u\n"
			      "  user: {}\n",
		      &err, &log);
	assert_non_null(t);
	if (strstr(log, "s3cret") || strstr(log, "alice") || !strstr(log, "https://***@198.18.0.1"))
		fail_msg("debug log: %s", log);
	kube_target_free(t);
	free(log);
	/* an invalid URL with a password: the message shows where, not what */
	t = load_text(KC_HEAD "clusters:\n- name: c\n  cluster: {server: "
			      "'ftp://alice:s3cret@198.18.0.1'}\nusers:\n- name: u\n  user: {}\n",
		      &err, NULL);
	assert_null(t);
	assert_non_null(
	    strstr(err.msg, "'ftp://***@198.18.0.1' is not an https:// or http:// URL"));
	r = kube_url_redact("https://u:p@h:1/a@b?c@d");
	assert_string_equal(r, "https://***@h:1/a@b?c@d");
	free(r);
	r = kube_url_redact("https://h:1/a@b");
	assert_string_equal(r, "https://h:1/a@b");
	free(r);
	r = kube_url_redact("u:p@h");
	assert_string_equal(r, "***@h");
	free(r);
}

static void test_in_cluster(void **state)
{
	struct err err = ERR_INIT;
	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct kube_target *t;
	char **names;

	setenv("HOME", "/nonexistent-netctl-home", 1);
	setenv("KUBECONFIG", "/nonexistent-netctl/config", 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	t = kube_target_load(NULL, NULL, &err);
	assert_null(t);
	assert_non_null(strstr(err.msg, "no kubeconfig"));

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	setenv("NETCTL_SA_DIR", KC "/in-cluster", 1);
	t = kube_target_load(NULL, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://[fd00::1]:6443");
	assert_string_equal(t->namespace, "netctl-ns");
	assert_string_equal(t->token_file, KC "/in-cluster/token");
	assert_true(blob_has(&t->ca, "BEGIN CERTIFICATE"));
	kube_target_free(t);
	names = kube_context_names(NULL, &err);
	assert_non_null(names);
	assert_int_equal(strv_len(names), 1);
	assert_string_equal(names[0], "in-cluster");
	strv_free(names);

	/* a kubeconfig, when present, wins over the in-cluster config */
	setenv("KUBECONFIG", KC "/token.yaml", 1);
	t = kube_target_load(NULL, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.0.10:6443");
	kube_target_free(t);
	/* ... unless the in-cluster config is asked for by name (a registered --in-cluster) */
	t = kube_target_load(KUBE_IN_CLUSTER, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://[fd00::1]:6443");
	assert_string_equal(t->token_file, KC "/in-cluster/token");
	kube_target_free(t);
	names = kube_context_names(KUBE_IN_CLUSTER, &err);
	assert_non_null(names);
	assert_string_equal(names[0], "in-cluster");
	strv_free(names);
	assert_null(kube_target_load(KUBE_IN_CLUSTER, "other", &err));
	assert_non_null(strstr(err.msg, "has no contexts"));
	setenv("KUBERNETES_SERVICE_HOST", "198.18.0.1", 1);
	unsetenv("KUBERNETES_SERVICE_PORT");
	t = kube_target_load(KUBE_IN_CLUSTER, NULL, &err);
	assert_non_null(t);
	assert_string_equal(t->server, "https://198.18.0.1:443");
	kube_target_free(t);
	unsetenv("KUBERNETES_SERVICE_HOST");
	err_clear(&err);
	assert_null(kube_target_load(KUBE_IN_CLUSTER, NULL, &err));
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "not running in a pod"));
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);

	setenv("KUBECONFIG", "/nonexistent-netctl/config", 1);
	setenv("NETCTL_SA_DIR", KC "/nonexistent-sa", 1);
	t = kube_target_load(NULL, NULL, &err);
	assert_null(t);
	assert_non_null(strstr(err.msg, "in-cluster config: cannot read"));
	assert_non_null(strstr(err.msg, "nonexistent-sa/token"));

	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("NETCTL_SA_DIR");
	unsetenv("KUBECONFIG");
	if (home)
		setenv("HOME", home, 1);
	free(home);
}

static void test_malformed_structure(void **state)
{
	expect_error("bad-yaml.yaml", NULL,
		     "line 6 column 4: invalid YAML: did not find expected key");
	expect_error("empty.yaml", NULL, "file is empty");
	expect_error("top-level-list.yaml", NULL, "top level: expected a mapping, got a list");
	expect_error("clusters-not-list.yaml", NULL, "clusters: expected a list, got a mapping");
	expect_error("cluster-is-list.yaml", NULL,
		     "clusters[0].cluster: expected a mapping, got a list");
	expect_error("wrong-kind.yaml", NULL, "kind: 'Pod' is not Config");
	expect_error("duplicate-cluster.yaml", NULL, "clusters[1].name: duplicate name 'c1'");
	expect_error("user-no-name.yaml", NULL, "users[0].name: missing");
	expect_error("context-no-cluster.yaml", NULL, "contexts[0].context.cluster: missing");
	expect_error("deep-nesting.yaml", NULL, "line 17: nested deeper than 32 levels");
	/* an alias may only point at a finished node: no cycles */
	expect_error("self-alias.yaml", NULL, "line 5: recursive alias *loop");
}

static void test_malformed_references(void **state)
{
	expect_error("missing-context.yaml", NULL,
		     "current-context: context 'no-such-context' not found");
	expect_error("missing-user.yaml", NULL,
		     "contexts[0].context.user: user 'ghost-user' not found");
	expect_error("missing-cluster.yaml", NULL,
		     "contexts[0].context.cluster: cluster 'ghost-cluster' not found");
	expect_error("unreadable-ca.yaml", NULL,
		     "clusters[0].cluster.certificate-authority: cannot read " KC
		     "/certs/does-not-exist.crt: No such file or directory");
	expect_error("unreadable-client-cert.yaml", NULL,
		     "users[0].user.client-certificate: cannot read " KC
		     "/certs/missing-client.crt: No such file or directory");
	expect_error("token-file-missing.yaml", NULL,
		     "users[0].user.tokenFile: cannot read " KC
		     "/tokens/no-such-token: No such file or directory");
	expect_error("not-pem-ca.yaml", NULL,
		     "clusters[0].cluster.certificate-authority: not PEM data");
}

static void test_malformed_values(void **state)
{
	expect_error("invalid-base64-ca.yaml", NULL,
		     "clusters[0].cluster.certificate-authority-data: invalid base64");
	expect_error("invalid-base64-user.yaml", NULL,
		     "users[1].user.client-certificate-data: invalid base64");
	expect_error("server-not-url.yaml", NULL,
		     "clusters[0].cluster.server: 'not a url at all' is not an https:// or "
		     "http:// URL");
	expect_error("server-missing.yaml", NULL, "clusters[0].cluster.server: missing");
	expect_error("proxy-url-bad.yaml", NULL,
		     "clusters[0].cluster.proxy-url: not an http, https or socks5 URL");
	expect_error("insecure-not-bool.yaml", NULL,
		     "clusters[0].cluster.insecure-skip-tls-verify: expected true or false");
	expect_error("insecure-with-ca.yaml", NULL,
		     "clusters[0].cluster.insecure-skip-tls-verify: cannot be combined with a "
		     "certificate authority");
	expect_error("cert-without-key.yaml", NULL,
		     "users[0].user.client-key: missing (client-certificate is set)");
	expect_error("token-is-list.yaml", NULL,
		     "users[0].user.token: expected a string, got a list");
	expect_error("password-is-map.yaml", NULL,
		     "users[0].user.password: expected a string, got a mapping");
}

static void test_malformed_auth(void **state)
{
	expect_error("auth-provider.yaml", NULL,
		     "users[0].user.auth-provider: 'gcp' (legacy auth-provider) is not supported, "
		     "use an exec plugin");
	expect_error("impersonate.yaml", NULL, "users[0].user.as: impersonation is not supported");
	expect_error("token-and-basic.yaml", NULL,
		     "users[0].user: more than one authentication method (token and "
		     "username/password); only one is allowed");
	expect_error("exec-no-command.yaml", NULL,
		     "users[0].user.exec.command: missing (an exec plugin needs a command)");
	expect_error("exec-bad-apiversion.yaml", NULL,
		     "users[0].user.exec.apiVersion: 'client.authentication.k8s.io/v1alpha1' is "
		     "not supported (use client.authentication.k8s.io/v1 or v1beta1)");
	expect_error("exec-v1-no-interactive.yaml", NULL,
		     "users[0].user.exec.interactiveMode: missing (required by "
		     "client.authentication.k8s.io/v1: Never, IfAvailable or Always)");
	expect_error("exec-bad-interactive.yaml", NULL,
		     "users[0].user.exec.interactiveMode: 'Sometimes' is not one of Never, "
		     "IfAvailable, Always");
	expect_error("exec-env-no-name.yaml", NULL, "users[0].user.exec.env[0].name: missing");
	expect_error("exec-args-not-list.yaml", NULL,
		     "users[0].user.exec.args: expected a list, got a scalar");
}

static void test_malformed_pem(void **state)
{
	struct err err = ERR_INIT;
	struct kube_target *t;

	expect_error("key-mismatch.yaml", NULL,
		     "users[0].user.client-key: does not match the client certificate");
	expect_error("encrypted-key.yaml", NULL,
		     "users[0].user.client-key: not a valid unencrypted PEM private key");
	expect_error("broken-ca.yaml", NULL,
		     "clusters[0].cluster.certificate-authority: not a valid PEM certificate");
	expect_error("cert-data-not-cert.yaml", NULL,
		     "users[0].user.client-certificate-data: not a valid PEM certificate");
	/* the client certificate's expiry is known, so a command can warn before it bites */
	t = load("full-cert-files.yaml", NULL, &err);
	assert_non_null(t);
	assert_true(t->client_cert_not_after_ms > time_wall_ms() + 365LL * 86400 * 1000);
	kube_target_free(t);
}

static void test_no_secret_in_errors(void **state)
{
	static const char *const files[] = {"token-and-basic.yaml", "auth-provider.yaml",
					    "token-is-list.yaml", "password-is-map.yaml"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct err err = ERR_INIT;
		struct kube_target *t = load(files[i], NULL, &err);

		assert_null(t);
		assert_true(err.msg[0] != '\0');
		if (strstr(err.msg, "SECRET"))
			fail_msg("%s: secret in message '%s'", files[i], err.msg);
	}
}

static void test_missing_and_huge_files(void **state)
{
	char dir[] = "/tmp/netctl-kc-XXXXXX";
	char *big;
	FILE *f;
	struct err err = ERR_INIT;
	struct kube_target *t;

	expect_error_has("does-not-exist.yaml", NULL, "does-not-exist.yaml",
			 "No such file or directory");
	assert_non_null(mkdtemp(dir));
	big = xasprintf("%s/huge.yaml", dir);
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("apiVersion: v1\nkind: Config\npreferences:\n", f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "  key%06d: %s\n", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	fclose(f);
	t = kube_target_load(big, NULL, &err);
	assert_null(t);
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "huge.yaml: larger than the limit of 4194304 bytes"));

	/* small in bytes, huge in nodes: the node cap stops it */
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("apiVersion: v1\nkind: Config\npreferences: [", f);
	for (int i = 0; i < 120000; i++)
		fputs("1,", f);
	fputs("1]\n", f);
	fclose(f);
	t = kube_target_load(big, NULL, &err);
	assert_null(t);
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "huge.yaml: more than 100000 YAML nodes"));

	/* many anchors: capped, so alias lookups stay cheap */
	f = fopen(big, "w");
	assert_non_null(f);
	fputs("apiVersion: v1\nkind: Config\npreferences:\n", f);
	fputs("  k0: &a0 [x]\n", f);
	for (int i = 1; i < 1100; i++)
		fprintf(f, "  k%d: &a%d [*a%d]\n", i, i, i - 1);
	fclose(f);
	t = kube_target_load(big, NULL, &err);
	assert_null(t);
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "huge.yaml: more than 1000 YAML anchors"));
	unlink(big);
	rmdir(dir);
	free(big);
}

static void test_check_text(void **state)
{
	static const char good[] = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n"
				   "  cluster: {server: https://198.18.0.1:6443}\n";
	static const char bad[] = "apiVersion: v1\nusers:\n- name: u\n  user:\n"
				  "    client-key-data: '%%%'\n";
	struct err err = ERR_INIT;

	assert_int_equal(kube_config_check_text(good, strlen(good), "/in/memory", &err), 0);
	assert_int_equal(kube_config_check_text(bad, strlen(bad), "/in/memory", &err), -1);
	assert_string_equal(err.msg,
			    "kubeconfig /in/memory: users[0].user.client-key-data: invalid base64");
	assert_int_equal(kube_config_check_text("", 0, "/in/memory", &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cert_files_relative_paths),
	    cmocka_unit_test(test_cert_data_equals_files),
	    cmocka_unit_test(test_token_kinds),
	    cmocka_unit_test(test_exec_v1_fields),
	    cmocka_unit_test(test_exec_v1beta1_defaults),
	    cmocka_unit_test(test_contexts_and_namespaces),
	    cmocka_unit_test(test_merge_first_file_wins),
	    cmocka_unit_test(test_home_and_nested_paths),
	    cmocka_unit_test(test_relative_kubeconfig_path),
	    cmocka_unit_test(test_yaml_features),
	    cmocka_unit_test(test_alias_bomb_is_cheap),
	    cmocka_unit_test(test_hostile_files_are_cheap),
	    cmocka_unit_test(test_token_control_characters),
	    cmocka_unit_test(test_credentials_over_plain_http),
	    cmocka_unit_test(test_server_password_hidden),
	    cmocka_unit_test(test_in_cluster),
	    cmocka_unit_test(test_malformed_structure),
	    cmocka_unit_test(test_malformed_references),
	    cmocka_unit_test(test_malformed_values),
	    cmocka_unit_test(test_malformed_auth),
	    cmocka_unit_test(test_malformed_pem),
	    cmocka_unit_test(test_no_secret_in_errors),
	    cmocka_unit_test(test_missing_and_huge_files),
	    cmocka_unit_test(test_check_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
