#!/usr/bin/env bash
# The ledger from the command line: appends under the lifecycle, bad input,
# entries, proofs and checkpoints checked by code that is not sanitizerd's.
. "$(dirname "$0")/lib.sh"
PY="python3 $TOP/tests/rfc9162.py"

enrol() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type enrolled \
	--data "{\"serial\":\"SN-$1\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":4000,\"tenant\":\"acme\",\"asset_tag\":\"T-$1\"}"; }
ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}"; }
count() { sqlite3 st/ledger.db "select count(*) from entries"; }

test_expect_success 'setup' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null
'

test_expect_success 'append prints the canonical entry, custom fields kept' '
	enrol d1 >e1 &&
	python3 -c "
import json
t = open(\"e1\").read().rstrip(\"\\n\")
e = json.loads(t)
assert t == json.dumps(e, sort_keys=True, separators=(\",\", \":\"), ensure_ascii=False), t
assert e[\"v\"] == 1 and e[\"seq\"] == 2 and e[\"subject\"] == \"asset:d1\" and e[\"type\"] == \"enrolled\"
assert e[\"data\"][\"asset_tag\"] == \"T-d1\" and e[\"actor\"] == \"local:cli\"
import re; assert re.fullmatch(r\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\", e[\"time\"])
"
'

test_expect_success 'a whole legal lifecycle' '
	ev d1 deployed "{\"host\":\"web1\",\"slot\":4}" >/dev/null &&
	ev d1 patch_audit "{\"host\":\"web1\",\"checks\":[{\"id\":\"CVE-2014-6271\",\"status\":\"patched\"}]}" >/dev/null &&
	ev d1 removed "{\"reason\":\"upgrade\"}" >/dev/null &&
	ev d1 retired >/dev/null &&
	ev d1 sanitize_started "{\"method\":\"clear-zero\"}" >/dev/null &&
	ev d1 sanitize_completed "{\"verification\":\"passed\"}" >/dev/null &&
	ev d1 certificate_issued "{\"sha256\":\"00\"}" >/dev/null &&
	ev d1 custody_transfer "{\"from\":\"dc1\",\"to\":\"vendor\"}" >/dev/null &&
	ev d1 shipped "{\"carrier\":\"ups\",\"seal\":\"X1\"}" >/dev/null &&
	ev d1 destroyed "{\"facility\":\"ShredCo\",\"method\":\"shred\",\"particle_size_mm\":2}" >/dev/null &&
	ev d1 note "{\"text\":\"done\"}" >/dev/null &&
	[ "$(sqlite3 st/ledger.db "select state from subjects where subject = '"'"'asset:d1'"'"'")" = destroyed ]
'

test_expect_success 'illegal transitions exit 1 with the reason, nothing written' '
	enrol d2 >/dev/null && n=$(count) &&
	test_expect_code 1 ev d2 sanitize_started 2>err &&
	grep -q "^sanitizerd: cannot append: cannot record sanitize_started: asset:d2 is received$" err &&
	test_expect_code 1 ev d2 removed 2>/dev/null &&
	test_expect_code 1 enrol d2 2>err && grep -q "exists already" err &&
	test_expect_code 1 ev d1 patch_audit "{\"host\":\"h\",\"checks\":[{\"id\":\"x\",\"status\":\"patched\"}]}" 2>/dev/null &&
	test_expect_code 1 ev d1 deployed "{\"host\":\"h\"}" 2>/dev/null &&
	test_expect_code 1 ev nope retired 2>err && grep -q "does not exist" err &&
	[ "$n" = "$(count)" ]
'

test_expect_success 'bad input: a clear error and nothing written' '
	n=$(count) &&
	test_expect_code 2 ev d2 note "{not json" 2>err && grep -q "^sanitizerd: invalid --data" err &&
	test_expect_code 1 ev d2 note "{\"x\":1.5}" 2>err && grep -q "integers" err &&
	test_expect_code 1 ev d2 note "[1]" 2>err && grep -q "data must be a JSON object" err &&
	test_expect_code 1 ev d2 teleported 2>err && grep -q "unknown entry type" err &&
	test_expect_code 1 ev d2 deployed "{\"slot\":1}" 2>err && grep -q "data.host is required" err &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject "asset:../x" --type note --data "{}" 2>err &&
	grep -q "invalid subject" err &&
	printf "{\"s\":\"\\377\"}" >bad-utf8 && test_expect_code 2 ev d2 note "$(cat bad-utf8)" 2>/dev/null &&
	big=$(head -c 70000 /dev/zero | tr "\\0" a) &&
	test_expect_code 1 ev d2 note "{\"pad\":\"$big\"}" 2>err && grep -q "larger than 65536" err &&
	test_expect_code 1 "$SZ" ledger append --state-dir st --subject asset:d2 --type note --time 2020 --data "{}" 2>/dev/null &&
	test_expect_code 2 "$SZ" ledger append --state-dir st --subject asset:d2 --data "{}" 2>/dev/null &&
	[ "$n" = "$(count)" ]
'

test_expect_success 'show: one entry, a range, all; leaf hash is SHA-256(0x00 || entry)' '
	"$SZ" ledger show --state-dir st 3 >one && [ "$(wc -l <one)" = 1 ] &&
	"$SZ" ledger show --state-dir st --from 2 --to 5 >range && [ "$(wc -l <range)" = 4 ] &&
	"$SZ" ledger show --state-dir st >all && [ "$(wc -l <all)" = "$(count)" ] &&
	python3 -c "
import json, hashlib
for line in open(\"all\"):
    r = json.loads(line)
    assert hashlib.sha256(b\"\\0\" + r[\"canonical\"].encode()).hexdigest() == r[\"leaf_hash\"], r
    assert json.loads(r[\"canonical\"]) == r[\"entry\"], r
    assert r[\"entry\"][\"seq\"] == r[\"seq\"]
" &&
	test_expect_code 1 "$SZ" ledger show --state-dir st 999 2>err && grep -q "no entry 999" err &&
	test_expect_code 2 "$SZ" ledger show --state-dir st -1 2>/dev/null &&
	test_expect_code 2 "$SZ" ledger show --state-dir st 01 2>/dev/null
'

test_expect_success 'the checkpoint verifies with openssl under the published key' '
	"$SZ" ledger checkpoint --state-dir st >cp &&
	head -n 3 cp >body &&
	[ "$(sed -n 1p cp)" = test.example/sz ] && [ "$(sed -n 2p cp)" = "$(count)" ] &&
	[ -z "$(sed -n 4p cp)" ] &&
	sed -n 5p cp | grep -q "^— test.example/sz " &&
	sed -n 5p cp | cut -d" " -f3 | base64 -d | tail -c 64 >sig &&
	"$SZ" keys --state-dir st | python3 -c "import json,sys; print(json.load(sys.stdin)[\"public_key_pem\"], end=\"\")" >pub.pem &&
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in body -sigfile sig &&
	printf "x" >>body && ! openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in body -sigfile sig
'

test_expect_success 'every inclusion proof verifies with an independent RFC 9162 verifier' '
	root=$(sed -n 3p cp) && n=$(count) && s=0 &&
	while [ $s -lt $n ]; do
		"$SZ" ledger proof inclusion --state-dir st $s >p &&
		leaf=$(sed -n "$((s + 1))p" all | python3 -c "import json,sys; print(json.load(sys.stdin)[\"leaf_hash\"])") &&
		$PY inclusion p "$leaf" "$root" || { echo "seq $s"; exit 1; }
		s=$((s + 1))
	done &&
	"$SZ" ledger proof inclusion --state-dir st 1 >p && ! $PY inclusion p "$(python3 -c "print(\"00\"*32)")" "$root"
'

test_expect_success 'consistency proofs from every older checkpoint verify' '
	n=$(count) && root=$(sed -n 3p cp) &&
	sqlite3 st/ledger.db "select size from checkpoints where size < $n" >sizes && [ -s sizes ] &&
	while read m; do
		sqlite3 st/ledger.db "select note from checkpoints where size = $m" >old &&
		"$SZ" ledger proof consistency --state-dir st $m $n >p &&
		$PY consistency p "$(sed -n 3p old)" "$root" || { echo "from $m"; exit 1; }
	done <sizes &&
	m=$(head -n1 sizes) && "$SZ" ledger proof consistency --state-dir st $m $n >p &&
	! $PY consistency p "$root" "$root"
'

test_expect_success 'proof arguments are checked' '
	n=$(count) &&
	test_expect_code 1 "$SZ" ledger proof inclusion --state-dir st $n 2>err && grep -q "not in a tree" err &&
	test_expect_code 1 "$SZ" ledger proof inclusion --state-dir st 0 $((n + 1)) 2>err && grep -q "larger than the ledger" err &&
	test_expect_code 1 "$SZ" ledger proof consistency --state-dir st 0 $n 2>/dev/null &&
	test_expect_code 2 "$SZ" ledger proof consistency --state-dir st 1 2>/dev/null &&
	test_expect_code 2 "$SZ" ledger proof sideways --state-dir st 1 2 2>/dev/null
'

test_expect_success 'an auditor copy verifies with nothing but the file' '
	mkdir audit && sqlite3 st/ledger.db ".backup audit/ledger.db" &&
	"$SZ" ledger verify --ledger audit/ledger.db >out && grep -q "ledger verified: $(count) entries" out &&
	"$SZ" ledger show --ledger audit/ledger.db 0 | grep -q key_created
'

test_done
