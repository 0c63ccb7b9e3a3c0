#!/usr/bin/env bash
# The bash completion (completions/netctl.bash), sourced as bash-completion would and
# driven through COMP_WORDS/COMP_CWORD:
#   completion_test.sh NETCTL COMPLETION_FILE
# commands, subcommands, options (from `netctl help`), option values, cluster names of
# the store --db names (also inside a comma list), and run ids.
set -uo pipefail
NETCTL=$(realpath "$1")
COMPLETION=$(realpath "$2")
T=$(mktemp -d /tmp/netctl-completion.XXXXXX)
trap 'rm -rf "$T"' EXIT
export HOME=$T XDG_DATA_HOME=$T/xdg
PATH=$(dirname "$NETCTL"):$PATH
cd "$T" || exit 1
fails=0 checks=0

# a store with clusters east and west, and runs 7 and 12
cat >kc.yaml <<'EOT'
apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: c1
  cluster:
    server: https://198.18.0.10:6443
users:
- name: u1
  user:
    token: not-a-secret
contexts:
- name: ctx
  context:
    cluster: c1
    user: u1
EOT
DB=$T/s.db
netctl --db "$DB" cluster add east --kubeconfig kc.yaml >/dev/null || exit 1
netctl --db "$DB" cluster add west --kubeconfig kc.yaml >/dev/null || exit 1
sqlite3 "$DB" "INSERT INTO runs (id, started_ms, finished_ms, status, protocols, families,
  networks, compare_key, options, last_write_ms, owner_pid, owner_boot, owner_start) VALUES
  (7, 1764100100000, 1764100105000, 'done', 2, 1, 1, 'k', '{}', 1764100105000, 1, 'b', 1),
  (12, 1764100200000, 1764100205000, 'done', 2, 1, 1, 'k', '{}', 1764100205000, 1, 'b', 1)" ||
  exit 1

# shellcheck source=/dev/null
source "$COMPLETION"
checks=$((checks + 1))
[[ $(complete -p netctl) == "complete -F _netctl netctl" ]] || {
  echo "FAIL: no completion registered for netctl"
  fails=$((fails + 1))
}

# want "WANT" WORDS...: completing the last word of the command line WORDS gives WANT
# (sorted, space-separated).
want() {
  local expect=$1 got
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _netctl
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
  got=${got% }
  checks=$((checks + 1))
  if [[ $got == "$expect" ]]; then
    echo "ok: [$*] -> $got"
  else
    echo "FAIL: [$*] -> '$got', want '$expect'"
    fails=$((fails + 1))
  fi
}

want "check clean cluster config coverage" netctl c
want "add import list remove" netctl cluster ""
want "remove" netctl cluster re
want "east west" netctl --db "$DB" cluster remove ""
want "" netctl --db "$DB" cluster remove east ""
want "east west" netctl --db "$DB" check --src ""
want "east,west" netctl --db "$DB" check --src east,w
want "west" netctl --db "$DB" check --src east --dst w
want "east west" netctl check --db "$DB" --mesh --keep-floaters -q --src ""
want "--protocol" netctl check --pro
want "icmp,tcp icmp,udp" netctl check --protocol icmp,
want "pod pod-host" netctl check --network po
want "4 6" netctl check --family ""
want "--image-pull-secret" netctl check --image
want "--keep-floaters" netctl resume --k
want "12 7" netctl --db "$DB" resume --run ""
want "12 7" netctl --db "$DB" report --run ""
want "12" netctl --db "$DB" diff 1
want "12 7" netctl --db "$DB" diff 7 ""
want "" netctl --db "$DB" diff 7 12 ""
want "csv" netctl report --format c
want "east west" netctl --db "$DB" history --cluster ""
want "east west" netctl --db "$DB" clean -c ""
want "kc.yaml" netctl cluster add x --kubeconfig k
want "--context" netctl cluster add x --kubeconfig kc.yaml --c
want "--db" netctl cluster add x --kubeconfig kc.yaml --d
want "--verbose --version" netctl --v
want "--db" netctl -v --d
want "east,west" netctl --db "$DB" check --src east,
want "init" netctl in
want "--force" netctl init --f
want "add import list remove" netctl help cluster ""
want "check" netctl help che

echo "$checks checks, $fails failed"
((fails == 0))
