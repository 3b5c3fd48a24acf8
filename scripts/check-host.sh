#!/usr/bin/env bash
# Build the core for the host against the fake platform (ASan + UBSan) and
# run the GoogleTest suites. Writes out/results/host ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs g++ cmake make libgtest-dev ccache python3

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
cmake --build "$build" -j"$(host_jobs)" -- --no-print-directory >"$build/build.log" 2>&1 || status=$?
grep -v '^\[' "$build/build.log" >&2 || true
if [ "$status" -ne 0 ] || [ ! -x "$build/iodma_host_tests" ]; then
	echo "0 1" >"$results/host"
	die "host test build failed (exit $status)"
fi
# The test binary itself, split into host_jobs shards run side by side
# (GoogleTest's sharding): CTest ran each of its 194 tests in a process of
# its own, 75 CPU-seconds against 42 for the same tests in one process.
# Every listed test that no shard reports as run and passed counts as
# failed (scripts/lib/gtest-count.py): a shard that crashes leaves its
# tests without a report.
rm -f "$build"/shard-*.xml "$build"/shard-*.log
if ! "$build/iodma_host_tests" --gtest_list_tests >"$build/tests.list" 2>"$build/list.log"; then
	cat "$build/list.log" >&2
	echo "0 1" >"$results/host"
	die "the host test binary did not list its tests"
fi
n=$(host_jobs)
pids=()
for ((i = 0; i < n; i++)); do
	(cd "$build" && GTEST_TOTAL_SHARDS=$n GTEST_SHARD_INDEX=$i exec ./iodma_host_tests \
		--gtest_brief=1 --gtest_output="xml:$build/shard-$i.xml") >"$build/shard-$i.log" 2>&1 &
	pids+=($!)
done
for ((i = 0; i < n; i++)); do
	wait "${pids[$i]}" || say "host test shard $i of $n exited $? (see $build/shard-$i.log)"
done
xmls=()
for ((i = 0; i < n; i++)); do xmls+=("$build/shard-$i.xml"); done
read -r p f < <(python3 "$IODMA_TOP/scripts/lib/gtest-count.py" "$build/tests.list" "${xmls[@]}")
grep -h -B2 -A20 -E '^\[  FAILED  \]|ERROR: AddressSanitizer|runtime error' "$build"/shard-*.log >&2 || true
echo "$p $f" >"$results/host"
echo "host: $p passed, $f failed"
[ "$f" -eq 0 ]
