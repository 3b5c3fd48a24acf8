#!/usr/bin/env bash
# Usage: probes-check.sh LINE HEADER [PROBEDIR [EXPECTED]]
# Check the feature probes' answers on kernel line LINE: HEADER is the
# iodma_probes.h that scripts/probes.sh generated while the modules built
# against that line's kernel; EXPECTED (default scripts/kernel/
# probes.expected) says which features that kernel has. One line per probe,
# "probe LINE FEATURE: yes|no as expected" or "FAIL probe LINE FEATURE: ...",
# then "probes LINE: P passed, F failed"; the last line of stdout is "P F".
# A probe without a row, a row without a probe (PROBEDIR, default
# scripts/probes), a missing or garbled header each count as failed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
line=${1:?usage: probes-check.sh LINE HEADER [PROBEDIR [EXPECTED]]}
header=${2:?usage: probes-check.sh LINE HEADER [PROBEDIR [EXPECTED]]}
probes=${3:-$IODMA_TOP/scripts/probes}
expected=${4:-$IODMA_TOP/scripts/kernel/probes.expected}

p=0 f=0
fail() {
	echo "FAIL probe $line $*"
	f=$((f + 1))
}
declare -A want=()
while read -r l feat have rest; do
	if [ -z "$l" ] || [[ $l == \#* ]]; then continue; fi
	if [ -n "$rest" ] || ! [[ $have =~ ^(yes|no)$ ]]; then
		fail "garbled row in ${expected##*/}: '$l $feat $have $rest'"
		continue
	fi
	[ "$l" = "$line" ] && want[$feat]=$have
done <"$expected"

if [ ! -f "$header" ] || ! grep -q '^#endif' "$header"; then
	fail "no complete $header (the probes did not run)"
	want=()
else
	for src in "$probes"/*.c; do
		feat=$(basename "$src" .c)
		def=HAVE_$(echo "$feat" | tr '[:lower:]' '[:upper:]')
		if grep -qxF "#define $def 1" "$header"; then
			got=yes
		elif grep -qxF "/* #undef $def */" "$header"; then
			got=no
		else
			fail "$feat: $def neither defined nor undefined in $header"
			unset "want[$feat]"
			continue
		fi
		if [ -z "${want[$feat]:-}" ]; then
			fail "$feat: found '$got', but ${expected##*/} has no row for it"
		elif [ "${want[$feat]}" != "$got" ]; then
			fail "$feat: found '$got', expected '${want[$feat]}'"
		else
			echo "probe $line $feat: $got as expected"
			p=$((p + 1))
		fi
		unset "want[$feat]"
	done
fi
for feat in "${!want[@]}"; do
	fail "$feat: a row in ${expected##*/} but no probe $feat.c"
done
echo "probes $line: $p passed, $f failed"
echo "$p $f"
