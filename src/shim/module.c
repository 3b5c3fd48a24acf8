// SPDX-License-Identifier: GPL-2.0
/*
 * iodma module entry: compile-time checks that the core's view of the
 * kernel ABI matches the kernel's own.
 */
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/iodma.h>
#include <linux/module.h>

#include "../core/core_api.h"
#include "shim.h"

static void iodma_abi_checks(void)
{
	BUILD_BUG_ON(IODMA_EIO != EIO);
	BUILD_BUG_ON(IODMA_ENOMEM != ENOMEM);
	BUILD_BUG_ON(IODMA_EFAULT != EFAULT);
	BUILD_BUG_ON(IODMA_EBUSY != EBUSY);
	BUILD_BUG_ON(IODMA_EINVAL != EINVAL);
	BUILD_BUG_ON(IODMA_ENOSPC != ENOSPC);
	BUILD_BUG_ON(IODMA_ERANGE != ERANGE);
	BUILD_BUG_ON(IODMA_ENODATA != ENODATA);
	BUILD_BUG_ON(IODMA_EOVERFLOW != EOVERFLOW);
	BUILD_BUG_ON(IODMA_EOPNOTSUPP != EOPNOTSUPP);
	BUILD_BUG_ON(IODMA_CORE_FMT_HOST32 != IODMA_FMT_HOST32);
	BUILD_BUG_ON(IODMA_CORE_FMT_CUSTOM != IODMA_FMT_CUSTOM);
	BUILD_BUG_ON(IODMA_CORE_MAP_MAPPED != IODMA_MAPPED);
	BUILD_BUG_ON(IODMA_CORE_MAP_BYPASSED != IODMA_BYPASSED);
	BUILD_BUG_ON(IODMA_CORE_MAP_NONCOHERENT != IODMA_NONCOHERENT);
	BUILD_BUG_ON(IODMA_CORE_MAP_UNMAPPED != IODMA_UNMAPPED);
	BUILD_BUG_ON(IODMA_CORE_ITERATE_ONLY != IODMA_ITERATE_ONLY);
	BUILD_BUG_ON(ARRAY_SIZE(((struct iodma_spec *)0)->reserved) !=
		     ARRAY_SIZE(((struct iodma_core_spec *)0)->reserved));
}

static int __init iodma_init(void)
{
	iodma_abi_checks();
	iodma_platform_init();
	iodma_debugfs_init();
	return 0;
}

static void __exit iodma_exit(void)
{
	iodma_debugfs_exit();
}

module_init(iodma_init);
module_exit(iodma_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IOKit IODMACommand model for Linux DMA");
