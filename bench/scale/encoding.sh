#!/usr/bin/env bash
# bench/scale/encoding.sh: bytes per result of the floater's two answer encodings (JSON
# lines and the compact "c1", docs/floater.md) and of the two request forms, through one
# real floater: a prober namespace P asks for TCP probes of N targets that a target
# namespace T answers (every address of 198.18.64.0/18 is T's own, as in bench/probe-rate).
# The request is the one netctl builds (a target per node, refs 0..N-1, source 0's order);
# the answer is counted as it leaves the floater (HTTP chunk framing included, curl --raw),
# before the API server's proxy and TLS. Also the probing floater's CPU per result
# (/proc/PID/schedstat: the probes, the request's parsing and the answer's writing).
#   sudo bench/scale/encoding.sh [FLOATER] [TARGETS] [RUNS]   (defaults build/floater/floater 999 3)
set -euo pipefail
FLOATER=$(realpath "${1:-build/floater/floater}")
N=${2:-999}
RUNS=${3:-3}
PORT=8889
NAME=encoding
# shellcheck source=../lib/pair.sh
source "$(dirname "$0")/../lib/pair.sh"
pair_setup
for n in "$P" "$T"; do PIDS+=("$(pair_floater "$n")"); done
pair_wait_ready 198.18.3.1

python3 - "$N" "$TMP" <<'PY'
import json, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
ips = ["198.18.%d.%d" % (64 + (i + 1) // 256, (i + 1) % 256) for i in range(n)]
common = {"protocols": ["tcp"], "count": 1, "interval_ms": 100, "timeout_ms": 2000, "size": 0}
js = {"id": "r1-n0-a0", "targets": [{"ip": ip, "port": 8889, "ref": i} for i, ip in enumerate(ips)]}
js.update(common)
c1 = {"id": "r1-n0-a0", "format": "c1", "targets_c": ",".join(
    ip + ("#8889" if i == 0 else "") for i, ip in enumerate(ips))}
c1.update(common)
for name, body in (("json", js), ("c1", c1)):
    with open("%s/%s.req" % (tmp, name), "w") as f:
        f.write(json.dumps(body, separators=(",", ":")))
PY

printf '%-5s %9s %12s %13s %9s %14s\n' enc results req_B/target answer_B/result total_B prober_cpu_us
for enc in json c1; do
	for ((r = 0; r < RUNS; r++)); do
		c0=$(awk '{print $1}' "/proc/${PIDS[0]}/schedstat")
		ip netns exec "$P" curl -s --raw -N -H "X-Floater-Token: $(cat "$TMP/token")" \
			--data-binary @"$TMP/$enc.req" "http://198.18.3.1:$PORT/v1/probe" >"$TMP/$enc.out"
		c1=$(awk '{print $1}' "/proc/${PIDS[0]}/schedstat")
		python3 - "$enc" "$TMP/$enc.req" "$TMP/$enc.out" "$N" "$((c1 - c0))" <<'PY'
import os, sys
enc, req, out, n, ns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
raw = open(out, "rb").read()
body, pos = b"", 0
while True:  # the chunked body, decoded: what the lines are
    eol = raw.index(b"\r\n", pos)
    size = int(raw[pos:eol], 16)
    if size == 0:
        break
    body += raw[eol + 2:eol + 2 + size]
    pos = eol + 2 + size + 2
lines = [l for l in body.split(b"\n") if l]
results = len([l for l in lines if not l.startswith(b"#") and b'"done"' not in l])
ok = len([l for l in lines if l.endswith(b',ok') or l.endswith(b'"ok"}') or l.endswith(b",")])
reqb = os.path.getsize(req)
print("%-5s %9d %12.1f %13.1f %9.1f %14.1f" % (enc, results, reqb / n, len(raw) / n,
      (reqb + len(raw)) / n, ns / 1000.0 / n))
PY
	done
done
