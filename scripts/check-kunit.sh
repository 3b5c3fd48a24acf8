#!/usr/bin/env bash
# Usage: check-kunit.sh [CONFIG...]
# Build (or reuse) the test kernel, build iodma and its KUnit module against
# it, and run the KUnit suites in every QEMU configuration (default: all).
# Writes out/results/kunit ("P F") and prints one line per configuration.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("${IODMA_CONFIGS[@]}")
out=$IODMA_TOP/out
results=$out/results
mkdir -p "$results"
rm -f "$results/kunit"

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

total_p=0 total_f=0
for cfg in "${configs[@]}"; do
	logdir=$out/kunit/$cfg
	python3 "$IODMA_TOP/scripts/ktap-check.py" --name "kunit[$cfg]" \
		--logdir "$logdir" --suites-from "$IODMA_TOP/kunit" || true
	read -r p f <"$logdir/counts"
	total_p=$((total_p + p)) total_f=$((total_f + f))
done
echo "$total_p $total_f" >"$results/kunit"
python3 "$IODMA_TOP/scripts/robustness-kunit.py" "$out/kunit"
echo "kunit: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
