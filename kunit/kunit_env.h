/* SPDX-License-Identifier: GPL-2.0 */
/* What every iodma KUnit suite knows about the QEMU machine it runs on. */
#ifndef IODMA_KUNIT_ENV_H
#define IODMA_KUNIT_ENV_H

#include <kunit/test.h>

#include "iodma_probes.h"

struct device;
struct file;

/*
 * What this kernel's KUnit lacks, decided by the feature probes
 * (scripts/probes/<feature>.c, HAVE_<FEATURE> in the generated
 * iodma_probes.h); kunit_env.c provides the fallbacks.
 */
#ifndef HAVE_KUNIT_ADD_ACTION
typedef void (kunit_action_t)(void *);
int iodma_kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
				    void *ctx);
#define kunit_add_action_or_reset iodma_kunit_add_action_or_reset
#endif
#ifndef HAVE_KUNIT_VM_MMAP
unsigned long iodma_kunit_vm_mmap(struct kunit *test, struct file *file,
				  unsigned long addr, unsigned long len,
				  unsigned long prot, unsigned long flag,
				  unsigned long offset);
#define kunit_vm_mmap iodma_kunit_vm_mmap
#endif
/* KUnit test attributes (speed): a macro, tested as such, no probe needed. */
#ifdef KUNIT_CASE_PARAM_ATTR
#define KUNIT_CASE_PARAM_SLOW(test_name, gen)				\
	KUNIT_CASE_PARAM_ATTR(test_name, gen, { .speed = KUNIT_SPEED_SLOW })
#else
#define KUNIT_CASE_PARAM_SLOW(test_name, gen) KUNIT_CASE_PARAM(test_name, gen)
#endif

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

/*
 * The end of swiotlb's default pool for @dev, read from swiotlb itself (the
 * tests' own view of the platform: iodma never reads it).
 */
phys_addr_t iodma_kunit_swiotlb_end(struct device *dev);

/* iodma's fault-injection test hooks (src/shim/platform.c, shim.h). */
int iodma_test_fault(bool enable, int fail_at);

/*
 * What iodma's platform layer holds, counted while fault injection is on
 * (the same layout as in src/shim/shim.h).
 */
struct iodma_test_live {
	long allocs;		/* allocations not yet freed */
	long mappings;		/* DMA mappings not yet unmapped */
	long cb_blocks;		/* copy-buffer blocks not yet freed */
	long pins;		/* user pages pinned and not yet unpinned */
};

void iodma_test_live(struct iodma_test_live *out);

/*
 * The counters /sys/kernel/debug/iodma/ shows (src/shim/debugfs.c), in the
 * core's own layout.
 */
#include "../src/core/core_api.h"
int iodma_stats_read(struct device *dev, struct iodma_core_stats *out);

#endif /* IODMA_KUNIT_ENV_H */
