// SPDX-License-Identifier: GPL-2.0
// A grow-only array owned by a command: the per-prepare working memory is
// allocated once and reused, so repeated prepares of the same or a smaller
// size allocate nothing.
#ifndef IODMA_CORE_POOL_H
#define IODMA_CORE_POOL_H

#include "alloc.h"
#include "types.h"

namespace iodma {

// Invariant: data_ holds cap_ elements (nullptr when cap_ == 0).
template <typename T>
class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() { iodma_plat_free(data_); }

  // Make room for n elements; the contents are not kept. False on ENOMEM,
  // with the pool unchanged.
  [[nodiscard]] bool reserve(u32 n, u32 gfp) {
    if (n <= cap_) return true;
    u32 cap = cap_ < 8 ? 8 : cap_;
    while (cap < n) cap = cap > kU32Max / 2 ? n : cap * 2;
    void* p = iodma_plat_alloc(sizeof(T) * size_t{cap}, gfp);
    if (p == nullptr) return false;
    iodma_plat_free(data_);
    data_ = static_cast<T*>(p);
    cap_ = cap;
    return true;
  }
  T* data() const { return data_; }
  u32 capacity() const { return cap_; }
  void swap(Pool& o) {
    T* d = data_;
    const u32 c = cap_;
    data_ = o.data_, cap_ = o.cap_;
    o.data_ = d, o.cap_ = c;
  }

 private:
  T* data_ = nullptr;
  u32 cap_ = 0;
};

}  // namespace iodma

#endif  // IODMA_CORE_POOL_H
