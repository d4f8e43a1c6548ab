#!/usr/bin/env bash
# Certificates from the command line: issuance rules, a JWS that OpenSSL (a
# verifier we did not write) accepts, forgeries refused by OpenSSL and by
# cert verify, status after shipping and destruction, offline verification
# from files alone, the printable PDF.
. "$(dirname "$0")/lib.sh"

for t in openssl pdftoppm pdftotext jq python3; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done

ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }
enrol() { ev "$1" enrolled "{\"serial\":\"$2\",\"model\":\"WD40EFRX\",\"media_type\":\"${3:-hdd}\",\"capacity_bytes\":4000787030016,\"tenant\":\"acme\",\"vendor\":\"WDC\",\"property_number\":\"PN-$1\"}"; }
completed() { ev "$1" sanitize_completed "{\"job_id\":\"job-$1\",\"method\":\"clear-zero\",\"category\":\"clear\",\"technique\":\"Overwrite\",\"verification\":{\"method\":\"full\",\"result\":\"$2\",\"bytes_read\":4096},\"passes\":1,\"bytes_written\":4096,\"duration_ms\":7,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},\"device\":{\"path\":\"/dev/loop9\",\"identity\":\"loop:/srv/d.img\",\"model\":\"WD40EFRX\",\"serial\":\"SN-CERT-0001\",\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T10:00:00.000Z\",\"completed_at\":\"2026-01-01T10:20:00.000Z\"}"; }
count() { sqlite3 st/ledger.db "select count(*) from entries"; }
# base64url (RFC 4648 5) to bytes, with tools that are not ours
b64url_d() { local s; s=$(tr -- '-_' '+/'); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s" | base64 -d; }
b64url_e() { base64 -w0 | tr -- '+/' '-_' | tr -d '='; }
# openssl_verify JWS PUBKEY: verify the JWS signing input with OpenSSL alone
openssl_verify() {
	cut -d. -f1,2 <"$1" | tr -d '\n' >si.bin &&
	cut -d. -f3 <"$1" | tr -d '\n' | b64url_d >sig.bin &&
	openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in si.bin -sigfile sig.bin
}
# ... and that it ran and said no (not merely failed to start)
openssl_rejects() {
	! openssl_verify "$@" >ossl.out 2>&1 && grep -q "Signature Verification Failure" ossl.out
}

test_expect_success 'setup: a state directory, a sanitized drive, and others that are not' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null &&
	"$SZ" keys --state-dir st >keys.json &&
	jq -r .public_key_pem keys.json >pub.pem &&
	jq -r .note_verifier keys.json >vkey &&
	jq .jwks keys.json >jwks.json &&
	enrol d1 SN-CERT-0001 && ev d1 retired && ev d1 sanitize_started "{\"method\":\"clear-zero\"}" &&
	completed d1 passed &&
	enrol f1 SN-FAIL && ev f1 retired && ev f1 sanitize_started && completed f1 failed &&
	enrol r1 SN-RET && ev r1 retired
'

test_expect_success 'refusals: a clear error and nothing written' '
	n=$(count) &&
	test_expect_code 1 "$SZ" cert issue f1 --state-dir st 2>err &&
	grep -q "^sanitizerd: cannot issue a certificate: the last sanitization of asset:f1 has no passed verification" err &&
	test_expect_code 1 "$SZ" cert issue r1 --state-dir st 2>err &&
	grep -q "^sanitizerd: cannot issue a certificate: asset:r1 is retired, not sanitized$" err &&
	test_expect_code 1 "$SZ" cert issue nobody --state-dir st 2>err && grep -q "no asset asset:nobody" err &&
	test_expect_code 1 "$SZ" cert issue "../etc" --state-dir st 2>err && grep -q "invalid asset id" err &&
	test_expect_code 1 "$SZ" cert issue d1 --state-dir st --request "{\"performed_by\":\"ann\"}" 2>err &&
	grep -q "performed_by must be an object" err &&
	test_expect_code 1 "$SZ" cert issue d1 --state-dir st --request "{\"category\":\"purge\"}" 2>err &&
	grep -q "unknown member category" err &&
	big=$(head -c 300 /dev/zero | tr "\\0" x) &&
	test_expect_code 1 "$SZ" cert issue d1 --state-dir st --request "{\"performed_by\":{\"name\":\"$big\"}}" 2>err &&
	grep -q "at most 256 bytes" err &&
	test_expect_code 2 "$SZ" cert issue d1 --state-dir st --request "{nope" 2>err && grep -q "invalid --request" err &&
	test_expect_code 2 "$SZ" cert issue 2>/dev/null &&
	test_expect_code 2 "$SZ" cert frobnicate x 2>/dev/null &&
	[ "$n" = "$(count)" ]
'

test_expect_success_here 'issue: the certificate and its certificate_issued entry' '
	n=$(count) &&
	"$SZ" cert issue d1 --state-dir st --org "Acme Recycling" --org-address "1 Main St, Springfield" \
		--org-phone "+1 555 0100" --base-url https://wipe.example \
		--request "{\"performed_by\":{\"name\":\"Ann Tech\",\"title\":\"Technician\",\"organization\":\"Acme\",\"location\":\"DC1\",\"phone\":\"+1 555 0101\"},\"destination\":\"Recycling Facility\"}" >issued.json &&
	ID=$(jq -r .id issued.json) && jq -r .jws issued.json >c.jws &&
	[ "$(count)" = $((n + 1)) ] &&
	"$SZ" ledger show --state-dir st "$n" | jq -r .entry >entry.json &&
	[ "$(jq -r .type entry.json)" = certificate_issued ] &&
	[ "$(jq -r .data.sha256 entry.json)" = "$(tr -d "\\n" <c.jws | sha256sum | cut -d" " -f1)" ] &&
	[ "$(jq -r .data.cert_id entry.json)" = "$ID" ] &&
	[ "$(sqlite3 st/ledger.db "select max(size) from checkpoints")" = "$(count)" ]
'

test_expect_success 'the payload: the Rev. 2 record fields, category from the NIST table' '
	cut -d. -f2 <c.jws | tr -d "\\n" | b64url_d >payload.json &&
	[ "$(jq -r .media.serial payload.json)" = SN-CERT-0001 ] &&
	[ "$(jq -r .media.make payload.json)" = WDC ] &&
	[ "$(jq -r .sanitization.method_type payload.json)" = Clear ] &&
	[ "$(jq -r .sanitization.method_used payload.json)" = Overwrite ] &&
	[ "$(jq -r .sanitization.verification.result payload.json)" = passed ] &&
	[ "$(jq -r .performed_by.name payload.json)" = "Ann Tech" ] &&
	[ "$(jq -r .organization.name payload.json)" = "Acme Recycling" ] &&
	[ "$(jq -r .ledger.origin payload.json)" = test.example/sz ] &&
	[ "$(jq -r .standard payload.json)" = "NIST SP 800-88 Rev. 2" ] &&
	[ "$(jq -r .validation.recorded payload.json)" = false ] && [ "$(jq -r .validated_by payload.json)" = null ] &&
	[ "$(jq -r .sanitization.category_basis.confirmed payload.json)" = true ] &&
	jq -r .sanitization.category_basis.clause payload.json | grep -q "Rev. 2 3.1.1" &&
	[ "$(jq -r .sanitization.outcome payload.json)" = passed ] &&
	[ "$(jq -r .sanitization.coverage.scope payload.json)" = "not recorded" ] &&
	cut -d. -f1 <c.jws | b64url_d >header.json &&
	[ "$(jq -r .alg header.json)" = EdDSA ] &&
	[ "$(jq -r .kid header.json)" = "$(jq -r ".keys[0].kid" jwks.json)" ]
'

test_expect_success 'twice for one sanitization: refused, nothing written' '
	n=$(count) &&
	test_expect_code 1 "$SZ" cert issue d1 --state-dir st 2>err &&
	grep -q "already has certificate $ID" err &&
	[ "$n" = "$(count)" ]
'

test_expect_success 'OpenSSL verifies the JWS with the published PEM key' '
	openssl_verify c.jws pub.pem >ossl.out && grep -q "Signature Verified Successfully" ossl.out &&
	"$SZ" cert verify --jwks jwks.json c.jws >out && grep -q "^valid: certificate $ID" out &&
	"$SZ" cert verify --jwks keys.json c.jws >/dev/null
'

test_expect_success 'a changed payload: OpenSSL and cert verify reject it' '
	jq -c ".media.serial = \"SN-OTHER\"" payload.json | tr -d "\\n" | b64url_e >p2 &&
	printf "%s.%s.%s" "$(cut -d. -f1 <c.jws)" "$(cat p2)" "$(cut -d. -f3 <c.jws)" >forged.jws &&
	openssl_rejects forged.jws pub.pem &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json forged.jws 2>err && grep -q "^sanitizerd: bad signature" err
'

test_expect_success 'a changed signature: both reject it' '
	sig=$(cut -d. -f3 <c.jws | tr -d "\\n") &&
	c=$(printf %s "$sig" | cut -c10) && if [ "$c" = A ]; then r=B; else r=A; fi &&
	printf "%s.%s%s%s" "$(cut -d. -f1,2 <c.jws)" "$(printf %s "$sig" | cut -c1-9)" "$r" "$(printf %s "$sig" | cut -c11-)" >badsig.jws &&
	openssl_rejects badsig.jws pub.pem &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json badsig.jws 2>err && grep -q "bad signature" err
'

test_expect_success 'another key: both reject it' '
	openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null &&
	openssl pkey -in other.key -pubout -out other.pem &&
	openssl_rejects c.jws other.pem &&
	"$SZ" init --state-dir st2 --origin other.example/sz >/dev/null &&
	"$SZ" keys --state-dir st2 >keys2.json &&
	test_expect_code 1 "$SZ" cert verify --jwks keys2.json c.jws 2>err && grep -q "no key with kid" err &&
	jq --arg k "$(jq -r ".keys[0].kid" jwks.json)" ".jwks.keys[0].kid = \$k | .jwks" keys2.json >swapped.json &&
	test_expect_code 1 "$SZ" cert verify --jwks swapped.json c.jws 2>err && grep -q "bad signature" err
'

test_expect_success 'hostile JWS files: invalid, with the reason' '
	printf "%s" "$(cut -d. -f1,2 <c.jws)" >two.jws &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json two.jws 2>err && grep -q "three dot-separated parts" err &&
	printf "%s.x" "$(cat c.jws)" >four.jws &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json four.jws 2>err && grep -q "three dot-separated parts" err &&
	printf "%s.%s.%s" "$(printf "{\"alg\":\"none\"}" | b64url_e)" "$(cut -d. -f2 <c.jws)" "" >none.jws &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json none.jws 2>err && grep -q "sanitizerd: invalid jws" err &&
	head -c 300000 /dev/zero | tr "\\0" A >huge.jws &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json huge.jws 2>err && grep -q "larger than" err &&
	test_expect_code 2 "$SZ" cert verify c.jws 2>err && grep -q "needs --jwks" err &&
	test_expect_code 2 "$SZ" cert verify --jwks jwks.json --checkpoint x c.jws 2>err && grep -q "needs --proof" err &&
	test_expect_code 1 "$SZ" cert verify --jwks nowhere.json c.jws 2>err && grep -q "cannot read nowhere.json" err
'

test_expect_success 'shipped, then destroyed: the status says so' '
	ev d1 shipped "{\"carrier\":\"SecureFreight\",\"seal\":\"SEAL-4711\",\"tracking\":\"SF123\"}" &&
	"$SZ" cert show "$ID" --state-dir st >shipped.json &&
	[ "$(jq -r .status.state shipped.json)" = shipped ] &&
	[ "$(jq -r .status.seal shipped.json)" = SEAL-4711 ] &&
	ev d1 destroyed "{\"facility\":\"ShredCo Plant 2\",\"method\":\"shred\",\"witness\":\"Eve\",\"particle_size_mm\":2}" &&
	"$SZ" cert show "$ID" --state-dir st >cert.json &&
	[ "$(jq -r .status.state cert.json)" = destroyed ] &&
	[ "$(jq -r .status.facility cert.json)" = "ShredCo Plant 2" ] &&
	[ "$(jq -r .status.shipped.carrier cert.json)" = SecureFreight ] &&
	[ "$(jq -r .status.date cert.json)" != null ] &&
	test_expect_code 1 "$SZ" cert show crt_AAAAAAAAAAAA --state-dir st 2>err && grep -q "no certificate" err
'

test_expect_success 'offline: signature, entry, proof and checkpoint from files alone' '
	"$SZ" ledger checkpoint --state-dir st >checkpoint.txt &&
	jq -r .ledger.tlog_proof cert.json >cert.tlog-proof &&
	rm -rf stash && mkdir stash && cp jwks.json checkpoint.txt vkey cert.json cert.tlog-proof c.jws stash/ &&
	(cd stash &&
	 "$SZ" cert verify --jwks jwks.json --checkpoint checkpoint.txt --verifier "$(cat vkey)" --proof cert.json c.jws >out &&
	 grep -q "is in the ledger test.example/sz" out &&
	 "$SZ" cert verify --jwks jwks.json --checkpoint checkpoint.txt --verifier "$(cat vkey)" --proof cert.tlog-proof c.jws &&
	 "$SZ" cert verify --jwks jwks.json --verifier "$(cat vkey)" --proof cert.json c.jws) >/dev/null
'

test_expect_success 'offline: the wrong verifier key, a stale or forged checkpoint, another JWS: invalid' '
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --checkpoint checkpoint.txt \
		--verifier "$(jq -r .note_verifier keys2.json)" --proof cert.json c.jws 2>err &&
	grep -q "not validly signed" err &&
	sed "2s/.*/99999/" checkpoint.txt >forged-cp.txt &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --checkpoint forged-cp.txt \
		--verifier "$(cat vkey)" --proof cert.json c.jws 2>err && grep -q "not validly signed" err &&
	ev d1 note "{\"text\":\"later\"}" && "$SZ" ledger checkpoint --state-dir st >newer.txt &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --checkpoint newer.txt \
		--verifier "$(cat vkey)" --proof cert.json c.jws 2>err && grep -q "the proof is for a tree of" err &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --verifier "$(cat vkey)" --proof cert.json forged.jws 2>/dev/null &&
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --proof cert.json c.jws 2>err && grep -q "needs the note verifier key" err
'

test_expect_success 'the PDF: one A4 page with the serial, the id and the JWS hash' '
	"$SZ" cert pdf "$ID" --state-dir st --base-url https://wipe.example --out cert.pdf &&
	head -c 5 cert.pdf | grep -q "^%PDF-" &&
	pdftoppm -r 40 -png cert.pdf page &&
	[ "$(ls page*.png | wc -l)" = 1 ] &&
	pdftotext -q cert.pdf cert.txt &&
	grep -q SN-CERT-0001 cert.txt && grep -q "$ID" cert.txt &&
	grep -q "$(jq -r .sha256 cert.json)" cert.txt &&
	grep -q "Purge\\|Clear" cert.txt && grep -q "ShredCo Plant 2" cert.txt &&
	grep -q "https://wipe.example/verify/$ID" cert.txt && ! grep -q "/v1/certificates" cert.txt &&
	test_expect_code 2 "$SZ" cert pdf "$ID" --state-dir st 2>/dev/null &&
	test_expect_code 1 "$SZ" cert pdf "$ID" --state-dir st --out cert.pdf 2>err && grep -q "cannot write cert.pdf" err
'

test_expect_success 'the ledger still verifies with the certificates table in it' '
	"$SZ" ledger verify --state-dir st >/dev/null &&
	! sqlite3 st/ledger.db "update certificates set jws = '"'"'x'"'"'" 2>err &&
	grep -q "append-only" err
'

test_expect_success 'the clock behind the previous entry: issued_at is that entry'"'"'s time, issuance succeeds' '
	enrol c1 SN-CLOCK && ev c1 retired && ev c1 sanitize_started && completed c1 passed &&
	ahead=$(date -u -d "+2 minutes" +%Y-%m-%dT%H:%M:%S.000Z) &&
	"$SZ" ledger append --state-dir st --subject asset:c1 --type note --time "$ahead" --data "{}" >/dev/null &&
	"$SZ" cert issue c1 --state-dir st >c1.json &&
	jws=$(jq -r .jws c1.json) && echo "$jws" | cut -d. -f2 | b64url_d >c1.payload &&
	[ "$(jq -r .issued_at c1.payload)" = "$ahead" ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_done
