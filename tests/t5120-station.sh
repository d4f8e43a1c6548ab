#!/usr/bin/env bash
# The wipe station (issue 13): a loop device attached while the daemon runs
# shows in GET /v1/stream and in GET /v1/devices with its asset; a wipe's
# progress and end are in the stream; Last-Event-ID replays what a client
# missed; a drive detached mid-wipe fails its job with a reason.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
require_loop

MiB=1048576
# events FILE TYPE: the data lines of that event type, one JSON object a line
events() { awk -v t="event: $2" '$0 == t { getline; sub(/^data: /, ""); print }' "$1"; }
until_grep() { # until_grep PATTERN FILE [TENTHS]: 10 s at most by default
	local i
	for i in $(seq "${3:-100}"); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	echo "no '$1' in $2:"; tail -n 20 "$2"; return 1
}
stream() { # stream FILE [LAST-EVENT-ID]: a subscriber for 60 s at most, in the background
	curl -s -N -m 60 -H "Authorization: Bearer $TECH" ${2:+-H "Last-Event-ID: $2"} "$URL/v1/stream" >"$1" &
	echo $! >>"$TRASH/.cleanup-pids"
}

test_expect_success_here 'setup: a daemon and a subscriber to the stream' '
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	AUD=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\"}" >/dev/null; jget token <body) &&
	CUS=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"customer\",\"tenant\":\"acme\"}" >/dev/null; jget token <body) &&
	stream s1.txt && sleep 0.3
'

test_expect_success_here 'a loop device attached now is in the stream within a second and in /v1/devices, unknown' '
	truncate -s $((8 * MiB)) d1.img &&
	t0=$(date +%s%N) && D1=$(loop_attach d1.img) && N1=$(basename $D1) &&
	until_grep "\"name\":\"$N1\"" s1.txt 20 && t1=$(date +%s%N) &&
	echo "seen after $(( (t1 - t0) / 1000000 )) ms" && [ $(( (t1 - t0) / 1000000 )) -lt 1500 ] &&
	[ "$(api GET /v1/devices "$TECH")" = 200 ] &&
	python3 -c "
import json; d = [x for x in json.load(open(\"body\"))[\"devices\"] if x[\"name\"] == \"$N1\"]
assert len(d) == 1 and d[0][\"asset\"] is None and d[0][\"identity\"] == \"loop:$TRASH/d1.img\", d"
'

test_expect_success_here 'enrolled and retired, the device shows its asset and state' '
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/d1.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((8 * MiB)),\"tenant\":\"acme\"}" >/dev/null &&
	A1=$(jget id <body) && [ "$(api POST /v1/assets/$A1/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api GET /v1/devices "$TECH")" = 200 ] &&
	python3 -c "
import json; d = [x for x in json.load(open(\"body\"))[\"devices\"] if x[\"name\"] == \"$N1\"][0]
assert d[\"asset\"][\"id\"] == \"$A1\" and d[\"asset\"][\"state\"] == \"retired\" and d[\"asset\"][\"tenant\"] == \"acme\", d"
'

test_expect_success_here 'a wipe: its progress and its end are in the stream' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J1=$(jget id <body) &&
	until_grep "event: job.ended" s1.txt 300 &&
	events s1.txt job.progress | jq -e -s "map(select(.id == \"$J1\")) | length >= 1" >/dev/null &&
	events s1.txt job.ended | jq -e "select(.id == \"$J1\") | .state == \"completed\" and .record == \"written\"" >/dev/null
'

test_expect_success 'Last-Event-ID: a client that reconnects gets what it missed, in order' '
	first=$(grep -m1 "^id: " s1.txt | cut -d" " -f2) &&
	stream s2.txt "$first" && until_grep "event: job.ended" s2.txt 50 &&
	[ "$(grep "^id: " s2.txt | head -n 1 | cut -d" " -f2)" -gt "$first" ] &&
	grep "^id: " s1.txt | tail -n +2 | cut -d" " -f2 >want &&
	grep "^id: " s2.txt | cut -d" " -f2 | head -n $(wc -l <want) >got && cmp want got
'

test_expect_success 'an id from another run gets a reset first, a customer may not subscribe' '
	stream s3.txt 17 && until_grep "event: reset" s3.txt 50 &&
	[ "$(head -n 1 s3.txt)" = "event: reset" ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $CUS" "$URL/v1/stream")" = 404 ] &&
	[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "$URL/v1/stream")" = 401 ] &&
	[ "$(curl -s -m 2 -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $AUD" "$URL/v1/stream")" = 200 ]
'

test_expect_success_here 'detached mid-wipe: the job fails with reason device_removed, the asset is retired' '
	truncate -s $((1024 * MiB)) big.img && D2=$(loop_attach big.img) && N2=$(basename $D2) &&
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/big.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((1024 * MiB)),\"tenant\":\"acme\"}" >/dev/null &&
	A2=$(jget id <body) && [ "$(api POST /v1/assets/$A2/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A2\",\"device\":\"$D2\",\"method\":\"dod-3pass\",\"verify\":\"full\"}")" = 202 ] &&
	J2=$(jget id <body) && sleep 0.5 &&
	losetup -d "$D2" &&
	for i in $(seq 100); do api GET /v1/jobs/$J2 "$TECH" >/dev/null; s=$(jget state <body);
		[ "$s" = failed ] && break; sleep 0.1; done &&
	[ "$s" = failed ] && grep -q "was removed during the wipe" body &&
	[ "$(jget reason <body)" = device_removed ] &&
	api GET /v1/assets/$A2 "$TECH" >/dev/null && [ "$(jget state <body)" = retired ] &&
	until_grep "\"name\":\"$N2\"" s1.txt &&
	for i in $(seq 50); do grep -q "event: device.removed" s1.txt && break; sleep 0.1; done &&
	events s1.txt device.removed | grep -q "\"name\":\"$N2\""
'

test_done
