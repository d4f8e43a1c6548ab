#!/usr/bin/env bash
# The device stays ours from the first write through the read-back (issue
# 10 item 8): build/asan/test_excl runs a dod-3pass job with full
# verification on a loop device over a file of this test's own, and tries
# to open the device O_EXCL at every phase its progress function sees.
# (The purge path's phases are checked in the emulator, t4000-qemu.)
. "$(dirname "$0")/lib.sh"
require_loop
[ -x "$TOP/build/asan/test_excl" ] || skip_all "build/asan/test_excl is not built (make unit)"

yes "SENTINEL-t1070-0123456789" | head -c 8388608 >"$TRASH/x.img" && dev=$(loop_attach "$TRASH/x.img") || exit 1

test_expect_success 'an O_EXCL open fails with EBUSY in every phase of an overwrite job, and works after it' '
	SZ_TEST_LOOP="$dev" "$TOP/build/asan/test_excl" >out 2>&1; rc=$?; cat out; [ $rc = 0 ] &&
	! grep -q "^not ok" out && grep -q "every O_EXCL open during the job failed with EBUSY" out &&
	! grep -q "# skip" out
'

test_expect_success 'and the job really wrote the device' '
	! grep -q SENTINEL-t1070 "$TRASH/x.img"
'

test_done
