#!/usr/bin/env bash
# README command 1: install, build, bring up the test world (two simulated clusters, east
# and west), run a real `netctl check` between them, inject a fault, check again, show the
# diff, and tear the world down.
#   bash scripts/demo.sh            (as root: the test world uses network namespaces)
# The last node of each cluster is a real one (REAL_NODES, default 1): Debian's containerd and
# a real kubelet run the floater image, pulled from the world's own registry.
# Environment: NODES (per cluster, default 4), REAL_NODES (default 1), BUILD_DIR (default build),
#              KEEP_WORLD=1 leaves the world up for exploring (then: tests/world/world down).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
NODES=${NODES:-4}
REAL_NODES=${REAL_NODES:-1}
export KUBE_CACHE=${KUBE_CACHE:-/var/cache/netctl-kube}
WORLD_DIR=${WORLD_DIR:-/tmp/netctl-demo-world}
export NETCTL_DB=${NETCTL_DB:-/tmp/netctl-demo.db}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bash scripts/install-deps.sh
if [[ ! -x $KUBE_CACHE/bin/kube-apiserver ]]; then
  say "building Kubernetes control-plane binaries into $KUBE_CACHE (first run: 8-18 minutes on 2 cores)"
fi
bash tests/world/build-kube.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETCTL_STATIC_FLOATER=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
NETCTL=$PWD/$BUILD_DIR/cmd/netctl/netctl
export NETCTL_FLOATER_BIN=$PWD/$BUILD_DIR/floater/floater
world() { tests/world/world "$@" --dir "$WORLD_DIR"; }
WORLD=world
WORLD_EXEC="tests/world/world exec --dir $WORLD_DIR"

cleanup() {
  if [[ ${KEEP_WORLD:-0} != 1 ]]; then
    say "tearing the world down"
    $WORLD down || true
  fi
}
trap cleanup EXIT

say "bringing up the test world: clusters east and west, $NODES nodes each ($REAL_NODES real)"
$WORLD down >/dev/null 2>&1 || true
rm -f "$NETCTL_DB"
$WORLD up --clusters "east:$NODES,west:$NODES" --real-nodes "$REAL_NODES" --build "$PWD/$BUILD_DIR"
$WORLD_EXEC "$KUBE_CACHE/bin/kubectl" --kubeconfig "$($WORLD kubeconfig east)" get nodes -o wide

say "registering the clusters"
for c in east west; do
  $WORLD_EXEC "$NETCTL" cluster add "$c" --kubeconfig "$($WORLD kubeconfig $c)"
done
$WORLD_EXEC "$NETCTL" cluster list

CHECK=(check --src east --dst west --protocol icmp,tcp,udp --family 4,6 --timeout 1s --keep-floaters)

say "netctl ${CHECK[*]}   (healthy network)"
$WORLD_EXEC "$NETCTL" "${CHECK[@]}" || true

FAULT="tests/world/fault --dir $WORLD_DIR"
victim=$($WORLD nodes west | awk 'NR==2 {print $1}')
say "fault: drop all UDP between the clusters, and everything between $victim and east"
$FAULT drop east west --proto udp
$FAULT drop "$victim" east

say "netctl ${CHECK[*]}   (with the faults)"
rc=0
$WORLD_EXEC "$NETCTL" "${CHECK[@]}" || rc=$?
echo "exit code: $rc (1 = some pairs failed)"

say "netctl diff   (what changed between the two runs)"
$WORLD_EXEC "$NETCTL" diff || true

say "netctl history"
$WORLD_EXEC "$NETCTL" history

$FAULT clear
