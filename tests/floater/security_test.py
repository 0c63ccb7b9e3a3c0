#!/usr/bin/env python3
"""Attacks on the floater's control port by a client without the token (issue 15, items
1-4), each bounded in time, against a real floater in a namespace made by the test.

usage: security_test.py --floater PATH CASE
Exit 0 pass, 1 fail, 77 skipped (not root).
"""
import argparse
import ctypes
import os
import re
import resource
import select
import socket
import struct
import sys
import time

from netns import A4, A6, B4, B6, PORT, World

CASES = {}
RSS_LIMIT_KB = 16 * 1024


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def enter_netns(name):
    """Moves this process into the namespace (Python 3.11 has no os.setns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def connect(src=None, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((A4, PORT))
    return s


def send_some(s, data, seconds):
    """Sends what the peer takes within seconds; returns bytes sent."""
    s.setblocking(False)
    sent, end = 0, time.monotonic() + seconds
    while sent < len(data) and time.monotonic() < end:
        _, w, _ = select.select([], [s], [], 0.2)
        if not w:
            continue
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            continue
        except OSError:
            break
    return sent


def send_all(conns, data, seconds):
    """Sends data on every connection, round robin, for at most seconds, as a client
    would: it stops sending on a connection once an answer came (the answers are
    returned, by connection)."""
    sent = {s: 0 for s in conns}
    got = {s: b"" for s in conns}
    for s in conns:
        s.setblocking(False)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        busy = [s for s in conns if sent[s] < len(data) and not got[s]]
        if not busy:
            break
        readable, ready, _ = select.select(conns, busy, [], 0.2)
        for s in readable:
            try:
                got[s] += s.recv(65536)
            except (BlockingIOError, OSError):
                pass
        for s in ready:
            try:
                sent[s] += s.send(data[sent[s]:sent[s] + 65536])
            except BlockingIOError:
                pass
            except OSError:
                sent[s] = len(data)
    return sum(sent.values()), got


def read_answer(s, seconds=5):
    """Bytes until the peer closes or seconds pass."""
    s.setblocking(True)
    s.settimeout(0.5)
    out, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not d:
            break
        out += d
    return out


def metric(w, name, host=A4):
    code, text = w.curl("/metrics", timeout=10, host=host)
    expect(code == 200, (code, text))
    m = re.search(rf"^{re.escape(name)} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


# ---- the UDP echo (docs/floater.md, "UDP echo") ----

MAGIC_REQ, MAGIC_REP = 0x4e436675, 0x4e43666e  # the echo: "NCfn", with the node proof
ECHO_HDR = 28


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash24(key, data):
    """SipHash-2-4 (Aumasson, Bernstein 2012), the 8-byte tag, little-endian."""
    mask = 0xFFFFFFFFFFFFFFFF
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask
            v[1] = _rotl(v[1], 13) ^ v[0]
            v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask
            v[3] = _rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & mask
            v[3] = _rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & mask
            v[1] = _rotl(v[1], 17) ^ v[2]
            v[2] = _rotl(v[2], 32)

    tail = len(data) % 8
    for i in range(0, len(data) - tail, 8):
        m = struct.unpack_from("<Q", data, i)[0]
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    last = (len(data) & 0xFF) << 56
    for i, b in enumerate(data[len(data) - tail:]):
        last |= b << (8 * i)
    v[3] ^= last
    rounds(2)
    v[0] ^= last
    v[2] ^= 0xFF
    rounds(4)
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


assert siphash24(bytes(range(16)), bytes(range(15))) == bytes.fromhex("e545be4961ca29a1")


def echo_request(key, size=ECHO_HDR, ts=None, nonce=7, tag_len=None):
    """A probe datagram as a floater sends it: cookie, time, SipHash tag over both and
    the datagram's length, zero padding."""
    ts = int(time.time()) if ts is None else ts
    head = struct.pack("=IIII", MAGIC_REQ, 1, 2, nonce) + struct.pack(">I", ts & 0xFFFFFFFF)
    tag = siphash24(key, head + struct.pack(">I", tag_len or size))
    return (head + tag).ljust(size, b"\0")


def node_proof(key, req, node):
    """What the echo carries instead of the request's tag: SipHash-2-4 under the echo key
    of the request's first 20 bytes and the node id (SipHash-2-4 of the node name under
    the all-zero key), docs/floater.md "Which node answered"."""
    return siphash24(key, bytes(req[:20]) + siphash24(bytes(16), node.encode()))


def unkeyed_request(size=16):
    """The old format: the magic and a cookie, nothing that needs a secret."""
    return struct.pack("=IIII", MAGIC_REQ, 1, 2, 3).ljust(size, b"\0")


def udp_from(src):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    return s


def send_many(s, dst, datagrams, times=1):
    sent = 0
    for _ in range(times):
        for d in datagrams:
            try:
                s.sendto(d, (dst, PORT))
                sent += 1
            except (BlockingIOError, OSError):
                pass
    return sent


def echoes(s, seconds=0.5):
    """Datagrams that arrive on s within seconds of the last one."""
    s.settimeout(seconds)
    got = []
    while True:
        try:
            got.append(s.recv(70000))
        except (socket.timeout, BlockingIOError):
            return got


@case
def preauth_body(w, p):
    """40 connections each announcing a body one byte short of 1 MiB without a valid
    token, then sending half of it: each gets 401 with Connection: close (never 100
    Continue), and the floater's RSS stays small."""
    base = rss_kb(p.pid)
    body = b"x" * (1048575 - 1)
    conns = []
    for i in range(40):
        s = connect()
        tok = b"X-Floater-Token: wrong\r\n" if i % 2 else b""
        s.sendall(b"POST /v1/probe HTTP/1.1\r\nHost: f\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1048575\r\nExpect: 100-continue\r\n" + tok + b"\r\n")
        conns.append(s)
    total, early = send_all(conns, body, 6)
    print(f"preauth_body: {total} body bytes sent")
    peak = rss_kb(p.pid)
    answers = [early[s] + read_answer(s, 3) for s in conns]
    peak = max(peak, rss_kb(p.pid))
    for s in conns:
        s.close()
    print(f"preauth_body: RSS {base} kB idle, {peak} kB with 40 bodies pending")
    for a in answers:
        expect(a.startswith(b"HTTP/1.1 401 "), a[:200])
        head = a.split(b"\r\n\r\n", 1)[0]
        expect(b"\r\nConnection: close" in head, head)
    expect(peak <= RSS_LIMIT_KB, f"RSS {peak} kB > {RSS_LIMIT_KB} kB")
    # The token still works.
    code, _ = w.curl("/v1/info")
    expect(code == 200, code)


@case
def unread_output(w, p):
    """One authenticated connection pipelining GET /metrics and never reading: the
    floater stops reading from it instead of buffering answers; RSS stays bounded."""
    base = rss_kb(p.pid)
    req = f"GET /metrics HTTP/1.1\r\nHost: f\r\nX-Floater-Token: {w.token}\r\n\r\n".encode()
    s = connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    # Small writes: each read of the floater's sees a few requests.
    sent, end = 0, time.monotonic() + 8
    while time.monotonic() < end:
        _, ready, _ = select.select([], [s], [], 0.2)
        if not ready:
            continue
        try:
            sent += s.send(req * 4)
        except BlockingIOError:
            pass
        time.sleep(0.0002)
    time.sleep(0.5)
    peak = rss_kb(p.pid)
    print(f"unread_output: RSS {base} kB idle, {peak} kB after {sent} bytes of pipelined "
          f"requests ({sent // len(req)} requests) never read")
    expect(peak <= RSS_LIMIT_KB, f"RSS {peak} kB > {RSS_LIMIT_KB} kB")
    # Reading now gets well-formed answers, in order.
    s.setblocking(True)
    s.settimeout(2)
    got = s.recv(65536)
    expect(got.startswith(b"HTTP/1.1 200 "), got[:200])
    s.close()
    code, _ = w.curl("/v1/info")
    expect(code == 200, code)


def hold(conns, src, n, data):
    for _ in range(n):
        try:
            s = connect(src, timeout=2)
            s.sendall(data)
            conns.append(s)
        except OSError:
            pass


@case
def lockout(w, p):
    """600 idle unauthenticated connections from one source, then 640 from 16 sources
    (slow heads and keep-alive /healthz requests never read): an authenticated probe
    request still gets through each time, and /metrics counts what was refused and
    evicted."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    partial = b"GET / HTTP/1.1\r\nHost: f\r\n"
    health = b"GET /healthz HTTP/1.1\r\nHost: f\r\n\r\n"
    probe = {"targets": [{"ip": A4}], "protocols": ["icmp", "tcp"], "count": 1}
    conns = []
    hold(conns, None, 300, partial)
    hold(conns, None, 300, health)
    time.sleep(0.3)
    lines, _ = w.probe(probe, timeout=10)
    expect(len(lines) == 2 and all(l["error"] == "ok" for l in lines), lines)
    print(f"lockout: one source, {len(conns)} sockets opened, RSS {rss_kb(p.pid)} kB")
    for i in range(16):
        src = f"198.18.1.{100 + i}"
        w.ip("a", "addr", "add", f"{src}/24", "dev", "a0")
    for i in range(16):
        src = f"198.18.1.{100 + i}"
        hold(conns, src, 20, partial)
        hold(conns, src, 20, health)
    time.sleep(0.3)
    lines, _ = w.probe(probe, timeout=10)
    expect(len(lines) == 2 and all(l["error"] == "ok" for l in lines), lines)
    # Unauthenticated connections end after their answer.
    s = connect()
    s.sendall(health)
    a = read_answer(s, 3)
    s.close()
    expect(a.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in a, a)
    refused = metric(w, "floater_connections_refused_total")
    evicted = metric(w, "floater_connections_evicted_total")
    conns_now = metric(w, "floater_connections")
    peak = rss_kb(p.pid)
    print(f"lockout: {len(conns)} sockets held, floater holds {conns_now}, refused "
          f"{refused}, evicted {evicted}, RSS {peak} kB")
    expect(refused and refused > 0 and evicted and evicted > 0, (refused, evicted))
    expect(peak <= RSS_LIMIT_KB, f"RSS {peak} kB > {RSS_LIMIT_KB} kB")
    for s in conns:
        s.close()


@case
def full_heads(w, p):
    """The most an unauthenticated client can make the floater hold: 640 connections
    from 16 sources, each with a head one line short of the 16 KiB limit. RSS stays
    within the bound and the token still gets through."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    head = b"GET / HTTP/1.1\r\nX-Pad: " + b"p" * (16 * 1024 - 64) + b"\r\n"
    base = rss_kb(p.pid)
    conns = []
    for i in range(16):
        w.ip("a", "addr", "add", f"198.18.1.{100 + i}/24", "dev", "a0")
    for i in range(16):
        hold(conns, f"198.18.1.{100 + i}", 40, head)
    time.sleep(0.5)
    peak = rss_kb(p.pid)
    held = metric(w, "floater_connections")
    lines, _ = w.probe({"targets": [{"ip": A4}], "protocols": ["icmp"], "count": 1},
                       timeout=10)
    expect(len(lines) == 1 and lines[0]["error"] == "ok", lines)
    print(f"full_heads: {len(conns)} sockets, floater holds {held}, RSS {base} kB idle, "
          f"{peak} kB with every head nearly full")
    expect(peak <= RSS_LIMIT_KB, f"RSS {peak} kB > {RSS_LIMIT_KB} kB")
    for s in conns:
        s.close()


@case
def pipelining(w, p):
    """40 pipelined authenticated GET /healthz in one write get 40 answers at once; 40
    without a token get one answer and the connection ends."""
    tok = f"X-Floater-Token: {w.token}\r\n"
    req = f"GET /healthz HTTP/1.1\r\nHost: f\r\n{tok}\r\n".encode()
    s = connect()
    s.sendall(req * 39 + req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    t0 = time.monotonic()
    a = read_answer(s, 5)
    took = time.monotonic() - t0
    s.close()
    n = a.count(b"HTTP/1.1 200 OK")
    print(f"pipelining: {n} answers to 40 requests in {took:.2f} s")
    expect(n == 40 and took < 2, (n, took))
    s = connect()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: f\r\n\r\n" * 40)
    a = read_answer(s, 5)
    s.close()
    expect(a.count(b"HTTP/1.1 200 OK") == 1 and b"Connection: close" in a, a)
    # A chunked body fed a few bytes at a time still makes one probe request.
    body = b'{"targets":[{"ip":"%s"}],"protocols":["icmp"],"count":1}' % A4.encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                       for i in range(0, len(body), 7)) + b"0\r\n\r\n"
    s = connect()
    s.sendall(f"POST /v1/probe HTTP/1.1\r\nHost: f\r\n{tok}Transfer-Encoding: chunked\r\n"
              "Connection: close\r\n\r\n".encode())
    for i in range(0, len(chunked), 5):
        s.sendall(chunked[i:i + 5])
        time.sleep(0.002)
    a = read_answer(s, 5)
    s.close()
    expect(a.startswith(b"HTTP/1.1 200 ") and b'"done":true' in a, a[-300:])


@case
def udp_reflector(w, p):
    """The UDP echo answers only datagrams that carry a tag made with the echo key: a
    flood with the public magic from a (spoofed) victim address, old-format, wrong-key,
    stale and re-padded datagrams get nothing back, IPv4 and IPv6. A keyed datagram is
    echoed at its own size, and floater-to-floater UDP probes still pass both ways."""
    w.start("b")
    victims = ("198.18.1.200", "fd00:1::200")
    w.ip("a", "addr", "add", f"{victims[0]}/24", "dev", "a0")
    w.ip("a", "addr", "add", f"{victims[1]}/64", "dev", "a0", "nodad")
    other_key = os.urandom(16)
    now = int(time.time())
    bad = [unkeyed_request(16), unkeyed_request(1400),
           echo_request(other_key), echo_request(other_key, 1400),
           echo_request(w.echo_key, ts=now - 3600), echo_request(w.echo_key, ts=now + 3600),
           echo_request(w.echo_key, 1400, tag_len=ECHO_HDR),  # a captured tag, re-padded
           bytearray(echo_request(w.echo_key))[:-1]]  # cut short
    total = 0
    for victim, dst in zip(victims, (A4, A6)):
        s = udp_from(victim)
        t0 = time.monotonic()
        flood = send_many(s, dst, [unkeyed_request(64)], 20000)
        took = time.monotonic() - t0
        sent = flood + send_many(s, dst, bad, 10)
        total += sent
        got = echoes(s)
        print(f"udp_reflector: {dst}: {flood} unkeyed datagrams in {took:.2f} s "
              f"({flood / took:.0f}/s) and {sent - flood} forged ones: {len(got)} echoes")
        expect(not got, f"{len(got)} echoes to {victim}, sizes {sorted({len(g) for g in got})}")
        for size in (ECHO_HDR, 1200):
            req = echo_request(w.echo_key, size)
            s.sendto(req, (dst, PORT))
            got = echoes(s)
            expect(len(got) == 1 and len(got[0]) == size, [len(g) for g in got])
            # A4/A6 are floater a's: its echo proves node-a, and no other node
            want = (struct.pack("=I", MAGIC_REP) + req[4:20] + node_proof(w.echo_key, req, "node-a")
                    + req[ECHO_HDR:])
            expect(got[0] == want, got[0][:ECHO_HDR])
            expect(node_proof(w.echo_key, req, "node-b") != want[20:ECHO_HDR], "proof names a")
        s.close()
    refused = metric(w, 'floater_udp_echo_refused_total{reason="bad_mac"}')
    stale = metric(w, 'floater_udp_echo_refused_total{reason="stale"}')
    print(f"udp_reflector: {total} sent; /metrics refused bad_mac={refused} stale={stale}")
    # (what the socket buffer dropped in the flood the floater never saw)
    expect(refused and refused >= total // 2 and stale, (refused, stale))
    for host, targets in ((A4, [B4, B6]), (B4, [A4, A6])):
        code, text = w.curl("/v1/probe", {"targets": [{"ip": t} for t in targets],
                                          "protocols": ["udp"], "count": 5,
                                          "interval_ms": 10}, host=host)
        lines = [l for l in text.splitlines() if '"protocol"' in l]
        expect(code == 200 and len(lines) == 2 and all('"error":"ok"' in l for l in lines),
               (host, code, text))
    expect(rss_kb(p.pid) <= RSS_LIMIT_KB, rss_kb(p.pid))


@case
def udp_echo_rate(w, p):
    """Keyed datagrams from one source beyond its rate (here 100/s) are refused and
    counted; another source is answered meanwhile, and the floater's own probes pass
    once the first source's bucket has refilled."""
    w.start("b", "--udp-echo-source-rate", "100")
    w.ip("a", "addr", "add", "198.18.1.101/24", "dev", "a0")
    s = udp_from(A4)
    t0 = time.monotonic()
    sent = send_many(s, B4, [echo_request(w.echo_key, nonce=i) for i in range(2000)])
    took = time.monotonic() - t0
    got = echoes(s)
    allowed = 100 + 100 * (took + 0.5)
    print(f"udp_echo_rate: {sent} keyed datagrams from one source in {took:.2f} s: "
          f"{len(got)} echoes (bucket: 100 at once + 100/s)")
    expect(90 <= len(got) <= allowed, (len(got), allowed))
    other = udp_from("198.18.1.101")
    send_many(other, B4, [echo_request(w.echo_key, nonce=i) for i in range(20)])
    expect(len(echoes(other)) == 20, "a second source is limited on its own")
    limited = metric(w, 'floater_udp_echo_refused_total{reason="source_rate"}', host=B4)
    print(f"udp_echo_rate: /metrics refused source_rate={limited}")
    expect(limited and limited >= sent - allowed, (limited, sent))
    time.sleep(1.2)
    lines, _ = w.probe({"targets": [{"ip": B4}], "protocols": ["udp"], "count": 3})
    expect(len(lines) == 1 and lines[0]["error"] == "ok", lines)


@case
def udp_echo_key_rotation(w, p):
    """A new key in the file takes over without a restart; the previous one is still
    answered for a grace period (floaters that read the Secret later); a key never
    held is not."""
    w.start("b")
    old = w.echo_key
    new = os.urandom(16)
    tmp = w.echo_key_file + ".new"
    with open(tmp, "w") as f:
        f.write(new.hex() + "\n")
    os.rename(tmp, w.echo_key_file)
    w.echo_key = new
    time.sleep(1.5)
    s = udp_from(A4)
    for key, want in ((new, 1), (old, 1), (os.urandom(16), 0)):
        s.sendto(echo_request(key), (A4, PORT))
        got = echoes(s)
        expect(len(got) == want, (key.hex(), len(got), want))
    lines, _ = w.probe({"targets": [{"ip": B4}, {"ip": B6}], "protocols": ["udp"],
                        "count": 3})
    expect(len(lines) == 2 and all(l["error"] == "ok" for l in lines), lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--floater", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("floater tests need root (they create network namespaces)")
        return 77
    global RSS_LIMIT_KB
    with open(args.floater, "rb") as f:
        if b"AddressSanitizer" in f.read():
            RSS_LIMIT_KB *= 4  # shadow memory and quarantine: the bound is for real builds
    w = World(args.floater, "s" + args.case)
    try:
        p = w.start("a")
        enter_netns(w.ns["a"])
        CASES[args.case](w, p)
        expect(p.poll() is None, f"floater exited rc={p.returncode}")
        w.stop_floaters()
        reports = w.sanitizer_reports()
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))
    except Exception as e:  # noqa: BLE001 - report with the floaters' logs
        print(f"FAIL {args.case}: {e}\n{w.logs()[-4000:]}")
        return 1
    finally:
        w.close()
    print(f"PASS {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
