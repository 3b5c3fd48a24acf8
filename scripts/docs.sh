#!/usr/bin/env bash
# Usage: scripts/docs.sh [OUTDIR]
# Render Documentation/ to HTML with Sphinx (Debian's python3-sphinx) into
# OUTDIR (default out/docs), the API reference pulled from the kernel-doc of
# include/linux/iodma.h and src/shim/*.c by Documentation/sphinx/iodma_kdoc.py
# with the kernel's own scripts/kernel-doc (from linux-source-6.12). Always a
# full build (-E), so that every warning shows; any warning is an error
# (-W --keep-going, nitpicky). The log is OUTDIR/sphinx.log.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
need_pkgs python3-sphinx perl linux-source-6.12 xz-utils

out=$(realpath -m "${1:-$IODMA_TOP/out/docs}")
tools=$(kernel_tools)
rm -rf "$out/html" "$out/doctrees" "$out/sphinx.log"
mkdir -p "$out"
say "rendering Documentation/ to $out/html"
set +e
# Debian's sphinx-build, whatever python3 comes first in PATH.
IODMA_KERNEL_DOC=$tools/scripts/kernel-doc PYTHONDONTWRITEBYTECODE=1 \
	/usr/bin/sphinx-build -b html -E -a -q -W --keep-going -n \
	-d "$out/doctrees" "$IODMA_TOP/Documentation" "$out/html" \
	>"$out/sphinx.log" 2>&1
rc=$?
set -e
cat "$out/sphinx.log" >&2
[ "$rc" -eq 0 ] || die "sphinx-build failed (exit $rc): the warnings above"
say "documentation: $out/html/index.html"
