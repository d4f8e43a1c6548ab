#!/usr/bin/env bash
# sanitizerd wipe with a state directory: an enrolled drive's wipe is
# recorded in the ledger as the daemon's jobs record it.
. "$(dirname "$0")/lib.sh"
require_loop

enrol() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type enrolled \
	--data "{\"serial\":\"$2\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$(stat -c %s "${2#loop:}"),\"tenant\":\"acme\"}" >/dev/null; }
state() { sqlite3 st/ledger.db "select state from subjects where subject = 'asset:$1'"; }

test_expect_success_here 'setup: a ledger and two loop devices' '
	"$SZ" init --state-dir st >/dev/null &&
	truncate -s 16M a.img b.img && printf "SENTINEL" | dd of=a.img conv=notrunc 2>/dev/null &&
	A=$(loop_attach a.img) && B=$(loop_attach b.img) && loop_register "$A" && loop_register "$B" &&
	enrol d1 "loop:$TRASH/a.img" && enrol d2 "loop:$TRASH/b.img" &&
	"$SZ" ledger append --state-dir st --subject asset:d2 --type deployed --data "{\"host\":\"h\"}" >/dev/null &&
	"$SZ" ledger append --state-dir st --subject asset:d1 --type retired --data "{}" >/dev/null
'

test_expect_success 'a retired asset'"'"'s wipe is recorded: started, completed, sanitized' '
	"$SZ" wipe "$A" --method clear-zero --verify full --yes --state-dir st >report.json 2>err &&
	grep -q "recorded in the ledger: asset d1 is now sanitized" err &&
	[ "$(state d1)" = sanitized ] &&
	"$SZ" ledger show --state-dir st | tail -n 2 >last &&
	grep -q sanitize_started last && grep -q sanitize_completed last &&
	tail -n 1 last | python3 -c "
import json,sys
e = json.load(sys.stdin)[\"entry\"]
d = e[\"data\"]
assert e[\"actor\"] == \"local:wipe\" and d[\"method\"] == \"clear-zero\" and d[\"category\"] == \"clear\", e
assert d[\"verification\"][\"result\"] == \"passed\" and d[\"verification\"][\"method\"] == \"full\", d
assert d[\"device\"][\"identity\"] == \"loop:$TRASH/a.img\", d
" &&
	cmp -n 16777216 "$A" /dev/zero &&
	"$SZ" ledger verify --state-dir st --require-attested
'

test_expect_success 'a deployed asset is refused, nothing written or wiped' '
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	printf "SENTINEL" | dd of="$B" conv=notrunc 2>/dev/null &&
	test_expect_code 1 "$SZ" wipe "$B" --method clear-zero --yes --state-dir st >/dev/null 2>err &&
	grep -q "it is asset d2, which is deployed; retire it first" err &&
	[ "$n" = "$(sqlite3 st/ledger.db "select count(*) from entries")" ] &&
	head -c 8 "$B" | grep -q SENTINEL
'

test_expect_success_here 'a device that is no asset is wiped and nothing is recorded' '
	truncate -s 8M c.img && C=$(loop_attach c.img) && loop_register "$C" &&
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	"$SZ" wipe "$C" --method clear-zero --yes --state-dir st >/dev/null 2>err &&
	! grep -q "recorded in the ledger" err &&
	[ "$n" = "$(sqlite3 st/ledger.db "select count(*) from entries")" ]
'

test_expect_success 'a state directory with lax secrets is refused before wiping' '
	chmod 644 st/signing.key &&
	test_expect_code 1 "$SZ" wipe "$C" --method clear-zero --yes --state-dir st >/dev/null 2>err;
	rc=$?; chmod 600 st/signing.key; [ $rc = 0 ] &&
	grep -q "readable by group or others" err
'

test_done
