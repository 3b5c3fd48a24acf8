// SPDX-License-Identifier: GPL-2.0
// The fast path (issue 13, item 2): a prepared range that is one physical
// range is mapped without a scatterlist, the device's limits are read again
// only when its raw parameters changed, and a range that is one segment as
// it stands is written by gen_segments without the walk. Each keeps every
// SPEC.md check: these tests hold the fast cases to the same results as the
// general ones, and count what the platform was asked to do.
#include <arpa/inet.h>

#include <algorithm>
#include <random>

#include "xfer_fixture.h"

namespace xfer {
namespace {

constexpr uint64_t kPage = fake::kPage;

class FastPathTest : public XferTest {
 protected:
  // One 4 KiB range of every descriptor kind, each in one piece:
  // kmalloc, one page of a vmalloc area, one page of a page array, one
  // user page, one sg entry, a physical range.
  std::vector<iodma_md*> one_piece_mds(unsigned dir) {
    static fake::Page pg[2] = {{0x6000000}, {0x6003000}};
    static void* pages[2] = {&pg[0], &pg[1]};
    fake::add_ram(0x6000000, 0x4000);
    fill(0x6000000, 0x4000, 3);
    fake::map_user(0x50000000, {0x5000000, 0x5002000}, true);
    fake::add_ram(0x5000000, 0x3000);
    fill(0x5000000, 0x3000, 4);
    static fake::SgTable t;
    t.ents = {{0x7000000, 0x1800}, {0x7004000, 0x2000}};
    fake::add_ram(0x7000000, 0x6000);
    fill(0x7000000, 0x6000, 5);
    std::vector<iodma_md*> mds;
    mds.push_back(kva_md(0x100000, 0x2000, dir));
    mds.push_back(vmalloc_md(0x400000, 2, dir));
    iodma_core_md_desc d{IODMA_CORE_MD_PAGES, dir, nullptr, pages, 2};
    d.len = 0x2000;
    mds.push_back(make_md(d));
    d = {IODMA_CORE_MD_USER, dir};
    d.uaddr = 0x50000000;
    d.len = 0x2000;
    mds.push_back(make_md(d));
    d = {IODMA_CORE_MD_SGTABLE, dir};
    d.sgt = &t;
    mds.push_back(make_md(d));
    d = {IODMA_CORE_MD_PHYS, dir};
    d.phys = 0x6000000;
    d.len = 0x3000;
    mds.push_back(make_md(d));
    return mds;
  }
};

// Every kind, every platform mode: a one-piece 4 KiB range is one single
// mapping and one segment, the device reads the descriptor's bytes through
// it, and after the first cycle neither the platform's allocator nor its
// device query is called again.
TEST_F(FastPathTest, OneRangeIsASingleMappingEveryKindAndMode) {
  const std::vector<iodma_md*> mds = one_piece_mds(kToDev);
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kSwiotlb, fake::Mode::kIommu}) {
    dev_.mode = mode;
    for (size_t k = 0; k < mds.size(); k++) {
      iodma_md* md = mds[k];
      iodma_cmd* c = cmd();
      ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
      // What the device must see: the bytes read_bytes reads before the
      // fast path is involved (a general prepare of a longer range).
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      std::vector<uint8_t> want(kPage);
      ASSERT_EQ(iodma_core_cmd_read_bytes(c, 0, want.data(), kPage), kPage);
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
      for (int i = 0; i < 3; i++) {
        const long allocs = fake::total_allocs(), queries = fake::dev_queries();
        const long singles = fake::single_maps(), maps = fake::map_calls();
        ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
        EXPECT_EQ(fake::single_maps(), singles + 1)
            << "mode " << static_cast<int>(mode) << " descriptor " << k;
        EXPECT_EQ(fake::map_calls(), maps + 1);
        EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
        const auto segs = gen_all(c, 4);
        ASSERT_EQ(segs.size(), 1u);
        EXPECT_EQ(segs[0].addr, fake::last_map_segments().at(0).first);
        EXPECT_EQ(segs[0].len, kPage);
        EXPECT_EQ(device_reads(segs), want);
        ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
        EXPECT_EQ(fake::total_allocs(), allocs);
        EXPECT_EQ(fake::dev_queries(), queries) << "limits queried again";
        EXPECT_EQ(fake::live_mappings(), 0);
      }
    }
  }
}

// Ranges of several physical ranges keep the scatterlist mapping, and
// contiguous pages merged into one range take the single one.
TEST_F(FastPathTest, SeveralRangesKeepTheScatterlistMapping) {
  iodma_md* vm = vmalloc_md(0x400000, 3, kToDev);  // pages 0, 2, 5 apart
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, vm, 0), 0);
  const long singles = fake::single_maps(), maps = fake::map_calls();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 2 * kPage, 0), 0);
  EXPECT_EQ(fake::single_maps(), singles);
  EXPECT_EQ(fake::map_calls(), maps + 1);
  EXPECT_EQ(gen_all(c).size(), 2u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  static fake::Page pg[2] = {{0x6000000}, {0x6001000}};  // adjacent
  static void* pages[2] = {&pg[0], &pg[1]};
  fake::add_ram(0x6000000, 0x2000);
  iodma_core_md_desc d{IODMA_CORE_MD_PAGES, kToDev, nullptr, pages, 2};
  d.len = 0x2000;
  iodma_cmd* c2 = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c2, make_md(d), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c2, 0, 0, 0), 0);
  EXPECT_EQ(fake::single_maps(), singles + 1);
  const auto segs = gen_all(c2);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].addr, 0x6000000u);
  EXPECT_EQ(segs[0].len, 0x2000u);
  ASSERT_EQ(iodma_core_cmd_complete(c2, 0), 0);
}

// SPEC.md 10.1 on the fast path: limits a driver sets after creating its
// commands bind the next prepare (the raw parameters are read at every
// prepare and the device queried again when they changed), in the
// physical ranges, the mapping and the segments.
TEST_F(FastPathTest, LimitsChangedAfterCreateBindTheNextPrepare) {
  iodma_md* md = kva_md(0x100000, 0x4000, kToDev);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(gen_all(c).size(), 1u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  const long queries = fake::dev_queries(), keys = fake::dev_key_reads();
  dev_.max_seg = 1024;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(fake::dev_queries(), queries + 1);
  EXPECT_EQ(fake::dev_key_reads(), keys + 2);  // compared, then read whole
  auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 4u);
  for (const auto& s : segs) EXPECT_EQ(s.len, 1024u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  dev_.max_seg = ~0ull;
  dev_.seg_boundary = 0x800;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0x400, 0x1000, 0), 0);
  EXPECT_EQ(fake::dev_queries(), queries + 2);
  segs = gen_all(c);
  ASSERT_EQ(segs.size(), 3u);
  for (const auto& s : segs)
    EXPECT_EQ(s.addr / 0x800, (s.addr + s.len - 1) / 0x800) << "crosses";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  dev_.seg_boundary = 0;
  dev_.dma_mask = 0xfffff;  // below the buffer: the copy buffer takes it
  dev_.cb_phys = 0x10000;
  dev_.cb_size = 0x10000;
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(fake::dev_queries(), queries + 3);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_LE(segs[0].addr + segs[0].len - 1, 0xfffffu);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, kPage, 1));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  // Unchanged parameters: the key is read, the device is not queried.
  const long keys_now = fake::dev_key_reads();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(fake::dev_queries(), queries + 3);
  EXPECT_EQ(fake::dev_key_reads(), keys_now + 1);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// A single range that the spec cuts is still one mapping, and the walk
// cuts it; one the spec refuses (ITERATE_ONLY, misaligned) fails at
// gen_segments as before.
TEST_F(FastPathTest, SpecCutsAndChecksStayOnASingleMapping) {
  iodma_md* md = kva_md(0x100000, 0x4000, kToDev);
  iodma_core_spec s = spec();
  s.max_segment_size = 1000;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  const long singles = fake::single_maps();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(fake::single_maps(), singles + 1);
  auto segs = gen_all(c, 1);
  ASSERT_EQ(segs.size(), 5u);
  EXPECT_EQ(segs[4].len, 96u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  s = spec();
  s.mapping = 0x40;  // MAPPED | ITERATE_ONLY
  s.alignment = 256;
  iodma_cmd* it = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(it, md, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(it, 16, 512, 0), 0);
  iodma_plat_range out[2] = {{1, 2}, {3, 4}};
  unsigned long long off = 0;
  unsigned n = 2;
  EXPECT_EQ(iodma_core_cmd_gen_segments(it, &off, out, &n), -IODMA_EINVAL);
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(out[0].addr, 1u);
  ASSERT_EQ(iodma_core_cmd_complete(it, 0), 0);
}

// A contiguous range longer than the device's maximum segment (PCI's
// default 64 KiB) is still one single mapping: the device's segment size is
// a scatterlist rule, and the walk cuts the device range at it. Where the
// platform bounces (swiotlb's slots are smaller) or a bounce slot could
// not hold it (the segment boundary), it takes the scatterlist mapping as
// before. The device reads the right bytes either way.
TEST_F(FastPathTest, RangeBeyondTheDeviceSegmentIsOneMapping) {
  dev_.max_seg = 0x10000;
  for (fake::Mode mode :
       {fake::Mode::kDirect, fake::Mode::kIommu, fake::Mode::kSwiotlb}) {
    SCOPED_TRACE(static_cast<int>(mode));
    dev_.mode = mode;
    iodma_md* md = kva_md(0x1000000, 0x100000, kToDev, 9);
    iodma_cmd* c = cmd();
    ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
    const long singles = fake::single_maps(), maps = fake::map_calls();
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    // swiotlb cannot take 1 MiB in one slot run: 16 scatterlist entries.
    const bool single = mode != fake::Mode::kSwiotlb;
    EXPECT_EQ(fake::single_maps() - singles, single ? 1 : 0);
    EXPECT_EQ(fake::map_calls() - maps, 1);
    const auto segs = gen_all(c, 7);
    EXPECT_GE(segs.size(), 16u);
    for (const auto& sg : segs) EXPECT_LE(sg.len, 0x10000u);
    EXPECT_EQ(device_reads(segs), ram_bytes(0x1000000, 0x100000));
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
  // A boundary the range crosses: cut before mapping, as swiotlb needs.
  dev_.mode = fake::Mode::kDirect;
  dev_.seg_boundary = 0x10000;
  iodma_md* md = kva_md(0x1208000, 0x10000, kToDev, 10);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  const long singles = fake::single_maps();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(fake::single_maps(), singles);
  const auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(device_reads(segs), ram_bytes(0x1208000, 0x10000));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// One long device range that only max_segment_size, segment_boundary and
// its end cut (no alignment but the first): gen_segments computes the cuts
// directly instead of walking. From any offset, any number per call, it
// emits exactly what the reference walk emits; with an alignment the walk
// runs as before, to the same result.
TEST_F(FastPathTest, OneLongRangeIsCutAsTheWalkCutsIt) {
  std::mt19937_64 rng(13);
  const uint64_t base = 0x3000000;
  void* kva = fake::kmalloc_at(base, 0x300000);
  fill(base, 0x300000, 11);
  for (int round = 0; round < 300; round++) {
    SCOPED_TRACE(round);
    iodma_core_spec in = spec();
    in.max_segment_size = round % 3 == 0 ? 0x10000 : 1 + rng() % 0x20000;
    in.segment_boundary = round % 4 == 0 ? 0 : 1ull << (12 + rng() % 8);
    if (round % 5 == 4) in.alignment_internal = 16;  // the walk's path
    iodma_core_spec eff;
    if (iodma_core_spec_resolve(&dev_, &in, &eff) != 0) continue;
    iodma::Spec sp;
    iodma::DeviceInfo di;
    ASSERT_EQ(iodma::Spec::resolve(eff, di, &sp), iodma::kOk);
    const uint64_t off = rng() % 0x1000 * (round % 5 == 4 ? 16 : 1);
    const uint64_t len = 1 + rng() % (0x280000 - off);
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_KVA;
    d.dir = kToDev;
    d.kva = kva;
    d.len = 0x300000;
    iodma_md* md = make_md(d);
    iodma_cmd* c = cmd(in);
    ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, off, len, 0), 0);
    std::vector<model::Seg> want;
    ASSERT_EQ(model::walk(sp, {{base + off, len}}, 0, &want), 0);
    EXPECT_EQ(gen_all(c, 1 + static_cast<unsigned>(rng() % 9)), want);
    // From an offset inside the range, where a segment starts and not.
    const uint64_t from = rng() % len;
    std::vector<model::Seg> rest;
    const int werr = model::walk(sp, {{base + off, len}}, from, &rest);
    iodma_plat_range buf[4];
    unsigned long long pos = from;
    unsigned n = 4;
    const int err = iodma_core_cmd_gen_segments(c, &pos, buf, &n);
    EXPECT_EQ(err, werr);
    if (err == 0) {
      ASSERT_EQ(n, std::min<size_t>(4, rest.size()));
      for (unsigned i = 0; i < n; i++)
        EXPECT_EQ((model::Seg{buf[i].addr, buf[i].len}), rest[i]) << i;
    }
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

// gen_segments' argument checks, offsets, formats and a refusing custom
// writer on a range that is one segment.
bool refuse_all(void*, uint32_t, uint64_t, uint64_t, void* ctx) {
  ++*static_cast<int*>(ctx);
  return false;
}

TEST_F(FastPathTest, GenSegmentsOfOneSegmentKeepsEveryCheck) {
  iodma_md* md = kva_md(0x100000, 0x4000, kToDev);
  iodma_cmd* c = cmd(spec(2));  // BIG32
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  unsigned long long off = 0;
  unsigned n = 1;
  uint32_t seg[4] = {7, 7, 7, 7};
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_ENODATA);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0x10, 0x800, 0), 0);
  n = 0;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_EINVAL);
  n = 1;
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, nullptr, &n), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, nullptr), -IODMA_EINVAL);
  EXPECT_EQ(seg[0], 7u);
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(off, 0x800u);
  EXPECT_EQ(ntohl(seg[0]), 0x100010u);
  EXPECT_EQ(ntohl(seg[1]), 0x800u);
  EXPECT_EQ(seg[2], 7u);
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), -IODMA_ERANGE);
  // From inside the range: the rest of it.
  off = 0x300;
  n = 4;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(ntohl(seg[0]), 0x100310u);
  EXPECT_EQ(ntohl(seg[1]), 0x500u);
  // And from the start again.
  off = 0;
  ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
  EXPECT_EQ(ntohl(seg[1]), 0x800u);
  iodma_core_stats st{};
  iodma_core_cmd_stats(c, &st);
  EXPECT_EQ(st.gen_calls, 3u);
  EXPECT_EQ(st.segments, 3u);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  int refused = 0;
  iodma_core_spec s = spec(7);
  s.seg_fn = reinterpret_cast<void*>(&refuse_all);
  s.seg_ctx = &refused;
  iodma_cmd* cu = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(cu, md, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(cu, 0, kPage, 0), 0);
  off = 0;
  n = 3;
  EXPECT_EQ(iodma_core_cmd_gen_segments(cu, &off, seg, &n), -IODMA_EOVERFLOW);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(n, 3u);
  ASSERT_EQ(iodma_core_cmd_complete(cu, 0), 0);
}

// A single mapping through swiotlb: synchronize hands the bounce to the
// CPU and back, read/write bytes act on what the device sees, and
// FORCE_DOUBLE_BUFFER moves it to a copy buffer, unmapping it once.
TEST_F(FastPathTest, SingleMappingSynchronizesAndMovesToACopyBuffer) {
  dev_.mode = fake::Mode::kSwiotlb;
  dev_.coherent = false;
  iodma_md* md = kva_md(0x100000, 0x4000, kBidi);
  iodma_core_spec s = spec();
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0x1000, kPage, 0), 0);
  EXPECT_EQ(fake::live_mappings(), 1);
  auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_GE(segs[0].addr, fake::kSwiotlbBase);
  device_writes(segs, 9);
  fake::clear_cache_ops();
  ASSERT_EQ(iodma_core_cmd_synchronize(c, IODMA_CORE_SYNC_FOR_CPU), 0);
  EXPECT_FALSE(fake::cache_ops().empty()) << "no maintenance for the CPU";
  EXPECT_EQ(ram_bytes(0x101000, kPage), expect_pattern(0, kPage, 9));
  std::vector<uint8_t> b(16, 0xab);
  ASSERT_EQ(iodma_core_cmd_write_bytes(c, 0, b.data(), b.size()), 16u);
  ASSERT_EQ(iodma_core_cmd_synchronize(c, IODMA_CORE_SYNC_FOR_DEVICE), 0);
  std::vector<uint8_t> seen(16);
  ASSERT_TRUE(fake::device_read(&dev_, segs[0].addr, seen.data(), 16));
  EXPECT_EQ(seen, b);

  ASSERT_EQ(
      iodma_core_cmd_synchronize(
          c, IODMA_CORE_SYNC_FOR_DEVICE | IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER),
      0);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  EXPECT_EQ(fake::live_mappings(), 0);
  segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  ASSERT_TRUE(fake::device_read(&dev_, segs[0].addr, seen.data(), 16));
  EXPECT_EQ(seen, b);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
}

// A failing single mapping leaves the command as it was; a swiotlb pool
// the device cannot reach (-EIO) sends a single range to the copy buffer.
TEST_F(FastPathTest, SingleMappingFailuresLeaveNothingBehind) {
  iodma_md* md = kva_md(0x100000, 0x4000, kToDev);
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  fake::fail_nth_map(0, -IODMA_ENOMEM);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), -IODMA_ENOMEM);
  unsigned long long o, l;
  EXPECT_EQ(iodma_core_cmd_prepared_range(c, &o, &l), -IODMA_ENODATA);
  EXPECT_EQ(fake::live_mappings(), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), -IODMA_ENODATA);

  dev_.mode = fake::Mode::kSwiotlb;
  dev_.dma_mask = 0xffffff;  // below swiotlb's pool, above the buffer
  const long singles = fake::single_maps();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, kPage, 0), 0);
  EXPECT_EQ(fake::single_maps(), singles + 1);
  EXPECT_EQ(fake::last_map_result(), -IODMA_EIO);
  EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
  const auto segs = gen_all(c);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(device_reads(segs), expect_pattern(0, kPage, 1));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// The checks of a mapped list are kept for the next prepare of the same
// list only: an IOVA moved beyond address_bits sends the range to the copy
// buffer, moved back it takes the mapping again, and a stricter spec cuts
// the same addresses again. One range, and two (an sg table whose first
// entry is not whole pages: the IOMMU keeps them apart).
TEST_F(FastPathTest, KeptChecksFollowTheAddressesAndTheSpec) {
  dev_.mode = fake::Mode::kIommu;
  static fake::SgTable t;
  t.ents = {{0x7000000, 0x1800}, {0x7004000, 0x2000}};
  fake::add_ram(0x7000000, 0x6000);
  fill(0x7000000, 0x6000, 5);
  iodma_core_md_desc d{IODMA_CORE_MD_SGTABLE, kToDev};
  d.sgt = &t;
  const std::vector<iodma_md*> mds = {kva_md(0x100000, 0x2000, kToDev),
                                      make_md(d)};
  constexpr uint64_t kLow = 0xfff00000, kHigh = 0x100000000;
  for (size_t k = 0; k < mds.size(); k++) {
    iodma_core_spec s = spec();
    s.address_bits = 32;
    iodma_cmd* c = cmd(s);
    ASSERT_EQ(iodma_core_cmd_set_md(c, mds[k], 0), 0);
    for (uint64_t base : {kLow, kHigh, kLow, kLow}) {
      dev_.iova_base = base;
      ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
      unsigned long long off, len;
      ASSERT_EQ(iodma_core_cmd_prepared_range(c, &off, &len), 0);
      std::vector<uint8_t> want(len);
      ASSERT_EQ(iodma_core_cmd_read_bytes(c, 0, want.data(), len), len);
      EXPECT_EQ(iodma_core_cmd_is_double_buffered(c), base == kHigh ? 1 : 0)
          << "descriptor " << k << " IOVAs from " << std::hex << base;
      const auto segs = gen_all(c);
      ASSERT_EQ(segs.size(), base == kHigh ? 1u : k + 1);
      for (const auto& g : segs) {
        EXPECT_LE(g.addr + g.len - 1, 0xffffffffu);
      }
      if (base == kLow) {
        EXPECT_EQ(segs[0].addr, kLow);
      }
      EXPECT_EQ(device_reads(segs), want);
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    }
    s.max_segment_size = 0x400;
    ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    const auto segs = gen_all(c);
    EXPECT_EQ(segs[0].addr, kLow);
    EXPECT_EQ(segs.size(), k == 0 ? 8u : 14u);
    for (const auto& g : segs) EXPECT_LE(g.len, 0x400u);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

// An IOMMU maps a scatterlist into one IOVA block, and cuts it into
// several DMA segments that continue each other (here at the device's
// 12 KiB segment size, entries of 8 KiB): the device list is several
// ranges, the walk coalesces them, and gen_segments cuts them as one
// range by stride, from any offset and in as many calls as the caller
// likes, and the first segment from offset 0 the same way.
TEST_F(FastPathTest, RangesThatContinueEachOtherAreCutAsOne) {
  dev_.mode = fake::Mode::kIommu;
  dev_.max_seg = 3 * kPage;
  fake::add_ram(0x400000, 2 * kPage);
  fake::add_ram(0x500000, 2 * kPage);
  fake::add_ram(0x600000, 2 * kPage);
  void* kva = fake::vmalloc_of(
      {0x400000, 0x401000, 0x500000, 0x501000, 0x600000, 0x601000});
  fill(0x400000, 2 * kPage, 6);
  fill(0x500000, 2 * kPage, 7);
  fill(0x600000, 2 * kPage, 8);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_KVA;
  d.dir = kToDev;
  d.kva = kva;
  d.len = 6 * kPage;
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, make_md(d), 0), 0);
  for (int round = 0; round < 2; round++) {  // checked, then kept
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    const auto mapped = fake::last_map_segments();
    ASSERT_EQ(mapped.size(), 3u) << "three 8 KiB DMA segments";
    const uint64_t iova = mapped[0].first;
    for (size_t i = 1; i < mapped.size(); i++)
      ASSERT_EQ(mapped[i].first, mapped[i - 1].first + mapped[i - 1].second);
    std::vector<uint8_t> want(6 * kPage);
    ASSERT_EQ(iodma_core_cmd_read_bytes(c, 0, want.data(), want.size()),
              want.size());
    const auto segs = gen_all(c);
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].addr, iova);
    EXPECT_EQ(segs[0].len, 3 * kPage);
    EXPECT_EQ(segs[1].addr, iova + 3 * kPage);
    EXPECT_EQ(segs[1].len, 3 * kPage);
    EXPECT_EQ(device_reads(segs), want);
    // One segment at a time from inside the second range, then the rest.
    iodma_plat_range seg[4]{};
    unsigned long long off = kPage;
    unsigned n = 1;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(seg[0].addr, iova + kPage);
    EXPECT_EQ(seg[0].len, 3 * kPage);
    EXPECT_EQ(off, 4 * kPage);
    n = 4;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, seg, &n), 0);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(seg[0].addr, iova + 4 * kPage);
    EXPECT_EQ(seg[0].len, 2 * kPage);
    EXPECT_EQ(off, 6 * kPage);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

// The kept list's starts (the offsets gen_segments seeks by) stay its own:
// a prepare in between whose mapping has as many ranges, of other lengths,
// and goes to the copy buffer, writes its starts over them and forgets
// the kept list. A seek into the second range then finds that range.
TEST_F(FastPathTest, KeptListKeepsItsOwnStarts) {
  fake::add_ram(0x100000000, kPage);
  void* kva = fake::vmalloc_of({0x400000, 0x402000, 0x404000, 0x100000000});
  fake::add_ram(0x400000, 0x5000);
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_KVA;
  d.dir = kToDev;
  d.kva = kva;
  d.len = 4 * kPage;
  iodma_md* md = make_md(d);
  iodma_core_spec s = spec();
  s.address_bits = 32;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
  for (int round = 0; round < 2; round++) {
    // Ranges of 0x800 and 0x1000 bytes, below 4 GiB.
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0x800, 0x1800, 0), 0);
    EXPECT_FALSE(iodma_core_cmd_is_double_buffered(c));
    iodma_plat_range seg{};
    unsigned long long off = 0x800;
    unsigned n = 1;
    ASSERT_EQ(iodma_core_cmd_gen_segments(c, &off, &seg, &n), 0);
    EXPECT_EQ(seg.addr, 0x402000u) << "round " << round;
    EXPECT_EQ(seg.len, kPage);
    EXPECT_EQ(off, 0x1800u);
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    // Ranges of 0x1000 and 0x800 bytes, the second above 4 GiB.
    ASSERT_EQ(iodma_core_cmd_prepare(c, 2 * kPage, 0x1800, 0), 0);
    EXPECT_TRUE(iodma_core_cmd_is_double_buffered(c));
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  }
}

}  // namespace
}  // namespace xfer
