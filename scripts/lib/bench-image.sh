# The benchmark's guest image, shared by make bench and the profile. Sourced.
# shellcheck shell=bash

# bench_image KDIR OUT: iodma and samples/bench built against the kernel
# headers KDIR (cross-built where its architecture is not the host's) into
# OUT/iodma and OUT/module, and OUT/initramfs.cpio.gz holding them, the
# guest's collector and a busybox of that architecture. Needs kernels.sh.
bench_image() {
	local kdir=$1 out=$2
	arch_of_kdir "$kdir"
	"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$out/iodma" >/dev/null
	"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$out/iodma" bench "$out/module"
	IODMA_ARCH=$ARCH_NAME "$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
		"$out/iodma/iodma.ko" "$out/module/iodma_bench.ko" "$out/module/bench-collect"
}
