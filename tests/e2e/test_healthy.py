"""A healthy world: a single-cluster mesh, a cross-cluster check in both directions and a
3-cluster mesh all pass, and the stored result count equals the plan."""
from e2e import *

st = Store()
COMMON = ["--protocol", "icmp,tcp,udp", "--family", "4,6", "--timeout", "1s",
          "--keep-floaters", "--pod-wait", "120s"]
ROWS_PER_PAIR = 3 * 2  # protocols x families (pod network)


def run_case(name, args, pairs):
    r = st.netctl("check", *args, *COMMON)
    log(r.stdout)
    log(r.stderr[-3000:])
    run = st.last_run()
    check(r.returncode == 0, "%s: exit code 0 (got %d)" % (name, r.returncode))
    # node pairs, and the API server check (on by default): one tcp result per node of
    # the sources' clusters per API server address (pseudo-nodes, kind 2)
    stored = st.sql("SELECT count(*), sum(error != 0), sum(d.kind = 0) FROM results r "
                    "JOIN nodes d ON d.id = r.dst_node WHERE r.run_id = ?", run)[0]
    planned = st.sql("SELECT planned, status FROM runs WHERE id = ?", run)[0]
    check(stored[2] == pairs * ROWS_PER_PAIR,
          "%s: %d node-pair results stored, plan is %d" % (name, stored[2],
                                                           pairs * ROWS_PER_PAIR))
    check(stored[0] > stored[2], "%s: %d API server results besides" % (name,
                                                                       stored[0] - stored[2]))
    check(planned[0] == stored[0], "%s: run records %d planned" % (name, planned[0]))
    check(stored[1] == 0, "%s: no failed result (got %s)" % (name, stored[1]))
    check(planned[1] == "done", "%s: run status done (got %s)" % (name, planned[1]))
    check("healthy" in r.stdout, "%s: the verdict says healthy" % name)
    # every ordered node pair appears, and only those
    src_dst = st.sql("SELECT count(DISTINCT src_node * 100000 + dst_node) FROM results r "
                     "JOIN nodes d ON d.id = r.dst_node WHERE run_id = ? AND d.kind = 0",
                     run)[0][0]
    check(src_dst == pairs, "%s: %d distinct node pairs (want %d)" % (name, src_dst, pairs))
    return run


run_case("single-cluster mesh of east", ["--src", "east"], 5 * 4)
run_case("east <-> west", ["--src", "east", "--dst", "west"], 2 * 5 * 5)
run_case("3-cluster mesh", ["--mesh"], 13 * 12)

# Objects netctl created are there for real kubectl to see.
out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig("west"), "-n",
                               "kosmos-system", "get", "daemonset,secret", "-l",
                               "app.kubernetes.io/managed-by=netctl", "-o", "name"]),
                     capture_output=True, text=True)
check("daemonset.apps/netctl-floater" in out.stdout,
      "kubectl sees the floater DaemonSet netctl created (%s)" % out.stdout.split())
check("secret/netctl-floater-token" in out.stdout, "kubectl sees the token Secret")
for ds in ("netctl-floater",):  # the host-network one: unit.kube_templates
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig("west"), "-n",
                                   "kosmos-system", "get", "daemonset", ds, "-o",
                                   "jsonpath={.spec.template.spec.securityContext.seccompProfile.type}"]),
                         capture_output=True, text=True)
    check(out.stdout == "RuntimeDefault",
          "%s runs under the runtime's default seccomp profile (%r)" % (ds, out.stdout))

# A pod that only looks like a floater (the labels, a floater image, a token of its own) is
# never sent the token nor probed through: only pods the DaemonSet netctl applied owns are.
# It is a Deployment's: a bare pod with these labels would be adopted (then removed) by the
# DaemonSet controller itself. Before the owner check it was picked for north-node-1 (its
# name sorts first), got a token it could not check, and cost that node's results.
north1 = nodes("north")[0]
IMPOSTOR = """apiVersion: v1
kind: Secret
metadata: {name: impostor-token, namespace: kosmos-system}
stringData: {token: "%s"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: aaa-impostor, namespace: kosmos-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: aaa-impostor}}
  template:
    metadata:
      labels: {app: aaa-impostor, app.kubernetes.io/name: netctl-floater, netctl.io/network: pod}
    spec:
      nodeName: %s
      containers:
      - name: floater
        image: example/netctl-floater:impostor
        args: [--port, "8889", --token-file, /var/run/netctl/token, --network, pod]
        volumeMounts: [{name: token, mountPath: /var/run/netctl, readOnly: true}]
      volumes: [{name: token, secret: {secretName: impostor-token}}]
""" % ("f" * 64, north1)
KC_N = kubeconfig("north")
subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_N, "apply", "-f", "-"]), input=IMPOSTOR,
               text=True, check=True, capture_output=True)
ready = subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_N, "-n", "kosmos-system", "rollout",
                                 "status", "deploy/aaa-impostor", "--timeout=60s"]),
                       capture_output=True, text=True)
log("impostor: " + (ready.stdout + ready.stderr).strip())
r = st.netctl("check", "--src", "north", *COMMON)
check(r.returncode == 0, "with an impostor floater pod on %s the check passes (exit %d)" %
      (north1, r.returncode))
check("1 pod labelled as floaters in kosmos-system is not owned by the DaemonSet netctl "
      "applied" in r.stderr, "the impostor pod is named as not owned, never sent the token")
subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_N, "-n", "kosmos-system", "delete",
                         "deploy/aaa-impostor", "secret/impostor-token", "--wait=false"]),
               capture_output=True)

# --rotate-token: a new token in the Secret, the floaters restart with it (the pod template
# names the token's id), and the check passes with no false failure while they do.
def north_token():
    return subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_N, "-n", "kosmos-system", "get",
                                    "secret", "netctl-floater-token", "-o",
                                    "jsonpath={.data.token}"]),
                          capture_output=True, text=True).stdout


before = north_token()
r = st.netctl("check", "--src", "north", *COMMON, "--rotate-token")
run = st.last_run()
check(r.returncode == 0 and st.failed_count(run) == 0,
      "check --rotate-token passes with 0 failed results (exit %d, %d failed)" %
      (r.returncode, st.failed_count(run)))
check(before and north_token() and north_token() != before, "the token in the Secret changed")

# cluster list --check reaches every API server
r = st.netctl("cluster", "list", "--check")
log(r.stdout)
check(r.returncode == 0 and r.stdout.count("ok v1.20") == 3,
      "cluster list --check: all three API servers answer with their version (exit %d)"
      % r.returncode)

# The JSON output is one document.
r = st.netctl("check", "--src", "north", *COMMON, "--json")
doc = check_json(r)
check(doc is not None and r.returncode == 0, "--json prints one JSON document, exit 0")
finish()
