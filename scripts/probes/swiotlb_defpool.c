// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_SWIOTLB_DEFPOOL: swiotlb's struct io_tlb_mem keeps its default pool
 * in .defpool (dynamic swiotlb, 6.12); 6.1's has the pool's bounds in
 * io_tlb_mem itself. Only the KUnit suites look (iodma_kunit_swiotlb_end(),
 * their own view of the platform); iodma never reads swiotlb's structures.
 */
#include <linux/device.h>
#include <linux/swiotlb.h>

phys_addr_t iodma_probe(struct device *dev);
phys_addr_t iodma_probe(struct device *dev)
{
	return dev->dma_io_tlb_mem->defpool.end;
}
