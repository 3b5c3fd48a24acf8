/* SPDX-License-Identifier: GPL-2.0 */
/* Private to iodma.ko: declarations the shim's files share. */
#ifndef IODMA_SHIM_H
#define IODMA_SHIM_H

#include <linux/types.h>

/* Test hook (kunit/fault_kunit.c): see src/shim/platform.c. */
int iodma_test_fault(bool enable, int fail_at);

/* Measure what the platform layer needs to know once (module load). */
void iodma_platform_init(void);

#endif /* IODMA_SHIM_H */
