#!/usr/bin/env bash
# Usage: scripts/check-docs.sh
# The docs stage of make check: render Documentation/ with scripts/docs.sh
# (Sphinx, kernel-doc of include/linux/iodma.h and src/shim/*.c, every
# warning an error) into out/docs, then judge the HTML with
# scripts/docs-check.py (every exported function and documented type in the
# API reference, the porting table and every mention of an iodma function
# linked to its entry). Each is one case; a judge that crashes or reports
# nothing counts as one failure. Writes out/results/docs ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
export PYTHONDONTWRITEBYTECODE=1

results=$IODMA_TOP/out/results
out=$IODMA_TOP/out/docs
mkdir -p "$results"
rm -f "$results/docs"

p=0 f=0
if "$IODMA_TOP/scripts/docs.sh" "$out"; then
	p=$((p + 1))
	echo "PASS docs: sphinx-build -W, kernel-doc clean"
else
	f=$((f + 1))
	echo "FAIL docs: sphinx-build -W, kernel-doc clean: the warnings above"
fi

judge=$out/judge.log
rc=0
python3 "$IODMA_TOP/scripts/docs-check.py" "$IODMA_TOP" "$out/html" >"$judge" 2>&1 || rc=$?
cat "$judge"
jp=$(grep -c '^PASS docs: ' "$judge" || true)
jf=$(grep -c '^FAIL docs: ' "$judge" || true)
if [ "$rc" -gt 1 ] || [ $((jp + jf)) -eq 0 ] || { [ "$rc" -eq 1 ] && [ "$jf" -eq 0 ]; } ||
	{ [ "$rc" -eq 0 ] && [ "$jf" -ne 0 ]; }; then
	echo "FAIL docs: scripts/docs-check.py crashed or reported nothing (exit $rc)"
	jf=$((jf + 1))
fi
p=$((p + jp)) f=$((f + jf))

echo "$p $f" >"$results/docs"
echo "docs: $p passed, $f failed"
[ "$f" -eq 0 ]
