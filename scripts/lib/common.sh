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
	apt_lock
	# Another stage may have installed them while this one waited.
	local still=()
	for p in "${missing[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			still+=("$p")
	done
	if [ ${#still[@]} -gt 0 ]; then
		say "installing Debian packages: ${still[*]}"
		local sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get update -qq || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends "${still[@]}" >/dev/null ||
			die "apt-get install ${still[*]} failed"
	fi
	apt_unlock
}

# apt_lock / apt_unlock: hold / release the lock that serializes iodma's
# apt-get and dpkg calls (and the downloads cached under IODMA_CACHE):
# make check runs its stages side by side (scripts/check-all.sh), and
# apt-get fails at once on a lock that another one holds. File descriptor
# 8; the lock goes with the process that holds it, so a die() inside
# releases it. Never nested: need_pkgs takes it too.
apt_lock() {
	mkdir -p "$IODMA_CACHE"
	exec 8>"$IODMA_CACHE/.apt.lock"
	flock 8
}
apt_unlock() {
	flock -u 8
	exec 8>&-
}

# Packages every kernel-side job needs.
KERNEL_BUILD_PKGS=(gcc g++ make bc bison flex libelf-dev libssl-dev kmod cpio
	xz-utils python3 rsync ccache dwarves)

# kernel_tools: print the directory holding the kernel's checkpatch.pl and
# kernel-doc (scripts/ below it), extracted once per linux-source-6.12
# version from Debian's tarball. Needs linux-source-6.12 and xz-utils.
kernel_tools() {
	local srcver tools
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12) ||
		die "linux-source-6.12 is not installed"
	tools=$IODMA_CACHE/tools/$srcver
	if [ ! -f "$tools/.done" ]; then
		say "extracting checkpatch.pl and kernel-doc from linux-source-6.12"
		rm -rf "$tools"
		mkdir -p "$tools"
		tar -C "$tools" --strip-components=1 -xf /usr/src/linux-source-6.12.tar.xz \
			linux-source-6.12/scripts/checkpatch.pl linux-source-6.12/scripts/spelling.txt \
			linux-source-6.12/scripts/const_structs.checkpatch \
			linux-source-6.12/scripts/kernel-doc >&2 ||
			die "cannot extract the kernel's scripts from linux-source-6.12"
		touch "$tools/.done"
	fi
	echo "$tools"
}

# child_cpu FILE: the CPU seconds of a shell's waited-for children, from
# what its builtin times wrote to FILE (second line: user, system). Call
# times in the shell itself: a pipeline's subshell has no children.
child_cpu() {
	awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) {
		split($i, t, /[ms]/); s += t[1] * 60 + t[2] }; printf "%.0f", s }' "$1"
}
