#!/usr/bin/env bash
# Usage: make-initramfs.sh OUT.cpio.gz FILE...
# A busybox initramfs carrying scripts/qemu/init and the given files:
# modules (*.ko) go to /lib/modules, programs to /bin. IODMA_ARCH (a row of
# scripts/lib/kernels.sh's IODMA_ARCH_TABLE, default x86_64) chooses the
# busybox.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
need_pkgs cpio
arch_row "${IODMA_ARCH:-x86_64}"
busybox=$(arch_busybox)

out=${1:?usage: make-initramfs.sh OUT.cpio.gz MODULE.ko...}
shift
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$IODMA_TOP/scripts/qemu/init" "$root/init"
chmod +x "$root/init"
for m in "$@"; do
	[ -f "$m" ] || die "$m not built"
	case $m in
	*.ko) cp "$m" "$root/lib/modules/" ;;
	*) cp "$m" "$root/bin/" ;;
	esac
done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
say "initramfs $out ($(du -h "$out" | cut -f1))"
