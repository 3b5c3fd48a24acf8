// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: transfers on the real DMA paths of each QEMU configuration, with
 * the edu device's struct device. What the device would reach at each
 * emitted address is read through the IOMMU (iommu_iova_to_phys) or the
 * bus address (dma_to_phys, swiotlb slots included), never through iodma.
 */
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iodma.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kunit_env.h"

#define BUF_LEN		20000
#define SUB_OFF		3000
#define SUB_LEN		12000

enum buf_kind { K_KMALLOC, K_VMALLOC, K_PAGES, K_USER, K_SGTABLE, K_PHYS,
		K_NR };
static const char *const kind_names[] = { "kmalloc", "vmalloc", "pages",
					  "user", "sgtable", "phys" };
static const char *const dir_names[] = { "bidi", "to_dev", "from_dev" };
static const char *const mode_names[] = { "mapped", "bypassed",
					  "noncoherent", "unmapped",
					  "iterate" };

/* A buffer of one kind, its CPU view (vmap for pages) and its descriptor. */
struct xbuf {
	enum buf_kind kind;
	size_t len;
	void *kva;		/* CPU view; NULL for user memory */
	unsigned long uaddr;
	struct page **pages;
	unsigned int npages;
	struct sg_table sgt;
	bool vmapped;
};

static u8 pat(size_t i, unsigned int seed)
{
	return (u8)(i * 131 + seed * 7 + (i >> 8));
}

static void xbuf_release(void *p)
{
	struct xbuf *b = p;
	unsigned int i;

	if (b->kind == K_SGTABLE)
		sg_free_table(&b->sgt);
	if (b->vmapped)
		vunmap(b->kva);
	else if (b->kind == K_VMALLOC)
		vfree(b->kva);
	else if (b->kind == K_KMALLOC || b->kind == K_PHYS)
		kfree(b->kva);
	for (i = 0; b->pages && i < b->npages; i++)
		__free_page(b->pages[i]);
	kfree(b->pages);
}

static void xbuf_write(struct kunit *test, struct xbuf *b, size_t off,
		       const void *src, size_t n)
{
	if (b->kind == K_USER)
		KUNIT_ASSERT_EQ(test, 0UL,
				copy_to_user((void __user *)b->uaddr + off, src,
					     n));
	else
		memcpy(b->kva + off, src, n);
}

static void xbuf_read(struct kunit *test, struct xbuf *b, size_t off,
		      void *dst, size_t n)
{
	if (b->kind == K_USER)
		KUNIT_ASSERT_EQ(test, 0UL,
				copy_from_user(dst,
					       (void __user *)b->uaddr + off,
					       n));
	else
		memcpy(dst, b->kva + off, n);
}

static void xbuf_fill(struct kunit *test, struct xbuf *b, unsigned int seed)
{
	u8 *tmp = kunit_kmalloc(test, b->len, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, tmp);
	for (i = 0; i < b->len; i++)
		tmp[i] = pat(i, seed);
	xbuf_write(test, b, 0, tmp, b->len);
}

/* A buffer of @kind and a descriptor over it with @dir. */
static struct iodma_md *xbuf_make(struct kunit *test, struct xbuf **out,
				  enum buf_kind kind,
				  enum dma_data_direction dir)
{
	struct xbuf *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct iodma_md *md = NULL;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	*out = b;
	b->kind = kind;
	b->len = BUF_LEN;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, xbuf_release, b));
	switch (kind) {
	case K_KMALLOC:
	case K_PHYS:
		b->kva = kmalloc(b->len, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b->kva);
		break;
	case K_VMALLOC:
		b->kva = vmalloc(b->len);
		KUNIT_ASSERT_NOT_NULL(test, b->kva);
		break;
	case K_PAGES:
	case K_SGTABLE:
		b->npages = DIV_ROUND_UP(b->len, PAGE_SIZE);
		b->pages = kcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b->pages);
		for (i = 0; i < b->npages; i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, b->pages[i]);
		}
		b->kva = vmap(b->pages, b->npages, VM_MAP, PAGE_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b->kva);
		b->vmapped = true;
		break;
	case K_USER:
		b->uaddr = iodma_kunit_vm_mmap(test, NULL, 0, b->len,
					       PROT_READ | PROT_WRITE,
					       MAP_ANONYMOUS | MAP_PRIVATE, 0);
		KUNIT_ASSERT_NE(test, b->uaddr, 0UL);
		break;
	default:
		break;
	}
	xbuf_fill(test, b, 1);
	switch (kind) {
	case K_KMALLOC:
	case K_VMALLOC:
		md = iodma_md_from_kva(b->kva, b->len, dir, GFP_KERNEL);
		break;
	case K_PAGES:
		md = iodma_md_from_pages(b->pages, b->npages, 0, b->len, dir,
					 GFP_KERNEL);
		break;
	case K_USER:
		md = iodma_md_from_user(b->uaddr, b->len, dir, GFP_KERNEL);
		break;
	case K_SGTABLE:
		KUNIT_ASSERT_EQ(test, 0,
				sg_alloc_table_from_pages(&b->sgt, b->pages,
							  b->npages, 0, b->len,
							  GFP_KERNEL));
		md = iodma_md_from_sgtable(&b->sgt, dir, GFP_KERNEL);
		break;
	case K_PHYS:
		md = iodma_md_from_phys(virt_to_phys(b->kva), b->len, dir,
					GFP_KERNEL);
		break;
	default:
		break;
	}
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	KUNIT_EXPECT_EQ(test, iodma_md_length(md), (u64)b->len);
	KUNIT_EXPECT_EQ(test, iodma_md_direction(md), dir);
	return md;
}

/* Attach @md to @cmd, which holds its own reference: ours is dropped. */
static void xcmd_attach(struct kunit *test, struct iodma_cmd *cmd,
			struct iodma_md *md)
{
	int err = iodma_cmd_set_md(cmd, md, false);

	iodma_md_put(md);
	KUNIT_ASSERT_EQ(test, 0, err);
}

/* Play the device: copy between @buf and the memory behind [dma, +n). */
static void dev_access(struct kunit *test, struct device *dev, u64 dma,
		       u8 *buf, u64 n, bool write)
{
	KUNIT_ASSERT_TRUE_MSG(test, iodma_kunit_dev_rw(dev, dma, buf, n, write),
			      "no translation for %llx", dma);
}

struct seglist {
	unsigned int n;
	struct iodma_seg64 s[64];
};

/* All segments, three per call, checking exact coverage. */
static void gen_all(struct kunit *test, struct iodma_cmd *cmd,
		    struct seglist *out, u64 plen)
{
	u64 off = 0, sum = 0;
	unsigned int i;

	out->n = 0;
	while (off < plen) {
		u32 count = 3;

		KUNIT_ASSERT_LE(test, out->n + 3, (unsigned int)ARRAY_SIZE(out->s));
		int err = iodma_cmd_gen_segments(cmd, &off, &out->s[out->n],
						 &count);

		KUNIT_ASSERT_EQ(test, 0, err);
		out->n += count;
	}
	for (i = 0; i < out->n; i++)
		sum += out->s[i].len;
	KUNIT_EXPECT_EQ(test, sum, plen);
}

static void device_reads(struct kunit *test, struct device *dev,
			 struct seglist *sl, u8 *out)
{
	unsigned int i;

	for (i = 0; i < sl->n; i++) {
		dev_access(test, dev, sl->s[i].addr, out, sl->s[i].len, false);
		out += sl->s[i].len;
	}
}

static void device_writes(struct kunit *test, struct device *dev,
			  struct seglist *sl, unsigned int seed)
{
	u8 *tmp = kunit_kmalloc(test, SUB_LEN, GFP_KERNEL);
	u64 pos = 0;
	unsigned int i;
	size_t j;

	KUNIT_ASSERT_NOT_NULL(test, tmp);
	for (j = 0; j < SUB_LEN; j++)
		tmp[j] = pat(j, seed);
	for (i = 0; i < sl->n; i++) {
		dev_access(test, dev, sl->s[i].addr, tmp + pos, sl->s[i].len,
			   true);
		pos += sl->s[i].len;
	}
}

struct matrix_case {
	enum buf_kind kind;
	enum dma_data_direction dir;
	u32 mode;
	char name[48];
};

static struct matrix_case matrix[K_NR * 3 * 5];

static const void *matrix_gen(const void *prev, char *desc)
{
	const struct matrix_case *c = prev ? (const struct matrix_case *)prev + 1
					   : matrix;
	unsigned int i;

	if (!prev) {
		for (i = 0; i < ARRAY_SIZE(matrix); i++) {
			matrix[i].kind = i / 15;
			matrix[i].dir = (i / 5) % 3;
			matrix[i].mode = i % 5 == 4 ? IODMA_ITERATE_ONLY : i % 5;
			snprintf(matrix[i].name, sizeof(matrix[i].name),
				 "%s_%s_%s", kind_names[matrix[i].kind],
				 dir_names[matrix[i].dir], mode_names[i % 5]);
		}
	}
	if (c >= matrix + ARRAY_SIZE(matrix))
		return NULL;
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
	return c;
}

static void restore_masks(void *p)
{
	struct device *dev = p;

	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
}

/*
 * Each descriptor kind x direction x mapping mode: the device reads the
 * right bytes through the segments of a sub-range, and what it writes
 * reaches the descriptor after complete, leaving the rest untouched.
 */
static void xfer_matrix_test(struct kunit *test)
{
	const struct matrix_case *c = test->param_value;
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .max_segment_size = 4096,
				   .mapping = c->mode };
	bool physical = c->mode == IODMA_BYPASSED || c->mode == IODMA_UNMAPPED;
	struct seglist *sl = kunit_kzalloc(test, sizeof(*sl), GFP_KERNEL);
	u8 *seen = kunit_kmalloc(test, BUF_LEN, GFP_KERNEL);
	struct iodma_md *md;
	struct iodma_cmd *cmd;
	struct xbuf *b;
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, sl);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	/*
	 * An engine that reaches all memory (edu's 64 bits on arm64, where
	 * memory lies above 4 GiB): nothing is double-buffered here. Narrow
	 * engines are xfer_copy_buffer_test's.
	 */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, restore_masks, dev));
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	md = xbuf_make(test, &b, c->kind, c->dir);
	cmd = iodma_kunit_cmd(test, dev, &spec);
	if (physical && iodma_kunit_expect_physical_refused(c->mode)) {
		KUNIT_EXPECT_EQ(test, PTR_ERR(cmd), -EOPNOTSUPP);
		iodma_md_put(md);
		return;
	}
	if (IS_ERR_OR_NULL(cmd))
		iodma_md_put(md);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	xcmd_attach(test, cmd, md);

	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, SUB_OFF, SUB_LEN, 0));
	KUNIT_EXPECT_FALSE(test, iodma_cmd_is_double_buffered(cmd));
	gen_all(test, cmd, sl, SUB_LEN);
	for (i = 0; i < sl->n; i++)
		KUNIT_EXPECT_LE(test, sl->s[i].len, 4096ULL);
	if (c->dir != DMA_FROM_DEVICE) {
		device_reads(test, dev, sl, seen);
		for (i = 0; i < SUB_LEN; i++)
			if (seen[i] != pat(SUB_OFF + i, 1))
				break;
		KUNIT_EXPECT_EQ_MSG(test, i, (size_t)SUB_LEN,
				    "device sees a wrong byte at %zu", i);
	}
	if (c->dir != DMA_TO_DEVICE)
		device_writes(test, dev, sl, 5);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));

	xbuf_read(test, b, 0, seen, BUF_LEN);
	for (i = 0; i < BUF_LEN; i++) {
		bool written = c->dir != DMA_TO_DEVICE && i >= SUB_OFF &&
			       i < SUB_OFF + SUB_LEN;
		u8 want = written ? pat(i - SUB_OFF, 5) : pat(i, 1);

		if (seen[i] != want)
			break;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, (size_t)BUF_LEN,
			    "descriptor holds a wrong byte at %zu", i);
}

/*
 * The same sub-range prepared again, as a driver does with one buffer:
 * the command keeps the ranges of kernel memory and maps the scatterlist
 * it built once more. Every round the device must read this round's bytes
 * and its writes must land, on every DMA path.
 */
static void xfer_same_range_again_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .max_segment_size = 4096 };
	struct seglist *sl = kunit_kzalloc(test, sizeof(*sl), GFP_KERNEL);
	u8 *seen = kunit_kmalloc(test, BUF_LEN, GFP_KERNEL);
	unsigned int k, round;
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, sl);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, restore_masks, dev));
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	for (k = 0; k < K_NR; k++) {
		struct xbuf *b;
		struct iodma_md *md = xbuf_make(test, &b, k, DMA_BIDIRECTIONAL);
		struct iodma_cmd *cmd = iodma_kunit_cmd(test, dev, &spec);

		if (IS_ERR_OR_NULL(cmd))
			iodma_md_put(md);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
		xcmd_attach(test, cmd, md);
		for (round = 0; round < 3; round++) {
			xbuf_fill(test, b, round);
			KUNIT_ASSERT_EQ(test, 0,
					iodma_cmd_prepare(cmd, SUB_OFF, SUB_LEN, 0));
			gen_all(test, cmd, sl, SUB_LEN);
			device_reads(test, dev, sl, seen);
			for (i = 0; i < SUB_LEN; i++)
				if (seen[i] != pat(SUB_OFF + i, round))
					break;
			KUNIT_EXPECT_EQ_MSG(test, i, (size_t)SUB_LEN,
					    "%s round %u: device sees a wrong byte at %zu",
					    kind_names[k], round, i);
			device_writes(test, dev, sl, 10 + round);
			KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
			xbuf_read(test, b, SUB_OFF, seen, SUB_LEN);
			for (i = 0; i < SUB_LEN; i++)
				if (seen[i] != pat(i, 10 + round))
					break;
			KUNIT_EXPECT_EQ_MSG(test, i, (size_t)SUB_LEN,
					    "%s round %u: descriptor holds a wrong byte at %zu",
					    kind_names[k], round, i);
		}
	}
}

/*
 * Two buffers of one allocation that meet inside a cacheline, each the
 * memory of its own command, as a driver places a small status word in
 * front of a data buffer, or as the block layer splits a dword-aligned
 * direct I/O into two requests: [line, line + 4) and [line + 4, + 512),
 * both from the device. Where DMA needs no cacheline alignment
 * (dma_get_cache_alignment() below a line: x86, coherent) both are
 * prepared and in flight at once, each mapped directly (no copy buffer),
 * and each receives exactly what the device wrote into it, the bytes
 * around them untouched. Where it does (arm64, whatever the device), one
 * mapping's cache maintenance may reach the other's bytes and the DMA API
 * forbids such overlapping from-device mappings (DMA-API debug reports
 * them), so there the two transfers run one after the other.
 */
static void xfer_shared_cacheline_test(struct kunit *test)
{
	static const size_t len[2] = { 4, 512 };
	const size_t n = 4 * L1_CACHE_BYTES + 512;
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct seglist *sl = kunit_kzalloc(test, 2 * sizeof(*sl), GFP_KERNEL);
	u8 *buf = kunit_kmalloc(test, n, GFP_KERNEL);
	bool together = dma_get_cache_alignment() < L1_CACHE_BYTES;
	struct iodma_cmd *cmd[2];
	size_t off[2], i;
	unsigned int k;

	KUNIT_ASSERT_NOT_NULL(test, sl);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, restore_masks, dev));
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	memset(buf, 0x5a, n);
	off[0] = PTR_ALIGN(buf + 1, L1_CACHE_BYTES) - buf;
	off[1] = off[0] + len[0];
	for (k = 0; k < 2; k++) {
		struct iodma_md *md;

		cmd[k] = iodma_kunit_cmd(test, dev, &spec);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd[k]);
		md = iodma_md_from_kva(buf + off[k], len[k], DMA_FROM_DEVICE,
				       GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
		xcmd_attach(test, cmd[k], md);
	}
	for (k = 0; k < 2; k++) {
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd[k], 0, 0, 0));
		KUNIT_EXPECT_FALSE(test, iodma_cmd_is_double_buffered(cmd[k]));
		gen_all(test, cmd[k], &sl[k], len[k]);
		if (!together) {
			device_writes(test, dev, &sl[k], 20 + k);
			KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd[k], 0));
		}
	}
	if (together) {
		/* Both in flight: the device writes the second one first. */
		device_writes(test, dev, &sl[1], 21);
		device_writes(test, dev, &sl[0], 20);
		KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd[1], 0));
		KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd[0], 0));
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < len[k]; i++)
			if (buf[off[k] + i] != pat(i, 20 + k))
				break;
		KUNIT_EXPECT_EQ_MSG(test, i, len[k],
				    "buffer %u: a wrong byte at %zu", k, i);
	}
	for (i = 0; i < n; i++)
		if ((i < off[0] || i >= off[1] + len[1]) && buf[i] != 0x5a)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, n,
			    "a byte around the buffers changed at %zu", i);
	kunit_info(test, "shared-cacheline %s\n",
		   together ? "together" : "one after the other");
}

/*
 * A page at or above @floor (physical): allocate pages until one is (a
 * fresh guest hands out low memory first), then free the others.
 */
static struct page *page_above(struct kunit *test, phys_addr_t floor)
{
	unsigned int max = 2 * (floor >> PAGE_SHIFT), n = 0, i;
	struct page **keep = kvmalloc_array(max, sizeof(*keep), GFP_KERNEL);
	struct page *found = NULL;

	KUNIT_ASSERT_NOT_NULL(test, keep);
	while (n < max) {
		struct page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN);

		if (!p)
			break;
		if (page_to_phys(p) >= floor) {
			found = p;
			break;
		}
		keep[n++] = p;
	}
	for (i = 0; i < n; i++)
		__free_page(keep[i]);
	kvfree(keep);
	return found;
}

static void free_page_action(void *p)
{
	__free_page(p);
}

/*
 * A narrow engine (the edu device's 28 bits, or the narrowest mask the
 * platform gives with memory above it: iodma_kunit_narrow_mask()): the
 * copy buffer engages exactly when the platform's addresses go above the
 * mask, for memory of the lowest zone and for memory above the mask; the
 * device sees the right bytes either way, and bytes it does not write come
 * back unchanged.
 */
static void xfer_copy_buffer_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_LITTLE32,
				   .max_segment_size = 4095 };
	struct seglist *sl = kunit_kzalloc(test, sizeof(*sl), GFP_KERNEL);
	bool translated = iodma_kunit_expect_translated();
	bool force = !strncmp(iodma_kunit_config(), "swiotlb", 7);
	/* A page in segments of at most 4095 bytes (64 KiB pages too). */
	struct iodma_seg32 seg[PAGE_SIZE / 4095 + 1];
	unsigned int bits;
	u64 top;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, sl);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, restore_masks, dev));
	bits = iodma_kunit_narrow_mask(test, dev, 28);
	KUNIT_ASSERT_GT(test, bits, 0U);
	spec.address_bits = bits;
	top = 1ULL << bits;

	for (round = 0; round < 2; round++) {
		struct page *pg = round ? page_above(test, top) :
					  alloc_page(GFP_DMA);
		struct iodma_cmd *cmd;
		struct iodma_md *md;
		bool want_copy;
		u8 *kva, got;
		int err;
		u64 off = 0;
		u32 n = ARRAY_SIZE(seg);
		size_t i;

		KUNIT_ASSERT_NOT_NULL(test, pg);
		err = kunit_add_action_or_reset(test, free_page_action, pg);
		KUNIT_ASSERT_EQ(test, 0, err);
		kva = page_address(pg);
		for (i = 0; i < PAGE_SIZE; i++)
			kva[i] = pat(i, 3);
		/*
		 * Independently of iodma: an IOMMU maps below the mask;
		 * swiotlb=force bounces into its pool, above 2^28 on x86 and
		 * below 4 GiB on arm64; direct mapping uses the physical
		 * address, and beyond the mask dma-direct bounces through
		 * swiotlb's pool where there is one (arm64 with memory above
		 * 4 GiB), which the device reaches when it lies below.
		 */
		if (translated)
			want_copy = false;
		else if (force)
			want_copy = iodma_kunit_swiotlb_end(dev) > top;
		else
			want_copy = page_to_phys(pg) + PAGE_SIZE > top &&
				    !iodma_kunit_platform_bounces_within(dev, top - 1);

		cmd = iodma_kunit_cmd(test, dev, &spec);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
		md = iodma_md_from_kva(kva, PAGE_SIZE, DMA_FROM_DEVICE,
				       GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
		xcmd_attach(test, cmd, md);
		err = iodma_cmd_prepare(cmd, 0, 0, IODMA_PREPARE_NO_SYNC);
		KUNIT_ASSERT_EQ(test, 0, err);
		KUNIT_EXPECT_EQ_MSG(test, iodma_cmd_is_double_buffered(cmd),
				    want_copy, "round %d", round);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_gen_segments(cmd, &off, seg, &n));
		KUNIT_EXPECT_EQ(test, off, (u64)PAGE_SIZE);
		for (i = 0; i < n; i++)
			KUNIT_EXPECT_LT(test, (u64)seg[i].addr + seg[i].len - 1,
					top);
		/* Filled from the md even with NO_SYNC: the device reads it. */
		dev_access(test, dev, seg[0].addr, &got, 1, false);
		KUNIT_EXPECT_EQ(test, got, pat(0, 3));
		/* The device writes 10 bytes; the rest must come back as was. */
		got = 0xee;
		for (i = 0; i < 10; i++)
			dev_access(test, dev, seg[0].addr + i, &got, 1, true);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
		for (i = 0; i < PAGE_SIZE; i++)
			if (kva[i] != (i < 10 ? 0xee : pat(i, 3)))
				break;
		KUNIT_EXPECT_EQ_MSG(test, i, PAGE_SIZE, "wrong byte at %zu", i);
	}
}

/* synchronize moves data both ways while the range stays prepared. */
static void xfer_synchronize_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct seglist *sl = kunit_kzalloc(test, sizeof(*sl), GFP_KERNEL);
	u8 *seen = kunit_kmalloc(test, SUB_LEN, GFP_KERNEL);
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	struct xbuf *b;
	size_t i;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, sl);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	md = xbuf_make(test, &b, K_KMALLOC, DMA_BIDIRECTIONAL);
	cmd = iodma_kunit_cmd(test, dev, &spec);
	if (IS_ERR_OR_NULL(cmd))
		iodma_md_put(md);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	xcmd_attach(test, cmd, md);
	KUNIT_EXPECT_EQ(test, iodma_cmd_synchronize(cmd, IODMA_SYNC_FOR_CPU),
			-ENODATA);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, SUB_OFF, SUB_LEN, 0));
	gen_all(test, cmd, sl, SUB_LEN);

	device_writes(test, dev, sl, 9);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize(cmd, IODMA_SYNC_FOR_CPU));
	for (i = 0; i < SUB_LEN; i++)
		if (((u8 *)b->kva)[SUB_OFF + i] != pat(i, 9))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, (size_t)SUB_LEN, "FOR_CPU: byte %zu", i);

	for (i = 0; i < SUB_LEN; i++)
		((u8 *)b->kva)[SUB_OFF + i] = pat(i, 11);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize(cmd, IODMA_SYNC_FOR_DEVICE));
	device_reads(test, dev, sl, seen);
	for (i = 0; i < SUB_LEN; i++)
		if (seen[i] != pat(i, 11))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, (size_t)SUB_LEN, "FOR_DEVICE: byte %zu", i);

	/* Forced double buffering, then back to a plain mapping next time. */
	err = iodma_cmd_synchronize(cmd, IODMA_SYNC_FORCE_DOUBLE_BUFFER |
				    IODMA_SYNC_FOR_DEVICE);
	KUNIT_ASSERT_EQ(test, 0, err);
	KUNIT_EXPECT_TRUE(test, iodma_cmd_is_double_buffered(cmd));
	gen_all(test, cmd, sl, SUB_LEN);
	device_reads(test, dev, sl, seen);
	KUNIT_EXPECT_EQ(test, seen[100], pat(100, 11));
	device_writes(test, dev, sl, 13);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	KUNIT_EXPECT_EQ(test, ((u8 *)b->kva)[SUB_OFF + 7], pat(7, 13));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, SUB_OFF, SUB_LEN, 0));
	KUNIT_EXPECT_FALSE(test, iodma_cmd_is_double_buffered(cmd));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
}

/* State errors, as SPEC.md tables them, on the real shim. */
static void xfer_errors_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .max_transfer_size = 8192,
				   .alignment_length = 4 };
	struct iodma_seg64 seg;
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	u64 off = 0, o, l;
	u32 n = 1;
	struct xbuf *b;

	/* The test's reference, dropped when it ends, after the command. */
	md = xbuf_make(test, &b, K_VMALLOC, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, iodma_kunit_md_put, md));
	cmd = iodma_kunit_cmd(test, dev, &spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0), -ENODATA);
	KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd, 0), -ENODATA);
	KUNIT_EXPECT_EQ(test, iodma_cmd_gen_segments(cmd, &off, &seg, &n),
			-ENODATA);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &o, &l), -ENODATA);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(cmd, md, false));
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 0, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 6, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, BUF_LEN, 4, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 4, U64_MAX - 2, 0), -EINVAL);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 4096, 4096, 0));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 4096, 4096, 0));
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepare(cmd, 0, 4096, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_md(cmd, NULL, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_spec(cmd, &spec), -EBUSY);
	KUNIT_EXPECT_EQ(test, iodma_cmd_clear_md(cmd, false), -EBUSY);
	off = 4096;
	KUNIT_EXPECT_EQ(test, iodma_cmd_gen_segments(cmd, &off, &seg, &n),
			-ERANGE);
	n = 0;
	off = 0;
	KUNIT_EXPECT_EQ(test, iodma_cmd_gen_segments(cmd, &off, &seg, &n),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_synchronize(cmd, IODMA_SYNC_FOR_CPU |
			IODMA_SYNC_FOR_DEVICE), -EINVAL);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepared_range(cmd, &o, &l));
	KUNIT_EXPECT_EQ(test, o, 4096ULL);
	KUNIT_EXPECT_EQ(test, l, 4096ULL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_clear_md(cmd, true), 0);
	KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd, 0), -ENODATA);
	KUNIT_EXPECT_NULL(test, iodma_cmd_md(cmd));
	KUNIT_EXPECT_TRUE(test, IS_ERR(iodma_md_from_kva(&spec, 8, DMA_TO_DEVICE,
							 GFP_KERNEL)));
	md = iodma_md_from_user(TASK_SIZE_MAX + 4096ul, 4096, DMA_TO_DEVICE,
				GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(md), -EFAULT);
}

/* Destroy while prepared releases the pins and mappings. */
static void xfer_destroy_prepared_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct xbuf *b;
	struct iodma_md *md = xbuf_make(test, &b, K_USER, DMA_FROM_DEVICE);
	struct iodma_cmd *cmd = iodma_cmd_create(dev, &spec, 0, GFP_KERNEL);
	u64 off, len = 0;
	int err;

	if (IS_ERR_OR_NULL(cmd))
		iodma_md_put(md);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	err = iodma_cmd_set_md(cmd, md, true);
	iodma_md_put(md);
	if (err)
		iodma_cmd_destroy(cmd);
	KUNIT_ASSERT_EQ(test, 0, err);
	KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &off, &len), 0);
	KUNIT_EXPECT_EQ(test, len, (u64)BUF_LEN);
	iodma_cmd_destroy(cmd);	/* DMA-API debug and kmemleak check the rest */
}

/*
 * swiotlb exhaustion: prepares beyond the pool's capacity fail with
 * -ENOMEM (no copy-buffer fallback hides it), nothing is left behind, and
 * after the completes the same prepares succeed again. With a pool of
 * normal size (or none) all of them succeed.
 */
static void xfer_swiotlb_exhaustion_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	bool tiny = !strcmp(iodma_kunit_config(), "swiotlb-tiny");
	struct iodma_cmd *cmd[8];
	unsigned int i, ok = 0, again = 0, enomem = 0;

	for (i = 0; i < ARRAY_SIZE(cmd); i++) {
		void *buf = kunit_kzalloc(test, SZ_64K, GFP_KERNEL);
		struct iodma_md *md;

		KUNIT_ASSERT_NOT_NULL(test, buf);
		cmd[i] = iodma_kunit_cmd(test, dev, &spec);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd[i]);
		md = iodma_md_from_kva(buf, SZ_64K, DMA_TO_DEVICE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
		xcmd_attach(test, cmd[i], md);
	}
	for (i = 0; i < ARRAY_SIZE(cmd); i++) {
		int err = iodma_cmd_prepare(cmd[i], 0, 0, 0);

		if (!err) {
			ok++;
			continue;
		}
		KUNIT_EXPECT_EQ(test, err, -ENOMEM);
		KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd[i], 0), -ENODATA);
		enomem++;
	}
	for (i = 0; i < ARRAY_SIZE(cmd); i++)
		iodma_cmd_complete(cmd[i], 0);
	for (i = 0; i < ok; i++)
		again += !iodma_cmd_prepare(cmd[i], 0, 0, 0);
	for (i = 0; i < ok; i++)
		iodma_cmd_complete(cmd[i], 0);
	if (tiny) {
		KUNIT_EXPECT_GT(test, enomem, 0U);
		KUNIT_EXPECT_GT(test, ok, 0U);
	} else {
		KUNIT_EXPECT_EQ(test, enomem, 0U);
	}
	KUNIT_EXPECT_EQ(test, again, ok);
	kunit_info(test, "swiotlb-exhaustion enomem=%u recovered=%s\n", enomem,
		   again == ok ? "yes" : "no");
}

static struct kunit_case iodma_xfer_cases[] = {
	KUNIT_CASE_PARAM(xfer_matrix_test, matrix_gen),
	KUNIT_CASE(xfer_copy_buffer_test),
	KUNIT_CASE(xfer_synchronize_test),
	KUNIT_CASE(xfer_errors_test),
	KUNIT_CASE(xfer_destroy_prepared_test),
	KUNIT_CASE(xfer_swiotlb_exhaustion_test),
	KUNIT_CASE(xfer_same_range_again_test),
	KUNIT_CASE(xfer_shared_cacheline_test),
	{}
};

static struct kunit_suite iodma_xfer_suite = {
	.name = "iodma_xfer",
	.test_cases = iodma_xfer_cases,
};

kunit_test_suites(&iodma_xfer_suite);
