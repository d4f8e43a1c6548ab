#!/usr/bin/env bash
# Overall progress, ETA and the speed profile of a multi-pass job on a loop
# device (issue 13 items 1 and 4): build/asan/test_progress runs dod-3pass
# with full verification on a loop device of this test's own and checks
# the overall fraction only rises, pass never exceeds passes and the ETA is
# over the whole job; then the speed samples are bounded and sum to the
# bytes written.
. "$(dirname "$0")/lib.sh"
require_loop
[ -x "$TOP/build/asan/test_progress" ] || skip_all "build/asan/test_progress is not built (make unit)"

truncate -s 32M "$TRASH/p.img" && dev=$(loop_attach "$TRASH/p.img") || exit 1

test_expect_success 'dod-3pass on a loop device: overall progress only rises, eta over the whole job' '
	SZ_TEST_LOOP="$dev" "$TOP/build/asan/test_progress" >out 2>&1; rc=$?; cat out; [ $rc = 0 ] &&
	! grep -q "^not ok" out && grep -q "on $dev" out && grep -q "eta is what is left of the whole job" out
'

test_expect_success 'the speed profile: bounded, merged when full, adds up to the bytes written and read' '
	grep -q "^ok .* the written samples add up to the bytes written" out &&
	grep -q "^ok .* a job longer than the profile merged pairs" out &&
	grep -q "^ok .* they still add up to the bytes written and read" out
'

test_done
