// SPDX-License-Identifier: GPL-2.0
// Global operator delete for the kernel build. The core frees through
// iodma::destroy() and never names delete, but the compiler may refer to
// these (sized and unsized) from destructors; modpost needs them resolved
// inside the module. Host builds use the C++ library's instead.
#include "../core/platform.h"
#include "../core/types.h"

// The matching operator new is the core's checked one (alloc_checker.cpp):
// a plain operator new would throw, and the core must never call it.
// NOLINTBEGIN(cert-dcl54-cpp,misc-new-delete-overloads)
void operator delete(void* p) noexcept { iodma_plat_free(p); }
void operator delete[](void* p) noexcept { iodma_plat_free(p); }
void operator delete(void* p, iodma::size_t) noexcept { iodma_plat_free(p); }
void operator delete[](void* p, iodma::size_t) noexcept { iodma_plat_free(p); }
// NOLINTEND(cert-dcl54-cpp,misc-new-delete-overloads)
