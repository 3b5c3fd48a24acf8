// SPDX-License-Identifier: GPL-2.0
// The reusable descriptor (a block driver's per-request descriptor):
// created once, re-pointed at each request's physical ranges with no
// allocation, refused while a command holds it prepared; and the
// alignment_end rule (NVMe PRP lists) that sends a gapped request through
// the copy buffer.
#include <gtest/gtest.h>

#include <vector>

#include "ranges_fixture.h"

namespace xfer {
namespace {

using ReusableMdTest = RangesTest;

TEST_F(ReusableMdTest, CreateArgumentsAndEmptyState) {
  iodma_md* m = nullptr;
  EXPECT_EQ(iodma_core_md_create_ranges(0, 0, &m), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_md_create_ranges(4, 0, nullptr), -IODMA_EINVAL);
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_md_create_ranges(4, 0, &m), -IODMA_ENOMEM);
  EXPECT_EQ(m, nullptr);
  m = ranges_md(4);
  EXPECT_EQ(iodma_core_md_length(m), 0u);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENODATA)
      << "an empty descriptor has nothing to prepare";
  EXPECT_EQ(iodma_core_cmd_set_md(c, nullptr, 0), 0);
  EXPECT_EQ(iodma_core_cmd_set_md(c, m, 1), -IODMA_ENODATA);
  EXPECT_EQ(iodma_core_cmd_md(c), nullptr) << "auto_prepare failed: cleared";
}

TEST_F(ReusableMdTest, ResetAndAddOnlyOnReusableDescriptors) {
  iodma_md* k = kva_md(0x100000, 4096, kToDev);
  EXPECT_EQ(iodma_core_md_reset(k, kToDev), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_md_add_range(k, 0x100000, 16), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_md_length(k), 4096u);
  EXPECT_EQ(iodma_core_md_reset(nullptr, kToDev), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_md_add_range(nullptr, 0x1000, 1), -IODMA_EINVAL);
  iodma_md* m = ranges_md(2);
  EXPECT_EQ(iodma_core_md_reset(m, 3), -IODMA_EINVAL) << "DMA_NONE";
}

TEST_F(ReusableMdTest, RangesMergeAndOverflowLeavesItEmpty) {
  fake::add_ram(0x200000, 0x10000);
  iodma_md* m = ranges_md(2);
  ASSERT_EQ(point(m, kToDev, {{0x200000, 0x800}, {0x200800, 0x800}}), 0);
  EXPECT_EQ(iodma_core_md_length(m), 0x1000u);
  EXPECT_EQ(iodma_core_md_direction(m), kToDev);
  // Contiguous ranges merge, so two slots hold three ranges here.
  ASSERT_EQ(point(m, kFromDev,
                  {{0x200000, 0x200}, {0x200200, 0x200}, {0x204000, 0x10}}),
            0);
  EXPECT_EQ(iodma_core_md_length(m), 0x410u);
  EXPECT_EQ(iodma_core_md_direction(m), kFromDev);
  EXPECT_EQ(point(m, kToDev,
                  {{0x200000, 0x200}, {0x202000, 0x200}, {0x204000, 0x10}}),
            -IODMA_ENOSPC);
  EXPECT_EQ(iodma_core_md_length(m), 0u) << "a failed re-point leaves it empty";
  EXPECT_EQ(point(m, kToDev, {{0x200000, 0}}), -IODMA_EINVAL);
  EXPECT_EQ(point(m, kToDev, {{~0ull - 10, 100}}), -IODMA_EINVAL) << "wraps";
  EXPECT_EQ(iodma_core_md_length(m), 0u);
}

TEST_F(ReusableMdTest, RePointRefusedWhilePreparedAndTheDataIsRight) {
  fake::add_ram(0x300000, 0x10000);
  fill(0x300000, 0x10000, 5);
  iodma_md* m = ranges_md(8);
  iodma_cmd* c = cmd();
  ASSERT_EQ(point(m, kToDev, {{0x300100, 0x300}, {0x305000, 0x1000}}), 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(iodma_core_md_reset(m, kToDev), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_md_add_range(m, 0x306000, 0x10), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_md_length(m), 0x1300u) << "left as it was";
  auto got = device_reads(gen_all(c));
  auto want = ram_bytes(0x300100, 0x300);
  auto tail = ram_bytes(0x305000, 0x1000);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(got, want);
  // A second command preparing the same descriptor holds it too.
  iodma_cmd* c2 = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c2, m, 1), 0);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(iodma_core_md_reset(m, kToDev), -IODMA_EBUSY);
  ASSERT_EQ(iodma_core_cmd_complete(c2, 0), 0);
  // Released by both: re-pointed, it now describes other bytes.
  ASSERT_EQ(point(m, kToDev, {{0x308000, 0x2000}}), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(device_reads(gen_all(c)), ram_bytes(0x308000, 0x2000));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  // Destroying a prepared command releases its hold.
  ASSERT_EQ(iodma_core_cmd_prepare(c2, 0, 0, 0), 0);
  iodma_core_cmd_destroy(c2);
  cmds_.erase(cmds_.end() - 1);
  EXPECT_EQ(iodma_core_md_reset(m, kToDev), 0);
}

TEST_F(ReusableMdTest, DescriptorOutlivesItsOwnerWhileACommandHoldsIt) {
  fake::add_ram(0x300000, 0x1000);
  iodma_md* m = nullptr;
  ASSERT_EQ(iodma_core_md_create_ranges(4, 0, &m), 0);
  ASSERT_EQ(point(m, kToDev, {{0x300000, 0x1000}}), 0);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 1), 0);
  iodma_core_md_put(m);  // the owner's reference; the command keeps one
  EXPECT_EQ(iodma_core_md_length(iodma_core_cmd_md(c)), 0x1000u);
  EXPECT_EQ(gen_all(c).size(), 1u);
  ASSERT_EQ(iodma_core_cmd_clear_md(c, 1), 0);  // frees it; TearDown checks
}

TEST_F(ReusableMdTest, PrpGapGoesThroughTheCopyBufferAndBack) {
  fake::add_ram(0x400000, 0x10000);
  fill(0x400000, 0x10000, 9);
  iodma_md* m = ranges_md(8);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  // Gap-free: mid-page start, then page-aligned pages: mapped as is.
  ASSERT_EQ(point(m, kToDev, {{0x400200, 0xe00}, {0x403000, 0x1000}}), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
  auto segs = gen_all(c, 1);
  ASSERT_EQ(segs,
            (std::vector<model::Seg>{{0x400200, 0xe00}, {0x403000, 0x1000}}));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  // A sub-page piece in the middle (vectored I/O): a hole in a PRP list.
  // The copy buffer takes it, and every entry then obeys the rules.
  ASSERT_EQ(point(m, kFromDev,
                  {{0x400000, 0x1000}, {0x405000, 0x200}, {0x407000, 0x1000}}),
            0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  segs = gen_all(c, 3);
  uint64_t pos = 0;
  for (size_t i = 0; i < segs.size(); i++) {
    EXPECT_EQ(segs[i].addr % (i == 0 ? 4 : 4096), 0u);
    EXPECT_LE(segs[i].len, 4096u);
    if (i + 1 < segs.size()) {
      EXPECT_EQ((segs[i].addr + segs[i].len) % 4096, 0u);
    }
    pos += segs[i].len;
  }
  EXPECT_EQ(pos, 0x2200u);
  device_writes(segs, 77);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  auto want = expect_pattern(0, 0x2200, 77);
  EXPECT_EQ(ram_bytes(0x400000, 0x1000),
            std::vector<uint8_t>(want.begin(), want.begin() + 0x1000));
  EXPECT_EQ(ram_bytes(0x405000, 0x200),
            std::vector<uint8_t>(want.begin() + 0x1000, want.begin() + 0x1200));
  EXPECT_EQ(ram_bytes(0x407000, 0x1000),
            std::vector<uint8_t>(want.begin() + 0x1200, want.end()));
}

// One request of a blk-mq driver: re-point the descriptor, prepare,
// generate, complete. Everything the I/O path could allocate is counted:
// the core's own memory (iodma_plat_alloc), copy-buffer blocks, IOVAs and
// mappings left behind.
struct AllocCounts {
  long heap, cb_blocks, live_cb, live_maps, live_iovas, live_heap;
  static AllocCounts now() {
    return {fake::total_allocs(),   fake::total_cb_allocs(),
            fake::live_cb_blocks(), fake::live_mappings(),
            fake::live_iovas(),     fake::live_allocs()};
  }
};

// Item 3 of the NVMe sample: a request the device can reach (no gap, no
// address beyond its reach) allocates nothing at all, over 100 000 of them
// (in direct mode; 10 000 through swiotlb and the IOMMU, which only add
// mapping work), after the first request of each shape has grown the
// command's working arrays. The shapes are those NVMe's PRP rules accept
// as they are: a page, sub-page pieces that end and start on pages, a
// 128 KiB run, several whole pages.
TEST_F(ReusableMdTest, HundredThousandRequestsAllocateNothing) {
  fake::add_ram(0x800000, 0x100000);
  const std::vector<std::vector<model::Seg>> shapes = {
      {{0x800000, 0x1000}},
      {{0x810200, 0xe00}, {0x812000, 0x3000}, {0x820000, 0x400}},
      {{0x830000, 0x20000}},
      {{0x860000, 0x1000},
       {0x862000, 0x1000},
       {0x864000, 0x1000},
       {0x866000, 0x1000},
       {0x868000, 0x800}},
  };
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kSwiotlb, fake::Mode::kIommu}) {
    dev_.mode = mode;
    iodma_md* m = ranges_md(16);
    iodma_cmd* c = cmd(prp_spec());
    ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
    std::vector<iodma_plat_range> segs(64);
    // swiotlb=force puts each piece at the start of a slot (the fake, as
    // Linux does for a device without a min_align_mask), so a piece that
    // ended on a page no longer does: the sub-page shape goes through the
    // copy buffer there.
    std::vector<size_t> use = {0, 1, 2, 3};
    if (mode == fake::Mode::kSwiotlb) use = {0, 2, 3};
    auto one = [&](size_t i) {
      const unsigned dir = i % 2 ? kToDev : kFromDev;
      const size_t k = use[i % use.size()];
      ASSERT_EQ(point(m, dir, shapes[k]), 0);
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 0)
          << "mode " << static_cast<int>(mode) << " shape " << k
          << " needs no copy buffer";
      unsigned long long off = 0;
      unsigned n = 64;
      ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, segs.data(), &n), 0);
      ASSERT_EQ(off, iodma_core_md_length(m));
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    };
    for (size_t i = 0; i < 2 * use.size(); i++) one(i);  // warm-up
    const AllocCounts before = AllocCounts::now();
    const int kRequests = mode == fake::Mode::kDirect ? 100000 : 10000;
    for (int i = 0; i < kRequests; i++) {
      one(static_cast<size_t>(i));
      if (HasFatalFailure()) return;
    }
    const AllocCounts after = AllocCounts::now();
    const int m_id = static_cast<int>(mode);
    EXPECT_EQ(after.heap, before.heap) << "mode " << m_id << ": core memory";
    EXPECT_EQ(after.cb_blocks, before.cb_blocks)
        << "mode " << m_id << ": copy-buffer blocks";
    EXPECT_EQ(after.live_heap, before.live_heap) << "mode " << m_id;
    EXPECT_EQ(after.live_cb, 0) << "mode " << m_id;
    EXPECT_EQ(after.live_maps, 0) << "mode " << m_id;
    EXPECT_EQ(after.live_iovas, before.live_iovas) << "mode " << m_id;
  }
}

// What a request the device cannot reach as it is costs: the copy buffer
// (a gap between pieces, as PRP lists forbid). Its blocks are allocated at
// prepare and freed at complete, as swiotlb takes and returns its slots:
// the one allocation left on the I/O path, and only for such requests.
// The core's own memory still does not grow, and nothing stays behind.
TEST_F(ReusableMdTest, GappedRequestsAllocateOnlyTheirCopyBuffer) {
  fake::add_ram(0x800000, 0x100000);
  const std::vector<model::Seg> gapped = {
      {0x810200, 0x600}, {0x812000, 0x3000}, {0x820000, 0x400}};
  iodma_md* m = ranges_md(16);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  std::vector<iodma_plat_range> segs(64);
  auto one = [&](size_t i) {
    ASSERT_EQ(point(m, i % 2 ? kToDev : kFromDev, gapped), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
    unsigned long long off = 0;
    unsigned n = 64;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, segs.data(), &n), 0);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  };
  one(0);
  one(1);
  const AllocCounts before = AllocCounts::now();
  const int kRequests = 10000;
  for (int i = 0; i < kRequests; i++) {
    one(static_cast<size_t>(i));
    if (HasFatalFailure()) return;
  }
  const AllocCounts after = AllocCounts::now();
  EXPECT_EQ(after.heap, before.heap) << "core memory";
  // 0x3a00 bytes: one naturally aligned 16 KiB block per request.
  EXPECT_EQ(after.cb_blocks - before.cb_blocks, kRequests);
  EXPECT_EQ(after.live_cb, 0);
  EXPECT_EQ(after.live_heap, before.live_heap);
}

// A one-range request, the common case for a block driver, takes the fast
// path (one single mapping, no scatterlist) in every platform mode, and
// the device reads the request's own bytes through it; a two-range request
// keeps the scatterlist mapping.
TEST_F(ReusableMdTest, OneRangeRequestIsASingleMapping) {
  fake::add_ram(0x900000, 0x10000);
  fill(0x900000, 0x10000, 7);
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kSwiotlb, fake::Mode::kIommu}) {
    dev_.mode = mode;
    iodma_md* m = ranges_md(4);
    iodma_cmd* c = cmd(prp_spec());
    ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
    for (uint64_t at : {0x900000ull, 0x903000ull}) {
      ASSERT_EQ(point(m, kToDev, {{at, 0x1000}}), 0);
      const long singles = fake::single_maps(), maps = fake::map_calls();
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      EXPECT_EQ(fake::single_maps(), singles + 1)
          << "mode " << static_cast<int>(mode);
      EXPECT_EQ(fake::map_calls(), maps + 1);
      const auto segs = gen_all(c, 4);
      ASSERT_EQ(segs.size(), 1u);
      EXPECT_EQ(device_reads(segs), ram_bytes(at, 0x1000));
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    }
    ASSERT_EQ(point(m, kToDev, {{0x900000, 0x1000}, {0x905000, 0x1000}}), 0);
    const long singles = fake::single_maps();
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    EXPECT_EQ(fake::single_maps(), singles);
    EXPECT_EQ(gen_all(c, 4).size(), 2u);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    EXPECT_EQ(fake::live_mappings(), 0);
  }
}

}  // namespace
}  // namespace xfer
