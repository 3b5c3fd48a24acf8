// SPDX-License-Identifier: GPL-2.0
// Spec validation (SPEC.md section 2) and default resolution.
#include "spec.h"

namespace iodma {
namespace {

constexpr u32 kKnownMappingBits = 0x3 | IODMA_CORE_ITERATE_ONLY;

// 0 means "use the default"; otherwise it must be a power of two.
bool valid_pow2_or_zero(u64 v) { return v == 0 || is_pow2(v); }

// The largest power of two no greater than v (v > 0).
u64 pow2_floor(u64 v) { return u64{1} << (63 - __builtin_clzll(v)); }

// Address bits of a DMA mask: the highest n with 2^n - 1 <= mask.
u8 mask_bits(u64 mask) {
  return mask == kU64Max ? 64 : static_cast<u8>(63 - __builtin_clzll(mask + 1));
}

}  // namespace

int Spec::resolve(const iodma_core_spec& in, const DeviceInfo& dev, Spec* out) {
  for (unsigned long long r : in.reserved) {
    if (r != 0) return kEINVAL;
  }
  if (in.format < static_cast<u32>(Format::kHost32) ||
      in.format > static_cast<u32>(Format::kCustom))
    return kEINVAL;

  Spec s;
  s.format = static_cast<Format>(in.format);
  // A writer without the custom format (or the reverse) is a caller bug.
  if ((s.format == Format::kCustom) != (in.seg_fn != nullptr)) return kEINVAL;
  s.seg_fn = reinterpret_cast<SegFn>(in.seg_fn);
  s.seg_ctx = in.seg_ctx;

  const u8 width_bits = s.is_32bit() ? 32 : 64;
  if (in.address_bits > width_bits) return kEINVAL;
  if (in.address_bits != 0 && in.address_bits < dev.page_shift) return kEINVAL;
  s.address_bits = in.address_bits != 0 ? in.address_bits : width_bits;
  // What the device reaches bounds every address it is given.
  const u8 dev_bits = dev.dma_mask != 0 ? mask_bits(dev.dma_mask) : 0;
  if (dev_bits < dev.page_shift) return kEOPNOTSUPP;
  s.address_bits = s.address_bits < dev_bits ? s.address_bits : dev_bits;
  s.max_address =
      s.address_bits == 64 ? kU64Max : (u64{1} << s.address_bits) - 1;

  if (!valid_pow2_or_zero(in.alignment) ||
      !valid_pow2_or_zero(in.alignment_length) ||
      !valid_pow2_or_zero(in.alignment_internal) ||
      !valid_pow2_or_zero(in.alignment_end) ||
      !valid_pow2_or_zero(in.segment_boundary))
    return kEINVAL;
  s.alignment = in.alignment != 0 ? in.alignment : 1;
  s.alignment_length = in.alignment_length != 0 ? in.alignment_length : 1;
  s.alignment_internal =
      in.alignment_internal != 0 ? in.alignment_internal : s.alignment;
  s.alignment_end = in.alignment_end != 0 ? in.alignment_end : 1;

  // Every cut (at the segment size or at a boundary) ends a segment that
  // must end alignment_end-aligned, starts one that must be internally
  // aligned and leaves a length that must be a multiple of
  // alignment_length: cuts fall on multiples of the largest of the three.
  const u64 cut_unit =
      max_of(max_of(s.alignment_length, s.alignment_internal), s.alignment_end);
  if (in.max_segment_size != 0 && in.max_segment_size < s.alignment_length)
    return kEINVAL;
  // Beyond SPEC.md: specs that can describe no multi-segment transfer.
  if (in.max_segment_size != 0 && in.max_segment_size < cut_unit)
    return kEINVAL;
  if (in.segment_boundary != 0 && in.segment_boundary < cut_unit)
    return kEINVAL;

  u64 seg_max = in.max_segment_size != 0 ? in.max_segment_size : kU64Max;
  if (s.is_32bit()) seg_max = min_of<u64>(seg_max, kU32Max);
  // The device's own limits apply even where the spec says "none"; a
  // device limit that leaves no aligned segment can never be met.
  if (dev.max_seg_size == 0 || dev.max_seg_size < cut_unit) return kEOPNOTSUPP;
  seg_max = min_of(seg_max, dev.max_seg_size);
  s.max_segment_size = align_down(seg_max, cut_unit);
  s.segment_boundary = in.segment_boundary;
  if (dev.seg_boundary != 0) {
    const u64 b = pow2_floor(dev.seg_boundary);
    if (b < cut_unit) return kEOPNOTSUPP;
    if (s.segment_boundary == 0 || b < s.segment_boundary)
      s.segment_boundary = b;
  }
  s.max_transfer_size =
      in.max_transfer_size != 0 ? in.max_transfer_size : kU64Max;

  if ((in.mapping & ~kKnownMappingBits) != 0) return kEINVAL;
  s.mapping = static_cast<Mapping>(in.mapping & 0x3);
  s.iterate_only = (in.mapping & IODMA_CORE_ITERATE_ONLY) != 0;
  if (s.physical() && dev.translated) return kEOPNOTSUPP;
  // Without a mapping there is no way to maintain the CPU caches for a
  // non-coherent device (SPEC.md 10.6): refuse rather than skip it.
  if (s.physical() && !dev.coherent) return kEOPNOTSUPP;

  *out = s;
  return kOk;
}

void Spec::to_core(iodma_core_spec* out) const {
  *out = iodma_core_spec{};
  out->format = static_cast<u32>(format);
  out->seg_fn = reinterpret_cast<void*>(seg_fn);
  out->seg_ctx = seg_ctx;
  out->address_bits = address_bits;
  out->max_segment_size = max_segment_size;
  out->max_transfer_size = max_transfer_size;
  out->alignment = static_cast<u32>(alignment);
  out->alignment_length = static_cast<u32>(alignment_length);
  out->alignment_internal = static_cast<u32>(alignment_internal);
  out->segment_boundary = segment_boundary;
  out->alignment_end = static_cast<u32>(alignment_end);
  out->mapping =
      static_cast<u32>(mapping) | (iterate_only ? IODMA_CORE_ITERATE_ONLY : 0u);
}

}  // namespace iodma
