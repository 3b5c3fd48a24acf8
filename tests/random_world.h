// SPDX-License-Identifier: GPL-2.0
// The random world of the randomized command test and the fuzzer: a page
// size (4, 16 or 64 KiB), a device with its own DMA limits (direct, swiotlb
// or IOMMU, coherent or not, any DMA mask, segment boundary from 512 bytes
// to 4 GiB, maximum segment from 512 bytes up), RAM on both sides of 4 GiB,
// a copy-buffer pool, a spec, and a descriptor of any kind over that RAM
// (sg entries of any alignment across boundaries); then what a prepared
// command must meet, whatever the layout.
//
// R is any source of choices with `uint64_t u(uint64_t n)`, in [0, n).
#ifndef IODMA_TESTS_RANDOM_WORLD_H
#define IODMA_TESTS_RANDOM_WORLD_H

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "../src/core/command.h"
#include "../src/core/core_api.h"
#include "fake_platform.h"
#include "segment_model.h"

namespace world {

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

// RAM windows, one crossing 4 GiB and one above it; the copy-buffer pool
// lies between the first two.
constexpr uint64_t kWindow = 0x40000;
constexpr uint64_t kWindows[] = {0x100000,   0x900000,   0x1800000,
                                 0x40000000, 0xfffe0000, 0x120000000};
constexpr unsigned kNumWindows = sizeof(kWindows) / sizeof(kWindows[0]);
constexpr uint64_t kCbPool = 0x800000, kCbPoolSize = 0x100000;
constexpr uint64_t kMaxCopyBlock = 1 << 20;  // the core's largest block

template <typename R>
uint64_t pick(R& r, std::initializer_list<uint64_t> v) {
  return *(v.begin() + r.u(v.size()));
}

inline Ranges merged(const Ranges& in) {
  Ranges out;
  for (auto [a, n] : in) {
    if (n == 0) continue;
    if (!out.empty() && out.back().first + out.back().second == a)
      out.back().second += n;
    else
      out.push_back({a, n});
  }
  return out;
}

// [off, off + len) of memory laid out as `pieces`.
inline Ranges slice(const Ranges& pieces, uint64_t off, uint64_t len) {
  Ranges out;
  for (auto [a, n] : pieces) {
    if (len == 0) break;
    if (off >= n) {
      off -= n;
      continue;
    }
    const uint64_t take = std::min(n - off, len);
    out.push_back({a + off, take});
    len -= take;
    off = 0;
  }
  return merged(out);
}

// The byte a descriptor (or the device) holds at offset i, for a seed.
inline uint8_t pattern(uint64_t i, unsigned seed) {
  return static_cast<uint8_t>(i * 131 + seed * 7 + (i >> 8));
}

// Walk `segs` (device ranges) and `pieces` (physical ranges of as many
// bytes) together, a chunk of at most 4 KiB at a time: fn(device address,
// physical address, offset, length), false to stop. Without big buffers:
// fresh large allocations cost a page fault a page.
template <typename Fn>
bool zip(const std::vector<model::Seg>& segs, const Ranges& pieces, Fn fn) {
  size_t si = 0, pi = 0;
  uint64_t so = 0, po = 0, at = 0;
  while (si < segs.size() && pi < pieces.size()) {
    const uint64_t n = std::min(
        std::min(segs[si].len - so, pieces[pi].second - po), uint64_t{4096});
    if (!fn(segs[si].addr + so, pieces[pi].first + po, at, n)) return false;
    at += n;
    if ((so += n) == segs[si].len) si++, so = 0;
    if ((po += n) == pieces[pi].second) pi++, po = 0;
  }
  return si == segs.size() && pi == pieces.size();
}

// Whether the device reads through `segs` the bytes of `pieces`.
inline bool device_sees(const fake::Device& d,
                        const std::vector<model::Seg>& segs,
                        const Ranges& pieces) {
  return zip(segs, pieces,
             [&d](uint64_t dma, uint64_t phys, uint64_t, uint64_t n) {
               uint8_t b[4096];
               return fake::device_read(&d, dma, b, n) &&
                      std::memcmp(b, fake::ram(phys), n) == 0;
             });
}

// The device writes pattern(seed) through `segs`; then whether `pieces`
// (what the device wrote to, as the descriptor) hold it.
inline bool device_writes(const fake::Device& d,
                          const std::vector<model::Seg>& segs, unsigned seed) {
  uint64_t at = 0;
  uint8_t b[4096];
  for (const auto& g : segs) {
    for (uint64_t o = 0; o < g.len;) {
      const uint64_t n = std::min<uint64_t>(g.len - o, sizeof(b));
      for (uint64_t i = 0; i < n; i++) b[i] = pattern(at + o + i, seed);
      if (!fake::device_write(&d, g.addr + o, b, n)) return false;
      o += n;
    }
    at += g.len;
  }
  return true;
}
inline bool holds_pattern(const Ranges& pieces, unsigned seed) {
  uint64_t at = 0;
  for (auto [a, n] : pieces) {
    const uint8_t* p = fake::ram(a);
    for (uint64_t i = 0; i < n; i++, at++)
      if (p[i] != pattern(at, seed)) return false;
  }
  return true;
}

// Reset the fake; choose the page size and the device; add the RAM.
template <typename R>
void make_platform(R& r, fake::Device* d) {
  fake::reset();
  fake::set_page_shift(static_cast<unsigned>(pick(r, {12, 12, 14, 16})));
  *d = fake::Device{};
  d->mode = static_cast<fake::Mode>(pick(r, {0, 0, 1, 2}));
  d->coherent = r.u(3) != 0;
  d->max_seg =
      pick(r, {~0ull, ~0ull, 65536, 4096, 3000, 1000, 512, 512 + r.u(200000)});
  d->seg_boundary =
      r.u(3) == 0 ? 0 : uint64_t{1} << pick(r, {9, 10, 12, 13, 16, 20, 32});
  d->dma_mask = pick(r, {~0ull, ~0ull, (1ull << 32) - 1, (1ull << 36) - 1,
                         (1ull << 28) - 1, (1ull << 24) - 1});
  if (d->mode == fake::Mode::kDirect && r.u(8) == 0) d->bus_offset = 1ull << 30;
  d->cb_phys = kCbPool;
  d->cb_size = kCbPoolSize;
  // The lowest limit below which a block of any size can be had: the pool
  // for an untranslated device, the IOVA space for a translated one.
  d->cb_floor = d->mode == fake::Mode::kIommu
                    ? 2 * kMaxCopyBlock - 1
                    : kCbPool + kCbPoolSize - 1 + d->bus_offset;
  d->cb_unreachable = r.u(16) == 0;
  for (uint64_t w : kWindows) fake::add_ram(w, kWindow);
}

template <typename R>
iodma_core_spec make_spec(R& r) {
  iodma_core_spec s{};
  s.format = static_cast<unsigned>(1 + r.u(6));
  const bool is32 = s.format <= 3;
  s.address_bits = static_cast<unsigned char>(
      is32 ? pick(r, {0, 20, 24, 28, 32}) : pick(r, {0, 0, 20, 24, 30, 40}));
  s.alignment_length = static_cast<unsigned>(pick(r, {0, 1, 4, 8}));
  s.alignment_internal = static_cast<unsigned>(pick(r, {0, 1, 8, 64}));
  s.alignment = static_cast<unsigned>(pick(r, {0, 1, 16, 4096}));
  s.max_segment_size = pick(r, {0, 0, 512, 1000, 4096, 10000});
  s.segment_boundary = pick(r, {0, 0, 4096, 65536});
  s.max_transfer_size = 0;
  s.mapping = static_cast<unsigned>(
      pick(r, {IODMA_CORE_MAP_MAPPED, IODMA_CORE_MAP_MAPPED,
               IODMA_CORE_MAP_NONCOHERENT, IODMA_CORE_MAP_BYPASSED,
               IODMA_CORE_MAP_UNMAPPED, IODMA_CORE_ITERATE_ONLY,
               IODMA_CORE_ITERATE_ONLY | IODMA_CORE_MAP_NONCOHERENT}));
  return s;
}

// A descriptor and what it is made of. Fill it in place (it points into
// itself) and keep it alive as long as the descriptor.
struct Md {
  iodma_core_md_desc desc{};
  fake::SgTable sgt;
  std::deque<fake::Page> pages;
  std::vector<void*> page_ptrs;
  Ranges layout;  // physical bytes of the descriptor, in order
  bool read_only = false;
  uint64_t length() const {
    uint64_t t = 0;
    for (auto [a, n] : layout) t += n;
    return t;
  }
};

// Distinct RAM pages of the windows, some physically adjacent.
template <typename R>
std::vector<uint64_t> random_pages(R& r, unsigned n) {
  const uint64_t page = fake::page_size(), per = kWindow / page;
  std::set<uint64_t> used;
  std::vector<uint64_t> out;
  uint64_t prev = 0;
  for (unsigned i = 0; i < n; i++) {
    uint64_t p = 0;
    if (prev != 0 && r.u(3) == 0 && used.count(prev + page) == 0 &&
        std::any_of(std::begin(kWindows), std::end(kWindows), [&](uint64_t w) {
          return prev >= w && prev + 2 * page <= w + kWindow;
        }))
      p = prev + page;
    for (int tries = 0; p == 0 && tries < 64; tries++) {
      const uint64_t c = kWindows[r.u(kNumWindows)] + r.u(per) * page;
      if (used.count(c) == 0) p = c;
    }
    if (p == 0) break;
    used.insert(p);
    out.push_back(p);
    prev = p;
  }
  return out;
}

// Any kind (KVA linear or vmalloc, pages, user, sg_table, phys), filled
// with a pattern from `seed`.
template <typename R>
void make_md(R& r, Md* m, unsigned dir, unsigned seed) {
  const uint64_t page = fake::page_size();
  m->desc = iodma_core_md_desc{};
  m->desc.dir = dir;
  const unsigned kind = static_cast<unsigned>(r.u(6));
  switch (kind) {
    case 0:    // kmalloc
    case 1: {  // phys
      const uint64_t w = kWindows[r.u(kNumWindows)];
      const uint64_t off = r.u(kWindow - 1);
      const uint64_t len = 1 + r.u(kWindow - off);
      m->layout = {{w + off, len}};
      m->desc.kind = kind == 0 ? IODMA_CORE_MD_KVA : IODMA_CORE_MD_PHYS;
      if (kind == 0) m->desc.kva = fake::kmalloc_at(w + off, len);
      m->desc.phys = w + off;
      m->desc.len = len;
      break;
    }
    case 2:    // vmalloc
    case 3:    // pages
    case 4: {  // user
      const auto pp = random_pages(
          r, static_cast<unsigned>(
                 1 + r.u(std::max<uint64_t>(2, 6 * 4096 / page + 1))));
      Ranges all;
      for (uint64_t p : pp) all.push_back({p, page});
      const uint64_t off = r.u(page);
      const uint64_t len = 1 + r.u(pp.size() * page - off);
      m->layout = slice(all, off, len);
      m->desc.len = len;
      if (kind == 2) {
        m->desc.kind = IODMA_CORE_MD_KVA;
        m->desc.kva = static_cast<uint8_t*>(fake::vmalloc_of(pp)) + off;
      } else if (kind == 3) {
        for (uint64_t p : pp) {
          m->pages.push_back(fake::Page{p});
          m->page_ptrs.push_back(&m->pages.back());
        }
        m->desc.kind = IODMA_CORE_MD_PAGES;
        m->desc.pages = m->page_ptrs.data();
        m->desc.npages = static_cast<unsigned>(pp.size());
        m->desc.offset = off;
      } else {
        // Read-only pages (the zero page) only for the device to read.
        m->read_only = dir == IODMA_PLAT_TO_DEVICE && r.u(2) == 0;
        fake::map_user(0x10000000, pp, !m->read_only);
        m->desc.kind = IODMA_CORE_MD_USER;
        m->desc.uaddr = 0x10000000 + off;
      }
      break;
    }
    default: {  // sg entries of any alignment, across boundaries
      uint64_t cursor[kNumWindows] = {};
      const unsigned n = static_cast<unsigned>(1 + r.u(8));
      unsigned w = static_cast<unsigned>(r.u(kNumWindows));
      for (unsigned i = 0; i < n; i++) {
        if (r.u(3) != 0) w = static_cast<unsigned>(r.u(kNumWindows));
        uint64_t pos = cursor[w];
        switch (r.u(4)) {
          case 0:  // continues the previous entry (when in this window)
            break;
          case 1:
            pos += r.u(5000);
            break;
          default: {  // a little before a boundary of some size
            const uint64_t b = pick(r, {512, 4096, 65536});
            pos = (pos + b) / b * b;
            pos -= std::min<uint64_t>(pos - cursor[w], 1 + r.u(b / 2));
            break;
          }
        }
        if (pos >= kWindow - 1) continue;
        const uint64_t len = 1 + r.u(std::min<uint64_t>(kWindow - pos, 40000));
        m->sgt.ents.push_back({kWindows[w] + pos, len});
        m->layout.push_back({kWindows[w] + pos, len});
        cursor[w] = pos + len;
      }
      if (m->sgt.ents.empty()) {
        m->sgt.ents.push_back({kWindows[0], 1});
        m->layout.push_back({kWindows[0], 1});
      }
      m->desc.kind = IODMA_CORE_MD_SGTABLE;
      m->desc.sgt = &m->sgt;
      break;
    }
  }
  uint64_t i = 0;
  for (auto [a, n] : m->layout) {
    uint8_t* p = fake::ram(a);
    for (uint64_t k = 0; k < n; k++, i++) p[k] = pattern(i, seed);
  }
}

// Segments out of a gen_segments() buffer in any non-custom format.
inline void decode(unsigned format, const uint8_t* buf, unsigned n,
                   std::vector<model::Seg>* out) {
  const size_t width = format <= 3 ? 8 : 16;
  const bool big = format == 2 || format == 5;
  for (unsigned i = 0; i < n; i++) {
    uint64_t a = 0, l = 0;
    for (size_t b = 0; b < width / 2; b++) {
      const size_t at = big ? width / 2 - 1 - b : b;
      a |= uint64_t{buf[i * width + at]} << (8 * b);
      l |= uint64_t{buf[i * width + width / 2 + at]} << (8 * b);
    }
    out->push_back({a, l});
  }
}

// The device ranges the walk goes over when no copy buffer is used: the
// platform's mapping, or the bus addresses of the physical range.
inline std::vector<model::Seg> device_layout(const fake::Device& d,
                                             const iodma::Spec& sp, const Md& m,
                                             uint64_t off, uint64_t len) {
  std::vector<model::Seg> out;
  if (sp.physical()) {
    for (auto [a, n] : slice(m.layout, off, len))
      out.push_back({a + d.bus_offset, n});
  } else {
    for (auto [a, n] : fake::last_map_segments()) out.push_back({a, n});
  }
  return out;
}

// What every segment list must meet: it covers the prepared length; each
// segment meets the effective spec, the caller's own spec where it set a
// limit, and the device's own DMA limits (SPEC.md 10.1). "" or the breach.
inline std::string check_segments(const fake::Device& d, const iodma::Spec& sp,
                                  const iodma_core_spec& raw,
                                  const std::vector<model::Seg>& segs,
                                  uint64_t total) {
  char b[200];
  uint64_t pos = 0;
  const uint64_t dev_boundary =
      d.seg_boundary == 0
          ? 0
          : uint64_t{1} << (63 - __builtin_clzll(d.seg_boundary));
  const uint64_t raw_max = raw.address_bits == 0 || raw.address_bits >= 64
                               ? ~0ull
                               : (uint64_t{1} << raw.address_bits) - 1;
  auto crosses = [](uint64_t a, uint64_t n, uint64_t bd) {
    return bd != 0 && a / bd != (a + n - 1) / bd;
  };
  for (size_t i = 0; i < segs.size(); i++) {
    const uint64_t a = segs[i].addr, n = segs[i].len;
    const char* what = nullptr;
    if (n == 0)
      what = "empty";
    else if (n > sp.max_segment_size || n > d.max_seg ||
             (raw.max_segment_size != 0 && n > raw.max_segment_size))
      what = "too long";
    else if (crosses(a, n, sp.segment_boundary) ||
             crosses(a, n, dev_boundary) || crosses(a, n, raw.segment_boundary))
      what = "across a boundary";
    else if (a + n - 1 < a || a + n - 1 > sp.max_address ||
             a + n - 1 > d.dma_mask || a + n - 1 > raw_max)
      what = "beyond the address limit";
    else if (a % (i == 0 ? sp.alignment : sp.alignment_internal) != 0)
      what = "misaligned";
    else if (pos + n != total && n % sp.alignment_length != 0)
      what = "length not a multiple";
    if (what != nullptr) {
      std::snprintf(b, sizeof(b), "segment %zu %#llx+%#llx: %s", i,
                    (unsigned long long)a, (unsigned long long)n, what);
      return b;
    }
    pos += n;
  }
  if (pos != total) {
    std::snprintf(b, sizeof(b), "segments cover %#llx of %#llx",
                  (unsigned long long)pos, (unsigned long long)total);
    return b;
  }
  return "";
}

}  // namespace world

#endif  // IODMA_TESTS_RANDOM_WORLD_H
