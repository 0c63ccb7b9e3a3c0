#!/bin/bash
# Issue 15 item 6: with a CA in the kubeconfig, only that CA is trusted. A TLS server on
# loopback presents a certificate from a second CA that sits in the system trust store
# (a private /etc/ssl/certs, bind-mounted in a user+mount namespace so nothing real
# changes); netctl must refuse it with a one-line TLS error and exit 3. The control: with
# no CA in the kubeconfig the same server is trusted, so the store was really in use.
# usage: trust_store.sh NETCTL (ctest -R kube.trust_store; labels kube and security)
set -euo pipefail
netctl=$(realpath "$1")
if [ "${TRUST_STORE_INNER:-}" != 1 ]; then
	exec timeout 60 unshare -rm env TRUST_STORE_INNER=1 bash "$0" "$@"
fi
dir=$(mktemp -d /tmp/netctl-trust.XXXXXX)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$1.key" -out "$1.crt" 2>/dev/null
}
ca kubeconfig-ca
ca system-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA system-ca.crt -CAkey system-ca.key -CAcreateserial \
	-days 2 -extfile san.ext -out server.crt 2>/dev/null

# the system store, as Debian lays it out: a bundle and hashed links in /etc/ssl/certs
mkdir certs
cp system-ca.crt certs/ca-certificates.crt
cp system-ca.crt certs/system-ca.pem
openssl rehash certs 2>/dev/null || c_rehash certs >/dev/null
mount --bind "$dir/certs" /etc/ssl/certs
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$port" -cert server.crt -key server.key -www \
	</dev/null >server.log 2>&1 &
server_pid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

kubeconfig() { # file, extra cluster line
	cat >"$1" <<KC
apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:$port
$2
users:
- name: u
  user: {token: tok-trust-store-test}
contexts:
- name: ctx
  context: {cluster: c, user: u}
KC
}
kubeconfig with-ca.yaml "    certificate-authority: $dir/kubeconfig-ca.crt"
kubeconfig system.yaml ""
export NETCTL_DB=$dir/netctl.db
"$netctl" cluster add with-ca --kubeconfig with-ca.yaml >/dev/null
"$netctl" cluster add system --kubeconfig system.yaml >/dev/null

fail() { echo "FAIL: $*" >&2; exit 1; }

# control: the private system store is what libcurl trusts by default
rc=0
"$netctl" cluster list --check >out.txt 2>err.txt || rc=$?
grep -q "system" out.txt || fail "no row for the control cluster: $(cat out.txt err.txt)"
if grep -i "system" out.txt err.txt | grep -qi "tls\|certificate"; then
	fail "the control cluster failed TLS, so the test store is not in use: $(cat out.txt err.txt)"
fi

# the kubeconfig's CA only: refused, one line, exit 3
rm -f "$NETCTL_DB"
"$netctl" cluster add with-ca --kubeconfig with-ca.yaml >/dev/null
rc=0
"$netctl" cluster list --check >out.txt 2>err.txt || rc=$?
cat out.txt err.txt
[ "$rc" = 3 ] || fail "exit $rc, want 3"
grep -qi "tls.*fail\|certificate" out.txt err.txt || fail "no TLS error"
[ "$(grep -ci "tls" err.txt)" -le 1 ] || fail "the TLS error is not one line"
echo "ok: a server certificate from a CA in the system store is refused when the kubeconfig names its own CA"
