#!/usr/bin/env bash
# Usage: run-qemu.sh CONFIG IMAGE INITRAMFS LOGDIR MODULES [TIMEOUT]
# Boot BZIMAGE under TCG in the named configuration (scripts/lib/qemu-configs.sh)
# with the edu DMA device. The initramfs's init loads MODULES (comma
# separated) in order. Console goes to LOGDIR/console.log, KTAP from the
# second serial port to LOGDIR/ktap.log, QEMU's own output to LOGDIR/qemu.log
# and its exit status to LOGDIR/qemu.exit. Every output of an earlier run in
# LOGDIR (those, and the judges' counts and results.ktap) is deleted before
# anything else, so that a run that fails to start leaves nothing a judge
# could take for a result. Exit status is QEMU's (124 on timeout); judging
# the run is scripts/ktap-check.py's job.
# Environment: EDU_DMA_BITS (edu dma_mask), IODMA_APPEND (more kernel
# arguments, e.g. iodma.run= and iodma.modargs=), IODMA_ACCEL (tcg/kvm),
# IODMA_ARCH (a row of scripts/lib/kernels.sh's IODMA_ARCH_TABLE, default
# x86_64), IODMA_ICOUNT (a shift N: the guest's clock counts instructions,
# 2^N ns each, and never runs while the guest idles: `-icount
# shift=N,sleep=off`, deterministic timings for the benchmark; vCPUs then
# take turns on one host thread), IODMA_PLUGIN (a QEMU TCG plugin and its
# arguments, given to -plugin, e.g. scripts/profile/insn-windows.c's),
# IODMA_QEMU_EXTRA (more QEMU arguments, split at spaces: drives, NVMe
# controllers), IODMA_SLOTS and IODMA_SLOTS_DIR (at most that many guests
# at once: guest_slot in scripts/lib/common.sh).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"
. "$(dirname "$0")/lib/kernels.sh"

cfg=${1:?config} kernel=${2:?image} initrd=${3:?initramfs} logdir=${4:?logdir}
mods=${5:?modules} tmo=${6:-900}
mkdir -p "$logdir"
rm -f "$logdir/console.log" "$logdir/ktap.log" "$logdir/qemu.log" \
	"$logdir/qemu.exit" "$logdir/counts" "$logdir/results.ktap" \
	"$logdir/machine.dtb" "$logdir/qemu.times"
arch_row "${IODMA_ARCH:-x86_64}"
need_pkgs "$ARCH_QEMU_PKG"
qemu_config "$cfg" "$ARCH_NAME"

# The machine's own device tree, changed where the configuration says so:
# dumped by QEMU for exactly these machine options, edited with the
# device-tree compiler's tools, and booted with -dtb.
dtb=()
if [ -n "$QEMU_DTB" ]; then
	need_pkgs device-tree-compiler
	timeout 60 "$ARCH_QEMU" "${QEMU_ARGS[@]}" -display none \
		-machine dumpdtb="$logdir/machine.dtb" >"$logdir/qemu.log" 2>&1 ||
		die "qemu [$cfg]: could not dump the machine's device tree"
	case $QEMU_DTB in
	noncoherent-pci)
		nodes=$(fdtget -l "$logdir/machine.dtb" / | grep '^pcie@') ||
			die "qemu [$cfg]: no PCIe host bridge in the device tree"
		for n in $nodes; do
			fdtput -d "$logdir/machine.dtb" "/$n" dma-coherent ||
				die "qemu [$cfg]: /$n has no dma-coherent to remove"
			fdtget -p "$logdir/machine.dtb" "/$n" | grep -qx dma-coherent &&
				die "qemu [$cfg]: /$n is still dma-coherent"
		done
		;;
	*) die "qemu [$cfg]: unknown device tree change '$QEMU_DTB'" ;;
	esac
	dtb=(-dtb "$logdir/machine.dtb")
fi
if [ -n "${IODMA_ICOUNT:-}" ]; then
	[[ $IODMA_ICOUNT =~ ^[0-9]+$ ]] || die "IODMA_ICOUNT must be a shift (0-10), not '$IODMA_ICOUNT'"
	QEMU_ARGS+=(-icount "shift=$IODMA_ICOUNT,sleep=off")
fi
[ -z "${IODMA_PLUGIN:-}" ] || QEMU_ARGS+=(-plugin "$IODMA_PLUGIN")

# KVM does not work on these machines (see TOOLCHAIN.md): TCG only, with
# the configuration's TCG threading (QEMU_TCG).
accel=${IODMA_ACCEL:-tcg}
[ "$accel" != tcg ] || [ -z "$QEMU_TCG" ] || accel+=",$QEMU_TCG"
say "qemu [$cfg]: -accel $accel ${QEMU_ARGS[*]} / $KERNEL_ARGS"
guest_slot
[ "$GUEST_SLOT_WAITED" = 0 ] || say "qemu [$cfg]: waited $GUEST_SLOT_WAITED s for a guest slot"
# A guest left only to wait (init's pause before its last kmemleak scan,
# scripts/qemu/init) says IODMA-IDLE on its console: its slot goes back
# to the lanes for the rest of the run (a KUnit guest idles 3-5 of its
# 30-40 s there, and the scan after the pause is short). The watcher
# ends with the run; its tail does not hold the slot's lock.
watcher=
if [ "$GUEST_SLOT_HELD" = 1 ]; then
	(
		while IFS= read -r line; do
			case $line in *IODMA-IDLE*) flock -u 7; exit 0 ;; esac
		done < <(exec 7>&-; exec tail -n +1 -F --pid=$$ "$logdir/console.log" 2>/dev/null)
	) &
	watcher=$!
fi
start=$(date +%s)
set +e
# shellcheck disable=SC2086 # IODMA_QEMU_EXTRA is a list of words
timeout --foreground -k 10 "$tmo" "$ARCH_QEMU" -accel "$accel" \
	-nographic -no-reboot -display none -monitor none \
	"${QEMU_ARGS[@]}" "${dtb[@]}" ${IODMA_QEMU_EXTRA:-} \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=$ARCH_CONSOLE panic=-1 oops=panic loglevel=6 kunit.enable=1 $KERNEL_ARGS iodma.config=$cfg iodma.ktap=$GUEST_KTAP iodma.mods=$mods ${IODMA_APPEND:-}" \
	-serial "file:$logdir/console.log" \
	-chardev "file,id=ktap,path=$logdir/ktap.log" "${QEMU_KTAP[@]}" \
	</dev/null >>"$logdir/qemu.log" 2>&1
rc=$?
if [ -n "$watcher" ]; then
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
fi
set -e
echo "$rc" >"$logdir/qemu.exit"
# The CPU time QEMU used (this script's children: timeout and QEMU), the
# figure that tells where make check's time goes on a CPU-bound host.
times >"$logdir/qemu.times"
cpu=$(child_cpu "$logdir/qemu.times")
say "qemu [$cfg]: exit $rc after $(( $(date +%s) - start )) s, CPU $cpu s"
exit $rc
