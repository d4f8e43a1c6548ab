#!/usr/bin/env bash
# SIGTERM while POST /v1/jobs is in flight (issue 11): shutdown waits for or
# cancels every job it accepted, queued ones too; the daemon (ASan build)
# exits 0 with no memory error, and an exit 0 never leaves an asset
# sanitizing.  Rounds are bounded: 30, the signal 0 to 90 ms after the requests.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
require_loop
[ -x "$TOP/build/asan/sanitizerd" ] || skip_all "build/asan/sanitizerd is not built (make build/asan/sanitizerd)"
ASZ="$TOP/build/asan/sanitizerd"
MiB=1048576

state_of() { sqlite3 st/ledger.db "select state from subjects where subject = 'asset:$1'"; }
ev() { "$SZ" ledger append --state-dir st --subject "asset:$1" --type "$2" --data "${3:-{\}}" >/dev/null; }

test_expect_success_here 'setup: two retired assets over loop devices' '
	"$SZ" init --state-dir st >/dev/null &&
	truncate -s $((48 * MiB)) a.img b.img && DA=$(loop_attach a.img) && DB=$(loop_attach b.img) &&
	for x in a b; do
		ev $x enrolled "{\"serial\":\"loop:$TRASH/$x.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((48 * MiB)),\"tenant\":\"acme\"}" &&
		ev $x retired || exit 1
	done
'

test_expect_success 'SIGTERM at any point of POST /v1/jobs: exit 0, no ASan report, nothing left sanitizing' '
	for round in $(seq 30); do
		for try in 1 2 3 4 5; do	# another port when this one is taken
			PORT=$((20000 + RANDOM % 20000)); URL="http://127.0.0.1:$PORT"
			ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 "$ASZ" serve --state-dir st --listen 127.0.0.1:$PORT \
				--max-jobs 1 >>serve.log 2>&1 &
			pid=$! && echo "$pid" >>"$TRASH/.cleanup-pids"
			up=
			for i in $(seq 200); do
				curl -s -m 1 "$URL/healthz" >/dev/null 2>&1 && { up=1; break; }
				kill -0 $pid 2>/dev/null || break
				sleep 0.02
			done
			[ -n "$up" ] && break
			sz_crash $pid	# slow or gone: never wait on a live one
		done &&
		[ -n "$up" ] &&
		for x in a b; do
			d=$DA; [ $x = b ] && d=$DB
			curl -s -m 10 -o /dev/null -H "Authorization: Bearer $(cat st/admin.token)" -H "Content-Type: application/json" \
				--data-binary "{\"asset_id\":\"$x\",\"device\":\"$d\",\"method\":\"clear-zero\"}" "$URL/v1/jobs" &
		done &&
		sleep "$(printf "0.%03d" $((round * 3)))" &&
		kill -TERM $pid && wait $pid; rc=$?
		wait
		[ $rc = 0 ] || { echo "round $round: exit $rc"; tail -n 30 serve.log; exit 1; }
		for x in a b; do
			s=$(state_of $x)
			[ "$s" != sanitizing ] || { echo "round $round: asset $x left sanitizing"; exit 1; }
			# a wipe that finished before the signal: back to retired for the next round
			if [ "$s" = sanitized ]; then
				ev $x deployed "{\"host\":\"h\"}" && ev $x removed && ev $x retired || exit 1
			fi
		done
	done &&
	! grep -q "ERROR: AddressSanitizer" serve.log &&
	n=$(sqlite3 st/ledger.db "select count(*) from entries where type = '"'"'sanitize_failed'"'"' and entry like '"'"'%interrupted%'"'"'") &&
	echo "$n wipes interrupted by the signal" && [ "$n" -gt 0 ] &&
	"$SZ" ledger verify --state-dir st >/dev/null
'

test_done
