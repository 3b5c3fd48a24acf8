// SPDX-License-Identifier: GPL-2.0
// The segment walk: turns the device-visible ranges of a prepared command
// into the segments a DMA engine accepts (SPEC.md section 5).
#ifndef IODMA_CORE_SEGMENTS_H
#define IODMA_CORE_SEGMENTS_H

#include "platform.h"
#include "spec.h"
#include "types.h"

namespace iodma {

// One device-visible range: a DMA (bus or IOVA) address and a length. The
// same layout serves for physical ranges of CPU memory.
using DevSeg = iodma_plat_range;

// The device-visible ranges of a prepared range, in order.
// Invariants: count >= 1; start[0] == 0; start[i+1] == start[i] +
// segs[i].len; start[count-1] + segs[count-1].len == total; every len > 0.
struct DevSegList {
  const DevSeg* segs = nullptr;
  const u64* start = nullptr;
  u32 count = 0;
  u64 total = 0;

  // Index of the range holding prepared offset `pos` (pos < total).
  u32 find(u64 pos) const;
};

// A cheap sufficient condition for every walk from a "strong" position to
// succeed: every range within address_bits, the first range aligned to
// max(alignment, cut unit) and every discontinuity at a length-aligned
// position, after an alignment_end-aligned end and followed by a
// cut-unit-aligned address (cut unit = max(alignment_length,
// alignment_internal)). Typical page-aligned mappings pass it. O(count).
[[nodiscard]] bool meets_spec_fast(const Spec& spec, const DevSegList& list);

// The exact test: kOk if the walk from offset 0 to the end emits no error,
// else that error. O(emitted segments).
[[nodiscard]] int check_walk(const Spec& spec, const DevSegList& list);

// Whether the walk from offset 0 emits exactly list's ranges, one segment
// each and unchanged, without an error: every range within the limits
// that would cut it, none that the walk would coalesce with the next, and
// every check the walk makes passed. Then a walk from the start of any
// range emits the ranges from there as they stand. O(count).
[[nodiscard]] bool ranges_are_segments(const Spec& spec,
                                       const DevSegList& list);

// A position in a DevSegList and the rule that cuts the next segment there.
// Invariant: pos_ < list.total implies idx_ < list.count and
// in_ < list.segs[idx_].len, and list.start[idx_] + in_ == pos_.
class Walker {
 public:
  void reset() { pos_ = 0, idx_ = 0, in_ = 0; }
  u64 pos() const { return pos_; }
  // The range the walk stands in, and whether at its start.
  u32 index() const { return idx_; }
  bool at_range_start() const { return in_ == 0; }
  // Move to the start of range `idx` (list.count: the end).
  void to_range(const DevSegList& list, u32 idx) {
    idx_ = idx;
    in_ = 0;
    pos_ = idx < list.count ? list.start[idx] : list.total;
  }
  // Device address at the current position (pos() < list.total).
  u64 addr(const DevSegList& list) const { return list.segs[idx_].addr + in_; }
  // Move to prepared offset `pos` (< list.total): O(1) when it is where
  // the walk stands, O(log count) otherwise.
  void seek(const DevSegList& list, u64 pos);
  // Cut the segment that starts here. kOk with *addr/*len and the walker
  // advanced; kEINVAL (alignment) or kEOVERFLOW (address bits) with the
  // walker unchanged. Requires pos() < list.total.
  [[nodiscard]] int next(const Spec& spec, const DevSegList& list, u64* addr,
                         u64* len);

 private:
  void advance(const DevSegList& list, u64 len);

  u64 pos_ = 0;
  u32 idx_ = 0;
  u64 in_ = 0;
};

namespace walk_detail {

// Length of the longest cut t in (0, room] after which the next segment
// starts `ai`-aligned with t a multiple of `al`, for a segment starting at
// `addr`; 0 if there is none. ai and al are powers of two.
[[gnu::always_inline]] inline u64 aligned_cut(u64 addr, u64 room, u64 al,
                                              u64 ai) {
  u64 first, step;
  if (al >= ai) {
    if ((addr & (ai - 1)) != 0) return 0;
    first = al;
    step = al;
  } else {
    if ((addr & (al - 1)) != 0) return 0;
    first = (ai - (addr & (ai - 1))) & (ai - 1);
    if (first == 0) first = ai;
    step = ai;
  }
  if (room < first) return 0;
  return first + align_down(room - first, step);
}

// Bytes from addr to the next multiple of `boundary` (a power of two).
[[gnu::always_inline]] inline u64 to_boundary(u64 addr, u64 boundary) {
  return boundary - (addr & (boundary - 1));  // never 0
}

}  // namespace walk_detail

// Inline: gen_segments calls it once per segment, and on kernels with
// return thunks and call-depth tracking every call costs. Always: an
// out-of-line copy would be a COMDAT section, which the kernel's
// __mcount_loc cannot refer to once the linker discards duplicates.
[[gnu::always_inline]] inline void Walker::advance(const DevSegList& list,
                                                   u64 len) {
  pos_ += len;
  in_ += len;
  while (idx_ < list.count && in_ >= list.segs[idx_].len) {
    in_ -= list.segs[idx_].len;
    idx_++;
  }
}

[[gnu::always_inline]] inline int Walker::next(const Spec& spec,
                                               const DevSegList& list,
                                               u64* out_addr, u64* out_len) {
  const DevSeg* s = list.segs;
  const u64 addr = s[idx_].addr + in_;
  const u64 start_align = pos_ == 0 ? spec.alignment : spec.alignment_internal;
  if ((addr & (start_align - 1)) != 0) return kEINVAL;
  if ((pos_ & (spec.alignment_length - 1)) != 0) return kEINVAL;

  const u64 remaining = list.total - pos_;
  u64 limit = min_of(remaining, spec.max_segment_size);
  if (spec.segment_boundary != 0)
    limit =
        min_of(limit, walk_detail::to_boundary(addr, spec.segment_boundary));

  // Coalesce following ranges while they continue this one.
  u64 run = s[idx_].len - in_;
  for (u32 j = idx_; run < limit && j + 1 < list.count &&
                     s[j + 1].addr == s[j].addr + s[j].len;
       j++)
    run += s[j + 1].len;

  u64 len;
  if (run < limit) {
    // Cut by a discontinuity: the length must already be whole units.
    len = run;
    if ((len & (spec.alignment_length - 1)) != 0) return kEINVAL;
    // Not the last segment: it must end alignment_end-aligned (no gap).
    if (((addr + len) & (spec.alignment_end - 1)) != 0) return kEINVAL;
  } else if (limit == remaining) {
    len = remaining;  // the last segment: remaining is whole units
  } else {
    // A cut inside a run: the next segment starts where this one ends.
    len = walk_detail::aligned_cut(
        addr, limit, spec.alignment_length,
        max_of(spec.alignment_internal, spec.alignment_end));
    if (len == 0) return kEINVAL;
  }
  if (addr > spec.max_address || len - 1 > spec.max_address - addr)
    return kEOVERFLOW;

  *out_addr = addr;
  *out_len = len;
  advance(list, len);
  return kOk;
}

}  // namespace iodma

#endif  // IODMA_CORE_SEGMENTS_H
