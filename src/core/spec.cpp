// SPDX-License-Identifier: GPL-2.0
// Spec validation (SPEC.md section 2) and default resolution.
#include "spec.h"

namespace iodma {
namespace {

constexpr u32 kKnownMappingBits = 0x3 | IODMA_CORE_ITERATE_ONLY;

// 0 means "use the default"; otherwise it must be a power of two.
bool valid_pow2_or_zero(u64 v) { return v == 0 || is_pow2(v); }

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
  s.max_address =
      s.address_bits == 64 ? kU64Max : (u64{1} << s.address_bits) - 1;

  if (!valid_pow2_or_zero(in.alignment) ||
      !valid_pow2_or_zero(in.alignment_length) ||
      !valid_pow2_or_zero(in.alignment_internal) ||
      !valid_pow2_or_zero(in.segment_boundary))
    return kEINVAL;
  s.alignment = in.alignment != 0 ? in.alignment : 1;
  s.alignment_length = in.alignment_length != 0 ? in.alignment_length : 1;
  s.alignment_internal =
      in.alignment_internal != 0 ? in.alignment_internal : s.alignment;

  // Every cut (at the segment size or at a boundary) starts a segment that
  // must be internally aligned and leaves a length that must be a multiple
  // of alignment_length: cuts fall on multiples of the larger of the two.
  const u64 cut_unit = max_of(s.alignment_length, s.alignment_internal);
  if (in.max_segment_size != 0 && in.max_segment_size < s.alignment_length)
    return kEINVAL;
  // Beyond SPEC.md: specs that can describe no multi-segment transfer.
  if (in.max_segment_size != 0 && in.max_segment_size < cut_unit)
    return kEINVAL;
  if (in.segment_boundary != 0 && in.segment_boundary < cut_unit)
    return kEINVAL;

  u64 seg_max = in.max_segment_size != 0 ? in.max_segment_size : kU64Max;
  if (s.is_32bit()) seg_max = min_of<u64>(seg_max, kU32Max);
  s.max_segment_size = align_down(seg_max, cut_unit);
  s.segment_boundary = in.segment_boundary;
  s.max_transfer_size =
      in.max_transfer_size != 0 ? in.max_transfer_size : kU64Max;

  if ((in.mapping & ~kKnownMappingBits) != 0) return kEINVAL;
  s.mapping = static_cast<Mapping>(in.mapping & 0x3);
  s.iterate_only = (in.mapping & IODMA_CORE_ITERATE_ONLY) != 0;
  if (s.physical() && dev.translated) return kEOPNOTSUPP;

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
  out->mapping =
      static_cast<u32>(mapping) | (iterate_only ? IODMA_CORE_ITERATE_ONLY : 0u);
}

}  // namespace iodma
