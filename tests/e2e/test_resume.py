"""Memory of runs: healthy -> fault -> check (diff shows exactly the faulted pairs as
regressions, exit 1) -> fault undone -> resume probes only the failed pairs, all pass ->
diff shows them as recoveries."""
from e2e import *

st = Store()
ARGS = ["--src", "east", "--dst", "west", "--protocol", "icmp,tcp,udp", "--family", "4",
        "--timeout", "1s", "--keep-floaters", "--pod-wait", "120s"]

r = st.netctl("check", *ARGS)
check(r.returncode == 0, "healthy run passes (exit %d)" % r.returncode)
healthy = st.last_run()

a, b = nodes("east")[0], nodes("west")[1]
fid = fault("drop", a, b)
try:
    r = st.netctl("check", *ARGS)
    log(r.stdout)
    faulted = st.last_run()
    check(r.returncode == 1, "faulted run exits 1 (got %d)" % r.returncode)
    failed = st.failed_pairs(faulted)
    want = {(s, d) for s, d in ((a, b), (b, a))}
    check({(f[0], f[1]) for f in failed} == want,
          "exactly the pairs %s <-> %s failed (%s)" % (a, b, sorted({(f[0], f[1]) for f in failed})))
    check(len(failed) == 2 * 3, "all 3 protocols of both directions failed (%d)" % len(failed))

    r = st.netctl("diff", "--json")
    d = check_json(r)
    check(r.returncode == 1, "diff with regressions exits 1 (got %d)" % r.returncode)
    log(r.stdout[:3000])
    check(d is not None and '"regression"' in r.stdout, "diff --json lists regressions")
    r = st.netctl("diff")
    check(("%s" % a) in r.stdout and ("%s" % b) in r.stdout, "diff names the faulted nodes")
finally:
    fault("undo", fid)

r = st.netctl("resume", "--run", str(faulted))
log(r.stdout + r.stderr[-2000:])
resumed = st.last_run()
check(r.returncode == 0, "resume after the fault is undone passes (exit %d)" % r.returncode)
n = st.sql("SELECT count(*) FROM results WHERE run_id = ?", resumed)[0][0]
check(n == len(failed), "resume probed only the %d failed results (probed %d)" % (len(failed), n))
r = st.netctl("diff", str(faulted), str(resumed))
log(r.stdout[:3000])
check(r.returncode == 0, "diff faulted -> resumed has no regression (exit %d)" % r.returncode)
check("recover" in r.stdout.lower(), "diff shows recoveries")
r = st.netctl("history")
log(r.stdout)
check(str(faulted) in r.stdout and str(resumed) in r.stdout, "history lists both runs")
finish()
