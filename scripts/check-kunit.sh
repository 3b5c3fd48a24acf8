#!/usr/bin/env bash
# Usage: check-kunit.sh [--no-run] [CONFIG...]
# Build (or reuse) the test kernel, build iodma and its KUnit module against
# it, and run the KUnit suites in every QEMU configuration (default: all).
# Writes out/results/kunit ("P F") and prints one line per configuration.
# --no-run judges the logs already in out/kunit/<config>/ again, without
# building or booting anything (for work on the checkers, and their tests).
# A configuration whose checker left no valid counts (crash) counts as one
# failed case; so do robustness figures that are missing or show a problem.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"

run=1
if [ "${1:-}" = --no-run ]; then
	run=0
	shift
fi
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("${IODMA_CONFIGS[@]}")
out=$IODMA_TOP/out
results=$out/results
mkdir -p "$results"
rm -f "$results/kunit"

if [ "$run" = 1 ]; then
	kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh")
	"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$out/test-kernel" >&2
	mods=(iodma iodma_kunit)
	kos=()
	for m in "${mods[@]}"; do kos+=("$out/test-kernel/$m.ko"); done
	"$IODMA_TOP/scripts/make-initramfs.sh" "$out/kunit/initramfs.cpio.gz" "${kos[@]}"

	# Two guests at a time: each TCG guest keeps one host core busy.
	jobs=${IODMA_JOBS:-$(nproc)}
	for cfg in "${configs[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kdir/arch/x86/boot/bzImage" \
			"$out/kunit/initramfs.cpio.gz" "$out/kunit/$cfg" \
			"$(IFS=,; echo "${mods[*]}")" &
	done
	wait || true
fi

total_p=0 total_f=0
for cfg in "${configs[@]}"; do
	logdir=$out/kunit/$cfg
	mkdir -p "$logdir"
	rm -f "$logdir/counts"
	python3 "$IODMA_TOP/scripts/ktap-check.py" --name "kunit[$cfg]" \
		--logdir "$logdir" --suites-from "$IODMA_TOP/kunit" || true
	counts=$(head -c 64 "$logdir/counts" 2>/dev/null || true)
	if [[ $counts =~ ^(0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]] &&
		[ "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" -gt 0 ]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		echo "FAIL kunit[$cfg]: ktap-check.py left no valid counts" \
			"(${counts:-none}; crashed?): counted as 1 failed case"
		p=0 f=1
	fi
	total_p=$((total_p + p)) total_f=$((total_f + f))
done
if ! python3 "$IODMA_TOP/scripts/robustness-kunit.py" "$out/kunit" "${configs[@]}"; then
	echo "FAIL kunit: robustness figures missing or showing a problem (above):" \
		"counted as 1 failed case"
	total_f=$((total_f + 1))
fi
echo "$total_p $total_f" >"$results/kunit"
echo "kunit: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
