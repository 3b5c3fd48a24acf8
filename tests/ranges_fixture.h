// SPDX-License-Identifier: GPL-2.0
// Shared by the tests of a block driver's I/O path: a fixture with reusable
// descriptors re-pointed at physical ranges (as iodma_md_set_request()
// does for a request), and NVMe's PRP rules as a spec.
#ifndef IODMA_TESTS_RANGES_FIXTURE_H
#define IODMA_TESTS_RANGES_FIXTURE_H

#include <vector>

#include "prp_rules.h"
#include "xfer_fixture.h"

namespace xfer {

class RangesTest : public XferTest {
 protected:
  iodma_md* ranges_md(unsigned max_ranges) {
    iodma_md* m = nullptr;
    EXPECT_EQ(iodma_core_md_create_ranges(max_ranges, 0, &m), 0);
    return own(m);
  }
  // Re-point m at `ranges` for `dir`: what a block driver does per request.
  static int point(iodma_md* m, unsigned dir,
                   const std::vector<model::Seg>& ranges) {
    int err = iodma_core_md_reset(m, dir);
    for (const auto& r : ranges) {
      if (err != 0) break;
      err = iodma_core_md_add_range(m, r.addr, r.len);
    }
    return err;
  }
  // The PRP rules, written by the built-in 64-bit format.
  static iodma_core_spec prp_spec() {
    iodma_core_spec s = spec();
    set_prp_rules(&s);
    return s;
  }
};

}  // namespace xfer

#endif  // IODMA_TESTS_RANGES_FIXTURE_H
