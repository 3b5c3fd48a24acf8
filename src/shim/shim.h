/* SPDX-License-Identifier: GPL-2.0 */
/* Private to iodma.ko: declarations the shim's files share. */
#ifndef IODMA_SHIM_H
#define IODMA_SHIM_H

#include <linux/types.h>

#include "test_hooks.h"

/* Measure what the platform layer needs to know once (module load). */
void iodma_platform_init(void);

/* /sys/kernel/debug/iodma/ (debugfs.c): created at load, removed at unload. */
void iodma_debugfs_init(void);
void iodma_debugfs_exit(void);

struct iodma_cmd;
/* Destroy a managed command as its device unbinds, reporting it if still prepared. */
void iodma_cmd_release_managed(struct device *dev, struct iodma_cmd *cmd);

struct iodma_pool;
/* Destroy a pool; with @unbinding, a managed one as that device unbinds. */
void iodma_pool_release(struct iodma_pool *pool, struct device *unbinding);

#endif /* IODMA_SHIM_H */
