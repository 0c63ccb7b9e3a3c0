# lib.sh - shared by world, fault, apply-floaters and bench/world: world directory, names and the address plan.
# Sourced, never run.  See README.md for the address plan in one table.

WORLD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
WORLD_MAX_CLUSTERS=8
WORLD_MAX_NODES=1000
WORLD_MAX_SLOTS=5       # pods per node (pod CIDR /29: .1 gateway, .2-.6 pods)
WORLD_BASE_PORT=26443   # cluster c: API server 26443 + 10*c on the world's loopback

die() { echo "world: $*" >&2; exit 1; }
wlog() { printf '[world %s] %s\n' "$(date -u +%T)" "$*" >&2; }

# World directory: --dir, else $NETCTL_WORLD_DIR, else /tmp/netctl-world.
world_dir_resolve() {
	local d=${1:-${NETCTL_WORLD_DIR:-/tmp/netctl-world}}
	mkdir -p "$d" 2>/dev/null || die "cannot create $d"
	WORLD_DIR=$(cd "$d" && pwd -P)
	WORLD_ID=$(printf '%s' "$WORLD_DIR" | sha256sum | cut -c1-6)
	WORLD_NS=ncw-$WORLD_ID   # the world namespace; every other one is "$WORLD_NS-..."
	ROUTER_NS=$WORLD_NS-r
}

# Loads WORLD_DIR/world.env (written by `world up`): CLUSTERS=(name:count ...), binaries.
world_env_load() {
	[[ -f $WORLD_DIR/world.env ]] || die "no world in $WORLD_DIR (run: world up)"
	# shellcheck disable=SC1091
	source "$WORLD_DIR/world.env"
}

cluster_index() { # cluster_index NAME -> c
	local i
	for i in "${!CLUSTERS[@]}"; do
		[[ ${CLUSTERS[$i]%%:*} == "$1" ]] && { echo "$i"; return 0; }
	done
	die "unknown cluster '$1' (have: ${CLUSTERS[*]%%:*})"
}
cluster_count() { local s=${CLUSTERS[$1]}; echo "${s##*:}"; }
cluster_name() { local s=${CLUSTERS[$1]}; echo "${s%%:*}"; }

# canon6 G1..G8: RFC 5952 text of an IPv6 address given as 8 groups (first two as hex text,
# the rest decimal), so that every tool and the API server print the same string.
canon6() {
	local g=("$1" "$2") i best=-1 blen=0 run=-1 rlen=0 out=""
	local h
	for i in 3 4 5 6 7 8; do printf -v h '%x' "${!i}"; g+=("$h"); done
	for i in 0 1 2 3 4 5 6 7; do
		if [[ ${g[$i]} == 0 ]]; then
			((run < 0)) && run=$i rlen=0
			rlen=$((rlen + 1))
			((rlen > blen)) && best=$run blen=$rlen
		else
			run=-1
		fi
	done
	((blen < 2)) && best=-1
	for ((i = 0; i < 8; i++)); do
		if ((i == best)); then
			out+="::"
			i=$((i + blen - 1))
			continue
		fi
		[[ -n $out && $out != *:: ]] && out+=":"
		out+=${g[$i]}
	done
	echo "$out"
}

# ---- address plan (c = cluster index 0..7, i = node index 0..999, s = pod slot 0..4)
node_name() { echo "$2-node-$(($3 + 1))"; } # node_name c NAME i
node_ns() { echo "$WORLD_NS-${1}n$2"; }     # node_ns c i
pod_ns() { echo "$WORLD_NS-${1}n${2}p$3"; } # pod_ns c i s
node_veth() { echo "c${1}n$2"; }            # world-side veth of node (c, i)
node4() { local h=$(($2 + 10)); echo "198.18.$(($1 * 4 + h / 256)).$((h % 256))"; }
node6() { canon6 fd00 18 "$1" 0 0 0 0 $(($2 + 10)); }
nodenet4() { echo "198.18.$(($1 * 4)).0/22"; }
nodenet6() { echo "$(canon6 fd00 18 "$1" 0 0 0 0 0)/64"; }
router4() { echo "198.18.$(($1 * 4)).1"; }
router6() { canon6 fd00 18 "$1" 0 0 0 0 1; }
world4() { echo "198.18.$(($1 * 4)).2"; }
world6() { canon6 fd00 18 "$1" 0 0 0 0 2; }
# SAME_POD_CIDR=1 (world up --same-pod-cidr): every cluster's pods are in cluster 0's IPv4
# pod CIDR, and other clusters reach cluster c's pods at its global CIDR (globalnet4),
# translated by the router (README.md, "Overlapping pod CIDRs"). IPv6 never overlaps.
podc() { if ((${SAME_POD_CIDR:-0})); then echo 0; else echo "$1"; fi; }
podnet4() { echo "198.19.$(($(podc "$1") * 32)).0/19"; }
globalnet4() { echo "198.19.$((($1 + 1) * 32)).0/19"; }
podnet6() { echo "$(canon6 fd00 19 "$1" 0 0 0 0 0)/48"; }
podcidr4() { local o=$(($2 * 8)); echo "198.19.$(($(podc "$1") * 32 + o / 256)).$((o % 256))/29"; }
podcidr6() { echo "$(canon6 fd00 19 "$1" "$2" 0 0 0 0)/64"; }
podgw4() { local o=$(($2 * 8)); echo "198.19.$(($(podc "$1") * 32 + o / 256)).$((o % 256 + 1))"; }
podgw6() { canon6 fd00 19 "$1" "$2" 0 0 0 1; }
pod4() { local o=$(($2 * 8)); echo "198.19.$(($(podc "$1") * 32 + o / 256)).$((o % 256 + 2 + $3))"; }
pod6() { canon6 fd00 19 "$1" "$2" 0 0 0 $((2 + $3)); }
# node_vars c i: sets N_NAME N_NS N_VETH N_V4 N_V6 N_C4 N_C6 without forking (1,000-node loops).
node_vars() {
	local c=$1 i=$2 h=$(($2 + 10)) o=$(($2 * 8)) ch ih hh pc=$1
	printf -v ch '%x' "$c"
	printf -v ih '%x' "$i"
	printf -v hh '%x' "$h"
	N_NAME="${CLUSTER_NAME_CACHE:-c$c}-node-$((i + 1))"
	N_NS="$WORLD_NS-${c}n$i"
	N_VETH="c${c}n$i"
	N_V4="198.18.$((c * 4 + h / 256)).$((h % 256))"
	((${SAME_POD_CIDR:-0})) && pc=0
	N_C4="198.19.$((pc * 32 + o / 256)).$((o % 256))/29"
	if ((c == 0)); then N_V6="fd00:18::$hh"; else N_V6="fd00:18:$ch::$hh"; fi
	if ((c == 0 && i == 0)); then
		N_C6="fd00:19::/64"
	elif ((i == 0)); then
		N_C6="fd00:19:$ch::/64"
	else
		N_C6="fd00:19:$ch:$ih::/64"
	fi
}
service_cidr() { echo "198.18.$((240 + $1)).0/24"; }
# The cluster DNS of cluster c: dnsmasq in its own namespace behind the router, at the
# address a kube-dns Service would have (.10 of the service CIDR) and an IPv6 one.
dns_ns() { echo "$WORLD_NS-dns$1"; }
dns4() { echo "198.18.$((240 + $1)).10"; }
dns6() { canon6 fd00 18 "$1" 83 0 0 0 10; }      # fd00:18:c:53::a
dnsrouter4() { echo "198.18.$((240 + $1)).9"; }  # the router's side of the link (/29)
dnsrouter6() { canon6 fd00 18 "$1" 83 0 0 0 1; } # fd00:18:c:53::1
dns_hosts() { echo "$WORLD_DIR/dns/$(cluster_name "$1").hosts"; }
# What the cluster DNS answers: kubernetes.default.svc.cluster.local (the kubernetes
# Service: .1 of the service CIDR, and an IPv6 address), and many.svc.cluster.local with
# 40 addresses of each family, an answer too long for 512 bytes of UDP (truncated: asked
# again over TCP). Other names under cluster.local do not exist; others are refused.
dns_hosts_write() {
	local c=$1 i f
	f=$(dns_hosts "$c")
	mkdir -p "${f%/*}"
	{
		echo "198.18.$((240 + c)).1 kubernetes.default.svc.cluster.local"
		echo "$(canon6 fd00 240 "$c" 0 0 0 0 1) kubernetes.default.svc.cluster.local"
		for ((i = 1; i <= 40; i++)); do
			echo "198.18.$((240 + c)).$((100 + i)) many.svc.cluster.local"
			echo "$(canon6 fd00 240 "$c" 0 0 0 1 "$i") many.svc.cluster.local"
		done
	} >"$f"
	cp "$f" "$f.orig"
}
# dns_start c: dnsmasq for cluster c in its namespace; dnsmasq writes its pid into
# pids/dns-NAME.pid (the one pid a fault may signal).
dns_start() {
	local c=$1 name
	name=$(cluster_name "$c")
	rm -f "$WORLD_DIR/pids/dns-$name.pid"
	nsenter --net="/run/netns/$(dns_ns "$c")" -- setsid dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--no-resolv --no-hosts --no-poll --bind-interfaces --user=root --group=root \
		--listen-address="$(dns4 "$c")" --listen-address="$(dns6 "$c")" --port=53 \
		--addn-hosts="$(dns_hosts "$c")" --local=/cluster.local/ --cache-size=0 \
		--pid-file="$WORLD_DIR/pids/dns-$name.pid" --log-facility=- \
		>>"$WORLD_DIR/logs/dns-$name.log" 2>&1 </dev/null &
}
# dns_wait c: until the cluster DNS answers (TCP on port 53 accepts).
dns_wait() {
	local c=$1 n=0
	until [[ -s $WORLD_DIR/pids/dns-$(cluster_name "$c").pid ]] &&
		in_ns "$(dns_ns "$c")" bash -c "exec 3<>/dev/tcp/$(dns4 "$c")/53" 2>/dev/null; do
		((n++ < 50)) || die "cluster DNS of $(cluster_name "$c") did not come up (logs/dns-*.log)"
		sleep 0.1
	done
}
api_port() { echo $((WORLD_BASE_PORT + 10 * $1)); }

# Runs a command inside a namespace of this world (network only; mounts stay the host's, so
# `ip netns add` from inside still creates namespaces everyone sees).
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }
in_world() { in_ns "$WORLD_NS" "$@"; }

# pid_ours PID WORD: the pid is alive (not a zombie) and WORD is on its command line.
pid_ours() {
	local st cmd
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]] || return 1
	# captured first: `| grep -q` under pipefail fails when grep exits before tr is done
	cmd=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *"$2"* ]]
}

# stop_pid PID WORD [TIMEOUT_S]: TERM, wait, KILL; only when pid_ours.
stop_pid() {
	local pid=$1 word=$2 t=${3:-10} n=0
	pid_ours "$pid" "$word" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while pid_ours "$pid" "$word" && ((n < t * 10)); do sleep 0.1; n=$((n + 1)); done
	pid_ours "$pid" "$word" && kill -KILL "$pid" 2>/dev/null
	return 0
}

# The world's namespaces, found by name prefix (this world only).
world_namespaces() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$WORLD_NS(-|\$)" || true
}

# What cluster c reaches of the other clusters: their node and pod CIDRs (the global CIDRs
# with --same-pod-cidr), one per line (world gateway, fault uplink-down).
gateway_dests() {
	local b
	for b in "${!CLUSTERS[@]}"; do
		((b == $1)) && continue
		if ((${SAME_POD_CIDR:-0})); then globalnet4 "$b"; else podnet4 "$b"; fi
		nodenet4 "$b"
		podnet6 "$b"
		nodenet6 "$b"
	done
}
# The world's own addresses on the other clusters' bridges, as /32 and /128: no cluster's
# node, and a control plane's packets to pods may carry one as their source, so they keep
# going straight to the router.
world_dests() {
	local b
	for b in "${!CLUSTERS[@]}"; do
		((b == $1)) || printf '%s/32\n%s/128\n' "$(world4 "$b")" "$(world6 "$b")"
	done
}
