#!/usr/bin/env bash
# bench/check: wall time of `netctl check` on one simulated cluster of N nodes (a full
# mesh, N x (N-1) pairs), split into rollout, probing and store, with pairs/s, netctl's
# peak RSS and its API requests. Not a test: prints numbers. Needs root and a built tree.
#   bench/check/run.sh [--build DIR] [--nodes 50,200,1000] [--protocol tcp] [--count 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$PWD/build NODES=50,200 PROTO=tcp COUNT=1 CONC=64
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--protocol) PROTO=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	--concurrency) CONC=$2; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
NETCTL=$BUILD/cmd/netctl/netctl
WORLD=tests/world/world

printf '%-6s %-10s %-9s %-9s %-9s %-9s %-10s %-9s %-8s\n' nodes results world_up rollout probing store results/s rss_MB api_req
for n in ${NODES//,/ }; do
	dir=$(mktemp -d /tmp/netctl-bench-check.XXXXXX)
	t0=$(date +%s.%N)
	$WORLD up --clusters "bench:$n" --dir "$dir/world" --build "$BUILD" >"$dir/world.log" 2>&1 ||
		{ tail -20 "$dir/world.log"; exit 1; }
	t1=$(date +%s.%N)
	export NETCTL_DB=$dir/netctl.db
	$WORLD exec --dir "$dir/world" "$NETCTL" cluster add bench \
		--kubeconfig "$($WORLD kubeconfig bench --dir "$dir/world")" >/dev/null
	python3 - "$WORLD" "$dir/world" "$NETCTL" "$PROTO" "$COUNT" "$CONC" >"$dir/check.out" 2>"$dir/check.err" <<'PY'
import resource, subprocess, sys, time
world, wdir, netctl, proto, count, conc = sys.argv[1:]
t = time.time()
r = subprocess.run([world, "exec", "--dir", wdir, netctl, "check", "--src", "bench",
                    "--protocol", proto, "--count", count, "--timeout", "2s",
                    "--concurrency", conc, "--pod-wait", "600s", "--keep-floaters", "-q"],
                   capture_output=True, text=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(r.stdout)
print("WALL %.2f RSS %.1f RC %d" % (wall, rss, r.returncode))
sys.stderr.write(r.stderr)
PY
	line=$(grep '^run .* results' "$dir/check.out" | tail -1)
	wall=$(awk '/^WALL/ {print $2}' "$dir/check.out")
	rss=$(awk '/^WALL/ {print $4}' "$dir/check.out")
	results=$(sed -E 's/.*: ([0-9]+) of ([0-9]+) results.*/\1/' <<<"$line")
	rollout=$(sed -E 's/.*floaters ready in ([^,]+),.*/\1/' <<<"$line")
	probing=$(sed -E 's/.*probing ([^,]+),.*/\1/' <<<"$line")
	store=$(sed -E 's/.*store ([^,]+),.*/\1/' <<<"$line")
	api=$(sed -E 's/.* ([0-9]+) API requests.*/\1/' <<<"$line")
	probe_s=$(python3 -c "
import re,sys
s='$probing'
m=re.match(r'([0-9.]+)(ms|s|m)',s)
v=float(m.group(1)); u=m.group(2)
print(v/1000 if u=='ms' else v*60 if u=='m' else v)")
	rate=$(python3 -c "print(int($results/max($probe_s,0.001)))")
	printf '%-6s %-10s %-9s %-9s %-9s %-9s %-10s %-9s %-8s\n' "$n" "$results" \
		"$(python3 -c "print('%.1fs' % ($t1-$t0))")" "$rollout" "$probing" "$store" "$rate" "$rss" "$api"
	$WORLD down --dir "$dir/world" >/dev/null 2>&1 || true
	rm -rf "$dir"
done
