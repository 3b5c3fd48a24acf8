#!/usr/bin/env bash
# Usage: build-test-kernel.sh [LINE]   (LINE: a row of scripts/lib/kernels.sh,
# default its first, 6.12)
# Build (or find in the cache) the iodma test kernel of LINE: Debian's
# linux-source-<line> with allnoconfig + its architecture's base fragment
# (scripts/kernel/test-kernel.config on x86_64) + the line's own fragment,
# for the line's architecture (cross-compiled where the row names a cross
# prefix), the source carrying scripts/kernel/patches/*.patch (in name
# order; each says why in its header). Prints the build directory (usable
# as KDIR) on stdout.
#
# Cache: $IODMA_CACHE/kernel/<source version>-<hash of the fragments, the
# patches and the compiler>/ (default ~/.cache/iodma); the unpacked
# source in $IODMA_CACHE/src/<source version>/ records the patch set it
# carries and is unpacked again for another; compiled through ccache in
# $IODMA_CACHE/ccache. A missing or incomplete cache entry is rebuilt from
# nothing; concurrent callers wait for one build (flock).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"

kernel_row "${1:-${IODMA_KERNELS[0]}}"
need_pkgs "${KERNEL_BUILD_PKGS[@]}" "${ARCH_PKGS[@]}" "$KERNEL_SOURCE"

base=$ARCH_BASE
fragments=("$base")
[ -z "$KERNEL_FRAGMENT" ] || fragments+=("$KERNEL_FRAGMENT")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "$f missing (scripts/lib/kernels.sh)"
done
srcver=$(dpkg-query -W -f='${Version}' "$KERNEL_SOURCE")
tarball=/usr/src/$KERNEL_SOURCE.tar.xz
[ -f "$tarball" ] || die "$tarball missing (package $KERNEL_SOURCE)"
patches=()
for p in "$IODMA_TOP"/scripts/kernel/patches/*.patch; do
	[ ! -e "$p" ] || patches+=("$p")
done
phash=$(cat "${patches[@]}" </dev/null | sha256sum | cut -c1-12)
cchash=$( (cat "${fragments[@]}" "${patches[@]}"; "${ARCH_CROSS}gcc" --version | head -1) |
	sha256sum | cut -c1-12)
key="${srcver//[^A-Za-z0-9.+-]/_}-$cchash"
src=$IODMA_CACHE/src/$srcver/$KERNEL_SOURCE
out=$IODMA_CACHE/kernel/$key
image=$out/$KERNEL_IMAGE
kmake=(make -C "$src" ARCH="$ARCH_KARCH")
[ -z "$ARCH_CROSS" ] || kmake+=(CROSS_COMPILE="$ARCH_CROSS")

cached() { [ -f "$out/.done" ] && [ -f "$image" ]; }
if cached; then
	say "test kernel $KERNEL_LINE cached: $out"
	echo "$out"
	exit 0
fi
mkdir -p "$IODMA_CACHE/kernel"
exec 9>"$IODMA_CACHE/kernel/.lock-$key"
if ! flock -n 9; then
	say "test kernel $KERNEL_LINE: another build of $key is under way; waiting"
	flock 9
fi
if cached; then
	say "test kernel $KERNEL_LINE cached: $out"
	echo "$out"
	exit 0
fi

# One unpacked source serves every line of its version (6.12 x86_64 and
# arm64): unpacking takes it exclusively, a build holds it shared until
# its end. .unpacked holds the hash of the patch set applied.
mkdir -p "$IODMA_CACHE/src"
exec 6>"$IODMA_CACHE/src/.lock-$srcver"
flock -s 6
if [ "$(cat "$src/.unpacked" 2>/dev/null)" != "$phash" ]; then
	flock 6
	if [ "$(cat "$src/.unpacked" 2>/dev/null)" != "$phash" ]; then
		say "unpacking $tarball ($srcver)"
		rm -rf "$IODMA_CACHE/src/$srcver"
		mkdir -p "$IODMA_CACHE/src/$srcver"
		tar -C "$IODMA_CACHE/src/$srcver" -xf "$tarball"
		for p in "${patches[@]}"; do
			say "patching $srcver: ${p##*/}"
			patch -s -p1 -N -d "$src" <"$p" >&2 ||
				die "${p##*/} does not apply to $srcver"
		done
		echo "$phash" >"$src/.unpacked"
	fi
	flock -s 6
fi

say "configuring test kernel $KERNEL_LINE in $out"
rm -rf "$out"
mkdir -p "$out"
cat "${fragments[@]}" >"$out/iodma.fragment"
"${kmake[@]}" -s O="$out" KCONFIG_ALLCONFIG="$out/iodma.fragment" allnoconfig >&2

# allnoconfig silently drops options whose dependencies are missing, or that
# this kernel line does not have (spell those in the line's fragment).
bad=0
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "$opt=y" "$out/.config" && { echo "config: $opt is y, wanted n" >&2; bad=1; }
	else
		grep -qx "$line" "$out/.config" || { echo "config: '$line' did not reach .config" >&2; bad=1; }
	fi
done <"$out/iodma.fragment"
[ $bad -eq 0 ] ||
	die "config fragment not applied; fix ${fragments[*]##*/}"

export CCACHE_DIR=$IODMA_CACHE/ccache
export CCACHE_MAXSIZE=5G
# Depend mode: ccache hashes the compiler's own dependency file (the kernel
# passes -MMD) instead of running the preprocessor first; a cold build of
# kernel/ and mm/ took 23% longer through ccache than without it, and 6%
# in this mode.
export CCACHE_DEPEND=1
# Source paths differ per version directory; keep hits across source versions.
export CCACHE_BASEDIR=$IODMA_CACHE
say "building test kernel $KERNEL_LINE (make -j$(nproc)); cold about 10-15 min, warm ccache about 3"
start=$(date +%s)
"${kmake[@]}" -s O="$out" CC="ccache ${ARCH_CROSS}gcc" -j"$(nproc)" >&2 ||
	die "test kernel $KERNEL_LINE build failed"
say "test kernel $KERNEL_LINE built in $(( $(date +%s) - start )) s"
[ -f "$image" ] || die "test kernel $KERNEL_LINE: no $KERNEL_IMAGE after the build"
touch "$out/.done"
echo "$out"
