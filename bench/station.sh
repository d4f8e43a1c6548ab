#!/usr/bin/env bash
# bench/station.sh — the wipe station (issue 13), in one run:
#  1. eight loop devices wiped at once through the daemon (one batch,
#     clear-zero, --max-jobs 8) against fio with eight jobs (io_uring, direct,
#     1 MiB) on the same devices: aggregate MB/s, the ratio, and the daemon's
#     CPU seconds per GB written (utime + stime from /proc/PID/stat);
#  2. a station with 24 devices: the time from attaching one more loop device
#     to its event on GET /v1/stream, GET /v1/devices latency (median and
#     worst of 50), and the event stream's job.progress rate per job while 24
#     wipes run.
# Loop devices over files in /var/tmp (direct I/O on); only those are written.
set -eu
cd "$(dirname "$0")/.."
SZ=$PWD/build/sanitizerd
SIZE_MB=${SIZE_MB:-512}
[ "$(id -u)" = 0 ] || { echo "bench/station.sh: needs root (loop devices)" >&2; exit 1; }
for t in fio jq curl; do command -v $t >/dev/null || { echo "bench/station.sh: $t missing (scripts/deps.sh bench)" >&2; exit 1; }; done
[ -x "$SZ" ] || { echo "bench/station.sh: build first (make)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/sz-station.XXXXXX)
loops="" pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for l in $loops; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

attach() { # attach NAME MB -> /dev/loopN
	fallocate -l $(($2 * 1048576)) "$work/$1.img"
	local d; d=$(losetup --find --show --direct-io=on "$work/$1.img"); loops="$loops $d"; echo "$d"
}
port=$((20000 + RANDOM % 20000)); url="http://127.0.0.1:$port"
"$SZ" serve --state-dir "$work/st" --listen 127.0.0.1:$port --max-jobs 24 >"$work/serve.log" 2>&1 &
pid=$!
for i in $(seq 200); do curl -s -m 1 "$url/healthz" >/dev/null && break; sleep 0.05; done
tok=$(cat "$work/st/admin.token")
api() { curl -s -m 60 -H "Authorization: Bearer $tok" -H "Content-Type: application/json" "$@"; }
enrol() { # enrol IMAGE-NAME MB -> asset id (retired)
	local id
	id=$(api "$url/v1/assets" -d "{\"serial\":\"loop:$work/$1.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$(($2 * 1048576)),\"tenant\":\"bench\"}" | jq -r .id)
	api "$url/v1/assets/$id/events" -d '{"type":"retired"}' >/dev/null
	echo "$id"
}
cpu_s() { awk '{ print ($14 + $15) / '"$(getconf CLK_TCK)"' }' /proc/$pid/stat; }
batch_wait() { # batch_wait ID
	while [ "$(api "$url/v1/batches/$1" | jq -r .state)" = running ]; do sleep 0.2; done
}
reuse() { # reuse ASSET: sanitized -> deployed -> removed -> retired
	api "$url/v1/assets/$1/events" -d '{"type":"deployed","data":{"host":"bench"}}' >/dev/null
	api "$url/v1/assets/$1/events" -d '{"type":"removed"}' >/dev/null
	api "$url/v1/assets/$1/events" -d '{"type":"retired"}' >/dev/null
}

# ---- 1. eight at once, against fio with eight jobs (the batch's wall time includes its verification) ----
devs="" ids=""
for i in $(seq 8); do
	d=$(attach d$i "$SIZE_MB"); devs="$devs $d"; ids="$ids $(enrol d$i "$SIZE_MB")"
done
sleep 1
fio_args=""
for d in $devs; do fio_args="$fio_args --name=$(basename "$d") --filename=$d"; done
fio --rw=write --bs=1M --iodepth=16 --ioengine=io_uring --direct=1 --end_fsync=1 --group_reporting \
	--size=${SIZE_MB}M $fio_args --output-format=json --output="$work/fio.json" >/dev/null 2>&1
fio_bw=$(jq '.jobs[0].write.bw_bytes' "$work/fio.json")
# nwipe on the same eight at once (Debian's by default; NWIPE=/path/to/nwipe for another build)
NWIPE=${NWIPE:-$(command -v nwipe || true)}
nw_bw="" nw_ver=""
if [ -n "$NWIPE" ]; then
	nw_ver=$("$NWIPE" --version 2>&1 | head -n 1)
	[ -n "$nw_ver" ] || nw_ver="nwipe at $NWIPE"	# an upstream build that prints no version
	t0=$(date +%s.%N)
	"$NWIPE" --autonuke --nogui --nousb --nosignals --verify=off --noblank --method=zero -l "$work/nw.log" $devs \
		>/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	nw_bw=$(awk -v n=8 -v m="$SIZE_MB" -v a="$t0" -v b="$t1" 'BEGIN { print n * m * 1048576 / (b - a) }')
fi
json_ids=$(printf '"%s",' $ids); json_ids="[${json_ids%,}]"
c0=$(cpu_s); t0=$(date +%s.%N)
bid=$(api "$url/v1/batches" -d "{\"asset_ids\":$json_ids,\"method\":\"clear-zero\",\"verify\":\"sample\"}" | jq -r .id)
batch_wait "$bid"
t1=$(date +%s.%N); c1=$(cpu_s)
state=$(api "$url/v1/batches/$bid" | jq -r .state)
# the bytes written over the batch's whole wall time (its sample verification and the API included)
sz_bw=$(api "$url/v1/batches/$bid" | jq --arg t "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	'([.drives[].job.report.passes[0].bytes] | add) / ($t | tonumber)')
gb=$(awk -v n=8 -v m="$SIZE_MB" 'BEGIN { print n * m * 1048576 / 1e9 }')
echo "| 8 drives at once | MB/s | ratio to fio |"
echo "|---|---:|---:|"
echo "| fio, 8 jobs (write) | $(awk -v b="$fio_bw" 'BEGIN { printf "%.0f", b / 1e6 }') | 1.00 |"
echo "| sanitizerd batch, clear-zero + sample verification, bytes written / wall time | $(awk -v b="$sz_bw" 'BEGIN { printf "%.0f", b / 1e6 }') | $(awk -v a="$sz_bw" -v b="$fio_bw" 'BEGIN { printf "%.2f", a / b }') |"
[ -n "$nw_bw" ] && echo "| $nw_ver, 8 drives, zero, no verification | $(awk -v b="$nw_bw" 'BEGIN { printf "%.0f", b / 1e6 }') | $(awk -v a="$nw_bw" -v b="$fio_bw" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "batch state: $state; wall time incl. sample verification $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s;" \
	"daemon CPU $(awk -v a="$c0" -v b="$c1" -v g="$gb" 'BEGIN { printf "%.3f", (b - a) / g }') s per GB written"

# ---- 2. a station with 24 devices ----
for a in $ids; do reuse "$a"; done
for i in $(seq 9 24); do d=$(attach d$i 64); devs="$devs $d"; ids="$ids $(enrol d$i 64)"; done
sleep 1
curl -s -N -m 120 -H "Authorization: Bearer $tok" "$url/v1/stream" >"$work/stream.txt" &
spid=$!
sleep 0.5
t0=$(date +%s%N)
fallocate -l $((64 * 1048576)) "$work/new.img"
new=$(losetup --find --show "$work/new.img"); loops="$loops $new"
while ! grep -q "\"name\":\"$(basename "$new")\"" "$work/stream.txt"; do
	sleep 0.01
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 10000 ] && break
done
detect_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
for i in $(seq 50); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $tok" "$url/v1/devices"; done | sort -n >"$work/lat"
med=$(awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }' "$work/lat")
worst=$(awk 'END { printf "%.1f", $1 * 1000 }' "$work/lat")
json_ids=$(printf '"%s",' $ids); json_ids="[${json_ids%,}]"
t0=$(date +%s.%N)
bid=$(api "$url/v1/batches" -d "{\"asset_ids\":$json_ids,\"method\":\"dod-3pass\",\"verify\":\"full\"}" | jq -r .id)
batch_wait "$bid"
t1=$(date +%s.%N)
kill $spid 2>/dev/null; wait $spid 2>/dev/null || true
# job.progress events per job per second, over each job's own running time: the lowest and the median
api "$url/v1/batches/$bid" >"$work/batch.json"
rates=$(python3 - "$work/stream.txt" "$work/batch.json" <<-'EOF'
	import json, sys, collections
	n = collections.Counter()
	lines = open(sys.argv[1]).read().split("\n")
	for i, l in enumerate(lines):
	    if l == "event: job.progress" and i + 1 < len(lines) and lines[i + 1].startswith("data: "):
	        n[json.loads(lines[i + 1][6:])["id"]] += 1
	r = sorted(n[d["job_id"]] / d["job"]["report"]["seconds"] for d in json.load(open(sys.argv[2]))["drives"])
	print("%.2f %.2f" % (r[0], r[len(r) // 2]))
	EOF
)
echo
echo "| station with 24 drives | value |"
echo "|---|---:|"
echo "| a new drive on the stream after attach | $detect_ms ms |"
echo "| GET /v1/devices, median of 50 (24 + 9 devices) | $med ms |"
echo "| GET /v1/devices, worst of 50 | $worst ms |"
echo "| job.progress events per second per job, 24 wipes at once: lowest | ${rates%% *} |"
echo "| ... median | ${rates##* } |"
