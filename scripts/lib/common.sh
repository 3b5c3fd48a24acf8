# Shared helpers for iodma's scripts. Sourced, not run.
# shellcheck shell=bash

IODMA_CACHE=${IODMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iodma}
IODMA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian's python3, which need_pkgs installs, ahead of whatever PATH names
# first: a version manager's shim (pyenv's, on the development machine)
# took 0.33 s a start against 0.03 s, and make check starts python3
# several hundred times (a judge per guest, three per checker test).
# Only the outermost script does this: a PATH set up after it (the checker
# tests' fake python3) is left as it is.
if [ -z "${IODMA_PYTHON3_FIRST:-}" ] && [ -x /usr/bin/python3 ] &&
	[ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$IODMA_CACHE/python3-bin"
	[ -L "$IODMA_CACHE/python3-bin/python3" ] ||
		ln -s /usr/bin/python3 "$IODMA_CACHE/python3-bin/python3" 2>/dev/null || true
	export PATH="$IODMA_CACHE/python3-bin:$PATH"
fi
export IODMA_PYTHON3_FIRST=1

say() { printf '>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# guest_slot: when IODMA_SLOTS names a number N other than 0 (make check
# sets the number of cores), wait until this process holds one of N slots
# (lock files in IODMA_SLOTS_DIR), held until it and its children (the
# guest) exit. TCG guests are CPU-bound; more of them than cores only
# makes each slower (a 6.12 KUnit run: 53 CPU-seconds alone, 104-161
# among eight guests and the host stages), so make check's lanes share
# the cores this way. Sets GUEST_SLOT_WAITED to the seconds it waited
# (0: a slot was free at once) and GUEST_SLOT_HELD to 1 when it holds a
# slot (on file descriptor 7; `flock -u 7` gives it back early).
guest_slot() {
	local n=${IODMA_SLOTS:-} dir=${IODMA_SLOTS_DIR:-} i t0
	GUEST_SLOT_WAITED=0 GUEST_SLOT_HELD=0
	[ -n "$n" ] && [ "$n" != 0 ] || return 0
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "IODMA_SLOTS must be a number, not '$n'"
	[ -n "$dir" ] || die "IODMA_SLOTS is set but IODMA_SLOTS_DIR is not"
	mkdir -p "$dir"
	t0=$(date +%s)
	while :; do
		for ((i = 0; i < n; i++)); do
			exec 7>"$dir/slot$i"
			if flock -n 7; then
				GUEST_SLOT_HELD=1
				return 0
			fi
			exec 7>&-
		done
		sleep 1
		GUEST_SLOT_WAITED=$(( $(date +%s) - t0 ))
	done
}

# host_jobs: how many compile or check jobs a host stage runs at once: the
# cores, or IODMA_HOST_JOBS (make check runs its host stages with one job,
# each holding a guest slot: scripts/check-all.sh).
host_jobs() {
	local n=${IODMA_HOST_JOBS:-}
	if [ -z "$n" ]; then
		nproc
		return
	fi
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "IODMA_HOST_JOBS must be a number, not '$n'"
	echo "$n"
}

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
	xz-utils python3 rsync ccache dwarves patch)

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

# tidy_key TOP FILE FLAG...: everything a clang-tidy result of FILE depends
# on (scripts/check-static.sh keeps clean results under it): the tool, the
# configuration TOP/.clang-tidy, the flags, and the file as the compiler
# sees it, headers included (preprocessed with comments kept, so that a
# NOLINT marker counts), with the checkout's path TOP taken out so that a
# fresh clone elsewhere finds the same key. Needs clang-tidy and clang.
tidy_key() {
	local top=$1 file=$2
	shift 2
	{
		clang-tidy --version
		cat "$top/.clang-tidy"
		printf '%s\n' "$@"
		clang++ "$@" -E -P -C "$file"
	} 2>&1 | sed "s|$top|@TOP@|g" | sha256sum | cut -c1-40
}
