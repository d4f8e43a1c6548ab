#!/usr/bin/env bash
# GET /metrics (issue 15): Prometheus naming, promtool's lint, every family
# present and moving when its event happens (a wipe on a loop device, a
# certificate, an interlock refusal, a cancelled wipe), and the counters
# derived from the ledger unchanged across a restart.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
if ! command -v promtool >/dev/null; then
	"$TOP/scripts/deps.sh" metrics >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null || skip_all "needs promtool (Debian package prometheus: scripts/deps.sh metrics, as root)"

scrape() { [ "$(api GET /metrics)" = 200 ] && cp body "${1:-m.txt}"; }
# metric SERIES [FILE]: the value of one series, exactly as written ("name{labels}"); fails if absent
metric() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { exit !found }' "${2:-m.txt}"; }
tok() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }
wait_job() {
	local id=$1 i s; shift
	for i in $(seq 600); do
		api GET /v1/jobs/$id "$TECH" >/dev/null; s=$(jget state <body)
		for w in "$@"; do [ "$s" = "$w" ] && return 0; done
		sleep 0.1
	done
	echo "job $id is $s"; return 1
}
# asset SERIAL BYTES: an asset enrolled and retired
asset() {
	api POST /v1/assets "$TECH" "{\"serial\":\"$1\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$2,\"tenant\":\"acme\"}" >/dev/null &&
	local id=$(jget id <body) &&
	[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] && echo "$id"
}

test_expect_success_here 'setup: a daemon and a technician' '
	sz_serve st --origin test.example/sz && TECH=$(tok "{\"role\":\"technician\"}")
'

test_expect_success 'a fresh daemon: promtool check metrics passes, the text format and its content type' '
	[ "$(curl -s -o m.txt -w "%{content_type}" "$URL/metrics")" = "text/plain; version=0.0.4; charset=utf-8" ] &&
	promtool check metrics <m.txt && [ -z "$(promtool check metrics <m.txt 2>&1)" ]
'

test_expect_success 'every family has its HELP and TYPE' '
	scrape && for f in sanitizerd_build_info:gauge sanitizerd_http_requests_total:counter \
		sanitizerd_http_request_duration_seconds:histogram sanitizerd_http_auth_failures_total:counter \
		sanitizerd_http_connections_cut_total:counter \
		sanitizerd_jobs:gauge sanitizerd_jobs_ended_total:counter sanitizerd_engine_written_bytes_total:counter \
		sanitizerd_wipes_started_total:counter sanitizerd_wipes_total:counter \
		sanitizerd_wipe_written_bytes_total:counter sanitizerd_wipe_verified_bytes_total:counter \
		sanitizerd_wipe_failures_total:counter sanitizerd_certificates_issued_total:counter \
		sanitizerd_interlock_refusals_total:counter sanitizerd_ledger_entries:gauge \
		sanitizerd_ledger_file_size_bytes:gauge sanitizerd_ledger_checkpoint_entries:gauge \
		sanitizerd_ledger_checkpoint_age_seconds:gauge process_cpu_seconds_total:counter \
		process_open_fds:gauge process_max_fds:gauge process_resident_memory_bytes:gauge \
		process_start_time_seconds:gauge; do
		grep -q "^# HELP ${f%:*} " m.txt && grep -qx "# TYPE ${f%:*} ${f#*:}" m.txt || { echo "no $f"; exit 1; }
	done
'

# process_* are the http process's (issue 12): the one that answers /metrics
test_expect_success 'build info and process metrics from /proc/self' '
	scrape && [ "$(metric "sanitizerd_build_info{version=\"$("$SZ" --version | awk "{print \$NF}")\"}")" = 1 ] &&
	now=$(date +%s) && start=$(metric process_start_time_seconds) &&
	python3 -c "import sys; n,s=float(sys.argv[1]),float(sys.argv[2]); assert n-120 < s <= n+2, (n,s)" "$now" "$start" &&
	fds=$(metric process_open_fds) && real=$(ls /proc/$(sz_child $SZPID http)/fd | wc -l) &&
	[ "$fds" -gt 3 ] && [ $((fds - real)) -le 4 ] && [ $((real - fds)) -le 4 ] &&
	rss=$(metric process_resident_memory_bytes) && [ "$rss" -gt 1000000 ] &&
	grep -q "^process_cpu_seconds_total [0-9]" m.txt
'

test_expect_success 'the duration histogram moves for the route class of each request' '
	scrape m0.txt &&
	api GET /healthz >/dev/null && api GET /v1/assets "$TECH" >/dev/null && api GET /nope >/dev/null &&
	api POST /v1/assets "$TECH" "{\"serial\":\"S-H\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" >/dev/null &&
	scrape && for c in public read write unmatched; do
		a=$(metric "sanitizerd_http_request_duration_seconds_count{class=\"$c\"}" m0.txt) &&
		b=$(metric "sanitizerd_http_request_duration_seconds_count{class=\"$c\"}") &&
		inf=$(metric "sanitizerd_http_request_duration_seconds_bucket{class=\"$c\",le=\"+Inf\"}") &&
		[ $((b - a)) -ge 1 ] && [ "$inf" = "$b" ] || { echo "class $c: $a -> $b (+Inf $inf)"; exit 1; }
	done &&
	[ "$(metric "sanitizerd_http_request_duration_seconds_count{class=\"stream\"}")" = 0 ] &&
	python3 - m.txt <<-\PY
	import re, sys
	b = {}
	for l in open(sys.argv[1]):
	    m = re.match(r"sanitizerd_http_request_duration_seconds_bucket\{class=\"(\w+)\",le=\"([^\"]+)\"\} (\d+)", l)
	    if m: b.setdefault(m[1], []).append(int(m[3]))
	assert len(b) == 5 and all(len(v) == 15 and v == sorted(v) for v in b.values()), b
	PY
'

test_expect_success 'auth failures by reason; requests by code' '
	scrape m0.txt && api GET /v1/assets >/dev/null && api GET /v1/assets szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >/dev/null &&
	api GET /v1/tokens "$TECH" >/dev/null && scrape &&
	[ "$(metric "sanitizerd_http_auth_failures_total{reason=\"missing\"}")" -ge 1 ] &&
	[ "$(metric "sanitizerd_http_auth_failures_total{reason=\"rejected\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_http_auth_failures_total{reason=\"forbidden\"}")" = 1 ] &&
	[ $(( $(metric "sanitizerd_http_requests_total{code=\"401\"}") - $(metric "sanitizerd_http_requests_total{code=\"401\"}" m0.txt 2>/dev/null || echo 0) )) = 2 ] &&
	[ "$(metric "sanitizerd_http_requests_total{code=\"403\"}")" = 1 ]
'

test_expect_success 'an interlock refusal counts by its reason; known reasons show 0 before' '
	scrape m0.txt && [ "$(metric "sanitizerd_interlock_refusals_total{reason=\"not_block_device\"}" m0.txt)" = 0 ] &&
	[ "$(metric "sanitizerd_interlock_refusals_total{reason=\"mounted\"}" m0.txt)" = 0 ] &&
	A=$(asset S-NB 4096) &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"/dev/null\",\"method\":\"clear-zero\"}")" = 409 ] &&
	scrape && [ "$(metric "sanitizerd_interlock_refusals_total{reason=\"not_block_device\"}")" = 1 ] &&
	promtool check metrics <m.txt
'

test_expect_success 'a request line with too many parameters: a connection cut' '
	scrape m0.txt && [ "$(metric sanitizerd_http_connections_cut_total m0.txt)" = 0 ] &&
	q=$(printf "a%d=1&" $(seq 70)) && curl -s -m 5 -o /dev/null "$URL/healthz?$q"; sleep 0.3 &&
	scrape && [ "$(metric sanitizerd_http_connections_cut_total)" = 1 ]
'

test_expect_success 'ledger: entries, file sizes, the checkpoint and its age' '
	scrape &&
	[ "$(metric sanitizerd_ledger_entries)" -ge 4 ] &&
	[ "$(metric "sanitizerd_ledger_file_size_bytes{file=\"ledger.db\"}")" -gt 0 ] &&
	[ "$(metric sanitizerd_ledger_checkpoint_entries)" -ge 1 ] &&
	age=$(metric sanitizerd_ledger_checkpoint_age_seconds) &&
	python3 -c "import sys; a=float(sys.argv[1]); assert 0 <= a < 120, a" "$age" &&
	e0=$(metric sanitizerd_ledger_entries) && A=$(asset S-L 4096) && scrape &&
	[ "$(metric sanitizerd_ledger_entries)" = $((e0 + 2)) ]
'

if ! { [ "$(id -u)" = 0 ] && truncate -s 1M .probe && d=$(losetup --find --show .probe 2>/dev/null) && losetup -d "$d"; }; then
	test_skip 'a wipe, a cancelled wipe, a refusal on a loop device, a certificate, a restart' "loop devices are not available here (needs root)"
	test_done
fi

test_expect_success_here 'a wipe on a loop device: started, ended, bytes written and verified, live jobs' '
	scrape m0.txt &&
	[ -z "$(grep "^sanitizerd_wipes_total{" m0.txt)" ] &&
	truncate -s 24M d.img && D=$(loop_attach "$TRASH/d.img") && A=$(asset "loop:$TRASH/d.img" 25165824) &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$D\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J completed failed && [ "$(jget state <body)" = completed ] &&
	scrape && cat m.txt | grep -E "^sanitizerd_(wipe|jobs|engine)" &&
	[ "$(metric "sanitizerd_wipes_started_total{method=\"clear-zero\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_wipes_total{method=\"clear-zero\",result=\"completed\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_wipe_written_bytes_total{method=\"clear-zero\"}")" = 25165824 ] &&
	[ "$(metric "sanitizerd_wipe_verified_bytes_total{method=\"clear-zero\"}")" = 25165824 ] &&
	[ "$(metric "sanitizerd_engine_written_bytes_total")" = 25165824 ] &&
	[ "$(metric "sanitizerd_jobs_ended_total{state=\"completed\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_jobs{state=\"running\"}")" = 0 ] &&
	promtool check metrics <m.txt &&
	grep -q " info wipe job started job=$J asset=$A device=$D method=clear-zero$" "$TRASH/serve.log" &&
	grep -q " info wipe job ended job=$J asset=$A device=$D method=clear-zero state=completed$" "$TRASH/serve.log"
'

test_expect_success_here 'a certificate issued' '
	[ "$(metric sanitizerd_certificates_issued_total)" = 0 ] &&
	[ "$(api POST /v1/assets/$A/certificate "$TECH" "{}")" = 201 ] &&
	scrape && [ "$(metric sanitizerd_certificates_issued_total)" = 1 ]
'

test_expect_success_here 'an identity mismatch on a loop device: a refusal by its reason' '
	truncate -s 8M e.img && E=$(loop_attach "$TRASH/e.img") && B=$(asset "not-this-drive" 8388608) &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$B\",\"device\":\"$E\",\"method\":\"clear-zero\"}")" = 409 ] &&
	[ "$(jget error.reason <body)" = identity_mismatch ] &&
	scrape && [ "$(metric "sanitizerd_interlock_refusals_total{reason=\"identity_mismatch\"}")" = 1 ]
'

test_expect_success_here 'a cancelled wipe: a failure by its reason, live jobs while it runs' '
	truncate -s 2G c.img && C=$(loop_attach "$TRASH/c.img") && AC=$(asset "loop:$TRASH/c.img" 2147483648) &&
	[ "$(metric "sanitizerd_wipe_failures_total{reason=\"cancelled\"}")" = 0 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$AC\",\"device\":\"$C\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	JC=$(jget id <body) && wait_job $JC running && scrape m1.txt &&
	[ "$(metric "sanitizerd_jobs{state=\"running\"}" m1.txt)" = 1 ] &&
	[ "$(api DELETE /v1/jobs/$JC "$TECH")" = 202 ] && wait_job $JC cancelled &&
	scrape && [ "$(metric "sanitizerd_wipe_failures_total{reason=\"cancelled\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_wipes_total{method=\"dod-3pass\",result=\"failed\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_wipes_started_total{method=\"dod-3pass\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_jobs_ended_total{state=\"cancelled\"}")" = 1 ] &&
	[ "$(metric "sanitizerd_jobs{state=\"running\"}")" = 0 ] && cp m.txt before.txt &&
	grep -q " warn wipe job ended job=$JC asset=$AC device=$C method=dod-3pass state=cancelled reason=cancelled" "$TRASH/serve.log"
'

test_expect_success_here 'a restart: what the ledger holds counts the same; this run'"'"'s counts start again' '
	kill $SZPID && wait $SZPID; sz_serve st && scrape && bad= &&
	for s in sanitizerd_certificates_issued_total "sanitizerd_wipes_started_total{method=\"clear-zero\"}" \
		"sanitizerd_wipes_started_total{method=\"dod-3pass\"}" \
		"sanitizerd_wipes_total{method=\"clear-zero\",result=\"completed\"}" \
		"sanitizerd_wipes_total{method=\"dod-3pass\",result=\"failed\"}" \
		"sanitizerd_wipe_written_bytes_total{method=\"clear-zero\"}" \
		"sanitizerd_wipe_verified_bytes_total{method=\"clear-zero\"}" \
		"sanitizerd_wipe_failures_total{reason=\"cancelled\"}" sanitizerd_ledger_entries; do
		[ "$(metric "$s")" = "$(metric "$s" before.txt)" ] || { echo "$s: $(metric "$s" before.txt) -> $(metric "$s")"; bad=1; }
	done && [ -z "$bad" ] &&
	[ "$(metric sanitizerd_certificates_issued_total)" = 1 ] &&
	[ "$(metric "sanitizerd_interlock_refusals_total{reason=\"identity_mismatch\"}")" = 0 ] &&
	[ "$(metric "sanitizerd_jobs_ended_total{state=\"completed\"}")" = 0 ] &&
	[ "$(metric sanitizerd_engine_written_bytes_total)" = 0 ] &&
	promtool check metrics <m.txt
'

test_done
