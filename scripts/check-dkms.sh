#!/usr/bin/env bash
# Usage: check-dkms.sh [LINE...]   (default: 6.12 6.1)
# The Debian package end to end, without touching the host's kernels or
# its DKMS tree. Each check counts as one case:
#  - dpkg-buildpackage -us -uc -b builds iodma-dkms_<version>_all.deb
#    (scripts/build-deb.sh; debian/changelog must carry VERSION);
#  - the package: depends on dkms and g++-12, its postinst/prerm hand
#    iodma <version> to DKMS (dh_dkms), it ships dkms.conf with the version
#    and exactly the tree's sources under /usr/src/iodma-<version>/;
#  - dpkg-deb -x, then `dkms add` from the extracted tree into a private
#    DKMS tree (--dkmstree, --sourcetree, --installtree);
#  - per kernel LINE, Debian's stock headers (scripts/stock-kernel.sh):
#    `dkms build` (C++ core included, CC the kernel's compiler, signed with
#    a throwaway MOK key as Debian's DKMS does), then `dkms install
#    --no-depmod` into the private install tree and depmod -b on it;
#  - the edu demo (scripts/demo.sh stock LINE with IODMA_PREBUILT) boots
#    each stock kernel in QEMU with the DKMS-installed iodma.ko and an edu
#    driver built against DKMS's Module.symvers: every transfer and each
#    run's "kernel clean" count as cases. Only the runs in DKMS_DEMO_RUNS,
#    LINE:RUN words, default "6.12:iommu-strict/28 6.1:direct/28" (the
#    IOMMU on one kernel, the direct path with the copy buffer on the
#    other), all at once: two guests, about 2 minutes. make demo runs all
#    six on one kernel;
#  - `dkms remove --all` empties the private trees, and nothing named iodma
#    appeared in /var/lib/dkms, /lib/modules or /usr/src.
# Writes out/results/dkms ("P F").
# The case functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs dpkg-dev debhelper dh-dkms dkms fakeroot openssl kmod rsync ccache

lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(6.12 6.1)
demo_runs=${DKMS_DEMO_RUNS:-6.12:iommu-strict/28 6.1:direct/28}
results=$IODMA_TOP/out/results
out=$IODMA_TOP/out/dkms
mkdir -p "$results"
rm -f "$results/dkms"
rm -rf "$out"
mkdir -p "$out"
trap '[ -f "$results/dkms" ] || { echo "FAIL dkms: stopped before the end (above)"; echo "0 1" >"$results/dkms"; }' EXIT
ver=$(cat "$IODMA_TOP/VERSION")
arch=$(uname -m)   # DKMS keeps builds per architecture
start=$(date +%s)

p=0 f=0
pass() { p=$((p + 1)); echo "PASS dkms: $1"; }
fail() { f=$((f + 1)); echo "FAIL dkms: $1"; }
# check NAME COMMAND...: one case, passed when COMMAND succeeds; sets ok.
ok=false
check() {
	local name=$1
	shift
	if "$@"; then ok=true; pass "$name"; else ok=false; fail "$name"; fi
}
finish() {
	echo "$p $f" >"$results/dkms"
	echo "dkms: $p passed, $f failed in $(( $(date +%s) - start )) s"
	[ "$f" -eq 0 ]
	exit
}
host_iodma() {
	find /var/lib/dkms /lib/modules /usr/src -maxdepth 4 -name 'iodma*' 2>/dev/null | sort || true
}
host_dkms_before=$(find /var/lib/dkms 2>/dev/null | sort || true)
host_iodma_before=$(host_iodma)

# ---- the package
deb=
if deb=$("$IODMA_TOP/scripts/build-deb.sh" "$out/deb"); then
	pass "dpkg-buildpackage -us -uc -b: $(basename "$deb")"
else
	fail "dpkg-buildpackage (above)"
	finish
fi

root=$out/root
src=$root/usr/src/iodma-$ver
dpkg-deb -x "$deb" "$root" || { fail "dpkg-deb -x $deb"; finish; }

package_ok() {
	local deps ctrl rel bad=0
	deps=$(dpkg-deb -f "$deb" Depends)
	[[ $deps == *dkms* && $deps == *g++-12* ]] ||
		{ echo "  Depends: $deps" >&2; bad=1; }
	[ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || { echo "  not version $ver" >&2; bad=1; }
	ctrl=$out/control
	dpkg-deb -e "$deb" "$ctrl"
	if ! { grep -q '^DKMS_NAME=iodma$' "$ctrl/postinst" &&
		grep -q "^DKMS_VERSION=$ver\$" "$ctrl/postinst" &&
		grep -q 'common.postinst' "$ctrl/postinst" && grep -q 'dkms remove' "$ctrl/prerm"; }; then
		echo "  postinst/prerm do not hand iodma $ver to DKMS" >&2
		bad=1
	fi
	if ! { grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf" &&
		grep -qx 'PACKAGE_NAME="iodma"' "$src/dkms.conf"; }; then
		echo "  dkms.conf lacks PACKAGE_NAME/PACKAGE_VERSION $ver" >&2
		bad=1
	fi
	# Every shipped source is the tree's file (a missing one fails the
	# DKMS builds below).
	while IFS= read -r rel; do
		case $rel in dkms.conf) continue ;; esac
		cmp -s "$src/$rel" "$IODMA_TOP/$rel" || { echo "  $rel differs from the tree" >&2; bad=1; }
	done < <(find "$src" -type f -printf '%P\n')
	for rel in Kbuild include/linux/iodma.h; do
		[ -f "$src/$rel" ] || { echo "  no $rel" >&2; bad=1; }
	done
	return "$bad"
}
check "package: Depends dkms, g++-12; dh_dkms scripts; dkms.conf $ver; the tree's sources" package_ok

# ---- a private DKMS: nothing in /var/lib/dkms, /lib/modules or /usr/src.
# Debian's DKMS signs what it builds with a MOK key it generates once; here
# the key is a throwaway one in the private tree.
# The DKMS tree (where DKMS builds) lies in the cache directory under a
# path every checkout shares, held (a lock) for the stage, and the builds
# find ccache first in PATH (Debian's /usr/lib/ccache, as on a machine
# with ccache installed): DKMS builds in <tree>/iodma/<version>/build,
# Kbuild writes that path into each compile command and ccache keys on
# it, so under the checkout's own path a fresh clone compiled both
# kernels' builds again. dkms.conf's CC= is unchanged.
# The path is resolved: DKMS decides "installed" by comparing
# `readlink -f` of its kernel-<release>-<arch> link with the tree path as
# given, so under a cache directory reached through a symlink (CI's) `dkms
# remove --all` took every build for uninstalled and left the links and the
# installed modules behind.
tree=$(realpath -m "$IODMA_CACHE/dkms-tree")
mkdir -p "$tree"
exec 4>"$tree.lock"
flock 4
rm -rf "$tree"
itree=$out/installed/lib/modules
mkdir -p "$tree" "$itree"
export mok_signing_key=$out/mok.key mok_certificate=$out/mok.pub
dk=(--dkmstree "$tree" --sourcetree "$root/usr/src" --installtree "$itree")
if dkms add -m iodma -v "$ver" "${dk[@]}" >"$out/dkms-add.log" 2>&1; then
	pass "dkms add iodma/$ver from the extracted package"
else
	cat "$out/dkms-add.log" >&2
	fail "dkms add (above)"
	finish
fi

# The kernels whose DKMS install passed: LINE=RELEASE.
ccache_path=$PATH
[ ! -d /usr/lib/ccache ] || ccache_path=/usr/lib/ccache:$PATH
demo_lines=()
for line in "${lines[@]}"; do
	{ read -r kdir; read -r _; } < <("$IODMA_TOP/scripts/stock-kernel.sh" "$line")
	rel=$("$IODMA_TOP/scripts/kernel-release.sh" "$kdir")
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$kdir/.config")
	base=$tree/iodma/$ver/$rel/$arch
	log=$out/dkms-build-$line.log
	say "dkms build iodma/$ver -k $rel (headers $kdir)"
	built=false
	if PATH=$ccache_path CCACHE_DIR=$IODMA_CACHE/ccache sign_file=$kdir/scripts/sign-file \
		dkms build -m iodma -v "$ver" -k "$rel" \
		--kernelsourcedir "$kdir" "${dk[@]}" >"$log" 2>&1; then
		built=true
	fi
	build_ok() {
		local m=$base/module/iodma.ko
		if ! $built; then
			tail -5 "$log" >&2
			# DKMS leaves a failed build's make.log in its build directory.
			tail -30 "$tree/iodma/$ver/build/make.log" >&2 || true
			return 1
		fi
		grep -q "CC=$cc modules" "$log" || { echo "  not built with CC=$cc" >&2; return 1; }
		grep -q 'CXX \[M\].*src/core/' "$base/log/make.log" ||
			{ echo "  no C++ core object in make.log" >&2; return 1; }
		if grep -i warning "$base/log/make.log" >&2; then
			echo "  the DKMS build printed warnings (above)" >&2
			return 1
		fi
		[ "$(modinfo -F vermagic "$m" | cut -d' ' -f1)" = "$rel" ] ||
			{ echo "  $m: wrong vermagic" >&2; return 1; }
		[ "$(modinfo -F signer "$m")" = "DKMS module signing key" ] ||
			{ echo "  $m is not signed with DKMS's key" >&2; return 1; }
		grep -qs 'iodma_cmd_create.*IODMA' "$base/Module.symvers" ||
			{ echo "  no Module.symvers from POST_BUILD in $base" >&2; return 1; }
	}
	check "dkms build for $rel: CC=$cc, C++ core, no warning, signed, Module.symvers kept" build_ok
	install_ok() {
		$built || return 1
		# DKMS installs only for a kernel it sees: the private tree has one.
		mkdir -p "$itree/$rel"
		dkms install -m iodma -v "$ver" -k "$rel" --kernelsourcedir "$kdir" \
			--no-depmod "${dk[@]}" >"$out/dkms-install-$line.log" 2>&1 ||
			{ tail -20 "$out/dkms-install-$line.log" >&2; return 1; }
		cmp -s "$itree/$rel/updates/dkms/iodma.ko" "$base/module/iodma.ko" ||
			{ echo "  no $itree/$rel/updates/dkms/iodma.ko" >&2; return 1; }
		depmod -b "$out/installed" "$rel" 2>/dev/null || true
		grep -qx 'updates/dkms/iodma.ko:' "$itree/$rel/modules.dep" ||
			{ echo "  depmod -b does not list updates/dkms/iodma.ko" >&2; return 1; }
	}
	check "dkms install for $rel: updates/dkms/iodma.ko, depmod lists it" install_ok
	if $ok; then
		demo_lines+=("$line=$rel")
	fi
done

# ---- the edu demo on the stock kernels with the DKMS-installed module and
# an edu driver built against DKMS's Module.symvers: the runs of
# DKMS_DEMO_RUNS, all at once (one guest each), after the builds rather than
# beside them: a TCG guest starved of CPU while it boots can fail the
# kernel's IO-APIC timer check ("timer doesn't work through
# Interrupt-remapped IO-APIC", seen with intel-iommu).
demo_started=()
for lr in "${demo_lines[@]}"; do
	line=${lr%%=*} rel=${lr#*=}
	runs=
	for e in $demo_runs; do
		[ "${e%%:*}" = "$line" ] && runs="$runs ${e#*:}"
	done
	[ -n "$runs" ] || continue
	pre=$out/prebuilt-$line
	mkdir -p "$pre"
	cp "$itree/$rel/updates/dkms/iodma.ko" "$tree/iodma/$ver/$rel/$arch/Module.symvers" "$pre/"
	say "edu demo on Debian's $rel with the DKMS-installed iodma.ko:$runs"
	IODMA_PREBUILT=$pre IODMA_DEMO_RUNS=${runs# } IODMA_DEMO_OUT=$out/demo-$line \
		"$IODMA_TOP/scripts/demo.sh" stock "$line" >"$out/demo-$line.log" 2>&1 &
	demo_started+=("$line")
done
wait || true
for line in "${demo_started[@]}"; do
	# The table is in the log; failures and the summary here.
	grep -E '^(FAIL|demo:)' "$out/demo-$line.log" || tail -5 "$out/demo-$line.log"
	counts=$out/demo-$line/counts
	if [[ -f $counts && $(cat "$counts") =~ ^([0-9]+)\ ([0-9]+)$ ]] &&
		[ $((BASH_REMATCH[1] + BASH_REMATCH[2])) -gt 0 ]; then
		p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
		echo "dkms: demo on $line: ${BASH_REMATCH[1]} passed, ${BASH_REMATCH[2]} failed"
	else
		fail "demo on $line produced no counts (see $out/demo-$line.log)"
	fi
done

# ---- removal, and the host untouched
removed_ok() {
	dkms remove -m iodma -v "$ver" --all "${dk[@]}" --no-depmod >"$out/dkms-remove.log" 2>&1 ||
		{ cat "$out/dkms-remove.log" >&2; return 1; }
	local left
	left=$(find "$tree" "$itree" -mindepth 1 ! -name 'modules.*' ! -type d)
	[ -z "$left" ] || { printf '  left behind: %s\n' "$left" >&2; return 1; }
}
check "dkms remove --all empties the private DKMS and install trees" removed_ok
host_ok() {
	[ "$(find /var/lib/dkms 2>/dev/null | sort || true)" = "$host_dkms_before" ] ||
		{ echo "  /var/lib/dkms changed" >&2; return 1; }
	[ "$(host_iodma)" = "$host_iodma_before" ] ||
		{ echo "  iodma appeared in /var/lib/dkms, /lib/modules or /usr/src" >&2; return 1; }
}
check "host untouched: /var/lib/dkms, /lib/modules, /usr/src" host_ok
finish
