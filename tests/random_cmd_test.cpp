// SPDX-License-Identifier: GPL-2.0
// Randomized: page size x device (mode, coherence, DMA mask, segment
// boundary, maximum segment, bus offset) x spec x descriptor of every kind
// over RAM on both sides of 4 GiB x prepared sub-range x output array size
// x call sequence, through the whole command, checked against the
// reference model and the invariants of SPEC.md 10.1: no segment beyond
// the effective limits, the device sees the descriptor's bytes and its
// writes come back, no DMA-API error, no broken invariant, nothing leaked.
#include <algorithm>
#include <random>

#include "random_world.h"
#include "xfer_fixture.h"

namespace {

using xfer::XferTest;

struct Rng {
  std::mt19937_64 g;
  uint64_t u(uint64_t n) { return g() % n; }
};

class RandomCmdTest : public XferTest {};

TEST_F(RandomCmdTest, CommandAgreesWithModel) {
  Rng rng{std::mt19937_64(0x10d3a)};
  int compared = 0, copies = 0, model_errors = 0, refused = 0, bad_specs = 0;
  int kinds[6] = {}, modes[3] = {}, pages[3] = {}, noncoherent = 0;
  for (int iter = 0; iter < 2500; iter++) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    world::make_platform(rng, &dev_);
    const iodma_core_spec s = world::make_spec(rng);
    iodma::Spec sp;
    const int want_create = iodma::resolve_for_device(&dev_, s, nullptr, &sp);
    iodma_cmd* c = nullptr;
    ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &c), want_create);
    if (want_create != 0) {
      EXPECT_TRUE(want_create == -IODMA_EINVAL ||
                  want_create == -IODMA_EOPNOTSUPP);
      bad_specs++;
      continue;
    }
    const bool iterate = sp.iterate_only;

    const unsigned dir = static_cast<unsigned>(rng.u(3));
    world::Md m;
    world::make_md(rng, &m, dir, static_cast<unsigned>(iter));
    iodma_md* md = nullptr;
    ASSERT_EQ(iodma_core_md_create(&m.desc, 0, &md), 0);
    ASSERT_EQ(iodma_core_cmd_set_md(c, md, 0), 0);
    iodma_core_md_put(md);
    const uint64_t total = m.length();
    ASSERT_EQ(iodma_core_md_length(md), total);

    const uint64_t unit = sp.alignment_length;
    const uint64_t off = rng.u(total);
    uint64_t len = 1 + rng.u(total - off);
    len -= len % unit;
    if (len == 0) {
      iodma_core_cmd_destroy(c);
      continue;
    }
    const long maps = fake::map_calls(), shortages = fake::shortages();
    const int err = iodma_core_cmd_prepare(c, off, len, 0);
    const uint64_t align =
        std::max(std::max(sp.alignment, sp.alignment_end),
                 std::max(sp.alignment_length, sp.alignment_internal));
    const bool bounce_refused =
        fake::cb_bounce_may_refuse(dev_, sp.max_address, align);
    // No copy buffer can ever be had for this spec on this device.
    const bool no_copy = sp.max_address < dev_.cb_floor ||
                         dev_.cb_unreachable || bounce_refused || iterate;
    const bool mapped = fake::map_calls() > maps;
    if (err != 0) {
      const bool allowed =
          (err == -IODMA_ENOMEM && fake::shortages() > shortages) ||
          (err == -IODMA_EOPNOTSUPP && no_copy && !iterate) ||
          (err == -IODMA_EIO && mapped &&
           fake::last_map_result() == -IODMA_EIO && no_copy);
      EXPECT_TRUE(allowed) << "prepare: " << err;
      unsigned long long o, l;
      EXPECT_NE(iodma_core_cmd_prepared_range(c, &o, &l), 0);
      EXPECT_EQ(fake::live_mappings(), 0);
      EXPECT_EQ(fake::live_cb_blocks(), 0);
      EXPECT_EQ(fake::pinned_pages(), 0);
      iodma_core_cmd_destroy(c);
      refused++;
      continue;
    }

    const bool copied = iodma_core_cmd_is_double_buffered(c) != 0;
    std::vector<model::Seg> want;
    int want_err = 0;
    if (!sp.physical()) {
      ASSERT_TRUE(mapped);
      if (!copied) {
        ASSERT_EQ(fake::last_map_result(), 0);
      }
    }
    if (sp.physical() || fake::last_map_result() == 0)
      want_err = model::walk(sp, world::device_layout(dev_, sp, m, off, len), 0,
                             &want);
    if (copied) {
      // Only where the platform's addresses break the spec or the platform
      // cannot reach the memory at all.
      EXPECT_TRUE(want_err != 0 || fake::last_map_result() == -IODMA_EIO);
      EXPECT_FALSE(iterate);
      copies++;
    } else if (want_err != 0) {
      EXPECT_TRUE(iterate) << "a broken walk without a copy buffer";
    }

    // Generate with a random array size and call sequence.
    const unsigned per =
        static_cast<unsigned>(world::pick(rng, {1, 2, 3, 7, 64}));
    const size_t width = s.format <= 3 ? 8 : 16;
    std::vector<uint8_t> buf(per * width);
    std::vector<model::Seg> got;
    unsigned long long pos = 0;
    int gen_err = 0;
    bool restarted = false;
    while (pos < len) {
      unsigned cnt = per;
      const unsigned long long before = pos;
      gen_err = iodma_core_cmd_gen_segments(c, &pos, buf.data(), &cnt);
      if (gen_err != 0) {
        EXPECT_EQ(pos, before);
        break;
      }
      world::decode(s.format, buf.data(), cnt, &got);
      // Sometimes step back to the start, once: the same segments again.
      if (!restarted && rng.u(5) == 0 && got.size() > 1) {
        pos = 0;
        got.clear();
        restarted = true;
      }
    }
    if (copied) {
      EXPECT_EQ(gen_err, 0) << "a copy buffer always meets the spec";
    } else {
      EXPECT_EQ(gen_err, want_err);
      if (want_err == 0) {
        EXPECT_EQ(got, want);
      } else {
        model_errors++;
      }
    }
    if (gen_err == 0) {
      EXPECT_EQ(world::check_segments(dev_, sp, s, got, len), "");
      // The device sees the descriptor's bytes, through the mapping or the
      // copy buffer alike, and what it writes comes back at complete.
      const auto range = world::slice(m.layout, off, len);
      if (dir != xfer::kFromDev) {
        EXPECT_TRUE(world::device_sees(dev_, got, range))
            << "the device does not see the descriptor's bytes";
      }
      if (rng.u(3) == 0) {
        // write_bytes acts on what the device sees, or not at all.
        const uint64_t at = rng.u(len), n = 1 + rng.u(len - at);
        std::vector<uint8_t> b(n, static_cast<uint8_t>(0xa5 ^ iter));
        const size_t w = iodma_core_cmd_write_bytes(c, at, b.data(), n);
        if (m.desc.kind == IODMA_CORE_MD_USER && dir == xfer::kToDev &&
            !copied) {
          EXPECT_EQ(w, 0u) << "pages pinned read-only";
        }
        if (w != 0 && dir != xfer::kFromDev) {
          EXPECT_EQ(w, n);
          std::vector<uint8_t> seen(n);
          uint64_t pos2 = 0;
          for (const auto& g : got) {
            const uint64_t lo = std::max(pos2, at);
            const uint64_t hi = std::min(pos2 + g.len, at + n);
            if (lo < hi) {
              EXPECT_TRUE(fake::device_read(&dev_, g.addr + (lo - pos2),
                                            seen.data() + (lo - at), hi - lo));
            }
            pos2 += g.len;
          }
          EXPECT_EQ(seen, b) << "write_bytes not seen by the device";
        }
      }
      if (dir != xfer::kToDev) {
        ASSERT_TRUE(
            world::device_writes(dev_, got, static_cast<unsigned>(iter + 1)));
        ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
        EXPECT_TRUE(
            world::holds_pattern(range, static_cast<unsigned>(iter + 1)))
            << "the device's writes did not come back";
      }
    }
    if (dir == xfer::kToDev || gen_err != 0) {
      ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    }
    EXPECT_EQ(fake::live_mappings(), 0);
    EXPECT_EQ(fake::live_cb_blocks(), 0);
    EXPECT_EQ(fake::live_iovas(), 0);
    EXPECT_EQ(fake::pinned_pages(), 0);
    iodma_core_cmd_destroy(c);
    EXPECT_EQ(fake::live_allocs(), 0);
    EXPECT_EQ(fake::mm_refs(), 0);
    EXPECT_EQ(dev_.refs, 0);
    EXPECT_EQ(fake::bug_reports(), 0);
    for (const auto& e : fake::take_dma_errors()) ADD_FAILURE() << e;
    compared++;
    kinds[std::min(m.desc.kind, 5u)]++;
    modes[static_cast<int>(dev_.mode)]++;
    pages[(fake::page_shift() - 12) / 2]++;
    noncoherent += !dev_.coherent;
  }
  fake::reset();
  EXPECT_GT(compared, 1200);
  EXPECT_GT(copies, 100);
  EXPECT_GT(model_errors, 20);
  EXPECT_GT(refused, 20);
  EXPECT_GT(bad_specs, 20);
  for (int k = 1; k <= 5; k++) EXPECT_GT(kinds[k], 100) << "kind " << k;
  for (int n : modes) EXPECT_GT(n, 200);
  for (int n : pages) EXPECT_GT(n, 200);
  EXPECT_GT(noncoherent, 200);
}

}  // namespace
