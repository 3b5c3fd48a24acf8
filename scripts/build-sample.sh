#!/usr/bin/env bash
# Usage: build-sample.sh KDIR IODMA_BUILD NAME OUTDIR
# Build samples/NAME as any out-of-tree client would: against iodma's
# Module.symvers (KBUILD_EXTRA_SYMBOLS) and <linux/iodma.h> only. A C file
# samples/NAME/*_demo.c is built as a static user program next to the
# module, for the kernel's architecture (cross-compiled, with Debian's
# libc6-dev-<arch>-cross, where that is not the host's). Fails on any
# warning, saying why on stderr; quiet otherwise.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kernels.sh"

kdir=${1:?KDIR} iodma=$(realpath "${2:?iodma build dir}") name=${3:?sample}
out=$(realpath -m "${4:?outdir}")
src=$IODMA_TOP/samples/$name
[ -d "$src" ] || die "no sample $name"
[ -f "$iodma/Module.symvers" ] || die "no Module.symvers in $iodma: build iodma first"
mkdir -p "$out"
rsync -a "$src/" "$out/"
# The kernel tree's architecture and compiler (cross where that is not the
# host's): the module and the user programs are built for it.
kdir_toolchain "$kdir"
# Make's output goes to OUTDIR/build.log only; a failure or a warning is
# printed on stderr with the reason (callers keep it: a build that failed
# in silence left a stage with no result and nothing saying why).
rc=0
make -C "$kdir" M="$out" "${KDIR_MAKE[@]}" CC="$KDIR_CC" KBUILD_EXTRA_SYMBOLS="$iodma/Module.symvers" \
	IODMA_INCLUDE="$IODMA_TOP/include" modules >"$out/build.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$out/build.log" >&2
	die "samples/$name build failed (above; all of it in $out/build.log)"
fi
if grep -i -B2 -A3 'warning' "$out/build.log" >&2; then
	die "the samples/$name build printed warnings (above)"
fi
for prog in "$src"/*_demo.c; do
	[ -f "$prog" ] || continue
	exe=$(basename "$prog" _demo.c)-demo
	exe=${exe//_/-}
	"${ARCH_CROSS}gcc" -static -O2 -Wall -Wextra -Werror -I"$src" -o "$out/$exe" "$prog" ||
		die "$exe (user program) build failed"
done
