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
// position followed by a cut-unit-aligned address (cut unit =
// max(alignment_length, alignment_internal)). Typical page-aligned mappings
// pass it. O(count).
[[nodiscard]] bool meets_spec_fast(const Spec& spec, const DevSegList& list);

// The exact test: kOk if the walk from offset 0 to the end emits no error,
// else that error. O(emitted segments).
[[nodiscard]] int check_walk(const Spec& spec, const DevSegList& list);

// A position in a DevSegList and the rule that cuts the next segment there.
// Invariant: pos_ < list.total implies idx_ < list.count and
// in_ < list.segs[idx_].len, and list.start[idx_] + in_ == pos_.
class Walker {
 public:
  void reset() { pos_ = 0, idx_ = 0, in_ = 0; }
  u64 pos() const { return pos_; }
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

}  // namespace iodma

#endif  // IODMA_CORE_SEGMENTS_H
