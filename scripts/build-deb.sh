#!/usr/bin/env bash
# Usage: build-deb.sh [OUTDIR]
# Build the Debian binary package iodma-dkms_<version>_all.deb with
# dpkg-buildpackage -us -uc -b from a copy of the tree (so that debhelper's
# files and the products never land in the work tree or next to it), into
# OUTDIR (default out/deb). Checks first that debian/changelog carries the
# version in VERSION. Prints the path of the .deb.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs dpkg-dev debhelper dh-dkms fakeroot rsync

out=$(realpath -m "${1:-$IODMA_TOP/out/deb}")
ver=$(cat "$IODMA_TOP/VERSION")
debver=$(dpkg-parsechangelog -l "$IODMA_TOP/debian/changelog" -S Version)
[ "$debver" = "$ver" ] ||
	die "debian/changelog says $debver, VERSION says $ver: add a changelog entry (dch -v $ver)"

src=$out/src/iodma-$ver
rm -rf "$out"
mkdir -p "$src"
rsync -a --exclude=/.git --exclude=/out "$IODMA_TOP/" "$src/"
say "dpkg-buildpackage -us -uc -b in $src"
set +e
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 0 ] || { tail -30 "$out/build.log" >&2; die "dpkg-buildpackage failed (see $out/build.log)"; }
deb=$out/src/iodma-dkms_${ver}_all.deb
[ -f "$deb" ] || die "dpkg-buildpackage made no $(basename "$deb") (see $out/build.log)"
mv "$deb" "$out/"
say "built $out/$(basename "$deb")"
echo "$out/$(basename "$deb")"
