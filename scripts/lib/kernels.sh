# The kernel lines iodma is built and tested on: one row per line. Sourced.
# shellcheck shell=bash
#
# Adding a kernel line adds a row here (and, if some configuration option is
# spelled differently there, a scripts/kernel/test-kernel-<line>.config),
# never an `if [ $line = ... ]` in a script.
#
# Columns:
#   line        the name used everywhere (make check, out/kunit/<line>/...)
#   source      Debian's source package for the test kernel; its tarball is
#               /usr/src/<source>.tar.xz and unpacks into <source>/
#   fragment    the per-line config fragment (scripts/kernel/), applied after
#               the common scripts/kernel/test-kernel.config
#   image       the bootable image, relative to the kernel build directory
#   stock       the release pattern (ERE) of Debian 12's stock image package
#               linux-image-<release>-amd64 of this line
#   kbuild      the stock kernel's kbuild package ($rel: the release)
#   demo        the demo runs (config/bits, comma separated) make check does on
#               this line's test kernel: all six on the first line; one per
#               DMA path, both engine widths among them, on the others (every
#               KUnit suite still runs in every configuration on each line)
#   configs     the QEMU configurations (scripts/lib/qemu-configs.sh) make
#               check runs every KUnit suite in on this line's test kernel,
#               comma separated, or "all". 6.1 leaves out smp4 for now: its
#               4-vCPU run takes 770 s on a quiet 2-core machine, more than
#               2400 s under load (see README, "Supported kernels")
#   nvme        the QEMU configurations make check runs samples/nvme in on
#               this line's test kernel (scripts/check-nvme.sh), comma
#               separated: every DMA path on the first line (the 28-bit
#               modes run in the untranslated ones), one on the others
IODMA_KERNEL_TABLE='
#line  source             fragment                 image                  stock                   kbuild             demo                                                                          configs                                              nvme
6.12   linux-source-6.12  test-kernel-6.12.config  arch/x86/boot/bzImage  6\.12\.[0-9]+\+deb12    linux-kbuild-$rel  direct/28,direct/64,swiotlb/28,swiotlb/64,iommu-strict/28,iommu-strict/64  all                                                  direct,swiotlb,iommu-strict
6.1    linux-source-6.1   test-kernel-6.1.config   arch/x86/boot/bzImage  6\.1\.0-[0-9]+          linux-kbuild-6.1   direct/28,swiotlb/28,iommu-strict/64                                          direct,swiotlb,swiotlb-tiny,iommu-strict,iommu-lazy  direct
'

# Every line, in table order: make check runs them all. The first is the
# default wherever one kernel is enough.
mapfile -t IODMA_KERNELS < <(printf '%s\n' "$IODMA_KERNEL_TABLE" |
	awk '$1 !~ /^#/ && NF { print $1 }')

# kernel_row LINE: set KERNEL_LINE, KERNEL_SOURCE, KERNEL_FRAGMENT (absolute
# path), KERNEL_IMAGE, KERNEL_STOCK, KERNEL_KBUILD, KERNEL_DEMO_RUNS (space
# separated), KERNEL_CONFIGS (space separated, "all" expanded) and
# KERNEL_NVME (space separated) for LINE; die if the table has no such line.
kernel_row() {
	local row
	row=$(printf '%s\n' "$IODMA_KERNEL_TABLE" |
		awk -v l="$1" '$1 !~ /^#/ && $1 == l')
	[ -n "$row" ] || die "unknown kernel line '$1' (known: ${IODMA_KERNELS[*]})"
	read -r KERNEL_LINE KERNEL_SOURCE KERNEL_FRAGMENT KERNEL_IMAGE \
		KERNEL_STOCK KERNEL_KBUILD KERNEL_DEMO_RUNS KERNEL_CONFIGS KERNEL_NVME <<<"$row"
	KERNEL_FRAGMENT=$IODMA_TOP/scripts/kernel/$KERNEL_FRAGMENT
	KERNEL_DEMO_RUNS=${KERNEL_DEMO_RUNS//,/ }
	KERNEL_CONFIGS=${KERNEL_CONFIGS//,/ }
	KERNEL_NVME=${KERNEL_NVME//,/ }
	[ "$KERNEL_CONFIGS" != all ] || KERNEL_CONFIGS="${IODMA_CONFIGS[*]:-all}"
}
