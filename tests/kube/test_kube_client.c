/* Integration tests of src/kube against two real kube-apiservers (tests/kube/fixture.sh):
 * every auth method, TLS and reachability errors, RBAC messages, apply/rollout/delete,
 * pagination over hundreds of nodes, streaming, and two clusters from one loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kube.h"

#define PORT_A 16443
#define PORT_B 16453

static char world[512], dir_a[600], dir_b[600], tmp[64];
static const char *kubectl;
static struct kube_loop *loop;
/* extra time allowed under valgrind (NETCTL_TEST_SLOW=1), in microseconds */
static int64_t slack_us;

/* ---- helpers ------------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
	struct buf b;
	struct err err = ERR_INIT;

	buf_init(&b, 1 << 20);
	if (file_read_all(path, 1 << 20, &b, &err) < 0)
		fail_msg("%s", err.msg);
	return buf_steal(&b);
}

/* the token of control plane a, without its newline */
static char *token_a(void)
{
	char *path = xasprintf("%s/pki/token", dir_a);
	char *t = slurp(path);

	t[strcspn(t, "\n")] = '\0';
	free(path);
	return t;
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A kubeconfig with one cluster block and one user block (YAML lines, 4-space indent). */
static char *kubeconfig_write(const char *name, int port, const char *cluster_extra,
			      const char *user_block)
{
	char *path = xasprintf("%s/%s.kubeconfig", tmp, name);
	char *text =
	    xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: %s\n"
		      "clusters:\n- name: %s\n  cluster:\n    server: https://127.0.0.1:%d\n"
		      "%s"
		      "users:\n- name: u\n  user:\n%s"
		      "contexts:\n- name: %s\n  context:\n    cluster: %s\n    user: u\n",
		      name, name, port, cluster_extra, user_block, name, name);

	spit(path, text);
	free(text);
	return path;
}

static struct kube_client *client_open(const char *kubeconfig, const char *name, long connect_ms)
{
	struct err err = ERR_INIT;
	/* generous bounds: a busy 2-core machine (parallel builds, valgrind) is slow */
	struct kube_client_opts o = {.name = name,
				     .connect_timeout_ms = connect_ms ? connect_ms : 20000,
				     .timeout_ms = 60000};
	struct kube_target *t = kube_target_load(kubeconfig, NULL, &err);
	struct kube_client *c;

	if (!t)
		fail_msg("kubeconfig %s: %s", kubeconfig, err.msg);
	c = kube_client_new(loop, t, &o, &err);
	kube_target_free(t);
	if (!c)
		fail_msg("client %s: %s", name, err.msg);
	return c;
}

static struct kube_client *admin(char which)
{
	char *path = xasprintf("%s/admin.kubeconfig", which == 'a' ? dir_a : dir_b);
	struct kube_client *c = client_open(path, which == 'a' ? "a" : "b", 0);

	free(path);
	return c;
}

/* true when GET of an object that needs authorisation works */
static void expect_authorised(struct kube_client *c)
{
	struct err err = ERR_INIT;
	struct cJSON *ns = kube_get(c, "/api/v1/namespaces/kube-system", &err);

	if (!ns)
		fail_msg("expected access: %s", err.msg);
	cJSON_Delete(ns);
}

static char *run_kubectl(const char *args)
{
	char *cmd = xasprintf("%s --kubeconfig %s/admin.kubeconfig %s 2>&1", kubectl, dir_a, args);
	FILE *p = popen(cmd, "r");
	struct buf out;
	char chunk[4096];
	size_t n;

	assert_non_null(p);
	buf_init(&out, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		(void)!buf_append(&out, chunk, n);
	pclose(p);
	free(cmd);
	if (!out.data)
		(void)!buf_puts(&out, "");
	return buf_steal(&out);
}

/* ---- auth ----------------------------------------------------------------------------------- */

static void test_client_cert(void **state)
{
	struct kube_client *c = admin('a');
	struct err err = ERR_INIT;
	char version[64];

	if (kube_server_version(c, version, sizeof(version), &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(version, "v1.20.2");
	expect_authorised(c);
	assert_int_equal(kube_client_requests(c), 2);
	kube_client_free(c);
}

static void test_bearer_token(void **state)
{
	char *path = xasprintf("%s/token.kubeconfig", dir_a);
	struct kube_client *c = client_open(path, "token", 0);

	expect_authorised(c);
	kube_client_free(c);
	free(path);
}

static void test_token_file_reread(void **state)
{
	char *token = token_a();
	char *tf = xasprintf("%s/token.txt", tmp);
	char *ca = xasprintf("    certificate-authority: %s/pki/ca.crt\n", dir_a);
	char *user = xasprintf("    tokenFile: %s\n", tf);
	char *kc;
	struct kube_client *c;
	struct err err = ERR_INIT;
	struct cJSON *j;

	spit(tf, token);
	kc = kubeconfig_write("tokenfile", PORT_A, ca, user);
	c = client_open(kc, "tokenfile", 0);
	expect_authorised(c);
	/* a rotated (here: wrong) token is picked up on the next request */
	spit(tf, "not-the-token\n");
	j = kube_get(c, "/api/v1/namespaces/kube-system", &err);
	assert_null(j);
	assert_int_equal(err.code, ERR_AUTH);
	assert_non_null(strstr(err.msg, "cluster tokenfile: unauthorized"));
	spit(tf, token);
	expect_authorised(c);
	kube_client_free(c);
	free(token);
	free(tf);
	free(ca);
	free(user);
	free(kc);
}

static void test_exec_plugin_cached(void **state)
{
	char *token = token_a();
	char *counter = xasprintf("%s/plugin-calls", tmp);
	char *ca = xasprintf("    certificate-authority: %s/pki/ca.crt\n", dir_a);
	char *user, *kc, *calls;
	struct kube_client *c;

	user =
	    xasprintf("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
		      "      command: %s/kubeconfig/plugin/exec-plugin.sh\n"
		      "      args: [--token, \"%s\", --expiry-seconds, \"3600\", --counter, %s]\n"
		      "      interactiveMode: Never\n",
		      FIXTURES_DIR, token, counter);
	unlink(counter);
	kc = kubeconfig_write("exec", PORT_A, ca, user);
	c = client_open(kc, "exec", 0);
	for (int i = 0; i < 3; i++)
		expect_authorised(c);
	calls = slurp(counter);
	/* three requests, one plugin run: the credential is cached until it expires */
	assert_string_equal(calls, "call\n");
	kube_client_free(c);
	free(calls);
	free(token);
	free(counter);
	free(ca);
	free(user);
	free(kc);
}

static void test_exec_plugin_client_cert(void **state)
{
	char *ca = xasprintf("    certificate-authority: %s/pki/ca.crt\n", dir_a);
	char *user = xasprintf("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
			       "      command: %s/kubeconfig/plugin/exec-plugin.sh\n"
			       "      args: [--mode, cert]\n"
			       "      env:\n      - name: NETCTL_PLUGIN_CERT\n"
			       "        value: %s/pki/admin.crt\n"
			       "      - name: NETCTL_PLUGIN_KEY\n        value: %s/pki/admin.key\n"
			       "      interactiveMode: Never\n",
			       FIXTURES_DIR, dir_a, dir_a);
	char *kc = kubeconfig_write("exec-cert", PORT_A, ca, user);
	struct kube_client *c = client_open(kc, "exec-cert", 0);

	expect_authorised(c);
	kube_client_free(c);
	free(ca);
	free(user);
	free(kc);
}

static void test_insecure_skip_verify(void **state)
{
	char *token = token_a();
	char *user, *kc;
	struct kube_client *c;

	user = xasprintf("    token: %s\n", token);
	kc = kubeconfig_write("insecure", PORT_A, "    insecure-skip-tls-verify: true\n", user);
	c = client_open(kc, "insecure", 0);
	expect_authorised(c);
	kube_client_free(c);
	free(token);
	free(user);
	free(kc);
}

/* ---- failures a user must understand -------------------------------------------------------- */

static void test_wrong_ca_is_tls_error(void **state)
{
	/* cluster b's CA does not sign cluster a's serving certificate */
	char *ca = xasprintf("    certificate-authority: %s/pki/ca.crt\n", dir_b);
	char *user = xasprintf("    client-certificate: %s/pki/admin.crt\n"
			       "    client-key: %s/pki/admin.key\n",
			       dir_a, dir_a);
	char *kc = kubeconfig_write("wrong-ca", PORT_A, ca, user);
	struct kube_client *c = client_open(kc, "wrong-ca", 0);
	struct err err = ERR_INIT;
	char v[64];

	assert_int_equal(kube_server_version(c, v, sizeof(v), &err), -1);
	assert_int_equal(err.code, ERR_TLS);
	assert_non_null(strstr(err.msg, "cluster wrong-ca"));
	assert_null(strchr(err.msg, '\n'));
	/* a TLS failure is not retried */
	assert_int_equal(kube_client_requests(c), 1);
	kube_client_free(c);
	free(ca);
	free(user);
	free(kc);
}

static void test_tls_server_name(void **state)
{
	char *ca = xasprintf("    certificate-authority: %s/pki/ca.crt\n"
			     "    tls-server-name: kubernetes.default\n",
			     dir_a);
	char *bad = xasprintf("    certificate-authority: %s/pki/ca.crt\n"
			      "    tls-server-name: not-in-the-cert.test\n",
			      dir_a);
	char *user = xasprintf("    client-certificate: %s/pki/admin.crt\n"
			       "    client-key: %s/pki/admin.key\n",
			       dir_a, dir_a);
	char *kc = kubeconfig_write("sni", PORT_A, ca, user);
	char *kc_bad = kubeconfig_write("sni-bad", PORT_A, bad, user);
	struct kube_client *c = client_open(kc, "sni", 0);
	struct err err = ERR_INIT;
	char v[64];

	/* the serving certificate names kubernetes.default: verified against that name */
	expect_authorised(c);
	kube_client_free(c);
	c = client_open(kc_bad, "sni-bad", 0);
	assert_int_equal(kube_server_version(c, v, sizeof(v), &err), -1);
	assert_int_equal(err.code, ERR_TLS);
	assert_non_null(strstr(err.msg, "cluster sni-bad: TLS"));
	kube_client_free(c);
	free(ca);
	free(bad);
	free(user);
	free(kc);
	free(kc_bad);
}

static void test_unreachable_refused(void **state)
{
	char *kc = kubeconfig_write("down", 16499, "    insecure-skip-tls-verify: true\n",
				    "    token: x\n");
	struct kube_client *c = client_open(kc, "down", 1000);
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();
	char v[64];

	assert_int_equal(kube_server_version(c, v, sizeof(v), &err), -1);
	/* refused connections are retried, but only within the connect timeout */
	assert_true(time_mono_us() - t0 < 1500 * 1000 + slack_us);
	assert_int_equal(err.code, ERR_API);
	assert_non_null(strstr(err.msg, "cluster down: cannot reach https://127.0.0.1:16499"));
	assert_null(strchr(err.msg, '\n'));
	kube_client_free(c);
	free(kc);
}

static void test_unreachable_silent(void **state)
{
	/* a listener that never accepts: TCP completes in the kernel, TLS never does */
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char extra[80], *kc;
	struct kube_client *c;
	struct err err = ERR_INIT;
	int64_t t0, took;
	char v[64];

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(extra, sizeof(extra), "    insecure-skip-tls-verify: true\n");
	kc = kubeconfig_write("silent", ntohs(sa.sin_port), extra, "    token: x\n");
	c = client_open(kc, "silent", 800);
	t0 = time_mono_us();
	assert_int_equal(kube_server_version(c, v, sizeof(v), &err), -1);
	took = time_mono_us() - t0;
	assert_true(took >= 700 * 1000 && took < 1500 * 1000 + slack_us);
	assert_int_equal(err.code, ERR_API);
	assert_non_null(strstr(err.msg, "cluster silent: cannot reach"));
	kube_client_free(c);
	close(fd);
	free(kc);
}

static void test_restricted_user_forbidden(void **state)
{
	char *path = xasprintf("%s/restricted.kubeconfig", dir_a);
	struct kube_client *c = client_open(path, "restricted", 0);
	struct kube_node_list nodes;
	struct kube_apply_report rep;
	struct kube_deploy_vars v = {.namespace = "netctl-restricted-test"};
	struct err err = ERR_INIT;
	struct cJSON *ns = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
				       "\"metadata\":{\"name\":\"netctl-restricted-test\"}}");
	struct cJSON *out;

	/* allowed: nodes */
	assert_int_equal(kube_nodes_list(c, &nodes, &err), 0);
	kube_node_list_release(&nodes);
	/* refused, with the API server's own words */
	out = kube_create(c, "/api/v1/namespaces", ns, &err);
	assert_null(out);
	assert_int_equal(err.code, ERR_AUTH);
	assert_non_null(strstr(err.msg, "forbidden: User \"netctl-restricted\" cannot create "
					"resource \"namespaces\""));
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &rep, &err), -1);
	assert_int_equal(err.code, ERR_AUTH);
	assert_non_null(strstr(err.msg, "cluster restricted: "));
	assert_non_null(strstr(err.msg, "forbidden: User \"netctl-restricted\""));
	cJSON_Delete(ns);
	kube_client_free(c);
	free(path);
}

/* ---- resources ------------------------------------------------------------------------------ */

static const char *ds_image(struct kube_client *c, const char *ns, const char *name, char *out,
			    size_t outsz)
{
	char path[256];
	struct err err = ERR_INIT;
	struct cJSON *ds, *ctr;
	const char *img = NULL;

	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/daemonsets/%s", ns, name);
	ds = kube_get(c, path, &err);
	if (!ds)
		fail_msg("%s", err.msg);
	ctr = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(
		cJSON_GetObjectItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(ds, "spec"), "template"), "spec"),
		"containers"),
	    0);
	json_get_string(ctr, "image", &img, NULL);
	str_copy(out, outsz, img ? img : "");
	cJSON_Delete(ds);
	return out;
}

static void test_apply_twice_then_update(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_deploy_vars v = {.namespace = "netctl-apply",
				     .image_repository = "registry.test/netctl",
				     .version = "9.9.9"};
	struct kube_apply_report r1, r2, r3, r4;
	struct err err = ERR_INIT;
	char img[256], key[KUBE_ECHO_KEY_LEN + 1], *out;
	char *secrets[] = {"regcred", "mirror.key", NULL};

	if (kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r1, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r1.created, 4);
	assert_int_equal(strlen(r1.token), 64);
	assert_int_equal(strlen(r1.echo_key), KUBE_ECHO_KEY_LEN);
	assert_string_equal(ds_image(c, "netctl-apply", "netctl-floater", img, sizeof(img)),
			    "registry.test/netctl/netctl-floater:9.9.9");
	/* second apply: nothing changes, the token is kept */
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r2, &err), 0);
	assert_int_equal(r2.unchanged, 4);
	assert_int_equal(r2.created + r2.updated, 0);
	assert_string_equal(r1.token, r2.token);
	assert_string_equal(r1.echo_key, r2.echo_key);
	assert_non_null(strstr(r2.summary, "DaemonSet/netctl-floater-host unchanged"));
	/* a new version updates the DaemonSets only */
	v.version = "9.9.10";
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r3, &err), 0);
	assert_int_equal(r3.updated, 2);
	assert_int_equal(r3.unchanged, 2);
	assert_string_equal(ds_image(c, "netctl-apply", "netctl-floater-host", img, sizeof(img)),
			    "registry.test/netctl/netctl-floater:9.9.10");
	/* another cluster's echo key replaces this one's: the Secret, and both pod templates
	 * (their annotation), so the floaters restart with it; the token stays */
	assert_int_equal(kube_echo_key_get(c, "netctl-apply", key, &err), 1);
	assert_string_equal(key, r1.echo_key);
	assert_int_equal(kube_echo_key_get(c, "netctl-nosuch", key, &err), 0);
	v.echo_key = "00112233445566778899aabbccddeeff";
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r4, &err), 0);
	assert_int_equal(r4.updated, 3);
	assert_string_equal(r4.token, r1.token);
	assert_int_equal(kube_echo_key_get(c, "netctl-apply", key, &err), 1);
	assert_string_equal(key, v.echo_key);
	/* image pull secrets: added to both DaemonSets, then kept, then removed again */
	v.image_pull_secrets = secrets;
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r4, &err), 0);
	assert_int_equal(r4.updated, 2);
	out = run_kubectl("get ds -n netctl-apply -o jsonpath={.items[*].spec.template.spec."
			  "imagePullSecrets[*].name}");
	assert_string_equal(out, "regcred mirror.key regcred mirror.key");
	free(out);
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r4, &err), 0);
	assert_int_equal(r4.unchanged, 4);
	v.image_pull_secrets = NULL;
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r4, &err), 0);
	assert_int_equal(r4.updated, 2);
	out = run_kubectl("get ds -n netctl-apply -o jsonpath={.items[*].spec.template.spec."
			  "imagePullSecrets}");
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD | KUBE_NET_HOST, &r4, &err), 0);
	assert_int_equal(r4.unchanged, 4);
	/* real kubectl sees what netctl made */
	out = run_kubectl("get ds,secrets -n netctl-apply -l app.kubernetes.io/managed-by=netctl "
			  "-o name");
	assert_non_null(strstr(out, "daemonset.apps/netctl-floater\n"));
	assert_non_null(strstr(out, "daemonset.apps/netctl-floater-host\n"));
	assert_non_null(strstr(out, "secret/netctl-floater-token\n"));
	free(out);
	kube_client_free(c);
}

/* The DaemonSet's spec.template.spec member `name`, printed compactly (heap). */
static char *ds_spec_member(struct kube_client *c, const char *ns, const char *name)
{
	struct err err = ERR_INIT;
	char path[256];
	cJSON *ds;
	const cJSON *m;
	char *s;

	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/daemonsets/netctl-floater", ns);
	ds = kube_get(c, path, &err);
	assert_non_null(ds);
	m = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ds, "spec"), "template"),
				"spec"),
	    name);
	s = m ? cJSON_PrintUnformatted(m) : xstrdup("absent");
	cJSON_Delete(ds);
	return s;
}

/* Where the floaters run goes into the DaemonSet as given, and a later apply with less
 * (a selector key dropped, no node excluded) removes what is gone: a merge patch keeps
 * what it does not name, so netctl names it null. */
static void test_apply_placement_changes(void **state)
{
	struct kube_client *c = admin('a');
	struct err err = ERR_INIT;
	struct kube_selector *sel = kube_selector_parse("role=x,zone=a,tier in (1,2)", "t", &err);
	char *names[] = {"node-9", NULL};
	struct kube_placement p = {.selector = sel, .exclude_names = names};
	cJSON *pl = kube_placement_json(&p);
	struct kube_deploy_vars v = {.namespace = "netctl-place", .placement = pl};
	struct kube_apply_report r;
	char *got;

	(void)state;
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &r, &err), 0);
	got = ds_spec_member(c, "netctl-place", "nodeSelector");
	assert_string_equal(got, "{\"role\":\"x\",\"zone\":\"a\"}");
	free(got);
	got = ds_spec_member(c, "netctl-place", "affinity");
	assert_non_null(strstr(got, "\"matchFields\":[{\"key\":\"metadata.name\""));
	assert_non_null(strstr(got, "\"tier\""));
	free(got);
	kube_selector_free(sel);
	cJSON_Delete(pl);

	sel = kube_selector_parse("role=x", "t", &err);
	p = (struct kube_placement){.selector = sel};
	v.placement = pl = kube_placement_json(&p);
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &r, &err), 0);
	assert_non_null(strstr(r.summary, "DaemonSet/netctl-floater updated"));
	got = ds_spec_member(c, "netctl-place", "nodeSelector");
	assert_string_equal(got, "{\"role\":\"x\"}");
	free(got);
	got = ds_spec_member(c, "netctl-place", "affinity");
	assert_null(strstr(got, "matchFields"));
	assert_null(strstr(got, "tier"));
	free(got);
	/* the same again: nothing to change */
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &r, &err), 0);
	assert_non_null(strstr(r.summary, "DaemonSet/netctl-floater unchanged"));
	kube_selector_free(sel);
	cJSON_Delete(pl);

	/* no selector at all: the nodeSelector goes */
	p = (struct kube_placement){0};
	v.placement = pl = kube_placement_json(&p);
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &r, &err), 0);
	got = ds_spec_member(c, "netctl-place", "nodeSelector");
	assert_string_equal(got, "absent");
	free(got);
	cJSON_Delete(pl);
	kube_client_free(c);
}

static void test_rollout_no_nodes_times_out(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_rollout ro;
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();

	assert_int_equal(kube_daemonset_wait(c, "netctl-apply", "netctl-floater", 1500, &ro, &err),
			 -1);
	assert_true(time_mono_us() - t0 < 3000 * 1000 + slack_us);
	assert_int_equal(err.code, ERR_TIMEOUT);
	assert_int_equal(ro.nproblems, 0);
	assert_int_equal(ro.desired, 0);
	assert_non_null(strstr(err.msg, "the cluster has no nodes"));
	kube_rollout_release(&ro);
	kube_client_free(c);
}

static void test_delete_leaves_nothing(void **state)
{
	struct kube_client *c = admin('a');
	struct err err = ERR_INIT;
	char *out;

	out = run_kubectl("get all,secrets,sa -n netctl-apply -o name");
	assert_non_null(strstr(out, "daemonset.apps/netctl-floater"));
	free(out);
	if (kube_floaters_delete(c, "netctl-apply", 60000, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	out = run_kubectl("get all,secrets,sa -n netctl-apply -o name");
	/* -o name prints kind/name per object: no '/' means no object at all */
	if (strchr(out, '/'))
		fail_msg("left behind:\n%s", out);
	free(out);
	out = run_kubectl("get ns netctl-apply -o name");
	assert_non_null(strstr(out, "NotFound"));
	free(out);
	/* again: everything is already gone, which is fine */
	assert_int_equal(kube_floaters_delete(c, "netctl-apply", 0, NULL, &err), 0);
	kube_client_free(c);
}

/* A namespace netctl created, into which somebody then installed their own work (Kosmos
 * into kosmos-system): clean removes netctl's objects and keeps the namespace and theirs. */
static void test_shared_namespace_kept(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_deploy_vars v = {.namespace = "netctl-shared"};
	struct kube_apply_report rep;
	struct kube_clean done;
	struct err err = ERR_INIT;
	char *out;

	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &rep, &err), 0);
	assert_non_null(strstr(rep.summary, "Namespace/netctl-shared created"));
	free(run_kubectl("create configmap kosmos-settings --from-literal=a=b -n netctl-shared"));
	if (kube_floaters_delete(c, "netctl-shared", 0, &done, &err) < 0)
		fail_msg("%s", err.msg);
	assert_false(done.ns_deleted);
	assert_non_null(strstr(done.kept, "configmaps/kosmos-settings"));
	out = run_kubectl("get ns netctl-shared -o name");
	assert_string_equal(out, "namespace/netctl-shared\n");
	free(out);
	out = run_kubectl("get cm,ds,secrets -n netctl-shared -o name");
	assert_non_null(strstr(out, "configmap/kosmos-settings"));
	assert_null(strstr(out, "netctl-floater"));
	free(out);
	/* once their work is gone, the namespace netctl made goes with the next clean */
	free(run_kubectl("delete configmap kosmos-settings -n netctl-shared"));
	assert_int_equal(kube_floaters_delete(c, "netctl-shared", 60000, &done, &err), 0);
	assert_true(done.ns_deleted);
	assert_string_equal(done.kept, "");
	kube_client_free(c);
}

static void test_foreign_namespace_kept(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_deploy_vars v = {.namespace = "default"};
	struct kube_apply_report rep;
	struct err err = ERR_INIT;
	char *out;

	/* a namespace netctl did not create is used, not adopted ... */
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &rep, &err), 0);
	assert_non_null(strstr(rep.summary, "Namespace/default unchanged"));
	assert_int_equal(rep.created, 2);
	/* ... and survives the clean-up, which takes only netctl's objects */
	assert_int_equal(kube_floaters_delete(c, "default", 0, NULL, &err), 0);
	out = run_kubectl("get ns default -o name");
	assert_string_equal(out, "namespace/default\n");
	free(out);
	out = run_kubectl("get ds,secrets -n default -o name");
	assert_null(strstr(out, "netctl-floater"));
	assert_non_null(strstr(out, "secret/default-token-"));
	free(out);
	kube_client_free(c);
}

static void node_create(struct kube_client *c, const char *name, const char *label)
{
	struct err err = ERR_INIT;
	char *text = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
			       "\"%s\",\"labels\":{\"netctl-test\":\"%s\"}}}",
			       name, label);
	struct cJSON *obj = cJSON_Parse(text), *out;

	out = kube_create(c, "/api/v1/nodes", obj, &err);
	if (!out)
		fail_msg("%s", err.msg);
	cJSON_Delete(out);
	cJSON_Delete(obj);
	free(text);
}

static void test_rollout_reports_each_node(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_deploy_vars v = {.namespace = "netctl-rollout"};
	struct kube_apply_report rep;
	struct kube_rollout ro;
	struct err err = ERR_INIT;
	bool seen[2] = {false, false};

	node_create(c, "roll-node-1", "rollout");
	node_create(c, "roll-node-2", "rollout");
	assert_int_equal(kube_floaters_apply(c, &v, KUBE_NET_POD, &rep, &err), 0);
	/* let the DaemonSet controller create both pods first (slow on a busy machine) */
	for (int i = 0; i < 120; i++) {
		struct kube_pod_list pl;
		size_t n;

		assert_int_equal(kube_pods_list(c, "netctl-rollout", NULL, &pl, &err), 0);
		n = pl.n;
		kube_pod_list_release(&pl);
		if (n == 2)
			break;
		usleep(250 * 1000);
	}
	assert_int_equal(
	    kube_daemonset_wait(c, "netctl-rollout", "netctl-floater", 2000, &ro, &err), -1);
	assert_int_equal(err.code, ERR_TIMEOUT);
	assert_int_equal(ro.nproblems, 2);
	for (size_t i = 0; i < ro.nproblems; i++) {
		if (!strcmp(ro.problems[i].node, "roll-node-1"))
			seen[0] = true;
		if (!strcmp(ro.problems[i].node, "roll-node-2"))
			seen[1] = true;
		/* no kubelet runs these pods: each is explained, not just counted */
		assert_non_null(ro.problems[i].pod);
		assert_non_null(strstr(ro.problems[i].why, "Pending"));
	}
	assert_true(seen[0] && seen[1]);
	assert_non_null(strstr(err.msg, "0 of 2 floaters ready"));
	kube_rollout_release(&ro);
	assert_int_equal(
	    kube_delete(c, "/api/v1/nodes?labelSelector=netctl-test%3Drollout", NULL, &err), 0);
	assert_int_equal(kube_floaters_delete(c, "netctl-rollout", 0, NULL, &err), 0);
	kube_client_free(c);
}

static struct cJSON *json_or_fail(const char *text)
{
	struct cJSON *j = cJSON_Parse(text);

	if (!j)
		fail_msg("bad JSON in test: %s", text);
	return j;
}

static void create_or_fail(struct kube_client *c, const char *path, const char *text)
{
	struct err err = ERR_INIT;
	struct cJSON *obj = json_or_fail(text), *out = kube_create(c, path, obj, &err);

	if (!out)
		fail_msg("%s", err.msg);
	cJSON_Delete(out);
	cJSON_Delete(obj);
}

/* what a kubelet reports, patched on the status subresource */
static void status_or_fail(struct kube_client *c, const char *path, const char *text)
{
	struct err err = ERR_INIT;
	struct cJSON *obj = json_or_fail(text);
	struct cJSON *out = kube_patch(c, path, "application/merge-patch+json", obj, &err);

	if (!out)
		fail_msg("%s", err.msg);
	cJSON_Delete(out);
	cJSON_Delete(obj);
}

static const struct kube_pod *pod_named(const struct kube_pod_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].name, name))
			return &l->items[i];
	fail_msg("pod %s not listed", name);
	return NULL;
}

#define POD_TMPL                                                                                   \
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"                          \
	"\"%s\",\"labels\":{\"netctl-test\":\"podlist\","                                          \
	"\"netctl.io/network\":\"%s\"}},\"spec\":{\"nodeName\":"                                   \
	"\"list-node\",\"containers\":[{\"name\":\"floater\",\"image\":"                           \
	"\"x\"}]}}"

static void test_node_and_pod_fields(void **state)
{
	struct kube_client *c = admin('a');
	struct kube_node_list nl;
	const struct kube_node *n;
	struct kube_pod_list pl;
	const struct kube_pod *p;
	struct err err = ERR_INIT;
	char *body;

	create_or_fail(c, "/api/v1/nodes",
		       "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":"
		       "\"list-node\"},\"spec\":{\"podCIDR\":\"198.18.10.0/24\",\"podCIDRs\":"
		       "[\"198.18.10.0/24\",\"fd00:10::/64\"]}}");
	status_or_fail(c, "/api/v1/nodes/list-node/status",
		       "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
		       "\"reason\":\"KubeletReady\"}],\"addresses\":[{\"type\":\"Hostname\","
		       "\"address\":\"list-node\"},{\"type\":\"InternalIP\",\"address\":"
		       "\"198.18.10.5\"},{\"type\":\"InternalIP\",\"address\":\"fd00:10::5\"}]}}");
	body = xasprintf(POD_TMPL, "pod-ready", "pod");
	create_or_fail(c, "/api/v1/namespaces/default/pods", body);
	free(body);
	body = xasprintf(POD_TMPL, "pod-stuck", "host");
	create_or_fail(c, "/api/v1/namespaces/default/pods", body);
	free(body);
	status_or_fail(c, "/api/v1/namespaces/default/pods/pod-ready/status",
		       "{\"status\":{\"phase\":\"Running\",\"hostIP\":\"198.18.10.5\","
		       "\"podIP\":\"198.18.11.7\",\"podIPs\":[{\"ip\":\"198.18.11.7\"},"
		       "{\"ip\":\"fd00:11::7\"}],\"conditions\":[{\"type\":\"Ready\","
		       "\"status\":\"True\"}]}}");
	status_or_fail(c, "/api/v1/namespaces/default/pods/pod-stuck/status",
		       "{\"status\":{\"phase\":\"Pending\",\"hostIP\":\"198.18.10.5\","
		       "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":"
		       "\"ContainersNotReady\"}],\"containerStatuses\":[{\"name\":\"floater\","
		       "\"ready\":false,\"restartCount\":0,\"image\":\"x\",\"imageID\":\"\","
		       "\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":"
		       "\"Back-off pulling image x\"}}}]}}");

	assert_int_equal(kube_nodes_list(c, &nl, &err), 0);
	n = NULL;
	for (size_t i = 0; i < nl.n; i++)
		if (!strcmp(nl.items[i].name, "list-node"))
			n = &nl.items[i];
	assert_non_null(n);
	assert_true(n->ready);
	assert_string_equal(n->internal_ipv4, "198.18.10.5");
	assert_string_equal(n->internal_ipv6, "fd00:10::5");
	assert_string_equal(n->pod_cidrs[0], "198.18.10.0/24");
	/* 1.20 without the IPv6DualStack gate keeps only the first podCIDR */
	assert_string_equal(n->addresses[0], "Hostname=list-node");
	kube_node_list_release(&nl);

	assert_int_equal(kube_pods_list(c, "default", "netctl-test=podlist", &pl, &err), 0);
	assert_int_equal(pl.n, 2);
	p = pod_named(&pl, "pod-ready");
	assert_true(p->ready);
	assert_string_equal(p->node, "list-node");
	assert_string_equal(p->host_ip, "198.18.10.5");
	assert_string_equal(p->ipv4, "198.18.11.7");
	assert_string_equal(p->ipv6, "fd00:11::7");
	assert_string_equal(p->network, "pod");
	assert_null(p->why);
	p = pod_named(&pl, "pod-stuck");
	assert_false(p->ready);
	assert_null(p->ipv4);
	assert_string_equal(p->network, "host");
	assert_non_null(
	    strstr(p->why, "Pending; floater: ImagePullBackOff (Back-off pulling image x)"));
	assert_non_null(strstr(p->why, "Ready=False ContainersNotReady"));
	kube_pod_list_release(&pl);

	/* no kubelet confirms deletions: grace period 0 removes the pods at once */
	assert_int_equal(kube_delete(c,
				     "/api/v1/namespaces/default/pods?labelSelector="
				     "netctl-test%3Dpodlist&gracePeriodSeconds=0",
				     NULL, &err),
			 0);
	assert_int_equal(kube_delete(c, "/api/v1/nodes/list-node", NULL, &err), 0);
	kube_client_free(c);
}

/* ---- lists, streams, two clusters ----------------------------------------------------------- */

struct creates {
	int done, failed;
	char first_err[512];
};

static void create_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct creates *cr = arg;

	cr->done++;
	/* a rerun against the same control planes finds the nodes there already */
	if (err && err->code != ERR_EXISTS && !cr->failed++)
		str_copy(cr->first_err, sizeof(cr->first_err), err->msg);
}

struct seen_nodes {
	unsigned char mark[700];
	long dupes, strangers;
};

static int page_item(void *arg, const struct cJSON *item, struct err *err)
{
	struct seen_nodes *s = arg;
	const char *name = NULL;
	long idx;

	json_get_string(cJSON_GetObjectItem(item, "metadata"), "name", &name, NULL);
	if (!name || sscanf(name, "page-node-%ld", &idx) != 1 || idx < 0 || idx >= 700) {
		s->strangers++;
		return 0;
	}
	if (s->mark[idx]++)
		s->dupes++;
	return 0;
}

#define PAGE_NODES 520

static void test_pagination_over_520_nodes(void **state)
{
	struct kube_client *c = admin('b');
	struct creates cr = {0};
	struct seen_nodes seen = {0};
	struct kube_list_opts o = {.label_selector = "netctl-test=pagination",
				   .page_size = 100,
				   .on_item = page_item,
				   .arg = &seen};
	struct kube_node_list nl;
	struct err err = ERR_INIT;
	uint64_t before;
	int64_t t0 = time_mono_us();
	long n;

	/* all POSTs in flight at once over one loop */
	for (int i = 0; i < PAGE_NODES; i++) {
		char *body = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{"
				       "\"name\":\"page-node-%03d\",\"labels\":{\"netctl-test\":"
				       "\"pagination\"}}}",
				       i);
		struct kube_request q = {.method = KUBE_POST,
					 .path = "/api/v1/nodes",
					 .body = body,
					 .on_done = create_done,
					 .arg = &cr};

		assert_non_null(kube_call_start(c, &q, &err));
		free(body);
	}
	assert_int_equal(kube_loop_run(loop, 60000, &err), 0);
	if (cr.failed)
		fail_msg("%d creates failed, first: %s", cr.failed, cr.first_err);
	assert_int_equal(cr.done, PAGE_NODES);
	print_message("created %d nodes in %.2f s with %llu requests over %llu connection(s)\n",
		      PAGE_NODES, (double)(time_mono_us() - t0) / 1e6,
		      (unsigned long long)kube_client_requests(c),
		      (unsigned long long)kube_client_connections(c));
	/* multiplexed: hundreds of requests do not mean hundreds of TLS handshakes */
	assert_true(kube_client_connections(c) <= 2);

	before = kube_client_requests(c);
	n = kube_list(c, "/api/v1/nodes", &o, &err);
	assert_int_equal(n, PAGE_NODES);
	assert_int_equal(seen.dupes, 0);
	assert_int_equal(seen.strangers, 0);
	for (int i = 0; i < PAGE_NODES; i++)
		assert_int_equal(seen.mark[i], 1);
	/* 100 per page: six pages, six requests */
	assert_int_equal(kube_client_requests(c) - before, 6);

	assert_int_equal(kube_nodes_list(c, &nl, &err), 0);
	assert_int_equal(nl.n, PAGE_NODES);
	assert_false(nl.items[0].ready);
	kube_node_list_release(&nl);

	/* the nodes stay: deleting hundreds of nodes keeps a busy machine's API server and
	 * controllers at it for minutes, and the fixture throws cluster b away anyway */
	kube_client_free(c);
}

struct lines {
	int n, bad;
	char content_type[64];
};

static int watch_line(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;
	struct cJSON *ev = cJSON_ParseWithLength(line, len);

	l->n++;
	if (!ev || !cJSON_GetObjectItem(ev, "type"))
		l->bad++;
	cJSON_Delete(ev);
	return 0;
}

struct done_flag {
	bool done;
	struct err err;
};

static void flag_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct done_flag *d = arg;

	d->done = true;
	if (err)
		d->err = *err;
}

/* The response headers a streamed call's caller sees (how netctl reads a floater's version
 * through the pod proxy), values trimmed. */
static void watch_header(void *arg, const char *name, const char *value)
{
	struct lines *l = arg;

	if (!strcasecmp(name, "Content-Type"))
		str_copy(l->content_type, sizeof(l->content_type), value);
}

static void test_streaming_watch_lines(void **state)
{
	struct kube_client *c = admin('a');
	struct lines l = {0};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/api/v1/namespaces?watch=1&timeoutSeconds=1",
				 .on_line = watch_line,
				 .on_header = watch_header,
				 .arg = &l};
	struct err err = ERR_INIT;
	int64_t t0 = time_mono_us();

	/* a watch is a long NDJSON stream that the server ends after 1 s: each event arrives
	 * as one line */
	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	assert_true(time_mono_us() - t0 >= 900 * 1000);
	assert_true(l.n >= 4); /* default, kube-system, kube-public, kube-node-lease */
	assert_int_equal(l.bad, 0);
	assert_string_equal(l.content_type, "application/json");
	kube_client_free(c);
}

static int count_line(void *arg, const char *line, size_t len)
{
	return 0;
}

static void test_line_longer_than_cap_fails(void **state)
{
	struct kube_client *c = admin('a');
	struct done_flag d = {.err = ERR_INIT};
	struct kube_request q = {.method = KUBE_GET,
				 .path = "/api/v1/namespaces?watch=1&timeoutSeconds=1",
				 .max_line = 64,
				 .on_line = count_line,
				 .on_done = flag_done,
				 .arg = &d};
	struct err err = ERR_INIT;

	assert_non_null(kube_call_start(c, &q, &err));
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	assert_true(d.done);
	assert_int_equal(d.err.code, ERR_LIMIT);
	assert_non_null(strstr(d.err.msg, "cluster a:"));
	kube_client_free(c);
}

static void test_proxy_to_missing_pod(void **state)
{
	struct kube_client *c = admin('a');
	struct done_flag d = {.err = ERR_INIT};
	const char *const hdrs[] = {"X-Floater-Token: secret-value", NULL};
	struct kube_proxy_request r = {.ns = "default",
				       .pod = "no-such-floater",
				       .port = 8889,
				       .method = KUBE_POST,
				       .path = "/v1/probe",
				       .body = "{}",
				       .headers = hdrs,
				       .on_line = count_line,
				       .on_done = flag_done,
				       .arg = &d};
	struct err err = ERR_INIT;

	assert_non_null(kube_proxy_start(c, &r, &err));
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	assert_true(d.done);
	assert_int_equal(d.err.code, ERR_NOTFOUND);
	assert_non_null(strstr(d.err.msg, "pods \"no-such-floater\" not found"));
	/* a POST through the proxy is never retried */
	assert_int_equal(kube_client_requests(c), 1);
	kube_client_free(c);
}

struct version_done {
	int done, http2;
	char version[2][32];
};

static void version_done(void *arg, const struct kube_response *resp, const struct err *err)
{
	struct version_done *v = arg;
	struct cJSON *j = err ? NULL : cJSON_ParseWithLength(resp->body, resp->body_len);
	const char *s = NULL;

	json_get_string(j, "gitVersion", &s, NULL);
	if (resp->http_version == 2)
		v->http2++;
	str_copy(v->version[v->done++ % 2], sizeof(v->version[0]), s ? s : "error");
	cJSON_Delete(j);
}

static void test_two_clusters_one_loop(void **state)
{
	struct kube_client *a = admin('a'), *b = admin('b');
	struct version_done v = {0};
	struct kube_request q = {
	    .method = KUBE_GET, .path = "/version", .on_done = version_done, .arg = &v};
	struct err err = ERR_INIT;
	struct cJSON *na, *nb;

	assert_non_null(kube_call_start(a, &q, &err));
	assert_non_null(kube_call_start(b, &q, &err));
	/* both in flight at once */
	assert_int_equal(kube_loop_pending(loop), 2);
	assert_int_equal(kube_loop_run(loop, 10000, &err), 0);
	assert_int_equal(v.done, 2);
	assert_string_equal(v.version[0], "v1.20.2");
	assert_string_equal(v.version[1], "v1.20.2");
	/* each client talks to its own cluster: different kube-system UIDs */
	na = kube_get(a, "/api/v1/namespaces/kube-system", &err);
	nb = kube_get(b, "/api/v1/namespaces/kube-system", &err);
	assert_non_null(na);
	assert_non_null(nb);
	assert_string_not_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(na, "metadata"), "uid")->valuestring,
	    cJSON_GetObjectItem(cJSON_GetObjectItem(nb, "metadata"), "uid")->valuestring);
	assert_int_equal(kube_client_requests(a), 2);
	assert_int_equal(kube_client_requests(b), 2);
	/* HTTP/2 to both; at most one new connection each (the loop may still hold one to
	 * the same server, with the same credentials, from an earlier client) */
	assert_int_equal(v.http2, 2);
	assert_true(kube_client_connections(a) <= 1);
	assert_true(kube_client_connections(b) <= 1);
	cJSON_Delete(na);
	cJSON_Delete(nb);
	kube_client_free(a);
	kube_client_free(b);
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	const char *w = getenv("NETCTL_KUBE_WORLD");
	struct err err = ERR_INIT;

	kubectl = getenv("KUBECTL") ? getenv("KUBECTL") : "/var/cache/netctl-kube/bin/kubectl";
	if (!w) {
		fprintf(stderr, "NETCTL_KUBE_WORLD not set (run through ctest -L kube)\n");
		return -1;
	}
	str_copy(world, sizeof(world), w);
	snprintf(dir_a, sizeof(dir_a), "%s/a", world);
	snprintf(dir_b, sizeof(dir_b), "%s/b", world);
	str_copy(tmp, sizeof(tmp), "/tmp/netctl-kube-test.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	if (getenv("NETCTL_TEST_SLOW"))
		slack_us = 3000 * 1000;
	if (getenv("NETCTL_KUBE_TRACE"))
		log_set_level(LOG_TRACE);
	loop = kube_loop_new(&err);
	return loop ? 0 : -1;
}

static int group_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmp);

	kube_loop_free(loop);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	free(cmd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_cert),
	    cmocka_unit_test(test_bearer_token),
	    cmocka_unit_test(test_token_file_reread),
	    cmocka_unit_test(test_exec_plugin_cached),
	    cmocka_unit_test(test_exec_plugin_client_cert),
	    cmocka_unit_test(test_insecure_skip_verify),
	    cmocka_unit_test(test_wrong_ca_is_tls_error),
	    cmocka_unit_test(test_tls_server_name),
	    cmocka_unit_test(test_unreachable_refused),
	    cmocka_unit_test(test_unreachable_silent),
	    cmocka_unit_test(test_restricted_user_forbidden),
	    cmocka_unit_test(test_apply_twice_then_update),
	    cmocka_unit_test(test_apply_placement_changes),
	    cmocka_unit_test(test_rollout_no_nodes_times_out),
	    cmocka_unit_test(test_delete_leaves_nothing),
	    cmocka_unit_test(test_foreign_namespace_kept),
	    cmocka_unit_test(test_shared_namespace_kept),
	    cmocka_unit_test(test_rollout_reports_each_node),
	    cmocka_unit_test(test_node_and_pod_fields),
	    cmocka_unit_test(test_pagination_over_520_nodes),
	    cmocka_unit_test(test_streaming_watch_lines),
	    cmocka_unit_test(test_line_longer_than_cap_fails),
	    cmocka_unit_test(test_proxy_to_missing_pod),
	    cmocka_unit_test(test_two_clusters_one_loop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
