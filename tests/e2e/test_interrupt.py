"""Interrupting a check keeps every result received: SIGINT -> exit 130, run interrupted,
results stored; SIGKILL -> the run shows as interrupted, results intact; resume of the
interrupted run covers the rest of the plan exactly once."""
from e2e import *

st = Store()
# Slow on purpose: 50 probes 20 ms apart per pair, one request at a time per cluster.
SLOW = ["--src", "east", "--dst", "west", "--protocol", "icmp,tcp", "--count", "50",
        "--interval", "20ms", "--timeout", "1s", "--concurrency", "1", "--keep-floaters"]
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
overlap = st.sql("SELECT count(*) FROM results a JOIN results b USING "
                 "(src_node, dst_node, protocol, family, network) "
                 "WHERE a.run_id = ? AND b.run_id = ? AND a.error = 0", run, child)[0][0]
union = st.sql("SELECT count(*) FROM (SELECT src_node, dst_node, protocol, family, network "
               "FROM results WHERE run_id IN (?, ?) GROUP BY 1, 2, 3, 4, 5)", run, child)[0][0]
check(overlap == 0, "resume re-probed nothing that had passed (%d results)" % overlap)
check(union == PLANNED, "interrupted run + resume cover the plan (%d of %d)" % (union, PLANNED))

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
