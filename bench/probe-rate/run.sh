#!/usr/bin/env bash
# Probe-rate benchmark (not a test): one floater probing N targets in a network
# namespace, ICMP, TCP and UDP separately, and fping over the same ICMP targets in the
# same run. Also the floater's peak RSS while serving a 10,000-target request.
#
#   sudo bench/probe-rate/run.sh [FLOATER] [TARGETS] [COUNT] [RUNS]
#   defaults: build/floater/floater 1000 50 3
#   RSS_FLOATER=build/floater/floater-static to measure RSS of the static binary too.
#
# Topology: bench/lib/pair.sh (prober P 198.18.3.1 and target T, which owns
# 198.18.64.0/18).
#
# Each rate counts answered probes only (ICMP echo replies, TCP handshakes completed, UDP
# echoes carrying the probe's nonce), as the floater reports them, divided by the request's
# elapsed time. The kernel's counters in P are shown next to it as a cross-check:
# IcmpInEchoReps, TcpEstabResets (connections established, then reset by the prober) and
# UdpInDatagrams. "CPU/probe" is the floater's own CPU time (prober; responder) per probe,
# which includes the kernel work done in its system calls; it holds up on a loaded
# machine, where rates do not.
set -euo pipefail

FLOATER=${1:-build/floater/floater}
TARGETS=${2:-1000}
COUNT=${3:-50}
RUNS=${4:-3}
BIG=10000
PORT=8889
GOAL_TCP=40000
GOAL_UDP=200000
GOAL_RSS_KB=4096
# fping 5.x keeps each sequence number for 10 s and has 65,535 of them: beyond that many
# probes in one run it stops with "not enough sequence numbers available".
FPING_MAX=65535
NAME=probe-rate
# shellcheck source=../lib/pair.sh
source "$(dirname "$0")/../lib/pair.sh"

((TARGETS >= 1 && TARGETS <= BIG)) || { echo "probe-rate: TARGETS 1..$BIG" >&2; exit 2; }
FLOATER=$(realpath "$FLOATER")


addr() { # 0-based index -> target address (skips .0 of each /24 like the old layout)
  local i=$(($1 + 1))
  echo "198.18.$((64 + i / 256)).$((i % 256))"
}

body() { # protocol count interval_ms ntargets
  python3 - "$@" <<'PY'
import json, sys
proto, count, interval, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def addr(i):
    i += 1
    return f"198.18.{64 + i // 256}.{i % 256}"
print(json.dumps({"id": f"bench-{proto}", "targets": [{"ip": addr(i), "ref": i} for i in range(n)],
                  "protocols": [proto], "count": count, "interval_ms": interval,
                  "timeout_ms": 1000}))
PY
}

kcount() { # ns counter -> current value of a kernel SNMP counter
  ip netns exec "$1" nstat -az "$2" 2>/dev/null | awk -v c="$2" '$1 == c {print $2}'
}

cpu_ns() { # pid -> nanoseconds on CPU so far
  awk '{print $1}' "/proc/$1/schedstat"
}

# Runs one request; prints "rate ok pairs sent recv elapsed_ms".
floater_run() { # protocol count interval_ms ntargets
  body "$@" >"$TMP/body.json"
  ip netns exec "$P" curl -s -N -H "X-Floater-Token: $(cat "$TMP/token")" \
    --data-binary @"$TMP/body.json" "http://198.18.3.1:$PORT/v1/probe" >"$TMP/out.ndjson"
  python3 - "$TMP/out.ndjson" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
done = lines[-1]
assert done.get("done"), lines[-1]
res = lines[:-1]
sent = sum(l["sent"] for l in res)
recv = sum(l["received"] for l in res)
ok = sum(1 for l in res if l["error"] == "ok")
print(f"{recv / (max(done['elapsed_ms'], 1) / 1000.0):.0f} {ok} {len(res)} {sent} {recv} {done['elapsed_ms']}")
PY
}

fping_run() { # prints "rate received elapsed_ms kernel_replies cpu_us_per_probe"
  local t0 t1 recv k0 k1 cpu TIMEFORMAT='%3U %3S'
  k0=$(kcount "$P" IcmpInEchoReps)
  t0=$(date +%s%N)
  { time ip netns exec "$P" fping -q -C "$COUNT" -p 1 -i 0 -f "$TMP/fping-targets" \
    2>"$TMP/fping.out"; } 2>"$TMP/fping.time" || true
  t1=$(date +%s%N)
  k1=$(kcount "$P" IcmpInEchoReps)
  if grep -q "^fping" "$TMP/fping.out"; then
    echo "fping failed: $(grep -m1 '^fping' "$TMP/fping.out")" >&2
    echo "0 0 0 0 0"
    return
  fi
  recv=$(awk -F' : ' '{n = split($2, a, " "); for (i = 1; i <= n; i++) if (a[i] != "-") r++} END {print r + 0}' "$TMP/fping.out")
  cpu=$(awk -v n=$((TARGETS * COUNT)) '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$TMP/fping.time")
  echo "$((recv * 1000000000 / (t1 - t0))) $recv $(((t1 - t0) / 1000000)) $((k1 - k0)) $cpu"
}

verdict() { # value goal -> "ok" or "BELOW"
  if (($1 >= $2)); then echo "ok"; else echo "BELOW"; fi
}

pair_setup
for ((i = 0; i < TARGETS; i++)); do addr "$i"; done >"$TMP/fping-targets"
# The responder runs with its default UDP echo rate limit: the bench must not need more.
# Not with the default per-source limit (10,000/s): here one prober stands for the probers
# of 1,000 targets, which in a cluster are 1,000 floaters of their own.
PIDS+=("$(pair_floater "$T" --udp-echo-source-rate 100000000)")
PIDS+=("$(pair_floater "$P" --max-inflight 16384)")
TPID=${PIDS[0]}
FPID=${PIDS[1]}
pair_wait_ready 198.18.3.1
pair_wait_ready 198.18.3.2

declare -A KCOUNTER=([icmp]=IcmpInEchoReps [tcp]=TcpEstabResets [udp]=UdpInDatagrams)
echo "probe-rate: $TARGETS targets x $COUNT probes each, interval 1 ms, timeout 1 s, best of $RUNS runs"
echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
printf '%-24s %10s %8s %6s  %s\n' "what" "probes/s" "goal" "" "detail"
for proto in icmp tcp udp; do
  best=0 detail=
  for ((r = 0; r < RUNS; r++)); do
    k0=$(kcount "$P" "${KCOUNTER[$proto]}")
    c0=$(cpu_ns "$FPID") d0=$(cpu_ns "$TPID")
    read -r rate ok pairs sent recv ms < <(floater_run "$proto" "$COUNT" 1 "$TARGETS")
    c1=$(cpu_ns "$FPID") d1=$(cpu_ns "$TPID")
    k1=$(kcount "$P" "${KCOUNTER[$proto]}")
    if ((rate > best)); then
      best=$rate
      cpu=$(awk -v c=$((c1 - c0)) -v d=$((d1 - d0)) -v n="$sent" \
        'BEGIN {printf "%.1f; %.1f", c / n / 1000, d / n / 1000}')
      detail="ok pairs $ok/$pairs, $recv/$sent answered in $ms ms; kernel ${KCOUNTER[$proto]} +$((k1 - k0)); CPU/probe $cpu us"
    fi
  done
  case $proto in
  icmp) goal="fping" v="" ;;
  tcp) goal=$GOAL_TCP v=$(verdict "$best" "$GOAL_TCP") ;;
  udp) goal=$GOAL_UDP v=$(verdict "$best" "$GOAL_UDP") ;;
  esac
  printf '%-24s %10s %8s %6s  %s\n' "floater $proto" "$best" "$goal" "$v" "$detail"
  eval "rate_$proto=$best"
done

if ((TARGETS * COUNT > FPING_MAX)); then
  echo "fping: skipped, $TARGETS x $COUNT probes exceed fping's $FPING_MAX sequence numbers per 10 s"
else
  best=0 detail=
  for ((r = 0; r < RUNS; r++)); do
    read -r rate recv ms kern cpu < <(fping_run)
    if ((rate > best)); then best=$rate detail="$recv answered in $ms ms (whole run incl. start); kernel IcmpInEchoReps +$kern; CPU/probe $cpu us"; fi
  done
  printf '%-24s %10s %8s %6s  %s\n' "fping -C $COUNT -p 1 -i 0" "$best" "" "" "$detail"
  python3 -c "
import sys
f, r = int(sys.argv[2]), int(sys.argv[1])
ratio = r / f if f else 0
print(f'{\"floater icmp / fping\":<24} {ratio:9.2f}x {\">= 1.0x\":>8} {\"ok\" if ratio >= 1.0 else \"BELOW\":>6}  (stretch 1.3x: {\"met\" if ratio >= 1.3 else \"not met\"})')" "$rate_icmp" "$best"
fi

# RSS while serving a 10,000-target request, each binary in a fresh floater: the largest
# VmRSS sampled every 100 ms during the request, and VmHWM after it.
rss_run() { # binary label
  kill "$FPID" 2>/dev/null || true
  wait "$FPID" 2>/dev/null || true
  FLOATER=$1
  PIDS[1]=$(pair_floater "$P")
  FPID=${PIDS[1]}
  pair_wait_ready 198.18.3.1
  floater_run icmp 3 100 $BIG >"$TMP/rss-result" &
  local cp=$! max=0 r hwm
  while kill -0 $cp 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$FPID/status")
    ((r > max)) && max=$r
    sleep 0.1
  done
  wait $cp
  read -r rate ok pairs sent recv ms <"$TMP/rss-result"
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$FPID/status")
  ((hwm > max)) && max=$hwm
  printf '%-24s %7s kB %8s %6s  %s\n' "RSS $2" "$max" "$GOAL_RSS_KB" "$(verdict $GOAL_RSS_KB "$max")" \
    "(max of VmRSS sampled every 100 ms and VmHWM; $BIG-target ICMP request, ok pairs $ok/$pairs in $ms ms; binary $(stat -c %s "$1") bytes)"
}
rss_run "$FLOATER" "$(basename "$FLOATER")"
[[ -n ${RSS_FLOATER:-} ]] && rss_run "$(realpath "$RSS_FLOATER")" "$(basename "$RSS_FLOATER")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
