#!/usr/bin/env bash
# The Debian package (cmake/install.cmake, docs/install.md), made and used as a packager
# and an administrator would:
#   deb_test.sh BUILD_DIR
# cpack -G DEB; dpkg-deb -I/-c (fields, Depends from dpkg-shlibdeps, the file list,
# printed with the size); a real `dpkg -i` into a scratch root whose database holds the
# host's entries of the packages netctl depends on (so Depends is checked, not forced);
# the installed netctl, its man pages (man -w), its completion and its image; then
# `dpkg -r` leaves nothing of the package.
set -euo pipefail
BUILD=$(realpath "$1")
T=$(mktemp -d /tmp/netctl-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() {
  if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fails=$((fails + 1)); fi
}

cpack -G DEB -B "$T/out" --config "$BUILD/CPackConfig.cmake" >"$T/cpack.log" 2>&1 ||
  { tail -30 "$T/cpack.log"; exit 1; }
deb=$(ls "$T"/out/netctl_*.deb)
version=$(dpkg-deb -f "$deb" Version)
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
dpkg-deb -I "$deb"
dpkg-deb -c "$deb" | tee "$T/files"

field() { dpkg-deb -f "$deb" "$1"; }
check '[[ $(field Package) == netctl && $(field Section) == net && $(field Priority) == optional ]]' \
  "Package, Section, Priority"
check '[[ $(field Maintainer) == *"<"*"@"*">" ]]' "Maintainer: $(field Maintainer)"
check '[[ $(field Description) == *"node pair by node pair"* ]]' "Description"
for lib in libc6 libcurl4 libsqlite3-0 libssl3 libyaml-0-2 libcjson1; do
  check '[[ ",$(field Depends | tr -d " ")," == *",$lib"[,\(]* ]]' "Depends names $lib (dpkg-shlibdeps)"
done
for f in usr/bin/netctl usr/libexec/netctl/floater "usr/share/netctl/netctl-floater-$version.oci.tar" \
  usr/share/netctl/deploy/daemonset-pod.yaml usr/share/netctl/deploy/daemonset-host.yaml \
  usr/share/netctl/deploy/rbac.yaml usr/share/man/man1/netctl.1.gz usr/share/man/man8/floater.8.gz \
  usr/share/man/man5/netctl-config.5.gz usr/share/bash-completion/completions/netctl \
  usr/share/doc/netctl/README.md usr/share/doc/netctl/docs/install.md; do
  check 'grep -q " \./$f$" "$T/files"' "the package holds /$f"
done
check '! grep -qE " \./usr/(lib/|include/|share/netctl/netctl-pause)" "$T/files"' \
  "no libraries, headers or test-world images"

# ---- a real dpkg -i into a scratch root ----------------------------------------------------
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/available"
: >"$R/var/lib/dpkg/status"
for p in $(field Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g'); do
  dpkg-query -s "$p" >>"$R/var/lib/dpkg/status"
  echo >>"$R/var/lib/dpkg/status"
  touch "$R/var/lib/dpkg/info/$(dpkg-query -W -f='${binary:Package}' "$p").list"
done
dpkg_root() { dpkg --root="$R" --force-not-root --log="$T/dpkg.log" "$@"; }
dpkg_root -i "$deb"
check '[[ $(dpkg-query --admindir="$R/var/lib/dpkg" -W -f="\${Status}" netctl) == "install ok installed" ]]' \
  "dpkg -i: installed, its Depends satisfied by the host's packages"
out=$("$R/usr/bin/netctl" --version)
echo "$out"
check '[[ $out == "netctl $version"$'\''\n'\''"floater image: "*"/netctl-floater:$version" ]]' \
  "the installed netctl --version"
image=${out#*floater image: }
archive=$R/usr/share/netctl/netctl-floater-$version.oci.tar
check '[[ $(tar -xOf "$archive" index.json | jq -r ".manifests[0].annotations[\"io.containerd.image.name\"]") == "$image" ]]' \
  "the installed image archive is $image"
check '[[ $(skopeo inspect --config "oci-archive:$archive" | jq -r .config.User) == 65534:65534 ]]' \
  "skopeo reads the installed image"
check '[[ $("$R/usr/libexec/netctl/floater" --version) == "floater $version" ]]' "the installed floater runs"
for page in 1:netctl 8:floater 5:netctl-config; do
  sec=${page%%:*} name=${page#*:}
  where=$(MANPATH=$R/usr/share/man man -w "$sec" "$name")
  check '[[ $where == "$R/usr/share/man/man$sec/$name.$sec.gz" ]]' "MANPATH=… man -w $sec $name: $where"
done
check '[[ $(MANPATH=$R/usr/share/man MANWIDTH=80 man 1 netctl 2>/dev/null | grep -c "image-pull-secret") -ge 1 ]]' \
  "man netctl renders"
check '[[ $(bash -c "source $R/usr/share/bash-completion/completions/netctl && complete -p netctl") == "complete -F _netctl netctl" ]]' \
  "the installed completion registers"

# ---- dpkg -r leaves nothing -------------------------------------------------------------
dpkg_root -r netctl
check '! dpkg-query --admindir="$R/var/lib/dpkg" -W netctl >/dev/null 2>&1' "dpkg -r: netctl is gone from the database"
left=$(cd "$R" && find . -mindepth 1 -not -path "./var" -not -path "./var/*" | sort)
check '[[ -z $left ]]' "dpkg -r left nothing outside the dpkg database${left:+: $left}"

echo "$fails failed"
((fails == 0))
