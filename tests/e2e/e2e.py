"""Helpers for the end-to-end tests: run netctl and kubectl inside the test world, read
the store, inject faults. Every test gets its own store file."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

WORLD_DIR = os.environ["E2E_WORLD_DIR"]
SRC = os.environ["E2E_SRC_DIR"]
NETCTL = os.environ["NETCTL"]
WORLD = os.path.join(SRC, "tests/world/world")
FAULT = os.path.join(SRC, "tests/world/fault")
KUBECTL = os.path.join(os.environ.get("KUBE_CACHE", "/var/cache/netctl-kube"), "bin/kubectl")
CLUSTERS = {"east": 5, "west": 5, "north": 3}

FAILURES = []
T0 = time.time()


def log(msg):
    """One line, stamped with the seconds since the test started (where the time goes)."""
    print("[%4.0fs] %s" % (time.time() - T0, msg), flush=True)


def check(cond, what):
    """Records a failed expectation (the test goes on, and fails at the end)."""
    if cond:
        log("ok   " + what)
    else:
        log("FAIL " + what)
        FAILURES.append(what)


def finish():
    if FAILURES:
        log("%d expectation(s) failed:" % len(FAILURES))
        for f in FAILURES:
            log("  - " + f)
        sys.exit(1)
    log("all expectations met")
    sys.exit(0)


def world_out(*args):
    return subprocess.run([WORLD, *args, "--dir", WORLD_DIR], check=True,
                          capture_output=True, text=True).stdout


def kubeconfig(cluster):
    return world_out("kubeconfig", cluster).strip()


def nodes(cluster):
    """Node names of a cluster, from `world nodes`."""
    return [l.split()[0] for l in world_out("nodes", cluster).splitlines() if l.strip()]


def fault(*args):
    out = subprocess.run([FAULT, *args, "--dir", WORLD_DIR], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("fault %s failed: %s" % (" ".join(args), out.stderr))
    return out.stdout.strip()


def in_world(argv):
    return [WORLD, "exec", "--dir", WORLD_DIR, *argv]


class Store:
    """A fresh store with the three world clusters registered."""

    def __init__(self, register=("east", "west", "north")):
        self.dir = tempfile.mkdtemp(prefix="netctl-e2e-")
        self.db = os.path.join(self.dir, "netctl.db")
        self.env = dict(os.environ, NETCTL_DB=self.db, NO_COLOR="1")
        for c in register:
            r = self.netctl("cluster", "add", c, "--kubeconfig", kubeconfig(c))
            if r.returncode != 0:
                raise RuntimeError("cluster add %s: %s" % (c, r.stderr))

    def netctl(self, *args, timeout=600):
        r = subprocess.run(in_world([NETCTL, *args]), env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        return r

    def popen(self, *args):
        return subprocess.Popen(in_world([NETCTL, *args]), env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    def sql(self, query, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def last_run(self):
        return self.sql("SELECT max(id) FROM runs")[0][0]

    def failed_pairs(self, run):
        """{(src node, dst node, protocol, family, network, error)} of failed results."""
        rows = self.sql(
            "SELECT s.name, d.name, r.protocol, r.family, r.network, r.error "
            "FROM results r JOIN nodes s ON s.id = r.src_node JOIN nodes d ON d.id = r.dst_node "
            "WHERE r.run_id = ? AND r.error != 0", run)
        return set(rows)


PROTO = {"icmp": 0, "tcp": 1, "udp": 2}
ERR = {"ok": 0, "timeout": 1, "refused": 2, "unreachable": 3, "reset": 4,
       "message-too-long": 5, "no-agent": 6, "agent-lost": 7, "not-probed": 8, "loss": 9,
       "error": 10}


def check_json(r):
    try:
        return json.loads(r.stdout)
    except ValueError:
        log("stdout was not JSON: " + r.stdout[:500])
        log("stderr: " + r.stderr[-2000:])
        return None
