#!/usr/bin/env bash
# oci-image.sh: an OCI image archive (oci-archive: a tar of an OCI image layout) from a
# Containerfile that copies one file into an empty image, without a container daemon.
#
#   scripts/oci-image.sh --containerfile deploy/Containerfile --context build/floater \
#       --name REPOSITORY/netctl-floater --tag 0.1.0 --out build/netctl-floater-0.1.0.oci.tar \
#       [--build-arg NAME=VALUE]... [--git-revision DIR]
#
# The Containerfile is the one `podman build` reads, restricted to what a FROM scratch
# image of one static binary needs: FROM scratch, ARG, COPY SRC /DST (one file, from
# --context), USER, EXPOSE, LABEL k="v"..., ENTRYPOINT and CMD in exec (JSON) form.
# Anything else is refused, so the archive and a `podman build` of the same file cannot
# differ silently. --git-revision DIR sets the build argument REVISION to DIR's commit
# (with "-dirty" when tracked files differ from it).
#
# Reproducible: every time is SOURCE_DATE_EPOCH (default 0), tar entries are sorted with
# numeric owner 0:0 and fixed modes, gzip stores no name or time, and the JSON documents
# are written in a fixed order: the same inputs give the same bytes, so the same digest.
# Prints "NAME:TAG sha256:MANIFEST-DIGEST SIZE-BYTES PATH" on success.
set -euo pipefail

die() {
  echo "oci-image: $*" >&2
  exit 1
}

containerfile= context= name= tag= out= git_dir=
declare -A build_args=()
while (($#)); do
  case $1 in
  --containerfile | --context | --name | --tag | --out | --build-arg | --git-revision)
    (($# >= 2)) || die "$1 needs a value"
    case $1 in
    --containerfile) containerfile=$2 ;;
    --context) context=$2 ;;
    --name) name=$2 ;;
    --tag) tag=$2 ;;
    --out) out=$2 ;;
    --git-revision) git_dir=$2 ;;
    --build-arg)
      [[ $2 == *=* ]] || die "--build-arg $2: expected NAME=VALUE"
      build_args[${2%%=*}]=${2#*=}
      ;;
    esac
    shift 2
    ;;
  *) die "unknown argument '$1' (see the head of $0)" ;;
  esac
done
for v in containerfile context name tag out; do
  [[ -n ${!v} ]] || die "--$v is required"
done
[[ -r $containerfile ]] || die "$containerfile: cannot read it"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag $tag: not a valid image tag"
epoch=${SOURCE_DATE_EPOCH:-0}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=$epoch: not a number of seconds"

if [[ -n $git_dir ]]; then
  rev=$(git -C "$git_dir" rev-parse HEAD) || die "--git-revision $git_dir: not a git checkout"
  git -C "$git_dir" diff --quiet HEAD -- 2>/dev/null || rev+=-dirty
  build_args[REVISION]=$rev
fi

# json_str S: S as a JSON string (control characters refused: nothing here needs them).
json_str() {
  local s=$1
  [[ $s != *[[:cntrl:]]* ]] || die "a value with a control character: '$s'"
  s=${s//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# ---- the Containerfile --------------------------------------------------------------------
declare -A args=() labels=()
label_keys=() ports=()
copy_src= copy_dst= user= entrypoint= cmd= from=

# expand S: ${NAME} and $NAME of declared ARGs replaced by their values.
expand() {
  local s=$1 out= var
  while [[ $s =~ ^([^$]*)\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$ ]]; do
    var=${BASH_REMATCH[3]:-${BASH_REMATCH[4]}}
    [[ -v args[$var] ]] || die "$containerfile: \$$var is not a declared ARG"
    out+=${BASH_REMATCH[1]}${args[$var]}
    s=${BASH_REMATCH[5]}
  done
  printf '%s' "$out$s"
}

# exec_form INSTRUCTION VALUE: checks a JSON array of strings, prints it normalised.
exec_form() {
  local rest=$2 items=() item
  [[ $rest =~ ^\[(.*)\]$ ]] || die "$containerfile: $1 must be in exec form [\"...\"]"
  rest=${BASH_REMATCH[1]}
  while [[ $rest =~ ^[[:space:]]*\"(([^\"\\]|\\.)*)\"[[:space:]]*(,(.*))?$ ]]; do
    item=${BASH_REMATCH[1]}
    items+=("\"$item\"")
    [[ -n ${BASH_REMATCH[3]} ]] || { rest=; break; }
    rest=${BASH_REMATCH[4]}
    [[ -n $rest ]] || die "$containerfile: $1: a trailing comma"
  done
  [[ -z ${rest//[[:space:]]/} ]] || die "$containerfile: $1: not a JSON array of strings"
  local IFS=,
  printf '[%s]' "${items[*]}"
}

parse_label() {
  local rest=$1
  while [[ $rest =~ ^[[:space:]]*([A-Za-z0-9_.-]+)=\"([^\"]*)\"(.*)$ ]]; do
    [[ -v labels[${BASH_REMATCH[1]}] ]] || label_keys+=("${BASH_REMATCH[1]}")
    labels[${BASH_REMATCH[1]}]=$(expand "${BASH_REMATCH[2]}")
    rest=${BASH_REMATCH[3]}
  done
  [[ -z ${rest//[[:space:]]/} ]] || die "$containerfile: LABEL: expected key=\"value\" pairs"
}

instruction() {
  local op=${1%%[[:space:]]*} val
  val=${1#"$op"}
  val=${val#"${val%%[![:space:]]*}"}
  case ${op^^} in
  FROM) [[ $val == scratch ]] || die "$containerfile: only FROM scratch is supported" && from=1 ;;
  ARG)
    [[ $val =~ ^([A-Za-z_][A-Za-z0-9_]*)(=(.*))?$ ]] || die "$containerfile: ARG $val"
    if [[ -v build_args[${BASH_REMATCH[1]}] ]]; then
      args[${BASH_REMATCH[1]}]=${build_args[${BASH_REMATCH[1]}]}
    elif [[ -n ${BASH_REMATCH[2]} ]]; then
      args[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]}
    else
      die "$containerfile: ARG ${BASH_REMATCH[1]} has no default: --build-arg ${BASH_REMATCH[1]}=..."
    fi
    ;;
  COPY)
    [[ -z $copy_src ]] || die "$containerfile: one COPY only"
    [[ $val =~ ^([^[:space:]-][^[:space:]]*)[[:space:]]+(/[^[:space:]]+)$ ]] ||
      die "$containerfile: COPY SRC /DST (one file, no flags)"
    copy_src=${BASH_REMATCH[1]} copy_dst=${BASH_REMATCH[2]}
    ;;
  USER) user=$(expand "$val") ;;
  EXPOSE) read -ra ports <<<"$(expand "$val")" ;;
  LABEL) parse_label "$val" ;;
  ENTRYPOINT) entrypoint=$(exec_form ENTRYPOINT "$val") ;;
  CMD) cmd=$(exec_form CMD "$val") ;;
  *) die "$containerfile: $op is not supported here (see the head of $0)" ;;
  esac
}

line=
while IFS= read -r l || [[ -n $l ]]; do
  [[ $l =~ ^[[:space:]]*(#|$) ]] && [[ -z $line ]] && continue
  if [[ $l == *\\ ]]; then
    line+="${l%\\} "
    continue
  fi
  instruction "$line$l"
  line=
done <"$containerfile"
[[ -n $from ]] || die "$containerfile: no FROM scratch"
[[ -n $copy_src ]] || die "$containerfile: no COPY"
[[ -f $context/$copy_src ]] || die "$context/$copy_src: no such file (build it first)"
for p in "${ports[@]}"; do
  [[ $p =~ ^[0-9]{1,5}(/(tcp|udp))?$ ]] || die "$containerfile: EXPOSE $p"
done

case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) arch=$(uname -m) ;;
esac
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# ---- the layout ---------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs$(dirname "$copy_dst")" "$work/layout/blobs/sha256"

# Fixed times, sorted names, owner 0:0 by number, no extended attributes.
det_tar() {
  tar --sort=name --mtime="@$epoch" --numeric-owner --owner=0 --group=0 --format=ustar \
    --no-acls --no-xattrs --no-selinux "$@"
}
# blob FILE: moves FILE into the layout under its digest; prints "sha256:HEX SIZE".
blob() {
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$work/layout/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

install -m 0755 "$context/$copy_src" "$work/rootfs$copy_dst"
det_tar -C "$work/rootfs" -cf "$work/layer.tar" "${copy_dst#/}"
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 "$work/layer.tar"
r=$(blob "$work/layer.tar.gz") && read -r layer_digest layer_size <<<"$r"

{
  printf '{"created":"%s","architecture":"%s","os":"linux","config":{' "$created" "$arch"
  sep=
  if [[ -n $user ]]; then printf '"User":%s' "$(json_str "$user")" && sep=,; fi
  if ((${#ports[@]})); then
    printf '%s"ExposedPorts":{' "$sep"
    s=
    for p in "${ports[@]}"; do
      [[ $p == */* ]] || p+=/tcp
      printf '%s"%s":{}' "$s" "$p"
      s=,
    done
    printf '}' && sep=,
  fi
  if [[ -n $entrypoint ]]; then printf '%s"Entrypoint":%s' "$sep" "$entrypoint" && sep=,; fi
  if [[ -n $cmd ]]; then printf '%s"Cmd":%s' "$sep" "$cmd" && sep=,; fi
  if ((${#label_keys[@]})); then
    printf '%s"Labels":{' "$sep"
    s=
    for k in "${label_keys[@]}"; do
      printf '%s%s:%s' "$s" "$(json_str "$k")" "$(json_str "${labels[$k]}")"
      s=,
    done
    printf '}'
  fi
  printf '},"rootfs":{"type":"layers","diff_ids":["%s"]},' "$diff_id"
  printf '"history":[{"created":"%s","created_by":%s}]}' "$created" \
    "$(json_str "COPY $copy_src $copy_dst")"
} >"$work/config.json"
r=$(blob "$work/config.json") && read -r config_digest config_size <<<"$r"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s%s}' \
  "$(printf '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},' "$config_digest" "$config_size")" \
  "$(printf '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]' "$layer_digest" "$layer_size")" \
  >"$work/manifest.json"
r=$(blob "$work/manifest.json") && read -r manifest_digest manifest_size <<<"$r"

# ref.name is the tag (skopeo's oci-archive:FILE:TAG, podman load); containerd's
# `ctr images import` names the image after io.containerd.image.name.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' \
  "$(printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":%s,"org.opencontainers.image.ref.name":%s}}' \
    "$manifest_digest" "$manifest_size" "$arch" "$(json_str "$name:$tag")" "$(json_str "$tag")")" \
  >"$work/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"

chmod 0755 "$work/layout" "$work/layout/blobs" "$work/layout/blobs/sha256"
chmod 0644 "$work/layout/index.json" "$work/layout/oci-layout" "$work"/layout/blobs/sha256/*
mkdir -p "$(dirname "$out")"
det_tar -C "$work/layout" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "$name:$tag $manifest_digest $(stat -c %s "$out") $out"
