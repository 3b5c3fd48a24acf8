#!/usr/bin/env bash
# Usage: install-dkms-source.sh [DESTDIR]
# Install iodma's DKMS source tree, /usr/src/iodma-<version>/ under DESTDIR:
# what Kbuild needs to build iodma.ko for any kernel (the same set
# scripts/build-modules.sh mirrors, kunit/ included because Kbuild builds
# the KUnit module on a kernel with KUnit), dkms.conf with <version> from
# VERSION, and the POST_BUILD script. Build products are left out. The
# Debian package (debian/rules) and `make install-dkms-source` use it.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

dest=${1-}
dest=${dest%/}
ver=$(cat "$IODMA_TOP/VERSION")
[[ $ver =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "VERSION '$ver' is not a version"
[ -n "$dest" ] || [ "$(id -u)" -eq 0 ] ||
	die "installing to /usr/src needs root, or set DESTDIR"
to=$dest/usr/src/iodma-$ver
# Everything Kbuild reads, as scripts/build-modules.sh mirrors it. A new
# file Kbuild needs goes in both (make check-dkms builds from this tree and
# fails otherwise).
files=(Kbuild VERSION include src kunit
	scripts/cxxflags.sh scripts/check-core-object.sh
	scripts/probes.sh scripts/probes scripts/dkms-post-build.sh)

say "installing the DKMS source of iodma $ver to $to"
rm -rf "$to"
mkdir -p "$to"
tar -C "$IODMA_TOP" -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='.*.d' \
	--exclude=Module.symvers --exclude=modules.order --exclude=generated \
	"${files[@]}" |
	tar -C "$to" -xf - --no-same-owner
sed "s/#MODULE_VERSION#/$ver/" "$IODMA_TOP/dkms.conf" >"$to/dkms.conf"
grep -q "^PACKAGE_VERSION=\"$ver\"\$" "$to/dkms.conf" ||
	die "dkms.conf has no PACKAGE_VERSION=\"#MODULE_VERSION#\" line"
chmod -R u=rwX,go=rX "$to"
chmod 0755 "$to"/scripts/*.sh
