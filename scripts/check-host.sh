#!/usr/bin/env bash
# Build the core for the host against the fake platform (ASan + UBSan) and
# run the GoogleTest suites through CTest. Writes out/results/host ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs g++ cmake make libgtest-dev ccache

out=$IODMA_TOP/out
results=$out/results
mkdir -p "$results"
rm -f "$results/host"
build=$out/host
# Compiled through ccache in the cache directory, as the kernel and module
# builds are: a warm run recompiles only the files whose preprocessed
# source or flags changed (about 100 of the stage's 150 CPU-seconds are
# the build). Paths below the checkout are hashed relative to it.
# The build has debug information, for which ccache by default hashes
# the working directory too: a clone elsewhere would miss every time.
export CCACHE_DIR=$IODMA_CACHE/ccache CCACHE_BASEDIR=$IODMA_TOP CCACHE_NOHASHDIR=1
cmake -S "$IODMA_TOP/tests" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null ||
	die "cmake configure failed"
# A failed build fails the stage: the binary of an earlier build may still
# be there, and running it would pass tests of code that does not compile.
status=0
cmake --build "$build" -j"$(nproc)" -- --no-print-directory >"$build/build.log" 2>&1 || status=$?
grep -v '^\[' "$build/build.log" >&2 || true
if [ "$status" -ne 0 ] || [ ! -x "$build/iodma_host_tests" ]; then
	echo "0 1" >"$results/host"
	die "host test build failed (exit $status)"
fi
set +e
(cd "$build" && ctest --output-on-failure --output-junit "$build/junit.xml" -j"$(nproc)") >"$build/ctest.log" 2>&1
set -e
# Every test not reported as run-and-passed counts as failed.
t=$(grep -o '<testcase ' "$build/junit.xml" | wc -l)
p=$(grep -o '<testcase [^>]*status="run"' "$build/junit.xml" | wc -l)
f=$((t - p))
[ "$t" -gt 0 ] || f=1
grep -E '^\s*[0-9]+/[0-9]+ Test .*(Failed|Exception|Timeout)' "$build/ctest.log" >&2 || true
echo "$p $f" >"$results/host"
echo "host: $p passed, $f failed"
[ "$f" -eq 0 ]
