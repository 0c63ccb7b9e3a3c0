#!/usr/bin/env bash
# cli.sh - time and size of `netctl report` on a 1,000 x 1,000 run, as a user runs it
# (a benchmark, not a test).
#
#   bench/report/cli.sh NETCTL BENCH_REPORT [DIR]       (REPEAT=3 by default)
#
# Makes DIR/report.db with bench_report unless it is there: two comparable runs of 1,000
# source x 1,000 destination nodes (1,000,000 results each, a bad node, a bad link and
# scattered loss in run 2). Then runs `netctl report --run 2 --format F -o FILE` for every
# format, REPEAT times each (a separate process each time: start-up, store, verdicts, the
# diff against run 1 for html, writing and renaming the file), and prints min and median
# wall time, median CPU time and the file size. Goal for html: < 5 s and < 20 MB.
# DIR defaults to /var/tmp/netctl-bench-report-cli (kept: a second invocation only
# measures).
set -euo pipefail

NETCTL=$(realpath "${1:?usage: cli.sh NETCTL BENCH_REPORT [DIR]}")
BENCH_REPORT=$(realpath "${2:?usage: cli.sh NETCTL BENCH_REPORT [DIR]}")
DIR=${3:-/var/tmp/netctl-bench-report-cli}
REPEAT=${REPEAT:-3}
DB=$DIR/report.db
export NO_COLOR=1

mkdir -p "$DIR"
if [[ ! -s $DB ]]; then
	echo "== building $DB with bench_report (two runs of 1,000 x 1,000)"
	"$BENCH_REPORT" --src 1000 --dst 1000 --db "$DB" --formats none
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }

measure() { # measure FORMAT WALL_GOAL_S SIZE_GOAL_MB
	local fmt=$1 goal=$2 size_goal=$3 i out=$DIR/report.$1 w u s bytes
	local walls=() cpus=()
	for ((i = 0; i < REPEAT; i++)); do
		/usr/bin/time -f '%e %U %S' -o "$DIR/time" "$NETCTL" --db "$DB" report --run 2 \
			--format "$fmt" -o "$out" 2>"$DIR/stderr" || {
			echo "$fmt: netctl failed:" >&2
			cat "$DIR/stderr" >&2
			exit 1
		}
		read -r w u s < <(tail -n 1 "$DIR/time")
		walls+=("$w")
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
	done
	bytes=$(stat -c %s "$out")
	printf '%s\n' "${walls[@]}" | sort -n >"$DIR/w"
	printf '%s\n' "${cpus[@]}" | sort -n >"$DIR/c"
	awk -v fmt="$fmt" -v goal="$goal" -v sgoal="$size_goal" -v n="$REPEAT" -v bytes="$bytes" '
		FNR == 1 && NR == FNR { min = $1 }
		NR == FNR && FNR == int((n + 1) / 2) { med = $1 }
		NR != FNR && FNR == int((n + 1) / 2) { cpu = $1 }
		END {
			mb = bytes / 1e6
			v = ""
			if (goal != "")
				v = sprintf("goal < %s s, < %s MB: %s", goal, sgoal,
					(med < goal && mb < sgoal) ? "met" : "MISSED")
			printf "report --format %-6s wall min %6.2f s  median %6.2f s   CPU median %6.2f s   %8.2f MB   %s\n",
				fmt, min, med, cpu, mb, v
		}' "$DIR/w" "$DIR/c"
}

echo "== $DB: $(sqlite3 "$DB" 'SELECT count(*) FROM results WHERE run_id = 2') results in run 2, $(du -h "$DB" | cut -f1)"
echo "== $(nproc) CPUs, load average before: $(load)"
measure html 5 20
measure json "" ""
measure csv "" ""
measure junit "" ""
measure table "" ""
grep -o '<canvas class="heatmap"[^>]*>' "$DIR/report.html" | head -3
echo "== load average after: $(load)"
