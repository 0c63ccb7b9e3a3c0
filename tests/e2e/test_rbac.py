"""Least privilege, proven: check, resume and clean run as a user bound to nothing but the
roles of deploy/rbac.yaml (the test world's API servers authorize with RBAC), and a user
without pods/proxy gets one line naming that permission and exit 3 before anything is
deployed."""
from e2e import *

CL = "north"
NS = "netctl-rbac"  # deploy/rbac.yaml's namespace, renamed as its comment says
USER = "netctl-least"
ADMIN = world_out("kubeconfig", CL, "--admin").strip()
USER_KC = world_out("kubeconfig", CL, "--user", USER, "--group", USER).strip()
with open(os.path.join(SRC, "deploy/rbac.yaml")) as f:
    RBAC = f.read().replace("kosmos-system", NS)


def admin(*args, stdin=None):
    r = subprocess.run(in_world([KUBECTL, "--kubeconfig", ADMIN, *args]), input=stdin,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("kubectl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


admin("apply", "-f", "-", stdin=RBAC)
admin("-n", NS, "create", "rolebinding", "netctl-least", "--role=netctl", "--user=" + USER)
admin("create", "clusterrolebinding", "netctl-least", "--clusterrole=netctl", "--user=" + USER)
# the user can do no more than the roles say (a check of the binding itself)
can = subprocess.run(in_world([KUBECTL, "--kubeconfig", ADMIN, "auth", "can-i", "list", "secrets",
                               "-n", NS, "--as", USER]), capture_output=True, text=True)
check(can.stdout.strip() == "no", "the user may not list Secrets (%s)" % can.stdout.strip())

st = Store(register=())
r = st.netctl("cluster", "add", CL, "--kubeconfig", USER_KC)
check(r.returncode == 0, "cluster add with the least-privilege kubeconfig (exit %d)" % r.returncode)
COMMON = ["--src", CL, "--namespace", NS, "--timeout", "1s", "--pod-wait", "120s",
          "--keep-floaters"]

r = st.netctl("check", *COMMON, "--protocol", "icmp,tcp,udp")
log(r.stdout[-1500:] + r.stderr[-1500:])
check(r.returncode == 0, "check as the least-privilege user passes (exit %d)" % r.returncode)

# resume: a run with failures, the fault undone, then resume re-probes them
a, b = nodes(CL)[:2]
fid = fault("drop", a, b, "--proto", "tcp")
r = st.netctl("check", *COMMON, "--protocol", "tcp")
check(r.returncode == 1, "check with a dropped link fails (exit %d)" % r.returncode)
failed_run = st.last_run()
fault("undo", fid)
r = st.netctl("resume", "--run", str(failed_run))
log(r.stdout[-800:] + r.stderr[-800:])
check(r.returncode == 0, "resume as the least-privilege user passes (exit %d)" % r.returncode)

# clean: netctl's objects go, the administrator's namespace stays
r = st.netctl("clean", "--namespace", NS)
log(r.stdout + r.stderr)
check(r.returncode == 0, "clean as the least-privilege user exits 0 (got %d)" % r.returncode)
left = admin("-n", NS, "get", "daemonsets,secrets", "-l", "app.kubernetes.io/managed-by=netctl",
             "-o", "name").split()
check(not left, "clean removed netctl's objects (%s)" % left)
check(admin("get", "ns", NS, "-o", "name").strip() == "namespace/" + NS,
      "the namespace the administrator made is kept")

# without pods/proxy: refused before anything is deployed, one line, exit 3
admin("apply", "-f", "-", stdin=RBAC[:RBAC.index("- apiGroups: [\"\"]\n  resources: [\"pods/proxy\"]")])
r = st.netctl("check", *COMMON, "--protocol", "tcp")
err = r.stderr.strip().splitlines()
log(r.stderr)
check(r.returncode == 3, "check without pods/proxy exits 3 (got %d)" % r.returncode)
check(len(err) == 1 and "may not create pods/proxy" in err[0],
      "one line naming pods/proxy (%s)" % err)
check(not admin("-n", NS, "get", "daemonsets", "-o", "name").split(),
      "nothing was deployed without pods/proxy")

admin("delete", "ns", NS, "--wait=false")
admin("delete", "clusterrolebinding", "netctl-least")
admin("delete", "clusterrole", "netctl")
finish()
