"""Interrupting a check keeps every result received: SIGINT -> exit 130, run interrupted,
results stored; SIGKILL -> the run shows as interrupted, results intact; resume of the
interrupted run covers the rest of the plan exactly once."""
from e2e import *

st = Store()
# Slow on purpose: 50 probes 20 ms apart per pair, one request at a time per cluster.
SLOW = ["--src", "east", "--dst", "west", "--protocol", "icmp,tcp", "--count", "50",
        "--interval", "20ms", "--timeout", "1s", "--concurrency", "1", "--keep-floaters",
        "--no-apiserver-check"]
PLANNED = 2 * 5 * 5 * 2

# warm up: floaters deployed and Ready, so the timed runs below only probe
r = st.netctl("check", "--src", "east", "--dst", "west", "--protocol", "tcp", "--timeout",
              "1s", "--keep-floaters", "--pod-wait", "120s")
check(r.returncode == 0, "warm-up check passes (exit %d)" % r.returncode)


def wait_for_results(after_run, minimum, limit=60):
    """Waits until a run newer than after_run has stored at least minimum results."""
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            run = st.last_run()
            if run > after_run:
                n = st.sql("SELECT count(*) FROM results WHERE run_id = ?", run)[0][0]
                if n >= minimum:
                    return n
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    return 0


# SIGINT
base = st.last_run()
p = st.popen("check", *SLOW)
got = wait_for_results(base, 1)
check(got > 0, "SIGINT: results arrive before the interrupt (%d)" % got)
os.killpg(p.pid, signal.SIGINT)
out, err = p.communicate(timeout=60)
log(out + err[-2000:])
run = st.last_run()
status, planned, counted = st.sql("SELECT status, planned, results FROM runs WHERE id = ?",
                                  run)[0]
stored = st.sql("SELECT count(*) FROM results WHERE run_id = ?", run)[0][0]
check(p.returncode == 130, "SIGINT: exit code 130 (got %d)" % p.returncode)
check(status == "interrupted", "SIGINT: run %d marked interrupted (got %s)" % (run, status))
check(0 < stored < PLANNED, "SIGINT: part of the plan stored (%d of %d)" % (stored, PLANNED))
check(counted == stored, "SIGINT: the run's counter matches the rows (%d)" % counted)
check(("%d of %d results" % (stored, PLANNED)) in out,
      "SIGINT: what netctl says it received is what is stored")

# resume the interrupted run: the union covers the plan exactly once
r = st.netctl("resume", "--run", str(run))
log(r.stdout + r.stderr[-2000:])
child = st.last_run()
check(r.returncode == 0, "resume of the interrupted run passes (exit %d)" % r.returncode)
parent_of = st.sql("SELECT parent_id FROM runs WHERE id = ?", child)[0][0]
check(parent_of == run, "resume run %d has parent %d" % (child, run))

# The plan, key by key: every ordered node pair east -> west and west -> east, times the
# run's protocols, families and networks. Each key must have exactly one passing result
# across the interrupted run and its resume: nothing missing, nothing that passed probed
# again (a key is in both runs only when the interrupted run stored a failure for it, e.g.
# a request cut short, and then the resume's result is the one that passes).
ids = {}
for c in ("east", "west"):
    for nid, name in st.sql("SELECT n.id, n.name FROM nodes n JOIN clusters c "
                            "ON c.id = n.cluster_id WHERE c.name = ?", c):
        ids[name] = nid
east_ids = [ids[n] for n in nodes("east")]
west_ids = [ids[n] for n in nodes("west")]
protos, fams, nets = st.sql("SELECT protocols, families, networks FROM runs WHERE id = ?", run)[0]
plan = {(s_, d_, p_, f_, n_)
        for s_, d_ in [(x, y) for x in east_ids for y in west_ids] +
        [(y, x) for x in east_ids for y in west_ids]
        for p_ in range(3) if protos & (1 << p_)
        for f_ in (4, 6) if fams & (1 if f_ == 4 else 2)
        for n_ in range(4) if nets & (1 << n_)}
check(len(plan) == PLANNED, "the plan has %d keys (want %d)" % (len(plan), PLANNED))


def keys(run_id):
    return {tuple(r[:5]): r[5] for r in st.sql(
        "SELECT src_node, dst_node, protocol, family, network, error FROM results "
        "WHERE run_id = ?", run_id)}


first, second = keys(run), keys(child)
outside = (set(first) | set(second)) - plan
missing = plan - set(first) - set(second)
twice = set(first) & set(second)
failed_first = {k for k, e in first.items() if e != ERR["ok"]}
passes = {k: (first.get(k) == ERR["ok"]) + (second.get(k) == ERR["ok"]) for k in plan}
log("interrupted run %d: %d results (%d failed); resume %d: %d results; %d in both"
    % (run, len(first), len(failed_first), child, len(second), len(twice)))
check(not outside, "no result outside the plan (%d)" % len(outside))
check(not missing, "no planned key missing from both runs (%d missing)" % len(missing))
check(twice == failed_first,
      "the resume re-probed exactly the %d keys the interrupted run failed, nothing that "
      "passed (%d in both)" % (len(failed_first), len(twice)))
check(all(n == 1 for n in passes.values()),
      "every planned key passed exactly once across both runs (%d keys with 0, %d with 2)"
      % (sum(1 for n in passes.values() if n == 0), sum(1 for n in passes.values() if n == 2)))
check(len(first) - len(failed_first) + len(second) == PLANNED,
      "passed results of the interrupted run + results of the resume = the plan (%d + %d)"
      % (len(first) - len(failed_first), len(second)))

# What a user reads: the merged report of the resume is the whole plan, once, all passed.
r = st.netctl("report", "--run", str(child), "--format", "json", "--merged")
doc = check_json(r)
if doc is not None:
    rows = doc.get("results", [])
    rkeys = [(x["src_node"], x["dst_node"], x["protocol"], x["family"], x["network"])
             for x in rows]
    check(len(rkeys) == PLANNED and len(set(rkeys)) == PLANNED,
          "merged report of run %d: %d results, %d distinct (want %d)"
          % (child, len(rkeys), len(set(rkeys)), PLANNED))
    check(all(x["passed"] for x in rows), "merged report: every result passed")
    check({x["run_id"] for x in rows} <= {run, child},
          "merged report: results come from runs %d and %d" % (run, child))

# SIGKILL: no chance to clean up; the next netctl sees the run as interrupted
base = st.last_run()
p = st.popen("check", *SLOW)
got = wait_for_results(base, 1)
time.sleep(0.5)
os.killpg(p.pid, signal.SIGKILL)
p.communicate(timeout=60)
run = st.last_run()
r = st.netctl("history", "--json")
hist = check_json(r)
status = None
if hist is not None:
    runs = hist if isinstance(hist, list) else hist.get("runs", [])
    for h in runs:
        if h.get("id") == run:
            status = h.get("status")
check(status == "interrupted", "SIGKILL: history shows run %d as interrupted (%s)" % (run, status))
integrity = st.sql("PRAGMA integrity_check")[0][0]
check(integrity == "ok", "SIGKILL: the store passes integrity_check (%s)" % integrity)
stored = st.sql("SELECT count(*) FROM results WHERE run_id = ?", run)[0][0]
check(stored > 0, "SIGKILL: committed results survive (%d)" % stored)
finish()
