#!/usr/bin/env bash
# Usage: build-sample.sh KDIR IODMA_BUILD NAME OUTDIR
# Build samples/NAME as any out-of-tree client would: against iodma's
# Module.symvers (KBUILD_EXTRA_SYMBOLS) and <linux/iodma.h> only. A C file
# samples/NAME/*_demo.c is built as a static user program next to the
# module, for the kernel's architecture (cross-compiled, with Debian's
# libc6-dev-<arch>-cross, where that is not the host's). Fails on any
# warning.
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
set +e
make -C "$kdir" M="$out" "${KDIR_MAKE[@]}" CC="$KDIR_CC" KBUILD_EXTRA_SYMBOLS="$iodma/Module.symvers" \
	IODMA_INCLUDE="$IODMA_TOP/include" modules 2>&1 | tee "$out/build.log" >&2
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "samples/$name build failed (see $out/build.log)"
if grep -i 'warning' "$out/build.log" >&2; then
	die "the samples/$name build printed warnings (above)"
fi
for prog in "$src"/*_demo.c; do
	[ -f "$prog" ] || continue
	exe=$(basename "$prog" _demo.c)-demo
	exe=${exe//_/-}
	"${ARCH_CROSS}gcc" -static -O2 -Wall -Wextra -Werror -I"$src" -o "$out/$exe" "$prog" ||
		die "$exe (user program) build failed"
done
