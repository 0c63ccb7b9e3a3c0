#!/usr/bin/env bash
# bench/check: wall time of `netctl check` on one simulated cluster of N nodes (a full
# mesh, N x (N-1) pairs), split into rollout, probing and store, with pairs/s, netctl's
# peak RSS and its API requests, for a cold run (floaters deployed and waited for) and a warm
# one (floaters already there). Not a test: prints numbers. Needs root and a built tree.
#   bench/check/run.sh [--build DIR] [--nodes 50,200,1000] [--protocol tcp] [--count 1]
#                      [--concurrency N[,M...]] [--pod-wait D]     (KEEP=1 keeps the outputs)
# The cold run uses the first concurrency, then one warm run per concurrency listed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$PWD/build NODES=50,200 PROTO=tcp COUNT=1 CONC=64 POD_WAIT=900s
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--protocol) PROTO=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--concurrency) CONC=$2; shift 2 ;;
	--pod-wait) POD_WAIT=$2; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
NETCTL=$BUILD/cmd/netctl/netctl
WORLD=tests/world/world

# check CONCURRENCY: one `netctl check` of the whole mesh, timed; prints its summary line and
# "WALL seconds RSS MB RC code" (peak RSS of netctl, the largest process `world exec` ran).
check() {
	python3 - "$WORLD" "$dir/world" "$NETCTL" "$PROTO" "$COUNT" "$1" "$POD_WAIT" <<'PY'
import resource, subprocess, sys, time
world, wdir, netctl, proto, count, conc, pod_wait = sys.argv[1:]
t = time.time()
r = subprocess.run([world, "exec", "--dir", wdir, netctl, "check", "--src", "bench",
                    "--protocol", proto, "--count", count, "--timeout", "2s",
                    "--concurrency", conc, "--pod-wait", pod_wait, "--keep-floaters", "-q"],
                   capture_output=True, text=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(r.stdout)
print("WALL %.2f RSS %.1f RC %d" % (wall, rss, r.returncode))
sys.stderr.write(r.stderr[-4000:])
PY
}

# row N KIND CONCURRENCY FILE: one line of the table from a check's output
row() {
	python3 - "$1" "$2" "$3" "$4" <<'PY'
import re, sys
n, kind, conc, path = sys.argv[1:]
text = open(path).read()
def secs(s):
    total = 0.0
    for v, u in re.findall(r"([0-9.]+)(ms|h|m|s)", s):
        total += float(v) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u]
    return total
m = re.search(r"^run \d+ \w+: (\d+) of (\d+) results, (\d+) failed; floaters ready in ([^,]+), "
              r"(?:node table ([^,]+), )?probing ([^,]+), store ([^,]+), (\d+) API requests",
              text, re.M)
w = re.search(r"^WALL ([0-9.]+) RSS ([0-9.]+) RC (\d+)", text, re.M)
if not m or not w:
    print("%-6s %-5s %-5s check failed, see %s" % (n, kind, conc, path))
    sys.exit(0)
done, total, failed, rollout, table, probing, store, api = m.groups()
rate = int(int(done) / max(secs(probing), 0.001))
print("%-6s %-5s %-5s %-9s %-7s %-8s %-9s %-7s %-9s %-8s %-8s %-8s %-7s %-8s" % (
    n, kind, conc, total, failed, "%.1fs" % float(w.group(1)), "%.1fs" % secs(rollout),
    "%.2fs" % secs(table or "0ms"), "%.2fs" % secs(probing), "%.2fs" % secs(store), rate, w.group(2), api, w.group(3)))
PY
}

printf '%-6s %-5s %-5s %-9s %-7s %-8s %-9s %-7s %-9s %-8s %-8s %-8s %-7s %-8s\n' nodes run conc \
	results failed wall rollout table probing store pairs/s rss_MB api_req exit
for n in ${NODES//,/ }; do
	dir=$(mktemp -d /tmp/netctl-bench-check.XXXXXX)
	# floaters run as nobody and read their token from under here (mktemp made it 0700)
	chmod 755 "$dir"
	t0=$(date +%s.%N)
	$WORLD up --clusters "bench:$n" --dir "$dir/world" --build "$BUILD" >"$dir/world.log" 2>&1 ||
		{ tail -20 "$dir/world.log"; $WORLD down --dir "$dir/world" >/dev/null 2>&1; exit 1; }
	t1=$(date +%s.%N)
	echo "# $n nodes: world up in $(python3 -c "print('%.0f' % ($t1 - $t0))") s" >&2
	export NETCTL_DB=$dir/netctl.db
	$WORLD exec --dir "$dir/world" "$NETCTL" cluster add bench \
		--kubeconfig "$($WORLD kubeconfig bench --dir "$dir/world")" >/dev/null
	# cold: deploys the floaters and waits for all of them; warm: they are already there
	before=$($WORLD counters --dir "$dir/world")
	check "${CONC%%,*}" >"$dir/cold.out" 2>"$dir/cold.err"
	row "$n" cold "${CONC%%,*}" "$dir/cold.out"
	for c in ${CONC//,/ }; do
		check "$c" >"$dir/warm-$c.out" 2>"$dir/warm-$c.err"
		row "$n" warm "$c" "$dir/warm-$c.out"
	done
	# a healthy world must yield 0 failed: the kernel's own loss counters say whether a
	# failure above was this machine's (neighbour table full, socket buffers, listen queues)
	moved=$(join <(sort <<<"$before") <($WORLD counters --dir "$dir/world" | sort) |
		awk '$1 != "namespaces" && $3 > $2 { printf "%s +%d ", $1, $3 - $2 }')
	echo "# $n nodes: kernel loss counters during the checks: ${moved:-none moved}" >&2
	$WORLD down --dir "$dir/world" >/dev/null 2>&1 || true
	if [[ -n ${KEEP:-} ]]; then echo "# outputs kept in $dir" >&2; else rm -rf "$dir"; fi
done
