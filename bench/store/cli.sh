#!/usr/bin/env bash
# cli.sh - wall and CPU time of the real netctl CLI on a big store (a benchmark, not a test).
#
#   bench/store/cli.sh NETCTL BENCH_STORE [DIR]        (REPEAT=5 by default)
#
# Makes DIR/bench.db with bench_store unless it is there: runs 1 and 2 of 1,000 x 1,000 =
# 1,000,000 results each, then 10,000 more runs. Then times, REPEAT times each, the
# commands a user types, as separate processes (start-up, store open and migration check,
# reaping, printing included), output to /dev/null:
#   netctl history                   newest 20 of 10,002 runs          goal < 100 ms
#   netctl history --limit 0         all 10,002 runs
#   netctl history --limit 0 --json
#   netctl diff 1 2                  two 1,000,000-result runs         goal < 1 s
#   netctl diff 1 2 --json           every change streamed
#   netctl history --prune --keep 1 --dry-run
# and once, on a copy: netctl history --prune --keep 1 (10,001 runs, 1,000,000 results).
# Prints min and median wall time and median CPU time (user + system): the machine is
# shared, so CPU time says what the code costs and wall time what a user waited. The load
# average is printed before and after. DIR defaults to /var/tmp/netctl-bench-cli (kept, so
# a second invocation only measures).
set -euo pipefail

NETCTL=$(realpath "${1:?usage: cli.sh NETCTL BENCH_STORE [DIR]}")
BENCH_STORE=$(realpath "${2:?usage: cli.sh NETCTL BENCH_STORE [DIR]}")
DIR=${3:-/var/tmp/netctl-bench-cli}
REPEAT=${REPEAT:-5}
DB=$DIR/bench.db
export NO_COLOR=1

mkdir -p "$DIR"
if [[ ! -s $DB ]]; then
	echo "== building $DB with bench_store (two 1M-result runs + 10,000 runs)"
	"$BENCH_STORE" "$DIR"
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure NAME GOAL_S ARGS...: runs netctl ARGS REPEAT times.
measure() {
	local name=$1 goal=$2 i
	shift 2
	local walls=() cpus=()
	for ((i = 0; i < REPEAT; i++)); do
		/usr/bin/time -f '%e %U %S' -o "$DIR/time" "$NETCTL" --db "$DB" "$@" >/dev/null \
			2>"$DIR/stderr" || [[ $? -eq 1 ]] || {
			echo "$name: netctl failed:" >&2
			cat "$DIR/stderr" >&2
			exit 1
		}
		read -r w u s < <(tail -n 1 "$DIR/time")
		walls+=("$w")
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
	done
	printf '%s\n' "${walls[@]}" | sort -n >"$DIR/w"
	printf '%s\n' "${cpus[@]}" | sort -n >"$DIR/c"
	awk -v name="$name" -v goal="$goal" -v n="$REPEAT" '
		FNR == 1 && NR == FNR { min = $1 }
		NR == FNR && FNR == int((n + 1) / 2) { med = $1 }
		NR != FNR && FNR == int((n + 1) / 2) { cpu = $1 }
		END {
			verdict = goal == "" ? "" : (med < goal ? sprintf("goal < %s s: met", goal) \
				: sprintf("goal < %s s: MISSED", goal))
			printf "%-34s wall min %6.3f s  median %6.3f s   CPU median %6.2f s   %s\n",
				name, min, med, cpu, verdict
		}' "$DIR/w" "$DIR/c"
}

runs=$(sqlite3 "$DB" 'SELECT count(*) FROM runs')
rows=$(sqlite3 "$DB" 'SELECT count(*) FROM results WHERE run_id IN (1, 2)')
echo "== $DB: $runs runs, $rows results in runs 1 and 2, $(du -h "$DB" | cut -f1)"
echo "== $(nproc) CPUs, load average before: $(load)"
# /usr/bin/time's %e has 10 ms resolution; history runs are timed again with ms below.
measure "netctl history" 0.1 history
measure "netctl history --limit 0" "" history --limit 0
measure "netctl history --limit 0 --json" "" history --limit 0 --json
measure "netctl diff 1 2" 1 diff 1 2
measure "netctl diff 1 2 --json" "" diff 1 2 --json
measure "netctl history --prune --keep 1 --dry-run" "" history --prune --keep 1 --dry-run

# Millisecond wall time of `netctl history` (the 100 ms goal is close to %e's resolution);
# $EPOCHREALTIME needs no process of its own.
best=999999
all=
for ((i = 0; i < REPEAT * 4; i++)); do
	t0=${EPOCHREALTIME/./}
	"$NETCTL" --db "$DB" history >/dev/null
	t=$(((${EPOCHREALTIME/./} - t0) / 1000))
	((t < best)) && best=$t
	all+="$t "
done
echo "netctl history, ms per call ($((REPEAT * 4)) calls): $all(best $best ms)"

echo "== prune on a copy"
cp "$DB" "$DIR/prune.db"
rm -f "$DIR/prune.db-wal"
t0=${EPOCHREALTIME/./}
"$NETCTL" --db "$DIR/prune.db" history --prune --keep 1
echo "netctl history --prune --keep 1: $(((${EPOCHREALTIME/./} - t0) / 1000)) ms wall"
rm -f "$DIR/prune.db" "$DIR/prune.db-wal" "$DIR/prune.db-shm"
echo "== load average after: $(load)"
