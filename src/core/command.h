// SPDX-License-Identifier: GPL-2.0
// One DMA command: a device, a spec, a memory descriptor and the state of
// its prepared range (SPEC.md sections 3 to 7).
#ifndef IODMA_CORE_COMMAND_H
#define IODMA_CORE_COMMAND_H

#include "alloc.h"
#include "md.h"
#include "pool.h"
#include "segments.h"
#include "spec.h"
#include "stats.h"
#include "types.h"

namespace iodma {

// A block of copy buffer: CPU and device addresses of cb_block_ bytes.
using CopyBlock = iodma_plat_cb_block;

// The device's raw DMA parameters (platform.h): equal keys, equal
// DeviceInfo.
struct DevKey {
  iodma_plat_dev_key raw{};  // compared by iodma_plat_dev_key_same()
};

// Invariants:
//  - dev_ is referenced for the command's lifetime; md_, when set, holds a
//    reference of the command's.
//  - spec_ is raw_spec_ resolved for dev_; both change together or not at
//    all, and never while prepared.
//  - info_ is what the platform reported while the device's key was key_,
//    and lim_ the gather limits derived from it (set_device()).
//  - nest_ == 0: nothing is pinned, mapped or allocated for a transfer
//    (the pools may hold reusable memory). nest_ > 0: the range
//    [offset_, offset_ + length_) of md_ is prepared: cpu_ lists its
//    physical ranges, dev_list_ the device ranges of how the device reaches
//    it (the mapping, the bus addresses or the copy buffer per via_), and
//    pinned_ holds npinned_ pinned user pages. single_: the mapping is one
//    range mapped without a scatterlist (dev_list_ has one range).
//    chk_.one_seg: the walk from offset 0 emits one segment, dev_list_'s
//    one range or its ranges that continue each other (gen_segments writes
//    it directly). chk_.as_ranges: it emits
//    each of dev_list_'s ranges as one segment, unchanged
//    (ranges_are_segments()). chk_.stride: dev_list_ is one range, or
//    ranges that continue each other in device address space, that meet
//    the spec (fast()), and no alignment but the first applies, so the walk
//    cuts them only at max_segment_size, segment_boundary and the end.
//  - rsv_blocks_ holds rsv_count_ copy-buffer blocks of rsv_block_ bytes,
//    allocated for both directions, from reserve_copy_buffer() to destroy;
//    cb_reserved_: the prepared range's copy buffer is the first of them
//    (complete keeps them), and the cb_ pools have room for all of them.
//  - The walker_ stays within dev_list_ and is only moved by gen_segments.
//  - From create to destroy the command is in the statistics registry
//    (link_), under its device; stats_ counts its operations.
//  - priv_size_ bytes of zeroed client data follow the object, 16-byte
//    aligned, inside the same allocation.
class Command {
 public:
  static constexpr size_t kPrivAlign = 16;
  static constexpr size_t kPrivMax = 0x7fffffff;  // INT_MAX

  // Lives in its own allocation with the client's data after it, and owns
  // mappings, pins and a copy buffer: never copied (clone() makes a new one).
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  [[nodiscard]] static int create(void* dev, const iodma_core_spec& spec,
                                  size_t priv_size, u32 gfp, Command** out);
  [[nodiscard]] int clone(u32 gfp, Command** out) const;
  static void destroy(Command* cmd);

  [[nodiscard]] int set_spec(const iodma_core_spec& spec);
  [[nodiscard]] int set_md(Md* md, bool auto_prepare);
  [[nodiscard]] int clear_md(bool auto_complete);
  Md* md() const { return md_; }

  [[nodiscard]] int prepare(u64 offset, u64 length, u32 flags);
  [[nodiscard]] int prepare_with_spec(const iodma_core_spec& spec, u64 offset,
                                      u64 length, u32 flags);
  [[nodiscard]] int complete(u32 flags);
  // prepare() and complete() themselves, inline in transfer.cpp, where the
  // C entry points (core_api.h) use them: one function each, no call.
  [[nodiscard]] int prepare_inline(u64 offset, u64 length, u32 flags);
  [[nodiscard]] int complete_inline(u32 flags);
  // Inline for its fast case: a prepared range that is one segment as it
  // stands, asked for from its start (gen_one() writes it directly). Only
  // gen.cpp calls it, where gen_one() is defined inline.
  [[nodiscard]] int gen_segments(c_u64* offset, void* segments, u32* count) {
    if (chk_.one_seg && offset != nullptr && *offset == 0 &&
        segments != nullptr && count != nullptr && *count != 0)
      return gen_one(offset, segments, count);
    return gen_walk(offset, segments, count);
  }
  [[nodiscard]] int synchronize(u64 offset, u64 length, bool whole,
                                u32 options);
  size_t read_bytes(u64 offset, void* buf, size_t len);
  size_t write_bytes(u64 offset, const void* buf, size_t len);
  [[nodiscard]] int prepared_range(u64* offset, u64* length) const;
  // Copy buffer kept for the command's lifetime (0 releases it).
  [[nodiscard]] int reserve_copy_buffer(u64 bytes);
  u64 reserved_copy_buffer() const { return rsv_block_ * rsv_count_; }
  bool double_buffered() const { return nest_ > 0 && via_ == Via::kCopy; }
  bool prepared() const { return nest_ > 0; }

  // Statistics (stats.h): this command's counters, and a snapshot of it.
  const iodma_core_stats& stats() const { return stats_; }
  void state(iodma_core_cmd_state* out) const;
  // Count a failed call that returned `err`; returns it.
  int note(int err) {
    if (err != kOk) stats_.failures[err_slot(err)]++;
    return err;
  }
  void note_abandoned() { stats_.abandoned++; }
  RegistryLink& link() { return link_; }
  const RegistryLink& link() const { return link_; }

  void* priv() { return reinterpret_cast<u8*>(this) + priv_offset(); }
  void* device() const { return dev_; }
  const iodma_core_spec& raw_spec() const { return raw_spec_; }
  const Spec& spec() const { return spec_; }

  static void* operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept;

 private:
  enum class Via : u8 { kMapping, kBus, kCopy };

  Command(void* dev, const DeviceInfo& info, const DevKey& key,
          const iodma_core_spec& raw, const Spec& spec, size_t priv_size,
          u32 gfp);
  ~Command();
  static constexpr size_t priv_offset() {
    return (sizeof(Command) + kPrivAlign - 1) & ~(kPrivAlign - 1);
  }
  friend void iodma::destroy<Command>(Command*);

  // prepare() steps; each undoes its own work on failure.
  void set_device(const DeviceInfo& info, const DevKey& key);
  // The hot steps are inline (prepare and complete call each once: on
  // kernels with return thunks every call costs); the rest is out of line.
  [[nodiscard]] int refresh_device() {
    if (iodma_plat_dev_key_same(dev_, &key_.raw) != 0) return kOk;
    return reread_device();
  }
  [[nodiscard]] int reread_device();
  [[nodiscard]] int pin(u64 offset, u64 length);
  [[nodiscard]] int pin_user(u64 offset, u64 length);
  void unpin();
  [[nodiscard]] int gather(u64 offset, u64 length);
  [[nodiscard]] int regather(u64 offset, u64 length);
  [[nodiscard]] int gather_ranges(u64 offset, u64 length);
  [[nodiscard]] int map_device(u32 flags);
  void unmap_device(u32 attrs);
  [[nodiscard]] int alloc_copy_buffer();
  [[nodiscard]] int alloc_blocks(CopyBlock* out, u32 n, u64 block, int dir);
  [[nodiscard]] bool use_reserve();
  void free_reserve();
  void zero_cb(u64 pos, u64 len);
  void switch_to_copy_buffer(bool fill);
  void check_one_segment();
  [[nodiscard]] DevSegList mapped_list(u32 n, bool same);
  [[nodiscard]] bool checks_kept();
  void keep_checks();
  [[nodiscard]] bool fast();
  [[nodiscard]] int gen_one(c_u64* offset, void* segments, u32* count);
  [[nodiscard]] int gen_walk(c_u64* offset, void* segments, u32* count);
  void free_copy_buffer();
  void release(u32 unmap_attrs);  // the last complete
  void set_md_slot(Md* md);       // md_ and what state() reports of it

  // Copies between the descriptor and the copy buffer for prepared
  // [pos, pos + len).
  void copy_between(u64 pos, u64 len, bool to_cb);
  size_t copy_bytes_at(u64 offset, u8* buf, size_t len, bool to_dev);
  void copy_md_to_cb(u64 pos, u64 len);
  void copy_cb_to_md(u64 pos, u64 len);
  void sync_cb(u64 pos, u64 len, bool for_cpu);
  void sync_mapping_range(u64 pos, u64 len, bool for_cpu);
  [[nodiscard]] bool platform_bounced(u64 pos, u64 len) const;
  template <typename Fn>
  void for_each_cb_piece(u64 pos, u64 len, Fn fn) const;
  template <typename Fn>
  void for_each_mapped_piece(u64 pos, u64 len, Fn fn) const;
  template <typename Fn>
  static void for_each_range_piece(const DevSegList& l, u64 pos, u64 len,
                                   Fn fn);

  [[nodiscard]] int walk_checked(Walker* w, u32 count, u32* n) const;
  template <typename Writer>
  [[nodiscard]] int emit(Walker* w, u32 count, u32* n, Writer write) const;
  template <typename Writer>
  [[nodiscard]] int emit_ranges(Walker* w, u32 count, u32* n,
                                Writer write) const;
  template <typename Writer>
  [[nodiscard]] int emit_stride(Walker* w, u32 count, u32* n,
                                Writer write) const;
  template <typename Writer>
  [[nodiscard]] int emit_any(Walker* w, u32 count, u32* n, Writer write) const;

  void* dev_;
  DeviceInfo info_;
  DevKey key_;
  Md::Limits lim_{};
  iodma_core_spec raw_spec_;
  Spec spec_;
  size_t priv_size_;
  u32 gfp_;
  Md* md_ = nullptr;
  u32 md_kind_ = 0;  // md_->core_kind(), 0 without md
  u32 md_dir_ = 3;   // md_->dir(), DMA_NONE (3) without md

  // Prepared state.
  u32 nest_ = 0;
  u64 offset_ = 0;
  u64 length_ = 0;
  Via via_ = Via::kMapping;
  Dir dir_ = Dir::kBidirectional;
  bool mapped_ = false;  // a platform mapping is live
  bool single_ = false;  // mapped by iodma_plat_map_single()
  // What the checks found for dev_list_ (see the invariants above).
  struct SegChecks {
    bool fast = false;  // meets_spec_fast(dev_list_), once fast_known
    bool fast_known = false;
    bool one_seg = false;
    bool as_ranges = false;
    bool stride = false;
  };
  SegChecks chk_;
  // cpu_ holds the ranges of [gather_off_, gather_off_ + gather_len_) of
  // md_ under lim_ while gathered_ (kernel memory only, whose pieces
  // cannot change; set_md_slot() and set_device() forget it).
  // map_reusable_: the next map of exactly cpu_ may pass
  // IODMA_PLAT_MAP_REUSE. For several ranges, map_state_ holds the
  // scatterlist iodma_plat_map() built for them; for one range
  // (iodma_plat_map_single()), its last mapping, under the same device
  // key, decided whether it bounces (map_bounced_), no need to decide
  // that again.
  bool gathered_ = false;
  bool map_reusable_ = false;
  bool map_bounced_ = false;
  // kept_: the last mapped device list that needed no copy buffer, still
  // in dev_segs_ (kept_count_ ranges, kept_total_ bytes, their starts in
  // dev_starts_), and what check_one_segment() and fast() found for it
  // under spec_ (kept_chk_, a function of the two only), so that the same
  // list mapped again is not checked again. set_device() forgets it with the
  // spec. kept_hit_: the last mapping gave exactly that list (mapped_list()).
  bool kept_ = false;
  bool kept_hit_ = false;
  SegChecks kept_chk_;
  u32 kept_count_ = 0;
  u64 kept_total_ = 0;
  u64 gather_off_ = 0;
  u64 gather_len_ = 0;
  DevSegList cpu_;       // physical ranges of the prepared range
  DevSegList dev_list_;  // device ranges
  Walker walker_;
  u32 npinned_ = 0;
  u64 cb_block_ = 0;  // copy buffer block size
  u32 cb_count_ = 0;  // copy buffer blocks allocated
  bool cb_reserved_ = false;
  u64 rsv_block_ = 0;
  u32 rsv_count_ = 0;

  // Reusable working memory.
  Pool<DevSeg> cpu_ranges_;
  Pool<u64> cpu_starts_;
  Pool<DevSeg> dev_segs_;
  Pool<u64> dev_starts_;
  Pool<u8> map_state_;
  Pool<void*> pinned_;
  Pool<CopyBlock> cb_blocks_;
  Pool<DevSeg> cb_segs_;
  Pool<u64> cb_starts_;
  DevSegList cb_list_;  // device ranges of the copy buffer
  Pool<CopyBlock> rsv_blocks_;

  // Counted by the command's one user at a time; read by the registry.
  iodma_core_stats stats_{};
  RegistryLink link_;
};

DeviceInfo query_device(void* dev);
// The device's key (read first) and info, then `in` resolved for it.
[[nodiscard]] int resolve_for_device(void* dev, const iodma_core_spec& in,
                                     DeviceInfo* info, Spec* out,
                                     DevKey* key = nullptr);

}  // namespace iodma

#endif  // IODMA_CORE_COMMAND_H
