// SPDX-License-Identifier: GPL-2.0
// Randomized: spec x descriptor layout (physical discontinuities, high
// addresses) x prepared sub-range x output array size x call sequence,
// through the whole command, checked against the reference model.
#include <random>

#include "xfer_fixture.h"

namespace {

using xfer::XferTest;

uint64_t pick(std::mt19937_64& rng, std::initializer_list<uint64_t> v) {
  return *(v.begin() + rng() % v.size());
}

class RandomCmdTest : public XferTest {
 protected:
  // The device ranges of [off, off + len) of an sg layout, as direct
  // mapping gives them (dma == phys), for the model.
  static std::vector<model::Seg> sub_layout(const fake::SgTable& t,
                                            uint64_t off, uint64_t len) {
    std::vector<model::Seg> out;
    for (auto [phys, n] : t.ents) {
      if (off >= n) {
        off -= n;
        continue;
      }
      const uint64_t take = std::min(n - off, len);
      if (!out.empty() && out.back().addr + out.back().len == phys + off)
        out.back().len += take;
      else
        out.push_back({phys + off, take});
      len -= take;
      off = 0;
      if (len == 0) break;
    }
    return out;
  }
};

TEST_F(RandomCmdTest, CommandAgreesWithModel) {
  std::mt19937_64 rng(0x10d3a);
  int compared = 0, copies = 0, errors = 0;
  for (int iter = 0; iter < 1500; iter++) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    fake::reset();
    iodma_core_spec s = spec(pick(rng, {1, 2, 3, 4, 5, 6}));
    const bool is32 = s.format <= 3;
    s.address_bits = static_cast<unsigned char>(
        is32 ? pick(rng, {0, 24, 28}) : pick(rng, {0, 24, 30, 40}));
    s.alignment_length = static_cast<unsigned>(pick(rng, {0, 1, 4, 8}));
    s.alignment_internal = static_cast<unsigned>(pick(rng, {0, 1, 8, 64}));
    s.alignment = static_cast<unsigned>(pick(rng, {0, 1, 16, 4096}));
    s.max_segment_size = pick(rng, {0, 512, 1000, 4096, 10000});
    s.segment_boundary = pick(rng, {0, 0, 4096, 65536});
    const bool iterate = rng() % 3 == 0;
    if (iterate) s.mapping = IODMA_CORE_ITERATE_ONLY;
    iodma_core_spec eff;
    if (iodma_core_spec_resolve(&dev_, &s, &eff) != 0) continue;

    // RAM in scattered pieces, some contiguous, some above 16 MiB or 1 GiB,
    // inside four disjoint 1 MiB windows; copy buffers come from 8 MiB.
    for (uint64_t w : {0x100000ull, 0x900000ull, 0x1800000ull, 0x40000000ull})
      fake::add_ram(w, 0x100000);
    dev_.cb_phys = 0x800000;
    fake::SgTable t;
    uint64_t total = 0;
    const int n = 1 + static_cast<int>(rng() % 6);
    uint64_t phys = 0x100000 + (rng() % 64) * 64;
    for (int i = 0; i < n; i++) {
      if (rng() % 3 != 0)
        phys = pick(rng, {0x100000, 0x900000, 0x1800000, 0x40000000}) +
               (rng() % 256) * pick(rng, {1, 8, 512});
      const uint64_t len = 1 + rng() % 9000;
      fill(phys, len, static_cast<unsigned>(i));
      t.ents.push_back({phys, len});
      phys += len;
      total += len;
    }
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_SGTABLE;
    d.dir = static_cast<unsigned>(rng() % 3);
    d.sgt = &t;
    iodma_md* m = nullptr;
    ASSERT_EQ(iodma_core_md_create(&d, 0, &m), 0);
    iodma_cmd* c = nullptr;
    ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &c), 0);
    ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
    iodma_core_md_put(m);

    const uint64_t unit = eff.alignment_length;
    uint64_t off = rng() % total;
    uint64_t len = 1 + rng() % (total - off);
    len -= len % unit;
    if (len == 0) {
      EXPECT_EQ(iodma_core_cmd_prepare(c, off, unit, 0),
                off + unit > total ? -IODMA_EINVAL : 0);
      iodma_core_cmd_destroy(c);
      continue;
    }
    ASSERT_EQ(iodma_core_cmd_prepare(c, off, len, 0), 0);

    iodma::Spec sp;
    iodma::DeviceInfo di;
    ASSERT_EQ(iodma::Spec::resolve(s, di, &sp), 0);
    auto layout = sub_layout(t, off, len);
    std::vector<model::Seg> want;
    const int want_err = model::walk(sp, layout, 0, &want);
    const bool copied = iodma_core_cmd_is_double_buffered(c) != 0;
    // The copy buffer engages exactly when the platform's mapping fails
    // the spec, and never in iterate-only mode.
    EXPECT_EQ(copied, want_err != 0 && !iterate);
    if (copied) {
      copies++;
      want.clear();
      // Through the copy buffer: the walk over its blocks, as emitted.
    }

    // Generate with a random array size and call sequence.
    const unsigned per = static_cast<unsigned>(pick(rng, {1, 2, 3, 7, 64}));
    const size_t width = is32 ? 8 : 16;
    std::vector<uint8_t> buf(per * width);
    std::vector<model::Seg> got;
    unsigned long long pos = 0;
    int err = 0;
    while (pos < len) {
      unsigned cnt = per;
      const unsigned long long before = pos;
      err = iodma_core_cmd_gen_segments(c, &pos, buf.data(), &cnt);
      if (err != 0) {
        EXPECT_EQ(pos, before);
        break;
      }
      for (unsigned i = 0; i < cnt; i++) {
        uint64_t a = 0, l = 0;
        const bool big = s.format == 2 || s.format == 5;
        for (size_t b = 0; b < width / 2; b++) {
          const size_t at = big ? width / 2 - 1 - b : b;
          a |= uint64_t{buf[i * width + at]} << (8 * b);
          l |= uint64_t{buf[i * width + width / 2 + at]} << (8 * b);
        }
        got.push_back({a, l});
      }
      // Sometimes step back to an earlier segment start: same tail.
      if (rng() % 5 == 0 && got.size() > 1) {
        pos = 0;
        got.clear();
      }
    }
    if (copied) {
      EXPECT_EQ(err, 0) << "a copy buffer always meets the spec";
      uint64_t sum = 0;
      for (size_t i = 0; i < got.size(); i++) {
        EXPECT_LE(got[i].len, eff.max_segment_size);
        EXPECT_LE(
            got[i].addr + got[i].len - 1,
            eff.address_bits == 64 ? ~0ull : (1ull << eff.address_bits) - 1);
        EXPECT_EQ(got[i].addr % (i ? eff.alignment_internal : eff.alignment),
                  0u);
        sum += got[i].len;
      }
      EXPECT_EQ(sum, len);
    } else {
      EXPECT_EQ(err, want_err);
      if (want_err == 0) {
        EXPECT_EQ(got, want);
      } else {
        errors++;
      }
    }
    // The device sees the descriptor's bytes (read straight from RAM),
    // through the mapping or the copy buffer alike.
    if (err == 0 && d.dir != xfer::kFromDev) {
      std::vector<uint8_t> md_bytes;
      for (const auto& piece : layout) {
        auto b = ram_bytes(piece.addr, piece.len);
        md_bytes.insert(md_bytes.end(), b.begin(), b.end());
      }
      EXPECT_EQ(device_reads(got), md_bytes);
    }
    EXPECT_EQ(iodma_core_cmd_complete(c, 0), 0);
    iodma_core_cmd_destroy(c);
    compared++;
  }
  EXPECT_GT(compared, 600);
  EXPECT_GT(copies, 50);
  EXPECT_GT(errors, 20);
}

}  // namespace
