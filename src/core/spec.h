// SPDX-License-Identifier: GPL-2.0
// A DMA engine's constraints, validated and with every default resolved.
#ifndef IODMA_CORE_SPEC_H
#define IODMA_CORE_SPEC_H

#include "core_api.h"
#include "types.h"

namespace iodma {

enum class Format : u32 {
  kHost32 = 1,
  kBig32,
  kLittle32,
  kHost64,
  kBig64,
  kLittle64,
  kCustom,
};

enum class Mapping : u32 {
  kMapped = IODMA_CORE_MAP_MAPPED,
  kBypassed = IODMA_CORE_MAP_BYPASSED,
  kNonCoherent = IODMA_CORE_MAP_NONCOHERENT,
  kUnmapped = IODMA_CORE_MAP_UNMAPPED,
};

using SegFn = bool (*)(void* segments, u32 index, u64 addr, u64 len, void* ctx);

// What the core knows about the device a spec is resolved for, read from
// the platform at set_spec and at every prepare (SPEC.md 10.1).
struct DeviceInfo {
  bool translated = false;
  bool coherent = true;
  u8 page_shift = 12;
  u64 max_seg_size = kU64Max;      // the device's longest DMA segment
  u64 max_mapping_size = kU64Max;  // longest range one mapping entry takes
  u64 seg_boundary = 0;            // no DMA segment crosses it (0: none)
  u64 dma_mask = kU64Max;          // highest bus address the device reaches
  u64 cb_floor = 0;  // lowest address limit a copy buffer can be had below

  bool operator==(const DeviceInfo& o) const {
    return translated == o.translated && coherent == o.coherent &&
           page_shift == o.page_shift && max_seg_size == o.max_seg_size &&
           max_mapping_size == o.max_mapping_size &&
           seg_boundary == o.seg_boundary && dma_mask == o.dma_mask &&
           cb_floor == o.cb_floor;
  }
  bool operator!=(const DeviceInfo& o) const { return !(*this == o); }
};

// Invariants after resolve() succeeds (the effective values: the tighter of
// the caller's spec and the device's own DMA parameters, SPEC.md 10.1):
//  - address_bits in [page_shift, 64] (<= 32 for 32-bit formats), and no
//    wider than the device's DMA mask; max_address = 2^address_bits - 1.
//  - alignment, alignment_length, alignment_internal, alignment_end are
//    powers of two.
//  - max_segment_size is the longest segment gen_segments may emit: a
//    non-zero multiple of max(alignment_length, alignment_internal), no
//    longer than the device's maximum segment, and below 4 GiB for 32-bit
//    formats (so a length never truncates).
//  - segment_boundary is 0 (none) or a power of two no smaller than
//    max(alignment_length, alignment_internal), so a cut at a boundary keeps
//    the next segment aligned; the device's boundary when that is tighter.
//  - BYPASSED and UNMAPPED only on untranslated, cache-coherent devices.
//  - max_transfer_size is kU64Max when unlimited.
struct Spec {
  Format format = Format::kHost64;
  SegFn seg_fn = nullptr;
  void* seg_ctx = nullptr;
  u8 address_bits = 64;
  u64 max_address = kU64Max;
  u64 max_segment_size = kU64Max;
  u64 max_transfer_size = kU64Max;
  u64 alignment = 1;
  u64 alignment_length = 1;
  u64 alignment_internal = 1;
  u64 alignment_end = 1;  // end of every segment but the last
  u64 segment_boundary = 0;
  Mapping mapping = Mapping::kMapped;
  bool iterate_only = false;

  bool is_32bit() const {
    return format == Format::kHost32 || format == Format::kBig32 ||
           format == Format::kLittle32;
  }
  // Bytes one output segment takes in the caller's array (0 for custom).
  u32 segment_bytes() const {
    return format == Format::kCustom ? 0 : (is_32bit() ? 8 : 16);
  }
  bool physical() const {
    return mapping == Mapping::kBypassed || mapping == Mapping::kUnmapped;
  }

  // Validate `in` for a device and fill *out. Returns kOk, kEINVAL (the
  // spec itself is wrong) or kEOPNOTSUPP (it can never be met on this
  // device); *out is untouched on error.
  [[nodiscard]] static int resolve(const iodma_core_spec& in,
                                   const DeviceInfo& dev, Spec* out);
  // The effective values in the C layout (for the getters).
  void to_core(iodma_core_spec* out) const;
};

}  // namespace iodma

#endif  // IODMA_CORE_SPEC_H
