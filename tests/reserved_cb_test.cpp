// SPDX-License-Identifier: GPL-2.0
// The reserved copy buffer (iodma_cmd_reserve_copy_buffer()): blocks a
// command keeps from reservation to destroy so that a request which needs
// a copy buffer (a PRP gap, memory beyond a narrow address_bits) allocates
// nothing on a blk-mq I/O path; never stale bytes to the device; the
// ordinary per-preparation copy buffer whenever the reservation cannot
// serve.
#include <gtest/gtest.h>

#include <vector>

#include "ranges_fixture.h"

namespace xfer {
namespace {

class ReservedCbTest : public RangesTest {
 protected:
  // The bytes of a list of physical ranges, in order.
  static std::vector<uint8_t> ranges_bytes(
      const std::vector<model::Seg>& ranges) {
    std::vector<uint8_t> out;
    for (const auto& r : ranges) {
      const auto b = ram_bytes(r.addr, r.len);
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }
  // A gap inside the second page: PRP lists cannot say it as it is.
  const std::vector<model::Seg> gapped_ = {
      {0x810200, 0x600}, {0x812000, 0x3000}, {0x820000, 0x400}};
};

// A blk-mq driver's hot path with a reservation: 100 000 gapped requests,
// both directions, allocate no copy-buffer block (and no core memory), and
// every byte still goes the right way (checked on 2 in 1 000).
TEST_F(ReservedCbTest, GappedRequestsAllocateNothing) {
  fake::add_ram(0x800000, 0x100000);
  iodma_md* m = ranges_md(16);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 128 * 1024), 0);
  const long reserved = fake::live_cb_blocks();
  EXPECT_GT(reserved, 0);
  unsigned long long len = 0;
  for (const auto& r : gapped_) len += r.len;
  auto one = [&](int i, bool check) {
    const bool to_dev = i % 2 != 0;
    const unsigned seed = static_cast<unsigned>(i % 251);
    if (check) fill(0x810000, 0x20000, seed + 1);
    ASSERT_EQ(point(m, to_dev ? kToDev : kFromDev, gapped_), 0);
    ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
    ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
    const auto segs = gen_all(c);
    if (check && to_dev) {
      EXPECT_EQ(device_reads(segs), ranges_bytes(gapped_));
    } else if (check) {
      device_writes(segs, seed);
    }
    ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
    if (check && !to_dev) {
      EXPECT_EQ(ranges_bytes(gapped_), expect_pattern(0, len, seed));
    }
  };
  one(0, true);
  one(1, true);
  const long heap = fake::total_allocs(), cbs = fake::total_cb_allocs();
  iodma_core_stats s0, s1;
  iodma_core_cmd_stats(c, &s0);
  const int kRequests = 100000;
  for (int i = 0; i < kRequests; i++) {
    one(i, i % 1000 < 2);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(fake::total_cb_allocs(), cbs) << "copy-buffer blocks allocated";
  EXPECT_EQ(fake::total_allocs(), heap) << "core memory allocated";
  EXPECT_EQ(fake::live_cb_blocks(), reserved) << "the reservation stays";
  iodma_core_cmd_stats(c, &s1);
  EXPECT_EQ(s1.cb_engaged - s0.cb_engaged, unsigned{kRequests});
  EXPECT_EQ(s1.cb_reserved - s0.cb_reserved, unsigned{kRequests})
      << "debugfs says so";
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0), 0);
  EXPECT_EQ(fake::live_cb_blocks(), 0) << "0 releases the reservation";
}

TEST_F(ReservedCbTest, Arguments) {
  fake::add_ram(0x800000, 0x100000);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(nullptr, 4096), -IODMA_EINVAL);
  iodma_core_spec s = prp_spec();
  s.max_transfer_size = 0x10000;
  iodma_cmd* c = cmd(s);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x10001), -IODMA_EINVAL)
      << "more than the command can ever prepare";
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  iodma_md* m = ranges_md(4);
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(point(m, kToDev, {{0x800000, 0x1000}}), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x4000), -IODMA_EBUSY);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0), -IODMA_EBUSY);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);

  // A device whose copy buffer can never be had (memory encryption).
  dev_.cb_unreachable = true;
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x4000), -IODMA_EOPNOTSUPP);
  EXPECT_EQ(fake::live_cb_blocks(), 0);
  dev_.cb_unreachable = false;
  // ... or one with a reach below any memory the platform has for it.
  dev_.cb_floor = 0xffffffff;
  iodma_core_spec narrow = s;
  narrow.address_bits = 28;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &narrow), 0);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x4000), -IODMA_EOPNOTSUPP);
  dev_.cb_floor = 0;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &s), 0);
}

// A failed reservation holds nothing new and keeps the old one in force.
TEST_F(ReservedCbTest, FailureKeepsTheOldReservation) {
  fake::add_ram(0x800000, 0x100000);
  iodma_md* m = ranges_md(16);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x8000), 0);
  const long held = fake::live_cb_blocks();
  for (long nth = 0; nth < 3; nth++) {  // three 1 MiB blocks
    fake::fail_nth_cb(nth);
    EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x300000), -IODMA_ENOMEM)
        << "block " << nth;
    fake::fail_nth_cb(-1);
    EXPECT_EQ(fake::live_cb_blocks(), held) << "block " << nth;
  }
  fake::fail_nth_alloc(0);
  EXPECT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x300000), -IODMA_ENOMEM);
  fake::fail_nth_alloc(-1);
  EXPECT_EQ(fake::live_cb_blocks(), held);
  const long cbs = fake::total_cb_allocs();
  ASSERT_EQ(point(m, kToDev, gapped_), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  EXPECT_EQ(fake::total_cb_allocs(), cbs) << "the old reservation serves";
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// A request larger than the reservation takes the ordinary copy buffer,
// allocated at prepare and freed at complete; the reservation stays.
TEST_F(ReservedCbTest, LargerRequestAllocatesAsBefore) {
  fake::add_ram(0x800000, 0x100000);
  fill(0x810000, 0x20000, 3);
  iodma_md* m = ranges_md(16);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x1000), 0);
  const long held = fake::live_cb_blocks();
  const long cbs = fake::total_cb_allocs();
  ASSERT_EQ(point(m, kToDev, gapped_), 0);  // 0x3a00 bytes
  iodma_core_stats s0, s1;
  iodma_core_cmd_stats(c, &s0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  EXPECT_GT(fake::total_cb_allocs(), cbs);
  iodma_core_cmd_stats(c, &s1);
  EXPECT_EQ(s1.cb_engaged - s0.cb_engaged, 1u);
  EXPECT_EQ(s1.cb_reserved, s0.cb_reserved) << "not served by the reserve";
  EXPECT_EQ(device_reads(gen_all(c)), ranges_bytes(gapped_));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(fake::live_cb_blocks(), held);
  // One that fits uses it.
  const long after = fake::total_cb_allocs();
  ASSERT_EQ(point(m, kToDev, {{0x810200, 0x600}, {0x812000, 0x200}}), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  EXPECT_EQ(fake::total_cb_allocs(), after);
  EXPECT_EQ(device_reads(gen_all(c)),
            ranges_bytes({{0x810200, 0x600}, {0x812000, 0x200}}));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// The device never reads an earlier transfer's bytes from a reused
// buffer: a to-device preparation with NO_SYNC sees zeros, as with a
// freshly allocated one.
TEST_F(ReservedCbTest, NoSyncNeverHandsOverEarlierBytes) {
  fake::add_ram(0x800000, 0x100000);
  iodma_md* m = ranges_md(16);
  iodma_cmd* c = cmd(prp_spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x10000), 0);
  fill(0x810000, 0x20000, 9);
  ASSERT_EQ(point(m, kToDev, gapped_), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  ASSERT_EQ(device_reads(gen_all(c)), ranges_bytes(gapped_));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, IODMA_CORE_PREPARE_NO_SYNC), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  const auto seen = device_reads(gen_all(c));
  EXPECT_EQ(seen, std::vector<uint8_t>(seen.size(), 0));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// A reservation made under a wide spec is not used once set_spec() has
// narrowed address_bits below it: the preparation allocates within reach.
TEST_F(ReservedCbTest, NarrowedSpecDoesNotUseAnOutOfReachReservation) {
  fake::add_ram(0x2000000, 0x10000);  // above 24 bits
  fill(0x2000000, 0x10000, 4);
  dev_.cb_phys = 0x100000;  // the pool spans 24 bits: 1 MiB to 17 MiB
  iodma_md* m = ranges_md(4);
  iodma_cmd* c = cmd(spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x4000), 0);
  iodma_core_spec narrow = spec();
  narrow.address_bits = 24;
  ASSERT_EQ(iodma_core_cmd_set_spec(c, &narrow), 0);
  ASSERT_EQ(point(m, kToDev, {{0x2000000, 0x4000}}), 0);
  const long cbs = fake::total_cb_allocs();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  EXPECT_GT(fake::total_cb_allocs(), cbs) << "allocated within reach";
  const auto segs = gen_all(c);
  for (const auto& s : segs) EXPECT_LT(s.addr + s.len - 1, 1ull << 24);
  EXPECT_EQ(device_reads(segs), ram_bytes(0x2000000, 0x4000));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  // A reservation made under the narrow spec serves it.
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x4000), 0);
  const long now = fake::total_cb_allocs();
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  EXPECT_EQ(fake::total_cb_allocs(), now);
  EXPECT_EQ(device_reads(gen_all(c)), ram_bytes(0x2000000, 0x4000));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
}

// FORCE_DOUBLE_BUFFER takes the reservation too, and the device's writes
// reach the descriptor.
TEST_F(ReservedCbTest, ForcedDoubleBufferUsesTheReservation) {
  fake::add_ram(0x800000, 0x100000);
  iodma_md* m = ranges_md(4);
  iodma_cmd* c = cmd(spec());
  ASSERT_EQ(iodma_core_cmd_set_md(c, m, 0), 0);
  ASSERT_EQ(iodma_core_cmd_reserve_copy_buffer(c, 0x2000), 0);
  ASSERT_EQ(point(m, kFromDev, {{0x800000, 0x2000}}), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 0);
  const long cbs = fake::total_cb_allocs();
  ASSERT_EQ(iodma_core_cmd_synchronize(c, 0x100), 0);  // force double buffer
  ASSERT_EQ(iodma_core_cmd_is_double_buffered(c), 1);
  EXPECT_EQ(fake::total_cb_allocs(), cbs);
  device_writes(gen_all(c), 6);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(ram_bytes(0x800000, 0x2000), expect_pattern(0, 0x2000, 6));
}

}  // namespace
}  // namespace xfer
