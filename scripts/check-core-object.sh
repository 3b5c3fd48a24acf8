#!/bin/sh
# Usage: check-core-object.sh OBJECT.o
# Fail the build if a C++ object of the core or runtime could misbehave in
# the kernel: static constructors or destructors (.init_array/.ctors/...,
# which a kernel without CONFIG_CONSTRUCTORS never runs), guard variables
# for function statics, the throwing operator new, exception machinery, or
# any undefined symbol other than the platform seam (iodma_plat_*), the
# runtime in src/rt, and what the compiler itself emits for the kernel.
obj=$1
fail() { echo "check-core-object: $obj: $*" >&2; exit 1; }
[ -f "$obj" ] || fail "missing"

secs=$(objdump -h "$obj" | awk '{print $2}' |
	grep -E '^\.(init_array|fini_array|ctors|dtors)(\.|$)')
[ -z "$secs" ] || fail "static constructor/destructor section(s): $secs"

undef=$(nm -u "$obj" | awk '{print $2}')
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
	*) fail "undefined symbol outside the platform seam and runtime: $s" ;;
	esac
done
exit 0
