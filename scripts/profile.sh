#!/usr/bin/env bash
# Usage: profile.sh [KERNEL_LINE]   (default: the first line of scripts/lib/kernels.sh)
# Where the instructions of one 4 KiB transfer go, iodma against raw (best)
# and raw (typical), function by function: iodma_bench in profile mode
# (iodma_bench.windows=N marks N cycles of each path and buffer kind) on
# Debian's stock kernel, one vCPU, with the QEMU plugin
# scripts/profile/insn-windows.c counting every instruction in the marked
# windows; scripts/profile-report.py names them from the guest's
# /proc/kallsyms. Instruction counts do not depend on the host's
# load. Writes out/bench/<line>/profile.txt. Builds the modules for that
# line into make bench's directory (make bench runs this at its end).
# The markers are no-op instructions of x86_64 and arm64 (iodma_bench.c,
# insn-windows.c); on an architecture without one iodma_bench says so in
# an error line and the profile fails.
# Environment: PROFILE_CONFIGS (default: the bench column of the line's
# architecture in scripts/lib/kernels.sh, x86_64's direct swiotlb
# iommu-strict iommu-lazy), PROFILE_WINDOWS (cycles per path, default 5),
# PROFILE_KIB (the size of a cycle, KiB, default 4; other sizes write
# out/bench/<line>/profile-<N>K.txt).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
. "$(dirname "$0")/lib/bench-image.sh"
need_pkgs cpio gcc rsync python3

line=${1:-${IODMA_KERNELS[0]}}
# make profile ARCH=arm64 KERNEL=6.12: the 6.12 line of arm64.
[ -z "${IODMA_ARCH:-}" ] || line=$(kernel_line "${line%-"$IODMA_ARCH"}" "$IODMA_ARCH")
kernel_row "$line"
need_pkgs "$ARCH_QEMU_PKG" "${ARCH_PKGS[@]}"
arch=$ARCH_NAME
read -r -a configs <<<"${PROFILE_CONFIGS:-$ARCH_BENCH}"
out=$IODMA_TOP/out/bench/$line
kib=${PROFILE_KIB:-4}
case $kib in ''|*[!0-9]*) die "PROFILE_KIB='$kib': a number of KiB" ;; esac
if [ "$kib" = 4 ]; then
	runsdir=$out/profile report=$out/profile.txt
else
	runsdir=$out/profile-${kib}K report=$out/profile-${kib}K.txt
fi
mkdir -p "$out/profile" "$runsdir"
{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")

plugin=$out/profile/insn-windows.so
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden \
	-o "$plugin" "$IODMA_TOP/scripts/profile/insn-windows.c" ||
	die "the QEMU plugin did not build"
# Built every time (Kbuild redoes only what changed): a profile of modules
# left by an earlier make bench would measure the code as it was then.
bench_image "$kdir" "$out"
runs=()
for cfg in "${configs[@]}"; do
	d=$runsdir/$cfg
	rm -f "$d/windows.log"
	say "instruction profile [$line $cfg]"
	IODMA_SMP=1 EDU_DMA_BITS=64 IODMA_ARCH=$arch IODMA_PLUGIN="$plugin,out=$d/windows.log" \
		IODMA_APPEND="iodma.run=bench-collect iodma.modargs=iodma_bench.windows=${PROFILE_WINDOWS:-5},iodma_bench.window_kib=$kib" \
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" "$out/initramfs.cpio.gz" \
		"$d" iodma,iodma_bench 900 || say "qemu [$line $cfg] did not exit cleanly"
	runs+=("$cfg=$d")
done
python3 "$IODMA_TOP/scripts/profile-report.py" "${runs[@]}" |
	tee "$report"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || die "the instruction profile is incomplete (FAIL lines above)"
