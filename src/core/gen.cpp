// SPDX-License-Identifier: GPL-2.0
// gen_segments: the prepared range's segments in the caller's format
// (SPEC.md section 5). Allocates nothing; an error changes nothing.
#include "command.h"
#include "handle.h"

namespace iodma {
namespace {

constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

u32 to_order(u32 v, bool big) {
  return big == kLittleEndianHost ? __builtin_bswap32(v) : v;
}
u64 to_order(u64 v, bool big) {
  return big == kLittleEndianHost ? __builtin_bswap64(v) : v;
}

// Writers, one per format, so the emit loop has no switch per segment.
// 32-bit values cannot truncate: the resolved spec keeps addresses and
// lengths below 2^32.
template <typename T, bool kBig>
struct PairWriter {
  void* segments;
  bool operator()(u32 i, u64 addr, u64 len) const {
    // Two scalar stores (the caller's array may be unaligned): no
    // temporary array, which would go through the stack.
    const T a = to_order(static_cast<T>(addr), kBig);
    const T l = to_order(static_cast<T>(len), kBig);
    u8* p = static_cast<u8*>(segments) + size_t{i} * 2 * sizeof(T);
    __builtin_memcpy(p, &a, sizeof(T));
    __builtin_memcpy(p + sizeof(T), &l, sizeof(T));
    return true;
  }
};

struct CustomWriter {
  void* segments;
  const Spec* spec;
  bool operator()(u32 i, u64 addr, u64 len) const {
    return spec->seg_fn(segments, i, addr, len, spec->seg_ctx);
  }
};

}  // namespace

// Walk up to `count` segments from w without writing: the first error, or
// kOk with *n segments.
int Command::walk_checked(Walker* w, u32 count, u32* n) const {
  u32 i = 0;
  u64 addr, len;
  for (; i < count && w->pos() < dev_list_.total; i++) {
    int err = w->next(spec_, dev_list_, &addr, &len);
    if (err != kOk) return err;
  }
  *n = i;
  return kOk;
}

// Up to `count` segments from w through `write`: kOk with *n written, or
// the error (a refused segment leaves the caller's walker unmoved, since w
// is a copy the caller only keeps on success).
template <typename Writer>
int Command::emit(Walker* wp, u32 count, u32* n, Writer write) const {
  // Locals: the stores through `write` may alias anything reachable from
  // `this`, which would force a reload of every field on every segment.
  const Spec spec = spec_;
  const DevSegList list = dev_list_;
  Walker w = *wp;
  u32 i = 0;
  for (; i < count && w.pos() < list.total; i++) {
    u64 addr, len;
    int err = w.next(spec, list, &addr, &len);
    if (err != kOk) {
      iodma_plat_bug("segment walk failed after its check");
      return err;
    }
    if (!write(i, addr, len)) return kEOVERFLOW;
  }
  *wp = w;
  *n = i;
  return kOk;
}

// Up to `count` of dev_list_'s ranges from w (at the start of one) as they
// stand, when the walk would emit exactly them (chk_.as_ranges): no cut, no
// check. kOk with *n written, or kEOVERFLOW from a custom function.
template <typename Writer>
int Command::emit_ranges(Walker* wp, u32 count, u32* n, Writer write) const {
  const DevSeg* s = dev_list_.segs;
  const u32 first = wp->index();
  const u32 end = first + min_of(count, dev_list_.count - first);
  for (u32 i = first; i < end; i++)
    if (!write(i - first, s[i].addr, s[i].len)) return kEOVERFLOW;
  wp->to_range(dev_list_, end);
  *n = end - first;
  return kOk;
}

// Up to `count` segments of dev_list_'s one range, or ranges that continue
// each other, from w, when the walk would cut them only at
// max_segment_size, segment_boundary and the end (chk_.stride: prepare
// found every check of the walk passed, and with no alignment but the
// first each cut is simply the nearest of the three). The same segments as
// emit(), without its per-segment checks.
template <typename Writer>
int Command::emit_stride(Walker* wp, u32 count, u32* n, Writer write) const {
  const u64 total = dev_list_.total, max_seg = spec_.max_segment_size;
  const u64 boundary = spec_.segment_boundary;
  u64 pos = wp->pos(), addr = dev_list_.segs[0].addr + pos;
  u32 i = 0;
  if (boundary == 0) {  // the common case: cut at max_segment_size only
    for (; i < count && pos < total; i++) {
      const u64 len = min_of(total - pos, max_seg);
      if (!write(i, addr, len)) return kEOVERFLOW;
      addr += len;
      pos += len;
    }
  } else {
    for (; i < count && pos < total; i++) {
      const u64 len = min_of(min_of(total - pos, max_seg),
                             walk_detail::to_boundary(addr, boundary));
      if (!write(i, addr, len)) return kEOVERFLOW;
      addr += len;
      pos += len;
    }
  }
  if (pos < total)
    wp->seek(dev_list_, pos);
  else
    wp->to_range(dev_list_, dev_list_.count);
  *n = i;
  return kOk;
}

template <typename Writer>
int Command::emit_any(Walker* w, u32 count, u32* n, Writer write) const {
  if (chk_.as_ranges && w->at_range_start())
    return emit_ranges(w, count, n, write);
  if (chk_.stride) return emit_stride(w, count, n, write);
  return emit(w, count, n, write);
}

// The one segment of a prepared range that check_one_segment() found to
// be a valid segment as it is, from offset 0: no walker, no check walk.
[[gnu::always_inline]] inline int Command::gen_one(c_u64* offset,
                                                   void* segments, u32* count) {
  const u64 addr = dev_list_.segs[0].addr, len = length_;
  bool ok = true;
  switch (spec_.format) {
    case Format::kHost32:
      ok = PairWriter<u32, !kLittleEndianHost>{segments}(0, addr, len);
      break;
    case Format::kBig32:
      ok = PairWriter<u32, true>{segments}(0, addr, len);
      break;
    case Format::kLittle32:
      ok = PairWriter<u32, false>{segments}(0, addr, len);
      break;
    case Format::kHost64:
      ok = PairWriter<u64, !kLittleEndianHost>{segments}(0, addr, len);
      break;
    case Format::kBig64:
      ok = PairWriter<u64, true>{segments}(0, addr, len);
      break;
    case Format::kLittle64:
      ok = PairWriter<u64, false>{segments}(0, addr, len);
      break;
    case Format::kCustom:
      ok = CustomWriter{segments, &spec_}(0, addr, len);
      break;
  }
  if (!ok) return kEOVERFLOW;
  *offset = len;
  *count = 1;
  stats_.gen_calls++;
  stats_.segments++;
  return kOk;
}

int Command::gen_walk(c_u64* offset, void* segments, u32* count) {
  if (nest_ == 0) return kENODATA;
  if (offset == nullptr || segments == nullptr || count == nullptr ||
      *count == 0)
    return kEINVAL;
  if (*offset >= length_) return kERANGE;

  Walker w = walker_;
  w.seek(dev_list_, *offset);
  // Single pass when no segment can fail from here (see meets_spec_fast):
  // the start of the range, or a length-aligned position at a cut-unit
  // aligned address. Otherwise check first, so that an error leaves the
  // output array untouched.
  const u64 unit = max_of(spec_.alignment_length, spec_.alignment_internal);
  const bool safe =
      (chk_.as_ranges && w.at_range_start()) ||
      (fast() &&
       (w.pos() == 0 || ((w.addr(dev_list_) & (unit - 1)) == 0 &&
                         (w.pos() & (spec_.alignment_length - 1)) == 0)));
  if (!safe) {
    Walker probe = w;
    u32 n;
    int err = walk_checked(&probe, *count, &n);
    if (err != kOk) return err;
  }
  u32 n = 0;
  int err = kOk;
  switch (spec_.format) {
    case Format::kHost32:
      err = emit_any(&w, *count, &n,
                     PairWriter<u32, !kLittleEndianHost>{segments});
      break;
    case Format::kBig32:
      err = emit_any(&w, *count, &n, PairWriter<u32, true>{segments});
      break;
    case Format::kLittle32:
      err = emit_any(&w, *count, &n, PairWriter<u32, false>{segments});
      break;
    case Format::kHost64:
      err = emit_any(&w, *count, &n,
                     PairWriter<u64, !kLittleEndianHost>{segments});
      break;
    case Format::kBig64:
      err = emit_any(&w, *count, &n, PairWriter<u64, true>{segments});
      break;
    case Format::kLittle64:
      err = emit_any(&w, *count, &n, PairWriter<u64, false>{segments});
      break;
    case Format::kCustom:
      err = emit_any(&w, *count, &n, CustomWriter{segments, &spec_});
      break;
  }
  if (err != kOk) return err;
  walker_ = w;
  *offset = w.pos();
  *count = n;
  stats_.gen_calls++;
  stats_.segments += n;
  return kOk;
}

}  // namespace iodma

// The C entry point (core_api.h), here so that the one-segment case
// (Command::gen_one()) is one function with it.
extern "C" int iodma_core_cmd_gen_segments(iodma_cmd* h,
                                           unsigned long long* offset,
                                           void* segments,
                                           unsigned int* count) {
  if (iodma::bad(h) || offset == nullptr || count == nullptr)
    return iodma::kEINVAL;
  // Command::gen_segments() writes *offset and *count only on success.
  iodma::Command* c = iodma::from_handle(h);
  return c->note(c->gen_segments(offset, segments, count));
}
