#!/usr/bin/env bash
# valgrind.sh BUILD_DIR - run the kube integration tests under valgrind (memcheck: errors and
# definite/indirect leaks fail the run) against a fresh pair of control planes.
#   bash tests/kube/valgrind.sh build
# NETCTL_KUBE_WORLD=DIR reuses control planes already started with fixture.sh start DIR.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "$1" && pwd)/tests/kube/test_kube_client
[[ -x $BIN ]] || { echo "valgrind: build $BIN first (cmake --build $1 --target test_kube_client)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind: not installed (scripts/install-deps.sh)" >&2; exit 2; }
export KUBECTL=${KUBECTL:-${KUBE_CACHE:-/var/cache/netctl-kube}/bin/kubectl}
# valgrind slows the client (not the servers); timing checks allow for it
export NETCTL_TEST_SLOW=1
own_world=0
if [[ -z ${NETCTL_KUBE_WORLD:-} ]]; then
  export NETCTL_KUBE_WORLD=$(cd "$1" && pwd)/tests/kube/world-valgrind
  "$HERE/fixture.sh" start "$NETCTL_KUBE_WORLD" >/dev/null
  own_world=1
fi
rc=0
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
  "$BIN" || rc=$?
(( own_world )) && "$HERE/fixture.sh" stop "$NETCTL_KUBE_WORLD" >/dev/null
echo "valgrind: exit $rc (99: memory errors or leaks)"
exit $rc
