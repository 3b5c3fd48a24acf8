#!/usr/bin/env bash
# make bench: iodma measured against the raw Linux DMA API.
#  1. In-kernel: samples/bench on Debian's stock 6.12 kernel (no debug
#     options), one boot per configuration (direct, swiotlb, iommu-strict,
#     iommu-lazy), 2 vCPUs, run one after another so they do not disturb
#     each other's timings.
#  2. Host: Google Benchmark of the core's gen_segments (tests/bench).
#  3. samples/nvme against the kernel's nvme driver, same controller, same
#     boot (scripts/check-nvme.sh --bench): "bench: nvme ..." ratios.
# Then one table, out/bench/bench.csv, out/bench/bench.png and lines
# "bench: <name> <value>".
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs qemu-system-x86 busybox-static cpio gcc rsync python3 gnuplot-nox \
	cmake g++ libbenchmark-dev

out=$IODMA_TOP/out/bench
mkdir -p "$out"
{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh")
iodma=$IODMA_TOP/out/demo-stock/iodma
"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$iodma" >/dev/null
"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$iodma" bench "$out/module" 2>/dev/null
"$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
	"$iodma/iodma.ko" "$out/module/iodma_bench.ko" "$out/module/bench-collect"

runs=()
for cfg in direct swiotlb iommu-strict iommu-lazy; do
	say "benchmark [$cfg]"
	IODMA_SMP=2 EDU_DMA_BITS=64 IODMA_APPEND="iodma.run=bench-collect" \
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
		"$out/initramfs.cpio.gz" "$out/runs/$cfg" iodma,iodma_bench 900 ||
		say "qemu [$cfg] did not exit cleanly"
	runs+=("$cfg=$out/runs/$cfg")
done

say "host microbenchmark"
cmake -S "$IODMA_TOP/tests/bench" -B "$out/host" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$out/host" -j"$(nproc)" >/dev/null
"$out/host/gen_bench" --benchmark_format=json --benchmark_min_time=0.2 \
	>"$out/host.json" 2>"$out/host.err" || die "host benchmark failed"

python3 "$IODMA_TOP/scripts/bench-report.py" --out "$out" --host "$out/host.json" "${runs[@]}"

say "samples/nvme against the kernel's nvme driver"
"$IODMA_TOP/scripts/check-nvme.sh" --bench | tee "$out/nvme.txt" ||
	die "nvme benchmark failed"
