"""Overlapping pod CIDRs (docs/kosmos.md): east and west share one IPv4 pod CIDR, and the
world's router translates each cluster's global CIDR to it (world up --same-pod-cidr:
east 198.19.32.0/19, west 198.19.64.0/19, both real 198.19.0.0/19). Without the mapping
a probe of a west pod's real address lands on the east pod that has the same address:
every UDP echo proves which node answered, so each such pair is wrong-node (ICMP and TCP
too, by the UDP answer of the same pair), never ok. With --global-cidr the same check
passes, the report shows the real and the global address of each west pod, and a diff of
the two runs names each destination with both addresses (table and JSON).

Then Kosmos: east, as the host cluster, gets the clusters.kosmos.io and
clusternodes.kosmos.io CRDs (tests/fixtures/kosmos/crds.yaml) and a Cluster per member
(east in the newer layout, spec.clusterLinkOptions; west in the older one, fields under
spec), each with its kubeconfig and globalCIDRsMap. `cluster import --kosmos` registers
both with their mappings and ipFamily, the check passes through them over the family
they say (IPv4, then IPv6 after both Clusters say ipv6; --family wins), --write-kubeconfigs
writes each member's kubeconfig to a 0600 file (a file netctl did not write only with
--force) that checks use, and importing again after west's Cluster is deleted removes
west (and the file written for it).

Needs a world of its own: world up --clusters east:3,west:3 --same-pod-cidr."""
from e2e import *

REAL = "198.19.0.0/19"
GLOBAL = {"east": "198.19.32.0/19", "west": "198.19.64.0/19"}
COMMON = ["--src", "east", "--dst", "west", "--protocol", "icmp,tcp,udp", "--family", "4",
          "--timeout", "1s", "--keep-floaters", "--pod-wait", "120s", "--no-apiserver-check"]

east, west = nodes("east"), nodes("west")
pairs = 2 * len(east) * len(west)  # both directions
st = Store(register=())
for c in ("east", "west"):
    r = st.netctl("cluster", "add", c, "--kubeconfig", kubeconfig(c))
    check(r.returncode == 0, "cluster add %s (%s)" % (c, r.stderr.strip()))

# 1. no mapping: the real addresses are ambiguous, and every answer is from the wrong node
r = st.netctl("check", *COMMON)
log(r.stdout[-3000:])
log(r.stderr[-1500:])
run1 = st.last_run()
check(r.returncode == 1, "without the mapping the check fails (exit %d)" % r.returncode)
rows = st.sql("SELECT r.protocol, r.error, count(*) FROM results r "
              "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
              "JOIN clusters sc ON sc.id = s.cluster_id JOIN clusters dc ON dc.id = d.cluster_id "
              "WHERE r.run_id = ? AND sc.name != dc.name GROUP BY 1, 2", run1)
log("cross-cluster results without the mapping (protocol, error, count): %s" % rows)
check(sorted(rows) == sorted((PROTO[p], ERR["wrong-node"], pairs) for p in PROTO),
      "every cross-cluster pair, icmp, tcp and udp, is wrong-node (%d each), none ok" % pairs)
check("wrong-node" in r.stdout, "the summary names wrong-node")
inside = st.sql("SELECT count(*), sum(r.error != 0) FROM results r "
                "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                "WHERE r.run_id = ? AND s.cluster_id = d.cluster_id", run1)[0]
check(inside[0] == 0, "--src east --dst west checks no pair inside a cluster (%s)" % (inside,))

# 2. the global mapping: cross-cluster probes go to the global addresses and pass
for c in ("east", "west"):
    st.netctl("cluster", "remove", c)
    r = st.netctl("cluster", "add", c, "--kubeconfig", kubeconfig(c), "--global-cidr",
                  "%s=%s" % (REAL, GLOBAL[c]))
    check(r.returncode == 0 and GLOBAL[c] in r.stdout,
          "cluster add %s --global-cidr %s=%s (%s)" % (c, REAL, GLOBAL[c], r.stdout.strip()))
r = st.netctl("cluster", "list", "--json")
listed = {c["name"]: c["global_cidrs"] for c in check_json(r) or []}
check(listed == {c: "%s=%s" % (REAL, GLOBAL[c]) for c in GLOBAL},
      "cluster list shows each mapping (%s)" % listed)
r = st.netctl("check", *COMMON)
log(r.stdout[-2000:])
run2 = st.last_run()
check(r.returncode == 0, "with the mapping every pair passes (exit %d)" % r.returncode)
n, failed = st.sql("SELECT count(*), sum(error != 0) FROM results WHERE run_id = ?", run2)[0]
check(n == pairs * 3 and failed == 0, "%d results, %s failed (want %d, 0)" % (n, failed, pairs * 3))

# 3. the report shows both addresses of each pod other clusters probed
out = os.path.join(st.dir, "r.json")
r = st.netctl("report", "--run", str(run2), "--format", "json", "-o", out)
v = subprocess.run(["python3", os.path.join(SRC, "tests/cli/check_report_json.py"),
                    os.path.join(SRC, "docs/report-schema.json"), out],
                   capture_output=True, text=True)
check(v.returncode == 0, "the JSON report validates against the schema (%s)" %
      (v.stdout + v.stderr).strip()[-300:])
with open(out) as f:
    ga = json.load(f)["run"]["global_addresses"]
west_ga = {g["node"]: (g["pod_ip"], g["global_ip"]) for g in ga if g["cluster"] == "west"}
check(len(west_ga) == len(west) and
      all(p.split(".")[:2] == ["198", "19"] and p.split(".")[2] in map(str, range(0, 32)) and
          g.split(".")[3] == p.split(".")[3] and int(g.split(".")[2]) == int(p.split(".")[2]) + 64
          for p, g in west_ga.values()),
      "each west pod: real 198.19.0-31.x, global 198.19.64-95.x, same host bits (%s)" % west_ga)
r = st.netctl("report", "--run", str(run2))
check("global addresses:" in r.stdout, "the table report lists the global addresses")
html = os.path.join(st.dir, "r.html")
st.netctl("report", "--run", str(run2), "--format", "html", "-o", html)
with open(html) as f:
    page = f.read()
check('id="global-addresses">global addresses: %d pod addresses' % (len(east) + len(west))
      in page and " 198.19.0.2 = 198.19.32.2" in page, "the HTML report lists them too")
# diff of the two runs: every cross-cluster pair recovered, the destination shown with its
# pod's real and global address (B's), in the table and in the JSON of each change
w1 = west[0]
w1_real, w1_global = west_ga[w1]
r = st.netctl("diff", str(run1), str(run2))
log(r.stdout[-1500:])
check(r.returncode == 0 and "west/%s (pod %s = %s)" % (w1, w1_real, w1_global) in r.stdout,
      "diff names west's node with its real and global pod address (exit %d)" % r.returncode)
r = st.netctl("diff", str(run1), str(run2), "--json")
changes = (check_json(r) or {}).get("changes", [])
to_west = [c for c in changes if c["src_cluster"] == "east" and c["dst_cluster"] == "west"]
check(to_west and all(c["kind"] == "recovery" and c["a"].get("dst_global_ip") is None and
                      c["b"]["dst_global_ip"] == west_ga[c["dst_node"]][1] and
                      c["b"]["dst_pod_ip"] == west_ga[c["dst_node"]][0] for c in to_west),
      "diff --json: each east->west recovery carries B's real and global pod address, A's "
      "none (%d changes)" % len(to_west))
# 4. Kosmos: the host's Cluster objects, imported (and reconciled)
import base64


def kubectl(*args, stdin=None):
    return subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig("east"), *args]),
                          input=stdin, capture_output=True, text=True, timeout=120)


r = kubectl("apply", "-f", os.path.join(SRC, "tests/fixtures/kosmos/crds.yaml"))
check(r.returncode == 0, "the Kosmos CRDs are applied to east (%s)" % r.stderr.strip())
r = kubectl("wait", "--for", "condition=established", "--timeout", "60s",
            "crd/clusters.kosmos.io", "crd/clusternodes.kosmos.io")
check(r.returncode == 0, "the CRDs are established (%s)" % r.stderr.strip())
objs = []
for c in ("east", "west"):
    with open(kubeconfig(c), "rb") as f:
        kc = base64.b64encode(f.read()).decode()
    link = {"networkType": "p2p", "ipFamily": "ipv4", "globalCIDRsMap": {REAL: GLOBAL[c]}}
    spec = {"kubeconfig": kc, "clusterLinkOptions": link} if c == "east" else \
        dict(link, kubeconfig=kc)
    objs.append({"apiVersion": "kosmos.io/v1alpha1", "kind": "Cluster",
                 "metadata": {"name": c}, "spec": spec})
r = kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                                   "items": objs}))
check(r.returncode == 0, "Cluster objects east and west are created (%s)" % r.stderr.strip())
ks = Store(register=())
r = ks.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"))
log(r.stdout + r.stderr)
check(r.returncode == 0 and "added east" in r.stdout and "added west" in r.stdout and
      "2 added, 0 changed, 0 removed" in r.stdout, "import --kosmos adds east and west")
listed = {c["name"]: (c["from"], c["global_cidrs"], c.get("network_type"))
          for c in check_json(ks.netctl("cluster", "list", "--json")) or []}
check(listed == {c: ("kosmos", "%s=%s" % (REAL, GLOBAL[c]), "p2p") for c in GLOBAL},
      "both listed as from kosmos, with their globalCIDRsMap and network type (%s)" % listed)
kc_rows = ks.sql("SELECT kubeconfig FROM clusters")
check(all(k == kubeconfig("east") for (k,) in kc_rows),
      "the store keeps the host's kubeconfig path only, no member credentials")
# ipFamily ipv4 on both: a check without --family checks IPv4 only and says why
NOFAM = [a for a in COMMON if a not in ("--family", "4")]
r = ks.netctl("check", *NOFAM)
kr = ks.last_run()
check(r.returncode == 0, "a check of the imported clusters passes (exit %d: %s)" %
      (r.returncode, r.stderr.strip()[-500:]))
check("families: IPv4 only, as the clusters say (east: ipFamily ipv4 (Kosmos), west: "
      "ipFamily ipv4 (Kosmos))" in r.stdout, "the check says its family came from ipFamily")
check(ks.sql("SELECT DISTINCT family FROM results WHERE run_id = ?", kr) == [(4,)],
      "every result is IPv4")


# both ipv6: a re-import says so, and a check without --family is IPv6 only (the IPv6 pod
# CIDRs of this world do not overlap: no mapping needed). Clusters with no family in common
# are refused before anything is deployed: tests/cli (cluster add --ip-family).
for o in objs:
    (o["spec"].get("clusterLinkOptions") or o["spec"])["ipFamily"] = "ipv6"
r = kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                                   "items": objs}))
check(r.returncode == 0, "both Clusters say ipFamily ipv6 (%s)" % r.stderr.strip())
r = ks.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"))
check(r.returncode == 0 and all("changed %s: IP family ipv4 -> ipv6" % c in r.stdout
                                for c in GLOBAL),
      "re-import says both families changed (%s)" % r.stdout.strip())
r = ks.netctl("check", *NOFAM)
kr = ks.last_run()
check(r.returncode == 0 and "families: IPv6 only" in r.stdout,
      "both ipv6: the check passes over IPv6 (exit %d: %s)" % (r.returncode,
                                                             r.stderr.strip()[-300:]))
check(ks.sql("SELECT family, count(*) FROM results WHERE run_id = ? GROUP BY 1", kr) ==
      [(6, pairs * 3)], "every result is IPv6, %d of them" % (pairs * 3))
r = ks.netctl("check", *COMMON)
check(r.returncode == 0 and "families:" not in r.stdout and
      ks.sql("SELECT DISTINCT family FROM results WHERE run_id = ?", ks.last_run()) == [(4,)],
      "--family 4 overrides ipFamily ipv6 (exit %d)" % r.returncode)

# --write-kubeconfigs: each member's kubeconfig in DIR/NAME.yaml (0600), checks use it
fs = Store(register=())
kdir = os.path.join(fs.dir, "kube")
os.makedirs(kdir, mode=0o700)
with open(os.path.join(kdir, "west.yaml"), "w") as f:
    f.write("mine\n")
r = fs.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"),
              "--write-kubeconfigs", kdir)
log(r.stdout)
check(r.returncode == 0 and "added east" in r.stdout and
      "skipped west: %s/west.yaml exists and netctl did not write it" % kdir in r.stdout and
      open(os.path.join(kdir, "west.yaml")).read() == "mine\n",
      "a file netctl did not write is left alone, its cluster skipped")
r = fs.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"),
              "--write-kubeconfigs", kdir, "--force")
check(r.returncode == 0 and "added west" in r.stdout and "unchanged east" in r.stdout,
      "--force replaces it (%s)" % r.stdout.strip())
for c in ("east", "west"):
    path = os.path.join(kdir, c + ".yaml")
    with open(path, "rb") as f, open(kubeconfig(c), "rb") as g:
        same = f.read() == g.read()
    check(same and os.stat(path).st_mode & 0o777 == 0o600,
          "%s holds %s's kubeconfig, mode 0600 (%o)" % (path, c, os.stat(path).st_mode))
listed = {c["name"]: (c["kubeconfig_file"], c["ip_family"])
          for c in check_json(fs.netctl("cluster", "list", "--json")) or []}
check(listed == {c: (os.path.join(kdir, c + ".yaml"), "ipv6") for c in GLOBAL},
      "cluster list names each file and family (%s)" % listed)
r = fs.netctl("cluster", "list")
check(r.stdout.count("kosmos (file)") == 2, "the table says the kubeconfigs are files")
r = fs.netctl("cluster", "list", "--check")
check(r.returncode == 0 and r.stdout.count("ok v") == 2,
      "both API servers reached through the written files (%s)" % r.stdout.strip())

r = kubectl("delete", "cluster.kosmos.io", "west")
check(r.returncode == 0, "west's Cluster is deleted (%s)" % r.stderr.strip())
r = ks.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"))
log(r.stdout + r.stderr)
check(r.returncode == 0 and "unchanged east" in r.stdout and "removed west" in r.stdout and
      "0 added, 0 changed, 1 removed, 1 unchanged" in r.stdout,
      "importing again reconciles: east unchanged, west removed")
r = fs.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("east"),
              "--write-kubeconfigs", kdir)
check(r.returncode == 0 and "unchanged east" in r.stdout and "removed west" in r.stdout and
      not os.path.exists(os.path.join(kdir, "west.yaml")) and
      os.path.exists(os.path.join(kdir, "east.yaml")),
      "west removed with the kubeconfig file netctl wrote for it (%s)" % r.stdout.strip())
r = ks.netctl("cluster", "import", "--kosmos", "--kubeconfig", kubeconfig("west"))
check(r.returncode == 2 and "not a Kosmos host cluster" in r.stderr and
      len(r.stderr.strip().splitlines()) == 1,
      "a cluster without the CRDs: exit 2, one line (%d: %s)" % (r.returncode, r.stderr.strip()))
finish()
