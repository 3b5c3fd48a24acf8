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

/* /sys/kernel/debug/iodma/ (debugfs.c): created at load, removed at unload. */
void iodma_debugfs_init(void);
void iodma_debugfs_exit(void);

struct device;
struct iodma_core_stats;
int iodma_stats_read(struct device *dev, struct iodma_core_stats *out);

struct iodma_cmd;
/* Destroy a managed command as its device unbinds, reporting it if still prepared. */
void iodma_cmd_release_managed(struct device *dev, struct iodma_cmd *cmd);

struct iodma_pool;
/* Destroy a pool; with @unbinding, a managed one as that device unbinds. */
void iodma_pool_release(struct iodma_pool *pool, struct device *unbinding);

#endif /* IODMA_SHIM_H */
