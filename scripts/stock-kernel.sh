#!/usr/bin/env bash
# Usage: stock-kernel.sh [LINE]   (LINE: 6.12, the default, or 6.1)
# Fetch (or find in the cache) one of Debian 12's stock kernels (6.12 from
# bookworm's updates, or 6.1, its default) and the headers to build modules
# for it, without installing a kernel on the host: apt-get download +
# dpkg-deb -x into $IODMA_CACHE/stock/<release>.
# Prints two lines: the headers directory (KDIR) and the vmlinuz path.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
need_pkgs dpkg-dev gcc-12 g++-12 make libelf-dev kmod dwarves

# Per line (scripts/lib/kernels.sh): the release pattern of its image
# package, and the name of its kbuild package (6.1's carries no release).
kernel_row "${1:-${IODMA_KERNELS[0]}}"
line=$KERNEL_LINE pattern=$KERNEL_STOCK kbuild=$KERNEL_KBUILD
find_rel() {
	apt-cache search --names-only "^linux-image-$pattern-amd64\$" |
		awk '{print $1}' | sed 's/^linux-image-//; s/-amd64$//' | sort -V | tail -1
}
rel=${IODMA_STOCK_RELEASE:-}
if [ -z "$rel" ]; then
	rel=$(find_rel)
	if [ -z "$rel" ]; then
		say "refreshing the package lists to find Debian's $line kernel"
		apt-get update -qq >/dev/null 2>&1 || true
		rel=$(find_rel)
	fi
fi
[ -n "$rel" ] || die "no Debian $line kernel (linux-image-*-amd64) in the archive"
kbuild=$(eval echo "$kbuild")
dir=$IODMA_CACHE/stock/$rel
kdir=$dir/root/usr/src/linux-headers-$rel-amd64
vmlinuz=$dir/root/boot/vmlinuz-$rel-amd64

if [ ! -f "$dir/.done" ]; then
	say "fetching Debian's stock kernel $rel (image, headers, $kbuild)"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" && apt-get download -q \
		"linux-image-$rel-amd64" "linux-headers-$rel-amd64" \
		"linux-headers-$rel-common" "$kbuild" >&2 2>/dev/null) ||
		die "apt-get download of the $rel kernel packages failed"
	for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
	rm -rf "$dir/debs"
	# The headers' Makefile includes the common tree by absolute path.
	sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$kdir/Makefile"
	[ -f "$vmlinuz" ] && [ -f "$kdir/Module.symvers" ] ||
		die "unexpected layout of the $rel packages"
	touch "$dir/.done"
fi
echo "$kdir"
echo "$vmlinuz"
