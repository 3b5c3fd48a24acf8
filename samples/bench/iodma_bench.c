// SPDX-License-Identifier: GPL-2.0
/*
 * iodma_bench: iodma measured against the raw Linux DMA API, in the same
 * boot, alternating the two, on the edu device's struct device.
 *
 * raw:   what a careful driver writes by hand: the pages of the range,
 *        sg_alloc_table_from_pages_segment() (max segment of the device),
 *        dma_map_sgtable(), a walk over every DMA segment writing a
 *        16-byte descriptor for each into a 64-entry array (as iodma
 *        writes its segments), dma_unmap_sgtable(), sg_free_table().
 * iodma: iodma_cmd_prepare() + iodma_cmd_gen_segments() over the whole
 *        range into a 64-entry array + iodma_cmd_complete(), on a command
 *        and descriptor made once.
 *
 * Results (median ns) are read from debugfs: iodma_bench/results.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iodma.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#define MAX_ITERS	2000
#define RESULTS_SIZE	(64 * 1024)

enum buf_kind { KMALLOC, VMALLOC, PAGES, NKINDS };
static const char *const kind_name[] = { "kmalloc", "vmalloc", "pages" };
static const size_t sizes[] = { SZ_4K, SZ_64K, SZ_1M, SZ_16M };
static const char *const size_name[] = { "4K", "64K", "1M", "16M" };

static char *results;
static size_t results_len;
static struct dentry *dir;
static struct debugfs_blob_wrapper blob;

static __printf(1, 2) void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	results_len += vscnprintf(results + results_len,
				  RESULTS_SIZE - results_len, fmt, ap);
	va_end(ap);
}

/* A buffer of one kind with its page array (what raw needs per range). */
struct buf {
	enum buf_kind kind;
	size_t size;
	void *va;
	struct page **pages;
	unsigned int npages;
	bool own_pages;
};

static void buf_free(struct buf *b)
{
	unsigned int i;

	if (b->kind == KMALLOC)
		kfree(b->va);
	else if (b->kind == VMALLOC)
		vfree(b->va);
	for (i = 0; b->own_pages && i < b->npages; i++)
		__free_page(b->pages[i]);
	kvfree(b->pages);
}

static int buf_alloc(struct buf *b, enum buf_kind kind, size_t size)
{
	unsigned int i;

	b->kind = kind;
	b->size = size;
	b->npages = DIV_ROUND_UP(size, PAGE_SIZE);
	b->pages = kvcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	switch (kind) {
	case KMALLOC:
		b->va = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);
		return b->va ? 0 : -ENOMEM;
	case VMALLOC:
		b->va = vmalloc(size);
		return b->va ? 0 : -ENOMEM;
	default:
		b->own_pages = true;
		for (i = 0; i < b->npages; i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			if (!b->pages[i]) {
				b->npages = i;
				return -ENOMEM;
			}
		}
		return 0;
	}
}

static struct iodma_md *buf_md(struct buf *b)
{
	if (b->kind == PAGES)
		return iodma_md_from_pages(b->pages, b->npages, 0, b->size,
					   DMA_BIDIRECTIONAL, GFP_KERNEL);
	return iodma_md_from_kva(b->va, b->size, DMA_BIDIRECTIONAL,
				 GFP_KERNEL);
}

/* One raw cycle; returns ns, or 0 on failure. */
static u64 raw_cycle(struct device *dev, struct buf *b, u64 *sink)
{
	struct iodma_seg64 desc[64];
	u64 t0 = ktime_get_ns();
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;
	int err;

	/* The pages of the range, as the driver must find them. */
	if (b->kind == KMALLOC) {
		struct page *first = virt_to_page(b->va);

		for (i = 0; i < b->npages; i++)
			b->pages[i] = first + i;
	} else if (b->kind == VMALLOC) {
		for (i = 0; i < b->npages; i++)
			b->pages[i] = vmalloc_to_page(b->va + i * PAGE_SIZE);
	}
	err = sg_alloc_table_from_pages_segment(&sgt, b->pages, b->npages, 0,
						b->size,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (err)
		return 0;
	err = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (err) {
		sg_free_table(&sgt);
		return 0;
	}
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		/* A driver writes its engine's descriptors as it walks. */
		desc[i % ARRAY_SIZE(desc)].addr = sg_dma_address(sg);
		desc[i % ARRAY_SIZE(desc)].len = sg_dma_len(sg);
		*sink += desc[i % ARRAY_SIZE(desc)].addr;
	}
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);
	return ktime_get_ns() - t0;
}

/* Phase times of one cycle, for the profile rows. */
struct phases {
	u64 a, b, c, d;
};

/* raw: build (pages + sg table), map, walk, unmap + free. */
static bool raw_phases(struct device *dev, struct buf *b, u64 *sink,
		       struct phases *p)
{
	struct iodma_seg64 desc[64];
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;
	u64 t0, t1, t2, t3;

	t0 = ktime_get_ns();
	if (b->kind == VMALLOC)
		for (i = 0; i < b->npages; i++)
			b->pages[i] = vmalloc_to_page(b->va + i * PAGE_SIZE);
	else if (b->kind == KMALLOC)
		for (i = 0; i < b->npages; i++)
			b->pages[i] = virt_to_page(b->va) + i;
	if (sg_alloc_table_from_pages_segment(&sgt, b->pages, b->npages, 0,
					      b->size,
					      dma_get_max_seg_size(dev),
					      GFP_KERNEL))
		return false;
	t1 = ktime_get_ns();
	if (dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0)) {
		sg_free_table(&sgt);
		return false;
	}
	t2 = ktime_get_ns();
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		/* A driver writes its engine's descriptors as it walks. */
		desc[i % ARRAY_SIZE(desc)].addr = sg_dma_address(sg);
		desc[i % ARRAY_SIZE(desc)].len = sg_dma_len(sg);
		*sink += desc[i % ARRAY_SIZE(desc)].addr;
	}
	t3 = ktime_get_ns();
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);
	p->a = t1 - t0;
	p->b = t2 - t1;
	p->c = t3 - t2;
	p->d = ktime_get_ns() - t3;
	return true;
}

/* iodma: prepare, gen_segments (all), complete. */
static bool iodma_phases(struct iodma_cmd *cmd, u64 len, u64 *sink,
			 struct phases *p)
{
	struct iodma_seg64 segs[64];
	u64 t0, t1, t2, pos = 0;

	t0 = ktime_get_ns();
	if (iodma_cmd_prepare(cmd, 0, len, 0))
		return false;
	t1 = ktime_get_ns();
	while (pos < len) {
		u32 n = ARRAY_SIZE(segs), i;

		if (iodma_cmd_gen_segments(cmd, &pos, segs, &n))
			break;
		for (i = 0; i < n; i++)
			*sink += segs[i].addr + segs[i].len;
	}
	t2 = ktime_get_ns();
	iodma_cmd_complete(cmd, 0);
	p->a = t1 - t0;
	p->b = t2 - t1;
	p->c = ktime_get_ns() - t2;
	p->d = 0;
	return true;
}

static u64 median(u64 *v, unsigned int n);

/* Median phase times over many cycles: where the time goes. */
static void bench_profile(struct device *dev, struct iodma_cmd *cmd,
			  enum buf_kind kind, size_t size)
{
	static u64 ra[4][MAX_ITERS / 2], io[3][MAX_ITERS / 2];
	unsigned int n = MAX_ITERS / 2, i, ok = 0;
	struct buf b = {};
	struct iodma_md *md = NULL;
	struct phases p;
	u64 sink = 0;

	if (buf_alloc(&b, kind, size))
		goto out;
	md = buf_md(&b);
	if (IS_ERR(md) || iodma_cmd_set_md(cmd, md, false))
		goto out;
	for (i = 0; i < n; i++) {
		if (!raw_phases(dev, &b, &sink, &p))
			break;
		ra[0][ok] = p.a;
		ra[1][ok] = p.b;
		ra[2][ok] = p.c;
		ra[3][ok] = p.d;
		if (!iodma_phases(cmd, size, &sink, &p))
			break;
		io[0][ok] = p.a;
		io[1][ok] = p.b;
		io[2][ok++] = p.c;
		cond_resched();
	}
	if (ok) {
		out("profile %s %zu raw build %llu map %llu walk %llu unmap %llu",
		    kind_name[kind], size, median(ra[0], ok), median(ra[1], ok),
		    median(ra[2], ok), median(ra[3], ok));
		out(" iodma prepare %llu gen %llu complete %llu\n",
		    median(io[0], ok), median(io[1], ok), median(io[2], ok));
	}
	iodma_cmd_clear_md(cmd, true);
out:
	if (!IS_ERR_OR_NULL(md))
		iodma_md_put(md);
	buf_free(&b);
}

/* One iodma cycle over [off, off + len); returns ns, or 0 on failure. */
static u64 iodma_cycle(struct iodma_cmd *cmd, u64 off, u64 len, u64 *sink,
		       u32 *nsegs)
{
	struct iodma_seg64 segs[64];
	u64 t0 = ktime_get_ns(), pos = 0;

	*nsegs = 0;
	if (iodma_cmd_prepare(cmd, off, len, 0))
		return 0;
	while (pos < len) {
		u32 n = ARRAY_SIZE(segs), i;

		if (iodma_cmd_gen_segments(cmd, &pos, segs, &n))
			break;
		for (i = 0; i < n; i++)
			*sink += segs[i].addr + segs[i].len;
		*nsegs += n;
	}
	iodma_cmd_complete(cmd, 0);
	return ktime_get_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return n ? v[n / 2] : 0;
}

static unsigned int iters_for(size_t size)
{
	return size <= SZ_64K ? MAX_ITERS : size <= SZ_1M ? 300 : 30;
}

static struct iodma_spec bench_spec = { .format = IODMA_FMT_HOST64 };

static void bench_kind_size(struct device *dev, struct iodma_cmd *cmd,
			    enum buf_kind kind, unsigned int si, u64 *t_raw,
			    u64 *t_io)
{
	struct buf b = {};
	struct iodma_md *md;
	unsigned int n = iters_for(sizes[si]), i, ok = 0;
	u64 sink = 0;
	u32 segs = 0;

	if (buf_alloc(&b, kind, sizes[si])) {
		out("row %s %s n/a (allocation failed)\n", kind_name[kind],
		    size_name[si]);
		goto out;
	}
	md = buf_md(&b);
	if (IS_ERR(md) || iodma_cmd_set_md(cmd, md, false)) {
		out("row %s %s n/a (descriptor)\n", kind_name[kind],
		    size_name[si]);
		goto out_md;
	}
	raw_cycle(dev, &b, &sink);		/* warm both paths */
	iodma_cycle(cmd, 0, b.size, &sink, &segs);
	for (i = 0; i < n; i++) {
		u64 r = raw_cycle(dev, &b, &sink);
		u64 d = iodma_cycle(cmd, 0, b.size, &sink, &segs);

		if (!r || !d)
			break;
		t_raw[ok] = r;
		t_io[ok++] = d;
		cond_resched();
	}
	if (ok) {
		u64 mr = median(t_raw, ok), mi = median(t_io, ok);

		out("row %s %s %llu %llu %u %u\n", kind_name[kind],
		    size_name[si], mr, mi, segs, ok);
	} else {
		out("row %s %s n/a (mapping failed)\n", kind_name[kind],
		    size_name[si]);
	}
	iodma_cmd_clear_md(cmd, true);
out_md:
	if (!IS_ERR(md))
		iodma_md_put(md);
out:
	buf_free(&b);
}

/*
 * Sub-range cost: 64 KiB in the middle of a 1 GiB page-array descriptor
 * (256 real pages reused cyclically, so any 64 KiB window has distinct
 * pages) against a 64 KiB descriptor of its own.
 */
static void bench_subrange(struct iodma_cmd *cmd, u64 *ta, u64 *tb)
{
	const unsigned int big = SZ_1G / PAGE_SIZE, pool = 256;
	struct page **pages = kvcalloc(big, sizeof(*pages), GFP_KERNEL);
	struct iodma_md *md_big = NULL, *md_small = NULL;
	unsigned int i, ok = 0;
	u64 sink = 0;
	u32 segs;

	for (i = 0; pages && i < pool; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			break;
	}
	if (!pages || i < pool) {
		out("subrange n/a (allocation failed)\n");
		goto out;
	}
	for (; i < big; i++)
		pages[i] = pages[i % pool];
	md_big = iodma_md_from_pages(pages, big, 0, SZ_1G, DMA_BIDIRECTIONAL,
				     GFP_KERNEL);
	md_small = iodma_md_from_pages(pages, SZ_64K / PAGE_SIZE, 0, SZ_64K,
				       DMA_BIDIRECTIONAL, GFP_KERNEL);
	for (i = 0; !IS_ERR(md_big) && !IS_ERR(md_small) && i < MAX_ITERS;
	     i++) {
		u64 a, b;

		if (iodma_cmd_set_md(cmd, md_big, false))
			break;
		a = iodma_cycle(cmd, SZ_512M, SZ_64K, &sink, &segs);
		if (iodma_cmd_set_md(cmd, md_small, false))
			break;
		b = iodma_cycle(cmd, 0, SZ_64K, &sink, &segs);
		if (!a || !b)
			break;
		ta[ok] = a;
		tb[ok++] = b;
	}
	iodma_cmd_clear_md(cmd, true);
	if (ok)
		out("subrange %llu %llu %u\n", median(ta, ok), median(tb, ok),
		    ok);
	else
		out("subrange n/a (prepare failed)\n");
out:
	if (!IS_ERR_OR_NULL(md_big))
		iodma_md_put(md_big);
	if (!IS_ERR_OR_NULL(md_small))
		iodma_md_put(md_small);
	for (i = 0; pages && i < pool && pages[i]; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

/* Scaling: cycles per second with one thread, then two, own commands. */
struct worker {
	struct device *dev;
	struct completion *go;
	atomic_t *stop;
	u64 cycles;
	int err;
};

static int worker_fn(void *p)
{
	struct worker *w = p;
	struct iodma_cmd *cmd = iodma_cmd_create(w->dev, &bench_spec, 0,
						 GFP_KERNEL);
	void *va = kmalloc(SZ_64K, GFP_KERNEL);
	struct iodma_md *md = NULL;
	u64 sink = 0;
	u32 segs;

	w->err = -ENOMEM;
	if (IS_ERR(cmd) || !va)
		goto out;
	md = iodma_md_from_kva(va, SZ_64K, DMA_BIDIRECTIONAL, GFP_KERNEL);
	if (IS_ERR(md) || iodma_cmd_set_md(cmd, md, false))
		goto out;
	w->err = 0;
	wait_for_completion(w->go);
	while (!atomic_read(w->stop)) {
		if (!iodma_cycle(cmd, 0, SZ_64K, &sink, &segs)) {
			w->err = -EIO;
			break;
		}
		w->cycles++;
		cond_resched();
	}
out:
	if (!IS_ERR_OR_NULL(cmd))
		iodma_cmd_destroy(cmd);
	if (!IS_ERR_OR_NULL(md))
		iodma_md_put(md);
	kfree(va);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 100);
	return 0;
}

static u64 run_threads(struct device *dev, unsigned int n)
{
	struct task_struct *t[2];
	struct worker w[2] = {};
	DECLARE_COMPLETION_ONSTACK(go);
	atomic_t stop = ATOMIC_INIT(0);
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .dev = dev, .go = &go, .stop = &stop };
		t[i] = kthread_create(worker_fn, &w[i], "iodma_bench/%u", i);
		if (IS_ERR(t[i]))
			return 0;
		kthread_bind(t[i], i % num_online_cpus());
		wake_up_process(t[i]);
	}
	msleep(100);
	complete_all(&go);
	msleep(2000);
	atomic_set(&stop, 1);
	for (i = 0; i < n; i++) {
		kthread_stop(t[i]);
		if (w[i].err)
			return 0;
		total += w[i].cycles;
	}
	return total;
}

static int __init bench_init(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	u64 *t_raw = NULL, *t_io = NULL;
	struct iodma_cmd *cmd = NULL;
	struct device *dev;
	unsigned int k, s;
	int err = -ENOMEM;

	results = kvzalloc(RESULTS_SIZE, GFP_KERNEL);
	t_raw = kvcalloc(MAX_ITERS, sizeof(u64), GFP_KERNEL);
	t_io = kvcalloc(MAX_ITERS, sizeof(u64), GFP_KERNEL);
	if (!results || !t_raw || !t_io)
		goto out;
	err = -ENODEV;
	if (!pdev)
		goto out;
	dev = &pdev->dev;
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	cmd = iodma_cmd_create(dev, &bench_spec, 0, GFP_KERNEL);
	err = PTR_ERR_OR_ZERO(cmd);
	if (err)
		goto out;
	out("cpus %u\n", num_online_cpus());
	for (k = 0; k < NKINDS; k++)
		for (s = 0; s < ARRAY_SIZE(sizes); s++)
			bench_kind_size(dev, cmd, k, s, t_raw, t_io);
	bench_subrange(cmd, t_raw, t_io);
	bench_profile(dev, cmd, KMALLOC, SZ_4K);
	bench_profile(dev, cmd, PAGES, SZ_64K);
	if (num_online_cpus() >= 2) {
		u64 one = run_threads(dev, 1), two = run_threads(dev, 2);

		out("scaling %llu %llu\n", one, two);
	}
	blob.data = results;
	blob.size = results_len;
	dir = debugfs_create_dir("iodma_bench", NULL);
	debugfs_create_blob("results", 0444, dir, &blob);
	err = 0;
out:
	if (!IS_ERR_OR_NULL(cmd))
		iodma_cmd_destroy(cmd);
	kvfree(t_raw);
	kvfree(t_io);
	pci_dev_put(pdev);
	if (err)
		kvfree(results);
	return err;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(dir);
	kvfree(results);
}
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iodma against the raw DMA API");
MODULE_IMPORT_NS(IODMA);
