"""Scale smoke (issue #20) on the 200-node cluster: a cold and a warm full-mesh check with
netctl's default options (concurrency, the compact encoding the floaters are asked for,
each source starting at another target) store every node pair exactly once and the API
server pair of every node, with 0 failed results, the kernel's loss counters unchanged, and
API requests within 3 x nodes + 50; the warm check reads the same answers as the cold one
(every pair again, nothing left over from the first). Then two sampled checks (--sample K
with K = ceil((n - 1) / 2): two rounds cover every pair) store each node pair of their
round exactly once, the two rounds together every pair exactly once, and `netctl coverage`
right after them says so: the exact fraction after one round and 100% over both, and
each sampled check's verdicts, and `report --runs`'s, say from how much of the pairs they
come."""
import re
from e2e import *

CLUSTER = os.environ.get("E2E_API_CLUSTER", "big")
names = nodes(CLUSTER)
n = len(names)
st = Store(register=(CLUSTER,))


def one_check(what):
    t = time.time()
    r = st.netctl("check", "--src", CLUSTER, "--protocol", "tcp", "--timeout", "2s",
                  "--keep-floaters", "--pod-wait", "300s", "-q", timeout=900)
    log("%s: %.1f s: %s" % (what, time.time() - t, r.stdout.strip().splitlines()[-1:]))
    check(r.returncode == 0, "%s: check passes (exit %d)" % (what, r.returncode))
    if r.returncode != 0:
        log(r.stderr[-3000:])
    run = st.last_run()
    # node -> node pairs: each ordered pair of distinct nodes once (the primary key keeps
    # a pair from being stored twice; here none may be missing or extra)
    pairs = st.sql(
        "SELECT s.name, d.name FROM results r JOIN nodes s ON s.id = r.src_node "
        "JOIN nodes d ON d.id = r.dst_node WHERE r.run_id = ? AND d.kind = 0", run)
    want = {(a, b) for a in names for b in names if a != b}
    check(len(pairs) == len(want) and set(pairs) == want,
          "%s: every one of the %d node pairs stored exactly once (got %d rows, %d distinct, "
          "%d missing)" % (what, len(want), len(pairs), len(set(pairs)),
                           len(want - set(pairs))))
    api = st.sql("SELECT count(DISTINCT r.src_node) FROM results r JOIN nodes d ON "
                 "d.id = r.dst_node WHERE r.run_id = ? AND d.kind = 2", run)[0][0]
    check(api == n, "%s: the API server checked from each of the %d nodes (got %d)" %
          (what, n, api))
    failed = st.failed_count(run)
    check(failed == 0, "%s: 0 failed results on a healthy %d-node world (got %d: %s)" %
          (what, n, failed, sorted(st.failed_pairs(run))[:5]))
    bad = st.sql("SELECT count(*) FROM results WHERE run_id = ? AND error = 0 AND "
                 "(sent < 1 OR received != sent OR rtt_min <= 0 OR rtt_min > rtt_avg OR "
                 "rtt_avg > rtt_max OR rtt_p99 > rtt_max)", run)[0][0]
    check(bad == 0, "%s: every ok result has all its probes answered and ordered round-trip times "
          "(%d without)" %
          (what, bad))
    m = re.search(r"(\d+) API requests", r.stdout)
    used = int(m.group(1)) if m else -1
    check(0 < used <= 3 * n + 50, "%s: %d API requests <= 3 x %d nodes + 50" % (what, used, n))
    return run


def sampled_check(what, k):
    t = time.time()
    r = st.netctl("check", "--src", CLUSTER, "--protocol", "tcp", "--timeout", "2s",
                  "--keep-floaters", "--pod-wait", "300s", "-q", "--sample", str(k), timeout=900)
    log("%s: %.1f s: %s" % (what, time.time() - t, r.stdout.strip().splitlines()[-1:]))
    check(r.returncode == 0, "%s: check passes (exit %d)" % (what, r.returncode))
    if r.returncode != 0:
        log(r.stderr[-3000:])
    run = st.last_run()
    opts = json.loads(st.sql("SELECT options FROM runs WHERE id = ?", run)[0][0])
    rnd = opts.get("sample_round", -1)
    pairs = st.sql(
        "SELECT s.name, d.name FROM results r JOIN nodes s ON s.id = r.src_node "
        "JOIN nodes d ON d.id = r.dst_node WHERE r.run_id = ? AND d.kind = 0", run)
    # N = n - 1 others per source, rounds of K: round 0 probes K, round 1 the rest
    per_src = k if rnd % 2 == 0 else (n - 1) - k
    check(opts.get("sample") == k and len(pairs) == len(set(pairs)) == n * per_src,
          "%s: sample %s round %s: %d node pairs stored, each once (%d x %d expected; got %d, "
          "%d distinct)" % (what, opts.get("sample"), rnd, n * per_src, n, per_src, len(pairs),
                            len(set(pairs))))
    saw = "verdicts from %.0f%% of pairs (%d of %d" % (100.0 * n * per_src / (n * (n - 1)),
                                                      n * per_src, n * (n - 1))
    check(saw in r.stdout, "%s: its verdicts say how much they saw: '%s'" % (what, saw))
    failed = st.failed_count(run)
    check(failed == 0, "%s: 0 failed results (got %d)" % (what, failed))
    m = re.search(r"(\d+) API requests", r.stdout)
    used = int(m.group(1)) if m else -1
    check(0 < used <= 3 * n + 50, "%s: %d API requests <= 3 x %d nodes + 50 (per node, not per "
          "pair)" % (what, used, n))
    return run, set(pairs), per_src


def store_query(*args):
    """netctl on the store alone (coverage, report): no API server, so not in the world."""
    r = subprocess.run([NETCTL, *args], env=st.env, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "%s: exit 0 (got %d: %s)" %
          (" ".join(args), r.returncode, r.stderr.strip()[-300:]))
    return r.stdout


log("%d nodes, %d node pairs" % (n, n * (n - 1)))
one_check("cold")
one_check("warm")

K = n // 2  # n - 1 = 2K - 1 others: two rounds, the second one pair shorter
all_pairs = {(a, b) for a in names for b in names if a != b}
t0 = time.time()
run1, got1, per1 = sampled_check("sampled 1", K)
want = "pairs probed: %d of %d (%.1f%%), of which 0 failed" % (n * per1, len(all_pairs),
                                                              100.0 * n * per1 / len(all_pairs))
out = store_query("coverage", "--runs", "1", "--src", CLUSTER)
check(want in out, "coverage after one sampled run: '%s' (got %r)" % (want, out[:300]))
run2, got2, per2 = sampled_check("sampled 2", K)
check(not (got1 & got2) and got1 | got2 == all_pairs,
      "two sampled rounds: every one of the %d pairs exactly once (%d in both, %d in neither)" %
      (len(all_pairs), len(got1 & got2), len(all_pairs - (got1 | got2))))
out = store_query("coverage", "--json", "--runs", "2")
c2 = json.loads(out) if out else {}
runs_of = {}
for p in c2.get("results", []):
    runs_of[(p["src"], p["dst"])] = p["run"]
check(c2.get("runs") == 2 and c2.get("seen") == c2.get("pairs") == len(all_pairs) and
      c2.get("fraction") == 1 and len(runs_of) == len(all_pairs) and
      all(runs_of[pr] == (run1 if pr in got1 else run2) for pr in runs_of),
      "coverage right after the two sampled runs: 100%% of %d pairs (got %s of %s over %s runs), "
      "each pair's latest result from the run that probed it" %
      (len(all_pairs), c2.get("seen"), c2.get("pairs"), c2.get("runs")))
out = store_query("report", "--runs", "2")
check("verdicts from 100%% of pairs (%d of %d" % (len(all_pairs), len(all_pairs)) in out,
      "report --runs 2: verdicts from 100% of pairs")
log("sampled runs and coverage: %.1f s" % (time.time() - t0))
finish()
