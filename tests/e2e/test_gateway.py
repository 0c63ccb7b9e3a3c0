"""Kosmos gateway mode (docs/kosmos.md, "Gateway mode"), on the overlapping-CIDR world of
e2e.overlap (east:3, west:3, world up --same-pod-cidr; east is the Kosmos host).

`world gateway on west west-node-3` makes west's other nodes send everything for east
through west-node-3, which forwards it. The host gets a Cluster per member (west with
networkType gateway) and a ClusterNode per node (west-node-3 with the role gateway, the
others plain), one of them deliberately wrong (east-node-2's ip), one with a wrong pod CIDR
(east-node-3), none for west-node-1, and one naming a node that does not exist. Imported and checked as a mesh:
- healthy: the check passes; the summary names the network type of the pair (mixed: west
  through gateway west/west-node-3) and the four ClusterNode findings, and so does the JSON
  report (which validates against docs/report-schema.json);
- `fault uplink-down west-node-3` (the gateway's way out: blackhole routes to east in its
  namespace, so the kernel drops what it forwards): every cross-cluster pair of west
  fails, every pair within west passes, and the only verdict names the gateway:
  gateway-down on west/west-node-3; none blames west-node-1 or west-node-2 or calls the
  pair partitioned.
Then the fault is undone, west routes straight again (world gateway off), and a check
passes, with one LIST of ClusterNodes for both imported clusters."""
from e2e import *
import base64

REAL = "198.19.0.0/19"
GLOBAL = {"east": "198.19.32.0/19", "west": "198.19.64.0/19"}
GW = "west-node-3"
COMMON = ["--mesh", "--protocol", "icmp,tcp,udp", "--family", "4", "--count", "2",
          "--timeout", "1s", "--keep-floaters", "--pod-wait", "120s", "--no-apiserver-check"]


def kubectl(*args, stdin=None):
    return subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig("east"), *args]),
                          input=stdin, capture_output=True, text=True, timeout=120)


def node_plan(cluster):
    """What ClusterLink would know of each node: the world's address plan (nodes/CLUSTER.tsv:
    name, index, namespace, IPv4, IPv6, pod CIDR v4, pod CIDR v6), which the kubelet
    simulator registered as the Nodes' InternalIPs and podCIDRs. A difference would show as
    a finding, and the test allows only the two it plants."""
    out = {}
    with open(os.path.join(WORLD_DIR, "nodes", cluster + ".tsv")) as f:
        for line in f:
            name, _, _, v4, v6, c4, c6 = line.rstrip("\n").split("\t")
            out[name] = {"ip": v4, "ip6": v6, "podCIDRs": [c4, c6]}
    return out


# the host's objects: CRDs (e2e.overlap applied them; again, idempotent), Clusters, ClusterNodes
r = kubectl("apply", "-f", os.path.join(SRC, "tests/fixtures/kosmos/crds.yaml"))
check(r.returncode == 0, "the Kosmos CRDs are on east (%s)" % r.stderr.strip())
r = kubectl("wait", "--for", "condition=established", "--timeout", "60s",
            "crd/clusters.kosmos.io", "crd/clusternodes.kosmos.io")
check(r.returncode == 0, "the CRDs are established (%s)" % r.stderr.strip())
objs = []
for c, mode in (("east", "p2p"), ("west", "gateway")):
    with open(kubeconfig(c), "rb") as f:
        kc = base64.b64encode(f.read()).decode()
    objs.append({"apiVersion": "kosmos.io/v1alpha1", "kind": "Cluster", "metadata": {"name": c},
                 "spec": {"kubeconfig": kc, "clusterLinkOptions": {
                     "networkType": mode, "globalCIDRsMap": {REAL: GLOBAL[c]}}}})
    for name, n in sorted(node_plan(c).items()):
        spec = dict(n, clusterName=c, nodeName=name, interfaceName="eth0",
                    roles=["gateway"] if name == GW else ["node"])
        if name == "east-node-2":
            spec["ip"] = "198.18.0.99"  # deliberately wrong
        if name == "east-node-3":  # a pod CIDR ClusterLink has wrong
            spec["podCIDRs"] = ["198.19.250.0/24", n["podCIDRs"][1]]
        if name == "west-node-1":
            continue  # a Node ClusterLink does not know
        objs.append({"apiVersion": "kosmos.io/v1alpha1", "kind": "ClusterNode",
                     "metadata": {"name": name}, "spec": spec})
objs.append({"apiVersion": "kosmos.io/v1alpha1", "kind": "ClusterNode",
             "metadata": {"name": "west-node-9"},
             "spec": {"clusterName": "west", "nodeName": "west-node-9", "ip": "198.18.4.99",
                      "roles": ["node"]}})
r = kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                                   "items": objs}))
check(r.returncode == 0, "Clusters and %d ClusterNodes are on east (%s)" %
      (len(objs) - 2, r.stderr.strip()))

r = subprocess.run([WORLD, "gateway", "on", "west", GW, "--dir", WORLD_DIR],
                   capture_output=True, text=True)
check(r.returncode == 0, "world gateway on west %s (%s)" % (GW, r.stderr.strip()))
st = Store(register=())
r = st.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"))
check(r.returncode == 0 and "2 added" in r.stdout, "import --kosmos adds east and west (%s)" %
      (r.stdout + r.stderr).strip()[-300:])

# 1. healthy, through the gateway
r = st.netctl("check", *COMMON)
log(r.stdout[-2500:])
check(r.returncode == 0, "the check through west's gateway passes (exit %d: %s)" %
      (r.returncode, r.stderr.strip()[-300:]))
check("network type east <-> west: mixed (west through gateway west/%s)" % GW in r.stdout,
      "the summary shows the pair's network type and west's gateway")
check("ClusterNode finding east/east-node-2: ip 198.18.0.99 (the Node's InternalIP: "
      "198.18.0.11)" in r.stdout, "the wrong ClusterNode is a finding naming both addresses")
check("ClusterNode finding west/west-node-9: ClusterNode west-node-9 names node west-node-9, "
      "which the cluster has no Node of" in r.stdout,
      "a ClusterNode without a Node is a finding")
check("ClusterNode finding east/east-node-3: podCIDRs 198.19.250.0/24," in r.stdout and
      "(the Node's: " in r.stdout, "a ClusterNode whose podCIDRs differ from the Node's is a "
      "finding naming both")
check("ClusterNode finding west/west-node-1: no ClusterNode names this node" in r.stdout,
      "a Node without a ClusterNode is a finding")
check(r.stdout.count("ClusterNode finding") == 4, "no other finding (%d)" %
      r.stdout.count("ClusterNode finding"))
run1 = st.last_run()
out = os.path.join(st.dir, "r.json")
st.netctl("report", "--run", str(run1), "--format", "json", "-o", out)
v = subprocess.run(["python3", os.path.join(SRC, "tests/cli/check_report_json.py"),
                    os.path.join(SRC, "docs/report-schema.json"), out],
                   capture_output=True, text=True)
check(v.returncode == 0, "the JSON report validates (%s)" % (v.stdout + v.stderr).strip()[-300:])
with open(out) as f:
    rj = json.load(f)["run"]
check(rj.get("network_types") == [{"clusters": ["east", "west"], "network_type": "mixed",
                                   "gateways": ["west/" + GW]}],
      "JSON: run.network_types (%s)" % rj.get("network_types"))
check(sorted((f["cluster"], f["node"]) for f in rj.get("kosmos_findings", [])) ==
      [("east", "east-node-2"), ("east", "east-node-3"), ("west", "west-node-1"),
       ("west", "west-node-9")],
      "JSON: run.kosmos_findings (%s)" % rj.get("kosmos_findings"))

# 2. the gateway's link cut: the verdict names the gateway, nobody behind it
fid = fault("uplink-down", GW)
r = st.netctl("check", *COMMON, "--json")
run2 = st.last_run()
check(r.returncode == 1, "with the gateway's link down the check fails (exit %d)" % r.returncode)
verdicts = (check_json(r) or {}).get("verdicts", [])
for v in verdicts:
    log("verdict [%s] %s" % (v["kind"], v["text"]))
cross = st.sql("SELECT count(*), sum(r.error != 0) FROM results r "
               "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
               "WHERE r.run_id = ? AND s.cluster_id != d.cluster_id", run2)[0]
check(cross[0] > 0 and cross[0] == cross[1],
      "every cross-cluster result fails, through the gateway (%s of %s)" % (cross[1], cross[0]))
inside = st.sql("SELECT count(*), sum(r.error != 0) FROM results r "
                "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                "WHERE r.run_id = ? AND s.cluster_id = d.cluster_id", run2)[0]
check(inside[0] > 0 and inside[1] == 0,
      "every pair within east and within west passes, the gateway's too (%s)" % (inside,))
check([v["kind"] for v in verdicts] == ["gateway-down"] and
      verdicts[0]["node"] == "west/" + GW and verdicts[0]["src_cluster"] == "west" and
      "every cross-cluster path through gateway west/%s fails" % GW in verdicts[0]["text"] and
      "while every pair within west passes" in verdicts[0]["text"],
      "the one verdict is gateway-down naming west/%s" % GW)
check(not [v for v in verdicts if v["node"] in ("west/west-node-1", "west/west-node-2")],
      "no verdict blames a node behind the gateway")
check(not [v for v in verdicts if v["kind"] == "partitioned"], "no partitioned verdict")
fault("undo", fid)
r = subprocess.run([WORLD, "gateway", "off", "west", "--dir", WORLD_DIR],
                   capture_output=True, text=True)
check(r.returncode == 0, "world gateway off west (%s)" % r.stderr.strip())

# 3. straight again: passes; the host's ClusterNodes are listed once per check (one LIST,
# not one per cluster or node)
r = st.netctl("-vv", "check", *COMMON)
check(r.returncode == 0, "after the fault is undone and gateway mode off the check passes "
      "(exit %d)" % r.returncode)
lists = [l for l in r.stderr.splitlines()
         if ": GET " in l and "/apis/kosmos.io/v1alpha1/clusternodes" in l]
check(len(lists) == 1, "one LIST of clusternodes.kosmos.io for two imported clusters (%s)" %
      lists)
finish()
