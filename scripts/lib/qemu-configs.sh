# The named QEMU configurations every checked run uses, per architecture.
# Sourced. Which configurations an architecture's KUnit runs and make bench
# use is its row in scripts/lib/kernels.sh (IODMA_ARCH_TABLE: configs,
# bench); how each boots is here.
# shellcheck shell=bash

# x86_64, smp4 first: its stress test is the longest, the others run beside
# it.
IODMA_CONFIGS=(smp4 direct swiotlb swiotlb-tiny iommu-strict iommu-lazy)

# qemu_config NAME [ARCH]: set, for configuration NAME of ARCH (default
# x86_64):
#   QEMU_ARGS    the machine, CPU, memory and edu device (array)
#   KERNEL_ARGS  extra kernel arguments (string)
#   QEMU_DTB     how to change the machine's own device tree before the
#                boot ('' for not at all; noncoherent-pci: the PCIe host
#                bridge loses its dma-coherent property, scripts/run-qemu.sh)
#   QEMU_KTAP    how the guest's second serial port, the KTAP channel, is
#                attached to the chardev "ktap" (array)
#   GUEST_KTAP   that port's name in the guest
#   QEMU_TCG     the TCG option of -accel: "thread=single" (every vCPU on
#                one host thread, taking turns) or '' (QEMU's default, a
#                host thread per vCPU)
# EDU_DMA_BITS (default QEMU's 28 on x86_64, 64 on arm64: virt's RAM starts
# at 1 GiB, beyond a 28-bit engine) sets the edu device's reach; IODMA_SMP
# overrides the number of vCPUs; IODMA_X86_MEM the memory of an x86_64
# guest (default 1G: the demo and samples/nvme need pages above 256 MiB
# for their 28-bit runs to bounce; the KUnit runs ask for 512M).
qemu_config() {
	local name=$1 arch=${2:-x86_64} edu="edu" bits=${EDU_DMA_BITS:-}
	local mem=${IODMA_X86_MEM:-1G}
	[ -n "$bits" ] || [ "$arch" = x86_64 ] || bits=64
	[ -n "$bits" ] &&
		edu="edu,dma_mask=$(printf '0x%x' $(( (1 << bits) - 1 )))"
	[ "$bits" = 64 ] && edu="edu,dma_mask=0xffffffffffffffff"
	KERNEL_ARGS="" QEMU_DTB="" QEMU_TCG=""
	case "$arch/$name" in
	x86_64/*)
		QEMU_ARGS=(-machine q35 -cpu max -smp 1 -m "$mem" -device "$edu")
		QEMU_KTAP=(-serial chardev:ktap) GUEST_KTAP=ttyS1
		# no_timer_check everywhere: under TCG on a loaded host the
		# kernel's check of the timer through the IO-APIC can time out
		# and panic the boot ("IO-APIC + timer doesn't work!", seen on
		# Debian's stock 6.12 in direct while other guests ran); the
		# check proves nothing about DMA.
		KERNEL_ARGS="no_timer_check"
		;;
	arm64/*)
		# pauth-impdef: pointer authentication with QEMU's fast
		# implementation-defined algorithm instead of QARMA under TCG.
		# 4 GiB: virt's memory starts at 1 GiB, so this puts 1 GiB
		# above 2^32. dma-direct gives no mask narrower than its DMA
		# zone (all memory below 4 GiB here), so 32 bits is the
		# narrowest engine, and memory beyond its reach must exist for
		# the copy-buffer and bounce tests (iodma_kunit_narrow_mask()).
		QEMU_ARGS=(-machine "virt,gic-version=3$(case $name in smmuv3*) echo ,iommu=smmuv3 ;; esac)"
			-cpu max,pauth-impdef=on -smp 1 -m 4G -device "$edu")
		QEMU_KTAP=(-device pci-serial,chardev=ktap) GUEST_KTAP=ttyS0
		# An arm64 TCG guest among others on an overcommitted host stalls
		# for tens of seconds at boot; the soft-lockup detector then
		# reports a lockup that is the host's. Its longest threshold
		# (2 x 60 s) still catches a real one. RCU's stall checks
		# (21 s by default) likewise report the host's starvation as a
		# stall, and as a WARN when a grace period seems not to start
		# (rcu_check_gp_start_stall()); 120 s still reports a real one
		# well inside KUnit's 300 s per case.
		KERNEL_ARGS="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
		;;
	*) die "unknown architecture '$arch'" ;;
	esac
	case "$arch/$name" in
	x86_64/direct | arm64/direct) ;;
	x86_64/swiotlb) KERNEL_ARGS+=" swiotlb=force" ;;
	# The smallest pool swiotlb accepts (128 slots of 2 KiB), all bounced.
	x86_64/swiotlb-tiny) KERNEL_ARGS+=" swiotlb=128,force" ;;
	x86_64/iommu-strict | x86_64/iommu-lazy)
		QEMU_ARGS=(-machine q35,kernel-irqchip=split -cpu max
			-device intel-iommu,intremap=on -smp 1 -m "$mem" -device "$edu")
		KERNEL_ARGS+=" intel_iommu=on iommu.strict=$([ "$name" = iommu-strict ] && echo 1 || echo 0)"
		;;
	# Four vCPUs taking turns on one host thread. With a host thread
	# each, on a 2-core host shared with other guests, a vCPU spins for
	# its whole time slice on a lock whose holder's thread is not
	# running: the 6.12 run took 794 s of CPU (1 139 s) that way against
	# 169 s (170 s) taking turns, for the same 331 cases and 101 000
	# stress cycles. Taking turns, a vCPU is switched out when it idles
	# or at the end of any translation block once its 100 ms turn is
	# over (QEMU's round-robin kick), so the threads still interleave
	# inside each other's critical sections; what it does not give is two
	# vCPUs executing at the same instant.
	x86_64/smp4)
		QEMU_ARGS=(-machine q35 -cpu max -smp 4 -m "$mem" -device "$edu")
		QEMU_TCG="thread=single"
		;;
	# QEMU's virt says its PCIe host bridge is dma-coherent; without that
	# property Linux treats edu as a non-coherent device and does the CPU
	# cache maintenance on every map, sync and unmap.
	arm64/noncoherent) QEMU_DTB=noncoherent-pci ;;
	# arm64 shrinks swiotlb's pool to 1 MiB per GiB of memory when no zone
	# needs bouncing, unless swiotlb= asks for a size other than the
	# default (64 MiB: asking for exactly that is shrunk too). Forced, it
	# must hold the demo's 1 MiB transfer and more: 16384 slots, 32 MiB.
	arm64/swiotlb) QEMU_DTB=noncoherent-pci KERNEL_ARGS+=" swiotlb=16384,force" ;;
	arm64/smmuv3) KERNEL_ARGS+=" iommu.strict=1" ;;
	# make bench only (the bench column of scripts/lib/kernels.sh): x86's
	# swiotlb and iommu-lazy on arm64, a coherent device in both. The
	# pool as in swiotlb above; lazy: IOTLB invalidations batched (a
	# flush queue) instead of one per unmap.
	arm64/swiotlb-coherent) KERNEL_ARGS+=" swiotlb=16384,force" ;;
	arm64/smmuv3-lazy) KERNEL_ARGS+=" iommu.strict=0" ;;
	arm64/smmuv3-noncoherent) QEMU_DTB=noncoherent-pci KERNEL_ARGS+=" iommu.strict=1" ;;
	*) die "unknown QEMU configuration '$name' on $arch" ;;
	esac
	# What the cache-maintenance tests expect (kunit/cache/): only a
	# changed device tree makes edu non-coherent.
	KERNEL_ARGS+=" iodma.coherent=$([ -n "$QEMU_DTB" ] && echo 0 || echo 1)"
	if [ -n "${IODMA_SMP:-}" ]; then
		local i
		for i in "${!QEMU_ARGS[@]}"; do
			if [ "${QEMU_ARGS[$i]}" = -smp ]; then
				QEMU_ARGS[i + 1]=$IODMA_SMP
			fi
		done
	fi
	return 0
}

# qemu_host_threads: how many host threads the vCPUs of the configuration
# qemu_config set last keep busy (1 when they take turns).
qemu_host_threads() {
	if [ "$QEMU_TCG" = thread=single ]; then
		echo 1
	else
		qemu_vcpus
	fi
}

# qemu_vcpus: the number of vCPUs of the configuration qemu_config set last.
qemu_vcpus() {
	local i
	for i in "${!QEMU_ARGS[@]}"; do
		if [ "${QEMU_ARGS[$i]}" = -smp ]; then
			echo "${QEMU_ARGS[i + 1]}"
			return 0
		fi
	done
	echo 1
}

# qemu_timeout NAME [ARCH]: seconds a KUnit run of NAME on ARCH (default
# x86_64) may take before it counts as hung. smp4's stress test (100 000
# cycles under KASAN, lockdep, kmemleak and DMA-API debug on four TCG
# vCPUs) needs the most on x86. arm64 (64 KiB pages, KASAN, pointer
# authentication, all under TCG): noncoherent's run took 410 s of guest
# time at a load of 15 on the 2-core machine, and an x86 direct run 12
# minutes at a load of 23; an hour tells a hang from a loaded host.
qemu_timeout() {
	case ${2:-x86_64}/$1 in
	x86_64/smp4) echo 2400 ;;
	arm64/*) echo 3600 ;;
	*) echo 900 ;;
	esac
}
