// SPDX-License-Identifier: GPL-2.0
// Devices beyond the defaults and non-coherent platforms (issue 9, SPEC.md
// section 10). One test per defect an outside review found (each fails on
// the core before its fix), tests on 16 and 64 KiB pages, and tests that the
// fake platform behaves like the kernel where these depend on it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <tuple>

#include "../src/core/md.h"
#include "random_world.h"
#include "xfer_fixture.h"

namespace {

using world::merged;
using world::Ranges;
using world::slice;
using xfer::kBidi;
using xfer::kFromDev;
using xfer::kToDev;
using xfer::XferTest;

constexpr unsigned kForCpu = IODMA_CORE_SYNC_FOR_CPU;
constexpr unsigned kForDev = IODMA_CORE_SYNC_FOR_DEVICE;

bool prepared(iodma_cmd* c) {
  unsigned long long o, l;
  return iodma_core_cmd_prepared_range(c, &o, &l) == 0;
}

// The cache maintenance logged since the last clear, for one side.
Ranges maintained(bool for_cpu, unsigned dir) {
  Ranges out;
  for (const auto& op : fake::cache_ops()) {
    EXPECT_EQ(op.dir, static_cast<int>(dir));
    if (op.for_cpu == for_cpu) out.push_back({op.phys, op.len});
  }
  return merged(out);
}

std::string str(const Ranges& r) {
  std::string s;
  char b[64];
  for (auto [a, n] : r) {
    std::snprintf(b, sizeof(b), "%#llx+%#llx ", (unsigned long long)a,
                  (unsigned long long)n);
    s += b;
  }
  return s;
}

class DeviceLimitsTest : public XferTest {
 protected:
  // Every emitted segment within the device's own DMA limits.
  void expect_within_device(const std::vector<model::Seg>& segs) {
    for (const auto& g : segs) {
      SCOPED_TRACE(str({{g.addr, g.len}}));
      EXPECT_GE(g.len, 1u);
      EXPECT_LE(g.len, dev_.max_seg);
      if (dev_.seg_boundary != 0) {
        EXPECT_EQ(g.addr / dev_.seg_boundary,
                  (g.addr + g.len - 1) / dev_.seg_boundary);
      }
      EXPECT_LE(g.addr + g.len - 1, dev_.dma_mask);
    }
  }

  // Every segment of a command with a host-order 32-bit format.
  std::vector<model::Seg> gen_all32(iodma_cmd* c) {
    std::vector<model::Seg> out;
    unsigned long long off = 0, plen = 0, poff = 0;
    EXPECT_EQ(iodma_core_cmd_prepared_range(c, &poff, &plen), 0);
    uint32_t buf[2 * 16];
    while (off < plen) {
      unsigned n = 16;
      const int err = iodma_core_cmd_gen_segments(c, &off, buf, &n);
      EXPECT_EQ(err, 0);
      if (err != 0) break;
      for (unsigned i = 0; i < n; i++)
        out.push_back({buf[2 * i], buf[2 * i + 1]});
    }
    return out;
  }

  static uint64_t total(const std::vector<model::Seg>& segs) {
    uint64_t t = 0;
    for (const auto& g : segs) t += g.len;
    return t;
  }

  // The device accesses prepared [off, off + data.size()) through segs.
  void device_at(const std::vector<model::Seg>& segs, uint64_t off,
                 uint8_t* data, uint64_t len, bool write) {
    uint64_t pos = 0;
    for (const auto& g : segs) {
      if (len == 0) break;
      if (off >= pos + g.len) {
        pos += g.len;
        continue;
      }
      const uint64_t in = off - pos, n = std::min(len, g.len - in);
      if (write)
        EXPECT_TRUE(fake::device_write(&dev_, g.addr + in, data, n));
      else
        EXPECT_TRUE(fake::device_read(&dev_, g.addr + in, data, n));
      data += n;
      off += n;
      len -= n;
      pos += g.len;
    }
    EXPECT_EQ(len, 0u);
  }
  std::vector<uint8_t> device_read_at(const std::vector<model::Seg>& segs,
                                      uint64_t off, uint64_t len) {
    std::vector<uint8_t> b(len);
    device_at(segs, off, b.data(), len, false);
    return b;
  }
  void device_write_at(const std::vector<model::Seg>& segs, uint64_t off,
                       std::vector<uint8_t> data) {
    device_at(segs, off, data.data(), data.size(), true);
  }

  iodma_md* user_md(uint64_t uaddr, uint64_t len, unsigned dir) {
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_USER;
    d.dir = dir;
    d.uaddr = uaddr;
    d.len = len;
    return make_md(d);
  }
  iodma_md* sg_md(fake::SgTable* t, unsigned dir) {
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_SGTABLE;
    d.dir = dir;
    d.sgt = t;
    return make_md(d);
  }
  static int try_md(const iodma_core_md_desc& d) {
    iodma_md* m = nullptr;
    const int err = iodma_core_md_create(&d, 0, &m);
    if (err == 0) iodma_core_md_put(m);
    return err;
  }
};

// --- issue 9 item 1: heap overflow in prepare ---

// The bound of the physical ranges undercounted entries that start
// unaligned and cross the device's segment boundary: 113 for 200 written.
TEST_F(DeviceLimitsTest, SgEntriesAcrossTheBoundaryStayInsidePrepare) {
  dev_.seg_boundary = 65536;
  fake::SgTable t;
  std::vector<uint8_t> want;
  for (unsigned i = 0; i < 100; i++) {
    // 8 KiB from 60 KiB into a 64 KiB block: 4 KiB either side.
    const uint64_t phys = 0x1000000 + i * 0x20000 + 0xf000;
    fake::add_ram(phys, 8192);
    fill(phys, 8192, i);
    auto p = expect_pattern(0, 8192, i);
    want.insert(want.end(), p.begin(), p.end());
    t.ents.push_back({phys, 8192});
  }
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, sg_md(&t, kBidi), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  EXPECT_EQ(segs.size(), 200u);
  expect_within_device(segs);
  EXPECT_EQ(device_reads(segs), want);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// A PCI-default device (64 KiB segments, 4 GiB boundary) and a linear
// range from 512 bytes below 4 GiB: bound 16, 17 ranges written.
TEST_F(DeviceLimitsTest, LinearRangeAcross4GiBStaysInsidePrepare) {
  dev_.max_seg = 65536;
  dev_.seg_boundary = 1ull << 32;
  const uint64_t len = 15 * 65536 + 1024;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0xfffffe00, len, kBidi, 4), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  EXPECT_EQ(segs.size(), 17u);
  expect_within_device(segs);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, len, 4));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- item 2: write_bytes into pages pinned without write access ---

TEST_F(DeviceLimitsTest, WriteBytesNeverWritesPagesPinnedReadOnly) {
  const std::vector<uint8_t> junk(300, 0xab);
  // A read-only mapping (the zero page, a read-only file's page cache) and
  // a writable one: a to-device descriptor pins both without write access.
  for (bool writable : {false, true}) {
    SCOPED_TRACE(writable ? "writable mapping" : "read-only mapping");
    const uint64_t uaddr = writable ? 0x40000000 : 0x50000000;
    const uint64_t p0 = writable ? 0x1200000 : 0x1100000;
    fake::map_user(uaddr, {p0, p0 + 0x2000}, writable);
    fill(p0, 4096, 1);
    fill(p0 + 0x2000, 4096, 2);
    iodma_cmd* c = cmd();
    ASSERT_EQ(iodma_core_cmd_set_md(c, user_md(uaddr + 100, 8000, kToDev), 0),
              0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    ASSERT_FALSE(iodma_core_cmd_is_double_buffered(c));
    EXPECT_EQ(iodma_core_cmd_write_bytes(c, 0, junk.data(), 300), 0u);
    EXPECT_EQ(iodma_core_cmd_write_bytes(c, 3900, junk.data(), 300), 0u);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    EXPECT_EQ(ram_bytes(p0, 4096), expect_pattern(0, 4096, 1));
    EXPECT_EQ(ram_bytes(p0 + 0x2000, 4096), expect_pattern(0, 4096, 2));
  }
  // With a copy buffer under the range the bytes go there, for the device.
  iodma_core_spec s = spec();
  s.address_bits = 24;  // the pages at 17 MiB are out of reach
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, user_md(0x50000000, 8192, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
  EXPECT_EQ(iodma_core_cmd_write_bytes(c, 10, junk.data(), 300), 300u);
  EXPECT_EQ(device_read_at(gen_all(c), 10, 300), junk);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(ram_bytes(0x1100000, 4096), expect_pattern(0, 4096, 1));
}

// --- item 3: synchronize_range through an IOMMU ---

// Scattered pages merged into one IOVA segment: dma_sync_single_*()
// translates only the first page, so each sync must stay within one
// physical range, and together they must maintain exactly the range.
TEST_F(DeviceLimitsTest, SynchronizeRangeThroughAnIommuMaintainsTheRange) {
  dev_.mode = fake::Mode::kIommu;
  dev_.coherent = false;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 8, kBidi), 0), 0);
  Ranges pages;
  for (uint64_t p : vm_pages_) pages.push_back({p, 4096});
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(gen_all(c).size(), 1u) << "one IOVA segment over 8 pages";
  EXPECT_EQ(maintained(false, kBidi), merged(pages)) << "map: for the device";
  struct {
    uint64_t off, len;
  } cases[] = {{100, 5 * 4096 + 50}, {2 * 4096 - 10, 20}, {0, 8 * 4096},
               {3 * 4096, 4096},     {8 * 4096 - 1, 1},   {4095, 2}};
  for (auto k : cases) {
    for (bool cpu : {true, false}) {
      SCOPED_TRACE(std::to_string(k.off) + "+" + std::to_string(k.len) +
                   (cpu ? " for cpu" : " for device"));
      fake::clear_cache_ops();
      ASSERT_EQ(iodma_core_cmd_synchronize_range(c, k.off, k.len,
                                                 cpu ? kForCpu : kForDev),
                0);
      const Ranges want = slice(pages, k.off, k.len);
      EXPECT_EQ(maintained(cpu, kBidi), want) << str(maintained(cpu, kBidi));
      EXPECT_EQ(maintained(!cpu, kBidi), Ranges{});
    }
  }
  fake::clear_cache_ops();
  ASSERT_EQ(iodma_core_cmd_synchronize(c, kForCpu), 0);
  EXPECT_EQ(maintained(true, kBidi), merged(pages));
  fake::clear_cache_ops();
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(maintained(true, kBidi), merged(pages)) << "unmap: for the CPU";
}

// --- item 4: the copy buffer and address bits narrower than the mask ---

TEST_F(DeviceLimitsTest, CopyBufferMeetsAddressBitsNarrowerThanTheMask) {
  dev_.dma_mask = 0xffffffff;
  // The page allocator's memory straddles 2^28 and it hands out the
  // highest first; a block can be had below 0x0f0fffff at the lowest.
  dev_.cb_phys = 0x0f000000;
  dev_.cb_size = 32ull << 20;
  dev_.cb_floor = dev_.cb_phys + (1 << 20) - 1;
  iodma_core_spec s = spec();
  s.address_bits = 28;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x20000000, 65536, kBidi, 5), 0),
            0);
  for (unsigned round = 0; round < 3; round++) {
    SCOPED_TRACE(round);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
    auto segs = gen_all(c);
    for (const auto& g : segs) EXPECT_LE(g.addr + g.len - 1, 0x0fffffffu);
    EXPECT_EQ(device_reads(segs), expect_pattern(0, 65536, 5 + round));
    device_writes(segs, 6 + round);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    EXPECT_EQ(ram_bytes(0x20000000, 65536),
              expect_pattern(0, 65536, 6 + round));
  }
  // Short now (a retry may succeed): -ENOMEM.
  fake::fail_nth_cb(0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENOMEM);
  // Never below 2^24 on this device: not a retryable error.
  s.address_bits = 24;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
  EXPECT_FALSE(prepared(c));
  // Memory the platform can only give bounced (-EIO): never either.
  s.address_bits = 28;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  dev_.cb_unreachable = true;
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  EXPECT_EQ(fake::live_mappings(), 0);
}

// A non-coherent device under swiotlb=force: the copy buffer's pages are
// mapped for their cache maintenance and swiotlb bounces them. A slot the
// device reaches below address_bits serves (SPEC.md 10.5): blocks of one
// page (a slot is page aligned, no more), the device works on the slots,
// every sync copies between them and the pages, both ways. A slot above
// the limit, or a spec that needs blocks larger than a page, can never be
// served: -EOPNOTSUPP, nothing held.
TEST_F(DeviceLimitsTest, CopyBufferBouncedBelowTheLimitServes) {
  dev_.mode = fake::Mode::kSwiotlb;
  dev_.coherent = false;
  dev_.dma_mask = 0xffffffff;
  const uint64_t len = 3 * 4096 + 100, pool = fake::kSwiotlbBase;
  iodma_core_spec s = spec();
  s.address_bits = 30;  // the pool (768 MiB) is below, the md above
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x50000000, len, kBidi, 5), 0), 0);
  for (unsigned round = 0; round < 3; round++) {
    SCOPED_TRACE(round);
    if (round == 2) {  // the reservation: the same blocks, both ways
      ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, len), 0);
    }
    // swiotlb's own bounce of the md already meets the spec: force ours.
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    const long bounces = fake::bounce_copies();
    ASSERT_EQ(
        iodma_core_cmd_synchronize(c, IODMA_CORE_SYNC_FOR_DEVICE |
                                          IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER),
        0);
    ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
    EXPECT_GT(fake::bounce_copies(), bounces) << "filled into the slots";
    EXPECT_EQ(fake::live_cb_blocks(), 4) << "one page a block";
    const auto segs = gen_all(c);
    for (const auto& g : segs) {
      EXPECT_GE(g.addr, pool);
      EXPECT_LE(g.addr + g.len - 1, (1ull << 30) - 1);
    }
    EXPECT_EQ(device_reads(segs), expect_pattern(0, len, 5 + round));
    device_writes(segs, 6 + round);
    // read_bytes sees what the device wrote in the slot; write_bytes
    // reaches the slot.
    std::vector<uint8_t> r(300), w(300, static_cast<uint8_t>(0x3c + round));
    ASSERT_EQ(iodma_core_cmd_read_bytes(c, 4000, r.data(), 300), 300u);
    const auto want = expect_pattern(0, len, 6 + round);
    EXPECT_EQ(r,
              std::vector<uint8_t>(want.begin() + 4000, want.begin() + 4300));
    ASSERT_EQ(iodma_core_cmd_write_bytes(c, 8000, w.data(), 300), 300u);
    EXPECT_EQ(device_read_at(segs, 8000, 300), w);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    auto got = ram_bytes(0x50000000, len);
    auto expect = want;
    std::copy(w.begin(), w.end(), expect.begin() + 8000);
    EXPECT_EQ(got, expect) << "the device's bytes came back";
    fill(0x50000000, len, 6 + round);
  }
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0), 0);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  // The pool lies above 2^29: never.
  s.address_bits = 29;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, len), -IODMA_EOPNOTSUPP);
  // Blocks aligned to two pages: a slot is aligned to one only. Never.
  s.address_bits = 30;
  s.alignment = 8192;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, len), -IODMA_EOPNOTSUPP);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  EXPECT_EQ(fake::live_mappings(), 0);
}

// --- item 5: user descriptors and address spaces ---

TEST_F(DeviceLimitsTest, UserDescriptorBelongsToTheAddressSpaceOfItsCreator) {
  // The same user address in two processes, over different pages.
  fake::map_user(0x60000000, {0x1300000, 0x1301000}, true, fake::Mm::kA);
  fake::map_user(0x60000000, {0x1400000, 0x1401000}, true, fake::Mm::kB);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, user_md(0x60000000, 8192, kFromDev), 0),
            0);
  const long pins = fake::total_pins();
  fake::set_current_mm(fake::Mm::kB);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EFAULT);
  fake::set_current_mm(fake::Mm::kNone);  // a kernel thread
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EFAULT);
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(fake::total_pins(), pins);
  EXPECT_EQ(fake::pinned_pages(), 0);
  EXPECT_EQ(fake::total_maps(), 0);
  // Nor can a kernel thread describe user memory at all.
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = kFromDev;
  d.uaddr = 0x60000000;
  d.len = 8192;
  EXPECT_EQ(try_md(d), -IODMA_EFAULT);
  // From its own address space it works, on its own pages.
  fake::set_current_mm(fake::Mm::kA);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(fake::pinned_pages(), 2);
  device_writes(gen_all(c), 3);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(ram_bytes(0x1301000, 4096), expect_pattern(4096, 4096, 3));
  EXPECT_EQ(ram_bytes(0x1401000, 4096), std::vector<uint8_t>(4096, 0));
}

// --- item 6: physical descriptors over what is not RAM ---

// (The defect was in the shim, which asked pfn_valid(): the core already
// asks the platform, so this holds on the core before the fix too.)
TEST_F(DeviceLimitsTest, PhysicalDescriptorsDescribeSystemRamOnly) {
  fake::add_reserved(0xa0000, 0x20000);  // the VGA hole: pfn_valid, not RAM
  fake::add_ram(0x100000, 0x10000);
  fake::add_ram(0x110000, 0x10000);      // touches the previous region
  fake::add_reserved(0x120000, 0x1000);  // firmware, right after
  struct {
    uint64_t phys, len;
    int want;
  } cases[] = {
      {0xa0000, 4096, -IODMA_EINVAL},
      {0xbf000, 0x2000, -IODMA_EINVAL},
      {0x9f000, 0x2000, -IODMA_EINVAL},
      {0x11f000, 0x2000, -IODMA_EINVAL},
      {0x130000, 16, -IODMA_EINVAL},
      {0x10f000, 0x2000, 0},
      {0x100000, 0x20000, 0},
      {0x11ffff, 1, 0},
      {0x100000, 0x20001, -IODMA_EINVAL},
  };
  for (auto k : cases) {
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_PHYS;
    d.phys = k.phys;
    d.len = k.len;
    EXPECT_EQ(try_md(d), k.want) << std::hex << k.phys << "+" << k.len;
  }
}

// --- item 7: device limits ---

// Below a page, for mapping entries (DMA-API debug) and emitted segments.
TEST_F(DeviceLimitsTest, SubPageDeviceLimitsBindEntriesAndSegments) {
  struct {
    uint64_t max_seg, boundary;
  } lims[] = {{512, 0},      {1000, 0},   {3000, 4096},
              {~0ull, 1024}, {700, 2048}, {512, 512}};
  unsigned seed = 0;
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kSwiotlb, fake::Mode::kIommu}) {
    for (auto lim : lims) {
      SCOPED_TRACE(std::to_string(static_cast<int>(mode)) + " max " +
                   std::to_string(lim.max_seg) + " boundary " +
                   std::to_string(lim.boundary));
      dev_.mode = mode;
      dev_.max_seg = lim.max_seg;
      dev_.seg_boundary = lim.boundary;
      iodma_cmd* c = cmd();
      ASSERT_EQ(
          iodma_core_cmd_set_md(
              c, kva_md(0x100100 + seed * 0x10000, 20000, kBidi, seed), 0),
          0);
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
      auto segs = gen_all(c);
      expect_within_device(segs);
      EXPECT_EQ(total(segs), 20000u);
      EXPECT_EQ(device_reads(segs), expect_pattern(0, 20000, seed));
      iodma_core_spec eff;
      iodma_core_cmd_effective_spec(c, &eff);
      EXPECT_LE(eff.max_segment_size, lim.max_seg);
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
      for (const auto& e : fake::dma_errors()) ADD_FAILURE() << e;
      fake::take_dma_errors();
      seed++;
    }
  }
}

// A driver may create its commands in probe before it sets its limits.
TEST_F(DeviceLimitsTest, LimitsSetAfterCreateBindTheNextPrepare) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 65536, kBidi, 2), 0), 0);
  dev_.max_seg = 4096;
  dev_.seg_boundary = 8192;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  expect_within_device(segs);
  EXPECT_EQ(segs.size(), 16u);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 65536, 2));
  iodma_core_spec eff;
  iodma_core_cmd_effective_spec(c, &eff);
  EXPECT_EQ(eff.max_segment_size, 4096u);
  EXPECT_EQ(eff.segment_boundary, 8192u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  // Relaxed again: the next prepare has the longer segments.
  dev_.max_seg = ~0ull;
  dev_.seg_boundary = 0;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(gen_all(c).size(), 1u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  // A limit the spec can no longer meet: refused, nothing changed.
  iodma_core_spec s = spec();
  s.alignment_length = 1024;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  dev_.max_seg = 512;
  const long maps = fake::total_maps();
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(fake::total_maps(), maps);
}

// The effective limits are the tighter of the spec and the device, also
// where the spec says "no limit", in every platform mode and both widths.
TEST_F(DeviceLimitsTest, SegmentsNeverBreakTheDeviceLimitsWhateverTheSpec) {
  fake::add_ram(0xfff00000, 0x200000);  // RAM either side of 4 GiB
  fake::SgTable t{{{0xfff00123, 70000},
                   {0xfff20000 - 7, 9000},
                   {0xfffff000, 0x3000},
                   {0x100005001, 40000}}};
  std::vector<uint8_t> want;
  unsigned i = 0;
  for (auto [phys, n] : t.ents) {
    fill(phys, n, 10 + i++);
    auto b = ram_bytes(phys, n);
    want.insert(want.end(), b.begin(), b.end());
  }
  struct {
    fake::Mode mode;
    uint64_t max_seg, boundary, mask;
  } devs[] = {
      {fake::Mode::kDirect, 65536, 1ull << 32, ~0ull},
      {fake::Mode::kDirect, 3000, 4096, 0xffffffff},
      {fake::Mode::kDirect, ~0ull, 1 << 16, (1ull << 36) - 1},
      {fake::Mode::kSwiotlb, 4096, 65536, ~0ull},
      {fake::Mode::kSwiotlb, 1000, 0, 0xffffffff},
      {fake::Mode::kIommu, 65536, 65536, 0xffffffff},
      {fake::Mode::kIommu, 5000, 1ull << 32, 0xffffffff},
      {fake::Mode::kIommu, ~0ull, 8192, 0xffffff},
  };
  for (auto dv : devs) {
    for (unsigned format : {4u, 1u}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(dv.mode)) + " max " +
                   std::to_string(dv.max_seg) + " boundary " +
                   std::to_string(dv.boundary) + " format " +
                   std::to_string(format));
      dev_.mode = dv.mode;
      dev_.max_seg = dv.max_seg;
      dev_.seg_boundary = dv.boundary;
      dev_.dma_mask = dv.mask;
      iodma_cmd* c = cmd(spec(format));
      ASSERT_EQ(iodma_core_cmd_set_md(c, sg_md(&t, kToDev), 0), 0);
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      auto segs = format == 1 ? gen_all32(c) : gen_all(c);
      expect_within_device(segs);
      EXPECT_EQ(device_reads(segs), want);
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    }
  }
}

// --- item 8: read_bytes / write_bytes act on what the device sees ---

// Under swiotlb (every transfer in a confidential VM bounces) as much as on
// direct and IOMMU mappings, coherent or not, in every direction: a
// write_bytes is seen by the device and survives complete; a read_bytes
// returns what the device wrote.
TEST_F(DeviceLimitsTest, ReadWriteBytesActOnWhatTheDeviceSees) {
  uint64_t phys = 0x3000000;
  for (fake::Mode mode :
       {fake::Mode::kSwiotlb, fake::Mode::kDirect, fake::Mode::kIommu}) {
    for (bool coherent : {true, false}) {
      for (unsigned dir : {kToDev, kFromDev, kBidi}) {
        SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)) +
                     (coherent ? " coherent" : " non-coherent") + " dir " +
                     std::to_string(dir));
        dev_.mode = mode;
        dev_.coherent = coherent;
        phys += 0x10000;
        iodma_cmd* c = cmd();
        ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(phys, 16384, dir, 1), 0), 0);
        ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
        auto segs = gen_all(c);
        auto want = expect_pattern(0, 16384, 1);
        const std::vector<uint8_t> x(500, 0x5a);
        const size_t w = iodma_core_cmd_write_bytes(c, 1000, x.data(), 500);
        if (dir != kFromDev || mode != fake::Mode::kSwiotlb) {
          EXPECT_EQ(w, 500u);
        }
        if (w != 0) {
          EXPECT_EQ(w, 500u);
          EXPECT_EQ(device_read_at(segs, 1000, 500), x) << "seen by the device";
          std::copy(x.begin(), x.end(), want.begin() + 1000);
        }
        std::vector<uint8_t> r(1000);
        if (dir != kToDev) {
          auto y = expect_pattern(5000, 1000, 9);
          device_write_at(segs, 5000, y);
          ASSERT_EQ(iodma_core_cmd_read_bytes(c, 5000, r.data(), 1000), 1000u);
          EXPECT_EQ(r, y) << "what the device wrote";
          std::copy(y.begin(), y.end(), want.begin() + 5000);
        } else {
          ASSERT_EQ(iodma_core_cmd_read_bytes(c, 500, r.data(), 1000), 1000u);
          EXPECT_EQ(
              r, std::vector<uint8_t>(want.begin() + 500, want.begin() + 1500));
        }
        ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
        EXPECT_EQ(ram_bytes(phys, 16384), want) << "after complete";
      }
    }
  }
}

// --- item 9 ---

// read_bytes / write_bytes on a copy buffer of a non-coherent device.
TEST_F(DeviceLimitsTest, CopyBufferBytesAreMaintainedOnNonCoherentDevices) {
  dev_.coherent = false;
  dev_.cb_size = 8ull << 20;  // all of it below 16 MiB
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 8192, kBidi), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
  auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  const uint64_t cb = segs[0].addr;  // direct: the block's physical address
  uint8_t b[200] = {};
  fake::clear_cache_ops();
  ASSERT_EQ(iodma_core_cmd_read_bytes(c, 100, b, 200), 200u);
  ASSERT_EQ(fake::cache_ops().size(), 2u);
  EXPECT_TRUE(fake::cache_ops()[0].for_cpu) << "before the CPU reads";
  EXPECT_FALSE(fake::cache_ops()[1].for_cpu) << "handed back after";
  EXPECT_EQ(maintained(true, kBidi), (Ranges{{cb + 100, 200}}));
  EXPECT_EQ(maintained(false, kBidi), (Ranges{{cb + 100, 200}}));
  fake::clear_cache_ops();
  ASSERT_EQ(iodma_core_cmd_write_bytes(c, 300, b, 50), 50u);
  ASSERT_EQ(fake::cache_ops().size(), 2u);
  EXPECT_TRUE(fake::cache_ops()[0].for_cpu);
  EXPECT_EQ(maintained(true, kBidi), (Ranges{{cb + 300, 50}}));
  EXPECT_EQ(maintained(false, kBidi), (Ranges{{cb + 300, 50}}));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// BYPASSED and UNMAPPED have no mapping to maintain caches through.
TEST_F(DeviceLimitsTest, PhysicalModesAreRefusedOnNonCoherentDevices) {
  for (unsigned mapping : {IODMA_CORE_MAP_BYPASSED, IODMA_CORE_MAP_UNMAPPED}) {
    SCOPED_TRACE(mapping);
    iodma_core_spec s = spec();
    s.mapping = mapping;
    dev_.coherent = false;
    EXPECT_EQ(iodma_core_spec_resolve(&dev_, &s, nullptr), -IODMA_EOPNOTSUPP);
    iodma_cmd* bad = nullptr;
    EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &bad), -IODMA_EOPNOTSUPP);
    // Known only later (the limits are read at prepare).
    dev_.coherent = true;
    iodma_cmd* c = cmd(s);
    ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kBidi), 0), 0);
    dev_.coherent = false;
    EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
    EXPECT_FALSE(prepared(c));
    dev_.coherent = true;
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

// Every handle argument of every entry point, as ERR_PTR(): in a child
// process, so that a dereference fails this test and only this test.
int err_ptr_calls(iodma_cmd* good_cmd, iodma_md* good_md) {
  int bad = 0;
  auto expect = [&bad](bool ok, const char* what, uintptr_t e) {
    if (!ok) {
      std::fprintf(stderr, "%s(%#lx) not refused\n", what,
                   static_cast<unsigned long>(e));
      bad++;
    }
  };
  for (uintptr_t e : {uintptr_t(-22), uintptr_t(-1), uintptr_t(-4095)}) {
    auto* c = reinterpret_cast<iodma_cmd*>(e);
    auto* m = reinterpret_cast<iodma_md*>(e);
    iodma_core_spec s{};
    s.format = 4;
    iodma_core_spec out{};
    iodma_cmd* clone = nullptr;
    expect(iodma_core_spec_resolve(reinterpret_cast<void*>(e), &s, &out) ==
               -IODMA_EINVAL,
           "spec_resolve", e);
    expect(iodma_core_cmd_clone(c, 0, &clone) == -IODMA_EINVAL, "clone", e);
    iodma_core_cmd_destroy(c);
    expect(iodma_core_cmd_priv(c) == nullptr, "priv", e);
    expect(iodma_core_cmd_device(c) == nullptr, "device", e);
    expect(iodma_core_cmd_set_spec(c, &s) == -IODMA_EINVAL, "set_spec", e);
    expect(iodma_core_cmd_get_spec(c, &out) == -IODMA_EINVAL, "get_spec", e);
    std::memset(&out, 0x5a, sizeof(out));
    iodma_core_cmd_effective_spec(c, &out);
    expect(out.format == 0 && out.max_segment_size == 0, "effective_spec", e);
    iodma_core_md_get(m);
    iodma_core_md_put(m);
    expect(iodma_core_md_length(m) == 0, "md_length", e);
    expect(iodma_core_md_direction(m) == 3, "md_direction", e);
    expect(iodma_core_cmd_set_md(c, good_md, 0) == -IODMA_EINVAL, "set_md", e);
    expect(iodma_core_cmd_set_md(good_cmd, m, 1) == -IODMA_EINVAL, "set_md(md)",
           e);
    expect(iodma_core_cmd_md(good_cmd) == nullptr, "set_md(md) kept it", e);
    expect(iodma_core_cmd_clear_md(c, 1) == -IODMA_EINVAL, "clear_md", e);
    expect(iodma_core_cmd_md(c) == nullptr, "cmd_md", e);
    expect(iodma_core_cmd_prepare(c, 0, 0, 0) == -IODMA_EINVAL, "prepare", e);
    expect(iodma_core_cmd_prepare_with_spec(c, &s, 0, 0, 0) == -IODMA_EINVAL,
           "prepare_with_spec", e);
    expect(iodma_core_cmd_complete(c, 0) == -IODMA_EINVAL, "complete", e);
    unsigned long long off = 0, len = 0;
    unsigned n = 1;
    iodma_plat_range r;
    expect(iodma_core_cmd_gen_segments(c, &off, &r, &n) == -IODMA_EINVAL,
           "gen_segments", e);
    expect(iodma_core_cmd_synchronize(c, kForCpu) == -IODMA_EINVAL,
           "synchronize", e);
    expect(iodma_core_cmd_synchronize_range(c, 0, 1, kForCpu) == -IODMA_EINVAL,
           "synchronize_range", e);
    uint8_t b[8];
    expect(iodma_core_cmd_read_bytes(c, 0, b, 8) == 0, "read_bytes", e);
    expect(iodma_core_cmd_write_bytes(c, 0, b, 8) == 0, "write_bytes", e);
    expect(iodma_core_cmd_prepared_range(c, &off, &len) == -IODMA_EINVAL,
           "prepared_range", e);
    expect(iodma_core_cmd_is_double_buffered(c) == 0, "is_double_buffered", e);
  }
  return bad;
}

TEST_F(DeviceLimitsTest, ErrPtrHandlesAreBadInputEverywhere) {
  iodma_cmd* c = cmd();
  iodma_md* m = kva_md(0x100000, 4096, kBidi);
  EXPECT_EXIT(std::_Exit(err_ptr_calls(c, m)), ::testing::ExitedWithCode(0),
              "");
}

// The device handed to create, as ERR_PTR() (a failed lookup passed on).
TEST_F(DeviceLimitsTest, ErrPtrDeviceIsBadInputAtCreate) {
  EXPECT_EXIT(
      {
        iodma_core_spec s = spec();
        iodma_cmd* c = nullptr;
        const int err =
            iodma_core_cmd_create(reinterpret_cast<void*>(-22), &s, 0, 0, &c);
        std::_Exit(err == -IODMA_EINVAL ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// An sg_table handed on as ERR_PTR() (drm_prime_pages_to_sg() and the
// like return one), as the descriptor's memory.
TEST_F(DeviceLimitsTest, ErrPtrSgTableIsBadInputAtCreate) {
  EXPECT_EXIT(
      {
        iodma_core_md_desc d{};
        d.kind = IODMA_CORE_MD_SGTABLE;
        d.dir = kToDev;
        d.sgt = reinterpret_cast<void*>(-12);
        iodma_md* m = nullptr;
        const int err = iodma_core_md_create(&d, 0, &m);
        std::_Exit(err == -IODMA_EINVAL ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// priv_size beyond INT_MAX is refused before any allocation (kvzalloc
// WARNs there); INT_MAX itself is only a matter of memory.
TEST_F(DeviceLimitsTest, PrivSizeAboveIntMaxIsEinval) {
  const iodma_core_spec s = spec();
  iodma_cmd* c = nullptr;
  for (unsigned long size : {0x80000000ul, 0xfffffffful, ~0ul}) {
    fake::fail_nth_alloc(0);  // were the allocator asked, it would fail
    const long before = fake::total_allocs();
    EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, size, 0, &c), -IODMA_EINVAL)
        << size;
    EXPECT_EQ(fake::total_allocs(), before) << "refused before allocating";
  }
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 0x7fffffff, 0, &c), -IODMA_ENOMEM);
  fake::fail_nth_alloc(-1);
}

// A vmalloc range must be mapped page by page, not only at its ends.
TEST_F(DeviceLimitsTest, VmallocDescriptorsCoverMappedPagesOnly) {
  const uint64_t page = fake::page_size();
  auto* a = static_cast<uint8_t*>(fake::vmalloc_of({0x700000, 0x702000}));
  auto* holey = static_cast<uint8_t*>(
      fake::vmalloc_of({0x710000, fake::kNoPage, 0x712000}));
  struct {
    const uint8_t* kva;
    uint64_t len;
    int want;
  } cases[] = {
      {a, 2 * page, 0},
      {a + page, 2 * page, -IODMA_EINVAL},  // into the guard page
      {a + 2 * page - 1, 2, -IODMA_EINVAL},
      {holey, 3 * page, -IODMA_EINVAL},  // over the hole
      {holey + page - 8, 16, -IODMA_EINVAL},
      {holey + 2 * page, page, 0},
      {holey, page, 0},
  };
  for (auto k : cases) {
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_KVA;
    d.dir = kToDev;
    d.kva = k.kva;
    d.len = k.len;
    EXPECT_EQ(try_md(d), k.want) << (k.kva - a) << "+" << k.len;
  }
}

// --- 16 and 64 KiB pages: every kind, every mode, sub-page limits ---

class LargePageTest
    : public DeviceLimitsTest,
      public ::testing::WithParamInterface<std::tuple<unsigned, fake::Mode>> {
 protected:
  void SetUp() override {
    DeviceLimitsTest::SetUp();
    fake::set_page_shift(std::get<0>(GetParam()));
  }
};

TEST_P(LargePageTest, EveryKindWithinDeviceLimits) {
  const uint64_t page = fake::page_size();
  dev_.mode = std::get<1>(GetParam());
  dev_.coherent = false;
  dev_.max_seg = 3000;
  dev_.seg_boundary = 8192;
  // Three scattered pages, two of them adjacent.
  const std::vector<uint64_t> pp = {0x4000000, 0x4000000 + 2 * page,
                                    0x4000000 + 3 * page};
  fake::add_ram(0x4000000, 4 * page);
  Ranges pieces;
  for (uint64_t p : pp) pieces.push_back({p, page});
  static fake::Page pg[3];
  void* pages[3];
  for (int i = 0; i < 3; i++) {
    pg[i].phys = pp[i];
    pages[i] = &pg[i];
  }
  fake::map_user(0x70000000, pp, true);
  const uint64_t off = 100, len = 2 * page + 1000;  // of 3 pages from pp[0]
  fake::SgTable t{{{pp[0] + off, page - off}, {pp[1], len - (page - off)}}};
  void* vm = fake::vmalloc_of(pp);
  std::vector<iodma_core_md_desc> descs(6);
  descs[0] = {IODMA_CORE_MD_KVA, kBidi, fake::kmalloc_at(0x5000100, len)};
  descs[0].len = len;
  descs[1] = {IODMA_CORE_MD_KVA, kBidi, static_cast<uint8_t*>(vm) + off};
  descs[1].len = len;
  descs[2] = {IODMA_CORE_MD_PAGES, kBidi, nullptr, pages, 3};
  descs[2].offset = off;
  descs[2].len = len;
  descs[3] = {IODMA_CORE_MD_USER, kBidi};
  descs[3].uaddr = 0x70000000 + off;
  descs[3].len = len;
  descs[4] = {IODMA_CORE_MD_SGTABLE, kBidi};
  descs[4].sgt = &t;
  descs[5] = {IODMA_CORE_MD_PHYS, kBidi};
  descs[5].phys = 0x5000100;
  descs[5].len = len;
  const Ranges layouts[6] = {{{0x5000100, len}},      slice(pieces, off, len),
                             slice(pieces, off, len), slice(pieces, off, len),
                             slice(pieces, off, len), {{0x5000100, len}}};
  unsigned seed = 20;
  for (size_t k = 0; k < descs.size(); k++) {
    SCOPED_TRACE("kind " + std::to_string(descs[k].kind));
    for (auto [a, n] : layouts[k]) fill(a, n, seed);
    std::vector<uint8_t> want;
    for (auto [a, n] : layouts[k]) {
      auto b = ram_bytes(a, n);
      want.insert(want.end(), b.begin(), b.end());
    }
    iodma_cmd* c = cmd();
    ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(descs[k]), 0), 0);
    fake::clear_cache_ops();
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    if (dev_.mode != fake::Mode::kSwiotlb) {
      EXPECT_EQ(maintained(false, kBidi), layouts[k]) << "for the device";
    }
    auto segs = gen_all(c);
    expect_within_device(segs);
    EXPECT_EQ(device_reads(segs), want);
    device_writes(segs, seed + 1);
    fake::clear_cache_ops();
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    if (dev_.mode != fake::Mode::kSwiotlb) {
      EXPECT_EQ(maintained(true, kBidi), layouts[k]) << "for the CPU";
    }
    std::vector<uint8_t> got;
    for (auto [a, n] : layouts[k]) {
      auto b = ram_bytes(a, n);
      got.insert(got.end(), b.begin(), b.end());
    }
    EXPECT_EQ(got, expect_pattern(0, len, seed + 1));
    seed += 2;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pages, LargePageTest,
    ::testing::Combine(::testing::Values(12u, 14u, 16u),
                       ::testing::Values(fake::Mode::kDirect,
                                         fake::Mode::kSwiotlb,
                                         fake::Mode::kIommu)));

// --- the fake platform behaves like the kernel where the tests rely on it

class FakePlatformTest : public DeviceLimitsTest {
 protected:
  // Map one range with iodma_plat_map(); the state for the unmap.
  uint64_t map1(uint64_t phys, uint64_t len, int dir, unsigned attrs,
                Ranges* segs = nullptr) {
    iodma_plat_range r{phys, len}, out[4];
    unsigned n = 0;
    uint64_t state = 0;
    EXPECT_EQ(iodma_plat_map(&dev_, &state, &r, 1, dir, attrs, out, &n), 0);
    if (segs != nullptr) {
      segs->clear();
      for (unsigned i = 0; i < n; i++)
        segs->push_back({out[i].addr, out[i].len});
    }
    return state;
  }
};

// swiotlb as in Linux 6.x: map always fills the slot (CVE-2022-0854);
// sync for the device copies only TO_DEVICE/BIDIRECTIONAL, sync for the
// CPU only FROM_DEVICE/BIDIRECTIONAL; unmap copies back for
// FROM_DEVICE/BIDIRECTIONAL unless SKIP_CPU_SYNC.
TEST_F(FakePlatformTest, SwiotlbBouncesPerDirectionLikeLinux) {
  dev_.mode = fake::Mode::kSwiotlb;
  fake::add_ram(0x100000, 4096);
  for (int dir : {IODMA_PLAT_TO_DEVICE, IODMA_PLAT_FROM_DEVICE,
                  IODMA_PLAT_BIDIRECTIONAL}) {
    for (unsigned attrs : {0u, unsigned{IODMA_PLAT_SKIP_CPU_SYNC}}) {
      SCOPED_TRACE(std::to_string(dir) + " attrs " + std::to_string(attrs));
      const bool to = dir != IODMA_PLAT_FROM_DEVICE;
      const bool from = dir != IODMA_PLAT_TO_DEVICE;
      fill(0x100000, 4096, 1);
      Ranges segs;
      uint64_t state = map1(0x100000, 4096, dir, attrs, &segs);
      ASSERT_EQ(segs.size(), 1u);
      const uint64_t slot = segs[0].first;
      EXPECT_NE(slot, 0x100000u);
      EXPECT_EQ(ram_bytes(slot, 4096), expect_pattern(0, 4096, 1))
          << "map fills the slot";
      fill(0x100000, 4096, 2);
      iodma_plat_sync_mapping(&dev_, &state, dir, 0);
      EXPECT_EQ(ram_bytes(slot, 4096), expect_pattern(0, 4096, to ? 2 : 1));
      fill(slot, 4096, 3);
      iodma_plat_sync_mapping(&dev_, &state, dir, 1);
      EXPECT_EQ(ram_bytes(0x100000, 4096),
                expect_pattern(0, 4096, from ? 3 : 2));
      fill(0x100000, 4096, 4);
      iodma_plat_sync_range(&dev_, slot + 100, 10, dir, 0);
      iodma_plat_sync_range(&dev_, slot + 200, 10, dir, 1);
      auto want = expect_pattern(0, 4096, 3);
      if (to) {
        auto w = expect_pattern(100, 10, 4);
        std::copy(w.begin(), w.end(), want.begin() + 100);
      }
      EXPECT_EQ(ram_bytes(slot, 4096), want) << "a range: only its bytes";
      fill(slot, 4096, 5);
      iodma_plat_unmap(&dev_, &state, dir, attrs);
      auto orig = expect_pattern(0, 4096, 4);
      if (from) {
        auto w = expect_pattern(200, 10, 3);
        std::copy(w.begin(), w.end(), orig.begin() + 200);
      }
      if (from && attrs == 0) orig = expect_pattern(0, 4096, 5);
      EXPECT_EQ(ram_bytes(0x100000, 4096), orig) << "unmap";
    }
  }
}

// dma-iommu: entries laid out granule by granule, merged into one segment
// when they continue each other, never past max_seg nor across the
// boundary; IOVAs within the DMA mask.
TEST_F(FakePlatformTest, IommuLaysOutAndMergesLikeDmaIommu) {
  dev_.mode = fake::Mode::kIommu;
  dev_.dma_mask = 0xffffff;  // below iova_base: allocated lower
  fake::add_ram(0x100000, 0x10000);
  const iodma_plat_range r[5] = {{0x100000, 4096},
                                 {0x108000, 4096},
                                 {0x103000, 4096},
                                 {0x10a000, 4096},
                                 {0x10c010, 100}};
  struct {
    uint64_t max_seg, boundary;
    std::vector<uint64_t> lens;
  } cases[] = {
      {~0ull, 0, {16384, 100}},
      {8192, 0, {8192, 8192, 100}},
      {~0ull, 8192, {8192, 8192, 100}},
      {4096, 0, {4096, 4096, 4096, 4096, 100}},
  };
  for (auto& k : cases) {
    dev_.max_seg = k.max_seg;
    dev_.seg_boundary = k.boundary;
    iodma_plat_range out[5];
    unsigned n = 0;
    uint64_t state = 0;
    ASSERT_EQ(
        iodma_plat_map(&dev_, &state, r, 5, IODMA_PLAT_TO_DEVICE, 0, out, &n),
        0);
    std::vector<uint64_t> lens;
    for (unsigned i = 0; i < n; i++) {
      lens.push_back(out[i].len);
      EXPECT_LE(out[i].addr + out[i].len - 1, 0xffffffu);
      uint64_t p = 0;
      // Each segment's first byte is its first entry's.
      p = iodma_plat_dma_to_phys(&dev_, out[i].addr);
      EXPECT_EQ(p % 4096, out[i].addr % 4096);
    }
    EXPECT_EQ(lens, k.lens);
    EXPECT_EQ(iodma_plat_dma_to_phys(&dev_, out[n - 1].addr), 0x10c010u);
    iodma_plat_unmap(&dev_, &state, IODMA_PLAT_TO_DEVICE, 0);
  }
  // A sync over scattered pages of one segment is a breach of the seam.
  dev_.max_seg = ~0ull;
  dev_.seg_boundary = 0;
  iodma_plat_range out[5];
  unsigned n = 0;
  uint64_t state = 0;
  ASSERT_EQ(
      iodma_plat_map(&dev_, &state, r, 2, IODMA_PLAT_TO_DEVICE, 0, out, &n), 0);
  ASSERT_EQ(n, 1u);
  iodma_plat_sync_range(&dev_, out[0].addr + 4000, 200, IODMA_PLAT_TO_DEVICE,
                        0);
  EXPECT_EQ(fake::take_dma_errors().size(), 1u);
  iodma_plat_unmap(&dev_, &state, IODMA_PLAT_TO_DEVICE, 0);
}

// Non-coherent devices get arch_sync_dma_for_*() where Linux calls it.
TEST_F(FakePlatformTest, CacheMaintenanceOnlyForNonCoherentDevices) {
  fake::add_ram(0x100000, 8192);
  uint64_t state = map1(0x100000, 8192, IODMA_PLAT_BIDIRECTIONAL, 0);
  iodma_plat_sync_mapping(&dev_, &state, IODMA_PLAT_BIDIRECTIONAL, 1);
  iodma_plat_unmap(&dev_, &state, IODMA_PLAT_BIDIRECTIONAL, 0);
  EXPECT_TRUE(fake::cache_ops().empty()) << "coherent: none";
  dev_.coherent = false;
  state = map1(0x100000, 8192, IODMA_PLAT_TO_DEVICE, IODMA_PLAT_SKIP_CPU_SYNC);
  EXPECT_TRUE(fake::cache_ops().empty()) << "SKIP_CPU_SYNC";
  iodma_plat_sync_range(&dev_, 0x100100, 16, IODMA_PLAT_TO_DEVICE, 0);
  ASSERT_EQ(fake::cache_ops().size(), 1u);
  EXPECT_EQ(fake::cache_ops()[0].phys, 0x100100u);
  EXPECT_EQ(fake::cache_ops()[0].len, 16u);
  EXPECT_FALSE(fake::cache_ops()[0].for_cpu);
  iodma_plat_unmap(&dev_, &state, IODMA_PLAT_TO_DEVICE, 0);
  EXPECT_EQ(maintained(true, IODMA_PLAT_TO_DEVICE), (Ranges{{0x100000, 8192}}));
}

// Copy-buffer blocks below the limit (or none: -ENOMEM), IOVAs below the
// mask, and a call below the device's floor reported.
TEST_F(FakePlatformTest, CopyBufferPoolHonoursLimits) {
  dev_.cb_phys = 0x1000000;
  dev_.cb_size = 0x100000;
  iodma_plat_cb_block b, c2;
  ASSERT_EQ(iodma_plat_cb_alloc(&dev_, 65536, 1, 0, ~0ull, &b), 0);
  EXPECT_EQ(b.dma, 0x10f0000u) << "highest first";
  ASSERT_EQ(iodma_plat_cb_alloc(&dev_, 65536, 1, 0, 0x100ffff, &c2), 0);
  EXPECT_EQ(c2.dma, 0x1000000u);
  iodma_plat_cb_block d;
  EXPECT_EQ(iodma_plat_cb_alloc(&dev_, 65536, 1, 0, 0x100ffff, &d),
            -IODMA_ENOMEM);
  EXPECT_EQ(iodma_plat_cb_alloc(&dev_, 4096, 1, 0, 0xffffff, &d), -IODMA_ENOMEM)
      << "no memory below";
  iodma_plat_cb_free(&dev_, 65536, 1, &b);
  iodma_plat_cb_free(&dev_, 65536, 1, &c2);
  dev_.cb_floor = 0x10fffff;
  EXPECT_EQ(iodma_plat_cb_alloc(&dev_, 4096, 1, 0, 0xffffff, &d),
            -IODMA_ENOMEM);
  EXPECT_EQ(fake::take_dma_errors().size(), 1u) << "below the floor";
  dev_.cb_floor = 0;
  dev_.mode = fake::Mode::kIommu;
  dev_.dma_mask = 0xffffffff;
  ASSERT_EQ(iodma_plat_cb_alloc(&dev_, 65536, 1, 0, 0xfffff, &b), 0);
  EXPECT_LE(b.dma + 65535, 0xfffffu);
  EXPECT_EQ(b.dma % 65536, 0u);
  iodma_plat_cb_free(&dev_, 65536, 1, &b);
}

// A CPU write into a page pinned only for reading is reported.
TEST_F(FakePlatformTest, CpuWritesIntoReadOnlyPinsAreReported) {
  fake::map_user(0x10000000, {0x200000}, true);
  void* page = nullptr;
  ASSERT_EQ(iodma_plat_pin_user(0x10000000, 1, 0, &page), 0);
  const uint8_t b[4] = {1, 2, 3, 4};
  iodma_plat_copy_to_phys(0x200010, b, 4);
  EXPECT_EQ(fake::take_dma_errors().size(), 1u);
  void* again = nullptr;
  ASSERT_EQ(iodma_plat_pin_user(0x10000000, 1, 1, &again), 0);
  iodma_plat_copy_to_phys(0x200010, b, 4);
  EXPECT_TRUE(fake::dma_errors().empty()) << "also pinned for writing";
  iodma_plat_unpin_user(&again, 1, 1);
  iodma_plat_unpin_user(&page, 1, 0);
  fake::set_current_mm(fake::Mm::kNone);
  EXPECT_EQ(iodma_plat_pin_user(0x10000000, 1, 0, &page), -IODMA_EFAULT);
  EXPECT_EQ(fake::take_dma_errors().size(), 1u) << "pin without an mm";
}

}  // namespace

// --- item 1, the mechanism: Md::gather() directly (not a public API) ---

namespace {

class MdGatherTest : public DeviceLimitsTest {
 protected:
  iodma::Md* md(const iodma_core_md_desc& d) {
    iodma::Md* m = nullptr;
    EXPECT_EQ(iodma::Md::create(d, 0, &m), iodma::kOk);
    return m;
  }
};

// However small the array, gather() reports the broken invariant and
// writes nothing past it (exactly-sized heap arrays: ASan would see it).
TEST_F(MdGatherTest, TooSmallCapacityIsReportedNeverOverrun) {
  fake::SgTable t;
  for (unsigned i = 0; i < 10; i++)
    t.ents.push_back({0x1000000 + i * 0x20000 + 0xf000, 8192});
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_SGTABLE;
  d.sgt = &t;
  iodma::Md* m = md(d);
  ASSERT_NE(m, nullptr);
  const iodma::Md::Limits lim{65536, 65536, 12};
  const uint64_t bound = m->gather_bound(0, m->length(), lim);
  ASSERT_GE(bound, 20u);
  for (uint32_t cap = 0; cap <= bound; cap++) {
    SCOPED_TRACE(cap);
    std::unique_ptr<iodma::DevSeg[]> out(new iodma::DevSeg[cap]);
    uint32_t n = 12345;
    const int err = m->gather(0, m->length(), lim, nullptr, out.get(), cap, &n);
    if (cap < 20) {
      EXPECT_EQ(err, iodma::kEIO);
      EXPECT_EQ(n, 12345u);
      EXPECT_EQ(fake::bug_reports(), 1);
      fake::forget_bug_reports();
    } else {
      EXPECT_EQ(err, iodma::kOk);
      EXPECT_EQ(n, 20u);
    }
  }
  m->put();
}

// gather_bound() holds for every kind, any alignment and any limits (sub-
// page ones included), on every page size, and gather() cuts as told.
TEST_F(MdGatherTest, BoundHoldsForRandomLayoutsAndLimits) {
  std::mt19937_64 rng(0x9a7e);
  auto pick = [&rng](std::initializer_list<uint64_t> v) {
    return *(v.begin() + rng() % v.size());
  };
  int checked = 0;
  for (int iter = 0; iter < 3000; iter++) {
    SCOPED_TRACE(iter);
    fake::reset();
    fake::set_page_shift(static_cast<unsigned>(pick({12, 14, 16})));
    const uint64_t page = fake::page_size();
    const unsigned kind = static_cast<unsigned>(rng() % 6);
    Ranges layout;  // the descriptor's bytes, in order
    iodma_core_md_desc d{};
    d.dir = kBidi;
    std::vector<fake::Page> pg;
    std::vector<void*> pages;
    fake::SgTable t;
    const uint64_t near = pick({0x100000, 0xffff0000, 0x40000000, 0x7ff000});
    switch (kind) {
      case 0:    // kmalloc
      case 1: {  // phys
        const uint64_t base = near + rng() % 0x20000;
        const uint64_t len = 1 + rng() % 0x60000;
        fake::add_ram(base, len);
        layout = {{base, len}};
        d.kind = kind == 0 ? IODMA_CORE_MD_KVA : IODMA_CORE_MD_PHYS;
        d.kva = kind == 0 ? fake::kmalloc_at(base, len) : nullptr;
        d.phys = base;
        d.len = len;
        break;
      }
      case 2:    // vmalloc
      case 3:    // pages
      case 4: {  // user
        const unsigned npages = 1 + static_cast<unsigned>(rng() % 12);
        std::vector<uint64_t> pp;
        uint64_t p = (near & ~(page - 1)) + (rng() % 16) * page;
        for (unsigned i = 0; i < npages; i++) {
          if (rng() % 3 == 0) p += (1 + rng() % 4) * page;
          pp.push_back(p);
          p += page;
        }
        const uint64_t off = rng() % page;
        const uint64_t len = 1 + rng() % (npages * page - off);
        Ranges all;
        for (uint64_t q : pp) all.push_back({q, page});
        layout = slice(all, off, len);
        d.len = len;
        if (kind == 2) {
          d.kind = IODMA_CORE_MD_KVA;
          d.kva = static_cast<uint8_t*>(fake::vmalloc_of(pp)) + off;
        } else if (kind == 3) {
          pg.resize(npages);
          for (unsigned i = 0; i < npages; i++) {
            pg[i].phys = pp[i];
            pages.push_back(&pg[i]);
          }
          d.kind = IODMA_CORE_MD_PAGES;
          d.pages = pages.data();
          d.npages = npages;
          d.offset = off;
        } else {
          fake::map_user(0x10000000, pp, true);
          d.kind = IODMA_CORE_MD_USER;
          d.uaddr = 0x10000000 + off;
        }
        break;
      }
      default: {  // sg entries of any alignment, across boundaries
        const unsigned n = 1 + static_cast<unsigned>(rng() % 12);
        uint64_t p = near + rng() % 0x10000;
        for (unsigned i = 0; i < n; i++) {
          if (rng() % 3 != 0)
            p = near + (rng() % 64) * pick({512, 4096, 65536}) -
                rng() % pick({1, 16, 4096});
          const uint64_t len = 1 + rng() % pick({100, 9000, 70000});
          t.ents.push_back({p, len});
          layout.push_back({p, len});
          p += len;
        }
        d.kind = IODMA_CORE_MD_SGTABLE;
        d.sgt = &t;
        break;
      }
    }
    iodma::Md* m = md(d);
    ASSERT_NE(m, nullptr);
    iodma::Md::Limits lim;
    lim.max_len =
        pick({1, 3, 512, 1000, 4096, page, 3 * page, 65536, 1ull << 30});
    lim.boundary = pick({0, 512, 1024, 4096, page, 65536, 1ull << 32});
    lim.page_shift = fake::page_shift();
    const uint64_t total = m->length();
    const uint64_t off = rng() % total;
    uint64_t len = 1 + rng() % (total - off);
    if (lim.max_len < 512) len = std::min<uint64_t>(len, 5000);
    std::vector<void*> pinned;
    if (kind == 4) {
      const uint32_t np = m->pin_pages(off, len, lim.page_shift);
      pinned.resize(np);
      ASSERT_EQ(iodma_plat_pin_user(m->pin_start(off, lim.page_shift), np, 0,
                                    pinned.data()),
                0);
    }
    const uint64_t bound = m->gather_bound(off, len, lim);
    SCOPED_TRACE("kind " + std::to_string(kind) + " page " +
                 std::to_string(page) + " max_len " +
                 std::to_string(lim.max_len) + " boundary " +
                 std::to_string(lim.boundary) + " range " +
                 std::to_string(off) + "+" + std::to_string(len) + " bound " +
                 std::to_string(bound) + " layout " + str(layout));
    ASSERT_LT(bound, 1u << 22);
    std::unique_ptr<iodma::DevSeg[]> out(new iodma::DevSeg[bound]);
    uint32_t n = 0;
    ASSERT_EQ(m->gather(off, len, lim, pinned.data(), out.get(),
                        static_cast<uint32_t>(bound), &n),
              iodma::kOk);
    EXPECT_LE(n, bound);
    Ranges got;
    for (uint32_t i = 0; i < n; i++) {
      const uint64_t a = out[i].addr, l = out[i].len;
      EXPECT_GE(l, 1u);
      EXPECT_LE(l, lim.max_len);
      if (lim.boundary != 0) {
        EXPECT_EQ(a / lim.boundary, (a + l - 1) / lim.boundary);
      }
      got.push_back({a, l});
    }
    EXPECT_EQ(merged(got), slice(layout, off, len));
    if (!pinned.empty())
      iodma_plat_unpin_user(pinned.data(), static_cast<uint32_t>(pinned.size()),
                            0);
    m->put();
    ASSERT_EQ(fake::bug_reports(), 0);
    ASSERT_EQ(fake::live_allocs(), 0);
    checked++;
  }
  fake::reset();
  EXPECT_EQ(checked, 3000);
}

}  // namespace
