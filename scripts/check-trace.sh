#!/usr/bin/env bash
# Usage: check-trace.sh [--from-demo] [LINE...]
# iodma's trace events as a user meets them: for each kernel line (default
# every row of scripts/lib/kernels.sh) boot its test kernel with the edu
# demo (scripts/demo.sh test LINE) with IODMA_DEMO_TRACE=1, so that the
# guest enables events/iodma through tracefs, runs the transfers and dumps
# the trace buffer; then scripts/trace-check.py matches every record with
# the transfers edu-demo reported. Runs: direct/28 (copy buffer for memory
# above the 28-bit engine's reach), swiotlb/28 (every transfer through the
# copy buffer: swiotlb is out of reach) and iommu-strict/64 (none).
# Each transfer counts one case, each run's trace one more; the demo's own
# verdict (kernel clean, every transfer OK) is make check's demo stage.
# --from-demo (make check): boot nothing; judge every run of the demo
# stage (scripts/demo.sh test, which traces all its runs: the line's demo
# column of scripts/lib/kernels.sh, out/demo-test-LINE/runs/), so the
# trace costs no boots of its own. A run that is missing there fails.
# Writes out/results/trace ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"

from_demo=
if [ "${1:-}" = --from-demo ]; then
	from_demo=1
	shift
fi
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=("${IODMA_KERNELS[@]}")
results=$IODMA_TOP/out/results
mkdir -p "$results"
rm -f "$results/trace" "$results/trace.lines"
runs=(direct/28 swiotlb/28 iommu-strict/64)
tp=0 tf=0
for line in "${lines[@]}"; do
	if [ -n "$from_demo" ]; then
		kernel_row "$line"
		read -r -a runs <<<"$KERNEL_DEMO_RUNS"
		out=$IODMA_TOP/out/demo-test-$line
		mkdir -p "$out"
		say "trace events of the demo's runs on the $line test kernel: ${runs[*]}"
	else
		out=$IODMA_TOP/out/trace-$line
		rm -rf "$out/runs"
		say "trace events on the $line test kernel: ${runs[*]}"
		IODMA_DEMO_TRACE=1 IODMA_DEMO_OUT=$out IODMA_DEMO_RUNS="${runs[*]}" \
			"$IODMA_TOP/scripts/demo.sh" test "$line" >"$out.demo.log" 2>&1 || true
	fi
	args=()
	for r in "${runs[@]}"; do
		args+=("$line/$r=$out/runs/${r%/*}-${r#*/}")
	done
	counts=$out/trace-counts
	rm -f "$counts"
	python3 "$IODMA_TOP/scripts/trace-check.py" --counts "$counts" "${args[@]}" || true
	c=$(head -c 64 "$counts" 2>/dev/null || true)
	if [[ $c =~ ^(0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]] &&
		[ "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" -gt 0 ]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		echo "FAIL trace[$line]: trace-check.py left no valid counts (${c:-none}):" \
			"counted as 1 failed case (the runs: $out/runs)"
		p=0 f=1
	fi
	echo "trace $line: $p passed, $f failed"
	echo "$line $p $f" >>"$results/trace.lines"
	tp=$((tp + p)) tf=$((tf + f))
done
echo "$tp $tf" >"$results/trace"
echo "trace: $tp passed, $tf failed"
[ "$tf" -eq 0 ]
