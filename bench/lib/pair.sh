# bench/lib/pair.sh: sourced by the benchmarks that run one floater probing another
# (bench/probe-rate, bench/scale/encoding.sh). Before sourcing, set NAME (the prefix of the
# namespaces and the temporary directory), FLOATER and PORT.
#
# Topology (made by pair_setup, deleted on exit): prober P 198.18.3.1 -- veth -- target T
# 198.18.3.2. T owns 198.18.64.0/18 through one local route (every address in it answers
# as T's own: ICMP by T's kernel, TCP and UDP by T's floater); P routes them via T.
# A local route rather than 10,000 addresses on an interface: with those, the kernel
# spends a linear scan per reply finding the source address, for fping and floater alike.

P=ncf-$NAME-$$-p
T=ncf-$NAME-$$-t
TMP=$(mktemp -d "/tmp/ncf-$NAME.XXXXXX")
PIDS=()

pair_cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$P" 2>/dev/null || true
	ip netns del "$T" 2>/dev/null || true
	rm -rf "$TMP"
}
trap pair_cleanup EXIT INT TERM

[[ $(id -u) -eq 0 ]] || { echo "$NAME: run as root (network namespaces)" >&2; exit 1; }

pair_setup() {
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
	ip -n "$T" route add local 198.18.64.0/18 dev lo
	# Replies to thousands of probes a millisecond must not be rate limited by T's kernel.
	ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000000
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token"
	# The UDP echo key, next to the token (the floater's default --echo-key-file).
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/echo-key"
}

# pair_floater NS EXTRA-ARGS...: starts a floater in NS; echoes its pid
pair_floater() {
	ip netns exec "$1" "$FLOATER" --port "$PORT" --token-file "$TMP/token" --node-name "$1" \
		--network pod "${@:2}" >/dev/null 2>>"$TMP/floater-$1.log" &
	echo $!
}

# pair_wait_ready IP: until the floater at IP answers /healthz (5 s at most)
pair_wait_ready() {
	for _ in $(seq 100); do
		ip netns exec "$P" curl -s -m 1 "http://$1:$PORT/healthz" 2>/dev/null | grep -q ok &&
			return
		sleep 0.05
	done
	echo "$NAME: floater at $1 not ready" >&2
	exit 1
}
