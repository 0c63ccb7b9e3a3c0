"""netctl clean removes everything netctl created in each cluster (checked with kubectl)."""
from e2e import *

st = Store()
r = st.netctl("check", "--src", "east", "--protocol", "tcp", "--timeout", "1s",
              "--keep-floaters", "--pod-wait", "120s")
check(r.returncode == 0, "a check deploys floaters (exit %d)" % r.returncode)
r = st.netctl("clean")
log(r.stdout + r.stderr)
check(r.returncode == 0, "netctl clean exits 0 (got %d)" % r.returncode)
for c in CLUSTERS:
    deadline = time.time() + 120
    while True:
        out = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(c), "get",
                                       "all,secrets,sa", "-n", "kosmos-system",
                                       "-l", "app.kubernetes.io/managed-by=netctl",
                                       "-o", "name"]), capture_output=True, text=True)
        ns = subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(c), "get", "ns",
                                      "kosmos-system", "-o", "name"]),
                            capture_output=True, text=True)
        left = out.stdout.split() + ns.stdout.split()
        if not left or time.time() > deadline:
            break
        time.sleep(2)
    check(not left, "%s: nothing of netctl's is left (%s)" % (c, left))
finish()
