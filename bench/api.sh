#!/usr/bin/env bash
# bench/api: wrk against the daemon and, in the same run, nginx serving the
# same checkpoint bytes as a static file (this machine's ceiling).
# 64 connections, loopback only, each run bounded in time.
set -eu
cd "$(dirname "$0")/.."
SZ=${SZ:-$PWD/build/sanitizerd}
DUR=${API_BENCH_SECONDS:-10}
tmp=$(mktemp -d /var/tmp/sz-bench-api.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; sleep 0.5; rm -rf --one-file-system "$tmp"' EXIT
. bench/lib.sh
bench_daemon BENCH-1 ${API_BENCH_ARGS:-}
mkdir -p "$tmp/www"
curl -s http://127.0.0.1:$port/v1/ledger/checkpoint >"$tmp/www/checkpoint"
bench_nginx text/plain
bench_post_lua
run() { # run NAME URL [wrk args] -> "name rps p50 p99 max errors"
	local name=$1 url=$2; shift 2
	wrk -t2 -c64 -d${DUR}s --latency "$@" "$url" >"$tmp/$name.out" 2>&1
	wrk_summary "$name" "$tmp/$name.out"
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
for name, rps, p50, p99, mx, bad in rows:
    print("| %s | %.0f | %.2f | %.2f | %.2fx | %s |" % (name, float(rps), float(p50), float(p99), float(rps) / ceil, bad))
PY
n=$("$SZ" ledger verify --state-dir "$tmp/st" | sed -n 's/.*verified: \([0-9]*\) entries.*/\1/p')
echo
echo "after the run: ledger verify passed over $n entries"
