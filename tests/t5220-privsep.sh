#!/usr/bin/env bash
# Privilege separation (issue 12): `sanitizerd serve` is a parent and three
# children.  The http child runs as another user with no capabilities,
# no_new_privs and seccomp, and cannot open the signing key, the ledger or a
# loop device the test made (the test build's SZ_TEST_HTTP_PROBE makes it
# try).  kill -9 of each child, during concurrent appends and during a wipe:
# the parent restarts it, requests in flight fail cleanly (503 or a cut
# connection, never a 201 that is not in the ledger), every acknowledged
# append is in the ledger, no asset stays sanitizing, and the ledger verifies.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
require_loop
[ -x "$TOP/build/asan/sanitizerd" ] || skip_all "build/asan/sanitizerd is not built (make build/asan/sanitizerd)"
# the test build: its SZ_TEST_HTTP_PROBE and SZ_TEST_WRITER_DELAY_MS
SZ="$TOP/build/asan/sanitizerd"
export ASAN_OPTIONS=detect_leaks=0
MiB=1048576

field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# restarted ROLE OLDPID: wait (20 s) until the parent runs a new ROLE child that serves
restarted() {
	local i p
	for i in $(seq 400); do
		p=$(sz_child $SZPID "$1") && [ "$p" != "$2" ] && curl -s -m 2 "$URL/healthz" >/dev/null && { echo "$p"; return 0; }
		sleep 0.05
	done
	echo "no new $1 process" >&2; return 1
}
identity() { echo "loop:$(cat /sys/block/$(basename "$1")/loop/backing_file)"; }
asset() {
	api POST /v1/assets "$TECH" "{\"serial\":\"$(identity $1)\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$2,\"tenant\":\"acme\"}" >/dev/null &&
	local id=$(jget id <body) &&
	[ "$(api POST /v1/assets/$id/events "$TECH" "{\"type\":\"retired\"}")" = 201 ] && echo "$id"
}
wait_job() {
	local id=$1 i s; shift
	for i in $(seq 1200); do
		api GET /v1/jobs/$id "$TECH" >/dev/null; s=$(jget state <body 2>/dev/null)
		for w in "$@"; do [ "$s" = "$w" ] && return 0; done
		sleep 0.05
	done
	echo "job $id is $s"; cat body; return 1
}
state_of() { sqlite3 st/ledger.db "select state from subjects where subject = 'asset:$1'"; }
none_sanitizing() { [ "$(sqlite3 st/ledger.db "select count(*) from subjects where state = 'sanitizing'")" = 0 ]; }

# appends.py URL TOKEN OUT SECONDS: 8 clients POST events for SECONDS; OUT gets
# "status seq marker" per request (status 0: the connection failed)
cat >appends.py <<'EOF'
import http.client, json, sys, threading, time, urllib.parse
url, token, out, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
assets = sys.argv[5:]
u = urllib.parse.urlparse(url)
lock = threading.Lock()
lines = []
def client(k):
    n = 0
    end = time.time() + secs
    while time.time() < end:
        n += 1
        marker = "c%d-%d" % (k, n)
        body = json.dumps({"type": "note", "data": {"marker": marker}})
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
            c.request("POST", "/v1/assets/%s/events" % assets[k % len(assets)], body,
                      {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            seq = json.loads(data).get("seq", "-") if r.status == 201 else "-"
            st = r.status
            c.close()
        except Exception:
            st, seq = 0, "-"
            time.sleep(0.05)
        with lock:
            lines.append("%s %s %s" % (st, seq, marker))
ts = [threading.Thread(target=client, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
open(out, "w").write("\n".join(lines) + "\n")
EOF
# check_acks OUT: every 201 is in the ledger with its marker; only 201, 503 and cut connections
check_acks() {
	awk '$1 != 201 && $1 != 503 && $1 != 0 { print "unexpected status: " $0; bad = 1 } END { exit bad }' "$1" &&
	n=$(awk '$1 == 201' "$1" | wc -l) && [ "$n" -gt 20 ] &&
	awk '$1 == 201 { print $2, $3 }' "$1" | python3 -c '
import sqlite3, sys, json
db = sqlite3.connect("file:st/ledger.db?mode=ro", uri=True)
missing = 0
for line in sys.stdin:
    seq, marker = line.split()
    row = db.execute("select entry from entries where seq = ?", (int(seq),)).fetchone()
    if not row or json.loads(row[0])["data"].get("marker") != marker:
        print("acknowledged but not in the ledger:", seq, marker); missing += 1
sys.exit(1 if missing else 0)' &&
	echo "$n acknowledged appends, all in the ledger; $(awk '$1 != 201' "$1" | wc -l) refused or cut"
}

test_expect_success_here 'setup: a daemon, its three children, a technician, assets over loop devices' '
	"$SZ" init --state-dir st >/dev/null &&
	truncate -s $((96 * MiB)) d1.img d2.img && D1=$(loop_attach d1.img) && D2=$(loop_attach d2.img) &&
	SZ_TEST_HTTP_PROBE="$TRASH/st/signing.key:$TRASH/st/ledger.db:$TRASH/st/admin.token:$D1:/etc/hostname" \
		sz_serve st &&
	L=$(sz_child $SZPID ledger) && DV=$(sz_child $SZPID devices) && H=$(sz_child $SZPID http) &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	A1=$(asset $D1 $((96 * MiB))) && A2=$(asset $D2 $((96 * MiB))) &&
	N1=$(api POST /v1/assets "$TECH" "{\"serial\":\"N-1\",\"model\":\"m\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" >/dev/null; jget id <body) &&
	N2=$(api POST /v1/assets "$TECH" "{\"serial\":\"N-2\",\"model\":\"m\",\"media_type\":\"hdd\",\"capacity_bytes\":1,\"tenant\":\"acme\"}" >/dev/null; jget id <body) &&
	[ -n "$N1" ] && [ -n "$N2" ]
'

test_expect_success 'the http process: not root, no capabilities, no_new_privs, seccomp filter mode' '
	uid=$(field $H Uid) && echo "http Uid: $uid" &&
	for u in $uid; do [ "$u" != 0 ] || exit 1; done &&
	[ "$(field $H Gid | awk "{print \$1}")" != 0 ] &&
	[ "$(field $H CapEff)" = 0000000000000000 ] && [ "$(field $H CapPrm)" = 0000000000000000 ] &&
	[ "$(field $H CapInh)" = 0000000000000000 ] && [ "$(field $H CapBnd)" = 0000000000000000 ] &&
	[ "$(field $H CapAmb)" = 0000000000000000 ] &&
	[ "$(field $H NoNewPrivs)" = 1 ] && [ "$(field $H Seccomp)" = 2 ] &&
	[ "$(stat -c %u /proc/$H/environ)" = 0 ]	# not dumpable: its /proc files are root'"'"'s (proc(5))
'

test_expect_success 'the ledger and devices processes: root, children of the parent, each the binary again' '
	[ "$(field $L Uid | awk "{print \$1}")" = 0 ] && [ "$(field $DV Uid | awk "{print \$1}")" = 0 ] &&
	# the key holder: uid 0 for its files, but no capability at all, and no_new_privs
	[ "$(field $L CapEff)" = 0000000000000000 ] && [ "$(field $L CapBnd)" = 0000000000000000 ] &&
	[ "$(field $L NoNewPrivs)" = 1 ] &&
	# devices: CAP_SYS_ADMIN (21) and CAP_SYS_RAWIO (17), not CAP_SETUID (7), CAP_SETPCAP (8), CAP_SYS_CHROOT (18), CAP_NET_ADMIN (12)
	e=$((0x$(field $DV CapEff))) && [ $((e >> 21 & 1)) = 1 ] && [ $((e >> 17 & 1)) = 1 ] &&
	[ $((e >> 7 & 1)) = 0 ] && [ $((e >> 8 & 1)) = 0 ] && [ $((e >> 18 & 1)) = 0 ] && [ $((e >> 12 & 1)) = 0 ] &&
	[ "$(field $H PPid)" = "$SZPID" ] && [ "$(field $L PPid)" = "$SZPID" ] && [ "$(field $DV PPid)" = "$SZPID" ] &&
	# each child is the binary again (fexecve), not a fork of the parent that read the state: own maps
	[ "$(readlink /proc/$L/exe)" = "$(readlink /proc/$SZPID/exe)" ]
'

test_expect_success 'the http process tried to open the key, the ledger, the admin token, a loop device, /etc: all refused' '
	for p in "$TRASH/st/signing.key" "$TRASH/st/ledger.db" "$TRASH/st/admin.token" "$D1" /etc/hostname; do
		grep -q "probe: open $p: Permission denied" "$TRASH/serve.log" || { echo "not refused: $p"; grep probe "$TRASH/serve.log"; exit 1; }
	done &&
	! grep -q "probe: open .*: opened" "$TRASH/serve.log"
'

test_expect_success 'the http process still reads the ledger it may not open: GET while the ledger grows' '
	[ "$(api GET /v1/assets/$N1 "$TECH")" = 200 ] && [ "$(api GET /v1/ledger/checkpoint)" = 200 ] &&
	[ "$(api POST /v1/assets/$N1/events "$TECH" "{\"type\":\"note\",\"data\":{\"x\":1}}")" = 201 ] &&
	seq=$(jget seq <body) && [ "$(api GET /v1/ledger/entries/$seq "$ADMIN")" = 200 ]
'

test_expect_success 'a role the http process claims is not believed: the ledger takes the caller from its token' '
	AUD=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"auditor\"}" >/dev/null; jget token <body) &&
	[ "$(api POST /v1/assets/$N1/events "$AUD" "{\"type\":\"note\",\"data\":{}}")" = 403 ]
'

for victim in ledger http devices; do
test_expect_success "kill -9 of the $victim process during concurrent appends: restarted, every acknowledged append kept" '
	old=$(sz_child $SZPID '$victim') &&
	{ python3 appends.py "$URL" "$TECH" acks.'$victim' 4 $N1 $N2 & c=$!; } &&
	sleep 1.2 && kill -9 $old &&
	new=$(restarted '$victim' $old) && wait $c &&
	grep -q "the '$victim' process $old was killed by signal 9" "$TRASH/serve.log" &&
	check_acks acks.'$victim' &&
	[ "$(api POST /v1/assets/$N1/events "$TECH" "{\"type\":\"note\",\"data\":{\"after\":\"'$victim'\"}}")" = 201 ] &&
	"$TOP/build/sanitizerd" ledger verify --state-dir st >/dev/null
'
done

test_expect_success_here 'a request in flight when the ledger dies fails at once with 503, and is not in the ledger' '
	sz_crash $SZPID &&
	SZ_TEST_WRITER_DELAY_MS=3000 sz_serve st &&
	L=$(sz_child $SZPID ledger) &&
	{ curl -s -m 20 -o slow.body -w "%{http_code}" -X POST -H "Authorization: Bearer $TECH" -H "Content-Type: application/json" \
		--data-binary "{\"type\":\"note\",\"data\":{\"marker\":\"in-flight\"}}" "$URL/v1/assets/$N1/events" >slow.code & c=$!; } &&
	sleep 1 && t0=$(date +%s%N) && kill -9 $L && wait $c && t1=$(date +%s%N) &&
	[ "$(cat slow.code)" = 503 ] && grep -q "the ledger process ended before it answered" slow.body &&
	[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] &&
	restarted ledger $L >/dev/null &&
	[ "$(sqlite3 st/ledger.db "select count(*) from entries where entry like '"'"'%in-flight%'"'"'")" = 0 ] &&
	sz_crash $SZPID && sz_serve st
'

test_expect_success 'kill -9 of the devices process during a wipe: the job ends sanitize_failed interrupted, nothing sanitizing' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J running && [ "$(state_of $A1)" = sanitizing ] &&
	old=$(sz_child $SZPID devices) && kill -9 $old && restarted devices $old >/dev/null &&
	for i in $(seq 200); do [ "$(state_of $A1)" = retired ] && break; sleep 0.05; done &&
	[ "$(state_of $A1)" = retired ] && none_sanitizing &&
	api GET /v1/jobs/$J "$TECH" >/dev/null && [ "$(jget state <body)" = failed ] &&
	api GET /v1/assets/$A1/events "$TECH" >/dev/null &&
	python3 -c "import json; e=json.load(open(\"body\"))[\"events\"][-1]; assert e[\"type\"]==\"sanitize_failed\" and e[\"data\"][\"reason\"]==\"interrupted\", e" &&
	# the drive is free again: a new wipe of it runs to the end
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A1\",\"device\":\"$D1\",\"method\":\"clear-zero\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J completed failed && [ "$(jget state <body)" = completed ] &&
	[ "$(state_of $A1)" = sanitized ]
'

test_expect_success 'kill -9 of the http process during a wipe: the wipe goes on and is recorded' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A2\",\"device\":\"$D2\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J running &&
	old=$(sz_child $SZPID http) && kill -9 $old && restarted http $old >/dev/null &&
	wait_job $J completed failed && [ "$(jget state <body)" = completed ] && [ "$(state_of $A2)" = sanitized ]
'

test_expect_success 'kill -9 of the ledger process during a wipe: its end is recorded once the ledger is back' '
	for e in deployed removed retired; do
		api POST /v1/assets/$A2/events "$TECH" "{\"type\":\"$e\",\"data\":{\"host\":\"h\"}}" >/dev/null || exit 1
	done && [ "$(state_of $A2)" = retired ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A2\",\"device\":\"$D2\",\"method\":\"dod-3pass\"}")" = 202 ] &&
	J=$(jget id <body) && wait_job $J running &&
	old=$(sz_child $SZPID ledger) && kill -9 $old && restarted ledger $old >/dev/null &&
	wait_job $J completed failed && [ "$(jget state <body)" = completed ] &&
	for i in $(seq 200); do [ "$(state_of $A2)" = sanitized ] && break; sleep 0.05; done &&
	[ "$(state_of $A2)" = sanitized ] && none_sanitizing &&
	"$TOP/build/sanitizerd" ledger verify --state-dir st >/dev/null
'

test_expect_success_here 'SIGTERM: the parent stops its children in order and exits 0' '
	kids=$(pgrep -P $SZPID) && kill -TERM $SZPID && wait $SZPID &&
	for k in $kids; do [ ! -e /proc/$k ] || { echo "child $k still runs"; exit 1; }; done &&
	! grep -q "ERROR: AddressSanitizer" "$TRASH/serve.log"
'

test_expect_success 'started by a user, not root: the same four processes, the http one locked down as that user' '
	# a directory that user can reach (the scratch directory is root'"'"'s, 0700), removed at the end
	nr=$(mktemp -d /tmp/sz-test-user.XXXXXX) && chmod 755 "$nr" && chown nobody "$nr" &&
	p=$((20000 + RANDOM % 20000)) &&
	{ su nobody -s /bin/sh -c "exec \"$TOP/build/sanitizerd\" serve --listen 127.0.0.1:$p --state-dir $nr/st" \
		>nr.log 2>&1 & pid=$!; } && pid_register $pid &&
	for i in $(seq 200); do curl -s -m 1 "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.05; done &&
	sp=$(pgrep -P $pid) && pid_register $sp && h=$(sz_child "$sp" http) &&
	ok=$(curl -s -m 2 "http://127.0.0.1:$p/healthz") &&
	nnp=$(field $h NoNewPrivs) && sc=$(field $h Seccomp) && eff=$(field $h CapEff) &&
	kill -TERM $sp && for i in $(seq 100); do kill -0 $sp 2>/dev/null || break; sleep 0.05; done &&
	rm -rf --one-file-system "$nr" &&
	[ "$ok" = "{\"status\":\"ok\"}" ] && ! kill -0 $sp 2>/dev/null &&
	[ "$nnp" = 1 ] && [ "$sc" = 2 ] && [ "$eff" = 0000000000000000 ] &&
	grep -q "not started as root: the http process keeps uid" nr.log
'

test_done
