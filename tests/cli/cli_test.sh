#!/usr/bin/env bash
# Runs the real netctl binary the way a user does and checks what they would notice:
# exit codes, stdout/stderr, files written, the store.
#   cli_test.sh NETCTL PART FIXTURES_DIR      PART: usage init cluster history diff prune full
#                                                   report config
# Every run gets a fresh HOME, XDG_DATA_HOME and working directory under a temp dir.
set -uo pipefail

NETCTL=$(realpath "$1")
PART=$2
FIXTURES=$(realpath "$3")
SCHEMA=$(realpath "$(dirname "$0")/../../docs/report-schema.json")
CHECK_JSON=$(realpath "$(dirname "$0")/check_report_json.py")
[[ -x $NETCTL ]] || { echo "no netctl binary at $1" >&2; exit 1; }
# Debian's python3 (install-deps.sh); a version-manager shim can take seconds to start.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

# Part full mounts small file systems: in a mount namespace of its own (as root, or as a
# user through a user namespace), so nothing stays mounted however the test ends.
if [[ $PART == full && -z ${NETCTL_CLI_MOUNTNS:-} ]]; then
	NETCTL_CLI_MOUNTNS=1 exec unshare --map-root-user --mount bash "$0" "$@"
fi

T=$(mktemp -d /tmp/netctl-cli.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
export HOME=$T/home XDG_DATA_HOME=$T/xdg
unset NETCTL_DB KUBECONFIG
mkdir -p "$HOME" "$T/work"
cd "$T/work" || exit 1

fails=0
checks=0
rc=0
out=
err=

# run ARGS...: runs netctl, keeps rc, out, err.
run() {
	"$NETCTL" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(<"$T/out")
	err=$(<"$T/err")
	last="netctl $*"
}

# nlines TEXT: number of lines, without spawning a process (tests run many commands).
nlines() {
	local a
	[[ -z $1 ]] && { echo 0; return; }
	mapfile -t a <<<"$1"
	echo "${#a[@]}"
}

fail() {
	fails=$((fails + 1))
	echo "FAIL [$last]: $*"
	echo "  rc=$rc"
	echo "  stdout: ${out:0:600}"
	echo "  stderr: ${err:0:600}"
}

want_rc() {
	checks=$((checks + 1))
	[[ $rc -eq $1 ]] || fail "exit status $rc, want $1"
}
want_out() {
	checks=$((checks + 1))
	[[ $out == *"$1"* ]] || fail "stdout lacks '$1'"
}
want_not_out() {
	checks=$((checks + 1))
	[[ $out != *"$1"* ]] || fail "stdout has '$1'"
}
want_err() {
	checks=$((checks + 1))
	[[ $err == *"$1"* ]] || fail "stderr lacks '$1'"
}
want_err_empty() {
	checks=$((checks + 1))
	[[ -z $err ]] || fail "stderr not empty"
}
want_out_empty() {
	checks=$((checks + 1))
	[[ -z $out ]] || fail "stdout not empty"
}
# A usage error: exit 2, nothing on stdout, a one-line message first (naming what is
# wrong) and a short usage on stderr.
want_usage_error() {
	local first=${err%%$'\n'*}
	want_rc 2
	want_out_empty
	checks=$((checks + 1))
	[[ $first == netctl* && $first == *"$1"* ]] || fail "first stderr line '$first' lacks '$1'"
	checks=$((checks + 1))
	[[ $err == *"usage: netctl"* ]] || fail "no usage on stderr"
	checks=$((checks + 1))
	(($(nlines "$err") <= 5)) || fail "usage error longer than 5 lines"
}
# A non-usage failure: status, one line on stderr naming something.
want_fail_line() {
	want_rc "$1"
	checks=$((checks + 1))
	[[ $(nlines "$err") -eq 1 && $err == netctl:*"$2"* ]] || fail "want one line with '$2'"
}
# json_check PYTHON-EXPR: the expression over `d` (the parsed stdout) must be true.
json_check() {
	checks=$((checks + 1))
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/out" "$1" || fail "JSON check failed: $1"
}

# mk_kubeconfig FILE CONTEXT...: a small valid kubeconfig with those contexts (the token is
# a marker: it must never show up in the store).
mk_kubeconfig() {
	local f=$1 c
	shift
	{
		echo "apiVersion: v1"
		echo "kind: Config"
		echo "current-context: $1"
		echo "clusters:"
		echo "- name: c1"
		echo "  cluster:"
		echo "    server: https://198.18.0.10:6443"
		echo "users:"
		echo "- name: u1"
		echo "  user:"
		echo "    token: SECRET-TOKEN-MARKER"
		echo "contexts:"
		for c in "$@"; do
			echo "- name: $c"
			echo "  context:"
			echo "    cluster: c1"
			echo "    user: u1"
		done
	} >"$f"
}

# ---- usage, help, version, usage errors --------------------------------------------------

part_usage() {
	local c
	for args in "--help" "-h" "help"; do
		run $args
		want_rc 0
		want_out "usage: netctl"
		want_out "Commands:"
		want_out "Exit codes"
		want_err_empty
	done
	# Every command `netctl --help` lists has working help, both ways.
	local cmds
	run --help
	cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p' "$T/out")
	checks=$((checks + 1))
	[[ $cmds == *init*cluster*history*diff*config*help* ]] || fail "commands listed: $cmds"
	for c in $cmds; do
		run help "$c"
		want_rc 0
		want_out "usage: netctl $c"
		want_err_empty
		run "$c" --help
		want_rc 0
		want_out "usage: netctl $c"
		want_err_empty
	done
	run cluster add --help
	want_rc 0
	want_out "usage: netctl cluster add NAME --kubeconfig FILE"
	want_out "--context"
	run help cluster remove
	want_rc 0
	want_out "usage: netctl cluster remove NAME"
	run history -h
	want_rc 0
	want_out "--limit N"

	run --version
	want_rc 0
	want_err_empty
	checks=$((checks + 1))
	# two lines: netctl's version, the floater image `check` deploys by default (its tag
	# is that version)
	[[ $out =~ ^netctl\ ([0-9]+\.[0-9]+\.[0-9]+)$'\n'floater\ image:\ [^[:space:]]+/netctl-floater:([^[:space:]]+)$ &&
		${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] || fail "version lines '$out'"

	run
	want_usage_error "no command given"
	run frobnicate
	want_usage_error "unknown command 'frobnicate'"
	run --bogus history
	want_usage_error "unknown option '--bogus'"
	run -x history
	want_usage_error "unknown option '-x'"
	run history --bogus
	want_usage_error "unknown option '--bogus'"
	run init -x
	want_usage_error "unknown option '-x'"
	run init --force=yes
	want_usage_error "option '--force' takes no value"
	run history --jsn
	want_usage_error "unknown option '--jsn'"
	run history --limit
	want_usage_error "option '--limit' needs a value"
	run --db
	want_usage_error "--db"
	run history --limit abc
	want_usage_error "--limit"
	run history --limit -1
	want_usage_error "--limit"
	run init extra
	want_usage_error "unexpected argument 'extra'"
	run history now
	want_usage_error "unexpected argument 'now'"
	run cluster remove a b
	want_usage_error "unexpected argument 'b'"
	run cluster add
	want_usage_error "missing argument"
	run cluster remove
	want_usage_error "missing argument"
	run cluster
	want_usage_error "missing subcommand"
	run cluster frob
	want_usage_error "unknown subcommand 'frob'"
	run cluster --db x.db list
	want_usage_error "options go after the subcommand"
	run help frob
	want_usage_error "unknown command 'frob'"
	run diff 1 2 3
	want_usage_error "unexpected argument '3'"
	# What every floater would refuse (400) is refused here, before any cluster is touched:
	# otherwise each pair of the run would be recorded agent-lost.
	run check --src a --interval 15s
	want_usage_error "--interval: '15s' is longer than the limit of 10000 ms"
	run check --src a --timeout 0.1ms
	want_usage_error "--timeout"
	run check --src a --timeout 61s
	want_usage_error "--timeout"
	run check --src a --count 1001
	want_usage_error "--count"
	run check --src a --size 65001
	want_usage_error "--size"
	run check --src a --count 1000 --interval 1s
	want_usage_error "more than the 585 s a probe request may take"
	run resume --run 1 --timeout 0
	want_usage_error "--timeout"
	run check --src a --image-pull-secret regcred --image-pull-secret Reg_Cred
	want_usage_error "--image-pull-secret: 'Reg_Cred' is not a valid Secret name"
	# watch takes check's options, refused the same way, and its own
	run watch --src a
	want_usage_error "--every D is required"
	run watch --every 5 --src a
	want_usage_error "--every: '5' needs a unit"
	run watch --every 500ms --src a
	want_usage_error "--every: '500ms' is outside 1s .. 7d"
	run watch --every 10s --recheck-failed 10s --src a
	want_usage_error "--recheck-failed: '10s' must be at least 1s and shorter than --every 10s"
	run watch --every 10s --listen localhost:9134 --src a
	want_usage_error "--listen: 'localhost' is not an IP address"
	run watch --every 10s --listen '::1:9134' --src a
	want_usage_error "in brackets"
	run watch --every 10s --listen 127.0.0.1:70000 --src a
	want_usage_error "--listen port"
	run watch --every 10s --older-than 30 --src a
	want_usage_error "--older-than: '30' needs a unit"
	run watch --every 10s --keep -1 --src a
	want_usage_error "--keep"
	run watch --every 10s --src a --count 1001
	want_usage_error "--count"
	run watch --every 10s --src a --interval 15s
	want_usage_error "--interval: '15s' is longer than the limit of 10000 ms"
	run watch --every 10s --src a --json
	want_usage_error "unknown option '--json'"
	# Usage errors never create a store.
	checks=$((checks + 1))
	[[ ! -e $XDG_DATA_HOME/netctl/netctl.db ]] || fail "a usage error created the store"
}

# ---- init -------------------------------------------------------------------------------

part_init() {
	run init
	want_rc 0
	want_out "config.json"
	want_err_empty
	cp config.json "$T/out"
	json_check 'd["namespace"] == "kosmos-system" and d["protocol"] == "tcp" and d["podWaitTime"] == 30 and d["port"] == 8889 and d["maxNum"] == 64 and d["cmdTimeout"] == 10 and d["srcKubeConfig"] == "~/.kube/config" and d["srcImageRepository"] == "ghcr.io/kosmos-io" and d["autoClean"] is False'
	json_check 'all(k in d for k in ("namespace", "version", "protocol", "podWaitTime", "port", "maxNum", "cmdTimeout", "srcKubeConfig", "dstKubeConfig", "srcImageRepository", "dstImageRepository", "mode", "autoClean"))'
	cp config.json "$T/first.json"

	echo '{"maxNum": 7}' >config.json
	run init
	want_fail_line 2 "--force"
	want_out_empty
	checks=$((checks + 1))
	[[ $(cat config.json) == '{"maxNum": 7}' ]] || fail "init without --force changed config.json"

	run init --force
	want_rc 0
	checks=$((checks + 1))
	cmp -s config.json "$T/first.json" || fail "init --force did not write the defaults"

	# What init wrote is what the loader reads.
	run config --json
	want_rc 0
	checks=$((checks + 1))
	cmp -s "$T/out" "$T/first.json" || fail "config --json differs from init's file"
}

# ---- cluster add / list / remove ---------------------------------------------------------

part_cluster() {
	local db=$XDG_DATA_HOME/netctl/netctl.db
	mkdir -p "$HOME/.kube" sub
	mk_kubeconfig "$HOME/.kube/prod.yaml" admin@prod viewer@prod
	mk_kubeconfig sub/staging.yaml staging
	echo 'this: [is not a kubeconfig' >sub/broken.yaml

	run cluster list
	want_rc 0
	want_out "no clusters registered"
	run cluster list --json
	want_rc 0
	json_check 'd == []'

	run cluster add prod --kubeconfig '~/.kube/prod.yaml' --context admin@prod
	want_rc 0
	want_out "added cluster prod"
	want_err_empty
	run cluster add staging -k sub/staging.yaml
	want_rc 0

	# The store lands at the XDG default, readable by its owner only.
	checks=$((checks + 1))
	[[ $(stat -c %a "$db" 2>/dev/null) == 600 ]] || fail "store $db missing or not mode 0600"

	run cluster list
	want_rc 0
	want_out "NAME"
	want_out "KUBECONFIG"
	want_out "$HOME/.kube/prod.yaml"
	want_out "$T/work/sub/staging.yaml"
	want_out "admin@prod"
	checks=$((checks + 1))
	[[ $(nlines "$out") -eq 3 ]] || fail "want header + 2 rows"
	run cluster list --json
	json_check 'sorted(c["name"] for c in d) == ["prod", "staging"]'
	json_check '[c for c in d if c["name"] == "prod"][0]["kubeconfig"].endswith("/home/.kube/prod.yaml")'
	json_check '[c for c in d if c["name"] == "prod"][0]["context"] == "admin@prod"'
	json_check '[c for c in d if c["name"] == "staging"][0]["context"] is None'
	# Never a credential: only the path is stored.
	checks=$((checks + 1))
	! grep -q "SECRET-TOKEN-MARKER" "$db" "$db"-wal 2>/dev/null ||
		fail "kubeconfig content found in the store"

	run cluster add prod --kubeconfig sub/staging.yaml
	want_fail_line 2 "already registered"

	# Choosing nodes: a bad selector, toleration or node name is a usage error before any
	# cluster is asked anything.
	run check --src prod --node-selector 'zone in a'
	want_usage_error "--node-selector: 'zone in a': expected '(' after in/notin at column 9"
	run check --src prod --node-selector 'staging:role=x'
	want_usage_error "'staging' is not a cluster of this check"
	run check --src prod --tolerations 'gpu:Sometimes'
	want_usage_error "effect 'Sometimes' is not NoSchedule, PreferNoSchedule or NoExecute"
	run check --src prod --exclude-node 'staging/node-1'
	want_usage_error "--exclude-node staging/node-1: 'staging' is not a cluster of this check"
	run check --src prod --exclude-node 'Node_1'
	want_usage_error "is not a node name"
	run check --src prod --src-node 'staging/node-1'
	want_usage_error "--src-node staging/node-1: 'staging' is not a cluster of this check"
	run check --src prod --dst-node 'prod/Node_1'
	want_usage_error "--dst-node prod/Node_1: 'Node_1' is not a node name"
	# Custom targets: IP literals, of a family the check probes, with a port for tcp/udp.
	run check --src prod --target example.com:80
	want_usage_error "--target example.com:80: 'example.com' is not an IP address"
	run check --src prod --target '[fd00::1]:80'
	want_usage_error "target [fd00::1]:80 is IPv6: add --family 6"
	run check --src prod --target 198.18.0.1
	want_usage_error "target 198.18.0.1 has no port"
	run check --src prod --target 198.18.0.1:99999
	want_usage_error "'99999' is not a port"
	# DNS checks: names that are names, addresses that are addresses (no server: the pods'
	# own, asked after the rollout; e2e.dns)
	run check --src prod --protocol dns --dns-server 10.96.0.10 --dns-name 'a..b'
	want_usage_error "--dns-name 'a..b': not a DNS name"
	run check --src prod --protocol dns --dns-server 10.96.0.10 --dns-name x.svc=1.2.3
	want_usage_error "--dns-name x.svc=1.2.3: '1.2.3' is not an IP address"
	run check --src prod --protocol dns --dns-server '[fd00::a]'
	want_usage_error "DNS server [fd00::a]:53 is IPv6: add --family 6"
	run check --src prod --protocol dns --dns-server dns.example
	want_usage_error "--dns-server dns.example: 'dns.example' is not an IP address"
	run check --src prod --protocol smtp
	want_usage_error "unknown protocol 'smtp' (use icmp, tcp, udp or dns)"
	run cluster add Prod_1 --kubeconfig sub/staging.yaml
	want_usage_error "not a valid cluster name"
	run cluster add qa
	want_usage_error "--kubeconfig"
	# --in-cluster: the pod's service account (a fixture directory stands in for it)
	run cluster add qa --in-cluster
	want_fail_line 2 "--in-cluster: in-cluster config: KUBERNETES_SERVICE_HOST is not set"
	run cluster add qa --in-cluster --kubeconfig sub/staging.yaml
	want_usage_error "--in-cluster takes no --kubeconfig"
	KUBERNETES_SERVICE_HOST=198.18.0.1 KUBERNETES_SERVICE_PORT=6443 \
		NETCTL_SA_DIR=$FIXTURES/kubeconfig/in-cluster run cluster add home --in-cluster
	want_rc 0
	want_out "added cluster home: the pod's service account (in-cluster)"
	run cluster list --json
	json_check '[c for c in d if c["name"] == "home"][0]["kubeconfig"] == "in-cluster"'
	run cluster remove home
	want_rc 0
	run cluster add qa --kubeconfig nosuch.yaml
	want_fail_line 2 "nosuch.yaml"
	run cluster add qa --kubeconfig sub
	want_fail_line 2 "not a regular file"
	run cluster add qa --kubeconfig sub/staging.yaml --context ''
	want_usage_error "--context"
	run cluster add qa --kubeconfig sub/staging.yaml --context prod
	want_fail_line 2 "--context prod: not in $T/work/sub/staging.yaml (it has: staging)"
	run cluster add qa --kubeconfig sub/broken.yaml
	want_fail_line 2 "broken.yaml"
	run cluster list
	want_not_out "qa"

	run cluster remove nosuch
	want_fail_line 2 "no cluster named 'nosuch'"
	run cluster remove prod
	want_rc 0
	want_out "removed cluster prod"
	run cluster remove prod
	want_rc 2
	run cluster list
	want_not_out "prod"
	want_out "staging"
	# A removed name can be added again.
	run cluster add prod --kubeconfig sub/staging.yaml
	want_rc 0

	# Global IP mapping and the IP family (docs/kosmos.md): bad values are usage errors,
	# nothing registered; a check whose clusters say no common family stops before asking
	# any cluster anything.
	run cluster add qa --kubeconfig sub/staging.yaml --ip-family ipv5
	want_usage_error "--ip-family: 'ipv5' is not ipv4, ipv6 or all"
	run cluster add qa --kubeconfig sub/staging.yaml --global-cidr 198.19.0.0/19=198.19.64.0/20
	want_usage_error "must be of one family and one size"
	run cluster add qa --kubeconfig sub/staging.yaml --global-cidr 198.19.0.1/19=198.19.64.0/19
	want_usage_error "host bits set"
	run cluster list
	want_not_out "qa"
	run cluster add v6 --kubeconfig sub/staging.yaml --ip-family ipv6 \
		--global-cidr fd00:19::/48=fd00:29::/48
	want_rc 0
	want_out "checked over IPv6 only when a check gives no --family"
	run cluster list
	want_out "ipv6"
	run cluster list --json
	json_check '[c for c in d if c["name"] == "v6"][0]["ip_family"] == "ipv6"'
	json_check '[c for c in d if c["name"] == "prod"][0]["ip_family"] is None'
	json_check '[c for c in d if c["name"] == "v6"][0]["kubeconfig_file"] is None'
	run check --src v6 --dst prod
	want_usage_error "no IP family in common (v6: ipFamily ipv6 (cluster add --ip-family); a cluster that says none is checked over IPv4): give --family"
	run check --src v6 --target 198.18.0.1:80
	want_usage_error "target 198.18.0.1:80 is IPv4: add --family 4 (the check is IPv6 only)"
	run cluster remove v6
	want_rc 0
	# import --kosmos: its options are checked before the host is asked anything
	run cluster import --kubeconfig sub/staging.yaml
	want_usage_error "missing --kosmos"
	run cluster import --kosmos --kubeconfig sub/staging.yaml --force
	want_usage_error "--force needs --write-kubeconfigs DIR"
	run cluster import --kosmos --kubeconfig sub/staging.yaml --write-kubeconfigs ''
	want_usage_error "--write-kubeconfigs: must not be empty"
	mkdir -m 0777 open
	chmod 0777 open
	run cluster import --kosmos --kubeconfig sub/staging.yaml --write-kubeconfigs open
	want_fail_line 2 "--write-kubeconfigs $T/work/open: writable by group or others"
	run cluster import --kosmos --kubeconfig sub/staging.yaml --write-kubeconfigs sub/staging.yaml
	want_fail_line 2 "not a directory"
	run cluster import --kosmos --kubeconfig sub/staging.yaml --write-kubeconfigs no/such/dir
	want_fail_line 2 "--write-kubeconfigs $T/work/no/such/dir: No such file or directory"

	# Options may come before or after the name; -v is repeatable and -vv shows debug logs.
	mk_kubeconfig sub/late.yaml late
	run cluster add --kubeconfig sub/late.yaml -vv late
	want_rc 0
	want_out "added cluster late"
	want_err "debug: store: $XDG_DATA_HOME/netctl/netctl.db"
	run cluster list
	want_err_empty
	want_out "late"

	# A file name with an escape sequence is stored as it is but never printed raw.
	mk_kubeconfig $'sub/red\e[31m.yaml' red
	run cluster add red --kubeconfig $'sub/red\e[31m.yaml'
	want_rc 0
	run cluster list
	want_out "sub/red?[31m.yaml"
	checks=$((checks + 1))
	[[ $out != *$'\e'* ]] || fail "escape character printed by cluster list"
	run cluster list --json
	json_check '[c for c in d if c["name"] == "red"][0]["kubeconfig"].endswith("/sub/red\x1b[31m.yaml")'

	# --db and NETCTL_DB pick another store; --db wins.
	NETCTL_DB=$T/env.db run cluster add envonly --kubeconfig sub/staging.yaml
	want_rc 0
	run --db "$T/env.db" cluster list
	want_out "envonly"
	run cluster list
	want_not_out "envonly"
	NETCTL_DB=$T/env.db run cluster list --db "$T/other.db"
	want_out "no clusters registered"

	# Local store trouble is exit status 4.
	echo "not a database, just text that is long enough to be read as a header" >"$T/junk.db"
	run --db "$T/junk.db" cluster list
	want_rc 4
	want_err "netctl:"
}

# ---- a store with runs, written with the sqlite3 CLI against the real schema -------------

populate() {
	local db=$1 dead
	run --db "$db" cluster add a --kubeconfig sub/kc.yaml
	run --db "$db" cluster add b --kubeconfig sub/kc.yaml
	dead=$(sh -c 'echo $$')
	# Run 1: left 'running' by a process that is gone (interrupted). Runs 2 and 3: the same
	# check a -> b, done; between them one pair regressed, one recovered, one is new and one
	# vanished; one stayed the same.
	sqlite3 "$db" <<EOF || exit 1
INSERT INTO nodes (id, cluster_id, name) VALUES
  (1, (SELECT id FROM clusters WHERE name = 'a'), 'a-node-1'),
  (2, (SELECT id FROM clusters WHERE name = 'a'), 'a-node-2'),
  (3, (SELECT id FROM clusters WHERE name = 'b'), 'b-node-1');
INSERT INTO runs (id, parent_id, started_ms, finished_ms, status, protocols, families, networks,
  compare_key, options, planned, results, failed, last_write_ms, owner_pid, owner_boot,
  owner_start) VALUES
  (1, NULL, 1764100000000, NULL, 'running', 1, 1, 1, 'key-a', '{}', 10, 2, 0, 1764100001000,
   $dead, 'gone-boot', 1),
  (2, NULL, 1764100100000, 1764100105000, 'done', 2, 1, 1, 'key-ab', '{"protocol":"tcp"}', 4,
   4, 1, 1764100105000, $dead, 'gone-boot', 1),
  (3, NULL, 1764100200000, 1764100203500, 'done', 2, 1, 1, 'key-ab', '{"protocol":"tcp"}', 4,
   4, 1, 1764100203500, $dead, 'gone-boot', 1);
INSERT INTO run_clusters (run_id, cluster_id, roles) VALUES
  (1, (SELECT id FROM clusters WHERE name = 'a'), 3),
  (2, (SELECT id FROM clusters WHERE name = 'a'), 1),
  (2, (SELECT id FROM clusters WHERE name = 'b'), 2),
  (3, (SELECT id FROM clusters WHERE name = 'a'), 1),
  (3, (SELECT id FROM clusters WHERE name = 'b'), 2);
INSERT INTO results VALUES
  (1, 1, 2, 0, 4, 0, 0, 3, 3, 100, 110, 120, 120),
  (1, 2, 1, 0, 4, 0, 0, 3, 3, 100, 110, 120, 120),
  (2, 1, 3, 1, 4, 0, 0, 1, 1, 900, 900, 900, 900),
  (2, 2, 3, 1, 4, 0, 0, 1, 1, 800, 800, 800, 800),
  (2, 3, 1, 1, 4, 0, 1, 1, 0, 0, 0, 0, 0),
  (2, 3, 2, 1, 4, 0, 0, 1, 1, 700, 700, 700, 700),
  (3, 1, 3, 1, 4, 0, 0, 1, 1, 2950, 2950, 2950, 2950),
  (3, 2, 3, 1, 4, 0, 1, 1, 0, 0, 0, 0, 0),
  (3, 3, 1, 1, 4, 0, 0, 1, 1, 600, 600, 600, 600),
  (3, 2, 1, 1, 4, 0, 0, 1, 1, 500, 500, 500, 500);
EOF
}

part_history() {
	local db=$T/runs.db
	mkdir -p sub
	mk_kubeconfig sub/kc.yaml ctx

	run --db "$db" history
	want_rc 0
	want_out "no runs yet"
	want_err_empty
	run --db "$db" history --json
	want_rc 0
	json_check 'd == []'

	populate "$db"
	run --db "$db" history
	want_rc 0
	want_err_empty
	checks=$((checks + 1))
	[[ $(nlines "$out") -eq 4 ]] || fail "want header + 3 runs"
	# Newest first, the dead run shown as interrupted, columns aligned under the headers.
	checks=$((checks + 1))
	"$PY" - "$T/out" <<'EOF' || fail "history table order/alignment"
import sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[0]
col = head.index("STATUS")
ids = [l.split()[0] for l in lines[1:]]
assert ids == ["3", "2", "1"], ids
for l in lines[1:]:
    assert l[col:].split()[0] in ("done", "interrupted"), l
assert lines[3][col:].startswith("interrupted"), lines[3]
EOF
	run --db "$db" history --limit 1
	want_rc 0
	checks=$((checks + 1))
	[[ $(nlines "$out") -eq 2 ]] || fail "--limit 1: want header + 1 run"
	run --db "$db" history --cluster b
	checks=$((checks + 1))
	[[ $(nlines "$out") -eq 3 ]] || fail "--cluster b: want runs 3 and 2"
	run --db "$db" history --cluster nosuch
	want_rc 0
	want_out "no runs involving cluster 'nosuch'"
	run --db "$db" history --json
	want_rc 0
	json_check '[r["id"] for r in d] == [3, 2, 1]'
	json_check '[r["status"] for r in d] == ["done", "done", "interrupted"]'
	json_check 'd[0]["results"] == 4 and d[0]["failed"] == 1 and d[0]["protocols"] == "tcp"'
	json_check 'd[0]["src_clusters"] == "a" and d[0]["dst_clusters"] == "b"'
	json_check 'd[0]["options"] == {"protocol": "tcp"} and d[0]["parent_id"] is None'

	# A resume shows the run it continued.
	sqlite3 "$db" 'UPDATE runs SET parent_id = 2 WHERE id = 3'
	run --db "$db" history --json
	json_check '[r["parent_id"] for r in d] == [2, None, None]'
	run --db "$db" history
	local row=${out#*$'\n'}
	row=${row%%$'\n'*}
	checks=$((checks + 1))
	[[ $row =~ ^\ +3\ .*\ 2$ ]] || fail "RESUMES column of run 3 is not 2: '$row'"

	# resume refuses recorded options of the wrong type instead of replacing them with
	# defaults (exit 4, a store problem), before it contacts any cluster.
	sqlite3 "$db" "UPDATE runs SET options = '{\"clusters\":[{\"name\":\"a\",\"src\":true,\"dst\":false},{\"name\":\"b\",\"src\":false,\"dst\":true}],\"cluster_pairs\":[false,true,false,false],\"count\":\"3\"}' WHERE id = 3"
	run --db "$db" resume --run 3
	want_rc 4
	want_err "run 3: recorded options: field 'count' must be a number"
	sqlite3 "$db" "UPDATE runs SET options = '{\"clusters\":[{\"name\":\"a\",\"src\":true,\"dst\":false},{\"name\":\"b\",\"src\":false,\"dst\":true}],\"cluster_pairs\":[false,true,false,false],\"image_pull_secrets\":[\"regcred\",\"Not_A_Name\"]}' WHERE id = 3"
	run --db "$db" resume --run 3
	want_rc 4
	want_err "run 3: recorded options: image_pull_secrets: not a list of names"

	# A store written by a newer netctl is refused (exit 4) and left as it was.
	sqlite3 "$db" 'PRAGMA user_version = 999'
	cp "$db" "$T/before.db"
	run --db "$db" history
	want_rc 4
	want_err "newer"
	checks=$((checks + 1))
	cmp -s "$db" "$T/before.db" || fail "refused store was modified"
}

# diff_broken_node DB: runs 1 (healthy) and 2 (b/b-node-1 fails everything) of a check
# a <-> b (cross pairs) over icmp,tcp,udp and IPv4,IPv6, two nodes a side; then what diff
# says about them.
diff_broken_node() {
	local db=$1 dead
	run --db "$db" cluster add a --kubeconfig sub/kc.yaml
	run --db "$db" cluster add b --kubeconfig sub/kc.yaml
	dead=$(sh -c 'echo $$')
	sqlite3 "$db" <<EOF || exit 1
INSERT INTO nodes (id, cluster_id, name) VALUES
  (1, (SELECT id FROM clusters WHERE name = 'a'), 'a-node-1'),
  (2, (SELECT id FROM clusters WHERE name = 'a'), 'a-node-2'),
  (3, (SELECT id FROM clusters WHERE name = 'b'), 'b-node-1'),
  (4, (SELECT id FROM clusters WHERE name = 'b'), 'b-node-2');
INSERT INTO runs (id, parent_id, started_ms, finished_ms, status, protocols, families, networks,
  compare_key, options, planned, results, failed, last_write_ms, owner_pid, owner_boot,
  owner_start) VALUES
  (1, NULL, 1764100100000, 1764100105000, 'done', 7, 3, 1, 'key-ab', '{}', 48, 48, 0,
   1764100105000, $dead, 'gone-boot', 1),
  (2, NULL, 1764100200000, 1764100205000, 'done', 7, 3, 1, 'key-ab', '{}', 48, 48, 24,
   1764100205000, $dead, 'gone-boot', 1);
INSERT INTO run_clusters (run_id, cluster_id, roles) SELECT r.id, c.id, 3
  FROM (SELECT 1 AS id UNION SELECT 2) r, clusters c;
INSERT INTO run_nodes (run_id, node_id, floater) SELECT r.id, n.id, 1
  FROM (SELECT 1 AS id UNION SELECT 2) r, nodes n;
WITH r(id) AS (SELECT 1 UNION SELECT 2), n(id) AS (SELECT id FROM nodes),
  p(v) AS (SELECT 0 UNION SELECT 1 UNION SELECT 2), f(v) AS (SELECT 4 UNION SELECT 6)
INSERT INTO results SELECT r.id, s.id, d.id, p.v, f.v, 0,
  CASE WHEN r.id = 2 AND 3 IN (s.id, d.id) THEN 1 ELSE 0 END, 3,
  CASE WHEN r.id = 2 AND 3 IN (s.id, d.id) THEN 0 ELSE 3 END, 500, 600, 700, 700
  FROM r, n s, n d, p, f WHERE (s.id <= 2) != (d.id <= 2);
EOF
	run --db "$db" diff
	want_rc 1
	want_out "24 regressions, 0 recoveries, 0 still failing, 0 new, 0 vanished, 0 not selected, 24 unchanged"
	want_out "Regressions (passed in A, fail in B): 24 results"
	checks=$((checks + 1))
	[[ ${out%%$'\n\n'SRC CLUSTER*} == *$'\n\n'"new: bad node b/b-node-1: every result from and to it fails (24 results, timeout)" ]] ||
		fail "the new verdict does not lead"
	checks=$((checks + 1))
	[[ $(grep -c "icmp,tcp,udp  IPv4,IPv6  pod      ok 0.60ms  timeout" <<<"$out") -eq 4 ]] ||
		fail "want 4 node-pair rows with their protocols and families merged"
	checks=$((checks + 1))
	grep -q "^a/a-node-1  b/b-node-1  icmp,tcp,udp  IPv4,IPv6" <<<"$out" ||
		fail "row a-node-1 -> b-node-1 missing"
	# --limit counts node-pair rows; what is not listed is counted.
	run --db "$db" diff --limit 2
	checks=$((checks + 1))
	[[ $(grep -c "icmp,tcp,udp  IPv4,IPv6" <<<"$out") -eq 2 ]] || fail "--limit 2: want 2 rows"
	want_out "... 12 more results in other node pairs (--limit 0 or --json shows all)"
	# Reversed, the bad node is gone.
	run --db "$db" diff 2 1
	want_rc 0
	want_out "gone: bad node b/b-node-1"
	want_out "Recoveries (failed in A, pass in B): 24 results"
	run --db "$db" diff 1 1
	want_out "verdicts: no change (healthy in both)"
	run --db "$db" diff --json
	json_check 'd["verdicts"] == [{"change": "new", "kind": "bad-node", "text": "bad node b/b-node-1: every result from and to it fails (24 results, timeout)"}]'
	json_check 'len(d["changes"]) == 24'
}

# diff_many_links DB: run 2 has 12 bad links (a-node-i -> b-node-j, i + j not a multiple of
# 4) where run 1 had none: the table lists 10 of them and says how many more.
diff_many_links() {
	local db=$1 dead
	run --db "$db" cluster add a --kubeconfig sub/kc.yaml
	run --db "$db" cluster add b --kubeconfig sub/kc.yaml
	dead=$(sh -c 'echo $$')
	sqlite3 "$db" <<EOF || exit 1
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)
INSERT INTO nodes (id, cluster_id, name)
  SELECT i, (SELECT id FROM clusters WHERE name = CASE WHEN i <= 4 THEN 'a' ELSE 'b' END),
    CASE WHEN i <= 4 THEN 'a-node-' || i ELSE 'b-node-' || (i - 4) END FROM n;
INSERT INTO runs (id, parent_id, started_ms, finished_ms, status, protocols, families, networks,
  compare_key, options, planned, results, failed, last_write_ms, owner_pid, owner_boot,
  owner_start) VALUES
  (1, NULL, 1764100100000, 1764100105000, 'done', 2, 1, 1, 'key-ab', '{}', 32, 32, 0,
   1764100105000, $dead, 'gone-boot', 1),
  (2, NULL, 1764100200000, 1764100205000, 'done', 2, 1, 1, 'key-ab', '{}', 32, 32, 12,
   1764100205000, $dead, 'gone-boot', 1);
INSERT INTO run_clusters (run_id, cluster_id, roles) SELECT r.id, c.id, 3
  FROM (SELECT 1 AS id UNION SELECT 2) r, clusters c;
WITH r(id) AS (SELECT 1 UNION SELECT 2), n(id) AS (SELECT id FROM nodes),
  bad(r, s, d) AS (SELECT r.id, s.id, d.id FROM r, n s, n d
    WHERE r.id = 2 AND s.id <= 4 AND d.id > 4 AND (s.id + d.id) % 4 != 0)
INSERT INTO results SELECT r.id, s.id, d.id, 1, 4, 0,
  EXISTS (SELECT 1 FROM bad WHERE bad.r = r.id AND bad.s = s.id AND bad.d = d.id), 3,
  CASE WHEN EXISTS (SELECT 1 FROM bad WHERE bad.r = r.id AND bad.s = s.id AND bad.d = d.id)
    THEN 0 ELSE 3 END, 500, 600, 700, 700
  FROM r, n s, n d WHERE (s.id <= 4) != (d.id <= 4);
EOF
	run --db "$db" diff
	want_rc 1
	checks=$((checks + 1))
	[[ $(grep -c "^new: bad link a/a-node-" <<<"$out") -eq 10 ]] || fail "want 10 new bad links listed"
	want_out "... 2 more new verdicts (--json lists them all)"
	run --db "$db" diff --json
	json_check 'len(d["verdicts"]) == 12 and all(v["kind"] == "bad-link" for v in d["verdicts"])'
}

part_diff() {
	local db=$T/runs.db
	mkdir -p sub
	mk_kubeconfig sub/kc.yaml ctx

	run --db "$db" diff
	want_rc 0
	want_out "nothing to compare"
	want_err_empty

	populate "$db"
	# Default: the newest run (3) against the newest earlier comparable one (2).
	run --db "$db" diff
	want_rc 1
	want_err_empty
	want_out "A: run 2"
	want_out "B: run 3"
	want_out "1 regression, 1 recovery, 0 still failing, 1 new, 1 vanished, 0 not selected, 1 unchanged"
	want_out "Regressions"
	want_out "a/a-node-2"
	want_out "timeout"
	checks=$((checks + 1))
	grep -A2 "^Regressions" <<<"$out" | grep -q "a/a-node-2  *b/b-node-1  *tcp" ||
		fail "regression row a-node-2 -> b-node-1 missing"
	checks=$((checks + 1))
	grep -A2 "^Recoveries" <<<"$out" | grep -q "b/b-node-1  *a/a-node-1" ||
		fail "recovery row b-node-1 -> a-node-1 missing"

	run --db "$db" diff 2 3 --json
	want_rc 1
	json_check 'd["run_a"] == 2 and d["run_b"] == 3'
	json_check 'd["totals"]["regression"] == 1 and d["totals"]["recovery"] == 1 and d["totals"]["new"] == 1 and d["totals"]["vanished"] == 1 and d["totals"]["same"] == 1'
	json_check 'sorted(c["kind"] for c in d["changes"]) == ["new", "recovery", "regression", "vanished"]'
	json_check '[c for c in d["changes"] if c["kind"] == "regression"][0]["src_node"] == "a-node-2"'
	json_check '[c for c in d["changes"] if c["kind"] == "regression"][0]["b"]["error"] == "timeout" and [c for c in d["changes"] if c["kind"] == "regression"][0]["a"]["passed"]'
	json_check 'len(d["groups"]) >= 1'

	# One id: B against the newest earlier comparable run.
	run --db "$db" diff 3
	want_rc 1
	want_out "A: run 2"
	# Reversed, the recovery is the regression.
	run --db "$db" diff 3 2 --json
	want_rc 1
	json_check '[c for c in d["changes"] if c["kind"] == "regression"][0]["src_node"] == "b-node-1"'
	# --limit caps the rows listed, not the counts.
	run --db "$db" diff --limit 0
	want_rc 1

	# Latency: a-node-1 -> b-node-1 passed in both, 0.90ms -> 2.95ms.
	run --db "$db" diff
	want_not_out "Latency"
	run --db "$db" diff --rtt 2ms
	want_rc 1
	want_out "Latency changes"
	want_out "(1 with a latency change)"
	checks=$((checks + 1))
	grep -A2 "^Latency" <<<"$out" | grep -q "a/a-node-1  *b/b-node-1 .* ok 0.90ms  *ok 2.95ms" ||
		fail "latency row a-node-1 -> b-node-1 missing"
	run --db "$db" diff --rtt 3ms
	want_not_out "Latency changes"
	want_out "(0 with a latency change)"
	run --db "$db" diff --rtt 2ms --rtt-pct 300
	want_out "(0 with a latency change)"
	run --db "$db" diff --rtt 500us --json
	json_check 'd["totals"]["rtt-change"] == 1 and d["totals"]["same"] == 0'
	json_check '[c for c in d["changes"] if c["kind"] == "rtt-change"][0]["b"]["rtt_avg_us"] == 2950'
	run --db "$db" diff --rtt-pct 10
	want_usage_error "--rtt-pct needs --rtt"
	run --db "$db" diff --rtt 0
	want_usage_error "--rtt"

	# One broken node, three protocols, two families: a row per node pair (4), not per
	# result (24), and the verdicts that changed lead.
	diff_broken_node "$T/node.db"
	diff_many_links "$T/links.db"

	run --db "$db" diff 2 99
	want_fail_line 2 "99"
	run --db "$db" diff abc
	want_rc 2
	want_err "run id"
	run --db "$db" diff 1
	want_rc 2
	want_err "no earlier run"
}

# ---- history --prune: retention on a real store --------------------------------------------

# bytes FILE: size of a store with its WAL (what the user's disk holds).
bytes() {
	local n=0 f
	for f in "$1" "$1-wal"; do
		[[ -e $f ]] && n=$((n + $(stat -c %s "$f")))
	done
	echo "$n"
}

part_prune() {
	local db=$T/runs.db old live boot start before after
	mkdir -p sub
	mk_kubeconfig sub/kc.yaml ctx

	# Usage errors: exit 2, one line naming the problem, nothing touched.
	run --db "$db" history --keep 3
	want_usage_error "--keep needs --prune"
	run --db "$db" history --older-than 30d
	want_usage_error "--older-than needs --prune"
	run --db "$db" history --dry-run
	want_usage_error "--dry-run needs --prune"
	run --db "$db" history --prune
	want_usage_error "--prune needs --keep N and/or --older-than"
	run --db "$db" history --prune --keep -1
	want_usage_error "--keep"
	run --db "$db" history --prune --keep many
	want_usage_error "--keep"
	run --db "$db" history --prune --older-than 30
	want_usage_error "needs a unit"
	run --db "$db" history --prune --older-than 30x
	want_usage_error "--older-than"
	run --db "$db" history --prune --older-than -3d
	want_usage_error "--older-than"
	run --db "$db" history --prune --keep 2 --limit 5
	want_usage_error "--limit"
	run --db "$db" history --prune --keep 2 --cluster a
	want_usage_error "--cluster"
	checks=$((checks + 1))
	[[ ! -e $db ]] || fail "a usage error created the store"

	populate "$db"
	# A process that owns run 7 ('running' and alive: never pruned).
	sleep 300 &
	live=$!
	boot=$(</proc/sys/kernel/random/boot_id)
	start=$(awk '{print $22}' "/proc/$live/stat")
	old=$(($(date +%s) * 1000 - 60 * 86400000))
	# Runs 1-3 (populate) and 4-5 are 60 days old; 4 holds 50,000 results between 250
	# nodes no other run has. 6 resumes 5 and is new; 7 is running; 8 is new.
	sqlite3 "$db" <<SQL || exit 1
UPDATE runs SET started_ms = $old, finished_ms = $old + 5000 WHERE id <= 3;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 249)
INSERT INTO nodes (id, cluster_id, name)
  SELECT 100 + i, (SELECT id FROM clusters WHERE name = 'a'), 'big-' || i FROM n;
INSERT INTO runs (id, parent_id, started_ms, finished_ms, status, protocols, families, networks,
  compare_key, options, planned, results, failed, last_write_ms, owner_pid, owner_boot,
  owner_start) VALUES
  (4, NULL, $old, $old + 9000, 'done', 2, 1, 1, 'key-a', '{}', 50000, 50000, 0, $old, 1, 'x', 1),
  (5, NULL, $old, $old + 9000, 'done', 2, 1, 1, 'key-ab', '{}', 4, 2, 1, $old, 1, 'x', 1),
  (6, 5, $old + 60 * 86400000 - 60000, $old + 60 * 86400000 - 50000, 'done', 2, 1, 1, 'key-ab',
   '{}', 1, 1, 0, $old, 1, 'x', 1),
  (7, NULL, $old + 60 * 86400000 - 40000, NULL, 'running', 2, 1, 1, 'key-ab', '{}', 4, 0, 0,
   $old, $live, '$boot', $start),
  (8, NULL, $old + 60 * 86400000 - 30000, $old + 60 * 86400000 - 20000, 'done', 2, 1, 1,
   'key-ab', '{}', 1, 1, 0, $old, 1, 'x', 1);
INSERT INTO run_clusters (run_id, cluster_id, roles)
  SELECT r.id, c.id, CASE c.name WHEN 'a' THEN 1 ELSE 2 END
  FROM (SELECT 5 AS id UNION SELECT 6 UNION SELECT 7 UNION SELECT 8) r, clusters c;
INSERT INTO run_clusters (run_id, cluster_id, roles)
  SELECT 4, id, 3 FROM clusters WHERE name = 'a';
INSERT INTO run_nodes (run_id, node_id, floater) SELECT 4, id, 1 FROM nodes WHERE id >= 100;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
INSERT INTO results SELECT 4, 100 + i / 200, 100 + i % 200 + 50 * (i / 200 % 2), 1, 4, 0, 0, 3,
  3, 100, 110, 120, 120 FROM n;
INSERT INTO results VALUES
  (5, 1, 3, 1, 4, 0, 0, 1, 1, 900, 900, 900, 900),
  (5, 2, 3, 1, 4, 0, 1, 1, 0, 0, 0, 0, 0),
  (6, 2, 3, 1, 4, 0, 0, 1, 1, 700, 700, 700, 700),
  (8, 1, 3, 1, 4, 0, 0, 1, 1, 800, 800, 800, 800);
SQL
	before=$(bytes "$db")

	# Units: the old runs are 60 days old.
	run --db "$db" history --prune --older-than 8w --dry-run
	want_out "would prune 4 runs"
	run --db "$db" history --prune --older-than 1500h --dry-run
	want_out "nothing to prune"
	run --db "$db" history --prune --older-than 61d --dry-run
	want_out "nothing to prune"
	run --db "$db" history --prune --older-than 59d --dry-run
	want_out "would prune 4 runs"

	# Dry run: says what would go, changes nothing.
	run --db "$db" history --prune --older-than 30d --dry-run
	want_rc 0
	want_err_empty
	want_out "would prune 4 runs, 50,010 results, 250 node names"
	want_out "dry run: nothing deleted"
	want_out "would keep 4 runs (1 only because a kept resume reads through it, 1 running)"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'SELECT count(*) FROM results') -eq 50014 ]] || fail "dry run deleted"

	# By age: 1-4 go (1 was left running by a dead process: interrupted, prunable); 5
	# stays because the kept resume 6 reads through it; 7 runs; 8 is new.
	run --db "$db" history --prune --older-than 30d
	want_rc 0
	want_err_empty
	want_out "pruned 4 runs, 50,010 results, 250 node names; database "
	want_out "kept 4 runs (1 only because a kept resume reads through it, 1 running)"
	after=$(bytes "$db")
	checks=$((checks + 1))
	((after * 3 < before)) || fail "store not shrunk enough: $before -> $after bytes"
	checks=$((checks + 1))
	[[ $out =~ database\ ([0-9.]+\ [kMG]B|[0-9]+\ bytes)\ -\>\ ([0-9.]+\ [kMG]B|[0-9]+\ bytes) ]] ||
		fail "no 'database X -> Y' in the output"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'SELECT group_concat(id) FROM (SELECT id FROM runs ORDER BY id)') == 5,6,7,8 ]] ||
		fail "runs left: $(sqlite3 "$db" 'SELECT group_concat(id) FROM runs')"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'SELECT count(*) FROM results') -eq 4 &&
		$(sqlite3 "$db" 'SELECT count(*) FROM run_nodes') -eq 0 &&
		$(sqlite3 "$db" 'SELECT count(*) FROM run_clusters WHERE run_id < 5') -eq 0 &&
		$(sqlite3 "$db" "SELECT count(*) FROM nodes WHERE name LIKE 'big-%'") -eq 0 &&
		$(sqlite3 "$db" 'SELECT count(*) FROM nodes') -eq 3 ]] ||
		fail "rows of pruned runs left behind"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'PRAGMA integrity_check') == ok &&
		-z $(sqlite3 "$db" 'PRAGMA foreign_key_check') ]] || fail "store damaged by prune"
	# The chain 6 -> 5 reads as before: history shows the parent, the merged report has it.
	run --db "$db" history --json
	json_check '[r["id"] for r in d] == [8, 7, 6, 5] and d[2]["parent_id"] == 5'
	json_check 'd[1]["status"] == "running"'
	run --db "$db" report --run 6 --format json --merged
	want_rc 0
	json_check 'd["totals"]["results"] == 2 and d["totals"]["failed"] == 0'
	json_check 'sorted(r["run_id"] for r in d["results"]) == [5, 6]'
	run --db "$db" diff 5 6
	want_rc 0

	# Again: nothing to do.
	run --db "$db" history --prune --older-than 30d
	want_rc 0
	want_out "nothing to prune"

	# By count, JSON: the newest finished run (8) stays, the live run 7 too; 5 and 6 go.
	run --db "$db" history --prune --keep 1 --json
	want_rc 0
	json_check 'd["runs_pruned"] == 2 and d["results_pruned"] == 3 and d["runs_kept"] == 2'
	json_check 'd["kept_running"] == 1 and d["vacuumed"] and not d["dry_run"]'
	json_check 'd["bytes_after"] <= d["bytes_before"]'
	run --db "$db" history --json
	json_check '[r["id"] for r in d] == [8, 7]'

	# Once its owner is gone, the running run is interrupted and can go.
	kill "$live"
	wait "$live" 2>/dev/null
	run --db "$db" history --prune --keep 0
	want_rc 0
	want_out "pruned 2 runs"
	want_out "kept 0 runs"
	run --db "$db" history
	want_out "no runs yet"

	# A file that is no store is a store error (exit 4), not a usage error.
	echo "not a database at all, just text" >"$T/bad.db"
	run --db "$T/bad.db" history --prune --keep 1
	want_fail_line 4 "not a netctl store"
}

# ---- a full disk ------------------------------------------------------------------------------

# fill DIR KB: leaves about KB kilobytes free on DIR's file system.
fill() {
	local avail
	rm -f "$1/fill"
	avail=$(df -k --output=avail "$1" | tail -1)
	((avail > $2)) && dd if=/dev/zero of="$1/fill" bs=1k count=$((avail - $2)) status=none
}

part_full() {
	local dir=$T/full db=$T/full/runs.db
	mkdir -p sub "$dir"
	mk_kubeconfig sub/kc.yaml ctx
	# A store of 1.9 MB: run 4 holds 50,000 results, run 5 is newer.
	populate "$T/runs.db"
	sqlite3 "$T/runs.db" <<SQL || exit 1
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 249)
INSERT INTO nodes (id, cluster_id, name)
  SELECT 100 + i, (SELECT id FROM clusters WHERE name = 'a'), 'big-' || i FROM n;
INSERT INTO runs (id, parent_id, started_ms, finished_ms, status, protocols, families, networks,
  compare_key, options, planned, results, failed, last_write_ms, owner_pid, owner_boot,
  owner_start) VALUES
  (4, NULL, 1764100300000, 1764100309000, 'done', 2, 1, 1, 'key-a', '{}', 50000, 50000, 0,
   1764100309000, 1, 'x', 1),
  (5, NULL, 1764100400000, 1764100409000, 'done', 2, 1, 1, 'key-a', '{}', 0, 0, 0,
   1764100409000, 1, 'x', 1);
INSERT INTO run_clusters (run_id, cluster_id, roles) SELECT 4, id, 3 FROM clusters WHERE name = 'a';
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
INSERT INTO results SELECT 4, 100 + i / 200, 100 + i % 200 + 50 * (i / 200 % 2), 1, 4, 0, 0, 3,
  3, 100, 110, 120, 120 FROM n;
SQL
	mount -t tmpfs -o size=4m netctl-cli-full "$dir" || { fail "cannot mount a tmpfs"; return; }
	cp "$T/runs.db" "$db"

	# No byte left: whatever netctl writes fails with the file named and a way out.
	fill "$dir" 0
	run --db "$db" cluster add c --kubeconfig sub/kc.yaml
	want_fail_line 4 "disk is full: no room for the store $db: free space on its file system, or use a store elsewhere (--db FILE or NETCTL_DB)"
	run --db "$db" history --prune --keep 1
	want_fail_line 4 "no room for the store $db"

	# Room to open, not to delete: prune says it needs room for its journal; nothing goes.
	fill "$dir" 400
	run --db "$db" history --prune --keep 1
	want_fail_line 4 "prune: database or disk is full: deleting runs writes a journal next to the store $db, up to the size of what goes: free that much"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'SELECT count(*) FROM runs') -eq 5 ]] || fail "a failed prune deleted runs"

	# Room to delete, not to vacuum: the runs go, the file keeps its size, exit 0.
	fill "$dir" 1850
	run --db "$db" history --prune --keep 1
	want_rc 0
	want_out "pruned 4 runs"
	want_err "no room for vacuum's copy of the store"
	checks=$((checks + 1))
	[[ $(sqlite3 "$db" 'PRAGMA integrity_check') == ok &&
		$(sqlite3 "$db" 'SELECT count(*) FROM results') -eq 0 ]] || fail "store after prune"
	checks=$((checks + 1))
	[[ ! -s $db-wal ]] || fail "the WAL of the deletes was not given back"

	rm -f "$dir/fill"
	umount "$dir"
}

# ---- report files as their consumers read them --------------------------------------------

# want_json_report FILE RESULTS FAILED: valid against docs/report-schema.json, coherent.
want_json_report() {
	local msg
	checks=$((checks + 1))
	msg=$(/usr/bin/python3 "$CHECK_JSON" "$SCHEMA" "$@" 2>&1) || fail "JSON report $1: $msg"
}

want_junit() { # want_junit FILE TESTS FAILURES
	local msg
	checks=$((checks + 1))
	msg=$("$PY" "$FIXTURES/report/check_junit.py" "$@" 2>&1) || fail "JUnit $1: $msg"
}

part_report() {
	local db=$T/runs.db f
	mkdir -p sub
	mk_kubeconfig sub/kc.yaml ctx
	populate "$db"

	# Every run, plain and merged, as JSON: valid against the schema, totals as stored.
	run --db "$db" report --run 2 --format json -o "$T/r2.json"
	want_rc 0
	want_json_report "$T/r2.json" 4 1
	run --db "$db" report --run 3 --format json
	want_rc 0
	cp "$T/out" "$T/r3.json"
	want_json_report "$T/r3.json" 4 1
	json_check 'd["run"]["id"] == 3 and d["run"]["src_clusters"] == ["a"] and d["run"]["protocols"] == ["tcp"]'
	json_check '[v["kind"] for v in d["verdicts"]] != ["healthy"]'
	# The interrupted run (left running by a dead process): 2 results of 10 planned.
	run --db "$db" report --run 1 --format json -o "$T/r1.json"
	want_rc 0
	want_json_report "$T/r1.json" 2 0
	checks=$((checks + 1))
	grep -q '"status":"interrupted"' "$T/r1.json" || fail "run 1 not reported interrupted"
	checks=$((checks + 1))
	grep -q '"kind":"not-probed"' "$T/r1.json" || fail "run 1 has no not-probed verdict"
	# A resume (3 continues 2): merged, the latest result per pair along the chain.
	sqlite3 "$db" 'UPDATE runs SET parent_id = 2 WHERE id = 3'
	run --db "$db" report --run 3 --format json --merged -o "$T/m3.json"
	want_rc 0
	want_json_report "$T/m3.json" 5 1
	run --db "$db" report --run 3 --format json --merged
	json_check 'd["run"]["merged"] and d["run"]["parent_id"] == 2'
	json_check 'sorted(r["run_id"] for r in d["results"]) == [2, 3, 3, 3, 3]'
	# A parent that is gone (only a file edited by hand: netctl keeps chains whole): the
	# merged view starts at the gap, with a warning; nothing fails.
	sqlite3 "$db" 'UPDATE runs SET parent_id = 99 WHERE id = 3'
	run --db "$db" report --run 3 --format json --merged -o "$T/g3.json"
	want_rc 0
	want_err "run 3 resumes run 99, which is no longer in the store"
	want_json_report "$T/g3.json" 4 1
	run --db "$db" diff 2 3
	want_rc 1
	want_out "1 regression"
	run --db "$db" history --json
	json_check 'd[0]["id"] == 3 and d[0]["parent_id"] == 99'
	sqlite3 "$db" 'UPDATE runs SET parent_id = 2 WHERE id = 3'
	# The checker fails on what a consumer would choke on.
	for f in 'del d["totals"]' 'd["results"][0]["error"] = "broken"' \
		'd["results"][0]["passed"] = not d["results"][0]["passed"]' \
		'd["run"]["families"] = ["4"]' 'd["extra"] = 1'; do
		"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[3], "w"))' "$T/r3.json" "$f" "$T/bad.json"
		checks=$((checks + 1))
		! /usr/bin/python3 "$CHECK_JSON" "$SCHEMA" "$T/bad.json" >/dev/null 2>&1 ||
			fail "schema check accepted a report with: $f"
	done

	# JUnit: parses as XML, one testcase per result, failures counted on both elements.
	run --db "$db" report --run 2 --format junit -o "$T/r2.xml"
	want_rc 0
	want_junit "$T/r2.xml" 4 1
	run --db "$db" report --run 3 --format junit --merged -o "$T/m3.xml"
	want_junit "$T/m3.xml" 5 1
	run --db "$db" report --run 1 --format junit -o "$T/r1.xml"
	want_junit "$T/r1.xml" 2 0
	checks=$((checks + 1))
	grep -q 'classname="netctl.a.b"' "$T/r2.xml" || fail "JUnit classname is not netctl.SRC.DST"

	# CSV: the documented header, one row per result.
	run --db "$db" report --run 2 --format csv
	want_rc 0
	checks=$((checks + 1))
	"$PY" - "$T/out" <<'EOF' || fail "CSV header or rows"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ("run_id,src_cluster,src_node,dst_cluster,dst_node,protocol,family,network,"
                   "passed,error,sent,received,loss_pct,rtt_min_us,rtt_avg_us,rtt_max_us,"
                   "rtt_p99_us").split(","), rows[0]
assert len(rows) == 5, len(rows)
assert sorted(r[9] for r in rows[1:]) == ["ok", "ok", "ok", "timeout"], rows
EOF

	# A window over runs 2 and 3 (sampled checks of a <-> b): nodes a-node-1, a-node-2 and
	# b-node-1, so 4 pairs a -> b and b -> a; run 3 alone holds 3 of them (its a-node-2 ->
	# a-node-1 is no pair of the run), run 2 the fourth.
	sqlite3 "$db" <<'EOF' || exit 1
UPDATE runs SET options = '{"clusters":[{"name":"a","src":true,"dst":false},{"name":"b","src":false,"dst":true}],"cluster_pairs_n":2,"cluster_pairs":[false,true,true,false],"sample":1,"sample_round":0}' WHERE id IN (2, 3);
INSERT INTO run_nodes (run_id, node_id, floater) VALUES (2, 1, 1), (2, 2, 1), (2, 3, 1),
  (3, 1, 1), (3, 2, 1), (3, 3, 1);
EOF
	run --db "$db" coverage --runs 1 --json
	want_rc 0
	json_check 'd["run"] == 3 and d["runs"] == 1 and d["pairs"] == 4 and d["seen"] == 3 and d["failed"] == 1 and d["fraction"] == 0.75'
	run --db "$db" coverage --runs 2 --json
	json_check 'd["runs"] == 2 and d["seen"] == 4 and d["fraction"] == 1 and d["failed"] == 1'
	json_check '{(r["src"], r["dst"]): (r["run"], r["result"]) for r in d["results"]} == {("a-node-1", "b-node-1"): (3, "ok"), ("a-node-2", "b-node-1"): (3, "timeout"), ("b-node-1", "a-node-1"): (3, "ok"), ("b-node-1", "a-node-2"): (2, "ok")}'
	run --db "$db" coverage --runs 2 --src b --json
	json_check 'd["pairs"] == 2 and d["seen"] == 2'
	run --db "$db" coverage --window 1m --json # run 2 started 100 s before run 3
	json_check 'd["runs"] == 1 and d["seen"] == 3'
	run --db "$db" coverage --runs 2 --pairs
	want_rc 0
	want_out "pairs probed: 4 of 4 (100.0%), of which 1 failed"
	want_out $'a/a-node-2\tb/b-node-1\ttcp\tIPv4\tpod\ttimeout\trun 3\t'
	want_out $'b/b-node-1\ta/a-node-2\ttcp\tIPv4\tpod\tok\trun 2\t'
	run --db "$db" report --runs 2
	want_rc 0
	want_out "verdicts from 100% of pairs (4 of 4 node-pair results, the latest of 2 runs"
	run --db "$db" report --run 3 --runs 1 --format json -o "$T/w3.json"
	want_rc 0
	checks=$((checks + 1))
	/usr/bin/python3 "$CHECK_JSON" "$SCHEMA" "$T/w3.json" >/dev/null 2>&1 ||
		fail "the JSON report over a window does not validate"
	run --db "$db" report --run 3 --runs 1 --format json
	json_check 'd["coverage"] == {"runs": 1, "pairs": 4, "seen": 3, "failed": 1, "fraction": 0.75}'
	run --db "$db" diff --runs 1 2 3
	want_out "A's window: 100% of pairs"
	want_out "B's window: 75% of pairs"
	run --db "$db" coverage --runs 0
	want_usage_error "--runs"
	run --db "$db" coverage --window 5x
	want_usage_error "--window"
	run --db "$db" report --window soon
	want_usage_error "--window"
	run --db "$db" coverage --run 99
	want_fail_line 2 "no run 99"
	run --db "$db" coverage --src nosuch
	want_fail_line 2 "no finished run of cluster nosuch"
}

# ---- config.json through the CLI ---------------------------------------------------------

part_config() {
	local f
	run config
	want_rc 0
	want_out "defaults"
	want_out "kosmos-system"

	cp "$FIXTURES/config/good/netdoctor-readme.json" config.json
	run config --json
	want_rc 0
	want_err_empty
	json_check 'd["port"] == 8889 and d["version"] == "v0.2.0" and d["dstKubeConfig"] == "~/.kube/dst-config"'

	echo '{"maxNum": 4, "colour": "blue"}' >config.json
	run config
	want_rc 0
	want_err "unknown field 'colour'"

	for f in "$FIXTURES"/config/bad/*.json; do
		cp "$f" config.json
		run config
		want_fail_line 2 "config.json"
		want_out_empty
	done
	echo '{"maxNum": 0}' >config.json
	run config
	want_fail_line 2 "maxNum"
	echo '{"protocol": "sctp"}' >config.json
	run config
	want_fail_line 2 "protocol"
	echo '{"cmdTimeout": -5}' >config.json
	run config
	want_fail_line 2 "cmdTimeout"
	echo '{"imagePullSecrets": ["regcred", "-bad"]}' >config.json
	run config
	want_fail_line 2 "imagePullSecrets: '-bad' is not a valid Secret name"
	echo '{"imagePullSecrets": ["regcred", "mirror.key"]}' >config.json
	run config
	want_rc 0
	want_out "imagePullSecrets    regcred,mirror.key"
}

case $PART in
usage | init | cluster | history | diff | prune | full | report | config) "part_$PART" ;;
*)
	echo "unknown part $PART" >&2
	exit 2
	;;
esac
echo "cli.$PART: $checks checks, $fails failed"
((fails == 0))
