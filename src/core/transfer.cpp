// SPDX-License-Identifier: GPL-2.0
// prepare / complete / synchronize / read and write bytes (SPEC.md
// sections 4 and 6), and the copy buffer.
#include "command.h"
#include "handle.h"

namespace iodma {
namespace {

constexpr u32 kPrepareFlags =
    IODMA_CORE_PREPARE_NO_FLUSH | IODMA_CORE_PREPARE_NO_SYNC;
constexpr u32 kCompleteFlags =
    IODMA_CORE_COMPLETE_NO_INVALIDATE | IODMA_CORE_COMPLETE_NO_SYNC;
constexpr u32 kSyncOptions = IODMA_CORE_SYNC_FOR_CPU |
                             IODMA_CORE_SYNC_FOR_DEVICE |
                             IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER;
// Copy buffers are made of physically contiguous blocks of up to this size
// (less where the platform cannot map that much as one: cb_block_cap()).
constexpr u64 kMaxCopyBlock = u64{1} << 20;

// Running offsets of `n` ranges into `start`; the list over them.
DevSegList make_list(const DevSeg* segs, u64* start, u32 n) {
  u64 pos = 0;
  for (u32 i = 0; i < n; i++) {
    start[i] = pos;
    pos += segs[i].len;
  }
  return DevSegList{segs, start, n, pos};
}

void copy_bytes(void* dst, const void* src, size_t n) {
  __builtin_memcpy(dst, src, n);
}

}  // namespace

[[gnu::always_inline]] inline int Command::pin(u64 offset, u64 length) {
  return md_->needs_pin() ? pin_user(offset, length) : kOk;
}

int Command::pin_user(u64 offset, u64 length) {
  const u32 n = md_->pin_pages(offset, length, info_.page_shift);
  if (!pinned_.reserve(n, gfp_)) return kENOMEM;
  int err = iodma_plat_pin_user(md_->pin_start(offset, info_.page_shift), n,
                                device_writes(dir_), pinned_.data());
  if (err != kOk) return err;
  npinned_ = n;
  return kOk;
}

void Command::unpin() {
  if (npinned_ == 0) return;
  iodma_plat_unpin_user(pinned_.data(), npinned_, device_writes(dir_));
  npinned_ = 0;
}

[[gnu::always_inline]] inline int Command::gather(u64 offset, u64 length) {
  // The range the last prepare gathered, of memory that cannot change:
  // cpu_ still lists it (as a driver keeps an sg_table it built once).
  if (gathered_ && offset == gather_off_ && length == gather_len_) return kOk;
  return regather(offset, length);
}

int Command::regather(u64 offset, u64 length) {
  gathered_ = false;
  map_reusable_ = false;
  int err = gather_ranges(offset, length);
  if (err != kOk) return err;
  gathered_ = !md_->needs_pin() && md_->kind() != MdKind::kRanges;
  gather_off_ = offset;
  gather_len_ = length;
  return kOk;
}

int Command::gather_ranges(u64 offset, u64 length) {
  // The common case: the range lies in one piece of the descriptor (a
  // linear or physical buffer, one page, one sg entry) that one mapping
  // takes: one physical range, without the general walk. It maps as a
  // single range (dma_map_page_attrs()), which DMA-API debug does not hold
  // to the device's maximum segment size (a scatterlist rule): the walk
  // cuts the device range there, as it cuts every range. swiotlb's slot
  // size limits one mapping, and a bounce slot never crosses the device's
  // segment boundary.
  DevSeg one;
  if (length <= info_.max_mapping_size &&
      md_->one_piece(offset, length, info_.page_shift, pinned_.data(), &one) &&
      (lim_.boundary == 0 ||
       ((one.addr ^ (one.addr + length - 1)) & ~(lim_.boundary - 1)) == 0)) {
    if (!cpu_ranges_.reserve(1, gfp_) || !cpu_starts_.reserve(1, gfp_))
      return kENOMEM;
    cpu_ranges_.data()[0] = one;
    cpu_ = make_list(cpu_ranges_.data(), cpu_starts_.data(), 1);
    return kOk;
  }
  const u64 bound = md_->gather_bound(offset, length, lim_);
  if (bound > kU32Max || !cpu_ranges_.reserve(static_cast<u32>(bound), gfp_) ||
      !cpu_starts_.reserve(static_cast<u32>(bound), gfp_))
    return kENOMEM;
  u32 n = 0;
  int err = md_->gather(offset, length, lim_, pinned_.data(),
                        cpu_ranges_.data(), static_cast<u32>(bound), &n);
  if (err != kOk) return err;
  cpu_ = make_list(cpu_ranges_.data(), cpu_starts_.data(), n);
  return kOk;
}

[[gnu::always_inline]] inline int Command::map_device(u32 flags) {
  const u32 n = cpu_.count;
  // The kept list lives in dev_segs_ (and its starts in dev_starts_): a
  // pool that grows keeps nothing.
  if (n > dev_segs_.capacity() || n > dev_starts_.capacity()) kept_ = false;
  if (!dev_segs_.reserve(n, gfp_) || !dev_starts_.reserve(n, gfp_))
    return kENOMEM;
  DevSeg* const segs = dev_segs_.data();
  // Whether this mapping gives the kept list, range for range; each path
  // compares a range before it writes it over the kept one.
  bool same = kept_ && kept_count_ == n;
  if (spec_.physical()) {
    // Bus addresses, no mapping: allowed only on untranslated devices.
    for (u32 i = 0; i < n; i++) {
      const DevSeg s{iodma_plat_phys_to_bus(dev_, cpu_.segs[i].addr),
                     cpu_.segs[i].len};
      same = same && segs[i].addr == s.addr && segs[i].len == s.len;
      segs[i] = s;
    }
    via_ = Via::kBus;
    dev_list_ = mapped_list(n, same);
    return kOk;
  }
  // DMA_ATTR_SKIP_CPU_SYNC semantics: NO_SYNC skips the bounce copy;
  // NO_FLUSH skips cache maintenance, which only NONCOHERENT controls.
  u32 attrs = 0;
  if ((flags & IODMA_CORE_PREPARE_NO_SYNC) != 0 ||
      (spec_.mapping == Mapping::kNonCoherent &&
       (flags & IODMA_CORE_PREPARE_NO_FLUSH) != 0))
    attrs |= IODMA_PLAT_SKIP_CPU_SYNC;
  if (n == 1) {
    // One range maps as one page range, as a careful driver maps it
    // (dma_map_page_attrs()): no scatterlist to fill and walk back.
    unsigned long long dma = 0;
    int direct = 0;
    // The last decision, kept (whether this range bounces).
    u32 reuse = 0;
    if (map_reusable_) reuse = IODMA_PLAT_MAP_REUSE;
    if (map_reusable_ && map_bounced_) reuse |= IODMA_PLAT_MAP_BOUNCED;
    map_reusable_ = false;
    int err = iodma_plat_map_single(dev_, cpu_.segs[0].addr, cpu_.segs[0].len,
                                    static_cast<int>(dir_), attrs | reuse, &dma,
                                    &direct);
    if (err != kOk) return err;
    map_reusable_ = true;
    map_bounced_ = direct == 0;
    same = same && segs[0].addr == dma && segs[0].len == cpu_.segs[0].len;
    segs[0] = DevSeg{dma, cpu_.segs[0].len};
    mapped_ = true;
    single_ = true;
    via_ = Via::kMapping;
    dev_list_ = mapped_list(1, same);
    return kOk;
  }
  const unsigned long state = iodma_plat_map_state_size(n);
  if (state > kU32Max || !map_state_.reserve(static_cast<u32>(state), gfp_))
    return kENOMEM;
  // The platform compares the kept ranges as it writes the new ones.
  unsigned int nout = kept_ ? kept_count_ : 0;
  const u32 reuse = map_reusable_ ? IODMA_PLAT_MAP_REUSE : 0;
  map_reusable_ = false;
  const int mapped =
      iodma_plat_map(dev_, map_state_.data(), cpu_.segs, n,
                     static_cast<int>(dir_), attrs | reuse, segs, &nout);
  if (mapped < 0) {
    kept_ = false;  // dev_segs_ may hold anything now
    return mapped;
  }
  map_reusable_ = true;
  if (nout == 0 || nout > n) {
    iodma_plat_unmap(dev_, map_state_.data(), static_cast<int>(dir_),
                     IODMA_PLAT_SKIP_CPU_SYNC);
    iodma_plat_bug("platform mapping returned a bad segment count");
    kept_ = false;
    return kEIO;
  }
  mapped_ = true;
  via_ = Via::kMapping;
  dev_list_ = mapped_list(nout, kept_ && mapped == IODMA_PLAT_MAPPED_SAME);
  return kOk;
}

[[gnu::always_inline]] inline void Command::unmap_device(u32 attrs) {
  if (!mapped_) return;
  if (single_)
    iodma_plat_unmap_single(dev_, dev_segs_.data()[0].addr,
                            dev_segs_.data()[0].len, static_cast<int>(dir_),
                            attrs);
  else
    iodma_plat_unmap(dev_, map_state_.data(), static_cast<int>(dir_), attrs);
  mapped_ = false;
  single_ = false;
}

// meets_spec_fast(dev_list_), computed the first time it is asked for:
// prepare needs it for one range, gen_segments only for a walk from inside
// a range of several.
bool Command::fast() {
  if (!chk_.fast_known) {
    chk_.fast = meets_spec_fast(spec_, dev_list_);
    chk_.fast_known = true;
  }
  return chk_.fast;
}

// dev_segs_'s first n ranges, the device side of a new mapping, as the
// device list. When they are the kept list, range for range (`same`, from
// map_device(): a driver's buffer mapped again where the platform gives it
// the same addresses), their starts are still in dev_starts_: only this
// writes it for a mapping, and it forgets the kept list whenever it writes
// another one.
[[gnu::always_inline]] inline DevSegList Command::mapped_list(u32 n,
                                                              bool same) {
  kept_hit_ = same;
  if (same)
    return DevSegList{dev_segs_.data(), dev_starts_.data(), n, kept_total_};
  kept_ = false;
  return make_list(dev_segs_.data(), dev_starts_.data(), n);
}

// Whether the mapping gave the kept list: then the checks' results are
// its, and no copy buffer is needed.
[[gnu::always_inline]] inline bool Command::checks_kept() {
  if (!kept_hit_) return false;
  chk_ = kept_chk_;
  return true;
}

// Keep dev_list_, the mapping's list (in dev_segs_, where the next
// mapping is compared with it), and its checks' results for checks_kept().
[[gnu::always_inline]] inline void Command::keep_checks() {
  kept_count_ = dev_list_.count;
  kept_total_ = dev_list_.total;
  kept_chk_ = chk_;
  kept_ = true;
}

// How gen_segments may write the device ranges. One range, or several
// that continue each other in device address space (an IOMMU's one IOVA
// block; the walk coalesces them): as one range, written as it is when the
// walk from offset 0 would emit exactly that range (it meets the spec, no
// cut by max_segment_size or segment_boundary), or cut by stride. Ranges
// as they stand when the walk from 0 emits exactly them
// (ranges_are_segments(), which also proves that walk succeeds; the walker
// stands at a range's start in the same state whether it came from 0 or
// seeked there, so a walk from any range start emits the ranges too).
[[gnu::always_inline]] inline void Command::check_one_segment() {
  const DevSeg* const segs = dev_list_.segs;
  const u32 n = dev_list_.count;
  u32 i = 1;
  while (i < n && segs[i].addr == segs[i - 1].addr + segs[i - 1].len) i++;
  if (i == n) {
    // meets_spec_fast() of one range, without the call: the common case.
    const u64 addr = segs[0].addr, len = dev_list_.total;
    const u64 unit = max_of(spec_.alignment_length, spec_.alignment_internal);
    const bool fast = (addr & (max_of(spec_.alignment, unit) - 1)) == 0 &&
                      addr <= spec_.max_address &&
                      len - 1 <= spec_.max_address - addr;
    chk_.fast = fast;
    chk_.fast_known = true;
    chk_.stride = fast && spec_.alignment_length == 1 &&
                  spec_.alignment_internal == 1 && spec_.alignment_end == 1;
    chk_.one_seg =
        fast && len <= spec_.max_segment_size &&
        (spec_.segment_boundary == 0 ||
         walk_detail::to_boundary(addr, spec_.segment_boundary) >= len);
    if (n == 1 || chk_.one_seg) {
      chk_.as_ranges = n == 1 && chk_.one_seg;
      return;
    }
    if (chk_.stride) {
      // The walk cuts by stride: the ranges are its segments when each is
      // the stride's cut at its start (no walk needed to find out).
      u64 left = len;
      for (i = 0; i < n; i++) {
        u64 cut = min_of(left, spec_.max_segment_size);
        if (spec_.segment_boundary != 0)
          cut = min_of(cut, walk_detail::to_boundary(segs[i].addr,
                                                     spec_.segment_boundary));
        if (segs[i].len != cut) break;
        left -= cut;
      }
      chk_.as_ranges = i == n;
      return;
    }
  } else {
    chk_.stride = false;
    chk_.one_seg = false;
  }
  chk_.as_ranges = ranges_are_segments(spec_, dev_list_);
}

namespace {

// Blocks start naturally aligned: a block as large as the strictest of the
// spec's alignments meets them all.
u64 cb_alignment(const Spec& sp) {
  return max_of(max_of(sp.alignment, sp.alignment_end),
                max_of(sp.alignment_length, sp.alignment_internal));
}

// The largest copy-buffer block the platform can give `info`'s device as
// one naturally aligned range. A non-coherent, untranslated device's blocks
// are mapped for their cache maintenance, and where the DMA layer limits
// its mappings (a finite max_mapping_size: swiotlb may bounce them, as it
// does every mapping under swiotlb=force) a block may land in a bounce
// slot, which is aligned to a page and no more: one page then, which is
// also within any bounce mapping's limit (swiotlb's 256 KiB). No other
// block can land in a bounce slot: none has a mapping limit.
u64 cb_block_cap(const DeviceInfo& info) {
  const bool may_bounce =
      !info.coherent && !info.translated && info.max_mapping_size != kU64Max;
  return may_bounce ? u64{1} << info.page_shift : kMaxCopyBlock;
}

// The block size of a copy buffer of `length` bytes: pages, doubled up to
// the length (fewer blocks) within the platform's cap, and up to the
// spec's alignments (beyond the cap, the platform may refuse them).
u64 cb_block_size(const Spec& sp, const DeviceInfo& info, u64 length) {
  const u64 cap = cb_block_cap(info);
  u64 block = u64{1} << info.page_shift;
  while (block < length && block < cap) block <<= 1;
  while (block < cb_alignment(sp)) block <<= 1;
  return block;
}

}  // namespace

// Blocks of device-reachable memory for the prepared length that meet the
// spec, or an error with nothing allocated: kENOMEM when memory is short
// now, kEOPNOTSUPP when no copy buffer can ever meet the spec on this
// device (SPEC.md 10.5). The reserved copy buffer when it can serve.
// Does not touch the live state.
int Command::alloc_copy_buffer() {
  if (spec_.max_address < info_.cb_floor) return kEOPNOTSUPP;
  if (use_reserve()) return kOk;
  const u64 block = cb_block_size(spec_, info_, length_);
  const u64 nblocks = (length_ + block - 1) / block;
  if (nblocks > kU32Max) return kENOMEM;
  const u32 n = static_cast<u32>(nblocks);
  if (!cb_blocks_.reserve(n, gfp_) || !cb_segs_.reserve(n, gfp_) ||
      !cb_starts_.reserve(n, gfp_))
    return kENOMEM;
  int err = alloc_blocks(cb_blocks_.data(), n, block, static_cast<int>(dir_));
  if (err != kOk) return err;
  cb_block_ = block;
  for (u32 i = 0; i < n; i++)
    cb_segs_.data()[i] = DevSeg{cb_blocks_.data()[i].dma,
                                min_of(block, length_ - u64{i} * block)};
  cb_count_ = n;
  cb_list_ = make_list(cb_segs_.data(), cb_starts_.data(), n);
  // The platform promised blocks below max_address, naturally aligned.
  if (!meets_spec_fast(spec_, cb_list_) && check_walk(spec_, cb_list_) != kOk) {
    free_copy_buffer();
    iodma_plat_bug("copy buffer does not meet the spec");
    return kEIO;
  }
  return kOk;
}

// `n` blocks of `block` bytes for `dir`, below the spec's reach, into
// `out`, or an error with none of them left allocated: kEOPNOTSUPP where
// the platform can never give such a block (its kEIO), kENOMEM otherwise.
int Command::alloc_blocks(CopyBlock* out, u32 n, u64 block, int dir) {
  for (u32 i = 0; i < n; i++) {
    int err =
        iodma_plat_cb_alloc(dev_, block, dir, gfp_, spec_.max_address, &out[i]);
    if (err != kOk) {
      while (i-- > 0) iodma_plat_cb_free(dev_, block, dir, &out[i]);
      return err == kEIO ? kEOPNOTSUPP : kENOMEM;
    }
  }
  return kOk;
}

// The reserved blocks as the prepared range's copy buffer, when they are
// enough, aligned enough and within today's spec (set_spec() may have
// narrowed it since they were reserved). Allocates nothing.
bool Command::use_reserve() {
  if (rsv_count_ == 0 || rsv_block_ < cb_alignment(spec_)) return false;
  const u64 n = (length_ + rsv_block_ - 1) / rsv_block_;
  if (n > rsv_count_) return false;
  for (u32 i = 0; i < n; i++) {
    const CopyBlock& b = rsv_blocks_.data()[i];
    cb_blocks_.data()[i] = b;
    cb_segs_.data()[i] =
        DevSeg{b.dma, min_of(rsv_block_, length_ - u64{i} * rsv_block_)};
  }
  cb_block_ = rsv_block_;
  cb_list_ = make_list(cb_segs_.data(), cb_starts_.data(), static_cast<u32>(n));
  if (!meets_spec_fast(spec_, cb_list_) && check_walk(spec_, cb_list_) != kOk)
    return false;
  cb_count_ = static_cast<u32>(n);
  cb_reserved_ = true;
  return true;
}

// Replace the reservation by blocks for `bytes` (none for 0), allocated
// for both directions so that any preparation may use them. On error the
// old reservation stays as it was.
int Command::reserve_copy_buffer(u64 bytes) {
  if (nest_ > 0) return kEBUSY;
  if (bytes > spec_.max_transfer_size) return kEINVAL;
  if (bytes == 0) {
    free_reserve();
    return kOk;
  }
  int err = refresh_device();  // the limits a driver set since
  if (err != kOk) return err;
  if (spec_.max_address < info_.cb_floor) return kEOPNOTSUPP;
  const u64 block = cb_block_size(spec_, info_, bytes);
  const u64 nblocks = (bytes + block - 1) / block;
  if (nblocks > kU32Max) return kENOMEM;
  const u32 n = static_cast<u32>(nblocks);
  Pool<CopyBlock> fresh;
  if (!fresh.reserve(n, gfp_) || !cb_blocks_.reserve(n, gfp_) ||
      !cb_segs_.reserve(n, gfp_) || !cb_starts_.reserve(n, gfp_))
    return kENOMEM;
  err = alloc_blocks(fresh.data(), n, block, IODMA_PLAT_BIDIRECTIONAL);
  if (err != kOk) return err;
  free_reserve();
  rsv_blocks_.swap(fresh);
  rsv_block_ = block;
  rsv_count_ = n;
  return kOk;
}

void Command::free_reserve() {
  for (u32 i = 0; i < rsv_count_; i++)
    iodma_plat_cb_free(dev_, rsv_block_, IODMA_PLAT_BIDIRECTIONAL,
                       &rsv_blocks_.data()[i]);
  rsv_count_ = 0;
  rsv_block_ = 0;
}

// Point the device at the copy buffer. A buffer the device may write is
// always filled from the descriptor, so that bytes the device leaves alone
// come back unchanged (CVE-2022-0854); one it only reads is filled unless
// the caller said NO_SYNC (it is zeroed, never stale).
void Command::switch_to_copy_buffer(bool fill) {
  stats_.cb_engaged++;
  if (cb_reserved_) stats_.cb_reserved++;
  via_ = Via::kCopy;
  dev_list_ = cb_list_;
  chk_.fast_known = false;
  check_one_segment();
  if (fill || device_writes(dir_))
    copy_md_to_cb(0, length_);
  else if (cb_reserved_)
    zero_cb(0, length_);  // never an earlier transfer's bytes
  sync_cb(0, length_, false);
  walker_.reset();
}

void Command::free_copy_buffer() {
  if (cb_reserved_) {  // kept for the next preparation
    cb_reserved_ = false;
    cb_count_ = 0;
    return;
  }
  for (u32 i = 0; i < cb_count_; i++)
    iodma_plat_cb_free(dev_, cb_block_, static_cast<int>(dir_),
                       &cb_blocks_.data()[i]);
  cb_count_ = 0;
}

[[gnu::always_inline]] inline int Command::prepare_inline(u64 offset,
                                                          u64 length,
                                                          u32 flags) {
  if (md_ == nullptr) return kENODATA;
  if ((flags & ~kPrepareFlags) != 0) return kEINVAL;
  const u64 md_len = md_->length();
  if (md_len == 0) return kENODATA;  // an empty reusable descriptor
  if (offset >= md_len) return kEINVAL;
  if (length == 0) length = md_len - offset;
  if (length > md_len - offset) return kEINVAL;
  if (nest_ > 0) {
    if (offset != offset_ || length != length_ || nest_ == kU32Max)
      return kEBUSY;
    nest_++;
    stats_.prepares++;
    return kOk;
  }
  if (length > spec_.max_transfer_size) return kENOSPC;
  if ((length & (spec_.alignment_length - 1)) != 0) return kEINVAL;
  // Another address space's memory, or none at all (a kernel thread).
  if (!md_->owned_by_caller()) return kEFAULT;
  int err = refresh_device();
  if (err != kOk) return err;

  offset_ = offset;
  length_ = length;
  dir_ = md_->dir();
  err = pin(offset, length);
  if (err != kOk) return err;
  err = gather(offset, length);
  if (err == kOk) err = map_device(flags);
  // -EIO: the platform cannot reach this memory for the device (swiotlb
  // beyond its mask): iodma's own copy buffer may still.
  const bool unreachable =
      err == kEIO && !spec_.iterate_only && !spec_.physical();
  if (err != kOk && !unreachable) {
    unpin();
    return err;
  }
  bool need_copy = unreachable;
  if (!need_copy && !checks_kept()) {
    chk_.fast_known = false;
    check_one_segment();
    // The walk from 0 succeeds if it emits the ranges as they stand, or
    // if they meet the cheap sufficient test; else the exact test decides.
    need_copy = !chk_.as_ranges && !fast() && !spec_.iterate_only &&
                check_walk(spec_, dev_list_) != kOk;
    if (!need_copy) keep_checks();
  }
  if (need_copy) {
    // The platform's addresses cannot meet the spec: bounce through our
    // own buffer, which the device reaches without further bouncing.
    int cb_err = alloc_copy_buffer();
    unmap_device(IODMA_PLAT_SKIP_CPU_SYNC);
    const int result = cb_err == kOk ? kOk : (unreachable ? err : cb_err);
    iodma_plat_event_copy_buffer(
        dev_, link_.id, offset_, length_, static_cast<int>(dir_),
        unreachable ? IODMA_PLAT_CB_UNREACHABLE : IODMA_PLAT_CB_SPEC, result);
    if (cb_err != kOk) {
      unpin();
      return result;  // the first error wins
    }
    switch_to_copy_buffer((flags & IODMA_CORE_PREPARE_NO_SYNC) == 0);
  }
  walker_.reset();
  nest_ = 1;
  md_->hold_prepared();
  stats_.prepares++;
  stats_.bytes_prepared += length_;
  return kOk;
}

int Command::prepare(u64 offset, u64 length, u32 flags) {
  return prepare_inline(offset, length, flags);
}

int Command::prepare_with_spec(const iodma_core_spec& raw, u64 offset,
                               u64 length, u32 flags) {
  if (nest_ > 0) return kEBUSY;
  const DeviceInfo old_info = info_;
  const DevKey old_key = key_;
  const iodma_core_spec old_raw = raw_spec_;
  const Spec old_spec = spec_;
  int err = set_spec(raw);
  if (err != kOk) return err;
  err = prepare(offset, length, flags);
  if (err != kOk) {  // a failed prepare leaves the command as it was
    set_device(old_info, old_key);
    raw_spec_ = old_raw;
    spec_ = old_spec;
  }
  return err;
}

[[gnu::always_inline]] inline void Command::release(u32 unmap_attrs) {
  if (via_ == Via::kCopy)
    free_copy_buffer();
  else
    unmap_device(unmap_attrs);
  unpin();
  via_ = Via::kMapping;
  chk_.one_seg = false;
  chk_.stride = false;
  nest_ = 0;
  md_->drop_prepared();
}

[[gnu::always_inline]] inline int Command::complete_inline(u32 flags) {
  if ((flags & ~kCompleteFlags) != 0) return kEINVAL;
  if (nest_ == 0) return kENODATA;
  stats_.completes++;
  if (--nest_ > 0) return kOk;
  const bool sync = (flags & IODMA_CORE_COMPLETE_NO_SYNC) == 0;
  if (via_ == Via::kCopy && device_writes(dir_) && sync) {
    sync_cb(0, length_, true);
    copy_cb_to_md(0, length_);
  }
  u32 attrs = 0;
  if (!sync || (spec_.mapping == Mapping::kNonCoherent &&
                (flags & IODMA_CORE_COMPLETE_NO_INVALIDATE) != 0))
    attrs |= IODMA_PLAT_SKIP_CPU_SYNC;
  release(attrs);
  return kOk;
}

int Command::complete(u32 flags) { return complete_inline(flags); }

int Command::synchronize(u64 offset, u64 length, bool whole, u32 options) {
  if ((options & ~kSyncOptions) != 0) return kEINVAL;
  const bool for_cpu = (options & IODMA_CORE_SYNC_FOR_CPU) != 0;
  const bool for_dev = (options & IODMA_CORE_SYNC_FOR_DEVICE) != 0;
  if (for_cpu && for_dev) return kEINVAL;
  if (nest_ == 0) return kENODATA;
  if (whole) {
    offset = 0;
    length = length_;
  } else {
    if (offset >= length_) return kEINVAL;
    if (length == 0) length = length_ - offset;
    if (length > length_ - offset) return kEINVAL;
  }

  if ((options & IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER) != 0 &&
      via_ != Via::kCopy) {
    int err = alloc_copy_buffer();
    iodma_plat_event_copy_buffer(dev_, link_.id, offset_, length_,
                                 static_cast<int>(dir_), IODMA_PLAT_CB_FORCED,
                                 err);
    if (err != kOk) return err;
    // Device writes reach the descriptor before it is copied.
    unmap_device(device_writes(dir_) ? 0 : IODMA_PLAT_SKIP_CPU_SYNC);
    switch_to_copy_buffer(true);
  }

  if (for_cpu) {
    if (via_ == Via::kCopy) {
      sync_cb(offset, length, true);
      if (device_writes(dir_)) copy_cb_to_md(offset, length);
    } else if (mapped_ && whole && single_) {
      iodma_plat_sync_range(dev_, dev_segs_.data()[0].addr, length_,
                            static_cast<int>(dir_), 1);
    } else if (mapped_ && whole) {
      iodma_plat_sync_mapping(dev_, map_state_.data(), static_cast<int>(dir_),
                              1);
    } else if (mapped_) {
      sync_mapping_range(offset, length, true);
    }
  }
  if (for_dev) {
    if (via_ == Via::kCopy) {
      if (device_reads(dir_)) copy_md_to_cb(offset, length);
      sync_cb(offset, length, false);
    } else if (mapped_ && whole && single_) {
      iodma_plat_sync_range(dev_, dev_segs_.data()[0].addr, length_,
                            static_cast<int>(dir_), 0);
    } else if (mapped_ && whole) {
      iodma_plat_sync_mapping(dev_, map_state_.data(), static_cast<int>(dir_),
                              0);
    } else if (mapped_) {
      sync_mapping_range(offset, length, false);
    }
  }
  stats_.syncs++;
  return kOk;
}

// Over prepared [pos, pos + len), in pieces within one copy-buffer block:
// fn(CPU address in the block, device address, length).
template <typename Fn>
void Command::for_each_cb_piece(u64 pos, u64 len, Fn fn) const {
  while (len > 0) {
    const CopyBlock& b = cb_blocks_.data()[pos / cb_block_];
    const u64 in_block = pos & (cb_block_ - 1);
    const u64 piece = min_of(len, cb_block_ - in_block);
    fn(static_cast<u8*>(b.cpu) + in_block, b.dma + in_block, piece);
    pos += piece;
    len -= piece;
  }
}

// Over [pos, pos + len) of a range list, in pieces within one range:
// fn(address, length).
template <typename Fn>
void Command::for_each_range_piece(const DevSegList& l, u64 pos, u64 len,
                                   Fn fn) {
  u32 i = l.find(pos);
  for (u64 in = pos - l.start[i]; len > 0; i++, in = 0) {
    const u64 piece = min_of(len, l.segs[i].len - in);
    fn(l.segs[i].addr + in, piece);
    len -= piece;
  }
}

// Descriptor <-> copy buffer, in pieces within one range and one block.
void Command::copy_between(u64 pos, u64 len, bool to_cb) {
  stats_.cb_bytes += len;
  for_each_range_piece(
      cpu_, pos, len, [this, &pos, to_cb](u64 phys, u64 piece) {
        for_each_cb_piece(pos, piece, [&phys, to_cb](u8* cb, u64, u64 n) {
          if (to_cb)
            iodma_plat_copy_from_phys(cb, phys, n);
          else
            iodma_plat_copy_to_phys(phys, cb, n);
          phys += n;
        });
        pos += piece;
      });
}

void Command::copy_md_to_cb(u64 pos, u64 len) { copy_between(pos, len, true); }

void Command::zero_cb(u64 pos, u64 len) {
  for_each_cb_piece(pos, len, [](u8* cb, u64, u64 n) {
    __builtin_memset(cb, 0, static_cast<size_t>(n));
  });
}

void Command::copy_cb_to_md(u64 pos, u64 len) { copy_between(pos, len, false); }

void Command::sync_cb(u64 pos, u64 len, bool for_cpu) {
  while (len > 0) {
    const CopyBlock& b = cb_blocks_.data()[pos / cb_block_];
    const u64 in_block = pos & (cb_block_ - 1);
    const u64 piece = min_of(len, cb_block_ - in_block);
    iodma_plat_cb_sync(dev_, &b, in_block, piece, static_cast<int>(dir_),
                       for_cpu);
    pos += piece;
    len -= piece;
  }
}

// Over prepared [pos, pos + len) of a mapping, in pieces that are
// contiguous both in physical memory and at the device: fn(phys, dma,
// length). An IOMMU merges physically scattered pages into one device
// range; the DMA layer maintains caches linearly from one address, so
// every sync must stay within one physical range.
template <typename Fn>
void Command::for_each_mapped_piece(u64 pos, u64 len, Fn fn) const {
  u32 i = cpu_.find(pos), j = dev_list_.find(pos);
  u64 in_cpu = pos - cpu_.start[i], in_dev = pos - dev_list_.start[j];
  while (len > 0) {
    const u64 piece = min_of(
        len, min_of(cpu_.segs[i].len - in_cpu, dev_list_.segs[j].len - in_dev));
    fn(cpu_.segs[i].addr + in_cpu, dev_list_.segs[j].addr + in_dev, piece);
    len -= piece;
    in_cpu += piece;
    in_dev += piece;
    if (in_cpu == cpu_.segs[i].len) i++, in_cpu = 0;
    if (in_dev == dev_list_.segs[j].len) j++, in_dev = 0;
  }
}

void Command::sync_mapping_range(u64 pos, u64 len, bool for_cpu) {
  for_each_mapped_piece(pos, len, [this, for_cpu](u64, u64 dma, u64 n) {
    iodma_plat_sync_range(dev_, dma, n, static_cast<int>(dir_), for_cpu);
  });
}

// Whether the device reaches some of prepared [pos, pos + len) of the
// mapping somewhere else than the descriptor (a swiotlb slot).
bool Command::platform_bounced(u64 pos, u64 len) const {
  bool bounced = false;
  for_each_mapped_piece(pos, len, [this, &bounced](u64 phys, u64 dma, u64) {
    if (iodma_plat_dma_to_phys(dev_, dma) != phys) bounced = true;
  });
  return bounced;
}

// Copy between a caller's buffer and what the device sees over prepared
// [offset, ...) (SPEC.md 10.6): the copy buffer when there is one, the
// descriptor otherwise, with the syncs that make a platform bounce and
// non-coherent caches agree with it, and that hand it back to the device
// after. Clamped to the prepared range; 0 when not prepared.
size_t Command::copy_bytes_at(u64 offset, u8* buf, size_t len, bool to_dev) {
  if (nest_ == 0 || buf == nullptr || offset >= length_) return 0;
  const u64 n = min_of<u64>(len, length_ - offset);
  if (via_ == Via::kCopy) {
    sync_cb(offset, n, true);
    for_each_cb_piece(offset, n, [&buf, to_dev](u8* cb, u64, u64 piece) {
      if (to_dev)
        copy_bytes(cb, buf, piece);
      else
        copy_bytes(buf, cb, piece);
      buf += piece;
    });
    sync_cb(offset, n, false);
    return n;
  }
  if (to_dev) {
    // Pages pinned without write access are never written (SPEC.md
    // 10.3); and a bounce the device reads is out of reach through a
    // from-device mapping, whose sync never copies towards the device.
    if (md_->needs_pin() && !device_writes(dir_)) return 0;
    if (mapped_ && dir_ == Dir::kFromDevice && platform_bounced(offset, n))
      return 0;
  }
  if (mapped_) sync_mapping_range(offset, n, true);
  for_each_range_piece(cpu_, offset, n, [&buf, to_dev](u64 phys, u64 piece) {
    if (to_dev)
      iodma_plat_copy_to_phys(phys, buf, piece);
    else
      iodma_plat_copy_from_phys(buf, phys, piece);
    buf += piece;
  });
  if (mapped_) sync_mapping_range(offset, n, false);
  return n;
}

size_t Command::read_bytes(u64 offset, void* buf, size_t len) {
  return copy_bytes_at(offset, static_cast<u8*>(buf), len, false);
}

// The caller's buffer is only read when copying towards the device.
size_t Command::write_bytes(u64 offset, const void* buf, size_t len) {
  return copy_bytes_at(offset, static_cast<u8*>(const_cast<void*>(buf)), len,
                       true);
}

}  // namespace iodma

// The C entry points of prepare and complete (core_api.h), here so that
// each is one function with what it calls.
extern "C" int iodma_core_cmd_prepare(iodma_cmd* h, unsigned long long offset,
                                      unsigned long long length,
                                      unsigned int flags) {
  if (iodma::bad(h)) return iodma::kEINVAL;
  iodma::Command* c = iodma::from_handle(h);
  return c->note(c->prepare_inline(offset, length, flags));
}

extern "C" int iodma_core_cmd_complete(iodma_cmd* h, unsigned int flags) {
  if (iodma::bad(h)) return iodma::kEINVAL;
  iodma::Command* c = iodma::from_handle(h);
  return c->note(c->complete_inline(flags));
}
