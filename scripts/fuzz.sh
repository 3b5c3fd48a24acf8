#!/usr/bin/env bash
# Usage: [FUZZ_RUNS=N] fuzz.sh SECONDS [RESULTS_FILE]
# Build tests/fuzz/fuzz_cmd with clang's libFuzzer (+ ASan, UBSan) and run
# it for SECONDS, or until FUZZ_RUNS executions when that comes first,
# keeping the corpus in out/fuzz/corpus. Prints
# "robustness: fuzz execs=<n> divergences=<n>"; writes "P F" (one case) to
# RESULTS_FILE when given. A divergence leaves its input in out/fuzz/.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs clang libclang-rt-14-dev

secs=${1:?seconds}
results=${2:-}
out=$IODMA_TOP/out/fuzz
mkdir -p "$out/corpus" "$out/obj"
core_flags=(-std=gnu++17 -O1 -g -ffreestanding -nostdinc -nostdinc++
	-fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit
	-fcheck-new -Wall -Wextra -Werror
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
objs=()
for src in "$IODMA_TOP"/src/core/*.cpp "$IODMA_TOP/src/rt/alloc_checker.cpp"; do
	obj=$out/obj/$(basename "$src" .cpp).o
	clang++ "${core_flags[@]}" -c "$src" -o "$obj" || die "fuzz build: $src"
	objs+=("$obj")
done
clang++ -std=gnu++17 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fsanitize-coverage-ignorelist="$IODMA_TOP/tests/fuzz/coverage-ignore.txt" \
	-o "$out/fuzz_cmd" "$IODMA_TOP/tests/fuzz/fuzz_cmd.cpp" \
	"$IODMA_TOP/tests/fake_platform.cpp" "${objs[@]}" || die "fuzz build"

runs=${FUZZ_RUNS:--1}
say "fuzzing for $secs s${FUZZ_RUNS:+ or $FUZZ_RUNS executions}"
set +e
(cd "$out" && ./fuzz_cmd -max_total_time="$secs" -runs="$runs" \
	-print_final_stats=1 -max_len=512 corpus) >"$out/fuzz.log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log" | tail -1)
[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/fuzz.log" | tail -1)
execs=${execs:-0}
div=0
if [ $rc -ne 0 ]; then
	div=1
	grep -E "DIVERGENCE|ERROR|SUMMARY" "$out/fuzz.log" | head -5 >&2 || true
fi
echo "robustness: fuzz execs=$execs divergences=$div"
if [ -n "$results" ]; then
	if [ $div -eq 0 ]; then echo "1 0" >"$results"; else echo "0 1" >"$results"; fi
fi
[ $div -eq 0 ]
