// SPDX-License-Identifier: GPL-2.0
/*
 * Exported memory descriptor API: argument marshalling to the core.
 */
#ifdef CONFIG_BLOCK
#include <linux/blk-mq.h>
#endif
#include <linux/bvec.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iodma.h>
#include <linux/io.h>

#include "../core/core_api.h"

static struct iodma_md *iodma_md_new(struct iodma_core_md_desc *d,
				     enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_md *md = NULL;
	int err;

	d->dir = dir;
	err = iodma_core_md_create(d, (__force unsigned int)gfp, &md);
	return err ? ERR_PTR(err) : md;
}

/**
 * iodma_md_from_kva() - describe kernel memory from kmalloc or vmalloc
 * @addr: start of the buffer: linear-mapped (kmalloc, page allocator) or
 *	vmalloc memory; not the stack, not a module image
 * @len: bytes, fixed for the descriptor's life
 * @dir: DMA direction of transfers through this descriptor
 * @gfp: allocation mask
 *
 * The buffer must stay allocated while the descriptor exists. Every page of
 * a vmalloc range is checked here (a range running into a guard hole is
 * refused); its physically contiguous pieces are recorded here, once
 * (24 bytes each), so that a prepare costs per piece of its range.
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * NULL @addr, zero @len, %DMA_NONE or memory of another kind; -ENOMEM.
 */
struct iodma_md *iodma_md_from_kva(void *addr, size_t len,
				   enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_core_md_desc d = { .kind = IODMA_CORE_MD_KVA,
					.kva = addr, .len = len };

	return iodma_md_new(&d, dir, gfp);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_from_kva, IODMA);

/**
 * iodma_md_from_pages() - describe a range of an array of pages
 * @pages: the pages, which must outlive the descriptor; the array is read
 *	here only (the descriptor records their physically contiguous pieces)
 * @npages: entries in @pages
 * @offset: byte offset of the range into the first page of @pages
 * @len: bytes, with @offset + @len within @npages pages
 * @dir: DMA direction
 * @gfp: allocation mask
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * bad argument or a range outside the pages; -ENOMEM.
 */
struct iodma_md *iodma_md_from_pages(struct page **pages, unsigned int npages,
				     size_t offset, size_t len,
				     enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_core_md_desc d = { .kind = IODMA_CORE_MD_PAGES,
					.pages = (void **)pages,
					.npages = npages, .offset = offset,
					.len = len };

	return iodma_md_new(&d, dir, gfp);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_from_pages, IODMA);

/**
 * iodma_md_from_user() - describe user memory of the current process
 * @uaddr: start address in the current process
 * @len: bytes
 * @dir: DMA direction; %DMA_FROM_DEVICE and %DMA_BIDIRECTIONAL pin the pages
 *	for writing
 * @gfp: allocation mask
 *
 * Nothing is pinned here: iodma_cmd_prepare() pins the prepared range with
 * pin_user_pages_fast(FOLL_LONGTERM), since a command may stay prepared
 * indefinitely, and iodma_cmd_complete() unpins it (marking the pages
 * dirty when the device may have written them). The descriptor belongs to
 * the calling process's address space: a prepare from any other context is
 * -EFAULT. Long-term pins are refused by the kernel for some memory
 * (fsdax; writable shared mappings of regular files), as for RDMA.
 *
 * Context: Process context of the process whose memory it is.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * zero @len, a NULL or wrapping range, %DMA_NONE; -EFAULT for a range
 * outside user space or a caller without an address space (a kernel
 * thread); -ENOMEM.
 */
struct iodma_md *iodma_md_from_user(unsigned long uaddr, size_t len,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_core_md_desc d = { .kind = IODMA_CORE_MD_USER,
					.uaddr = uaddr, .len = len };

	return iodma_md_new(&d, dir, gfp);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_from_user, IODMA);

/**
 * iodma_md_from_sgtable() - describe the memory of a scatter/gather table
 * @sgt: the table; its CPU entries (page, offset, length) are copied, so
 *	the table may be freed afterwards, but its pages must outlive the
 *	descriptor. A mapping the caller made of @sgt is not used.
 * @dir: DMA direction
 * @gfp: allocation mask
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * NULL or empty table or %DMA_NONE; -ENOMEM.
 */
struct iodma_md *iodma_md_from_sgtable(struct sg_table *sgt,
				       enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_core_md_desc d = { .kind = IODMA_CORE_MD_SGTABLE,
					.sgt = sgt };

	return iodma_md_new(&d, dir, gfp);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_from_sgtable, IODMA);

/**
 * iodma_md_from_phys() - describe a physical range of RAM
 * @addr: physical address
 * @len: bytes
 * @dir: DMA direction
 * @gfp: allocation mask
 *
 * The range must be System RAM (as /proc/iomem says) with a struct page
 * for every page: device memory (MMIO), reserved ranges and holes are
 * refused.
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * zero @len, a wrapping range, memory that is not RAM or %DMA_NONE;
 * -ENOMEM.
 */
struct iodma_md *iodma_md_from_phys(phys_addr_t addr, size_t len,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct iodma_core_md_desc d = { .kind = IODMA_CORE_MD_PHYS,
					.phys = addr, .len = len };

	return iodma_md_new(&d, dir, gfp);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_from_phys, IODMA);

/**
 * iodma_md_alloc_reusable() - a descriptor to re-point at request after request
 * @max_ranges: physically contiguous ranges it can hold (contiguous
 *	neighbours merge into one): a block driver's max_segments
 * @gfp: allocation mask
 *
 * The descriptor is empty (length 0; a prepare returns -ENODATA) until
 * iodma_md_set_bvecs() or iodma_md_set_request() points it at memory. It
 * is reference counted like any other; set it once on a command, and
 * re-point it before each prepare. This is the only allocation: re-pointing
 * allocates nothing, so a blk-mq driver creates one per tag in its
 * init_request() and the I/O path allocates nothing.
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the descriptor (one reference) or an ERR_PTR(): -EINVAL for a
 * zero or absurd @max_ranges; -ENOMEM.
 */
struct iodma_md *iodma_md_alloc_reusable(unsigned int max_ranges, gfp_t gfp)
{
	struct iodma_md *md = NULL;
	int err;

	err = iodma_core_md_create_ranges(max_ranges, (__force unsigned int)gfp,
					  &md);
	return err ? ERR_PTR(err) : md;
}
EXPORT_SYMBOL_NS_GPL(iodma_md_alloc_reusable, IODMA);

static int iodma_md_add_bvec(struct iodma_md *md, const struct bio_vec *bv)
{
	return iodma_core_md_add_range(md, page_to_phys(bv->bv_page) +
				       bv->bv_offset, bv->bv_len);
}

/**
 * iodma_md_set_bvecs() - re-point a reusable descriptor at bio_vecs
 * @md: a descriptor from iodma_md_alloc_reusable()
 * @bv: the memory, in order; each entry physically contiguous (multi-page
 *	bio_vecs are). Only the ranges are recorded: the pages must stay
 *	valid until the last complete of a prepare of @md.
 * @nr: entries in @bv
 * @dir: DMA direction of the next transfers
 *
 * Physically contiguous neighbours merge into one range.
 *
 * Context: Any context. Allocates nothing.
 * Return: 0; -EINVAL for another kind of descriptor, a NULL or empty
 * array, an empty entry or %DMA_NONE; -EBUSY while a command holds @md
 * prepared (@md is then unchanged); -ENOSPC for more ranges than it was
 * created for. On any other error than -EBUSY @md is left empty.
 */
int iodma_md_set_bvecs(struct iodma_md *md, const struct bio_vec *bv,
		       unsigned int nr, enum dma_data_direction dir)
{
	unsigned int i;
	int err;

	if (IS_ERR_OR_NULL(md))
		return -EINVAL;
	err = iodma_core_md_reset(md, dir);
	if (err)
		return err;
	if (!bv || !nr)
		return -EINVAL;
	for (i = 0; i < nr && !err; i++)
		err = iodma_md_add_bvec(md, &bv[i]);
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_md_set_bvecs, IODMA);

#ifdef CONFIG_BLOCK
/**
 * iodma_md_set_request() - re-point a reusable descriptor at a request's data
 * @md: a descriptor from iodma_md_alloc_reusable()
 * @rq: a blk-mq request with data (read or write)
 *
 * Walks the request's bio_vecs: to the device for a write, from it
 * otherwise. The request's pages stay valid until it is completed, which
 * must come after the last complete of the prepare.
 *
 * Context: Any context (a blk-mq ->queue_rq()). Allocates nothing.
 * Return: 0; -ENODATA for a request without data (a flush), with @md left
 * empty; otherwise as iodma_md_set_bvecs().
 */
int iodma_md_set_request(struct iodma_md *md, struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;
	int err;

	if (IS_ERR_OR_NULL(md) || !rq)
		return -EINVAL;
	err = iodma_core_md_reset(md, rq_data_dir(rq) == WRITE ?
				  DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (err)
		return err;
	if (!blk_rq_nr_phys_segments(rq) || !blk_rq_bytes(rq))
		return -ENODATA;
	rq_for_each_bvec(bv, rq, iter) {
		err = iodma_md_add_bvec(md, &bv);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iodma_md_set_request, IODMA);
#endif

/**
 * iodma_md_get() - take a reference on a descriptor
 * @md: the descriptor; NULL or an ERR_PTR() is ignored
 *
 * Context: Any context.
 * Return: nothing.
 */
void iodma_md_get(struct iodma_md *md)
{
	if (!IS_ERR_OR_NULL(md))
		iodma_core_md_get(md);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_get, IODMA);

/**
 * iodma_md_put() - drop a reference; the last one frees the descriptor
 * @md: the descriptor; NULL or an ERR_PTR() is ignored
 *
 * A command holds its own reference while the descriptor is set on it.
 *
 * Context: Any context.
 * Return: nothing.
 */
void iodma_md_put(struct iodma_md *md)
{
	if (!IS_ERR_OR_NULL(md))
		iodma_core_md_put(md);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_put, IODMA);

/**
 * iodma_md_length() - length of a descriptor
 * @md: the descriptor
 *
 * Context: Any context.
 * Return: its length in bytes, fixed at creation (for a reusable
 * descriptor: as last pointed, 0 while empty); 0 for NULL.
 */
u64 iodma_md_length(const struct iodma_md *md)
{
	return IS_ERR_OR_NULL(md) ? 0 : iodma_core_md_length(md);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_length, IODMA);

/**
 * iodma_md_direction() - DMA direction of a descriptor
 * @md: the descriptor
 *
 * Context: Any context.
 * Return: its direction; %DMA_NONE for NULL.
 */
enum dma_data_direction iodma_md_direction(const struct iodma_md *md)
{
	return IS_ERR_OR_NULL(md) ? DMA_NONE : iodma_core_md_direction(md);
}
EXPORT_SYMBOL_NS_GPL(iodma_md_direction, IODMA);
