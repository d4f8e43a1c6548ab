# bench/lib.sh — what bench/api.sh and bench/soak.sh share, sourced by them:
# a daemon on a free loopback port with a technician token and one asset,
# nginx serving a directory on the next port (the same run's baseline), and
# the summary of a wrk run.  The caller sets tmp (a scratch directory) and
# pids (what the EXIT trap kills); loopback only.

# bench_daemon SERIAL [serve args...]: sets port, nport, tech, aid
bench_daemon() {
	local serial=$1 i admin; shift
	port=$((30000 + RANDOM % 10000)); nport=$((port + 1))
	"$SZ" serve --state-dir "$tmp/st" --listen 127.0.0.1:$port "$@" >"$tmp/serve.log" 2>&1 &
	pids="$pids $!"
	for i in $(seq 100); do curl -s -m 1 http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
	admin=$(cat "$tmp/st/admin.token")
	tech=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
		-d '{"role":"technician"}' http://127.0.0.1:$port/v1/tokens | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
	aid=$(curl -s -H "Authorization: Bearer $tech" -H 'Content-Type: application/json' \
		-d "{\"serial\":\"$serial\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1000,\"tenant\":\"acme\"}" \
		http://127.0.0.1:$port/v1/assets | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
}

# bench_nginx TYPE: nginx on $nport serving $tmp/www with that default type (the caller fills www first)
bench_nginx() {
	chmod 755 "$tmp" "$tmp/www"
	cat >"$tmp/nginx.conf" <<NGX
daemon off;
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server { listen 127.0.0.1:$nport; root $tmp/www; location / { default_type $1; } }
}
NGX
	nginx -c "$tmp/nginx.conf" -p "$tmp" &
	pids="$pids $!"
	sleep 0.5
}

# bench_post_lua: a wrk script posting one custody note, in $tmp/post.lua
bench_post_lua() {
	cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"note","data":{"text":"bench"}}'
wrk.headers["Content-Type"] = "application/json"
LUA
}

# wrk_summary NAME FILE: "name rps p50 p99 max non2xx" from wrk --latency output (ms)
wrk_summary() {
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
