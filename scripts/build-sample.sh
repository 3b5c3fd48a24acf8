#!/usr/bin/env bash
# Usage: build-edu.sh KDIR IODMA_BUILD OUTDIR
# Build samples/edu as any out-of-tree client would: against iodma's
# Module.symvers (KBUILD_EXTRA_SYMBOLS) and <linux/iodma.h> only; and its
# user program, static, for the initramfs. Fails on any warning.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kdir=${1:?KDIR} iodma=$(realpath "${2:?iodma build dir}") out=$(realpath -m "${3:?outdir}")
[ -f "$iodma/Module.symvers" ] || die "no Module.symvers in $iodma: build iodma first"
mkdir -p "$out"
rsync -a "$IODMA_TOP/samples/edu/" "$out/"
cc=gcc
grep -q 'x86_64-linux-gnu-gcc-12' "$kdir/.config" 2>/dev/null && cc=x86_64-linux-gnu-gcc-12
set +e
make -C "$kdir" M="$out" CC="$cc" KBUILD_EXTRA_SYMBOLS="$iodma/Module.symvers" \
	IODMA_INCLUDE="$IODMA_TOP/include" modules 2>&1 | tee "$out/build.log" >&2
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "edu_dma build failed (see $out/build.log)"
if grep -i 'warning' "$out/build.log" >&2; then
	die "the edu_dma build printed warnings (above)"
fi
gcc -static -O2 -Wall -Wextra -Werror -I"$IODMA_TOP/samples/edu" \
	-o "$out/edu-demo" "$IODMA_TOP/samples/edu/edu_demo.c" ||
	die "edu-demo (user program) build failed"
