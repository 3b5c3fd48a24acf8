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
/* KUnit test attributes (speed): a macro, tested as such, no probe needed. */
#ifdef KUNIT_CASE_PARAM_ATTR
#define KUNIT_CASE_PARAM_SLOW(test_name, gen)				\
	KUNIT_CASE_PARAM_ATTR(test_name, gen, { .speed = KUNIT_SPEED_SLOW })
#else
#define KUNIT_CASE_PARAM_SLOW(test_name, gen) KUNIT_CASE_PARAM(test_name, gen)
#endif

/*
 * User memory for a test, as KUnit's kunit_vm_mmap() gives it: vm_mmap()
 * into the address space of the test's thread (one is attached if it has
 * none), unmapped when the test ends. Returns the user address, or 0 or a
 * vm_mmap() error. Used instead of KUnit's, which leaks the address space
 * it attaches (kunit_env.c).
 */
unsigned long iodma_kunit_vm_mmap(struct kunit *test, struct file *file,
				  unsigned long addr, unsigned long len,
				  unsigned long prot, unsigned long flag,
				  unsigned long offset);

/* The configuration name the runner booted (direct, swiotlb, iommu-*...). */
const char *iodma_kunit_config(void);
/* Whether that configuration puts an IOMMU translation in front of edu. */
bool iodma_kunit_expect_translated(void);
/*
 * Whether iodma refuses @mapping (an IODMA_* mapping mode, flags allowed)
 * on edu in this configuration with -EOPNOTSUPP: BYPASSED and UNMAPPED
 * behind an IOMMU, and on a non-coherent device, where SPEC.md 10.6 lets
 * iodma refuse them rather than maintain caches for bare physical
 * addresses (iodma does). As the runner describes the configuration.
 */
bool iodma_kunit_expect_physical_refused(u32 mapping);
/*
 * Whether the configuration's edu device is cache-coherent, as the runner
 * says (iodma.coherent= on the kernel command line): 1 or 0, -1 if it
 * does not say.
 */
int iodma_kunit_expect_coherent(void);
/*
 * The stress test's cycles, as the runner says (iodma.stress_cycles= on
 * the kernel command line, from the kernel line's row of
 * scripts/lib/kernels.sh), or 0 if it does not say.
 */
unsigned int iodma_kunit_stress_cycles(void);
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
 * The physical address the device reaches at bus address @dma: through the
 * IOMMU, or the bus address's (a swiotlb slot included); 0 for none.
 */
phys_addr_t iodma_kunit_dev_phys(struct device *dev, u64 dma);

/*
 * The end of swiotlb's default pool for @dev, read from swiotlb itself (the
 * tests' own view of the platform: iodma never reads it).
 */
phys_addr_t iodma_kunit_swiotlb_end(struct device *dev);

/*
 * The narrowest DMA mask of at least @want bits that the platform gives
 * @dev and above which the machine has memory, so that memory out of the
 * mask's reach exists: @want itself on x86 (memory from 0, a 16 MiB DMA
 * zone) and behind an IOMMU; on arm64's virt, whose memory starts at
 * 1 GiB, dma-direct accepts no mask narrower than its DMA zone (all of
 * the memory below 4 GiB): 32. Sets @dev's masks to it (the test restores
 * them) and returns it; fails the test and returns 0 when there is none.
 */
unsigned int iodma_kunit_narrow_mask(struct kunit *test, struct device *dev,
				     unsigned int want);

/*
 * Whether dma-direct has a swiotlb pool for @dev that lies wholly at or
 * below bus address @limit: memory beyond a mask of @limit is then bounced
 * within it by the platform itself (the tests' own view; iodma decides
 * this from the memory zones).
 */
bool iodma_kunit_platform_bounces_within(struct device *dev, u64 limit);

struct iodma_cmd;
struct iodma_md;
struct iodma_spec;
/*
 * iodma_cmd_create() (no private area, GFP_KERNEL), the command then
 * KUnit's to destroy when the test ends, also when an assertion stops it
 * half-way (a prepared command is completed first). Create it after the
 * buffers it will map: actions run in reverse order, so it goes before
 * they are freed. An error pointer is returned as it is.
 */
struct iodma_cmd *iodma_kunit_cmd(struct kunit *test, struct device *dev,
				  const struct iodma_spec *spec);
/* An action dropping the md reference @md (an iodma_md) when the test ends. */
void iodma_kunit_md_put(void *md);
/* An action destroying @cmd (an iodma_cmd) when the test ends. */
void iodma_kunit_cmd_destroy(void *cmd);

/* iodma's test hooks (fault injection, live counts, statistics). */
#include "../src/core/core_api.h"
#include "../src/shim/test_hooks.h"

#endif /* IODMA_KUNIT_ENV_H */
