#!/usr/bin/env bash
# The pause binary of the test world's pod-infra image (tests/world/pause.c):
#   pause_test.sh PAUSE
# exits 0 on SIGTERM and on SIGINT, and as PID 1 of a PID namespace (as in a pod) reaps the
# orphans it inherits: no zombie stays. Needs root (a PID namespace).
set -euo pipefail
PAUSE=$(realpath "$1")
fails=0
check() {
  if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fails=$((fails + 1)); fi
}

# run_until SIGNAL: starts pause, sends SIGNAL once it blocks, prints its exit status.
run_until() {
  local pid rc=0
  "$PAUSE" &
  pid=$!
  sleep 0.2
  kill -s "$1" "$pid"
  wait "$pid" || rc=$?
  echo "$rc"
}
check '[[ $(run_until TERM) == 0 ]]' "SIGTERM: exit 0"
check '[[ $(run_until INT) == 0 ]]' "SIGINT: exit 0"
check '! "$PAUSE" extra 2>/dev/null' "an argument is a usage error"

# PID 1 of its own PID namespace; an orphan of that namespace is reparented to it.
unshare --pid --fork "$PAUSE" &
outer=$! inner=
trap '[[ -z $inner ]] || kill "$inner" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  inner=$(pgrep -P "$outer" || true)
  [[ -n $inner ]] && break
  sleep 0.1
done
check '[[ -n $inner && $(readlink /proc/$inner/ns/pid) != $(readlink /proc/self/ns/pid) ]]' \
  "pause runs as PID 1 of a PID namespace ($inner)"
# sh exits at once, so its sleeps are orphans whose parent becomes pause
nsenter -t "$inner" -p -- sh -c 'for i in 1 2 3; do sleep 0.1 & done; exit 0'
sleep 1
# (ps exits 1 when it lists nothing)
zombies=$({ ps -o stat= --ppid "$inner" || true; } | grep -c '^Z' || true)
children=$({ ps -o pid= --ppid "$inner" || true; } | wc -l)
check '((children == 0 && zombies == 0))' "its orphans were reaped ($children children left, $zombies zombies)"
kill -TERM "$inner"
rc=0
wait "$outer" || rc=$?
check '((rc == 0))' "as PID 1, SIGTERM: exit 0 (status $rc)"

echo "$fails failed"
((fails == 0))
