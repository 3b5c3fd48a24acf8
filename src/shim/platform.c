// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux implementation of the core's platform seam (src/core/platform.h):
 * the DMA API, pinning, page lookups and copies. Mechanism only: every
 * decision is taken in the core.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "../core/platform.h"
#include "shim.h"

/*
 * Fault injection for tests: when enabled, every fallible platform call
 * (allocation, pin, map, copy-buffer block) is counted, and the one armed
 * fails. A static key keeps it off the hot path otherwise.
 */
static DEFINE_STATIC_KEY_FALSE(iodma_fault_on);
static atomic_t iodma_fault_calls = ATOMIC_INIT(0);
static atomic_t iodma_fault_at = ATOMIC_INIT(-1);

static bool iodma_should_fail(void)
{
	if (!static_branch_unlikely(&iodma_fault_on))
		return false;
	return atomic_inc_return(&iodma_fault_calls) - 1 ==
	       atomic_read(&iodma_fault_at);
}

/**
 * iodma_test_fault() - arm the platform layer's fault injection (tests)
 * @enable: count fallible platform calls and fail the armed one
 * @fail_at: the call to fail, counted from now (0-based); -1 for none
 *
 * Test hook, for iodma's KUnit suites: with @enable, the count restarts
 * and the @fail_at-th allocation, pin, mapping or copy-buffer block fails
 * as if the resource were exhausted.
 *
 * Context: Process context; not for concurrent use.
 * Return: the number of fallible calls counted since the previous call.
 */
int iodma_test_fault(bool enable, int fail_at)
{
	int calls = atomic_xchg(&iodma_fault_calls, 0);

	atomic_set(&iodma_fault_at, fail_at);
	if (enable)
		static_branch_enable(&iodma_fault_on);
	else
		static_branch_disable(&iodma_fault_on);
	return calls;
}
EXPORT_SYMBOL_NS_GPL(iodma_test_fault, IODMA);

void *iodma_plat_alloc(unsigned long size, unsigned int gfp)
{
	if (iodma_should_fail())
		return NULL;
	return kvzalloc(size, (__force gfp_t)gfp);
}

void iodma_plat_free(void *p)
{
	kvfree(p);
}

unsigned int iodma_plat_page_shift(void)
{
	return PAGE_SHIFT;
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
	unsigned long boundary = dma_get_seg_boundary(dev);

	info->translated = iodma_dev_translated(dev);
	info->page_shift = PAGE_SHIFT;
	info->max_mapping_size = min_t(u64, dma_max_mapping_size(dev),
				       dma_get_max_seg_size(dev));
	info->seg_boundary = boundary == ULONG_MAX ? 0 : (u64)boundary + 1;
}

int iodma_plat_kva_kind(const void *kva, unsigned long long len,
			unsigned long long *phys)
{
	const void *last = kva + len - 1;

	if (object_is_on_stack(kva))
		return IODMA_PLAT_KVA_INVALID;
	if (is_vmalloc_addr(kva) && is_vmalloc_addr(last))
		return IODMA_PLAT_KVA_VMALLOC;
	if (virt_addr_valid(kva) && virt_addr_valid(last)) {
		*phys = virt_to_phys((void *)kva);
		return IODMA_PLAT_KVA_LINEAR;
	}
	return IODMA_PLAT_KVA_INVALID;
}

unsigned long long iodma_plat_vmalloc_phys(const void *kva)
{
	return page_to_phys(vmalloc_to_page(kva)) + offset_in_page(kva);
}

unsigned long long iodma_plat_page_phys(void *page)
{
	return page_to_phys((struct page *)page);
}

int iodma_plat_phys_is_ram(unsigned long long phys, unsigned long long len)
{
	unsigned long pfn, last = PHYS_PFN(phys + len - 1);

	for (pfn = PHYS_PFN(phys); pfn <= last; pfn++)
		if (!pfn_valid(pfn))
			return 0;
	return 1;
}

int iodma_plat_user_range_ok(unsigned long long uaddr, unsigned long long len)
{
	return access_ok((const void __user *)(uintptr_t)uaddr, len);
}

int iodma_plat_pin_user(unsigned long long uaddr, unsigned int npages,
			int write, void **pages)
{
	int got;

	if (npages > INT_MAX || iodma_should_fail())
		return -ENOMEM;
	got = pin_user_pages_fast(uaddr, npages, write ? FOLL_WRITE : 0,
				  (struct page **)pages);
	if (got == npages)
		return 0;
	if (got > 0)
		unpin_user_pages((struct page **)pages, got);
	return got == -ENOMEM ? -ENOMEM : -EFAULT;
}

void iodma_plat_unpin_user(void **pages, unsigned int npages, int dirty)
{
	unpin_user_pages_dirty_lock((struct page **)pages, npages, dirty);
}

unsigned int iodma_plat_sgt_count(void *sgt)
{
	return ((struct sg_table *)sgt)->orig_nents;
}

void iodma_plat_sgt_ranges(void *sgt, struct iodma_plat_range *out,
			   unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg((struct sg_table *)sgt, sg, i) {
		if (i >= n)
			break;
		out[i].addr = sg_phys(sg);
		out[i].len = sg->length;
	}
}

/* What the core keeps for us between map and unmap. */
struct iodma_map_state {
	struct sg_table sgt;
	struct scatterlist sgl[];
};

unsigned long iodma_plat_map_state_size(unsigned int n)
{
	struct iodma_map_state *st;

	return struct_size(st, sgl, n);
}

/*
 * Whether the device reaches every byte of its swiotlb pool. swiotlb WARNs
 * ("swiotlb addr ... overflow") when it bounces into memory the device
 * cannot reach; this lets the core use its own copy buffer instead.
 */
static bool iodma_bounce_reachable(struct device *dev)
{
#ifdef CONFIG_SWIOTLB
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	phys_addr_t last;

	if (!mem || !mem->nslabs)
		return false;
	last = mem->defpool.end - 1;
#ifdef CONFIG_SWIOTLB_DYNAMIC
	if (mem->can_grow)
		last = mem->phys_limit;
#endif
	return dma_capable(dev, phys_to_dma(dev, last), 1, true);
#else
	return false;
#endif
}

/* Whether dma-direct will bounce some of the ranges through swiotlb. */
static bool iodma_direct_bounces(struct device *dev,
				 const struct iodma_plat_range *ranges,
				 unsigned int n)
{
	unsigned int i;

	if (iodma_dev_translated(dev))
		return false;
	if (is_swiotlb_force_bounce(dev))
		return true;
	for (i = 0; i < n; i++)
		if (!dma_capable(dev, phys_to_dma(dev, ranges[i].addr),
				 ranges[i].len, true))
			return true;
	return false;
}

static unsigned long iodma_attrs(unsigned int attrs)
{
	return (attrs & IODMA_PLAT_SKIP_CPU_SYNC) ? DMA_ATTR_SKIP_CPU_SYNC : 0;
}

int iodma_plat_map(void *dev, void *state,
		   const struct iodma_plat_range *ranges, unsigned int n,
		   int dir, unsigned int attrs, struct iodma_plat_range *out,
		   unsigned int *nout)
{
	struct iodma_map_state *st = state;
	struct scatterlist *sg;
	unsigned int i;
	bool bounces;
	int ret;

	if (iodma_should_fail())
		return -ENOMEM;
	bounces = iodma_direct_bounces(dev, ranges, n);
	if (bounces && !iodma_bounce_reachable(dev))
		return -EIO;	/* the core may use its own copy buffer */
	sg_init_table(st->sgl, n);
	for (i = 0; i < n; i++)
		sg_set_page(&st->sgl[i], pfn_to_page(PHYS_PFN(ranges[i].addr)),
			    ranges[i].len, offset_in_page(ranges[i].addr));
	st->sgt.sgl = st->sgl;
	st->sgt.orig_nents = n;
	st->sgt.nents = 0;
	ret = dma_map_sgtable(dev, &st->sgt, dir, iodma_attrs(attrs));
	/*
	 * dma-direct reports a full swiotlb as -EIO; with the pool known to be
	 * reachable, a failed bounce is exhaustion: worth a retry, -ENOMEM.
	 */
	if (ret)
		return ret == -ENOMEM || bounces ? -ENOMEM : -EIO;
	for_each_sgtable_dma_sg(&st->sgt, sg, i) {
		out[i].addr = sg_dma_address(sg);
		out[i].len = sg_dma_len(sg);
	}
	*nout = st->sgt.nents;
	return 0;
}

void iodma_plat_unmap(void *dev, void *state, int dir, unsigned int attrs)
{
	struct iodma_map_state *st = state;

	dma_unmap_sgtable(dev, &st->sgt, dir, iodma_attrs(attrs));
}

void iodma_plat_sync_mapping(void *dev, void *state, int dir, int for_cpu)
{
	struct iodma_map_state *st = state;

	if (for_cpu)
		dma_sync_sgtable_for_cpu(dev, &st->sgt, dir);
	else
		dma_sync_sgtable_for_device(dev, &st->sgt, dir);
}

void iodma_plat_sync_range(void *dev, unsigned long long dma,
			   unsigned long long len, int dir, int for_cpu)
{
	if (for_cpu)
		dma_sync_single_for_cpu(dev, dma, len, dir);
	else
		dma_sync_single_for_device(dev, dma, len, dir);
}

unsigned long long iodma_plat_phys_to_bus(void *dev, unsigned long long phys)
{
	return phys_to_dma(dev, phys);
}

void *iodma_plat_cb_alloc(void *dev, unsigned long long size, int dir,
			  unsigned int gfp, unsigned long long *dma)
{
	dma_addr_t handle;
	struct page *page;

	if (iodma_should_fail())
		return NULL;
	page = dma_alloc_pages(dev, size, &handle, dir,
			       (__force gfp_t)gfp | __GFP_NOWARN);
	if (!page)
		return NULL;
	*dma = handle;
	return page_address(page);
}

void iodma_plat_cb_free(void *dev, unsigned long long size, void *cpu,
			unsigned long long dma, int dir)
{
	dma_free_pages(dev, size, virt_to_page(cpu), dma, dir);
}

/* Copy page by page through temporary mappings (no highmem assumption). */
static void iodma_copy_phys(void *buf, unsigned long long phys,
			    unsigned long long len, bool to_phys)
{
	while (len) {
		size_t off = offset_in_page(phys);
		size_t n = min_t(unsigned long long, len, PAGE_SIZE - off);
		void *p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));

		if (to_phys)
			memcpy(p + off, buf, n);
		else
			memcpy(buf, p + off, n);
		kunmap_local(p);
		buf += n;
		phys += n;
		len -= n;
	}
}

void iodma_plat_copy_from_phys(void *dst, unsigned long long phys,
			       unsigned long long len)
{
	iodma_copy_phys(dst, phys, len, false);
}

void iodma_plat_copy_to_phys(unsigned long long phys, const void *src,
			     unsigned long long len)
{
	iodma_copy_phys((void *)src, phys, len, true);
}

void iodma_plat_bug(const char *what)
{
	WARN(1, "iodma: core invariant broken: %s\n", what);
}
