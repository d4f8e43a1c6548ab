#!/usr/bin/env bash
# Overwrite on loop devices, checked byte by byte with tools that are not the
# engine: cmp against /dev/zero for zeros, grep for sentinels and gzip for
# randomness.  512 and 4096-byte sectors, sizes that are not a multiple of
# the 1 MiB I/O size.
. "$(dirname "$0")/lib.sh"
require_loop
command -v jq >/dev/null || skip_all "jq is not installed (scripts/deps.sh build)"

# fill FILE BYTES: sentinel text; sentinels FILE counts lines holding one
fill() { yes "SENTINEL-customer-record-0123456789-ABCDEFGHIJKLMNOPQRSTUV-xyz-" | head -c "$2" >"$1"; }
sentinels() { grep -c SENTINEL "$1"; }
# the data does not compress: gzip output is at least 99% of the input
incompressible() { test $(gzip -c "$1" | wc -c) -ge $(( $2 * 99 / 100 )); }

for ss in 512 4096; do
	size=$(( 20 * 1048576 + 3 * 4096 ))	# not a multiple of the I/O size
	fill z$ss.img $size && dz=$(loop_attach "$TRASH/z$ss.img" $ss) && loop_register "$dz" || exit 1
	test_expect_success "clear-zero, $ss-byte sectors, odd size: every byte zero (cmp)" '
		test "$(sentinels z$ss.img)" -gt 0 &&
		"$SZ" wipe "$dz" --method clear-zero --verify full --yes >rep.json 2>err &&
		cmp -n $size z$ss.img /dev/zero &&
		jq -e ".state == \"completed\" and .logical_block_size == $ss and .size_bytes == $size and
			.bytes_written == $size and .verification.passed and .verification.bytes_checked == $size and
			.passes[0].pattern == \"zero\" and .error == null" rep.json
	'
	fill r$ss.img $size && dr=$(loop_attach "$TRASH/r$ss.img" $ss) && loop_register "$dr" || exit 1
	test_expect_success "clear-random, $ss-byte sectors: no sentinel left, incompressible" '
		"$SZ" wipe "$dr" --method clear-random --verify sample --yes >rep.json 2>err &&
		test "$(sentinels r$ss.img)" = 0 && incompressible r$ss.img $size &&
		jq -e ".state == \"completed\" and .verification.mode == \"sample\" and .verification.passed and
			.verification.bytes_checked * 10 >= $size and (.random.key_id | length) == 32 and
			(.random | has(\"key\") | not)" rep.json
	'
done

size=$(( 12 * 1048576 + 512 ))
fill d.img $size && dd=$(loop_attach "$TRASH/d.img") && loop_register "$dd" || exit 1
test_expect_success 'dod-3pass: zeros, ones, random; the last verified in full' '
	"$SZ" wipe "$dd" --method dod-3pass --verify full --yes >rep.json 2>err &&
	test "$(sentinels d.img)" = 0 && incompressible d.img $size &&
	jq -e "[.passes[].pattern] == [\"zero\",\"ones\",\"random\"] and ([.passes[].completed] | all) and
		.bytes_written == 3 * $size and .verification.mode == \"full\" and .verification.passed" rep.json
'
test_expect_success 'not a terminal: progress lines on stderr, the report on stdout' '
	fill d.img $size && "$SZ" wipe "$dd" --method clear-zero --yes >rep.json 2>err &&
	jq -e ".state == \"completed\"" rep.json && grep -q "^wiped $dd: clear-zero" err &&
	! grep -q "^sanitizerd:" err
'
test_expect_success '--json: nothing on stderr, one JSON report on stdout' '
	"$SZ" wipe "$dd" --method clear-zero --yes --json >rep.json 2>err &&
	test ! -s err && jq -e ".tool | startswith(\"sanitizerd \")" rep.json
'
test_expect_success 'SIGINT cancels at a safe point: exit 1, state cancelled, a resume point' '
	truncate -s 1G big.img && bd=$(losetup --find --show big.img) && echo "$bd" >bd &&
	{ "$SZ" wipe --json "$bd" --method clear-random --yes >rep.json 2>err & pid=$!; } &&
	# signal once the wipe holds the device (a loaded machine starts it late)
	for i in $(seq 200); do ls -l /proc/$pid/fd 2>/dev/null | grep -q "$bd\$" && break; sleep 0.05; done &&
	sleep 0.2 && kill -INT $pid; wait $pid; rc=$?; test $rc = 1 &&
	jq -e ".state == \"cancelled\" and .resume.pass == 1 and .resume.offset > 0 and .resume.offset < 1073741824" rep.json
'
[ -s bd ] && loop_register "$(cat bd)"
test_done
