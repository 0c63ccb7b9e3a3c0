#!/usr/bin/env bash
# The OCI image archives (docs/install.md, "The floater image"), checked the way a user
# meets them:
#   image_test.sh SOURCE_DIR BUILD_TYPE NETCTL
# - two builds from this checkout, each in a fresh build directory, give archives with the
#   same manifest digest, byte for byte the same;
# - `skopeo inspect` reads the floater image's user, entrypoint, command, ports and labels
#   as deploy/Containerfile says, and the image is at most 2 MB;
# - umoci (a second OCI implementation) unpacks it: one file, the floater, which runs;
# - the image is named as `netctl --version` says `check` deploys it;
# - `skopeo copy` puts it into a registry (docker-registry on loopback) under the same
#   digest, as docs/install.md tells users to;
# - `ctr images import` (a containerd of its own, in a temporary directory) names both
#   images as a kubelet asks for them, so a node without a registry can use them;
# - the pause image holds the pause binary, run as 65535.
set -euo pipefail
SRC=$(realpath "$1")
BUILD_TYPE=$2
NETCTL=$(realpath "$3")
T=$(mktemp -d /tmp/netctl-image.XXXXXX)
registry_pid= containerd_pid=
cleanup() {
  [[ -z $registry_pid ]] || kill "$registry_pid" 2>/dev/null || true
  if [[ -n $containerd_pid ]]; then
    kill "$containerd_pid" 2>/dev/null || true
    wait "$containerd_pid" 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
check() {
  if eval "$1"; then
    echo "ok: $2"
  else
    echo "FAIL: $2"
    fails=$((fails + 1))
  fi
}

version=$("$NETCTL" --version | sed -n 's/^netctl //p')
image=$("$NETCTL" --version | sed -n 's/^floater image: //p')
floater_tar=netctl-floater-$version.oci.tar
pause_tar=netctl-pause-$version.oci.tar

# ---- two builds, two build directories ----------------------------------------------------
for b in a b; do
  cmake -S "$SRC" -B "$T/$b" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DNETCTL_STATIC_FLOATER=ON \
    >"$T/$b.log" 2>&1
  cmake --build "$T/$b" -j2 --target floater-image pause-image >>"$T/$b.log" 2>&1 ||
    { tail -30 "$T/$b.log"; exit 1; }
  grep -h 'sha256:' "$T/$b.log" | sed "s/^/build $b: /"
done
digest() { skopeo inspect "oci-archive:$1" | jq -r .Digest; }
fa=$(digest "$T/a/$floater_tar")
fb=$(digest "$T/b/$floater_tar")
echo "floater manifest digest: build a $fa, build b $fb"
check '[[ $fa == sha256:* && $fa == "$fb" ]]' "two floater image builds, one manifest digest"
check 'cmp -s "$T/a/$floater_tar" "$T/b/$floater_tar"' "the two floater archives are the same bytes"
check 'cmp -s "$T/a/$pause_tar" "$T/b/$pause_tar"' "the two pause archives are the same bytes"
F=$T/a/$floater_tar
P=$T/a/$pause_tar

# ---- what skopeo reads ----------------------------------------------------------------------
skopeo inspect --config "oci-archive:$F" >"$T/config.json"
skopeo inspect "oci-archive:$F" >"$T/inspect.json"
cfg() { jq -c "$1" "$T/config.json"; }
check '[[ $(cfg .config.User) == "\"65534:65534\"" ]]' "user 65534:65534"
check '[[ $(cfg .config.Entrypoint) == "[\"/floater\"]" ]]' "entrypoint /floater"
check '[[ $(cfg .config.Cmd) == "[\"--port\",\"8889\",\"--token-file\",\"/var/run/netctl/token\",\"--network\",\"pod\"]" ]]' \
  "command as deploy/Containerfile's CMD"
check '[[ $(cfg ".config.ExposedPorts | keys") == "[\"8889/tcp\",\"8889/udp\"]" ]]' "ports 8889/tcp and 8889/udp"
check '[[ $(cfg ".config.Labels[\"org.opencontainers.image.version\"]") == "\"$version\"" ]]' "label version $version"
rev=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
check '[[ $(cfg ".config.Labels[\"org.opencontainers.image.revision\"]") == "\"$rev"* ]]' "label revision $rev"
check '[[ $(cfg ".config.Labels[\"org.opencontainers.image.title\"]") == "\"netctl-floater\"" ]]' "label title"
check '[[ $(cfg .created) == "\"1970-01-01T00:00:00Z\"" ]]' "created at SOURCE_DATE_EPOCH (0)"
check '[[ $(jq ".Layers | length" "$T/inspect.json") == 1 ]]' "one layer"
archive_bytes=$(stat -c %s "$F")
echo "floater image: archive $archive_bytes bytes, manifest $fa"
check '((archive_bytes <= 2 * 1024 * 1024))' "image archive $archive_bytes bytes <= 2 MB"
tar -xOf "$F" index.json >"$T/index.json"
check '[[ $(jq -r ".manifests[0].annotations[\"io.containerd.image.name\"]" "$T/index.json") == "$image" ]]' \
  "named $image, as netctl --version says check deploys it"
check '[[ $(jq -r ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"]" "$T/index.json") == "$version" ]]' \
  "tag $version (oci-archive:FILE:$version)"

# ---- umoci unpacks it ------------------------------------------------------------------------
unpack() {
  mkdir -p "$T/$1.layout"
  tar -xf "$2" -C "$T/$1.layout"
  umoci unpack --rootless --image "$T/$1.layout:$version" "$T/$1.bundle" >/dev/null
}
unpack floater "$F"
check '[[ $(cd "$T/floater.bundle/rootfs" && find . -mindepth 1 | sort | tr "\n" " ") == "./floater " ]]' \
  "the root holds the floater and nothing else"
check '[[ $("$T/floater.bundle/rootfs/floater" --version) == "floater $version" ]]' "the floater in the image runs"
check '[[ $(jq -c .process.user "$T/floater.bundle/config.json") == "{\"uid\":65534,\"gid\":65534}" ]]' \
  "umoci's runtime config runs it as 65534:65534"
unpack pause "$P"
check '[[ $("$T/pause.bundle/rootfs/pause" --version) == "pause $version" ]]' "the pause image's binary runs"
check '[[ $(jq -c .process.user "$T/pause.bundle/config.json") == "{\"uid\":65535,\"gid\":65535}" ]]' \
  "pause runs as 65535:65535"

# ---- into a registry, as docs/install.md says ----------------------------------------------
port=$((20000 + RANDOM % 20000))
cat >"$T/registry.yml" <<EOT
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$port
EOT
docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break
  sleep 0.1
done
dest=docker://127.0.0.1:$port/netctl-floater:$version
skopeo copy -q --dest-tls-verify=false "oci-archive:$F" "$dest"
pushed=$(skopeo inspect --tls-verify=false "$dest" | jq -r .Digest)
check '[[ $pushed == "$fa" ]]' "skopeo copy into a registry keeps the digest ($pushed)"

# ---- containerd names them as the DaemonSet and a kubelet ask for them ------------------
cat >"$T/containerd.toml" <<EOT
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
[grpc]
  address = "$T/containerd/sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
EOT
containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
containerd_pid=$!
ctr_() { ctr -a "$T/containerd/sock" -n k8s.io "$@"; }
for _ in $(seq 100); do
  ctr_ version >/dev/null 2>&1 && break
  sleep 0.1
done
ctr_ images import "$F" >/dev/null
ctr_ images import "$P" >/dev/null
refs=$(ctr_ images ls -q)
check 'grep -qxF "$image" <<<"$refs"' "ctr images import names it $image"
pause_image=${image%/*}/netctl-pause:$version
check 'grep -qxF "$pause_image" <<<"$refs"' "ctr images import names the pause image $pause_image"

echo "$fails failed"
((fails == 0))
