#!/usr/bin/env python3
"""bench/watch: a bounded soak of `netctl watch` against a small test world. Not a test:
prints numbers (README.md has the last ones).

    bench/watch/soak.py [--build DIR] [--dir WORLD_DIR] [--cycles 300] [--every 1s]
                        [--keep 20] [--clusters east:3,west:3]

Runs `netctl watch --every 1s --mesh --keep 20 --listen 127.0.0.1:0` (icmp, tcp and udp)
for CYCLES full checks while /metrics is scraped every second, and reports netctl's RSS,
its open file descriptors, the store's size (database + WAL) and its run count, at the
first check, after warm-up and every 50 checks; the checks that started late; the time per
check. With --dir it uses a running world; without, it brings one up in
/tmp/netctl-bench-watch and takes it down after. Needs root and a built tree. On a machine
shared with other test worlds, run it under their lock:
    flock /tmp/netctl-world.lock bench/watch/soak.py --build /tmp/build
"""
import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "../.."))
WORLD = os.path.join(REPO, "tests/world/world")

ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.path.join(REPO, "build"))
ap.add_argument("--dir")
ap.add_argument("--cycles", type=int, default=300)
ap.add_argument("--every", default="1s")
ap.add_argument("--keep", type=int, default=20)
ap.add_argument("--clusters", default="east:3,west:3")
a = ap.parse_args()
NETCTL = os.path.join(os.path.realpath(a.build), "cmd/netctl/netctl")
own_world = a.dir is None
wdir = a.dir or "/tmp/netctl-bench-watch"


def world(*args, **kw):
    return subprocess.run([WORLD, *args, "--dir", wdir], check=True, text=True,
                          capture_output=True, **kw).stdout


def in_world(argv):
    return [WORLD, "exec", "--dir", wdir, *argv]


if own_world:
    t = time.time()
    subprocess.run([WORLD, "up", "--clusters", a.clusters, "--dir", wdir, "--build", a.build],
                   check=True)
    print("world up in %.0fs" % (time.time() - t))

tmp = tempfile.mkdtemp(prefix="netctl-soak-")
db = os.path.join(tmp, "netctl.db")
env = dict(os.environ, NETCTL_DB=db, NO_COLOR="1")
names = [c.split(":")[0] for c in a.clusters.split(",")]
for c in names:
    subprocess.run(in_world([NETCTL, "cluster", "add", c, "--kubeconfig",
                             world("kubeconfig", c).strip()]), env=env, check=True,
                   capture_output=True)

p = subprocess.Popen(in_world([NETCTL, "watch", "--every", a.every, "--mesh", "--keep",
                               str(a.keep), "--listen", "127.0.0.1:0", "--protocol",
                               "icmp,tcp,udp", "--timeout", "500ms", "--pod-wait", "120s"]),
                     env=env, cwd=tmp, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     text=True, start_new_session=True)
lines, done = [], threading.Event()


def reader():
    for line in p.stderr:
        lines.append((time.time(), line.rstrip("\n")))
    done.set()


threading.Thread(target=reader, daemon=True).start()
scrapes = {"ok": 0, "failed": 0}


def scraper(url):
    while not done.is_set():
        r = subprocess.run(in_world(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                     "--max-time", "5", url]), capture_output=True, text=True)
        scrapes["ok" if r.stdout == "200" else "failed"] += 1
        time.sleep(1)


def rss_kib():
    with open("/proc/%d/status" % p.pid) as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])


def store_bytes():
    return sum(os.path.getsize(f) for f in (db, db + "-wal") if os.path.exists(f))


def runs():
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


rows, seen, t_start, url = [], 0, time.time(), None
marks = {1, 10} | set(range(50, a.cycles + 1, 50))
try:
    while seen < a.cycles and not done.is_set():
        time.sleep(0.05)
        if url is None:
            for _, l in lines:
                m = re.search(r"metrics on (http://\S+)", l)
                if m:
                    url = m.group(1)
                    threading.Thread(target=scraper, args=(url,), daemon=True).start()
        n = sum(1 for _, l in lines if re.match(r"netctl: check \d+ done", l))
        if n > seen:
            seen = n
            if seen in marks:
                rows.append((seen, rss_kib(), len(os.listdir("/proc/%d/fd" % p.pid)),
                             store_bytes(), runs(), time.time() - t_start))
finally:
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        p.wait(timeout=120)
    if own_world:
        subprocess.run([WORLD, "down", "--dir", wdir])

late = [l for _, l in lines if "longer than --every" in l]
failed = [l for _, l in lines if re.match(r"netctl: (re)?check \d+ failed", l)]
took = [float(m.group(1)) * (0.001 if m.group(2) == "ms" else 1) for _, l in lines
        for m in [re.search(r"failed in ([0-9.]+)(ms|s) ", l)] if m]
print("\nCHECKS  RSS KiB  FDS  STORE BYTES  RUNS  ELAPSED")
for r in rows:
    print("%6d  %7d  %3d  %11d  %4d  %6.0fs" % r)
print("\n%d checks in %.0fs (--every %s), %d late, %d failed; exit status %s" %
      (seen, time.time() - t_start, a.every, len(late), len(failed), p.returncode))
if took:
    took.sort()
    print("check wall time: median %.0f ms, max %.0f ms" % (took[len(took) // 2] * 1000,
                                                           took[-1] * 1000))
print("/metrics scrapes: %d ok, %d failed" % (scrapes["ok"], scrapes["failed"]))
if len(rows) >= 3:
    print("RSS: first check %d KiB, after 10 %d KiB, last %d KiB; fds first %d, last %d; "
          "store %d..%d bytes after check 50 (--keep %d)" %
          (rows[0][1], rows[1][1], rows[-1][1], rows[0][2], rows[-1][2],
           min(r[3] for r in rows[2:]), max(r[3] for r in rows[2:]), a.keep))
for l in (late + failed)[:5]:
    print("  " + l)
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(0 if seen >= a.cycles else 1)
