#!/usr/bin/env python3
"""CPU seconds per process kind from /proc (bench/scale: robust on a loaded machine).

  cpu.py snap FILE           every process's utime + stime now, and /proc/stat's totals
  cpu.py diff A B [--json]   what each kind of process spent between two snapshots

A process is told apart by pid and start time (a reused pid is another process); one that
exited between the snapshots is not seen (netctl's own CPU comes from its rusage)."""
import collections
import json
import os
import sys

HZ = os.sysconf("SC_CLK_TCK")
KINDS = ("floater", "kube-apiserver", "kubesim", "etcd", "kube-controller", "kube-scheduler",
         "netctl", "ksoftirqd", "kworker")


def snap(path):
    rows = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                s = f.read()
        except OSError:
            continue
        r = s.rfind(")")
        comm = s[s.find("(") + 1:r].replace(" ", "_")
        f = s[r + 2:].split()
        rows.append("%s %s %s %s %s" % (p, f[19], comm, f[11], f[12]))
    with open("/proc/stat") as f:
        stat = f.readline().split()[1:]
    with open(path, "w") as fo:
        fo.write("STAT " + " ".join(stat) + "\n" + "\n".join(rows) + "\n")


def load(path):
    procs, stat = {}, None
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "STAT":
                stat = [int(x) for x in w[1:]]
            else:
                procs[(w[0], w[1])] = (w[2], int(w[3]), int(w[4]))
    return procs, stat


def kind(comm):
    for k in KINDS:
        if comm.startswith(k):
            return k
    return "other"


def diff(a_path, b_path):
    a, sa = load(a_path)
    b, sb = load(b_path)
    out = collections.defaultdict(lambda: {"procs": 0, "user": 0.0, "sys": 0.0})
    for key, (comm, ut, st) in b.items():
        ua, sta = a[key][1:] if key in a else (0, 0)
        k = out[kind(comm)]
        k["procs"] += 1
        k["user"] += (ut - ua) / HZ
        k["sys"] += (st - sta) / HZ
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    machine = {names[i]: (sb[i] - sa[i]) / HZ for i in range(len(names))}
    return dict(out), machine


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "snap":
        return snap(sys.argv[2])
    if len(sys.argv) >= 4 and sys.argv[1] == "diff":
        kinds, machine = diff(sys.argv[2], sys.argv[3])
        if "--json" in sys.argv[4:]:
            print(json.dumps({"kinds": kinds, "machine": machine}))
            return
        print("machine: " + " ".join("%s %.1f" % kv for kv in machine.items()))
        for k, v in sorted(kinds.items(), key=lambda kv: -(kv[1]["user"] + kv[1]["sys"])):
            if v["user"] + v["sys"] >= 0.05:
                print("%-16s procs %5d user %8.2f s sys %8.2f s total %8.2f s" %
                      (k, v["procs"], v["user"], v["sys"], v["user"] + v["sys"]))
        return
    sys.exit(__doc__)


main()
