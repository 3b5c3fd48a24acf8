#!/usr/bin/env bash
# Style and documentation checks, each counted as one case:
#  - checkpatch --strict on the C shim, KUnit suites, samples and C headers;
#  - clang-format on the C++ core, runtime and host tests;
#  - kernel-doc warnings on the shim;
#  - every exported symbol documented with Context: and Return:.
# Documentation/ itself is rendered and judged by the docs stage
# (scripts/check-docs.sh).
# Writes out/results/style ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs clang-format perl linux-source-6.12 xz-utils

cd "$IODMA_TOP"
results=out/results
mkdir -p "$results"
rm -f "$results/style"

# checkpatch.pl and kernel-doc from Debian's kernel source, extracted once.
tools=$(kernel_tools)

c_files=$(ls src/shim/*.[ch] kunit/*.[ch] include/linux/*.h 2>/dev/null
	find samples -name '*.[ch]' 2>/dev/null
	grep -L namespace src/core/*.h)
cxx_files=$(ls src/core/*.cpp src/rt/*.cpp tests/*.cpp tests/*.h \
	tests/bench/*.cpp tests/fuzz/*.cpp 2>/dev/null
	grep -l namespace src/core/*.h)

p=0 f=0
pass() { p=$((p + 1)); echo "PASS style: $1"; }
fail() { f=$((f + 1)); echo "FAIL style: $1"; }

# shellcheck disable=SC2086
if perl "$tools/scripts/checkpatch.pl" --strict --no-tree --quiet --terse \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $c_files >&2; then
	pass checkpatch
else
	fail "checkpatch --strict (above)"
fi

# shellcheck disable=SC2086
if clang-format --dry-run --Werror $cxx_files >&2; then
	pass clang-format
else
	fail "clang-format (above; run clang-format -i)"
fi

kd=$(perl "$tools/scripts/kernel-doc" -none -Wall src/shim/*.c include/linux/iodma.h 2>&1 || true)
if [ -z "$kd" ]; then
	pass kernel-doc
else
	echo "$kd" >&2
	fail "kernel-doc warnings (above)"
fi

if python3 - src/shim/*.c <<'PY'; then
import re, sys
bad = 0
for path in sys.argv[1:]:
    text = open(path).read()
    for sym in re.findall(r"EXPORT_SYMBOL_NS_GPL\((\w+), IODMA\);", text):
        m = re.search(r"/\*\*\n \* " + sym + r"\(\) - (?:(?!\*/).)*\*/", text, re.S)
        doc = m.group(0) if m else ""
        for section in ("Context:", "Return:"):
            if section not in doc:
                print(f"{path}: {sym}: kernel-doc lacks {section}", file=sys.stderr)
                bad = 1
sys.exit(bad)
PY
	pass "exported symbols documented"
else
	fail "exported symbols documented (above)"
fi

echo "$p $f" >"$results/style"
echo "style: $p passed, $f failed"
[ "$f" -eq 0 ]
