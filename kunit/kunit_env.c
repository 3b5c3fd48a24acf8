// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit environment for iodma: the runner passes the name of the QEMU
 * configuration, so tests know independently of iodma what the platform
 * does (IOMMU or not), and find the edu device.
 */
#include <linux/dma-direct.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "kunit_env.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static char *config = "direct";
module_param(config, charp, 0444);
MODULE_PARM_DESC(config, "QEMU configuration name: direct, swiotlb, iommu-strict, iommu-lazy, smp4");

const char *iodma_kunit_config(void)
{
	return config;
}

bool iodma_kunit_expect_translated(void)
{
	return strncmp(config, "iommu", 5) == 0;
}

static void iodma_kunit_put_pci(void *pdev)
{
	pci_dev_put(pdev);
}

struct device *iodma_kunit_edu_dev(struct kunit *test)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no QEMU edu device (-device edu)");
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, iodma_kunit_put_pci, pdev));
	return &pdev->dev;
}

static phys_addr_t iodma_kunit_dev_to_phys(struct device *dev, dma_addr_t dma)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);

	if (d && d->type != IOMMU_DOMAIN_IDENTITY)
		return iommu_iova_to_phys(d, dma);
	return dma_to_phys(dev, dma);
}

bool iodma_kunit_dev_rw(struct device *dev, u64 dma, void *buf, size_t n,
			bool write)
{
	while (n) {
		phys_addr_t phys = iodma_kunit_dev_to_phys(dev, dma);
		size_t off = offset_in_page(phys), k = min(n, PAGE_SIZE - off);
		void *p;

		if (!phys)
			return false;
		p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
		if (write)
			memcpy(p + off, buf, k);
		else
			memcpy(buf, p + off, k);
		kunmap_local(p);
		dma += k;
		buf += k;
		n -= k;
	}
	return true;
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for iodma");
MODULE_IMPORT_NS(IODMA);
