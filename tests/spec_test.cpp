// SPDX-License-Identifier: GPL-2.0
// SPEC.md section 2: spec validation and default resolution, through the
// same C entry point the kernel shim calls.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "../src/core/core_api.h"
#include "fake_platform.h"
#include "prp_rules.h"

namespace {

bool dummy_writer(void*, uint32_t, uint64_t, uint64_t, void*) { return true; }

constexpr uint64_t kMax64 = UINT64_MAX;
constexpr int kTranslated = 1;  // Case::dev flag

struct Case {
  const char* name;
  std::function<void(iodma_core_spec&)> edit;  // applied to {HOST64}
  int flags;
  int want;  // 0 or negative errno
  // Effective values checked when want == 0.
  unsigned address_bits;
  uint64_t max_segment_size;
  uint64_t alignment, alignment_length, alignment_internal;
};

iodma_core_spec base_spec() {
  iodma_core_spec s{};
  s.format = 4;  // HOST64
  return s;
}

const Case kCases[] = {
    {"host64_defaults", [](iodma_core_spec&) {}, 0, 0, 64, kMax64, 1, 1, 1},
    {"host32_defaults", [](iodma_core_spec& s) { s.format = 1; }, 0, 0, 32,
     0xffffffffull, 1, 1, 1},
    {"little32_28bit_edu",
     [](iodma_core_spec& s) {
       s.format = 3;
       s.address_bits = 28;
       s.max_segment_size = 4095;
     },
     0, 0, 28, 4095, 1, 1, 1},
    {"big32_len4_caps_below_4g",
     [](iodma_core_spec& s) {
       s.format = 2;
       s.alignment_length = 4;
     },
     0, 0, 32, 0xfffffffcull, 1, 4, 1},
    {"internal_defaults_to_alignment",
     [](iodma_core_spec& s) { s.alignment = 64; }, 0, 0, 64,
     kMax64 & ~uint64_t{63}, 64, 1, 64},
    {"explicit_alignments_in_place",
     [](iodma_core_spec& s) {
       s.alignment = 8;
       s.alignment_length = 16;
       s.alignment_internal = 32;
       s.max_segment_size = 100;
     },
     0, 0, 64, 96, 8, 16, 32},
    {"custom_with_writer",
     [](iodma_core_spec& s) {
       s.format = 7;
       s.seg_fn = reinterpret_cast<void*>(&dummy_writer);
     },
     0, 0, 64, kMax64, 1, 1, 1},
    {"bits_at_page_shift", [](iodma_core_spec& s) { s.address_bits = 12; }, 0,
     0, 12, kMax64, 1, 1, 1},
    {"bits_64_explicit", [](iodma_core_spec& s) { s.address_bits = 64; }, 0, 0,
     64, kMax64, 1, 1, 1},
    {"host32_bits_32_explicit",
     [](iodma_core_spec& s) {
       s.format = 1;
       s.address_bits = 32;
     },
     0, 0, 32, 0xffffffffull, 1, 1, 1},
    {"mss_equals_length_alignment",
     [](iodma_core_spec& s) {
       s.alignment_length = 512;
       s.max_segment_size = 512;
     },
     0, 0, 64, 512, 1, 512, 1},
    {"boundary_equal_to_cut_unit",
     [](iodma_core_spec& s) {
       s.alignment_length = 4096;
       s.segment_boundary = 4096;
     },
     0, 0, 64, kMax64 & ~uint64_t{4095}, 1, 4096, 1},
    {"noncoherent_iterate_only",
     [](iodma_core_spec& s) { s.mapping = 2 | 0x40; }, 0, 0, 64, kMax64, 1, 1,
     1},
    {"bypassed_direct", [](iodma_core_spec& s) { s.mapping = 1; }, 0, 0, 64,
     kMax64, 1, 1, 1},
    {"unmapped_direct", [](iodma_core_spec& s) { s.mapping = 3; }, 0, 0, 64,
     kMax64, 1, 1, 1},
    {"mapped_translated", [](iodma_core_spec& s) { s.mapping = 0; },
     kTranslated, 0, 64, kMax64, 1, 1, 1},
    {"noncoherent_translated", [](iodma_core_spec& s) { s.mapping = 2; },
     kTranslated, 0, 64, kMax64, 1, 1, 1},

    {"no_format", [](iodma_core_spec& s) { s.format = 0; }, 0, -IODMA_EINVAL},
    {"format_past_custom", [](iodma_core_spec& s) { s.format = 8; }, 0,
     -IODMA_EINVAL},
    {"custom_without_writer", [](iodma_core_spec& s) { s.format = 7; }, 0,
     -IODMA_EINVAL},
    {"writer_without_custom",
     [](iodma_core_spec& s) {
       s.seg_fn = reinterpret_cast<void*>(&dummy_writer);
     },
     0, -IODMA_EINVAL},
    {"host32_33_bits",
     [](iodma_core_spec& s) {
       s.format = 1;
       s.address_bits = 33;
     },
     0, -IODMA_EINVAL},
    {"little32_64_bits",
     [](iodma_core_spec& s) {
       s.format = 3;
       s.address_bits = 64;
     },
     0, -IODMA_EINVAL},
    {"host64_65_bits", [](iodma_core_spec& s) { s.address_bits = 65; }, 0,
     -IODMA_EINVAL},
    {"bits_below_page_shift", [](iodma_core_spec& s) { s.address_bits = 11; },
     0, -IODMA_EINVAL},
    {"bits_1", [](iodma_core_spec& s) { s.address_bits = 1; }, 0,
     -IODMA_EINVAL},
    {"alignment_not_pow2", [](iodma_core_spec& s) { s.alignment = 3; }, 0,
     -IODMA_EINVAL},
    {"length_alignment_not_pow2",
     [](iodma_core_spec& s) { s.alignment_length = 6; }, 0, -IODMA_EINVAL},
    {"internal_alignment_not_pow2",
     [](iodma_core_spec& s) { s.alignment_internal = 12; }, 0, -IODMA_EINVAL},
    {"boundary_not_pow2",
     [](iodma_core_spec& s) { s.segment_boundary = 0x3000; }, 0, -IODMA_EINVAL},
    {"mss_below_length_alignment",
     [](iodma_core_spec& s) {
       s.alignment_length = 4;
       s.max_segment_size = 2;
     },
     0, -IODMA_EINVAL},
    {"mss_below_internal_alignment",
     [](iodma_core_spec& s) {
       s.alignment_internal = 4096;
       s.max_segment_size = 4095;
     },
     0, -IODMA_EINVAL},
    {"prp_rules", [](iodma_core_spec& s) { set_prp_rules(&s); }, 0, 0, 64, 4096,
     4, 4, 4096},
    {"end_alignment_not_pow2",
     [](iodma_core_spec& s) { s.alignment_end = 0x1800; }, 0, -IODMA_EINVAL},
    {"mss_below_end_alignment",
     [](iodma_core_spec& s) {
       s.alignment_end = 4096;
       s.max_segment_size = 2048;
     },
     0, -IODMA_EINVAL},
    {"boundary_below_end_alignment",
     [](iodma_core_spec& s) {
       s.alignment_end = 4096;
       s.segment_boundary = 2048;
     },
     0, -IODMA_EINVAL},
    {"boundary_below_length_alignment",
     [](iodma_core_spec& s) {
       s.alignment_length = 4096;
       s.segment_boundary = 2048;
     },
     0, -IODMA_EINVAL},
    {"mapping_unknown_value", [](iodma_core_spec& s) { s.mapping = 4; }, 0,
     -IODMA_EINVAL},
    {"mapping_unknown_flag", [](iodma_core_spec& s) { s.mapping = 0x80; }, 0,
     -IODMA_EINVAL},
    {"mapping_iterate_plus_unknown",
     [](iodma_core_spec& s) { s.mapping = 0x40 | 0x100; }, 0, -IODMA_EINVAL},
    {"reserved_nonzero", [](iodma_core_spec& s) { s.reserved[2] = 1; }, 0,
     -IODMA_EINVAL},
    {"bypassed_translated", [](iodma_core_spec& s) { s.mapping = 1; },
     kTranslated, -IODMA_EOPNOTSUPP},
    {"unmapped_translated", [](iodma_core_spec& s) { s.mapping = 3; },
     kTranslated, -IODMA_EOPNOTSUPP},
    {"bypassed_iterate_translated",
     [](iodma_core_spec& s) { s.mapping = 1 | 0x40; }, kTranslated,
     -IODMA_EOPNOTSUPP},
    {"invalid_wins_over_translated",
     [](iodma_core_spec& s) {
       s.mapping = 1;
       s.alignment = 5;
     },
     kTranslated, -IODMA_EINVAL},
};

class SpecResolve : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { fake::reset(); }
};

TEST_P(SpecResolve, MatchesContract) {
  const Case& c = GetParam();
  fake::Device dev;
  if (c.flags & kTranslated) dev.mode = fake::Mode::kIommu;
  iodma_core_spec in = base_spec();
  c.edit(in);
  iodma_core_spec out{};
  out.address_bits = 0xee;  // must stay untouched on error
  const int err = iodma_core_spec_resolve(&dev, &in, &out);
  ASSERT_EQ(err, c.want);
  if (err != 0) {
    EXPECT_EQ(out.address_bits, 0xee);
    return;
  }
  EXPECT_EQ(out.format, in.format);
  EXPECT_EQ(out.address_bits, c.address_bits);
  EXPECT_EQ(out.max_segment_size, c.max_segment_size);
  EXPECT_EQ(out.alignment, c.alignment);
  EXPECT_EQ(out.alignment_length, c.alignment_length);
  EXPECT_EQ(out.alignment_internal, c.alignment_internal);
  EXPECT_EQ(out.alignment_end, in.alignment_end ? in.alignment_end : 1u);
  EXPECT_EQ(out.max_transfer_size,
            in.max_transfer_size ? in.max_transfer_size : kMax64);
  EXPECT_EQ(out.mapping, in.mapping);
  EXPECT_EQ(fake::total_allocs(), 0) << "validation must not allocate";
}

INSTANTIATE_TEST_SUITE_P(Contract, SpecResolve, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return i.param.name;
                         });

TEST(SpecResolveArgs, NullArgumentsAreInvalid) {
  fake::Device dev;
  iodma_core_spec s = base_spec();
  EXPECT_EQ(iodma_core_spec_resolve(nullptr, &s, nullptr), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_spec_resolve(&dev, nullptr, nullptr), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_spec_resolve(&dev, &s, nullptr), 0);
}

TEST(SpecResolveArgs, PageShiftComesFromThePlatform) {
  fake::reset();
  fake::set_page_shift(16);  // a 64 KiB-page system
  fake::Device dev;
  iodma_core_spec s = base_spec();
  s.address_bits = 14;
  EXPECT_EQ(iodma_core_spec_resolve(&dev, &s, nullptr), -IODMA_EINVAL);
  s.address_bits = 16;
  EXPECT_EQ(iodma_core_spec_resolve(&dev, &s, nullptr), 0);
  fake::reset();
}

TEST(SpecResolveArgs, MaxTransferSizeIsKept) {
  fake::Device dev;
  iodma_core_spec s = base_spec();
  s.max_transfer_size = 1 << 20;
  iodma_core_spec out{};
  ASSERT_EQ(iodma_core_spec_resolve(&dev, &s, &out), 0);
  EXPECT_EQ(out.max_transfer_size, 1u << 20);
  EXPECT_EQ(out.segment_boundary, 0u);
}

}  // namespace
