// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux implementation of the core's platform seam (src/core/platform.h):
 * the DMA API, pinning, page lookups and copies. Mechanism only: every
 * decision is taken in the core.
 */
#include <linux/bug.h>
#include <linux/cc_platform.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
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

static __always_inline bool iodma_should_fail(void)
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

/*
 * Live resources, for the same tests: each platform allocation, DMA
 * mapping, copy-buffer block and pinned user page counts up when taken and
 * down when released, only while the key is on.
 */
enum {
	IODMA_LIVE_ALLOCS,
	IODMA_LIVE_MAPPINGS,
	IODMA_LIVE_CB_BLOCKS,
	IODMA_LIVE_PINS,
	IODMA_LIVE_NR
};

static atomic_long_t iodma_live[IODMA_LIVE_NR];

static void iodma_live_add(unsigned int what, long n)
{
	if (static_branch_unlikely(&iodma_fault_on))
		atomic_long_add(n, &iodma_live[what]);
}

/**
 * iodma_test_live() - what the platform layer holds now (tests)
 * @out: filled with the live counts
 *
 * Test hook, for iodma's KUnit suites: while fault injection is enabled
 * (iodma_test_fault()), every allocation, DMA mapping, copy-buffer block
 * and pinned user page of the platform layer counts up when taken and down
 * when released; nothing is counted while it is off. Two snapshots around
 * a call show what the call left behind.
 *
 * Context: Any context.
 * Return: nothing; the counts are in @out.
 */
void iodma_test_live(struct iodma_test_live *out)
{
	out->allocs = atomic_long_read(&iodma_live[IODMA_LIVE_ALLOCS]);
	out->mappings = atomic_long_read(&iodma_live[IODMA_LIVE_MAPPINGS]);
	out->cb_blocks = atomic_long_read(&iodma_live[IODMA_LIVE_CB_BLOCKS]);
	out->pins = atomic_long_read(&iodma_live[IODMA_LIVE_PINS]);
}
EXPORT_SYMBOL_NS_GPL(iodma_test_live, IODMA);

void *iodma_plat_alloc(unsigned long size, unsigned int gfp)
{
	void *p;

	/* kvmalloc() WARNs beyond INT_MAX: that is only "no memory" here. */
	if (size > INT_MAX || iodma_should_fail())
		return NULL;
	p = kvzalloc(size, (__force gfp_t)gfp);
	iodma_live_add(IODMA_LIVE_ALLOCS, p ? 1 : 0);
	return p;
}

void iodma_plat_free(void *p)
{
	iodma_live_add(IODMA_LIVE_ALLOCS, p ? -1 : 0);
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

/*
 * The highest physical address of the lowest memory zone the page allocator
 * can be asked for (ZONE_DMA, else ZONE_DMA32), measured once at load from
 * a page of it: below that, no copy-buffer memory can be guaranteed.
 */
static phys_addr_t iodma_low_zone_last = PHYS_ADDR_MAX;

static gfp_t iodma_lowest_zone_gfp(void)
{
	if (IS_ENABLED(CONFIG_ZONE_DMA))
		return GFP_DMA;
	if (IS_ENABLED(CONFIG_ZONE_DMA32))
		return GFP_DMA32;
	return 0;
}

/*
 * The highest physical address swiotlb's default pool can lie at: it is
 * allocated from low memory (memblock_alloc_low(), below the top of
 * ZONE_DMA32 on x86 and of the lowest DMA zone on arm64), and pools that
 * swiotlb grows later are allocated within the device's own DMA limit.
 * Measured once at load from the zones, never read from swiotlb's private
 * structures; PHYS_ADDR_MAX when unknown (then no bounce counts as
 * reachable).
 */
static phys_addr_t iodma_bounce_pool_last = PHYS_ADDR_MAX;

/* The last physical address of the zone a page of @zone_gfp comes from. */
static phys_addr_t iodma_zone_last(gfp_t zone_gfp)
{
	struct page *page = alloc_page(GFP_KERNEL | zone_gfp | __GFP_NOWARN);
	phys_addr_t last;

	if (!page)
		return PHYS_ADDR_MAX;
	last = PFN_PHYS(zone_end_pfn(page_zone(page))) - 1;
	__free_page(page);
	return last;
}

void iodma_platform_init(void)
{
	iodma_low_zone_last = iodma_zone_last(iodma_lowest_zone_gfp());
	iodma_bounce_pool_last = IS_ENABLED(CONFIG_ZONE_DMA32) ?
		iodma_zone_last(GFP_DMA32) : iodma_low_zone_last;
}

/* The highest bus address @dev reaches through dma-direct. */
static u64 iodma_direct_limit(struct device *dev)
{
	return min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
}

void iodma_plat_dev_query(void *dev, struct iodma_plat_dev_info *info)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	bool translated = iodma_dev_translated(dev);
	struct device *d = dev;

	info->translated = translated;
	info->page_shift = PAGE_SHIFT;
	info->coherent = dev_is_dma_coherent(d);
	info->max_seg_size = max_t(u64, dma_get_max_seg_size(d), 1);
	info->max_mapping_size = dma_max_mapping_size(d);
	info->seg_boundary = boundary == ULONG_MAX ? 0 : (u64)boundary + 1;
	info->dma_mask = translated ? dma_get_mask(d) : iodma_direct_limit(d);
	/*
	 * dma_alloc_pages() meets the coherent mask; below it, an untranslated
	 * device gets pages of a low zone (iodma_plat_cb_alloc()), a
	 * translated one nothing: IOVAs come from the top of the mask.
	 */
	info->cb_floor = d->coherent_dma_mask;
	if (!translated && iodma_low_zone_last != PHYS_ADDR_MAX)
		info->cb_floor = min_t(u64, info->cb_floor,
				       phys_to_dma(d, iodma_low_zone_last));
}

void iodma_plat_dev_read_key(void *dev, struct iodma_plat_dev_key *key)
{
	struct device *d = dev;

	key->word[0] = dma_get_mask(d);
	key->word[1] = d->bus_dma_limit;
	key->word[2] = d->coherent_dma_mask;
	key->word[3] = dma_get_max_seg_size(d);
	key->word[4] = dma_get_seg_boundary(d);
	key->word[5] = (uintptr_t)iommu_get_domain_for_dev(d);
	key->word[6] = (uintptr_t)get_dma_ops(d);
	key->word[7] = dev_is_dma_coherent(d);
}

int iodma_plat_dev_key_same(void *dev, const struct iodma_plat_dev_key *key)
{
	struct device *d = dev;

	/* The order of iodma_plat_dev_read_key(), the likeliest change first. */
	return key->word[0] == dma_get_mask(d) &&
	       key->word[1] == d->bus_dma_limit &&
	       key->word[2] == d->coherent_dma_mask &&
	       key->word[3] == dma_get_max_seg_size(d) &&
	       key->word[4] == dma_get_seg_boundary(d) &&
	       key->word[5] == (uintptr_t)iommu_get_domain_for_dev(d) &&
	       key->word[6] == (uintptr_t)get_dma_ops(d) &&
	       key->word[7] == dev_is_dma_coherent(d);
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

int iodma_plat_vmalloc_ok(const void *kva, unsigned long long len)
{
	const void *p = PTR_ALIGN_DOWN(kva, PAGE_SIZE);

	for (; p < kva + len; p += PAGE_SIZE) {
		struct page *page = vmalloc_to_page(p);

		if (!page || !pfn_valid(page_to_pfn(page)))
			return 0;
	}
	return 1;
}

unsigned long long iodma_plat_vmalloc_phys(const void *kva)
{
	return page_to_phys(vmalloc_to_page(kva)) + offset_in_page(kva);
}

unsigned long long iodma_plat_page_phys(void *page)
{
	return page_to_phys((struct page *)page);
}

unsigned long long iodma_plat_page_run(void *const *pages, unsigned int n,
				       unsigned int *run)
{
	unsigned long pfn = page_to_pfn((struct page *)pages[0]);
	unsigned int i = 1;

	while (i < n && page_to_pfn((struct page *)pages[i]) == pfn + i)
		i++;
	*run = i;
	return PFN_PHYS(pfn);
}

int iodma_plat_phys_is_ram(unsigned long long phys, unsigned long long len)
{
	unsigned long pfn, last = PHYS_PFN(phys + len - 1);

	/* pfn_valid() alone holds for holes and reserved ranges too. */
	if (region_intersects(phys, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return 0;
	for (pfn = PHYS_PFN(phys); pfn <= last; pfn++)
		if (!pfn_valid(pfn))
			return 0;
	return 1;
}

int iodma_plat_user_range_ok(unsigned long long uaddr, unsigned long long len)
{
	return access_ok((const void __user *)(uintptr_t)uaddr, len);
}

void *iodma_plat_mm_get(void)
{
	struct mm_struct *mm = current->mm;

	if (mm)
		mmgrab(mm);
	return mm;
}

void iodma_plat_mm_put(void *mm)
{
	if (mm)
		mmdrop(mm);
}

int iodma_plat_mm_is_current(void *mm)
{
	return current->mm == mm;
}

int iodma_plat_pin_user(unsigned long long uaddr, unsigned int npages,
			int write, void **pages)
{
	unsigned int flags = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	int got;

	if (npages > INT_MAX || iodma_should_fail())
		return -ENOMEM;
	got = pin_user_pages_fast(uaddr, npages, flags, (struct page **)pages);
	if (got == npages) {
		iodma_live_add(IODMA_LIVE_PINS, npages);
		return 0;
	}
	if (got > 0)
		unpin_user_pages((struct page **)pages, got);
	return got == -ENOMEM ? -ENOMEM : -EFAULT;
}

void iodma_plat_unpin_user(void **pages, unsigned int npages, int dirty)
{
	iodma_live_add(IODMA_LIVE_PINS, -(long)npages);
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
	bool bounces;	/* iodma_direct_bounces() of the ranges in sgl */
	struct scatterlist sgl[];
};

unsigned long iodma_plat_map_state_size(unsigned int n)
{
	struct iodma_map_state *st;

	return struct_size(st, sgl, n);
}

/*
 * Whether the device surely reaches every swiotlb slot it may be given.
 * swiotlb WARNs ("swiotlb addr ... overflow") when it bounces into memory
 * the device cannot reach; where reach is not certain, the core uses its
 * own copy buffer instead.
 */
static bool iodma_bounce_reachable(struct device *dev)
{
	if (iodma_bounce_pool_last == PHYS_ADDR_MAX)
		return false;
	return iodma_direct_limit(dev) >=
	       phys_to_dma(dev, iodma_bounce_pool_last);
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
	unsigned int i, nents;
	bool bounces, same;
	int ret;

	if (iodma_should_fail())
		return -ENOMEM;
	/*
	 * The CPU side of a scatterlist (page, offset, length) survives its
	 * mapping and unmapping: a table of the same ranges is mapped again
	 * as it stands. Whether dma-direct bounces them depends only on the
	 * ranges and the device's key (mask, bus limit, domain, DMA ops),
	 * unchanged for a reuse: decided once, when the table is built.
	 */
	if (!(attrs & IODMA_PLAT_MAP_REUSE)) {
		st->bounces = iodma_direct_bounces(dev, ranges, n);
		sg_init_table(st->sgl, n);
		for (i = 0; i < n; i++)
			sg_set_page(&st->sgl[i],
				    pfn_to_page(PHYS_PFN(ranges[i].addr)),
				    ranges[i].len, offset_in_page(ranges[i].addr));
	}
	bounces = st->bounces;
	if (bounces && !iodma_bounce_reachable(dev))
		return -EIO;	/* the core may use its own copy buffer */
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
	/*
	 * sgl is one array, never chained (sg_init_table() above), and the
	 * DMA layer writes its nents mapped entries from the first one on:
	 * indexed, without an sg_next() call per entry. The ranges @out holds
	 * already (a buffer mapped again where the platform gives it the same
	 * addresses) are compared, not written.
	 */
	nents = st->sgt.nents;
	i = 0;
	if (nents == *nout)
		while (i < nents && out[i].addr == sg_dma_address(&st->sgl[i]) &&
		       out[i].len == sg_dma_len(&st->sgl[i]))
			i++;
	same = nents == *nout && i == nents;
	for (; i < nents; i++) {
		out[i].addr = sg_dma_address(&st->sgl[i]);
		out[i].len = sg_dma_len(&st->sgl[i]);
	}
	*nout = nents;
	iodma_live_add(IODMA_LIVE_MAPPINGS, 1);
	return same ? IODMA_PLAT_MAPPED_SAME : 0;
}

void iodma_plat_unmap(void *dev, void *state, int dir, unsigned int attrs)
{
	struct iodma_map_state *st = state;

	iodma_live_add(IODMA_LIVE_MAPPINGS, -1);
	dma_unmap_sgtable(dev, &st->sgt, dir, iodma_attrs(attrs));
}

int iodma_plat_map_single(void *dev, unsigned long long phys,
			  unsigned long long len, int dir, unsigned int attrs,
			  unsigned long long *dma, int *direct)
{
	struct iodma_plat_range range = { .addr = phys, .len = len };
	dma_addr_t addr;
	bool bounces;

	if (iodma_should_fail())
		return -ENOMEM;
	/* A reuse: this range, this device key, decided before. */
	if (attrs & IODMA_PLAT_MAP_REUSE)
		bounces = attrs & IODMA_PLAT_MAP_BOUNCED;
	else
		bounces = iodma_direct_bounces(dev, &range, 1);
	if (bounces && !iodma_bounce_reachable(dev))
		return -EIO;	/* the core may use its own copy buffer */
	addr = dma_map_page_attrs(dev, pfn_to_page(PHYS_PFN(phys)),
				  offset_in_page(phys), len, dir,
				  iodma_attrs(attrs));
	/*
	 * A full swiotlb, or IOVA space or IOMMU page tables short: worth a
	 * retry. Anything else the platform cannot do for this device.
	 */
	if (dma_mapping_error(dev, addr))
		return bounces || iodma_dev_translated(dev) ? -ENOMEM : -EIO;
	*dma = addr;
	*direct = !bounces;
	iodma_live_add(IODMA_LIVE_MAPPINGS, 1);
	return 0;
}

void iodma_plat_unmap_single(void *dev, unsigned long long dma,
			     unsigned long long len, int dir,
			     unsigned int attrs)
{
	iodma_live_add(IODMA_LIVE_MAPPINGS, -1);
	dma_unmap_page_attrs(dev, dma, len, dir, iodma_attrs(attrs));
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

unsigned long long iodma_plat_dma_to_phys(void *dev, unsigned long long dma)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	phys_addr_t phys;

	if (!domain || domain->type == IOMMU_DOMAIN_IDENTITY)
		return dma_to_phys(dev, dma);
	phys = iommu_iova_to_phys(domain, dma);
	return phys ? phys : ~0ULL;
}

/* How a copy-buffer block was made: its cookie. */
enum { IODMA_CB_DMA_PAGES, IODMA_CB_OWN_PAGES, IODMA_CB_OWN_COHERENT };

/*
 * Pages below @max_addr for an untranslated device whose spec is narrower
 * than its coherent mask: from the widest zone that yields them. A
 * coherent device reaches them at their bus address and needs no cache
 * maintenance: no mapping (which swiotlb=force would bounce out of reach).
 * A non-coherent one needs the DMA API for maintenance: they are mapped,
 * for both directions, since the core fills and drains them around every
 * sync whatever the transfer's direction. Where the DMA layer bounces the
 * mapping (swiotlb=force), the device works on the slot and every sync
 * copies between it and the pages (iodma_plat_cb_sync()): a slot the
 * device reaches at or below @max_addr, naturally aligned, serves as well;
 * one above it, or larger than a page (a slot is aligned to a page at
 * most, and only by chance to more), the device cannot use (-EIO).
 */
static int iodma_cb_own_pages(struct device *dev, size_t size, gfp_t gfp,
			      u64 max_addr, struct iodma_plat_cb_block *out)
{
	static const gfp_t zones[] = { 0, GFP_DMA32, GFP_DMA };
	unsigned int order = get_order(size), i;
	struct page *page = NULL;
	dma_addr_t dma;
	bool bounced;

	for (i = 0; i < ARRAY_SIZE(zones) && !page; i++) {
		if ((zones[i] == GFP_DMA32 && !IS_ENABLED(CONFIG_ZONE_DMA32)) ||
		    (zones[i] == GFP_DMA && !IS_ENABLED(CONFIG_ZONE_DMA)))
			continue;
		page = alloc_pages(gfp | zones[i] | __GFP_ZERO | __GFP_NOWARN,
				   order);
		if (page &&
		    phys_to_dma(dev, page_to_phys(page)) + size - 1 > max_addr) {
			__free_pages(page, order);
			page = NULL;
		}
	}
	if (!page)
		return -ENOMEM;
	out->cpu = page_address(page);
	if (dev_is_dma_coherent(dev)) {
		out->dma = phys_to_dma(dev, page_to_phys(page));
		out->cookie = IODMA_CB_OWN_COHERENT;
		iodma_live_add(IODMA_LIVE_CB_BLOCKS, 1);
		return 0;
	}
	dma = dma_map_page_attrs(dev, page, 0, size, DMA_BIDIRECTIONAL,
				 DMA_ATTR_NO_WARN);
	if (dma_mapping_error(dev, dma)) {
		__free_pages(page, order);
		/* Longer than a bounce may be: never; else short now. */
		return size > dma_max_mapping_size(dev) ? -EIO : -ENOMEM;
	}
	bounced = dma != phys_to_dma(dev, page_to_phys(page));
	if (dma + size - 1 > max_addr || !IS_ALIGNED(dma, size) ||
	    (bounced && size > PAGE_SIZE)) {
		dma_unmap_page_attrs(dev, dma, size, DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
		__free_pages(page, order);
		return -EIO;
	}
	out->dma = dma;
	out->cookie = IODMA_CB_OWN_PAGES;
	iodma_live_add(IODMA_LIVE_CB_BLOCKS, 1);
	return 0;
}

int iodma_plat_cb_alloc(void *dev, unsigned long long size, int dir,
			unsigned int gfp, unsigned long long max_addr,
			struct iodma_plat_cb_block *out)
{
	struct device *d = dev;
	dma_addr_t handle;
	struct page *page;

	if (iodma_should_fail())
		return -ENOMEM;
	if (!iodma_dev_translated(d) && max_addr < d->coherent_dma_mask) {
		/* Under memory encryption the device never reaches our pages. */
		if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
			return -EIO;
		return iodma_cb_own_pages(d, size, (__force gfp_t)gfp,
					  max_addr, out);
	}
	page = dma_alloc_pages(d, size, &handle, dir,
			       (__force gfp_t)gfp | __GFP_NOWARN);
	if (!page)
		return -ENOMEM;
	/*
	 * Some kernels' DMA-API debug records dma_alloc_pages() as a streaming
	 * mapping whose error must be checked, and reports it at the free
	 * otherwise. The handle of a returned page is valid, so the check is
	 * false everywhere; making it keeps every kernel's debug quiet.
	 */
	if (dma_mapping_error(d, handle)) {
		dma_free_pages(d, size, page, handle, dir);
		return -ENOMEM;
	}
	out->cpu = page_address(page);
	out->dma = handle;
	out->cookie = IODMA_CB_DMA_PAGES;
	iodma_live_add(IODMA_LIVE_CB_BLOCKS, 1);
	return 0;
}

void iodma_plat_cb_free(void *dev, unsigned long long size, int dir,
			const struct iodma_plat_cb_block *block)
{
	struct page *page = virt_to_page(block->cpu);

	iodma_live_add(IODMA_LIVE_CB_BLOCKS, -1);
	if (block->cookie == IODMA_CB_DMA_PAGES) {
		dma_free_pages(dev, size, page, block->dma, dir);
		return;
	}
	if (block->cookie == IODMA_CB_OWN_PAGES)
		dma_unmap_page_attrs(dev, block->dma, size, DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
	__free_pages(page, get_order(size));
}

void iodma_plat_cb_sync(void *dev, const struct iodma_plat_cb_block *block,
			unsigned long long offset, unsigned long long len,
			int dir, int for_cpu)
{
	/* Coherent and unmapped: nothing to maintain, nothing to bounce. */
	if (block->cookie == IODMA_CB_OWN_COHERENT)
		return;
	/* Mapped for both directions: a bounce slot is copied both ways. */
	if (block->cookie == IODMA_CB_OWN_PAGES)
		dir = DMA_BIDIRECTIONAL;
	iodma_plat_sync_range(dev, block->dma + offset, len, dir, for_cpu);
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

/* The statistics registry's lock: any context, never on the hot path. */
static DEFINE_SPINLOCK(iodma_registry_lock);

unsigned long iodma_plat_lock(void)
	__acquires(&iodma_registry_lock)
{
	unsigned long flags;

	spin_lock_irqsave(&iodma_registry_lock, flags);
	return flags;
}

void iodma_plat_unlock(unsigned long flags)
	__releases(&iodma_registry_lock)
{
	spin_unlock_irqrestore(&iodma_registry_lock, flags);
}

void iodma_plat_bug(const char *what)
{
	WARN(1, "iodma: core invariant broken: %s\n", what);
}
