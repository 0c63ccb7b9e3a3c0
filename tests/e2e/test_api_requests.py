"""API requests of a check grow with nodes, never with pairs: the API server's own count
(apiserver_request_total on /metrics) of a check of the biggest world cluster stays
within 3 x nodes + 50, and netctl's own count agrees with the server's."""
import re
from e2e import *

CLUSTER = os.environ.get("E2E_API_CLUSTER", "north")
n = len(nodes(CLUSTER))
st = Store(register=(CLUSTER,))


def server_requests():
    out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(CLUSTER), "get",
                                   "--raw", "/metrics"]), capture_output=True, text=True,
                         check=True).stdout
    total = 0
    for line in out.splitlines():
        if line.startswith("apiserver_request_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


# warm-up: floaters deployed, so the measured check is a steady-state one
r = st.netctl("check", "--src", CLUSTER, "--protocol", "tcp", "--timeout", "1s",
              "--keep-floaters", "--pod-wait", "120s")
check(r.returncode == 0, "warm-up check passes (exit %d)" % r.returncode)

for protocols in ("tcp", "icmp,tcp,udp"):
    before = server_requests()
    r = st.netctl("check", "--src", CLUSTER, "--protocol", protocols, "--family", "4,6",
                  "--timeout", "1s", "--keep-floaters")
    after = server_requests()
    # the two scrapes (kubectl) count too: one each, plus discovery requests of kubectl
    used = after - before
    m = re.search(r"(\d+) API requests", r.stdout)
    ours = int(m.group(1)) if m else -1
    pairs = n * (n - 1)
    log("%s: %d nodes, %d pairs: server counted %d requests, netctl %d" %
        (protocols, n, pairs, used, ours))
    check(r.returncode == 0, "%s: check passes (exit %d)" % (protocols, r.returncode))
    check(used <= 3 * n + 50, "%s: %d API requests <= 3 x %d nodes + 50" % (protocols, used, n))
    check(0 < ours <= used, "%s: netctl's count (%d) within the server's (%d)" %
          (protocols, ours, used))
finish()
