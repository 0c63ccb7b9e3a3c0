#!/usr/bin/env bash
# Probe-rate benchmark (not a test): one floater probing N targets in a network
# namespace, ICMP, TCP and UDP separately, and fping over the same ICMP targets in the
# same run. Also the floater's peak RSS while serving a 10,000-target request.
#
#   sudo bench/probe-rate/run.sh [FLOATER] [TARGETS] [COUNT] [RUNS]
#   defaults: build/floater/floater 1000 100 3
#   RSS_FLOATER=build/floater/floater-static to measure RSS of the static binary too.
#
# Topology (made here, deleted on exit): prober P 198.18.3.1 -- veth -- target T
# 198.18.3.2, T holds the target addresses 198.18.64.0/18 on lo, P routes them via T.
set -euo pipefail

FLOATER=${1:-build/floater/floater}
TARGETS=${2:-1000}
COUNT=${3:-100}
RUNS=${4:-3}
BIG=10000
PORT=8889
P=ncf-bench-$$-p
T=ncf-bench-$$-t
TMP=$(mktemp -d /tmp/ncf-bench.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$P" 2>/dev/null || true
  ip netns del "$T" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

[[ $(id -u) -eq 0 ]] || { echo "probe-rate: run as root (network namespaces)" >&2; exit 1; }
FLOATER=$(realpath "$FLOATER")

setup() {
  ip netns add "$P"
  ip netns add "$T"
  ip link add p0 netns "$P" type veth peer name t0 netns "$T"
  ip -n "$P" addr add 198.18.3.1/24 dev p0
  ip -n "$T" addr add 198.18.3.2/24 dev t0
  for n in "$P" "$T"; do
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  done
  ip -n "$P" link set p0 up
  ip -n "$T" link set t0 up
  ip -n "$P" route add 198.18.64.0/18 via 198.18.3.2
  # Replies to 10,000 sources must not be rate limited by the target's kernel.
  ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000000
  python3 -c "
for i in range(1, $BIG + 1):
    print(f'addr add 198.18.{64 + i // 256}.{i % 256}/32 dev lo')" >"$TMP/addrs"
  ip -n "$T" -batch "$TMP/addrs"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token"
}

start_floater() { # ns extra-args... ; echoes pid
  ip netns exec "$1" "$FLOATER" --port $PORT --token-file "$TMP/token" --node-name "$1" \
    --network pod "${@:2}" >/dev/null 2>>"$TMP/floater-$1.log" &
  echo $!
}

wait_ready() {
  for _ in $(seq 100); do
    ip netns exec "$P" curl -s -m 1 "http://$1:$PORT/healthz" 2>/dev/null | grep -q ok && return
    sleep 0.05
  done
  echo "floater at $1 not ready" >&2; exit 1
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

# Runs one request; prints "probes_per_second ok_pairs".
floater_run() { # protocol count interval_ms ntargets
  body "$@" >"$TMP/body.json"
  ip netns exec "$P" curl -s -N -H "X-Floater-Token: $(cat "$TMP/token")" \
    --data-binary @"$TMP/body.json" "http://198.18.3.1:$PORT/v1/probe" >"$TMP/out.ndjson"
  python3 - "$TMP/out.ndjson" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
done = lines[-1]
assert done.get("done"), lines[-1]
res = lines[:-1]
sent = sum(l["sent"] for l in res)
recv = sum(l["received"] for l in res)
ok = sum(1 for l in res if l["error"] == "ok")
print(f"{recv / (done['elapsed_ms'] / 1000.0):.0f} {ok} {len(res)} {sent} {recv} {done['elapsed_ms']}")
PY
}

fping_run() {
  python3 -c "
for i in range(1, $TARGETS + 1):
    print(f'198.18.{64 + i // 256}.{i % 256}')" >"$TMP/fping-targets"
  local t0 t1
  t0=$(date +%s%N)
  ip netns exec "$P" fping -q -C "$COUNT" -p 1 -i 0 -f "$TMP/fping-targets" 2>"$TMP/fping.out" || true
  t1=$(date +%s%N)
  local recv
  recv=$(awk -F' : ' '{n = split($2, a, " "); for (i = 1; i <= n; i++) if (a[i] != "-") r++} END {print r + 0}' "$TMP/fping.out")
  echo "$(( recv * 1000000000 / (t1 - t0) )) $recv $(( (t1 - t0) / 1000000 ))"
}

best_of() { sort -n -r | head -1; }

setup
PIDS+=("$(start_floater "$T" --udp-echo-rate 100000000)")
PIDS+=("$(start_floater "$P" --max-inflight 16384)")
FPID=${PIDS[1]}
wait_ready 198.18.3.1
wait_ready 198.18.3.2

echo "probe-rate: $TARGETS targets, count $COUNT, interval 1 ms; best of $RUNS runs; $(nproc) CPUs"
printf '%-22s %12s %s\n' "what" "probes/s" "detail"
for proto in icmp tcp udp; do
  c=$COUNT
  [[ $proto == tcp ]] && c=$((COUNT / 5 > 0 ? COUNT / 5 : 1)) # keep ephemeral ports free
  best=0 detail=
  for ((r = 0; r < RUNS; r++)); do
    read -r rate ok pairs sent recv ms < <(floater_run "$proto" "$c" 1 "$TARGETS")
    if ((rate > best)); then best=$rate; detail="ok pairs $ok/$pairs, $recv/$sent answered in $ms ms"; fi
  done
  printf '%-22s %12s %s\n' "floater $proto" "$best" "$detail"
  eval "rate_$proto=$best"
done
best=0 detail=
for ((r = 0; r < RUNS; r++)); do
  read -r rate recv ms < <(fping_run)
  if ((rate > best)); then best=$rate; detail="$recv answered in $ms ms"; fi
done
printf '%-22s %12s %s\n' "fping -C $COUNT -p 1 -i 0" "$best" "$detail"
python3 -c "import sys; f=int(sys.argv[2]); print(f'floater icmp / fping   {int(sys.argv[1])/f if f else 0:12.2f}x')" "$rate_icmp" "$best"

# RSS while serving a 10,000-target request, each binary in a fresh floater: the largest
# VmRSS sampled every 100 ms during the request, and VmHWM after it.
rss_run() { # binary label
  kill "$FPID" 2>/dev/null || true
  wait "$FPID" 2>/dev/null || true
  FLOATER=$1
  PIDS[1]=$(start_floater "$P")
  FPID=${PIDS[1]}
  wait_ready 198.18.3.1
  floater_run icmp 3 100 $BIG >"$TMP/rss-result" &
  local cp=$! max=0 r
  while kill -0 $cp 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' "/proc/$FPID/status")
    ((r > max)) && max=$r
    sleep 0.1
  done
  wait $cp
  read -r rate ok pairs sent recv ms <"$TMP/rss-result"
  printf '%-22s %9s kB %s\n' "RSS $2" "$max" "(peak sampled VmRSS; VmHWM $(awk '/VmHWM/ {print $2}' "/proc/$FPID/status") kB; $BIG-target ICMP request, ok pairs $ok/$pairs in $ms ms)"
}
rss_run "$FLOATER" "$(basename "$FLOATER")"
[[ -n ${RSS_FLOATER:-} ]] && rss_run "$(realpath "$RSS_FLOATER")" "$(basename "$RSS_FLOATER")"
exit 0
