"""Each world fault: the run completes, exactly the right results fail with the right
error, the verdict names the fault, exit code 1. Faults are undone after each case."""
from e2e import *

st = Store()
E, W = nodes("east"), nodes("west")
CROSS = ["--src", "east", "--dst", "west"]
# node pairs only: the API server check (e2e.apiserver) would add a failing pair for every
# node without a floater to each case's exact set
BASE = ["--timeout", "1s", "--keep-floaters", "--json", "--no-apiserver-check"]
WAIT = ["--pod-wait", "120s"]


def run(args):
    r = st.netctl("check", *args, *BASE)
    doc = check_json(r)
    if r.returncode not in (0, 1):
        log(r.stderr[-3000:])
    run_id = st.last_run()
    verdicts = [v["kind"] for v in doc["verdicts"]] if doc else []
    return r, run_id, st.failed_pairs(run_id), verdicts, doc


def floater_ready(cluster, node):
    """Whether the pod floater on node is Ready, as the API server says."""
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(cluster), "-n",
                                   "kosmos-system", "get", "pods", "-o",
                                   "jsonpath={range .items[*]}{.spec.nodeName} "
                                   "{.status.conditions[?(@.type==\"Ready\")].status}\n{end}"]),
                         capture_output=True, text=True).stdout
    return any(l.split() == [node, "True"] for l in out.splitlines())


def case(name, fault_args, check_args, expect_pairs, errors, verdict, exact=True, settle=None):
    """expect_pairs: set of (src node, dst node) that must fail; errors: allowed error names.
    settle: a function that returns True once the fault is visible (bounded wait)."""
    log("--- " + name)
    fid = fault(*fault_args) if fault_args else None
    deadline = time.time() + 90
    while settle and not settle() and time.time() < deadline:
        time.sleep(1)
    try:
        r, run_id, failed, verdicts, doc = run(check_args)
    finally:
        if fid:
            fault("undo", fid)
    got_pairs = {(f[0], f[1]) for f in failed}
    got_errors = {f[5] for f in failed}
    check(r.returncode == 1, "%s: exit code 1 (got %d)" % (name, r.returncode))
    if exact:
        check(got_pairs == expect_pairs, "%s: exactly the expected node pairs fail "
              "(missing %s, extra %s)" % (name, sorted(expect_pairs - got_pairs)[:6],
                                          sorted(got_pairs - expect_pairs)[:6]))
    else:
        check(got_pairs and got_pairs <= expect_pairs,
              "%s: failures only among the expected pairs (extra %s)"
              % (name, sorted(got_pairs - expect_pairs)[:6]))
    check(got_errors <= {ERR[e] for e in errors},
          "%s: errors are %s (got %s)" % (name, errors, sorted(got_errors)))
    check(verdict in verdicts, "%s: verdict %s named (got %s)" % (name, verdict, verdicts))
    status = st.sql("SELECT status FROM runs WHERE id = ?", run_id)[0][0]
    check(status == "done", "%s: the run completed (%s)" % (name, status))
    return failed, doc


def both(a_nodes, b_nodes):
    return {(a, b) for a in a_nodes for b in b_nodes} | {(b, a) for a in a_nodes for b in b_nodes}


def wait_floater(cluster, node):
    """Until the node's pod floater is Ready again (bounded)."""
    deadline = time.time() + 120
    while not floater_ready(cluster, node) and time.time() < deadline:
        time.sleep(1)


def mid_run(name, fault_args, count, concurrency, after_s):
    """A long icmp check (east <-> west) with a fault injected after_s seconds into it.
    Returns (exit code, stderr, run id, failed pairs, fault id, (results, planned, status))."""
    log("--- " + name)
    p = st.popen("check", *CROSS, "--protocol", "icmp", "--family", "4", "--count",
                 str(count), "--interval", "20ms", "--concurrency", str(concurrency), *BASE)
    time.sleep(after_s)
    t0 = time.time()
    fid = fault(*fault_args)
    log("%s: fault in place after %.1f s" % (name, time.time() - t0))
    _, err = p.communicate(timeout=600)
    run_id = st.last_run()
    counts = st.sql("SELECT results, planned, status FROM runs WHERE id = ?", run_id)[0]
    return p.returncode, err, run_id, st.failed_pairs(run_id), fid, counts


# healthy baseline, which also deploys the floaters
r, run_id, failed, verdicts, _ = run(CROSS + ["--protocol", "icmp,tcp,udp", "--family", "4,6"] + WAIT)
check(r.returncode == 0 and not failed, "baseline: healthy (exit %d)" % r.returncode)

case("drop between two nodes", ["drop", E[0], W[1]],
     CROSS + ["--protocol", "icmp,tcp,udp", "--family", "4,6"],
     both([E[0]], [W[1]]), ["timeout"], "bad-link")

failed, _ = case("cluster partition", ["drop", "east", "west"],
                 ["--mesh", "--protocol", "tcp", "--family", "4"],
                 both(E, W), ["timeout"], "partitioned")

for proto in ("icmp", "udp"):
    failed, _ = case("%s-only block" % proto, ["drop", "east", "west", "--proto", proto],
                     CROSS + ["--protocol", "icmp,tcp,udp", "--family", "4"],
                     both(E, W), ["timeout"], "protocol-blocked")
    check({f[2] for f in failed} == {PROTO[proto]},
          "%s-only block: only %s results fail" % (proto, proto))

failed, doc = case("30% loss", ["loss", "east", "west", "--percent", "30"],
                   CROSS + ["--protocol", "icmp", "--family", "4", "--count", "100",
                            "--interval", "2ms"],
                   both(E, W), ["loss", "timeout"], "lossy-path", exact=False)
if doc:
    sent, recv = st.sql("SELECT sum(sent), sum(received) FROM results WHERE run_id = ?",
                        st.last_run())[0]
    loss = 1 - recv / sent if sent else 0
    # 30% per direction of the round trip: 1 - 0.7 * 0.7 = 51% of echoes lost when both
    # directions drop; the fault applies per direction, so accept 20% .. 60%.
    check(0.20 <= loss <= 0.60, "30%% loss: measured loss %.1f%%" % (loss * 100))

failed, _ = case("MTU mismatch", ["mtu", "west", "--mtu", "1280"],
                 CROSS + ["--protocol", "icmp", "--family", "4", "--size", "1400"],
                 both(E, W), ["message-too-long", "timeout"], "mtu")
check(ERR["message-too-long"] in {f[5] for f in failed},
      "MTU mismatch: message-too-long reported")

failed, _ = case("IPv6 broken", ["ipv6-broken", "east", "west"],
                 CROSS + ["--protocol", "icmp,tcp", "--family", "4,6"],
                 both(E, W), ["timeout", "unreachable"], "ipv6-broken")
check({f[3] for f in failed} == {6}, "IPv6 broken: only IPv6 results fail")

# a floater that never becomes Ready: its pairs are no-agent, the run does not hang
t0 = time.time()
failed, _ = case("pod never Ready", ["neverready", E[4]],
                 CROSS + ["--protocol", "tcp", "--family", "4", "--pod-wait", "8s"],
                 both([E[4]], W), ["no-agent"], "floater-missing",
                 settle=lambda: not floater_ready("east", E[4]))
check(time.time() - t0 < 180, "pod never Ready: the check is bounded by --pod-wait")

# a node NotReady (its kubelet silent, its floater reported not Ready): its pairs are
# no-agent, the verdict names the node as NotReady, and the check does not sit out
# --pod-wait for a floater that cannot become Ready
failed, doc = case("node NotReady", ["notready", E[3]],
                   CROSS + ["--protocol", "tcp", "--family", "4", "--pod-wait", "90s"],
                   both([E[3]], W), ["no-agent"], "node-not-ready",
                   settle=lambda: not floater_ready("east", E[3]))
took = st.sql("SELECT (finished_ms - started_ms) / 1000.0 FROM runs WHERE id = ?",
              st.last_run())[0][0]
named = [v for v in (doc or {}).get("verdicts", []) if v["kind"] == "node-not-ready"]
check(len(named) == 1 and named[0]["node"] == "east/" + E[3] and "NotReady" in named[0]["text"],
      "node NotReady: one verdict names east/%s as NotReady (%s)" % (E[3], named))
check(not [v for v in (doc or {}).get("verdicts", []) if v["kind"] == "floater-missing"],
      "node NotReady: no separate floater-missing verdict")
check(took < 60, "node NotReady: the check did not wait out --pod-wait 90s (took %.0f s)" % took)
# the node is back: wait for its floater before the next case
wait_floater("east", E[3])

# a floater killed (and held down) while the check runs: its own requests are agent-lost
rc, err, run_id, failed, fid, (_, _, status) = mid_run(
    "floater killed mid-run", ["kill-floater", E[2], "--hold"], 200, 1, 3)
fault("undo", fid)
check(rc == 1, "floater killed: exit code 1 (got %d)" % rc)
check(failed and {(f[0], f[1]) for f in failed} <= both([E[2]], W),
      "floater killed: only pairs of %s fail" % E[2])
check(ERR["agent-lost"] in {f[5] for f in failed} or ERR["no-agent"] in {f[5] for f in failed},
      "floater killed: its results are agent-lost")
check(status == "done", "floater killed: the run completed")

# a floater that crashes mid-run and is restarted by its kubelet (same pod, back within
# seconds): its request is asked again while the proxy cannot reach it, no result is lost
wait_floater("east", E[2])
rc, err, run_id, failed, _, (results, planned, _) = mid_run(
    "floater crashed and restarted mid-run", ["kill-floater", E[2]], 400, 5, 3)
check(rc == 0 and not failed and results == planned,
      "floater restarted: the run passes with every result (exit %d, %d failed, %d of %d)"
      % (rc, len(failed), results, planned))
check(E[2] + ": probe request failed" in err,
      "floater restarted: its cut request was asked again (stderr: %s)" % err[-400:])

# a throttled API server: 429s are retried, the run completes and passes
log("--- API server throttled")
fid = fault("throttle", "west", "--inflight", "1")
try:
    r, run_id, failed, verdicts, _ = run(CROSS + ["--protocol", "tcp", "--family", "4"])
finally:
    fault("undo", fid)
check(r.returncode == 0 and not failed,
      "throttled API server: the run completes and passes (exit %d, %d failed)"
      % (r.returncode, len(failed)))

# an API server restarted while the check streams through it: its streams are cut and its
# floaters cannot be asked until it is back; the requests are asked again with backoff,
# and the run passes with every pair measured, none lost
rc, err, run_id, failed, _, (results, planned, status) = mid_run(
    "API server restarted mid-run", ["apiserver-restart", "west"], 150, 1, 4)
check(rc == 0 and not failed,
      "API server restarted: the run passes (exit %d, %d failed: %s)"
      % (rc, len(failed), err[-600:] if failed else ""))
check(status == "done" and results == planned,
      "API server restarted: every planned result stored (%d of %d, %s)"
      % (results, planned, status))
check("asking again" in err and "west" in err,
      "API server restarted: west's cut requests were asked again (stderr: %s)" % err[-400:])
finish()
