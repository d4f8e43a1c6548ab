#!/usr/bin/env bash
# The issuer on certificates (init --org-*, kept in the state directory, used
# by cert issue and serve) and serve's configuration file (key = value, the
# command line over it, a bad line named by file:line, exit 2).  Issue 15.
. "$(dirname "$0")/lib.sh"

for t in jq python3 curl; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/deps.sh installs it)"
done

ev() { "$SZ" ledger append --state-dir "$1" --subject "asset:$2" --type "$3" --data "${4:-{\}}" >/dev/null; }
# sanitized DIR ID: an asset whose last sanitization passed (a certificate may be issued)
sanitized() {
	ev "$1" "$2" enrolled "{\"serial\":\"SN-$2\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4096,\"tenant\":\"acme\"}" &&
	ev "$1" "$2" retired && ev "$1" "$2" sanitize_started "{\"method\":\"clear-zero\"}" &&
	ev "$1" "$2" sanitize_completed "{\"job_id\":\"job-$2\",\"method\":\"clear-zero\",\"category\":\"clear\",\"technique\":\"Overwrite\",\"verification\":{\"method\":\"full\",\"result\":\"passed\",\"bytes_read\":4096},\"passes\":1,\"bytes_written\":4096,\"duration_ms\":7,\"tool\":{\"name\":\"sanitizerd\",\"version\":\"0.1.0\"},\"device\":{\"path\":\"/dev/loop9\",\"identity\":\"loop:/srv/$2.img\",\"model\":\"M\",\"serial\":\"SN-$2\",\"wwn\":\"\",\"transport\":\"loop\"},\"started_at\":\"2026-01-01T10:00:00.000Z\",\"completed_at\":\"2026-01-01T10:20:00.000Z\"}"
}
b64url_d() { local s; s=$(tr -- '-_' '+/'); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s" | base64 -d; }
# issuer FILE: the organization member of the certificate whose JWS is in FILE's .jws
issuer() { jq -r .jws "$1" | cut -d. -f2 | b64url_d | jq -cS .organization; }

test_expect_success 'init --org-*: stored in the state directory, private' '
	"$SZ" init --state-dir st --org-name "José Müller GmbH" --org-location "Berlin, DE" \
		--org-phone "+49 30 0000" >out &&
	grep -q "^initialised st" out &&
	[ "$(stat -c %a st/organization.json)" = 600 ] &&
	jq -e ".name == \"José Müller GmbH\" and .location == \"Berlin, DE\" and .phone == \"+49 30 0000\"" \
		st/organization.json
'

test_expect_success 'cert issue prints the stored issuer; --org overrides one detail' '
	sanitized st d1 && sanitized st d2 &&
	"$SZ" cert issue d1 --state-dir st >c1.json &&
	[ "$(issuer c1.json)" = "{\"address\":\"Berlin, DE\",\"name\":\"José Müller GmbH\",\"phone\":\"+49 30 0000\"}" ] &&
	"$SZ" cert issue d2 --state-dir st --org "Other Org" >c2.json &&
	[ "$(issuer c2.json)" = "{\"address\":\"Berlin, DE\",\"name\":\"Other Org\",\"phone\":\"+49 30 0000\"}" ]
'

test_expect_success 'without a stored issuer: none on the certificate, as before' '
	"$SZ" init --state-dir bare </dev/null >/dev/null && test ! -e bare/organization.json &&
	sanitized bare b1 && "$SZ" cert issue b1 --state-dir bare >b1.json &&
	[ "$(issuer b1.json)" = "{}" ]
'

test_expect_success 'init again with one --org-*: that one changes, the rest stays, the key too' '
	key=$(sha256sum <st/signing.key) &&
	"$SZ" init --state-dir st --org-phone "+49 30 1111" >out &&
	grep -q "already initialised; the organisation is updated" out &&
	jq -e ".name == \"José Müller GmbH\" and .phone == \"+49 30 1111\"" st/organization.json &&
	[ "$(sha256sum <st/signing.key)" = "$key" ] && test ! -e st/organization.json.new
'

test_expect_success 'init refuses an issuer that cannot print on one line (exit 2, nothing changed)' '
	before=$(cat st/organization.json) &&
	test_expect_code 2 "$SZ" init --state-dir st --org-name "$(printf "a\nb")" 2>err &&
	grep -q "^sanitizerd: invalid --org-name" err &&
	test_expect_code 2 "$SZ" init --state-dir st --org-location "$(head -c 201 /dev/zero | tr "\\0" x)" 2>/dev/null &&
	test_expect_code 2 "$SZ" init --state-dir st --org-phone "" 2>/dev/null &&
	test_expect_code 2 "$SZ" init --state-dir st --org-name "$(printf "\\377")" 2>/dev/null &&
	[ "$(cat st/organization.json)" = "$before" ]
'

if command -v script >/dev/null; then
	test_expect_success 'init on a terminal asks for what was not given (empty: left out)' '
		printf "Acme Recycling\n\n" | script -qec "\"$SZ\" init --state-dir tty --org-phone 555-0100" /dev/null >typed &&
		grep -q "organisation name (printed on certificates" typed &&
		grep -q "organisation location" typed && ! grep -q "organisation phone" typed &&
		jq -e ". == {\"name\":\"Acme Recycling\",\"phone\":\"555-0100\"}" tty/organization.json
	'
else
	test_skip 'init on a terminal asks' 'needs script(1) from util-linux'
fi

test_expect_success 'a corrupt organization.json stops cert issue and serve, not an empty issuer' '
	cp -r st bad && echo "[1]" >bad/organization.json && chmod 600 bad/organization.json &&
	sanitized bad d3 &&
	test_expect_code 1 "$SZ" cert issue d3 --state-dir bad 2>err && grep -q "not a JSON object" err &&
	test_expect_code 1 "$SZ" serve --state-dir bad --listen 127.0.0.1:1 2>err &&
	grep -q "^sanitizerd: invalid .*organization.json: not a JSON object" err
'

cat >c.conf <<'EOF'
# sanitizerd.conf for the test
   # an indented comment, and blank lines

org-name = "  Conf Org  "
checkpoint-every=100
max-jobs = 2
EOF

test_expect_success_here 'serve: the configuration file over the stored issuer' '
	sz_serve st --config c.conf &&
	sanitized st d4 &&
	[ "$(api POST /v1/assets/d4/certificate "$ADMIN" "{}")" = 201 ] &&
	[ "$(issuer body)" = "{\"address\":\"Berlin, DE\",\"name\":\"  Conf Org  \",\"phone\":\"+49 30 1111\"}" ] &&
	kill $SZPID && wait $SZPID
'

test_expect_success_here 'serve: a flag overrides the file' '
	sz_serve st --config c.conf --org-name "Flag Org" &&
	sanitized st d5 &&
	[ "$(api POST /v1/assets/d5/certificate "$ADMIN" "{}")" = 201 ] &&
	[ "$(issuer body | jq -r .name)" = "Flag Org" ] &&
	kill $SZPID && wait $SZPID
'

# bad_conf TEXT WANT: serve refuses the file with exit 2 and a message matching WANT
bad_conf() {
	printf "%b" "$1" >bad.conf &&
	test_expect_code 2 "$SZ" serve --config bad.conf --state-dir st --listen 127.0.0.1:1 >out 2>err &&
	test ! -s out && head -n 1 err | grep -q -- "$2" || { cat err; false; }
}

test_expect_success 'a bad configuration line: file:line and what is wrong, exit 2' '
	bad_conf "threads = 4\nbogus = 1\n" "^sanitizerd: bad.conf:2: unknown key .bogus." &&
	bad_conf "# c\nthreads 4\n" "^sanitizerd: bad.conf:2: want key = value" &&
	bad_conf "threads = 0\n" "^sanitizerd: bad.conf:1: invalid value .0. for threads" &&
	bad_conf "threads = \n" "^sanitizerd: bad.conf:1: invalid value .. for threads" &&
	bad_conf "threads = 4\n\nthreads = 5\n" "^sanitizerd: bad.conf:3: threads is already set on line 1" &&
	bad_conf "org-name = \"Acme\n" "^sanitizerd: bad.conf:1: unbalanced quote" &&
	bad_conf "config = other.conf\n" "^sanitizerd: bad.conf:1: unknown key .config." &&
	bad_conf "help = 1\n" "^sanitizerd: bad.conf:1: unknown key .help." &&
	bad_conf "a\0b = c\n" "^sanitizerd: bad.conf: a NUL byte"
'

test_expect_success 'a missing --config file is an error; a missing default file is none' '
	test_expect_code 2 "$SZ" serve --config nowhere.conf --state-dir st 2>err &&
	grep -q "^sanitizerd: cannot read nowhere.conf: No such file" err &&
	head -c 70000 /dev/zero | tr "\\0" "#" >big.conf &&
	test_expect_code 2 "$SZ" serve --config big.conf --state-dir st 2>err && grep -q "larger than 64 KiB" err
'

test_expect_success 'the example configuration (dist/) sets nothing and parses' '
	sz_serve_ok() { "$SZ" serve --config "$TOP/dist/sanitizerd.conf" --state-dir st --listen 127.0.0.1:1 --threads 0; } &&
	test_expect_code 2 sz_serve_ok 2>err && grep -q "invalid value .0. for --threads" err &&
	! grep -q "sanitizerd.conf:" err
'

test_done
