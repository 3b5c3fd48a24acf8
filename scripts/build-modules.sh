#!/usr/bin/env bash
# Usage: build-modules.sh KDIR OUTDIR [make args...]
# Build iodma's modules against the kernel build tree KDIR. The sources are
# mirrored into OUTDIR first, so builds for different kernels (the test
# kernel, Debian's stock kernel) never share objects. Fails on any compiler,
# objtool or modpost warning.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"

kdir=${1:?usage: build-modules.sh KDIR OUTDIR}
out=$(realpath -m "${2:?usage: build-modules.sh KDIR OUTDIR}")
shift 2
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir (install linux-headers-$(uname -r) or pass KDIR=)"

mkdir -p "$out"
# One build at a time in OUTDIR: make check's stages run side by side
# (scripts/check-all.sh) and build into the same out/test-kernel-<line>.
exec 7>"$out.lock"
flock 7
# Mirror sources, keep build products so that rebuilds stay incremental.
rsync -a --delete \
	--filter='P *.o' --filter='P *.ko' --filter='P *.mod' \
	--filter='P *.mod.c' --filter='P .*.cmd' --filter='P .*.d' \
	--filter='P Module.symvers' --filter='P modules.order' \
	--filter='P build.log' --filter='P /generated/' \
	--include='/Kbuild' --include='/include/***' --include='/src/***' \
	--include='/kunit/***' --include='/samples/***' \
	--include='/scripts/' --include='/scripts/cxxflags.sh' \
	--include='/scripts/check-core-object.sh' \
	--include='/scripts/probes.sh' --include='/scripts/probes/***' --exclude='*' \
	"$IODMA_TOP/" "$out/"

# The kernel tree's architecture (scripts/lib/kernels.sh): cross-compiled
# where that is not the host's, with the kernel's own compiler.
kdir_toolchain "$kdir"
cc=$KDIR_CC
command -v ccache >/dev/null && cc="ccache $cc"
say "building modules for $ARCH_NAME against $kdir in $out"
set +e
make -C "$kdir" M="$out" "${KDIR_MAKE[@]}" CC="$cc" -j"$(host_jobs)" modules "$@" 2>&1 | tee "$out/build.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "module build failed (see $out/build.log)"
if grep -i 'warning' "$out/build.log" >&2; then
	die "the module build printed warnings (above); iodma builds warning-free"
fi
