// SPDX-License-Identifier: GPL-2.0
// Command lifetime, private data, set/get spec atomicity and clone
// (SPEC.md sections 1, 2, 7 and 9 items 4 and 5).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "../src/core/core_api.h"
#include "fake_platform.h"

namespace {

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::reset(); }
  void TearDown() override {
    EXPECT_EQ(fake::live_allocs(), 0) << "leaked allocation";
    EXPECT_EQ(dev_.refs, 0) << "leaked device reference";
    EXPECT_EQ(fake::bug_reports(), 0);
  }
  static iodma_core_spec spec64() {
    iodma_core_spec s{};
    s.format = 4;
    return s;
  }
  fake::Device dev_;
};

TEST_F(CommandTest, CreateHoldsDeviceAndDestroyReleasesAll) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0x5a, &cmd), 0);
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(dev_.refs, 1);
  // The command, and its device's statistics record (the first command).
  EXPECT_EQ(fake::live_allocs(), 2);
  EXPECT_EQ(fake::last_gfp(), 0x5au) << "gfp must reach the allocator";
  EXPECT_EQ(iodma_core_cmd_device(cmd), &dev_);
  iodma_core_cmd_destroy(cmd);
  EXPECT_EQ(fake::live_allocs(), 0);
  EXPECT_EQ(dev_.refs, 0);
}

TEST_F(CommandTest, CreateRejectsNullArguments) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  EXPECT_EQ(iodma_core_cmd_create(nullptr, &s, 0, 0, &cmd), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_create(&dev_, nullptr, 0, 0, &cmd), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, nullptr), -IODMA_EINVAL);
  EXPECT_EQ(cmd, nullptr);
  EXPECT_EQ(fake::total_allocs(), 0);
}

TEST_F(CommandTest, CreateWithInvalidSpecAllocatesNothing) {
  iodma_core_spec s = spec64();
  s.alignment = 3;
  iodma_cmd* cmd = nullptr;
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 64, 0, &cmd), -IODMA_EINVAL);
  dev_.mode = fake::Mode::kIommu;
  s = spec64();
  s.mapping = 1;
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 64, 0, &cmd), -IODMA_EOPNOTSUPP);
  EXPECT_EQ(cmd, nullptr);
  EXPECT_EQ(fake::total_allocs(), 0);
}

TEST_F(CommandTest, CreateAllocationFailureLeavesNothing) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 32, 0, &cmd), -IODMA_ENOMEM);
  EXPECT_EQ(cmd, nullptr);
}

TEST_F(CommandTest, CreateRejectsAbsurdPrivSize) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, ~0ul, 0, &cmd), -IODMA_EINVAL);
  EXPECT_EQ(fake::total_allocs(), 0);
}

TEST_F(CommandTest, PrivIsZeroedAlignedAndWholeSizeUsable) {
  iodma_core_spec s = spec64();
  for (unsigned long size : {0ul, 1ul, 16ul, 100ul, 4096ul}) {
    iodma_cmd* cmd = nullptr;
    ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, size, 0, &cmd), 0);
    auto* p = static_cast<unsigned char*>(iodma_core_cmd_priv(cmd));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
    for (unsigned long i = 0; i < size; i++) ASSERT_EQ(p[i], 0) << i;
    std::memset(p, 0xa5, size);  // ASan: every byte is inside the block
    iodma_core_cmd_destroy(cmd);
  }
}

TEST_F(CommandTest, NullCommandIsHandled) {
  iodma_core_spec s = spec64();
  EXPECT_EQ(iodma_core_cmd_priv(nullptr), nullptr);
  EXPECT_EQ(iodma_core_cmd_device(nullptr), nullptr);
  EXPECT_EQ(iodma_core_cmd_set_spec(nullptr, &s), -IODMA_EINVAL);
  EXPECT_EQ(iodma_core_cmd_get_spec(nullptr, &s), -IODMA_EINVAL);
  iodma_cmd* out = nullptr;
  EXPECT_EQ(iodma_core_cmd_clone(nullptr, 0, &out), -IODMA_EINVAL);
  iodma_core_spec eff;
  std::memset(&eff, 0xff, sizeof(eff));
  iodma_core_cmd_effective_spec(nullptr, &eff);
  EXPECT_EQ(eff.format, 0u);
  EXPECT_EQ(eff.max_segment_size, 0u);
  iodma_core_cmd_destroy(nullptr);
}

TEST_F(CommandTest, GetSpecReturnsExactlyWhatWasSet) {
  iodma_core_spec s = spec64();
  s.format = 3;
  s.address_bits = 0;  // zeros stay zeros in get_spec
  s.max_segment_size = 4095;
  s.alignment_length = 0;
  s.mapping = 0x40;
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &cmd), 0);
  iodma_core_spec got;
  std::memset(&got, 0xff, sizeof(got));
  ASSERT_EQ(iodma_core_cmd_get_spec(cmd, &got), 0);
  EXPECT_EQ(std::memcmp(&got, &s, sizeof(s)), 0);
  EXPECT_EQ(iodma_core_cmd_get_spec(cmd, nullptr), -IODMA_EINVAL);
  iodma_core_spec eff{};
  iodma_core_cmd_effective_spec(cmd, &eff);
  EXPECT_EQ(eff.address_bits, 32);
  EXPECT_EQ(eff.max_segment_size, 4095u);
  EXPECT_EQ(eff.alignment_length, 1u);
  iodma_core_cmd_destroy(cmd);
}

// SPEC.md 9.5: a failing set_spec must not half-update the command.
TEST_F(CommandTest, FailedSetSpecKeepsPreviousSpec) {
  iodma_core_spec s = spec64();
  s.address_bits = 40;
  s.max_segment_size = 65536;
  s.alignment = 512;
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &cmd), 0);
  iodma_core_spec eff_before{};
  iodma_core_cmd_effective_spec(cmd, &eff_before);

  iodma_core_spec bad = spec64();
  bad.address_bits = 20;        // a valid field first...
  bad.max_segment_size = 8192;  // ...and another...
  bad.segment_boundary = 3;     // ...then the invalid one
  EXPECT_EQ(iodma_core_cmd_set_spec(cmd, &bad), -IODMA_EINVAL);
  dev_.mode = fake::Mode::kIommu;
  bad = spec64();
  bad.mapping = 3;
  bad.alignment = 4;
  EXPECT_EQ(iodma_core_cmd_set_spec(cmd, &bad), -IODMA_EOPNOTSUPP);
  EXPECT_EQ(iodma_core_cmd_set_spec(cmd, nullptr), -IODMA_EINVAL);

  iodma_core_spec raw{}, eff{};
  ASSERT_EQ(iodma_core_cmd_get_spec(cmd, &raw), 0);
  iodma_core_cmd_effective_spec(cmd, &eff);
  EXPECT_EQ(std::memcmp(&raw, &s, sizeof(s)), 0);
  EXPECT_EQ(std::memcmp(&eff, &eff_before, sizeof(eff)), 0);
  iodma_core_cmd_destroy(cmd);
}

TEST_F(CommandTest, SetSpecReplacesSpec) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &cmd), 0);
  iodma_core_spec n = spec64();
  n.format = 1;
  n.address_bits = 28;
  ASSERT_EQ(iodma_core_cmd_set_spec(cmd, &n), 0);
  iodma_core_spec eff{};
  iodma_core_cmd_effective_spec(cmd, &eff);
  EXPECT_EQ(eff.format, 1u);
  EXPECT_EQ(eff.address_bits, 28);
  EXPECT_EQ(eff.max_segment_size, 0xffffffffull);
  const long before = fake::live_allocs();
  ASSERT_EQ(iodma_core_cmd_set_spec(cmd, &n), 0);
  EXPECT_EQ(fake::live_allocs(), before) << "set_spec must not allocate";
  iodma_core_cmd_destroy(cmd);
}

// SPEC.md 9.4: clone keeps every alignment in its own place.
TEST_F(CommandTest, CloneCopiesDeviceSpecAndPrivSize) {
  iodma_core_spec s = spec64();
  s.alignment = 8;
  s.alignment_length = 16;
  s.alignment_internal = 32;
  s.max_segment_size = 4096;
  s.segment_boundary = 1 << 16;
  s.max_transfer_size = 1 << 20;
  s.address_bits = 36;
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 48, 0, &cmd), 0);
  std::memset(iodma_core_cmd_priv(cmd), 0x77, 48);

  iodma_cmd* c2 = nullptr;
  ASSERT_EQ(iodma_core_cmd_clone(cmd, 0x33, &c2), 0);
  EXPECT_EQ(fake::last_gfp(), 0x33u);
  EXPECT_EQ(dev_.refs, 2);
  EXPECT_EQ(iodma_core_cmd_device(c2), &dev_);
  iodma_core_spec raw{}, eff1{}, eff2{};
  ASSERT_EQ(iodma_core_cmd_get_spec(c2, &raw), 0);
  EXPECT_EQ(std::memcmp(&raw, &s, sizeof(s)), 0);
  iodma_core_cmd_effective_spec(cmd, &eff1);
  iodma_core_cmd_effective_spec(c2, &eff2);
  EXPECT_EQ(std::memcmp(&eff1, &eff2, sizeof(eff1)), 0);
  EXPECT_EQ(eff2.alignment, 8u);
  EXPECT_EQ(eff2.alignment_length, 16u);
  EXPECT_EQ(eff2.alignment_internal, 32u);
  auto* p = static_cast<unsigned char*>(iodma_core_cmd_priv(c2));
  for (int i = 0; i < 48; i++) ASSERT_EQ(p[i], 0) << "clone priv is fresh";
  std::memset(p, 0x11, 48);
  iodma_core_cmd_destroy(c2);
  iodma_core_cmd_destroy(cmd);
}

TEST_F(CommandTest, CloneAllocationFailureLeavesNothing) {
  iodma_core_spec s = spec64();
  iodma_cmd* cmd = nullptr;
  ASSERT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &cmd), 0);
  iodma_cmd* c2 = nullptr;
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_cmd_clone(cmd, 0, &c2), -IODMA_ENOMEM);
  EXPECT_EQ(c2, nullptr);
  EXPECT_EQ(dev_.refs, 1);
  EXPECT_EQ(fake::live_allocs(), 2);  // the command and its device's record
  iodma_core_cmd_destroy(cmd);
}

}  // namespace
