// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: devices beyond the defaults (SPEC.md section 10, issue 9). Each
 * test gives the edu device the limits it needs through the DMA API - a
 * segment boundary, a maximum segment size (also below a page), a DMA mask
 * - and gives the device its own limits back when it ends, since the other
 * suites share it. Every emitted segment is checked against the device's
 * limits, and what the device reads or writes at it goes through the IOMMU
 * or the bus address (swiotlb slots included), never through iodma. KASAN
 * watches every prepare for a write past prepare's arrays.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/iodma.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kunit_env.h"

#define MAX_SEGS	512

/* What a test changes on the shared device, and gets back at its end. */
struct saved_limits {
	struct device *dev;
	unsigned int max_seg;
	unsigned long boundary;
	u64 mask;
	u64 coherent;
};

/* Run @fn(@arg) when the test ends (at once if that cannot be arranged). */
static void at_end(struct kunit *test, kunit_action_t *fn, void *arg)
{
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fn, arg));
}

static void limits_restore(void *p)
{
	struct saved_limits *l = p;

	l->dev->dma_parms->max_segment_size = l->max_seg;
	l->dev->dma_parms->segment_boundary_mask = l->boundary;
	dma_set_mask(l->dev, l->mask);
	dma_set_coherent_mask(l->dev, l->coherent);
}

/*
 * The edu device with 64-bit DMA masks; its DMA limits are restored when
 * the test ends.
 */
static struct device *shared_edu(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct saved_limits *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_NOT_NULL_MSG(test, dev->dma_parms, "edu device: no dma_parms");
	l->dev = dev;
	l->max_seg = dev->dma_parms->max_segment_size;
	l->boundary = dev->dma_parms->segment_boundary_mask;
	l->mask = dma_get_mask(dev);
	l->coherent = dev->coherent_dma_mask;
	at_end(test, limits_restore, l);
	/*
	 * A device that reaches all memory, so that only the test's own
	 * limits and the configuration (swiotlb=force) bounce: with memory
	 * above 4 GiB (arm64's guests), a 32-bit mask would have dma-direct
	 * bounce some buffers too.
	 */
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	return dev;
}

static void set_limits(struct device *dev, unsigned int max_seg,
		       unsigned long boundary_mask)
{
	dma_set_max_seg_size(dev, max_seg);
	dma_set_seg_boundary(dev, boundary_mask);
}

/* The configuration bounces every streaming mapping (swiotlb=force). */
static bool platform_bounces(void)
{
	return !strncmp(iodma_kunit_config(), "swiotlb", 7);
}

static bool tiny_swiotlb(void)
{
	return !strcmp(iodma_kunit_config(), "swiotlb-tiny");
}

static u8 pat(size_t i, unsigned int seed)
{
	return (u8)(i * 131 + seed * 7 + (i >> 8) + (seed << 5));
}

static void fill(u8 *p, size_t n, size_t first, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(first + i, seed);
}

/* Index of the first byte of @p that is not pat(first + i, seed), or @n. */
static size_t first_bad(const u8 *p, size_t n, size_t first,
			unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pat(first + i, seed))
			break;
	return i;
}

static void vfree_action(void *p)
{
	vfree(p);
}

/* Zeroed vmalloc memory, freed when the test ends. */
static void *tvzalloc(struct kunit *test, size_t n)
{
	void *p = vzalloc(n);

	KUNIT_ASSERT_NOT_NULL(test, p);
	at_end(test, vfree_action, p);
	return p;
}

/* Naturally aligned blocks of 2^order pages. */
struct blocks {
	unsigned int n, order;
	struct page *pg[];
};

static void blocks_free(void *p)
{
	struct blocks *b = p;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		__free_pages(b->pg[i], b->order);
}

static struct blocks *blocks_alloc(struct kunit *test, unsigned int n,
				   unsigned int order)
{
	struct blocks *b = kunit_kzalloc(test, struct_size(b, pg, n),
					 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->order = order;
	at_end(test, blocks_free, b);
	while (b->n < n) {
		b->pg[b->n] = alloc_pages(GFP_KERNEL, order);
		KUNIT_ASSERT_NOT_NULL(test, b->pg[b->n]);
		b->n++;
	}
	return b;
}

static void sgt_free_action(void *p)
{
	sg_free_table(p);
}

/* A command for @dev, destroyed when the test ends. */
static struct iodma_cmd *tcmd(struct kunit *test, struct device *dev,
			      const struct iodma_spec *spec)
{
	struct iodma_cmd *cmd = iodma_kunit_cmd(test, dev, spec);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	return cmd;
}

/* Set @md on @cmd, which then holds the only reference (ours is dropped). */
static void give_md(struct kunit *test, struct iodma_cmd *cmd,
		    struct iodma_md *md)
{
	int err;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	err = iodma_cmd_set_md(cmd, md, false);
	iodma_md_put(md);
	KUNIT_ASSERT_EQ(test, 0, err);
}

struct segs {
	unsigned int n;
	struct iodma_seg64 s[MAX_SEGS];
};

static struct segs *tsegs(struct kunit *test)
{
	struct segs *sl = kunit_kzalloc(test, sizeof(*sl), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sl);
	return sl;
}

/* Every segment of the prepared [0, plen), 7 per call, covering it once. */
static void gen_all(struct kunit *test, struct iodma_cmd *cmd,
		    struct segs *sl, u64 plen)
{
	u64 off = 0, sum = 0;
	unsigned int i;

	sl->n = 0;
	while (off < plen) {
		u64 before = off;
		u32 count = 7;

		KUNIT_ASSERT_LE(test, sl->n + 7, (unsigned int)MAX_SEGS);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_gen_segments(cmd, &off,
								&sl->s[sl->n],
								&count));
		KUNIT_ASSERT_GT(test, off, before);
		sl->n += count;
	}
	for (i = 0; i < sl->n; i++) {
		KUNIT_EXPECT_GT(test, sl->s[i].len, 0ULL);
		sum += sl->s[i].len;
	}
	KUNIT_EXPECT_EQ(test, sum, plen);
}

/*
 * No segment longer than the device's maximum segment, across its segment
 * boundary or above its DMA mask, as the device's limits are now.
 */
static void expect_dev_limits(struct kunit *test, struct device *dev,
			      const struct segs *sl)
{
	u64 max = dma_get_max_seg_size(dev), mask = dma_get_mask(dev);
	u64 boundary = dma_get_seg_boundary(dev);
	unsigned int i;

	for (i = 0; i < sl->n; i++) {
		u64 a = sl->s[i].addr, last = a + sl->s[i].len - 1;

		KUNIT_EXPECT_LE_MSG(test, sl->s[i].len, max, "segment %u", i);
		KUNIT_EXPECT_EQ_MSG(test, (a ^ last) & ~boundary, 0ULL,
				    "segment %u [%llx, %llx] crosses the boundary mask %llx",
				    i, a, last, boundary);
		KUNIT_EXPECT_LE_MSG(test, last, mask, "segment %u", i);
	}
}

/* The device reads (or writes) [0, sum of lengths) through the segments. */
static void dev_rw_all(struct kunit *test, struct device *dev,
		       const struct segs *sl, u8 *buf, bool write)
{
	unsigned int i;

	for (i = 0; i < sl->n; i++) {
		KUNIT_ASSERT_TRUE_MSG(test,
				      iodma_kunit_dev_rw(dev, sl->s[i].addr,
							 buf, sl->s[i].len,
							 write),
				      "no translation for %llx", sl->s[i].addr);
		buf += sl->s[i].len;
	}
}

/*
 * The bidirectional round trip over a prepared [0, n) of a descriptor
 * whose bytes are pat(i, 1): the device reads them through the segments,
 * writes pat(i, 2) back, and complete leaves that in the descriptor (the
 * caller checks the descriptor).
 */
static void round_trip(struct kunit *test, struct device *dev,
		       struct iodma_cmd *cmd, struct segs *sl, size_t n)
{
	u8 *seen = tvzalloc(test, n);
	size_t bad;

	gen_all(test, cmd, sl, n);
	expect_dev_limits(test, dev, sl);
	dev_rw_all(test, dev, sl, seen, false);
	bad = first_bad(seen, n, 0, 1);
	KUNIT_EXPECT_EQ_MSG(test, bad, n, "the device reads a wrong byte at %zu",
			    bad);
	fill(seen, n, 0, 2);
	dev_rw_all(test, dev, sl, seen, true);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
}

/* ---------------------------------------------------------------------
 * 1. prepare never writes past its arrays (issue 9 item 1): the two
 * shapes that overflowed, on the real DMA paths.
 */

#define SG_N		100
#define SG_ENTRY	SZ_8K

/*
 * An sg_table of 100 entries of 8 KiB, each straddling a 64 KiB boundary,
 * on a device whose segment boundary is 64 KiB: 200 physical ranges (the
 * old bound said 113). Every segment within the device's limits, the
 * device reads and writes the right bytes. In swiotlb-tiny the 800 KiB do
 * not fit the pool at once: a whole prepare may be -ENOMEM there, and the
 * table is then moved 64 KiB at a time.
 */
static void limits_sg_straddle_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct blocks *b = blocks_alloc(test, SG_N, get_order(SZ_128K));
	struct sg_table *sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	const size_t total = SG_N * SG_ENTRY;
	size_t chunk = tiny_swiotlb() ? SZ_64K : total, off, n, i, bad;
	struct segs *sl = tsegs(test);
	u8 *seen = tvzalloc(test, total);
	struct scatterlist *sg;
	struct iodma_cmd *cmd;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, SG_N, GFP_KERNEL));
	at_end(test, sgt_free_action, sgt);
	/*
	 * Entry i: [64 KiB - 4 KiB, 64 KiB + 4 KiB) of block i (inside its
	 * first page where pages are 64 KiB).
	 */
	for_each_sgtable_sg(sgt, sg, i) {
		const size_t at = SZ_64K - SZ_4K;
		struct page *pg = nth_page(b->pg[i], at >> PAGE_SHIFT);

		sg_set_page(sg, pg, SG_ENTRY, offset_in_page(at));
		fill(page_address(pg) + offset_in_page(at), SG_ENTRY,
		     i * SG_ENTRY, 1);
	}
	set_limits(dev, SZ_64K, SZ_64K - 1);
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, iodma_md_from_sgtable(sgt, DMA_BIDIRECTIONAL,
						 GFP_KERNEL));
	err = iodma_cmd_prepare(cmd, 0, 0, 0);
	if (tiny_swiotlb()) {
		KUNIT_EXPECT_TRUE_MSG(test, !err || err == -ENOMEM, "%d", err);
		if (!err)
			KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	} else {
		KUNIT_ASSERT_EQ(test, 0, err);
		KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	}

	for (off = 0; off < total; off += n) {
		n = min(chunk, total - off);
		KUNIT_ASSERT_EQ_MSG(test, 0, iodma_cmd_prepare(cmd, off, n, 0),
				    "[%zu, +%zu)", off, n);
		gen_all(test, cmd, sl, n);
		expect_dev_limits(test, dev, sl);
		/* Directly: two segments per entry, cut at the boundary. */
		if (!platform_bounces() && !iodma_kunit_expect_translated())
			KUNIT_EXPECT_EQ(test, (size_t)sl->n, 2 * n / SG_ENTRY);
		dev_rw_all(test, dev, sl, seen + off, false);
		bad = first_bad(seen + off, n, off, 1);
		KUNIT_EXPECT_EQ_MSG(test, bad, n, "device reads byte %zu",
				    off + bad);
		fill(seen + off, n, off, 2);
		dev_rw_all(test, dev, sl, seen + off, true);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	}
	for_each_sgtable_sg(sgt, sg, i) {
		bad = first_bad(sg_virt(sg), SG_ENTRY, i * SG_ENTRY, 2);
		KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)SG_ENTRY,
				    "entry %zu byte %zu after complete", i, bad);
	}
}

enum lin_kind { LIN_KVA, LIN_PHYS };

static const enum lin_kind lin_kinds[] = { LIN_KVA, LIN_PHYS };

static void lin_desc(const enum lin_kind *k, char *desc)
{
	strscpy(desc, *k == LIN_KVA ? "kmalloc" : "phys",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lin, lin_kinds, lin_desc);

/*
 * The shape of the 4 GiB crossing (a linear range starting 512 bytes below
 * a boundary, longer than a run of maximum segments), scaled down to what
 * a 1 GiB guest has: boundary 64 KiB, maximum segment 8 KiB, 7 x 8 KiB +
 * 1 KiB from 512 bytes below a boundary = 9 ranges (the old bound said 8).
 */
static void limits_linear_cross_test(struct kunit *test)
{
	const enum lin_kind *kind = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct blocks *b = blocks_alloc(test, 1, get_order(SZ_128K));
	const size_t len = 7 * SZ_8K + SZ_1K;
	u8 *buf = (u8 *)page_address(b->pg[0]) + SZ_64K - 512;
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	size_t bad;

	fill(buf, len, 0, 1);
	set_limits(dev, SZ_8K, SZ_64K - 1);
	cmd = tcmd(test, dev, &spec);
	if (*kind == LIN_KVA)
		md = iodma_md_from_kva(buf, len, DMA_BIDIRECTIONAL, GFP_KERNEL);
	else
		md = iodma_md_from_phys(virt_to_phys(buf), len,
					DMA_BIDIRECTIONAL, GFP_KERNEL);
	give_md(test, cmd, md);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	round_trip(test, dev, cmd, sl, len);
	/*
	 * Bus addresses are the physical ones (bounced range by range under
	 * swiotlb): 9 ranges at least; an IOMMU lays them out afresh.
	 */
	KUNIT_EXPECT_GE(test, sl->n, (unsigned int)DIV_ROUND_UP(len, SZ_8K));
	if (!iodma_kunit_expect_translated())
		KUNIT_EXPECT_GE(test, sl->n, 9U);
	if (!platform_bounces() && !iodma_kunit_expect_translated())
		KUNIT_EXPECT_EQ(test, sl->n, 9U);
	bad = first_bad(buf, len, 0, 2);
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "byte %zu after complete", bad);
}

/* ---------------------------------------------------------------------
 * 2. write_bytes never writes into pages pinned without write access.
 */

enum ro_kind { RO_ZERO_PAGE, RO_FILE, RO_WRITTEN };

struct ro_case {
	enum ro_kind kind;
	const char *name;
};

static const struct ro_case ro_cases[] = {
	{ RO_ZERO_PAGE, "untouched_readonly_anon" },
	{ RO_FILE, "readonly_private_file" },
	{ RO_WRITTEN, "written_anon" },
};

static void ro_desc(const struct ro_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ro, ro_cases, ro_desc);

static void fput_action(void *f)
{
	fput(f);
}

/*
 * A to-device user descriptor over memory the device only reads: an
 * untouched read-only anonymous mapping (the shared zero page), a
 * read-only private mapping of a file (page-cache pages), written
 * anonymous memory. write_bytes returns 0 and writes nothing - not the
 * zero page, not the file, not the process's memory - while the device
 * keeps seeing the original bytes; through a forced copy buffer it writes
 * the copy buffer only.
 */
static void limits_write_ro_user_test(struct kunit *test)
{
	const struct ro_case *c = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	const size_t len = PAGE_SIZE;
	u8 *orig = kunit_kzalloc(test, len, GFP_KERNEL);
	u8 *now = kunit_kzalloc(test, len, GFP_KERNEL);
	u8 *junk = kunit_kzalloc(test, len, GFP_KERNEL);
	struct segs *sl = tsegs(test);
	struct file *file = NULL;
	struct iodma_cmd *cmd;
	unsigned long uaddr;
	loff_t pos = 0;

	KUNIT_ASSERT_NOT_NULL(test, orig);
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_ASSERT_NOT_NULL(test, junk);
	memset(junk, 0xa5, len);
	switch (c->kind) {
	case RO_ZERO_PAGE:
		uaddr = iodma_kunit_vm_mmap(test, NULL, 0, len, PROT_READ,
					    MAP_ANONYMOUS | MAP_PRIVATE, 0);
		break;
	case RO_FILE:
		/* The initramfs's /init script: page cache of a real file. */
		file = filp_open("/init", O_RDONLY, 0);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
		at_end(test, fput_action, file);
		uaddr = iodma_kunit_vm_mmap(test, file, 0, len, PROT_READ,
					    MAP_PRIVATE, 0);
		break;
	default:
		uaddr = iodma_kunit_vm_mmap(test, NULL, 0, len,
					    PROT_READ | PROT_WRITE,
					    MAP_ANONYMOUS | MAP_PRIVATE, 0);
		KUNIT_ASSERT_NE(test, uaddr, 0UL);
		fill(orig, len, 0, 3);
		KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)uaddr,
							orig, len));
		break;
	}
	KUNIT_ASSERT_NE(test, uaddr, 0UL);
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(orig, (void __user *)uaddr,
						  len));

	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, iodma_md_from_user(uaddr, len, DMA_TO_DEVICE,
					      GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_FALSE(test, iodma_cmd_is_double_buffered(cmd));
	KUNIT_EXPECT_EQ(test, iodma_cmd_write_bytes(cmd, 10, junk, 100),
			(size_t)0);
	gen_all(test, cmd, sl, len);
	dev_rw_all(test, dev, sl, now, false);
	KUNIT_EXPECT_EQ(test, memcmp(now, orig, len), 0);

	/* Through a copy buffer: only the copy buffer is written. */
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize(cmd,
						       IODMA_SYNC_FORCE_DOUBLE_BUFFER));
	KUNIT_EXPECT_EQ(test, iodma_cmd_write_bytes(cmd, 10, junk, 100),
			(size_t)100);
	gen_all(test, cmd, sl, len);
	dev_rw_all(test, dev, sl, now, false);
	KUNIT_EXPECT_EQ(test, memcmp(now + 10, junk, 100), 0);
	KUNIT_EXPECT_EQ(test, memcmp(now, orig, 10), 0);
	KUNIT_EXPECT_EQ(test, memcmp(now + 110, orig + 110, len - 110), 0);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));

	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(now, (void __user *)uaddr,
						  len));
	KUNIT_EXPECT_EQ_MSG(test, memcmp(now, orig, len), 0,
			    "the process's memory changed");
	if (c->kind == RO_ZERO_PAGE)
		KUNIT_EXPECT_NULL_MSG(test,
				      memchr_inv(page_address(ZERO_PAGE(0)), 0,
						 PAGE_SIZE),
				      "the shared zero page was written");
	if (c->kind == RO_FILE) {
		ssize_t got = kernel_read(file, now, len, &pos);

		KUNIT_ASSERT_GT(test, got, 0L);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(now, orig, got), 0,
				    "the file's page cache was written");
	}
}

/* ---------------------------------------------------------------------
 * 3. synchronize_range maintains exactly the memory of its range.
 */

#define SYNC_PAGES	6
#define SYNC_OFF	1000
#define SYNC_LEN	(3 * PAGE_SIZE + 500)

enum sync_kind { SYNC_SCATTERED_PAGES, SYNC_VMALLOC };

static const enum sync_kind sync_kinds[] = { SYNC_SCATTERED_PAGES,
					     SYNC_VMALLOC };

static void sync_desc(const enum sync_kind *k, char *desc)
{
	strscpy(desc, *k == SYNC_VMALLOC ? "vmalloc" : "scattered_pages",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sync, sync_kinds, sync_desc);

static void vunmap_action(void *p)
{
	vunmap(p);
}

/*
 * Physically scattered pages (every other page of a block), which an IOMMU
 * merges into one device range: synchronize_range over 3.1 pages in the
 * middle, both ways. Behind swiotlb exactly the range moves between the
 * slots and the descriptor, nothing outside it; elsewhere the device's
 * bytes are the memory's. DMA-API debug checks every sync.
 */
static void limits_sync_range_test(struct kunit *test)
{
	const enum sync_kind *kind = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	const size_t len = SYNC_PAGES * PAGE_SIZE;
	u8 *seen = tvzalloc(test, len), *want = tvzalloc(test, len);
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	u8 *va;
	size_t i, bad;

	if (*kind == SYNC_SCATTERED_PAGES) {
		struct blocks *b = blocks_alloc(test, 1, 4);
		struct page **pg = kunit_kcalloc(test, SYNC_PAGES, sizeof(*pg),
						 GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, pg);
		for (i = 0; i < SYNC_PAGES; i++)
			pg[i] = nth_page(b->pg[0], 2 * i);
		va = vmap(pg, SYNC_PAGES, VM_MAP, PAGE_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, va);
		at_end(test, vunmap_action, va);
		md = iodma_md_from_pages(pg, SYNC_PAGES, 0, len,
					 DMA_BIDIRECTIONAL, GFP_KERNEL);
	} else {
		va = tvzalloc(test, len);
		md = iodma_md_from_kva(va, len, DMA_BIDIRECTIONAL, GFP_KERNEL);
	}
	fill(va, len, 0, 1);
	/*
	 * Segments as long as the whole buffer, so that pages can merge: PCI
	 * gives every device 64 KiB, no more than one page of a 64 KiB-page
	 * kernel.
	 */
	set_limits(dev, len, dev->dma_parms->segment_boundary_mask);
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, md);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	gen_all(test, cmd, sl, len);
	expect_dev_limits(test, dev, sl);
	/* The IOMMU merged the scattered pages: the case this is about. */
	if (iodma_kunit_expect_translated() && *kind == SYNC_SCATTERED_PAGES)
		KUNIT_EXPECT_LT(test, sl->n, (unsigned int)SYNC_PAGES);

	/* The device writes everything; FOR_CPU brings exactly the range. */
	fill(seen, len, 0, 2);
	dev_rw_all(test, dev, sl, seen, true);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize_range(cmd, SYNC_OFF,
							     SYNC_LEN,
							     IODMA_SYNC_FOR_CPU));
	for (i = 0; i < len; i++) {
		bool in = i >= SYNC_OFF && i < SYNC_OFF + SYNC_LEN;

		want[i] = pat(i, in || !platform_bounces() ? 2 : 1);
	}
	bad = 0;
	while (bad < len && va[bad] == want[bad])
		bad++;
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "FOR_CPU: CPU byte %zu", bad);

	/* The CPU writes the range; FOR_DEVICE hands exactly it over. */
	fill(va + SYNC_OFF, SYNC_LEN, SYNC_OFF, 3);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize_range(cmd, SYNC_OFF,
							     SYNC_LEN,
							     IODMA_SYNC_FOR_DEVICE));
	for (i = 0; i < len; i++) {
		bool in = i >= SYNC_OFF && i < SYNC_OFF + SYNC_LEN;

		want[i] = pat(i, in ? 3 : 2);
	}
	dev_rw_all(test, dev, sl, seen, false);
	bad = 0;
	while (bad < len && seen[bad] == want[bad])
		bad++;
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "FOR_DEVICE: device byte %zu", bad);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	bad = 0;
	while (bad < len && va[bad] == want[bad])
		bad++;
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "after complete: byte %zu", bad);
}

/* ---------------------------------------------------------------------
 * 4. The copy buffer meets address bits narrower than the DMA mask.
 */

#define CB_LEN	(3 * PAGE_SIZE + 100)

static void expect_below(struct kunit *test, const struct segs *sl,
			 u64 limit)
{
	unsigned int i;

	for (i = 0; i < sl->n; i++)
		KUNIT_EXPECT_LT_MSG(test, sl->s[i].addr + sl->s[i].len - 1,
				    limit, "segment %u at %llx", i,
				    sl->s[i].addr);
}

/*
 * A DMA mask four bits wider than the engine, and the engine's 28 bits (or
 * the narrowest width this platform gives with memory above it,
 * iodma_kunit_narrow_mask(): 32 on arm64's virt): on an untranslated
 * device the copy buffer is found below the engine's reach (also under
 * swiotlb=force, whose pool lies above 2^28 on x86), by the platform's own
 * addresses or by a forced double buffering, and the data goes both ways.
 * Behind an IOMMU that allocates IOVAs from the top of the mask,
 * -EOPNOTSUPP is allowed (SPEC.md 10.5), -ENOMEM never. A 16-bit engine
 * can never be served: -EOPNOTSUPP, at set_spec or at prepare, never
 * -ENOMEM.
 */
static void limits_cb_address_bits_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_spec narrow = { .format = IODMA_FMT_HOST64,
				     .address_bits = 16 };
	bool translated = iodma_kunit_expect_translated();
	u8 *buf = kunit_kmalloc(test, CB_LEN, GFP_KERNEL);
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	unsigned int bits;
	size_t bad;
	int round, err;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	bits = iodma_kunit_narrow_mask(test, dev, 28);
	KUNIT_ASSERT_GT(test, bits, 0U);
	spec.address_bits = bits;
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev,
							   DMA_BIT_MASK(bits + 4)));
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, iodma_md_from_kva(buf, CB_LEN, DMA_BIDIRECTIONAL,
					     GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd), (int)bits);

	/* Round 0: as the platform maps it; round 1: forced copy buffer. */
	for (round = 0; round < 2; round++) {
		fill(buf, CB_LEN, 0, 1);
		err = iodma_cmd_prepare(cmd, 0, 0, 0);
		if (!err && round) {
			err = iodma_cmd_synchronize(cmd,
						    IODMA_SYNC_FORCE_DOUBLE_BUFFER);
			if (err)
				iodma_cmd_complete(cmd, 0);
		}
		if (translated) {
			KUNIT_EXPECT_TRUE_MSG(test, !err || err == -EOPNOTSUPP,
					      "round %d: %d", round, err);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, err, 0, "round %d (%s)",
					    round, round ? "forced copy buffer" :
					    "prepare");
		}
		if (err)
			continue;
		if (round)
			KUNIT_EXPECT_TRUE(test,
					  iodma_cmd_is_double_buffered(cmd));
		gen_all(test, cmd, sl, CB_LEN);
		expect_below(test, sl, 1ULL << bits);
		round_trip(test, dev, cmd, sl, CB_LEN);
		bad = first_bad(buf, CB_LEN, 0, 2);
		KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)CB_LEN,
				    "round %d: byte %zu after complete", round,
				    bad);
	}

	err = iodma_cmd_set_spec(cmd, &narrow);
	KUNIT_EXPECT_TRUE_MSG(test, !err || err == -EOPNOTSUPP, "%d", err);
	if (!err)
		KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0),
				-EOPNOTSUPP);
	err = iodma_cmd_prepare_with_spec(cmd, &narrow, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, err, -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd, 0), -ENODATA);
}

static void fault_off_action(void *unused)
{
	iodma_test_fault(false, -1);
}

/*
 * A reserved copy buffer (iodma_cmd_reserve_copy_buffer(), for I/O paths
 * that must not allocate): 50 forced double bufferings of CB_LEN hold no
 * copy-buffer block beyond the reservation's, the statistics count them as
 * served by it, and the data goes both ways each time; releasing it
 * leaves nothing; while prepared it is -EBUSY.
 */
static void limits_reserved_cb_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	u8 *buf = kunit_kmalloc(test, CB_LEN, GFP_KERNEL);
	struct iodma_test_live base, held, now;
	struct iodma_core_stats s0, s1;
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	size_t bad;
	int i, err;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, iodma_md_from_kva(buf, CB_LEN, DMA_BIDIRECTIONAL,
					     GFP_KERNEL));
	at_end(test, fault_off_action, NULL);
	iodma_test_fault(true, -1);	/* count, fail nothing */
	iodma_test_live(&base);
	KUNIT_ASSERT_EQ(test, iodma_cmd_reserve_copy_buffer(cmd, CB_LEN), 0);
	iodma_test_live(&held);
	KUNIT_EXPECT_GT(test, held.cb_blocks, base.cb_blocks);
	KUNIT_ASSERT_EQ(test, 0, iodma_stats_read(dev, &s0));
	for (i = 0; i < 50; i++) {
		fill(buf, CB_LEN, 0, 1);
		KUNIT_ASSERT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0), 0);
		KUNIT_EXPECT_EQ(test, iodma_cmd_reserve_copy_buffer(cmd, 0),
				-EBUSY);
		err = iodma_cmd_synchronize(cmd, IODMA_SYNC_FORCE_DOUBLE_BUFFER);
		KUNIT_ASSERT_EQ(test, err, 0);
		KUNIT_EXPECT_TRUE(test, iodma_cmd_is_double_buffered(cmd));
		iodma_test_live(&now);
		KUNIT_EXPECT_EQ_MSG(test, now.cb_blocks, held.cb_blocks,
				    "round %d: blocks beyond the reservation",
				    i);
		round_trip(test, dev, cmd, sl, CB_LEN);
		bad = first_bad(buf, CB_LEN, 0, 2);
		KUNIT_ASSERT_EQ_MSG(test, bad, (size_t)CB_LEN,
				    "round %d: byte %zu after complete", i,
				    bad);
	}
	iodma_test_live(&now);
	KUNIT_EXPECT_EQ(test, now.cb_blocks, held.cb_blocks);
	KUNIT_ASSERT_EQ(test, 0, iodma_stats_read(dev, &s1));
	KUNIT_EXPECT_EQ(test, s1.cb_engaged - s0.cb_engaged, 50ULL);
	KUNIT_EXPECT_EQ(test, s1.cb_reserved - s0.cb_reserved, 50ULL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_reserve_copy_buffer(cmd, 0), 0);
	iodma_test_live(&now);
	KUNIT_EXPECT_EQ(test, now.cb_blocks, base.cb_blocks);
}

/* ---------------------------------------------------------------------
 * 5. A user descriptor belongs to the process that created it.
 */

enum mm_kind { MM_KTHREAD_NONE, MM_KTHREAD_SAME, MM_OTHER_PROCESS };

struct mm_case {
	enum mm_kind kind;
	const char *name;
};

static const struct mm_case mm_cases[] = {
	{ MM_KTHREAD_NONE, "kthread_without_mm" },
	{ MM_KTHREAD_SAME, "kthread_using_creator_mm" },
	{ MM_OTHER_PROCESS, "other_process_mm" },
};

static void mm_desc(const struct mm_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mm, mm_cases, mm_desc);

struct kt {
	struct iodma_cmd *cmd;
	struct mm_struct *mm;	/* to use, or NULL */
	unsigned long uaddr;
	int prepare_err;	/* of a prepare, if cmd */
	struct iodma_md *md;	/* made from uaddr in the thread */
	struct completion done;
};

static int kt_fn(void *p)
{
	struct kt *k = p;

	if (k->mm)
		kthread_use_mm(k->mm);
	if (k->cmd) {
		k->prepare_err = iodma_cmd_prepare(k->cmd, 0, 0, 0);
		if (!k->prepare_err)
			iodma_cmd_complete(k->cmd, 0);
	}
	k->md = iodma_md_from_user(k->uaddr, PAGE_SIZE, DMA_TO_DEVICE,
				   GFP_KERNEL);
	if (k->mm)
		kthread_unuse_mm(k->mm);
	complete(&k->done);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static void kt_run(struct kunit *test, struct kt *k)
{
	struct task_struct *t;

	init_completion(&k->done);
	t = kthread_run(kt_fn, k, "iodma_limits_kt");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&k->done);
	kthread_stop(t);
}

/* How many of the @n pages at @uaddr (this process) are DMA-pinned. */
static unsigned int pinned_pages(unsigned long uaddr, unsigned int n)
{
	struct page *pg[4];
	unsigned int i, pinned = 0;
	int got;

	got = get_user_pages_fast(uaddr, min(n, 4U), 0, pg);
	for (i = 0; i < max(got, 0); i++) {
		pinned += folio_maybe_dma_pinned(page_folio(pg[i]));
		put_page(pg[i]);
	}
	return pinned;
}

static struct mm_struct *init_process_mm(struct kunit *test)
{
	struct pid *pid = find_get_pid(1);
	struct task_struct *task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	struct mm_struct *mm = task ? get_task_mm(task) : NULL;

	put_pid(pid);
	if (task)
		put_task_struct(task);
	KUNIT_ASSERT_NOT_NULL_MSG(test, mm, "PID 1 has no address space");
	return mm;
}

/*
 * A prepare from a kernel thread of a descriptor the test's process made:
 * -EFAULT, nothing pinned, the command unprepared; and a kernel thread
 * cannot make a user descriptor. A kernel thread that uses the creator's
 * address space may prepare it. A descriptor of another process (PID 1)
 * over an address this process has mapped too: -EFAULT here, and our page
 * stays unpinned.
 */
static void limits_foreign_mm_test(struct kunit *test)
{
	const struct mm_case *c = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct kt *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct iodma_cmd *cmd = tcmd(test, dev, &spec);
	unsigned long uaddr;
	u64 o, l;

	KUNIT_ASSERT_NOT_NULL(test, k);
	if (c->kind == MM_OTHER_PROCESS) {
		struct mm_struct *mm = init_process_mm(test);
		unsigned long there = mm->start_stack & PAGE_MASK;

		/* The same address, mapped in this process too. */
		uaddr = iodma_kunit_vm_mmap(test, NULL, there, PAGE_SIZE,
					    PROT_READ | PROT_WRITE,
					    MAP_ANONYMOUS | MAP_PRIVATE |
					    MAP_FIXED_NOREPLACE, 0);
		if (uaddr != there) {
			mmput(mm);
			KUNIT_FAIL(test, "cannot map %lx here too", there);
			return;
		}
		KUNIT_ASSERT_EQ(test, 0, put_user(1, (u8 __user *)uaddr));
		k->mm = mm;
		k->uaddr = there;
		kt_run(test, k);	/* makes the descriptor in PID 1's mm */
		mmput(mm);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, k->md);
		give_md(test, cmd, k->md);
		KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0), -EFAULT);
		KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &o, &l),
				-ENODATA);
		KUNIT_EXPECT_EQ(test, pinned_pages(uaddr, 1), 0U);
		return;
	}

	uaddr = iodma_kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
				    PROT_READ | PROT_WRITE,
				    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, uaddr, 0UL);
	KUNIT_ASSERT_EQ(test, 0, put_user(1, (u8 __user *)uaddr));
	KUNIT_ASSERT_EQ(test, 0, put_user(1, (u8 __user *)uaddr + PAGE_SIZE));
	give_md(test, cmd, iodma_md_from_user(uaddr, 2 * PAGE_SIZE,
					      DMA_BIDIRECTIONAL, GFP_KERNEL));
	k->cmd = cmd;
	k->uaddr = uaddr;
	if (c->kind == MM_KTHREAD_SAME)
		k->mm = current->mm;
	kt_run(test, k);
	if (c->kind == MM_KTHREAD_SAME) {
		KUNIT_EXPECT_EQ(test, k->prepare_err, 0);
		KUNIT_EXPECT_NOT_ERR_OR_NULL(test, k->md);
	} else {
		KUNIT_EXPECT_EQ(test, k->prepare_err, -EFAULT);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(k->md), (long)-EFAULT);
	}
	iodma_md_put(k->md);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &o, &l), -ENODATA);
	KUNIT_EXPECT_EQ(test, pinned_pages(uaddr, 2), 0U);
	/* The creator itself still can. */
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, pinned_pages(uaddr, 2), 2U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd, 0), 0);
	KUNIT_EXPECT_EQ(test, pinned_pages(uaddr, 2), 0U);
}

/* ---------------------------------------------------------------------
 * 6. Physical descriptors describe System RAM only.
 */

/*
 * The guests' memory map. x86 (QEMU q35, SeaBIOS, 1 GiB): RAM below
 * 0x9fc00 and from 1 MiB to just below 1 GiB; the VGA hole and the BIOS
 * above 640 KiB; nothing at 1 GiB; MMIO near 4 GiB. arm64 (QEMU virt):
 * flash below 128 MiB, devices (the GIC at 128 MiB) below 1 GiB, RAM from
 * 1 GiB. The end of RAM is read from the resource tree on both.
 */
#define PHYS_EDU_BAR0	((phys_addr_t)0)
#define PHYS_RAM_END	((phys_addr_t)1)
#define PHYS_KMALLOC	(~(phys_addr_t)0)

struct phys_case {
	const char *name;
	phys_addr_t addr;	/* or one of PHYS_* above */
	size_t len;
	int want;
};

static const struct phys_case phys_cases[] = {
	{ "vga_hole", 0xa0000, PAGE_SIZE, -EINVAL },
	{ "vga_hole_last_page", 0xbf000, PAGE_SIZE, -EINVAL },
	{ "bios_rom", 0xf0000, PAGE_SIZE, -EINVAL },
	{ "ram_into_vga_hole", 0x9e000, 3 * PAGE_SIZE, -EINVAL },
	{ "above_ram", PHYS_RAM_END, PAGE_SIZE, -EINVAL },
#ifdef CONFIG_X86
	{ "ioapic", 0xfec00000, PAGE_SIZE, -EINVAL },
#else
	{ "gic_distributor", 0x08000000, PAGE_SIZE, -EINVAL },
#endif
	{ "edu_bar0", PHYS_EDU_BAR0, PAGE_SIZE, -EINVAL },
	{ "kmalloc_ram", PHYS_KMALLOC, PAGE_SIZE, 0 },
};

static void phys_desc(const struct phys_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phys, phys_cases, phys_desc);

static void limits_phys_not_ram_test(struct kunit *test)
{
	const struct phys_case *c = test->param_value;
	struct device *dev = shared_edu(test);
	phys_addr_t addr = c->addr;
	struct iodma_md *md;

	if (addr == PHYS_EDU_BAR0) {
		addr = pci_resource_start(to_pci_dev(dev), 0);
		KUNIT_ASSERT_NE(test, addr, (phys_addr_t)0);
	} else if (addr == PHYS_RAM_END) {
		struct resource *r;

		addr = 0;
		for (r = iomem_resource.child; r; r = r->sibling)
			if (!strcmp(r->name, "System RAM"))
				addr = max_t(phys_addr_t, addr, r->end + 1);
		KUNIT_ASSERT_NE(test, addr, (phys_addr_t)0);
	} else if (addr == PHYS_KMALLOC) {
		void *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, buf);
		addr = virt_to_phys(buf);
	}
	md = iodma_md_from_phys(addr, c->len, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(md), (long)c->want,
			    "[%pa + %zx]", &addr, c->len);
	iodma_md_put(md);
}

/* ---------------------------------------------------------------------
 * 7. Device limits below a page, and limits set after create.
 */

enum lkind { L_KMALLOC, L_VMALLOC, L_PAGES, L_SGTABLE, L_USER, L_PHYS,
	     L_NR };
static const char *const lkind_names[] = { "kmalloc", "vmalloc", "pages",
					   "sgtable", "user", "phys" };

#define LB_OFF		100
#define LB_LEN		(3 * PAGE_SIZE + 300)
#define LB_PAGES	4

/* A buffer of one kind, at an unaligned start, and its CPU view. */
struct lbuf {
	enum lkind kind;
	u8 *va;			/* the first byte; NULL for user memory */
	unsigned long uaddr;	/* the first byte, user memory */
	struct page *pages[LB_PAGES];
	struct sg_table sgt;
};

static void lbuf_free(void *p)
{
	struct lbuf *b = p;
	unsigned int i;

	if (b->kind == L_SGTABLE)
		sg_free_table(&b->sgt);
	if (b->kind == L_PAGES || b->kind == L_SGTABLE) {
		if (b->va)
			vunmap(b->va - LB_OFF);
		for (i = 0; i < LB_PAGES; i++)
			if (b->pages[i])
				__free_page(b->pages[i]);
	} else if (b->kind == L_VMALLOC && b->va) {
		vfree(b->va - LB_OFF);
	} else if (b->va) {
		kfree(b->va - LB_OFF);
	}
}

/* A buffer of @kind holding pat(i, 1) and a descriptor over it. */
static struct iodma_md *lbuf_make(struct kunit *test, struct lbuf **out,
				  enum lkind kind)
{
	struct lbuf *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	enum dma_data_direction dir = DMA_BIDIRECTIONAL;
	u8 *tmp = kunit_kmalloc(test, LB_LEN, GFP_KERNEL);
	unsigned int i;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, tmp);
	b->kind = kind;
	*out = b;
	at_end(test, lbuf_free, b);
	fill(tmp, LB_LEN, 0, 1);
	switch (kind) {
	case L_KMALLOC:
	case L_PHYS:
		p = kmalloc(LB_OFF + LB_LEN, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		b->va = p + LB_OFF;
		break;
	case L_VMALLOC:
		p = vmalloc(LB_OFF + LB_LEN);
		KUNIT_ASSERT_NOT_NULL(test, p);
		b->va = p + LB_OFF;
		break;
	case L_PAGES:
	case L_SGTABLE:
		for (i = 0; i < LB_PAGES; i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, b->pages[i]);
		}
		p = vmap(b->pages, LB_PAGES, VM_MAP, PAGE_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		b->va = p + LB_OFF;
		break;
	default:
		b->uaddr = iodma_kunit_vm_mmap(test, NULL, 0, LB_OFF + LB_LEN,
					       PROT_READ | PROT_WRITE,
					       MAP_ANONYMOUS | MAP_PRIVATE, 0);
		KUNIT_ASSERT_NE(test, b->uaddr, 0UL);
		b->uaddr += LB_OFF;
		KUNIT_ASSERT_EQ(test, 0UL,
				copy_to_user((void __user *)b->uaddr, tmp,
					     LB_LEN));
		return iodma_md_from_user(b->uaddr, LB_LEN, dir, GFP_KERNEL);
	}
	memcpy(b->va, tmp, LB_LEN);
	switch (kind) {
	case L_PAGES:
		return iodma_md_from_pages(b->pages, LB_PAGES, LB_OFF, LB_LEN,
					   dir, GFP_KERNEL);
	case L_SGTABLE:
		KUNIT_ASSERT_EQ(test, 0,
				sg_alloc_table_from_pages(&b->sgt, b->pages,
							  LB_PAGES, LB_OFF,
							  LB_LEN, GFP_KERNEL));
		return iodma_md_from_sgtable(&b->sgt, dir, GFP_KERNEL);
	case L_PHYS:
		return iodma_md_from_phys(virt_to_phys(b->va), LB_LEN, dir,
					  GFP_KERNEL);
	default:
		return iodma_md_from_kva(b->va, LB_LEN, dir, GFP_KERNEL);
	}
}

/* Index of the first byte of the buffer that is not pat(i, seed). */
static size_t lbuf_bad(struct kunit *test, struct lbuf *b, unsigned int seed)
{
	u8 *tmp;

	if (b->kind != L_USER)
		return first_bad(b->va, LB_LEN, 0, seed);
	tmp = kunit_kmalloc(test, LB_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tmp);
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(tmp,
						  (void __user *)b->uaddr,
						  LB_LEN));
	return first_bad(tmp, LB_LEN, 0, seed);
}

struct sub_case {
	enum lkind kind;
	unsigned int max_seg;
	unsigned long boundary;	/* mask */
	char name[40];
};

static struct sub_case sub_cases[L_NR * 2];

static const void *sub_gen(const void *prev, char *desc)
{
	const struct sub_case *c = prev ? (const struct sub_case *)prev + 1 :
					  sub_cases;
	unsigned int i;

	if (!prev) {
		for (i = 0; i < ARRAY_SIZE(sub_cases); i++) {
			struct sub_case *s = &sub_cases[i];

			s->kind = i / 2;
			/* 512 with a 2 KiB boundary, or 1000 (not a power of 2) */
			s->max_seg = i % 2 ? 1000 : 512;
			s->boundary = i % 2 ? ULONG_MAX : SZ_2K - 1;
			snprintf(s->name, sizeof(s->name), "%s_%u%s",
				 lkind_names[s->kind], s->max_seg,
				 i % 2 ? "" : "_boundary_2k");
		}
	}
	if (c >= sub_cases + ARRAY_SIZE(sub_cases))
		return NULL;
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
	return c;
}

/*
 * A device whose maximum segment is below the page size (512 bytes with a
 * 2 KiB boundary, or 1000 bytes), every descriptor kind at an unaligned
 * start: every segment within them (DMA-API debug checks the mapping
 * too), the effective maximum segment is the device's, the data goes both
 * ways.
 */
static void limits_subpage_test(struct kunit *test)
{
	const struct sub_case *c = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	struct lbuf *b;
	size_t bad;

	set_limits(dev, c->max_seg, c->boundary);
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, lbuf_make(test, &b, c->kind));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_segment_size(cmd), (u64)c->max_seg);
	round_trip(test, dev, cmd, sl, LB_LEN);
	KUNIT_EXPECT_GE(test, sl->n, (unsigned int)DIV_ROUND_UP(LB_LEN,
								c->max_seg));
	bad = lbuf_bad(test, b, 2);
	KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)LB_LEN,
			    "byte %zu after complete", bad);
}

/*
 * Limits a driver sets after it created its commands (in probe) hold from
 * the next prepare: a maximum segment of 1 KiB and a 4 KiB boundary, then
 * the device's own limits again, then a DMA mask narrower than the 64 bits
 * it started with: 28 bits, or the narrowest the platform gives with
 * memory above it (iodma_kunit_narrow_mask()).
 */
static void limits_set_after_create_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	unsigned int max_seg = dma_get_max_seg_size(dev);
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd = tcmd(test, dev, &spec);
	const size_t len = 4 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	unsigned int i, longest;
	unsigned int bits;
	size_t bad;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev,
							   DMA_BIT_MASK(64)));
	give_md(test, cmd, iodma_md_from_kva(buf, len, DMA_BIDIRECTIONAL,
					     GFP_KERNEL));
	fill(buf, len, 0, 1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd), 64);
	round_trip(test, dev, cmd, sl, len);

	set_limits(dev, SZ_1K, SZ_4K - 1);
	fill(buf, len, 0, 1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_segment_size(cmd), (u64)SZ_1K);
	KUNIT_EXPECT_EQ(test, iodma_cmd_segment_boundary(cmd), (u64)SZ_4K);
	round_trip(test, dev, cmd, sl, len);
	KUNIT_EXPECT_GE(test, sl->n, (unsigned int)(len / SZ_1K));
	bad = first_bad(buf, len, 0, 2);
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "byte %zu after complete", bad);

	/* The device's own limits again: longer segments come back. */
	set_limits(dev, max_seg, boundary);
	fill(buf, len, 0, 1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_segment_size(cmd), (u64)max_seg);
	round_trip(test, dev, cmd, sl, len);
	for (i = 0, longest = 0; i < sl->n; i++)
		longest = max_t(unsigned int, longest, sl->s[i].len);
	KUNIT_EXPECT_GT(test, longest, (unsigned int)SZ_1K);

	/* A narrower DMA mask: the effective address bits follow it. */
	bits = iodma_kunit_narrow_mask(test, dev, 28);
	KUNIT_ASSERT_GT(test, bits, 0U);
	fill(buf, len, 0, 1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd), (int)bits);
	gen_all(test, cmd, sl, len);
	expect_below(test, sl, 1ULL << bits);
	round_trip(test, dev, cmd, sl, len);
	bad = first_bad(buf, len, 0, 2);
	KUNIT_EXPECT_EQ_MSG(test, bad, len, "%u bits: byte %zu", bits, bad);
}

/* ---------------------------------------------------------------------
 * 8. read_bytes and write_bytes act on what the device sees.
 */

#define RW_LEN		(3 * PAGE_SIZE + 300)
#define RW_W_OFF	500	/* write_bytes */
#define RW_W_LEN	5000
#define RW_D_OFF	7000	/* the device writes */
#define RW_D_LEN	3000

struct rw_case {
	const char *name;
	enum dma_data_direction dir;
	bool copy;	/* forced copy buffer */
};

static const struct rw_case rw_cases[] = {
	{ "bidirectional", DMA_BIDIRECTIONAL, false },
	{ "to_device", DMA_TO_DEVICE, false },
	{ "from_device", DMA_FROM_DEVICE, false },
	{ "bidirectional_copy_buffer", DMA_BIDIRECTIONAL, true },
};

static void rw_desc(const struct rw_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rw, rw_cases, rw_desc);

/*
 * A MAPPED kmalloc descriptor (bounced by swiotlb in its configurations):
 * write_bytes after prepare is what the device reads and survives
 * complete; read_bytes before complete returns what the device wrote. For
 * a from-device mapping the platform bounced, write_bytes cannot reach the
 * device: it returns 0 and changes nothing.
 */
static void limits_rw_bytes_test(struct kunit *test)
{
	const struct rw_case *c = test->param_value;
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	u8 *buf = kunit_kmalloc(test, RW_LEN, GFP_KERNEL);
	u8 *seen = tvzalloc(test, RW_LEN), *want = tvzalloc(test, RW_LEN);
	u8 *tmp = tvzalloc(test, RW_LEN);
	bool device_writes = c->dir != DMA_TO_DEVICE;
	struct segs *sl = tsegs(test);
	struct iodma_cmd *cmd;
	size_t wrote, i, bad;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fill(buf, RW_LEN, 0, 1);
	cmd = tcmd(test, dev, &spec);
	give_md(test, cmd, iodma_md_from_kva(buf, RW_LEN, c->dir, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	if (c->copy)
		KUNIT_ASSERT_EQ(test, 0,
				iodma_cmd_synchronize(cmd,
						      IODMA_SYNC_FORCE_DOUBLE_BUFFER));
	gen_all(test, cmd, sl, RW_LEN);

	fill(tmp, RW_W_LEN, 0, 3);
	wrote = iodma_cmd_write_bytes(cmd, RW_W_OFF, tmp, RW_W_LEN);
	if (c->dir == DMA_FROM_DEVICE && !c->copy && platform_bounces())
		KUNIT_EXPECT_EQ(test, wrote, (size_t)0);
	else
		KUNIT_EXPECT_EQ(test, wrote, (size_t)RW_W_LEN);
	for (i = 0; i < RW_LEN; i++)
		want[i] = i >= RW_W_OFF && i < RW_W_OFF + wrote ?
			  pat(i - RW_W_OFF, 3) : pat(i, 1);
	dev_rw_all(test, dev, sl, seen, false);
	bad = 0;
	while (bad < RW_LEN && seen[bad] == want[bad])
		bad++;
	KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)RW_LEN,
			    "the device reads byte %zu", bad);
	/* read_bytes of what was written: what the device sees. */
	memset(tmp, 0, RW_LEN);
	KUNIT_EXPECT_EQ(test, iodma_cmd_read_bytes(cmd, RW_W_OFF, tmp,
						   RW_W_LEN),
			(size_t)RW_W_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(tmp, want + RW_W_OFF, RW_W_LEN), 0);

	if (device_writes) {
		/* The device writes; read_bytes returns it before complete. */
		fill(seen + RW_D_OFF, RW_D_LEN, 0, 4);
		dev_rw_all(test, dev, sl, seen, true);
		memcpy(want + RW_D_OFF, seen + RW_D_OFF, RW_D_LEN);
		memset(tmp, 0, RW_LEN);
		KUNIT_EXPECT_EQ(test, iodma_cmd_read_bytes(cmd, RW_D_OFF, tmp,
							   RW_D_LEN),
				(size_t)RW_D_LEN);
		bad = first_bad(tmp, RW_D_LEN, 0, 4);
		KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)RW_D_LEN,
				    "read_bytes: byte %zu of the device's",
				    bad);
	}
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	bad = 0;
	while (bad < RW_LEN && buf[bad] == want[bad])
		bad++;
	KUNIT_EXPECT_EQ_MSG(test, bad, (size_t)RW_LEN,
			    "descriptor byte %zu after complete", bad);
}

/* ---------------------------------------------------------------------
 * 9. Handles, vmalloc holes, priv_size, pools.
 */

#define EP_CMD	((struct iodma_cmd *)ERR_PTR(-EINVAL))
#define EP_MD	((struct iodma_md *)ERR_PTR(-EINVAL))
#define EP_POOL	((struct iodma_pool *)ERR_PTR(-EINVAL))

struct epfx {
	struct device *dev;
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	struct iodma_pool *pool;
	struct iodma_spec spec;
};

struct ep_case {
	const char *name;
	long want;
	long (*call)(struct epfx *f);
};

static long ep_md_get(struct epfx *f)
{
	iodma_md_get(EP_MD);
	return 0;
}

static long ep_md_put(struct epfx *f)
{
	iodma_md_put(EP_MD);
	return 0;
}

static long ep_md_length(struct epfx *f)
{
	return iodma_md_length(EP_MD);
}

static long ep_md_direction(struct epfx *f)
{
	return iodma_md_direction(EP_MD);
}

static long ep_clone(struct epfx *f)
{
	return PTR_ERR(iodma_cmd_clone(EP_CMD, GFP_KERNEL));
}

static long ep_destroy(struct epfx *f)
{
	iodma_cmd_destroy(EP_CMD);
	return 0;
}

static long ep_priv(struct epfx *f)
{
	return !!iodma_cmd_priv(EP_CMD);
}

static long ep_device(struct epfx *f)
{
	return !!iodma_cmd_device(EP_CMD);
}

static long ep_set_spec(struct epfx *f)
{
	return iodma_cmd_set_spec(EP_CMD, &f->spec);
}

static long ep_get_spec(struct epfx *f)
{
	struct iodma_spec out;

	return iodma_cmd_get_spec(EP_CMD, &out);
}

static long ep_set_md_cmd(struct epfx *f)
{
	return iodma_cmd_set_md(EP_CMD, f->md, false);
}

/* An error pointer descriptor is refused, and the command keeps its md. */
static long set_md_ep(struct epfx *f, bool auto_prepare)
{
	long err;

	if (iodma_cmd_set_md(f->cmd, f->md, false))
		return -EIO;
	err = iodma_cmd_set_md(f->cmd, EP_MD, auto_prepare);
	if (iodma_cmd_md(f->cmd) != f->md)
		return -EIO;
	return err;
}

static long ep_set_md_md(struct epfx *f)
{
	return set_md_ep(f, false);
}

static long ep_set_md_md_auto(struct epfx *f)
{
	return set_md_ep(f, true);
}

static long ep_clear_md(struct epfx *f)
{
	return iodma_cmd_clear_md(EP_CMD, true);
}

static long ep_cmd_md(struct epfx *f)
{
	return !!iodma_cmd_md(EP_CMD);
}

static long ep_prepare(struct epfx *f)
{
	return iodma_cmd_prepare(EP_CMD, 0, 0, 0);
}

static long ep_prepare_with_spec(struct epfx *f)
{
	return iodma_cmd_prepare_with_spec(EP_CMD, &f->spec, 0, 0, 0);
}

static long ep_complete(struct epfx *f)
{
	return iodma_cmd_complete(EP_CMD, 0);
}

static long ep_gen(struct epfx *f)
{
	struct iodma_seg64 s;
	u64 off = 0;
	u32 n = 1;

	return iodma_cmd_gen_segments(EP_CMD, &off, &s, &n);
}

static long ep_sync(struct epfx *f)
{
	return iodma_cmd_synchronize(EP_CMD, IODMA_SYNC_FOR_CPU);
}

static long ep_sync_range(struct epfx *f)
{
	return iodma_cmd_synchronize_range(EP_CMD, 0, 1, IODMA_SYNC_FOR_CPU);
}

static long ep_read(struct epfx *f)
{
	u8 b[8];

	return iodma_cmd_read_bytes(EP_CMD, 0, b, sizeof(b));
}

static long ep_write(struct epfx *f)
{
	u8 b[8] = {};

	return iodma_cmd_write_bytes(EP_CMD, 0, b, sizeof(b));
}

static long ep_prepared_range(struct epfx *f)
{
	u64 o, l;

	return iodma_cmd_prepared_range(EP_CMD, &o, &l);
}

static long ep_double_buffered(struct epfx *f)
{
	return iodma_cmd_is_double_buffered(EP_CMD);
}

static long ep_getters(struct epfx *f)
{
	return iodma_cmd_format(EP_CMD) + iodma_cmd_address_bits(EP_CMD) +
	       (iodma_cmd_max_segment_size(EP_CMD) != 0) +
	       (iodma_cmd_max_transfer_size(EP_CMD) != 0) +
	       iodma_cmd_alignment(EP_CMD) +
	       iodma_cmd_alignment_length(EP_CMD) +
	       iodma_cmd_alignment_internal(EP_CMD) +
	       (iodma_cmd_segment_boundary(EP_CMD) != 0) +
	       iodma_cmd_mapping(EP_CMD);
}

static long ep_pool_get(struct epfx *f)
{
	return !!iodma_pool_get(EP_POOL, false);
}

static long ep_pool_get_wait(struct epfx *f)
{
	return !!iodma_pool_get(EP_POOL, true);
}

/* A put into an error pointer pool leaves the command out of its pool. */
static long ep_pool_put_pool(struct epfx *f)
{
	struct iodma_cmd *c = iodma_pool_get(f->pool, false);
	long again;

	if (!c)
		return -EIO;
	iodma_pool_put(EP_POOL, c);
	again = !!iodma_pool_get(f->pool, false);
	iodma_pool_put(f->pool, c);
	return again;
}

/* A put of an error pointer command leaves the pool as it was. */
static long ep_pool_put_cmd(struct epfx *f)
{
	struct iodma_cmd *c;

	iodma_pool_put(f->pool, EP_CMD);
	c = iodma_pool_get(f->pool, false);
	if (!c)
		return -EIO;
	iodma_pool_put(f->pool, c);
	return 0;
}

static long ep_reserve_cb(struct epfx *f)
{
	return iodma_cmd_reserve_copy_buffer(EP_CMD, PAGE_SIZE);
}

static long ep_pool_destroy(struct epfx *f)
{
	iodma_pool_destroy(EP_POOL);
	return 0;
}

static const struct ep_case ep_cases[] = {
	{ "md_get", 0, ep_md_get },
	{ "md_put", 0, ep_md_put },
	{ "md_length", 0, ep_md_length },
	{ "md_direction", DMA_NONE, ep_md_direction },
	{ "cmd_clone", -EINVAL, ep_clone },
	{ "cmd_destroy", 0, ep_destroy },
	{ "cmd_priv", 0, ep_priv },
	{ "cmd_device", 0, ep_device },
	{ "cmd_set_spec", -EINVAL, ep_set_spec },
	{ "cmd_get_spec", -EINVAL, ep_get_spec },
	{ "cmd_set_md_cmd", -EINVAL, ep_set_md_cmd },
	{ "cmd_set_md_md", -EINVAL, ep_set_md_md },
	{ "cmd_set_md_md_auto_prepare", -EINVAL, ep_set_md_md_auto },
	{ "cmd_clear_md", -EINVAL, ep_clear_md },
	{ "cmd_md", 0, ep_cmd_md },
	{ "cmd_prepare", -EINVAL, ep_prepare },
	{ "cmd_prepare_with_spec", -EINVAL, ep_prepare_with_spec },
	{ "cmd_complete", -EINVAL, ep_complete },
	{ "cmd_gen_segments", -EINVAL, ep_gen },
	{ "cmd_synchronize", -EINVAL, ep_sync },
	{ "cmd_synchronize_range", -EINVAL, ep_sync_range },
	{ "cmd_read_bytes", 0, ep_read },
	{ "cmd_write_bytes", 0, ep_write },
	{ "cmd_prepared_range", -EINVAL, ep_prepared_range },
	{ "cmd_is_double_buffered", 0, ep_double_buffered },
	{ "cmd_reserve_copy_buffer", -EINVAL, ep_reserve_cb },
	{ "cmd_getters", 0, ep_getters },
	{ "pool_get", 0, ep_pool_get },
	{ "pool_get_wait", 0, ep_pool_get_wait },
	{ "pool_put_pool", 0, ep_pool_put_pool },
	{ "pool_put_cmd", 0, ep_pool_put_cmd },
	{ "pool_destroy", 0, ep_pool_destroy },
};

static void ep_desc(const struct ep_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ep, ep_cases, ep_desc);

static void pool_destroy_action(void *p)
{
	iodma_pool_destroy(p);
}

/*
 * ERR_PTR(-EINVAL) as the command, descriptor or pool of every exported
 * entry point that takes one: -EINVAL, or nothing (NULL, 0, no-op), never
 * a dereference.
 */
static void limits_err_ptr_test(struct kunit *test)
{
	const struct ep_case *c = test->param_value;
	struct epfx f = { .spec = { .format = IODMA_FMT_HOST64 } };
	void *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	f.dev = shared_edu(test);
	f.cmd = tcmd(test, f.dev, &f.spec);
	f.md = iodma_md_from_kva(buf, PAGE_SIZE, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f.md);
	at_end(test, iodma_kunit_md_put, f.md);
	f.pool = iodma_pool_create(f.dev, &f.spec, 0, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f.pool);
	at_end(test, pool_destroy_action, f.pool);
	KUNIT_EXPECT_EQ(test, c->call(&f), c->want);
}

/*
 * vmalloc descriptors are checked page by page: a range that runs into
 * the guard hole after a vmalloc area is -EINVAL, wherever it starts.
 */
static void limits_vmalloc_guard_test(struct kunit *test)
{
	u8 *one = tvzalloc(test, PAGE_SIZE), *three = tvzalloc(test,
							      3 * PAGE_SIZE);
	struct iodma_md *md;

	md = iodma_md_from_kva(one, PAGE_SIZE, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, md);
	iodma_md_put(md);
	md = iodma_md_from_kva(one, 2 * PAGE_SIZE, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(md), (long)-EINVAL);
	md = iodma_md_from_kva(one + PAGE_SIZE - 100, 200, DMA_TO_DEVICE,
			       GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(md), (long)-EINVAL);
	md = iodma_md_from_kva(three + PAGE_SIZE, 3 * PAGE_SIZE,
			       DMA_FROM_DEVICE, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(md), (long)-EINVAL);
	md = iodma_md_from_kva(three + 1, 3 * PAGE_SIZE - 1, DMA_FROM_DEVICE,
			       GFP_KERNEL);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, md);
	iodma_md_put(md);
}

/*
 * priv_size above INT_MAX is -EINVAL, for a command and a pool, without a
 * warning from the allocator (the console check fails on any); INT_MAX
 * itself is too much memory for the guest, also without a warning.
 */
static void limits_priv_size_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_cmd *cmd;
	struct iodma_pool *pool;
	long err;

	cmd = iodma_cmd_create(dev, &spec, (size_t)INT_MAX + 1UL, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(cmd), (long)-EINVAL);
	if (!IS_ERR(cmd))
		iodma_cmd_destroy(cmd);
	pool = iodma_pool_create(dev, &spec, (size_t)INT_MAX + 1UL, 2,
				 GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), (long)-EINVAL);
	if (!IS_ERR(pool))
		iodma_pool_destroy(pool);
	cmd = iodma_cmd_create(dev, &spec, INT_MAX, GFP_KERNEL);
	err = PTR_ERR_OR_ZERO(cmd);
	KUNIT_EXPECT_TRUE_MSG(test, err == -ENOMEM || err == -EINVAL, "%ld",
			      err);
	if (!IS_ERR(cmd))
		iodma_cmd_destroy(cmd);
}

/*
 * The test expects exactly one kernel warning, with @msg, between the two
 * markers: scripts/lib/kernel_clean.py accepts it there and nowhere else,
 * and fails the run when it is missing.
 */
#define EXPECT_WARN_BEGIN(msg)	pr_notice("IODMA-EXPECT-WARN-BEGIN %s\n", msg)
#define EXPECT_WARN_END()	pr_notice("IODMA-EXPECT-WARN-END\n")

/*
 * A second put of the same command is detected (one warning) and ignored:
 * the pool still hands the command to one user only.
 */
static void limits_pool_double_put_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_pool *pool = iodma_pool_create(dev, &spec, 0, 2,
						    GFP_KERNEL);
	struct iodma_cmd *a, *b, *x, *y;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	at_end(test, pool_destroy_action, pool);
	a = iodma_pool_get(pool, false);
	b = iodma_pool_get(pool, false);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	iodma_pool_put(pool, a);
	EXPECT_WARN_BEGIN("iodma: command put twice into its pool");
	iodma_pool_put(pool, a);
	EXPECT_WARN_END();
	x = iodma_pool_get(pool, false);
	y = iodma_pool_get(pool, false);
	KUNIT_EXPECT_PTR_EQ(test, x, a);
	KUNIT_EXPECT_NULL_MSG(test, y, "a command handed to two users");
	iodma_pool_put(pool, b);
	if (x)
		iodma_pool_put(pool, x);
	if (y && y != x)
		iodma_pool_put(pool, y);
	x = iodma_pool_get(pool, false);
	y = iodma_pool_get(pool, false);
	KUNIT_EXPECT_NOT_NULL(test, x);
	KUNIT_EXPECT_NOT_NULL(test, y);
	KUNIT_EXPECT_PTR_NE(test, x, y);
	KUNIT_EXPECT_NULL(test, iodma_pool_get(pool, false));
	iodma_pool_put(pool, x);
	iodma_pool_put(pool, y);
}

/*
 * A put into the wrong pool - a command of another pool, or one of no
 * pool - is detected (one warning) and ignored: neither pool hands out a
 * command that is not its own, or one that is still in use.
 */
static void limits_pool_foreign_put_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_pool *p1 = iodma_pool_create(dev, &spec, 0, 1,
						  GFP_KERNEL);
	struct iodma_pool *p2 = iodma_pool_create(dev, &spec, 0, 1,
						  GFP_KERNEL);
	struct iodma_cmd *c1, *c2, *alone = tcmd(test, dev, &spec);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p1);
	at_end(test, pool_destroy_action, p1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p2);
	at_end(test, pool_destroy_action, p2);
	c1 = iodma_pool_get(p1, false);
	c2 = iodma_pool_get(p2, false);
	KUNIT_ASSERT_NOT_NULL(test, c1);
	KUNIT_ASSERT_NOT_NULL(test, c2);
	EXPECT_WARN_BEGIN("iodma: put of a command of another pool");
	iodma_pool_put(p2, c1);
	iodma_pool_put(p2, alone);
	EXPECT_WARN_END();
	KUNIT_EXPECT_NULL(test, iodma_pool_get(p2, false));
	KUNIT_EXPECT_NULL(test, iodma_pool_get(p1, false));
	iodma_pool_put(p1, c1);
	iodma_pool_put(p2, c2);
	KUNIT_EXPECT_PTR_EQ(test, iodma_pool_get(p1, false), c1);
	KUNIT_EXPECT_PTR_EQ(test, iodma_pool_get(p2, false), c2);
	iodma_pool_put(p1, c1);
	iodma_pool_put(p2, c2);
}

/*
 * A put restores the pool's spec and clears the command's descriptor
 * (completing it first): the next user gets the command as created.
 */
static void limits_pool_put_restores_test(struct kunit *test)
{
	struct device *dev = shared_edu(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST32,
				   .alignment_length = 4,
				   .max_segment_size = 2048 };
	/* Any other spec every platform meets (virt has no memory below 1 GiB). */
	struct iodma_spec other = { .format = IODMA_FMT_BIG64,
				    .address_bits = 40,
				    .segment_boundary = SZ_64K };
	struct iodma_pool *pool = iodma_pool_create(dev, &spec, 0, 1,
						    GFP_KERNEL);
	void *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct iodma_spec raw;
	struct iodma_cmd *c;
	u64 o, l;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	at_end(test, pool_destroy_action, pool);
	c = iodma_pool_get(pool, false);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_spec(c, &other));
	give_md(test, c, iodma_md_from_kva(buf, PAGE_SIZE, DMA_TO_DEVICE,
					   GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(c, 0, 0, 0));
	iodma_pool_put(pool, c);
	c = iodma_pool_get(pool, false);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_get_spec(c, &raw));
	KUNIT_EXPECT_EQ(test, memcmp(&raw, &spec, sizeof(spec)), 0);
	KUNIT_EXPECT_EQ(test, iodma_cmd_format(c), IODMA_FMT_HOST32);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_length(c), 4U);
	KUNIT_EXPECT_NULL(test, iodma_cmd_md(c));
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(c, &o, &l), -ENODATA);
	iodma_pool_put(pool, c);
}

static struct kunit_case iodma_limits_cases[] = {
	KUNIT_CASE(limits_sg_straddle_test),
	KUNIT_CASE_PARAM(limits_linear_cross_test, lin_gen_params),
	KUNIT_CASE_PARAM(limits_write_ro_user_test, ro_gen_params),
	KUNIT_CASE_PARAM(limits_sync_range_test, sync_gen_params),
	KUNIT_CASE(limits_cb_address_bits_test),
	KUNIT_CASE(limits_reserved_cb_test),
	KUNIT_CASE_PARAM(limits_foreign_mm_test, mm_gen_params),
	KUNIT_CASE_PARAM(limits_phys_not_ram_test, phys_gen_params),
	KUNIT_CASE_PARAM(limits_subpage_test, sub_gen),
	KUNIT_CASE(limits_set_after_create_test),
	KUNIT_CASE_PARAM(limits_rw_bytes_test, rw_gen_params),
	KUNIT_CASE_PARAM(limits_err_ptr_test, ep_gen_params),
	KUNIT_CASE(limits_vmalloc_guard_test),
	KUNIT_CASE(limits_priv_size_test),
	KUNIT_CASE(limits_pool_double_put_test),
	KUNIT_CASE(limits_pool_foreign_put_test),
	KUNIT_CASE(limits_pool_put_restores_test),
	{}
};

static struct kunit_suite iodma_limits_suite = {
	.name = "iodma_limits",
	.test_cases = iodma_limits_cases,
};

kunit_test_suites(&iodma_limits_suite);
