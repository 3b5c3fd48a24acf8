#!/usr/bin/env bash
# Usage: stock-kernel.sh [LINE]   (LINE: 6.12, the default, 6.1 or 6.12-arm64)
# Fetch (or find in the cache) one of Debian 12's stock kernels (6.12 from
# bookworm's updates, or 6.1, its default) for the line's architecture and
# the headers to build modules for it, without installing a kernel on the
# host: apt-get download + dpkg-deb -x into
# $IODMA_CACHE/stock/<release>[-<debarch>]. For another architecture than
# the host's, the image and headers are that architecture's and the kbuild
# tools (modpost, fixdep...: programs that run on the build machine) the
# host's, as a cross build needs.
# Prints two lines: the headers directory (KDIR) and the vmlinuz path.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"
need_pkgs dpkg-dev gcc-12 g++-12 make libelf-dev kmod dwarves

# Per line (scripts/lib/kernels.sh): the release pattern of its image
# package, and the name of its kbuild package (6.1's carries no release).
kernel_row "${1:-${IODMA_KERNELS[0]}}"
line=$KERNEL_LINE pattern=$KERNEL_STOCK kbuild=$KERNEL_KBUILD
da=$ARCH_DEBARCH host=$(dpkg --print-architecture)
# The cache of the host's own architecture keeps its old name.
suffix=
[ "$da" = "$host" ] || suffix=-$da
# The package lists and the cache entry are shared with other stages that
# run beside this one (scripts/check-all.sh).
apt_lock
if [ "$da" != "$host" ] && ! dpkg --print-foreign-architectures | grep -qx "$da"; then
	say "adding the $da architecture to dpkg (downloads only)"
	dpkg --add-architecture "$da" && apt-get update -qq >/dev/null 2>&1 ||
		die "could not add the $da architecture"
fi
find_rel() {
	apt-cache search --names-only "^linux-image-$pattern-$da\$" |
		awk '{print $1}' | sed "s/^linux-image-//; s/-$da\$//" | sort -V | tail -1
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
[ -n "$rel" ] || die "no Debian $line kernel (linux-image-*-$da) in the archive"
kbuild=$(eval echo "$kbuild")
dir=$IODMA_CACHE/stock/$rel$suffix
kdir=$dir/root/usr/src/linux-headers-$rel-$da
vmlinuz=$dir/root/boot/vmlinuz-$rel-$da

if [ ! -f "$dir/.done" ]; then
	say "fetching Debian's stock kernel $rel (image, headers, $kbuild)"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" && apt-get download -q \
		"linux-image-$rel-$da:$da" "linux-headers-$rel-$da:$da" \
		"linux-headers-$rel-common" "$kbuild:$host" >&2 2>/dev/null) ||
		die "apt-get download of the $rel kernel packages failed"
	for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/root"; done
	rm -rf "$dir/debs"
	[ -f "$vmlinuz" ] && [ -f "$kdir/Module.symvers" ] ||
		die "unexpected layout of the $rel packages"
	touch "$dir/.done"
fi
# The headers' Makefile includes the common tree by absolute path:
# /usr/src/... as packaged, rewritten to this cache's copy, and again
# whenever the cache was moved or copied since (a tree copied with cp -a
# still named the old cache, and built nothing once that was gone).
common=$dir/root/usr/src/linux-headers-$rel-common/Makefile
if ! grep -qxF "include $common" "$kdir/Makefile"; then
	sed -i "s|^include .*/linux-headers-$rel-common/Makefile\$|include $common|" "$kdir/Makefile"
	grep -qxF "include $common" "$kdir/Makefile" ||
		die "cannot point $kdir/Makefile at $common"
fi
apt_unlock
echo "$kdir"
echo "$vmlinuz"
