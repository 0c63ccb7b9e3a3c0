"""Choosing nodes: a node labelled kosmos.io/exclude (NetDoctor's rule), a node named by
--exclude-node, a node not matching --node-selector and a node with a control-plane taint
(left out by the default --tolerations) get no floater pod and no result row; the check's
summary names each with its reason, diff calls their pairs "not selected" (not vanished),
and a resume of an earlier run says they are not selected now (not gone). --tolerations all
puts a floater on the tainted node again. --src-node/--dst-node plan and store only the pairs
they name; a name the check has no node of is a usage error before any probe.

Runs on any world with clusters east and west of 4 nodes each or more (the shared e2e world
has east:5, west:5; by hand: world up --clusters east:4,west:4). The labels and the taint
are removed again at the end."""
from e2e import *

NS = "kosmos-system"
# the API server's addresses are pseudo-nodes with results of their own: this test is about
# nodes (test_apiserver.py covers those)
COMMON = ["--protocol", "tcp", "--family", "4", "--timeout", "1s", "--keep-floaters",
          "--pod-wait", "120s", "--no-apiserver-check"]


def kubectl(cluster, *args, check_rc=True):
    r = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(cluster), *args]),
                       capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError("kubectl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def floater_nodes(cluster):
    """Nodes that have a floater pod of the pod-network DaemonSet (any phase)."""
    out = kubectl(cluster, "-n", NS, "get", "pods", "-l",
                  "app.kubernetes.io/name=netctl-floater,netctl.io/network=pod", "-o",
                  "jsonpath={range .items[*]}{.spec.nodeName}{'\\n'}{end}")
    return set(l for l in out.split() if l)


def wait_floaters(cluster, absent=(), present=(), timeout=60):
    """Polls until no floater pod is on the nodes `absent` and one is on each of `present`
    (the DaemonSet controller removes pods of nodes left out after the check's rollout)."""
    end = time.time() + timeout
    while True:
        have = floater_nodes(cluster)
        if not (have & set(absent)) and set(present) <= have:
            return have
        if time.time() > end:
            return have
        time.sleep(1)


def nodes_in_results(run):
    return set(n for (n,) in st.sql(
        "SELECT DISTINCT n.name FROM results r JOIN nodes n ON n.id IN (r.src_node, r.dst_node) "
        "WHERE r.run_id = ?", run))


east, west = nodes("east"), nodes("west")
if len(east) < 4 or len(west) < 4:
    log("needs clusters east and west of at least 4 nodes each")
    sys.exit(1)
st = Store(register=("east", "west"))

# A: every node takes part.
r = st.netctl("check", "--src", "east", "--dst", "west", *COMMON)
log(r.stdout)
run_a = st.last_run()
check(r.returncode == 0, "baseline check passes (exit %d)" % r.returncode)
check(nodes_in_results(run_a) == set(east + west), "baseline: every node has results")

# B: four nodes left out, each for its own reason.
LABELLED, SELECTOR_OUT, TAINTED, NAMED = east[1], east[2], west[1], west[3]
kubectl("east", "label", "node", LABELLED, "kosmos.io/exclude=true", "--overwrite")
kubectl("east", "label", "node", SELECTOR_OUT, "role=edge", "--overwrite")
kubectl("west", "taint", "node", TAINTED, "node-role.kubernetes.io/control-plane=:NoSchedule",
        "--overwrite")
try:
    r = st.netctl("check", "--src", "east", "--dst", "west", *COMMON,
                  "--exclude-node", "west/" + NAMED, "--node-selector", "east:role!=edge")
    log(r.stdout)
    log(r.stderr[-2000:])
    run_b = st.last_run()
    check(r.returncode == 0, "check with four nodes left out passes (exit %d)" % r.returncode)
    left = {LABELLED, SELECTOR_OUT, TAINTED, NAMED}
    took_part = set(east + west) - left
    check(nodes_in_results(run_b) == took_part,
          "no result row names a node left out (%s)" % sorted(nodes_in_results(run_b) & left))
    rows = st.sql("SELECT count(*) FROM results WHERE run_id = ?", run_b)[0][0]
    ne, nw = len(east) - 2, len(west) - 2  # two left out on each side
    check(rows == 2 * ne * nw, "%d results: %d east x %d west nodes, both directions (%d)"
          % (2 * ne * nw, ne, nw, rows))
    for want in ("left out: 4 nodes:",
                 "east/%s (kosmos.io/exclude: kosmos.io/exclude=true)" % LABELLED,
                 "east/%s (--node-selector)" % SELECTOR_OUT,
                 "west/%s (taint: node-role.kubernetes.io/control-plane:NoSchedule)" % TAINTED,
                 "west/%s (--exclude-node)" % NAMED):
        check(want in r.stdout, "the summary says %r" % want)
    stored = st.sql("SELECT n.name, lo.reason FROM run_left_out lo JOIN nodes n "
                    "ON n.id = lo.node_id WHERE lo.run_id = ? ORDER BY n.name", run_b)
    check(dict(stored) == {LABELLED: 1, NAMED: 2, SELECTOR_OUT: 3, TAINTED: 4},
          "the run records each node left out with its reason (%s)" % stored)
    have = wait_floaters("east", absent=[LABELLED, SELECTOR_OUT])
    check(not have & {LABELLED, SELECTOR_OUT},
          "no floater pod on %s, %s (east has them on %s)" % (LABELLED, SELECTOR_OUT,
                                                              sorted(have)))
    have = wait_floaters("west", absent=[TAINTED, NAMED])
    check(not have & {TAINTED, NAMED},
          "no floater pod on %s, %s (west has them on %s)" % (TAINTED, NAMED, sorted(have)))
    ds = kubectl("west", "-n", NS, "get", "daemonset", "netctl-floater", "-o",
                 "jsonpath={.spec.template.spec.affinity.nodeAffinity"
                 ".requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]}")
    check("kosmos.io/exclude" in ds and NAMED in ds,
          "the DaemonSet's node affinity leaves out kosmos.io/exclude and %s (%s)" % (NAMED, ds))

    # diff A B: the pairs of the nodes left out are "not selected", not vanished
    gone_pairs = 2 * (len(east) * len(west) - ne * nw)
    r = st.netctl("diff", str(run_a), str(run_b), "--json")
    d = check_json(r)
    if d:
        t = d["totals"]
        check(t["not-selected"] == gone_pairs and t["vanished"] == 0,
              "diff: %d not selected, %d vanished (want %d, 0)" % (t["not-selected"],
                                                                   t["vanished"], gone_pairs))
    r = st.netctl("diff", str(run_a), str(run_b))
    check("0 vanished, %d not selected" % gone_pairs in r.stdout,
          "the diff table says %d not selected" % gone_pairs)

    # a resume of A: the nodes its own options now leave out are "not selected", not gone
    r = st.netctl("resume", "--run", str(run_a), "--keep-floaters")
    log(r.stderr[-2000:])
    check("not selected now (east/%s (kosmos.io/exclude), west/%s (taint))" % (LABELLED, TAINTED)
          in r.stderr, "resume of A says the labelled and the tainted node are not selected now")
    check(" gone " not in r.stderr, "resume of A calls no node gone")

    # --tolerations all: a floater on the tainted node again (the label still keeps one off)
    r = st.netctl("check", "--src", "west", *COMMON, "--tolerations", "all")
    run_c = st.last_run()
    check(r.returncode == 0, "check --tolerations all passes (exit %d)" % r.returncode)
    check(nodes_in_results(run_c) == set(west),
          "--tolerations all: every west node is probed, the tainted one too")
    # and the DaemonSet no longer leaves out the node run B excluded by name
    have = wait_floaters("west", present=west)
    check(have == set(west), "--tolerations all: a floater pod on every west node (%s)" %
          sorted(have))
finally:
    kubectl("east", "label", "node", LABELLED, "kosmos.io/exclude-", check_rc=False)
    kubectl("east", "label", "node", SELECTOR_OUT, "role-", check_rc=False)
    kubectl("west", "taint", "node", TAINTED, "node-role.kubernetes.io/control-plane-",
            check_rc=False)

# D: a few pairs only (--src-node, --dst-node): one east node to two west nodes, one of them
# named without its cluster; every selected node keeps its floater, only those pairs are
# planned and stored.
SRC, DST1, DST2 = east[0], west[0], west[2]
r = st.netctl("check", "--src", "east", "--dst", "west", *COMMON, "--src-node", "east/" + SRC,
              "--dst-node", "west/" + DST1, "--dst-node", DST2)
log(r.stdout[-1500:])
run_d = st.last_run()
check(r.returncode == 0, "--src-node/--dst-node check passes (exit %d)" % r.returncode)
pairs = st.sql("SELECT s.name, d.name FROM results r JOIN nodes s ON s.id = r.src_node "
               "JOIN nodes d ON d.id = r.dst_node WHERE r.run_id = ?", run_d)
check(set(pairs) == {(SRC, DST1), (SRC, DST2)},
      "only the pairs from %s to %s and %s are stored (got %s)" % (SRC, DST1, DST2,
                                                                 sorted(set(pairs))))
planned = st.sql("SELECT planned FROM runs WHERE id = ?", run_d)[0][0]
check(planned == len(pairs) and len(pairs) >= 2,
      "the plan holds exactly the stored results (%s planned, %d stored)" % (planned, len(pairs)))
# a node the check does not take part with: one line, a usage error, nothing probed
r = st.netctl("check", "--src", "east", "--dst", "west", *COMMON, "--src-node", "east/nope-9")
check(r.returncode == 2 and "--src-node east/nope-9: not a node this check takes part with"
      in r.stderr, "an unknown --src-node is one line and exit 2 (exit %d: %s)" %
      (r.returncode, r.stderr.strip()[-200:]))
check(st.sql("SELECT COUNT(*) FROM results WHERE run_id = ?", st.last_run())[0][0] == 0,
      "an unknown --src-node probes nothing")
finish()
