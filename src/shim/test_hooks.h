/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iodma.ko's test hooks: exported for iodma's own KUnit suites (kunit/),
 * which inject faults into the platform layer, count what it holds and
 * read the statistics; not for client drivers. Shared by the shim and the
 * suites so that both see one layout.
 */
#ifndef IODMA_TEST_HOOKS_H
#define IODMA_TEST_HOOKS_H

#include <linux/types.h>

struct device;
struct iodma_core_stats;

/* Fault injection in the platform layer (src/shim/platform.c). */
int iodma_test_fault(bool enable, int fail_at);

/* What the platform layer holds while fault injection is on. */
struct iodma_test_live {
	long allocs;		/* allocations not yet freed */
	long mappings;		/* DMA mappings not yet unmapped */
	long cb_blocks;		/* copy-buffer blocks not yet freed */
	long pins;		/* user pages pinned and not yet unpinned */
};

void iodma_test_live(struct iodma_test_live *out);

/* The counters /sys/kernel/debug/iodma/ shows (src/shim/debugfs.c). */
int iodma_stats_read(struct device *dev, struct iodma_core_stats *out);

#endif /* IODMA_TEST_HOOKS_H */
