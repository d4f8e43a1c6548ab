#!/usr/bin/env bash
# A full state disk must not turn evidence into false evidence (issue 11):
# a wipe that finished while the ledger could not be written keeps its end
# (job record "pending", retried), writes answer 507 saying the disk is
# full, reads keep working, and the record lands once there is space; a
# daemon stopped with the end still pending records what really happened
# at the next start, not "interrupted".  The state directory is a small
# tmpfs the test mounts and fills.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
require_loop

MiB=1048576
fill() { dd if=/dev/zero of=st/filler bs=64k 2>/dev/null; sync -f st/filler; [ "$(df --output=avail st | tail -n 1)" -lt 64 ]; }
unfill() { rm -f st/filler; }
ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }
state_of() { sqlite3 st/ledger.db "select state from subjects where subject = 'asset:$1'"; }
job_field() { api GET /v1/jobs/$1 "$ADMIN" >/dev/null && jget "$2" <body; }
until_field() { # until_field JOB FIELD VALUE: 30 s at most
	local i
	for i in $(seq 300); do [ "$(job_field $1 $2)" = "$3" ] && return 0; sleep 0.1; done
	echo "job $1: $2 is $(job_field $1 $2), want $3: $(cat body)"; return 1
}

test_expect_success_here 'setup: a state directory on an 8 MiB tmpfs, two retired assets' '
	mkdir st && mount -t tmpfs -o size=8m sz-test-state st && mount_register "$TRASH/st" &&
	"$SZ" init --state-dir st >/dev/null &&
	truncate -s $((256 * MiB)) a.img b.img && DA=$(loop_attach a.img) && DB=$(loop_attach b.img) &&
	for x in a b; do
		ev $x enrolled "{\"serial\":\"loop:$TRASH/$x.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((256 * MiB)),\"tenant\":\"acme\"}" &&
		ev $x retired || exit 1
	done &&
	sz_serve st
'

test_expect_success_here 'a wipe that ends on a full disk keeps its end: record pending, asset still sanitizing' '
	[ "$(api POST /v1/jobs "$ADMIN" "{\"asset_id\":\"a\",\"device\":\"$DA\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	JA=$(jget id <body) && fill &&
	until_field $JA state completed && until_field $JA record pending &&
	[ -s st/jobs/$JA.end ] &&
	api GET /v1/assets/a "$ADMIN" >/dev/null && [ "$(jget state <body)" = sanitizing ]
'

test_expect_success 'while the disk is full: writes are 507 saying so, reads work, a new wipe is refused' '
	[ "$(api POST /v1/assets/b/events "$ADMIN" "{\"type\":\"note\",\"data\":{\"x\":1}}")" = 507 ] &&
	[ "$(jget error.code <body)" = insufficient_storage ] && grep -q "state disk is full" body &&
	[ "$(api GET /v1/assets/b "$ADMIN")" = 200 ] && [ "$(api GET /v1/assets/a/events "$ADMIN")" = 200 ] &&
	[ "$(api POST /v1/jobs "$ADMIN" "{\"asset_id\":\"b\",\"device\":\"$DB\",\"method\":\"clear-zero\"}")" = 507 ] &&
	grep -q "cannot start a wipe: the state disk is full" body && [ "$(state_of b)" = retired ] &&
	kill -0 $SZPID
'

test_expect_success 'space returns: the kept end is recorded, the asset is sanitized, the next write succeeds' '
	unfill && until_field $JA record written &&
	[ "$(state_of a)" = sanitized ] && [ ! -e st/jobs/$JA.end ] &&
	sqlite3 st/ledger.db "select type from entries where subject = '"'"'asset:a'"'"' order by seq desc limit 1" | grep -qx sanitize_completed &&
	[ "$(api POST /v1/assets/b/events "$ADMIN" "{\"type\":\"note\",\"data\":{\"x\":2}}")" = 201 ]
'

test_expect_success_here 'stopped while pending: the next start records what happened, not interrupted' '
	[ "$(api POST /v1/jobs "$ADMIN" "{\"asset_id\":\"b\",\"device\":\"$DB\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	JB=$(jget id <body) && fill &&
	until_field $JB record pending &&
	kill -TERM $SZPID && wait $SZPID &&
	[ -s st/jobs/$JB.end ] && [ "$(state_of b)" = sanitizing ] &&
	unfill && sz_serve st &&
	[ "$(state_of b)" = sanitized ] && [ ! -e st/jobs/$JB.end ] &&
	! sqlite3 st/ledger.db "select entry from entries where subject = '"'"'asset:b'"'"'" | grep -q interrupted &&
	grep -q "job $JB: recorded its end kept from an earlier run: sanitize_completed" "$TRASH/serve.log" &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_expect_success 'a kept end whose job the ledger has already recorded is dropped, not recorded twice' '
	kill -TERM $SZPID && wait $SZPID;
	q="select count(*) from entries where subject = '"'"'asset:b'"'"' and type = '"'"'sanitize_completed'"'"'" &&
	[ "$(sqlite3 st/ledger.db "$q")" = 1 ] &&
	printf "{\"actor\":\"job:%s\",\"data\":{\"job_id\":\"%s\"},\"subject\":\"asset:b\",\"type\":\"sanitize_completed\"}" "$JB" "$JB" >st/jobs/$JB.end &&
	sz_serve st && [ ! -e st/jobs/$JB.end ] &&
	[ "$(sqlite3 st/ledger.db "$q")" = 1 ]
'

test_expect_success_here 'a SIGBUS (what a full disk under the mapped WAL index raises) ends the daemon with a message' '
	mkdir st2 && sz_serve st2 &&
	kill -BUS $SZPID; wait $SZPID; code=$?; [ $code = 1 ] &&
	grep -q "^sanitizerd: fatal: SIGBUS: a memory-mapped file could not be backed" "$TRASH/serve.log"
'

test_done
