#!/usr/bin/env bash
# rollout-loop.sh - repeated floater rollouts on one running world: apply the DaemonSets,
# time each pod until it is Running + Ready with v4+v6 IPs, delete the DaemonSets, wait until
# the pods are gone; N times.  Prints one line per rollout and a summary (max, median).
# A rollout that is not complete after --limit seconds is printed with the pods that are
# not Ready (their status as the API server has it) and counted as stuck.
#
#   bench/world/rollout-loop.sh [--dir DIR] [-n N] [--limit SECONDS] [--network pod,host]
# Needs a world made with `tests/world/world up` (e.g. --clusters east:5,west:5).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
WT=$HERE/../../tests/world
# shellcheck source=../../tests/world/lib.sh
source "$WT/lib.sh"

dir="" runs=10 limit=60 network=pod,host
while (($#)); do
	case $1 in
	--dir) dir=${2:?}; shift 2 ;;
	-n) runs=${2:?}; shift 2 ;;
	--limit) limit=${2:?}; shift 2 ;;
	--network) network=${2:?}; shift 2 ;;
	*) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2 ;;
	esac
done
world_dir_resolve "$dir"
world_env_load
nets=$(tr ',' '\n' <<<"$network" | wc -l)

now() { date +%s.%N; }
kc() { # kc CLUSTER ARGS...
	nsenter --net="/run/netns/$WORLD_NS" -- "$KUBECTL" --kubeconfig "$WORLD_DIR/cp/$1/admin.kubeconfig" \
		--request-timeout=30s "${@:2}"
}
# pods of CLUSTER that are Running, Ready and have both families, one name per line
ready_pods() {
	kc "$1" get pods -n kosmos-system -o json 2>/dev/null | jq -r '.items[] | select(.status.phase == "Running"
		and (.status.conditions // [] | any(.type == "Ready" and .status == "True"))
		and (.status.podIPs // [] | map(.ip) | (any(contains(":")) and any(contains(".")))))
		| .metadata.name' || true
}

stuck=0 times=()
for ((r = 1; r <= runs; r++)); do
	declare -A first_ready=()
	t0=$(now)
	for c in "${!CLUSTERS[@]}"; do
		"$WT/apply-floaters" "$(cluster_name "$c")" --dir "$WORLD_DIR" --network "$network" >/dev/null
	done
	done_all=0
	while :; do
		n=0 want=0
		for c in "${!CLUSTERS[@]}"; do
			want=$((want + nets * $(cluster_count "$c")))
			while read -r p; do
				[[ -n $p ]] || continue
				n=$((n + 1))
				[[ -n ${first_ready[$p]:-} ]] || first_ready[$p]=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
			done < <(ready_pods "$(cluster_name "$c")")
		done
		((n >= want)) && { done_all=1; break; }
		awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN{exit !(b-a > l)}' && break
		sleep 0.5
	done
	t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
	slowest=$(for p in "${!first_ready[@]}"; do echo "${first_ready[$p]} $p"; done | sort -n | tail -n1)
	if ((done_all)); then
		times+=("$t")
		echo "rollout $r: all $want Ready after $t s (slowest: $slowest)"
	else
		stuck=$((stuck + 1))
		echo "rollout $r: STUCK: $n of $want Ready after $t s; not Ready:"
		for c in "${!CLUSTERS[@]}"; do
			kc "$(cluster_name "$c")" get pods -n kosmos-system -o json | jq -r '.items[] |
				select((.status.conditions // [] | any(.type == "Ready" and .status == "True")) | not) |
				"  \(.metadata.name) uid \(.metadata.uid) node \(.spec.nodeName) phase \(.status.phase) podIPs \(.status.podIPs // [] | map(.ip) | join(",")) conditions \(.status.conditions // [] | map("\(.type)=\(.status)") | join(","))"'
		done
		[[ -n ${ROLLOUT_STOP_ON_STUCK:-} ]] && exit 1
	fi
	unset first_ready
	for c in "${!CLUSTERS[@]}"; do
		kc "$(cluster_name "$c")" delete ds -n kosmos-system --all --wait=false >/dev/null
	done
	for c in "${!CLUSTERS[@]}"; do
		for ((k = 0; k < 240; k++)); do
			[[ -z $(kc "$(cluster_name "$c")" get pods -n kosmos-system -o name 2>/dev/null) ]] && break
			sleep 0.5
		done
	done
done
if ((${#times[@]})); then
	printf '%s\n' "${times[@]}" | sort -n | awk -v s="$stuck" -v r="$runs" '{ v[NR] = $1 }
		END { printf "summary: %d rollouts, %d stuck; complete ones: median %.1f s, max %.1f s\n",
			r, s, v[int((NR + 1) / 2)], v[NR] }'
else
	echo "summary: $runs rollouts, $stuck stuck"
fi
