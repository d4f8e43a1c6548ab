#!/usr/bin/env bash
# Derived state is not evidence (issue 11): the subjects table (each
# subject's state and last entry) is guarded like the entries where it can
# be (no DELETE; a row changes only to follow a later entry of its subject),
# and ledger verify compares every row with the state replayed from the
# entries, naming the first difference.  A ledger with two live assets of
# one serial (written before the rule, or behind its back) fails verify.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

ev() { "$SZ" ledger append --state-dir "$1" --subject "asset:$2" --type "$3" --data "${4:-{\}}" >/dev/null; }
enrol() { ev "$1" "$2" enrolled "{\"serial\":\"$3\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}"; }
state_of() { sqlite3 "$1/ledger.db" "select state || ' ' || last_seq from subjects where subject = 'asset:$2'"; }
verify_fails() { # verify_fails DIR PATTERN: exit 1, the message matches
	test_expect_code 1 "$SZ" ledger verify --state-dir "$1" 2>err || return 1
	cat err
	grep -q "^sanitizerd: ledger verification failed.*$2" err
}
copy() { rm -rf "$2" && cp -a "$1" "$2"; }

test_expect_success 'setup: a retired asset a1, a deployed asset a2' '
	"$SZ" init --state-dir st >/dev/null &&
	enrol st a1 SN-1 && ev st a1 retired && enrol st a2 SN-2 && ev st a2 deployed "{\"host\":\"h\"}" &&
	[ "$(state_of st a1)" = "retired 3" ] &&
	"$SZ" ledger verify --state-dir st >out && grep -q "subjects and indexes match the entries" out
'

test_expect_success 'subjects refuses UPDATE of a state, DELETE and a made-up row' '
	before=$(sqlite3 st/ledger.db "select * from subjects order by subject") &&
	! sqlite3 st/ledger.db "UPDATE subjects SET state = '"'"'sanitizing'"'"' WHERE subject = '"'"'asset:a1'"'"'" 2>err &&
	grep -q "only an append changes a state" err &&
	! sqlite3 st/ledger.db "UPDATE subjects SET last_seq = 1 WHERE subject = '"'"'asset:a1'"'"'" 2>err &&
	grep -q "only an append changes a state" err &&
	! sqlite3 st/ledger.db "DELETE FROM subjects WHERE subject = '"'"'asset:a1'"'"'" 2>err &&
	grep -q "rows are never deleted" err &&
	! sqlite3 st/ledger.db "INSERT INTO subjects VALUES('"'"'asset:ghost'"'"', '"'"'retired'"'"', 3)" 2>err &&
	grep -q "no such entry of this subject" err &&
	[ "$(sqlite3 st/ledger.db "select * from subjects order by subject")" = "$before" ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_expect_success 'a state set behind the ledger'"'"'s back (guard dropped) fails verify, naming both states' '
	copy st t1 &&
	sqlite3 t1/ledger.db "DROP TRIGGER subjects_update_follows;
		UPDATE subjects SET state = '"'"'sanitizing'"'"' WHERE subject = '"'"'asset:a1'"'"'" &&
	verify_fails t1 "asset:a1 is .sanitizing. after entry 3, but its entries make it .retired. after entry 3"
'

test_expect_success 'a moved last_seq, a deleted row and a made-up row each fail verify' '
	copy st t2 &&
	sqlite3 t2/ledger.db "DROP TRIGGER subjects_update_follows; UPDATE subjects SET last_seq = 2 WHERE subject = '"'"'asset:a1'"'"'" &&
	verify_fails t2 "asset:a1 is .retired. after entry 2, but its entries make it .retired. after entry 3" &&
	copy st t3 &&
	sqlite3 t3/ledger.db "DROP TRIGGER subjects_no_delete; DELETE FROM subjects WHERE subject = '"'"'asset:a2'"'"'" &&
	verify_fails t3 "has no row for asset:a2, whose last entry is 5" &&
	copy st t4 &&
	sqlite3 t4/ledger.db "DROP TRIGGER subjects_insert_follows; INSERT INTO subjects VALUES('"'"'asset:ghost'"'"', '"'"'sanitizing'"'"', 3)" &&
	verify_fails t4 "has a row for asset:ghost, which no entry names"
'

test_expect_success 'appends still update subjects through the guards' '
	ev st a1 note && [ "$(state_of st a1)" = "retired 6" ] &&
	ev st a2 removed && [ "$(state_of st a2)" = "removed 7" ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_expect_success 'a writable open puts a dropped guard back' '
	copy st t7 && sqlite3 t7/ledger.db "DROP TRIGGER subjects_no_delete" &&
	ev t7 a1 note && sqlite3 t7/ledger.db "select name from sqlite_master where type = '"'"'trigger'"'"'" | grep -qx subjects_no_delete
'

test_expect_success 'two live assets with one serial (the rule bypassed) fail verify, naming both' '
	copy st t5 &&
	sqlite3 t5/ledger.db "DROP TRIGGER subjects_update_follows;
		UPDATE subjects SET state = '"'"'destroyed'"'"' WHERE subject = '"'"'asset:a1'"'"'" &&
	enrol t5 b1 SN-1 &&
	sqlite3 t5/ledger.db "DROP TRIGGER subjects_update_follows; UPDATE subjects SET state = '"'"'retired'"'"' WHERE subject = '"'"'asset:a1'"'"'" &&
	verify_fails t5 "entry 8 enrols serial .SN-1., which asset:a1 (entry 2) still holds: two live assets with one serial"
'

test_done
