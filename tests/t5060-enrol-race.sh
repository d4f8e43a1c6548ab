#!/usr/bin/env bash
# One drive, one live asset (issue 10 item 9): 20 concurrent enrolments of one
# serial give exactly one 201 and nineteen 409s, and the ledger holds one
# enrolled entry for it; the CLI's ledger append obeys the same rule.
. "$(dirname "$0")/lib.sh"
for t in curl jq sqlite3; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
N=20
enrol_body() { printf '{"serial":"%s","model":"WD40EFRX","media_type":"hdd","capacity_bytes":4000787030016,"tenant":"acme"}' "$1"; }
enrolments() { sqlite3 "$1/ledger.db" "select count(*) from entries where type = 'enrolled' and json_extract(entry, '\$.data.serial') = '$2'"; }

test_expect_success 'CLI: a second enrolment of one serial is refused, nothing written' '
	"$SZ" init --state-dir cli >/dev/null &&
	"$SZ" ledger append --state-dir cli --subject asset:c1 --type enrolled --data "$(enrol_body SN-CLI-1)" >/dev/null &&
	"$SZ" ledger show --state-dir cli >before.txt &&
	test_expect_code 1 "$SZ" ledger append --state-dir cli --subject asset:c2 --type enrolled \
		--data "$(enrol_body SN-CLI-1)" >out 2>err &&
	grep -q "^sanitizerd: .*a drive with serial SN-CLI-1 is already enrolled as asset c1" err &&
	"$SZ" ledger show --state-dir cli >after.txt && cmp before.txt after.txt &&
	[ "$(enrolments cli SN-CLI-1)" = 1 ] &&
	"$SZ" ledger append --state-dir cli --subject asset:c3 --type enrolled --data "$(enrol_body SN-CLI-2)" >/dev/null &&
	[ "$(enrolments cli SN-CLI-2)" = 1 ]
'

test_expect_success_here 'setup: the daemon and a technician token' '
	sz_serve st --origin test.example/sz &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}")" = 201 ] && TECH=$(jget token <body)
'

test_expect_success "$N concurrent enrolments of one serial: one 201, the rest 409" '
	# one curl, twenty transfers opened at once (--parallel-immediate), each
	# bounded by -m; the ?n= query only tells the transfers apart
	curl -s -Z --parallel-immediate --parallel-max $N -m 20 -o "resp.#1" -w "%{http_code} %{url}\\n" \
		-H "Authorization: Bearer $TECH" -H "Content-Type: application/json" \
		--data-binary "$(enrol_body SN-RACE-1)" "$URL/v1/assets?n=[1-$N]" 2>/dev/null >codes &&
	for i in $(seq 1 $N); do sed -n "s/^\\([0-9]*\\) .*?n=$i\$/\\1/p" codes >"code.$i"; done &&
	cat code.* | sort | uniq -c &&
	[ "$(cat code.* | grep -c "^201$")" = 1 ] &&
	[ "$(cat code.* | grep -c "^409$")" = $((N - 1)) ] &&
	w=$(grep -lx 201 code.*) && winner=$(jq -r .id "resp.${w#code.}") &&
	[ -n "$winner" ] &&
	for i in $(seq 1 $N); do
		[ "$(cat code.$i)" = 201 ] && continue
		jq -e ".error.message == \"a drive with serial SN-RACE-1 is already enrolled as asset $winner\"" "resp.$i" >/dev/null ||
			{ cat "resp.$i"; exit 1; }
	done &&
	[ "$(enrolments st SN-RACE-1)" = 1 ]
'

test_expect_success 'after the race: a new serial enrols, the raced one still conflicts' '
	[ "$(api POST /v1/assets "$TECH" "$(enrol_body SN-RACE-2)")" = 201 ] &&
	[ "$(api POST /v1/assets "$TECH" "$(enrol_body SN-RACE-1)")" = 409 ] &&
	[ "$(enrolments st SN-RACE-1)" = 1 ] && [ "$(enrolments st SN-RACE-2)" = 1 ]
'

test_done
