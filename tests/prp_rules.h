// SPDX-License-Identifier: GPL-2.0
// NVMe's PRP rules as iodma spec fields, for every test that needs them.
#ifndef IODMA_TESTS_PRP_RULES_H
#define IODMA_TESTS_PRP_RULES_H

#include "../src/core/core_api.h"

// The first entry dword-aligned, every later one page-aligned, every entry
// but the last ends on a page (no gaps), none crosses a page (Linux's
// virt_boundary with a page-sized segment).
inline void set_prp_rules(iodma_core_spec* s) {
  s->alignment = 4;
  s->alignment_length = 4;
  s->alignment_internal = 4096;
  s->alignment_end = 4096;
  s->max_segment_size = 4096;
  s->segment_boundary = 4096;
}

#endif  // IODMA_TESTS_PRP_RULES_H
