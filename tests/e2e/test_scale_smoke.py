"""Scale smoke (issue #20) on the 200-node cluster: a cold and a warm full-mesh check with
netctl's default options (concurrency, the compact encoding the floaters are asked for,
each source starting at another target) store every node pair exactly once and the API
server pair of every node, with 0 failed results, the kernel's loss counters unchanged, and
API requests within 3 x nodes + 50; the warm check reads the same answers as the cold one
(every pair again, nothing left over from the first)."""
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


log("%d nodes, %d node pairs" % (n, n * (n - 1)))
one_check("cold")
one_check("warm")
finish()
