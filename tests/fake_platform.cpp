// SPDX-License-Identifier: GPL-2.0
#include "fake_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <unordered_set>

#include "../src/core/errno_codes.h"
#include "../src/core/platform.h"

namespace fake {
namespace {

constexpr uint64_t kSwiotlbBase = 0x30000000;
constexpr uint64_t kSwiotlbSize = 2ull << 20;
constexpr uint64_t kSwiotlbMaxMapping = 256 * 1024;
constexpr uint64_t kIommuMaxSeg = 65536;
constexpr uint64_t kUserTop = 0x800000000000ull;
constexpr uint64_t kVmallocBase = 0xffffc90000000000ull;

struct UserPage {
  Page page;
  bool writable;
  int pins = 0;
};

struct Entry {
  uint64_t dma, len, orig;
  uint64_t bounce;  // physical bounce slot, 0 if not bounced
};

struct Mapping {
  const Device* dev;
  int dir;
  std::vector<Entry> ents;
  // The DMA segments handed out (IOMMU entries merged), which is what
  // DMA-API debug records and checks syncs against.
  std::vector<std::pair<uint64_t, uint64_t>> segs;
};

struct Block {
  const Device* dev;
  uint64_t phys, size;
  int dir;
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

struct State {
  std::map<uint64_t, std::vector<uint8_t>> ram;  // by physical base
  std::map<uintptr_t, std::pair<uint64_t, uint64_t>> linear;  // kva->phys,len
  std::map<uint64_t, std::vector<uint64_t>> vmalloc;          // kva -> pages
  uint64_t next_vmalloc = kVmallocBase;
  std::map<uint64_t, UserPage> user;     // by user page
  std::map<uint64_t, Mapping> mappings;  // by id
  uint64_t next_mapping = 1;
  std::map<uint64_t, Block> blocks;           // by dma
  std::map<uint64_t, uint64_t> cb_cursor;     // per device cb_phys
  std::map<uint64_t, uint64_t> swiotlb_used;  // start -> len
  std::map<const Device*, uint64_t> iova_cursor;
  std::map<std::pair<const Device*, uint64_t>, uint64_t> iova_pages;
  std::unordered_set<void*> live;
  Injector alloc, map, cb, pin;
  unsigned int gfp = 0;
  long bugs = 0, total_maps = 0, total_pins = 0, total_cbs = 0;
  long dirty = 0, bounces = 0, lookups = 0;
  unsigned int map_attrs = 0;
  std::vector<std::string> dma_errors;
  // The calling task's address space (a stand-in pointer), and references.
  void* current_mm = &mm_a;
  long mm_refs = 0;
  char mm_a = 0, mm_b = 0;
};

State& st() {
  static State* s = new State;
  return *s;
}

void dma_error(const std::string& what) { st().dma_errors.push_back(what); }

uint8_t* ram_ptr(uint64_t phys, uint64_t len);

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

uint64_t alloc_swiotlb(uint64_t len) {
  if (st().ram.count(kSwiotlbBase) == 0) add_ram(kSwiotlbBase, kSwiotlbSize);
  uint64_t want = (len + 2047) & ~2047ull;
  uint64_t pos = kSwiotlbBase;
  for (auto& [s, l] : st().swiotlb_used) {
    if (s - pos >= want) break;
    pos = s + ((l + 2047) & ~2047ull);
  }
  if (pos + want > kSwiotlbBase + kSwiotlbSize) return 0;
  st().swiotlb_used[pos] = want;
  return pos;
}

uint64_t alloc_iova(const Device* d, uint64_t size, uint64_t align) {
  uint64_t& c = st().iova_cursor.try_emplace(d, d->iova_base).first->second;
  c = (c + align - 1) & ~(align - 1);
  uint64_t r = c;
  c += size;
  return r;
}

void iommu_map(const Device* d, uint64_t iova, uint64_t phys, uint64_t len) {
  for (uint64_t o = 0; o < len; o += kPage)
    st().iova_pages[{d, (iova + o) / kPage}] = (phys + o) & ~(kPage - 1);
}

void iommu_unmap(const Device* d, uint64_t iova, uint64_t len) {
  for (uint64_t o = 0; o < len; o += kPage)
    st().iova_pages.erase({d, (iova + o) / kPage});
}

// Physical address a device reaches at dma, or false.
bool resolve(const Device* d, uint64_t dma, uint64_t* phys) {
  if (dma > d->dma_mask) return false;
  if (d->mode == Mode::kIommu) {
    auto it = st().iova_pages.find({d, dma / kPage});
    if (it == st().iova_pages.end()) return false;
    *phys = it->second + dma % kPage;
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

void check_dir(int mapped, int used, const char* what) {
  if (mapped != used && mapped != IODMA_PLAT_BIDIRECTIONAL)
    dma_error(std::string(what) + ": direction differs from the mapping");
}

}  // namespace

void reset() {
  State* old = &st();
  old->~State();
  new (old) State;
}

uint8_t* add_ram(uint64_t phys, uint64_t len) {
  auto& v = st().ram[phys];
  v.assign(len, 0);
  return v.data();
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
  st().next_vmalloc += (pages.size() + 1) * kPage;
  for (uint64_t p : pages)
    if (ram_ptr(p, kPage) == nullptr) add_ram(p, kPage);
  st().vmalloc[kva] = pages;
  return reinterpret_cast<void*>(kva);
}

void map_user(uint64_t uaddr, const std::vector<uint64_t>& pages,
              bool writable) {
  for (size_t i = 0; i < pages.size(); i++) {
    if (ram_ptr(pages[i], kPage) == nullptr) add_ram(pages[i], kPage);
    UserPage& u = st().user[uaddr / kPage + i];
    u.page.phys = pages[i];
    u.writable = writable;
  }
}

bool device_write(const Device* d, uint64_t dma, const void* buf,
                  uint64_t len) {
  const uint8_t* b = static_cast<const uint8_t*>(buf);
  for (uint64_t i = 0; i < len; i++) {
    uint64_t phys;
    if (!resolve(d, dma + i, &phys) || ram_ptr(phys, 1) == nullptr)
      return false;
    *ram_ptr(phys, 1) = b[i];
  }
  return true;
}

bool device_read(const Device* d, uint64_t dma, void* buf, uint64_t len) {
  uint8_t* b = static_cast<uint8_t*>(buf);
  for (uint64_t i = 0; i < len; i++) {
    uint64_t phys;
    if (!resolve(d, dma + i, &phys) || ram_ptr(phys, 1) == nullptr)
      return false;
    b[i] = *ram_ptr(phys, 1);
  }
  return true;
}

void fail_nth_alloc(long n) { st().alloc.arm(n); }
void fail_nth_map(long n, int err) { st().map.arm(n, err); }
void fail_nth_cb(long n) { st().cb.arm(n); }
void fail_nth_pin(long n, int err) { st().pin.arm(n, err); }
long live_allocs() { return static_cast<long>(st().live.size()); }
long total_allocs() { return st().alloc.count; }
unsigned int last_gfp() { return st().gfp; }
long bug_reports() { return st().bugs; }
long live_mappings() { return static_cast<long>(st().mappings.size()); }
long live_cb_blocks() { return static_cast<long>(st().blocks.size()); }
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
long phys_lookups() { return st().lookups; }
unsigned int last_map_attrs() { return st().map_attrs; }
const std::vector<std::string>& dma_errors() { return st().dma_errors; }

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

unsigned int iodma_plat_page_shift(void) { return 12; }

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
  auto* d = static_cast<fake::Device*>(dev);
  info->translated = d->mode == fake::Mode::kIommu || d->translated_override;
  info->page_shift = d->page_shift;
  info->coherent = d->coherent;
  info->max_seg_size = d->max_seg;
  info->max_mapping_size =
      d->mode == fake::Mode::kSwiotlb ? fake::kSwiotlbMaxMapping : ~0ull;
  info->seg_boundary = d->seg_boundary;
  info->dma_mask = d->dma_mask;
  info->cb_floor = d->cb_floor;
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
  auto v = st().vmalloc.upper_bound(a);
  if (v != st().vmalloc.begin()) {
    --v;
    if (a - v->first + len <= v->second.size() * fake::kPage)
      return IODMA_PLAT_KVA_VMALLOC;
  }
  return IODMA_PLAT_KVA_INVALID;
}

unsigned long long iodma_plat_vmalloc_phys(const void* kva) {
  st().lookups++;
  const auto a = reinterpret_cast<uintptr_t>(kva);
  auto v = st().vmalloc.upper_bound(a);
  --v;
  const uint64_t off = a - v->first;
  return v->second.at(off / fake::kPage) + off % fake::kPage;
}

unsigned long long iodma_plat_page_phys(void* page) {
  st().lookups++;
  return static_cast<fake::Page*>(page)->phys;
}

int iodma_plat_phys_is_ram(unsigned long long phys, unsigned long long len) {
  return fake::ram_ptr(phys, len) != nullptr;
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

int iodma_plat_vmalloc_ok(const void* kva, unsigned long long len) {
  const auto a = reinterpret_cast<uintptr_t>(kva);
  auto v = st().vmalloc.upper_bound(a);
  if (v == st().vmalloc.begin()) return 0;
  --v;
  return a - v->first + len <= v->second.size() * fake::kPage;
}

int iodma_plat_pin_user(unsigned long long uaddr, unsigned int npages,
                        int write, void** pages) {
  if (st().pin.fire()) return st().pin.err;
  for (unsigned int i = 0; i < npages; i++) {
    auto it = st().user.find(uaddr / fake::kPage + i);
    if (it == st().user.end() || (write && !it->second.writable)) {
      for (unsigned int j = 0; j < i; j++)
        st().user[uaddr / fake::kPage + j].pins--;
      return -IODMA_EFAULT;
    }
    it->second.pins++;
    pages[i] = &it->second.page;
  }
  st().total_pins++;
  return 0;
}

void iodma_plat_unpin_user(void** pages, unsigned int npages, int dirty) {
  for (unsigned int i = 0; i < npages; i++) {
    bool found = false;
    for (auto& [k, u] : st().user) {
      if (&u.page == pages[i]) {
        if (u.pins <= 0) fake::dma_error("unpin of an unpinned page");
        u.pins--;
        found = true;
        break;
      }
    }
    if (!found) fake::dma_error("unpin of an unknown page");
    if (dirty) st().dirty++;
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

int iodma_plat_map(void* dev, void* state, const iodma_plat_range* ranges,
                   unsigned int n, int dir, unsigned int attrs,
                   iodma_plat_range* out, unsigned int* nout) {
  // swiotlb fills its bounce slots whatever the attributes (below).
  st().map_attrs = attrs;
  auto* d = static_cast<fake::Device*>(dev);
  if (st().map.fire()) return st().map.err;
  fake::Mapping m{d, dir, {}, {}};
  uint64_t iova = 0;
  if (d->mode == fake::Mode::kIommu) {
    uint64_t total = 0;
    for (unsigned int i = 0; i < n; i++)
      total +=
          ((ranges[i].addr % fake::kPage) + ranges[i].len + fake::kPage - 1) &
          ~(fake::kPage - 1);
    iova = fake::alloc_iova(d, total, fake::kPage);
  }
  for (unsigned int i = 0; i < n; i++) {
    // What DMA-API debug's check_sg_segment() reports.
    if (ranges[i].len > d->max_seg)
      fake::dma_error(
          "mapping sg segment longer than device claims to support");
    if (d->seg_boundary != 0 &&
        ranges[i].addr / d->seg_boundary !=
            (ranges[i].addr + ranges[i].len - 1) / d->seg_boundary)
      fake::dma_error("mapping sg segment across boundary");
    fake::Entry e{0, ranges[i].len, ranges[i].addr, 0};
    if (d->mode == fake::Mode::kIommu) {
      const uint64_t off = ranges[i].addr % fake::kPage;
      const uint64_t span =
          (off + e.len + fake::kPage - 1) & ~(fake::kPage - 1);
      fake::iommu_map(d, iova, ranges[i].addr - off, span);
      e.dma = iova + off;
      iova += span;
    } else if (d->mode == fake::Mode::kSwiotlb ||
               ranges[i].addr + e.len - 1 + d->bus_offset > d->dma_mask) {
      e.bounce =
          e.len <= fake::kSwiotlbMaxMapping ? fake::alloc_swiotlb(e.len) : 0;
      if (e.bounce == 0 || e.bounce + e.len - 1 + d->bus_offset > d->dma_mask) {
        if (e.bounce != 0) st().swiotlb_used.erase(e.bounce);
        for (auto& x : m.ents)
          if (x.bounce) st().swiotlb_used.erase(x.bounce);
        return -IODMA_EIO;  // "swiotlb buffer is full" / "overflow"
      }
      fake::bounce_copy(e, 0, e.len, false);  // always, like swiotlb
      e.dma = e.bounce + d->bus_offset;
    } else {
      e.dma = ranges[i].addr + d->bus_offset;
    }
    m.ents.push_back(e);
  }
  // Device ranges: IOMMU entries that continue each other are merged, as
  // dma-iommu does, up to the maximum segment size.
  unsigned int k = 0;
  for (const auto& e : m.ents) {
    if (k > 0 && d->mode == fake::Mode::kIommu &&
        out[k - 1].addr + out[k - 1].len == e.dma &&
        out[k - 1].len + e.len <= fake::kIommuMaxSeg) {
      out[k - 1].len += e.len;
      continue;
    }
    out[k++] = {e.dma, e.len};
  }
  *nout = k;
  for (unsigned int i = 0; i < k; i++)
    m.segs.push_back({out[i].addr, out[i].len});
  const uint64_t id = st().next_mapping++;
  std::memcpy(state, &id, sizeof(id));
  st().mappings[id] = std::move(m);
  st().total_maps++;
  return 0;
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
  if (m.dir != dir) fake::dma_error("unmap with another direction");
  for (auto& e : m.ents) {
    if (e.bounce != 0) {
      if (!(attrs & IODMA_PLAT_SKIP_CPU_SYNC) && fake::writes(dir))
        fake::bounce_copy(e, 0, e.len, true);
      st().swiotlb_used.erase(e.bounce);
    }
    if (m.dev->mode == fake::Mode::kIommu)
      fake::iommu_unmap(m.dev, e.dma & ~(fake::kPage - 1),
                        (e.dma % fake::kPage) + e.len);
  }
  st().mappings.erase(it);
}

void iodma_plat_sync_mapping(void* dev, void* state, int dir, int for_cpu) {
  uint64_t id;
  std::memcpy(&id, state, sizeof(id));
  auto it = st().mappings.find(id);
  if (it == st().mappings.end() || it->second.dev != dev) {
    fake::dma_error("sync of something not mapped");
    return;
  }
  fake::check_dir(it->second.dir, dir, "sync");
  for (auto& e : it->second.ents) {
    if (e.bounce == 0) continue;
    if (for_cpu && fake::writes(dir)) fake::bounce_copy(e, 0, e.len, true);
    if (!for_cpu && fake::reads(dir)) fake::bounce_copy(e, 0, e.len, false);
  }
}

void iodma_plat_sync_range(void* dev, unsigned long long dma,
                           unsigned long long len, int dir, int for_cpu) {
  // A copy-buffer block?
  auto b = st().blocks.upper_bound(dma);
  if (b != st().blocks.begin()) {
    --b;
    if (b->second.dev == dev && dma - b->first + len <= b->second.size) {
      fake::check_dir(b->second.dir, dir, "sync of a copy buffer");
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
    for (auto& e : m.ents) {
      if (e.bounce == 0 || dma + len <= e.dma || e.dma + e.len <= dma) continue;
      const uint64_t lo = std::max<uint64_t>(dma, e.dma);
      const uint64_t hi = std::min<uint64_t>(dma + len, e.dma + e.len);
      if (for_cpu && fake::writes(dir))
        fake::bounce_copy(e, lo - e.dma, hi - lo, true);
      if (!for_cpu && fake::reads(dir))
        fake::bounce_copy(e, lo - e.dma, hi - lo, false);
    }
    return;
  }
  fake::dma_error("sync_range of memory not mapped");
}

unsigned long long iodma_plat_phys_to_bus(void* dev, unsigned long long phys) {
  return phys + static_cast<fake::Device*>(dev)->bus_offset;
}

int iodma_plat_cb_alloc(void* dev, unsigned long long size, int dir,
                        unsigned int gfp, unsigned long long max_addr,
                        iodma_plat_cb_block* out) {
  auto* d = static_cast<fake::Device*>(dev);
  st().gfp = gfp;
  if (max_addr < d->cb_floor) fake::dma_error("cb_alloc below the floor");
  if (st().cb.fire()) return -IODMA_ENOMEM;
  uint64_t& cur =
      st().cb_cursor.try_emplace(d->cb_phys, d->cb_phys).first->second;
  const uint64_t phys = (cur + size - 1) & ~(size - 1);
  // Untranslated: the memory itself must lie below the limit; none left
  // there is "short now".
  if (d->mode != fake::Mode::kIommu &&
      phys + size - 1 + d->bus_offset > max_addr)
    return -IODMA_ENOMEM;
  cur = phys + size;
  uint8_t* p = fake::ram_ptr(phys, size);
  if (p == nullptr) p = fake::add_ram(phys, size);
  std::memset(p, 0, size);
  uint64_t a = phys + d->bus_offset;
  if (d->mode == fake::Mode::kIommu) {
    a = fake::alloc_iova(d, size, size);
    fake::iommu_map(d, a, phys, size);
  }
  out->cpu = p;
  out->dma = a;
  out->cookie = 0;
  st().blocks[a] = {d, phys, size, dir};
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
  if (it->second.dev->mode == fake::Mode::kIommu)
    fake::iommu_unmap(it->second.dev, dma, size);
  st().blocks.erase(it);
}

unsigned long long iodma_plat_dma_to_phys(void* dev, unsigned long long dma) {
  uint64_t phys;
  if (!fake::resolve(static_cast<fake::Device*>(dev), dma, &phys)) return ~0ull;
  return phys;
}

void iodma_plat_copy_from_phys(void* dst, unsigned long long phys,
                               unsigned long long len) {
  fake::ram_copy(phys, static_cast<uint8_t*>(dst), len, false);
}

void iodma_plat_copy_to_phys(unsigned long long phys, const void* src,
                             unsigned long long len) {
  fake::ram_copy(phys, static_cast<uint8_t*>(const_cast<void*>(src)), len,
                 true);
}

void iodma_plat_bug(const char* what) {
  std::fprintf(stderr, "iodma core bug: %s\n", what);
  st().bugs++;
}

}  // extern "C"
