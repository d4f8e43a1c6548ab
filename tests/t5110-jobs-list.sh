#!/usr/bin/env bash
# Jobs a station runs all day (issue 13): GET /v1/jobs with filters and
# paging, newest first; jobs of earlier runs are read back from the ledger,
# so GET /v1/jobs/{id} answers after a restart, and a job killed with the
# daemon shows as failed with reason interrupted.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
require_loop

MiB=1048576
enrol() { # enrol ASSETVAR DEVVAR IMAGE SIZE_MIB: enrolled and retired, over a loop device
	truncate -s $(($4 * MiB)) "$3" && local d && d=$(loop_attach "$3") &&
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/$3\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$(($4 * MiB)),\"tenant\":\"acme\"}" >/dev/null &&
	local id && id=$(jget id <body) && [ -n "$id" ] &&
	[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	eval "$1=\$id; $2=\$d"
}
wait_job() { # wait_job ID: until it ended; its state in $s
	local i
	for i in $(seq 600); do
		api GET /v1/jobs/$1 "$TECH" >/dev/null; s=$(jget state <body)
		case "$s" in completed|failed|cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
start() { # start ASSET DEVICE: a clear-zero job; its id in $J
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$1\",\"device\":\"$2\",\"method\":\"clear-zero\",\"verify\":\"sample\"}")" = 202 ] &&
	J=$(jget id <body)
}
ids() { python3 -c 'import json,sys; print(" ".join(j["id"] for j in json.load(open("body"))["jobs"]))'; }

test_expect_success_here 'setup: a daemon, three jobs that complete, one that is cancelled' '
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	AUD=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\"}" >/dev/null; jget token <body) &&
	CUS=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"customer\",\"tenant\":\"acme\"}" >/dev/null; jget token <body) &&
	enrol A1 D1 a1.img 4 && enrol A2 D2 a2.img 4 && enrol A3 D3 a3.img 4 && enrol A4 D4 a4.img 512 &&
	start $A1 $D1 && J1=$J && wait_job $J1 && [ "$s" = completed ] &&
	start $A2 $D2 && J2=$J && wait_job $J2 && [ "$s" = completed ] &&
	start $A3 $D3 && J3=$J && wait_job $J3 && [ "$s" = completed ] &&
	start $A4 $D4 && J4=$J && [ "$(api DELETE /v1/jobs/$J4 "$TECH")" = 202 ] && wait_job $J4 && [ "$s" = cancelled ]
'

test_expect_success 'GET /v1/jobs: newest first, with the filters' '
	[ "$(api GET /v1/jobs "$TECH")" = 200 ] && [ "$(ids)" = "$J4 $J3 $J2 $J1" ] &&
	[ "$(api GET "/v1/jobs?state=completed" "$AUD")" = 200 ] && [ "$(ids)" = "$J3 $J2 $J1" ] &&
	[ "$(api GET "/v1/jobs?state=cancelled" "$TECH")" = 200 ] && [ "$(ids)" = "$J4" ] &&
	[ "$(api GET "/v1/jobs?asset_id=$A2" "$TECH")" = 200 ] && [ "$(ids)" = "$J2" ] &&
	t3=$("$SZ" ledger show --state-dir st | jq -r ".entry" | jq -r "select(.type == \"sanitize_started\" and .data.job_id == \"$J3\") | .time") &&
	[ "$(api GET "/v1/jobs?since=$t3" "$TECH")" = 200 ] && [ "$(ids)" = "$J4 $J3" ]
'

test_expect_success 'paging: limit and next give every job exactly once' '
	seen= && after= &&
	for i in 1 2 3 4 5 6; do
		[ "$(api GET "/v1/jobs?limit=1${after:+&after=$after}" "$TECH")" = 200 ] || exit 1
		seen="$seen $(ids)"; after=$(jget next <body)
		[ "$after" = None ] && break
	done &&
	[ "$seen" = " $J4 $J3 $J2 $J1" ]
'

test_expect_success 'bad queries are 400, a customer may not list jobs' '
	[ "$(api GET "/v1/jobs?state=done" "$TECH")" = 400 ] &&
	[ "$(api GET "/v1/jobs?limit=0" "$TECH")" = 400 ] && [ "$(api GET "/v1/jobs?limit=201" "$TECH")" = 400 ] &&
	[ "$(api GET "/v1/jobs?after=x" "$TECH")" = 400 ] &&
	[ "$(api GET "/v1/jobs?since=2026-02-30T00:00:00.000Z" "$TECH")" = 400 ] &&
	[ "$(api GET "/v1/jobs?asset_id=../x" "$TECH")" = 400 ] &&
	[ "$(api GET /v1/jobs "$CUS")" = 404 ]
'

test_expect_success_here 'after a restart: the jobs of the earlier run answer from the ledger' '
	kill -TERM $SZPID && wait $SZPID && sz_serve st &&
	[ "$(api GET /v1/jobs/$J2 "$TECH")" = 200 ] && [ "$(jget state <body)" = completed ] &&
	[ "$(jget asset_id <body)" = "$A2" ] && [ "$(jget method <body)" = clear-zero ] &&
	[ "$(jget report.verification.result <body)" = passed ] && [ "$(jget record <body)" = written ] &&
	[ "$(api GET /v1/jobs/$J4 "$AUD")" = 200 ] && [ "$(jget state <body)" = cancelled ] &&
	[ "$(api GET /v1/jobs "$TECH")" = 200 ] && [ "$(ids)" = "$J4 $J3 $J2 $J1" ] &&
	[ "$(api GET /v1/jobs/job_nonexistent "$TECH")" = 404 ]
'

test_expect_success_here 'a job killed with the daemon shows as failed, reason interrupted, after the restart' '
	api GET /v1/assets/$A4 "$TECH" >/dev/null && [ "$(jget state <body)" = retired ] &&
	# a wipe long enough to be killed in its middle: three passes and a full read-back of 512 MiB
	# (a one-pass clear-zero with a sampled check could end, 0.3 s on this VM, before the kill)
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A4\",\"device\":\"$D4\",\"method\":\"dod-3pass\",\"verify\":\"full\"}")" = 202 ] &&
	J5=$(jget id <body) && sleep 0.3 &&
	api GET /v1/jobs/$J5 "$TECH" >/dev/null && [ "$(jget state <body)" = running ] &&
	sz_crash $SZPID; sz_serve st &&
	[ "$(api GET /v1/jobs/$J5 "$TECH")" = 200 ] && [ "$(jget state <body)" = failed ] &&
	[ "$(jget reason <body)" = interrupted ] &&
	[ "$(api GET "/v1/jobs?state=failed" "$TECH")" = 200 ] && [ "$(ids)" = "$J5" ]
'

test_done
