#!/usr/bin/env bash
# Ed25519 malleability (issue 10 item 10, RFC 8032 5.1.7): a real certificate
# JWS and a real signed checkpoint with S replaced by S + L -- the same scalar
# mod L, so libgcrypt alone accepts it -- are refused by cert verify, ledger
# verify --checkpoint and POST /v1/verify, as OpenSSL refuses them.
. "$(dirname "$0")/lib.sh"

for t in openssl jq python3 curl; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done

ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }
b64url_d() { local s; s=$(tr -- '-_' '+/'); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s" | base64 -d; }
# add_l FILE: S + L in the JWS signature (base64url, R || S) or in the
# checkpoint's signature line (base64, key ID || R || S); prints the result
add_l() {
	python3 - "$1" <<'PY'
import base64, sys
L = 2**252 + 27742317777372353535851937790883648493
def bump(raw, off):
    s = int.from_bytes(raw[off:off + 32], "little") + L
    assert s < 2**256
    return raw[:off] + s.to_bytes(32, "little") + raw[off + 32:]
text = open(sys.argv[1]).read()
if text.count(".") == 2 and "\n" not in text.strip():
    h, p, sig = text.strip().split(".")
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    assert len(raw) == 64
    out = base64.urlsafe_b64encode(bump(raw, 32)).decode().rstrip("=")
    sys.stdout.write("%s.%s.%s" % (h, p, out))
else:
    lines = text.split("\n")
    for i, l in enumerate(lines):
        if l.startswith("\u2014 "):
            name, b = l[2:].rsplit(" ", 1)
            raw = base64.b64decode(b)
            assert len(raw) == 68
            lines[i] = "\u2014 %s %s" % (name, base64.b64encode(bump(raw, 36)).decode())
    sys.stdout.write("\n".join(lines))
PY
}

test_expect_success_here 'setup: a certificate, its proof and a checkpoint from the CLI' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null &&
	"$SZ" keys --state-dir st >keys.json &&
	jq -r .public_key_pem keys.json >pub.pem && jq -r .note_verifier keys.json >vkey &&
	jq .jwks keys.json >jwks.json &&
	ev d1 enrolled "{\"serial\":\"SN-MALL-1\",\"model\":\"WD40EFRX\",\"media_type\":\"hdd\",\"capacity_bytes\":4000787030016,\"tenant\":\"acme\"}" &&
	ev d1 retired && ev d1 sanitize_started "{\"method\":\"clear-zero\"}" &&
	ev d1 sanitize_completed "{\"job_id\":\"job-1\",\"method\":\"clear-zero\",\"category\":\"clear\",\"technique\":\"Overwrite\",\"verification\":{\"method\":\"full\",\"result\":\"passed\",\"bytes_read\":4096},\"passes\":1,\"bytes_written\":4096,\"duration_ms\":7,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},\"device\":{\"path\":\"/dev/loop9\",\"identity\":\"loop:/srv/d.img\",\"model\":\"WD40EFRX\",\"serial\":\"SN-MALL-1\",\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T10:00:00.000Z\",\"completed_at\":\"2026-01-01T10:20:00.000Z\"}" &&
	"$SZ" cert issue d1 --state-dir st >issued.json &&
	ID=$(jq -r .id issued.json) && jq -r .jws issued.json | tr -d "\\n" >c.jws &&
	"$SZ" cert show "$ID" --state-dir st >cert.json &&
	"$SZ" ledger checkpoint --state-dir st >cp.txt &&
	add_l c.jws >m.jws && add_l cp.txt >m-cp.txt &&
	! cmp -s c.jws m.jws && ! cmp -s cp.txt m-cp.txt &&
	[ "$(wc -l <m-cp.txt)" = "$(wc -l <cp.txt)" ]
'

test_expect_success 'the originals verify' '
	"$SZ" cert verify --jwks jwks.json c.jws >out && grep -q "^valid: certificate $ID" out &&
	"$SZ" ledger verify --state-dir st --checkpoint cp.txt --verifier "$(cat vkey)" >/dev/null &&
	"$SZ" cert verify --jwks jwks.json --checkpoint cp.txt --verifier "$(cat vkey)" --proof cert.json c.jws >/dev/null
'

test_expect_success 'OpenSSL, which we did not write, refuses S + L' '
	cut -d. -f1,2 <m.jws | tr -d "\\n" >si && cut -d. -f3 <m.jws | b64url_d >sig &&
	! openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in si -sigfile sig >ossl.out 2>&1 &&
	grep -q "Signature Verification Failure" ossl.out
'

test_expect_success 'cert verify: S + L in the JWS is a bad signature (exit 1)' '
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json m.jws >out 2>err &&
	grep -q "^sanitizerd: bad signature" err && ! grep -q "^valid" out
'

test_expect_success 'ledger verify --checkpoint: S + L in the checkpoint is refused (exit 1)' '
	test_expect_code 1 "$SZ" ledger verify --state-dir st --checkpoint m-cp.txt --verifier "$(cat vkey)" >out 2>err &&
	grep -q "^sanitizerd: ledger verification failed: the given checkpoint is not signed by the verifier key" err
'

test_expect_success 'cert verify --checkpoint: S + L in the checkpoint is refused (exit 1)' '
	test_expect_code 1 "$SZ" cert verify --jwks jwks.json --checkpoint m-cp.txt --verifier "$(cat vkey)" \
		--proof cert.json c.jws >out 2>err && grep -q "^sanitizerd: the checkpoint is not validly signed by test.example/sz" err
'

test_expect_success_here 'POST /v1/verify: the original is valid, S + L is not' '
	sz_serve st &&
	[ "$(api POST /v1/verify "" "{\"jws\":\"$(cat c.jws)\"}")" = 200 ] &&
	jq -e ".valid == true" body >/dev/null &&
	[ "$(api POST /v1/verify "" "{\"jws\":\"$(cat m.jws)\"}")" = 200 ] &&
	cat body && jq -e ".valid == false" body >/dev/null
'

test_done
