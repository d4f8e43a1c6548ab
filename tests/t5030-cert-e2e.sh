#!/usr/bin/env bash
# End to end over the API: enrol, deploy, remove, retire, wipe a loop device,
# certificate, shipped, destroyed; then the certificate verifies offline from
# files alone, with OpenSSL and with sanitizerd cert verify.
. "$(dirname "$0")/lib.sh"
for t in curl openssl pdftoppm pdftotext jq; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done
require_loop

tok() { api POST /v1/tokens "$ADMIN" "$1" >/dev/null && jget token <body; }
b64url_d() { local s; s=$(tr -- '-_' '+/'); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s" | base64 -d; }
wait_job() {
	for i in $(seq 600); do
		api GET /v1/jobs/$1 "$TECH" >/dev/null; s=$(jget state <body)
		case $s in completed|failed|cancelled) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

test_expect_success_here 'setup: daemon, tokens, a retired drive on a loop device' '
	sz_serve st --origin test.example/sz --org-name "Example Cloud" --org-location "Frankfurt" \
		--public-url https://verify.example &&
	TECH=$(tok "{\"role\":\"technician\"}") && AUD=$(tok "{\"role\":\"auditor\"}") &&
	CUS=$(tok "{\"role\":\"customer\",\"tenant\":\"acme\"}") &&
	OTHER=$(tok "{\"role\":\"customer\",\"tenant\":\"globex\"}") &&
	python3 -c "open(\"d.img\",\"wb\").write(b\"SENTINEL-customer-data\".ljust(1<<20, b\"y\") * 24)" &&
	D=$(loop_attach "$TRASH/d.img") && loop_register "$D" &&
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/d.img\",\"model\":\"WD40EFRX\",\"media_type\":\"hdd\",\"capacity_bytes\":25165824,\"tenant\":\"acme\",\"vendor\":\"WDC\",\"property_number\":\"PN-77\",\"classification\":\"confidential\"}" >/dev/null &&
	A=$(jget id <body) &&
	for e in "{\"type\":\"deployed\",\"data\":{\"host\":\"db1\"}}" "{\"type\":\"removed\"}" "{\"type\":\"retired\"}"; do
		[ "$(api POST /v1/assets/$A/events "$TECH" "$e")" = 201 ] || exit 1
	done
'

test_expect_success 'no certificate before a passed verification' '
	[ "$(api POST /v1/assets/$A/certificate "$TECH" "{}")" = 409 ] && grep -q "retired, not sanitized" body
'

test_expect_success_here 'wipe, then issue: 201 with a JWS; a second issuance is 409' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$D\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J && [ "$(jget state <body)" = completed ] &&
	! grep -q SENTINEL "$D" &&
	[ "$(api POST /v1/assets/$A/certificate "$TECH" "{\"validated_by\":{\"name\":\"Vera Lead\",\"date\":\"2026-02-30\"}}")" = 400 ] &&
	grep -q "validated_by.date must be an RFC 3339 date" body &&
	[ "$(api POST /v1/assets/$A/certificate "$TECH" "{\"performed_by\":{\"name\":\"Ann Tech\",\"title\":\"Technician\",\"organization\":\"Example Cloud\",\"location\":\"FRA1\",\"phone\":\"+49 69 000\"},\"validated_by\":{\"name\":\"Vera Lead\",\"title\":\"Security Officer\",\"organization\":\"Example Cloud\",\"location\":\"FRA1 office\",\"phone\":\"+49 69 001\",\"date\":\"2026-03-02\"},\"destination\":\"shredder\"}")" = 201 ] &&
	C=$(jget id <body) && jget jws <body | tr -d "\\n" >cert.jws &&
	[ "$(api POST /v1/assets/$A/certificate "$TECH" "{}")" = 409 ] &&
	[ "$(api GET /v1/assets/$A "$TECH")" = 200 ] && [ "$(jget state <body)" = certified ]
'

test_expect_success 'the payload carries the NIST SP 800-88 Rev. 2 record fields' '
	[ "$(api GET /v1/certificates/$C "$AUD")" = 200 ] && cp body cert.json &&
	jq -e ".payload | .cert_id == \"$C\" and .asset_id == \"$A\"" cert.json >/dev/null &&
	grep -q "WD40EFRX" cert.json && grep -q "PN-77" cert.json && grep -q "Ann Tech" cert.json &&
	grep -q "Example Cloud" cert.json && grep -qi "\"clear\"" cert.json && grep -q "Overwrite" cert.json &&
	jq -e ".status.state == \"issued\"" cert.json >/dev/null &&
	jq -e ".payload.standard == \"NIST SP 800-88 Rev. 2\" and .payload.validation.recorded == true" cert.json >/dev/null &&
	jq -e ".payload.validated_by | .name == \"Vera Lead\" and .date == \"2026-03-02\" and .location == \"FRA1 office\"" cert.json >/dev/null &&
	jq -e ".payload.sanitization | .outcome == \"passed\" and .category_basis.confirmed == true" cert.json >/dev/null
'

test_expect_success 'the payload carries the station'"'"'s evidence: health, station, speed, the host it was removed from (issue 13)' '
	jq -e ".payload.media.last_host | .host == \"db1\" and (.removed_at | type) == \"string\"" cert.json >/dev/null &&
	jq -e ".payload.sanitization.health | (.before.available == false) and (.after.available == false) and (.before.note | test(\"it is a loop device\"))" cert.json >/dev/null &&
	jq -e ".payload.sanitization.station.hostname == \"$(hostname)\"" cert.json >/dev/null &&
	jq -e ".payload.sanitization.speed | .samples >= 1 and .write_samples >= 1 and .write_avg_bytes_per_s > 0 and (has(\"written_bytes\") | not)" cert.json >/dev/null &&
	jq -e ".payload.sanitization | has(\"hpa_restore\") | not" cert.json >/dev/null
'

test_expect_success 'roles and tenants: the customer sees its certificate, another tenant gets 404' '
	[ "$(api GET /v1/certificates/$C "$CUS")" = 200 ] &&
	[ "$(api GET /v1/certificates/$C "$OTHER")" = 404 ] &&
	[ "$(api GET /v1/certificates/$C.jws "$OTHER")" = 404 ] &&
	[ "$(api GET /v1/certificates/$C "$TECH")" = 403 ] &&
	[ "$(api GET /v1/certificates/$C)" = 401 ]
'

test_expect_success 'OpenSSL, which we did not write, accepts the JWS; a changed one is refused' '
	[ "$(api GET /v1/certificates/$C.jws "$AUD")" = 200 ] && cmp body cert.jws &&
	[ "$(api GET /v1/keys)" = 200 ] && jq -r .public_key_pem body >pub.pem &&
	cut -d. -f1,2 cert.jws | tr -d "\\n" >si && cut -d. -f3 cert.jws | tr -d "\\n" | b64url_d >sig &&
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in si -sigfile sig &&
	printf x >>si && ! openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in si -sigfile sig
'

test_expect_success 'POST /v1/verify: valid and in the ledger; a forged payload is not valid' '
	[ "$(curl -s -m 10 -o body -w "%{http_code}" -H "Content-Type: application/jose" --data-binary @cert.jws "$URL/v1/verify")" = 200 ] &&
	jq -e ".valid == true and .in_ledger == true" body >/dev/null &&
	h=$(cut -d. -f1 cert.jws) && s=$(cut -d. -f3 cert.jws) &&
	p=$(cut -d. -f2 cert.jws | b64url_d | sed "s/WD40EFRX/WD40FORGED/" | base64 -w0 | tr -- "+/" "-_" | tr -d "=") &&
	[ "$(api POST /v1/verify "" "{\"jws\":\"$h.$p.$s\"}")" = 200 ] && jq -e ".valid == false" body >/dev/null &&
	[ "$(curl -s -m 10 -o body -w "%{http_code}" -H "Content-Type: text/plain" --data-binary @cert.jws "$URL/v1/verify")" = 415 ]
'

test_expect_success 'shipped and destroyed: the certificate'"'"'s status follows' '
	[ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"shipped\",\"data\":{\"carrier\":\"SecureFreight\",\"seal\":\"S-991\",\"tracking\":\"TRK-4411\"}}")" = 201 ] &&
	[ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"custody_transfer\",\"data\":{\"from\":\"Courier Ines\",\"to\":\"Dock Otto\",\"location\":\"Bay 12\",\"seal\":\"S-992\"}}")" = 201 ] &&
	[ "$(api GET /v1/certificates/$C "$AUD")" = 200 ] && jq -e ".status.state == \"shipped\"" body >/dev/null &&
	[ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"destroyed\",\"data\":{\"facility\":\"ShredCo Berlin\",\"method\":\"shred\",\"witness\":\"Witness Bob\"}}")" = 201 ] &&
	[ "$(api GET /v1/certificates/$C "$CUS")" = 200 ] && cp body final.json &&
	jq -e ".status.state == \"destroyed\"" final.json >/dev/null && grep -q "ShredCo Berlin" final.json
'

# issue 11: POST /v1/verify is open to anyone, so it must not publish where a
# drive went, with which seal, carrier or tracking number, or who handled it.
CUSTODY_VALUES="SecureFreight S-991 S-992 TRK-4411 Courier_Ines Dock_Otto Bay_12 ShredCo_Berlin Witness_Bob"
verify_as() {	# verify_as TOKEN: POST cert.jws to /v1/verify, with TOKEN unless empty
	curl -s -m 10 -o body -w "%{http_code}" ${1:+-H "Authorization: Bearer $1"} \
		-H "Content-Type: application/jose" --data-binary @cert.jws "$URL/v1/verify"
}
holds_none() {	# holds_none FILE: none of the custody values is in FILE
	for v in $CUSTODY_VALUES; do
		! grep -qF "$(printf %s "$v" | tr _ " ")" "$1" || { echo "$1 holds $v" >&2; return 1; }
	done
}
holds_all() {
	for v in $CUSTODY_VALUES; do
		grep -qF "$(printf %s "$v" | tr _ " ")" "$1" || { echo "$1 lacks $v" >&2; return 1; }
	done
}

test_expect_success 'POST /v1/verify, anonymous: the verdict and the state, no custody data (issue 11)' '
	[ "$(verify_as "")" = 200 ] && cp body anon.json &&
	jq -e ".valid == true and .in_ledger == true and .id == \"$C\"" anon.json >/dev/null &&
	jq -e ".status == {\"state\":\"destroyed\",\"asset_state\":\"destroyed\"}" anon.json >/dev/null &&
	holds_none anon.json &&
	[ "$(api POST /v1/verify "" "{\"jws\":\"$(cat cert.jws)\"}")" = 200 ] && holds_none body &&
	jq -e ".status.state == \"destroyed\"" body >/dev/null
'

test_expect_success 'POST /v1/verify, authenticated: the auditor and the tenant get the custody details' '
	[ "$(verify_as "$AUD")" = 200 ] && cp body aud.json && holds_all aud.json &&
	jq -e ".status.shipped.tracking == \"TRK-4411\" and .status.destroyed.witness == \"Witness Bob\"" aud.json >/dev/null &&
	[ "$(verify_as "$CUS")" = 200 ] && holds_all body &&
	[ "$(verify_as "$TECH")" = 200 ] && holds_all body &&
	[ "$(verify_as "$ADMIN")" = 200 ] && holds_all body
'

test_expect_success 'POST /v1/verify: another tenant gets the public answer; a bad token is 401' '
	[ "$(verify_as "$OTHER")" = 200 ] && holds_none body &&
	jq -e ".valid == true and .status.state == \"destroyed\"" body >/dev/null &&
	[ "$(verify_as "szt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 401 ] && holds_none body &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\"}")" = 201 ] && GONE=$(jget token <body) &&
	GID=$(jget id <body) && [ "$(api DELETE /v1/tokens/$GID "$ADMIN")" = 200 ] &&
	[ "$(verify_as "$GONE")" = 401 ] && holds_none body
'

test_expect_success 'offline: the certificate verifies from files alone, without the daemon' '
	[ "$(api GET /.well-known/jwks.json)" = 200 ] && cp body jwks.json &&
	api GET /v1/keys >/dev/null && jq -r .note_verifier body >vkey &&
	jq -r .ledger.checkpoint final.json >cp &&
	mkdir offline && cp cert.jws jwks.json cp final.json offline/ && cd offline &&
	"$SZ" cert verify --jwks jwks.json --checkpoint cp --verifier "$(cat ../vkey)" --proof final.json cert.jws &&
	sed "s/ShredCo/Fake/" final.json >x.json &&
	printf "%s" "$(cut -d. -f1 cert.jws).$(cut -d. -f2 cert.jws).AAAA" >forged.jws &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json forged.jws 2>err && grep -q "^sanitizerd: " err
'

test_expect_success 'the PDF: one A4 page with the serial and the certificate id' '
	[ "$(api GET /v1/certificates/$C.pdf "$AUD")" = 200 ] && cp body cert.pdf &&
	pdftoppm -r 30 -png cert.pdf page && [ "$(ls page*.png | wc -l)" = 1 ] &&
	pdftotext cert.pdf - >cert.txt && grep -q "$C" cert.txt && grep -q "loop:" cert.txt &&
	pdftotext -q -layout cert.pdf - >cert-layout.txt &&
	grep -q "Removed From  *host db1, removed 20" cert-layout.txt &&
	grep -q "Before / After  *not available: loop[0-9]* has no drive health: it is a loop device" cert-layout.txt &&
	grep -q "Station  *$(hostname)" cert-layout.txt && grep -q "Speed Profile" cert-layout.txt
'

test_expect_success 'the PDF: the issuer from serve'"'"'s --org-* options, the custody section, the public URL (issue 15)' '
	pdftotext -q -layout cert.pdf lay.txt &&
	grep -q "^ *Organization  *Example Cloud$" lay.txt && grep -q "^ *Location  *Frankfurt$" lay.txt &&
	grep -q "^ *Phone  *not configured$" lay.txt && ! grep -q "|" lay.txt &&
	grep -q "^ *State  *certificate destroyed, asset destroyed$" lay.txt && grep -q "facility ShredCo Berlin" lay.txt &&
	grep -q "^ *Verify  *https://verify.example/verify/$C$" lay.txt &&
	! grep -q "127.0.0.1\\|/v1/certificates" lay.txt &&
	grep -q "Media Type  *hdd, 25.2 MB (25,165,824 bytes)$" lay.txt &&
	if command -v zbarimg >/dev/null; then
		pdftoppm -r 150 -f 1 -l 1 -singlefile -png cert.pdf qr &&
		[ "$(zbarimg -q --raw qr.png)" = "https://verify.example/verify/$C" ]
	else
		echo "# no zbarimg (zbar-tools): the QR code is not decoded, the printed URL is checked"
	fi
'

test_expect_success 'the PDF from a daemon with a loopback --public-url: no QR code, and the page says so' '
	kill $SZPID && for i in $(seq 100); do kill -0 $SZPID 2>/dev/null || break; sleep 0.1; done &&
	! kill -0 $SZPID 2>/dev/null &&
	sz_serve st --origin test.example/sz --public-url http://127.0.0.1:8420 &&
	[ "$(api GET /v1/certificates/$C.pdf "$AUD")" = 200 ] && cp body loop.pdf &&
	pdftotext -q -layout loop.pdf loop.txt &&
	grep -q "^ *Verify  *no public verification URL configured$" loop.txt &&
	! grep -q "127.0.0.1" loop.txt &&
	grep -q "^ *Organization  *Example Cloud$" loop.txt &&
	if command -v zbarimg >/dev/null; then
		pdftoppm -r 150 -f 1 -l 1 -singlefile -png loop.pdf noqr && test_expect_code 4 zbarimg -q --raw noqr.png
	fi
'

test_expect_success 'the ledger verifies after it all' '
	"$SZ" ledger verify --state-dir st
'

test_done
