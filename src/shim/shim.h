/* SPDX-License-Identifier: GPL-2.0 */
/* Private to iodma.ko: declarations the shim's files share. */
#ifndef IODMA_SHIM_H
#define IODMA_SHIM_H

#include <linux/types.h>

/* Test hooks (kunit/fault_kunit.c): see src/shim/platform.c. */
int iodma_test_fault(bool enable, int fail_at);

/* What the platform layer holds while fault injection is on. */
struct iodma_test_live {
	long allocs;		/* allocations not yet freed */
	long mappings;		/* DMA mappings not yet unmapped */
	long cb_blocks;		/* copy-buffer blocks not yet freed */
	long pins;		/* user pages pinned and not yet unpinned */
};

void iodma_test_live(struct iodma_test_live *out);

/* Measure what the platform layer needs to know once (module load). */
void iodma_platform_init(void);

#endif /* IODMA_SHIM_H */
