// SPDX-License-Identifier: GPL-2.0
// Memory descriptors: an ordered list of byte ranges with a direction
// (SPEC.md section 1), described without walking them.
#ifndef IODMA_CORE_MD_H
#define IODMA_CORE_MD_H

#include "alloc.h"
#include "core_api.h"
#include "segments.h"
#include "types.h"

namespace iodma {

enum class Dir : u32 {
  kBidirectional = IODMA_PLAT_BIDIRECTIONAL,
  kToDevice = IODMA_PLAT_TO_DEVICE,
  kFromDevice = IODMA_PLAT_FROM_DEVICE,
};
inline bool device_reads(Dir d) { return d != Dir::kFromDevice; }
inline bool device_writes(Dir d) { return d != Dir::kToDevice; }

enum class MdKind : u8 { kLinear, kVmalloc, kPages, kUser, kSgTable, kPhys };

// Invariants: length_ > 0 and fixed; refs_ > 0 while reachable; for
// kSgTable, sg_ holds sg_count_ non-empty ranges whose lengths add up to at
// least first_ + length_ and sg_start_ their running offsets.
class Md {
 public:
  [[nodiscard]] static int create(const iodma_core_md_desc& d, u32 gfp,
                                  Md** out);
  void get();
  void put();

  u64 length() const { return length_; }
  Dir dir() const { return dir_; }
  MdKind kind() const { return kind_; }

  // User memory is pinned for a prepared range: its first page-aligned
  // address and number of pages for [off, off + len).
  bool needs_pin() const { return kind_ == MdKind::kUser; }
  u64 pin_start(u64 off, u32 page_shift) const;
  u32 pin_pages(u64 off, u64 len, u32 page_shift) const;

  // How gather() cuts ranges: at most max_len bytes (a multiple of the
  // page size), never across a multiple of boundary (a power of two no
  // smaller than a page, or 0).
  struct Limits {
    u64 max_len;
    u64 boundary;
    u32 page_shift;
  };
  // An upper bound on the ranges gather() writes for [off, off + len).
  u64 gather_bound(u64 off, u64 len, const Limits& lim) const;
  // Write the physical ranges of [off, off + len) to out, merging
  // contiguous pieces and cutting them per `lim`; `pinned` holds the pinned
  // pages of a user descriptor. Returns the number written.
  // O(pages of the range), independent of length().
  u32 gather(u64 off, u64 len, const Limits& lim, void* const* pinned,
             DevSeg* out) const;

  static void* operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept;

 private:
  Md() = default;
  ~Md() = default;
  friend void iodma::destroy<Md>(Md*);

  u32 refs_ = 1;
  MdKind kind_ = MdKind::kLinear;
  Dir dir_ = Dir::kBidirectional;
  u64 length_ = 0;
  u64 first_ = 0;           // offset into the first page / sg range
  u64 base_ = 0;            // kLinear/kPhys: physical; kVmalloc/kUser: address
  void** pages_ = nullptr;  // kPages, the caller's array
  DevSeg* sg_ = nullptr;    // kSgTable, after the object
  u64* sg_start_ = nullptr;
  u32 sg_count_ = 0;
};

}  // namespace iodma

#endif  // IODMA_CORE_MD_H
