"""Throwaway network namespaces for floater tests: prober A, router R, target B.

A 198.18.1.2/24 fd00:1::2/64 -- R 198.18.1.1 fd00:1::1 | 198.18.2.1 fd00:2::1 -- B 198.18.2.2 fd00:2::2
Everything is created under unique names prefixed ncf- and deleted on exit, even on
SIGTERM/SIGINT. Traffic never leaves these namespaces.
"""
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

A4, A6 = "198.18.1.2", "fd00:1::2"
B4, B6 = "198.18.2.2", "fd00:2::2"
DEAD4, DEAD6 = "198.18.2.99", "fd00:2::99"
PORT = 8889


def sh(*args, check=True, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: rc={r.returncode} {r.stderr.strip()}")
    return r


class World:
    def __init__(self, floater, tag):
        self.floater = floater
        self.id = f"ncf-{tag[:6]}-{os.getpid()}"
        self.ns = {n: f"{self.id}-{n}" for n in ("a", "r", "b")}
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="ncf-")
        self.token = "t0k3n-" + os.urandom(8).hex()
        self.token_file = os.path.join(self.tmp, "token")
        with open(self.token_file, "w") as f:
            f.write(self.token + "\n")
        # The UDP echo key, next to the token as in the Secret volume (docs/floater.md).
        self.echo_key = os.urandom(16)
        self.echo_key_file = os.path.join(self.tmp, "echo-key")
        with open(self.echo_key_file, "w") as f:
            f.write(self.echo_key.hex() + "\n")
        atexit.register(self.close)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, lambda *_: sys.exit(1))
        self._build()

    def ip(self, ns, *args, check=True):
        return sh("ip", "-n", self.ns[ns], *args, check=check)

    def x(self, ns, *args, check=True, **kw):
        return sh("ip", "netns", "exec", self.ns[ns], *args, check=check, **kw)

    def _build(self):
        for n in self.ns.values():
            sh("ip", "netns", "add", n)
            # No duplicate address detection: link-local addresses (needed for neighbour
            # discovery) would stay tentative for a second and eat the first packets.
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0",
               "net.ipv6.conf.all.accept_dad=0")
        sh("ip", "link", "add", "a0", "netns", self.ns["a"], "type", "veth",
           "peer", "name", "ra", "netns", self.ns["r"])
        sh("ip", "link", "add", "b0", "netns", self.ns["b"], "type", "veth",
           "peer", "name", "rb", "netns", self.ns["r"])
        cfg = {"a": [("a0", "198.18.1.2/24", "fd00:1::2/64")],
               "b": [("b0", "198.18.2.2/24", "fd00:2::2/64")],
               "r": [("ra", "198.18.1.1/24", "fd00:1::1/64"),
                     ("rb", "198.18.2.1/24", "fd00:2::1/64")]}
        for ns, links in cfg.items():
            self.ip(ns, "link", "set", "lo", "up")
            for dev, v4, v6 in links:
                self.ip(ns, "addr", "add", v4, "dev", dev)
                self.ip(ns, "addr", "add", v6, "dev", dev, "nodad")
                self.ip(ns, "link", "set", dev, "up")
        self.x("r", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.x("r", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        self.ip("a", "route", "add", "default", "via", "198.18.1.1")
        self.ip("a", "-6", "route", "add", "default", "via", "fd00:1::1")
        self.ip("b", "route", "add", "default", "via", "198.18.2.1")
        self.ip("b", "-6", "route", "add", "default", "via", "fd00:2::1")
        for ns in ("a", "b"):
            self.ping_sockets(ns, True)
        self._settle()

    def settle(self, src, dst):
        """Waits (bounded) until src reaches dst by ping."""
        for _ in range(50):
            if self.x(src, "ping", "-c", "1", "-W", "1", dst, check=False).returncode == 0:
                return
            time.sleep(0.1)

    def _settle(self):
        """Waits until both families route a -> b (IPv6 neighbour discovery and router
        state can hold the first packets for a second on a busy machine), so the tests
        measure the floater, not the namespaces being born."""
        for src, dst in (("a", "198.18.2.2"), ("a", "fd00:2::2"), ("b", "198.18.1.2"),
                         ("b", "fd00:1::2")):
            self.settle(src, dst)

    def ping_sockets(self, ns, allowed):
        rng = "0 2147483647" if allowed else "1 0"
        self.x(ns, "sysctl", "-qw", f"net.ipv4.ping_group_range={rng}")

    def start(self, ns, *extra, prefix=(), binary=None, token_file=None, wait=True):
        log = open(os.path.join(self.tmp, f"floater-{ns}-{len(self.procs)}.log"), "w")
        cmd = ["ip", "netns", "exec", self.ns[ns], *prefix, binary or self.floater,
               "--port", str(PORT), "--token-file", token_file or self.token_file,
               "--node-name", f"node-{ns}", "--network", "pod", *extra]
        p = subprocess.Popen(cmd, stdout=log, stderr=log)
        self.procs.append(p)
        if wait:
            self.wait_ready(ns, p)
        return p

    def background(self, ns, *args):
        """Runs a helper in ns until the world closes (stopped like the floaters)."""
        log = open(os.path.join(self.tmp, f"helper-{ns}-{len(self.procs)}.log"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[ns], *args], stdout=log,
                             stderr=log)
        self.procs.append(p)
        return p

    def wait_ready(self, ns, p):
        addr = A4 if ns == "a" else B4
        for _ in range(100):
            if p.poll() is not None:
                raise RuntimeError(f"floater in {ns} exited rc={p.returncode}: {self.logs()}")
            r = self.x(ns, "curl", "-s", "-m", "1", f"http://{addr}:{PORT}/healthz", check=False)
            if r.stdout == "ok":
                return
            time.sleep(0.05)
        raise RuntimeError(f"floater in {ns} not ready: {self.logs()}")

    def logs(self):
        out = []
        for f in sorted(os.listdir(self.tmp)):
            if f.endswith(".log"):
                with open(os.path.join(self.tmp, f)) as fh:
                    out.append(f"--- {f}\n{fh.read()[-3000:]}")
        return "\n".join(out)

    def curl(self, path, body=None, token=True, headers=(), ns="a", host=A4, timeout=120):
        """Returns (status, body text)."""
        args = ["curl", "-sS", "-m", str(timeout), "-o", "-", "-w", "\n%{http_code}"]
        if token is True:
            args += ["-H", f"X-Floater-Token: {self.token}"]
        elif token:
            args += ["-H", f"X-Floater-Token: {token}"]
        for h in headers:
            args += ["-H", h]
        if body is not None:
            path_file = os.path.join(self.tmp, "body.json")
            with open(path_file, "w") as f:
                f.write(body if isinstance(body, str) else json.dumps(body))
            args += ["-H", "Content-Type: application/json", "--data-binary", f"@{path_file}"]
        h = f"[{host}]" if ":" in host else host
        r = self.x(ns, *args, f"http://{h}:{PORT}{path}", check=False)
        text, _, code = r.stdout.rpartition("\n")
        return int(code or 0), text

    def probe(self, req, **kw):
        """POST /v1/probe; returns (result lines, done line)."""
        code, text = self.curl("/v1/probe", req, **kw)
        if code != 200:
            raise AssertionError(f"probe: HTTP {code}: {text}")
        lines = [json.loads(l) for l in text.splitlines() if l.strip()]
        assert lines and lines[-1].get("done") is True, f"no done line: {text[-500:]}"
        return lines[:-1], lines[-1]

    def sanitizer_reports(self):
        """Sanitizer findings in the floaters' logs (an ASan/UBSan build reports there,
        leaks included, when the floater exits on SIGTERM)."""
        found = []
        for f in sorted(os.listdir(self.tmp)):
            if f.endswith(".log"):
                with open(os.path.join(self.tmp, f), errors="replace") as fh:
                    text = fh.read()
                if "Sanitizer" in text or "runtime error:" in text:
                    found.append(f"--- {f}\n{text[-4000:]}")
        return found

    def stop_floaters(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.procs = []
        for n in self.ns.values():
            sh("ip", "netns", "del", n, check=False)
        sh("rm", "-rf", self.tmp, check=False)
