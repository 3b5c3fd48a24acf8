#!/usr/bin/env bash
# Usage: check-nvme.sh [--stock|--bench] [--kernel LINE] [CONFIG...]
# samples/nvme against QEMU's NVMe controller (-device nvme, two of them),
# beside the kernel's own nvme driver in the same boot, one boot per DMA
# configuration.
#
#   (no option)   the nvme stage of make check: on every kernel line's test
#                 kernel (DMA-API debug, KASAN, kmemleak, lockdep), in the
#                 configurations of the line's nvme column in
#                 scripts/lib/kernels.sh; writes out/results/nvme ("P F")
#   --kernel LINE that line's test kernel only (CONFIGs, or its nvme column)
#   --stock       Debian's stock kernel of LINE (default 6.12), its nvme and
#                 ext4 modules loaded from the image package (make demo);
#                 default configurations direct swiotlb iommu-strict
#   --bench       (make bench) on the stock kernel, one boot at a time, the
#                 same controller measured under nvme and iodma_nvme in
#                 turn (samples/nvme/nvme-bench.sh); prints "bench: nvme
#                 <workload> <config> iodma/nvme <ratio>" lines
#
# Guests run two at a time (IODMA_NVME_JOBS), each with one vCPU, and each
# may take IODMA_NVME_TIMEOUT seconds (default 900, as a KUnit run) before
# it counts as hung. Before each boot the host writes pattern 1 over the DATA image with
# nvme-demo; in the guest (samples/nvme/nvme-run.sh) iodma_nvme reads it
# back with O_DIRECT in every shape and writes a pattern per mode (PRP,
# SGL, and both with a 28-bit engine that forces iodma's copy buffer) into
# its own region, and makes and checks an ext2 filesystem through both
# drivers. After QEMU exits the host checks the whole DATA image: every
# byte either pattern 1 or the right mode's pattern. scripts/nvme-report.py
# prints the table and counts: every guest run, the host check of each boot
# and each boot's "kernel clean" count once; a kernel line that could not be
# built counts one failure per boot it should have made.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"
need_pkgs qemu-system-x86 busybox-static cpio gcc libc6-dev rsync python3

line='' mode=test bench=''
while [ $# -gt 0 ]; do
	case $1 in
	--stock) mode=stock; shift ;;
	--bench) mode=stock bench=1; shift ;;
	--kernel) line=${2:?--kernel LINE}; shift 2 ;;
	*) break ;;
	esac
done
# The stage (test kernels, no --kernel) covers every line.
lines=("${line:-${IODMA_KERNELS[0]}}")
[ "$mode" != test ] || [ -n "$line" ] || lines=("${IODMA_KERNELS[@]}")
# line_configs LINE: the configurations to boot on LINE.
line_configs() {
	if [ "${#cli_configs[@]}" -gt 0 ]; then
		# Only on lines the sample runs on (today x86_64's).
		if [ "$mode" = test ]; then
			kernel_row "$1"
			[ -n "$KERNEL_NVME" ] || return 0
		fi
		echo "${cli_configs[*]}"
	elif [ -n "$bench" ]; then
		echo direct iommu-strict
	elif [ "$mode" = stock ]; then
		echo direct swiotlb iommu-strict
	else
		kernel_row "$1"
		echo "$KERNEL_NVME"
	fi
}
cli_configs=("$@")
# A kernel line or a typo given as a configuration stops here, by name.
for c in "${cli_configs[@]}"; do
	(qemu_config "$c" x86_64) >/dev/null 2>&1 ||
		die "unknown configuration '$c': samples/nvme boots x86_64's (${IODMA_CONFIGS[*]}); --kernel LINE picks a kernel line"
done

top=$IODMA_TOP/out/nvme-$mode${bench:+-bench}
results=$IODMA_TOP/out/results
mkdir -p "$top" "$results"
stage=
[ "$mode" != test ] || [ -n "$line" ] || stage=1
[ -z "$stage" ] || rm -f "$results/nvme" "$results/nvme.lines"
jobs_max=${IODMA_NVME_JOBS:-2}
[ -z "$bench" ] || jobs_max=1	# timings: one boot at a time
tmo=${IODMA_NVME_TIMEOUT:-900}	# as a KUnit run (qemu_timeout)

# The DATA image: pattern 1 over 64 MiB. The guest reads from 0 and writes
# WRITE_MB per mode at 32 MiB + 4 MiB * mode index (seed 10 + mode index).
IMG_MB=64 WRITE_MB=3

# modes_of CONFIG: the iodma_nvme modes a boot runs, told to the guest
# (iodma.nvme_modes=) and to the judge (LOGDIR/modes), so that neither
# guesses. PRP and SGL everywhere; the 28-bit ones, which force iodma's copy
# buffer for memory above 256 MiB, in direct only: under swiotlb=force they
# bounce everything the same way, and behind an IOMMU iodma refuses them.
modes_of() {
	case $1 in
	direct) echo prp sgl prp/28 sgl/28 ;;
	*) echo prp sgl ;;
	esac
}

# stock_modules OUT MODDIR NAME...: the stock kernel's modules NAME and what
# they depend on (modinfo's depends=), dependencies first, uncompressed
# into OUT/kmods; prints their names in load order.
stock_modules() {
	local out=$1 dir=$2 name f deps
	shift 2
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
		[ -z "$deps" ] || stock_modules "$out" "$dir" $deps
		echo "$name"
	done
}

# prepare_line LINE: the kernel, iodma, the sample and the initramfs of
# LINE under $top/LINE; writes $top/LINE/boot ("KERNEL MODULES").
prepare_line() {
	local l=$1 out=$top/$1 kdir kernel iodma kmods m mods=iodma extra=()
	mkdir -p "$out"
	rm -f "$out/boot"
	case $mode in
	test)
		kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh" "$l")
		kernel_row "$l"
		kernel=$kdir/$KERNEL_IMAGE
		iodma=$IODMA_TOP/out/test-kernel-$l
		;;
	stock)
		need_pkgs xz-utils binutils
		{ read -r kdir; read -r kernel; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$l")
		iodma=$IODMA_TOP/out/nvme-stock/$l/iodma	# shared with --bench
		rm -rf "$out/kmods"
		kmods=$(stock_modules "$out" "$(dirname "$kernel")/../lib/modules" \
			nvme ext4 crc32c_generic | awk '!seen[$0]++')
		for m in $kmods; do extra+=("$out/kmods/$m.ko"); done
		mods="$(echo "$kmods" | tr '\n' ',')iodma"
		;;
	esac
	"$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$iodma" >/dev/null
	"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$iodma" nvme "$out/nvme"
	"$IODMA_TOP/scripts/make-initramfs.sh" "$out/initramfs.cpio.gz" \
		"${extra[@]}" "$iodma/iodma.ko" "$out/nvme/iodma_nvme.ko" \
		"$out/nvme/nvme-demo" \
		"$IODMA_TOP/samples/nvme/nvme-run.sh" "$IODMA_TOP/samples/nvme/nvme-bench.sh"
	echo "$kernel $mods" >"$out/boot"
}

# host_check LOGDIR DEMO: the host's side, the DATA image after QEMU
# exited, region by region; writes LOGDIR/host-check ("OK BYTES").
host_check() {
	local logdir=$1 demo=$2 img=$1/data.img n want ok=1 checked=0 k
	n=$(sed -n 's/^NVME-WRITES \([0-9]*\).*/\1/p' "$logdir/ktap.log" 2>/dev/null | tail -1)
	want=$(wc -w <"$logdir/modes")
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
		for k in $(seq 0 $((n - 1))); do
			check $((10 + k)) $((32 + 4 * k)) $WRITE_MB
			check 1 $((32 + 4 * k + WRITE_MB)) $((4 - WRITE_MB))
		done
		check 1 $((32 + 4 * n)) $((IMG_MB - 32 - 4 * n))
	fi
	echo "$ok $((checked << 20))" >"$logdir/host-check"
}

# boot LINE CONFIG: one guest, then the host's check of its image.
boot() {
	local l=$1 cfg=$2 logdir=$top/$1/runs/$2 kernel mods guest=nvme-run.sh
	local demo=$top/$1/nvme/nvme-demo
	[ -z "$bench" ] || guest=nvme-bench.sh
	read -r kernel mods <"$top/$l/boot"
	mkdir -p "$logdir"
	rm -f "$logdir/host-check" "$logdir/host-check.err"
	modes_of "$cfg" >"$logdir/modes"
	"$demo" fill "$logdir/data.img" 1 0 ${IMG_MB}M >/dev/null
	truncate -s 0 "$logdir/fs.img"
	truncate -s 16M "$logdir/fs.img"
	# 1 GiB, the configuration's: with 512 MiB Debian's stock kernel gave
	# nvme-demo no page above 256 MiB, and the 28-bit runs never bounced.
	IODMA_QEMU_EXTRA="-drive file=$logdir/data.img,if=none,id=data,format=raw
		-device nvme,serial=iodmadata,drive=data,addr=0x10,mdts=8
		-drive file=$logdir/fs.img,if=none,id=fs,format=raw
		-device nvme,serial=iodmafs,drive=fs,addr=0x11" \
		IODMA_APPEND="iodma.run=$guest iodma.nvme_write=${WRITE_MB}M iodma.nvme_modes=$(tr ' ' , <"$logdir/modes")" \
		"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "$kernel" \
		"$top/$l/initramfs.cpio.gz" "$logdir" "$mods" "$tmo" \
		>"$top/$l/qemu-$cfg.log" 2>&1 || true
	[ -n "$bench" ] || host_check "$logdir" "$demo"
}

start=$(date +%s)
ready=()
for l in "${lines[@]}"; do
	if [ -z "$(line_configs "$l")" ]; then
		say "nvme $l: no configurations (the nvme column of scripts/lib/kernels.sh)"
		continue
	fi
	say "nvme $l: building the kernel, iodma, samples/nvme, the initramfs"
	# A subshell of its own, not a condition, so that set -e holds in it.
	set +e
	(
		set -e
		prepare_line "$l"
	)
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		ready+=("$l")
	else
		echo "FAIL nvme $l: could not build what the runs need (above)"
	fi
done

# The boots, at most jobs_max at once (one vCPU each): wait -n for one to
# end before starting the next. The boots with the most modes go first, so
# that the long ones run side by side and the short ones fill in after.
mapfile -t boots < <(for l in "${ready[@]}"; do
	for cfg in $(line_configs "$l"); do
		echo "$(modes_of "$cfg" | wc -w) $l $cfg"
	done
done | sort -s -k1,1nr)
n=0 running=0
for b in "${boots[@]}"; do
	read -r _ l cfg <<<"$b"
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	say "nvme $l/$cfg: booting (timeout $tmo s)"
	boot "$l" "$cfg" &
	n=$((n + 1)) running=$((running + 1))
done
wait || true
say "nvme: $n boots finished in $(( $(date +%s) - start )) s"

if [ -n "$bench" ]; then
	runs=()
	for cfg in $(line_configs "${lines[0]}"); do runs+=("$cfg=$top/${lines[0]}/runs/$cfg"); done
	python3 "$IODMA_TOP/scripts/nvme-report.py" --bench "${runs[@]}"
	exit
fi

tp=0 tf=0
for l in "${lines[@]}"; do
	runs=()
	for cfg in $(line_configs "$l"); do runs+=("$l/$cfg=$top/$l/runs/$cfg"); done
	counts=$top/$l/counts
	rm -f "$counts"
	if [[ " ${ready[*]} " == *" $l "* ]]; then
		args=(--counts "$counts")
		[ "$mode" = test ] && args+=(--debug-kernel)
		python3 "$IODMA_TOP/scripts/nvme-report.py" "${args[@]}" "${runs[@]}" || true
	fi
	# No valid counts (no build, a crashed judge): one failure per boot.
	c=$(cat "$counts" 2>/dev/null || true)
	[[ $c =~ ^[0-9]+\ [0-9]+$ ]] || c="0 ${#runs[@]}"
	read -r p f <<<"$c"
	echo "nvme $l: $p passed, $f failed"
	[ -z "$stage" ] || [ $((p + f)) -eq 0 ] || echo "$l $p $f" >>"$results/nvme.lines"
	tp=$((tp + p)) tf=$((tf + f))
done
[ -z "$stage" ] || echo "$tp $tf" >"$results/nvme"
echo "nvme: $tp passed, $tf failed ($(( $(date +%s) - start )) s)"
[ "$tf" -eq 0 ]
