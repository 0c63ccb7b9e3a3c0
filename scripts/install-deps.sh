#!/usr/bin/env bash
# Installs every Debian package that netctl's build, tests, benchmarks and demo need.
# Idempotent: installs only what is missing; runs `apt-get update` only when needed.
set -euo pipefail

PACKAGES=(
  # build
  cmake make gcc clang clang-format-14 pkg-config git
  libcurl4-openssl-dev libcjson-dev libyaml-dev libssl-dev libsqlite3-dev
  libcmocka-dev
  scdoc  # the man pages (docs/man): a build without it fails at configure time
  # packaging (docs/install.md): CPack's DEB generator reads shared-library dependencies
  # with dpkg-shlibdeps (dpkg-dev) and `file`; the pkg tests inspect the image archives
  # with skopeo and umoci, push one into a loopback docker-registry, find man pages with
  # man-db
  dpkg-dev file skopeo umoci docker-registry man-db
  containerd  # pkg.image imports the archives with ctr, as a node without a registry would
  # tests, test world, demo
  iproute2 iputils-ping jq nftables iptables fping procps util-linux psmisc python3 sqlite3 curl
  openssl ca-certificates valgrind libclang-rt-14-dev
  chromium  # the HTML report test (tests/fixtures/report/check_html_chromium.py)
  python3-jsonschema  # the JSON report against docs/report-schema.json (tests/cli)
  prometheus  # promtool (metrics, alert rules, dashboard checks) and the watch e2e's server
  gnuplot-nox  # the watch e2e's graph of an alert firing and resolving
  dnsmasq-base  # the test world's DNS server per cluster (DNS checks, tests/e2e/test_dns.py)
  # the test world's real nodes (world up --real-nodes): container runtime, CNI plugins, and
  # the registry the floater image is pushed to (skopeo) and pulled from
  containerd runc containernetworking-plugins docker-registry skopeo
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/netctl-apt.log 2>&1; then
  apt-get update -q >>/tmp/netctl-apt.log 2>&1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/netctl-apt.log 2>&1 ||
    { tail -20 /tmp/netctl-apt.log >&2; exit 1; }
fi
echo "install-deps: done"
