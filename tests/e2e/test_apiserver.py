"""The API server from every node: each floater makes a TCP handshake with every address of
its cluster's default/kubernetes Endpoints (the test world's API servers advertise the
world's address on the cluster bridge), stored as (node -> apiserver:ADDR:PORT) results.
On by default; --no-apiserver-check leaves it out. A drop of TCP to the API server from one
node's namespace makes the verdict name that node only. The summary says what the check
cost; the test logs the wall time of the same check with and without it.

Runs on any world with clusters east and west (by hand: world up --clusters east:4,west:4)."""
import re
from e2e import *

COMMON = ["--family", "4", "--timeout", "1s", "--keep-floaters", "--pod-wait", "120s",
          "--src", "east", "--dst", "west"]


def endpoints(cluster):
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(cluster), "-n", "default",
                                   "get", "endpoints", "kubernetes", "-o",
                                   "jsonpath={.subsets[0].addresses[0].ip}:"
                                   "{.subsets[0].ports[0].port}"]),
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def apiserver_rows(run):
    return st.sql("SELECT s.name, d.name, r.protocol, r.error, r.rtt_avg FROM results r "
                  "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                  "WHERE r.run_id = ? AND d.kind = 2 ORDER BY s.name", run)


def node_ns(cluster, node):
    for line in world_out("nodes", cluster).splitlines():
        f = line.split()
        if f and f[0] == node:
            return f[1]
    raise RuntimeError("no node %s" % node)


def timed(*args):
    t0 = time.time()
    r = st.netctl(*args)
    return r, time.time() - t0


east, west = nodes("east"), nodes("west")
ep = {c: endpoints(c) for c in ("east", "west")}
log("kubernetes Endpoints: %s" % ep)
check(all(ep.values()) and not any(v.startswith("127.") for v in ep.values()),
      "each world API server advertises a bridge address in its Endpoints (%s)" % ep)
st = Store(register=("east", "west"))

# 1. on by default: every node of each cluster to its own API server, tcp
r, t_tcp = timed("check", *COMMON)
log(r.stdout)
run1 = st.last_run()
check(r.returncode == 0, "check passes (exit %d)" % r.returncode)
rows = apiserver_rows(run1)
want = {(n, "apiserver:" + ep["east"]) for n in east} | \
       {(n, "apiserver:" + ep["west"]) for n in west}
check({(s, d) for s, d, _, _, _ in rows} == want and len(rows) == len(want),
      "one tcp result from every node to its cluster's API server (%d rows)" % len(rows))
check(all(p == 1 and e == 0 and rtt > 0 for _, _, p, e, rtt in rows),
      "every handshake with the API server passed, with an RTT")
check("east:apiserver" in r.stdout and "west:apiserver" in r.stdout,
      "the summary has east:apiserver and west:apiserver lines")
check("API server check: %d results to 2 addresses, 0 failed" % len(want) in r.stdout,
      "the summary line says what the API server check found")

# 2. with icmp and udp too its addresses need requests of their own: the summary says
#    what they add; the same check without it gives the wall-time difference
r, t_with = timed("check", *COMMON, "--protocol", "icmp,tcp,udp")
log(r.stdout)
check(r.returncode == 0 and "request" in r.stdout and "adding at most about" in r.stdout,
      "with three protocols the summary says what its own requests add")
r2, t_without = timed("check", *COMMON, "--protocol", "icmp,tcp,udp", "--no-apiserver-check")
run3 = st.last_run()
check(r2.returncode == 0 and not apiserver_rows(run3) and "API server check" not in r2.stdout,
      "--no-apiserver-check: no API server results, no summary line")
log("wall time of check: tcp with the API server check %.2f s; icmp,tcp,udp with it %.2f s, "
    "without it %.2f s" % (t_tcp, t_with, t_without))
for line in r.stdout.splitlines():
    if line.startswith("API server check") or line.startswith("run "):
        log("measured: " + line)

# What it adds, measured: the probing time of the same check with and without it, three
# times each, alternating (the machine is shared: medians). Logged, not asserted.
PROBING = re.compile(r"probing ([0-9.]+)(ms|s)")


def probing_ms(out):
    m = PROBING.search(out)
    return float(m.group(1)) * (1 if m.group(2) == "ms" else 1000) if m else float("nan")


for protos in ("tcp", "icmp,tcp,udp"):
    with_, without = [], []
    for i in range(3):
        with_.append(probing_ms(st.netctl("check", *COMMON, "--protocol", protos).stdout))
        without.append(probing_ms(st.netctl("check", *COMMON, "--protocol", protos,
                                            "--no-apiserver-check").stdout))
    log("measured: %s probing with the API server check %s ms (median %.0f), without %s ms "
        "(median %.0f)" % (protos, with_, sorted(with_)[1], without, sorted(without)[1]))

# 3. TCP to the API server dropped from one node: the verdict names it
ns = node_ns("east", east[0])
host, port = ep["east"].rsplit(":", 1)
subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], check=True, text=True,
               capture_output=True, input=(
                   "table inet selapi {\n"
                   " chain o { type filter hook output priority -10; ip daddr %s tcp dport %s drop; }\n"
                   " chain f { type filter hook forward priority -10; ip daddr %s tcp dport %s drop; }\n"
                   "}\n" % (host, port, host, port)))
ACTIVE_FAULTS.add("test-apiserver-nft")
try:
    r = st.netctl("check", *COMMON)
    log(r.stdout)
    run4 = st.last_run()
    check(r.returncode == 1, "with the API server cut off from one node: exit 1 (%d)" %
          r.returncode)
    v = "API server %s unreachable from node %s only" % (ep["east"], east[0])
    check(v in r.stdout, "the verdict says %r" % v)
    failed = [(s, e) for s, d, p, e, _ in apiserver_rows(run4) if e != 0]
    check(failed == [(east[0], ERR["timeout"])],
          "the only failing API server result is %s's, timeout (%s)" % (east[0], failed))
    check(st.sql("SELECT count(*) FROM results r JOIN nodes d ON d.id = r.dst_node "
                 "WHERE r.run_id = ? AND d.kind = 0 AND r.error != 0", run4)[0][0] == 0,
          "every node pair still passes")
finally:
    subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "selapi"],
                   capture_output=True)
    ACTIVE_FAULTS.discard("test-apiserver-nft")
finish()
