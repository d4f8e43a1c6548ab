#!/usr/bin/env bash
# Writing requests hold no HTTP thread while the ledger commits (issue 11,
# the soak's tail; api/defer.c): with one HTTP thread and a commit made slow
# by the test build's hook (SZ_TEST_WRITER_DELAY_MS), a GET is answered
# while a POST waits, posts that wait together share one commit, and a
# SIGTERM answers the waiting post before the daemon exits.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
[ -x "$TOP/build/asan/sanitizerd" ] || skip_all "build/asan/sanitizerd is not built (make build/asan/sanitizerd)"

post_note() { # post_note N: POST a note in the background; code to post.N.code
	curl -s -m 30 -o post.$1.body -w '%{http_code}' -H "Authorization: Bearer $TECH" -H "Content-Type: application/json" \
		--data-binary "{\"type\":\"note\",\"data\":{\"text\":\"n$1\"}}" "$URL/v1/assets/$AID/events" >post.$1.code
}
notes() { sqlite3 st/ledger.db "select count(*) from entries where type = 'note'"; }

test_expect_success_here 'setup: one HTTP thread, and every commit 2 s slow' '
	SZ="$TOP/build/asan/sanitizerd" SZ_TEST_WRITER_DELAY_MS=2000 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		sz_serve st --threads 1 &&
	[ "$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}")" = 201 ] && TECH=$(jget token <body) &&
	[ "$(api POST /v1/assets "$TECH" "{\"serial\":\"D-1\",\"model\":\"M\",\"media_type\":\"ssd\",\"capacity_bytes\":1000,\"tenant\":\"acme\"}")" = 201 ] &&
	AID=$(jget id <body)
'

test_expect_success_here 'a GET on the only HTTP thread is answered while a POST waits for its commit' '
	post_note 1 & bg=$! &&
	sleep 0.5 &&
	t=$(curl -s -m 10 -o get.body -w "%{http_code} %{time_total}" -H "Authorization: Bearer $TECH" "$URL/v1/assets/$AID") &&
	echo "GET during the commit: $t" &&
	[ "${t%% *}" = 200 ] &&
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "${t#* }" &&
	wait $bg && [ "$(cat post.1.code)" = 201 ] && [ "$(notes)" = 1 ]
'

test_expect_success_here 'eight posts that wait together are answered in one or two commits, not eight' '
	start=$(date +%s.%N) &&
	bgs= && for i in 2 3 4 5 6 7 8 9; do post_note $i & bgs="$bgs $!"; done && wait $bgs &&
	took=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$start") &&
	echo "eight posts took $took s" &&
	for i in 2 3 4 5 6 7 8 9; do [ "$(cat post.$i.code)" = 201 ] || return 1; done &&
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 7.0 else 1)" "$took" &&
	[ "$(notes)" = 9 ]
'

test_expect_success_here 'SIGTERM while a post waits: it is answered, and what was answered 201 is in the ledger' '
	post_note 10 & bg=$! &&
	sleep 0.5 && kill -TERM "$SZPID" && wait $bg &&
	code=$(cat post.10.code) && echo "the waiting post: $code" &&
	wait "$SZPID"; rc=$? && [ $rc = 0 ] &&
	case $code in
	201) [ "$(notes)" = 10 ] ;;
	503) [ "$(notes)" = 9 ] ;;
	*) false ;;
	esac &&
	"$TOP/build/sanitizerd" ledger verify --state-dir st >/dev/null
'

test_done
