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
SZ=${SZ:-$PWD/build/sanitizerd}
DUR=${SOAK_SECONDS:-300}
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "bench/soak.sh: $t missing (scripts/deps.sh bench)" >&2; exit 1; }; done
tmp=$(mktemp -d /var/tmp/sz-soak.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; sleep 0.5; rm -rf --one-file-system "$tmp"' EXIT
. bench/lib.sh
bench_daemon SOAK-1 ${SOAK_ARGS:-}
mkdir -p "$tmp/www"
curl -s -H "Authorization: Bearer $tech" http://127.0.0.1:$port/v1/assets/$aid >"$tmp/www/asset"
bench_nginx application/json
bench_post_lua
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
wrk_summary nginx_static "$tmp/nginx.out"
wrk_summary post_events "$tmp/post.out"
wrk_summary get_asset "$tmp/get.out"
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
