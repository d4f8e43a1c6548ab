#!/usr/bin/env bash
# The printed certificate says what the signed one says (issue 10 item 11):
# every row of the PDF, read back with pdftotext, against the JWS payload;
# once with every optional enrolment, request and record field present
# (validated_by with its date, coverage, exceptions, hidden sectors), once
# with none (an older record without coverage or exceptions), and a record
# too long for one page.
. "$(dirname "$0")/lib.sh"

for t in pdftotext jq python3; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
CHECK="$TOP/tests/certpdf_check.py"

ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }
completed() { ev "$1" sanitize_completed "{\"job_id\":\"job-$1\",\"method\":\"${2:-clear-zero}\",\"category\":\"${3:-clear}\",\"technique\":\"Overwrite\",\"verification\":{\"method\":\"full\",\"result\":\"passed\",\"bytes_read\":8192},\"passes\":1,\"bytes_written\":8192,\"duration_ms\":7,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},\"device\":{\"path\":\"/dev/loop9\",\"identity\":\"loop:/srv/$1.img\",\"model\":\"M\",\"serial\":\"SN-$1\",\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T10:00:00.000Z\",\"completed_at\":\"2026-01-01T10:20:00.000Z\"${4:-}}"; }
b64url_d() { local s; s=$(tr -- '-_' '+/'); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s" | base64 -d; }
# render ID: the signed payload, cert show, the page as text
render() {
	"$SZ" cert show "$1" --state-dir st >"$1.json" &&
	jq -r .jws "$1.json" | cut -d. -f2 | tr -d "\\n" | b64url_d >"$1.payload" &&
	"$SZ" cert pdf "$1" --state-dir st --base-url https://wipe.example --out "$1.pdf" &&
	pdftotext -layout "$1.pdf" "$1.txt"
}

test_expect_success 'setup: one asset with every optional field, one with none' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null &&
	ev full enrolled "{\"serial\":\"SN-full\",\"model\":\"WD40EFRX\",\"media_type\":\"hdd\",\"capacity_bytes\":4000787030016,\"tenant\":\"acme\",\"vendor\":\"WDC\",\"wwn\":\"0x5000c500a1b2c3d4\",\"property_number\":\"PN-0042\",\"classification\":\"Confidential\",\"source\":\"Customer A rack 7\",\"data_backed_up\":true}" &&
	ev full retired && ev full sanitize_started &&
	completed full clear-zero clear ",\"coverage\":{\"scope\":\"whole_device\",\"bytes\":4000787030016,\"capacity_bytes\":4000787030016},\"hidden_sectors\":{\"hpa\":0,\"dco\":0},\"exceptions\":[{\"kind\":\"hidden_area_undetermined\",\"detail\":\"the bridge did not pass IDENTIFY through: HPA, DCO and AMA could not be read\",\"offset\":-1,\"length\":0},{\"kind\":\"io_retry\",\"detail\":\"a write failed and succeeded on the second try\",\"offset\":1048576,\"length\":65536}]" &&
	ev bare enrolled "{\"serial\":\"SN-bare\",\"model\":\"X\",\"media_type\":\"ssd\",\"capacity_bytes\":512110190592,\"tenant\":\"t2\"}" &&
	ev bare retired && ev bare sanitize_started && completed bare &&
	"$SZ" cert issue full --state-dir st --org "Acme Recycling" --request "{\"performed_by\":{\"name\":\"Ann Tech\",\"title\":\"Technician\",\"organization\":\"Acme\",\"location\":\"DC1 cage 4\",\"phone\":\"+1 555 0101\"},\"validated_by\":{\"name\":\"Bob Lead\",\"title\":\"Security Officer\",\"organization\":\"Acme QA\",\"location\":\"DC1 office\",\"phone\":\"+1 555 0102\",\"date\":\"2026-01-02\"},\"destination\":\"Recycling Facility 9\",\"notes\":\"rack 7 decommission\",\"post_sanitization_classification\":\"Unclassified\"}" >full.issued &&
	"$SZ" cert issue bare --state-dir st >bare.issued
'

test_expect_success_here 'render both' '
	FULL=$(jq -r .id full.issued) && BARE=$(jq -r .id bare.issued) &&
	render "$FULL" && render "$BARE"
'

test_expect_success 'every optional field present: each row matches the signed payload' '
	python3 "$CHECK" "$FULL.payload" "$FULL.json" "$FULL.txt" "https://wipe.example/v1/certificates/$FULL" &&
	grep -q "Data Backed Up  *Yes$" "$FULL.txt" &&
	grep -q "Outcome  *passed with 2 exception(s)$" "$FULL.txt" &&
	grep -q "^ *1. hidden_area_undetermined  *the bridge did not pass IDENTIFY through" "$FULL.txt" &&
	grep -q "^ *2. io_retry  *a write failed and succeeded on the second try (at byte 1048576, 65536 bytes)$" "$FULL.txt" &&
	grep -q "Coverage  *whole_device, 4000787030016 of 4000787030016 bytes$" "$FULL.txt" &&
	grep -q "Validated by: Bob Lead, Security Officer" "$FULL.txt" &&
	[ "$(jq -r .validated_by.date "$FULL.payload")" = 2026-01-02 ] &&
	[ "$(jq -r .performed_by.date "$FULL.payload")" = 2026-01-01T10:20:00.000Z ] &&
	[ "$(jq -r .standard "$FULL.payload")" = "NIST SP 800-88 Rev. 2" ]
'

test_expect_success 'no optional field: each row matches, absent ones print - or Unknown' '
	python3 "$CHECK" "$BARE.payload" "$BARE.json" "$BARE.txt" "https://wipe.example/v1/certificates/$BARE" &&
	grep -q "Data Backed Up  *Unknown$" "$BARE.txt" &&
	grep -q "Classification  *-$" "$BARE.txt" &&
	grep -q "Validation  *not recorded" "$BARE.txt" && grep -q "Validated by: not recorded" "$BARE.txt" &&
	grep -q "Exceptions  *none recorded$" "$BARE.txt" && grep -q "Outcome  *passed$" "$BARE.txt" &&
	grep -q "Coverage  *not recorded$" "$BARE.txt" &&
	[ "$(jq -r .validation.recorded "$BARE.payload")" = false ] &&
	[ "$(jq -r .validated_by "$BARE.payload")" = null ]
'

test_expect_success 'a record too long for a page: every exception and the whole note, on further pages' '
	ev long enrolled "{\"serial\":\"SN-long\",\"model\":\"X\",\"media_type\":\"nvme\",\"capacity_bytes\":1000204886016,\"tenant\":\"t2\"}" &&
	ev long retired && ev long sanitize_started &&
	x=$(for i in $(seq 1 45); do printf "%s{\"kind\":\"io_retry\",\"detail\":\"retry %d\",\"offset\":%d,\"length\":4096}" "${sep:-}" "$i" "$((i * 4096))"; sep=,; done) &&
	completed long nvme-sanitize-block purge ",\"exceptions\":[$x]" &&
	note=$(for i in $(seq 1 150); do printf "word%03d " "$i"; done) &&
	ID=$("$SZ" cert issue long --state-dir st --request "{\"notes\":\"$note\"}" | jq -r .id) && render "$ID" &&
	python3 "$CHECK" "$ID.payload" "$ID.json" "$ID.txt" "https://wipe.example/v1/certificates/$ID" &&
	grep -q "Outcome  *passed with 45 exception(s)$" "$ID.txt" &&
	grep -q "and 5 more, listed in the signed certificate" "$ID.txt" &&
	grep -q "word150" "$ID.txt" &&
	grep -q "Category Basis  *unconfirmed" "$ID.txt" &&
	grep -q "Certificate of Sanitization $ID, page 2 (continued)" "$ID.txt" &&
	[ "$(jq ".sanitization.exceptions | length" "$ID.payload")" = 45 ]
'

test_expect_success 'data_backed_up false prints No, never a byte count' '
	ev no enrolled "{\"serial\":\"SN-no\",\"model\":\"X\",\"media_type\":\"hdd\",\"capacity_bytes\":1000204886016,\"tenant\":\"t2\",\"data_backed_up\":false}" &&
	ev no retired && ev no sanitize_started && completed no &&
	ID=$("$SZ" cert issue no --state-dir st | jq -r .id) && render "$ID" &&
	python3 "$CHECK" "$ID.payload" "$ID.json" "$ID.txt" "https://wipe.example/v1/certificates/$ID" &&
	grep -q "Data Backed Up  *No$" "$ID.txt" && ! grep -q "Data Backed Up  *1000204886016" "$ID.txt"
'

test_expect_success 'the checker itself refuses a page that disagrees' '
	sed "s/Data Backed Up\\( *\\)Yes/Data Backed Up\\14000787030016/" "$FULL.txt" >wrong.txt &&
	! python3 "$CHECK" "$FULL.payload" "$FULL.json" wrong.txt "https://wipe.example/v1/certificates/$FULL" >out &&
	grep -q "Data Backed Up is" out &&
	grep -v "Serial Number" "$FULL.txt" >missing.txt &&
	! python3 "$CHECK" "$FULL.payload" "$FULL.json" missing.txt "https://wipe.example/v1/certificates/$FULL" >out &&
	grep -q "missing row .Serial Number" out
'

test_done
