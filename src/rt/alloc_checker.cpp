// SPDX-License-Identifier: GPL-2.0
// The only operator new the core has: non-throwing, through the platform
// allocator, recording success in the AllocChecker.
#include "../core/alloc.h"

void* operator new(iodma::size_t size, iodma::AllocChecker* ac) noexcept {
  void* p = iodma_plat_alloc(size, ac->gfp());
  ac->arm(p != nullptr);
  return p;
}

void* operator new[](iodma::size_t size, iodma::AllocChecker* ac) noexcept {
  void* p = iodma_plat_alloc(size, ac->gfp());
  ac->arm(p != nullptr);
  return p;
}
