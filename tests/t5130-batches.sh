#!/usr/bin/env bash
# Batches (issue 13): a batch over four enrolled, retired loop devices ends
# with four completed jobs and four certificates; "all present retired"
# takes exactly the retired assets whose drives are present; cancel applies
# to the batch; a batch of an earlier run is read back from the ledger.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
require_loop

MiB=1048576
enrol() { # enrol ASSETVAR DEVVAR IMAGE MIB [STATE]: enrolled (and retired unless STATE says deployed)
	truncate -s $(($4 * MiB)) "$3" && local d && d=$(loop_attach "$3") &&
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/$3\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$(($4 * MiB)),\"tenant\":\"acme\"}" >/dev/null &&
	local id && id=$(jget id <body) && [ -n "$id" ] &&
	if [ "${5:-retired}" = deployed ]; then
		[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"deployed\",\"data\":{\"host\":\"h\"}}")" = 201 ]
	else
		[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"retired\"}")" = 201 ]
	fi &&
	eval "$1=\$id; $2=\$d"
}
wait_batch() { # wait_batch ID: until it is not running (120 s at most); its state in $bs
	local i
	for i in $(seq 1200); do
		api GET /v1/batches/$1 "$TECH" >/dev/null; bs=$(jget state <body)
		[ "$bs" != running ] && return 0
		sleep 0.1
	done
	echo "batch $1 still running: $(cat body)"; return 1
}

test_expect_success_here 'setup: a daemon, four retired drives, one deployed, one unknown' '
	sz_serve st --max-jobs 2 &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	enrol A1 D1 a1.img 8 && enrol A2 D2 a2.img 8 && enrol A3 D3 a3.img 8 && enrol A4 D4 a4.img 8 &&
	enrol A5 D5 a5.img 8 deployed &&
	truncate -s $((8 * MiB)) u.img && DU=$(loop_attach u.img) &&
	for i in $(seq 50); do api GET /v1/devices "$TECH" >/dev/null; grep -q "$(basename $DU)" body && break; sleep 0.1; done
'

test_expect_success_here 'a batch of four: four jobs under the concurrency limit, all completed, four certificates' '
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"$A1\",\"$A2\",\"$A3\",\"$A4\"],\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	B1=$(jget id <body) && [ "$(jget counts.refused <body)" = 0 ] &&
	python3 -c "import json; b=json.load(open(\"body\")); assert [d[\"device\"] for d in b[\"drives\"]] == \"$D1 $D2 $D3 $D4\".split() and all(d[\"job_id\"] for d in b[\"drives\"]), b" &&
	wait_batch $B1 && [ "$bs" = completed ] && [ "$(jget counts.completed <body)" = 4 ] &&
	for a in $A1 $A2 $A3 $A4; do
		[ "$(api POST /v1/assets/$a/certificate "$TECH" "{}")" = 201 ] || { cat body; exit 1; }
	done &&
	for d in $D1 $D2 $D3 $D4; do cmp -n $((8 * MiB)) $d /dev/zero || exit 1; done
'

test_expect_success_here 'all present retired: exactly the retired assets whose drives are here' '
	enrol A6 D6 a6.img 8 && enrol A7 D7 a7.img 8 &&
	[ "$(api POST /v1/batches "$TECH" "{\"all_present_retired\":true,\"method\":\"clear-zero\",\"verify\":\"sample\"}")" = 202 ] &&
	B2=$(jget id <body) &&
	python3 -c "import json; b=json.load(open(\"body\")); assert sorted(d[\"asset_id\"] for d in b[\"drives\"]) == sorted([\"$A6\", \"$A7\"]), b" &&
	wait_batch $B2 && [ "$bs" = completed ]
'

test_expect_success 'a drive that is not present, or not retired, is refused on its own line' '
	losetup -d "$D4" && sleep 0.5 &&
	api GET /v1/assets/$A4 "$TECH" >/dev/null && [ "$(jget state <body)" = certified ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"$A5\",\"nosuch\"],\"method\":\"clear-zero\"}")" = 202 ] &&
	python3 -c "
import json; b = json.load(open(\"body\")); d = {x[\"asset_id\"]: x for x in b[\"drives\"]}
assert d[\"$A5\"][\"refusal\"][\"status\"] == 409 and \"deployed\" in d[\"$A5\"][\"refusal\"][\"message\"], d
assert d[\"nosuch\"][\"refusal\"][\"reason\"] == \"no_asset\", d
assert b[\"counts\"][\"refused\"] == 2 and b[\"state\"] == \"ended_with_failures\", b"
'

test_expect_success_here 'cancel applies to the batch' '
	enrol A8 D8 a8.img 1024 && enrol A9 D9 a9.img 1024 &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"$A8\",\"$A9\"],\"method\":\"dod-3pass\"}")" = 202 ] &&
	B3=$(jget id <body) && sleep 0.3 &&
	[ "$(api DELETE /v1/batches/$B3 "$TECH")" = 202 ] &&
	wait_batch $B3 && [ "$bs" = ended_with_failures ] && [ "$(jget counts.cancelled <body)" = 2 ] &&
	for a in $A8 $A9; do api GET /v1/assets/$a "$TECH" >/dev/null; [ "$(jget state <body)" = retired ] || exit 1; done
'

test_expect_success 'bad batches are 400, an unknown batch 404' '
	[ "$(api POST /v1/batches "$TECH" "{\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[],\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"a\"],\"all_present_retired\":true,\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"a\",\"a\"],\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"../x\"],\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"a\"],\"method\":\"shred\"}")" = 400 ] &&
	[ "$(api POST /v1/batches "$TECH" "{\"asset_ids\":[\"a\"],\"method\":\"clear-zero\",\"x\":1}")" = 400 ] &&
	[ "$(api GET /v1/batches/bat_nosuch "$TECH")" = 404 ] && [ "$(api DELETE /v1/batches/bat_nosuch "$TECH")" = 404 ]
'

test_expect_success_here 'after a restart the batch is read back from its jobs in the ledger' '
	kill -TERM $SZPID && wait $SZPID && sz_serve st &&
	[ "$(api GET /v1/batches/$B1 "$TECH")" = 200 ] && [ "$(jget state <body)" = completed ] &&
	[ "$(jget counts.completed <body)" = 4 ] && [ "$(jget method <body)" = clear-zero ]
'

test_done
