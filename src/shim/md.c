// SPDX-License-Identifier: GPL-2.0
/*
 * Exported memory descriptor API: argument marshalling to the core.
 */
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iodma.h>

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
 * refused); its pages are looked up at prepare time, for the prepared
 * range only.
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
 * @pages: the pages; the array and the pages must outlive the descriptor
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
 * Return: its length in bytes, fixed at creation; 0 for NULL.
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
