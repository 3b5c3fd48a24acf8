#!/usr/bin/env bash
# Usage: build-sample.sh KDIR IODMA_BUILD NAME OUTDIR
# Build samples/NAME as any out-of-tree client would: against iodma's
# Module.symvers (KBUILD_EXTRA_SYMBOLS) and <linux/iodma.h> only. A C file
# samples/NAME/*_demo.c is built as a static user program next to the
# module. Fails on any warning.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kdir=${1:?KDIR} iodma=$(realpath "${2:?iodma build dir}") name=${3:?sample}
out=$(realpath -m "${4:?outdir}")
src=$IODMA_TOP/samples/$name
[ -d "$src" ] || die "no sample $name"
[ -f "$iodma/Module.symvers" ] || die "no Module.symvers in $iodma: build iodma first"
mkdir -p "$out"
rsync -a "$src/" "$out/"
cc=gcc
grep -q 'x86_64-linux-gnu-gcc-12' "$kdir/.config" 2>/dev/null && cc=x86_64-linux-gnu-gcc-12
set +e
make -C "$kdir" M="$out" CC="$cc" KBUILD_EXTRA_SYMBOLS="$iodma/Module.symvers" \
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
	gcc -static -O2 -Wall -Wextra -Werror -I"$src" -o "$out/$exe" "$prog" ||
		die "$exe (user program) build failed"
done
