# Shared helpers for iodma's scripts. Sourced, not run.
# shellcheck shell=bash

IODMA_CACHE=${IODMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iodma}
IODMA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# need_pkgs PKG...: install the Debian packages that are missing.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing Debian packages: ${missing[*]}"
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# Packages every kernel-side job needs.
KERNEL_BUILD_PKGS=(gcc g++ make bc bison flex libelf-dev libssl-dev kmod cpio
	xz-utils python3 rsync ccache dwarves)
