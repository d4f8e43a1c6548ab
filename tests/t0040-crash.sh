#!/usr/bin/env bash
# kill -9 in the middle of a burst of appends leaves a ledger that verifies,
# holding only whole batches.
. "$(dirname "$0")/lib.sh"
BURST="$TOP/build/bench/ledger"
[ -x "$BURST" ] || skip_all "build/bench/ledger is not built"

test_expect_success 'setup' '
	"$SZ" init --state-dir st --origin test.example/sz >/dev/null
'

for round in 1 2 3; do
test_expect_success "kill -9 during a burst of batched appends (round $round)" '
	before=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	{ "$BURST" --burst 100000000 --dir st >progress 2>burst.err & pid=$!; } &&
	i=0 && while [ "$(wc -l <progress)" -lt $((round * 2)) ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
	sleep 0.$((RANDOM % 9 + 1)) &&
	kill -9 $pid && { wait $pid 2>/dev/null; true; } &&
	after=$(sqlite3 st/ledger.db "select count(*) from entries") &&
	echo "before $before after $after" &&
	[ "$after" -gt "$before" ] &&
	[ $(( (after - before) % 50 )) = 0 ] &&
	"$SZ" ledger verify --state-dir st >out && cat out &&
	"$SZ" ledger checkpoint --state-dir st >cp &&
	[ "$(sed -n 2p cp)" = "$after" ] &&
	"$SZ" ledger verify --state-dir st --require-attested
'
done

test_done
