// SPDX-License-Identifier: GPL-2.0
// Global operator delete for the kernel build. The core frees through
// iodma::destroy() and never names delete, but the compiler may refer to
// these (sized and unsized) from destructors; modpost needs them resolved
// inside the module. Host builds use the C++ library's instead.
#include "../core/platform.h"
#include "../core/types.h"

void operator delete(void* p) noexcept { iodma_plat_free(p); }
void operator delete[](void* p) noexcept { iodma_plat_free(p); }
void operator delete(void* p, iodma::size_t) noexcept { iodma_plat_free(p); }
void operator delete[](void* p, iodma::size_t) noexcept { iodma_plat_free(p); }
