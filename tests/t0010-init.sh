#!/usr/bin/env bash
# sanitizerd init, keys, and the refusal of secrets others can read.
. "$(dirname "$0")/lib.sh"

ENROL='{"serial":"S1","model":"M","media_type":"ssd","capacity_bytes":1000,"tenant":"acme"}'

test_expect_success 'init creates ledger, key and token with private modes' '
	"$SZ" init --state-dir st --origin test.example/sz >out &&
	grep -q "^initialised st" out &&
	[ "$(stat -c %a st)" = 700 ] &&
	[ "$(stat -c %a st/signing.key)" = 600 ] &&
	[ "$(stat -c %a st/admin.token)" = 600 ] &&
	grep -qE "^szt_[A-Za-z0-9_-]{43}$" st/admin.token &&
	[ "$(sqlite3 st/ledger.db "PRAGMA journal_mode")" = wal ]
'

test_expect_success 'init twice changes nothing and says so' '
	before=$(sha256sum st/signing.key st/admin.token; sqlite3 st/ledger.db "select count(*) from entries") &&
	"$SZ" init --state-dir st --origin test.example/sz >out &&
	grep -q "already initialised; nothing changed" out &&
	after=$(sha256sum st/signing.key st/admin.token; sqlite3 st/ledger.db "select count(*) from entries") &&
	[ "$before" = "$after" ]
'

test_expect_success 'the ledger records the key and the token, never the secret' '
	"$SZ" ledger show --state-dir st >show &&
	[ "$(wc -l <show)" = 2 ] &&
	grep -q "\"type\":\"key_created" show &&
	grep -q token_created show &&
	! grep -q "$(cut -c5- st/admin.token)" show &&
	! grep -aq "$(cut -c5- st/admin.token)" st/ledger.db
'

test_expect_success 'keys prints the note verifier, the JWKS and the PEM key' '
	"$SZ" keys --state-dir st >keys.json &&
	python3 -c "
import json, re, sys
k = json.load(open(\"keys.json\"))
assert re.fullmatch(r\"test\.example/sz\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\", k[\"note_verifier\"]), k
j = k[\"jwks\"][\"keys\"][0]
assert j[\"kty\"] == \"OKP\" and j[\"crv\"] == \"Ed25519\" and j[\"alg\"] == \"EdDSA\" and len(j[\"kid\"]) == 43
assert k[\"public_key_pem\"].startswith(\"-----BEGIN PUBLIC KEY-----\")
"
'

test_expect_success 'openssl reads signing.key and derives the same public key' '
	openssl pkey -in st/signing.key -pubout >pub-openssl.pem &&
	python3 -c "import json; print(json.load(open(\"keys.json\"))[\"public_key_pem\"], end=\"\")" >pub-ours.pem &&
	cmp pub-openssl.pem pub-ours.pem
'

test_expect_success 'the key ID and the JWK kid follow C2SP and RFC 7638' '
	vkey=$(python3 -c "import json; print(json.load(open(\"keys.json\"))[\"note_verifier\"])") &&
	id=$(echo "$vkey" | cut -d+ -f2) &&
	pub=$(openssl pkey -pubin -in pub-openssl.pem -outform DER | tail -c 32 | base64 -w0) &&
	[ "$id" = "$(python3 "$TOP/tests/rfc9162.py" keyid test.example/sz "$pub")" ] &&
	python3 -c "
import json, hashlib, base64
k = json.load(open(\"keys.json\"))[\"jwks\"][\"keys\"][0]
x = base64.urlsafe_b64encode(base64.b64decode(\"$pub\")).rstrip(b\"=\").decode()
assert k[\"x\"] == x
t = \"{\\\"crv\\\":\\\"Ed25519\\\",\\\"kty\\\":\\\"OKP\\\",\\\"x\\\":\\\"%s\\\"}\" % x
assert k[\"kid\"] == base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b\"=\").decode()
"
'

test_expect_success 'a group-readable signing.key is refused, nothing written' '
	n=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	chmod 640 st/signing.key &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject asset:a --type enrolled --data "$ENROL" 2>err &&
	chmod 600 st/signing.key &&
	grep -q "^sanitizerd: refusing to use st/signing.key: mode 0640 is readable by group or others" err &&
	[ "$(wc -l <err)" = 1 ] &&
	[ "$n" = "$(sqlite3 st/ledger.db "select count(*) from entries")" ]
'

test_expect_success 'a world-readable admin.token is refused' '
	chmod 604 st/admin.token &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject asset:a --type enrolled --data "$ENROL" 2>err &&
	chmod 600 st/admin.token &&
	grep -q "admin.token: mode 0604 is readable" err
'

test_expect_success 'a signing.key that is a symlink is refused' '
	mv st/signing.key st/real.key && ln -s real.key st/signing.key &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject asset:a --type enrolled --data "$ENROL" 2>err &&
	rm st/signing.key && mv st/real.key st/signing.key &&
	grep -q "^sanitizerd: .*signing.key" err
'

test_expect_success 'a key that is not the ledger'"'"'s is refused' '
	"$SZ" init --state-dir other --origin test.example/sz >/dev/null &&
	cp st/signing.key saved.key && cp other/signing.key st/signing.key &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject asset:a --type enrolled --data "$ENROL" 2>err;
	rc=$?; cp saved.key st/signing.key; [ $rc = 0 ] &&
	grep -q "not the key the ledger was created with" err
'

test_expect_success 'an incomplete state directory is refused, not overwritten' '
	mkdir -p half && echo junk >half/signing.key && chmod 600 half/signing.key &&
	test_expect_code 1 "$SZ" init --state-dir half 2>err &&
	grep -q "holds signing.key but not all three" err &&
	[ "$(cat half/signing.key)" = junk ] && [ ! -e half/ledger.db ]
'

test_expect_success 'an invalid origin is refused' '
	test_expect_code 1 "$SZ" init --state-dir bad --origin "has space" 2>err &&
	grep -q "invalid origin" err && [ ! -e bad/ledger.db ]
'

test_expect_success 'usage errors exit 2, --help exits 0 on every command' '
	test_expect_code 2 "$SZ" 2>/dev/null &&
	test_expect_code 2 "$SZ" frobnicate 2>err && grep -q "^sanitizerd: unknown command" err &&
	test_expect_code 2 "$SZ" init --bogus 2>/dev/null &&
	test_expect_code 2 "$SZ" ledger frob 2>/dev/null &&
	for c in init keys ledger version; do "$SZ" $c --help >h && grep -q usage h || exit 1; done &&
	"$SZ" --help | grep -q "^  ledger" &&
	"$SZ" version | grep -q "^sanitizerd [0-9]"
'

test_expect_success 'commands on a missing state directory fail clearly' '
	test_expect_code 1 "$SZ" keys --state-dir nowhere 2>err &&
	grep -q "^sanitizerd: cannot open nowhere/ledger.db" err
'

test_done
