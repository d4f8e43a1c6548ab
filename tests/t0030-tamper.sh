#!/usr/bin/env bash
# Tampering behind the ledger's back with the sqlite3 shell: every edit,
# deletion, swap, insertion, cut tail and re-signed rewrite is caught.
. "$(dirname "$0")/lib.sh"

build() { # build DIR: a ledger of 20 entries, every commit checkpointed
	"$SZ" init --state-dir "$1" --origin test.example/sz >/dev/null || return 1
	for i in 1 2 3 4 5 6; do
		"$SZ" ledger append --state-dir "$1" --subject "asset:a$i" --type enrolled \
			--data "{\"serial\":\"SN-$i\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":$i,\"tenant\":\"acme\"}" >/dev/null &&
		"$SZ" ledger append --state-dir "$1" --subject "asset:a$i" --type deployed --data "{\"host\":\"web$i\"}" >/dev/null || return 1
	done
	for i in 1 2 3; do
		"$SZ" ledger append --state-dir "$1" --subject "asset:a$i" --type removed --data "{}" >/dev/null &&
		"$SZ" ledger append --state-dir "$1" --subject "asset:a$i" --type retired --data "{}" >/dev/null || return 1
	done
}
copy() { rm -rf "$2" && mkdir "$2" && sqlite3 "$1/ledger.db" ".backup $2/ledger.db"; }
verify_fails_at() { # verify_fails_at SEQ DB [args]
	local seq=$1 db=$2; shift 2
	test_expect_code 1 "$SZ" ledger verify --ledger "$db" "$@" 2>err || return 1
	cat err
	grep -q "^sanitizerd: ledger verification failed at seq $seq: " err
}

test_expect_success 'setup: a ledger of 20 entries, a checkpoint kept by an auditor' '
	build st &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries")" = 20 ] &&
	"$SZ" ledger checkpoint --state-dir st >kept.cp &&
	"$SZ" keys --state-dir st | python3 -c "import json,sys; print(json.load(sys.stdin)[\"note_verifier\"])" >vkey &&
	grep -q "^20$" kept.cp
'

test_expect_success 'an untouched ledger verifies in every mode' '
	"$SZ" ledger verify --state-dir st >out && grep -q "ledger verified: 20 entries, 20 checkpoints" out &&
	"$SZ" ledger verify --state-dir st --verifier "$(cat vkey)" &&
	"$SZ" ledger verify --state-dir st --checkpoint kept.cp &&
	"$SZ" ledger verify --state-dir st --checkpoint kept.cp --verifier "$(cat vkey)" >out &&
	grep -q "consistent with the given checkpoint" out
'

test_expect_success 'the database itself refuses UPDATE and DELETE' '
	copy st t0 &&
	! sqlite3 t0/ledger.db "UPDATE entries SET entry = 1 WHERE seq = 3" 2>err && grep -q "append-only" err &&
	! sqlite3 t0/ledger.db "DELETE FROM entries WHERE seq = 19" 2>/dev/null &&
	! sqlite3 t0/ledger.db "DELETE FROM tree" 2>/dev/null &&
	! sqlite3 t0/ledger.db "DELETE FROM checkpoints" 2>/dev/null &&
	! sqlite3 t0/ledger.db "UPDATE meta SET v = 1" 2>/dev/null &&
	"$SZ" ledger verify --ledger t0/ledger.db
'

test_expect_success 'one entry'"'"'s data changed: exit 1 naming it' '
	copy st t1 &&
	sqlite3 t1/ledger.db "DROP TRIGGER entries_no_update;
		UPDATE entries SET entry = replace(entry, \"SN-2\", \"SN-9\") WHERE seq = 4" &&
	verify_fails_at 4 t1/ledger.db
'

test_expect_success 'one entry deleted: exit 1 naming it' '
	copy st t2 &&
	sqlite3 t2/ledger.db "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 7" &&
	verify_fails_at 7 t2/ledger.db && grep -q "missing" err
'

test_expect_success 'two entries swapped: exit 1 naming the first' '
	copy st t3 &&
	sqlite3 t3/ledger.db "DROP TRIGGER entries_no_update;
		UPDATE entries SET seq = 100 WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = 6;
		UPDATE entries SET seq = 6 WHERE seq = 100" &&
	verify_fails_at 5 t3/ledger.db
'

test_expect_success 'one entry inserted in the middle: exit 1 naming it' '
	copy st t4 &&
	sqlite3 t4/ledger.db "DROP TRIGGER entries_no_update;
		UPDATE entries SET seq = seq + 1000 WHERE seq >= 9; UPDATE entries SET seq = seq - 999 WHERE seq >= 1000;
		INSERT INTO entries(seq, subject, type, entry) VALUES(9, \"asset:a1\", \"note\",
		 '"'"'{\"actor\":\"local:cli\",\"data\":{},\"seq\":9,\"subject\":\"asset:a1\",\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"note\",\"v\":1}'"'"')" &&
	verify_fails_at 9 t4/ledger.db
'

test_expect_success 'an entry changed with its leaf recomputed: caught by the tree' '
	copy st t5 &&
	sqlite3 t5/ledger.db "DROP TRIGGER entries_no_update; DROP TRIGGER tree_no_update;
		UPDATE entries SET entry = replace(entry, \"web3\", \"web7\") WHERE seq = 7" &&
	leaf=$(sqlite3 t5/ledger.db "select entry from entries where seq = 7" | tr -d "\\n" >e7 &&
		python3 "$TOP/tests/rfc9162.py" leaf e7) &&
	sqlite3 t5/ledger.db "UPDATE tree SET hash = x'"'"'$leaf'"'"' WHERE level = 0 AND idx = 7" &&
	test_expect_code 1 "$SZ" ledger verify --ledger t5/ledger.db 2>err &&
	grep -q "entries 6..7 do not match the stored tree" err
'

test_expect_success 'a fabricated entry appended at the end: reported unattested, refused when required' '
	copy st t6 &&
	printf "%s" "{\"actor\":\"x\",\"data\":{},\"seq\":20,\"subject\":\"asset:a1\",\"time\":\"2099-01-01T00:00:00.000Z\",\"type\":\"note\",\"v\":1}" >e20 &&
	sqlite3 t6/ledger.db "INSERT INTO entries(seq, subject, type, entry) VALUES(20, \"asset:a1\", \"note\", readfile(\"e20\"));
		INSERT INTO tree(level, idx, hash) VALUES(0, 20, x'"'"'$(python3 "$TOP/tests/rfc9162.py" leaf e20)'"'"')" &&
	verify_fails_at 20 t6/ledger.db && grep -q "subjects table says asset:a1 is .retired. after entry 15" err &&
	sqlite3 t6/ledger.db "UPDATE subjects SET last_seq = 20 WHERE subject = \"asset:a1\"" &&
	"$SZ" ledger verify --ledger t6/ledger.db >out && grep -q "after the latest checkpoint are not attested" out &&
	verify_fails_at 20 t6/ledger.db --require-attested && grep -q "not covered by any signed checkpoint" err
'

test_expect_success 'the tail cut with its checkpoints: caught by a kept checkpoint' '
	copy st t7 &&
	sqlite3 t7/ledger.db "DROP TRIGGER entries_no_delete; DROP TRIGGER tree_no_delete; DROP TRIGGER checkpoints_no_delete;
		DELETE FROM entries WHERE seq >= 12; DELETE FROM tree WHERE ((idx + 1) << level) > 12;
		DELETE FROM checkpoints WHERE size > 12; DROP TRIGGER subjects_no_delete; DELETE FROM subjects;
		INSERT INTO subjects SELECT subject, CASE WHEN subject LIKE \"asset:%\" THEN \"deployed\" ELSE \"active\" END,
			max(seq) FROM entries GROUP BY subject" &&
	"$SZ" ledger verify --ledger t7/ledger.db >out && grep -q "12 entries" out &&
	verify_fails_at 12 t7/ledger.db --checkpoint kept.cp --verifier "$(cat vkey)" &&
	grep -q "tail was cut" err
'

test_expect_success 'history rewritten and re-signed with a new key: caught under the old key' '
	"$SZ" init --state-dir forged --origin test.example/sz >/dev/null &&
	for i in 1 2 3 4 5 6 7 8 9; do
		"$SZ" ledger append --state-dir forged --subject "asset:a$i" --type enrolled \
			--data "{\"serial\":\"SN-$i\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":$i,\"tenant\":\"acme\"}" >/dev/null || exit 1
	done &&
	"$SZ" ledger verify --ledger forged/ledger.db >/dev/null &&
	test_expect_code 1 "$SZ" ledger verify --ledger forged/ledger.db --checkpoint kept.cp --verifier "$(cat vkey)" 2>err &&
	grep -q "not signed by the verifier key\|no valid signature by the verifier key" err &&
	test_expect_code 1 "$SZ" ledger verify --ledger forged/ledger.db --verifier "$(cat vkey)" 2>err &&
	grep -q "no valid signature by the verifier key" err &&
	test_expect_code 1 "$SZ" ledger verify --ledger forged/ledger.db --checkpoint kept.cp 2>err
'

test_expect_success 'a kept checkpoint with a changed size or root is refused' '
	sed "2s/.*/19/" kept.cp >size.cp &&
	test_expect_code 1 "$SZ" ledger verify --state-dir st --checkpoint size.cp 2>err && grep -q "not signed" err &&
	test_expect_code 1 "$SZ" ledger verify --state-dir st --verifier "garbage" 2>err && grep -q "verifier key is malformed" err &&
	test_expect_code 1 "$SZ" ledger verify --state-dir st --checkpoint /nonexistent 2>err && grep -q "cannot read" err
'

test_done
