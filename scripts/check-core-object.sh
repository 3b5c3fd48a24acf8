#!/bin/sh
# Usage: check-core-object.sh OBJECT.o [FEATURE...]
# Fail the build if a C++ object of the core or runtime could misbehave in
# the kernel: static constructors or destructors (.init_array/.ctors/...,
# which a kernel without CONFIG_CONSTRUCTORS never runs), guard variables
# for function statics, the throwing operator new, exception machinery, or
# any undefined symbol other than the platform seam (iodma_plat_*), the
# runtime in src/rt, and what the compiler itself emits for the kernel.
# FEATUREs are what the kernel's code generation promises and the object
# must keep too (Kbuild passes them from the kernel's configuration):
#   arm64     no FP/SIMD register anywhere (the kernel does not save them
#             around our code)
#   pac-ret   every function that saves its return address signs it
#             (paciasp), and the object says so (GNU property PAC)
#   bti       the object carries the GNU property BTI, every function
#             starts on a landing pad (bti c, or paciasp which is one)
#   scs       every function that saves its return address pushes it on
#             the shadow call stack (x18), and x18 serves nothing else
#             (without scs, x18 is an ordinary register in the kernel too)
# Environment: OBJDUMP, NM, READELF (default the host's; Kbuild passes the
# kernel's, cross ones included).
obj=$1
shift
OBJDUMP=${OBJDUMP:-objdump} NM=${NM:-nm} READELF=${READELF:-readelf}
fail() { echo "check-core-object: $obj: $*" >&2; exit 1; }
[ -f "$obj" ] || fail "missing"

secs=$($OBJDUMP -h "$obj" | awk '{print $2}' |
	grep -E '^\.(init_array|fini_array|ctors|dtors)(\.|$)')
[ -z "$secs" ] || fail "static constructor/destructor section(s): $secs"

undef=$($NM -u "$obj" | awk '{print $2}')
for s in $undef; do
	case "$s" in
	__cxa_guard_*) fail "function-local static needs a guard: $s" ;;
	_Znwm | _Znam | _ZnwmSt11align_val_t | _ZnamSt11align_val_t)
		fail "throwing operator new used: $s (use new (&ac) T)" ;;
	__cxa_throw | __cxa_begin_catch | _Unwind_* | __gxx_personality_v0 | __cxa_atexit | __dso_handle)
		fail "exception or atexit machinery: $s" ;;
	iodma_plat_*) ;; # the platform seam
	_ZN5iodma* | _ZNK5iodma*) ;; # the core itself, in another object
	_ZnwmPN5iodma12AllocCheckerE | _ZnamPN5iodma12AllocCheckerE) ;; # src/rt
	_ZdlPv | _ZdaPv | _ZdlPvm | _ZdaPvm | __cxa_pure_virtual) ;; # src/rt
	memcpy | memset | memmove | memcmp | __memcpy | __memset | __memmove) ;;
	__stack_chk_fail | __stack_chk_guard | __ref_stack_chk_guard | fixed_percpu_data) ;;
	__fentry__ | __x86_return_thunk | __x86_indirect_thunk_* | __x86_indirect_call_thunk_*) ;;
	__x86_indirect_jump_thunk_* | __SCT__* | __x86_call_depth | pcpu_hot) ;;
	__asan_* | __kasan_* | __ubsan_handle_* | __sanitizer_cov_*) ;;
	_mcount | __stack_chk_guard_offset) ;;
	*) fail "undefined symbol outside the platform seam and runtime: $s" ;;
	esac
done

# The architecture's code generation, per function, from the disassembly.
arm64=0 pac=0 bti=0 scs=0
for f in "$@"; do
	case $f in
	arm64) arm64=1 ;;
	pac-ret) pac=1 ;;
	bti) bti=1 ;;
	scs) scs=1 ;;
	*) fail "unknown feature '$f' (arm64, pac-ret, bti, scs)" ;;
	esac
done
if [ $arm64 = 1 ]; then
	props=$($READELF -n "$obj" | sed -n 's/.*AArch64 feature: //p')
	if [ $pac = 1 ]; then
		case ", $props," in *", PAC,"*) ;; *) fail "no GNU property PAC (return addresses unsigned)" ;; esac
	fi
	if [ $bti = 1 ]; then
		case "$props," in BTI,* | *" BTI,"*) ;; *) fail "no GNU property BTI (no landing pads)" ;; esac
	fi
	why=$($OBJDUMP -d --no-show-raw-insn "$obj" | awk -v pac=$pac -v bti=$bti -v scs=$scs '
		function done_fn() {
			if (fn == "") return
			if (pac && saves && !signs) print fn ": saves its return address unsigned (no paciasp)"
			if (scs && saves && !push) print fn ": saves its return address off the shadow call stack"
			fn = ""
		}
		/^[0-9a-f]+ <.*>:$/ {
			done_fn(); fn = $2; gsub(/[<>:]/, "", fn)
			saves = signs = push = 0; first = 1; next
		}
		fn != "" && /^ *[0-9a-f]+:	/ {
			split($0, f, "	"); op = f[2]; args = f[3]
			sub(/ *\/\/.*/, "", args)
			# a branch target: an address and its symbol, no register
			gsub(/[0-9a-f]+ <[^>]*>/, "", args); gsub(/<[^>]*>/, "", args)
			if (first && bti && op !~ /^(bti|paciasp|pacibsp)$/)
				print fn ": starts with " op ", not a landing pad"
			first = 0
			if (op ~ /^(paciasp|pacibsp)$/) signs = 1
			if (op ~ /^(stp|str)$/ && args ~ /(^|[^0-9])x30,/ && args !~ /\[x18\]/) saves = 1
			if (!scs && op == "str" && args ~ /^x30, \[x18\], #8$/)
				print fn ": pushes on a shadow call stack the kernel does not have"
			if (scs && args ~ /(^|[^a-z0-9_.])[xw]18([^0-9]|$)/) {
				if (op == "str" && args ~ /^x30, \[x18\], #8$/) push = 1
				else if (!(op == "ldr" && args ~ /^x30, \[x18, #-8\]!$/))
					print fn ": uses x18 (" op " " args ")"
			}
			if (args ~ /(^|[^a-z0-9_#.])[bhsdqv]([0-9]|[12][0-9]|3[01])([^0-9a-z_]|$)/ ||
			    op ~ /^(f|ld1|st1|ld2|st2|ld3|st3|ld4|st4)/ && op !~ /^(fence)/ ||
			    args ~ /fp(cr|sr)/)
				print fn ": uses the FP/SIMD registers (" op " " args ")"
		}
		END { done_fn() }')
	[ -z "$why" ] || fail "arm64 code generation:
$why"
fi
exit 0
