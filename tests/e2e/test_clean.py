"""netctl clean removes everything netctl created in each cluster (checked with kubectl)."""
import re
from e2e import *

st = Store()
r = st.netctl("check", "--mesh", "--protocol", "tcp", "--timeout", "1s",
              "--keep-floaters", "--pod-wait", "120s")
check(r.returncode == 0, "a check deploys floaters (exit %d)" % r.returncode)
# Somebody installs their own work into the namespace netctl created (Kosmos lives in
# kosmos-system): clean takes netctl's objects, keeps the namespace and theirs, and says so.
KC_NORTH = kubeconfig("north")
subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_NORTH, "-n", "kosmos-system", "create",
                         "deployment", "kosmos-operator", "--image=kosmos/operator:v0"]),
               check=True, capture_output=True)
r = st.netctl("clean")
log(r.stdout + r.stderr)
check(r.returncode == 0, "netctl clean exits 0 (got %d)" % r.returncode)
said = re.search(r"north: removed netctl's objects from kosmos-system; the namespace is kept: "
                 r"it holds (\S*kosmos-operator\S*), which netctl did not create", r.stdout + r.stderr)
check(said is not None, "clean says north's namespace is kept and why (%s)" %
      (said.group(1) if said else "not said"))


def kubectl_names(c, *what):
    return subprocess.run(in_world([KUBECTL, "--kubeconfig", kubeconfig(c), "get", *what,
                                    "-o", "name"]), capture_output=True, text=True).stdout.split()


deadline = time.time() + 120
while kubectl_names("north", "all", "-n", "kosmos-system", "-l",
                    "app.kubernetes.io/managed-by=netctl") and time.time() < deadline:
    time.sleep(2)
check(kubectl_names("north", "ns", "kosmos-system") == ["namespace/kosmos-system"],
      "north: the namespace survives clean")
check("deployment.apps/kosmos-operator" in kubectl_names("north", "deploy", "-n", "kosmos-system"),
      "north: the Deployment netctl did not create survives clean")
check(not kubectl_names("north", "all,secrets,sa", "-n", "kosmos-system", "-l",
                        "app.kubernetes.io/managed-by=netctl"),
      "north: netctl's own objects are gone")
subprocess.run(in_world([KUBECTL, "--kubeconfig", KC_NORTH, "delete", "ns", "kosmos-system",
                         "--wait=false"]), capture_output=True)
for c in ("east", "west"):
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
