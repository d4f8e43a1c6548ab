#!/usr/bin/env bash
# Recovery at start trusts only the state replayed from the entries (issue
# 11): a subjects row set behind the ledger's back, to sanitizing over a
# retired asset or to retired over a wipe really left running, makes the
# daemon refuse to start, naming it, and nothing is appended; once the rows
# agree, the interrupted wipe gets its sanitize_failed.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }
types() { sqlite3 st/ledger.db "select type from entries where subject = 'asset:$1' order by seq" | tr '\n' ' '; }

test_expect_success 'setup: asset r retired; asset s left sanitizing (a start without an end)' '
	"$SZ" init --state-dir st >/dev/null &&
	ev r enrolled "{\"serial\":\"SN-R\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" && ev r retired &&
	ev s enrolled "{\"serial\":\"SN-S\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" && ev s retired &&
	ev s sanitize_started "{\"job_id\":\"job_lost\",\"method\":\"clear-zero\"}" &&
	sqlite3 st/ledger.db "DROP TRIGGER subjects_update_follows;
		UPDATE subjects SET state = '"'"'sanitizing'"'"' WHERE subject = '"'"'asset:r'"'"';
		UPDATE subjects SET state = '"'"'retired'"'"' WHERE subject = '"'"'asset:s'"'"'"
'

test_expect_success 'the daemon refuses to start on the disagreement, names it, and appends nothing' '
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	test_expect_code 1 "$SZ" serve --state-dir st --listen 127.0.0.1:1 2>err &&
	grep -q "for asset:s the subjects table says .retired. but its entries say .sanitizing." err &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries")" = "$n" ] &&
	[ "$(types r)" = "enrolled retired " ]
'

test_expect_success 'a subjects row that says sanitizing over a retired asset: refused too, nothing appended' '
	sqlite3 st/ledger.db "DROP TRIGGER IF EXISTS subjects_update_follows;
		UPDATE subjects SET state = '"'"'sanitizing'"'"' WHERE subject = '"'"'asset:s'"'"'" &&
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	test_expect_code 1 "$SZ" serve --state-dir st --listen 127.0.0.1:1 2>err &&
	grep -q "for asset:r the subjects table says .sanitizing. but its entries say .retired." err &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries")" = "$n" ]
'

test_expect_success_here 'the rows put right, the daemon records interrupted for s alone' '
	sqlite3 st/ledger.db "DROP TRIGGER IF EXISTS subjects_update_follows;
		UPDATE subjects SET state = '"'"'retired'"'"' WHERE subject = '"'"'asset:r'"'"'" &&
	sz_serve st &&
	[ "$(types r)" = "enrolled retired " ] &&
	[ "$(types s)" = "enrolled retired sanitize_started sanitize_failed " ] &&
	sqlite3 st/ledger.db "select entry from entries where subject = '"'"'asset:s'"'"' order by seq desc limit 1" |
		jq -e ".data.reason == \"interrupted\" and .data.job_id == \"job_lost\"" >/dev/null
'

test_done
