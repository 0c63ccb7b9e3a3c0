# realnode.sh - real nodes of the test world (`world up --real-nodes K`): the last K nodes of
# every cluster run Debian's containerd + runc + CNI plugins and the kubelet built by
# build-kube.sh instead of the kubelet simulator, and pull the floater image from a registry
# (Debian's docker-registry) in the world namespace. Sourced by `world`; see README.md.

REGISTRY_PORT=5000
REAL_PKGS=(containerd runc containernetworking-plugins docker-registry skopeo)

# The registry, as every cluster's nodes reach it: the world namespace's address on the first
# cluster's bridge (other clusters' nodes get there through the router, as they would reach a
# registry outside their cluster), so one image reference serves every cluster.
registry_addr() { echo "$(world4 0):$REGISTRY_PORT"; }
real_first() { echo $(($(cluster_count "$1") - ${REAL_NODES:-0})); }
real_dir() { echo "$WORLD_DIR/real/$1"; } # real_dir NODE-NAME

# IMAGE_TAG and DEFAULT_REPOSITORY: what the build's netctl deploys by default
# ("floater image: REPOSITORY/netctl-floater:TAG" of netctl --version).
real_image_ref() {
	local ref
	ref=$("$1" --version 2>/dev/null | sed -n 's/^floater image: //p')
	[[ $ref == */netctl-floater:* ]] || die "$1 --version names no floater image"
	IMAGE_TAG=${ref##*:} DEFAULT_REPOSITORY=${ref%/netctl-floater:*}
}

real_check_tools() {
	local t
	for t in containerd runc ctr containerd-shim-runc-v2 docker-registry skopeo /usr/lib/cni/bridge \
		/usr/lib/cni/host-local /usr/lib/cni/loopback "$KUBE_BIN/kubelet"; do
		command -v "$t" >/dev/null || die "--real-nodes needs $t (packages: ${REAL_PKGS[*]}; kubelet: build-kube.sh)"
	done
	for t in "$FLOATER_IMAGE" "$PAUSE_IMAGE"; do
		[[ -f $t ]] || die "--real-nodes needs the image archive $t (cmake --build BUILD --target floater-image pause-image)"
	done
}

registry_start() {
	local d=$WORLD_DIR/registry n=0
	mkdir -p "$d/data"
	cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: :$REGISTRY_PORT
EOF
	nsenter --net="/run/netns/$WORLD_NS" -- setsid docker-registry serve "$d/config.yml" \
		>>"$WORLD_DIR/logs/registry.log" 2>&1 </dev/null &
	echo $! >"$WORLD_DIR/pids/registry.pid"
	until in_world curl -sf --max-time 1 "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null; do
		pid_ours "$(cat "$WORLD_DIR/pids/registry.pid")" "$d/" || die "registry exited; see $WORLD_DIR/logs/registry.log"
		((n++ < 100)) || die "registry not answering after 10 s"
		sleep 0.1
	done
}

# registry_push ARCHIVE NAME:TAG - an OCI archive into the world registry (skopeo, no daemon)
registry_push() {
	in_world skopeo --insecure-policy copy --quiet --dest-tls-verify=false \
		"oci-archive:$1" "docker://127.0.0.1:$REGISTRY_PORT/$2" ||
		die "skopeo copy $1 to the world registry failed"
}

# The files of one real node: containerd's config, the CNI network, registry access, the
# kubelet's credentials and command line.
real_node_files() {
	local c=$1 i=$2 d=$3 reg pki port
	reg=$(registry_addr "$c") pki=$(cp_dir "$c")/pki port=$(api_port "$c")
	mkdir -p "$d/cni" "$d/kubelet" "$d/ipam"
	cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$reg/netctl-pause:$IMAGE_TAG"
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  disable_apparmor = true
  # this machine withholds CAP_SYS_RESOURCE even from root: without it runc cannot lower
  # oom_score_adj to the kubelet's -998 for sandboxes ("can't get final child's PID from
  # pipe: EOF"); restricted, containerd never asks for less than its own score
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$d/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$d/certs.d"
EOF
	# the world registry by its address, and as the mirror of netctl's default repository (so a
	# check without srcImageRepository works on real nodes too; nothing leaves the world)
	local h
	for h in "$reg" "${DEFAULT_REPOSITORY%%/*}"; do
		mkdir -p "$d/certs.d/$h"
		printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
			"$reg" "$reg" >"$d/certs.d/$h/hosts.toml"
	done
	node_vars "$c" "$i"
	local c4=${N_C4%/*} gw4
	gw4=${c4%.*}.$((${c4##*.} + 1))
	cat >"$d/cni/10-world.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "world",
  "plugins": [{
    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
    "ipam": {
      "type": "host-local", "dataDir": "$d/ipam",
      "ranges": [
        [{"subnet": "$N_C4", "gateway": "$gw4"}],
        [{"subnet": "$N_C6", "gateway": "${N_C6%/*}1"}]
      ],
      "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
    }
  }]
}
EOF
	user_kubeconfig "$c" "system:node:$N_NAME" system:nodes "$d/kubelet.kubeconfig" "node-$N_NAME" \
		"https://$(world4 "$c"):$port"
	: >"$d/resolv.conf"
	printf '%s\n' "$KUBE_BIN/kubelet" \
		--kubeconfig="$d/kubelet.kubeconfig" --root-dir="$d/kubelet" --cert-dir="$d/kubelet/pki" \
		--hostname-override="$N_NAME" --node-ip="$N_V4,$N_V6" --node-labels=netctl.world/kubelet=real \
		--container-runtime=remote --container-runtime-endpoint="unix://$d/containerd.sock" \
		--containerd="$d/containerd.sock" --runtime-request-timeout=2m \
		--cgroup-driver=cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
		--fail-swap-on=false --make-iptables-util-chains=false --resolv-conf="$d/resolv.conf" \
		--cluster-dns="$(dns4 "$c"),$(dns6 "$c")" --cluster-domain=cluster.local \
		--client-ca-file="$pki/ca.crt" --anonymous-auth=false --authorization-mode=AlwaysAllow \
		--read-only-port=0 --healthz-bind-address=127.0.0.1 --max-pods=5 \
		--eviction-hard=memory.available\<1Mi,nodefs.available\<1%,imagefs.available\<1% \
		--image-gc-high-threshold=100 --image-gc-low-threshold=99 \
		--volume-plugin-dir="$d/volume-plugins" --feature-gates=IPv6DualStack=true \
		--node-status-update-frequency=10s --sync-frequency=10s --v=2 --logtostderr=true \
		>"$d/kubelet.args"
}

real_node_start() {
	local c=$1 i=$2 d
	CLUSTER_NAME_CACHE=$(cluster_name "$c")
	node_vars "$c" "$i"
	d=$(real_dir "$N_NAME")
	mkdir -p "$d"
	real_node_files "$c" "$i" "$d"
	nsenter --net="/run/netns/$N_NS" -- setsid unshare --mount --propagation private -- \
		"$WORLD_LIB_DIR/realnode-run" "$d" >>"$d/node.log" 2>&1 </dev/null &
	echo $! >"$WORLD_DIR/pids/real-$N_NAME.pid"
	CLUSTER_NAME_CACHE=
}

# Every real node Ready on its API server (the kubelet registered, CNI config loaded).
real_nodes_wait_ready() {
	local c name i kc deadline=$(($(date +%s) + ${REAL_TIMEOUT:-180})) want got
	for c in "${!CLUSTERS[@]}"; do
		name=$(cluster_name "$c") kc=$(cp_dir "$c")/admin.kubeconfig want=$REAL_NODES
		while :; do
			got=$(in_world "$KUBECTL" --kubeconfig "$kc" get nodes -l netctl.world/kubelet=real \
				--no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
			((got >= want)) && break
			for ((i = $(real_first "$c"); i < $(cluster_count "$c"); i++)); do
				local n pidf
				n=$(node_name "$c" "$name" "$i") pidf=$WORLD_DIR/pids/real-$n.pid
				pid_ours "$(cat "$pidf")" "$WORLD_DIR/" ||
					die "real node $n stopped; see $(real_dir "$n")/{node,kubelet,containerd}.log"
			done
			(($(date +%s) < deadline)) || die "real nodes of $name not Ready after ${REAL_TIMEOUT:-180} s; see $WORLD_DIR/real/*/kubelet.log"
			sleep 0.5
		done
	done
}

# Stops every real node (TERM: the kubelet, the containers, containerd), then sweeps what a
# node that died may have left.
real_nodes_stop() {
	local f d
	for f in "$WORLD_DIR"/pids/real-*.pid; do
		[[ -f $f ]] || continue
		stop_pid "$(cat "$f")" "$WORLD_DIR/" 20
		rm -f "$f"
	done
	for d in "$WORLD_DIR"/real/*/; do
		[[ -d $d ]] && "$WORLD_LIB_DIR/realnode-sweep" "${d%/}"
	done
	f=$WORLD_DIR/pids/registry.pid
	[[ -f $f ]] && stop_pid "$(cat "$f")" "$WORLD_DIR/" 5
	rm -f "$f"
}
