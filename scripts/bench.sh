#!/usr/bin/env bash
# Usage: bench.sh [KERNEL_LINE...]   (default: every line of scripts/lib/kernels.sh
# of the default architectures, IODMA_ARCHES; 6.12-arm64 is the arm64 one)
# make bench: iodma measured against the raw Linux DMA API, two baselines.
#  1. In-kernel: samples/bench on Debian's stock kernel of each line (no
#     debug options; cross-built and booted on QEMU's virt machine for
#     arm64), one boot per clock mode and configuration (the bench column
#     of the line's architecture in scripts/lib/kernels.sh: DMA-direct,
#     swiotlb, a strict and a lazy IOMMU: x86_64's direct, swiotlb,
#     iommu-strict, iommu-lazy; arm64's direct, swiotlb-coherent, smmuv3,
#     smmuv3-lazy), one after another so they do not disturb each other's
#     timings. Clock modes:
#       icount  QEMU -icount shift=3,sleep=off, 1 vCPU: the guest's clock
#               counts instructions (8 ns each), so a ratio is the same
#               from run to run whatever the host's load. The targets use
#               this mode.
#       wall    wall-clock time under TCG, 2 vCPUs (and the scaling
#               figure): what a clock shows here, noisy on a shared host.
#     Both modes on every architecture: the arm64 line's eight boots and
#     its profile took 10 minutes beside a full make check.
#  2. The instruction profile of one 4 KiB transfer (scripts/profile.sh;
#     its markers exist on x86_64 and arm64).
#  3. Host: Google Benchmark of the core's gen_segments (tests/bench).
#  4. samples/nvme against the kernel's nvme driver, same controller, same
#     boot (scripts/check-nvme.sh --bench): "bench: nvme ..." ratios, on
#     the first of the lines whose nvme column in scripts/lib/kernels.sh
#     names configurations (none on arm64: a line says it is skipped).
# Per kernel line: out/bench/<line>/{bench.txt,bench.csv,bench.png,
# bench-table.rst,profile.txt} and lines "bench: <name> <value>". Exits 1
# when a run produced no complete result (scripts/bench-report.py says why).
# Environment: BENCH_MODES (default "icount wall"), BENCH_CONFIGS (default
# the four of each line's architecture), BENCH_SCALING (runs,ms of the
# wall-clock scaling pairs; default 5,1000), BENCH_PROFILE=0 (no instruction
# profile), BENCH_NVME=0 (no samples/nvme), IODMA_ARCH (make bench
# ARCH=arm64: each KERNEL_LINE given is that version's line of this
# architecture, as make demo).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
. "$(dirname "$0")/lib/bench-image.sh"
need_pkgs cpio gcc rsync python3 gnuplot-nox cmake g++ libbenchmark-dev

lines=()
for l in "$@"; do
	# make bench ARCH=arm64 KERNEL=6.12: the 6.12 line of arm64.
	[ -z "${IODMA_ARCH:-}" ] || l=$(kernel_line "${l%-"$IODMA_ARCH"}" "$IODMA_ARCH")
	lines+=("$l")
done
[ ${#lines[@]} -gt 0 ] || lines=("${IODMA_KERNELS[@]}")
read -r -a modes <<<"${BENCH_MODES:-icount wall}"
IFS=, read -r wall_runs wall_ms <<<"${BENCH_SCALING:-5,1000}"
top=$IODMA_TOP/out/bench
# 8 ns per instruction: with 1 ns (shift=0) Debian's 6.1 hangs early at
# boot (after "crng init done"); the report divides by 2^shift, so the
# figures are instruction counts either way.
icount_shift=3
mkdir -p "$top"

say "host microbenchmark"
cmake -S "$IODMA_TOP/tests/bench" -B "$top/host" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/host" -j"$(nproc)" >/dev/null
"$top/host/gen_bench" --benchmark_format=json --benchmark_min_time=0.2 \
	>"$top/host.json" 2>"$top/host.err" || die "host benchmark failed"

failed=()
host=(--host "$top/host.json")
for line in "${lines[@]}"; do
	kernel_row "$line"
	need_pkgs "$ARCH_QEMU_PKG" "${ARCH_PKGS[@]}"
	read -r -a configs <<<"${BENCH_CONFIGS:-$ARCH_BENCH}"
	arch=$ARCH_NAME
	out=$top/$line
	mkdir -p "$out"
	{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
	release=$(basename "$kernel")
	release=${release#vmlinuz-}
	bench_image "$kdir" "$out"
	runs=()
	for mode in "${modes[@]}"; do
		case $mode in
		# One vCPU: under -icount Debian's 6.1 hangs at boot with two
		# (calibrating its timers); scaling is measured on the wall clock.
		icount) icount=$icount_shift scaling=0,0 smp=1 ;;
		wall) icount= scaling=$wall_runs,$wall_ms smp=2 ;;
		*) die "unknown clock mode '$mode' (icount, wall)" ;;
		esac
		for cfg in "${configs[@]}"; do
			say "benchmark [$line $mode $cfg]"
			IODMA_ICOUNT=$icount IODMA_SMP=$smp EDU_DMA_BITS=64 IODMA_ARCH=$arch \
				IODMA_APPEND="iodma.run=bench-collect iodma.modargs=iodma_bench.scaling_runs=${scaling%,*},iodma_bench.scaling_ms=${scaling#*,}" \
				"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
				"$out/initramfs.cpio.gz" "$out/runs/$mode/$cfg" iodma,iodma_bench 1800 ||
				say "qemu [$line $mode $cfg] did not exit cleanly"
			runs+=("$mode:$cfg=$out/runs/$mode/$cfg")
		done
	done
	python3 "$IODMA_TOP/scripts/bench-report.py" --out "$out" \
		--kernel "$line $release" --icount-shift "$icount_shift" "${host[@]}" \
		"${runs[@]}" || failed+=("$line")
	# Where the instructions of a 4 KiB transfer go, function by function.
	[ "${BENCH_PROFILE:-1}" = 0 ] ||
		PROFILE_CONFIGS="${configs[*]}" "$IODMA_TOP/scripts/profile.sh" "$line" ||
		failed+=("$line (profile)")
	host=()
done
nvme=
for line in "${lines[@]}"; do
	kernel_row "$line"
	[ -z "$KERNEL_NVME" ] || { nvme=$line; break; }
done
if [ "${BENCH_NVME:-1}" = 0 ]; then
	say "samples/nvme: skipped (BENCH_NVME=0)"
elif [ -z "$nvme" ]; then
	say "samples/nvme: skipped, not on ${lines[*]} (no nvme column in scripts/lib/kernels.sh)"
else
	say "samples/nvme against the kernel's nvme driver ($nvme)"
	"$IODMA_TOP/scripts/check-nvme.sh" --bench --kernel "$nvme" | tee "$top/nvme.txt" ||
		failed+=("nvme")
fi
[ ${#failed[@]} -eq 0 ] || die "benchmark incomplete on: ${failed[*]} (the FAIL lines above say why)"
