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

enum class MdKind : u8 {
  kLinear,
  kVmalloc,
  kPages,
  kUser,
  kSgTable,
  kPhys,
  kRanges,  // reusable: re-pointed at new physical ranges (reset + add)
};

// Invariants: length_ > 0 and fixed, except for kRanges, where it is 0
// while empty and changes only through reset()/add_range(), never while
// prepared_ > 0; refs_ > 0 while reachable; for kSgTable, kRanges,
// kVmalloc and kPages, sg_ holds sg_count_ (<= sg_cap_ for kRanges)
// non-empty physical ranges whose lengths add up to length_ (kVmalloc and
// kPages: the maximal physically contiguous pieces of the range, recorded
// at creation) and sg_start_ their running offsets; prepared_ counts the
// commands that hold a prepared range of this descriptor.
class Md {
 public:
  // Reference counted, and holds the owner's mm: shared, never copied.
  Md(const Md&) = delete;
  Md& operator=(const Md&) = delete;

  // kOk, kEINVAL, kEFAULT (user memory) or kENOMEM. A vmalloc or
  // page-array descriptor records its physically contiguous pieces here,
  // in its own allocation: O(pages of the range), once.
  [[nodiscard]] static int create(const iodma_core_md_desc& d, u32 gfp,
                                  Md** out);
  // A reusable descriptor with room for `max_ranges` physical ranges,
  // empty (length 0) until it is pointed at some. kOk, kEINVAL or kENOMEM.
  [[nodiscard]] static int create_ranges(u32 max_ranges, u32 gfp, Md** out);
  // Re-point a reusable descriptor: empty it and set its direction, then
  // append ranges. kEINVAL for another kind or a bad direction, kEBUSY
  // while a command holds it prepared (it is left as it was). Allocates
  // nothing.
  [[nodiscard]] int reset(u32 dir);
  // Append [phys, phys + len), merged with the last range when it
  // continues it. kEINVAL (another kind, len 0, wrap), kEBUSY (prepared)
  // or kENOSPC (no room): on error the descriptor is left empty.
  [[nodiscard]] int add_range(u64 phys, u64 len);
  // Commands call these when a range of this descriptor becomes prepared
  // and when it is released.
  void hold_prepared() { __atomic_add_fetch(&prepared_, 1, __ATOMIC_ACQ_REL); }
  void drop_prepared() { __atomic_sub_fetch(&prepared_, 1, __ATOMIC_ACQ_REL); }
  void get();
  void put();

  u64 length() const { return length_; }
  Dir dir() const { return dir_; }
  MdKind kind() const { return kind_; }
  // The kind as iodma_core_cmd_state numbers it (1 + MdKind).
  u32 core_kind() const { return static_cast<u32>(kind_) + 1; }

  // User memory is pinned for a prepared range: its first page-aligned
  // address and number of pages for [off, off + len).
  bool needs_pin() const { return kind_ == MdKind::kUser; }
  // A user descriptor belongs to the address space that created it.
  bool owned_by_caller() const {
    return mm_ == nullptr || iodma_plat_mm_is_current(mm_) != 0;
  }
  u64 pin_start(u64 off, u32 page_shift) const;
  u32 pin_pages(u64 off, u64 len, u32 page_shift) const;

  // How gather() cuts ranges: at most max_len bytes (any length >= 1),
  // never across a multiple of boundary (a power of two, or 0 for none).
  struct Limits {
    u64 max_len;
    u64 boundary;
    u32 page_shift;
  };
  // An upper bound on the ranges gather() writes for [off, off + len):
  // every range but the last ends where a piece (a page, an sg entry)
  // starts, where it reaches max_len or at a boundary inside a piece.
  u64 gather_bound(u64 off, u64 len, const Limits& lim) const;
  // Write the physical ranges of [off, off + len) to out (room for `cap`),
  // merging contiguous pieces and cutting them per `lim`; `pinned` holds
  // the pinned pages of a user descriptor. kOk with *n written, or kEIO
  // (reported as a broken invariant) when `cap` is too small: never a
  // write past out[cap - 1]. O(pages of the range), independent of
  // length().
  [[nodiscard]] int gather(u64 off, u64 len, const Limits& lim,
                           void* const* pinned, DevSeg* out, u32 cap,
                           u32* n) const;

  // The physical range of [off, off + len) when it lies within one piece
  // of the descriptor (a linear or physical descriptor, one page, one sg
  // entry): true and *out. False otherwise: gather() then.
  [[nodiscard]] bool one_piece(u64 off, u64 len, u32 page_shift,
                               void* const* pinned, DevSeg* out) const;

  static void* operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept;

 private:
  Md() = default;
  ~Md() { iodma_plat_mm_put(mm_); }
  friend void iodma::destroy<Md>(Md*);

  u32 refs_ = 1;
  MdKind kind_ = MdKind::kLinear;
  Dir dir_ = Dir::kBidirectional;
  u64 length_ = 0;
  u64 base_ = 0;          // kLinear/kPhys: physical; kVmalloc/kUser: address
  void* mm_ = nullptr;    // kUser: the creator's address space, referenced
  DevSeg* sg_ = nullptr;  // kSgTable/kVmalloc/kPages/kRanges: after the object
  u64* sg_start_ = nullptr;
  u32 sg_count_ = 0;
  u32 sg_cap_ = 0;    // kRanges: room in sg_ and sg_start_
  u32 prepared_ = 0;  // commands holding a prepared range
};

}  // namespace iodma

#endif  // IODMA_CORE_MD_H
