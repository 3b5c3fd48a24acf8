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
# Through ccache where there is one. Under make check (IODMA_BUILD_LINKS=1,
# set by scripts/check-all.sh) in the cache directory, kept with the test
# kernels, and through a path that is the same in every checkout: Kbuild
# puts the M= path into every compile command and ccache keys on the
# command, so with the checkout's own path a fresh clone compiled
# everything again (26 of 26 compiles missed, 44 CPU-seconds a build,
# about six builds a make check). $IODMA_CACHE/build-links/<key> is a
# symlink to OUTDIR, the key naming OUTDIR below the checkout and KDIR;
# it is held (a lock) for the build, and products reach OUTDIR through
# it. A user's `make` builds with its own path.
mod=$out
ccache=$(command -v ccache || true)
[ -z "$ccache" ] || cc="ccache $cc"
if [ "${IODMA_BUILD_LINKS:-0}" = 1 ] && [ -n "$ccache" ]; then
	export CCACHE_DIR=$IODMA_CACHE/ccache
	links=$IODMA_CACHE/build-links
	key=$(printf '%s\n%s\n' "${out#"$IODMA_TOP"/}" "$kdir" | sha256sum | cut -c1-16)
	mkdir -p "$links"
	exec 5>"$links/$key.lock"
	flock 5
	ln -sfn "$out" "$links/$key"
	mod=$links/$key
fi
say "building modules for $ARCH_NAME against $kdir in $out"
set +e
make -C "$kdir" M="$mod" "${KDIR_MAKE[@]}" CC="$cc" -j"$(host_jobs)" modules "$@" 2>&1 | tee "$out/build.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "module build failed (see $out/build.log)"
if grep -i 'warning' "$out/build.log" >&2; then
	die "the module build printed warnings (above); iodma builds warning-free"
fi
