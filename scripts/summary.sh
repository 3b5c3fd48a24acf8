#!/usr/bin/env bash
# Usage: summary.sh RESULTS_DIR STAGE...
# Add up the "P F" files the stages wrote and print the final line
# "N passed, N failed". A stage whose result file is missing, is not exactly
# two numbers "P F", or counts no test at all ("0 0") counts as 1 failed,
# with a line saying why.
set -euo pipefail
dir=${1:?results directory}
shift
[ $# -gt 0 ] || { echo "FAIL summary: no stage given"; echo "0 passed, 1 failed"; exit 1; }
tp=0 tf=0
for s in "$@"; do
	why=
	if [ ! -f "$dir/$s" ]; then
		why="stage produced no result"
	else
		line=$(head -c 64 "$dir/$s")
		if ! [[ $line =~ ^(0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]]; then
			why="garbled result file '${line//$'\n'/\\n}' (want \"P F\")"
		elif [ "${BASH_REMATCH[1]}" = 0 ] && [ "${BASH_REMATCH[2]}" = 0 ]; then
			why="stage counted no test (0 passed, 0 failed)"
		else
			p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		fi
	fi
	if [ -n "$why" ]; then
		echo "FAIL $s: $why (see its output above)"
		p=0 f=1
	fi
	printf '  %-8s %5d passed, %d failed\n' "$s" "$p" "$f"
	tp=$((tp + p)) tf=$((tf + f))
done
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
