// SPDX-License-Identifier: GPL-2.0
// Memory descriptors (SPEC.md section 1): the six kinds, reference
// counting, bad input.
#include "xfer_fixture.h"

namespace {

using xfer::XferTest;

class MdTest : public XferTest {};

TEST_F(MdTest, KmallocIsOneRange) {
  iodma_md* m = kva_md(0x100000, 10000, xfer::kToDev);
  EXPECT_EQ(iodma_core_md_length(m), 10000u);
  EXPECT_EQ(iodma_core_md_direction(m), xfer::kToDev);
}

TEST_F(MdTest, EveryKindHasItsLengthAndDirection) {
  vmalloc_md(0x400000, 5, xfer::kFromDev);
  EXPECT_EQ(iodma_core_md_length(mds_.back()), 5 * fake::kPage);
  EXPECT_EQ(iodma_core_md_direction(mds_.back()), xfer::kFromDev);

  fake::add_ram(0x800000, 4 * fake::kPage);
  static fake::Page pg[4] = {{0x800000}, {0x801000}, {0x802000}, {0x803000}};
  void* pages[4] = {&pg[0], &pg[1], &pg[2], &pg[3]};
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_PAGES;
  d.pages = pages;
  d.npages = 4;
  d.offset = 100;
  d.len = 3 * fake::kPage;
  EXPECT_EQ(iodma_core_md_length(make_md(d)), 3 * fake::kPage);

  fake::map_user(0x10000000, {0x900000, 0x901000}, true);
  d = {};
  d.kind = IODMA_CORE_MD_USER;
  d.dir = xfer::kBidi;
  d.uaddr = 0x10000010;
  d.len = 5000;
  EXPECT_EQ(iodma_core_md_length(make_md(d)), 5000u);

  fake::SgTable t{{{0x900000, 100}, {0x901000, 0}, {0x902000, 50}}};
  d = {};
  d.kind = IODMA_CORE_MD_SGTABLE;
  d.sgt = &t;
  EXPECT_EQ(iodma_core_md_length(make_md(d)), 150u) << "empty entries skipped";

  d = {};
  d.kind = IODMA_CORE_MD_PHYS;
  d.phys = 0x800010;
  d.len = 64;
  EXPECT_EQ(iodma_core_md_length(make_md(d)), 64u);
}

TEST_F(MdTest, BadDescriptionsAreRejected) {
  fake::add_ram(0x800000, fake::kPage);
  void* kva = fake::kmalloc_at(0x800000, 100);
  fake::Page pg{0x800000};
  void* pages[1] = {&pg};
  fake::SgTable empty;
  fake::SgTable zeros{{{0x800000, 0}}};
  struct {
    const char* what;
    iodma_core_md_desc d;
    int want;
  } cases[] = {
      {"kva NULL",
       {IODMA_CORE_MD_KVA, 1, nullptr, nullptr, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"kva len 0",
       {IODMA_CORE_MD_KVA, 1, kva, nullptr, 0, 0, 0, nullptr, 0, 0},
       -IODMA_EINVAL},
      {"kva not mapped",
       {IODMA_CORE_MD_KVA, 1, &cases, nullptr, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"kva past buffer",
       {IODMA_CORE_MD_KVA, 1, kva, nullptr, 0, 0, 0, nullptr, 0, 101},
       -IODMA_EINVAL},
      {"direction none",
       {IODMA_CORE_MD_KVA, 3, kva, nullptr, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"unknown kind",
       {9, 1, kva, nullptr, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"pages NULL",
       {IODMA_CORE_MD_PAGES, 1, nullptr, nullptr, 1, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"pages offset past",
       {IODMA_CORE_MD_PAGES, 1, nullptr, pages, 1, 4096, 0, nullptr, 0, 1},
       -IODMA_EINVAL},
      {"pages len past",
       {IODMA_CORE_MD_PAGES, 1, nullptr, pages, 1, 100, 0, nullptr, 0, 4000},
       -IODMA_EINVAL},
      {"pages none",
       {IODMA_CORE_MD_PAGES, 1, nullptr, pages, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"user wraps",
       {IODMA_CORE_MD_USER, 1, nullptr, nullptr, 0, 0, ~0ull - 4, nullptr, 0,
        8},
       -IODMA_EINVAL},
      {"user kernel half",
       {IODMA_CORE_MD_USER, 1, nullptr, nullptr, 0, 0, 0xffff800000000000ull,
        nullptr, 0, 8},
       -IODMA_EFAULT},
      {"user NULL",
       {IODMA_CORE_MD_USER, 1, nullptr, nullptr, 0, 0, 0, nullptr, 0, 8},
       -IODMA_EINVAL},
      {"sgt NULL",
       {IODMA_CORE_MD_SGTABLE, 1, nullptr, nullptr, 0, 0, 0, nullptr, 0, 0},
       -IODMA_EINVAL},
      {"sgt empty",
       {IODMA_CORE_MD_SGTABLE, 1, nullptr, nullptr, 0, 0, 0, &empty, 0, 0},
       -IODMA_EINVAL},
      {"sgt all empty entries",
       {IODMA_CORE_MD_SGTABLE, 1, nullptr, nullptr, 0, 0, 0, &zeros, 0, 0},
       -IODMA_EINVAL},
      {"phys not RAM",
       {IODMA_CORE_MD_PHYS, 1, nullptr, nullptr, 0, 0, 0, nullptr, 0x7000000,
        8},
       -IODMA_EINVAL},
      {"phys wraps",
       {IODMA_CORE_MD_PHYS, 1, nullptr, nullptr, 0, 0, 0, nullptr, ~0ull, 8},
       -IODMA_EINVAL},
  };
  for (auto& c : cases) {
    iodma_md* m = nullptr;
    EXPECT_EQ(iodma_core_md_create(&c.d, 0, &m), c.want) << c.what;
    EXPECT_EQ(m, nullptr) << c.what;
  }
  iodma_md* m = nullptr;
  EXPECT_EQ(iodma_core_md_create(nullptr, 0, &m), -IODMA_EINVAL);
  EXPECT_EQ(fake::live_allocs(), 0);
}

TEST_F(MdTest, AllocationFailureLeavesNothing) {
  fake::SgTable t{{{0x900000, 100}}};
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_SGTABLE;
  d.sgt = &t;
  iodma_md* m = nullptr;
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_md_create(&d, 0, &m), -IODMA_ENOMEM);
  EXPECT_EQ(m, nullptr);
}

TEST_F(MdTest, ReferenceCounted) {
  iodma_md* m = kva_md(0x100000, 64, xfer::kToDev);
  iodma_core_md_get(m);
  iodma_core_md_put(m);
  EXPECT_EQ(fake::live_allocs(), 1) << "still referenced by the fixture";
  iodma_core_md_put(nullptr);
  EXPECT_EQ(iodma_core_md_length(nullptr), 0u);
  EXPECT_EQ(iodma_core_md_direction(nullptr), 3u);
}

// Vmalloc and page-array descriptors record their physically contiguous
// pieces at creation: prepare looks no page up, and a range that lies in
// one piece maps as one range even when it spans pages.
TEST_F(MdTest, VmallocPiecesAreRecordedAtCreation) {
  const uint64_t pg = fake::page_size();
  // Pages 0-2 contiguous, then a jump, then 2 contiguous.
  const std::vector<uint64_t> phys = {
      0x800000, 0x800000 + pg, 0x800000 + 2 * pg, 0xa00000, 0xa00000 + pg};
  fake::add_ram(0x800000, 3 * pg);
  fake::add_ram(0xa00000, 2 * pg);
  void* kva = fake::vmalloc_of(phys);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_KVA;
  d.dir = xfer::kToDev;
  d.kva = static_cast<char*>(kva) + 100;
  d.len = 5 * pg - 200;
  iodma_md* m = make_md(d);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);

  const long lookups = fake::phys_lookups();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 2 * pg, 0), 0);
  EXPECT_EQ(fake::phys_lookups(), lookups) << "no lookup at prepare";
  EXPECT_EQ(fake::single_maps(), 1) << "two pages of one piece, one map";
  std::vector<model::Seg> s = gen_all(c);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].addr, 0x800000 + 100);
  EXPECT_EQ(s[0].len, 2 * pg);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  // The whole range: two pieces, the second ending 100 bytes short.
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  s = gen_all(c);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].addr, 0x800000 + 100);
  EXPECT_EQ(s[0].len, 3 * pg - 100);
  EXPECT_EQ(s[1].addr, 0xa00000u);
  EXPECT_EQ(s[1].len, 2 * pg - 100);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::phys_lookups(), lookups);
}

TEST_F(MdTest, PageArrayIsReadOnlyAtCreation) {
  const uint64_t pg = fake::page_size();
  fake::add_ram(0x800000, 4 * pg);
  fake::Page p[3] = {{0x802000}, {0x800000}, {0x801000}};
  std::vector<void*> pages = {&p[0], &p[1], &p[2]};
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_PAGES;
  d.dir = xfer::kToDev;
  d.pages = pages.data();
  d.npages = 3;
  d.offset = pg + 8;
  d.len = 2 * pg - 8;
  iodma_md* m = make_md(d);
  // The caller may reuse its array: the descriptor kept the ranges.
  pages.assign(3, nullptr);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  std::vector<model::Seg> s = gen_all(c);
  ASSERT_EQ(s.size(), 1u) << "pages 1 and 2 are contiguous";
  EXPECT_EQ(s[0].addr, 0x800000u + 8);
  EXPECT_EQ(s[0].len, 2 * pg - 8);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

TEST_F(MdTest, PiecesAllocationFailureLeavesNothing) {
  const long live = fake::live_allocs();
  fake::fail_nth_alloc(0);
  std::vector<uint64_t> phys = {0x800000, 0x900000};
  fake::add_ram(0x800000, fake::page_size());
  fake::add_ram(0x900000, fake::page_size());
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_KVA;
  d.dir = xfer::kToDev;
  d.kva = fake::vmalloc_of(phys);
  d.len = 2 * fake::page_size();
  iodma_md* m = nullptr;
  EXPECT_EQ(iodma_core_md_create(&d, 0, &m), -IODMA_ENOMEM);
  EXPECT_EQ(fake::live_allocs(), live);
}

}  // namespace
