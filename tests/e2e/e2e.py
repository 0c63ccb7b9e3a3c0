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


# Faults injected and not yet undone: while there are none, the world is healthy and the
# kernel's loss counters must not move during a check (see Store.netctl).
ACTIVE_FAULTS = set()


def fault(*args):
    out = subprocess.run([FAULT, *args, "--dir", WORLD_DIR], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("fault %s failed: %s" % (" ".join(args), out.stderr))
    fid = out.stdout.strip()
    if args[0] == "undo":
        ACTIVE_FAULTS.discard(args[1])
    elif args[0] == "clear":
        ACTIVE_FAULTS.clear()
    elif args[0] not in ("list", "apiserver-restart") and fid:
        ACTIVE_FAULTS.add(fid)
    return fid


def kernel_counters():
    """The kernel's counters of loss the machine inflicts on itself (neighbour table full,
    unresolved neighbour discards, socket buffer and listen queue drops, conntrack drops),
    summed over the world's namespaces: {name: value}."""
    out = world_out("counters")
    return {k: int(v) for k, v in (l.split() for l in out.splitlines()) if k != "namespaces"}


def counters_moved(before, after):
    """{name: increase} of every counter that went up."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}


def describe_counters(moved):
    return ", ".join("%s +%d" % kv for kv in sorted(moved.items()))


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
        """Runs netctl in the world. A check or resume on a healthy world (no fault active)
        must leave the kernel's loss counters where they were: a counter that moved is
        reported as a failure naming it, since any pair failure it caused is this machine's
        own, not the network's. With a fault active, moved counters are only logged."""
        probing = args and args[0] in ("check", "resume")
        before = kernel_counters() if probing else None
        r = subprocess.run(in_world([NETCTL, *args]), env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if probing:
            moved = counters_moved(before, kernel_counters())
            self.counters_moved = moved
            what = "netctl %s" % " ".join(args[:3])
            if ACTIVE_FAULTS:
                if moved:
                    log("kernel counters moved during %s (faults %s active): %s" %
                        (what, ",".join(sorted(ACTIVE_FAULTS)), describe_counters(moved)))
            else:
                check(not moved, "%s: kernel loss counters unchanged on a healthy world%s" %
                      (what, (": " + describe_counters(moved)) if moved else ""))
        return r

    def failed_count(self, run):
        return self.sql("SELECT count(*) FROM results WHERE run_id = ? AND error != 0", run)[0][0]

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
       "error": 10, "wrong-node": 11, "nxdomain": 12, "servfail": 13, "dns-refused": 14,
       "wrong-answer": 15, "no-answer": 16, "truncated": 17}  # enum probe_error (common.h)


def check_json(r):
    try:
        return json.loads(r.stdout)
    except ValueError:
        log("stdout was not JSON: " + r.stdout[:500])
        log("stderr: " + r.stderr[-2000:])
        return None
