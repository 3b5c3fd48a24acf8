#!/usr/bin/env bash
# Usage: dkms-post-build.sh DIR
# dkms.conf's POST_BUILD: DKMS runs it in its build directory after a
# successful build. Copies iodma's Module.symvers to DIR (DKMS's directory
# for this kernel and architecture) for client modules to build against.
# Runs inside the DKMS source tree, which carries no scripts/lib: so no
# common.sh here.
set -euo pipefail
dir=${1:?usage: dkms-post-build.sh DIR}
[ -f Module.symvers ] || { echo "ERROR: no Module.symvers in $PWD" >&2; exit 1; }
mkdir -p "$dir"
cp Module.symvers "$dir/Module.symvers"
echo "iodma: Module.symvers for client modules: $dir/Module.symvers"
