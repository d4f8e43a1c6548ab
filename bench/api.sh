#!/usr/bin/env bash
# bench/api: wrk against the daemon and, in the same run, nginx serving the
# same checkpoint bytes as a static file (this machine's ceiling).
# 64 connections, loopback only, each run bounded in time.
set -eu
cd "$(dirname "$0")/.."
SZ=$PWD/build/sanitizerd
DUR=${API_BENCH_SECONDS:-10}
tmp=$(mktemp -d /var/tmp/sz-bench-api.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; sleep 0.5; rm -rf --one-file-system "$tmp"' EXIT
port=$((30000 + RANDOM % 10000)); nport=$((port + 1))
"$SZ" serve --state-dir "$tmp/st" --listen 127.0.0.1:$port ${API_BENCH_ARGS:-} >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
for i in $(seq 100); do curl -s -m 1 http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
admin=$(cat "$tmp/st/admin.token")
tech=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"role":"technician"}' http://127.0.0.1:$port/v1/tokens | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
aid=$(curl -s -H "Authorization: Bearer $tech" -H 'Content-Type: application/json' \
	-d '{"serial":"BENCH-1","model":"M","media_type":"ssd","capacity_bytes":1,"tenant":"acme"}' \
	http://127.0.0.1:$port/v1/assets | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
mkdir -p "$tmp/www" && chmod 755 "$tmp" "$tmp/www"
curl -s http://127.0.0.1:$port/v1/ledger/checkpoint >"$tmp/www/checkpoint"
cat >"$tmp/nginx.conf" <<NGX
daemon off;
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server { listen 127.0.0.1:$nport; root $tmp/www; location / { default_type text/plain; } }
}
NGX
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids="$pids $!"
sleep 0.5
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"note","data":{"text":"bench"}}'
wrk.headers["Content-Type"] = "application/json"
LUA

run() { # run NAME URL [wrk args] -> "name rps p50 p99"
	local name=$1 url=$2; shift 2
	wrk -t2 -c64 -d${DUR}s --latency "$@" "$url" >"$tmp/$name.out" 2>&1
	python3 - "$name" "$tmp/$name.out" <<'PY'
import re, sys
t = open(sys.argv[2]).read()
def lat(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % p, t, re.M)
    if not m: return float("nan")
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(sys.argv[1], rps, lat(50), lat(99), non2xx.group(1) if non2xx else 0)
PY
}
{
run nginx_static http://127.0.0.1:$nport/checkpoint
run checkpoint http://127.0.0.1:$port/v1/ledger/checkpoint
run asset_get http://127.0.0.1:$port/v1/assets/$aid -H "Authorization: Bearer $tech"
run events_post http://127.0.0.1:$port/v1/assets/$aid/events -H "Authorization: Bearer $tech" -s "$tmp/post.lua"
} >"$tmp/results"
python3 - "$tmp/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
ceil = float(rows[0][1])
print("| endpoint (wrk, 2 threads, 64 connections) | req/s | p50 ms | p99 ms | vs nginx static | errors |")
print("|---|---|---|---|---|---|")
for name, rps, p50, p99, bad in rows:
    print("| %s | %.0f | %.2f | %.2f | %.2fx | %s |" % (name, float(rps), float(p50), float(p99), float(rps) / ceil, bad))
PY
n=$("$SZ" ledger verify --state-dir "$tmp/st" | sed -n 's/.*verified: \([0-9]*\) entries.*/\1/p')
echo
echo "after the run: ledger verify passed over $n entries"
