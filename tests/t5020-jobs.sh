#!/usr/bin/env bash
# Wipe jobs through the API on loop devices: the whole lifecycle, every
# interlock as a 409, cancel, SIGTERM and kill -9 during a wipe.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
require_loop

# mkdisk NAME MiB -> prints /dev/loopN over $TRASH/NAME.img, filled with sentinels
mkdisk() {
	python3 -c "
import sys
with open(sys.argv[1], 'wb') as f:
    for i in range(int(sys.argv[2])):
        f.write((b'SENTINEL-%06d-' % i).ljust(1 << 20, b'x'))
" "$TRASH/$1.img" "$2" && loop_attach "$TRASH/$1.img"
}
identity() { echo "loop:$(cat /sys/block/$(basename "$1")/loop/backing_file)"; }
# asset SERIAL -> an asset id, enrolled and retired
asset() {
	api POST /v1/assets "$TECH" "{\"serial\":\"$1\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$(stat -c %s "${1#loop:}" 2>/dev/null || echo 1),\"tenant\":\"acme\"}" >/dev/null &&
	local id=$(jget id <body) &&
	[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"retired\",\"data\":{\"reason\":\"test\"}}")" = 201 ] &&
	echo "$id"
}
# wait_job ID STATE...: poll until the job is in one of the states (60 s at most)
wait_job() {
	local id=$1 i s; shift
	for i in $(seq 600); do
		api GET /v1/jobs/$id "$TECH" >/dev/null; s=$(jget state <body)
		for w in "$@"; do [ "$s" = "$w" ] && return 0; done
		sleep 0.1
	done
	echo "job $id is $s"; cat body; return 1
}
state_of() { api GET /v1/assets/$1 "$TECH" >/dev/null && jget state <body; }
refused() { # refused REASON ASSET DEVICE: POST a job, expect 409 with that reason
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$2\",\"device\":\"$3\",\"method\":\"clear-zero\"}")" = 409 ] &&
	[ "$(jget error.reason <body)" = "$1" ] && [ "$(state_of $2)" = retired ] ||
	{ echo "not refused for $1: $(cat body)"; return 1; }
}

test_expect_success_here 'setup: a daemon, a technician, a disk with sentinels' '
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	D1=$(mkdisk d1 40) && loop_register "$D1" && [ "$(grep -ao SENTINEL "$D1" | wc -l)" = 40 ]
'

test_expect_success_here 'the whole lifecycle: enrol, deploy, remove, retire, wipe, sanitized' '
	api POST /v1/assets "$TECH" "{\"serial\":\"$(identity $D1)\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":41943040,\"tenant\":\"acme\"}" >/dev/null &&
	A1=$(jget id <body) &&
	[ "$(api POST /v1/assets/$A1/events "$TECH" "{\"type\":\"deployed\",\"data\":{\"host\":\"db7\"}}")" = 201 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"clear-zero\"}")" = 409 ] &&
	grep -q "it is deployed, and a wipe needs retired" body &&
	[ "$(api POST /v1/assets/$A1/events "$TECH" "{\"type\":\"removed\"}")" = 201 ] &&
	[ "$(api POST /v1/assets/$A1/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"clear-random\",\"verify\":\"full\"}")" = 202 ] &&
	J1=$(jget id <body) && [ "$(jget method <body)" = clear-random ] &&
	python3 -c "import json; j=json.load(open(\"body\")); assert set(j) >= {\"id\",\"asset_id\",\"device\",\"method\",\"verify\",\"state\",\"pass\",\"passes\",\"bytes_done\",\"bytes_total\",\"rate_bytes_per_s\",\"eta_s\",\"error\"}, j" &&
	wait_job $J1 completed failed && [ "$(jget state <body)" = completed ] &&
	[ "$(jget bytes_total <body)" = 41943040 ] &&
	[ "$(jget report.verification.passed <body)" = True ] &&
	[ "$(state_of $A1)" = sanitized ] &&
	! grep -q SENTINEL "$D1" && [ "$(gzip -c "$D1" | wc -c)" -gt 41000000 ]
'

test_expect_success 'the ledger holds sanitize_started and sanitize_completed, and verifies' '
	[ "$(api GET /v1/assets/$A1/events "$TECH")" = 200 ] &&
	python3 - <<-\PYEOF &&
	import json
	ev = json.load(open("body"))["events"]
	types = [e["type"] for e in ev]
	assert types[-2:] == ["sanitize_started", "sanitize_completed"], types
	d = ev[-1]["data"]
	assert d["verification"] == {"method": "full", "result": "passed", "bytes_read": 41943040}, d
	assert d["category"] == "clear" and d["technique"] == "Overwrite" and d["method"] == "clear-random", d
	assert d["bytes_written"] == 41943040 and d["tool"]["name"] == "sanitizerd", d
	assert d["device"]["identity"].startswith("loop:"), d
	assert ev[-1]["actor"].startswith("job:") and ev[-2]["actor"].startswith("token:"), ev[-2:]
	PYEOF
	"$SZ" ledger verify --state-dir st
'

test_expect_success 'interlocks: identity mismatch, read-only, mounted, busy, system disk, each 409' '
	D2=$(mkdisk d2 8) && loop_register "$D2" &&
	a=$(asset "loop:/elsewhere.img") && refused identity_mismatch $a $D2 &&
	grep -q "SENTINEL" "$D2" &&
	R=$(losetup --find --show -r "$TRASH/d2.img") && loop_register "$R" &&
	a=$(asset "$(identity $R)-ro") && refused read_only $a $R &&
	D3=$(mkdisk d3 16) && loop_register "$D3" && mkfs.ext4 -q -E nodiscard "$D3" && mkdir mnt &&
	mount_register "$TRASH/mnt" && mount "$D3" mnt &&
	a=$(asset "$(identity $D3)") && refused mounted $a $D3 &&
	umount mnt &&
	{ "$HELPERS/hold_excl" "$D2" ready & } && h=$! && pid_register $h &&
	for i in $(seq 50); do [ -e ready ] && break; sleep 0.1; done &&
	a=$(asset "$(identity $D2)") && refused busy $a $D2 && kill $h &&
	a=$(asset "vda-serial") && { ! rd=$(root_disk) || refused system $a "$rd"; } &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$a\",\"device\":\"$D2\",\"method\":\"nvme-sanitize-crypto\"}")" = 409 ] &&
	[ "$(jget error.reason <body)" = unsupported_device ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$a\",\"device\":\"/dev/nonexistent\",\"method\":\"clear-zero\"}")" = 409 ] &&
	[ "$(jget error.reason <body)" = not_block_device ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$a\",\"device\":\"/etc/passwd\",\"method\":\"clear-zero\"}")" = 400 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$a\",\"device\":\"$D2\",\"method\":\"shred-it\"}")" = 400 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$a\",\"device\":\"$D2\",\"method\":\"clear-zero\",\"verify\":\"most\"}")" = 400 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"nosuch\",\"device\":\"$D2\",\"method\":\"clear-zero\"}")" = 404 ] &&
	grep -q SENTINEL "$D2" && grep -q SENTINEL "$D3"
'

test_expect_success_here 'cancel: DELETE stops the job, the asset goes back to retired' '
	D4=$(mkdisk d4 512) && loop_register "$D4" && A4=$(asset "$(identity $D4)") &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A4\",\"device\":\"$D4\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J4=$(jget id <body) && wait_job $J4 running &&
	[ "$(api DELETE /v1/jobs/$J4 "$TECH")" = 202 ] &&
	wait_job $J4 cancelled && [ "$(state_of $A4)" = retired ] &&
	[ "$(api DELETE /v1/jobs/$J4 "$TECH")" = 409 ] &&
	api GET /v1/assets/$A4/events "$TECH" >/dev/null &&
	python3 -c "import json; e=json.load(open(\"body\"))[\"events\"][-1]; assert e[\"type\"]==\"sanitize_failed\" and e[\"data\"][\"reason\"]==\"cancelled\", e"
'

test_expect_success_here 'kill -9 during a wipe: after a restart the asset is retired, sanitize_failed interrupted' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A4\",\"device\":\"$D4\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J5=$(jget id <body) && wait_job $J5 running && [ "$(state_of $A4)" = sanitizing ] &&
	sz_crash $SZPID &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject = '"'"'asset:$A4'"'"'")" = sanitizing ] &&
	sz_serve st &&
	[ "$(state_of $A4)" = retired ] &&
	api GET /v1/assets/$A4/events "$TECH" >/dev/null &&
	python3 -c "import json; e=json.load(open(\"body\"))[\"events\"][-1]; assert e[\"type\"]==\"sanitize_failed\" and e[\"data\"][\"reason\"]==\"interrupted\", e" &&
	grep -q "left sanitizing by an earlier run" "$TRASH/serve.log" &&
	"$SZ" ledger verify --state-dir st
'

test_expect_success_here 'SIGTERM during a wipe: the wipe stops, is recorded, the daemon exits 0' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A4\",\"device\":\"$D4\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J6=$(jget id <body) && wait_job $J6 running &&
	kill -TERM $SZPID && { wait $SZPID; rc=$?; true; } && [ $rc = 0 ] &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject = '"'"'asset:$A4'"'"'")" = retired ] &&
	"$SZ" ledger show --state-dir st | tail -n 1 | grep -q "interrupted" &&
	"$SZ" ledger verify --state-dir st --require-attested
'

test_done
