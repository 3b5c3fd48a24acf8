# The named QEMU configurations every checked run uses. Sourced.
# shellcheck shell=bash

# smp4 first: its stress test is the longest, the others run beside it
# (scripts/check-kunit.sh never runs two multi-vCPU guests at once).
IODMA_CONFIGS=(smp4 direct swiotlb swiotlb-tiny iommu-strict iommu-lazy)

# qemu_config NAME: set QEMU_ARGS (array) and KERNEL_ARGS (string) for NAME.
# EDU_DMA_BITS (default QEMU's 28) sets the edu device's reach; IODMA_SMP
# overrides the number of vCPUs.
qemu_config() {
	local name=$1 edu="edu"
	[ -n "${EDU_DMA_BITS:-}" ] &&
		edu="edu,dma_mask=$(printf '0x%x' $(( (1 << EDU_DMA_BITS) - 1 )))"
	[ "${EDU_DMA_BITS:-}" = 64 ] && edu="edu,dma_mask=0xffffffffffffffff"
	QEMU_ARGS=(-machine q35 -smp 1 -m 1G -device "$edu")
	# no_timer_check everywhere: under TCG on a loaded host the kernel's
	# check of the timer through the IO-APIC can time out and panic the
	# boot ("IO-APIC + timer doesn't work!", seen on Debian's stock 6.12
	# in direct while other guests ran); the check proves nothing about DMA.
	KERNEL_ARGS="no_timer_check"
	case "$name" in
	direct) ;;
	swiotlb) KERNEL_ARGS+=" swiotlb=force" ;;
	# The smallest pool swiotlb accepts (128 slots of 2 KiB), all bounced.
	swiotlb-tiny) KERNEL_ARGS+=" swiotlb=128,force" ;;
	iommu-strict | iommu-lazy)
		QEMU_ARGS=(-machine q35,kernel-irqchip=split
			-device intel-iommu,intremap=on -smp 1 -m 1G -device "$edu")
		KERNEL_ARGS+=" intel_iommu=on iommu.strict=$([ "$name" = iommu-strict ] && echo 1 || echo 0)"
		;;
	smp4) QEMU_ARGS=(-machine q35 -smp 4 -m 1G -device "$edu") ;;
	*) die "unknown QEMU configuration '$name' (known: ${IODMA_CONFIGS[*]})" ;;
	esac
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

# qemu_timeout NAME: seconds a KUnit run of NAME may take before it counts
# as hung. smp4's stress test (100 000 cycles under KASAN, lockdep,
# kmemleak and DMA-API debug on four TCG vCPUs) needs the most.
qemu_timeout() {
	case $1 in
	smp4) echo 2400 ;;
	*) echo 900 ;;
	esac
}
