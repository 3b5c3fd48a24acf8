// SPDX-License-Identifier: GPL-2.0
// Memory descriptor creation and the gathering of a sub-range's physical
// ranges.
#include "md.h"

namespace iodma {
namespace {

// Appends physical pieces to `out` (room for `cap`), merging a piece that
// continues the previous range, cutting every range at `max_len` bytes and
// at multiples of `boundary`. Never writes past out[cap - 1]: a piece that
// does not fit sets overflowed().
class RangeWriter {
 public:
  RangeWriter(DevSeg* out, u32 cap, const Md::Limits& lim)
      : out_(out), cap_(cap), max_(lim.max_len), boundary_(lim.boundary) {}
  void add(u64 phys, u64 len) {
    while (len > 0) {
      DevSeg* last = n_ > 0 ? &out_[n_ - 1] : nullptr;
      const u64 room =
          boundary_ != 0 ? boundary_ - (phys & (boundary_ - 1)) : kU64Max;
      const bool at_boundary = boundary_ != 0 && (phys & (boundary_ - 1)) == 0;
      u64 take;
      if (last != nullptr && last->addr + last->len == phys &&
          last->len < max_ && !at_boundary) {
        take = min_of(len, min_of(max_ - last->len, room));
        last->len += take;
      } else {
        if (n_ == cap_) {
          overflowed_ = true;
          return;
        }
        take = min_of(len, min_of(max_, room));
        out_[n_++] = DevSeg{phys, take};
      }
      phys += take;
      len -= take;
    }
  }
  u32 count() const { return n_; }
  bool overflowed() const { return overflowed_; }

 private:
  DevSeg* out_;
  u32 cap_;
  u64 max_;
  u64 boundary_;
  u32 n_ = 0;
  bool overflowed_ = false;
};

// Multiples of `boundary` (a power of two, or 0) strictly inside
// (a, a + len): the cuts a boundary makes in one contiguous piece.
u64 inner_boundaries(u64 a, u64 len, u64 boundary) {
  if (boundary == 0 || len < 2) return 0;
  const u64 shift = static_cast<u64>(__builtin_ctzll(boundary));
  return ((a + len - 1) >> shift) - (a >> shift);
}

bool wraps(u64 a, u64 len) { return len - 1 > kU64Max - a; }

// A reusable descriptor's ranges live in its own allocation.
constexpr u32 kMaxRanges = 1u << 20;
// The pieces of a vmalloc or page-array descriptor are counted in a u32.
constexpr u64 kMaxPieces = 0xffffffffu;

// Calls f(phys, len) for each page of a vmalloc range [start, start + len)
// (start a kernel address) or of a page array's range that begins `start`
// bytes into pages[0], in order; the first and last may be partial.
template <typename F>
void for_each_page(MdKind kind, u64 start, void* const* pages, u64 len,
                   u32 page_shift, F& f) {
  const u64 page = u64{1} << page_shift;
  u64 in_page = start & (page - 1);
  for (u64 i = 0, left = len; left > 0; i++) {
    const u64 piece = min_of(left, page - in_page);
    u64 phys;
    if (kind == MdKind::kVmalloc) {
      const u64 at = align_down(start, page) + (i << page_shift) + in_page;
      // The descriptor keeps kernel addresses as integers (the seam has no
      // pointer arithmetic); the platform needs the address back.
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      phys = iodma_plat_vmalloc_phys(reinterpret_cast<const void*>(at));
    } else {
      phys = iodma_plat_page_phys(pages[(start >> page_shift) + i]) + in_page;
    }
    f(phys, piece);
    left -= piece;
    in_page = 0;
  }
}

// The physically contiguous pieces of a vmalloc or page-array range: how
// many (count) or, with room in segs/start, the pieces themselves with
// their running offsets. Stops writing at `cap` (overflowed()).
class PieceList {
 public:
  PieceList(DevSeg* segs, u64* start, u64 cap)
      : segs_(segs), start_(start), cap_(cap) {}
  void operator()(u64 phys, u64 len) {
    if (n_ > 0 && end_ == phys) {
      if (segs_ != nullptr) segs_[n_ - 1].len += len;
    } else if (n_ == cap_) {
      overflowed_ = true;
    } else {
      if (segs_ != nullptr) {
        start_[n_] = off_;
        segs_[n_] = DevSeg{phys, len};
      }
      n_++;
    }
    end_ = phys + len;
    off_ += len;
  }
  u64 count() const { return n_; }
  bool overflowed() const { return overflowed_; }

 private:
  DevSeg* segs_;
  u64* start_;
  u64 cap_;
  u64 n_ = 0;
  u64 end_ = 0;
  u64 off_ = 0;
  bool overflowed_ = false;
};

}  // namespace

void* Md::operator new(size_t size, AllocChecker* ac, size_t extra) noexcept {
  return ::operator new(size + extra, ac);
}

int Md::create(const iodma_core_md_desc& d, u32 gfp, Md** out) {
  if (d.dir > IODMA_PLAT_FROM_DEVICE) return kEINVAL;
  const u32 shift = iodma_plat_page_shift();
  MdKind kind;
  u64 base = 0, first = 0, length = d.len;
  u32 sg_count = 0;

  switch (d.kind) {
    case IODMA_CORE_MD_KVA: {
      if (d.kva == nullptr || d.len == 0) return kEINVAL;
      const uintptr_t kva = reinterpret_cast<uintptr_t>(d.kva);
      if (wraps(kva, d.len)) return kEINVAL;
      unsigned long long phys = 0;
      switch (iodma_plat_kva_kind(d.kva, d.len, &phys)) {
        case IODMA_PLAT_KVA_LINEAR:
          kind = MdKind::kLinear;
          base = phys;
          break;
        case IODMA_PLAT_KVA_VMALLOC:
          // Every page, not just the ends: a range may run into a guard
          // hole or over memory that is not RAM.
          if (!iodma_plat_vmalloc_ok(d.kva, d.len)) return kEINVAL;
          kind = MdKind::kVmalloc;
          base = kva;
          break;
        default:
          return kEINVAL;  // stack, module image, unmapped...
      }
      break;
    }
    case IODMA_CORE_MD_PAGES:
      if (d.pages == nullptr || d.npages == 0 || d.len == 0) return kEINVAL;
      if (d.offset >= (u64{d.npages} << shift) ||
          d.len > (u64{d.npages} << shift) - d.offset)
        return kEINVAL;
      kind = MdKind::kPages;
      first = d.offset;
      break;
    case IODMA_CORE_MD_USER:
      if (d.len == 0 || d.uaddr == 0 || wraps(d.uaddr, d.len)) return kEINVAL;
      if (!iodma_plat_user_range_ok(d.uaddr, d.len)) return kEFAULT;
      kind = MdKind::kUser;
      base = d.uaddr;
      break;
    case IODMA_CORE_MD_SGTABLE:
      if (d.sgt == nullptr) return kEINVAL;
      sg_count = iodma_plat_sgt_count(d.sgt);
      if (sg_count == 0) return kEINVAL;
      kind = MdKind::kSgTable;
      break;
    case IODMA_CORE_MD_PHYS:
      if (d.len == 0 || wraps(d.phys, d.len)) return kEINVAL;
      if (!iodma_plat_phys_is_ram(d.phys, d.len)) return kEINVAL;
      kind = MdKind::kPhys;
      base = d.phys;
      break;
    default:
      return kEINVAL;
  }

  // A user descriptor belongs to the caller's address space (SPEC.md
  // 10.2); a task without one (a kernel thread) has no user memory.
  void* mm = nullptr;
  if (kind == MdKind::kUser) {
    mm = iodma_plat_mm_get();
    if (mm == nullptr) return kEFAULT;
  }

  // The physical pieces of a vmalloc or page-array range are recorded
  // here, once (the pages cannot change while the descriptor exists): a
  // prepare then costs per piece, not per page, and a physically
  // contiguous range is one piece for the fast path.
  const bool by_page = kind == MdKind::kVmalloc || kind == MdKind::kPages;
  const u64 page_start = kind == MdKind::kPages ? first : base;
  if (by_page) {
    PieceList counter(nullptr, nullptr, kU64Max);
    for_each_page(kind, page_start, d.pages, length, shift, counter);
    if (counter.count() > kMaxPieces) {
      iodma_plat_mm_put(mm);
      return kENOMEM;
    }
    sg_count = static_cast<u32>(counter.count());
  }

  AllocChecker ac(gfp);
  const size_t extra = size_t{sg_count} * (sizeof(DevSeg) + sizeof(u64));
  Md* md = new (&ac, extra) Md();
  if (!ac.check()) {
    iodma_plat_mm_put(mm);
    return kENOMEM;
  }
  md->mm_ = mm;
  md->kind_ = kind;
  md->dir_ = static_cast<Dir>(d.dir);
  md->base_ = base;
  if (sg_count > 0) {
    md->sg_ = reinterpret_cast<DevSeg*>(md + 1);
    md->sg_start_ = reinterpret_cast<u64*>(md->sg_ + sg_count);
  }
  if (by_page) {
    PieceList pieces(md->sg_, md->sg_start_, sg_count);
    for_each_page(kind, page_start, d.pages, length, shift, pieces);
    if (pieces.overflowed()) {
      iodma_plat_bug("a range's pages changed while it was described");
      destroy(md);
      return kEIO;
    }
    md->sg_count_ = static_cast<u32>(pieces.count());
  } else if (kind == MdKind::kSgTable) {
    iodma_plat_sgt_ranges(d.sgt, md->sg_, sg_count);
    // Keep the non-empty entries, with their running offsets.
    u32 n = 0;
    length = 0;
    for (u32 i = 0; i < sg_count; i++) {
      if (md->sg_[i].len == 0) continue;
      md->sg_start_[n] = length;
      md->sg_[n++] = md->sg_[i];
      length += md->sg_[i].len;
    }
    md->sg_count_ = n;
    if (n == 0) {
      destroy(md);
      return kEINVAL;
    }
  }
  md->length_ = length;
  *out = md;
  return kOk;
}

int Md::create_ranges(u32 max_ranges, u32 gfp, Md** out) {
  if (max_ranges == 0 || max_ranges > kMaxRanges) return kEINVAL;
  AllocChecker ac(gfp);
  const size_t extra = size_t{max_ranges} * (sizeof(DevSeg) + sizeof(u64));
  Md* md = new (&ac, extra) Md();
  if (!ac.check()) return kENOMEM;
  md->kind_ = MdKind::kRanges;
  md->sg_ = reinterpret_cast<DevSeg*>(md + 1);
  md->sg_start_ = reinterpret_cast<u64*>(md->sg_ + max_ranges);
  md->sg_cap_ = max_ranges;
  *out = md;
  return kOk;
}

int Md::reset(u32 dir) {
  if (kind_ != MdKind::kRanges || dir > IODMA_PLAT_FROM_DEVICE) return kEINVAL;
  if (__atomic_load_n(&prepared_, __ATOMIC_ACQUIRE) != 0) return kEBUSY;
  dir_ = static_cast<Dir>(dir);
  sg_count_ = 0;
  length_ = 0;
  return kOk;
}

int Md::add_range(u64 phys, u64 len) {
  if (kind_ != MdKind::kRanges) return kEINVAL;
  if (__atomic_load_n(&prepared_, __ATOMIC_ACQUIRE) != 0) return kEBUSY;
  int err = kOk;
  if (len == 0 || wraps(phys, len) || len > kU64Max - length_) {
    err = kEINVAL;
  } else if (sg_count_ > 0 &&
             sg_[sg_count_ - 1].addr + sg_[sg_count_ - 1].len == phys) {
    sg_[sg_count_ - 1].len += len;
  } else if (sg_count_ == sg_cap_) {
    err = kENOSPC;
  } else {
    sg_start_[sg_count_] = length_;
    sg_[sg_count_++] = DevSeg{phys, len};
  }
  if (err != kOk) {
    sg_count_ = 0;
    length_ = 0;
    return err;
  }
  length_ += len;
  return kOk;
}

void Md::get() { __atomic_add_fetch(&refs_, 1, __ATOMIC_RELAXED); }

void Md::put() {
  if (__atomic_sub_fetch(&refs_, 1, __ATOMIC_ACQ_REL) == 0) destroy(this);
}

u64 Md::pin_start(u64 off, u32 page_shift) const {
  return align_down(base_ + off, u64{1} << page_shift);
}

u32 Md::pin_pages(u64 off, u64 len, u32 page_shift) const {
  const u64 page = u64{1} << page_shift;
  const u64 start = align_down(base_ + off, page);
  const u64 end = align_down(base_ + off + len - 1, page) + page;
  return static_cast<u32>((end - start) >> page_shift);
}

u64 Md::gather_bound(u64 off, u64 len, const Limits& lim) const {
  const u64 page = u64{1} << lim.page_shift;
  // Ranges ending at max_len each hold max_len bytes.
  const u64 full = len / lim.max_len;
  switch (kind_) {
    case MdKind::kLinear:
    case MdKind::kPhys:
      return 1 + full + inner_boundaries(base_ + off, len, lim.boundary);
    case MdKind::kVmalloc:
    case MdKind::kPages:
    case MdKind::kSgTable:
    case MdKind::kRanges: {
      DevSegList l{sg_, sg_start_, sg_count_, length_};
      const u32 first = l.find(off), last = l.find(off + len - 1);
      const u64 pieces = u64{last - first} + 1;
      // A piece of n bytes holds at most (n - 1) / boundary + 1 multiples
      // of boundary: over all pieces, at most len / boundary + pieces (an
      // O(1) bound; counting them exactly costs a pass over the pieces).
      const u64 cuts = lim.boundary != 0 ? len / lim.boundary + pieces : 0;
      return pieces + full + cuts;
    }
    case MdKind::kUser:
      break;
  }
  // User memory: one piece per pinned page; a boundary below the page size
  // cuts inside it.
  const u64 abs = base_ + off;
  const u64 pages =
      (align_down(abs + len - 1, page) + page - align_down(abs, page)) >>
      lim.page_shift;
  const u64 per_page =
      lim.boundary != 0 && lim.boundary < page ? page / lim.boundary : 0;
  return pages + full + pages * per_page;
}

bool Md::one_piece(u64 off, u64 len, u32 page_shift, void* const* pinned,
                   DevSeg* out) const {
  const u64 page = u64{1} << page_shift;
  switch (kind_) {
    case MdKind::kLinear:
    case MdKind::kPhys:
      *out = DevSeg{base_ + off, len};
      return true;
    case MdKind::kUser: {
      const u64 in_page = (base_ + off) & (page - 1);
      if (in_page + len > page) return false;
      // The first (only) page pinned for the range.
      *out = DevSeg{iodma_plat_page_phys(pinned[0]) + in_page, len};
      return true;
    }
    case MdKind::kVmalloc:
    case MdKind::kPages:
    case MdKind::kSgTable:
    case MdKind::kRanges: {
      DevSegList l{sg_, sg_start_, sg_count_, length_};
      const u32 i = l.find(off);
      const u64 in = off - sg_start_[i];
      if (len > sg_[i].len - in) return false;
      *out = DevSeg{sg_[i].addr + in, len};
      return true;
    }
  }
  return false;
}

int Md::gather(u64 off, u64 len, const Limits& lim, void* const* pinned,
               DevSeg* out, u32 cap, u32* n) const {
  const u64 page = u64{1} << lim.page_shift;
  RangeWriter w(out, cap, lim);
  switch (kind_) {
    case MdKind::kLinear:
    case MdKind::kPhys:
      w.add(base_ + off, len);
      break;
    case MdKind::kUser: {
      // Page i of the range is pinned[i]; one platform call per run of
      // physically contiguous pages (a huge page: one call, not 512).
      const u32 npages = pin_pages(off, len, lim.page_shift);
      u64 in_page = (base_ + off) & (page - 1), left = len;
      for (u32 i = 0; left > 0 && !w.overflowed();) {
        u32 run = 1;
        const u64 phys = iodma_plat_page_run(pinned + i, npages - i, &run);
        const u64 piece = min_of(left, (u64{run} << lim.page_shift) - in_page);
        w.add(phys + in_page, piece);
        left -= piece;
        in_page = 0;
        i += run;
      }
      break;
    }
    case MdKind::kVmalloc:
    case MdKind::kPages:
    case MdKind::kSgTable:
    case MdKind::kRanges: {
      DevSegList l{sg_, sg_start_, sg_count_, length_};
      u32 i = l.find(off);
      u64 in = off - sg_start_[i], left = len;
      for (; left > 0 && !w.overflowed(); i++, in = 0) {
        const u64 piece = min_of(left, sg_[i].len - in);
        w.add(sg_[i].addr + in, piece);
        left -= piece;
      }
      break;
    }
  }
  if (w.overflowed()) {
    iodma_plat_bug("more physical ranges than gather_bound() allowed");
    return kEIO;
  }
  *n = w.count();
  return kOk;
}

}  // namespace iodma
