#!/usr/bin/env bash
# Usage: check-install.sh [LINE]   (LINE: 6.12, the default, or 6.1)
# make install / make uninstall against a staging root (DESTDIR), for
# Debian's stock kernel of LINE (scripts/stock-kernel.sh: no kernel build,
# nothing installed on the host). Each check counts as one case:
#  - make install KDIR=<stock headers> DESTDIR=<stage> succeeds;
#  - the staged tree holds exactly iodma.ko, the header and Module.symvers
#    at their documented paths, plus depmod's modules.* index;
#  - modinfo: the installed module is iodma, GPL, with the kernel's vermagic;
#  - it exports exactly the EXPORT_SYMBOL_NS_GPL(..., IODMA) symbols of
#    src/shim, in the IODMA namespace (its export table, and the installed
#    Module.symvers);
#  - the installed header is include/linux/iodma.h;
#  - depmod's index (made by make install) lists iodma and its symbols;
#  - samples/edu builds, warning-free, against the INSTALLED header and
#    Module.symvers (the README's recipe), and only those;
#  - the client depends on iodma, imports IODMA and carries the installed
#    Module.symvers' CRCs;
#  - make uninstall succeeds and leaves the staging root empty.
# Writes out/results/install ("P F").
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs make kmod binutils rsync
# make install builds as a user's does: in its own directory, under its
# own path (not through make check's shared build links).
unset IODMA_BUILD_LINKS

line=${1:-6.12}
results=$IODMA_TOP/out/results
out=$IODMA_TOP/out/install
mkdir -p "$results"
rm -f "$results/install"
rm -rf "$out"
mkdir -p "$out"
# A failure before the first case still leaves a verdict.
trap '[ -f "$results/install" ] || { echo "FAIL install: stopped before the end (above)"; echo "0 1" >"$results/install"; }' EXIT

{ read -r kdir; read -r _; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
rel=$("$IODMA_TOP/scripts/kernel-release.sh" "$kdir")
ver=$(cat "$IODMA_TOP/VERSION")
stage=$out/root
mkdir -p "$stage"
ko=lib/modules/$rel/updates/iodma.ko
header=usr/src/iodma-$ver/include/linux/iodma.h
symvers=usr/src/iodma-$ver/$rel/Module.symvers
say "make install / uninstall of iodma $ver for $rel into $stage"

p=0 f=0
pass() { p=$((p + 1)); echo "PASS install: $1"; }
fail() { f=$((f + 1)); echo "FAIL install: $1"; }
# check NAME COMMAND...: one case, passed when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# ---- make install
if make -C "$IODMA_TOP" --no-print-directory install KDIR="$kdir" \
	DESTDIR="$stage" >"$out/install.log" 2>&1; then
	pass "make install KDIR=<$rel headers> DESTDIR=<stage>"
else
	tail -20 "$out/install.log" >&2
	fail "make install (see $out/install.log)"
fi

installed_files() {
	find "$stage" -mindepth 1 ! -type d -printf '%P\n' | LC_ALL=C sort
}
exact_tree() {
	local want got
	want=$(printf '%s\n' "$ko" "$header" "$symvers" | LC_ALL=C sort)
	got=$(installed_files | grep -v "^lib/modules/$rel/modules\.[a-z.]*\$" || true)
	if [ "$got" != "$want" ]; then
		echo "  installed (index files aside):" >&2
		printf '    %s\n' "$got" >&2
		echo "  expected:" >&2
		printf '    %s\n' "$want" >&2
		return 1
	fi
	local idx
	for idx in modules.dep modules.dep.bin modules.alias modules.symbols; do
		[ -f "$stage/lib/modules/$rel/$idx" ] || { echo "  no $idx" >&2; return 1; }
	done
}
check "installed tree: exactly $ko, $header, $symvers and depmod's index" exact_tree

modinfo_ok() {
	local m=$stage/$ko vermagic
	[ -f "$m" ] || return 1
	vermagic=$(modinfo -F vermagic "$m")
	echo "  vermagic: $vermagic" >&2
	[ "${vermagic%% *}" = "$rel" ] &&
		[ "$(modinfo -F name "$m")" = iodma ] &&
		[ "$(modinfo -F license "$m")" = GPL ]
}
check "modinfo: iodma, GPL, vermagic $rel" modinfo_ok

# The exports the source declares: the reference for the checks below.
want_syms=$(cd "$IODMA_TOP" && grep -ho 'EXPORT_SYMBOL_NS_GPL([a-z0-9_]*, IODMA)' src/shim/*.c |
	sed 's/.*(\([a-z0-9_]*\),.*/\1/' | LC_ALL=C sort)
nsyms=$(printf '%s\n' "$want_syms" | grep -c .)
exports_ok() {
	local m=$stage/$ko s=$stage/$symvers got bad
	[ -f "$m" ] && [ -f "$s" ] && [ "$nsyms" -gt 0 ] || return 1
	got=$(nm "$m" | sed -n 's/.* __ksymtab_\([a-z0-9_]*\)$/\1/p' | LC_ALL=C sort)
	[ "$got" = "$want_syms" ] || { echo "  the module's export table differs from src/shim's exports" >&2; return 1; }
	readelf -p __ksymtab_strings "$m" | grep -qw IODMA ||
		{ echo "  no IODMA namespace in the module's export strings" >&2; return 1; }
	got=$(awk '{print $2}' "$s" | LC_ALL=C sort)
	[ "$got" = "$want_syms" ] || { echo "  the installed Module.symvers lists other symbols" >&2; return 1; }
	bad=$(awk '$4 != "EXPORT_SYMBOL_GPL" || $5 != "IODMA" || $3 !~ /(^|\/)iodma$/' "$s")
	[ -z "$bad" ] || { printf '  not GPL in IODMA from iodma: %s\n' "$bad" >&2; return 1; }
}
check "exports: the $nsyms symbols of src/shim, EXPORT_SYMBOL_GPL in namespace IODMA" exports_ok

check "installed header is include/linux/iodma.h" \
	cmp "$IODMA_TOP/include/linux/iodma.h" "$stage/$header"

depmod_ok() {
	local d=$stage/lib/modules/$rel sym
	grep -qx 'updates/iodma.ko:' "$d/modules.dep" 2>/dev/null || { echo "  modules.dep lacks updates/iodma.ko" >&2; return 1; }
	for sym in $want_syms; do
		grep -qx "alias symbol:$sym iodma" "$d/modules.symbols" ||
			{ echo "  modules.symbols lacks $sym" >&2; return 1; }
	done
	[ "$(modinfo -b "$stage" -k "$rel" -n iodma 2>/dev/null)" = "$d/updates/iodma.ko" ] ||
		{ echo "  modinfo -b <stage> iodma does not find the installed module" >&2; return 1; }
}
check "depmod: modules.dep, modules.symbols and modinfo -b find iodma" depmod_ok

# ---- a client module against the installed header and Module.symvers
edu=$out/edu
rsync -a --delete "$IODMA_TOP/samples/edu/" "$edu/"
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$kdir/.config")
client_ok=false
if make -C "$kdir" M="$edu" CC="${cc:-gcc}" \
	KBUILD_EXTRA_SYMBOLS="$stage/$symvers" \
	IODMA_INCLUDE="$stage/usr/src/iodma-$ver/include" modules >"$edu/build.log" 2>&1 &&
	[ -f "$edu/edu_dma.ko" ] && ! grep -i warning "$edu/build.log" >&2; then
	client_ok=true
	pass "samples/edu builds warning-free against the installed header and Module.symvers"
else
	tail -20 "$edu/build.log" >&2
	fail "samples/edu against the installed iodma (see $edu/build.log)"
fi

client_links_ok() {
	local m=$edu/edu_dma.ko cmd=$edu/.edu_dma.o.cmd crcs want
	$client_ok || return 1
	grep -q "$stage/$header" "$cmd" ||
		{ echo "  edu_dma.o was not compiled from the installed header" >&2; return 1; }
	if grep -q "$IODMA_TOP/include" "$cmd"; then
		echo "  edu_dma.o read the tree's include/, not only the installed one" >&2
		return 1
	fi
	if ! { [ "$(modinfo -F depends "$m")" = iodma ] &&
		[ "$(modinfo -F import_ns "$m")" = IODMA ] &&
		[ "$(modinfo -F vermagic "$m" | cut -d' ' -f1)" = "$rel" ]; }; then
		echo "  edu_dma.ko: depends/import_ns/vermagic wrong" >&2
		return 1
	fi
	# Every iodma symbol the client uses, with the installed CRC.
	crcs=$(modprobe --dump-modversions "$m" | awk '$2 ~ /^iodma_/ {print $2, $1}' | LC_ALL=C sort)
	want=$(awk '{print $2, $1}' "$stage/$symvers" | LC_ALL=C sort)
	if [ -z "$crcs" ] || [ -n "$(LC_ALL=C comm -23 <(echo "$crcs") <(echo "$want"))" ]; then
		echo "  edu_dma.ko's iodma CRCs are not the installed Module.symvers'" >&2
		return 1
	fi
}
check "client: installed header only, depends iodma, imports IODMA, installed CRCs" client_links_ok

# ---- make uninstall
if make -C "$IODMA_TOP" --no-print-directory uninstall KDIR="$kdir" \
	DESTDIR="$stage" >"$out/uninstall.log" 2>&1; then
	pass "make uninstall KDIR=<$rel headers> DESTDIR=<stage>"
else
	tail -20 "$out/uninstall.log" >&2
	fail "make uninstall (see $out/uninstall.log)"
fi
nothing_left() {
	local left
	left=$(find "$stage" -mindepth 1 -printf '%P\n')
	[ -z "$left" ] || { printf '  left behind: %s\n' "$left" >&2; return 1; }
}
check "make uninstall leaves the staging root empty" nothing_left

echo "$p $f" >"$results/install"
echo "install: $p passed, $f failed"
[ "$f" -eq 0 ]
