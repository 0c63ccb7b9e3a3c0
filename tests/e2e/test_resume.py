"""Memory of runs: healthy -> fault -> check (diff shows exactly the faulted pairs as
regressions, exit 1) -> fault undone -> resume probes only the failed pairs, all pass ->
diff shows them as recoveries.

"Only the failed pairs" is checked from the floaters' side too: every floater's probe
counters (GET /metrics through the API server's pod proxy) are read before and after the
resume; only the floaters of the faulted nodes may have sent probes, exactly failed pairs x
count per protocol."""
import base64
import re
from e2e import *

NAMESPACE = "kosmos-system"
FLOATER_SELECTOR = "app.kubernetes.io/name=netctl-floater"


def kubectl_json(cluster, *args):
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(cluster), *args,
                                   "-o", "json"]), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def floater_pods(cluster):
    """[(pod name, uid, node, network, port)] of the cluster's floater pods."""
    pods = []
    for p in kubectl_json(cluster, "-n", NAMESPACE, "get", "pods", "-l",
                          FLOATER_SELECTOR)["items"]:
        ports = [cp["containerPort"] for c in p["spec"]["containers"]
                 for cp in c.get("ports", []) if cp.get("protocol", "TCP") == "TCP"]
        pods.append((p["metadata"]["name"], p["metadata"]["uid"], p["spec"].get("nodeName"),
                     p["metadata"]["labels"].get("netctl.io/network", "?"),
                     ports[0] if ports else 8889))
    return pods


def floater_token(cluster):
    """The token netctl put into the Secret (every floater of the cluster requires it)."""
    sec = kubectl_json(cluster, "-n", NAMESPACE, "get", "secret", "netctl-floater-token")
    return base64.b64decode(sec["data"]["token"]).decode().strip()


def pod_proxy_get(cluster, pod, port, path, token):
    """GET through the API server's pod proxy, as the kubeconfig's user. kubectl get --raw
    cannot send the X-Floater-Token header the floater requires (and the proxy strips
    Authorization), so curl does the request with the same client certificate."""
    kc = kubeconfig(cluster)
    text = open(kc).read()
    server = re.search(r"server:\s*(\S+)", text).group(1)
    pki = os.path.join(os.path.dirname(kc), "pki")
    url = "%s/api/v1/namespaces/%s/pods/%s:%d/proxy%s" % (server, NAMESPACE, pod, port, path)
    out = subprocess.run(in_world(["curl", "-sS", "--fail", "--max-time", "20",
                                   "--cacert", os.path.join(pki, "ca.crt"),
                                   "--cert", os.path.join(pki, "netctl-user.crt"),
                                   "--key", os.path.join(pki, "netctl-user.key"),
                                   "-H", "X-Floater-Token: " + token, url]),
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("GET %s: %s" % (url, out.stderr.strip()))
    return out.stdout


METRIC = re.compile(r'^floater_probes_sent_total\{protocol="(\w+)"\} (\d+)$')


def scrape_all():
    """{(cluster, node, network): (pod uid, {protocol: probes sent})} over every floater
    of every world cluster."""
    seen = {}
    for cluster in CLUSTERS:
        pods = floater_pods(cluster)
        if not pods:
            continue
        token = floater_token(cluster)
        for name, uid, node, network, port in pods:
            sent = {}
            for line in pod_proxy_get(cluster, name, port, "/metrics", token).splitlines():
                m = METRIC.match(line)
                if m:
                    sent[m.group(1)] = int(m.group(2))
            seen[(cluster, node, network)] = (uid, sent)
    return seen

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

before = scrape_all()
r = st.netctl("resume", "--run", str(faulted))
log(r.stdout + r.stderr[-2000:])
resumed = st.last_run()
after = scrape_all()
check(r.returncode == 0, "resume after the fault is undone passes (exit %d)" % r.returncode)
n = st.sql("SELECT count(*) FROM results WHERE run_id = ?", resumed)[0][0]
check(n == len(failed), "resume probed only the %d failed results (probed %d)" % (len(failed), n))

# The floaters' own counters: who sent how many probes during the resume.
count = json.loads(st.sql("SELECT options FROM runs WHERE id = ?", resumed)[0][0])["count"]
check(len(before) >= 10 and set(before) == set(after),
      "the same %d floaters answered /metrics before and after the resume" % len(before))
restarted = [k for k in before if k in after and before[k][0] != after[k][0]]
check(not restarted, "no floater was replaced during the resume (%s)" % restarted)
delta = {}
for k in before:
    if k in after:
        d = {p: after[k][1].get(p, 0) - before[k][1].get(p, 0) for p in PROTO}
        if any(d.values()):
            delta[k] = d
log("probes sent during the resume, per floater: %s" % delta)
senders = {k[1] for k in delta}
check(senders == {a, b} and all(k[2] == "pod" for k in delta),
      "only the pod floaters of the faulted nodes %s, %s sent probes (%s)" % (a, b, sorted(delta)))
by_source = {}
for f in failed:
    by_source.setdefault(f[0], {}).setdefault(f[2], 0)
    by_source[f[0]][f[2]] += 1
for node in (a, b):
    got = {p: sum(d[p] for k, d in delta.items() if k[1] == node) for p in PROTO}
    want = {p: by_source.get(node, {}).get(PROTO[p], 0) * count for p in PROTO}
    check(got == want, "floater on %s sent %s probes, failed pairs x count = %s" % (node, got, want))
total = {p: sum(d[p] for d in delta.values()) for p in PROTO}
want_total = {p: sum(1 for f in failed if f[2] == PROTO[p]) * count for p in PROTO}
check(total == want_total and sum(total.values()) > 0,
      "probes sent per protocol %s = failed pairs x count (%d) %s" % (total, count, want_total))
r = st.netctl("diff", str(faulted), str(resumed))
log(r.stdout[:3000])
check(r.returncode == 0, "diff faulted -> resumed has no regression (exit %d)" % r.returncode)
check("recover" in r.stdout.lower(), "diff shows recoveries")
r = st.netctl("history")
log(r.stdout)
check(str(faulted) in r.stdout and str(resumed) in r.stdout, "history lists both runs")

# The reports of the real runs, read the way their consumers read them.
planned = st.sql("SELECT count(*) FROM results WHERE run_id = ?", faulted)[0][0]
for run_id, merged, failures in ((faulted, False, len(failed)), (resumed, True, 0)):
    path = os.path.join(st.dir, "report-%d.json" % run_id)
    r = st.netctl("report", "--run", str(run_id), "--format", "json", "-o", path,
                  *(["--merged"] if merged else []))
    v = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "tests/cli/check_report_json.py"),
                        os.path.join(SRC, "docs/report-schema.json"), path, str(planned),
                        str(failures)], capture_output=True, text=True)
    check(r.returncode == 0 and v.returncode == 0,
          "JSON report of run %d%s validates against docs/report-schema.json with %d results, "
          "%d failed %s" % (run_id, " (merged)" if merged else "", planned, failures,
                            v.stdout.strip()))
    path = os.path.join(st.dir, "report-%d.xml" % run_id)
    r = st.netctl("report", "--run", str(run_id), "--format", "junit", "-o", path,
                  *(["--merged"] if merged else []))
    v = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "tests/fixtures/report/check_junit.py"),
                        path, str(planned), str(failures)], capture_output=True, text=True)
    check(r.returncode == 0 and v.returncode == 0,
          "JUnit report of run %d parses with %d testcases, %d failures %s"
          % (run_id, planned, failures, v.stdout.strip()))
finish()
