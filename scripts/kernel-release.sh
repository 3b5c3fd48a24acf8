#!/usr/bin/env bash
# Usage: kernel-release.sh KDIR
# Print the release of the kernel whose build tree is KDIR: its UTS_RELEASE,
# which is what `uname -r` says on that kernel, what a module's vermagic
# starts with and the name of its /lib/modules directory. Not
# include/config/kernel.release: in Debian's 6.1 headers that file says the
# upstream 6.1.<n>, not 6.1.0-<abi>-amd64.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kdir=${1:?usage: kernel-release.sh KDIR}
h=$kdir/include/generated/utsrelease.h
[ -f "$h" ] || die "no $h: $kdir is not a prepared kernel build tree"
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$h")
[ -n "$rel" ] || die "no UTS_RELEASE in $h"
echo "$rel"
