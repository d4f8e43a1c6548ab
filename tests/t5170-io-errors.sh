#!/usr/bin/env bash
# I/O errors through the daemon (issue 13): a loop device over a file on a
# tmpfs that fills up part way.  With on_error "continue" the job ends
# completed with exceptions, recorded as such (never a plain pass) with the
# failing range, and its certificate says so; with the default "fail" the job
# fails and the asset goes back to retired.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
require_loop

MiB=1048576
last() { sqlite3 st/ledger.db "select entry from entries where subject = 'asset:$1' order by seq desc limit 1"; }

test_expect_success_here 'setup: a 24 MiB tmpfs under a 64 MiB sparse loop device, enrolled and retired' '
	mkdir small && mount -t tmpfs -o size=24m sz-ioerr "$TRASH/small" && mount_register "$TRASH/small" &&
	truncate -s $((64 * MiB)) small/sparse.img && F=$(loop_attach small/sparse.img) &&
	sz_serve st &&
	TECH=$(api POST /v1/tokens "$ADMIN" "{\"role\":\"technician\"}" >/dev/null; jget token <body) &&
	api POST /v1/assets "$TECH" "{\"serial\":\"loop:$TRASH/small/sparse.img\",\"model\":\"loop\",\"media_type\":\"hdd\",\"capacity_bytes\":$((64 * MiB)),\"tenant\":\"acme\"}" >/dev/null &&
	A=$(jget id <body) && [ "$(api POST /v1/assets/$A/events "$TECH" "{\"type\":\"retired\"}")" = 201 ]
'
wait_end() { local i; for i in $(seq 600); do api GET /v1/jobs/$1 "$TECH" >/dev/null; s=$(jget state <body);
	case "$s" in completed|failed|cancelled) return 0 ;; esac; sleep 0.1; done; return 1; }

test_expect_success_here 'on_error fail (the default): the job fails, the asset is retired' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$F\",\"method\":\"clear-zero\",\"verify\":\"full\"}")" = 202 ] &&
	J=$(jget id <body) && wait_end $J && [ "$s" = failed ] &&
	last $A | jq -e ".type == \"sanitize_failed\"" >/dev/null &&
	api GET /v1/assets/$A "$TECH" >/dev/null && [ "$(jget state <body)" = retired ]
'

test_expect_success_here 'on_error continue: completed with exceptions, the range recorded, never a plain pass' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$F\",\"method\":\"clear-zero\",\"verify\":\"full\",\"on_error\":\"continue\"}")" = 202 ] &&
	J=$(jget id <body) && wait_end $J && { [ "$s" = completed ] || { cat body; false; }; } &&
	{ last $A | jq -c "{type}"; grep -E "error|job" "$TRASH/serve.log" | tail -n 4; jget record <body; true; } &&
	last $A | jq -e ".type == \"sanitize_completed\" and .data.with_exceptions == true and
		.data.verification.result == \"passed_with_exceptions\" and
		(.data.io_errors.ranges | length) >= 1 and .data.io_errors.unwritten_bytes > 0 and
		([.data.exceptions[] | select(.kind == \"io_error\")] | length) >= 1" >/dev/null
'

test_expect_success 'its certificate states the exceptions' '
	{ [ "$(api POST /v1/assets/$A/certificate "$TECH" "{}")" = 201 ] || { cat body; false; }; } &&
	jget jws <body | cut -d. -f2 | tr -- "-_" "+/" | { s=$(cat); while [ $(( ${#s} % 4 )) != 0 ]; do s="$s="; done; printf %s "$s"; } |
		base64 -d >payload.json &&
	jq -e "[.. | objects | select(.kind? == \"io_error\")] | length >= 1" payload.json >/dev/null &&
	jq -r ".. | .outcome? // empty" payload.json | grep -q "^completed with exceptions"
'

test_expect_success 'bad policies are 400' '
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$F\",\"method\":\"clear-zero\",\"on_error\":\"ignore\"}")" = 400 ] &&
	[ "$(api POST /v1/jobs "$TECH" "{\"asset_id\":\"$A\",\"device\":\"$F\",\"method\":\"clear-zero\",\"restore_hpa\":\"yes\"}")" = 400 ]
'

test_done
