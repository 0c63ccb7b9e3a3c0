"""Custom targets: addresses outside the clusters that every node probes, besides the node
pairs. A small TCP listener in the world namespace (on west's bridge addresses, v4 and v6,
port 18080) is the target; config.json's customizedTargetIPList x customizedTargetPortList
name it first, --target next, with a closed port beside it. A drop of TCP to it from one
node's namespace (an nft table of the test's own) must make the verdict "from node X only";
the closed port "from every node of cluster C". The results are (node -> target) rows of
the results table, so resume re-probes exactly the failed ones and the JSON report (schema
checked) lists them.

Runs on any world with clusters east and west of 2 nodes or more (by hand: world up
--clusters east:4,west:4)."""
from e2e import *

LIB = os.path.join(SRC, "tests/world/lib.sh")
COMMON = ["--protocol", "icmp,tcp", "--family", "4,6", "--timeout", "1s", "--keep-floaters",
          "--pod-wait", "120s", "--src", "east", "--dst", "west"]
PORT, CLOSED = 18080, 18081
LISTENER = r"""
import select, socket, sys
socks = []
for fam, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(sys.argv[3])))
    s.listen(1024)
    socks.append(s)
print("listening", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        try:
            s.accept()[0].close()
        except OSError:
            pass
"""


def world_addr(cluster):
    """The world namespace's addresses on a cluster's bridge (tests/world/lib.sh)."""
    out = subprocess.run(["bash", "-c", 'source "$1"; world_dir_resolve "$2"; world_env_load; '
                          'c=$(cluster_index "$3"); world4 "$c"; world6 "$c"', "-", LIB,
                          WORLD_DIR, cluster], check=True, capture_output=True, text=True)
    return out.stdout.split()


def node_ns(cluster, node):
    for line in world_out("nodes", cluster).splitlines():
        f = line.split()
        if f and f[0] == node:
            return f[1]
    raise RuntimeError("no node %s" % node)


def nft(ns, script):
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=script, text=True,
                   check=True, capture_output=True)


def target_rows(run, name_like):
    return st.sql("SELECT s.name, r.protocol, r.family, r.error FROM results r "
                  "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                  "WHERE r.run_id = ? AND d.kind = 1 AND d.name LIKE ?", run, name_like)


east, west = nodes("east"), nodes("west")
v4, v6 = world_addr("west")
log("target listener on %s and %s, port %d" % (v4, v6, PORT))
listener = subprocess.Popen(in_world(["python3", "-c", LISTENER, v4, v6, str(PORT)]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
ns = node_ns("east", east[1])
try:
    check(listener.stdout.readline().strip() == "listening", "the listener is up")
    st = Store(register=("east", "west"))

    # 1. NetDoctor's config.json lists: every IP x every port
    cfg = os.path.join(st.dir, "config.json")
    with open(cfg, "w") as f:
        json.dump({"customizedTargetIPList": [v4, v6], "customizedTargetPortList": [str(PORT)]}, f)
    r = st.netctl("check", "--config", cfg, *COMMON)
    log(r.stdout)
    log(r.stderr[-1500:])
    run1 = st.last_run()
    check(r.returncode == 0, "check with config.json's targets passes (exit %d)" % r.returncode)
    rows = st.sql("SELECT count(*), sum(r.error != 0) FROM results r JOIN nodes d "
                  "ON d.id = r.dst_node WHERE r.run_id = ? AND d.kind = 1", run1)[0]
    want = (len(east) + len(west)) * 2 * 2  # every node x 2 targets x icmp,tcp
    check(rows[0] == want and rows[1] == 0,
          "%d target results stored, all passed (got %s, want %d)" % (rows[0], rows, want))
    names = set(n for (n,) in st.sql("SELECT DISTINCT name FROM nodes WHERE kind = 1"))
    check(names == {"target:%s:%d" % (v4, PORT), "target:[%s]:%d" % (v6, PORT)},
          "targets are pseudo-nodes named target:ADDR:PORT (%s)" % sorted(names))
    check("east:targets" in r.stdout and "west:targets" in r.stdout,
          "the summary has east -> east:targets and west -> west:targets lines")

    # 2. --target (config ignored), a closed port beside it, TCP to it dropped from one node
    nft(ns, "table inet seltgt {\n"
            " chain o { type filter hook output priority -10; ip daddr %s tcp dport %d drop; }\n"
            " chain f { type filter hook forward priority -10; ip daddr %s tcp dport %d drop; }\n"
            "}\n" % (v4, PORT, v4, PORT))
    ACTIVE_FAULTS.add("test-targets-nft")
    r = st.netctl("check", *COMMON, "--target", "%s:%d" % (v4, PORT),
                  "--target", "[%s]:%d" % (v6, PORT), "--target", "%s:%d" % (v4, CLOSED))
    log(r.stdout)
    run2 = st.last_run()
    check(r.returncode == 1, "with one node cut off and a closed port: exit 1 (%d)" %
          r.returncode)
    one = "target %s:%d unreachable from node %s only" % (v4, PORT, east[1])
    check(one in r.stdout, "the verdict says %r" % one)
    for c in ("east", "west"):
        every = "target %s:%d unreachable from every node of cluster %s" % (v4, CLOSED, c)
        check(every in r.stdout, "the verdict says %r" % every)
    check("while icmp passes" in r.stdout, "the verdicts say icmp passes")
    bad = target_rows(run2, "target:%s:%d" % (v4, PORT))
    failed = [b for b in bad if b[3] != 0]
    check(failed == [(east[1], 1, 4, ERR["timeout"])],
          "the only failing result to the listener: %s, tcp, IPv4, timeout (%s)" %
          (east[1], failed))
    refused = [b for b in target_rows(run2, "target:%s:%d" % (v4, CLOSED)) if b[1] == 1]
    check(refused and all(b[3] == ERR["refused"] for b in refused),
          "tcp to the closed port is refused from every node (%d results)" % len(refused))
    check(not [b for b in target_rows(run2, "target:[%s]:%d" % (v6, PORT)) if b[3] != 0],
          "the IPv6 target passes from every node")

    # 3. the drop lifted, resume re-probes the failed target pairs and nothing else
    nft(ns, "delete table inet seltgt\n")
    ACTIVE_FAULTS.discard("test-targets-nft")
    failed2 = st.failed_count(run2)
    r = st.netctl("resume", "--run", str(run2), "--keep-floaters")
    run3 = st.last_run()
    n3 = st.sql("SELECT count(*) FROM results WHERE run_id = ?", run3)[0][0]
    check(n3 == failed2, "resume probed exactly the %d failed results (%d)" % (failed2, n3))
    check([b for b in target_rows(run3, "target:%s:%d" % (v4, PORT))] ==
          [(east[1], 1, 4, 0)], "the listener answers the cut-off node again")
    check(r.returncode == 1, "the closed port still fails: exit 1 (%d)" % r.returncode)

    # 4. every report format carries them; JSON as the schema says
    out = os.path.join(st.dir, "r.json")
    r = st.netctl("report", "--run", str(run3), "--merged", "--format", "json", "-o", out)
    v = subprocess.run(["python3", os.path.join(SRC, "tests/cli/check_report_json.py"),
                        os.path.join(SRC, "docs/report-schema.json"), out],
                       capture_output=True, text=True)
    check(r.returncode == 0 and v.returncode == 0,
          "report --format json validates against the schema (%s)" % (v.stdout + v.stderr)[-300:])
    doc = json.load(open(out))
    check(any(x["dst_node"] == "target:%s:%d" % (v4, CLOSED) for x in doc["results"]),
          "the JSON report lists the target results")
    r = st.netctl("report", "--run", str(run3), "--merged", "--format", "csv")
    check("target:[%s]:%d" % (v6, PORT) in r.stdout, "so does the CSV")
finally:
    subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "seltgt"],
                   capture_output=True)
    listener.kill()
    listener.wait()
finish()
