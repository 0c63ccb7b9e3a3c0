#!/usr/bin/env python3
"""Integration tests: real floaters in network namespaces made by the test.

usage: floater_test.py --floater PATH [--static PATH] CASE
Exit 0 pass, 1 fail, 77 skipped (not root).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

from netns import A4, A6, B4, B6, DEAD4, DEAD6, PORT, World

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def by_key(lines):
    return {(l["ip"], l["protocol"]): l for l in lines}


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def nft(w, ns, rules):
    """Loads an inet table 'ncf' with a forward chain holding rules."""
    script = ("table inet ncf {\n chain ncf_forward {\n  type filter hook forward priority 0;\n"
              f"  {rules}\n }}\n}}\n")
    w.x(ns, "nft", "-f", "-", input=script)


@case
def basic(w):
    """ICMP, TCP and UDP over IPv4 and IPv6 all succeed with RTTs."""
    w.start("b")
    w.start("a")
    req = {"id": "basic", "targets": [{"ip": B4, "ref": 1}, {"ip": B6, "ref": 2}],
           "protocols": ["icmp", "tcp", "udp"], "count": 5, "interval_ms": 20,
           "timeout_ms": 1000}
    lines, done = w.probe(req)
    expect(len(lines) == 6 and done["results"] == 6 and done["id"] == "basic", lines)
    for l in lines:
        expect(l["error"] == "ok" and l["sent"] == 5 and l["received"] == 5, l)
        expect(0 < l["rtt_min_us"] <= l["rtt_avg_us"] <= l["rtt_max_us"], l)
        expect(l["rtt_p99_us"] == l["rtt_max_us"], l)  # n<=100: p99 is the max
        expect(l["ref"] == (1 if l["ip"] == B4 else 2) and l["port"] == PORT, l)
    # No ref given: none echoed; default protocols are all three.
    lines, _ = w.probe({"targets": [{"ip": B4}], "count": 1})
    expect(sorted(l["protocol"] for l in lines) == ["icmp", "tcp", "udp"], lines)
    expect(all("ref" not in l and l["error"] == "ok" for l in lines), lines)


def c1_decode(text):
    """The compact answer (docs/floater.md, "Compact encoding") decoded by its rules,
    independently of netctl's reader: (field names, result dicts, done tokens)."""
    lines = text.splitlines()
    expect(lines and lines[0].startswith("#fields,"), text[:300])
    names = lines[0].split(",")[1:]
    prev, out, done = None, [], None
    for l in lines[1:]:
        if l.startswith("#done,"):
            done = l.split(",")
            continue
        expect(done is None, f"a line after the final one: {l}")
        vals = l.split(",")
        expect(len(vals) == len(names), f"{l}: {len(vals)} values for {len(names)} fields")
        cur = []
        for i, v in enumerate(vals):
            if v == "":
                expect(prev is not None, l)
                v = prev[i]
            elif v == "=":
                v = cur[i - 1]
            elif v.startswith("+"):
                v = str(int(prev[i]) + int(v[1:]))
            cur.append(v)
        prev = cur
        out.append(dict(zip(names, cur)))
    expect(done is not None, f"no final line: {text[-300:]}")
    return names, out, done


@case
def compact(w):
    """format c1 with targets_c: one line per pair in the compact encoding, refs from the
    positions (a skip, an absolute ref), the same results as JSON; both target lists is 400."""
    w.start("b")
    w.start("a")
    req = {"id": "c1", "format": "c1", "targets_c": f"~2,{B4}#{PORT},@0,{B6},{DEAD4}",
           "protocols": ["icmp", "tcp"], "count": 2, "interval_ms": 10, "timeout_ms": 300}
    code, text = w.curl("/v1/probe", req)
    expect(code == 200, text)
    names, res, done = c1_decode(text)
    expect(names[:3] == ["ref", "protocol", "sent"] and "error" in names, names)
    expect(done[1] == "c1" and done[2] == "6", done)
    got = {(int(r["ref"]), r["protocol"]): r for r in res}
    expect(sorted(got) == [(0, "icmp"), (0, "tcp"), (1, "icmp"), (1, "tcp"), (2, "icmp"),
                           (2, "tcp")], sorted(got))
    for ref in (0, 2):
        for p in ("icmp", "tcp"):
            r = got[(ref, p)]
            expect(r["error"] == "ok" and r["sent"] == "2" and r["received"] == "2", r)
            expect(0 < int(r["rtt_min_us"]) <= int(r["rtt_avg_us"]) <= int(r["rtt_max_us"]), r)
    expect(all(got[(1, p)]["error"] != "ok" and got[(1, p)]["received"] == "0"
               for p in ("icmp", "tcp")), got)
    expect(len(text) < 40 * 8, f"{len(text)} bytes for 6 results: {text}")
    # the same targets in JSON say the same
    lines, _ = w.probe({"targets": [{"ip": B6, "ref": 0}, {"ip": DEAD4, "ref": 1},
                                    {"ip": B4, "ref": 2}], "protocols": ["icmp", "tcp"],
                        "count": 2, "interval_ms": 10, "timeout_ms": 300})
    expect({(l["ref"], l["protocol"], l["error"]) for l in lines} ==
           {(int(r["ref"]), r["protocol"], r["error"]) for r in res}, (lines, res))
    code, text = w.curl("/v1/probe", {"targets": [{"ip": B4}], "targets_c": B4})
    expect(code == 400 and "targets_c" in text, (code, text))
    # a format this floater does not know: JSON lines
    lines, done = w.probe({"format": "c9", "targets_c": B4, "protocols": ["tcp"], "count": 1})
    expect(len(lines) == 1 and lines[0]["ref"] == 0 and lines[0]["error"] == "ok", lines)


@case
def reply_source(w):
    """The target has a second address on the same link: UDP echo and ICMP answers come
    from the address that was probed (IP_PKTINFO) and are accepted; asymmetric answers
    from another address would not be."""
    w.ip("b", "addr", "add", "198.18.2.3/24", "dev", "b0")
    w.ip("b", "addr", "add", "fd00:2::3/64", "dev", "b0", "nodad")
    w.settle("a", "198.18.2.3")
    w.settle("a", "fd00:2::3")
    w.start("b")
    w.start("a")
    lines, _ = w.probe({"targets": [{"ip": "198.18.2.3"}, {"ip": "fd00:2::3"}],
                        "protocols": ["icmp", "udp", "tcp"], "count": 3, "interval_ms": 10})
    expect(len(lines) == 6 and all(l["error"] == "ok" and l["received"] == 3 for l in lines),
           lines)
    # Rewriting the source of every answer on the way back (stateless, so conntrack
    # cannot undo it): the prober must not count answers from the wrong address.
    w.x("r", "nft", "-f", "-", input="table ip ncfmangle {\n chain ncf_rewrite {\n"
        "  type filter hook forward priority -10;\n"
        "  ip saddr 198.18.2.3 ip daddr 198.18.1.2 ip saddr set 198.18.2.2\n }\n}\n")
    lines, _ = w.probe({"targets": [{"ip": "198.18.2.3"}], "protocols": ["icmp", "udp"],
                        "count": 2, "interval_ms": 10, "timeout_ms": 500})
    for l in lines:
        expect(l["received"] == 0 and l["error"] == "timeout", l)


@case
def dead_target(w):
    """Nobody at the address: every protocol times out, none claims success."""
    w.start("a")
    lines, _ = w.probe({"targets": [{"ip": DEAD4}, {"ip": DEAD6}], "count": 2,
                        "interval_ms": 10, "timeout_ms": 500})
    expect(len(lines) == 6, lines)
    for l in lines:
        expect(l["error"] == "timeout" and l["received"] == 0 and l["sent"] == 2, l)


@case
def udp_without_responder(w):
    """A host that answers ICMP but runs no floater: UDP is refused, never 'ok'
    (no ICMP error is not success)."""
    w.start("a")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "protocols": ["udp", "tcp"],
                        "count": 2, "timeout_ms": 3000})
    for l in lines:
        expect(l["error"] == "refused" and l["received"] == 0, l)
    # Silence is not success either: drop the ICMP errors and UDP must time out.
    w.x("b", "nft", "-f", "-", input="table inet ncf {\n chain ncf_output {\n"
        "  type filter hook output priority 0;\n  icmp type destination-unreachable drop\n"
        "  icmpv6 type destination-unreachable drop\n }\n}\n")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "protocols": ["udp"],
                        "count": 2, "timeout_ms": 300})
    for l in lines:
        expect(l["error"] == "timeout" and l["received"] == 0, l)


@case
def closed_port(w):
    """A floater target on a port nobody listens on: TCP and UDP refused."""
    w.start("b")
    w.start("a", "--allow-port", "9")
    lines, _ = w.probe({"targets": [{"ip": B4, "port": 9}, {"ip": B6, "port": 9}],
                        "protocols": ["tcp", "udp"], "count": 2, "timeout_ms": 3000})
    expect(len(lines) == 4, lines)
    for l in lines:
        expect(l["error"] == "refused" and l["port"] == 9, l)


@case
def firewall_drop(w):
    """nftables drop on the router: timeouts for all protocols, both families."""
    w.start("b")
    w.start("a")
    nft(w, "r", f"ip daddr {B4} drop; ip6 daddr {B6} drop;")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "count": 2, "interval_ms": 10,
                        "timeout_ms": 500})
    expect(len(lines) == 6, lines)
    for l in lines:
        expect(l["error"] == "timeout", l)


@case
def firewall_reject(w):
    """nftables reject on the router: refused or unreachable, quickly, never timeout."""
    w.start("b")
    w.start("a")
    nft(w, "r", f"ip daddr {B4} meta l4proto tcp reject with tcp reset; "
        f"ip6 daddr {B6} meta l4proto tcp reject with tcp reset; "
        f"ip daddr {B4} reject with icmpx type admin-prohibited; "
        f"ip6 daddr {B6} reject with icmpx type admin-prohibited;")
    t0 = time.monotonic()
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "count": 2, "interval_ms": 10,
                        "timeout_ms": 8000})
    expect(time.monotonic() - t0 < 6, "rejects should be reported before the timeout")
    got = by_key(lines)
    for ip in (B4, B6):
        expect(got[(ip, "tcp")]["error"] == "refused", got[(ip, "tcp")])
        expect(got[(ip, "udp")]["error"] in ("refused", "unreachable"), got[(ip, "udp")])
        expect(got[(ip, "icmp")]["error"] == "unreachable", got[(ip, "icmp")])


@case
def random_loss(w):
    """30% random drop on the way to B: measured loss within 20-40% over 200 probes."""
    w.start("b")
    w.start("a")
    nft(w, "r", f"ip daddr {B4} numgen random mod 10 < 3 drop; "
        f"ip6 daddr {B6} numgen random mod 10 < 3 drop;")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "protocols": ["icmp", "udp"],
                        "count": 200, "interval_ms": 2, "timeout_ms": 2000})
    expect(len(lines) == 4, lines)
    for l in lines:
        loss = 1 - l["received"] / l["sent"]
        expect(l["sent"] == 200 and 0.20 <= loss <= 0.40, f"loss {loss:.2f}: {l}")
        expect(l["error"] == "loss", l)


@case
def mtu(w):
    """Path MTU 1280 behind the router: 1400-byte probes with DF are 'message-too-long',
    1200-byte ones pass."""
    w.start("b")
    w.start("a", "--allow-port", str(PORT))
    w.ip("r", "link", "set", "rb", "mtu", "1280")
    w.ip("b", "link", "set", "b0", "mtu", "1280")
    targets = [{"ip": B4}, {"ip": B6}]
    lines, _ = w.probe({"targets": targets, "protocols": ["icmp", "udp"], "count": 3,
                        "interval_ms": 10, "timeout_ms": 1000, "size": 1400})
    expect(len(lines) == 4, lines)
    for l in lines:
        expect(l["error"] == "message-too-long" and l["received"] == 0, l)
    lines, _ = w.probe({"targets": targets, "protocols": ["icmp", "udp"], "count": 3,
                        "interval_ms": 10, "timeout_ms": 1000, "size": 1200})
    for l in lines:
        expect(l["error"] == "ok", l)


@case
def http_api(w):
    """Auth, limits and validation of the control API."""
    w.start("a")
    ok_body = {"targets": [{"ip": A4}], "protocols": ["icmp"], "count": 1}
    code, text = w.curl("/v1/probe", ok_body, token=False)
    expect(code == 401 and '"unauthorized"' in text, (code, text))
    code, _ = w.curl("/v1/probe", ok_body, token="wrong")
    expect(code == 401, code)
    code, _ = w.curl("/v1/info", token=False)
    expect(code == 401, code)
    code, _ = w.curl("/metrics", token=False)
    expect(code == 401, code)
    code, text = w.curl("/v1/probe", ok_body, token=False,
                        headers=[f"Authorization: Bearer {w.token}"])
    expect(code == 200 and '"done":true' in text, (code, text))
    code, text = w.curl("/", token=False)
    expect(code == 200 and text == "OK", (code, text))
    code, text = w.curl("/healthz", token=False)
    expect(code == 200 and text == "ok", (code, text))
    code, _ = w.curl("/nope")
    expect(code == 404, code)
    # Oversized body: 413 (sent without waiting for 100-continue's answer).
    code, _ = w.curl("/v1/probe", "x" * (1024 * 1024 + 1))
    expect(code == 413, code)
    code, text = w.curl("/v1/probe", '{"targets": [')
    expect(code == 400 and '"error"' in text, (code, text))
    code, text = w.curl("/v1/probe", '{"targets": [{"ip": "198.18.1.2"}], "count": "3"}')
    expect(code == 400 and '"field":"count"' in text, (code, text))
    many = {"targets": [{"ip": f"198.18.{i // 250}.{i % 250 + 1}"} for i in range(10001)],
            "protocols": ["icmp"]}
    code, text = w.curl("/v1/probe", many)
    expect(code == 400 and '"field":"targets"' in text, (code, text))
    code, text = w.curl("/v1/probe", {"targets": [{"ip": A4}, {"ip": "node-b.example"}]})
    expect(code == 400 and '"field":"targets[1].ip"' in text, (code, text))
    code, text = w.curl("/v1/probe", {"targets": [{"ip": A4, "port": 22}]})
    expect(code == 400 and '"field":"targets[0].port"' in text, (code, text))
    code, text = w.curl("/v1/probe", {"targets": [{"ip": A4}], "count": 1001})
    expect(code == 400 and '"field":"count"' in text, (code, text))
    code, text = w.curl("/v1/probe", {"targets": [{"ip": A4}], "timeout_ms": 60001})
    expect(code == 400 and '"field":"timeout_ms"' in text, (code, text))
    code, text = w.curl("/v1/info")
    expect(code == 200 and '"node":"node-a"' in text and A4 in text and A6 in text, text)
    code, text = w.curl("/metrics")
    expect(code == 200 and "floater_auth_failures_total 4" in text, text)
    # A 10,000-target request is accepted (the limit is inclusive).
    many["targets"] = many["targets"][:10000]
    many["timeout_ms"] = 1
    many["count"] = 1
    code, text = w.curl("/v1/probe", many)
    expect(code == 200 and '"results":10000' in text, (code, text[-300:]))


@case
def token_rotation(w):
    """A new token in the file takes over without a restart; the old one stops working."""
    w.start("a")
    code, _ = w.curl("/v1/info")
    expect(code == 200, code)
    old = w.token
    w.token = "rotated-" + os.urandom(6).hex()
    tmp = w.token_file + ".new"
    with open(tmp, "w") as f:
        f.write(w.token)
    os.rename(tmp, w.token_file)
    time.sleep(1.2)
    code, _ = w.curl("/v1/info")
    expect(code == 200, code)
    code, _ = w.curl("/v1/info", token=old)
    expect(code == 401, code)


@case
def concurrency_and_cancel(w):
    """Five concurrent long requests: the fifth gets 429. Killing the clients cancels
    their probes (nothing left in flight)."""
    w.start("a")
    body = {"targets": [{"ip": DEAD4}], "protocols": ["icmp"], "count": 1000,
            "interval_ms": 10, "timeout_ms": 1000}
    path = os.path.join(w.tmp, "long.json")
    with open(path, "w") as f:
        import json
        json.dump(body, f)
    clients = []
    for _ in range(4):
        clients.append(subprocess.Popen(
            ["ip", "netns", "exec", w.ns["a"], "curl", "-sN", "-H",
             f"X-Floater-Token: {w.token}", "--data-binary", f"@{path}",
             f"http://{A4}:{PORT}/v1/probe"], stdout=subprocess.DEVNULL))
    time.sleep(0.7)
    code, text = w.curl("/v1/probe", body)
    expect(code == 429, (code, text))
    _, metrics = w.curl("/metrics")
    expect("floater_probe_requests_active 4" in metrics, metrics)
    for c in clients:
        c.kill()
        c.wait()
    time.sleep(0.5)
    _, metrics = w.curl("/metrics")
    expect("floater_probe_requests_active 0" in metrics and
           "floater_probes_inflight 0" in metrics, metrics)
    lines, _ = w.probe({"targets": [{"ip": A4}], "protocols": ["icmp"], "count": 1})
    expect(lines[0]["error"] == "ok", lines)


@case
def raw_icmp_fallback(w):
    """Ping sockets not permitted: ICMP goes through raw sockets (host network mode)."""
    w.start("b")
    w.ping_sockets("a", False)
    w.start("a")
    _, info = w.curl("/v1/info")
    expect('"icmp":"raw"' in info, info)
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}, {"ip": DEAD4}],
                        "protocols": ["icmp"], "count": 3, "interval_ms": 10,
                        "timeout_ms": 1500})
    got = by_key(lines)
    expect(got[(B4, "icmp")]["error"] == "ok" and got[(B6, "icmp")]["error"] == "ok", got)
    expect(got[(DEAD4, "icmp")]["error"] == "timeout", got)


def setpriv_prefix(caps):
    base = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    if not caps:
        return base + ["--inh-caps", "-all", "--bounding-set", "-all"]
    return ["setpriv", "--inh-caps", "-all,+net_raw", "--ambient-caps", "-all,+net_raw",
            "--bounding-set", "-all,+net_raw", "--reuid", "65534", "--regid", "65534",
            "--clear-groups"]


@case
def least_privilege(w):
    """Pod mode as uid 65534 without capabilities, and host mode with only NET_RAW
    (no ping sockets): both probe all protocols successfully."""
    os.chmod(w.tmp, 0o755)
    os.chmod(w.token_file, 0o644)
    w.start("b")
    p = w.start("a", prefix=setpriv_prefix(False))
    status = open(f"/proc/{child_pid(p)}/status").read()
    expect("CapEff:\t0000000000000000" in status and "Uid:\t65534" in status, status)
    req = {"targets": [{"ip": B4}, {"ip": B6}], "count": 2, "interval_ms": 10,
           "timeout_ms": 3000}
    lines, _ = w.probe(req)
    expect(len(lines) == 6 and all(l["error"] == "ok" for l in lines), lines)
    p.terminate()
    p.wait()
    w.ping_sockets("a", False)
    p = w.start("a", "--network", "host", prefix=setpriv_prefix(True))
    _, info = w.curl("/v1/info")
    expect('"icmp":"raw"' in info, info)
    lines, _ = w.probe(req)
    expect(len(lines) == 6 and all(l["error"] == "ok" for l in lines), lines)


@case
def rtt_per_target(w, delayline=None):
    """Two addresses of one target, the second answering through a 30 ms delay line in
    the router: in one request each target gets its own RTTs (ICMP, TCP, UDP; v4 and v6),
    never a number shared across targets, also when probe sockets are reused."""
    expect(delayline and os.path.exists(delayline), "needs --delayline PATH")
    delay_us, slow4, slow6 = 30000, "198.18.2.3", "fd00:2::3"
    w.ip("b", "addr", "add", f"{slow4}/24", "dev", "b0")
    w.ip("b", "addr", "add", f"{slow6}/64", "dev", "b0", "nodad")
    w.settle("a", slow4)
    w.settle("a", slow6)
    w.background("r", delayline, "--dev", "ncfdl", "--delay-us", str(delay_us))
    for _ in range(50):
        if "UP" in w.ip("r", "link", "show", "ncfdl", check=False).stdout:
            break
        time.sleep(0.1)
    w.x("r", "sysctl", "-qw", "net.ipv4.conf.ncfdl.forwarding=1",
        "net.ipv6.conf.ncfdl.forwarding=1", "net.ipv4.conf.ncfdl.rp_filter=0",
        "net.ipv4.conf.all.rp_filter=0")
    for fam, slow in (("-4", slow4), ("-6", slow6)):
        # Answers from the slow address take the line; what comes out of it is routed
        # as usual.
        w.ip("r", fam, "rule", "add", "iif", "ncfdl", "lookup", "main", "prio", "100")
        w.ip("r", fam, "rule", "add", "from", slow, "lookup", "100", "prio", "101")
        w.ip("r", fam, "route", "add", "default", "dev", "ncfdl", "table", "100")
    w.start("b")
    w.start("a")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": slow4}, {"ip": B6}, {"ip": slow6}],
                        "protocols": ["icmp", "tcp", "udp"], "count": 5, "interval_ms": 20,
                        "timeout_ms": 3000})
    got = by_key(lines)
    expect(len(got) == 12 and all(l["error"] == "ok" for l in lines), lines)
    for proto in ("icmp", "tcp", "udp"):
        for fast, slow in ((B4, slow4), (B6, slow6)):
            f, s = got[(fast, proto)], got[(slow, proto)]
            expect(s["rtt_min_us"] >= delay_us, ("slow target faster than its delay", s))
            # The direct path answers in well under a millisecond; its best probe stays
            # far below the delay even on a loaded machine.
            expect(f["rtt_min_us"] < delay_us // 2, ("direct target got a slow RTT", f))
            expect(f["rtt_avg_us"] < s["rtt_avg_us"], (f, s))


def passive_opens(w, ns):
    out = w.x(ns, "nstat", "-az", "TcpPassiveOpens").stdout
    return sum(int(l.split()[1]) for l in out.splitlines() if l.startswith("TcpPassiveOpens"))


@case
def tcp_leaves_nothing(w):
    """Hundreds of TCP probes leave no TIME_WAIT or other connection behind on either
    side, the responder never has to accept them, and an idle prober holds no probe
    sockets once the request is done."""
    w.start("b")
    pa = w.start("a")
    base = len(os.listdir(f"/proc/{child_pid(pa)}/fd"))
    opens = passive_opens(w, "b")
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "protocols": ["tcp"],
                        "count": 200, "interval_ms": 1})
    expect(len(lines) == 2 and all(l["error"] == "ok" and l["received"] == 200
                                   for l in lines), lines)
    for ns in ("a", "b"):
        # Any state at all between prober and target (the test's own curls stay
        # within one namespace).
        left = [l for l in w.x(ns, "ss", "-Htan").stdout.splitlines()
                if (A4 in l or A6 in l) and (B4 in l or B6 in l)]
        expect(not left, (ns, left))
    # Handshakes the kernel finished into the accept queue: none for a probe.
    expect(passive_opens(w, "b") == opens, (opens, passive_opens(w, "b")))
    fds = len(os.listdir(f"/proc/{child_pid(pa)}/fd"))
    expect(fds <= base + 1, (base, fds))


@case
def pid1_sigterm(w):
    """As its PID namespace's init (a container's first process), the floater ends promptly
    on SIGTERM: the kernel drops a signal init has no handler for, so a kubelet's SIGTERM
    would be lost and every pod deletion would wait for the SIGKILL after the grace period."""
    p = w.start("a", prefix=["unshare", "--pid", "--fork", "--kill-child"])
    kids = []
    for _ in range(50):
        kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
        if kids:
            break
        time.sleep(0.1)
    expect(len(kids) == 1, ("unshare's children", kids))
    ns_pid = [l.split()[-1] for l in open(f"/proc/{kids[0]}/status") if l.startswith("NSpid:")]
    expect(ns_pid == ["1"], ("the floater is pid 1 in its namespace", ns_pid))
    t0 = time.monotonic()
    os.kill(int(kids[0]), signal.SIGTERM)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        raise AssertionError("the floater as pid 1 ignored SIGTERM for 5 s")
    expect(time.monotonic() - t0 < 2, ("SIGTERM to exit", time.monotonic() - t0))


def child_pid(p):
    """The floater's pid under ip netns exec / setpriv (they exec, so it is p.pid)."""
    return p.pid


@case
def static_empty_root(w, static=None):
    """The static binary alone in an empty root (the FROM scratch image's world)
    answers /healthz and probes."""
    expect(static and os.path.exists(static), "needs --static PATH")
    root = os.path.join(w.tmp, "root")
    os.makedirs(os.path.join(root, "var/run/netctl"))
    shutil.copy(static, os.path.join(root, "floater"))
    shutil.copy(w.token_file, os.path.join(root, "var/run/netctl/token"))
    shutil.copy(w.echo_key_file, os.path.join(root, "var/run/netctl/echo-key"))
    expect(sorted(os.listdir(root)) == ["floater", "var"], os.listdir(root))
    w.start("b")
    w.start("a", prefix=["unshare", "--mount", "--root", root, "--wd", "/"],
            binary="/floater", token_file="/var/run/netctl/token")
    code, text = w.curl("/healthz", token=False)
    expect(code == 200 and text == "ok", (code, text))
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "count": 1})
    expect(len(lines) == 6 and all(l["error"] == "ok" for l in lines), lines)
    _, info = w.curl("/v1/info")
    expect(A4 in info, info)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--floater", required=True)
    ap.add_argument("--static")
    ap.add_argument("--delayline")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("floater tests need root (they create network namespaces)")
        return 77
    w = World(args.floater, args.case)
    try:
        if args.case == "static_empty_root":
            CASES[args.case](w, args.static)
        elif args.case == "rtt_per_target":
            CASES[args.case](w, args.delayline)
        else:
            CASES[args.case](w)
        w.stop_floaters()
        reports = w.sanitizer_reports()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))
    except Exception as e:  # noqa: BLE001 - report with the floaters' logs
        print(f"FAIL {args.case}: {e}\n{w.logs()}")
        return 1
    finally:
        w.close()
    print(f"PASS {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
