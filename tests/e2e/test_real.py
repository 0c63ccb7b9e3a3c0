"""Real nodes: the floater image pulled from the world's registry and run by a real kubelet and
containerd (world up --real-nodes), next to simulated nodes, across clusters.

- a check passes for icmp,tcp,udp x IPv4,IPv6 x pod,host between real and simulated nodes;
- the floater container on a real node killed mid-check (ctr, through that node's containerd):
  the check completes and stores every pair;
- a wrong image reference: a one-line warning naming the node and the pull error, within
  --pod-wait, and the check's exit code says pairs failed;
- netctl clean: the API objects are gone and the real kubelets tear the containers down.
"""
import json
import re
import threading
from e2e import *

CLUSTERS.clear()
CLUSTERS.update({"east": 3, "west": 3})
REGISTRY = world_out("registry").strip()


def real_nodes(cluster):
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(cluster), "get", "nodes",
                                   "-l", "netctl.world/kubelet=real", "-o", "name"]),
                         capture_output=True, text=True, check=True).stdout
    return [l.split("/", 1)[1] for l in out.split()]


def ctr(node, *args):
    sock = os.path.join(WORLD_DIR, "real", node, "containerd.sock")
    return subprocess.run(["ctr", "--address", sock, "--namespace", "k8s.io", *args],
                          capture_output=True, text=True)


def floater_tasks(node, network=None):
    """{container id: pid} of running floater containers on a real node (of one network:
    the pod-network DaemonSet's pods are netctl-floater-*, the host's netctl-floater-host-*)."""
    ids = ctr(node, "containers", "list", "-q",
              'labels."io.kubernetes.container.name"==floater').stdout.split()
    if network:
        def pod(cid):
            info = json.loads(ctr(node, "containers", "info", cid).stdout or "{}")
            return info.get("Labels", {}).get("io.kubernetes.pod.name", "")
        ids = [i for i in ids if pod(i).startswith("netctl-floater-host-") == (network == "host")]
    tasks = {}
    for line in ctr(node, "tasks", "list").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 3 and f[0] in ids and f[2] == "RUNNING":
            tasks[f[0]] = int(f[1])
    return tasks


REAL = {c: real_nodes(c) for c in ("east", "west")}
check(all(len(v) == 1 for v in REAL.values()), "one real node per cluster: %s" % REAL)
cfg_dir = tempfile.mkdtemp(prefix="netctl-real-")
CONFIG = os.path.join(cfg_dir, "config.json")
with open(CONFIG, "w") as f:
    json.dump({"srcImageRepository": REGISTRY}, f)

st = Store(register=("east", "west"))
ALL = ["--protocol", "icmp,tcp,udp", "--family", "4,6", "--network", "pod,host"]

# 1. a healthy check over real and simulated nodes, every protocol, family and network
r = st.netctl("check", "--src", "east", "--dst", "west", "--config", CONFIG, *ALL,
              "--pod-wait", "120s", "--keep-floaters")
run = st.last_run()
log(r.stdout[-1500:] + r.stderr[-1500:])
check(r.returncode == 0, "check over real nodes exits 0 (got %d)" % r.returncode)
NODE_PAIRS = ("SELECT count(*) FROM results r JOIN nodes d ON d.id = r.dst_node "
              "WHERE r.run_id = ? AND d.kind = 0")
n = st.sql(NODE_PAIRS, run)[0][0]
check(n == 2 * 3 * 3 * 3 * 2 * 2, "every node pair stored: %d results (want 216)" % n)
check(st.failed_count(run) == 0, "0 failed (got %s)" % sorted(st.failed_pairs(run))[:5])
for c, nodes_ in REAL.items():
    ok = st.sql("SELECT count(*) FROM results r JOIN nodes s ON s.id = r.src_node "
                "JOIN nodes d ON d.id = r.dst_node WHERE r.run_id = ? AND r.error = 0 "
                "AND d.kind = 0 AND (s.name = ? OR d.name = ?)", run, nodes_[0], nodes_[0])[0][0]
    check(ok == 6 * 3 * 2 * 2, "%s: real node %s passed every one of its 72 node pairs (%d)"
          % (c, nodes_[0], ok))
    # the API server check (TCP handshake with the cluster's kubernetes Endpoints) from the
    # real node, pod and host network
    api = st.sql("SELECT count(*), sum(r.error = 0) FROM results r "
                 "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                 "WHERE r.run_id = ? AND d.kind = 2 AND s.name = ?", run, nodes_[0])[0]
    check(api[0] == 2 and api[1] == 2, "%s: real node %s reaches its API server from the pod "
          "and the host network (%s)" % (c, nodes_[0], api))
tasks = floater_tasks(REAL["east"][0])
check(len(tasks) == 2, "east's real node runs 2 floater containers, pod and host (%s)" % tasks)

# 1b. the real kubelet gives both floater pods (dnsPolicy ClusterFirst, and
#     ClusterFirstWithHostNet for the host network's) the cluster DNS in their resolv.conf,
#     and the default DNS check asks the real node's floater for it (--src-node: its own)
t1b = time.monotonic()
dns = subprocess.run(["bash", "-c", 'source "$1"; world_dir_resolve "$2"; world_env_load; '
                      'c=$(cluster_index east); dns4 "$c"; dns6 "$c"', "-",
                      os.path.join(SRC, "tests/world/lib.sh"), WORLD_DIR],
                     check=True, capture_output=True, text=True).stdout.split()
for cid, pid in tasks.items():
    with open("/proc/%d/root/etc/resolv.conf" % pid) as f:
        conf = f.read()
    ns = [l.split()[1] for l in conf.splitlines() if l.startswith("nameserver ")]
    check(ns == dns, "the real kubelet wrote the cluster DNS %s into floater %s's resolv.conf "
          "(%s)" % (dns, cid[:12], ns))
real = REAL["east"][0]
r = st.netctl("check", "--src", "east", "--src-node", "east/" + real, "--config", CONFIG,
              "--protocol", "dns", "--family", "4,6", "--pod-wait", "120s", "--keep-floaters",
              "--no-apiserver-check")
log(r.stdout[-1200:] + r.stderr[-800:])
said = "east %s, %s (node %s's floater pod)" % (dns[0], dns[1], real)
check(r.returncode == 0 and said in r.stdout,
      "no --dns-server: the real node's floater told its pod's nameservers, which answered "
      "(exit %d, summary names %r)" % (r.returncode, said))
log("real kubelet's resolv.conf: %.1f s" % (time.monotonic() - t1b))

# 2. kill the pod-network floater container of east's real node while probing
victim = REAL["east"][0]
p = st.popen("check", "--src", "east", "--dst", "west", "--config", CONFIG, "--protocol",
             "icmp,tcp,udp", "--family", "4,6", "--network", "pod", "--count", "40",
             "--interval", "100ms", "--pod-wait", "120s", "--keep-floaters")
killed = []


def killer():
    deadline = time.time() + 60
    while time.time() < deadline and not killed:
        line = p.stderr.readline()
        if not line:
            return
        if "probing" in line:
            time.sleep(1.0)
            for cid in floater_tasks(victim, "pod"):
                if ctr(victim, "tasks", "kill", "--signal", "SIGKILL", cid).returncode == 0:
                    killed.append(cid)


t = threading.Thread(target=killer)
t.start()
t.join(90)
try:
    out, err = p.communicate(timeout=300)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
log("killed %s; check exit %d" % (killed, p.returncode))
log(out[-1200:] + err[-800:])
check(bool(killed), "a floater container on %s was killed with ctr mid-check" % victim)
check(p.returncode in (0, 1), "the check completes (exit %d)" % p.returncode)
run2 = st.last_run()
n = st.sql(NODE_PAIRS, run2)[0][0]
state = st.sql("SELECT status FROM runs WHERE id = ?", run2)[0][0]
check(state == "done", "the run is done (%s)" % state)
check(n == 2 * 3 * 3 * 3 * 2, "nothing lost: every pair stored after the kill (%d of 108, run %s)"
      % (n, state))
bad = {(s, d) for s, d, *_ in st.failed_pairs(run2)}
check(all(victim in pair for pair in bad),
      "only pairs of the killed floater's node may fail (%s)" % sorted(bad)[:4])

# 3. a wrong image reference: ImagePullBackOff on the real nodes, named within --pod-wait
with open(CONFIG, "w") as f:
    json.dump({"srcImageRepository": REGISTRY, "version": "0.0.0-missing"}, f)
t0 = time.time()
r = st.netctl("check", "--src", "east", "--dst", "west", "--config", CONFIG, "--protocol",
              "tcp", "--pod-wait", "40s")
took = time.time() - t0
log(r.stderr[-1500:])
lines = [l for l in r.stderr.splitlines() if victim in l and "netctl-floater" in l]
check(r.returncode == 1, "a missing image: exit 1, pairs failed (got %d)" % r.returncode)
check(any(re.search(r"ImagePullBackOff|ErrImagePull", l) for l in lines),
      "one line names %s and the pull error: %s" % (victim, lines[:1]))
check(any("0.0.0-missing" in l for l in lines), "the line shows the image reference it could not pull")
check(took < 40 + 30, "the check gives up within --pod-wait (%.0f s)" % took)

# 4. clean: the objects are gone, the kubelets stop and remove the containers
with open(CONFIG, "w") as f:
    json.dump({"srcImageRepository": REGISTRY}, f)
t0 = time.time()
r = st.netctl("clean")
log(r.stdout + r.stderr)
check(r.returncode == 0, "netctl clean exits 0 (got %d) in %.0f s" % (r.returncode, time.time() - t0))
deadline = time.time() + 120
left = {}
while time.time() < deadline:
    left = {nd: floater_tasks(nd) for c in REAL for nd in REAL[c]}
    if not any(left.values()):
        break
    time.sleep(2)
check(not any(left.values()), "the real kubelets tore the floater containers down (%s)" % left)
for c in REAL:
    names = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(c), "get", "pods,ds",
                                     "-A", "-l", "app.kubernetes.io/managed-by=netctl", "-o",
                                     "name"]), capture_output=True, text=True).stdout.split()
    check(not names, "%s: no floater pod or DaemonSet left (%s)" % (c, names))
finish()
