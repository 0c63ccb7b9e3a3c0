#!/usr/bin/env bash
# bench/scale: what a full-mesh check costs per result as the cluster grows (issue #20).
# For each size N: one simulated cluster of N nodes, a cold check (floaters deployed) and a
# warm one, both with netctl's default options (tcp, --timeout 2s); around the warm one the
# CPU seconds of every process kind (/proc deltas: robust on a loaded machine) and the bytes
# between netctl and the API server (an nftables counter on the world's loopback, less the
# idle world's own rate on that port). bench/probe-rate's single-floater TCP rate is taken
# in the same run. Prints the table, writes DIR/scale.tsv and DIR/scale.svg (gnuplot).
#   bench/scale/run.sh [--build DIR] [--nodes 50,200,1000] [--out DIR] [--pod-wait 900s]
# Needs root and a built tree; brings up one world at a time and takes each down. Not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD BUILD=$PWD/build NODES=50,200,1000 OUT='' POD_WAIT=900s
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--pod-wait) POD_WAIT=$2; shift 2 ;;
	*) echo "scale: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "scale: run as root (network namespaces)" >&2; exit 1; }
NETCTL=$BUILD/cmd/netctl/netctl WORLD=$SRC/tests/world/world CPU=$SRC/bench/scale/cpu.py
OUT=${OUT:-$(mktemp -d /tmp/netctl-bench-scale.XXXXXX)}
mkdir -p "$OUT"
chmod 755 "$OUT" # floaters run as nobody and read their token from under here
APIPORT=26443    # cluster 0's API server on the world's loopback (tests/world/lib.sh)

# bytes DIR: netctl->server and server->netctl bytes so far on the API server's port
bytes() {
	$WORLD exec --dir "$1" nft list table inet ncscale |
		awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "bytes") printf "%s ", $(i + 1) } END { print "" }'
}

# check DIR NAME: one `netctl check` of the whole mesh; NAME.out holds its summary and
# "WALL s RSS MB USER s SYS s RC n" (netctl's rusage: the largest process `world exec` ran)
check() {
	python3 - "$WORLD" "$1" "$NETCTL" "$POD_WAIT" >"$OUT/$2.out" 2>"$OUT/$2.err" <<'PY'
import resource, subprocess, sys, time
world, wdir, netctl, pod_wait = sys.argv[1:]
t = time.time()
r = subprocess.run([world, "exec", "--dir", wdir, netctl, "check", "--src", "bench",
                    "--protocol", "tcp", "--timeout", "2s", "--pod-wait", pod_wait,
                    "--keep-floaters", "-q"], capture_output=True, text=True)
wall = time.time() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.stdout)
print("WALL %.2f RSS %.1f USER %.2f SYS %.2f RC %d" % (wall, ru.ru_maxrss / 1024, ru.ru_utime,
                                                      ru.ru_stime, r.returncode))
sys.stderr.write(r.stderr[-4000:])
PY
}

# The single-floater TCP rate and CPU per probe on this machine, now.
bench/probe-rate/run.sh "$BUILD/floater/floater" 1000 20 1 >"$OUT/probe-rate.txt" 2>&1 || true
PR_LINE=$(grep '^floater tcp' "$OUT/probe-rate.txt" || true)
PR_RATE=$(awk '{print $3}' <<<"$PR_LINE")
PR_CPU=$(sed -n 's/.*CPU\/probe \([0-9.]*\);.*/\1/p' <<<"$PR_LINE")
echo "# bench/probe-rate, one floater, TCP: ${PR_RATE:-?} probes/s, ${PR_CPU:-?} us CPU per probe" >&2

printf 'nodes\tresults\tfailed\tcold_probing_s\twarm_probing_s\tpairs_per_s\tapiserver_us\tbytes\tnetctl_us\tnetctl_rss_mb\tfloater_us\tapi_requests\tratio\n' >"$OUT/scale.tsv"
for n in ${NODES//,/ }; do
	w=$OUT/world-$n
	$WORLD up --clusters "bench:$n" --dir "$w" --build "$BUILD" >"$OUT/world-$n.log" 2>&1 ||
		{ tail -20 "$OUT/world-$n.log" >&2; $WORLD down --dir "$w" >/dev/null 2>&1; exit 1; }
	export NETCTL_DB=$OUT/netctl-$n.db
	$WORLD exec --dir "$w" "$NETCTL" cluster add bench \
		--kubeconfig "$($WORLD kubeconfig bench --dir "$w")" >/dev/null
	$WORLD exec --dir "$w" nft -f - <<-NFT
		table inet ncscale {
			chain o { type filter hook output priority 0; oif "lo" tcp dport $APIPORT counter; oif "lo" tcp sport $APIPORT counter; }
		}
	NFT
	check "$w" "cold-$n"
	b0=$(bytes "$w"); sleep 20; b1=$(bytes "$w")
	python3 "$CPU" snap "$OUT/cpu-$n.a"; t0=$(date +%s.%N)
	check "$w" "warm-$n"
	t1=$(date +%s.%N); b2=$(bytes "$w"); python3 "$CPU" snap "$OUT/cpu-$n.b"
	python3 "$CPU" diff "$OUT/cpu-$n.a" "$OUT/cpu-$n.b" >"$OUT/cpu-$n.txt"
	python3 "$CPU" diff "$OUT/cpu-$n.a" "$OUT/cpu-$n.b" --json >"$OUT/cpu-$n.json"
	$WORLD down --dir "$w" >/dev/null 2>&1 || true
	python3 - "$n" "$OUT" "$b0" "$b1" "$b2" "$t0" "$t1" "${PR_RATE:-0}" >>"$OUT/scale.tsv" <<-'PY'
		import json, re, sys
		n, out = sys.argv[1:3]
		b0, b1, b2 = ([int(x) for x in a.split()] for a in sys.argv[3:6])
		t0, t1, pr = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
		def secs(s):
		    return sum(float(v) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u]
		               for v, u in re.findall(r"([0-9.]+)(ms|h|m|s)", s))
		def summary(kind):
		    text = open("%s/%s-%s.out" % (out, kind, n)).read()
		    m = re.search(r"^run \d+ \w+: (\d+) of (\d+) results, (\d+) failed; .*probing ([^,]+), "
		                  r"store [^,]+, (\d+) API requests", text, re.M)
		    w = re.search(r"^WALL \S+ RSS (\S+) USER (\S+) SYS (\S+) RC", text, re.M)
		    return m, w
		cm, _ = summary("cold")
		m, w = summary("warm")
		if not m or not w or not cm:
		    print("%s\tcheck failed, see %s" % (n, out))
		    sys.exit(0)
		results, failed, probing, api = int(m.group(1)), int(m.group(3)), secs(m.group(4)), int(m.group(5))
		kinds = json.load(open("%s/cpu-%s.json" % (out, n)))["kinds"]
		cpu = lambda k: kinds.get(k, {}).get("user", 0) + kinds.get(k, {}).get("sys", 0)
		idle = (b1[0] + b1[1] - b0[0] - b0[1]) / 20.0
		moved = b2[0] + b2[1] - b1[0] - b1[1] - idle * (t1 - t0)
		rate = results / max(probing, 0.001)
		print("\t".join(str(x) for x in (
		    n, results, failed, "%.2f" % secs(cm.group(4)), "%.2f" % probing, "%.0f" % rate,
		    "%.1f" % (cpu("kube-apiserver") * 1e6 / results), "%.0f" % (moved / results),
		    "%.1f" % ((float(w.group(2)) + float(w.group(3))) * 1e6 / results), w.group(1),
		    "%.0f" % (cpu("floater") * 1e6 / results), api, "%.2f" % (rate / pr if pr else 0))))
	PY
done

column -t -s $'\t' "$OUT/scale.tsv"
echo "# ratio: warm pairs/s over bench/probe-rate's single-floater TCP probes/s (${PR_RATE:-?}); floater_us: the floaters' CPU per pair, next to probe-rate's ${PR_CPU:-?} us per probe" >&2
if command -v gnuplot >/dev/null; then
	gnuplot <<-GP
		set terminal svg size 720,440 dynamic background rgb "white"
		set output "$OUT/scale.svg"
		set title "netctl check, one cluster, full mesh, tcp (warm)"
		set xlabel "pairs"
		set ylabel "probing time (s)"
		set y2label "pairs/s"
		set y2tics
		set y2range [0:*]
		set ytics nomirror
		set logscale xy
		set key left top
		set grid
		plot "$OUT/scale.tsv" using 2:5 skip 1 with linespoints title "probing time", \
		     "" using 2:6 skip 1 axes x1y2 with linespoints title "pairs/s"
	GP
	echo "# plot: $OUT/scale.svg" >&2
fi
echo "# outputs in $OUT" >&2
