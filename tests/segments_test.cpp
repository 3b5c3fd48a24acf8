// SPDX-License-Identifier: GPL-2.0
// The segment walk against the reference model on randomized specs and
// layouts (physical discontinuities, high addresses), plus directed cases.
#include "../src/core/segments.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "fake_platform.h"
#include "prp_rules.h"
#include "segment_model.h"

namespace {

using iodma::DevSeg;
using iodma::DevSegList;
using iodma::Spec;

// A DevSegList with its storage.
struct Layout {
  std::vector<DevSeg> segs;
  std::vector<uint64_t> start;
  DevSegList list;
  std::vector<model::Seg> m;

  explicit Layout(const std::vector<model::Seg>& in) : m(in) {
    uint64_t pos = 0;
    for (const auto& s : in) {
      segs.push_back({s.addr, s.len});
      start.push_back(pos);
      pos += s.len;
    }
    list.segs = segs.data();
    list.start = start.data();
    list.count = static_cast<uint32_t>(segs.size());
    list.total = pos;
  }
};

bool resolve(const iodma_core_spec& in, Spec* out) {
  iodma::DeviceInfo di;
  return Spec::resolve(in, di, out) == iodma::kOk;
}

Spec spec_of(unsigned bits, uint64_t mss, uint64_t al, uint64_t al_len,
             uint64_t al_int, uint64_t boundary) {
  iodma_core_spec in{};
  in.format = 4;
  in.address_bits = static_cast<unsigned char>(bits);
  in.max_segment_size = mss;
  in.alignment = static_cast<unsigned>(al);
  in.alignment_length = static_cast<unsigned>(al_len);
  in.alignment_internal = static_cast<unsigned>(al_int);
  in.segment_boundary = boundary;
  Spec s;
  EXPECT_TRUE(resolve(in, &s));
  return s;
}

std::vector<model::Seg> walk_real(const Spec& sp, const Layout& l, uint64_t pos,
                                  int* err) {
  iodma::Walker w;
  w.seek(l.list, pos);
  std::vector<model::Seg> out;
  *err = 0;
  while (w.pos() < l.list.total) {
    uint64_t a, n;
    uint64_t before = w.pos();
    *err = w.next(sp, l.list, &a, &n);
    if (*err != 0) {
      EXPECT_EQ(w.pos(), before) << "a failed next() must not move";
      break;
    }
    out.push_back({a, n});
  }
  return out;
}

// Every constraint of SPEC.md section 5 on a complete walk from 0.
void check_contract(const Spec& sp, const Layout& l,
                    const std::vector<model::Seg>& out) {
  uint64_t pos = 0;
  for (size_t i = 0; i < out.size(); i++) {
    const auto& s = out[i];
    ASSERT_GT(s.len, 0u);
    ASSERT_EQ(s.addr, model::addr_at(l.m, pos)) << "segment " << i;
    for (uint64_t b = 0; b < s.len; b += 1 + s.len / 64)
      ASSERT_EQ(model::addr_at(l.m, pos + b), s.addr + b) << "not contiguous";
    ASSERT_LE(s.len, sp.max_segment_size);
    ASSERT_EQ(s.len % sp.alignment_length, 0u);
    ASSERT_EQ(s.addr % (i == 0 ? sp.alignment : sp.alignment_internal), 0u);
    ASSERT_LE(s.addr + (s.len - 1), sp.max_address);
    if (i + 1 < out.size()) {
      ASSERT_EQ((s.addr + s.len) % sp.alignment_end, 0u) << "ends mid-unit";
    }
    if (sp.segment_boundary != 0) {
      ASSERT_EQ(s.addr / sp.segment_boundary,
                (s.addr + s.len - 1) / sp.segment_boundary)
          << "crosses a boundary";
    }
    pos += s.len;
  }
  ASSERT_EQ(pos, l.list.total) << "segments must cover the range exactly";
}

uint64_t pick(std::mt19937_64& rng, std::initializer_list<uint64_t> v) {
  return *(v.begin() + rng() % v.size());
}

std::vector<model::Seg> random_layout(std::mt19937_64& rng, unsigned bits) {
  std::vector<model::Seg> d;
  const int n = 1 + static_cast<int>(rng() % 6);
  const uint64_t top = bits >= 64 ? ~0ull : (1ull << bits);
  uint64_t addr = (rng() % 64) * pick(rng, {1, 8, 64, 512, 4096});
  for (int i = 0; i < n; i++) {
    uint64_t len =
        pick(rng, {1, 7, 64, 100, 512, 1000, 4096}) * (1 + rng() % 3);
    switch (rng() % 5) {
      case 0:  // contiguous with the previous range
        break;
      case 1:  // near the top of the engine's reach, maybe above it
        addr = top - pick(rng, {4096, 8192, 512, 100});
        break;
      default:
        addr = (rng() % 4096) * pick(rng, {1, 4, 64, 4096});
    }
    d.push_back({addr, len});
    addr += len;
  }
  return d;
}

TEST(SegmentWalk, MatchesModelOnRandomCases) {
  std::mt19937_64 rng(20261121);
  int compared = 0, clean = 0, copy_needed = 0;
  for (int iter = 0; iter < 6000; iter++) {
    const unsigned bits = static_cast<unsigned>(pick(rng, {0, 14, 16, 20, 32}));
    const uint64_t al_len = pick(rng, {1, 1, 2, 4, 8, 64});
    const uint64_t al_int = pick(rng, {0, 1, 4, 8, 64, 512});
    const uint64_t al = pick(rng, {0, 1, 8, 64, 4096});
    const uint64_t mss = pick(rng, {0, 100, 512, 1000, 4096}) * (1 + rng() % 3);
    const uint64_t bnd = pick(rng, {0, 0, 256, 1024, 4096});
    const uint64_t al_end = pick(rng, {0, 0, 0, 1, 8, 64, 4096});
    iodma_core_spec in{};
    in.alignment_end = static_cast<unsigned>(al_end);
    in.format = 4;
    in.address_bits = static_cast<unsigned char>(bits);
    in.max_segment_size = mss;
    in.alignment = static_cast<unsigned>(al);
    in.alignment_length = static_cast<unsigned>(al_len);
    in.alignment_internal = static_cast<unsigned>(al_int);
    in.segment_boundary = bnd;
    Spec sp;
    if (!resolve(in, &sp)) continue;  // invalid combination
    auto d = random_layout(rng, sp.address_bits);
    // Trim the total to whole length units, as prepare guarantees.
    uint64_t t = model::total(d);
    uint64_t cut = t % sp.alignment_length;
    while (cut > 0) {
      if (d.back().len > cut) {
        d.back().len -= cut;
        cut = 0;
      } else {
        cut -= d.back().len;
        d.pop_back();
      }
    }
    if (d.empty()) continue;
    Layout l(d);
    SCOPED_TRACE("iteration " + std::to_string(iter));

    std::vector<model::Seg> want;
    int want_err = model::walk(sp, d, 0, &want);
    int err;
    auto got = walk_real(sp, l, 0, &err);
    ASSERT_EQ(err, want_err);
    ASSERT_EQ(got, want);
    ASSERT_EQ(iodma::check_walk(sp, l.list), want_err);
    if (want_err == 0) {
      check_contract(sp, l, got);
      clean++;
    } else {
      copy_needed++;
    }
    if (iodma::meets_spec_fast(sp, l.list)) {
      ASSERT_EQ(want_err, 0) << "fast check unsound";
    }

    // Random starting points, canonical or not.
    for (int k = 0; k < 4; k++) {
      uint64_t pos = rng() % l.list.total;
      if (k == 0 && !want.empty()) pos = 0;
      std::vector<model::Seg> w2;
      int e2 = model::walk(sp, d, pos, &w2);
      auto g2 = walk_real(sp, l, pos, &err);
      ASSERT_EQ(err, e2) << "from " << pos;
      ASSERT_EQ(g2, w2) << "from " << pos;
    }
    compared++;
  }
  // The generator must exercise both outcomes, or the test proves little.
  EXPECT_GT(compared, 3000);
  EXPECT_GT(clean, 500);
  EXPECT_GT(copy_needed, 500);
}

// ranges_are_segments() holds exactly when the model's walk from 0 emits
// the ranges themselves, one each; then the walk from any range's start
// emits the ranges from there.
TEST(SegmentWalk, RangesAreSegmentsExactlyWhenTheWalkSaysSo) {
  std::mt19937_64 rng(20261201);
  int yes = 0, no = 0;
  for (int iter = 0; iter < 5000; iter++) {
    iodma_core_spec in{};
    in.format = 4;
    in.address_bits = static_cast<unsigned char>(pick(rng, {0, 16, 20, 32}));
    in.max_segment_size = pick(rng, {0, 0, 512, 1000, 4096}) * (1 + rng() % 3);
    in.alignment = static_cast<unsigned>(pick(rng, {0, 1, 8, 4096}));
    in.alignment_length = static_cast<unsigned>(pick(rng, {1, 1, 1, 4, 64}));
    in.alignment_internal = static_cast<unsigned>(pick(rng, {0, 1, 8, 512}));
    in.alignment_end = static_cast<unsigned>(pick(rng, {0, 0, 8, 4096}));
    in.segment_boundary = pick(rng, {0, 0, 1024, 4096});
    Spec sp;
    if (!resolve(in, &sp)) continue;
    // Ranges cut as a device mapping cuts them: often at the segment
    // size or a boundary, sometimes contiguous with the previous one.
    std::vector<model::Seg> d;
    const int n = 1 + static_cast<int>(rng() % 5);
    uint64_t addr = (rng() % 64) * pick(rng, {8, 512, 4096});
    for (int i = 0; i < n; i++) {
      uint64_t len = pick(rng, {64, 512, 1000, 1024, 4096, 8192});
      if (rng() % 3 == 0 && sp.max_segment_size < (1ull << 20))
        len = sp.max_segment_size;
      d.push_back({addr, len});
      addr += len;
      if (rng() % 2 == 0) addr = (rng() % 4096) * pick(rng, {8, 512, 4096});
    }
    uint64_t t = model::total(d);
    if (t % sp.alignment_length != 0) continue;
    Layout l(d);
    SCOPED_TRACE("iteration " + std::to_string(iter));
    std::vector<model::Seg> want;
    const int err = model::walk(sp, d, 0, &want);
    const bool same = err == 0 && want == d;
    ASSERT_EQ(iodma::ranges_are_segments(sp, l.list), same);
    if (!same) {
      no++;
      continue;
    }
    yes++;
    for (size_t i = 0; i < d.size(); i++) {
      std::vector<model::Seg> from;
      ASSERT_EQ(model::walk(sp, d, l.start[i], &from), 0);
      ASSERT_EQ(from, std::vector<model::Seg>(d.begin() + i, d.end()));
    }
  }
  EXPECT_GT(yes, 250);
  EXPECT_GT(no, 250);
}

TEST(SegmentWalk, CoalescesContiguousRanges) {
  Layout l({{0x10000, 4096}, {0x11000, 4096}, {0x12000, 100}, {0x20000, 50}});
  Spec sp = spec_of(0, 0, 0, 0, 0, 0);
  int err;
  auto got = walk_real(sp, l, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got, (std::vector<model::Seg>{{0x10000, 8292}, {0x20000, 50}}));
}

TEST(SegmentWalk, CutsAtMaxSegmentSizeAndBoundary) {
  Layout l({{0x0f00, 0x3000}});
  Spec sp = spec_of(0, 0x1000, 0, 0, 0, 0x1000);
  int err;
  auto got = walk_real(sp, l, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got, (std::vector<model::Seg>{{0x0f00, 0x100},
                                          {0x1000, 0x1000},
                                          {0x2000, 0x1000},
                                          {0x3000, 0xf00}}));
}

TEST(SegmentWalk, CutKeepsNextSegmentInternallyAligned) {
  // First segment at an odd address; later ones must start 512-aligned.
  Layout l({{0x1001, 0x1000}});
  Spec sp = spec_of(0, 1000, 1, 1, 512, 0);
  int err;
  auto got = walk_real(sp, l, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got, (std::vector<model::Seg>{{0x1001, 511},
                                          {0x1200, 512},
                                          {0x1400, 512},
                                          {0x1600, 512},
                                          {0x1800, 512},
                                          {0x1a00, 512},
                                          {0x1c00, 512},
                                          {0x1e00, 512},
                                          {0x2000, 1}}));
}

TEST(SegmentWalk, AddressBitsAndAlignmentErrors) {
  Spec sp = spec_of(16, 0, 0, 0, 0, 0);
  Layout high({{0xf000, 0x1000}, {0x10000, 0x10}});
  int err;
  auto got = walk_real(sp, high, 0, &err);
  EXPECT_EQ(err, iodma::kEOVERFLOW) << "crosses 2^16";
  EXPECT_TRUE(got.empty());
  Layout ok({{0xf000, 0x1000}});
  walk_real(sp, ok, 0, &err);
  EXPECT_EQ(err, 0) << "ends exactly at 2^16 - 1";

  Spec al = spec_of(0, 0, 64, 0, 0, 0);
  Layout mis({{0x1010, 256}});
  walk_real(al, mis, 0, &err);
  EXPECT_EQ(err, iodma::kEINVAL) << "first segment misaligned";

  Spec ln = spec_of(0, 0, 0, 8, 0, 0);
  Layout gap({{0x1000, 12}, {0x3000, 4}});
  walk_real(ln, gap, 0, &err);
  EXPECT_EQ(err, iodma::kEINVAL) << "discontinuity inside a length unit";
}

// SPEC.md 9.13: alignment follows the position in the prepared range, not
// the index within one call.
TEST(SegmentWalk, AlignmentFollowsPositionNotCall) {
  Spec sp = spec_of(0, 0x100, 1, 1, 0x100, 0);
  Layout l({{0x1080, 0x300}});
  iodma::Walker w;
  uint64_t a, n;
  ASSERT_EQ(w.next(sp, l.list, &a, &n), 0);
  EXPECT_EQ(a, 0x1080u);
  EXPECT_EQ(n, 0x80u);
  // A new "call" continuing here is still at an internal position.
  iodma::Walker w2;
  w2.seek(l.list, 0x80);
  ASSERT_EQ(w2.next(sp, l.list, &a, &n), 0);
  EXPECT_EQ(a, 0x1100u);
  w2.seek(l.list, 0x90);  // not internally aligned: refused
  EXPECT_EQ(w2.next(sp, l.list, &a, &n), iodma::kEINVAL);
}

TEST(SegmentWalk, SeekIsExact) {
  Layout l({{0x1000, 10}, {0x5000, 20}, {0x9000, 30}});
  for (uint64_t p = 0; p < 60; p++) {
    uint32_t i = l.list.find(p);
    ASSERT_LE(l.list.start[i], p);
    ASSERT_LT(p, l.list.start[i] + l.segs[i].len);
  }
}

// find() against a linear search, on lists of every shape its guess can
// meet: equal ranges (the guess is right), a few long ranges among many
// short ones and the reverse (the guess is far off, either way), and
// random lengths; every position at a range's edges and random ones.
TEST(SegmentWalk, FindMatchesALinearSearch) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 400; round++) {
    const int shape = round % 4;
    const uint32_t n = 1 + static_cast<uint32_t>(rng() % 300);
    std::vector<model::Seg> in;
    for (uint32_t i = 0; i < n; i++) {
      uint64_t len = 4096;
      if (shape == 1) len = (rng() % 16 == 0) ? (1ull << 30) : 1;
      if (shape == 2) len = (rng() % 16 == 0) ? 1 : (1ull << 20);
      if (shape == 3) len = 1 + rng() % (1ull << (rng() % 40));
      in.push_back({0x100000000ull * (i + 1), len});
    }
    Layout l(in);
    auto linear = [&](uint64_t p) {
      uint32_t i = 0;
      while (i + 1 < n && l.start[i + 1] <= p) i++;
      return i;
    };
    std::vector<uint64_t> probes;
    for (uint32_t i = 0; i < n; i++) {
      probes.push_back(l.start[i]);
      probes.push_back(l.start[i] + l.segs[i].len - 1);
    }
    for (int k = 0; k < 50; k++) probes.push_back(rng() % l.list.total);
    for (uint64_t p : probes) ASSERT_EQ(l.list.find(p), linear(p)) << p;
  }
}

}  // namespace

namespace {

// NVMe's PRP rules (prp_rules.h), resolved.
Spec prp_spec() {
  iodma_core_spec in{};
  in.format = 4;
  set_prp_rules(&in);
  Spec s;
  EXPECT_TRUE(resolve(in, &s));
  return s;
}

}  // namespace

TEST(SegmentWalk, EndAlignmentGivesPrpEntries) {
  Spec sp = prp_spec();
  EXPECT_EQ(sp.alignment_end, 4096u);
  // A gap-free request: mid-page start, whole pages, a short last page.
  Layout l({{0x10200, 0x1e00}, {0x20000, 0x1000}, {0x30000, 0x804}});
  int err;
  auto got = walk_real(sp, l, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got, (std::vector<model::Seg>{{0x10200, 0xe00},
                                          {0x11000, 0x1000},
                                          {0x20000, 0x1000},
                                          {0x30000, 0x804}}));
  EXPECT_TRUE(iodma::meets_spec_fast(sp, l.list) ||
              iodma::check_walk(sp, l.list) == 0);
}

TEST(SegmentWalk, EndAlignmentRefusesAGap) {
  Spec sp = prp_spec();
  int err;
  // A range that ends mid-page before another begins: a hole in the PRP
  // list, which alignment_internal alone would have let through.
  Layout gap({{0x10000, 0x800}, {0x20000, 0x1000}});
  auto got = walk_real(sp, gap, 0, &err);
  EXPECT_EQ(err, iodma::kEINVAL);
  EXPECT_FALSE(iodma::meets_spec_fast(sp, gap.list));
  EXPECT_EQ(iodma::check_walk(sp, gap.list), iodma::kEINVAL);
  Spec no_end = spec_of(0, 4096, 4, 4, 4096, 4096);
  walk_real(no_end, gap, 0, &err);
  EXPECT_EQ(err, 0) << "without alignment_end the gap is allowed";
  // The same bytes contiguous are fine: the rule is about gaps, not cuts.
  Layout joined({{0x10000, 0x800}, {0x10800, 0x1000}});
  got = walk_real(sp, joined, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got,
            (std::vector<model::Seg>{{0x10000, 0x1000}, {0x11000, 0x800}}));
}

TEST(SegmentWalk, EndAlignmentCutsLongSegmentsOnTheUnit) {
  // No boundary, a 10000-byte segment limit: cuts land on 4 KiB ends.
  Spec sp = spec_of(0, 10000, 1, 1, 1, 0);
  iodma_core_spec in{};
  in.format = 4;
  in.max_segment_size = 10000;
  in.alignment_end = 4096;
  ASSERT_TRUE(resolve(in, &sp));
  EXPECT_EQ(sp.max_segment_size, 8192u) << "a multiple of the cut unit";
  Layout l({{0x1100, 0x5000}});
  int err;
  auto got = walk_real(sp, l, 0, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(got, (std::vector<model::Seg>{
                     {0x1100, 0x1f00}, {0x3000, 0x2000}, {0x5000, 0x1100}}));
}
