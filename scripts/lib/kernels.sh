# The kernel lines iodma is built and tested on: one row per line, and one
# row per architecture they run on. Sourced.
# shellcheck shell=bash
#
# Adding a kernel line adds a row here (and, if some configuration option is
# spelled differently there, a scripts/kernel/test-kernel-<line>.config);
# adding an architecture adds a row to IODMA_ARCH_TABLE and its base
# fragment. Never an `if [ $line = ... ]` or `if [ $arch = ... ]` in a script.
#
# Architecture columns:
#   arch        the name used in kernel rows
#   karch       the kernel's ARCH=
#   kconfig     the option that is y in every kernel of this architecture
#               (how scripts/build-modules.sh tells a kernel tree's arch)
#   cross       CROSS_COMPILE= for the kernel and modules ('-': none, the
#               host's own gcc)
#   base        the architecture's common config fragment (scripts/kernel/),
#               applied first to every line of that architecture
#   debarch     Debian's architecture name (stock kernel packages, busybox)
#   qemu        the QEMU system binary and, after a comma, its Debian package
#   console     the serial console device the guest kernel writes to
#   demo        the runs of `make demo` on the stock kernel (config/bits)
#   pkgs        the Debian packages a build for this architecture needs
#               beyond KERNEL_BUILD_PKGS (comma separated, '-': none)
#   configs     every QEMU configuration (scripts/lib/qemu-configs.sh) of
#               the architecture that KUnit runs in, comma separated,
#               multi-vCPU ones first (scripts/check-kunit.sh starts them in
#               this order); a kernel line's configs "all" means these
#   suites      KUnit suites its kernels build beyond kunit/*.c (Kbuild
#               decides by the kernel's features; the judges then expect
#               them), comma separated ('-': none)
#   bench       the QEMU configurations make bench (and its instruction
#               profile) boots on Debian's stock kernel, comma separated,
#               in the same order on every architecture: DMA-direct, every
#               mapping bounced through swiotlb, a strict IOMMU (every unmap
#               invalidates its IOTLB entries at once), a lazy one
#               (invalidations batched); all with a coherent device, so
#               that the architectures' rows compare. A configuration here
#               may be one that KUnit does not run in (not in configs)
#
# Kernel line columns:
#   line        the name used everywhere (make check, out/kunit/<line>/...)
#   arch        a row of IODMA_ARCH_TABLE
#   source      Debian's source package for the test kernel; its tarball is
#               /usr/src/<source>.tar.xz and unpacks into <source>/
#   fragment    the per-line config fragment (scripts/kernel/), applied after
#               the architecture's base fragment ('-': none)
#   image       the bootable image, relative to the kernel build directory
#   stock       the release pattern (ERE) of Debian 12's stock image package
#               linux-image-<release>-<debarch> of this line
#   kbuild      the stock kernel's kbuild package ($rel: the release)
#   demo        the demo runs (config/bits, comma separated) make check does on
#               this line's test kernel: all six on the first line; one per
#               DMA path, both engine widths among them, on the others (every
#               KUnit suite still runs in every configuration on each line)
#   configs     the QEMU configurations (scripts/lib/qemu-configs.sh) make
#               check runs every KUnit suite in on this line's test kernel,
#               comma separated, or "all" (its architecture's configs)
#   nvme        the QEMU configurations make check runs samples/nvme in on
#               this line's test kernel (scripts/check-nvme.sh), comma
#               separated ('-': none): every DMA path on the first line (the
#               28-bit modes run in the untranslated ones), one on the
#               others. None on arm64 yet: scripts/check-nvme.sh builds its
#               user program and boots its guests for x86_64 only, and its
#               28-bit modes need memory below 256 MiB, which arm64's virt
#               (RAM from 1 GiB) does not have
#   stress      the cycles of the KUnit stress test in the multi-vCPU
#               configuration (smp4) on this line ('-': none has one):
#               101 000 on the first line (the robustness figure), a fifth
#               of that on the others, where every suite still runs but the
#               100 000 cycles would add 12 minutes of a 4-vCPU guest on a
#               2-core machine to every make check
IODMA_ARCH_TABLE='
#arch   karch  kconfig          cross              base                     debarch  qemu                                console  demo                                                                               pkgs                                                                                  configs                                                  suites        bench
x86_64  x86    CONFIG_X86_64    -                  test-kernel.config       amd64    qemu-system-x86_64,qemu-system-x86  ttyS0    direct/28,direct/64,swiotlb/28,swiotlb/64,iommu-strict/28,iommu-strict/64          -                                                                                     smp4,direct,swiotlb,swiotlb-tiny,iommu-strict,iommu-lazy  -             direct,swiotlb,iommu-strict,iommu-lazy
arm64   arm64  CONFIG_ARM64     aarch64-linux-gnu- test-kernel-arm64.config arm64    qemu-system-aarch64,qemu-system-arm ttyAMA0  direct/32,direct/64,noncoherent/64,swiotlb/64,smmuv3/28,smmuv3-noncoherent/28   gcc-aarch64-linux-gnu,g++-aarch64-linux-gnu,libc6-dev-arm64-cross,device-tree-compiler  direct,noncoherent,swiotlb,smmuv3,smmuv3-noncoherent            iodma_cache   direct,swiotlb-coherent,smmuv3,smmuv3-lazy
'

IODMA_KERNEL_TABLE='
#line       arch    source             fragment                 image                  stock                 kbuild             demo                                                                       configs  nvme                         stress
6.12        x86_64  linux-source-6.12  test-kernel-6.12.config  arch/x86/boot/bzImage  6\.12\.[0-9]+\+deb12  linux-kbuild-$rel  direct/28,direct/64,swiotlb/28,swiotlb/64,iommu-strict/28,iommu-strict/64  all      direct,swiotlb,iommu-strict  101000
6.1         x86_64  linux-source-6.1   test-kernel-6.1.config   arch/x86/boot/bzImage  6\.1\.0-[0-9]+        linux-kbuild-6.1   direct/28,swiotlb/28,iommu-strict/64                                       all      direct                       20000
6.12-arm64  arm64   linux-source-6.12  -                        arch/arm64/boot/Image  6\.12\.[0-9]+\+deb12  linux-kbuild-$rel  direct/32,noncoherent/64,swiotlb/64,smmuv3/28,smmuv3-noncoherent/28        all      -                            -
'

# The architectures whose lines run by default (make check, check-kunit.sh
# and demo.sh without --kernel): IODMA_ARCHES, space separated, default
# every architecture of the table; `make check-kunit ARCH=arm64` narrows it
# to arm64.
read -r -a IODMA_DEFAULT_ARCHES <<<"${IODMA_ARCHES:-$(printf '%s\n' "$IODMA_ARCH_TABLE" |
	awk '$1 !~ /^#/ && NF { printf "%s ", $1 }')}"

# Every line of the default architectures, in table order: make check runs
# them all. The first is the default wherever one kernel is enough.
mapfile -t IODMA_KERNELS < <(printf '%s\n' "$IODMA_KERNEL_TABLE" |
	awk -v arches=" ${IODMA_DEFAULT_ARCHES[*]} " \
		'$1 !~ /^#/ && NF && index(arches, " " $2 " ") { print $1 }')

# Every line of every architecture (for error messages).
mapfile -t IODMA_ALL_KERNELS < <(printf '%s\n' "$IODMA_KERNEL_TABLE" |
	awk '$1 !~ /^#/ && NF { print $1 }')

# arch_row ARCH: set ARCH_NAME, ARCH_KARCH, ARCH_KCONFIG, ARCH_CROSS (empty for none),
# ARCH_BASE (absolute path), ARCH_DEBARCH, ARCH_QEMU, ARCH_QEMU_PKG,
# ARCH_CONSOLE, ARCH_DEMO_RUNS (space separated), ARCH_PKGS (array),
# ARCH_CONFIGS (array), ARCH_SUITES (comma separated) and ARCH_BENCH
# (space separated) for ARCH; die if the table has no such architecture.
arch_row() {
	local row qemu pkgs configs bench
	row=$(printf '%s\n' "$IODMA_ARCH_TABLE" |
		awk -v a="$1" '$1 !~ /^#/ && $1 == a')
	[ -n "$row" ] || die "unknown architecture '$1'"
	read -r ARCH_NAME ARCH_KARCH ARCH_KCONFIG ARCH_CROSS ARCH_BASE ARCH_DEBARCH qemu \
		ARCH_CONSOLE demo pkgs configs ARCH_SUITES bench <<<"$row"
	ARCH_BENCH=${bench//,/ }
	[ "$ARCH_SUITES" != - ] || ARCH_SUITES=
	ARCH_DEMO_RUNS=${demo//,/ }
	[ "$ARCH_CROSS" != - ] || ARCH_CROSS=
	ARCH_BASE=$IODMA_TOP/scripts/kernel/$ARCH_BASE
	ARCH_QEMU=${qemu%%,*} ARCH_QEMU_PKG=${qemu#*,}
	ARCH_PKGS=()
	[ "$pkgs" = - ] || IFS=, read -r -a ARCH_PKGS <<<"$pkgs"
	IFS=, read -r -a ARCH_CONFIGS <<<"$configs"
}

# arch_of_kdir KDIR: the arch_row of the kernel build tree KDIR (its .config
# names the architecture); die if no row matches.
arch_of_kdir() {
	local a
	for a in $(printf '%s\n' "$IODMA_ARCH_TABLE" | awk '$1 !~ /^#/ && NF { print $1 }'); do
		arch_row "$a"
		grep -qx "$ARCH_KCONFIG=y" "$1/.config" 2>/dev/null && return 0
	done
	die "$1/.config names no architecture of scripts/lib/kernels.sh"
}

# kernel_line VERSION ARCH: the line of kernel VERSION (6.12, 6.1) on ARCH:
# the row named VERSION or VERSION-ARCH whose architecture is ARCH.
kernel_line() {
	local l
	l=$(printf '%s\n' "$IODMA_KERNEL_TABLE" | awk -v v="$1" -v a="$2" \
		'$1 !~ /^#/ && $2 == a && ($1 == v || $1 == v "-" a) { print $1; exit }')
	[ -n "$l" ] || die "no kernel line $1 on $2 in scripts/lib/kernels.sh"
	echo "$l"
}

# kdir_toolchain KDIR: the arch_row of KDIR, and how to build modules for it:
# KDIR_MAKE (array: ARCH=, and CROSS_COMPILE= when cross) and KDIR_CC, the
# kernel's own compiler (Debian's stock headers name gcc-12; cross, the same
# compiler under the cross prefix).
kdir_toolchain() {
	arch_of_kdir "$1"
	need_pkgs "${ARCH_PKGS[@]}"
	KDIR_MAKE=(ARCH="$ARCH_KARCH")
	KDIR_CC=gcc
	grep -q 'x86_64-linux-gnu-gcc-12' "$1/.config" 2>/dev/null &&
		KDIR_CC=x86_64-linux-gnu-gcc-12
	if [ -n "$ARCH_CROSS" ]; then
		KDIR_MAKE+=(CROSS_COMPILE="$ARCH_CROSS")
		KDIR_CC=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' "$1/.config")
		KDIR_CC=$ARCH_CROSS${KDIR_CC#"$ARCH_CROSS"}
		command -v "$KDIR_CC" >/dev/null || die "no $KDIR_CC, the compiler of $1"
	fi
	return 0
}

# arch_busybox: the path of a static busybox for the architecture arch_row
# set last: the host's own busybox-static, or that package of the other
# architecture fetched with apt-get download (never installed), cached in
# $IODMA_CACHE/busybox/<debarch>/.
arch_busybox() {
	if [ "$ARCH_DEBARCH" = "$(dpkg --print-architecture)" ]; then
		need_pkgs busybox-static
		echo /bin/busybox
		return 0
	fi
	local dir=$IODMA_CACHE/busybox/$ARCH_DEBARCH locked=0
	[ -x "$dir/root/bin/busybox" ] || { apt_lock; locked=1; }
	if [ ! -x "$dir/root/bin/busybox" ]; then
		say "fetching busybox-static:$ARCH_DEBARCH"
		dpkg --print-foreign-architectures | grep -qx "$ARCH_DEBARCH" || {
			dpkg --add-architecture "$ARCH_DEBARCH" && apt-get update -qq >&2
		} || die "could not add the $ARCH_DEBARCH architecture to dpkg"
		rm -rf "$dir"
		mkdir -p "$dir/debs"
		(cd "$dir/debs" && apt-get download -q "busybox-static:$ARCH_DEBARCH" >&2) ||
			die "apt-get download busybox-static:$ARCH_DEBARCH failed"
		dpkg-deb -x "$dir"/debs/*.deb "$dir/root"
		rm -rf "$dir/debs"
		[ -x "$dir/root/bin/busybox" ] || die "no bin/busybox in busybox-static:$ARCH_DEBARCH"
	fi
	[ "$locked" = 0 ] || apt_unlock
	echo "$dir/root/bin/busybox"
}

# kernel_row LINE: set KERNEL_LINE, KERNEL_ARCH, KERNEL_SOURCE,
# KERNEL_FRAGMENT (absolute path, or empty for none), KERNEL_IMAGE,
# KERNEL_STOCK, KERNEL_KBUILD, KERNEL_DEMO_RUNS (space separated),
# KERNEL_CONFIGS (space separated, "all" expanded) and KERNEL_NVME (space
# separated, empty for none) for LINE, and its architecture's ARCH_*
# (arch_row); die if the table has no such line.
kernel_row() {
	local row
	row=$(printf '%s\n' "$IODMA_KERNEL_TABLE" |
		awk -v l="$1" '$1 !~ /^#/ && $1 == l')
	[ -n "$row" ] || die "unknown kernel line '$1' (known: ${IODMA_ALL_KERNELS[*]})"
	read -r KERNEL_LINE KERNEL_ARCH KERNEL_SOURCE KERNEL_FRAGMENT KERNEL_IMAGE \
		KERNEL_STOCK KERNEL_KBUILD KERNEL_DEMO_RUNS KERNEL_CONFIGS KERNEL_NVME \
		KERNEL_STRESS <<<"$row"
	if [ "$KERNEL_FRAGMENT" = - ]; then
		KERNEL_FRAGMENT=
	else
		KERNEL_FRAGMENT=$IODMA_TOP/scripts/kernel/$KERNEL_FRAGMENT
	fi
	KERNEL_DEMO_RUNS=${KERNEL_DEMO_RUNS//,/ }
	KERNEL_CONFIGS=${KERNEL_CONFIGS//,/ }
	[ "$KERNEL_NVME" != - ] || KERNEL_NVME=
	[ "$KERNEL_STRESS" != - ] || KERNEL_STRESS=
	KERNEL_NVME=${KERNEL_NVME//,/ }
	arch_row "$KERNEL_ARCH"
	[ "$KERNEL_CONFIGS" != all ] || KERNEL_CONFIGS="${ARCH_CONFIGS[*]}"
}
