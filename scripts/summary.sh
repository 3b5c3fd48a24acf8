#!/usr/bin/env bash
# Usage: summary.sh RESULTS_DIR STAGE...
# Add up the "P F" files the stages wrote and print the final line
# "N passed, N failed". A stage whose result file is missing, is not exactly
# two numbers "P F", or counts no test at all ("0 0") counts as 1 failed,
# with a line saying why.
# Before it, one line per kernel line and architecture, from the stages
# that count per kernel line (STAGE.lines: "LINE P F" per line, written
# by check-kunit.sh, demo.sh, check-nvme.sh and check-trace.sh):
# "  kernel LINE (ARCH): P passed, F failed (STAGE P/F, ...)". A garbled
# STAGE.lines, one whose lines do not add up to the stage's own count, and
# a kernel line that counted no test each count as 1 failed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
dir=${1:?results directory}
shift
[ $# -gt 0 ] || { echo "FAIL summary: no stage given"; echo "0 passed, 1 failed"; exit 1; }
tp=0 tf=0
declare -A stage_p=() stage_f=()
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
	[ -z "$why" ] || continue
	stage_p[$s]=$p stage_f[$s]=$f
done

# Per kernel line, in the order the lines first appear.
declare -A lp=() lf=() parts=()
order=()
for s in "$@"; do
	[ -f "$dir/$s.lines" ] || continue
	why= sp=0 sf=0
	while IFS= read -r row || [ -n "$row" ]; do
		if ! [[ $row =~ ^([A-Za-z0-9._-]+)\ (0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]]; then
			why="garbled line '$row' in $s.lines (want \"LINE P F\")"
			break
		fi
		l=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]}
		sp=$((sp + p)) sf=$((sf + f))
		[ -n "${lp[$l]+x}" ] || { order+=("$l"); lp[$l]=0 lf[$l]=0; }
		lp[$l]=$((lp[$l] + p)) lf[$l]=$((lf[$l] + f))
		parts[$l]+="${parts[$l]:+, }$s $p/$f"
	done <"$dir/$s.lines"
	if [ -z "$why" ] && [ -n "${stage_p[$s]+x}" ] &&
		{ [ "$sp" != "${stage_p[$s]}" ] || [ "$sf" != "${stage_f[$s]}" ]; }; then
		why="$s.lines adds up to $sp passed, $sf failed, the stage counted ${stage_p[$s]}, ${stage_f[$s]}"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $s: $why"
		tf=$((tf + 1))
	fi
done
for l in "${order[@]}"; do
	if [ "${lp[$l]}" = 0 ] && [ "${lf[$l]}" = 0 ]; then
		echo "FAIL kernel $l: counted no test (0 passed, 0 failed)"
		lf[$l]=1 tf=$((tf + 1))
	fi
	arch=$(printf '%s\n' "$IODMA_KERNEL_TABLE" | awk -v l="$l" '$1 !~ /^#/ && $1 == l { print $2 }')
	printf '  kernel %s (%s): %d passed, %d failed (%s)\n' "$l" "${arch:-unknown}" \
		"${lp[$l]}" "${lf[$l]}" "${parts[$l]}"
done
echo "$tp passed, $tf failed"
[ "$tf" -eq 0 ]
