// SPDX-License-Identifier: GPL-2.0
// Statistics (core_api.h, "Statistics"): every operation counted once,
// per command, per device and for everything; destroyed commands' counts
// kept; the registry's lock and allocation behave.
#include <gtest/gtest.h>

#include <vector>

#include "xfer_fixture.h"

namespace {

using xfer::kFromDev;
using xfer::kToDev;

class StatsTest : public xfer::XferTest {
 protected:
  static iodma_core_stats global() {
    iodma_core_stats s{};
    EXPECT_EQ(iodma_core_stats_read(nullptr, &s), 0);
    return s;
  }
  iodma_core_stats device() {
    iodma_core_stats s{};
    EXPECT_EQ(iodma_core_stats_read(&dev_, &s), 0);
    return s;
  }
  static unsigned long long fails(const iodma_core_stats& s, int err) {
    return s.failures[iodma_core_err_slot(err)];
  }
};

TEST_F(StatsTest, EveryOperationCountedOncePerCommandDeviceAndGlobal) {
  const iodma_core_stats g0 = global();
  iodma_core_stats tmp{};
  EXPECT_EQ(iodma_core_stats_read(&dev_, &tmp), -IODMA_ENODATA)
      << "a device without commands has no record";
  iodma_cmd* c = cmd();
  iodma_cmd* other = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 3 * 4096, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 8192, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 8192, 0), 0);  // nested
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 4096, 0), -IODMA_EBUSY);
  auto segs = gen_all(c, 1);
  unsigned long long off = 8192;
  unsigned n = 1;
  iodma_plat_range r{};
  EXPECT_EQ(iodma_core_cmd_gen_segments(c, &off, &r, &n), -IODMA_ERANGE);
  ASSERT_EQ(iodma_core_cmd_synchronize(c, IODMA_CORE_SYNC_FOR_DEVICE), 0);
  EXPECT_EQ(iodma_core_cmd_synchronize(c, 3), -IODMA_EINVAL);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  EXPECT_EQ(iodma_core_cmd_complete(c, 0), -IODMA_ENODATA);
  EXPECT_EQ(iodma_core_cmd_complete(other, 0), -IODMA_ENODATA);

  iodma_core_stats cs{};
  iodma_core_cmd_stats(c, &cs);
  EXPECT_EQ(cs.commands, 1u);
  EXPECT_EQ(cs.live, 1u);
  EXPECT_EQ(cs.prepares, 2u);
  EXPECT_EQ(cs.bytes_prepared, 8192u) << "a nested prepare maps nothing";
  EXPECT_EQ(cs.gen_calls, segs.size());
  EXPECT_EQ(cs.segments, segs.size());
  EXPECT_EQ(cs.syncs, 1u);
  EXPECT_EQ(cs.completes, 2u);
  EXPECT_EQ(cs.cb_engaged, 0u);
  EXPECT_EQ(cs.cb_bytes, 0u);
  EXPECT_EQ(fails(cs, -IODMA_EBUSY), 1u);
  EXPECT_EQ(fails(cs, -IODMA_ERANGE), 1u);
  EXPECT_EQ(fails(cs, -IODMA_EINVAL), 1u);
  EXPECT_EQ(fails(cs, -IODMA_ENODATA), 1u);

  const iodma_core_stats d = device();
  EXPECT_EQ(d.commands, 2u);
  EXPECT_EQ(d.live, 2u);
  EXPECT_EQ(d.prepares, 2u);
  EXPECT_EQ(fails(d, -IODMA_ENODATA), 2u) << "both commands' failures";

  // Destroyed commands keep counting for their device, then for all.
  iodma_core_cmd_destroy(other);
  cmds_.pop_back();
  const iodma_core_stats d2 = device();
  EXPECT_EQ(d2.commands, 2u);
  EXPECT_EQ(d2.live, 1u);
  EXPECT_EQ(fails(d2, -IODMA_ENODATA), 2u);
  iodma_core_cmd_destroy(c);
  cmds_.pop_back();
  EXPECT_EQ(iodma_core_stats_read(&dev_, &tmp), -IODMA_ENODATA);
  const iodma_core_stats g1 = global();
  EXPECT_EQ(g1.commands - g0.commands, 2u);
  EXPECT_EQ(g1.live, g0.live);
  EXPECT_EQ(g1.prepares - g0.prepares, 2u);
  EXPECT_EQ(g1.completes - g0.completes, 2u);
  EXPECT_EQ(g1.bytes_prepared - g0.bytes_prepared, 8192u);
  EXPECT_EQ(g1.syncs - g0.syncs, 1u);
  EXPECT_EQ(fails(g1, -IODMA_ENODATA) - fails(g0, -IODMA_ENODATA), 2u);
  EXPECT_FALSE(fake::lock_held());
}

TEST_F(StatsTest, CopyBufferEngagementBytesAndEvents) {
  iodma_core_spec s = spec();
  s.address_bits = 24;  // RAM at 32 MiB needs the copy buffer
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 8192, kFromDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), 0);
  ASSERT_TRUE(iodma_core_cmd_is_double_buffered(c));
  ASSERT_EQ(iodma_core_cmd_complete(c, 0), 0);
  iodma_core_stats cs{};
  iodma_core_cmd_stats(c, &cs);
  EXPECT_EQ(cs.cb_engaged, 1u);
  // Filled from the md at prepare (no stale data), copied back at complete.
  EXPECT_EQ(cs.cb_bytes, 2 * 8192u);
  ASSERT_EQ(fake::cb_events().size(), 1u);
  const fake::CbEvent& e = fake::cb_events()[0];
  iodma_core_cmd_state st{};
  ASSERT_EQ(iodma_core_cmd_snapshot(c, &st), 0);
  EXPECT_NE(st.id, 0u);
  EXPECT_EQ(e.cmd_id, st.id);
  EXPECT_EQ(e.offset, 0u);
  EXPECT_EQ(e.length, 8192u);
  EXPECT_EQ(e.dir, static_cast<int>(kFromDev));
  EXPECT_EQ(e.reason, unsigned{IODMA_PLAT_CB_SPEC});
  EXPECT_EQ(e.result, 0);

  // Forced, on a command that needs none: one more engagement and event.
  iodma_cmd* f = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(f, kva_md(0x100000, 4096, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(f, 0, 0, 0), 0);
  ASSERT_EQ(
      iodma_core_cmd_synchronize(
          f, IODMA_CORE_SYNC_FOR_DEVICE | IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER),
      0);
  ASSERT_EQ(fake::cb_events().size(), 2u);
  EXPECT_EQ(fake::cb_events()[1].reason, unsigned{IODMA_PLAT_CB_FORCED});
  iodma_core_cmd_stats(f, &cs);
  EXPECT_EQ(cs.cb_engaged, 1u);
  EXPECT_EQ(cs.cb_bytes, 2 * 4096u) << "filled, then synced for the device";
  ASSERT_EQ(iodma_core_cmd_complete(f, 0), 0);
}

TEST_F(StatsTest, FailedCopyBufferIsAnEventWithTheError) {
  iodma_core_spec s = spec();
  s.address_bits = 24;
  iodma_cmd* c = cmd(s);
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x2000000, 8192, kToDev), 0), 0);
  fake::fail_nth_cb(0);
  EXPECT_EQ(iodma_core_cmd_prepare(c, 0, 0, 0), -IODMA_ENOMEM);
  ASSERT_EQ(fake::cb_events().size(), 1u);
  EXPECT_EQ(fake::cb_events()[0].result, -IODMA_ENOMEM);
  iodma_core_stats cs{};
  iodma_core_cmd_stats(c, &cs);
  EXPECT_EQ(cs.prepares, 0u);
  EXPECT_EQ(cs.cb_engaged, 0u);
  EXPECT_EQ(fails(cs, -IODMA_ENOMEM), 1u);
}

TEST_F(StatsTest, DeviceRecordAllocationFailureLeavesNothing) {
  const iodma_core_stats g0 = global();
  iodma_core_spec s = spec();
  iodma_cmd* c = nullptr;
  fake::fail_nth_alloc(1);  // the command succeeds, its device's record not
  EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &c), -IODMA_ENOMEM);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(fake::live_allocs(), 0);
  EXPECT_EQ(dev_.refs, 0);
  const iodma_core_stats g1 = global();
  EXPECT_EQ(g1.commands, g0.commands) << "a failed creation is no command";
  EXPECT_EQ(fails(g1, -IODMA_ENOMEM) - fails(g0, -IODMA_ENOMEM), 1u);
  EXPECT_EQ(iodma_core_cmd_create(nullptr, &s, 0, 0, &c), -IODMA_EINVAL);
  EXPECT_EQ(fails(global(), -IODMA_EINVAL) - fails(g0, -IODMA_EINVAL), 1u);
}

// The list of prepared commands, and a command abandoned while prepared.
TEST_F(StatsTest, PreparedListAndAbandon) {
  iodma_cmd* idle = cmd();
  iodma_cmd* c = cmd();
  ASSERT_EQ(iodma_core_cmd_set_md(c, kva_md(0x100000, 4 * 4096, kToDev), 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 4096, 0), 0);
  ASSERT_EQ(iodma_core_cmd_prepare(c, 4096, 4096, 0), 0);
  std::vector<iodma_core_cmd_state> seen;
  iodma_core_for_each_prepared(
      [](const iodma_core_cmd_state* st, void* ctx) {
        EXPECT_TRUE(fake::lock_held());
        static_cast<std::vector<iodma_core_cmd_state>*>(ctx)->push_back(*st);
      },
      &seen);
  ASSERT_EQ(seen.size(), 1u) << "only the prepared command";
  EXPECT_EQ(seen[0].cmd, c);
  iodma_core_cmd_state idle_st{};
  ASSERT_EQ(iodma_core_cmd_snapshot(idle, &idle_st), 0);
  EXPECT_NE(seen[0].id, idle_st.id) << "ids are unique";
  EXPECT_EQ(seen[0].dev, &dev_);
  EXPECT_EQ(seen[0].nest, 2u);
  EXPECT_EQ(seen[0].offset, 4096u);
  EXPECT_EQ(seen[0].length, 4096u);
  EXPECT_EQ(seen[0].dir, kToDev);
  EXPECT_EQ(seen[0].md_kind, 1u) << "linear";
  EXPECT_EQ(seen[0].copy_buffer, 0);
  EXPECT_EQ(seen[0].spec.format, 4u);

  unsigned devices = 0;
  iodma_core_stats_for_each_device(
      [](void* dev, const iodma_core_stats* s, void* ctx) {
        EXPECT_EQ(s->live, 2u);
        EXPECT_NE(dev, nullptr);
        ++*static_cast<unsigned*>(ctx);
      },
      &devices);
  EXPECT_EQ(devices, 1u);

  const iodma_core_stats g0 = global();
  iodma_core_cmd_state was{};
  EXPECT_EQ(iodma_core_cmd_abandon(c, &was), 1);
  cmds_.erase(cmds_.begin() + 1);
  EXPECT_EQ(was.nest, 2u);
  EXPECT_EQ(was.offset, 4096u);
  const iodma_core_stats g1 = global();
  EXPECT_EQ(g1.abandoned - g0.abandoned, 1u);
  EXPECT_EQ(g1.completes - g0.completes, 1u) << "completed once";
  EXPECT_EQ(g1.live, g0.live - 1);
  EXPECT_EQ(fake::live_mappings(), 0);
  EXPECT_EQ(iodma_core_cmd_abandon(idle, &was), 0) << "not prepared";
  cmds_.clear();
  EXPECT_EQ(global().abandoned, g1.abandoned);
}

}  // namespace
