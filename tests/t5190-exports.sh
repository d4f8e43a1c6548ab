#!/usr/bin/env bash
# Issue 15, exports for auditors: GET /v1/certificates (filters, paging, CSV
# and JSON Lines), GET /v1/ledger/entries, the same from the CLI, ledger
# backup while a writer appends, a technician's own certificate files, and
# JSON bodies that end with a newline.
. "$(dirname "$0")/lib.sh"
for t in curl jq sqlite3; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
require_loop

tok() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }
wait_job() {
	for i in $(seq 600); do
		api GET /v1/jobs/$1 "$TECH" >/dev/null; s=$(jget state <body)
		case $s in completed|failed|cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
# certify NAME TENANT MODEL TOKEN: enrol a loop drive, retire, wipe and certify it; sets A and C
certify() {
	python3 -c "open(\"$1.img\",\"wb\").write(b\"x\" * (8 << 20))" &&
	D=$(loop_attach "$TRASH/$1.img") &&
	api POST /v1/assets "$4" "{\"serial\":\"loop:$TRASH/$1.img\",\"model\":$3,\"media_type\":\"hdd\",\"capacity_bytes\":8388608,\"tenant\":\"$2\"}" >/dev/null &&
	A=$(jget id <body) &&
	[ "$(api POST /v1/assets/$A/events "$4" "{\"type\":\"retired\"}")" = 201 ] &&
	[ "$(api POST /v1/jobs "$4" "{\"asset_id\":\"$A\",\"device\":\"$D\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	wait_job "$(jget id <body)" && [ "$(jget state <body)" = completed ] &&
	[ "$(api POST /v1/assets/$A/certificate "$4" "{}")" = 201 ] && C=$(jget id <body)
}

test_expect_success_here 'setup: two certified drives, one per tenant, issued by two technicians' '
	sz_serve st &&
	TECH=$(tok "{\"role\":\"technician\",\"name\":\"bench 1\"}") &&
	TECH2=$(tok "{\"role\":\"technician\",\"name\":\"bench 2\"}") &&
	AUD=$(tok "{\"role\":\"auditor\"}") &&
	CUS=$(tok "{\"role\":\"customer\",\"tenant\":\"acme\"}") &&
	OTHER=$(tok "{\"role\":\"customer\",\"tenant\":\"globex\"}") &&
	certify one acme "\"=HYPERLINK(\\\"http://x\\\",\\\"a, b\\\")\"" "$TECH" && A1=$A C1=$C &&
	TECH_SAVE=$TECH && TECH=$TECH2 && certify two globex "\"WD40EFRX\"" "$TECH2" && A2=$A C2=$C && TECH=$TECH_SAVE
'

test_expect_success 'JSON bodies end with a newline; signed bodies that are not JSON do not change' '
	curl -s "$URL/healthz" >h && [ "$(tail -c1 h | od -An -c | tr -d " ")" = "\\n" ] && jq -e .status h >/dev/null &&
	curl -s "$URL/v1/keys" >k && [ "$(tail -c1 k | od -An -c | tr -d " ")" = "\\n" ] &&
	curl -s "$URL/.well-known/jwks.json" >k && [ "$(tail -c1 k | od -An -c | tr -d " ")" = "\\n" ] &&
	[ "$(api GET /v1/nope)" = 404 ] && [ "$(tail -c1 body | od -An -c | tr -d " ")" = "\\n" ] &&
	[ "$(api GET /v1/certificates/$C1 "$AUD")" = 200 ] && [ "$(tail -c1 body | od -An -c | tr -d " ")" = "\\n" ] &&
	[ "$(api GET /v1/certificates/$C1.jws "$AUD")" = 200 ] && [ "$(tail -c1 body | od -An -c | tr -d " ")" != "\\n" ] &&
	[ "$(api GET /v1/ledger/checkpoint)" = 200 ] && [ "$(tail -c2 body | od -An -c | tr -d " ")" != "\\n\\n" ]
'

test_expect_success 'GET /v1/certificates: the auditor sees both, in issue order, with their fields' '
	[ "$(api GET /v1/certificates "$AUD")" = 200 ] &&
	jq -e "(.certificates | length) == 2 and .next == null" body >/dev/null &&
	jq -e ".certificates[0] | .id == \"$C1\" and .asset_id == \"$A1\" and .tenant == \"acme\" and .method == \"clear-zero\" and .category == \"clear\" and .result == \"passed\" and .with_exceptions == false and .asset_state == \"certified\" and (.sha256 | length) == 64 and (.issued_seq | type) == \"number\"" body >/dev/null &&
	jq -e ".certificates[1].id == \"$C2\"" body >/dev/null
'

test_expect_success 'filters: asset_id, serial, tenant, method, result, from/to dates' '
	[ "$(api "GET" "/v1/certificates?asset_id=$A2" "$AUD")" = 200 ] && jq -e "[.certificates[].id] == [\"$C2\"]" body >/dev/null &&
	[ "$(api GET "/v1/certificates?serial=loop:$TRASH/one.img" "$AUD")" = 200 ] && jq -e "[.certificates[].id] == [\"$C1\"]" body >/dev/null &&
	[ "$(api GET "/v1/certificates?tenant=globex" "$AUD")" = 200 ] && jq -e "[.certificates[].id] == [\"$C2\"]" body >/dev/null &&
	[ "$(api GET "/v1/certificates?method=clear-random" "$AUD")" = 200 ] && jq -e ".certificates == []" body >/dev/null &&
	[ "$(api GET "/v1/certificates?result=passed&method=clear-zero" "$AUD")" = 200 ] && jq -e "(.certificates | length) == 2" body >/dev/null &&
	[ "$(api GET "/v1/certificates?result=failed" "$AUD")" = 200 ] && jq -e ".certificates == []" body >/dev/null &&
	today=$(date -u +%F) &&
	[ "$(api GET "/v1/certificates?from=$today&to=$today" "$AUD")" = 200 ] && jq -e "(.certificates | length) == 2" body >/dev/null &&
	[ "$(api GET "/v1/certificates?to=2000-01-01" "$AUD")" = 200 ] && jq -e ".certificates == []" body >/dev/null &&
	[ "$(api GET "/v1/certificates?from=2999-01-01T00:00:00Z" "$AUD")" = 200 ] && jq -e ".certificates == []" body >/dev/null &&
	[ "$(api GET "/v1/certificates?from=yesterday" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/certificates?from=2026-02-30" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/certificates?format=xml" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/certificates?limit=0" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/certificates?limit=1001" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/certificates?after=x" "$AUD")" = 400 ]
'

test_expect_success 'paging: limit=1 gives next; after=next gives the second and next null' '
	[ "$(api GET "/v1/certificates?limit=1" "$AUD")" = 200 ] && jq -e "[.certificates[].id] == [\"$C1\"]" body >/dev/null &&
	n=$(jget next <body) && [ "$(api GET "/v1/certificates?limit=1&after=$n" "$AUD")" = 200 ] &&
	jq -e "[.certificates[].id] == [\"$C2\"] and .next == null" body >/dev/null
'

test_expect_success 'roles: a customer sees its tenant only; technicians and no token may not list' '
	[ "$(api GET /v1/certificates "$CUS")" = 200 ] && jq -e "[.certificates[].id] == [\"$C1\"]" body >/dev/null &&
	[ "$(api GET "/v1/certificates?tenant=globex" "$CUS")" = 200 ] && jq -e ".certificates == []" body >/dev/null &&
	[ "$(api GET /v1/certificates "$OTHER")" = 200 ] && jq -e "[.certificates[].id] == [\"$C2\"]" body >/dev/null &&
	[ "$(api GET /v1/certificates "$TECH")" = 403 ] &&
	[ "$(api GET /v1/certificates)" = 401 ]
'

test_expect_success 'CSV export: RFC 4180 quoting, CRLF, header line, formula cells neutralised; Accept works too' '
	[ "$(api GET "/v1/certificates?format=csv" "$AUD")" = 200 ] && cp body c.csv &&
	[ "$(curl -s -o /dev/null -w "%{content_type}" -H "Authorization: Bearer $AUD" "$URL/v1/certificates?format=csv")" = "text/csv; charset=utf-8; header=present" ] &&
	head -1 c.csv | grep -q "^id,asset_id,serial,model,media_type,tenant,method,category,result,with_exceptions,issued_at,issued_seq,completed_seq,sha256,asset_state.$" &&
	[ "$(grep -c $(printf "\\r\$") c.csv)" = 3 ] &&
	grep -qF "\"'\''=HYPERLINK(\"\"http://x\"\",\"\"a, b\"\")\"" c.csv &&
	! grep -q ",=HYPERLINK" c.csv &&
	python3 -c "import csv,sys; r=list(csv.DictReader(open(\"c.csv\",newline=\"\"))); assert len(r)==2, r; assert r[0][\"model\"]==\"'\''=HYPERLINK(\\\"http://x\\\",\\\"a, b\\\")\", r[0]; assert r[1][\"id\"]==\"$C2\"" &&
	curl -s -H "Authorization: Bearer $AUD" -H "Accept: text/csv" "$URL/v1/certificates" | cmp - c.csv
'

test_expect_success 'JSON Lines export: one object a line, the rows of the JSON list' '
	[ "$(api GET "/v1/certificates?format=jsonl" "$AUD")" = 200 ] && cp body c.jsonl &&
	[ "$(wc -l <c.jsonl)" = 2 ] && jq -s -e "[.[].id] == [\"$C1\", \"$C2\"]" c.jsonl >/dev/null &&
	[ "$(api GET /v1/certificates "$AUD")" = 200 ] && jq -c ".certificates[]" body | cmp - <(jq -c . c.jsonl) &&
	curl -s -H "Authorization: Bearer $AUD" -H "Accept: application/jsonl" "$URL/v1/certificates" | cmp - c.jsonl
'

test_expect_success 'the technician who issued a certificate may download its PDF and JWS; a second technician may not' '
	[ "$(api GET /v1/certificates/$C1.pdf "$TECH")" = 200 ] && head -c5 body | grep -q "%PDF-" &&
	[ "$(api GET /v1/certificates/$C1.jws "$TECH")" = 200 ] &&
	[ "$(api GET /v1/certificates/$C1.jws "$TECH2")" = 403 ] && grep -q "only the technician whose token issued" body &&
	[ "$(api GET /v1/certificates/$C1.pdf "$TECH2")" = 403 ] &&
	[ "$(api GET /v1/certificates/$C2.jws "$TECH2")" = 200 ] &&
	[ "$(api GET /v1/certificates/$C2.pdf "$TECH")" = 403 ] &&
	[ "$(api GET /v1/certificates/$C1 "$TECH")" = 403 ] &&
	[ "$(api GET /v1/certificates/$C2.jws "$CUS")" = 404 ]
'

test_expect_success 'GET /v1/ledger/entries: ranges, paging, entries as objects with their canonical text' '
	[ "$(api GET "/v1/ledger/entries?from=0&to=2" "$AUD")" = 200 ] &&
	jq -e "(.entries | length) == 3 and .next == null and .entries[0].seq == 0 and .entries[0].entry.type == \"key_created\"" body >/dev/null &&
	jq -r ".entries[1].canonical" body | tr -d "\\n" >c1 &&
	h=$( (printf "\\0"; cat c1) | sha256sum | cut -d" " -f1) && [ "$(jq -r .entries[1].leaf_hash body)" = "$h" ] &&
	jq -e ".entries[1] | .entry == (.canonical | fromjson)" body >/dev/null &&
	[ "$(api GET "/v1/ledger/entries?limit=2" "$AUD")" = 200 ] && [ "$(jget next <body)" = 1 ] &&
	[ "$(api GET "/v1/ledger/entries?limit=2&after=1" "$AUD")" = 200 ] && jq -e ".entries[0].seq == 2" body >/dev/null &&
	[ "$(api GET "/v1/ledger/entries?from=100000" "$AUD")" = 200 ] && jq -e ".entries == [] and .next == null" body >/dev/null &&
	[ "$(api GET "/v1/ledger/entries?from=x" "$AUD")" = 400 ] &&
	[ "$(api GET "/v1/ledger/entries" "$TECH")" = 403 ] &&
	[ "$(api GET "/v1/ledger/entries" "$CUS")" = 404 ] &&
	[ "$(api GET "/v1/ledger/entries")" = 401 ]
'

test_expect_success 'GET /v1/ledger/entries: a page stops at about 1 MiB, and the pages join without a gap' '
	big=$(head -c 60000 /dev/zero | tr "\\0" x) &&
	for i in $(seq 12); do
		[ "$(api POST /v1/assets/$A2/events "$TECH" "{\"type\":\"note\",\"data\":{\"pad\":\"$big\"}}")" = 201 ] || exit 1
		if [ $i = 1 ]; then first=$(jget seq <body); fi
	done &&
	[ "$(api GET "/v1/ledger/entries?from=$first" "$AUD")" = 200 ] &&
	rows=$(jq ".entries | length" body) && [ "$rows" -ge 2 ] && [ "$rows" -lt 12 ] &&
	[ "$(stat -c %s body)" -le $((2 * 1024 * 1024 + 200000)) ] &&
	next=$(jget next <body) && [ "$next" = $((first + rows - 1)) ] &&
	got=$rows && while [ "$next" != None ]; do
		[ "$(api GET "/v1/ledger/entries?after=$next" "$AUD")" = 200 ] || exit 1
		[ "$(jq ".entries[0].seq" body)" = $((next + 1)) ] || exit 1
		got=$((got + $(jq ".entries | length" body))); next=$(jget next <body)
	done && [ "$got" = 12 ] &&
	[ "$(api GET "/v1/ledger/entries?from=$first&format=jsonl" "$AUD")" = 200 ] &&
	[ "$(wc -l <body)" = "$rows" ]
'

test_expect_success 'ledger entries as CSV and JSON Lines; the CLI exports the same bytes' '
	[ "$(api GET "/v1/ledger/entries?from=0&to=9&format=jsonl" "$AUD")" = 200 ] && cp body e.jsonl &&
	[ "$(wc -l <e.jsonl)" = 10 ] &&
	"$SZ" ledger export --state-dir st --format jsonl --from 0 --to 9 | cmp - e.jsonl &&
	"$SZ" ledger show --state-dir st --from 0 --to 9 | cmp - e.jsonl &&
	[ "$(api GET "/v1/ledger/entries?from=0&to=9&format=csv" "$AUD")" = 200 ] && cp body e.csv &&
	"$SZ" ledger export --state-dir st --format csv --from 0 --to 9 | cmp - e.csv &&
	head -1 e.csv | grep -q "^seq,time,subject,type,actor,data,leaf_hash,canonical.$" &&
	python3 -c "import csv,json; r=list(csv.DictReader(open(\"e.csv\",newline=\"\"))); assert len(r)==10; assert json.loads(r[0][\"canonical\"])[\"seq\"]==0; assert json.loads(r[0][\"data\"])[\"algorithm\"]==\"Ed25519\"" &&
	test_expect_code 2 "$SZ" ledger export --state-dir st &&
	test_expect_code 2 "$SZ" ledger export --state-dir st --format xml
'

test_expect_success 'cert list and cert export from the command line match the API' '
	"$SZ" cert export --state-dir st --format csv | cmp - c.csv &&
	"$SZ" cert export --state-dir st --format jsonl | cmp - c.jsonl &&
	"$SZ" cert list --state-dir st --tenant globex | jq -e -s "[.[].id] == [\"$C2\"]" >/dev/null &&
	"$SZ" cert list --state-dir st --asset-id "$A1" --from 2000-01-01 | jq -e -s "[.[].id] == [\"$C1\"]" >/dev/null &&
	[ -z "$("$SZ" cert list --state-dir st --to 2000-01-01)" ] &&
	test_expect_code 2 "$SZ" cert export --state-dir st &&
	test_expect_code 2 "$SZ" cert list --state-dir st --from never
'

test_expect_success 'ledger backup while a writer appends: every copy verifies, 0600, one file' '
	( for i in $(seq 400); do
		curl -s -o /dev/null -H "Authorization: Bearer $TECH" -H "Content-Type: application/json" \
			-d "{\"type\":\"note\",\"data\":{\"n\":$i}}" "$URL/v1/assets/$A1/events"
	  done ) & w=$! &&
	for i in 1 2 3; do
		sleep 0.3 && "$SZ" ledger backup --state-dir st copy$i.db >out$i || exit 1
		grep -q "^backed up [0-9]* entries to copy$i.db" out$i || exit 1
	done &&
	wait $w &&
	for i in 1 2 3; do
		[ "$(stat -c %a copy$i.db)" = 600 ] && ! [ -e copy$i.db-wal ] &&
		"$SZ" ledger verify --ledger copy$i.db || exit 1
	done &&
	n1=$(sqlite3 copy1.db "select count(*) from entries") && n3=$(sqlite3 copy3.db "select count(*) from entries") &&
	[ "$n3" -gt "$n1" ] && [ "$(sqlite3 copy1.db "pragma journal_mode")" = delete ] &&
	"$SZ" cert list --ledger copy3.db | jq -e -s "length == 2" >/dev/null &&
	! ls copy*.tmp-* 2>/dev/null
'

test_expect_success 'ledger backup never replaces a file unless --force, nor writes through a symlink' '
	cp copy1.db keep.db && echo precious >x.db &&
	test_expect_code 1 "$SZ" ledger backup --state-dir st x.db 2>err && grep -q "the file exists" err &&
	[ "$(cat x.db)" = precious ] &&
	ln -s x.db link.db && test_expect_code 1 "$SZ" ledger backup --state-dir st link.db && [ "$(cat x.db)" = precious ] &&
	test_expect_code 1 "$SZ" ledger backup --state-dir st --force link.db 2>err && grep -q "not a regular file" err &&
	"$SZ" ledger backup --state-dir st --force x.db && "$SZ" ledger verify --ledger x.db &&
	test_expect_code 1 "$SZ" ledger backup --state-dir st nodir/b.db &&
	test_expect_code 2 "$SZ" ledger backup --state-dir st &&
	! ls ./*.tmp-* nodir 2>/dev/null
'

test_done
