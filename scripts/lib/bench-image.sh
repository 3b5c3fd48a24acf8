# The benchmark's guest image, shared by make bench and the profile. Sourced.
# shellcheck shell=bash

# bench_image KDIR OUT: iodma and samples/bench built against the kernel
# headers KDIR into OUT/iodma and OUT/module, and OUT/initramfs.cpio.gz
# holding them and the guest's collector.
bench_image() {
	local kdir=$1 out=$2
	"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$out/iodma" >/dev/null
	"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$out/iodma" bench "$out/module" 2>/dev/null
	"$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
		"$out/iodma/iodma.ko" "$out/module/iodma_bench.ko" "$out/module/bench-collect"
}
