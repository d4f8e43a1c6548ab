#!/usr/bin/env bash
# Anonymous reads cannot grow the database (issue 11): GET /v1/ledger/checkpoint
# and the proof routes serve the latest signed checkpoint and never sign one;
# the daemon signs on its own schedule (--checkpoint-every N,
# --checkpoint-interval MS).  Proofs are for the latest signed size: a size
# past it (within the ledger) is answered for it, and an entry it does not
# cover yet is a 404 that says so.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

ROUNDS=40
ckpts() { sqlite3 st/ledger.db "select count(*) from checkpoints"; }
latest() { sqlite3 st/ledger.db "select max(size) from checkpoints"; }
entries() { sqlite3 st/ledger.db "select count(*) from entries"; }
enrol_body() { printf '{"serial":"%s","model":"M","media_type":"hdd","capacity_bytes":1,"tenant":"acme"}' "$1"; }

test_expect_success_here 'setup: a daemon that signs every 1000 entries or 60 s' '
	"$SZ" init --state-dir st >/dev/null &&
	sz_serve st --checkpoint-every 1000 --checkpoint-interval 60000 &&
	C0=$(ckpts) && say "checkpoints at start: $C0"
'

test_expect_success "$ROUNDS appends, each followed by anonymous checkpoint and proof requests" '
	i=0 && while [ $i -lt $ROUNDS ]; do
		i=$((i + 1))
		[ "$(api POST /v1/assets "$ADMIN" "$(enrol_body SN-$i)")" = 201 ] || { echo "append $i: $(cat body)"; exit 1; }
		[ "$(api GET /v1/ledger/checkpoint)" = 200 ] || exit 1
		n=$(($(entries) - 1))
		c=$(api GET "/v1/ledger/proof/inclusion?seq=0") && [ "$c" = 200 ] || { echo "inclusion: $c $(cat body)"; exit 1; }
		want=404 && [ $n -lt "$(latest)" ] && want=200
		c=$(api GET "/v1/ledger/proof/inclusion?seq=$n") && [ "$c" = $want ] || { echo "inclusion of $n: $c, want $want: $(cat body)"; exit 1; }
		c=$(api GET "/v1/ledger/proof/consistency?from=1") && [ "$c" = 200 ] || { echo "consistency: $c $(cat body)"; exit 1; }
	done &&
	C1=$(ckpts) && say "checkpoints after $ROUNDS appends and $((ROUNDS * 4)) anonymous reads: $C1 (were $C0)" &&
	# the schedule allows one: the first commit (no signature yet in this run); reads add none
	[ "$C1" -le $((C0 + 1)) ]
'

test_expect_success 'the served checkpoint is the latest signed one, older than the ledger' '
	[ "$(api GET /v1/ledger/checkpoint)" = 200 ] && s=$(sed -n 2p body) &&
	[ "$s" = "$(latest)" ] && [ "$s" -lt "$(entries)" ]
'

test_expect_success 'a proof is for the latest signed size: default, and a size past it' '
	s=$(latest) && n=$(entries) &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=0")" = 200 ] && [ "$(jget tree_size <body)" = "$s" ] &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=0&size=$n")" = 200 ] && [ "$(jget tree_size <body)" = "$s" ] &&
	[ "$(api GET "/v1/ledger/proof/consistency?from=1&to=$n")" = 200 ] && [ "$(jget to <body)" = "$s" ] &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=0&size=1")" = 200 ] && [ "$(jget tree_size <body)" = 1 ]
'

test_expect_success 'an entry the checkpoint does not cover: 404 saying so; past the ledger: 400' '
	s=$(latest) &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=$s")" = 404 ] &&
	grep -q "not covered by a signed checkpoint yet (the latest covers $s entries)" body &&
	[ "$(api GET "/v1/ledger/proof/inclusion?seq=0&size=999999")" = 400 ] &&
	[ "$(ckpts)" -le $((C0 + 1)) ]
'

test_expect_success_here 'the daemon still attests the tail on its own: at stop' '
	kill -TERM $SZPID && wait $SZPID &&
	[ "$(latest)" = "$(entries)" ]
'

test_done
