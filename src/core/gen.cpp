// SPDX-License-Identifier: GPL-2.0
// gen_segments: the prepared range's segments in the caller's format
// (SPEC.md section 5). Allocates nothing; an error changes nothing.
#include "command.h"

namespace iodma {
namespace {

constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

u32 to_order(u32 v, bool big) {
  return big == kLittleEndianHost ? __builtin_bswap32(v) : v;
}
u64 to_order(u64 v, bool big) {
  return big == kLittleEndianHost ? __builtin_bswap64(v) : v;
}

// Write segment i into the caller's array. 32-bit values cannot truncate:
// the resolved spec keeps addresses and lengths below 2^32.
bool write_segment(const Spec& spec, void* segments, u32 i, u64 addr, u64 len) {
  u8* base = static_cast<u8*>(segments);
  switch (spec.format) {
    case Format::kHost32:
    case Format::kBig32:
    case Format::kLittle32: {
      const bool big = spec.format == Format::kBig32 ||
                       (spec.format == Format::kHost32 && !kLittleEndianHost);
      const u32 v[2] = {to_order(static_cast<u32>(addr), big),
                        to_order(static_cast<u32>(len), big)};
      __builtin_memcpy(base + size_t{i} * sizeof(v), v, sizeof(v));
      return true;
    }
    case Format::kHost64:
    case Format::kBig64:
    case Format::kLittle64: {
      const bool big = spec.format == Format::kBig64 ||
                       (spec.format == Format::kHost64 && !kLittleEndianHost);
      const u64 v[2] = {to_order(addr, big), to_order(len, big)};
      __builtin_memcpy(base + size_t{i} * sizeof(v), v, sizeof(v));
      return true;
    }
    case Format::kCustom:
      return spec.seg_fn(segments, i, addr, len, spec.seg_ctx);
  }
  return false;
}

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

int Command::gen_segments(u64* offset, void* segments, u32* count) {
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
  const bool safe = fast_ && (w.pos() == 0 ||
                              ((w.addr(dev_list_) & (unit - 1)) == 0 &&
                               (w.pos() & (spec_.alignment_length - 1)) == 0));
  if (!safe) {
    Walker probe = w;
    u32 n;
    int err = walk_checked(&probe, *count, &n);
    if (err != kOk) return err;
  }
  u32 i = 0;
  for (; i < *count && w.pos() < length_; i++) {
    u64 addr, len;
    int err = w.next(spec_, dev_list_, &addr, &len);
    if (err != kOk) {
      iodma_plat_bug("segment walk failed after its check");
      return err;
    }
    // A refused segment leaves the walk where it was.
    if (!write_segment(spec_, segments, i, addr, len)) return kEOVERFLOW;
  }
  walker_ = w;
  *offset = w.pos();
  *count = i;
  return kOk;
}

}  // namespace iodma
