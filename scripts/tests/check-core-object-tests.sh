#!/usr/bin/env bash
# Usage: scripts/tests/check-core-object-tests.sh
# The tests of scripts/check-core-object.sh's arm64 checks: small C++ files
# (scripts/tests/core-object/) cross-compiled with and without what the
# kernel's code generation asks for; each must pass or fail as it should,
# failing with the reason. Seconds. Writes out/results/core-object ("P F")
# and ends with "core-object-tests: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/kernels.sh"
arch_row arm64
need_pkgs "${ARCH_PKGS[@]}"

src=$IODMA_TOP/scripts/tests/core-object
results=$IODMA_TOP/out/results
mkdir -p "$results"
rm -f "$results/core-object"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OBJDUMP=${ARCH_CROSS}objdump NM=${ARCH_CROSS}nm READELF=${ARCH_CROSS}readelf
cxx=${ARCH_CROSS}g++
base=(-O2 -fno-exceptions -fno-rtti -ffreestanding)
p=0 f=0

# case NAME SOURCE "CXXFLAGS" "FEATURES" WANT [REASON]: compile SOURCE with
# CXXFLAGS, check it with FEATURES; WANT pass or fail, a failure must say
# REASON.
case_() {
	local name=$1 source=$2 flags=$3 features=$4 want=$5 reason=${6:-} rc=0 out
	# shellcheck disable=SC2086
	$cxx "${base[@]}" $flags -c "$src/$source" -o "$tmp/$name.o" ||
		die "$name: $source did not compile"
	# shellcheck disable=SC2086
	out=$(sh "$IODMA_TOP/scripts/check-core-object.sh" "$tmp/$name.o" $features 2>&1) || rc=$?
	if [ "$want" = pass ] && [ $rc -eq 0 ]; then
		p=$((p + 1)); echo "PASS core-object: $name passes"
	elif [ "$want" = fail ] && [ $rc -ne 0 ] && grep -q -- "$reason" <<<"$out"; then
		p=$((p + 1)); echo "PASS core-object: $name fails: $reason"
	else
		f=$((f + 1)); echo "FAIL core-object: $name: want $want${reason:+ ($reason)}, got exit $rc: $out"
	fi
}

kernel="-mgeneral-regs-only -mbranch-protection=pac-ret -fsanitize=shadow-call-stack -ffixed-x18"
case_ kernel-flags calls.cpp "$kernel" "arm64 pac-ret scs" pass
case_ kernel-flags-no-scs-kernel calls.cpp "-mgeneral-regs-only -mbranch-protection=pac-ret" "arm64 pac-ret" pass
case_ bti calls.cpp "-mgeneral-regs-only -mbranch-protection=pac-ret+bti" "arm64 pac-ret bti" pass
case_ unsigned calls.cpp "-mgeneral-regs-only -fsanitize=shadow-call-stack -ffixed-x18" "arm64 pac-ret scs" fail "no GNU property PAC"
case_ no-bti calls.cpp "$kernel" "arm64 pac-ret bti scs" fail "no GNU property BTI"
case_ no-shadow-stack calls.cpp "-mgeneral-regs-only -mbranch-protection=pac-ret" "arm64 pac-ret scs" fail "caller: saves its return address off the shadow call stack"
case_ shadow-stack-kernel-without calls.cpp "$kernel" "arm64 pac-ret" fail "caller: pushes on a shadow call stack the kernel does not have"
case_ x18 x18.cpp "-mgeneral-regs-only -fsanitize=shadow-call-stack -ffixed-x18" "arm64 scs" fail "clobber: uses x18"
case_ x18-no-shadow-stack x18.cpp "-mgeneral-regs-only" "arm64" pass
case_ fp fp.cpp "" "arm64" fail "scale: uses the FP/SIMD registers"
case_ unknown-feature calls.cpp "$kernel" "arm64 pac-ret scs mte" fail "unknown feature 'mte'"

echo "$p $f" >"$results/core-object"
echo "core-object-tests: $p passed, $f failed"
[ "$f" -eq 0 ]
