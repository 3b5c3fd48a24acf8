#!/usr/bin/env bash
# Usage: install.sh install KDIR DESTDIR BUILD
#        install.sh uninstall KDIR DESTDIR
# make install / make uninstall for the kernel whose build tree is KDIR.
# install copies iodma.ko and Module.symvers from BUILD (a module build for
# KDIR) and the public header to
#   DESTDIR/lib/modules/<release>/updates/iodma.ko
#   DESTDIR/usr/src/iodma-<version>/include/linux/iodma.h
#   DESTDIR/usr/src/iodma-<version>/<release>/Module.symvers
# and runs depmod (depmod -b DESTDIR when DESTDIR is set, which creates a
# staging root's modules.* index). uninstall removes those files, the
# header with the last release, and runs depmod again; with DESTDIR, a
# release directory left holding nothing but depmod's index is removed too,
# and so are the directories install created, so a staging root is left as
# it was found. <release>: scripts/kernel-release.sh; <version>: VERSION.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

usage="usage: install.sh install KDIR DESTDIR BUILD | uninstall KDIR DESTDIR"
action=${1:?$usage} kdir=${2:?$usage}
dest=${3-}
dest=${dest%/}
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir (install linux-headers-$(uname -r) or pass KDIR=)"
rel=$("$IODMA_TOP/scripts/kernel-release.sh" "$kdir")
ver=$(cat "$IODMA_TOP/VERSION")
if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then
	die "make $action writes to /lib/modules and /usr/src: run it as root, or set DESTDIR"
fi
if [ -n "$dest" ]; then
	mkdir -p "$dest"
	dest=$(realpath "$dest")
fi
moddir=$dest/lib/modules/$rel
ko=$moddir/updates/iodma.ko
src=$dest/usr/src/iodma-$ver
symvers=$src/$rel/Module.symvers
header=$src/include/linux/iodma.h

# run_depmod: rebuild the module index of $rel (in DESTDIR if set). A
# staging root has no modules.order or modules.builtin*: depmod's warnings
# about those alone are dropped.
run_depmod() {
	local err
	if [ -n "$dest" ]; then
		say "depmod -b $dest $rel"
		err=$(depmod -b "$dest" "$rel" 2>&1) || { printf '%s\n' "$err" >&2; die "depmod failed"; }
		printf '%s\n' "$err" | grep -v -e '^$' \
			-e 'WARNING: could not open modules\.\(order\|builtin\|builtin\.modinfo\) at ' >&2 || true
	else
		say "depmod $rel"
		depmod "$rel" || die "depmod failed"
	fi
}

case $action in
install)
	build=${4:?$usage}
	for f in iodma.ko Module.symvers; do
		[ -f "$build/$f" ] || die "no $build/$f: build iodma for $kdir first (make KDIR=$kdir)"
	done
	vermagic=$(modinfo -F vermagic "$build/iodma.ko")
	[ "${vermagic%% *}" = "$rel" ] ||
		die "$build/iodma.ko was built for '${vermagic%% *}', not for $rel"
	say "installing iodma $ver for $rel under ${dest:-/}"
	install -D -m 0644 "$build/iodma.ko" "$ko"
	install -D -m 0644 "$IODMA_TOP/include/linux/iodma.h" "$header"
	install -D -m 0644 "$build/Module.symvers" "$symvers"
	printf '   %s\n' "$ko" "$header" "$symvers" >&2
	run_depmod
	;;
uninstall)
	say "removing iodma $ver for $rel from ${dest:-/}"
	rm -fv "$ko" >&2
	[ -d "$moddir/updates" ] && rmdir --ignore-fail-on-non-empty "$moddir/updates"
	rm -rfv "${src:?}/${rel:?}" >&2
	# The header goes with the last release that uses it.
	if [ -d "$src" ] && [ -z "$(find "$src" -mindepth 1 -maxdepth 1 ! -name include)" ]; then
		rm -rfv "$src" >&2
	fi
	if [ -d "$moddir" ]; then
		run_depmod
		if [ -n "$dest" ] && [ -z "$(find "$moddir" -mindepth 1 ! -name 'modules.*')" ]; then
			say "removing $moddir: nothing but depmod's index is left in it"
			rm -rf "$moddir"
		fi
	fi
	# Empty directories install created in DESTDIR, up to (not) DESTDIR.
	if [ -n "$dest" ]; then
		for d in "$dest/lib/modules" "$dest/usr/src"; do
			while [ "$d" != "$dest" ] && [ -d "$d" ] && [ -z "$(ls -A "$d")" ]; do
				rmdir "$d"
				d=$(dirname "$d")
			done
		done
	fi
	;;
*) die "$usage" ;;
esac
