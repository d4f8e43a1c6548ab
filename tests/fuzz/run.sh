#!/usr/bin/env bash
# make fuzz: run each harness for SECONDS on tests/fuzz/corpus/<name>
# (read only) and build/fuzz/corpus/<name> (where new inputs accumulate
# between runs); crashes go to build/fuzz/found/<name>/.  Prints one line
# per harness with its runs, exec/s and coverage; exit 1 if any failed.
# Usage: tests/fuzz/run.sh SECONDS build/fuzz/fuzz_NAME...
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:?usage: run.sh SECONDS HARNESS...}
shift
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
fail=0
for bin in "$@"; do
	h=$(basename "$bin")
	name=${h#fuzz_}
	mkdir -p "build/fuzz/corpus/$name" "build/fuzz/found/$name"
	log="build/fuzz/found/$name/last.log"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/found/$name/" "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	if [ $rc = 0 ]; then
		echo "ok   $h: ${runs:-?} runs in ${secs}s, ${rate:-?} exec/s, $cov"
	else
		fail=1
		echo "FAIL $h: exit $rc; see $log"
		grep -aE "property failed|ERROR|SUMMARY|Test unit written" "$log" | head -n 10 | sed 's/^/    /'
	fi
done
exit $fail
