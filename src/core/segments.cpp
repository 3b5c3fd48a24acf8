// SPDX-License-Identifier: GPL-2.0
// Segment generation: coalesce contiguous ranges, cut at max_segment_size
// and segment_boundary so that the next segment stays aligned, check
// alignments and address bits.
#include "segments.h"

namespace iodma {
u32 DevSegList::find(u64 pos) const {
  // A guess from the mean range length, then steps of doubling size
  // towards the range holding pos, then a binary search between the last
  // two steps: one or two probes for ranges of similar length (a page
  // array's pieces), O(log count) at worst. Invariant of the search:
  // start[lo] <= pos and the range holding pos is in [lo, hi].
  if (count == 1) return 0;
  const u64 guess = pos / (total / count);
  const u32 g = guess < count ? static_cast<u32>(guess) : count - 1;
  u32 lo, hi;
  if (start[g] <= pos) {
    lo = g;
    hi = count - 1;
    for (u64 step = 1; lo < hi; step *= 2) {
      const u32 j = hi - lo > step ? lo + static_cast<u32>(step) : hi;
      if (start[j] > pos) {
        hi = j - 1;
        break;
      }
      lo = j;
    }
  } else {
    lo = 0;  // start[0] == 0 <= pos
    hi = g - 1;
    for (u64 step = 1; lo < hi; step *= 2) {
      const u32 j = hi - lo > step ? hi - static_cast<u32>(step) : lo;
      if (start[j] <= pos) {
        lo = j;
        break;
      }
      hi = j - 1;
    }
  }
  while (lo < hi) {
    const u32 mid = lo + (hi - lo + 1) / 2;
    if (start[mid] <= pos)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

bool meets_spec_fast(const Spec& spec, const DevSegList& list) {
  const DevSeg* s = list.segs;
  const u64 unit = max_of(spec.alignment_length, spec.alignment_internal);
  if ((s[0].addr & (max_of(spec.alignment, unit) - 1)) != 0) return false;
  for (u32 i = 0; i < list.count; i++) {
    if (s[i].addr > spec.max_address ||
        s[i].len - 1 > spec.max_address - s[i].addr)
      return false;
    if (i == 0 || s[i].addr == s[i - 1].addr + s[i - 1].len) continue;
    if ((list.start[i] & (spec.alignment_length - 1)) != 0) return false;
    if (((s[i - 1].addr + s[i - 1].len) & (spec.alignment_end - 1)) != 0)
      return false;
    if ((s[i].addr & (unit - 1)) != 0) return false;
  }
  return true;
}

int check_walk(const Spec& spec, const DevSegList& list) {
  Walker w;
  u64 addr, len;
  while (w.pos() < list.total) {
    int err = w.next(spec, list, &addr, &len);
    if (err != kOk) return err;
  }
  return kOk;
}

bool ranges_are_segments(const Spec& spec, const DevSegList& list) {
  // The walk itself, from 0: each step must emit exactly the range it
  // starts at, which leaves it at the start of the next.
  Walker w;
  for (u32 i = 0; i < list.count; i++) {
    u64 addr, len;
    if (w.next(spec, list, &addr, &len) != kOk || len != list.segs[i].len)
      return false;
  }
  return true;
}

void Walker::seek(const DevSegList& list, u64 pos) {
  if (pos == pos_) return;
  idx_ = list.find(pos);
  in_ = pos - list.start[idx_];
  pos_ = pos;
}

}  // namespace iodma
