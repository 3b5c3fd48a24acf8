#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Usage (in the guest, from scripts/qemu/init): nvme-run.sh CONFIG
# The samples/nvme runs of one boot, beside the kernel's own nvme driver.
# Two controllers: DATA (00:10.0), whose image the host filled with
# pattern 1, and FS (00:11.0), blank. For each mode the host asked for
# (PRP, SGL, and where it chose them the same with a 28-bit address_bits
# that forces iodma's copy buffer on part of the I/O) the DATA controller
# is taken from nvme, given to iodma_nvme, read back (pattern 1) and
# written (a pattern per mode, in its own region, checked by the host
# after QEMU exits). Then the filesystem round trip on
# FS: ext2 made and written through iodma_nvme, checked through nvme, and
# the reverse. One line per run on stdout:
#   NVME|<run>|<mode>|<copy buffer>|<bytes>|<ios>|<bounced>|<OK or FAIL>
# then NVME-DONE.
cfg=$1
DATA=0000:00:10.0
FS=0000:00:11.0
PCI=/sys/bus/pci
MOD=/lib/modules/iodma_nvme.ko
# The reads: every shape of nvme-demo once (each size from 4 KiB to 1 MiB
# page-aligned and not, vectored I/O with gaps and sub-page pieces). The
# writes: as much as the host said it checks (iodma.nvme_write=, on the
# kernel command line), from the start of the same cycle.
READ_LEN=cycle
WRITE_LEN=$(sed -n 's/.*iodma.nvme_write=\([^ ]*\).*/\1/p' /proc/cmdline)
WRITE_LEN=${WRITE_LEN:-3M}

# Progress on the console, with the guest's uptime: where a slow run went.
log() { echo "nvme-run: [$(cut -d' ' -f1 /proc/uptime)] $*" >/dev/console; }

# wait_for PATH: up to 60 s (TCG on a loaded host is slow).
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}

driver_of() { basename "$(readlink "$PCI/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

to_iodma() {
	[ "$(driver_of "$1")" = nvme ] && echo "$1" >$PCI/drivers/nvme/unbind
	echo iodma_nvme >"$PCI/devices/$1/driver_override"
	[ -d $PCI/drivers/iodma_nvme ] && echo "$1" >$PCI/drivers_probe
	return 0
}

to_nvme() {
	[ "$(driver_of "$1")" = iodma_nvme ] && echo "$1" >$PCI/drivers/iodma_nvme/unbind
	echo >"$PCI/devices/$1/driver_override"
	echo "$1" >$PCI/drivers/nvme/bind
}

# The block device of a controller under either driver.
iodma_disk() { wait_for "$PCI/devices/$1/block" && ls "$PCI/devices/$1/block" | head -1; }
nvme_disk() {
	wait_for "$PCI/devices/$1/nvme" || return 1
	c=$(ls "$PCI/devices/$1/nvme" | head -1)
	wait_for "$PCI/devices/$1/nvme/$c/${c}n1" && echo "${c}n1"
}

stats() { cat "/sys/block/$1/iodma_stats" 2>/dev/null; }
# shellcheck disable=SC2046 # "... unreserved_tags N": the tenth word
unreserved_of() { set -- $(stats "$1"); echo "${10:-0}"; }
# iodma's own counters for a device (debugfs), "<engaged> <reserved>":
# preparations that took a copy buffer, and those the command's reserved
# one served without allocating.
mount -t debugfs none /sys/kernel/debug 2>/dev/null
cb_counts() {
	sed -n "s/^device=$1 .* copy_buffer_engaged=\([0-9]*\) .* copy_buffer_reserved=\([0-9]*\) .*/\1 \2/p" \
		/sys/kernel/debug/iodma/devices 2>/dev/null
}
# shellcheck disable=SC2046 # "ios N bounced M sgl S": the fourth word
bounced_of() { set -- $(stats "$1"); echo "${4:-0}"; }

result() {
	echo "NVME|$1|$2|$3|$4|$5|$6|$7"
	[ "$7" = OK ] || log "FAILED: $*"
}

# The kernel's nvme driver probes asynchronously: let it finish first.
wait_for "$PCI/devices/$DATA/nvme" || log "nvme did not bind $DATA"
wait_for "$PCI/devices/$FS/nvme" || log "nvme did not bind $FS"

# The modes to run, as the host chose them (iodma.nvme_modes=, comma
# separated; scripts/check-nvme.sh): PRP and SGL everywhere, the 28-bit
# ones where they force iodma's copy buffer. A 28-bit spec cannot be met
# behind an IOMMU (iodma cannot place IOVAs): the driver refuses it there.
modes=$(sed -n 's/.*iodma.nvme_modes=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
modes=${modes:-prp sgl}

to_iodma $DATA
k=0
for mode in $modes; do
	sgl=0 bits=0
	case $mode in sgl*) sgl=1 ;; esac
	qd=64
	# A 28-bit reach: the tags' copy buffers come from below 256 MiB.
	case $mode in */28) bits=28 qd=16 ;; esac
	if ! insmod $MOD sgl=$sgl address_bits=$bits queue_depth=$qd; then
		result read "$mode" - 0 0 0 FAIL
		result write "$mode" - 0 0 0 FAIL
		continue
	fi
	disk=$(iodma_disk $DATA)
	if [ -z "$disk" ] || ! wait_for "/dev/$disk"; then
		log "no iodma_nvme disk for $DATA"
		result read "$mode" - 0 0 0 FAIL
		result write "$mode" - 0 0 0 FAIL
		rmmod iodma_nvme
		continue
	fi
	woff=$((32 + 4 * k))M
	for op in read write; do
		log "$mode: $op"
		b0=$(bounced_of "$disk")
		c0=$(cb_counts $DATA)
		if [ $op = read ]; then
			out=$(nvme-demo read "/dev/$disk" 1 0 "$READ_LEN" 2>/dev/console)
		else
			out=$(nvme-demo write "/dev/$disk" $((10 + k)) "$woff" "$WRITE_LEN" 2>/dev/console)
		fi
		rc=$?
		b1=$(bounced_of "$disk")
		c1=$(cb_counts $DATA)
		bounced=$((b1 - b0))
		cb=no
		[ "$bounced" -gt 0 ] && cb=yes
		# shellcheck disable=SC2086 # bytes=N ios=N errors=N
		set -- $out
		bytes=${1#bytes=} ios=${2#ios=}
		st=OK
		[ $rc -eq 0 ] && [ -n "$bytes" ] || st=FAIL
		# The PRP runs must have used the copy buffer (the vectored
		# shapes have gaps), the 28-bit ones too (memory above
		# 256 MiB), the SGL runs at full reach never.
		case $mode in
		prp* | */28) [ $cb = yes ] || st=FAIL ;;
		sgl) [ $cb = no ] || st=FAIL ;;
		esac
		# Every copy buffer was a tag's reserved one: nothing was
		# allocated per I/O (iodma's counters, not the driver's).
		# shellcheck disable=SC2086 # "<engaged> <reserved>" twice
		set -- $c0 $c1
		if [ $# -ne 4 ]; then
			log "$mode $op: no iodma counters for $DATA"
			st=FAIL
		elif [ $(($3 - $1)) -ne $(($4 - $2)) ] ||
			[ "$(unreserved_of "$disk")" != 0 ]; then
			log "$mode $op: copy buffers $(($3 - $1)), reserved $(($4 - $2)), $(stats "$disk")"
			st=FAIL
		fi
		result $op "$mode" $cb "${bytes:-0}" "${ios:-0}" $bounced $st
	done
	log "$mode: $(stats "$disk")"
	rmmod iodma_nvme || log "rmmod iodma_nvme failed"
	k=$((k + 1))
done
echo "NVME-WRITES $k"

# --- the filesystem round trip: iodma_nvme -> nvme, then nvme -> iodma_nvme
fs_files() {	# DIR SEED: write three files
	dd if=/dev/urandom of="$1/a-$2" bs=4096 count=3 2>/dev/null &&
		dd if=/dev/urandom of="$1/b-$2" bs=65536 count=5 2>/dev/null &&
		nvme-demo fill "$1/c-$2" "$2" 0 256K >/dev/null &&
		(cd "$1" && sha256sum a-$2 b-$2 c-$2 >/tmp/sums-$2)
}
fs_check() { (cd "$1" && sha256sum -c /tmp/sums-$2 >/dev/console 2>&1); }
fs_bytes() { (cd "$1" && cat a-$2 b-$2 c-$2 | wc -c); }

mkdir -p /mnt /tmp
log "filesystem round trip"
to_iodma $FS
fsok=FAIL there=0 back=0
if insmod $MOD; then
	d=$(iodma_disk $FS)
	if [ -n "$d" ] && wait_for "/dev/$d" && mke2fs -q "/dev/$d" &&
		mount -t ext2 "/dev/$d" /mnt && fs_files /mnt 1 &&
		there=$(fs_bytes /mnt 1) && umount /mnt; then
		log "filesystem: written through iodma_nvme; to nvme"
		to_nvme $FS
		n=$(nvme_disk $FS)
		if [ -n "$n" ] && wait_for "/dev/$n" &&
			mount -t ext2 "/dev/$n" /mnt && fs_check /mnt 1 &&
			fs_files /mnt 2 && back=$(fs_bytes /mnt 2) && umount /mnt; then
			log "filesystem: checked and written through nvme; to iodma_nvme"
			to_iodma $FS
			d=$(iodma_disk $FS)
			if [ -n "$d" ] && wait_for "/dev/$d" &&
				mount -t ext2 "/dev/$d" /mnt && fs_check /mnt 1 &&
				fs_check /mnt 2 && umount /mnt; then
				fsok=OK
			fi
		fi
	fi
	grep -q " /mnt " /proc/mounts && umount /mnt
	rmmod iodma_nvme || log "rmmod iodma_nvme failed"
fi
result fs-iodma-to-nvme prp - "$there" 0 0 $fsok
result fs-nvme-to-iodma prp - "$back" 0 0 $fsok
log "done"
echo "NVME-DONE $cfg"
