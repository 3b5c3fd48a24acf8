// SPDX-License-Identifier: GPL-2.0
#include "fake_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <tuple>
#include <unordered_set>

#include "../src/core/errno_codes.h"
#include "../src/core/platform.h"

namespace fake {
namespace {

constexpr uint64_t kIoTlbSize = 2048;  // swiotlb's slot (IO_TLB_SIZE)
constexpr uint64_t kUserTop = 0x800000000000ull;
constexpr uint64_t kVmallocBase = 0xffffc90000000000ull;
constexpr uint64_t kVmallocSize = 1ull << 40;

struct UserPage {
  Page page;
  bool writable;
  int pins = 0;
  int write_pins = 0;  // of the pins, those taken for writing
};

// One range of a mapping, as the core gave it.
struct Entry {
  uint64_t orig, len;  // physical
  uint64_t dma;        // device address of its first byte
  uint64_t bounce;     // swiotlb slot, 0 if not bounced
};

struct Mapping {
  const Device* dev;
  int dir;
  std::vector<Entry> ents;
  // The DMA segments handed out (IOMMU entries merged), which is what
  // DMA-API debug records and checks syncs against.
  std::vector<std::pair<uint64_t, uint64_t>> segs;
  uint64_t iova = 0, iova_len = 0;  // IOMMU: the one IOVA allocation
  bool single = false;              // iodma_plat_map_single(), not an sg_table
};

struct Block {
  const Device* dev;
  uint64_t phys, size;
  int dir;
  uint64_t iova;    // IOMMU: the block's IOVA (0: none)
  uint64_t bounce;  // the swiotlb slot the device sees (0: none)
};

struct Injector {
  long at = -1, count = 0;
  int err = 0;
  bool fire() { return count++ == at; }
  void arm(long n, int e = 0) {
    at = n < 0 ? -1 : count + n;
    err = e;
  }
};

// A single mapping's bounce decision and the device key it was made under.
struct SingleDecision {
  iodma_plat_dev_key key;
  bool bounced;
};

struct State {
  unsigned page_shift = 12;
  std::map<uint64_t, std::vector<uint8_t>> ram;  // by physical base
  std::map<uint64_t, uint64_t> reserved;         // start -> len
  std::map<uintptr_t, std::pair<uint64_t, uint64_t>> linear;  // kva->phys,len
  std::map<uint64_t, std::vector<uint64_t>> vmalloc;          // kva -> pages
  uint64_t next_vmalloc = kVmallocBase;
  // User pages by address space and user page number; who maps each
  // physical page; which user page a struct page stand-in belongs to.
  std::map<std::pair<int, uint64_t>, UserPage> user;
  std::map<uint64_t, std::vector<UserPage*>> user_by_phys;
  std::map<const void*, UserPage*> page_owner;
  std::map<uint64_t, Mapping> mappings;  // by id
  // What each map state's scatterlist was built for (its CPU side), and
  // the mappings IODMA_PLAT_MAP_REUSE mapped again.
  std::map<const void*, std::vector<std::pair<uint64_t, uint64_t>>> built;
  long reused_maps = 0;
  long same_maps = 0;  // iodma_plat_map() calls that gave what out held
  // The last single mapping's bounce decision, by device and range, with
  // the device key it was made under (IODMA_PLAT_MAP_REUSE may name only
  // such a range, same key, and IODMA_PLAT_MAP_BOUNCED must say what was
  // decided).
  std::map<std::tuple<const void*, uint64_t, uint64_t>, SingleDecision>
      single_decided;
  long reused_singles = 0;
  long page_runs = 0;  // iodma_plat_page_run() calls
  uint64_t next_mapping = 1;
  std::map<uint64_t, Block> blocks;           // by device address
  std::map<uint64_t, uint64_t> swiotlb_used;  // slot start -> bytes
  std::map<const Device*, std::map<uint64_t, uint64_t>> iovas;  // start->len
  std::map<std::pair<const Device*, uint64_t>, uint64_t> iova_pages;
  std::unordered_set<void*> live;
  Injector alloc, map, cb, pin;
  unsigned int gfp = 0;
  long bugs = 0, total_maps = 0, total_pins = 0, total_cbs = 0;
  long dirty = 0, bounces = 0, lookups = 0, map_calls = 0, shortages = 0;
  long dev_queries = 0, dev_keys = 0, single_maps = 0;
  bool mapping_single = false;  // DMA-API debug checks no segment rules
  unsigned int map_attrs = 0;
  int last_map_err = 0;
  std::vector<std::pair<uint64_t, uint64_t>> last_map_segs;
  std::vector<std::string> dma_errors;
  std::vector<CacheOp> cache_ops;
  std::vector<CbEvent> cb_events;
  bool locked = false;
  // The calling task's address space (a stand-in pointer), and references.
  void* current_mm = &mm_a;
  long mm_refs = 0;
  char mm_a = 0, mm_b = 0;
};

State& st() {
  static State* s = new State;
  return *s;
}

// RAM buffers of earlier tests (or freed copy-buffer blocks), kept for the
// next ones: fresh large allocations cost a page fault a page.
struct Spare {
  std::multimap<size_t, std::vector<uint8_t>> bufs;
  size_t bytes = 0;
};
Spare& spare() {
  static Spare* s = new Spare;
  return *s;
}

void recycle(std::vector<uint8_t>&& v) {
  constexpr size_t kKeep = 64 << 20;
  if (v.size() < 4096 || spare().bytes + v.size() > kKeep) return;
  spare().bytes += v.size();
  spare().bufs.emplace(v.size(), std::move(v));
}

std::vector<uint8_t> zeroed(size_t len) {
  auto it = spare().bufs.find(len);
  if (it == spare().bufs.end()) return std::vector<uint8_t>(len);
  std::vector<uint8_t> v = std::move(it->second);
  spare().bufs.erase(it);
  spare().bytes -= len;
  std::memset(v.data(), 0, len);
  return v;
}

uint64_t pg() { return uint64_t{1} << st().page_shift; }
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
uint64_t pow2_ceil(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}
// The device's segment boundary as a mask (dma_get_seg_boundary()).
uint64_t boundary_mask(const Device* d) {
  return d->seg_boundary != 0 ? d->seg_boundary - 1 : ~0ull;
}
bool crosses(uint64_t addr, uint64_t len, const Device* d) {
  return len > 0 && ((addr ^ (addr + len - 1)) & ~boundary_mask(d)) != 0;
}

void dma_error(const std::string& what) { st().dma_errors.push_back(what); }

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%#llx", static_cast<unsigned long long>(v));
  return b;
}

int mm_index(const void* mm) {
  if (mm == &st().mm_a) return 0;
  if (mm == &st().mm_b) return 1;
  return -1;
}

// Copy across RAM regions that touch each other.
void ram_copy(uint64_t phys, uint8_t* buf, uint64_t len, bool to_ram) {
  while (len > 0) {
    auto& r = st().ram;
    auto it = r.upper_bound(phys);
    if (it == r.begin() ||
        phys - std::prev(it)->first >= std::prev(it)->second.size()) {
      std::fprintf(stderr, "fake: access outside RAM at %#llx\n",
                   (unsigned long long)phys);
      std::abort();
    }
    --it;
    const uint64_t in = phys - it->first;
    const uint64_t n = std::min<uint64_t>(len, it->second.size() - in);
    if (to_ram)
      std::memcpy(it->second.data() + in, buf, n);
    else
      std::memcpy(buf, it->second.data() + in, n);
    phys += n;
    buf += n;
    len -= n;
  }
}

uint8_t* ram_ptr(uint64_t phys, uint64_t len) {
  auto& r = st().ram;
  auto it = r.upper_bound(phys);
  if (it == r.begin()) return nullptr;
  --it;
  if (phys - it->first + len > it->second.size()) return nullptr;
  return it->second.data() + (phys - it->first);
}

uint8_t* must_ram(uint64_t phys, uint64_t len) {
  uint8_t* p = ram_ptr(phys, len);
  if (p == nullptr) {
    std::fprintf(stderr, "fake: access outside RAM at %#llx+%#llx\n",
                 (unsigned long long)phys, (unsigned long long)len);
    std::abort();
  }
  return p;
}

// Whether some region (RAM or reserved) has a byte in [phys, phys + len).
bool ram_overlaps(uint64_t phys, uint64_t len) {
  auto& r = st().ram;
  auto it = r.lower_bound(phys + len);  // first region starting past it
  if (it == r.begin()) return false;
  --it;
  return it->first + it->second.size() > phys;
}

// Whether regions that touch each other cover [phys, phys + len).
bool ram_covers(uint64_t phys, uint64_t len) {
  while (len > 0) {
    auto it = st().ram.upper_bound(phys);
    if (it == st().ram.begin()) return false;
    --it;
    const uint64_t end = it->first + it->second.size();
    if (end <= phys) return false;
    const uint64_t n = std::min<uint64_t>(len, end - phys);
    phys += n;
    len -= n;
  }
  return true;
}

bool reserved_overlaps(uint64_t phys, uint64_t len) {
  for (auto [s, n] : st().reserved)
    if (s < phys + len && phys < s + n) return true;
  return false;
}

// The vmalloc area holding kva, or end().
std::map<uint64_t, std::vector<uint64_t>>::iterator vmalloc_area(uint64_t a) {
  auto v = st().vmalloc.upper_bound(a);
  if (v == st().vmalloc.begin()) return st().vmalloc.end();
  --v;
  if (a - v->first >= v->second.size() * pg()) return st().vmalloc.end();
  return v;
}

// A swiotlb slot run for `len` bytes: IO_TLB_SIZE aligned (page aligned
// from a page up), never across the device's segment boundary; 0 if the
// pool has no room.
uint64_t alloc_swiotlb(const Device* d, uint64_t len) {
  if (st().ram.count(kSwiotlbBase) == 0) add_ram(kSwiotlbBase, kSwiotlbSize);
  const uint64_t want = align_up(len, kIoTlbSize);
  const uint64_t align = len >= pg() ? pg() : kIoTlbSize;
  const uint64_t b = d->seg_boundary;
  if (b >= kIoTlbSize && want > b) return 0;
  auto& used = st().swiotlb_used;
  uint64_t pos = kSwiotlbBase;
  for (;;) {
    pos = align_up(pos, align);
    if (b >= kIoTlbSize && pos / b != (pos + want - 1) / b) {
      pos = align_up(pos + 1, b);
      continue;
    }
    if (pos + want > kSwiotlbBase + kSwiotlbSize) return 0;
    auto it = used.upper_bound(pos);
    if (it != used.begin() &&
        std::prev(it)->first + std::prev(it)->second > pos) {
      pos = std::prev(it)->first + std::prev(it)->second;
      continue;
    }
    if (it != used.end() && it->first < pos + want) {
      pos = it->first + it->second;
      continue;
    }
    used[pos] = want;
    return pos;
  }
}

// An IOVA range of `size` bytes aligned to the next power of two (like
// alloc_iova(size_aligned)), no higher than `limit`: first fit from the
// device's iova_base, then from the bottom; 0 when there is none.
uint64_t alloc_iova(const Device* d, uint64_t size, uint64_t limit) {
  const uint64_t align = pow2_ceil(std::max(size, pg()));
  auto& used = st().iovas[d];
  for (uint64_t from : {std::max(d->iova_base, pg()), pg()}) {
    uint64_t a = align_up(from, align);
    while (a != 0 && a <= limit && size - 1 <= limit - a) {
      auto it = used.upper_bound(a);
      if (it != used.begin() &&
          std::prev(it)->first + std::prev(it)->second > a) {
        a = align_up(std::prev(it)->first + std::prev(it)->second, align);
        continue;
      }
      if (it != used.end() && it->first - a < size) {
        a = align_up(it->first + it->second, align);
        continue;
      }
      used[a] = size;
      return a;
    }
  }
  return 0;
}

void free_iova(const Device* d, uint64_t iova) {
  if (st().iovas[d].erase(iova) != 1) dma_error("free of an unknown IOVA");
}

void iommu_map(const Device* d, uint64_t iova, uint64_t phys, uint64_t len) {
  const unsigned s = st().page_shift;
  for (uint64_t o = 0; o < len; o += pg())
    st().iova_pages[{d, (iova + o) >> s}] = phys + o;
}

void iommu_unmap(const Device* d, uint64_t iova, uint64_t len) {
  const unsigned s = st().page_shift;
  for (uint64_t o = 0; o < len; o += pg())
    st().iova_pages.erase({d, (iova + o) >> s});
}

// Physical address a device reaches at dma, or false.
bool resolve(const Device* d, uint64_t dma, uint64_t* phys) {
  if (dma > d->dma_mask) return false;
  if (d->mode == Mode::kIommu) {
    auto it = st().iova_pages.find({d, dma >> st().page_shift});
    if (it == st().iova_pages.end()) return false;
    *phys = it->second + (dma & (pg() - 1));
    return true;
  }
  *phys = dma - d->bus_offset;
  return true;
}

bool reads(int dir) { return dir != IODMA_PLAT_FROM_DEVICE; }
bool writes(int dir) { return dir != IODMA_PLAT_TO_DEVICE; }

void bounce_copy(const Entry& e, uint64_t off, uint64_t len, bool to_orig) {
  std::vector<uint8_t> tmp(len);
  ram_copy(to_orig ? e.bounce + off : e.orig + off, tmp.data(), len, false);
  ram_copy(to_orig ? e.orig + off : e.bounce + off, tmp.data(), len, true);
  st().bounces++;
}

// arch_sync_dma_for_{cpu,device}(), which only non-coherent devices need.
void maintain(const Device* d, uint64_t phys, uint64_t len, int dir,
              bool for_cpu) {
  if (!d->coherent) st().cache_ops.push_back({phys, len, dir, for_cpu});
}

void check_dir(int mapped, int used, const char* what) {
  if (mapped != used && mapped != IODMA_PLAT_BIDIRECTIONAL)
    dma_error(std::string(what) + ": direction differs from the mapping");
}

// What DMA-API debug's check_sg_segment() reports, for a range the device
// is given (a CPU entry or a DMA segment).
void check_segment(const Device* d, uint64_t addr, uint64_t len,
                   const char* what) {
  if (len > d->max_seg)
    dma_error(std::string("mapping sg segment longer than device claims to "
                          "support (") +
              what + " " + hex(addr) + "+" + hex(len) + ")");
  if (crosses(addr, len, d))
    dma_error(std::string("mapping sg segment across boundary (") + what + " " +
              hex(addr) + "+" + hex(len) + ")");
}

void unmap_entries(Mapping& m, bool sync) {
  for (auto& e : m.ents) {
    if (e.bounce != 0) {
      if (sync) {
        maintain(m.dev, e.bounce, e.len, m.dir, true);
        if (writes(m.dir)) bounce_copy(e, 0, e.len, true);
      }
      st().swiotlb_used.erase(e.bounce);
    } else if (sync) {
      maintain(m.dev, e.orig, e.len, m.dir, true);
    }
  }
  if (m.iova != 0) {
    iommu_unmap(m.dev, m.iova, m.iova_len);
    free_iova(m.dev, m.iova);
  }
}

}  // namespace

void reset() {
  State* old = &st();
  for (auto& [base, bytes] : old->ram) recycle(std::move(bytes));
  old->~State();
  new (old) State;
}

void set_page_shift(unsigned shift) {
  if (shift != 12 && shift != 14 && shift != 16) {
    std::fprintf(stderr, "fake: page shift %u\n", shift);
    std::abort();
  }
  if (!st().ram.empty() || !st().user.empty() || !st().vmalloc.empty()) {
    std::fprintf(stderr, "fake: set the page size before anything else\n");
    std::abort();
  }
  st().page_shift = shift;
}
unsigned page_shift() { return st().page_shift; }
uint64_t page_size() { return pg(); }

uint8_t* add_ram(uint64_t phys, uint64_t len) {
  auto& v = st().ram[phys];
  if (v.size() == len) {
    std::memset(v.data(), 0, len);
  } else {
    recycle(std::move(v));
    v = zeroed(len);
  }
  return v.data();
}

uint8_t* add_reserved(uint64_t phys, uint64_t len) {
  st().reserved[phys] = len;
  return add_ram(phys, len);
}

uint8_t* ram(uint64_t phys) { return must_ram(phys, 1); }

void* kmalloc_at(uint64_t phys, uint64_t len) {
  uint8_t* p = ram_ptr(phys, len);
  if (p == nullptr) p = add_ram(phys, len);
  st().linear[reinterpret_cast<uintptr_t>(p)] = {phys, len};
  return p;
}

void* vmalloc_of(const std::vector<uint64_t>& pages) {
  uint64_t kva = st().next_vmalloc;
  st().next_vmalloc += (pages.size() + 1) * pg();  // and a guard page
  for (uint64_t p : pages)
    if (p != kNoPage && ram_ptr(p, pg()) == nullptr) add_ram(p, pg());
  st().vmalloc[kva] = pages;
  return reinterpret_cast<void*>(kva);
}

void map_user(uint64_t uaddr, const std::vector<uint64_t>& pages, bool writable,
              Mm mm) {
  const int m = mm == Mm::kA ? 0 : 1;
  for (size_t i = 0; i < pages.size(); i++) {
    if (ram_ptr(pages[i], pg()) == nullptr) add_ram(pages[i], pg());
    UserPage& u = st().user[{m, uaddr / pg() + i}];
    if (u.page.phys != pages[i] || st().page_owner.count(&u.page) == 0) {
      auto& old = st().user_by_phys[u.page.phys];
      old.erase(std::remove(old.begin(), old.end(), &u), old.end());
      st().user_by_phys[pages[i]].push_back(&u);
    }
    u.page.phys = pages[i];
    u.writable = writable;
    st().page_owner[&u.page] = &u;
  }
}

namespace {

// The device's DMA to or from [dma, dma + len), a page at a time.
bool device_access(const Device* d, uint64_t dma, uint8_t* buf, uint64_t len,
                   bool write) {
  while (len > 0) {
    const uint64_t n = std::min(len, pg() - (dma & (pg() - 1)));
    uint64_t phys, last;
    if (!resolve(d, dma, &phys) || !resolve(d, dma + n - 1, &last))
      return false;
    uint8_t* p = ram_ptr(phys, n);
    if (p == nullptr) {
      if (!ram_covers(phys, n)) return false;
      ram_copy(phys, buf, n, write);
    } else if (write) {
      std::memcpy(p, buf, n);
    } else {
      std::memcpy(buf, p, n);
    }
    dma += n;
    buf += n;
    len -= n;
  }
  return true;
}

}  // namespace

bool device_write(const Device* d, uint64_t dma, const void* buf,
                  uint64_t len) {
  return device_access(d, dma, static_cast<uint8_t*>(const_cast<void*>(buf)),
                       len, true);
}

bool device_read(const Device* d, uint64_t dma, void* buf, uint64_t len) {
  return device_access(d, dma, static_cast<uint8_t*>(buf), len, false);
}

const std::vector<CacheOp>& cache_ops() { return st().cache_ops; }
void clear_cache_ops() { st().cache_ops.clear(); }

void fail_nth_alloc(long n) { st().alloc.arm(n); }
void fail_nth_map(long n, int err) { st().map.arm(n, err); }
void fail_nth_cb(long n) { st().cb.arm(n); }
void fail_nth_pin(long n, int err) { st().pin.arm(n, err); }
long live_allocs() { return static_cast<long>(st().live.size()); }
long total_allocs() { return st().alloc.count; }
unsigned int last_gfp() { return st().gfp; }
long bug_reports() { return st().bugs; }
const std::vector<CbEvent>& cb_events() { return st().cb_events; }
bool lock_held() { return st().locked; }
void forget_bug_reports() { st().bugs = 0; }
long live_mappings() { return static_cast<long>(st().mappings.size()); }
long live_cb_blocks() { return static_cast<long>(st().blocks.size()); }
long live_iovas() {
  long n = 0;
  for (auto& [d, m] : st().iovas) n += static_cast<long>(m.size());
  return n;
}
long pinned_pages() {
  long n = 0;
  for (auto& [k, u] : st().user) n += u.pins;
  return n;
}
long total_maps() { return st().total_maps; }
long total_pins() { return st().total_pins; }
long total_cb_allocs() { return st().total_cbs; }
long dirty_unpins() { return st().dirty; }
void set_current_mm(Mm mm) {
  st().current_mm = mm == Mm::kA   ? &st().mm_a
                    : mm == Mm::kB ? &st().mm_b
                                   : nullptr;
}
long mm_refs() { return st().mm_refs; }
long bounce_copies() { return st().bounces; }
bool cb_bounce_may_refuse(const Device& d, uint64_t max_address,
                          uint64_t align) {
  if (d.mode != Mode::kSwiotlb || d.coherent || max_address >= d.dma_mask)
    return false;
  return kSwiotlbBase + kSwiotlbSize - 1 + d.bus_offset > max_address ||
         align > pg();
}
long phys_lookups() { return st().lookups; }
unsigned int last_map_attrs() { return st().map_attrs; }
long map_calls() { return st().map_calls; }
long dev_queries() { return st().dev_queries; }
long dev_key_reads() { return st().dev_keys; }
long single_maps() { return st().single_maps; }
long reused_singles() { return st().reused_singles; }
long reused_maps() { return st().reused_maps; }
long same_maps() { return st().same_maps; }
long page_runs() { return st().page_runs; }
long shortages() { return st().shortages; }
int last_map_result() { return st().last_map_err; }
std::vector<std::pair<uint64_t, uint64_t>> last_map_segments() {
  return st().last_map_segs;
}
const std::vector<std::string>& dma_errors() { return st().dma_errors; }
std::vector<std::string> take_dma_errors() {
  std::vector<std::string> v;
  v.swap(st().dma_errors);
  return v;
}

}  // namespace fake

using fake::st;

extern "C" {

void* iodma_plat_alloc(unsigned long size, unsigned int gfp) {
  st().gfp = gfp;
  if (st().alloc.fire()) return nullptr;
  void* p = std::calloc(1, size);
  if (p != nullptr) st().live.insert(p);
  return p;
}

void iodma_plat_free(void* p) {
  if (p == nullptr) return;
  if (st().live.erase(p) != 1) {
    std::fprintf(stderr, "fake platform: free of unknown pointer %p\n", p);
    std::abort();
  }
  std::free(p);
}

unsigned int iodma_plat_page_shift(void) { return st().page_shift; }

void iodma_plat_dev_get(void* dev) { static_cast<fake::Device*>(dev)->refs++; }

void iodma_plat_dev_put(void* dev) {
  auto* d = static_cast<fake::Device*>(dev);
  if (d->refs <= 0) {
    std::fprintf(stderr, "fake platform: device reference underflow\n");
    std::abort();
  }
  d->refs--;
}

void iodma_plat_dev_query(void* dev, iodma_plat_dev_info* info) {
  st().dev_queries++;
  auto* d = static_cast<fake::Device*>(dev);
  info->translated = d->mode == fake::Mode::kIommu || d->translated_override;
  info->page_shift = static_cast<unsigned char>(st().page_shift);
  info->coherent = d->coherent;
  info->max_seg_size = std::max<uint64_t>(d->max_seg, 1);
  info->max_mapping_size =
      d->mode == fake::Mode::kSwiotlb ? fake::kSwiotlbMaxMapping : ~0ull;
  info->seg_boundary = d->seg_boundary;
  info->dma_mask = d->dma_mask;
  info->cb_floor = d->cb_floor;
}

// Every field of the device that iodma_plat_dev_query() reads.
namespace {
void read_key(void* dev, iodma_plat_dev_key* key) {
  auto* d = static_cast<fake::Device*>(dev);
  key->word[0] = d->dma_mask;
  key->word[1] = d->max_seg;
  key->word[2] = d->seg_boundary;
  key->word[3] = d->cb_floor;
  key->word[4] = d->bus_offset;
  key->word[5] = static_cast<uint64_t>(d->mode) |
                 uint64_t{d->translated_override} << 8 |
                 uint64_t{d->coherent} << 9;
  key->word[6] = st().page_shift;
  key->word[7] = 0;
}
}  // namespace

void iodma_plat_dev_read_key(void* dev, iodma_plat_dev_key* key) {
  st().dev_keys++;
  read_key(dev, key);
}

int iodma_plat_dev_key_same(void* dev, const iodma_plat_dev_key* key) {
  st().dev_keys++;
  iodma_plat_dev_key now;
  read_key(dev, &now);
  return std::memcmp(&now, key, sizeof(now)) == 0;
}

int iodma_plat_kva_kind(const void* kva, unsigned long long len,
                        unsigned long long* phys) {
  const auto a = reinterpret_cast<uintptr_t>(kva);
  auto it = st().linear.upper_bound(a);
  if (it != st().linear.begin()) {
    --it;
    if (a - it->first + len <= it->second.second) {
      *phys = it->second.first + (a - it->first);
      return IODMA_PLAT_KVA_LINEAR;
    }
  }
  // is_vmalloc_addr() of the first and the last byte: guard pages and
  // holes of the area count, iodma_plat_vmalloc_ok() tells them.
  if (a >= fake::kVmallocBase && a - fake::kVmallocBase < fake::kVmallocSize &&
      len <= fake::kVmallocSize - (a - fake::kVmallocBase))
    return IODMA_PLAT_KVA_VMALLOC;
  return IODMA_PLAT_KVA_INVALID;
}

int iodma_plat_vmalloc_ok(const void* kva, unsigned long long len) {
  const auto a = reinterpret_cast<uintptr_t>(kva);
  for (uint64_t p = fake::align_down(a, fake::pg()); p < a + len;
       p += fake::pg()) {
    auto v = fake::vmalloc_area(p);
    if (v == st().vmalloc.end() ||
        v->second[(p - v->first) / fake::pg()] == fake::kNoPage)
      return 0;
  }
  return 1;
}

unsigned long long iodma_plat_vmalloc_phys(const void* kva) {
  st().lookups++;
  const auto a = reinterpret_cast<uintptr_t>(kva);
  auto v = fake::vmalloc_area(a);
  const uint64_t page = v == st().vmalloc.end()
                            ? fake::kNoPage
                            : v->second[(a - v->first) / fake::pg()];
  if (page == fake::kNoPage) {
    fake::dma_error("vmalloc_to_page() of an unmapped address " + fake::hex(a));
    return 0;
  }
  return page + (a - v->first) % fake::pg();
}

unsigned long long iodma_plat_page_phys(void* page) {
  st().lookups++;
  return static_cast<fake::Page*>(page)->phys;
}

unsigned long long iodma_plat_page_run(void* const* pages, unsigned int n,
                                       unsigned int* run) {
  if (n == 0) fake::dma_error("iodma_plat_page_run() of no page");
  const uint64_t first = static_cast<fake::Page*>(pages[0])->phys;
  unsigned int i = 1;
  while (i < n &&
         static_cast<fake::Page*>(pages[i])->phys == first + i * fake::pg())
    i++;
  st().lookups += i;
  st().page_runs++;
  *run = i;
  return first;
}

int iodma_plat_phys_is_ram(unsigned long long phys, unsigned long long len) {
  return fake::ram_covers(phys, len) && !fake::reserved_overlaps(phys, len);
}

int iodma_plat_user_range_ok(unsigned long long uaddr, unsigned long long len) {
  return uaddr < fake::kUserTop && len <= fake::kUserTop - uaddr;
}

void* iodma_plat_mm_get(void) {
  if (st().current_mm == nullptr) return nullptr;
  st().mm_refs++;
  return st().current_mm;
}

void iodma_plat_mm_put(void* mm) {
  if (mm == nullptr) return;
  if (st().mm_refs <= 0) fake::dma_error("mm reference underflow");
  st().mm_refs--;
}

int iodma_plat_mm_is_current(void* mm) { return mm == st().current_mm; }

int iodma_plat_pin_user(unsigned long long uaddr, unsigned int npages,
                        int write, void** pages) {
  if (st().pin.fire()) return st().pin.err;
  const int mm = fake::mm_index(st().current_mm);
  if (mm < 0) {
    fake::dma_error("pin_user_pages() from a task without an mm");
    return -IODMA_EFAULT;
  }
  const uint64_t first = uaddr / fake::pg();
  for (unsigned int i = 0; i < npages; i++) {
    auto it = st().user.find({mm, first + i});
    if (it == st().user.end() || (write && !it->second.writable)) {
      for (unsigned int j = 0; j < i; j++) {
        fake::UserPage& u = st().user[{mm, first + j}];
        u.pins--;
        if (write) u.write_pins--;
      }
      return -IODMA_EFAULT;
    }
    it->second.pins++;
    if (write) it->second.write_pins++;
    pages[i] = &it->second.page;
  }
  st().total_pins++;
  return 0;
}

void iodma_plat_unpin_user(void** pages, unsigned int npages, int dirty) {
  for (unsigned int i = 0; i < npages; i++) {
    auto it = st().page_owner.find(pages[i]);
    if (it == st().page_owner.end()) {
      fake::dma_error("unpin of an unknown page");
      continue;
    }
    fake::UserPage& u = *it->second;
    if (u.pins <= 0) {
      fake::dma_error("unpin of an unpinned page");
      continue;
    }
    u.pins--;
    if (dirty) {
      if (u.write_pins <= 0)
        fake::dma_error("page pinned read-only unpinned dirty");
      else
        u.write_pins--;
      st().dirty++;
    } else if (u.write_pins > u.pins) {
      u.write_pins = u.pins;  // a write pin released clean
    }
  }
}

unsigned int iodma_plat_sgt_count(void* sgt) {
  return static_cast<unsigned int>(
      static_cast<fake::SgTable*>(sgt)->ents.size());
}

void iodma_plat_sgt_ranges(void* sgt, iodma_plat_range* out, unsigned int n) {
  auto* t = static_cast<fake::SgTable*>(sgt);
  for (unsigned int i = 0; i < n; i++)
    out[i] = {t->ents[i].first, t->ents[i].second};
}

unsigned long iodma_plat_map_state_size(unsigned int) {
  return sizeof(uint64_t);
}

// dma_map_sgtable(): dma-iommu lays the entries out in one IOVA allocation
// (granule aligned, keeping their offsets, padded so that none crosses the
// segment boundary) and merges them into DMA segments; dma-direct maps each
// at its bus address, or bounces it through swiotlb.
int iodma_plat_map(void* dev, void* state, const iodma_plat_range* ranges,
                   unsigned int n, int dir, unsigned int attrs,
                   iodma_plat_range* out, unsigned int* nout) {
  st().map_attrs = attrs;
  st().map_calls++;
  st().last_map_segs.clear();
  // The ranges the caller asks to have compared: what out holds now.
  const std::vector<iodma_plat_range> before(out, out + *nout);
  auto* d = static_cast<fake::Device*>(dev);
  const bool sync = (attrs & IODMA_PLAT_SKIP_CPU_SYNC) == 0;
  if (st().map.fire()) return st().last_map_err = st().map.err;
  // debug_dma_map_sg() holds every entry and DMA segment to the device's
  // segment size and boundary; debug_dma_map_page() does not.
  const bool sg = !st().mapping_single;
  for (unsigned int i = 0; i < n && sg; i++)
    fake::check_segment(d, ranges[i].addr, ranges[i].len, "entry");
  // A scatterlist mapped again as it stands must hold these very ranges,
  // and must not be mapped now.
  if (sg) {
    std::vector<std::pair<uint64_t, uint64_t>> want;
    for (unsigned int i = 0; i < n; i++)
      want.emplace_back(ranges[i].addr, ranges[i].len);
    auto b = st().built.find(state);
    if ((attrs & IODMA_PLAT_MAP_REUSE) != 0) {
      st().reused_maps++;
      if (b == st().built.end() || b->second != want)
        fake::dma_error("a reused scatterlist holds other ranges");
      uint64_t old;
      std::memcpy(&old, state, sizeof(old));
      if (st().mappings.count(old) != 0)
        fake::dma_error("a scatterlist mapped again while mapped");
    }
    st().built[state] = want;
  }
  fake::Mapping m{d, dir, {}, {}, 0, 0};
  unsigned int k = 0;
  if (d->mode == fake::Mode::kIommu) {
    const uint64_t g = fake::pg(), mask = fake::boundary_mask(d);
    std::vector<uint64_t> at(n), span(n);
    uint64_t iova_len = 0;
    for (unsigned int i = 0; i < n; i++) {
      const uint64_t off = ranges[i].addr & (g - 1);
      const uint64_t s_len = fake::align_up(off + ranges[i].len, g);
      const uint64_t pad = (mask - iova_len + 1) & mask;
      if (pad != 0 && pad < s_len - 1) {
        span[i - 1] += pad;
        iova_len += pad;
      }
      at[i] = iova_len;
      span[i] = s_len;
      iova_len += s_len;
    }
    m.iova = fake::alloc_iova(d, iova_len, d->dma_mask);
    m.iova_len = iova_len;
    if (m.iova == 0) {
      st().shortages++;
      return st().last_map_err = -IODMA_ENOMEM;
    }
    const uint64_t max_len = std::min<uint64_t>(d->max_seg, 0xffffffffu);
    uint64_t cur_len = 0;
    for (unsigned int i = 0; i < n; i++) {
      const uint64_t off = ranges[i].addr & (g - 1);
      const uint64_t dma_addr = m.iova + at[i];
      fake::iommu_map(d, dma_addr, ranges[i].addr - off,
                      fake::align_up(off + ranges[i].len, g));
      m.ents.push_back({ranges[i].addr, ranges[i].len, dma_addr + off, 0});
      if (sync) fake::maintain(d, ranges[i].addr, ranges[i].len, dir, false);
      // __finalise_sg(): concatenate when this entry starts a granule, not
      // at a segment boundary, and the result stays within max_seg.
      if (cur_len != 0 && off == 0 && (dma_addr & mask) != 0 &&
          max_len - cur_len >= ranges[i].len) {
        cur_len += ranges[i].len;
        out[k - 1].len = cur_len;
      } else {
        out[k++] = {dma_addr + off, ranges[i].len};
        cur_len = ranges[i].len;
      }
      if (ranges[i].len + off < span[i]) cur_len = 0;
    }
  } else {
    bool bounce_any = d->mode == fake::Mode::kSwiotlb;
    for (unsigned int i = 0; i < n; i++)
      if (ranges[i].addr + ranges[i].len - 1 + d->bus_offset > d->dma_mask)
        bounce_any = true;
    // The shim: a swiotlb pool the device cannot reach is -EIO (the core
    // may use its own copy buffer); a full one is -ENOMEM.
    if (bounce_any &&
        fake::kSwiotlbBase + fake::kSwiotlbSize - 1 + d->bus_offset >
            d->dma_mask)
      return st().last_map_err = -IODMA_EIO;
    for (unsigned int i = 0; i < n; i++) {
      fake::Entry e{ranges[i].addr, ranges[i].len, 0, 0};
      if (d->mode == fake::Mode::kSwiotlb ||
          e.orig + e.len - 1 + d->bus_offset > d->dma_mask) {
        if (e.len > fake::kSwiotlbMaxMapping)
          fake::dma_error("swiotlb mapping beyond dma_max_mapping_size()");
        e.bounce = e.len <= fake::kSwiotlbMaxMapping
                       ? fake::alloc_swiotlb(d, e.len)
                       : 0;
        if (e.bounce == 0) {  // "swiotlb buffer is full"
          for (auto& x : m.ents)
            if (x.bounce) st().swiotlb_used.erase(x.bounce);
          st().shortages++;
          return st().last_map_err = -IODMA_ENOMEM;
        }
        // Always, whatever the direction and attributes (CVE-2022-0854).
        fake::bounce_copy(e, 0, e.len, false);
        if (sync) fake::maintain(d, e.bounce, e.len, dir, false);
        e.dma = e.bounce + d->bus_offset;
      } else {
        if (sync) fake::maintain(d, e.orig, e.len, dir, false);
        e.dma = e.orig + d->bus_offset;
      }
      m.ents.push_back(e);
      out[k++] = {e.dma, e.len};
    }
  }
  *nout = k;
  for (unsigned int i = 0; i < k; i++) {
    if (sg) fake::check_segment(d, out[i].addr, out[i].len, "DMA segment");
    if (out[i].addr + out[i].len - 1 > d->dma_mask)
      fake::dma_error("DMA segment beyond the device's mask");
    m.segs.push_back({out[i].addr, out[i].len});
  }
  st().last_map_segs = m.segs;
  st().last_map_err = 0;
  const uint64_t id = st().next_mapping++;
  std::memcpy(state, &id, sizeof(id));
  st().mappings[id] = std::move(m);
  st().total_maps++;
  bool same = before.size() == k;
  for (unsigned int i = 0; same && i < k; i++)
    same = before[i].addr == out[i].addr && before[i].len == out[i].len;
  if (same) st().same_maps++;
  return same ? IODMA_PLAT_MAPPED_SAME : 0;
}

// dma_map_page_attrs(): as one sg entry, which the fake maps the same way
// (a one-entry sg_table never merges); DMA-API debug then holds the
// unmap to the same call, address, length and direction.
int iodma_plat_map_single(void* dev, unsigned long long phys,
                          unsigned long long len, int dir, unsigned int attrs,
                          unsigned long long* dma, int* direct) {
  st().single_maps++;
  // A reuse skips the shim's bounce decision: it must name a range a single
  // mapping of this device mapped under the same device key, say what was
  // decided then (IODMA_PLAT_MAP_BOUNCED), and the range must still map so.
  const bool reuse = (attrs & IODMA_PLAT_MAP_REUSE) != 0;
  const bool said_bounced = (attrs & IODMA_PLAT_MAP_BOUNCED) != 0;
  if (!reuse && said_bounced)
    fake::dma_error("IODMA_PLAT_MAP_BOUNCED without IODMA_PLAT_MAP_REUSE");
  const auto where = std::make_tuple(static_cast<const void*>(dev),
                                     uint64_t{phys}, uint64_t{len});
  iodma_plat_dev_key key;
  read_key(dev, &key);
  if (reuse) {
    st().reused_singles++;
    auto it = st().single_decided.find(where);
    if (it == st().single_decided.end())
      fake::dma_error("a single mapping reused a decision never made");
    else if (std::memcmp(&it->second.key, &key, sizeof(key)) != 0)
      fake::dma_error("a single mapping reused another device key's decision");
    else if (it->second.bounced != said_bounced)
      fake::dma_error("a single mapping reused another decision");
  }
  const iodma_plat_range r{phys, len};
  iodma_plat_range out{};
  unsigned int n = 0;
  uint64_t id;
  st().mapping_single = true;
  int err = iodma_plat_map(dev, &id, &r, 1, dir, attrs, &out, &n);
  st().mapping_single = false;
  if (err < 0) return err;
  if (n != 1) fake::dma_error("a single mapping gave several DMA segments");
  fake::Mapping& m = st().mappings[id];
  m.single = true;
  const bool bounced = !m.ents.empty() && m.ents[0].bounce != 0;
  if (reuse && bounced != said_bounced)
    fake::dma_error("a reused single mapping's bounce decision is wrong now");
  st().single_decided[where] = fake::SingleDecision{key, bounced};
  *dma = out.addr;
  *direct = bounced ? 0 : 1;
  return 0;
}

void iodma_plat_unmap_single(void* dev, unsigned long long dma,
                             unsigned long long len, int dir,
                             unsigned int attrs) {
  for (auto it = st().mappings.begin(); it != st().mappings.end(); ++it) {
    fake::Mapping& m = it->second;
    if (m.dev != dev || m.segs.empty() || m.segs[0].first != dma) continue;
    if (!m.single) fake::dma_error("unmap_single of a scatterlist mapping");
    if (m.segs[0].second != len)
      fake::dma_error("unmap_single with another length");
    if (m.dir != dir) fake::dma_error("unmap with another direction");
    fake::unmap_entries(m, (attrs & IODMA_PLAT_SKIP_CPU_SYNC) == 0);
    st().mappings.erase(it);
    return;
  }
  fake::dma_error("unmap_single of something not mapped");
}

void iodma_plat_unmap(void* dev, void* state, int dir, unsigned int attrs) {
  uint64_t id;
  std::memcpy(&id, state, sizeof(id));
  auto it = st().mappings.find(id);
  if (it == st().mappings.end() || it->second.dev != dev) {
    fake::dma_error("unmap of something not mapped");
    return;
  }
  fake::Mapping& m = it->second;
  if (m.single) fake::dma_error("unmap_sgtable of a single mapping");
  if (m.dir != dir) fake::dma_error("unmap with another direction");
  fake::unmap_entries(m, (attrs & IODMA_PLAT_SKIP_CPU_SYNC) == 0);
  st().mappings.erase(it);
}

// dma_sync_sgtable_for_{cpu,device}(): entry by entry.
void iodma_plat_sync_mapping(void* dev, void* state, int dir, int for_cpu) {
  uint64_t id;
  std::memcpy(&id, state, sizeof(id));
  auto it = st().mappings.find(id);
  if (it == st().mappings.end() || it->second.dev != dev) {
    fake::dma_error("sync of something not mapped");
    return;
  }
  fake::check_dir(it->second.dir, dir, "sync");
  if (it->second.single) fake::dma_error("sync_sgtable of a single mapping");
  const fake::Device* d = it->second.dev;
  for (auto& e : it->second.ents) {
    const uint64_t paddr = e.bounce != 0 ? e.bounce : e.orig;
    if (for_cpu) {
      fake::maintain(d, paddr, e.len, dir, true);
      if (e.bounce != 0 && fake::writes(dir))
        fake::bounce_copy(e, 0, e.len, true);
    } else {
      if (e.bounce != 0 && fake::reads(dir))
        fake::bounce_copy(e, 0, e.len, false);
      fake::maintain(d, paddr, e.len, dir, false);
    }
  }
}

// dma_sync_single_for_{cpu,device}(): the DMA layer translates the first
// byte only (dma_to_phys(), iommu_iova_to_phys()) and works linearly from
// there, so a range must be contiguous both at the device and in memory.
void iodma_plat_sync_range(void* dev, unsigned long long dma,
                           unsigned long long len, int dir, int for_cpu) {
  auto* d = static_cast<fake::Device*>(dev);
  // A copy-buffer block?
  auto b = st().blocks.upper_bound(dma);
  if (b != st().blocks.begin()) {
    --b;
    if (b->second.dev == dev && dma - b->first < b->second.size) {
      if (dma - b->first + len > b->second.size)
        fake::dma_error("sync beyond a copy-buffer block");
      fake::check_dir(b->second.dir, dir, "sync of a copy buffer");
      fake::maintain(d, b->second.phys + (dma - b->first), len, dir, for_cpu);
      return;
    }
  }
  for (auto& [id, m] : st().mappings) {
    if (m.dev != dev) continue;
    bool inside = false;
    for (auto [a, n] : m.segs)
      if (dma >= a && dma - a + len <= n) inside = true;
    if (!inside) continue;
    fake::check_dir(m.dir, dir, "sync_range");
    uint64_t phys = 0;
    fake::resolve(d, dma, &phys);
    if (d->mode == fake::Mode::kIommu) {
      // What the CPU caches of [phys, phys + len) hold must be the range.
      for (uint64_t o = 0; o < len;
           o = fake::align_down(dma + o, fake::pg()) + fake::pg() - dma) {
        uint64_t p = 0;
        if (!fake::resolve(d, dma + o, &p) || p != phys + o) {
          fake::dma_error("sync_range of " + fake::hex(dma) + "+" +
                          fake::hex(len) +
                          ": not physically contiguous, the DMA layer would "
                          "maintain " +
                          fake::hex(phys) + "+" + fake::hex(len) +
                          " instead of the range's pages");
          break;
        }
      }
    }
    const fake::Entry* bounced = nullptr;
    for (auto& e : m.ents)
      if (e.bounce != 0 && dma >= e.dma && dma - e.dma < e.len) bounced = &e;
    uint64_t n = len;
    if (bounced != nullptr && dma - bounced->dma + len > bounced->len) {
      fake::dma_error("swiotlb: sync beyond the bounced mapping");
      n = bounced->len - (dma - bounced->dma);
    }
    if (for_cpu) fake::maintain(d, phys, n, dir, true);
    if (bounced != nullptr) {
      if (for_cpu && fake::writes(dir))
        fake::bounce_copy(*bounced, dma - bounced->dma, n, true);
      if (!for_cpu && fake::reads(dir))
        fake::bounce_copy(*bounced, dma - bounced->dma, n, false);
    }
    if (!for_cpu) fake::maintain(d, phys, n, dir, false);
    return;
  }
  fake::dma_error("sync_range of memory not mapped");
}

unsigned long long iodma_plat_phys_to_bus(void* dev, unsigned long long phys) {
  return phys + static_cast<fake::Device*>(dev)->bus_offset;
}

// dma_sync_single_for_*() of part of a live copy-buffer block.
void iodma_plat_cb_sync(void* dev, const iodma_plat_cb_block* b,
                        unsigned long long offset, unsigned long long len,
                        int dir, int for_cpu) {
  auto it = st().blocks.find(b->dma);
  if (it == st().blocks.end() || it->second.dev != dev ||
      fake::ram_ptr(it->second.phys, it->second.size) != b->cpu) {
    fake::dma_error("cb_sync of a block not allocated");
    return;
  }
  if (offset > it->second.size || len > it->second.size - offset)
    fake::dma_error("sync beyond a copy-buffer block");
  fake::check_dir(it->second.dir, dir, "sync of a copy buffer");
  const uint64_t slot = it->second.bounce;
  if (slot == 0) {
    fake::maintain(it->second.dev, it->second.phys + offset, len, dir, for_cpu);
    return;
  }
  // Mapped for both directions: the slot is copied both ways.
  const fake::Entry e{it->second.phys, it->second.size, b->dma, slot};
  if (for_cpu) {
    fake::maintain(it->second.dev, slot + offset, len, IODMA_PLAT_BIDIRECTIONAL,
                   true);
    fake::bounce_copy(e, offset, len, true);
  } else {
    fake::bounce_copy(e, offset, len, false);
    fake::maintain(it->second.dev, slot + offset, len, IODMA_PLAT_BIDIRECTIONAL,
                   false);
  }
}

unsigned long long iodma_plat_dma_to_phys(void* dev, unsigned long long dma) {
  uint64_t phys;
  if (!fake::resolve(static_cast<fake::Device*>(dev), dma, &phys)) return ~0ull;
  return phys;
}

// A block from the device's pool, highest free address first (the page
// allocator gives whatever it has below the zone's limit): below max_addr
// (and the mask) at the device for an untranslated device; behind an
// IOMMU, anywhere, at an IOVA below them. A non-coherent device under
// swiotlb whose block must lie below its mask has it mapped for its cache
// maintenance, which swiotlb bounces: the device sees a slot of the pool
// (page aligned, so at most a page naturally aligned: -EIO beyond), which
// must lie below max_addr (-EIO) and which every cb_sync copies.
int iodma_plat_cb_alloc(void* dev, unsigned long long size, int dir,
                        unsigned int gfp, unsigned long long max_addr,
                        iodma_plat_cb_block* out) {
  auto* d = static_cast<fake::Device*>(dev);
  st().gfp = gfp;
  if (max_addr < d->cb_floor) fake::dma_error("cb_alloc below the floor");
  if ((size & (size - 1)) != 0 || size < fake::pg())
    fake::dma_error("cb_alloc of a size that is not a power of two pages");
  if (st().cb.fire()) return -IODMA_ENOMEM;
  if (d->cb_unreachable) return -IODMA_EIO;
  const uint64_t limit = std::min<uint64_t>(max_addr, d->dma_mask);
  const bool iommu = d->mode == fake::Mode::kIommu;
  uint64_t top = d->cb_phys + d->cb_size;  // exclusive
  if (!iommu) {
    if (limit < d->bus_offset) return -IODMA_ENOMEM;
    if (limit - d->bus_offset < top - 1) top = limit - d->bus_offset + 1;
  }
  uint64_t phys = 0;
  bool found = false;
  if (top >= d->cb_phys + size) {
    for (uint64_t a = fake::align_down(top - size, size); a >= d->cb_phys;
         a -= size) {
      if (!fake::ram_overlaps(a, size)) {
        phys = a;
        found = true;
        break;
      }
      if (a < size) break;
    }
  }
  if (!found) {  // none left below the limit: short now
    st().shortages++;
    return -IODMA_ENOMEM;
  }
  uint64_t a = phys + d->bus_offset, iova = 0;
  if (iommu) {
    iova = fake::alloc_iova(d, size, limit);
    if (iova == 0) {
      st().shortages++;
      return -IODMA_ENOMEM;
    }
    fake::iommu_map(d, iova, phys, size);
    a = iova;
  }
  uint8_t* cpu = fake::add_ram(phys, size);
  uint64_t slot = 0;
  if (d->mode == fake::Mode::kSwiotlb && !d->coherent &&
      max_addr < d->dma_mask) {
    if (size > fake::pg()) {
      fake::recycle(std::move(st().ram.find(phys)->second));
      st().ram.erase(phys);
      return -IODMA_EIO;
    }
    slot = fake::alloc_swiotlb(d, size);
    if (slot == 0 || slot + d->bus_offset + size - 1 > max_addr) {
      if (slot != 0) st().swiotlb_used.erase(slot);
      fake::recycle(std::move(st().ram.find(phys)->second));
      st().ram.erase(phys);
      if (slot == 0) st().shortages++;
      return slot == 0 ? -IODMA_ENOMEM : -IODMA_EIO;
    }
    // The mapping bounces the (zeroed) pages into the slot.
    fake::bounce_copy(fake::Entry{phys, size, 0, slot}, 0, size, false);
    fake::maintain(d, slot, size, IODMA_PLAT_BIDIRECTIONAL, false);
    a = slot + d->bus_offset;
  }
  out->cpu = cpu;
  out->dma = a;
  out->cookie = 0;
  st().blocks[a] = {d, phys, size, dir, iova, slot};
  st().total_cbs++;
  return 0;
}

void iodma_plat_cb_free(void* dev, unsigned long long size, int dir,
                        const iodma_plat_cb_block* b) {
  const unsigned long long dma = b->dma;
  auto it = st().blocks.find(dma);
  if (it == st().blocks.end() || it->second.dev != dev ||
      it->second.size != size ||
      fake::ram_ptr(it->second.phys, size) != b->cpu || it->second.dir != dir) {
    fake::dma_error("cb_free of a block not allocated so");
    return;
  }
  if (it->second.iova != 0) {
    fake::iommu_unmap(it->second.dev, it->second.iova, size);
    fake::free_iova(it->second.dev, it->second.iova);
  }
  if (it->second.bounce != 0) st().swiotlb_used.erase(it->second.bounce);
  auto r = st().ram.find(it->second.phys);  // back to the page allocator
  fake::recycle(std::move(r->second));
  st().ram.erase(r);
  st().blocks.erase(it);
}

void iodma_plat_copy_from_phys(void* dst, unsigned long long phys,
                               unsigned long long len) {
  fake::ram_copy(phys, static_cast<uint8_t*>(dst), len, false);
}

// A CPU write into a page that is pinned, but only for reading, writes the
// shared zero page or the page cache of a read-only mapping.
void iodma_plat_copy_to_phys(unsigned long long phys, const void* src,
                             unsigned long long len) {
  if (len > 0) {
    for (uint64_t p = fake::align_down(phys, fake::pg()); p < phys + len;
         p += fake::pg()) {
      auto it = st().user_by_phys.find(p);
      if (it == st().user_by_phys.end()) continue;
      int pins = 0, write_pins = 0;
      for (const fake::UserPage* u : it->second) {
        pins += u->pins;
        write_pins += u->write_pins;
      }
      if (pins > 0 && write_pins == 0)
        fake::dma_error("CPU write into page " + fake::hex(p) +
                        ", pinned read-only");
    }
  }
  fake::ram_copy(phys, static_cast<uint8_t*>(const_cast<void*>(src)), len,
                 true);
}

void iodma_plat_bug(const char* what) {
  std::fprintf(stderr, "iodma core bug: %s\n", what);
  st().bugs++;
}

unsigned long iodma_plat_lock(void) {
  if (st().locked) iodma_plat_bug("registry lock taken twice");
  st().locked = true;
  return 0x5a;
}

void iodma_plat_unlock(unsigned long flags) {
  if (!st().locked || flags != 0x5a)
    iodma_plat_bug("registry unlock without its lock");
  st().locked = false;
}

void iodma_plat_event_copy_buffer(void* dev, unsigned long long cmd_id,
                                  unsigned long long offset,
                                  unsigned long long length, int dir,
                                  unsigned int reason, int result) {
  (void)dev;
  st().cb_events.push_back(
      fake::CbEvent{cmd_id, offset, length, dir, reason, result});
}

}  // extern "C"
