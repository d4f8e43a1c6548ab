#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz/ (built by `make fuzz-build`, which
# `make check` runs), each for a few seconds on its corpus so none can rot:
# every input of tests/fuzz/corpus/<name> (the seeds and every input that
# once failed) runs first, then new mutations until FUZZ_SMOKE_SECONDS
# (default 2) or FUZZ_SMOKE_RUNS (default 200000) runs.  A crash, a leak,
# an ASan/UBSan report or a failed property is a failure; what was found is
# kept in build/fuzz/found/<name>/ to be added to the corpus.  `make fuzz`
# runs them for longer (tests/fuzz/run.sh).
. "$(dirname "$0")/lib.sh"
secs=${FUZZ_SMOKE_SECONDS:-2}
runs=${FUZZ_SMOKE_RUNS:-200000}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp}

harnesses=$(cd "$TOP/tests/fuzz" && ls fuzz_*.c 2>/dev/null | sed 's/\.c$//')
[ -n "$harnesses" ] || skip_all "no harnesses in tests/fuzz"
for h in $harnesses; do
	[ -x "$TOP/build/fuzz/$h" ] || skip_all "build/fuzz/$h is not built (make fuzz-build needs clang and libclang-rt-14-dev)"
done

# smoke NAME: run build/fuzz/NAME on its corpus; print the number of runs
smoke() {
	local h=$1 name=${1#fuzz_} found="$TOP/build/fuzz/found/${1#fuzz_}"
	local corpus="$TOP/tests/fuzz/corpus/$name"
	[ -d "$corpus" ] && [ -n "$(ls "$corpus")" ] || { echo "no corpus in $corpus"; return 1; }
	mkdir -p "new-$name" "$found" &&
	"$TOP/build/fuzz/$h" -max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$found/" "new-$name" "$corpus" >"log-$name" 2>&1
	local rc=$?
	if [ $rc != 0 ]; then
		grep -aE "property failed|ERROR|SUMMARY|Test unit written|leak|500 on|custody|tenant leak" "log-$name" | head -n 20
		return 1
	fi
	sed -n 's/^stat::number_of_executed_units: *//p' "log-$name" >"runs-$name"
	# libFuzzer reports 0 exec/s for a run shorter than a second
	sed -n 's/^stat::average_exec_per_sec: *//p' "log-$name" | grep -v '^0$' >"rate-$name"
	[ -s "runs-$name" ] && [ "$(cat "runs-$name")" -ge "$(ls "$corpus" | wc -l)" ]
}

n=0
for h in $harnesses; do
	n=$((n + 1))
	name=${h#fuzz_}
	if smoke "$h" >"out-$name" 2>&1; then
		rate=$(cat "rate-$name")
		echo "ok $n - $h: $(cat "runs-$name") runs on the corpus ($(ls "$TOP/tests/fuzz/corpus/$name" | wc -l) inputs${rate:+, $rate exec/s})"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $n - $h: failed on its corpus or a mutation of it (kept in build/fuzz/found/$name/)"
		sed -e 's/^/#   /' "out-$name" | tail -n 30
	fi
done
test_count=$n
test_done
