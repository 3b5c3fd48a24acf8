#!/usr/bin/env bash
# Usage: demo.sh [stock [LINE]|test [LINE]]
# (LINE: a row of scripts/lib/kernels.sh; 6.12-arm64 is the arm64 one, its
# modules and user program cross-built, booted on QEMU's virt machine)
# (make demo then runs samples/nvme on the same kernel: check-nvme.sh, on
# the lines whose nvme column in scripts/lib/kernels.sh names configurations.)
# The edu demo: iodma and the samples/edu driver doing real DMA in QEMU, in
# direct, swiotlb=force and intel-iommu configurations with the edu engine
# at 28 and 64 DMA bits, 1 GiB of guest RAM. "stock" (make demo) builds
# against and boots one of Debian 12's stock kernels, LINE 6.12 (default)
# or 6.1 (make demo KERNEL=6.1): no kernel build. "test"
# (make check) uses the test kernel of LINE with DMA-API debug, KASAN,
# kmemleak and lockdep; without a LINE, every kernel line of
# scripts/lib/kernels.sh one after the other (the runs of its "demo"
# column), and writes out/results/demo
# (their sum, "P F") with a line per kernel. "stock" starts all runs at
# once (the guests mostly wait for the engine's 100 ms timer); "test" runs
# them with an instruction-counting clock that skips the waits, as many
# at once as the host has cores.
# Environment (make check-dkms): IODMA_PREBUILT, a directory holding an
# iodma.ko and its Module.symvers to run instead of building iodma;
# IODMA_DEMO_TRACE (make check, make check-trace), non-empty: trace events on
# during the transfers, the trace buffer dumped into each run's ktap.log;
# IODMA_DEMO_RUNS, the runs to do (default all six: "direct/28 ...
# iommu-strict/64"); IODMA_DEMO_OUT, the output directory. "stock" writes
# its counts ("P F") to OUT/counts.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"
need_pkgs cpio gcc libc6-dev rsync python3

. "$(dirname "$0")/lib/kernels.sh"

mode=${1:-stock}
# make check: the demo on every kernel line's test kernel, added up.
if [ "$mode" = test ] && [ $# -lt 2 ]; then
	mkdir -p "$IODMA_TOP/out/results"
	rm -f "$IODMA_TOP/out/results/demo" "$IODMA_TOP/out/results/demo.lines"
	tp=0 tf=0 perline=()
	for line in "${IODMA_KERNELS[@]}"; do
		say "demo on the $line test kernel"
		counts=$IODMA_TOP/out/demo-test-$line/counts
		rm -f "$counts"
		kernel_row "$line"
		# iodma's trace events on in every run: the trace stage
		# (check-trace.sh --from-demo) judges these same boots.
		IODMA_DEMO_OUT='' IODMA_DEMO_RUNS=$KERNEL_DEMO_RUNS IODMA_DEMO_TRACE=1 \
			"$0" test "$line" || true
		c=$(head -c 64 "$counts" 2>/dev/null || true)
		if [[ $c =~ ^(0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]] &&
			[ "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" -gt 0 ]; then
			p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		else
			echo "FAIL demo[$line]: no valid counts (${c:-none}; crashed?):" \
				"counted as 1 failed case"
			p=0 f=1
		fi
		perline+=("demo $line: $p passed, $f failed")
		echo "$line $p $f" >>"$IODMA_TOP/out/results/demo.lines"
		tp=$((tp + p)) tf=$((tf + f))
	done
	printf '%s\n' "${perline[@]}"
	echo "$tp $tf" >"$IODMA_TOP/out/results/demo"
	echo "demo: $tp passed, $tf failed"
	[ "$tf" -eq 0 ]
	exit
fi
line=${2:-${IODMA_KERNELS[0]}}
# make demo ARCH=arm64 KERNEL=6.12: the 6.12 line of arm64.
[ -z "${IODMA_ARCH:-}" ] || line=$(kernel_line "${line%-"$IODMA_ARCH"}" "$IODMA_ARCH")
kernel_row "$line"
need_pkgs "$ARCH_QEMU_PKG" "${ARCH_PKGS[@]}"
out=$IODMA_TOP/out/demo-$mode-$line
out=${IODMA_DEMO_OUT:-$out}
mkdir -p "$out"
case $mode in
stock)
	{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
	iodma=$out/iodma
	;;
test)
	kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh" "$line")
	kernel=$kdir/$KERNEL_IMAGE
	iodma=$IODMA_TOP/out/test-kernel-$line
	;;
*) die "usage: demo.sh [stock|test]" ;;
esac

if [ -n "${IODMA_PREBUILT:-}" ]; then
	iodma=$(realpath "$IODMA_PREBUILT")
	say "running the prebuilt $iodma/iodma.ko"
	for f in iodma.ko Module.symvers; do
		[ -f "$iodma/$f" ] || die "IODMA_PREBUILT=$iodma has no $f"
	done
else
	"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$iodma" >/dev/null
fi
"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$iodma" edu "$out/edu"
IODMA_ARCH=$ARCH_NAME "$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
	"$iodma/iodma.ko" "$out/edu/edu_dma.ko" "$out/edu/edu-demo"

# KVM where a short probe proves it works (it does not on these machines).
accel=tcg
if [ "$mode" = stock ] && [ -w /dev/kvm ] &&
	[ "$ARCH_DEBARCH" = "$(dpkg --print-architecture)" ]; then
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

# make check's runs (test, and the DKMS module's on a stock kernel): the
# guest's clock counts instructions and skips ahead while the guest idles
# (run-qemu.sh's IODMA_ICOUNT), so the edu engine's 100 ms timer per DMA
# costs no waiting: a test-kernel run took 450 s of wall-clock time for
# 70 s of CPU before. make demo keeps the real clock.
# Such runs are busy the whole time: as many at once as the host has cores
# (more only slow each other down), through the guest slots make check
# shares among its lanes (guest_slot in scripts/lib/common.sh; set up here
# when run alone); real-clock runs mostly wait, all at once.
icount=
if { [ "$mode" = test ] || [ -n "${IODMA_PREBUILT:-}" ]; } && [ "$accel" = tcg ]; then
	icount=3
	export IODMA_SLOTS=${IODMA_SLOTS:-$(nproc)} IODMA_SLOTS_DIR=${IODMA_SLOTS_DIR:-$out/slots}
fi
start=$(date +%s)
runs=()
for name in ${IODMA_DEMO_RUNS:-$ARCH_DEMO_RUNS}; do
	cfg=${name%/*} bits=${name#*/}
	logdir=$out/runs/$cfg-$bits
	runs+=("$name=$logdir")
	EDU_DMA_BITS=$bits IODMA_ACCEL=$accel IODMA_ICOUNT=$icount IODMA_ARCH=$ARCH_NAME \
		IODMA_APPEND="iodma.run=edu-demo iodma.modargs=edu_dma.dma_bits=$bits${IODMA_DEMO_TRACE:+ iodma.trace=1}" \
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
		"$out/initramfs.cpio.gz" "$logdir" iodma,edu_dma 900 \
		2>"$out/qemu-$cfg-$bits.log" &
done
say "${#runs[@]} QEMU runs under way (${accel}${icount:+, -icount shift=$icount}); the engine takes about 0.1 s a transfer"
wait || true
say "all runs finished in $(( $(date +%s) - start )) s"

args=()
args+=(--counts "$out/counts")
[ "$mode" = test ] && args+=(--debug-kernel)
mkdir -p "$IODMA_TOP/out/results"
rc=0
python3 "$IODMA_TOP/scripts/demo-report.py" "${args[@]}" "${runs[@]}" || rc=$?

# make demo: then the second table, samples/nvme on the same stock kernel
# (PRP, SGL, copy buffer, the ext2 round trip with the kernel's nvme
# driver). make check runs it as its own stage; make check-dkms not at all.
if [ "$mode" = stock ] && [ -z "${IODMA_PREBUILT:-}" ]; then
	if [ -n "$KERNEL_NVME" ]; then
		say "samples/nvme on the same kernel"
		"$IODMA_TOP/scripts/check-nvme.sh" --stock --kernel "$line" || rc=1
	else
		say "samples/nvme: not on $line (its nvme column in scripts/lib/kernels.sh is empty)"
	fi
fi
exit "$rc"
