# bench/lib/world-rss.sh: sourced by the benchmarks that report a test world's memory
# (bench/world/bench-world.sh, bench/scale/sample.sh).
#
# world_rss PREFIX: the RSS of every process in the network namespaces named on standard
# input (one per line), summed by process name, one line per name and a total, each line
# starting with PREFIX. One pass over /proc; shared pages count in each process, so the
# total is an upper bound. Processes come and go during the walk (find and grep then exit
# non-zero): that is not a failure, so the pipeline's status is ignored.
world_rss() {
	local prefix=$1 inodes
	inodes=$(sed 's|^|/run/netns/|' | xargs -r stat -L -c 'net:[%i]' 2>/dev/null | sort -u || true)
	{ find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null |
		awk 'NR == FNR { want[$1] = 1; next } ($2 in want) { sub(/\/ns$/, "", $1); print $1 "/status" }' \
			<(echo "$inodes") - | xargs -r grep -H -E '^(Name|VmRSS):' 2>/dev/null |
		awk -F'[:\t ]+' -v p="$prefix" '$2 == "Name" { name[$1] = $3 } $2 == "VmRSS" { rss[$1] = $3 }
		END { for (f in name) { kb[name[f]] += rss[f]; n[name[f]]++; t += rss[f] }
		      for (k in kb) printf "%s%-24s %5d procs %8.0f MB\n", p, k, n[k], kb[k] / 1024;
		      printf "%s%-24s %20.0f MB\n", p, "total", t / 1024 }' | sort; } || true
}
