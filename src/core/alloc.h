// SPDX-License-Identifier: GPL-2.0
// Checked allocation for the core: every allocation goes through
// `new (&ac) T(...)` followed by `if (!ac.check())`, in the manner of
// Zircon's fbl::AllocChecker. There is no throwing operator new; the
// runtime (src/rt) implements the overloads below on iodma_plat_alloc().
#ifndef IODMA_CORE_ALLOC_H
#define IODMA_CORE_ALLOC_H

#include "platform.h"
#include "types.h"

namespace iodma {

// Carries the gfp mask into operator new and records whether it succeeded.
// Invariant: check() must be called after each allocation through it.
class AllocChecker {
 public:
  explicit AllocChecker(u32 gfp) : gfp_(gfp) {}
  AllocChecker(const AllocChecker&) = delete;
  AllocChecker& operator=(const AllocChecker&) = delete;
  ~AllocChecker() = default;

  u32 gfp() const { return gfp_; }
  void arm(bool ok) { ok_ = ok; }
  [[nodiscard]] bool check() const { return ok_; }

 private:
  u32 gfp_;
  bool ok_ = false;
};

// Destroy an object made with new (&ac) T: the core never uses delete.
template <typename T>
void destroy(T* p) {
  if (p == nullptr) return;
  p->~T();
  iodma_plat_free(p);
}

}  // namespace iodma

void* operator new(iodma::size_t size, iodma::AllocChecker* ac) noexcept;
void* operator new[](iodma::size_t size, iodma::AllocChecker* ac) noexcept;

#endif  // IODMA_CORE_ALLOC_H
