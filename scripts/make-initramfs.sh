#!/usr/bin/env bash
# Usage: make-initramfs.sh OUT.cpio.gz MODULE.ko...
# A busybox initramfs carrying the given modules and scripts/qemu/init.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs busybox-static cpio

out=${1:?usage: make-initramfs.sh OUT.cpio.gz MODULE.ko...}
shift
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$IODMA_TOP/scripts/qemu/init" "$root/init"
chmod +x "$root/init"
for m in "$@"; do
	[ -f "$m" ] || die "module $m not built"
	cp "$m" "$root/lib/modules/"
done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
say "initramfs $out ($(du -h "$out" | cut -f1))"
