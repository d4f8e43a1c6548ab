#!/usr/bin/env bash
# sanitizerd audit-host: the Shellshock probe from the command line, recorded
# in the local ledger as host_audit entries linked to the drives deployed on
# the host.  The system bash is patched; the stand-ins built from
# tests/helpers (vulnerable, hanging, crashing) are vulnerable and still
# recorded; a binary that is no bash records nothing.
#
# Not here yet: --server (POST /v1/hosts/{name}/patch-audits).  Only its
# refusals before any request are tested; the API's engineer adds the
# loopback round trip once the route exists (a tests/t3xxx script with
# `sanitizerd serve` on 127.0.0.1 and an admin-made technician token).
. "$(dirname "$0")/lib.sh"

for h in fakebash_vuln fakebash_hang fakebash_crash; do
	[ -x "$HELPERS/$h" ] || skip_all "build/tests/$h is not built (make build/tests/$h)"
done
[ -x /bin/bash ] || skip_all "no /bin/bash to test"

count() { sqlite3 st/ledger.db "select count(*) from entries"; }
last() { sqlite3 st/ledger.db "select entry from entries order by seq desc limit 1"; }
app() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "$3" >/dev/null; }
# py FILE EXPR...: assertions over the JSON in FILE, bound to e
py() { f=$1; shift; python3 -c "
import json, sys
e = json.loads(open('$f').read().splitlines()[-1])
$*
"; }

test_expect_success 'setup: a ledger with drives on web1 and web2' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null &&
	for d in d1 d2 d3; do
		app $d enrolled "{\"serial\":\"S-$d\",\"model\":\"M\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" || exit 1
	done &&
	app d1 deployed "{\"host\":\"web1\"}" &&
	app d2 deployed "{\"host\":\"web2\"}" &&
	app d3 deployed "{\"host\":\"web1\"}" && app d3 removed "{}"
'

test_expect_success '--help documents the exit status' '
	"$SZ" audit-host --help >out && grep -q "^Exit status: 0 every check ran" out &&
	grep -q -- "--bash PATH" out && grep -q -- "--token-file F" out &&
	"$SZ" --help | grep -q "audit-host"
'

test_expect_success 'the system bash is patched for every check, recorded, exit 0' '
	n=$(count) &&
	"$SZ" audit-host --state-dir st --host web1 >out &&
	[ "$(grep -c "^CVE-2014-[0-9]* *patched " out)" = 6 ] &&
	for c in 6271 7169 7186 7187 6277 6278; do grep -q "^CVE-2014-$c " out || exit 1; done &&
	[ "$(count)" = $((n + 1)) ] && grep -q "^recorded: host:web1 seq $n$" out &&
	last >e && py e "
assert e[\"subject\"] == \"host:web1\" and e[\"type\"] == \"host_audit\" and e[\"actor\"] == \"local:audit-host\", e
d = e[\"data\"]
assert d[\"host\"] == \"web1\" and d[\"assets\"] == [\"d1\"], d
assert d[\"scanner\"].startswith(\"sanitizerd-audit-host/\") and d[\"bash\"] == \"/bin/bash\", d
assert [c[\"id\"] for c in d[\"checks\"]] == [\"CVE-2014-6271\", \"CVE-2014-7169\", \"CVE-2014-7186\", \"CVE-2014-7187\", \"CVE-2014-6277\", \"CVE-2014-6278\"], d
assert all(c[\"status\"] == \"patched\" and c[\"evidence\"] for c in d[\"checks\"]), d
"
'

test_expect_success '--json prints the checks and the recorded entry' '
	n=$(count) &&
	"$SZ" audit-host --state-dir st --host web2 --json >out && [ "$(wc -l <out)" = 1 ] &&
	py out "
assert e[\"host\"] == \"web2\" and e[\"bash\"] == \"/bin/bash\", e
assert len(e[\"checks\"]) == 6 and all(c[\"status\"] == \"patched\" for c in e[\"checks\"]), e
assert e[\"entry\"][\"seq\"] == $n and e[\"entry\"][\"data\"][\"assets\"] == [\"d2\"], e
"
'

test_expect_success 'a vulnerable bash: every check vulnerable, still recorded, exit 1' '
	n=$(count) &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash "$HELPERS/fakebash_vuln" >out 2>err &&
	[ "$(grep -c "^CVE-2014-[0-9]* *vulnerable " out)" = 6 ] &&
	grep -q "^sanitizerd: .*fakebash_vuln is vulnerable$" err &&
	[ "$(count)" = $((n + 1)) ] && last >e && py e "
d = e[\"data\"]
assert all(c[\"status\"] == \"vulnerable\" for c in d[\"checks\"]), d
ev = {c[\"id\"]: c[\"evidence\"] for c in d[\"checks\"]}
assert \"SZPROBE_VULNERABLE\" in ev[\"CVE-2014-6271\"] and \"./echo\" in ev[\"CVE-2014-7169\"], ev
assert \"exit status 1\" in ev[\"CVE-2014-7186\"] and \"SIGSEGV\" in ev[\"CVE-2014-7187\"], ev
"
'

test_expect_success 'a hanging bash: every check times out, in time, recorded vulnerable' '
	n=$(count) && start=$(date +%s) &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash "$HELPERS/fakebash_hang" \
		--timeout-ms 300 >out 2>err &&
	[ $(( $(date +%s) - start )) -le 8 ] &&
	[ "$(grep -c "timed out after 300 ms" out)" = 6 ] &&
	[ "$(count)" = $((n + 1)) ] &&
	! pgrep -f "$HELPERS/fakebash_hang" >/dev/null
'

test_expect_success 'a crashing bash: vulnerable by signal, recorded' '
	n=$(count) &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash "$HELPERS/fakebash_crash" >out 2>err &&
	[ "$(grep -c "killed by signal 11 (SIGSEGV)" out)" = 6 ] && [ "$(count)" = $((n + 1)) ]
'

test_expect_success 'no bash at all, or one that is no shell: exit 1, nothing recorded' '
	n=$(count) &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash /bin/true >out 2>err &&
	grep -q "inconclusive" err && [ "$(grep -c inconclusive out)" = 6 ] &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash ./nope 2>err &&
	grep -q "^sanitizerd: cannot execute ./nope: " err &&
	test_expect_code 1 "$SZ" audit-host --state-dir st --host web1 --bash . 2>err &&
	grep -q "not a regular file" err &&
	[ "$(count)" = "$n" ]
'

test_expect_success '--dry-run records nothing' '
	n=$(count) &&
	"$SZ" audit-host --dry-run --host web1 >out && [ "$(grep -c patched out)" = 6 ] &&
	! grep -q recorded out && [ "$(count)" = "$n" ]
'

test_expect_success 'usage errors exit 2, before any check runs' '
	n=$(count) &&
	test_expect_code 2 "$SZ" audit-host --state-dir st --host "web 1" 2>err && grep -q "invalid host name" err &&
	test_expect_code 2 "$SZ" audit-host --state-dir st --host "a..b" 2>/dev/null &&
	test_expect_code 2 "$SZ" audit-host --state-dir st --host web1 extra 2>/dev/null &&
	test_expect_code 2 "$SZ" audit-host --state-dir st --dry-run --host web1 2>err && grep -q "choose one" err &&
	test_expect_code 2 "$SZ" audit-host --server http://127.0.0.1:1 --host web1 2>err && grep -q "go together" err &&
	test_expect_code 2 "$SZ" audit-host --timeout-ms 0 --dry-run 2>/dev/null &&
	test_expect_code 2 "$SZ" audit-host --bogus 2>/dev/null &&
	test_expect_code 1 "$SZ" audit-host --state-dir nowhere --host web1 2>err && grep -q "nowhere" err &&
	[ "$(count)" = "$n" ]
'

test_expect_success '--server: a token file others can read is refused; a bad URL is a usage error' '
	printf "szt_abc\n" >tok && chmod 644 tok &&
	test_expect_code 1 "$SZ" audit-host --host web1 --server http://127.0.0.1:1 --token-file tok 2>err &&
	grep -q "lets group or others read it" err &&
	chmod 600 tok &&
	test_expect_code 2 "$SZ" audit-host --host web1 --server ftp://127.0.0.1/ --token-file tok 2>err &&
	grep -q "invalid --server" err &&
	printf "two words\n" >tok2 && chmod 600 tok2 &&
	test_expect_code 1 "$SZ" audit-host --host web1 --server http://127.0.0.1:1 --token-file tok2 2>err &&
	grep -q "not a token" err
'

test_expect_success '--server: an unreachable daemon (loopback) fails with exit 1' '
	test_expect_code 1 "$SZ" audit-host --host web1 --server http://127.0.0.1:1 --token-file tok >out 2>err &&
	grep -q "^sanitizerd: cannot post the audit to http://127.0.0.1:1/v1/hosts/web1/patch-audits: " err
'

test_expect_success 'the ledger still verifies, audits and all' '
	"$SZ" ledger verify --state-dir st >out && grep -q "ledger verified" out
'

test_done
