#!/usr/bin/env bash
# bench/scale/sample.sh: what sampled checks cost and what a simulated node costs in memory
# (issue #20, "10,000-node federations"). One world (--clusters SPEC, default big:200):
# MemAvailable before `world up` and after the floaters of a first full check are Ready, RSS
# of every process in the world by kind; the store's bytes per result from the growth of a
# real SQLite file over a second full check (WAL checkpointed); then --rounds sampled checks
# with --sample K and `netctl coverage` after them. Prints the figures; not a test.
#   bench/scale/sample.sh [--build DIR] [--clusters big:200] [--sample 100] [--rounds 2]
#                         [--src A --dst B] [--pod-wait 900s] [--no-full] [--until HH:MM]
# --until: start no check after that time (UTC) and stop one still running then, so the
# world is down a few minutes later.
# --no-full (big worlds): no full checks; the first sampled check deploys the floaters and
# the store's bytes per result come from the growth over the second.
# Needs root and a built tree; takes its world down at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD BUILD=$PWD/build CLUSTERS=big:200 K=100 ROUNDS=2 SRCC='' DSTC='' POD_WAIT=900s FULL=1 UNTIL=
while (($#)); do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--clusters) CLUSTERS=$2; shift 2 ;;
	--sample) K=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--src) SRCC=$2; shift 2 ;;
	--dst) DSTC=$2; shift 2 ;;
	--pod-wait) POD_WAIT=$2; shift 2 ;;
	--no-full) FULL=0; shift ;;
	--until) UNTIL=$(date -u -d "$2" +%s); shift 2 ;;
	*) echo "sample: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $(id -u) -eq 0 ]] || { echo "sample: run as root (network namespaces)" >&2; exit 1; }
NETCTL=$BUILD/cmd/netctl/netctl WORLD=$SRC/tests/world/world
# shellcheck source=../lib/world-rss.sh
source "$SRC/bench/lib/world-rss.sh"
OUT=$(mktemp -d /tmp/netctl-bench-sample.XXXXXX)
chmod 755 "$OUT"
DIR=$OUT/world DB=$OUT/netctl.db
export NETCTL_DB=$DB NO_COLOR=1
names=$(tr ',' '\n' <<<"$CLUSTERS" | cut -d: -f1)
first=$(head -1 <<<"$names")
SRCC=${SRCC:-$first}
sel=(--src "$SRCC")
[[ -n $DSTC ]] && sel+=(--dst "$DSTC")

mem_avail_mb() { awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo; }
nodes_total() { tr ',' '\n' <<<"$CLUSTERS" | cut -d: -f2 | paste -sd+ | bc; }
world_namespaces() { # the namespaces of the world in $DIR (named as tests/world/lib.sh names them)
	local id
	id=$(printf '%s' "$(cd "$DIR" && pwd -P)" | sha256sum | cut -c1-6)
	ip netns list | awk '{print $1}' | grep -E "^ncw-$id" || true
}
db_bytes() {
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	stat -c %s "$DB"
}
results() { sqlite3 "$DB" 'SELECT count(*) FROM results'; }
nc() { $WORLD exec --dir "$DIR" "$NETCTL" "$@"; }
timed() { # timed NAME NETCTL-ARGS...: wall seconds, CPU and peak RSS of netctl in the world
	local name=$1 left=86400
	shift
	if [[ -n $UNTIL ]]; then
		left=$((UNTIL - $(date +%s)))
		((left > 0)) || { echo "  $name: not started (--until)"; return 0; }
	fi
	python3 - "$left" "$name" "$WORLD" exec --dir "$DIR" "$NETCTL" "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
left = int(sys.argv.pop(1))
try:
    r = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=left)
except subprocess.TimeoutExpired:
    print("  %-10s stopped after %.0f s (--until)" % (sys.argv[1], time.time() - t))
    sys.exit(0)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
tail = [l for l in r.stdout.splitlines() if "results" in l or "API requests" in l][-2:]
print("  %-10s rc %d, %.1f s wall, netctl+world exec %.2f s CPU, max RSS %.1f MB: %s" %
      (sys.argv[1], r.returncode, time.time() - t, ru.ru_utime + ru.ru_stime,
       ru.ru_maxrss / 1024, " | ".join(tail)))
if r.returncode not in (0, 1):
    print(r.stderr[-2000:])
PY
}
cleanup() { $WORLD down --dir "$DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 1' TERM INT

m0=$(mem_avail_mb)
echo "clusters $CLUSTERS ($(nodes_total) nodes), --sample $K, $ROUNDS rounds; MemAvailable $m0 MB"
t=$(date +%s)
$WORLD up --clusters "$CLUSTERS" --dir "$DIR" --build "$BUILD" >"$OUT/up.log" 2>&1
echo "  world up: $(($(date +%s) - t)) s"
for c in $names; do
	nc cluster add "$c" --kubeconfig "$($WORLD kubeconfig "$c" --dir "$DIR")" >/dev/null
done
common=(--protocol tcp --timeout 2s --keep-floaters --pod-wait "$POD_WAIT" -q)
sampled=(--sample "$K")
if ((FULL)); then
	timed cold check "${sel[@]}" "${common[@]}"
else
	timed "sampled 1" check "${sel[@]}" "${common[@]}" "${sampled[@]}"
fi
m1=$(mem_avail_mb)
echo "  memory with every floater Ready: MemAvailable dropped by $((m0 - m1)) MB" \
	"($(((m0 - m1) * 1024 / $(nodes_total))) KB per simulated node)"
world_namespaces | world_rss "  rss "
b1=$(db_bytes) r1=$(results)
if ((FULL)); then
	timed warm check "${sel[@]}" "${common[@]}"
else
	timed "sampled 2" check "${sel[@]}" "${common[@]}" "${sampled[@]}"
fi
b2=$(db_bytes) r2=$(results)
echo "  store: $b1 -> $b2 bytes over $((r2 - r1)) results:" \
	"$(awk -v b=$((b2 - b1)) -v r=$((r2 - r1)) 'BEGIN { printf "%.1f", b / r }') bytes per result"
for i in $(seq $((FULL ? 1 : 3)) "$ROUNDS"); do
	timed "sampled $i" check "${sel[@]}" "${common[@]}" "${sampled[@]}"
done
nc coverage --runs "$ROUNDS" "${sel[@]}" | sed 's/^/  /'
echo "  store after the sampled runs: $(db_bytes) bytes, $(results) results"
