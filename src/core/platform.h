/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one seam between the iodma core and the system under it.
 *
 * The core calls these functions and nothing else outside itself and
 * src/rt. src/shim/platform.c implements them with the Linux kernel;
 * tests/fake_platform.cpp implements them for host tests. No kernel type
 * crosses this line: devices are opaque pointers, gfp masks are opaque
 * integers passed through unchanged.
 */
#ifndef IODMA_CORE_PLATFORM_H
#define IODMA_CORE_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

/* What the core needs to know about a device. */
struct iodma_plat_dev_info {
	/* DMA goes through an IOMMU translation (not identity/passthrough). */
	unsigned char translated;
	/* log2 of the CPU page size. */
	unsigned char page_shift;
};

/*
 * Zeroed memory, or NULL. @gfp is the mask the client passed at creation;
 * the platform may sleep only where it allows.
 */
void *iodma_plat_alloc(unsigned long size, unsigned int gfp);
/* Free memory from iodma_plat_alloc(); NULL is a no-op. */
void iodma_plat_free(void *p);

/* Take and drop a reference on a device for as long as a command uses it. */
void iodma_plat_dev_get(void *dev);
void iodma_plat_dev_put(void *dev);
/* Describe @dev. */
void iodma_plat_dev_query(void *dev, struct iodma_plat_dev_info *info);

/* An invariant of the core is broken: report loudly (WARN in the kernel). */
void iodma_plat_bug(const char *what);

#ifdef __cplusplus
}
#endif

#endif /* IODMA_CORE_PLATFORM_H */
