"""netctl resume repeats the parent run with the parent's options (namespace, image, version,
port, timeouts, count, interval, size, concurrency, pod wait, keep-floaters), and a flag
overrides one of them. No cluster is needed: the clusters' API server is a closed port, so
every run fails with exit 3, yet each run records the options it ran with (what a later
resume reads). Label cli."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

NETCTL = os.environ["NETCTL"]
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


d = tempfile.mkdtemp(prefix="netctl-resume-opts-")
with open(os.path.join(d, "kubeconfig"), "w") as f:
    f.write("""apiVersion: v1
kind: Config
clusters:
- name: x
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: c
  context: {cluster: x, user: u}
current-context: c
""")
# config.json supplies what has no flag: image repository, version, autoClean
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"srcImageRepository": "registry.test/netctl", "version": "v9.9.9",
               "autoClean": True}, f)
env = dict(os.environ, NETCTL_DB=os.path.join(d, "netctl.db"), NO_COLOR="1")


def netctl(*args):
    return subprocess.run([NETCTL, *args], cwd=d, env=env, capture_output=True, text=True,
                          timeout=120)


def runs():
    con = sqlite3.connect(env["NETCTL_DB"])
    try:
        return {i: (p, json.loads(o)) for i, p, o in
                con.execute("SELECT id, parent_id, options FROM runs ORDER BY id")}
    finally:
        con.close()


r = netctl("cluster", "add", "a", "--kubeconfig", "kubeconfig")
check(r.returncode == 0, "cluster add (exit %d %s)" % (r.returncode, r.stderr.strip()))
r = netctl("check", "--src", "a", "--protocol", "icmp,udp", "--family", "4,6", "--count", "5",
           "--interval", "7ms", "--timeout", "3s", "--size", "1200", "--port", "9999",
           "--concurrency", "9", "--pod-wait", "7s", "--namespace", "netctl-x",
           "--keep-floaters", "-q")
check(r.returncode == 3, "check against a closed API port exits 3 (got %d)" % r.returncode)
parent = runs()[1][1]
want = {"count": 5, "interval_ms": 7, "timeout_ms": 3000, "size": 1200, "port": 9999,
        "concurrency": 9, "pod_wait_ms": 7000, "namespace": "netctl-x",
        "image_repository": "registry.test/netctl", "version": "v9.9.9",
        "keep_floaters": True, "protocols": 1 | 4, "families": 3}
check(all(parent.get(k) == v for k, v in want.items()),
      "the check records every option (%s)" % {k: parent.get(k) for k in want})

# the config now says otherwise: a resume still follows the run, not the config
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"srcImageRepository": "other.test/x", "version": "v0", "port": 1234,
               "maxNum": 1, "podWaitTime": 99, "cmdTimeout": 1, "autoClean": True,
               "namespace": "elsewhere"}, f)
r = netctl("resume", "--run", "1", "-q")
check(r.returncode == 3, "resume exits 3 like its parent (got %d)" % r.returncode)
got = runs()
check(got[2][0] == 1, "the resume's parent is run 1 (%s)" % got[2][0])
same = {k: got[2][1].get(k) for k in want}
check(same == want, "resume repeats every option of run 1 (%s)" % same)

r = netctl("resume", "--run", "2", "--count", "2", "--timeout", "500ms", "--concurrency", "4",
           "--pod-wait", "3s", "-q")
check(r.returncode == 3, "resume with flags exits 3 (got %d)" % r.returncode)
got = runs()[3][1]
over = dict(want, count=2, timeout_ms=500, concurrency=4, pod_wait_ms=3000)
check({k: got.get(k) for k in over} == over,
      "flags override only their own option (%s)" % {k: got.get(k) for k in over})

# a run recorded without the newer fields (an older netctl): config.json fills them in
con = sqlite3.connect(env["NETCTL_DB"])
o = json.loads(con.execute("SELECT options FROM runs WHERE id = 1").fetchone()[0])
for k in ("pod_wait_ms", "image_repository", "version", "keep_floaters"):
    o.pop(k)
con.execute("UPDATE runs SET options = ? WHERE id = 1", (json.dumps(o),))
con.commit()
con.close()
r = netctl("resume", "--run", "1", "-q")
got = runs()[4][1]
check(got.get("image_repository") == "other.test/x" and got.get("version") == "v0" and
      got.get("pod_wait_ms") == 99000 and got.get("keep_floaters") is False and
      got.get("port") == 9999 and got.get("namespace") == "netctl-x",
      "an older run: what it did not record comes from config.json (%s)" % got)

r = netctl("resume", "--help")
check("--pod-wait" in r.stdout and r.returncode == 0, "resume --help lists --pod-wait")
if FAILURES:
    print("%d expectation(s) failed" % len(FAILURES))
    sys.exit(1)
print("all expectations met")
