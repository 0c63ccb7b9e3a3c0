#!/usr/bin/env bash
# bench/scale: what a full-mesh check costs per result as the cluster grows (issue #20).
# For each size N: one simulated cluster of N nodes, a cold check (floaters deployed) and a
# warm one, both with netctl's default options (tcp, --timeout 2s); around the warm one the
# CPU seconds of every process kind (/proc deltas: robust on a loaded machine), the bytes
# between netctl and the API servers (an nftables counter on the world's loopback) less the
# idle world's own rate, the idle world's API server CPU (both the median of five 20 s
# windows around the warm check), and the kernel's loss counters of the world (`world
# counters`) over each check.
# bench/probe-rate's single-floater TCP rate is taken in the same run. Prints the table, writes DIR/scale.tsv and DIR/scale.svg.
#   bench/scale/run.sh [--build DIR] [--nodes 50,200,1000] [--out DIR] [--pod-wait 900s]
#   bench/scale/run.sh [--build DIR] --clusters a:1000,b:1000 --src a --dst b [--out DIR]
# The second form measures one world of several clusters (a federation) with
# `check --src A [--dst B]` instead of the sizes.
# Needs root and a built tree; brings up one world at a time and takes each down. Not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD BUILD=$PWD/build NODES=50,200,1000 OUT='' POD_WAIT=900s SPEC='' SEL_SRC='' SEL_DST=''
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--clusters) SPEC=$2; shift 2 ;;
	--src) SEL_SRC=$2; shift 2 ;;
	--dst) SEL_DST=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--pod-wait) POD_WAIT=$2; shift 2 ;;
	*) echo "scale: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "scale: run as root (network namespaces)" >&2; exit 1; }
[[ -z $SPEC || -n $SEL_SRC ]] || { echo "scale: --clusters needs --src" >&2; exit 2; }
NETCTL=$BUILD/cmd/netctl/netctl WORLD=$SRC/tests/world/world CPU=$SRC/bench/scale/cpu.py
OUT=${OUT:-$(mktemp -d /tmp/netctl-bench-scale.XXXXXX)}
mkdir -p "$OUT"
chmod 755 "$OUT" # floaters run as nobody and read their token from under here
# worlds to measure, each "SPEC SRC DST" (DST "-": the source's own mesh)
if [[ -n $SPEC ]]; then
	WORLDS=("$SPEC $SEL_SRC ${SEL_DST:--}")
else
	WORLDS=()
	for n in ${NODES//,/ }; do WORLDS+=("bench:$n bench -"); done
fi

# bytes DIR: netctl->server and server->netctl bytes so far on the API server's port
bytes() {
	$WORLD exec --dir "$1" nft list table inet ncscale |
		awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "bytes") printf "%s ", $(i + 1) } END { print "" }'
}

# check DIR NAME SRC DST: one `netctl check` (DST "-": SRC's own mesh); NAME.out holds its
# summary and "WALL s RSS MB USER s SYS s RC n" (netctl's rusage: the largest process
# `world exec` ran); NAME.counters the world's kernel loss counters that moved.
check() {
	local c0
	c0=$($WORLD counters --dir "$1")
	python3 - "$WORLD" "$1" "$NETCTL" "$POD_WAIT" "$3" "$4" >"$OUT/$2.out" 2>"$OUT/$2.err" <<'PY'
import resource, subprocess, sys, time
world, wdir, netctl, pod_wait, src, dst = sys.argv[1:]
sel = ["--src", src] + (["--dst", dst] if dst != "-" else [])
t = time.time()
r = subprocess.run([world, "exec", "--dir", wdir, netctl, "check"] + sel +
                   ["--protocol", "tcp", "--timeout", "2s", "--pod-wait", pod_wait,
                    "--keep-floaters", "-q"], capture_output=True, text=True)
wall = time.time() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.stdout)
print("WALL %.2f RSS %.1f USER %.2f SYS %.2f RC %d" % (wall, ru.ru_maxrss / 1024, ru.ru_utime,
                                                      ru.ru_stime, r.returncode))
sys.stderr.write(r.stderr[-4000:])
PY
	paste -d' ' <(echo "$c0") <($WORLD counters --dir "$1") | awk '$1 != "namespaces" && $4 != $2 { print $1, $4 - $2 }' >"$OUT/$2.counters"
}

# idle_window DIR TAG I: 20 s of the idle world: OUT/idle-TAG-I.json holds its CPU by
# process kind, its bytes on the API servers' ports and its length
idle_window() {
	local a b t0 t1
	python3 "$CPU" snap "$OUT/idle-$2-$3.a"; t0=$(date +%s.%N); a=$(bytes "$1")
	sleep 20
	b=$(bytes "$1"); t1=$(date +%s.%N); python3 "$CPU" snap "$OUT/idle-$2-$3.b"
	python3 "$CPU" diff "$OUT/idle-$2-$3.a" "$OUT/idle-$2-$3.b" --json |
		python3 -c 'import json, sys; d = json.load(sys.stdin); a, b = (sum(map(int, x.split())) for x in sys.argv[1:3]); d["bytes"] = b - a; d["secs"] = float(sys.argv[4]) - float(sys.argv[3]); print(json.dumps(d))' "$a" "$b" "$t0" "$t1" >"$OUT/idle-$2-$3.json"
}

# The single-floater TCP rate and CPU per probe on this machine, now.
bench/probe-rate/run.sh "$BUILD/floater/floater" 1000 20 1 >"$OUT/probe-rate.txt" 2>&1 || true
PR_LINE=$(grep '^floater tcp' "$OUT/probe-rate.txt" || true)
PR_RATE=$(awk '{print $3}' <<<"$PR_LINE")
PR_CPU=$(sed -n 's/.*CPU\/probe \([0-9.]*\);.*/\1/p' <<<"$PR_LINE")
echo "# bench/probe-rate, one floater, TCP: ${PR_RATE:-?} probes/s, ${PR_CPU:-?} us CPU per probe" >&2

printf 'world\tnodes\tresults\tfailed\tcold_probing_s\twarm_probing_s\tpairs_per_s\tworld_ceiling\tapiserver_us\tapiserver_ms_s\tapiserver_idle_ms_s\tbytes\tnetctl_us\tnetctl_rss_mb\tfloater_us\tapi_requests\trequest_bound\tkernel_drops\tratio\n' >"$OUT/scale.tsv"
for wsel in "${WORLDS[@]}"; do
	read -r spec src dst <<<"$wsel"
	tag=${spec//[:,]/-}
	w=$OUT/world-$tag
	$WORLD up --clusters "$spec" --dir "$w" --build "$BUILD" >"$OUT/world-$tag.log" 2>&1 ||
		{ tail -20 "$OUT/world-$tag.log" >&2; $WORLD down --dir "$w" >/dev/null 2>&1; exit 1; }
	export NETCTL_DB=$OUT/netctl-$tag.db
	ports=() nclusters=0
	for c in $(tr ',' '\n' <<<"$spec" | cut -d: -f1); do
		$WORLD exec --dir "$w" "$NETCTL" cluster add "$c" \
			--kubeconfig "$($WORLD kubeconfig "$c" --dir "$w")" >/dev/null
		ports+=($((26443 + 10 * nclusters))) # cluster c's API server (tests/world/lib.sh)
		nclusters=$((nclusters + 1))
	done
	portset=$(IFS=,; echo "${ports[*]}")
	$WORLD exec --dir "$w" nft -f - <<-NFT
		table inet ncscale {
			chain o { type filter hook output priority 0; oif "lo" tcp dport { $portset } counter; oif "lo" tcp sport { $portset } counter; }
		}
	NFT
	check "$w" "cold-$tag" "$src" "$dst"
	# The idle world's own rate (kubesim's node heartbeats, the controllers; the API
	# servers' port traffic and CPU), taken off the warm check's figures: the median of
	# 20 s windows, three before the warm check and two after it, so that one window with
	# a burst of the world's own (measured: 80 ms/s of API server CPU right after a
	# 1,000-node rollout, 330 ms/s in one window after a warm check) does not decide it.
	sleep 20 # the rollout's aftermath (pod statuses, controllers) settles first
	for i in 1 2 3; do idle_window "$w" "$tag" "$i"; done
	python3 "$CPU" snap "$OUT/cpu-$tag.a"; t0=$(date +%s.%N); b0=$(bytes "$w")
	check "$w" "warm-$tag" "$src" "$dst"
	t1=$(date +%s.%N); b1=$(bytes "$w"); python3 "$CPU" snap "$OUT/cpu-$tag.b"
	python3 "$CPU" diff "$OUT/cpu-$tag.a" "$OUT/cpu-$tag.b" >"$OUT/cpu-$tag.txt"
	python3 "$CPU" diff "$OUT/cpu-$tag.a" "$OUT/cpu-$tag.b" --json >"$OUT/cpu-$tag.json"
	for i in 4 5; do idle_window "$w" "$tag" "$i"; done
	$WORLD down --dir "$w" >/dev/null 2>&1 || true
	python3 - "$tag" "$OUT" "$spec" "$b0" "$b1" "$t0" "$t1" "${PR_RATE:-0}" "$(nproc)" >>"$OUT/scale.tsv" <<-'PY'
		import json, re, statistics, sys
		tag, out, spec = sys.argv[1:4]
		b0, b1 = ([int(x) for x in a.split()] for a in sys.argv[4:6])
		t0, t1, pr = (float(x) for x in sys.argv[6:9])
		cores = int(sys.argv[9])
		nodes = [int(c.split(":")[1]) for c in spec.split(",")]
		def secs(s):
		    return sum(float(v) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u]
		               for v, u in re.findall(r"([0-9.]+)(ms|h|m|s)", s))
		def summary(kind):
		    text = open("%s/%s-%s.out" % (out, kind, tag)).read()
		    m = re.search(r"^run \d+ \w+: (\d+) of (\d+) results, (\d+) failed; .*probing ([^,]+), "
		                  r"store [^,]+, (\d+) API requests", text, re.M)
		    w = re.search(r"^WALL \S+ RSS (\S+) USER (\S+) SYS (\S+) RC", text, re.M)
		    return m, w
		def drops(kind):
		    return sum(abs(int(l.split()[1])) for l in open("%s/%s-%s.counters" % (out, kind, tag)) if l.strip())
		cm, _ = summary("cold")
		m, w = summary("warm")
		if not m or not w or not cm:
		    print("%s\tcheck failed, see %s" % (spec, out))
		    sys.exit(0)
		results, failed, probing, api = int(m.group(1)), int(m.group(3)), secs(m.group(4)), int(m.group(5))
		kinds = json.load(open("%s/cpu-%s.json" % (out, tag)))["kinds"]
		cpu = lambda ks, k: ks.get(k, {}).get("user", 0) + ks.get(k, {}).get("sys", 0)
		idle = [json.load(open("%s/idle-%s-%d.json" % (out, tag, i))) for i in range(1, 6)]
		idle_api = statistics.median(cpu(d["kinds"], "kube-apiserver") / d["secs"] for d in idle)
		idle_bytes = statistics.median(d["bytes"] / d["secs"] for d in idle)
		api_cpu = cpu(kinds, "kube-apiserver")
		moved = b1[0] + b1[1] - b0[0] - b0[1] - idle_bytes * (t1 - t0)
		rate = results / max(probing, 0.001)
		floater_us = cpu(kinds, "floater") * 1e6 / results
		print("\t".join(str(x) for x in (
		    spec, sum(nodes), results, failed, "%.2f" % secs(cm.group(4)), "%.2f" % probing, "%.0f" % rate,
		    "%.0f" % (cores * 1e6 / floater_us if floater_us else 0),
		    "%.1f" % (api_cpu * 1e6 / results), "%.0f" % (api_cpu * 1e3 / (t1 - t0)), "%.0f" % (idle_api * 1e3),
		    "%.0f" % (moved / results),
		    "%.1f" % ((float(w.group(2)) + float(w.group(3))) * 1e6 / results), w.group(1),
		    "%.0f" % floater_us, api, sum(3 * n + 50 for n in nodes),
		    drops("cold") + drops("warm"), "%.2f" % (rate / pr if pr else 0))))
	PY
	cat "$OUT/cold-$tag.counters" "$OUT/warm-$tag.counters" | sed "s/^/# $tag kernel counter moved: /" >&2
done

column -t -s $'\t' "$OUT/scale.tsv"
echo "# ratio: warm pairs/s over bench/probe-rate's single-floater TCP probes/s (${PR_RATE:-?}); floater_us: the floaters' CPU per pair, next to probe-rate's ${PR_CPU:-?} us per probe" >&2
echo "# world_ceiling: the pairs/s this machine's $(nproc) cores allow if they did nothing but the floaters' work (cores / floater_us); apiserver_us: the API servers' CPU per result, the world's own work included; apiserver_ms_s, apiserver_idle_ms_s: their CPU per second during the warm check and, the median of five windows, in the idle world" >&2
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
		plot "$OUT/scale.tsv" using 3:6 skip 1 with linespoints title "probing time", \
		     "" using 3:7 skip 1 axes x1y2 with linespoints title "pairs/s"
	GP
	echo "# plot: $OUT/scale.svg" >&2
fi
echo "# outputs in $OUT" >&2
