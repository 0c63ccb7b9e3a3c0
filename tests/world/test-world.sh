#!/usr/bin/env bash
# test-world.sh STEP - the `world` ctest steps; they share one world (2 clusters x 5 nodes)
# in $WORLD_TEST_DIR, made by `up` and removed by `down`.  Root only (exit 77 = skipped).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
STEP=${1:?step}
DIR=${WORLD_TEST_DIR:?}
BUILD=${NETCTL_BUILD_DIR:?}
W=$HERE/world F=$HERE/fault P=$HERE/probe
export NETCTL_WORLD_DIR=$DIR NETCTL_BUILD_DIR=$BUILD

if [[ $(id -u) != 0 ]]; then echo "SKIP: the test world needs root"; exit 77; fi

fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'exit 1' TERM INT # so that EXIT traps (fault cleanup) run on a ctest timeout
ok() { echo "ok: $*"; }
kc() { "$W" exec kubectl --kubeconfig "$("$W" kubeconfig "$1" --admin)" "${@:2}"; }
# probe_err NODE TARGET PROTO [probe options]: the floater's verdict for one pair
probe_err() {
	"$P" "$1" "$2" --proto "$3" "${@:4}" | jq -r 'select(.protocol) | .error' | head -n1
}
expect() { # expect WANT NODE TARGET PROTO [options]
	local got
	got=$(probe_err "${@:2}") || true
	[[ $got == "$1" ]] || fail "$2 -> $3 $4: got '$got', want '$1'"
	ok "$2 -> $3 $4: $got"
}
source_world() { # loads the world's names (cluster, node table) for checks
	# shellcheck source=lib.sh
	source "$HERE/lib.sh"
	world_dir_resolve "$DIR"
	world_env_load
}

step_up() {
	local c n cidrs
	"$W" down >/dev/null 2>&1 || true
	"$W" up --clusters east:5,west:5
	for c in east west; do
		n=$(kc "$c" get nodes --no-headers | awk '$2 == "Ready"' | wc -l)
		((n == 5)) || fail "$c: $n of 5 nodes Ready: $(kc "$c" get nodes --no-headers)"
		ok "$c: kubectl get nodes shows 5 Ready"
		# captured first: `| grep -q` under pipefail fails when kubectl gets SIGPIPE
		cidrs=$(kc "$c" get nodes -o jsonpath='{range .items[*]}{.spec.podCIDRs}{"\n"}{end}')
		[[ $cidrs == *fd00:19* ]] || fail "$c: nodes without an IPv6 pod CIDR: $cidrs"
	done
}

step_floaters() {
	local c t0 n running
	t0=$(date +%s)
	for c in east west; do "$HERE/apply-floaters" "$c"; done
	for c in east west; do
		while :; do
			# Running, Ready, and both families in podIPs
			running=$(kc "$c" get pods -n kosmos-system -o json | jq '[.items[] | select(.status.phase == "Running"
				and (.status.conditions // [] | any(.type == "Ready" and .status == "True"))
				and (.status.podIPs // [] | map(.ip) | (any(contains(":")) and any(contains(".")))))] | length')
			((running == 10)) && break
			(($(date +%s) - t0 <= 60)) || fail "$c: only $running of 10 floater pods Running+Ready with v4+v6 after 60 s"
			sleep 1
		done
		ok "$c: 10 floater pods (5 pod network, 5 host network) Running, Ready, v4+v6 after $(($(date +%s) - t0)) s"
	done
	n=$(kc east get pods -n kosmos-system -l netctl.io/network=pod -o jsonpath='{.items[0].metadata.name}')
	[[ $(kc east get --raw "/api/v1/namespaces/kosmos-system/pods/$n:8889/proxy/healthz") == ok ]] ||
		fail "/healthz through the pod proxy"
	ok "/healthz of $n through the API server's pod proxy"
	n=$(kc west get pods -n kosmos-system -l netctl.io/network=pod -o json | jq -r '.items[0].metadata.name')
	[[ -n $("$W" nodes west | awk '$6 != "-"') ]] || fail "world nodes lists no pod IPs"
}

# counters_unchanged BEFORE: the kernel's loss counters of the world (world counters) have
# not moved since BEFORE; else fails naming each counter that did (the machine's own loss).
counters_unchanged() {
	local moved
	moved=$(join <(sort <<<"$1") <("$W" counters | sort) | awk '$1 != "namespaces" && $3 > $2 { printf "%s +%d ", $1, $3 - $2 }')
	[[ -z $moved ]] || fail "kernel loss counters moved on a healthy world: $moved"
	ok "kernel loss counters unchanged (neighbour tables, socket buffers, listen queues, conntrack)"
}

step_probe() {
	local proto before
	before=$("$W" counters)
	for proto in icmp tcp udp; do
		expect ok east-node-1 pod:west-node-2 "$proto"
		expect ok east-node-1 pod6:west-node-2 "$proto"
		expect ok west-node-5 pod:east-node-3 "$proto"
		expect ok east-node-2 node:west-node-4 "$proto" --network host
		expect ok east-node-2 node6:west-node-4 "$proto" --network host
		expect ok east-node-4 pod:east-node-5 "$proto"
	done
	counters_unchanged "$before"
}

step_faults() {
	local id west2 west2v6 out got
	trap '"$F" clear >/dev/null 2>&1 || true' EXIT
	west2=$("$W" nodes west | awk '$1 == "west-node-2" {print $6}')
	west2v6=$("$W" nodes west | awk '$1 == "west-node-2" {print $7}')
	id=$("$F" drop east west --proto icmp)
	expect timeout east-node-1 "$west2" icmp --timeout-ms 500 --count 2
	expect ok east-node-1 "$west2" tcp
	expect ok east-node-1 pod:east-node-2 icmp
	"$F" undo "$id"
	expect ok east-node-1 "$west2" icmp

	id=$("$F" reject east-node-1 west-node-2 --proto tcp)
	expect unreachable east-node-1 "$west2" tcp --timeout-ms 500
	expect ok east-node-1 pod:west-node-3 tcp
	expect ok east-node-3 "$west2" tcp
	"$F" undo "$id"
	expect ok east-node-1 "$west2" tcp

	id=$("$F" drop east-node-4 west --proto udp --oneway)
	expect timeout east-node-4 "$west2" udp --timeout-ms 500 --count 2
	"$F" undo "$id"
	expect ok east-node-4 "$west2" udp

	id=$("$F" loss east west --percent 50 --proto icmp)
	out=$("$P" east-node-1 "$west2" --proto icmp --count 100 --interval-ms 5 --timeout-ms 500)
	got=$(jq -r 'select(.protocol) | .received' <<<"$out")
	# 50 % each way: 25 % expected; 10..50 leaves room for chance, 0 or 100 would be wrong
	[[ $got =~ ^[0-9]+$ ]] && ((got >= 10 && got <= 50)) || fail "50 % loss each way: $out"
	ok "loss 50% each way: $got of 100 answered"
	"$F" undo "$id"
	expect ok east-node-1 "$west2" icmp --count 20 --interval-ms 5

	id=$("$F" ipv6-broken east west)
	expect timeout east-node-1 "$west2v6" tcp --timeout-ms 500 --count 2
	expect ok east-node-1 "$west2" tcp
	"$F" undo "$id"
	expect ok east-node-1 "$west2v6" tcp

	id=$("$F" mtu west --mtu 1400)
	expect message-too-long east-node-1 "$west2" icmp --size 1450
	expect message-too-long east-node-1 "$west2v6" udp --size 1450
	expect ok east-node-1 "$west2" icmp --size 1300
	expect ok east-node-1 pod:east-node-2 icmp --size 1450
	"$F" undo "$id"
	expect ok east-node-1 "$west2" icmp --size 1450

	id=$("$F" link-down west-node-2)
	expect timeout east-node-1 "$west2" tcp --timeout-ms 500 --count 2
	"$F" undo "$id"
	expect ok east-node-1 "$west2" tcp

	# Kosmos gateway mode: west's other nodes reach east through west-node-5; its way out
	# cut (uplink-down), west-node-2's answers to east die there, pairs inside west live
	"$W" gateway on west west-node-5 >/dev/null 2>&1 || fail "world gateway on west west-node-5"
	[[ $("$W" status) == *"gateway mode: west through west-node-5"* ]] || fail "world status names the gateway"
	expect ok east-node-1 "$west2" tcp
	expect ok west-node-2 pod:east-node-1 udp
	id=$("$F" uplink-down west-node-5)
	expect timeout east-node-1 "$west2" tcp --timeout-ms 500 --count 2
	expect timeout west-node-2 pod:east-node-1 icmp --timeout-ms 500 --count 2
	expect ok west-node-1 "$west2" tcp
	expect ok west-node-5 pod:west-node-2 tcp
	"$F" undo "$id"
	expect ok east-node-1 "$west2" tcp
	"$W" gateway off west >/dev/null 2>&1 || fail "world gateway off west"
	id=$("$F" uplink-down west-node-5)
	expect ok east-node-1 "$west2" tcp
	expect timeout east-node-1 pod:west-node-5 tcp --timeout-ms 500 --count 2
	"$F" undo "$id"
	expect ok east-node-1 pod:west-node-5 tcp

	id=$("$F" kill-floater west-node-2 --network pod --hold)
	expect refused east-node-1 "$west2" tcp
	"$F" undo "$id"
	wait_ready west west-node-2
	expect ok east-node-1 "$west2" tcp

	id=$("$F" notready west-node-3)
	sleep 2
	[[ $(kc west get node west-node-3 --no-headers | awk '{print $2}') == NotReady ]] || fail "west-node-3 not NotReady"
	ok "west-node-3 NotReady"
	"$F" undo "$id"
	sleep 2
	[[ $(kc west get node west-node-3 --no-headers | awk '{print $2}') == Ready ]] || fail "west-node-3 not Ready again"
	ok "west-node-3 Ready again"

	id=$("$F" neverready west-node-4)
	# the next readiness probe (periodSeconds 5) fails
	local t0
	t0=$(date +%s)
	until kc west get pods -n kosmos-system --field-selector spec.nodeName=west-node-4 -o json |
		jq -e '[.items[].status.conditions[] | select(.type == "Ready") | .status] | all(. == "False")' >/dev/null; do
		(($(date +%s) - t0 < 20)) || fail "floaters on west-node-4 still Ready after 20 s"
		sleep 1
	done
	ok "floaters on west-node-4 not Ready"
	"$F" undo "$id"
	wait_ready west west-node-4
	[[ -z $("$F" list) ]] || fail "faults left: $("$F" list)"
}

wait_ready() { # wait_ready CLUSTER NODE: its floaters Ready again (≤ 30 s)
	local t0
	t0=$(date +%s)
	until kc "$1" get pods -n kosmos-system --field-selector "spec.nodeName=$2" -o json |
		jq -e '(.items | length) >= 2 and ([.items[].status.conditions[]? | select(.type == "Ready") | .status] | all(. == "True"))' >/dev/null; do
		(($(date +%s) - t0 < 30)) || fail "floaters on $2 not Ready again within 30 s"
		sleep 0.5
	done
	ok "floaters on $2 Ready again"
}

avg_ms() { # avg_ms NODE TARGET [options]: average ICMP RTT in ms
	"$P" "$1" "$2" --proto icmp --count 20 --interval-ms 20 "${@:3}" |
		jq -r 'select(.protocol) | .rtt_avg_us / 1000'
}

step_delay() {
	local id x in out
	trap '"$F" clear >/dev/null 2>&1 || true' EXIT
	id=$("$F" delay east west --ms 20)
	x=$(avg_ms east-node-1 pod:west-node-1)
	in=$(avg_ms east-node-1 pod:east-node-2)
	out=$(avg_ms west-node-3 node:east-node-5 --network host)
	awk -v x="$x" -v o="$out" 'BEGIN { exit !(x >= 20 && x <= 30 && o >= 20 && o <= 30) }' ||
		fail "20 ms delay line: cross-cluster RTT $x ms / $out ms, want 20-30"
	awk -v i="$in" 'BEGIN { exit !(i < 5) }' || fail "in-cluster RTT $in ms with the cross-cluster delay line"
	ok "delay 20 ms: cross-cluster RTT $x ms and $out ms, in-cluster $in ms"
	"$F" undo "$id"
	x=$(avg_ms east-node-1 pod:west-node-1)
	awk -v x="$x" 'BEGIN { exit !(x < 5) }' || fail "RTT $x ms after undo"
	ok "after undo: $x ms"

	id=$("$F" delay east west --ms 20 --jitter-ms 10)
	out=$("$P" east-node-1 pod:west-node-1 --proto icmp --count 40 --interval-ms 10)
	# ±5 ms each way: RTT in [10, 30] ms, plus slack for a loaded machine
	jq -s -e 'map(select(.protocol))[0] | .received >= 38 and .rtt_min_us >= 8000 and .rtt_max_us <= 40000 and (.rtt_max_us - .rtt_min_us) >= 4000' \
		<<<"$out" >/dev/null || fail "jitter 10 ms: $out"
	ok "jitter 10 ms: RTT spread over [10, 30] ms (+ scheduling slack on a loaded machine)"
	"$F" undo "$id"

	id=$("$F" delay west-node-2 --ms 10)
	x=$(avg_ms east-node-1 node:west-node-2 --network host)
	in=$(avg_ms east-node-1 node:west-node-3 --network host)
	awk -v x="$x" -v i="$in" 'BEGIN { exit !(x >= 10 && x <= 20 && i < 5) }' ||
		fail "node delay 10 ms: $x ms to it, $in ms to another"
	ok "node delay 10 ms: $x ms to it, $in ms to a neighbour"
	"$F" undo "$id"
}

step_kubesim() {
	local before after pod ns uid
	source_world
	before=$(awk '$6 == "ready" {print $1, $2}' "$DIR/kubesim/east/pods.state" | sort)
	"$W" kubesim-restart east
	sleep 3
	after=$(awk '$6 == "ready" {print $1, $2}' "$DIR/kubesim/east/pods.state" | sort)
	[[ $before == "$after" && -n $after ]] || fail "restarted simulator did not adopt the same floaters"
	ok "restarted kubelet simulator adopted $(echo "$after" | wc -l) running floaters"

	read -r pod ns uid < <(kc east get pods -n kosmos-system -l netctl.io/network=pod \
		--field-selector spec.nodeName=east-node-5 -o json |
		jq -r '.items[0] | "\(.metadata.name) x \(.metadata.uid)"')
	local pid netns
	pid=$(awk -v u="$uid" '$1 == u {print $2}' "$DIR/kubesim/east/pods.state")
	netns=$(awk -v u="$uid" '$1 == u {print $8}' "$DIR/kubesim/east/pods.state")
	[[ $(stat -c %U "/proc/$pid") == nobody ]] || fail "pod-network floater does not run as uid 65534"
	grep -q '^CapEff:\s*0000000000000000' "/proc/$pid/status" || fail "pod-network floater has capabilities"
	# resolv.conf as a kubelet writes it (the cluster DNS), in the floater's own mount
	# namespace, for the pod network (ClusterFirst) and the host network
	# (ClusterFirstWithHostNet in deploy/daemonset-host.yaml); the node's file is untouched
	local c want got huid hpid
	c=$(cluster_index east)
	want="$(dns4 "$c") $(dns6 "$c")"
	huid=$(kc east get pods -n kosmos-system -l netctl.io/network=host \
		--field-selector spec.nodeName=east-node-5 -o jsonpath='{.items[0].metadata.uid}')
	hpid=$(awk -v u="$huid" '$1 == u {print $2}' "$DIR/kubesim/east/pods.state")
	for p in "$pid" "$hpid"; do
		got=$(awk '$1 == "nameserver" {print $2}' "/proc/$p/root/etc/resolv.conf" | xargs)
		[[ $got == "$want" ]] || fail "floater pid $p: resolv.conf names '$got', not the cluster DNS '$want'"
	done
	[[ $(awk '$1 == "nameserver" {print $2}' /etc/resolv.conf | xargs) != "$want" ]] ||
		fail "the machine's own /etc/resolv.conf was changed"
	ok "both floaters of east-node-5 have the cluster DNS ($want) in their resolv.conf"
	kc east delete pod -n kosmos-system "$pod" --timeout=30s >/dev/null
	sleep 1
	# a zombie counts as stopped: adopted floaters are reaped by PID 1, lazily on this VM
	[[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^[RSD]$ ]] &&
		fail "floater pid $pid still runs after its pod was deleted"
	# the replacement pod may get the same slot, hence the same name: then it is the new pod's
	if [[ -e /run/netns/$netns ]] &&
		! awk -v u="$uid" -v n="$netns" '$8 == n && $1 != u { f = 1 } END { exit !f }' "$DIR/kubesim/east/pods.state"; then
		fail "pod namespace $netns still there after its pod was deleted"
	fi
	grep -q "^$uid" "$DIR/kubesim/east/pods.state" && fail "deleted pod $uid still in the simulator's state"
	ok "deleting $pod stopped pid $pid and removed $netns"
	wait_ready east east-node-5

	kc east run not-a-floater --image=nginx --restart=Never \
		--overrides='{"apiVersion":"v1","spec":{"nodeName":"east-node-1"}}' >/dev/null
	sleep 2
	[[ $(kc east get pod not-a-floater -o jsonpath='{.status.phase}/{.status.reason}') == Failed/UnsupportedImage ]] ||
		fail "other image not reported Failed: $(kc east get pod not-a-floater -o yaml)"
	ok "non-floater image reported Failed/UnsupportedImage"
	kc east delete pod not-a-floater --wait=false >/dev/null
}

step_apiserver() {
	local id codes pki
	source_world
	"$F" apiserver-restart west >/dev/null
	kc west get nodes >/dev/null || fail "west API server not back"
	wait_ready west west-node-1
	id=$("$F" throttle west --inflight 1)
	pki=$DIR/cp/west/pki
	# one curl, 40 transfers at once (separate curl processes start too far apart to overlap
	# on a fast request: all 30 got 200 once); up to 5 rounds until one request is refused
	local i round urls=()
	for i in $(seq 1 40); do urls+=(-o /dev/null "https://127.0.0.1:26453/api/v1/pods?n=$i"); done
	for round in 1 2 3 4 5; do
		codes=$("$W" exec curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 40 \
			-w '%{http_code}\n' --cacert "$pki/ca.crt" --cert "$pki/netctl-user.crt" \
			--key "$pki/netctl-user.key" "${urls[@]}" | sort | uniq -c)
		grep -qw 429 <<<"$codes" && break
	done
	echo "$codes"
	grep -qw 429 <<<"$codes" || fail "no 429 from a throttled API server in 5 rounds of 40 requests"
	ok "throttled API server answered 429 ($(awk '$2 == 429 {print $1}' <<<"$codes") of 40, round $round)"
	"$F" undo "$id" >/dev/null
	kc west get nodes >/dev/null || fail "west API server not back after undo"
}

step_isolation() {
	local ns bad n=0
	source_world
	for ns in $(world_namespaces); do
		bad=$( {
			ip -n "$ns" -4 route show table all | grep -vE '^(local|broadcast|multicast) ' |
				grep -vE '^(198\.1[89]\.[0-9.]+(/[0-9]+)? |default via 198\.1[89]\.|default dev dl[0-9]+ |127\.)' || true
			ip -n "$ns" -6 route show table all | grep -vE '^(local|multicast|anycast) ' |
				grep -vE '^(fd00:[0-9a-f:]*(/[0-9]+)? |fe80::|ff00::|default via fd00:|default dev dl[0-9]+ |::1 )' || true
		})
		[[ -z $bad ]] || fail "$ns has a route outside 198.18.0.0/15 and fd00::/8: $bad"
		n=$((n + 1))
	done
	ok "$n namespaces: every route stays inside 198.18.0.0/15 and fd00::/8"
	for ns in "$WORLD_NS" "$ROUTER_NS"; do
		[[ -z $(ip -n "$ns" route show default) && -z $(ip -n "$ns" -6 route show default) ]] ||
			fail "$ns has a default route"
	done
	ok "world and router namespaces have no default route: nothing leaves the world"
}

step_down() {
	local left
	source_world
	local ns_prefix=$WORLD_NS
	"$W" down
	left=$(ip netns list | awk '{print $1}' | grep -E "^$ns_prefix(-|\$)" || true)
	[[ -z $left ]] || fail "namespaces left: $left"
	left=$(ps -eo pid,args | grep -F -- "$DIR/" | grep -v grep || true)
	[[ -z $left ]] || fail "processes left: $left"
	left=$(grep -F "$ns_prefix" /proc/self/mountinfo || true)
	[[ -z $left ]] || fail "mounts left: $left"
	[[ ! -e $DIR ]] || fail "$DIR left"
	ok "world down: no namespace, process, mount or file left"
}

"step_$STEP"
