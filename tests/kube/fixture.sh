#!/usr/bin/env bash
# fixture.sh start|stop DIR - two real control planes for the kube integration tests,
# started once per test run (ctest FIXTURES_SETUP / FIXTURES_CLEANUP).
#   cluster a: DIR/a, apiserver 127.0.0.1:16443 (ports 16443-16447)
#   cluster b: DIR/b, apiserver 127.0.0.1:16453 (ports 16453-16457)
# Each start begins from an empty DIR (fresh etcd: no objects left by an earlier run).
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
WORLD=$(cd "$(dirname "$0")/../world" && pwd)
DIR=$2
# nodes made by the tests have no kubelet: keep them Ready-independent for the run
export KCM_EXTRA_ARGS=${KCM_EXTRA_ARGS:---node-monitor-grace-period=1h}
# a busy machine (parallel builds) can make a cold start take minutes
export START_TIMEOUT=${START_TIMEOUT:-180}

case $1 in
start)
  for c in a b; do
    [[ -d $DIR/$c/pids ]] && "$WORLD/stop-control-plane.sh" "$DIR/$c" >/dev/null 2>&1 || true
  done
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [[ ! -x ${KUBE_CACHE:-/var/cache/netctl-kube}/bin/kube-apiserver ]]; then
    echo "fixture: no Kubernetes binaries; run tests/world/build-kube.sh (about 4 minutes)" >&2
    exit 1
  fi
  "$WORLD/start-control-plane.sh" "$DIR/a" 16443 > "$DIR/start-a.log" 2>&1 & pa=$!
  "$WORLD/start-control-plane.sh" "$DIR/b" 16453 > "$DIR/start-b.log" 2>&1 & pb=$!
  rc=0
  wait $pa || rc=1
  wait $pb || rc=1
  cat "$DIR/start-a.log" "$DIR/start-b.log"
  if (( rc )); then
    for c in a b; do "$WORLD/stop-control-plane.sh" "$DIR/$c" || true; done
    exit 1
  fi
  ;;
stop)
  for c in a b; do
    [[ -d $DIR/$c ]] && "$WORLD/stop-control-plane.sh" "$DIR/$c"
  done
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
