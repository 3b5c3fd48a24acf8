#!/bin/sh
# Usage: cxxflags.sh CXX FLAG...
# Print the FLAGs that CXX accepts for C++: the kernel's C flags minus those
# g++ reports as valid for C only. Used by Kbuild to derive the C++ flags
# from the kernel's own, whatever kernel it builds against.
cxx=$1
shift
c_only=$(echo 'int iodma_probe;' | LC_ALL=C $cxx "$@" -x c++ -c -o /dev/null - 2>&1 |
	sed -n -e "s/.*command-line option '\([^']*\)' is valid for C\/ObjC but not for C++.*/\1/p" \
		-e "s/.*'-Werror=' argument '\([^']*\)' is not valid for C++.*/\1/p")
for f in "$@"; do
	skip=
	for c in $c_only; do
		[ "$f" = "$c" ] && skip=1 && break
	done
	[ -z "$skip" ] && printf '%s ' "$f"
done
echo
