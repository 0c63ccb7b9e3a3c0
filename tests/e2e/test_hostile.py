"""Hostile floater answers (issue 15, item 9): one north node's floater is replaced by
tests/world/hostile-floater, one mode at a time (`fault hostile NODE --mode M`). For each
mode, `netctl check --src north --dst north`: exit 1 within the mode's bound, netctl's peak
RSS under a fixed bound, the hostile node's pairs stored as agent-lost (only a result the
floater gave before it broke the control API is kept as it said), a warning that names the
node and why, and every other pair ok (no ref of the hostile answer lands on another pair)."""
import os
import tempfile

from e2e import *

st = Store()
NORTH = nodes("north")
HOSTILE = NORTH[-1]
OTHERS = NORTH[:-1]
COUNT, INTERVAL_MS, TIMEOUT_MS = 3, 20, 1000
ARGS = ["--src", "north", "--dst", "north", "--protocol", "icmp,tcp,udp", "--family", "4,6",
        "--count", str(COUNT), "--interval", "%dms" % INTERVAL_MS, "--timeout", "1s",
        "--keep-floaters", "--pod-wait", "120s", "--no-apiserver-check"]
ROWS_PER_PAIR = 3 * 2  # protocols x families (pod network)
HOSTILE_ROWS = (len(NORTH) - 1) * ROWS_PER_PAIR
OTHER_ROWS = len(OTHERS) * (len(NORTH) - 1) * ROWS_PER_PAIR

# Bounds (docs/floater.md, "What netctl accepts"). An answer silent for 15 s + count x
# interval + 2 x timeout ends its request (so does the whole request's timeout, that plus
# 20 ms per probe: 0.7 s more here); a request that times out is asked once more. A line
# left unfinished for 10 s counts as a cut stream (also asked once more).
# A broken answer ends the source's request at once, without a retry.
REQUEST_TIMEOUT_S = 15 + COUNT * INTERVAL_MS / 1000 + 2 * TIMEOUT_MS / 1000
LINE_STALL_S = 10
MARGIN_S = 15  # the check's own work (plan, deploy check, the other sources), on a loaded VM
WAIT_S = {"stall-head": 2 * REQUEST_TIMEOUT_S, "stall-mid": 2 * LINE_STALL_S}
RSS_BOUND_KB = 48 * 1024  # a healthy check of this size: about 14 MB

# mode -> error names the hostile node's rows may have, and how many may differ from
# agent-lost (dup: its first line is a result like any other, stored as it says)
MODES = [
    ("endless", 0), ("bigline", 0), ("garbage", 0), ("dup", 1), ("range", 0),
    ("stall-mid", 0), ("stall-head", 0),
]
WRAP = ("import resource, subprocess, sys\n"
        "rc = subprocess.call(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
        "sys.exit(rc)\n")


def measured_check():
    """Runs the check with netctl as the only child of a wrapper inside the world: returns
    (result, seconds, peak RSS of netctl in KiB)."""
    fd, rss_file = tempfile.mkstemp(prefix="netctl-rss-")
    os.close(fd)
    t0 = time.time()
    r = subprocess.run(in_world(["python3", "-c", WRAP, rss_file, NETCTL, "check", *ARGS]),
                       env=st.env, capture_output=True, text=True, timeout=600)
    secs = time.time() - t0
    with open(rss_file) as f:
        rss = int(f.read() or 0)
    os.unlink(rss_file)
    return r, secs, rss


def rows(run):
    return st.sql("SELECT s.name, d.name, r.protocol, r.family, r.error FROM results r "
                  "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                  "WHERE r.run_id = ?", run)


log("--- healthy baseline (deploys the floaters)")
r, base_s, base_rss = measured_check()
run = st.last_run()
log("healthy: exit %d, %.1f s, peak RSS %d KiB" % (r.returncode, base_s, base_rss))
if r.returncode != 0:
    log(r.stderr[-3000:])
check(r.returncode == 0, "healthy baseline: exit 0 (got %d)" % r.returncode)
check(len(rows(run)) == HOSTILE_ROWS + OTHER_ROWS, "healthy baseline: every pair stored")
# later checks find the floaters deployed: only the probing differs from the baseline
base_s = min(base_s, 30)

faults = []
summary = []
for mode, claims in MODES:
    log("--- hostile floater on %s: %s" % (HOSTILE, mode))
    faults.append(fault("hostile", HOSTILE, "--mode", mode))
    r, secs, rss = measured_check()
    run = st.last_run()
    got = rows(run)
    bound = base_s + WAIT_S.get(mode, 0) + MARGIN_S
    summary.append("%-10s exit %d  %5.1f s (bound %.0f)  peak RSS %6d KiB" %
                   (mode, r.returncode, secs, bound, rss))
    log(summary[-1])
    if r.returncode != 1:
        log(r.stderr[-3000:])
    check(r.returncode == 1, "%s: exit 1 (got %d)" % (mode, r.returncode))
    check(secs <= bound, "%s: finished in %.1f s <= %.0f s" % (mode, secs, bound))
    check(rss <= RSS_BOUND_KB, "%s: peak RSS %d KiB <= %d KiB" % (mode, rss, RSS_BOUND_KB))
    hostile = [g for g in got if g[0] == HOSTILE]
    other = [g for g in got if g[0] != HOSTILE]
    lost = [g for g in hostile if g[4] == ERR["agent-lost"]]
    check(len(hostile) == HOSTILE_ROWS,
          "%s: all %d rows of %s stored (got %d)" % (mode, HOSTILE_ROWS, HOSTILE, len(hostile)))
    check(len(hostile) - len(lost) == claims and not [g for g in hostile if g[4] == 0],
          "%s: %s's rows are agent-lost (%d kept as the floater said first), none ok (errors %s)"
          % (mode, HOSTILE, claims, sorted({g[4] for g in hostile})))
    check(len(other) == OTHER_ROWS and all(g[4] == 0 for g in other),
          "%s: the other %d rows all ok, none overwritten (got %d rows, errors %s)"
          % (mode, OTHER_ROWS, len(other), sorted({g[4] for g in other})))
    floater = st.sql("SELECT rn.floater FROM run_nodes rn JOIN nodes n ON n.id = rn.node_id "
                     "WHERE rn.run_id = ? AND n.name = ?", run, HOSTILE)
    check(floater == [(3,)], "%s: %s's floater recorded as lost (%s)" % (mode, HOSTILE, floater))
    said = [l for l in (r.stderr + r.stdout).splitlines() if HOSTILE in l and "lost" in l]
    log("%s: %s" % (mode, said[:1]))
    want = "stalled" if mode == "stall-mid" else "nothing of the answer" if mode == "stall-head" \
        else "control API"
    check(any(want in l for l in said),
          "%s: a warning names %s and says why ('%s')" % (mode, HOSTILE, want))

for fid in reversed(faults):
    fault("undo", fid)

log("--- summary")
for s in summary:
    log(s)
finish()
