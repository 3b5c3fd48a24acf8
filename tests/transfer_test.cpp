// SPDX-License-Identifier: GPL-2.0
// prepare / gen_segments / complete / synchronize / read and write bytes on
// the fake platform: SPEC.md sections 3 to 7 and the IOKit defects of 9.
#include <algorithm>

#include "xfer_fixture.h"

namespace {

using xfer::kBidi;
using xfer::kFromDev;
using xfer::kToDev;
using xfer::XferTest;

constexpr unsigned kNoFlush = IODMA_CORE_PREPARE_NO_FLUSH;
constexpr unsigned kNoSync = IODMA_CORE_PREPARE_NO_SYNC;
constexpr unsigned kForCpu = IODMA_CORE_SYNC_FOR_CPU;
constexpr unsigned kForDev = IODMA_CORE_SYNC_FOR_DEVICE;
constexpr unsigned kForce = IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER;

bool prepared(iodma_cmd* c) {
  unsigned long long o, l;
  return iodma_core_cmd_prepared_range(c, &o, &l) == 0;
}

// --- section 3: the descriptor slot ---

TEST_F(XferTest, SetMdHoldsAReference) {
  iodma_cmd* c = cmd();
  iodma_md* m = kva_md(0x100000, 4096, kToDev);
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  EXPECT_EQ(iodma_core_cmd_md(c), m);
  mds_.clear();
  iodma_core_md_put(m);  // the command's reference keeps it alive
  EXPECT_EQ(iodma_core_md_length(iodma_core_cmd_md(c)), 4096u);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(device_reads(gen_all(c)), expect_pattern(0, 4096, 1));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}  // destroy releases the descriptor (teardown checks no allocation left)

TEST_F(XferTest, SetMdRules) {
  iodma_cmd* c = cmd();
  iodma_md* a = kva_md(0x100000, 4096, kToDev);
  iodma_md* b = kva_md(0x200000, 4096, kToDev);
  ASSERT_EQ(iodma_core_cmd_set_md(c, a, 1), 0);
  EXPECT_TRUE(prepared(c)) << "auto_prepare prepares the whole md";
  EXPECT_EQ(iodma_core_cmd_set_md(c, b, 0), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_cmd_set_md(c, nullptr, 0), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_cmd_set_md(c, a, 1), 0) << "same md: no-op";
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_FALSE(prepared(c)) << "the no-op did not nest";
  EXPECT_EQ(iodma_core_cmd_set_md(c, a, 1), 0) << "same md prepares";
  EXPECT_TRUE(prepared(c));
  EXPECT_EQ(iodma_core_cmd_clear_md(c, 0), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);  // nest twice
  EXPECT_EQ(iodma_core_cmd_clear_md(c, 1), 0) << "completes every level";
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(iodma_core_cmd_md(c), nullptr);
  EXPECT_EQ(iodma_core_cmd_set_md(c, b, 0), 0);
  EXPECT_EQ(iodma_core_cmd_set_md(c, nullptr, 0), 0) << "NULL clears";
  EXPECT_EQ(iodma_core_cmd_md(c), nullptr);
}

TEST_F(XferTest, FailedAutoPrepareClearsTheMd) {
  iodma_core_spec s = spec();
  s.max_transfer_size = 1024;
  iodma_cmd* c = cmd(s);
  iodma_md* m = kva_md(0x100000, 4096, kToDev);
  EXPECT_EQ(iodma_core_cmd_set_md(c, m, 1), -IODMA_ENOSPC);
  EXPECT_EQ(iodma_core_cmd_md(c), nullptr);
  EXPECT_FALSE(prepared(c));
}

// --- section 4: prepare ---

TEST_F(XferTest, PrepareArgumentErrors) {
  iodma_core_spec s = spec();
  s.max_transfer_size = 8192;
  s.alignment_length = 4;
  iodma_cmd* c = cmd(s);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENODATA);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 16384, kToDev), 0), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 16384, 0, 0), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 16388, 0), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 8, ~0ull - 4, 0), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_prepare(c, ~0ull, 8, 0), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 8196, 0), -IODMA_ENOSPC);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENOSPC) << "whole md";
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 6, 0), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 8, 0x80), -IODMA_EINVAL);
  EXPECT_FALSE(prepared(c));
  EXPECT_EQ(fake::total_maps(), 0);
}

// SPEC.md 9.3: length 0 means "to the end from offset".
TEST_F(XferTest, LengthZeroMeansToTheEnd) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 16384, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 12288, 0, 0), 0);
  unsigned long long o, l;
  ASSERT_EQ(iodma_core_cmd_prepared_range(c, &o, &l), 0);
  EXPECT_EQ(o, 12288u);
  EXPECT_EQ(l, 4096u);
  EXPECT_EQ(device_reads(gen_all(c)), expect_pattern(12288, 4096, 1));
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// SPEC.md 4 and 9.1: nesting, and a failed prepare changes nothing.
TEST_F(XferTest, NestingCountsOnlyTheSameRange) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 16384, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 4096, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 4096, 0), 0);
  EXPECT_EQ(fake::total_maps(), 1) << "nested prepare does nothing else";
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 4096, 0), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_TRUE(prepared(c));
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_FALSE(prepared(c)) << "the refused prepare was not counted";
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), -IODMA_ENODATA);
  EXPECT_EQ(fake::live_mappings(), 0);
}

// Every failure point of prepare, in turn: the documented error, and the
// command exactly as before (unprepared, nothing pinned, mapped or held).
TEST_F(XferTest, EveryPrepareFailureUnwinds) {
  iodma_core_spec s = spec();
  s.address_bits = 24;  // RAM at 0x1000000+ needs the copy buffer
  iodma_cmd* c = cmd(s);
  fake::map_user(0x10000000, {0x1100000, 0x1102000, 0x1104000}, true);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = kFromDev;
  d.uaddr = 0x10000100;
  d.len = 3 * 4096 - 512;
  for (unsigned i = 0; i < 3; i++) fill(0x1100000 + 0x2000 * i, 4096, 9);
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);

  struct Site {
    const char* what;
    void (*arm)(long);
    int want;
  } sites[] = {
      {"alloc", [](long n) { fake::fail_nth_alloc(n); }, -IODMA_ENOMEM},
      {"pin", [](long n) { fake::fail_nth_pin(n, -IODMA_EFAULT); },
       -IODMA_EFAULT},
      {"pin nomem", [](long n) { fake::fail_nth_pin(n, -IODMA_ENOMEM); },
       -IODMA_ENOMEM},
      {"map", [](long n) { fake::fail_nth_map(n, -IODMA_EIO); }, -IODMA_EIO},
      {"map nomem", [](long n) { fake::fail_nth_map(n, -IODMA_ENOMEM); },
       -IODMA_ENOMEM},
      {"copy buffer", [](long n) { fake::fail_nth_cb(n); }, -IODMA_ENOMEM},
  };
  int injected = 0;
  for (const Site& site : sites) {
    for (long n = 0; n < 8; n++) {
      const long pinned = fake::pinned_pages();
      site.arm(n);
      int err = iodma_core_cmd_prepare(c, 0, 0, 0);
      site.arm(-1);
      if (err == 0) {  // the site is not reached n times: done with it
        ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
        break;
      }
      injected++;
      EXPECT_EQ(err, site.want) << site.what << " #" << n;
      EXPECT_FALSE(prepared(c)) << site.what;
      EXPECT_EQ(fake::pinned_pages(), pinned) << site.what;
      EXPECT_EQ(fake::live_mappings(), 0) << site.what;
      EXPECT_EQ(fake::live_cb_blocks(), 0) << site.what;
      EXPECT_EQ(iodma_core_cmd_complete(c, 0), -IODMA_ENODATA);
    }
  }
  EXPECT_GE(injected, 6);
  // And it still works afterwards, through the copy buffer.
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// The cost of a sub-range does not depend on the descriptor's size.
TEST_F(XferTest, SubRangeTouchesOnlyItsPages) {
  constexpr unsigned kPages = 262144;  // a 1 GiB descriptor of pages
  std::vector<fake::Page> pg(kPages);
  std::vector<void*> pages(kPages);
  fake::add_ram(0x40000000, 64 * 4096);
  for (unsigned i = 0; i < kPages; i++) {
    pg[i].phys = 0x40000000 + (i % 64) * 4096;
    pages[i] = &pg[i];
  }
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_PAGES;
  d.dir = kToDev;
  d.pages = pages.data();
  d.npages = kPages;
  d.len = uint64_t{kPages} * 4096;
  iodma_cmd* c = cmd();
  long before = fake::phys_lookups();
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  EXPECT_EQ(fake::phys_lookups() - before, 2 * long{kPages})
      << "every page looked up at creation (to count, then to record)";
  before = fake::phys_lookups();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 512ull << 20, 65536, 0), 0);
  EXPECT_EQ(fake::phys_lookups() - before, 0) << "none at prepare";
  EXPECT_EQ(gen_all(c).size(), 1u) << "64 KiB of contiguous pages";
  EXPECT_EQ(fake::single_maps(), 1) << "one piece: the fast path";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// After the first prepare, the no-copy path allocates nothing.
TEST_F(XferTest, NoAllocationAfterFirstPrepare) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 32, kBidi), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  gen_all(c);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  const long allocs = fake::total_allocs();
  for (int i = 0; i < 20; i++) {
    ASSERT_EQ(iodma_core_cmd_prepare(c, 4096 * (i % 8), 4096 * (1 + i % 16), 0),
              0);
    gen_all(c, 4);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
  EXPECT_EQ(fake::total_allocs(), allocs);
}

// The same for every descriptor kind and platform mode: after warm-up, a
// prepare/gen/complete cycle (no copy buffer) allocates nothing.
TEST_F(XferTest, ZeroAllocationsPerCycleEveryKindAndMode) {
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kSwiotlb, fake::Mode::kIommu}) {
    dev_.mode = mode;
    fake::map_user(0x50000000, {0x5000000, 0x5002000, 0x5004000}, true);
    static fake::Page pg[3] = {{0x6000000}, {0x6002000}, {0x6004000}};
    static void* pages[3] = {&pg[0], &pg[1], &pg[2]};
    fake::add_ram(0x6000000, 0x6000);
    fake::SgTable t{{{0x7000000, 5000}, {0x7004000, 7000}}};
    fake::add_ram(0x7000000, 0x8000);
    std::vector<iodma_core_md_desc> descs(6);
    descs[0] = {IODMA_CORE_MD_KVA, kBidi, fake::kmalloc_at(0x100000, 12288)};
    descs[0].len = 12288;
    descs[1] = {IODMA_CORE_MD_KVA, kBidi,
                fake::vmalloc_of({0x400000, 0x402000, 0x404000})};
    descs[1].len = 12288;
    descs[2] = {IODMA_CORE_MD_PAGES, kBidi, nullptr, pages, 3};
    descs[2].len = 12288;
    descs[3] = {IODMA_CORE_MD_USER, kBidi};
    descs[3].uaddr = 0x50000000;
    descs[3].len = 12288;
    descs[4] = {IODMA_CORE_MD_SGTABLE, kBidi};
    descs[4].sgt = &t;
    descs[5] = {IODMA_CORE_MD_PHYS, kBidi};
    descs[5].phys = 0x6000000;
    descs[5].len = 8192;
    for (auto& d : descs) {
      iodma_cmd* c = cmd();
      ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
      for (int i = 0; i < 3; i++) {
        const long before = fake::total_allocs();
        ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
        EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
        gen_all(c, 2);
        ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
        if (i > 0) {
          EXPECT_EQ(fake::total_allocs(), before)
              << "kind " << d.kind << " mode " << static_cast<int>(mode);
        }
      }
    }
  }
}

TEST_F(XferTest, NoSyncAndNoFlushBecomeSkipCpuSync) {
  iodma_core_spec s = spec();
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 4096, kToDev), 0), 0);
  // (The same range mapped again also carries IODMA_PLAT_MAP_REUSE.)
  const auto skip = [] {
    return fake::last_map_attrs() & IODMA_PLAT_SKIP_CPU_SYNC;
  };
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, kNoSync), 0);
  EXPECT_EQ(skip(), unsigned{IODMA_PLAT_SKIP_CPU_SYNC});
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, kNoFlush), 0);
  EXPECT_EQ(skip(), 0u) << "MAPPED: the platform decides";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  s.mapping = IODMA_CORE_MAP_NONCOHERENT;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, kNoFlush), 0);
  EXPECT_EQ(skip(), unsigned{IODMA_PLAT_SKIP_CPU_SYNC});
  EXPECT_EQ(iodma_core_cmd_set_spec(c, &s), -IODMA_EBUSY);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- data reaches the device, in every platform mode and kind ---

struct ModeCase {
  fake::Mode mode;
  unsigned dir;
};

class DataTest : public XferTest,
                 public ::testing::WithParamInterface<ModeCase> {};

TEST_P(DataTest, DeviceSeesTheBytesAndItsWritesComeBack) {
  dev_.mode = GetParam().mode;
  const unsigned dir = GetParam().dir;
  iodma_core_spec s = spec();
  s.max_segment_size = 3000;
  iodma_cmd* c = cmd(s);
  // A vmalloc descriptor of scattered pages, a sub-range not page aligned.
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 24, dir), 0), 0);
  const uint64_t off = 5000, len = 60000;
  std::vector<uint8_t> before(len);
  ASSERT_EQ(iodma_core_cmd_prepare(c, off, len, 0), 0);
  ASSERT_EQ(iodma_core_cmd_read_bytes(c, 0, before.data(), len), len);
  auto segs = gen_all(c, 5);
  uint64_t total = 0;
  for (auto& g : segs) {
    EXPECT_LE(g.len, 3000u);
    total += g.len;
  }
  EXPECT_EQ(total, len);
  if (dir != kFromDev) {
    EXPECT_EQ(device_reads(segs), before);
  }
  if (dir != kToDev) {
    device_writes(segs, 77);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, off, len, kNoSync), 0);
    std::vector<uint8_t> after(len);
    ASSERT_EQ(iodma_core_cmd_read_bytes(c, 0, after.data(), len), len);
    EXPECT_EQ(after, expect_pattern(0, len, 77));
  }
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, DataTest,
    ::testing::Values(ModeCase{fake::Mode::kDirect, kToDev},
                      ModeCase{fake::Mode::kDirect, kFromDev},
                      ModeCase{fake::Mode::kDirect, kBidi},
                      ModeCase{fake::Mode::kSwiotlb, kToDev},
                      ModeCase{fake::Mode::kSwiotlb, kFromDev},
                      ModeCase{fake::Mode::kSwiotlb, kBidi},
                      ModeCase{fake::Mode::kIommu, kToDev},
                      ModeCase{fake::Mode::kIommu, kFromDev},
                      ModeCase{fake::Mode::kIommu, kBidi}));

// Mapping entries and emitted segments respect the device's
// max_segment_size and boundary (DMA-API debug checks them), whatever the
// spec says (SPEC.md 10.1).
TEST_F(XferTest, MappingEntriesRespectDeviceLimits) {
  dev_.max_seg = 8192;
  dev_.seg_boundary = 16384;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100100, 100000, kBidi, 3), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  for (auto& g : segs) {
    EXPECT_LE(g.len, 8192u);
    EXPECT_EQ(g.addr / 16384, (g.addr + g.len - 1) / 16384);
  }
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 100000, 3));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

TEST_F(XferTest, BypassedUsesBusAddresses) {
  dev_.bus_offset = 0x80000000;
  iodma_core_spec s = spec();
  s.mapping = IODMA_CORE_MAP_BYPASSED;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].addr, 0x80100000u);
  EXPECT_EQ(fake::total_maps(), 0) << "no DMA API mapping";
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 1));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- the copy buffer ---

// Engages exactly when the platform's addresses break the spec.
TEST_F(XferTest, CopyBufferOnlyWhenNeeded) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c)) << "fits in 24 bits";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 8192, kToDev, 5), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c)) << "above 16 MiB";
  auto segs = gen_all(c);
  for (auto& g : segs) EXPECT_LE(g.addr + g.len - 1, 0xffffffu);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 5));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
}

// swiotlb cannot reach a 24-bit device (its pool is higher): the platform
// reports -EIO and iodma's copy buffer takes over; if that fails too, the
// first error is returned.
TEST_F(XferTest, CopyBufferWhenTheBounceBufferIsOutOfReach) {
  dev_.mode = fake::Mode::kSwiotlb;
  dev_.dma_mask = 0xffffff;
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kBidi, 2), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  auto segs = gen_all(c);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 2));
  device_writes(segs, 3);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(ram_bytes(0x100000, 8192), expect_pattern(0, 8192, 3));
  fake::fail_nth_cb(0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EIO);
  s.mapping = IODMA_CORE_ITERATE_ONLY;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EIO)
      << "iterate-only never copies";
}

// SPEC.md 9.8: the copy buffer honours narrower address bits, and fails
// cleanly when no memory meets them.
TEST_F(XferTest, CopyBufferHonoursAddressBits) {
  iodma_core_spec s = spec();
  s.address_bits = 20;
  dev_.cb_phys = 0x80000;  // below 1 MiB
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 4096, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  for (auto& g : gen_all(c)) EXPECT_LE(g.addr + g.len - 1, 0xfffffu);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  dev_.cb_phys = 0x8000000;  // memory below is short now: worth a retry
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENOMEM);
  EXPECT_FALSE(prepared(c));
  // SPEC.md 10.5: no copy buffer can ever be had below 2^20 for this
  // device: not a retryable error.
  dev_.cb_floor = 0x1000000 - 1;
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EOPNOTSUPP);
  EXPECT_FALSE(prepared(c));
}

TEST_F(XferTest, CopyBufferMeetsAlignment) {
  iodma_core_spec s = spec();
  s.alignment = 16384;
  s.alignment_length = 512;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100200, 8192, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  auto segs = gen_all(c);
  EXPECT_EQ(segs[0].addr % 16384, 0u);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 1));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// SPEC.md 4 and 9.7: from-device copy buffers are filled from the md even
// with NO_SYNC (CVE-2022-0854); to-device ones are not filled with NO_SYNC,
// and never carry stale data.
TEST_F(XferTest, CopyBufferFillRules) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 4096, kFromDev, 3), 0),
            0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, kNoSync), 0);
  auto segs = gen_all(c);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 4096, 3));
  // The device writes only the first 100 bytes; the rest comes back as was.
  std::vector<uint8_t> w(100, 0xee);
  ASSERT_TRUE(fake::device_write(&dev_, segs[0].addr, w.data(), 100));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  auto got = ram_bytes(0x2000000, 4096);
  auto want = expect_pattern(0, 4096, 3);
  std::fill(want.begin(), want.begin() + 100, 0xee);
  EXPECT_EQ(got, want);

  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x3000000, 4096, kToDev, 4), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, kNoSync), 0);
  EXPECT_EQ(device_reads(gen_all(c)), std::vector<uint8_t>(4096, 0))
      << "to-device NO_SYNC: not copied, and zeroed rather than stale";
  ASSERT_EQ(iodma_core_cmd_synchronize(c, kForDev), 0);
  EXPECT_EQ(device_reads(gen_all(c)), expect_pattern(0, 4096, 4));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// SPEC.md 9.9: a sub-range's copy buffer starts at the prepared offset.
TEST_F(XferTest, SubRangeCopyBufferAtPreparedOffset) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 65536, kBidi, 6), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 20000, 9000, 0), 0);
  ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
  auto segs = gen_all(c);
  EXPECT_EQ(device_reads(segs), expect_pattern(20000, 9000, 6));
  device_writes(segs, 8);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  auto got = ram_bytes(0x2000000, 65536);
  auto want = expect_pattern(0, 65536, 6);
  auto w8 = expect_pattern(0, 9000, 8);
  std::copy(w8.begin(), w8.end(), want.begin() + 20000);
  EXPECT_EQ(got, want);
}

TEST_F(XferTest, CompleteNoSyncSkipsCopyBack) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 4096, kFromDev, 3), 0),
            0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  device_writes(gen_all(c), 9);
  ASSERT_EQ(iodma_core_cmd_complete(c, IODMA_CORE_COMPLETE_NO_SYNC), 0);
  EXPECT_EQ(ram_bytes(0x2000000, 4096), expect_pattern(0, 4096, 3));
  EXPECT_EQ(iodma_core_cmd_complete(c, 0x10), -IODMA_EINVAL);
}

TEST_F(XferTest, IterateOnlyNeverCopies) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  s.mapping = IODMA_CORE_ITERATE_ONLY;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 4096, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
  iodma_plat_range seg[4];
  unsigned long long off = 0;
  unsigned n = 4;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_EOVERFLOW);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  s.address_bits = 0;
  s.alignment = 4096;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100010, 256, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  off = 0;
  n = 4;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_EINVAL);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- section 5: gen_segments ---

TEST_F(XferTest, GenSegmentsErrorsChangeNothing) {
  iodma_core_spec s = spec();
  s.max_segment_size = 1024;
  s.mapping = IODMA_CORE_ITERATE_ONLY;
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  iodma_plat_range seg[8];
  unsigned long long off = 0;
  unsigned n = 8;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_ENODATA);
  // Contiguous RAM below 16 MiB that runs past it: the 4th segment fails.
  fake::add_ram(0xfff000, 8192);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_PHYS;
  d.phys = 0xfff400;
  d.len = 4096;
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, nullptr, seg, &n), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, nullptr, &n), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, nullptr), -IODMA_EINVAL);
  n = 0;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_EINVAL);
  off = 4096;
  n = 8;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_ERANGE);
  std::memset(seg, 0x5a, sizeof(seg));
  off = 0;
  n = 8;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_EOVERFLOW);
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(n, 8u);
  for (auto& x : seg) EXPECT_EQ(x.addr, 0x5a5a5a5a5a5a5a5aull) << "untouched";
  n = 2;  // the first two are fine
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(off, 2048u);
  EXPECT_EQ(seg[1].addr, 0xfff800u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

TEST_F(XferTest, ManySmallCallsEqualOneBigCall) {
  iodma_core_spec s = spec();
  s.max_segment_size = 700;
  s.segment_boundary = 2048;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 16, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 333, 50000, 0), 0);
  auto big = gen_all(c, 1000);
  auto one = gen_all(c, 1);
  auto three = gen_all(c, 3);
  EXPECT_EQ(big, one);
  EXPECT_EQ(big, three);
  // Random access: any earlier segment start gives the same tail.
  unsigned long long pos = 0;
  std::vector<unsigned long long> starts;
  for (auto& g : big) {
    starts.push_back(pos);
    pos += g.len;
  }
  for (size_t k : {size_t{7}, size_t{0}, starts.size() - 1, size_t{3}}) {
    unsigned long long off = starts[k];
    iodma_plat_range r;
    unsigned n = 1;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, &r, &n), 0);
    EXPECT_EQ(r.addr, big[k].addr);
    EXPECT_EQ(r.len, big[k].len);
  }
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// SPEC.md 9.11: read/write bytes do not disturb the walk.
TEST_F(XferTest, ReadWriteBytesKeepTheWalk) {
  iodma_core_spec s = spec();
  s.max_segment_size = 1024;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kBidi), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  iodma_plat_range r;
  unsigned long long off = 0;
  unsigned n = 1;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, &r, &n), 0);
  uint8_t b[100];
  EXPECT_EQ(iodma_core_cmd_read_bytes(c, 4000, b, 100), 100u);
  EXPECT_EQ(iodma_core_cmd_write_bytes(c, 10, b, 100), 100u);
  n = 1;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, &r, &n), 0);
  EXPECT_EQ(r.addr, 0x100400u);
  EXPECT_EQ(off, 2048u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

TEST_F(XferTest, ReadWriteBytesClampAndActOnWhatTheDeviceSees) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  uint8_t b[64];
  EXPECT_EQ(iodma_core_cmd_read_bytes(c, 0, b, 64), 0u) << "not prepared";
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 4096, kBidi, 2), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 1000, 2000, 0), 0);
  ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
  EXPECT_EQ(iodma_core_cmd_read_bytes(c, 1990, b, 64), 10u);
  EXPECT_EQ(iodma_core_cmd_read_bytes(c, 2000, b, 64), 0u);
  std::memset(b, 0x42, sizeof(b));
  EXPECT_EQ(iodma_core_cmd_write_bytes(c, 0, b, 64), 64u);
  auto segs = gen_all(c);
  auto seen = device_reads(segs);
  EXPECT_EQ(seen[0], 0x42) << "written into the copy buffer";
  EXPECT_EQ(fake::ram(0x2000000)[1000], xfer::pattern(1000, 2))
      << "not into the md until complete";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::ram(0x2000000)[1000], 0x42);
}

// Output formats: layout and byte order.
TEST_F(XferTest, OutputFormats) {
  struct {
    unsigned fmt;
    size_t size;
    bool big;
  } fmts[] = {{1, 8, false},  {2, 8, true},  {3, 8, false},
              {4, 16, false}, {5, 16, true}, {6, 16, false}};
  for (auto f : fmts) {
    iodma_core_spec s = spec(f.fmt);
    iodma_cmd* c = cmd(s);
    ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x123400, 0x567, kToDev), 0), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    uint8_t out[32];
    std::memset(out, 0xcc, sizeof(out));
    unsigned long long off = 0;
    unsigned n = 2;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, out, &n), 0);
    EXPECT_EQ(n, 1u);
    auto field = [&](size_t at, size_t w) {
      uint64_t v = 0;
      for (size_t i = 0; i < w; i++) {
        const size_t byte = f.big ? w - 1 - i : i;
        v |= uint64_t{out[at + byte]} << (8 * i);
      }
      return v;
    };
    const size_t w = f.size / 2;
    EXPECT_EQ(field(0, w), 0x123400u) << "format " << f.fmt;
    EXPECT_EQ(field(w, w), 0x567u) << "format " << f.fmt;
    EXPECT_EQ(out[f.size], 0xcc) << "nothing past the segment";
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

// SPEC.md 9.12: 32-bit output splits instead of truncating.
TEST_F(XferTest, ThirtyTwoBitNeverTruncates) {
  iodma_core_spec s = spec(1);
  s.mapping = IODMA_CORE_MAP_BYPASSED;
  iodma_cmd* c = cmd(s);
  fake::SgTable t{{{0, 1ull << 32}}};  // 4 GiB from 0: length 2^32
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_SGTABLE;
  d.sgt = &t;
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  uint32_t out[8];
  unsigned long long off = 0;
  unsigned n = 4;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, out, &n), 0);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(out[0], 0u);
  EXPECT_EQ(out[1], 0xffffffffu);
  EXPECT_EQ(out[2], 0xffffffffu);
  EXPECT_EQ(out[3], 1u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

struct Refuser {
  unsigned calls = 0;
  unsigned refuse_at = 2;
  uint64_t got[8][2];
};

bool refuser(void* segs, uint32_t index, uint64_t addr, uint64_t len,
             void* ctx) {
  auto* r = static_cast<Refuser*>(ctx);
  if (r->calls++ == r->refuse_at) return false;
  static_cast<uint64_t*>(segs)[index * 2] = addr;
  static_cast<uint64_t*>(segs)[index * 2 + 1] = len;
  r->got[index][0] = addr;
  r->got[index][1] = len;
  return true;
}

// SPEC.md 5 and 9.10: a custom writer gets 64-bit segments with their
// index; a refusal is -EOVERFLOW, its slot unwritten, the walk unmoved.
TEST_F(XferTest, CustomWriterMayRefuse) {
  Refuser r;
  iodma_core_spec s = spec(IODMA_CORE_FMT_CUSTOM);
  s.seg_fn = reinterpret_cast<void*>(&refuser);
  s.seg_ctx = &r;
  s.max_segment_size = 1024;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  uint64_t out[16];
  std::memset(out, 0x77, sizeof(out));
  unsigned long long off = 0;
  unsigned n = 8;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, out, &n), -IODMA_EOVERFLOW);
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(out[4], 0x7777777777777777ull) << "refused slot not written";
  r.refuse_at = 100;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, out, &n), 0);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(out[2], 0x100400u);
  EXPECT_EQ(out[15], 1024u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- section 6: synchronize ---

TEST_F(XferTest, SynchronizeErrors) {
  iodma_cmd* c = cmd();
  EXPECT_EQ(iodma_core_cmd_synchronize(c, kForCpu), -IODMA_ENODATA);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 4096, kBidi), 1), 0);
  EXPECT_EQ(iodma_core_cmd_synchronize(c, kForCpu | kForDev), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_synchronize(c, 0x1000), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_synchronize_range(c, 4096, 1, kForCpu),
            -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_synchronize_range(c, 100, 4000, kForCpu),
            -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_synchronize_range(c, 100, 0, kForCpu), 0);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// Through swiotlb bouncing: device writes reach the md on FOR_CPU, CPU
// writes reach the device on FOR_DEVICE; the range form only its range.
TEST_F(XferTest, SynchronizeThroughBounceBuffers) {
  dev_.mode = fake::Mode::kSwiotlb;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kBidi, 1), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  auto segs = gen_all(c);
  device_writes(segs, 5);
  EXPECT_EQ(ram_bytes(0x100000, 8192), expect_pattern(0, 8192, 1));
  ASSERT_EQ(iodma_core_cmd_synchronize_range(c, 1000, 10, kForCpu), 0);
  auto got = ram_bytes(0x100000, 8192);
  auto want = expect_pattern(0, 8192, 1);
  auto w5 = expect_pattern(1000, 10, 5);
  std::copy(w5.begin(), w5.end(), want.begin() + 1000);
  EXPECT_EQ(got, want) << "only the 10 bytes";
  ASSERT_EQ(iodma_core_cmd_synchronize(c, kForCpu), 0);
  EXPECT_EQ(ram_bytes(0x100000, 8192), expect_pattern(0, 8192, 5));
  fill(0x100000, 8192, 6);
  ASSERT_EQ(iodma_core_cmd_synchronize(c, kForDev), 0);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 6));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// SPEC.md 9.6: FORCE_DOUBLE_BUFFER works on a command that needs no
// bounce, and lasts only for that preparation.
TEST_F(XferTest, ForceDoubleBuffer) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kBidi, 1), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_FALSE(iodma_core_cmd_is_double_buffered(c));
  const long maps = fake::live_mappings();
  ASSERT_EQ(iodma_core_cmd_synchronize(c, kForce | kForDev), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  EXPECT_EQ(fake::live_mappings(), maps - 1) << "the md mapping is gone";
  auto segs = gen_all(c);
  EXPECT_GE(segs[0].addr, dev_.cb_phys);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, 8192, 1));
  device_writes(segs, 4);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(ram_bytes(0x100000, 8192), expect_pattern(0, 8192, 4));
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c)) << "not latched";
  fake::fail_nth_cb(0);
  EXPECT_EQ(iodma_core_cmd_synchronize(c, kForce), -IODMA_ENOMEM);
  EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
  EXPECT_EQ(device_reads(gen_all(c)), expect_pattern(0, 8192, 4))
      << "the mapping is intact after the failure";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// --- section 7 ---

TEST_F(XferTest, PrepareWithSpec) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 8192, kToDev), 0), 0);
  iodma_core_spec s = spec();
  s.max_segment_size = 1024;
  ASSERT_EQ(iodma_core_cmd_prepare_with_spec(c, &s, 0, 0, 0), 0);
  EXPECT_EQ(gen_all(c).size(), 8u);
  EXPECT_EQ(iodma_core_cmd_prepare_with_spec(c, &s, 0, 0, 0), -IODMA_EBUSY);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  iodma_core_spec t = spec();
  t.max_transfer_size = 100;
  EXPECT_EQ(iodma_core_cmd_prepare_with_spec(c, &t, 0, 0, 0), -IODMA_ENOSPC);
  iodma_core_spec got;
  ASSERT_EQ(iodma_core_cmd_get_spec(c, &got), 0);
  EXPECT_EQ(got.max_segment_size, 1024u) << "failed prepare: spec restored";
  t.alignment = 3;
  EXPECT_EQ(iodma_core_cmd_prepare_with_spec(c, &t, 0, 0, 0), -IODMA_EINVAL);
}

TEST_F(XferTest, DestroyWhilePreparedReleasesEverything) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &c), 0);
  fake::map_user(0x20000000, {0x1200000, 0x1201000}, true);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = kFromDev;
  d.uaddr = 0x20000000;
  d.len = 8192;
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 1), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(fake::pinned_pages(), 2);
  EXPECT_GT(fake::live_cb_blocks(), 0);
  iodma_core_cmd_destroy(c);  // teardown checks pins, blocks, mappings
}

TEST_F(XferTest, UserMemoryPinsForTheDirection) {
  fake::map_user(0x30000000, {0x1300000}, false);  // read-only page
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = kFromDev;
  d.uaddr = 0x30000000;
  d.len = 4096;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EFAULT)
      << "the device cannot write a read-only page";
  d.dir = kToDev;
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(fake::pinned_pages(), 1);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::pinned_pages(), 0);
  d.uaddr = 0x30001000;  // not mapped
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_EFAULT);
}

}  // namespace

namespace {

// Kernel memory prepared again over the same range keeps its gathered
// ranges and maps the scatterlist it built (as a driver reuses an
// sg_table); anything that could change them builds anew. The fake
// checks every reuse against the ranges the scatterlist was built for.
class ReuseTest : public xfer::XferTest {
 protected:
  std::vector<model::Seg> cycle(iodma_cmd* c, uint64_t off, uint64_t len) {
    EXPECT_EQ(iodma_core_cmd_prepare(c, off, len, 0), 0);
    std::vector<model::Seg> s = gen_all(c);
    EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
    return s;
  }
};

TEST_F(ReuseTest, SameRangeOfKernelMemoryMapsTheSameScatterlist) {
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 8, xfer::kBidi), 0),
            0);
  const std::vector<model::Seg> first = cycle(c, 0, 0);
  ASSERT_GT(first.size(), 1u) << "scattered pages: several ranges";
  EXPECT_EQ(fake::reused_maps(), 0);
  const long lookups = fake::phys_lookups();
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_maps(), 1);
  EXPECT_NE(fake::last_map_attrs() & IODMA_PLAT_MAP_REUSE, 0u);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_maps(), 2);
  EXPECT_EQ(fake::phys_lookups(), lookups);

  // Another range builds anew; so does the first one after it.
  const uint64_t pg = fake::page_size();
  cycle(c, pg, 4 * pg);
  EXPECT_EQ(fake::reused_maps(), 2);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_maps(), 2);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_maps(), 3);
}

TEST_F(ReuseTest, AnotherDescriptorOrDeviceLimitBuildsAnew) {
  iodma_cmd* c = cmd();
  iodma_md* a = vmalloc_md(0x400000, 8, xfer::kBidi);
  ASSERT_EQ(iodma_core_cmd_set_md(c, a, 0), 0);
  cycle(c, 0, 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x800000, 8, xfer::kBidi), 0),
            0);
  cycle(c, 0, 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, a, 0), 0);
  cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 0);
  cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 1);

  // The driver lowers the segment size: ranges cut anew, nothing reused.
  dev_.max_seg = fake::page_size();
  const std::vector<model::Seg> s = cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 1);
  for (const auto& g : s) EXPECT_LE(g.len, fake::page_size());
  cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 2);
}

// A mapping of several ranges is compared with the kept list (the last
// one that needed no copy buffer) by the platform as it writes it: the
// core passes how many ranges the kept list has, the platform says
// whether the new ranges are exactly those (IODMA_PLAT_MAPPED_SAME), and
// only then do the kept checks stand. Another list is compared with
// nothing until it is kept itself.
TEST_F(ReuseTest, TheKeptListIsComparedAsTheMappingWritesIt) {
  iodma_cmd* c = cmd();
  const uint64_t pg = fake::page_size();
  ASSERT_EQ(iodma_core_cmd_set_md(c, vmalloc_md(0x400000, 8, xfer::kBidi), 0),
            0);
  const std::vector<model::Seg> first = cycle(c, 0, 0);
  ASSERT_GT(first.size(), 1u);
  EXPECT_EQ(fake::same_maps(), 0) << "nothing kept yet";
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::same_maps(), 1);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::same_maps(), 2);

  const std::vector<model::Seg> part = cycle(c, pg, 4 * pg);
  EXPECT_EQ(fake::same_maps(), 2) << "other ranges";
  EXPECT_NE(part, first);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::same_maps(), 2) << "the kept list is the other one's";
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::same_maps(), 3);

  // Behind an IOMMU whose IOVAs move, the list differs at every mapping:
  // each is checked anew, and an IOVA beyond address_bits bounces.
  iodma_core_spec s = spec();
  s.address_bits = 32;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
  dev_.mode = fake::Mode::kIommu;
  const long same = fake::same_maps();
  for (uint64_t base : {0xfff00000ull, 0x100000000ull, 0xffe00000ull}) {
    dev_.iova_base = base;
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    EXPECT_EQ(iodma_core_cmd_is_double_buffered(c), base > 0xffffffff);
    const std::vector<model::Seg> g = gen_all(c);
    for (const auto& x : g) EXPECT_LE(x.addr + x.len - 1, 0xffffffffu);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
  EXPECT_EQ(fake::same_maps(), same);
}

// One range maps as a single mapping; the same range again, for the same
// device key, skips the shim's bounce decision (IODMA_PLAT_MAP_REUSE, with
// IODMA_PLAT_MAP_BOUNCED when it bounced; the fake fails a reuse of a
// decision never made, or made under another key, or that the mapping now
// contradicts, or passed as the other one). Another range, a changed key:
// decided again.
TEST_F(ReuseTest, SameSingleRangeSkipsTheBounceDecision) {
  iodma_cmd* c = cmd();
  const uint64_t pg = fake::page_size();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 4 * pg, xfer::kBidi), 0),
            0);
  const std::vector<model::Seg> first = cycle(c, 0, 0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(fake::single_maps(), 1);
  EXPECT_EQ(fake::reused_singles(), 0);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_singles(), 1);
  EXPECT_NE(fake::last_map_attrs() & IODMA_PLAT_MAP_REUSE, 0u);

  cycle(c, pg, pg);
  EXPECT_EQ(fake::reused_singles(), 1) << "another range";
  cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_singles(), 1) << "the range the last map was not";
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_singles(), 2);

  // The driver lowers the mask below the buffer: iodma's copy buffer.
  dev_.dma_mask = 0xfffff;
  dev_.cb_phys = 0x10000;
  dev_.cb_size = 0x10000;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::reused_singles(), 2);

  // Every mapping bounces under swiotlb (a new key): decided once, then
  // reused as a decision to bounce (IODMA_PLAT_MAP_BOUNCED), each mapping
  // in a bounce slot of its own.
  dev_.dma_mask = ~0ull;
  dev_.mode = fake::Mode::kSwiotlb;
  const std::vector<model::Seg> bounced = cycle(c, 0, 0);
  ASSERT_EQ(bounced.size(), 1u);
  EXPECT_NE(bounced[0].addr, first[0].addr);
  EXPECT_EQ(fake::reused_singles(), 2);
  EXPECT_EQ(cycle(c, 0, 0).size(), 1u);
  EXPECT_EQ(fake::reused_singles(), 3);
  EXPECT_NE(fake::last_map_attrs() & IODMA_PLAT_MAP_BOUNCED, 0u);

  // Direct again: a new key, decided once more, then reused as direct.
  dev_.mode = fake::Mode::kDirect;
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_singles(), 3);
  EXPECT_EQ(fake::last_map_attrs() & IODMA_PLAT_MAP_BOUNCED, 0u);
  EXPECT_EQ(cycle(c, 0, 0), first);
  EXPECT_EQ(fake::reused_singles(), 4);
  EXPECT_EQ(fake::last_map_attrs() & IODMA_PLAT_MAP_BOUNCED, 0u);
}

TEST_F(ReuseTest, UserMemoryAndReusableDescriptorsBuildEveryTime) {
  iodma_cmd* c = cmd();
  const uint64_t pg = fake::page_size();
  fake::map_user(0x10000000, {0x900000, 0x902000, 0x904000}, true);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = xfer::kBidi;
  d.uaddr = 0x10000000;
  d.len = 3 * pg;
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  cycle(c, 0, 0);
  cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 0) << "pinned pages may differ";

  iodma_md* r = nullptr;
  ASSERT_EQ(iodma_core_md_create_ranges(4, 0, &r), 0);
  own(r);
  fake::add_ram(0xa00000, 8 * pg);
  ASSERT_EQ(iodma_core_md_reset(r, xfer::kBidi), 0);
  ASSERT_EQ(iodma_core_md_add_range(r, 0xa00000, pg), 0);
  ASSERT_EQ(iodma_core_md_add_range(r, 0xa02000, pg), 0);
  ASSERT_EQ(iodma_core_cmd_set_md(c, r, 0), 0);
  cycle(c, 0, 0);
  ASSERT_EQ(iodma_core_md_reset(r, xfer::kBidi), 0);
  ASSERT_EQ(iodma_core_md_add_range(r, 0xa04000, pg), 0);
  ASSERT_EQ(iodma_core_md_add_range(r, 0xa06000, pg), 0);
  const std::vector<model::Seg> s = cycle(c, 0, 0);
  EXPECT_EQ(fake::reused_maps(), 0) << "re-pointed at other ranges";
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].addr, 0xa04000u);
}

}  // namespace

namespace {

// Pinned user pages are translated a run of physically contiguous pages
// at a time (a huge page is one platform call), cut as before.
TEST_F(ReuseTest, PinnedPagesAreTranslatedRunByRun) {
  const uint64_t pg = fake::page_size();
  fake::map_user(0x10000000,
                 {0x900000, 0x900000 + pg, 0x900000 + 2 * pg, 0x900000 + 3 * pg,
                  0xa00000, 0xa00000 + pg},
                 true);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = xfer::kBidi;
  d.uaddr = 0x10000000 + 16;
  d.len = 6 * pg - 32;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  const long runs = fake::page_runs();
  const std::vector<model::Seg> s = cycle(c, 0, 0);
  EXPECT_EQ(fake::page_runs() - runs, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].addr, 0x900000u + 16);
  EXPECT_EQ(s[0].len, 4 * pg - 16);
  EXPECT_EQ(s[1].addr, 0xa00000u);
  EXPECT_EQ(s[1].len, 2 * pg - 16);
}

}  // namespace
