"""Safe under attack (issue 15's acceptance): while every floater of east holds 120 idle
connections without the token (600 in all) and one slow-body sender each, all from the
world namespace, the address the API server's pod proxy also comes from, a healthy check of
east passes with 0 failed results, and every floater stays within 16 MB RSS."""
from e2e import *

CL = "east"
LOAD = r'''
import socket, sys, time
ips, per, hold = sys.argv[1].split(","), int(sys.argv[2]), float(sys.argv[3])
held, slow = [], []
for ip in ips:
    for _ in range(per):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((ip, 8889))
        held.append(s)
    s = socket.create_connection((ip, 8889), timeout=2)
    s.sendall(b"POST /v1/probe HTTP/1.1\r\nHost: x\r\nContent-Length: 1048000\r\n\r\n")
    slow.append(s)
print("load: %d idle connections, %d slow senders" % (len(held), len(slow)), flush=True)
end = time.time() + hold
while time.time() < end:
    for s in slow:
        try:
            s.send(b"x")
        except OSError:
            pass
    time.sleep(0.5)
'''

st = Store(register=(CL,))
COMMON = ["--src", CL, "--protocol", "icmp,tcp,udp", "--family", "4,6", "--timeout", "1s",
          "--keep-floaters", "--pod-wait", "120s"]
r = st.netctl("check", *COMMON)
check(r.returncode == 0, "warm-up check deploys the floaters (exit %d)" % r.returncode)

rows = [l.split() for l in world_out("nodes", CL).splitlines() if l.strip()]
# columns: name node-ns node-v4 node-v6 pod-ns pod-v4 pod-v6
pod_ips = [row[5] for row in rows if len(row) > 5 and row[5] != "-"]
pod_ns = [row[4] for row in rows if len(row) > 4 and row[4] != "-"]
check(len(pod_ips) == 5, "5 floater pod addresses in %s (%s)" % (CL, pod_ips))

# the flood is a fault of its own: what it makes the kernel count is not a false failure
ACTIVE_FAULTS.add("load")
load = subprocess.Popen(in_world(["python3", "-c", LOAD, ",".join(pod_ips), "120", "60"]),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
log(load.stdout.readline().strip())
t0 = time.time()
r = st.netctl("check", *COMMON)
run = st.last_run()
log(r.stdout[-1200:] + r.stderr[-800:])
check(r.returncode == 0 and st.failed_count(run) == 0,
      "under load the check passes with 0 failed results (exit %d, %d failed, %.1f s)" %
      (r.returncode, st.failed_count(run), time.time() - t0))


def rss_kb(ns):
    """The largest VmRSS (kB) of the processes in a pod's network namespace."""
    pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                          text=True).stdout.split()
    worst = 0
    for pid in pids:
        try:
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        worst = max(worst, int(line.split()[1]))
        except OSError:
            pass
    return worst


rss = [rss_kb(ns) for ns in pod_ns]
log("floater RSS under load (kB): %s" % rss)
check(rss and all(0 < v <= 16 * 1024 for v in rss),
      "every floater stays within 16 MB RSS under load (%s kB)" % rss)
load.kill()
load.wait()
ACTIVE_FAULTS.discard("load")
finish()
