#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Usage (in the guest, from scripts/qemu/init): nvme-bench.sh CONFIG
# The same controller (00:10.0), the same boot: each workload under the
# kernel's nvme driver, then under iodma_nvme (PRP, the default), then
# nvme again, so that drift in the host shows. One line per measurement:
#   NVMEBENCH|<driver>|<workload>|<iops>|<mbps>|<OK or FAIL>
# then NVMEBENCH-DONE.
DATA=0000:00:10.0
PCI=/sys/bus/pci
SECS=${NVME_BENCH_SECONDS:-4}
SPAN=32M
log() { echo "nvme-bench: $*" >/dev/console; }
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}
driver_of() { basename "$(readlink "$PCI/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

disk_nvme() {
	wait_for "$PCI/devices/$DATA/nvme" || return 1
	c=$(ls "$PCI/devices/$DATA/nvme" | head -1)
	wait_for "/dev/${c}n1" && echo "/dev/${c}n1"
}
disk_iodma() {
	wait_for "$PCI/devices/$DATA/block" || return 1
	d=$(ls "$PCI/devices/$DATA/block" | head -1)
	wait_for "/dev/$d" && echo "/dev/$d"
}

measure() {	# DRIVER DEV
	drv=$1 dev=$2
	for w in randread4k-qd1 randread4k-qd32 seqread128k seqwrite128k; do
		# shellcheck disable=SC2046 # "<w> iops=N mbps=N err=N"
		set -- $(nvme-demo bench "$dev" $w "$SECS" $SPAN 2>/dev/console)
		st=OK
		[ "${4:-err=1}" = err=0 ] || st=FAIL
		echo "NVMEBENCH|$drv|$w|${2#iops=}|${3#mbps=}|$st"
	done
}

wait_for "$PCI/devices/$DATA/nvme" || log "nvme did not bind $DATA"
for _ in 1 2; do
	dev=$(disk_nvme) && measure nvme "$dev"
	echo "$DATA" >$PCI/drivers/nvme/unbind
	echo iodma_nvme >"$PCI/devices/$DATA/driver_override"
	if [ -d $PCI/drivers/iodma_nvme ]; then
		echo "$DATA" >$PCI/drivers_probe
	else
		insmod /lib/modules/iodma_nvme.ko
	fi
	dev=$(disk_iodma) && measure iodma "$dev"
	echo "$DATA" >$PCI/drivers/iodma_nvme/unbind
	echo >"$PCI/devices/$DATA/driver_override"
	echo "$DATA" >$PCI/drivers/nvme/bind
done
rmmod iodma_nvme
echo "NVMEBENCH-DONE"
