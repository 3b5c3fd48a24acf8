#!/usr/bin/env bash
# Build (or find in the cache) the iodma test kernel: Debian's linux-source-6.12
# with allnoconfig + scripts/kernel/test-kernel.config. Prints the build
# directory (usable as KDIR) on stdout.
#
# Cache: $IODMA_CACHE/kernel/<source version>-<config hash>/ (default
# ~/.cache/iodma), compiled through ccache in $IODMA_CACHE/ccache. A missing
# or incomplete cache entry is rebuilt from nothing.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

need_pkgs "${KERNEL_BUILD_PKGS[@]}" linux-source-6.12

fragment=$IODMA_TOP/scripts/kernel/test-kernel.config
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing (package linux-source-6.12)"
cchash=$( (cat "$fragment"; gcc --version | head -1) | sha256sum | cut -c1-12)
key="${srcver//[^A-Za-z0-9.+-]/_}-$cchash"
src=$IODMA_CACHE/src/$srcver/linux-source-6.12
out=$IODMA_CACHE/kernel/$key

if [ -f "$out/.done" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	say "test kernel cached: $out"
	echo "$out"
	exit 0
fi

if [ ! -f "$src/.unpacked" ]; then
	say "unpacking $tarball ($srcver)"
	rm -rf "$IODMA_CACHE/src/$srcver"
	mkdir -p "$IODMA_CACHE/src/$srcver"
	tar -C "$IODMA_CACHE/src/$srcver" -xf "$tarball"
	touch "$src/.unpacked"
fi

say "configuring test kernel in $out"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2

# allnoconfig silently drops options whose dependencies are missing.
bad=0
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "$opt=y" "$out/.config" && { echo "config: $opt is y, wanted n" >&2; bad=1; }
	else
		grep -qx "$line" "$out/.config" || { echo "config: '$line' did not reach .config" >&2; bad=1; }
	fi
done <"$fragment"
[ $bad -eq 0 ] || die "config fragment not applied; fix scripts/kernel/test-kernel.config"

export CCACHE_DIR=$IODMA_CACHE/ccache
export CCACHE_MAXSIZE=5G
# Source paths differ per version directory; keep hits across source versions.
export CCACHE_BASEDIR=$IODMA_CACHE
say "building test kernel (make -j$(nproc)); cold about 10 min, warm ccache about 3"
start=$(date +%s)
make -s -C "$src" O="$out" CC="ccache gcc" -j"$(nproc)" >&2 ||
	die "test kernel build failed"
say "test kernel built in $(( $(date +%s) - start )) s"
touch "$out/.done"
echo "$out"
