/* SPDX-License-Identifier: GPL-2.0 */
/* What every iodma KUnit suite knows about the QEMU machine it runs on. */
#ifndef IODMA_KUNIT_ENV_H
#define IODMA_KUNIT_ENV_H

#include <kunit/test.h>

struct device;

/* The configuration name the runner booted (direct, swiotlb, iommu-*...). */
const char *iodma_kunit_config(void);
/* Whether that configuration puts an IOMMU translation in front of edu. */
bool iodma_kunit_expect_translated(void);
/*
 * The QEMU edu PCI device's struct device (a real DMA engine). Fails the
 * test when it is missing: every configuration has one.
 */
struct device *iodma_kunit_edu_dev(struct kunit *test);

/*
 * Play the device: copy between @buf and what the device reaches at
 * [@dma, @dma + @n) - through the IOMMU (iommu_iova_to_phys) or the bus
 * address (dma_to_phys, swiotlb slots included), never through iodma.
 * Returns false when an address has no translation.
 */
bool iodma_kunit_dev_rw(struct device *dev, u64 dma, void *buf, size_t n,
			bool write);

/* iodma's fault-injection test hook (src/shim/platform.c). */
int iodma_test_fault(bool enable, int fail_at);

#endif /* IODMA_KUNIT_ENV_H */
