// SPDX-License-Identifier: GPL-2.0
// A fake of src/core/platform.h for host tests: configurable devices, an
// allocator that counts and can fail the Nth allocation, and a record of
// core invariant reports.
#ifndef IODMA_TESTS_FAKE_PLATFORM_H
#define IODMA_TESTS_FAKE_PLATFORM_H

#include <cstdint>

namespace fake {

// What a fake device looks like to the core. Pass its address as `dev`.
struct Device {
  bool translated = false;  // behind an IOMMU with a translating domain
  uint8_t page_shift = 12;
  int refs = 0;  // references the core holds right now
};

// Forget all counters and failure settings.
void reset();
// Fail the allocation that is the `n`-th (0-based) from now; -1 disables.
void fail_nth_alloc(long n);
// Allocations made since reset() and not yet freed.
long live_allocs();
// Allocations made since reset().
long total_allocs();
// gfp mask of the most recent allocation.
unsigned int last_gfp();
// Number of iodma_plat_bug() reports since reset().
long bug_reports();

}  // namespace fake

#endif  // IODMA_TESTS_FAKE_PLATFORM_H
