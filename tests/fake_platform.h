// SPDX-License-Identifier: GPL-2.0
// A fake of src/core/platform.h for host tests: physical RAM with real
// bytes, devices that map like dma-direct, swiotlb (bouncing) or an IOMMU,
// user pages with pin counts, copy-buffer blocks, and an allocator that
// counts and can fail the Nth call. It checks its callers like DMA-API
// debug does and counts what is outstanding, so tests can assert that
// nothing leaks.
#ifndef IODMA_TESTS_FAKE_PLATFORM_H
#define IODMA_TESTS_FAKE_PLATFORM_H

#include <cstdint>
#include <string>
#include <vector>

namespace fake {

constexpr uint64_t kPage = 4096;

enum class Mode { kDirect, kSwiotlb, kIommu };

// What a fake device looks like to the core. Pass its address as `dev`.
struct Device {
  Mode mode = Mode::kDirect;
  bool translated_override = false;  // report translation without IOMMU
  uint8_t page_shift = 12;
  uint64_t dma_mask = ~0ull;        // what the device reaches (bounce above)
  uint64_t bus_offset = 0;          // bus address = phys + bus_offset
  uint64_t iova_base = 0xfff00000;  // IOMMU: where IOVAs are allocated
  uint64_t cb_phys = 0x00200000;    // where copy-buffer blocks come from
  uint64_t max_seg = ~0ull;         // dma_get_max_seg_size
  uint64_t seg_boundary = 0;        // dma_get_seg_boundary + 1 (0: none)
  bool coherent = true;             // dev_is_dma_coherent
  uint64_t cb_floor = 0;            // lowest limit a copy buffer meets
  int refs = 0;                     // references the core holds right now
};

// A struct page stand-in.
struct Page {
  uint64_t phys;
};

// A struct sg_table stand-in (CPU view).
struct SgTable {
  std::vector<std::pair<uint64_t, uint64_t>> ents;  // phys, len
};

// Forget all state: RAM, user mappings, counters, failure settings.
void reset();

// --- memory ---
// Add RAM at [phys, phys + len) (zeroed) and return its bytes.
uint8_t* add_ram(uint64_t phys, uint64_t len);
// Bytes of RAM at phys (must be inside one region).
uint8_t* ram(uint64_t phys);
// A "kmalloc" buffer: RAM at phys; returns its kernel address.
void* kmalloc_at(uint64_t phys, uint64_t len);
// A "vmalloc" buffer over the given physical pages; returns its address.
void* vmalloc_of(const std::vector<uint64_t>& page_phys);
// A user mapping of the given physical pages at uaddr (page aligned).
void map_user(uint64_t uaddr, const std::vector<uint64_t>& page_phys,
              bool writable);

// --- the device's side: DMA to and from device addresses, as the engine
// would do it (through the IOMMU tables, or to bus addresses). False when
// the address is not mapped or beyond the device's dma_mask.
bool device_write(const Device* dev, uint64_t dma, const void* buf,
                  uint64_t len);
bool device_read(const Device* dev, uint64_t dma, void* buf, uint64_t len);

// --- address spaces: the calling task is in mm A (the default), in
// another one (B), or a kernel thread without one.
enum class Mm { kA, kB, kNone };
void set_current_mm(Mm mm);
long mm_refs();  // address-space references the core holds

// --- failure injection (0-based, counted from the call) ---
void fail_nth_alloc(long n);         // iodma_plat_alloc
void fail_nth_map(long n, int err);  // iodma_plat_map
void fail_nth_cb(long n);            // iodma_plat_cb_alloc
void fail_nth_pin(long n, int err);  // iodma_plat_pin_user

// --- accounting ---
long live_allocs();
long total_allocs();
unsigned int last_gfp();
long bug_reports();
long live_mappings();   // map without unmap
long live_cb_blocks();  // cb_alloc without cb_free
long pinned_pages();    // pinned and not unpinned
long total_maps();
long total_pins();
long total_cb_allocs();
long dirty_unpins();   // pages unpinned as dirty
long bounce_copies();  // swiotlb bounce copies made
long phys_lookups();   // page/vmalloc address translations made
unsigned int last_map_attrs();
// Errors a DMA-API debug build would report (wrong direction, unknown
// address, sync outside a mapping...), with their text.
const std::vector<std::string>& dma_errors();

}  // namespace fake

#endif  // IODMA_TESTS_FAKE_PLATFORM_H
