#!/usr/bin/env bash
# Usage: demo.sh [stock [LINE]|test]
# The edu demo: iodma and the samples/edu driver doing real DMA in QEMU, in
# direct, swiotlb=force and intel-iommu configurations with the edu engine
# at 28 and 64 DMA bits, 1 GiB of guest RAM. "stock" (make demo) builds
# against and boots one of Debian 12's stock kernels, LINE 6.12 (default)
# or 6.1 (make demo KERNEL=6.1): no kernel build. "test"
# (make check) uses the test kernel with DMA-API debug, KASAN, kmemleak and
# lockdep, and writes out/results/demo. All runs go at once: the guests
# mostly wait for the engine's 100 ms timer.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"
need_pkgs qemu-system-x86 busybox-static cpio gcc libc6-dev rsync python3

mode=${1:-stock}
line=${2:-6.12}
out=$IODMA_TOP/out/demo-$mode
[ "$mode" = stock ] && out=$out-$line
mkdir -p "$out"
case $mode in
stock)
	{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
	iodma=$out/iodma
	;;
test)
	kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh")
	kernel=$kdir/arch/x86/boot/bzImage
	iodma=$IODMA_TOP/out/test-kernel
	;;
*) die "usage: demo.sh [stock|test]" ;;
esac

"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$iodma" >/dev/null
"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$iodma" edu "$out/edu" 2>/dev/null
"$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
	"$iodma/iodma.ko" "$out/edu/edu_dma.ko" "$out/edu/edu-demo"

# KVM where a short probe proves it works (it does not on these machines).
accel=tcg
if [ "$mode" = stock ] && [ -w /dev/kvm ]; then
	probe=$out/kvm-probe
	if timeout 40 qemu-system-x86_64 -accel kvm -cpu host -m 256M -nographic \
		-no-reboot -display none -monitor none -kernel "$kernel" \
		-initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 iodma.mods=" \
		-serial "file:$probe.log" </dev/null >/dev/null 2>&1 &&
		grep -q IODMA-RUN-COMPLETE "$probe.log"; then
		accel=kvm
	fi
	say "accelerator: $accel"
fi

start=$(date +%s)
runs=()
for cfg in direct swiotlb iommu-strict; do
	for bits in 28 64; do
		name="$cfg/$bits"
		logdir=$out/runs/$cfg-$bits
		runs+=("$name=$logdir")
		EDU_DMA_BITS=$bits IODMA_ACCEL=$accel \
			IODMA_APPEND="iodma.run=edu-demo iodma.modargs=edu_dma.dma_bits=$bits" \
			"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
			"$out/initramfs.cpio.gz" "$logdir" iodma,edu_dma 900 \
			2>"$out/qemu-$cfg-$bits.log" &
	done
done
say "six QEMU runs under way (${accel}); the engine takes about 0.1 s a transfer"
wait || true
say "all runs finished in $(( $(date +%s) - start )) s"

args=()
[ "$mode" = test ] && args+=(--debug-kernel --counts "$IODMA_TOP/out/results/demo")
mkdir -p "$IODMA_TOP/out/results"
python3 "$IODMA_TOP/scripts/demo-report.py" "${args[@]}" "${runs[@]}"
