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
# render ID [PUBLIC_URL [NAME]]: the signed payload, cert show, the page as
# text, in NAME.{json,payload,pdf,txt}; PUBLIC_URL "" renders with none
render() {
	local id=$1 u=${2-https://wipe.example} n=${3:-$1}
	"$SZ" cert show "$id" --state-dir st >"$n.json" &&
	jq -r .jws "$n.json" | cut -d. -f2 | tr -d "\\n" | b64url_d >"$n.payload" &&
	"$SZ" cert pdf "$id" --state-dir st ${u:+--base-url "$u"} --out "$n.pdf" &&
	pdftotext -q -layout "$n.pdf" "$n.txt"
}
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

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
	python3 "$CHECK" "$FULL.payload" "$FULL.json" "$FULL.txt" "https://wipe.example/verify/$FULL" &&
	grep -q "Data Backed Up  *Yes$" "$FULL.txt" &&
	grep -q "Outcome  *passed with 2 exception(s)$" "$FULL.txt" &&
	grep -q "^ *1. hidden_area_undetermined  *the bridge did not pass IDENTIFY through" "$FULL.txt" &&
	grep -q "Media Type  *hdd, 4.00 TB (4,000,787,030,016 bytes)$" "$FULL.txt" &&
	grep -q "2. io_retry  *a write failed and succeeded on the second try (at byte 1,048,576, 65,536 bytes)$" "$FULL.txt" &&
	grep -q "Validated by: Bob Lead, Security Officer" "$FULL.txt" &&
	[ "$(jq -r .validated_by.date "$FULL.payload")" = 2026-01-02 ] &&
	[ "$(jq -r .performed_by.date "$FULL.payload")" = 2026-01-01T10:20:00.000Z ] &&
	[ "$(jq -r .standard "$FULL.payload")" = "NIST SP 800-88 Rev. 2" ]
'

test_expect_success 'no optional field: each row matches, absent ones print - or Unknown' '
	python3 "$CHECK" "$BARE.payload" "$BARE.json" "$BARE.txt" "https://wipe.example/verify/$BARE" &&
	grep -q "Data Backed Up  *Unknown$" "$BARE.txt" &&
	grep -q "Classification  *-$" "$BARE.txt" &&
	grep -q "Validation  *not recorded" "$BARE.txt" && grep -q "Validated by: not recorded" "$BARE.txt" &&
	grep -q "Exceptions  *none recorded$" "$BARE.txt" && grep -q "Outcome  *passed$" "$BARE.txt" &&
	grep -q "Coverage  *not recorded$" "$BARE.txt" &&
	[ "$(jq -r .validation.recorded "$BARE.payload")" = false ] &&
	[ "$(jq -r .validated_by "$BARE.payload")" = null ]
'

# blue pixels (the chart's line, RGB 0.1 0.3 0.7) on page 1, from pdftoppm's PPM: 0 without a chart
blue() { pdftoppm -r 60 -f 1 -l 1 "$1" pg && python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
parts = d.split(None, 4)
w, h, px = int(parts[1]), int(parts[2]), parts[4]
print(sum(1 for i in range(0, w * h * 3, 3) if px[i] < 90 and 50 < px[i + 1] < 130 and px[i + 2] > 140))
' pg-1.ppm; }

test_expect_success 'the station: health, station, removed-from host, HPA restore and a speed chart (issue 13)' '
	ev evid enrolled "{\"serial\":\"SN-evid\",\"model\":\"X\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"t2\"}" &&
	ev evid deployed "{\"host\":\"old-host\"}" && ev evid removed "{\"reason\":\"moved\"}" &&
	ev evid deployed "{\"host\":\"db-17.fra1\",\"slot\":\"bay 4\",\"site\":\"FRA1\"}" &&
	ev evid removed "{\"reason\":\"decommission\"}" && ev evid retired && ev evid sanitize_started &&
	w=$(for i in $(seq 1 120); do printf "%s%d" "${sep:-}" $(( i % 10 == 0 ? 50000000 : 180000000 + i * 100000 )); sep=,; done) &&
	completed evid clear-zero clear ",\"health\":{\"before\":{\"available\":true,\"source\":\"ata-smart\",\"note\":null,\"power_on_hours\":31337,\"temperature_c\":41,\"reallocated_sectors\":8,\"pending_sectors\":0,\"uncorrectable_errors\":0,\"media_errors\":null,\"percentage_used\":null,\"failure_predicted\":false},\"after\":{\"available\":true,\"source\":\"ata-smart\",\"note\":null,\"power_on_hours\":31338,\"temperature_c\":47,\"reallocated_sectors\":8,\"media_errors\":null,\"percentage_used\":null,\"failure_predicted\":true}},\"station\":{\"hostname\":\"wipe-st-2\",\"sys_vendor\":\"Supermicro\",\"product_name\":\"SYS-5019\",\"product_serial\":\"S9911\",\"product_uuid\":null,\"board_serial\":\"B77\",\"chassis_serial\":null},\"hpa_restore\":{\"performed\":true,\"command\":\"SET MAX ADDRESS EXT\",\"permanent\":false,\"old_max_lba\":976773000,\"new_max_lba\":976773167,\"error\":null},\"speed\":{\"interval_ms\":1000,\"written_bytes\":[$w],\"read_bytes\":[]}" &&
	ID=$("$SZ" cert issue evid --state-dir st | jq -r .id) && render "$ID" https://wipe.example evid &&
	python3 "$CHECK" evid.payload evid.json evid.txt "https://wipe.example/verify/$ID" >evid.check || { cat evid.check; false; }
'

test_expect_success 'the station rows, exactly' '
	grep -q "Removed From  *host db-17.fra1, slot bay 4, site FRA1, removed 20" evid.txt &&
	grep -q "Before  *ata-smart: power-on hours 31,337, temperature 41 °C, reallocated sectors 8," evid.txt &&
	grep -A1 "After  *ata-smart: power-on hours 31,338" evid.txt | grep -q "failure predicted Yes" &&
	grep -q "Station  *wipe-st-2, Supermicro SYS-5019, serial S9911, board serial B77$" evid.txt &&
	grep -q "HPA Restored  *SET MAX ADDRESS EXT (volatile), max LBA 976,773,000 to 976,773,167$" evid.txt &&
	grep -q "Samples  *120 of 1 s, 120 writing" evid.txt &&
	grep -q "Chart  *0 to 191.8 MB/s over 120 s" evid.txt &&
	grep -q "Average Write  *172.4 MB/s" evid.txt && grep -q "Minimum / Maximum  *50.0 MB/s / 191.9 MB/s" evid.txt &&
	[ "$(jq -r .sanitization.speed.samples evid.payload)" = 120 ] &&
	[ "$(jq -r ".sanitization.speed.profile_bytes_per_s | length" evid.payload)" = 60 ] &&
	[ "$(jq -r ".sanitization.speed.written_bytes" evid.payload)" = null ] &&
	[ "$(jq -r .media.last_host.host evid.payload)" = db-17.fra1 ] &&
	for bad in "s/31,337/31,336/" "s/failure predicted Yes/failure predicted No/" "s/db-17.fra1/old-host/" \
		"s/serial S9911/serial S9912/" "s/50.0 MB.s \/ /51.0 MB\/s \/ /"; do
		sed "$bad" evid.txt >evid-bad.txt && ! cmp -s evid.txt evid-bad.txt &&
		! python3 "$CHECK" evid.payload evid.json evid-bad.txt "https://wipe.example/verify/$(jq -r .id evid.json)" >/dev/null ||
		{ echo "the checker accepted a page edited with $bad"; exit 1; }
	done
'

test_expect_success 'the speed chart is drawn when samples exist, and only then' '
	n=$(blue evid.pdf) && b=$(blue "$BARE.pdf") &&
	echo "blue pixels: with samples $n, without $b" &&
	[ "$n" -gt 40 ] && [ "$b" = 0 ] && ! grep -q "Speed Profile" "$BARE.txt"
'

test_expect_success 'no station evidence (an older record): said so, nothing invented' '
	grep -q "Removed From  *no deployment recorded$" "$BARE.txt" &&
	grep -q "Health  *not recorded$" "$BARE.txt" && grep -q "Station  *not recorded$" "$BARE.txt" &&
	! grep -q "HPA Restored" "$BARE.txt"
'

test_expect_success 'a loop device: health not available, with the reason' '
	ev loopy enrolled "{\"serial\":\"SN-loopy\",\"model\":\"X\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"t2\"}" &&
	ev loopy retired && ev loopy sanitize_started &&
	completed loopy clear-zero clear ",\"health\":{\"before\":{\"available\":false,\"source\":null,\"note\":\"loop3 has no drive health: it is a loop device\"},\"after\":{\"available\":false,\"source\":null,\"note\":\"loop3 has no drive health: it is a loop device\"}}" &&
	ID=$("$SZ" cert issue loopy --state-dir st | jq -r .id) && render "$ID" "" loopy &&
	python3 "$CHECK" loopy.payload loopy.json loopy.txt "" &&
	grep -q "Before / After  *not available: loop3 has no drive health: it is a loop device$" loopy.txt
'

test_expect_success 'a record too long for a page: every exception and the whole note, on further pages' '
	ev long enrolled "{\"serial\":\"SN-long\",\"model\":\"X\",\"media_type\":\"nvme\",\"capacity_bytes\":1000204886016,\"tenant\":\"t2\"}" &&
	ev long retired && ev long sanitize_started &&
	x=$(for i in $(seq 1 45); do printf "%s{\"kind\":\"io_retry\",\"detail\":\"retry %d\",\"offset\":%d,\"length\":4096}" "${sep:-}" "$i" "$((i * 4096))"; sep=,; done) &&
	completed long nvme-sanitize-block purge ",\"exceptions\":[$x]" &&
	note=$(for i in $(seq 1 150); do printf "word%03d " "$i"; done) &&
	ID=$("$SZ" cert issue long --state-dir st --request "{\"notes\":\"$note\"}" | jq -r .id) && render "$ID" &&
	python3 "$CHECK" "$ID.payload" "$ID.json" "$ID.txt" "https://wipe.example/verify/$ID" &&
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
	python3 "$CHECK" "$ID.payload" "$ID.json" "$ID.txt" "https://wipe.example/verify/$ID" &&
	grep -q "Data Backed Up  *No$" "$ID.txt" && ! grep -q "Data Backed Up  *1000204886016" "$ID.txt"
'

test_expect_success 'sizes in SI units beside the bytes, and the page says which units' '
	grep -q "Media Type  *ssd, 512 GB (512,110,190,592 bytes)$" "$BARE.txt" &&
	grep -q "Verification Method  *full read-back, read 8.19 kB (8,192 bytes)$" "$BARE.txt" &&
	grep -q "SI units" "$BARE.txt" && grep -q "1 TB = 1,000,000,000,000 bytes" "$BARE.txt"
'

test_expect_success 'the issuer comes from the configuration; unset is "not configured", never a stray |' '
	grep -q "^ *Organization  *Acme Recycling$" "$FULL.txt" &&
	awk "/^ *Issuer *\$/{i=1;next} /^ *Person Performing/{i=0} i" "$FULL.txt" >issuer.txt &&
	grep -q "Location  *not configured$" issuer.txt && grep -q "Phone  *not configured$" issuer.txt &&
	awk "/^ *Issuer *\$/{i=1;next} /^ *Person Performing/{i=0} i" "$BARE.txt" >issuer.txt &&
	[ "$(grep -c "not configured$" issuer.txt)" = 3 ] &&
	! grep -q "|" "$BARE.txt" && ! grep -q "|" "$FULL.txt" && ! grep -q "^ *sanitizerd *$" "$BARE.txt"
'

test_expect_success_here 'setup: UTF-8 names, an issuer with every detail, a name with U+202E' '
	ev uni enrolled "{\"serial\":\"SN-uni\",\"model\":\"X\",\"media_type\":\"hdd\",\"capacity_bytes\":1000204886016,\"tenant\":\"t2\"}" &&
	ev uni retired && ev uni sanitize_started && completed uni &&
	UNI=$("$SZ" cert issue uni --state-dir st --org "Müller & Söhne GmbH" --org-address "Köln, Domplatz 1" --org-phone "+49 221 0000" --request "{\"performed_by\":{\"name\":\"José Müller\",\"title\":\"Techniker\",\"organization\":\"Müller & Söhne\",\"location\":\"Köln\",\"phone\":\"+49 221 0001\"},\"validated_by\":{\"name\":\"Zoë Ångström\",\"title\":\"Leiterin Qualität\",\"organization\":\"Prüfstelle Nord\",\"location\":\"Hamburg\",\"phone\":\"+49 40 0002\",\"date\":\"2026-01-03\"},\"destination\":\"Wertstoffhof Süd\"}" | jq -r .id) &&
	ev bidi enrolled "{\"serial\":\"SN-bidi\",\"model\":\"X\",\"media_type\":\"hdd\",\"capacity_bytes\":1000204886016,\"tenant\":\"t2\"}" &&
	ev bidi retired && ev bidi sanitize_started && completed bidi &&
	BIDI=$("$SZ" cert issue bidi --state-dir st --request "{\"performed_by\":{\"name\":\"Ann \u202etxt.exe\u202c Tech\",\"title\":\"a\u2066b\u2069c\"},\"notes\":\"x\u200fy\"}" | jq -r .id) &&
	[ -n "$UNI" ] && [ -n "$BIDI" ] && render "$UNI" && render "$BIDI" &&
	jq -e ".performed_by.name == \"Ann \u202etxt.exe\u202c Tech\"" "$BIDI.payload" >/dev/null
'

if [ -f "$FONT" ]; then
test_expect_success 'UTF-8 names print exactly, in the embedded DejaVu font' '
	python3 "$CHECK" "$UNI.payload" "$UNI.json" "$UNI.txt" "https://wipe.example/verify/$UNI" &&
	grep -q "^ *Name  *José Müller$" "$UNI.txt" && grep -q "^ *Name  *Zoë Ångström$" "$UNI.txt" &&
	grep -q "Validated by: Zoë Ångström, Leiterin Qualität" "$UNI.txt" &&
	grep -q "^ *Organization  *Müller & Söhne GmbH$" "$UNI.txt" &&
	grep -q "^ *Location  *Köln, Domplatz 1$" "$UNI.txt" && grep -q "^ *Phone  *+49 221 0000$" "$UNI.txt" &&
	grep -q "^ *Destination  *Wertstoffhof Süd$" "$UNI.txt" &&
	! grep -q "built-in font" "$UNI.txt" &&
	pdffonts "$UNI.pdf" >fonts.txt && grep -q "DejaVuSans.* yes  *yes  *yes" fonts.txt &&
	! grep -q "Helvetica" fonts.txt
'
else
test_skip 'UTF-8 names print exactly, in the embedded DejaVu font' "$FONT is missing (fonts-dejavu-core; scripts/deps.sh installs it): the page falls back to a built-in font, and test_cert checks that"
fi

test_expect_success 'the validator: every detail of the person, under Validation' '
	awk "/^ *Validation \\(NIST/{i=1;next} /^ *Media Destination/{i=0} i" "$UNI.txt" >val.txt &&
	for r in "Name  *Zoë Ångström" "Title  *Leiterin Qualität" "Organization  *Prüfstelle Nord" \
		"Location  *Hamburg" "Phone  *+49 40 0002" "Date  *2026-01-03"; do
		grep -q "^ *$r$" val.txt || { echo "no $r under Validation"; exit 1; }
	done
'

test_expect_success 'a U+202E (and other bidirectional controls) in the record is replaced, and the page says so' '
	python3 "$CHECK" "$BIDI.payload" "$BIDI.json" "$BIDI.txt" "https://wipe.example/verify/$BIDI" &&
	! grep -q "$(printf "\\342\\200\\256")" "$BIDI.txt" && ! grep -q "$(printf "\\342\\201\\246")" "$BIDI.txt" &&
	! grep -q "$(printf "\\342\\200\\217")" "$BIDI.txt" &&
	tr -s " \\n" "  " <"$BIDI.txt" | grep -q "could reorder or hide text" &&
	if [ -f "$FONT" ]; then grep -q "^ *Name  *Ann �txt.exe� Tech$" "$BIDI.txt"; else grep -q "^ *Name  *Ann ?txt.exe? Tech$" "$BIDI.txt"; fi &&
	! tr -s " \\n" "  " <"$FULL.txt" | grep -q "could reorder or hide text"
'

test_expect_success 'custody status has its own section, from the ledger, not under Media Destination' '
	ev full shipped "{\"carrier\":\"SecureFreight\",\"seal\":\"S-991\",\"tracking\":\"TRK-4411\"}" &&
	ev full custody_transfer "{\"from\":\"Courier Ines\",\"to\":\"Dock Otto\",\"location\":\"Bay 12\",\"seal\":\"S-992\"}" &&
	ev full destroyed "{\"facility\":\"ShredCo Berlin\",\"method\":\"shred\",\"witness\":\"Witness Bob\",\"particle_size_mm\":2}" &&
	render "$FULL" https://wipe.example full2 &&
	python3 "$CHECK" full2.payload full2.json full2.txt "https://wipe.example/verify/$FULL" &&
	awk "/^ *Media Destination *\$/{i=1;next} /^ *Custody Status/{i=0} i" full2.txt >dest.txt &&
	[ "$(grep -c . dest.txt)" = 1 ] && grep -q "Destination  *Recycling Facility 9$" dest.txt &&
	grep -q "^ *State  *certificate destroyed, asset destroyed$" full2.txt && grep -q "tracking TRK-4411" full2.txt &&
	grep -q "Transfer 1  .*from Courier Ines to Dock Otto, at Bay 12, seal S-992$" full2.txt &&
	tr -s " \\n" "  " <full2.txt | grep -q "facility ShredCo Berlin, method shred, witness Witness Bob, particle size 2 mm" &&
	! grep -q "^ *Status  " full2.txt
'

if command -v zbarimg >/dev/null && command -v pdftoppm >/dev/null; then
test_expect_success 'the QR code decodes to <public-url>/verify/<cert_id>' '
	pdftoppm -r 150 -f 1 -l 1 -singlefile -png "$FULL.pdf" qr &&
	[ "$(zbarimg -q --raw qr.png)" = "https://wipe.example/verify/$FULL" ] &&
	render "$BARE" https://verify.example/sz/ bare2 &&
	pdftoppm -r 150 -f 1 -l 1 -singlefile -png bare2.pdf qr2 &&
	[ "$(zbarimg -q --raw qr2.png)" = "https://verify.example/sz/verify/$BARE" ]
'
else
test_skip 'the QR code decodes to <public-url>/verify/<cert_id>' "no QR decoder (zbarimg from zbar-tools, pdftoppm from poppler-utils); the printed URL is checked instead"
fi

test_expect_success 'no public URL, or a loopback one: no QR code, and the page says so' '
	for u in "" http://127.0.0.1:8420 http://localhost:8420/ "http://[::1]:8420" http://127.1.2.3 https://x.localhost \
		http://0.0.0.0:80 ftp://wipe.example "https://a@wipe.example" "https://wipe.example/?a=b"; do
		n=noqr$((i = ${i:-0} + 1)) &&
		render "$BARE" "$u" $n && python3 "$CHECK" $n.payload $n.json $n.txt "" >/dev/null &&
		grep -q "Verify  *no public verification URL configured$" $n.txt &&
		! grep -q "127.0.0.1\\|localhost\\|::1\\|/v1/certificates" $n.txt || { echo "with \"$u\""; exit 1; }
		if command -v zbarimg >/dev/null; then
			pdftoppm -r 150 -f 1 -l 1 -singlefile -png $n.pdf $n &&
			test_expect_code 4 zbarimg -q --raw $n.png || { echo "a QR code with \"$u\""; exit 1; }
		fi
	done
'

test_expect_success 'the checker itself refuses a page that disagrees' '
	sed "s/Data Backed Up\\( *\\)Yes/Data Backed Up\\14000787030016/" "$FULL.txt" >wrong.txt &&
	! python3 "$CHECK" "$FULL.payload" "$FULL.json" wrong.txt "https://wipe.example/verify/$FULL" >out &&
	grep -q "Data Backed Up is" out &&
	grep -v "Serial Number" "$FULL.txt" >missing.txt &&
	! python3 "$CHECK" "$FULL.payload" "$FULL.json" missing.txt "https://wipe.example/verify/$FULL" >out &&
	grep -q "missing row .Serial Number" out
'

test_done
