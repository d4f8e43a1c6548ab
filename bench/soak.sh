#!/usr/bin/env bash
# bench/soak.sh — the daemon under the review's soak (issue 11): 64
# connections for SOAK_SECONDS (default 300), about 30 % of them posting
# custody events and the rest reading assets, two wrk processes at once so
# that each kind's latency is its own.  The baseline, in the same run, is
# nginx serving a static file to 64 connections (this machine's floor).
# Prints p50/p99/max per kind, the p99 as a multiple of nginx's, and what
# the ledger verified afterwards.  Loopback only, bounded in time.
set -eu
cd "$(dirname "$0")/.."
SZ=$PWD/build/sanitizerd
DUR=${SOAK_SECONDS:-300}
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "bench/soak.sh: $t missing (scripts/deps.sh bench)" >&2; exit 1; }; done
tmp=$(mktemp -d /var/tmp/sz-soak.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; sleep 0.5; rm -rf --one-file-system "$tmp"' EXIT
port=$((30000 + RANDOM % 10000)); nport=$((port + 1))
"$SZ" serve --state-dir "$tmp/st" --listen 127.0.0.1:$port ${SOAK_ARGS:-} >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
for i in $(seq 100); do curl -s -m 1 http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
admin=$(cat "$tmp/st/admin.token")
tech=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"role":"technician"}' http://127.0.0.1:$port/v1/tokens | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
aid=$(curl -s -H "Authorization: Bearer $tech" -H 'Content-Type: application/json' \
	-d '{"serial":"SOAK-1","model":"M","media_type":"ssd","capacity_bytes":1000,"tenant":"acme"}' \
	http://127.0.0.1:$port/v1/assets | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
mkdir -p "$tmp/www" && chmod 755 "$tmp" "$tmp/www"
curl -s -H "Authorization: Bearer $tech" http://127.0.0.1:$port/v1/assets/$aid >"$tmp/www/asset"
cat >"$tmp/nginx.conf" <<NGX
daemon off;
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server { listen 127.0.0.1:$nport; root $tmp/www; location / { default_type application/json; } }
}
NGX
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids="$pids $!"
sleep 0.5
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"note","data":{"text":"soak"}}'
wrk.headers["Content-Type"] = "application/json"
LUA

summary() { # summary NAME FILE -> "name rps p50 p99 max non2xx"
	python3 - "$1" "$2" <<'PY'
import re, sys
t = open(sys.argv[2]).read()
def ms(v, u): return float(v) / 1000 if u == "us" else float(v) * 1000 if u == "s" else float(v)
def lat(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % p, t, re.M)
    return ms(*m.groups()) if m else float("nan")
mx = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", t)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(sys.argv[1], rps, lat(50), lat(99), ms(*mx.groups()) if mx else float("nan"), bad.group(1) if bad else 0)
PY
}
wrk -t2 -c64 -d$((DUR < 30 ? DUR : 30))s --latency http://127.0.0.1:$nport/asset >"$tmp/nginx.out" 2>&1
# the soak: 19 posting connections and 45 reading ones at once
wrk -t1 -c19 -d${DUR}s --latency -H "Authorization: Bearer $tech" -s "$tmp/post.lua" \
	http://127.0.0.1:$port/v1/assets/$aid/events >"$tmp/post.out" 2>&1 &
w1=$!
wrk -t1 -c45 -d${DUR}s --latency -H "Authorization: Bearer $tech" \
	http://127.0.0.1:$port/v1/assets/$aid >"$tmp/get.out" 2>&1 &
w2=$!
wait $w1 $w2
{
summary nginx_static "$tmp/nginx.out"
summary post_events "$tmp/post.out"
summary get_asset "$tmp/get.out"
} >"$tmp/results"
python3 - "$tmp/results" "$DUR" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
floor = float(rows[0][3])
print("| soak, %s s, 64 connections (19 POST, 45 GET) | req/s | p50 ms | p99 ms | max ms | p99 / nginx p99 | errors |" % sys.argv[2])
print("|---|---:|---:|---:|---:|---:|---:|")
for name, rps, p50, p99, mx, bad in rows:
    print("| %s | %.0f | %.2f | %.2f | %.1f | %.1fx | %s |" % (name, float(rps), float(p50), float(p99), float(mx), float(p99) / floor, bad))
PY
n=$("$SZ" ledger verify --state-dir "$tmp/st" | sed -n 's/.*verified: \([0-9]*\) entries.*/\1/p')
echo
echo "after the soak: ledger verify passed over $n entries"
