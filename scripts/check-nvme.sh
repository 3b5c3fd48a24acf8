#!/usr/bin/env bash
# Usage: check-nvme.sh [--stock|--bench] [--kernel LINE] [CONFIG...]
# samples/nvme against QEMU's NVMe controller (-device nvme, two of them),
# beside the kernel's own nvme driver in the same boot, on the test kernel
# of LINE (default 6.12: DMA-API debug, KASAN, kmemleak, lockdep), or with
# --stock on Debian's stock kernel of LINE (its nvme and ext4 modules
# loaded from the image package), one boot per DMA configuration (default:
# direct swiotlb iommu-strict; all at once). --bench (make bench): on the
# stock kernel, one boot per configuration, one after the other, the same
# controller measured under nvme and iodma_nvme in turn
# (samples/nvme/nvme-bench.sh); prints "bench: nvme <workload> <config>
# iodma/nvme <ratio>" lines.
#
# Before each boot the host writes pattern 1 over the DATA image with
# nvme-demo; in the guest (samples/nvme/nvme-run.sh) iodma_nvme reads it
# back with O_DIRECT in every shape and writes a pattern per mode (PRP,
# SGL, and both with a 28-bit engine that forces iodma's copy buffer) into
# its own region, and makes and checks an ext2 filesystem through both
# drivers. After QEMU exits the host checks the whole DATA image: every
# byte either pattern 1 or the right mode's pattern. scripts/nvme-report.py
# prints the table and writes out/results/nvme ("P F"): every guest run, the
# host check of each boot and each boot's "kernel clean" count once.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
need_pkgs qemu-system-x86 busybox-static cpio gcc libc6-dev rsync python3

line=${IODMA_KERNELS[0]} mode=test bench=
while [ $# -gt 0 ]; do
	case $1 in
	--stock) mode=stock; shift ;;
	--bench) mode=stock bench=1; shift ;;
	--kernel) line=${2:?--kernel LINE}; shift 2 ;;
	*) break ;;
	esac
done
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(direct swiotlb iommu-strict)
[ -z "$bench" ] || [ "$#" -gt 0 ] || configs=(direct iommu-strict)
kernel_row "$line"

out=$IODMA_TOP/out/nvme-$mode-$line${bench:+-bench}
results=$IODMA_TOP/out/results
mkdir -p "$out" "$results"
[ "$mode" = test ] && rm -f "$results/nvme"
rm -f "$out/counts"

# stock_modules MODDIR NAME...: the stock kernel's modules NAME and what
# they depend on (modinfo's depends=), dependencies first, uncompressed
# into $out/kmods; prints their names in load order.
stock_modules() {
	local dir=$1 name f deps
	shift
	for name in "$@"; do
		[ -f "$out/kmods/$name.ko" ] && { echo "$name"; continue; }
		f=$(find "$dir" -name "$name.ko" -o -name "$name.ko.xz" | head -1)
		[ -n "$f" ] || die "stock module $name not found under $dir"
		mkdir -p "$out/kmods"
		case $f in
		*.xz) xz -dc "$f" >"$out/kmods/$name.ko" ;;
		*) cp "$f" "$out/kmods/$name.ko" ;;
		esac
		deps=$(strings "$out/kmods/$name.ko" | sed -n 's/^depends=//p' | tr ',' ' ')
		# shellcheck disable=SC2086
		[ -z "$deps" ] || stock_modules "$dir" $deps
		echo "$name"
	done
}

mods=iodma extra=()
case $mode in
test)
	kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh" "$line")
	kernel=$kdir/$KERNEL_IMAGE
	iodma=$IODMA_TOP/out/test-kernel-$line
	;;
stock)
	need_pkgs xz-utils binutils
	{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
	iodma=$IODMA_TOP/out/nvme-stock-$line/iodma	# shared with --bench
	rm -rf "$out/kmods"
	kmods=$(stock_modules "$(dirname "$kernel")/../lib/modules" nvme ext4 crc32c_generic | awk '!seen[$0]++')
	for m in $kmods; do extra+=("$out/kmods/$m.ko"); done
	mods="$(echo "$kmods" | tr '\n' ',')iodma"
	;;
esac
"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$iodma" >/dev/null
"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$iodma" nvme "$out/nvme" 2>/dev/null
demo=$out/nvme/nvme-demo
"$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
	"${extra[@]}" "$iodma/iodma.ko" "$out/nvme/iodma_nvme.ko" "$demo" \
	"$IODMA_TOP/samples/nvme/nvme-run.sh" "$IODMA_TOP/samples/nvme/nvme-bench.sh"

# The DATA image: pattern 1 over 64 MiB. The guest reads [0, 8M) and
# writes 4 MiB per mode from 32 MiB on (seed 10 + mode index).
IMG_MB=64
guest=nvme-run.sh
[ -z "$bench" ] || guest=nvme-bench.sh
start=$(date +%s)
runs=()
for cfg in "${configs[@]}"; do
	logdir=$out/runs/$cfg
	mkdir -p "$logdir"
	rm -f "$logdir/host-check"
	"$demo" fill "$logdir/data.img" 1 0 ${IMG_MB}M >/dev/null
	truncate -s 0 "$logdir/fs.img"
	truncate -s 32M "$logdir/fs.img"
	IODMA_QEMU_EXTRA="-drive file=$logdir/data.img,if=none,id=data,format=raw
		-device nvme,serial=iodmadata,drive=data,addr=0x10,mdts=8
		-drive file=$logdir/fs.img,if=none,id=fs,format=raw
		-device nvme,serial=iodmafs,drive=fs,addr=0x11" \
		IODMA_APPEND="iodma.run=$guest" \
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
		"$out/initramfs.cpio.gz" "$logdir" "$mods" 900 \
		2>"$out/qemu-$cfg.log" &
	runs+=("$cfg=$logdir")
	# Timings: one boot at a time.
	[ -z "$bench" ] || wait || true
done
if [ -n "$bench" ]; then
	wait || true
	python3 "$IODMA_TOP/scripts/nvme-report.py" --bench "${runs[@]}"
	exit
fi
say "${#runs[@]} QEMU runs under way (TCG)"
wait || true
say "all runs finished in $(( $(date +%s) - start )) s"

# The host's side: the image after QEMU exited, region by region.
for cfg in "${configs[@]}"; do
	logdir=$out/runs/$cfg
	img=$logdir/data.img
	n=$(sed -n 's/^NVME-WRITES \([0-9]*\).*/\1/p' "$logdir/ktap.log" 2>/dev/null | tail -1)
	want=4
	case $cfg in iommu*) want=2 ;; esac	# no 28-bit modes there
	ok=1 checked=0
	check() {	# SEED OFF_MB LEN_MB
		if "$demo" check "$img" "$1" "$2M" "$3M" >/dev/null 2>>"$logdir/host-check.err"; then
			checked=$((checked + $3))
		else
			ok=0
		fi
	}
	if [ -z "$n" ] || [ "$n" -ne $want ]; then
		ok=0
	else
		check 1 0 32
		for k in $(seq 0 $((n - 1))); do check $((10 + k)) $((32 + 4 * k)) 4; done
		check 1 $((32 + 4 * n)) $((IMG_MB - 32 - 4 * n))
	fi
	echo "$ok $((checked << 20))" >"$logdir/host-check"
done

args=(--counts "$out/counts")
[ "$mode" = test ] && args+=(--debug-kernel)
python3 "$IODMA_TOP/scripts/nvme-report.py" "${args[@]}" "${runs[@]}" || true
c=$(cat "$out/counts" 2>/dev/null || echo "0 1")
[ "$mode" = stock ] || echo "$c" >"$results/nvme"
read -r p f <<<"$c"
echo "nvme: $p passed, $f failed ($(( $(date +%s) - start )) s)"
[ "$f" -eq 0 ]
