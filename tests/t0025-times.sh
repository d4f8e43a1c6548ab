#!/usr/bin/env bash
# Entry times from the command line (issue 10 item 12): ledger append --time
# takes RFC 3339 UTC with milliseconds and nothing impossible; an import may
# not go back before the previous entry; each refusal exits 1 with a message
# saying what is wrong and leaves the ledger as it was (same ledger show).
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip_all "needs jq (scripts/deps.sh installs it)"

at() { "$SZ" ledger append --state-dir st --subject asset:t1 --type note --time "$1" --data "{}"; }
# refused TIME MESSAGE: exit 1, the message, and ledger show unchanged
refused() {
	"$SZ" ledger show --state-dir st >before.txt &&
	test_expect_code 1 at "$1" >out 2>err &&
	{ grep -qxF "sanitizerd: cannot append: $2" err || { cat err; return 1; }; } &&
	[ ! -s out ] &&
	"$SZ" ledger show --state-dir st >after.txt && cmp before.txt after.txt
}

test_expect_success_here 'setup: a ledger and an asset enrolled at the time of the last entry' '
	"$SZ" init --state-dir st >/dev/null &&
	T0=$("$SZ" ledger show --state-dir st 1 | jq -r .entry | jq -r .time) &&
	echo "$T0" | grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$" &&
	"$SZ" ledger append --state-dir st --subject asset:t1 --type enrolled --time "$T0" \
		--data "{\"serial\":\"SN-T1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1000,\"tenant\":\"acme\"}" >e.json &&
	grep -qF "\"time\":\"$T0\"" e.json
'

test_expect_success 'the example of the issue: 2023-02-31T25:61:61.000Z' '
	refused 2023-02-31T25:61:61.000Z "invalid time '"'"'2023-02-31T25:61:61.000Z'"'"': day 31 is not in 2023-02, which has 28 days"
'

test_expect_success 'every field out of range, one at a time' '
	refused 2026-13-01T10:00:00.000Z "invalid time '"'"'2026-13-01T10:00:00.000Z'"'"': month 13 is not 01-12" &&
	refused 2026-04-31T10:00:00.000Z "invalid time '"'"'2026-04-31T10:00:00.000Z'"'"': day 31 is not in 2026-04, which has 30 days" &&
	refused 2026-04-01T24:00:00.000Z "invalid time '"'"'2026-04-01T24:00:00.000Z'"'"': hour 24 is not 00-23" &&
	refused 2026-04-01T10:60:00.000Z "invalid time '"'"'2026-04-01T10:60:00.000Z'"'"': minute 60 is not 00-59" &&
	refused 2026-04-01T10:00:61.000Z "invalid time '"'"'2026-04-01T10:00:61.000Z'"'"': second 61 is not 00-59" &&
	refused 2026-06-30T23:59:60.000Z "invalid time '"'"'2026-06-30T23:59:60.000Z'"'"': second 60 (a leap second) is not accepted; write 59.999"
'

test_expect_success 'February 29 on a non-leap year; shapes we do not carry' '
	refused 2027-02-29T10:00:00.000Z "invalid time '"'"'2027-02-29T10:00:00.000Z'"'"': day 29 is not in 2027-02, which has 28 days" &&
	shape="want YYYY-MM-DDThh:mm:ss.mmmZ (RFC 3339 in UTC, '"'"'Z'"'"', milliseconds exactly 3 digits)" &&
	for t in 2026-04-01T10:00:00Z 2026-04-01T10:00:00.00Z 2026-04-01T10:00:00.0000Z 2026-04-01T10:00:00.000 \
		 2026-04-01T10:00:00.000Zjunk 2026-04-01T10:00:00.000+00:00 2026-04-01t10:00:00.000z 2026-04-01; do
		refused "$t" "invalid time '"'"'$t'"'"': $shape" || exit 1
	done
'

test_expect_success 'back-dating before the previous entry is refused, naming both times' '
	refused 2026-03-01T09:59:59.999Z "time 2026-03-01T09:59:59.999Z is before $T0, the time of entry 2: entries are in time order"
'

test_expect_success 'a time far in the future is refused; Feb 29 of a leap year parses (it is only too late)' '
	"$SZ" ledger show --state-dir st >before.txt &&
	test_expect_code 1 at 2999-01-01T00:00:00.000Z 2>err &&
	grep -q "^sanitizerd: cannot append: time 2999-01-01T00:00:00.000Z is in the future: the clock says " err &&
	test_expect_code 1 at 2400-02-29T00:00:00.000Z 2>err &&
	grep -q "^sanitizerd: cannot append: time 2400-02-29T00:00:00.000Z is in the future" err &&
	"$SZ" ledger show --state-dir st >after.txt && cmp before.txt after.txt
'

test_expect_success 'the same time again, then the clock: in order, and ledger verify says so' '
	at "$T0" >/dev/null &&
	"$SZ" ledger append --state-dir st --subject asset:t1 --type note --data "{}" >now.json &&
	t=$(jq -r .time now.json) &&
	[ "$(printf "%s\\n%s\\n" "$t" "$T0" | sort | head -1)" = "$T0" ] &&
	"$SZ" ledger verify --state-dir st >out && grep -q "^ledger verified: 5 entries, .*, times in order" out
'

test_done
