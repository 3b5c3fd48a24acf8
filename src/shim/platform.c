// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux implementation of the core's platform seam (src/core/platform.h).
 * Mechanism only: every decision is taken in the core.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "../core/platform.h"

void *iodma_plat_alloc(unsigned long size, unsigned int gfp)
{
	return kzalloc(size, (__force gfp_t)gfp);
}

void iodma_plat_free(void *p)
{
	kfree(p);
}

void iodma_plat_dev_get(void *dev)
{
	get_device(dev);
}

void iodma_plat_dev_put(void *dev)
{
	put_device(dev);
}

/* Translated: attached to an IOMMU domain that is not identity (passthrough). */
static bool iodma_dev_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && domain->type != IOMMU_DOMAIN_IDENTITY;
}

void iodma_plat_dev_query(void *dev, struct iodma_plat_dev_info *info)
{
	info->translated = iodma_dev_translated(dev);
	info->page_shift = PAGE_SHIFT;
}

void iodma_plat_bug(const char *what)
{
	WARN(1, "iodma: core invariant broken: %s\n", what);
}
