// SPDX-License-Identifier: GPL-2.0
// Segment generation: coalesce contiguous ranges, cut at max_segment_size
// and segment_boundary so that the next segment stays aligned, check
// alignments and address bits.
#include "segments.h"

namespace iodma {
namespace {

// Length of the longest cut t in (0, room] after which the next segment
// starts `ai`-aligned with t a multiple of `al`, for a segment starting at
// `addr`; 0 if there is none. ai and al are powers of two.
u64 aligned_cut(u64 addr, u64 room, u64 al, u64 ai) {
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
u64 to_boundary(u64 addr, u64 boundary) {
  return boundary - (addr & (boundary - 1));  // never 0
}

}  // namespace

u32 DevSegList::find(u64 pos) const {
  u32 lo = 0, hi = count - 1;
  while (lo < hi) {
    u32 mid = lo + (hi - lo + 1) / 2;
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

void Walker::seek(const DevSegList& list, u64 pos) {
  if (pos == pos_) return;
  idx_ = list.find(pos);
  in_ = pos - list.start[idx_];
  pos_ = pos;
}

void Walker::advance(const DevSegList& list, u64 len) {
  pos_ += len;
  in_ += len;
  while (idx_ < list.count && in_ >= list.segs[idx_].len) {
    in_ -= list.segs[idx_].len;
    idx_++;
  }
}

int Walker::next(const Spec& spec, const DevSegList& list, u64* out_addr,
                 u64* out_len) {
  const DevSeg* s = list.segs;
  const u64 addr = s[idx_].addr + in_;
  const u64 start_align = pos_ == 0 ? spec.alignment : spec.alignment_internal;
  if ((addr & (start_align - 1)) != 0) return kEINVAL;
  if ((pos_ & (spec.alignment_length - 1)) != 0) return kEINVAL;

  const u64 remaining = list.total - pos_;
  u64 limit = min_of(remaining, spec.max_segment_size);
  if (spec.segment_boundary != 0)
    limit = min_of(limit, to_boundary(addr, spec.segment_boundary));

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
  } else if (limit == remaining) {
    len = remaining;  // the last segment: remaining is whole units
  } else {
    len = aligned_cut(addr, limit, spec.alignment_length,
                      spec.alignment_internal);
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
