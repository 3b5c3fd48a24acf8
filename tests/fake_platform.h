// SPDX-License-Identifier: GPL-2.0
// A fake of src/core/platform.h for host tests: physical RAM with real
// bytes (and reserved ranges that are not RAM), a page size of 4, 16 or
// 64 KiB, devices that map like dma-direct, swiotlb (bouncing) or
// dma-iommu, with their own DMA limits (mask, maximum segment, segment
// boundary, sub-page values included) and cache coherence, user pages of
// two address spaces with pin counts, copy-buffer blocks from a pool that
// honours address limits, and an allocator that counts and can fail the
// Nth call. It checks its callers like DMA-API debug does (and a little
// more: the seam's own contracts), logs the CPU cache maintenance a
// non-coherent machine would do, and counts what is outstanding, so tests
// can assert that nothing leaks.
#ifndef IODMA_TESTS_FAKE_PLATFORM_H
#define IODMA_TESTS_FAKE_PLATFORM_H

#include <cstdint>
#include <string>
#include <vector>

namespace fake {

// The default page size (set_page_shift() changes the current one).
constexpr uint64_t kPage = 4096;
// In vmalloc_of(): a page of the area that is not mapped (a guard hole).
constexpr uint64_t kNoPage = ~0ull;
// swiotlb's pool, and the longest range one bounce may take.
constexpr uint64_t kSwiotlbBase = 0x30000000;
constexpr uint64_t kSwiotlbSize = 2ull << 20;
constexpr uint64_t kSwiotlbMaxMapping = 256 * 1024;

enum class Mode { kDirect, kSwiotlb, kIommu };

// What a fake device looks like to the core. Pass its address as `dev`.
// Every field is read when the core queries the device, so a test may
// change the limits after creating commands (as a driver's probe may).
struct Device {
  Mode mode = Mode::kDirect;
  bool translated_override = false;  // report translation without IOMMU
  uint64_t dma_mask = ~0ull;         // what the device reaches (bounce above)
  uint64_t bus_offset = 0;           // bus address = phys + bus_offset
  uint64_t iova_base = 0xfff00000;   // IOMMU: where IOVA allocation starts
  uint64_t cb_phys = 0x00200000;     // the copy-buffer pool (physical)...
  uint64_t cb_size = 16ull << 20;    // ...and its size
  uint64_t max_seg = ~0ull;          // dma_get_max_seg_size
  uint64_t seg_boundary = 0;         // dma_get_seg_boundary + 1 (0: none)
  bool coherent = true;              // dev_is_dma_coherent
  uint64_t cb_floor = 0;             // lowest limit a copy buffer meets
  bool cb_unreachable = false;       // cb_alloc: -EIO (memory encryption)
  int refs = 0;                      // references the core holds right now
};

// A struct page stand-in.
struct Page {
  uint64_t phys;
};

// A struct sg_table stand-in (CPU view).
struct SgTable {
  std::vector<std::pair<uint64_t, uint64_t>> ents;  // phys, len
};

// Forget all state: RAM, user mappings, counters, failure settings, the
// cache log; the page size returns to 4 KiB.
void reset();

// --- the page size: log2 12, 14 or 16. Set it right after reset(), before
// anything is created; it is the CPU page (RAM, user, vmalloc), the IOMMU
// granule, and what iodma_plat_page_shift() and dev_query report.
void set_page_shift(unsigned shift);
unsigned page_shift();
uint64_t page_size();

// --- memory ---
// Add RAM at [phys, phys + len) (zeroed) and return its bytes.
uint8_t* add_ram(uint64_t phys, uint64_t len);
// A reserved range (MMIO, firmware, the VGA hole): the CPU can address it
// (it has bytes, pfn_valid() holds) but it is not System RAM.
uint8_t* add_reserved(uint64_t phys, uint64_t len);
// Bytes of RAM at phys (must be inside one region).
uint8_t* ram(uint64_t phys);
// A "kmalloc" buffer: RAM at phys; returns its kernel address.
void* kmalloc_at(uint64_t phys, uint64_t len);
// A "vmalloc" buffer over the given physical pages (kNoPage: a hole in the
// area); returns its address. Each area is followed by a guard page.
void* vmalloc_of(const std::vector<uint64_t>& page_phys);

// --- address spaces: the calling task is in mm A (the default), in
// another one (B), or a kernel thread without one.
enum class Mm { kA, kB, kNone };
void set_current_mm(Mm mm);
long mm_refs();  // address-space references the core holds

// A user mapping of the given physical pages at uaddr (page aligned) in
// address space `mm`. A read-only mapping stands for the shared zero page
// or the page cache of a read-only private file mapping.
void map_user(uint64_t uaddr, const std::vector<uint64_t>& page_phys,
              bool writable, Mm mm = Mm::kA);

// --- the device's side: DMA to and from device addresses, as the engine
// would do it (through the IOMMU tables, or to bus addresses). False when
// the address is not mapped or beyond the device's dma_mask.
bool device_write(const Device* dev, uint64_t dma, const void* buf,
                  uint64_t len);
bool device_read(const Device* dev, uint64_t dma, void* buf, uint64_t len);

// --- CPU cache maintenance, as arch_sync_dma_for_{cpu,device}() would be
// called for a non-coherent device (none on coherent ones): the physical
// range, the direction and the side.
struct CacheOp {
  uint64_t phys, len;
  int dir;
  bool for_cpu;
};
const std::vector<CacheOp>& cache_ops();
void clear_cache_ops();

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
void forget_bug_reports();  // after a test that provokes one on purpose
long live_mappings();       // map without unmap
long live_cb_blocks();      // cb_alloc without cb_free
long live_iovas();          // IOVA ranges allocated and not freed
long pinned_pages();        // pinned and not unpinned
long total_maps();
long total_pins();
long total_cb_allocs();
long dirty_unpins();   // pages unpinned as dirty
long bounce_copies();  // swiotlb bounce copies made
long shortages();      // -ENOMEM from map or cb_alloc (not injected)
long phys_lookups();   // page/vmalloc address translations made
unsigned int last_map_attrs();
// The last iodma_plat_map(): its result, and the device ranges it gave.
long map_calls();
// iodma_plat_dev_query() calls, iodma_plat_dev_read_key() and
// iodma_plat_dev_key_same() calls (reads of the key), and how many of
// the map calls were iodma_plat_map_single().
long dev_queries();
long dev_key_reads();
long single_maps();
// iodma_plat_map_single() calls with IODMA_PLAT_MAP_REUSE (each checked:
// the same range as the last direct single mapping, same device key).
long reused_singles();
// iodma_plat_map() calls with IODMA_PLAT_MAP_REUSE (each checked: the
// state's scatterlist must hold the same ranges and not be mapped).
long reused_maps();
// iodma_plat_map() calls that returned IODMA_PLAT_MAPPED_SAME: the ranges
// the caller asked to have compared, exactly.
long same_maps();
// iodma_plat_page_run() calls: one per run of contiguous pinned pages.
long page_runs();
int last_map_result();
std::vector<std::pair<uint64_t, uint64_t>> last_map_segments();
// Errors a DMA-API debug build would report (wrong direction, unknown
// address, sync outside a mapping, segment beyond the device's limits...),
// and breaches of the seam's contracts the kernel would not report but
// that corrupt memory (a CPU write into a page pinned read-only, cache
// maintenance of memory other than the synced range's), with their text.
const std::vector<std::string>& dma_errors();
// Return the errors and forget them (after provoking one on purpose).
std::vector<std::string> take_dma_errors();

// Whether cb_alloc() may refuse @d's copy-buffer blocks for good (-EIO)
// for a spec of @max_address whose strictest alignment is @align: where
// swiotlb bounces the blocks (a non-coherent device whose blocks lie below
// its mask), a slot above @max_address, or a block larger than a page.
bool cb_bounce_may_refuse(const Device& d, uint64_t max_address,
                          uint64_t align);

// iodma_plat_event_copy_buffer() calls, in order.
struct CbEvent {
  uint64_t cmd_id;
  uint64_t offset, length;
  int dir;
  unsigned reason;
  int result;
};
const std::vector<CbEvent>& cb_events();
// Whether the registry lock (iodma_plat_lock) is held now; taking it twice
// (a deadlock in the kernel) is reported as a core bug.
bool lock_held();

}  // namespace fake

#endif  // IODMA_TESTS_FAKE_PLATFORM_H
