#!/usr/bin/env bash
# bench-world.sh - time and memory to bring up a test world with every floater Ready.
# Not a test: prints numbers.  Root; needs a built tree (floater, kubesim, delayline).
#
#   bench/world/bench-world.sh [--clusters SPEC]... [--network pod|pod,host] [--build DIR]
#                              [--dir DIR] [--keep]
# Default: two runs, "big:1000" and "a:500,b:500".  Phases timed: network + control planes +
# node registration (`world up`), floater rollout (apply -> every pod Running and Ready),
# `world down`.  Memory: RSS of every process inside the world's namespaces (control planes,
# kubesim, floaters) at the end, and the machine's MemAvailable drop (includes the kernel's
# namespaces, devices, routes and neighbour entries).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
WT=$HERE/../../tests/world
# shellcheck source=../../tests/world/lib.sh
source "$WT/lib.sh"
# shellcheck source=../lib/world-rss.sh
source "$(dirname "$0")/../lib/world-rss.sh"

specs=() network=pod build=${NETCTL_BUILD_DIR:-$HERE/../../build} dir=/tmp/netctl-bench-world keep=0
while (($#)); do
	case $1 in
	--clusters) specs+=("${2:?}"); shift 2 ;;
	--network) network=${2:?}; shift 2 ;;
	--build) build=${2:?}; shift 2 ;;
	--dir) dir=${2:?}; shift 2 ;;
	--keep) keep=1; shift ;;
	*) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2 ;;
	esac
done
((${#specs[@]})) || specs=(big:1000 a:500,b:500)
[[ $(id -u) == 0 ]] || die "needs root"
export NETCTL_BUILD_DIR=$build

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mem_avail_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }

ready_count() { # ready_count CLUSTER: floater pods Running and Ready (0 when the API is slow)
	{ "$WT/world" exec --dir "$dir" "$KUBECTL" --kubeconfig "$WORLD_DIR/cp/$1/admin.kubeconfig" get pods -n kosmos-system \
		--request-timeout=60s -o json 2>/dev/null || echo '{"items":[]}'; } |
		jq '[.items[] | select(.status.phase == "Running" and
			(.status.conditions // [] | any(.type == "Ready" and .status == "True")))] | length' || echo 0
}

run_one() {
	local spec=$1 t0 t1 t2 t3 t4 m0 m1 total=0 want c name n ready all
	echo "== world $spec (floaters: $network network), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	"$WT/world" down --dir "$dir" >/dev/null 2>&1 || true
	m0=$(mem_avail_kb)
	t0=$(now)
	"$WT/world" up --clusters "$spec" --dir "$dir" 2>&1 | sed -u 's/^/  /'
	t1=$(now)
	world_dir_resolve "$dir"
	world_env_load
	for c in "${!CLUSTERS[@]}"; do total=$((total + $(cluster_count "$c"))); done
	want=$((total * $(tr ',' '\n' <<<"$network" | wc -l)))
	for c in "${!CLUSTERS[@]}"; do "$WT/apply-floaters" "$(cluster_name "$c")" --dir "$dir" --network "$network" >/dev/null; done
	t2=$(now)
	while :; do
		all=0
		for c in "${!CLUSTERS[@]}"; do
			ready=$(ready_count "$(cluster_name "$c")")
			all=$((all + ${ready:-0}))
		done
		((all >= want)) && break
		if (($(date +%s) - ${t2%.*} > 900)); then
			echo "  TIMEOUT: $all of $want floaters Ready after 900 s"
			break
		fi
		printf '  %6ss: %d of %d floaters Ready\n' "$(secs "$t2" "$(now)")" "$all" "$want"
		sleep 10 # each poll lists every pod: not more often on a loaded API server
	done
	t3=$(now)
	m1=$(mem_avail_kb)
	echo "  nodes $total, floaters Ready $all of $want, namespaces $(world_namespaces | wc -l)"
	echo "  world up (network, control planes, nodes Ready): $(secs "$t0" "$t1") s"
	echo "  floater rollout (apply -> all Ready):            $(secs "$t2" "$t3") s"
	echo "  total to every floater Ready:                     $(secs "$t0" "$t3") s"
	echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "  memory: MemAvailable dropped by $(((m0 - m1) / 1024)) MB; RSS in the world:"
	world_namespaces | world_rss "    "
	if ((keep)); then
		echo "  kept: $dir"
		return
	fi
	t4=$(now)
	"$WT/world" down --dir "$dir" >/dev/null
	echo "  world down: $(secs "$t4" "$(now)") s"
}

for s in "${specs[@]}"; do run_one "$s"; done
