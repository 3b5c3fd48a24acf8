#!/usr/bin/env bash
# Usage: scripts/check-static.sh [sparse] [tidy]   (default: both)
# The static stage of make check, failing on any finding:
#  - sparse: the modules built with `make C=2 CHECK=sparse` against the
#    6.12 test kernel (scripts/build-test-kernel.sh, cached), so that sparse
#    checks every C file of the shim and the KUnit suites with the kernel's
#    own CHECKFLAGS; scripts/sparse-report.py judges the log: one case per
#    C file (sparse ran on it, nothing reported) and one for the build.
#  - tidy: Debian's clang-tidy 14 with the checked-in .clang-tidy on every
#    C++ file of the core and its runtime (src/core, src/rt), compiled with
#    the host build's flags (tests/CMakeLists.txt, read from its compile
#    database): one case per file, failing on any diagnostic or a non-zero
#    exit. The defects of a crafted file (scripts/tests/static/
#    tidy_canary.cpp) must be reported first, so that a configuration or an
#    invocation that checks nothing fails.
# Writes out/results/static ("P F"); logs in out/static/.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
export PYTHONDONTWRITEBYTECODE=1

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(sparse tidy)
for part in "${parts[@]}"; do
	case $part in sparse | tidy) ;; *) die "unknown part '$part' (sparse, tidy)" ;; esac
done

top=$IODMA_TOP
out=$top/out/static
results=$top/out/results
mkdir -p "$out" "$results"
rm -f "$results/static"
p=0 f=0

run_sparse() {
	need_pkgs sparse
	local kdir rc=0 judge=$out/sparse.judge
	rm -f "$judge"
	if ! kdir=$("$top/scripts/build-test-kernel.sh" "${IODMA_KERNELS[0]}"); then
		echo "FAIL sparse: no test kernel to check against"
		f=$((f + 1))
		return
	fi
	# C=2: check every C file whether or not it needs rebuilding.
	"$top/scripts/build-modules.sh" "$kdir" "$out/sparse" C=2 CHECK=sparse \
		>"$out/sparse.log" 2>&1 || rc=$?
	(cd "$top" && python3 scripts/sparse-report.py --log "$out/sparse/build.log" \
		--build-dir "$out/sparse" --status "$rc" src/shim/*.c kunit/*.c) \
		>"$judge" 2>&1 || true
	cat "$judge"
	count sparse "$judge"
}

# tidy_flags: the C++ flags of the host build's core library, from a
# compile database that CMake writes for clang++ (configure only).
tidy_flags() {
	local db=$out/tidy-db
	cmake -S "$top/tests" -B "$db" -DCMAKE_CXX_COMPILER=clang++ \
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$out/tidy-cmake.log" 2>&1 ||
		return 1
	python3 - "$db/compile_commands.json" "$top/src/core/spec.cpp" <<'PY'
import json, shlex, sys
db, want = sys.argv[1], sys.argv[2]
for e in json.load(open(db)):
    if e["file"] == want:
        args = e.get("arguments") or shlex.split(e["command"])
        keep, skip = [], False
        for a in args[1:]:
            if skip:
                skip = False
            elif a in ("-o", "-c"):
                skip = a == "-o"
            elif a != e["file"]:
                keep.append(a)
        print(" ".join(shlex.quote(a) for a in keep))
        sys.exit(0)
sys.exit(f"{want} not in {db}")
PY
}

# tidy_start FILE LOG FLAG...: clang-tidy on FILE in the background, its
# output in LOG and its exit status in LOG.rc; at most host_jobs at once.
# A clean result is kept in $IODMA_CACHE/tidy under tidy_key, and a file
# with that key again is not checked again (only clean results are kept;
# the canary never is). TIDY_NO_CACHE=1 checks everything.
tidy_start() {
	local file=$1 log=$2 key=
	shift 2
	case $file in */tidy_canary.cpp) ;; *)
		[ -n "${TIDY_NO_CACHE:-}" ] || key=$(tidy_key "$top" "$file" "$@") ;;
	esac
	if [ -n "$key" ] && [ -f "$IODMA_CACHE/tidy/$key" ]; then
		echo "clean for this input before (key $key): not checked again" >"$log"
		echo 0 >"$log.rc"
		return
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$(host_jobs)" ]; do wait -n || true; done
	(
		r=0
		clang-tidy --quiet --config-file="$top/.clang-tidy" "$file" -- "$@" \
			>"$log" 2>&1 || r=$?
		echo "$r" >"$log.rc"
		if [ -n "$key" ] && [ "$r" = 0 ] && ! grep -qE '(warning|error):' "$log"; then
			mkdir -p "$IODMA_CACHE/tidy"
			echo "${file#"$top"/}" >"$IODMA_CACHE/tidy/$key"
		fi
	) &
}

run_tidy() {
	need_pkgs clang-tidy clang cmake libgtest-dev
	local flags file name log rc want files=()
	if ! flags=$(tidy_flags); then
		echo "FAIL tidy: no compile flags from the host build (see $out/tidy-cmake.log)"
		f=$((f + 1))
		return
	fi
	# shellcheck disable=SC2086
	set -- $flags
	rm -rf "$out/tidy"
	mkdir -p "$out/tidy"

	# The canary: a configuration or an invocation that checks nothing
	# would let everything pass.
	tidy_start "$top/scripts/tests/static/tidy_canary.cpp" "$out/tidy/canary.log" "$@"
	for file in "$top"/src/core/*.cpp "$top"/src/rt/*.cpp; do
		name=${file#"$top"/}
		files+=("$name")
		tidy_start "$file" "$out/tidy/${name//\//_}.log" "$@"
	done
	wait

	rc=$(cat "$out/tidy/canary.log.rc" 2>/dev/null || echo none)
	local missing=()
	for want in bugprone-branch-clone clang-analyzer-core.NullDereference; do
		grep -q "\[$want" "$out/tidy/canary.log" || missing+=("$want")
	done
	if [ "$rc" != 0 ] && [ "$rc" != none ] && [ ${#missing[@]} -eq 0 ]; then
		p=$((p + 1))
		echo "PASS tidy: the canary's defects are reported"
	else
		f=$((f + 1))
		echo "FAIL tidy: the canary's defects were not reported (exit $rc; missing: ${missing[*]}):"
		sed 's/^/    | /' "$out/tidy/canary.log"
	fi

	for name in "${files[@]}"; do
		log=$out/tidy/${name//\//_}.log
		rc=$(cat "$log.rc" 2>/dev/null || echo none)
		if [ "$rc" = 0 ] && ! grep -qE '(warning|error):' "$log"; then
			p=$((p + 1))
			if grep -q '^clean for this input before' "$log"; then
				echo "PASS tidy: $name (the same input was clean before)"
			else
				echo "PASS tidy: $name"
			fi
		else
			f=$((f + 1))
			grep -E '(warning|error):' "$log" | sed 's/^/  /' || true
			echo "FAIL tidy: $name (exit $rc; $log)"
		fi
	done
}

# count PART JUDGE_OUTPUT: add a judge's PASS/FAIL lines; a judge that
# reported nothing counts as one failure.
count() {
	local jp jf
	jp=$(grep -c "^PASS $1: " "$2" || true)
	jf=$(grep -c "^FAIL $1: " "$2" || true)
	if [ $((jp + jf)) -eq 0 ]; then
		echo "FAIL $1: its judge reported nothing"
		jf=1
	fi
	p=$((p + jp)) f=$((f + jf))
}

for part in "${parts[@]}"; do
	say "static: $part"
	"run_$part"
done

echo "$p $f" >"$results/static"
echo "static: $p passed, $f failed"
[ "$f" -eq 0 ]
