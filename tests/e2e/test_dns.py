"""DNS checks (protocol dns): every node of east asks east's cluster DNS (dnsmasq from
Debian, one per cluster in the test world, tests/world/lib.sh dns_start) over IPv4 and IPv6
for names, A and AAAA, over UDP with TCP when the answer is truncated. Healthy first (every
result ok, many.svc.cluster.local only over TCP), then each fault the issue names with the
outcome and verdict a user reads: a wrong answer (NAME=ADDR), a name that does not exist,
a refused name, DNS over IPv6 blocked from one node, TCP blocked from another (truncated
and TCP failed), the server down (then resume probes the failed pairs again and they pass),
slow answers (RTT) with a forgotten name. Last, no server named: the floater pods' own
nameservers (their resolv.conf, written by the kubelet simulator from the cluster DNS),
healthy and with that server down.

Runs on any world with a cluster east of 3 nodes or more (by hand: world up --clusters
east:3,west:3)."""
import time

from e2e import *

LIB = os.path.join(SRC, "tests/world/lib.sh")
KUBE = "kubernetes.default.svc.cluster.local"
COMMON = ["--protocol", "dns", "--family", "4,6", "--count", "2", "--interval", "20ms",
          "--timeout", "1s", "--keep-floaters", "--pod-wait", "120s", "--src", "east",
          "--no-apiserver-check"]
DNSERR = ERR  # the stored error codes, DNS outcomes among them


def dns_addrs(cluster):
    """The cluster DNS's addresses and the kubernetes Service address it serves."""
    out = subprocess.run(["bash", "-c", 'source "$1"; world_dir_resolve "$2"; world_env_load; '
                          'c=$(cluster_index "$3"); dns4 "$c"; dns6 "$c"; echo 198.18.$((240 + c)).1',
                          "-", LIB, WORLD_DIR, cluster], check=True, capture_output=True,
                         text=True)
    return out.stdout.split()


def rows(run):
    """(source node, pseudo-node name, family, error, rtt_avg_us) of the DNS results."""
    return st.sql("SELECT s.name, d.name, r.family, r.error, r.rtt_avg FROM results r "
                  "JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
                  "WHERE r.run_id = ? AND d.kind = 3 AND r.protocol = 3", run)


def check_run(what, want_exit, *extra):
    t0 = time.monotonic()
    r = st.netctl("check", *COMMON, "--dns-server", v4, "--dns-server", "[%s]" % v6, *extra)
    log("%s: %.1f s\n%s" % (what, time.monotonic() - t0, r.stdout))
    if r.returncode != want_exit:
        log(r.stderr[-2000:])
    check(r.returncode == want_exit, "%s: exit %d (%d)" % (what, want_exit, r.returncode))
    return r, st.last_run()


east = nodes("east")
v4, v6, kube4 = dns_addrs("east")
S4, S6 = "dns:%s:53" % v4, "dns:[%s]:53" % v6
st = Store(register=("east", "west"))
t_start = time.monotonic()

# 1. healthy: every node, both servers, A and AAAA; many.* answers only over TCP
r, run1 = check_run("healthy", 0, "--dns-name", KUBE, "--dns-name", "many.svc.cluster.local",
                    "--dns-name", "%s=%s" % (KUBE, kube4))
got = rows(run1)
want = len(east) * 2 * 5  # servers x (kube A, AAAA; many A, AAAA; kube=ADDR A)
check(len(got) == want and all(g[3] == 0 for g in got),
      "%d DNS results, all ok (got %d, failing %s)" % (want, len(got),
                                                      [g for g in got if g[3]][:3]))
names = set(g[1] for g in got)
check("%s/%s/A" % (S4, KUBE) in names and "%s/%s/AAAA" % (S6, KUBE) in names and
      "%s/%s=%s/A" % (S4, KUBE, kube4) in names,
      "pseudo-nodes are dns:SERVER/NAME[=ADDR]/TYPE (%s)" % sorted(names)[:3])
check("east:dns" in r.stdout, "the summary has an east -> east:dns line")
check("resolv.conf" not in r.stdout, "servers named: the pods' resolv.conf is not asked")
check(all(g[4] > 0 for g in got), "every DNS result has an RTT")

# 2. wrong answer, a name that does not exist, a refused name; DNS over IPv6 blocked from
#    one node, TCP from another (many.* is truncated over UDP: truncated, TCP failed)
f6 = fault("dns-block", east[1], "--family", "6")
ftcp = fault("dns-block", east[2], "--proto", "tcp")
r, run2 = check_run("faults", 1, "--dns-name", "%s=198.18.0.99" % KUBE,
                    "--dns-name", "nope.svc.cluster.local", "--dns-name", "example.org",
                    "--dns-name", "many.svc.cluster.local")
fault("undo", f6)
fault("undo", ftcp)
got = rows(run2)
by = {}
for src, dst, fam, err, _ in got:
    by.setdefault((dst, src), err)


def errs(dst, srcs=None):
    return set(e for (d, s), e in by.items() if d == dst and (srcs is None or s in srcs))


others = [n for n in east if n not in (east[1], east[2])]
check(errs("%s/%s=198.18.0.99/A" % (S4, KUBE)) == {DNSERR["wrong-answer"]},
      "NAME=ADDR with another address: wrong-answer from every node")
check(errs("%s/nope.svc.cluster.local/A" % S4) == {DNSERR["nxdomain"]},
      "a name that does not exist: nxdomain")
check(errs("%s/example.org/AAAA" % S4) == {DNSERR["dns-refused"]},
      "a name the server will not look up: dns-refused (%s)" % errs("%s/example.org/AAAA" % S4))
check(errs("%s/nope.svc.cluster.local/A" % S6, [east[1]]) == {DNSERR["timeout"]} and
      errs("%s/nope.svc.cluster.local/A" % S6, others) == {DNSERR["nxdomain"]},
      "DNS over IPv6 blocked from %s: timeout there only" % east[1])
check(errs("%s/many.svc.cluster.local/A" % S4, [east[2]]) == {DNSERR["truncated"]} and
      errs("%s/many.svc.cluster.local/A" % S4, others) == {DNSERR["ok"]},
      "TCP blocked from %s: many.* truncated there, ok elsewhere" % east[2])
for text in ("name %s=198.18.0.99 does not resolve anywhere: no server answers any node of "
             "east with its address" % KUBE,
             "node %s of cluster east cannot resolve many.svc.cluster.local (A) through "
             "%s:53" % (east[2], v4),
             "nodes %s, %s of cluster east cannot resolve many.svc.cluster.local (A) through "
             "[%s]:53" % (east[1], east[2], v6)):
    check(text in r.stdout, "the verdict says %r" % text)
rep = st.netctl("report", "--run", str(run2), "--format", "json")
doc = check_json(rep)
check(doc is not None and '"wrong-answer"' in rep.stdout and '"dns"' in rep.stdout,
      "the JSON report has the DNS results (protocol dns, error wrong-answer)")

# 3. the server down: its port is unreachable from every node; resume probes again
fdown = fault("dns-down", "east")
r, run3 = check_run("server down", 1, "--dns-name", KUBE)
check(set(g[3] for g in rows(run3)) == {DNSERR["refused"]},
      "server down: every result refused (port unreachable)")
text = "DNS server %s:53 unreachable from cluster east" % v4
check(text in r.stdout, "the verdict says %r" % text)
fault("undo", fdown)
r = st.netctl("resume", "--run", str(run3))
log(r.stdout)
check(r.returncode == 0, "resume after the server is back: exit 0 (%d)" % r.returncode)
resumed = st.last_run()
check(len(rows(resumed)) == len(rows(run3)) and all(g[3] == 0 for g in rows(resumed)),
      "resume probed every failed DNS pair again and each passed")

# 4. slow answers (300 ms per round trip): ok, RTT at least that; a forgotten name: nxdomain
fslow = fault("dns-slow", "east", "--ms", "300")
fnx = fault("dns-nxdomain", "east", KUBE)
r, run4 = check_run("slow", 1, "--dns-name", KUBE, "--dns-name", "many.svc.cluster.local",
                    "--timeout", "3s")
fault("undo", fslow)
fault("undo", fnx)
got = rows(run4)
many = [g for g in got if "/many." in g[1]]
check(many and all(g[3] == 0 and g[4] >= 900000 for g in many),
      "slow answers, many.* over TCP: ok, RTT >= 3 x 300 ms (UDP, TCP handshake, TCP answer; "
      "%s ms)" % sorted(set((g[3], g[4] // 1000) for g in many))[:4])
check(set(g[3] for g in got if "/%s/" % KUBE in g[1]) == {DNSERR["nxdomain"]},
      "a forgotten name: nxdomain from every node")
text = "name %s does not resolve anywhere" % KUBE
check(text in r.stdout, "the verdict says %r" % text)
# 5. no server named: the floater pods' own nameservers, which the kubelet (simulator) wrote
#    into their resolv.conf from its clusterDNS: east's DNS, both families; with the server
#    down the failures are reported against that server
t5 = time.monotonic()
DEFAULT = [a for a in COMMON] + ["--dns-name", KUBE]


def default_run(what, want_exit):
    r = st.netctl("check", *DEFAULT)
    log("%s: %.1f s\n%s" % (what, time.monotonic() - t5, r.stdout))
    if r.returncode != want_exit:
        log(r.stderr[-2000:])
    check(r.returncode == want_exit, "%s: exit %d (%d)" % (what, want_exit, r.returncode))
    return r, st.last_run()


r, run5 = default_run("default server", 0)
got = rows(run5)
check(len(got) == len(east) * 2 * 2 and all(g[3] == 0 for g in got),
      "no --dns-server: every node asked both of the pods' nameservers, A and AAAA, all ok "
      "(%d results, failing %s)" % (len(got), [g for g in got if g[3]][:3]))
check(set(g[1] for g in got) == {"%s/%s/%s" % (s, KUBE, t) for s in (S4, S6)
                                 for t in ("A", "AAAA")},
      "the pairs are those of --dns-server %s --dns-server [%s] (%s)" %
      (v4, v6, sorted(set(g[1] for g in got))))
want = "DNS servers (none named: the floater pods' own, from their resolv.conf): east %s, %s" % (
    v4, v6)
check(want in r.stdout, "the summary says %r" % want)
fdown = fault("dns-down", "east")
r, run6 = default_run("default server down", 1)
fault("undo", fdown)
check(len(rows(run6)) == len(got) and
      set(g[3] for g in rows(run6)) == {DNSERR["refused"]},
      "the pods' server down: every result refused")
for s4 in (v4, "[%s]" % v6):
    text = "DNS server %s:53 unreachable from cluster east" % s4
    check(text in r.stdout, "the verdict names the pods' server: %r" % text)
r = st.netctl("resume", "--run", str(run6))
log(r.stdout)
resumed = st.last_run()
check(r.returncode == 0 and len(rows(resumed)) == len(got) and
      all(g[3] == 0 for g in rows(resumed)),
      "resume asks the pods' servers again: every failed pair probed once more, each ok "
      "(exit %d)" % r.returncode)

# 6. the floater asked is older than "nameservers" (the hostile test floater answers /v1/info
#    as one): one warning that says so and what to do; no DNS pair in east
t6 = time.monotonic()
fh = fault("hostile", east[0], "--mode", "dup")
r = st.netctl("check", *DEFAULT)
fault("undo", fh)
log("older floater: %.1f s\n%s\n%s" % (time.monotonic() - t6, r.stdout, r.stderr))
warn = [l for l in r.stderr.splitlines() if "no DNS check" in l]
check(len(warn) == 1 and "east: no DNS check: the floater on node %s (0.0.9) does not report "
      "its pod's nameservers, it is older than netctl" % east[0] in warn[0] and
      "name the server with --dns-server" in warn[0],
      "an older floater: one warning naming the node, its version and --dns-server (%s)" % warn)
check(not rows(st.last_run()), "an older floater: no DNS pair in east")
check("east none (its floater is too old to tell)" in r.stdout,
      "the summary says east asked no DNS server and why")
log("default server: %.1f s" % (time.monotonic() - t5))
log("e2e.dns: %.1f s" % (time.monotonic() - t_start))
finish()
