#!/usr/bin/env bash
# Run every unit test binary (built with ASan+UBSan) and every system test
# script; print a line per suite and, last, "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
logs=build/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
suites="$(ls build/asan/test_* 2>/dev/null | grep -v "\.d$") $(ls tests/t[0-9]*.sh 2>/dev/null)"
only=${TESTS:-}
for s in $suites; do
	name=$(basename "$s")
	if [ -n "$only" ] && ! echo "$name" | grep -qE "$only"; then continue; fi
	log="$logs/$name.log"
	start=$(date +%s)
	case "$s" in
	*.sh) timeout 600 bash "$s" >"$log" 2>&1 ;;
	*) timeout 300 "$s" >"$log" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
	k=$(grep -ciE '^ok [0-9]+ # skip' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - k))
	if grep -qE '^1\.\.0 # SKIP' "$log"; then
		k=$((k + 1))
		echo "SKIP $name: $(sed -n 's/^1\.\.0 # SKIP //p' "$log")"
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "FAIL $name: exit $rc with no failed check (crash or timeout); see $log"
		tail -n 20 "$log" | sed 's/^/    /'
	elif [ "$f" != 0 ]; then
		echo "FAIL $name: $f failed ($(( $(date +%s) - start ))s)"
		grep -A 12 -E '^not ok' "$log" | head -n 60 | sed 's/^/    /'
	else
		echo "ok   $name: $p passed${k:+, $k skipped} ($(( $(date +%s) - start ))s)"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + k))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
