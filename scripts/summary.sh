#!/usr/bin/env bash
# Usage: summary.sh RESULTS_DIR STAGE...
# Add up the "P F" files the stages wrote and print the final line
# "N passed, N failed". A stage without a result file counts as 1 failed.
set -euo pipefail
dir=$1
shift
tp=0 tf=0
for s in "$@"; do
	if [ -f "$dir/$s" ]; then
		read -r p f <"$dir/$s"
	else
		echo "FAIL $s: stage produced no result (see its output above)"
		p=0 f=1
	fi
	printf '  %-6s %5d passed, %d failed\n' "$s" "$p" "$f"
	tp=$((tp + p)) tf=$((tf + f))
done
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
