// SPDX-License-Identifier: GPL-2.0
// C++ ABI hooks for the kernel build: a pure virtual call is a core bug,
// reported instead of jumping through a null slot.
#include "../core/platform.h"

// The name is the C++ ABI's, reserved for exactly this use.
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
extern "C" void __cxa_pure_virtual();

void __cxa_pure_virtual() { iodma_plat_bug("pure virtual call"); }
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
