/* Node and Pod objects as an API server sends them: what netctl keeps of each, and what it
 * refuses (names that are not DNS names, addresses that are not IP literals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube.h"

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	assert_non_null(j);
	return j;
}

static void test_node_fields(void **state)
{
	cJSON *item =
	    parse("{\"metadata\":{\"name\":\"east-node-1\",\"labels\":{\"kosmos.io/exclude\":"
		  "\"true\",\"role\":\"\",\"bad key\":\"x\",\"n\":7}},"
		  "\"spec\":{\"podCIDRs\":[\"198.18.16.0/24\",\"fd00:10:1::/64\"],"
		  "\"taints\":[{\"key\":\"gpu\",\"value\":\"yes\",\"effect\":\"NoSchedule\"},"
		  "{\"key\":\"node-role.kubernetes.io/control-plane\",\"effect\":\"NoSchedule\"},"
		  "{\"effect\":\"NoExecute\"}]},"
		  "\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"east-node-1\"},"
		  "{\"type\":\"InternalIP\",\"address\":\"not-an-ip\"},"
		  "{\"type\":\"InternalIP\",\"address\":\"198.18.0.11\"},"
		  "{\"type\":\"InternalIP\",\"address\":\"fd00::b\"}],"
		  "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	struct kube_node_list l = {0};
	struct err err = ERR_INIT;
	size_t cap = 0;

	(void)state;
	assert_int_equal(kube_node_list_add(&l, &cap, item, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].name, "east-node-1");
	/* the first InternalIP that is an address, not the first entry of that type */
	assert_string_equal(l.items[0].internal_ipv4, "198.18.0.11");
	assert_string_equal(l.items[0].internal_ipv6, "fd00::b");
	assert_string_equal(l.items[0].pod_cidrs[1], "fd00:10:1::/64");
	assert_true(l.items[0].ready);
	/* labels a selector can name; taints with a key and an effect */
	assert_int_equal(l.items[0].nlabels, 2);
	assert_string_equal(l.items[0].labels[0].key, "kosmos.io/exclude");
	assert_string_equal(l.items[0].labels[1].value, "");
	assert_int_equal(l.items[0].ntaints, 2);
	assert_string_equal(l.items[0].taints[0].value, "yes");
	assert_null(l.items[0].taints[1].value);
	assert_string_equal(l.items[0].taints[1].effect, "NoSchedule");
	kube_node_list_release(&l);
	cJSON_Delete(item);
}

static void test_bad_names_refused(void **state)
{
	const char *items[] = {
	    "{\"metadata\":{\"name\":\"east\\u001b[31mnode\"}}",
	    "{\"metadata\":{\"name\":\"../../secrets\"}}",
	    "{\"metadata\":{\"name\":\"East-Node\"}}",
	    "{\"metadata\":{\"name\":\"\"}}",
	    "{\"metadata\":{}}",
	    "{\"metadata\":{\"name\":7}}",
	};
	struct kube_node_list nl = {0};
	struct kube_pod_list pl = {0};
	size_t ncap = 0, pcap = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		cJSON *item = parse(items[i]);
		struct err err = ERR_INIT;

		assert_int_equal(kube_node_list_add(&nl, &ncap, item, &err), -1);
		assert_int_equal(err.code, ERR_PROTO);
		assert_non_null(strstr(err.msg, "the API server sent a node"));
		assert_null(strchr(err.msg, '\n'));
		assert_null(strchr(err.msg, '\033'));
		err = (struct err)ERR_INIT;
		assert_int_equal(kube_pod_list_add(&pl, &pcap, item, &err), -1);
		assert_non_null(strstr(err.msg, "the API server sent a pod"));
		cJSON_Delete(item);
	}
	assert_int_equal(nl.n, 0);
	assert_int_equal(pl.n, 0);
}

static void test_pod_addresses_checked(void **state)
{
	cJSON *item =
	    parse("{\"metadata\":{\"name\":\"netctl-floater-7tfr5\","
		  "\"labels\":{\"netctl.io/network\":\"pod\"}},"
		  "\"spec\":{\"nodeName\":\"east-node-1\"},"
		  "\"status\":{\"phase\":\"Running\",\"hostIP\":\"198.18.0.11; rm -rf /\","
		  "\"podIPs\":[{\"ip\":\"198.18.16.300\"},{\"ip\":\"198.18.16.2\"},{\"ip\":\"fd00:"
		  "10:1::2\"}],"
		  "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":"
		  "\"ContainersNotReady\"}]}}");
	struct kube_pod_list l = {0};
	struct err err = ERR_INIT;
	size_t cap = 0;

	(void)state;
	assert_int_equal(kube_pod_list_add(&l, &cap, item, &err), 0);
	assert_string_equal(l.items[0].node, "east-node-1");
	assert_string_equal(l.items[0].network, "pod");
	assert_null(l.items[0].host_ip);
	assert_string_equal(l.items[0].ipv4, "198.18.16.2");
	assert_string_equal(l.items[0].ipv6, "fd00:10:1::2");
	assert_false(l.items[0].ready);
	assert_non_null(strstr(l.items[0].why, "Ready=False ContainersNotReady"));
	kube_pod_list_release(&l);
	cJSON_Delete(item);
}

/* The DaemonSet as the API server will get it: YAML types kept, variables substituted. */
static void test_template_types(void **state)
{
	struct kube_deploy_vars v = {.namespace = "ns1",
				     .image_repository = "repo.example/x",
				     .version = "1.2.3",
				     .port = 8890,
				     .token = "0123abcd"};
	struct err err = ERR_INIT;
	cJSON *d = kube_template_render("daemonset-host.yaml", &v, &err), *spec, *c, *port;

	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "kind")->valuestring, "DaemonSet");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(d, "metadata"), "namespace")->valuestring,
	    "ns1");
	spec = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "spec"), "template"),
				   "spec");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(spec, "hostNetwork")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(spec, "automountServiceAccountToken")));
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(spec, "containers"), 0);
	assert_string_equal(cJSON_GetObjectItem(c, "image")->valuestring,
			    "repo.example/x/netctl-floater:1.2.3");
	/* "${PORT}" quoted stays a string (an argument), unquoted becomes a number */
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "args"), 1)->valuestring,
			    "8890");
	port = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "ports"), 0),
				   "containerPort");
	assert_true(cJSON_IsNumber(port));
	assert_int_equal(port->valueint, 8890);
	/* until a placement is given, the template tolerates every taint (as NetDoctor did) */
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(spec, "tolerations"), 0),
				"operator")
		->valuestring,
	    "Exists");
	cJSON_Delete(d);
	assert_null(kube_template_render("nosuch.yaml", &v, &err));
}

/* Where the floaters run replaces the pod spec's own: both DaemonSets, nothing else. */
static void test_template_placement(void **state)
{
	cJSON *pl = cJSON_Parse("{\"nodeSelector\":{\"role\":\"x\"},\"affinity\":{\"a\":1},"
				"\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Exists\"}]}");
	struct kube_deploy_vars v = {.namespace = "ns1", .token = "0123abcd", .placement = pl};
	struct err err = ERR_INIT;

	(void)state;
	for (int i = 0; i < 2; i++) {
		cJSON *d = kube_template_render(i ? "daemonset-host.yaml" : "daemonset-pod.yaml",
						&v, &err);
		cJSON *spec = cJSON_GetObjectItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(d, "spec"), "template"), "spec");
		char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(spec, "tolerations"));

		assert_string_equal(t, "[{\"key\":\"gpu\",\"operator\":\"Exists\"}]");
		assert_string_equal(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "nodeSelector"), "role")
			->valuestring,
		    "x");
		assert_non_null(cJSON_GetObjectItem(spec, "containers"));
		/* both get the cluster DNS in their resolv.conf (the default DNS check asks
		 * either): ClusterFirst, the default, does not give it to hostNetwork pods */
		if (i)
			assert_string_equal(cJSON_GetObjectItem(spec, "dnsPolicy")->valuestring,
					    "ClusterFirstWithHostNet");
		else
			assert_null(cJSON_GetObjectItem(spec, "dnsPolicy"));
		free(t);
		cJSON_Delete(d);
	}
	{
		cJSON *sec = kube_template_render("secret.yaml", &v, &err);

		assert_null(cJSON_GetObjectItem(sec, "nodeSelector"));
		assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(sec, "spec"), "template"));
		cJSON_Delete(sec);
	}
	cJSON_Delete(pl);
}

static const char *echo_key_id(const cJSON *ds)
{
	const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(ds, "spec"), "template");
	const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "metadata"), "annotations");
	const cJSON *id = cJSON_GetObjectItem(a, "netctl.io/echo-key-id");

	assert_true(cJSON_IsString(id));
	return id->valuestring;
}

/* The echo key goes into the Secret (the floater's echo-key file) and, as an id that does
 * not reveal it, into both pod templates: a new key rolls the floaters. */
static void test_template_echo_key(void **state)
{
	struct kube_deploy_vars v = {.namespace = "ns1",
				     .token = "0123abcd",
				     .echo_key = "000102030405060708090a0b0c0d0e0f"};
	struct err err = ERR_INIT;
	cJSON *sec = kube_template_render("secret.yaml", &v, &err);
	cJSON *pod = kube_template_render("daemonset-pod.yaml", &v, &err);
	cJSON *host = kube_template_render("daemonset-host.yaml", &v, &err), *pod2;
	const cJSON *data;
	char id[32];

	assert_non_null(sec);
	assert_non_null(pod);
	assert_non_null(host);
	data = cJSON_GetObjectItem(sec, "data");
	assert_string_equal(cJSON_GetObjectItem(data, "echo-key")->valuestring,
			    "MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=");
	assert_string_equal(cJSON_GetObjectItem(data, "token")->valuestring, "MDEyM2FiY2Q=");
	str_copy(id, sizeof(id), echo_key_id(pod));
	assert_int_equal(strlen(id), 16);
	assert_null(strstr(v.echo_key, id));
	assert_string_equal(echo_key_id(host), id);
	v.echo_key = "100102030405060708090a0b0c0d0e0f";
	pod2 = kube_template_render("daemonset-pod.yaml", &v, &err);
	assert_non_null(pod2);
	assert_string_not_equal(echo_key_id(pod2), id);
	v.echo_key = "not-a-key";
	assert_null(kube_template_render("secret.yaml", &v, &err));
	assert_int_equal(err.code, ERR_USAGE);
	cJSON_Delete(sec);
	cJSON_Delete(pod);
	cJSON_Delete(pod2);
	cJSON_Delete(host);
}

static const cJSON *pod_spec(const cJSON *ds)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ds, "spec"), "template"),
				   "spec");
}

static const char *container_image(const cJSON *ds)
{
	const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(pod_spec(ds), "containers"), 0);

	return cJSON_GetObjectItem(c, "image")->valuestring;
}

/* kube_floater_image is the image both DaemonSets run, for the defaults (what `netctl
 * --version` prints) and for a repository and version of config.json's. */
static void test_image_reference(void **state)
{
	static const char *const names[] = {"daemonset-pod.yaml", "daemonset-host.yaml"};
	struct kube_deploy_vars v = {.namespace = "ns1", .token = "0123abcd"};
	struct err err = ERR_INIT;
	char *image = kube_floater_image(NULL, NULL);

	assert_string_equal(image, NETCTL_IMAGE_REPOSITORY "/netctl-floater:" NETCTL_VERSION);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			cJSON *d = kube_template_render(names[i], &v, &err);

			assert_non_null(d);
			assert_string_equal(container_image(d), image);
			cJSON_Delete(d);
		}
		free(image);
		v.image_repository = "registry.local:5000/mirror";
		v.version = "9.9.9";
		image = kube_floater_image(v.image_repository, v.version);
		assert_string_equal(image, "registry.local:5000/mirror/netctl-floater:9.9.9");
	}
	free(image);
}

/* imagePullSecrets go into both DaemonSets' pod specs; none is a null, which a merge patch
 * reads as "remove"; a bad name is refused before anything is rendered. */
static void test_image_pull_secrets(void **state)
{
	char *secrets[] = {"regcred", "mirror.key", NULL};
	struct kube_deploy_vars v = {.namespace = "ns1", .token = "0123abcd"};
	static const char *const names[] = {"daemonset-pod.yaml", "daemonset-host.yaml"};
	struct err err = ERR_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		cJSON *d, *list;

		v.image_pull_secrets = secrets;
		d = kube_template_render(names[i], &v, &err);
		assert_non_null(d);
		list = cJSON_GetObjectItem(pod_spec(d), "imagePullSecrets");
		assert_int_equal(cJSON_GetArraySize(list), 2);
		assert_string_equal(
		    cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "name")->valuestring,
		    "mirror.key");
		cJSON_Delete(d);
		v.image_pull_secrets = NULL;
		d = kube_template_render(names[i], &v, &err);
		assert_non_null(d);
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(pod_spec(d), "imagePullSecrets")));
		cJSON_Delete(d);
	}
	secrets[1] = "Bad_Name";
	v.image_pull_secrets = secrets;
	assert_null(kube_template_render("daemonset-pod.yaml", &v, &err));
	assert_int_equal(err.code, ERR_USAGE);
	assert_non_null(strstr(err.msg, "'Bad_Name'"));
	/* the Secret and Namespace templates are not pod templates: nothing added */
	secrets[1] = NULL;
	{
		cJSON *ns = kube_template_render("namespace.yaml", &v, &err);

		assert_non_null(ns);
		assert_null(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(ns, "spec"), "imagePullSecrets"));
		cJSON_Delete(ns);
	}
}

/* cluster import --kosmos --write-kubeconfigs (docs/kosmos.md, "Kubeconfig files"): the
 * member's kubeconfig lands in a 0600 file, unchanged content is not rewritten, and a
 * symlink planted at the name is replaced, never followed. */
static void test_kosmos_kubeconfig_file(void **state)
{
	char dir[] = "/tmp/netctl-kosmos-test-XXXXXX";
	char text[] = "apiVersion: v1\nkind: Config\n";
	struct kube_kosmos_cluster c = {.name = "west", .kubeconfig = text};
	struct err err = ERR_INIT;
	char *path, *target, buf[64];
	struct stat sb;
	bool changed;
	ssize_t n;
	int fd;

	(void)state;
	c.kubeconfig_len = strlen(text);
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/west.yaml", dir);
	target = xasprintf("%s/elsewhere", dir);
	assert_int_equal(kube_kosmos_kubeconfig_write(&c, dir, path, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, (ssize_t)strlen(text));
	assert_memory_equal(buf, text, (size_t)n);
	assert_int_equal(kube_kosmos_kubeconfig_write(&c, dir, path, &changed, &err), 0);
	assert_false(changed);
	/* a link to another file: the link is replaced, its target stays empty */
	assert_int_equal(unlink(path), 0);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(kube_kosmos_kubeconfig_write(&c, dir, path, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	/* no kubeconfig in the Cluster: an error naming it, nothing written */
	c.kubeconfig = NULL;
	assert_int_equal(kube_kosmos_kubeconfig_write(&c, dir, target, &changed, &err), -1);
	assert_non_null(strstr(err.msg, "Cluster west has no spec.kubeconfig"));
	/* no temporary file left behind: west.yaml and elsewhere only */
	{
		char *cmd = xasprintf("test $(ls -A %s | wc -l) -eq 2", dir);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	unlink(path);
	unlink(target);
	rmdir(dir);
	free(path);
	free(target);
}

/* ipFamily values a Cluster may hold. */
static void test_kosmos_ip_family(void **state)
{
	(void)state;
	assert_true(kube_ip_family_valid("ipv4"));
	assert_true(kube_ip_family_valid("ipv6"));
	assert_true(kube_ip_family_valid("all"));
	assert_false(kube_ip_family_valid("IPv4"));
	assert_false(kube_ip_family_valid(""));
	assert_false(kube_ip_family_valid("dual"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kosmos_kubeconfig_file),
	    cmocka_unit_test(test_kosmos_ip_family),
	    cmocka_unit_test(test_node_fields),
	    cmocka_unit_test(test_bad_names_refused),
	    cmocka_unit_test(test_pod_addresses_checked),
	    cmocka_unit_test(test_template_types),
	    cmocka_unit_test(test_template_echo_key),
	    cmocka_unit_test(test_image_reference),
	    cmocka_unit_test(test_image_pull_secrets),
	    cmocka_unit_test(test_template_placement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
