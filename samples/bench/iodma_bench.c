// SPDX-License-Identifier: GPL-2.0
/*
 * iodma_bench: iodma measured against the raw Linux DMA API, in the same
 * boot, the three paths taking turns, on the edu device's struct device.
 *
 * raw (typical): what a typical driver writes for every transfer: the
 *        pages of the range (pinned first for user memory),
 *        sg_alloc_table_from_pages_segment() (max segment of the device),
 *        dma_map_sgtable(), a walk over every DMA segment writing a
 *        16-byte descriptor for each into a 64-entry array (as iodma
 *        writes its segments), dma_unmap_sgtable(), sg_free_table().
 * raw (best): what the most careful driver writes for that memory:
 *        kmalloc: dma_map_single(), descriptors cut at the device's
 *        maximum segment size and boundary, dma_unmap_single();
 *        vmalloc, page array: an sg_table built once and reused,
 *        dma_map_sgtable(), the walk, dma_unmap_sgtable();
 *        user memory: pin_user_pages_fast() into a page array, an
 *        sg_table allocated once and refilled, map, walk, unmap, unpin.
 * iodma: iodma_cmd_prepare() + iodma_cmd_gen_segments() over the whole
 *        range into a 64-entry array + iodma_cmd_complete(), on a command
 *        and descriptor made once.
 *
 * Timings come from ktime_get_ns(). Under QEMU's -icount the guest's
 * clock counts instructions, so the same figures are instruction counts.
 * Results are read from debugfs: iodma_bench/results. A line starting
 * with "error" is a failure of the benchmark itself (the host's report
 * fails the run on it); nothing is ever turned into a silent 0.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iodma.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#define MAX_ITERS	2000
#define RESULTS_SIZE	(64 * 1024)
#define NDESC		64
#define DIR		DMA_BIDIRECTIONAL
/* The same pin as iodma's (a command may stay prepared indefinitely). */
#define PIN_FLAGS	(FOLL_WRITE | FOLL_LONGTERM)

static unsigned int scaling_runs = 5;
module_param(scaling_runs, uint, 0444);
MODULE_PARM_DESC(scaling_runs, "1-vCPU/2-vCPU measurement pairs (0: none, up to 16)");
static unsigned int scaling_ms = 1000;
module_param(scaling_ms, uint, 0444);
MODULE_PARM_DESC(scaling_ms, "length of each scaling measurement, ms");

static unsigned int windows;
module_param(windows, uint, 0444);
MODULE_PARM_DESC(windows,
		 "profile mode: only this many marked cycles of each path");

static unsigned int window_kib = 4;
module_param(window_kib, uint, 0444);
MODULE_PARM_DESC(window_kib,
		 "profile mode: the size of each marked cycle, KiB (4 to 16384)");

enum buf_kind { KMALLOC, VMALLOC, PAGES, USER, NKINDS };
static const char *const kind_name[] = { "kmalloc", "vmalloc", "pages",
					 "user" };
static const size_t sizes[] = { SZ_4K, SZ_64K, SZ_1M, SZ_16M };
static const char *const size_name[] = { "4K", "64K", "1M", "16M" };

static char *results;
static u64 bench_sink;	/* what the paths computed, so none is optimised away */
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

/*
 * A buffer of one kind, with what each raw path keeps between transfers:
 * the page array (refilled per transfer by raw (typical) and, for user
 * memory, by the pin) and raw (best)'s sg_table: built once over the pages
 * for vmalloc and page arrays, allocated once and refilled per transfer
 * for user memory.
 */
struct buf {
	struct device *dev;
	enum buf_kind kind;
	size_t size;
	void *va;
	unsigned long uaddr;
	struct page **pages;
	unsigned int npages;
	bool own_pages;
	struct sg_table best;
	unsigned int best_nents;	/* entries allocated in @best */
	bool has_best;
};

static void buf_free(struct buf *b)
{
	unsigned int i;

	if (b->has_best) {
		b->best.orig_nents = b->best_nents;
		sg_free_table(&b->best);
	}
	if (b->kind == KMALLOC)
		kfree(b->va);
	else if (b->kind == VMALLOC)
		vfree(b->va);
	else if (b->kind == USER && b->uaddr)
		vm_munmap(b->uaddr, b->size);
	for (i = 0; b->own_pages && i < b->npages; i++)
		__free_page(b->pages[i]);
	kvfree(b->pages);
}

static int buf_alloc(struct buf *b, struct device *dev, enum buf_kind kind,
		     size_t size)
{
	unsigned long addr;
	unsigned int i;
	int err;

	b->dev = dev;
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
	case USER:
		/* Anonymous memory of the process loading the module. */
		addr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, 0);
		if (IS_ERR_VALUE(addr))
			return (int)addr;
		b->uaddr = addr;
		err = sg_alloc_table(&b->best, b->npages, GFP_KERNEL);
		if (err)
			return err;
		b->best_nents = b->npages;
		b->has_best = true;
		return 0;
	case VMALLOC:
		b->va = vmalloc(size);
		if (!b->va)
			return -ENOMEM;
		for (i = 0; i < b->npages; i++)
			b->pages[i] = vmalloc_to_page(b->va + i * PAGE_SIZE);
		break;
	default:
		b->own_pages = true;
		for (i = 0; i < b->npages; i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			if (!b->pages[i]) {
				b->npages = i;
				return -ENOMEM;
			}
		}
		break;
	}
	err = sg_alloc_table_from_pages_segment(&b->best, b->pages, b->npages,
						0, size,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (err)
		return err;
	b->best_nents = b->best.orig_nents;
	b->has_best = true;
	return 0;
}

static struct iodma_md *buf_md(struct buf *b)
{
	switch (b->kind) {
	case PAGES:
		return iodma_md_from_pages(b->pages, b->npages, 0, b->size,
					   DIR, GFP_KERNEL);
	case USER:
		return iodma_md_from_user(b->uaddr, b->size, DIR, GFP_KERNEL);
	default:
		return iodma_md_from_kva(b->va, b->size, DIR, GFP_KERNEL);
	}
}

/* Phase times of one cycle (ns); a path uses up to four. */
struct phases {
	u64 t[4];
};

/* A driver writes its engine's descriptors as it walks. */
struct descs {
	struct iodma_seg64 d[NDESC];
	unsigned int n;
};

static inline void desc_put(struct descs *d, dma_addr_t addr, u64 len)
{
	struct iodma_seg64 *s = &d->d[d->n++ % NDESC];

	s->addr = addr;
	s->len = len;
}

static u64 descs_sum(const struct descs *d)
{
	unsigned int i;
	u64 sum = d->n;

	for (i = 0; i < min_t(unsigned int, d->n, NDESC); i++)
		sum += d->d[i].addr;
	return sum;
}

/*
 * The end of a cycle of a scatterlist path: build t0..t1, map t1..t2,
 * walk t2..t3, unmap (and free, unpin) t3..now; the descriptors into
 * @sink so that the walk is not optimised away.
 */
static void sg_cycle_done(struct phases *p, u64 t0, u64 t1, u64 t2, u64 t3,
			  const struct descs *d, u64 *sink)
{
	p->t[3] = ktime_get_ns() - t3;
	p->t[0] = t1 - t0;
	p->t[1] = t2 - t1;
	p->t[2] = t3 - t2;
	*sink += descs_sum(d);
}

static void walk_sgtable(struct sg_table *sgt, struct descs *d)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		desc_put(d, sg_dma_address(sg), sg_dma_len(sg));
}

/*
 * raw (typical): build (pages, pin for user memory, sg table), map, walk,
 * unmap + free (+ unpin). Returns false on any failure.
 */
static bool raw_typical(struct buf *b, u64 *sink, struct phases *p)
{
	struct device *dev = b->dev;
	struct descs d = { .n = 0 };
	struct sg_table sgt;
	unsigned int i;
	u64 t0, t1, t2, t3;
	int got;

	t0 = ktime_get_ns();
	if (b->kind == VMALLOC) {
		for (i = 0; i < b->npages; i++)
			b->pages[i] = vmalloc_to_page(b->va + i * PAGE_SIZE);
	} else if (b->kind == KMALLOC) {
		struct page *first = virt_to_page(b->va);

		for (i = 0; i < b->npages; i++)
			b->pages[i] = first + i;
	} else if (b->kind == USER) {
		got = pin_user_pages_fast(b->uaddr, b->npages, PIN_FLAGS,
					  b->pages);
		if (got != (int)b->npages) {
			if (got > 0)
				unpin_user_pages(b->pages, got);
			return false;
		}
	}
	if (sg_alloc_table_from_pages_segment(&sgt, b->pages, b->npages, 0,
					      b->size,
					      dma_get_max_seg_size(dev),
					      GFP_KERNEL))
		goto out_unpin;
	t1 = ktime_get_ns();
	if (dma_map_sgtable(dev, &sgt, DIR, 0))
		goto out_free;
	t2 = ktime_get_ns();
	walk_sgtable(&sgt, &d);
	t3 = ktime_get_ns();
	dma_unmap_sgtable(dev, &sgt, DIR, 0);
	sg_free_table(&sgt);
	if (b->kind == USER)
		unpin_user_pages_dirty_lock(b->pages, b->npages, true);
	sg_cycle_done(p, t0, t1, t2, t3, &d, sink);
	return true;

out_free:
	sg_free_table(&sgt);
out_unpin:
	if (b->kind == USER)
		unpin_user_pages(b->pages, b->npages);
	return false;
}

/*
 * raw (best) for a kmalloc buffer: dma_map_single() of pieces no larger
 * than the DMA layer maps at once (dma_max_mapping_size(): 256 KiB under
 * swiotlb, so usually one piece), descriptors cut at the device's maximum
 * segment size and segment boundary (which the device needs whatever maps
 * the buffer), dma_unmap_single() of each piece.
 */
#define MAX_PIECES	64
static __always_inline bool best_single_run(struct buf *b, struct descs *d,
					    struct phases *p, const bool timed)
{
	struct device *dev = b->dev;
	size_t piece = min(b->size, dma_max_mapping_size(dev));
	u64 max = dma_get_max_seg_size(dev);
	u64 mask = dma_get_seg_boundary(dev);
	dma_addr_t dma[MAX_PIECES], addr;
	unsigned int n = 0, i;
	u64 t0 = 0, t1 = 0, t2 = 0, left;
	size_t off;

	if (!piece || DIV_ROUND_UP(b->size, piece) > MAX_PIECES)
		return false;
	if (timed)
		t0 = ktime_get_ns();
	for (off = 0; off < b->size; off += piece, n++) {
		dma[n] = dma_map_single(dev, b->va + off,
					min(piece, b->size - off), DIR);
		if (dma_mapping_error(dev, dma[n]))
			goto out_unmap;
	}
	if (timed)
		t1 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		left = min(piece, b->size - i * piece);
		for (addr = dma[i]; left;) {
			u64 len = min(left, max), room = mask - (addr & mask);

			if (len - 1 > room)
				len = room + 1;
			desc_put(d, addr, len);
			addr += len;
			left -= len;
		}
	}
	if (timed)
		t2 = ktime_get_ns();
	for (i = 0; i < n; i++)
		dma_unmap_single(dev, dma[i], min(piece, b->size - i * piece),
				 DIR);
	if (timed) {
		p->t[0] = 0;
		p->t[1] = t1 - t0;
		p->t[2] = t2 - t1;
		p->t[3] = ktime_get_ns() - t2;
	}
	return true;

out_unmap:
	for (i = 0; i < n; i++)
		dma_unmap_single(dev, dma[i], min(piece, b->size - i * piece),
				 DIR);
	return false;
}

static bool best_single(struct buf *b, struct descs *d, struct phases *p)
{
	return best_single_run(b, d, p, true);
}

/*
 * Fill raw (best)'s preallocated table from the pinned pages, merging
 * physically contiguous pages up to the device's maximum segment size.
 * Returns the last entry used (end-marked; the caller unmarks it).
 */
static struct scatterlist *best_fill(struct buf *b)
{
	unsigned int max = dma_get_max_seg_size(b->dev);
	struct scatterlist *sg = b->best.sgl, *last = NULL;
	unsigned int i = 0, n = 0;

	while (i < b->npages) {
		unsigned int j = i + 1, len = PAGE_SIZE;

		while (j < b->npages && len + PAGE_SIZE <= max &&
		       page_to_pfn(b->pages[j]) ==
			       page_to_pfn(b->pages[j - 1]) + 1) {
			len += PAGE_SIZE;
			j++;
		}
		if (last)
			sg = sg_next(last);
		sg_set_page(sg, b->pages[i], len, 0);
		last = sg;
		n++;
		i = j;
	}
	sg_mark_end(last);
	b->best.orig_nents = n;
	return last;
}

/* raw (best): pin (user memory), map, walk, unmap (+ unpin). */
static bool raw_best(struct buf *b, u64 *sink, struct phases *p)
{
	struct descs d = { .n = 0 };
	struct scatterlist *last = NULL;
	u64 t0, t1, t2, t3;
	int got;

	if (b->kind == KMALLOC) {
		if (!best_single(b, &d, p))
			return false;
		*sink += descs_sum(&d);
		return true;
	}
	t0 = ktime_get_ns();
	if (b->kind == USER) {
		got = pin_user_pages_fast(b->uaddr, b->npages, PIN_FLAGS,
					  b->pages);
		if (got != (int)b->npages) {
			if (got > 0)
				unpin_user_pages(b->pages, got);
			return false;
		}
		last = best_fill(b);
	}
	t1 = ktime_get_ns();
	if (dma_map_sgtable(b->dev, &b->best, DIR, 0))
		goto out;
	t2 = ktime_get_ns();
	walk_sgtable(&b->best, &d);
	t3 = ktime_get_ns();
	dma_unmap_sgtable(b->dev, &b->best, DIR, 0);
	if (b->kind == USER) {
		sg_unmark_end(last);
		unpin_user_pages_dirty_lock(b->pages, b->npages, true);
	}
	sg_cycle_done(p, t0, t1, t2, t3, &d, sink);
	return true;

out:
	if (b->kind == USER) {
		sg_unmark_end(last);
		unpin_user_pages(b->pages, b->npages);
	}
	return false;
}

/*
 * iodma over [off, off + len): prepare, gen_segments (all), complete;
 * with @timed (a constant: no branch in either copy) the phases in @p.
 * gen_segments writes straight into the descriptor ring, as raw's walk
 * does with desc_put(), and the ring is summed into @sink after the
 * cycle, outside its timed phases (as sg_cycle_done() does for raw).
 */
static __always_inline bool iodma_run(struct iodma_cmd *cmd, u64 off, u64 len,
				      u64 *sink, u32 *nsegs, struct phases *p,
				      const bool timed)
{
	struct descs d = { .n = 0 };
	u64 t0 = 0, t1 = 0, t2 = 0, pos = 0;
	bool ok = true;

	*nsegs = 0;
	if (timed)
		t0 = ktime_get_ns();
	if (iodma_cmd_prepare(cmd, off, len, 0))
		return false;
	if (timed)
		t1 = ktime_get_ns();
	while (pos < len) {
		u32 at = d.n % NDESC, n = NDESC - at;

		if (iodma_cmd_gen_segments(cmd, &pos, &d.d[at], &n)) {
			ok = false;
			break;
		}
		d.n += n;
	}
	if (timed)
		t2 = ktime_get_ns();
	iodma_cmd_complete(cmd, 0);
	if (timed) {
		p->t[3] = 0;
		p->t[0] = t1 - t0;
		p->t[1] = t2 - t1;
		p->t[2] = ktime_get_ns() - t2;
	}
	*nsegs = d.n;
	*sink += descs_sum(&d);
	return ok;
}

static bool iodma_path(struct iodma_cmd *cmd, u64 off, u64 len, u64 *sink,
		       u32 *nsegs, struct phases *p)
{
	return iodma_run(cmd, off, len, sink, nsegs, p, true);
}

static u64 total(const struct phases *p)
{
	return p->t[0] + p->t[1] + p->t[2] + p->t[3];
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

/* Per path: total and the four phases, for every iteration. */
enum { TYPICAL, BEST, IODMA, NPATHS };
static const char *const path_name[] = { "typical", "best", "iodma" };
static const char *const phase_name[NPATHS][4] = {
	{ "build", "map", "walk", "unmap" },
	{ "pin", "map", "walk", "unmap" },
	{ "prepare", "gen", "complete", NULL },
};

struct samples {
	u64 v[NPATHS][5][MAX_ITERS];
};

/*
 * One row: the three paths take turns (the order rotating every
 * iteration), each timed per phase; the medians are printed. An n/a row
 * says why; a failed transfer is an error, never a short row.
 */
static void bench_kind_size(struct device *dev, struct iodma_cmd *cmd,
			    enum buf_kind kind, size_t size, const char *name,
			    struct samples *s, bool profile)
{
	unsigned int n = iters_for(size), i, k, ph, ok = 0;
	struct iodma_md *md = NULL;
	struct buf b = {};
	struct phases p;
	u64 sink = 0;
	u32 segs = 0;
	int err;

	err = buf_alloc(&b, dev, kind, size);
	if (err) {
		out("row %s %s n/a (allocation failed: %d)\n", kind_name[kind],
		    name, err);
		goto out;
	}
	md = buf_md(&b);
	if (IS_ERR(md)) {
		out("error row %s %s: descriptor %ld\n", kind_name[kind], name,
		    PTR_ERR(md));
		goto out;
	}
	err = iodma_cmd_set_md(cmd, md, false);
	if (err) {
		out("error row %s %s: set_md %d\n", kind_name[kind], name, err);
		goto out;
	}
	/* Warm every path once (and fault user memory in). */
	if (!raw_typical(&b, &sink, &p) || !raw_best(&b, &sink, &p) ||
	    !iodma_path(cmd, 0, size, &sink, &segs, &p)) {
		out("error row %s %s: a path failed its first transfer\n",
		    kind_name[kind], name);
		goto out_clear;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < NPATHS; k++) {
			unsigned int path = (i + k) % NPATHS;
			bool done;

			if (path == TYPICAL)
				done = raw_typical(&b, &sink, &p);
			else if (path == BEST)
				done = raw_best(&b, &sink, &p);
			else
				done = iodma_path(cmd, 0, size, &sink, &segs,
						  &p);
			if (!done) {
				out("error row %s %s: %s failed in iteration %u\n",
				    kind_name[kind], name, path_name[path], i);
				goto out_clear;
			}
			s->v[path][4][ok] = total(&p);
			for (ph = 0; ph < 4; ph++)
				s->v[path][ph][ok] = p.t[ph];
		}
		ok++;
		cond_resched();
	}
	out("row %s %s typical %llu best %llu iodma %llu segments %u iterations %u\n",
	    kind_name[kind], name, median(s->v[TYPICAL][4], ok),
	    median(s->v[BEST][4], ok), median(s->v[IODMA][4], ok), segs, ok);
	for (k = 0; profile && k < NPATHS; k++) {
		out("profile %s %s %s", kind_name[kind], name, path_name[k]);
		for (ph = 0; ph < 4 && phase_name[k][ph]; ph++)
			out(" %s %llu", phase_name[k][ph],
			    median(s->v[k][ph], ok));
		out("\n");
	}
out_clear:
	iodma_cmd_clear_md(cmd, true);
out:
	if (!IS_ERR_OR_NULL(md))
		iodma_md_put(md);
	buf_free(&b);
	WRITE_ONCE(bench_sink, bench_sink + sink);
}

/* The cost of reading the clock itself, to read the phase figures by. */
static void bench_clock(u64 *v)
{
	unsigned int i;

	for (i = 0; i < MAX_ITERS; i++) {
		u64 t0 = ktime_get_ns();

		v[i] = ktime_get_ns() - t0;
	}
	out("clock %llu\n", median(v, MAX_ITERS));
}

/*
 * Marked windows for an instruction profile (scripts/profile.sh): no-op
 * instructions that the QEMU plugin scripts/profile/insn-windows.c
 * recognises; everything the vCPU executes between them is counted. On an
 * architecture with no marker, window_open() says so and the profile
 * fails with an error line.
 */
static unsigned int window_n;	/* the number of the next marked window */

static inline bool window_open(void)
{
#if defined(CONFIG_X86)
	asm volatile("xchg %%bx, %%bx" ::: "memory");
	return true;
#elif defined(CONFIG_ARM64)
	asm volatile("orr x1, x1, x1" ::: "memory");
	return true;
#else
	return false;
#endif
}

static inline void window_close(void)
{
#if defined(CONFIG_X86)
	asm volatile("xchg %%cx, %%cx" ::: "memory");
#elif defined(CONFIG_ARM64)
	asm volatile("orr x2, x2, x2" ::: "memory");
#endif
}

/* @windows cycles of each path, each in its own window, of @window_kib. */
static void bench_windows(struct device *dev, struct iodma_cmd *cmd)
{
	const size_t size = (size_t)window_kib * SZ_1K;
	unsigned int k, i, path;
	struct phases p;
	u64 sink = 0;
	u32 segs;

	if (window_kib < 4 || window_kib > SZ_16K) {
		out("error windows: window_kib %u is not within 4 to 16384\n",
		    window_kib);
		return;
	}
	for (k = 0; k < NKINDS; k++) {
		struct iodma_md *md = NULL;
		struct buf b = {};
		bool ok = true;

		if (buf_alloc(&b, dev, k, size)) {
			out("error windows %s: allocation failed\n", kind_name[k]);
			goto next;
		}
		md = buf_md(&b);
		if (IS_ERR(md) || iodma_cmd_set_md(cmd, md, false)) {
			out("error windows %s: descriptor\n", kind_name[k]);
			goto next;
		}
		for (i = 0; ok && i < 3; i++)	/* warm */
			ok = raw_typical(&b, &sink, &p) &&
			     raw_best(&b, &sink, &p) &&
			     iodma_path(cmd, 0, size, &sink, &segs, &p);
		for (i = 0; ok && i < windows; i++) {
			for (path = 0; ok && path < NPATHS; path++) {
				out("window %u %s %uK %s\n", window_n++, kind_name[k],
				    window_kib, path_name[path]);
				if (!window_open()) {
					out("error windows: no marker on this architecture\n");
					ok = false;
					break;
				}
				if (path == TYPICAL)
					ok = raw_typical(&b, &sink, &p);
				else if (path == BEST)
					ok = raw_best(&b, &sink, &p);
				else
					ok = iodma_path(cmd, 0, size, &sink,
							&segs, &p);
				window_close();
			}
		}
		if (!ok)
			out("error windows %s: a path failed\n", kind_name[k]);
		iodma_cmd_clear_md(cmd, true);
next:
		if (!IS_ERR_OR_NULL(md))
			iodma_md_put(md);
		buf_free(&b);
	}
	WRITE_ONCE(bench_sink, bench_sink + sink);
}

/*
 * Sub-range cost: 64 KiB in the middle of a 1 GiB page-array descriptor
 * (the pages of one physically contiguous MiB reused cyclically, so
 * any 64 KiB window has distinct pages, and the descriptor has 1024
 * pieces) against a 64 KiB descriptor of its own (one piece). Contiguous
 * pages make the figure the same in every boot, and the hardest case:
 * the small descriptor's cost is then the least it can be. In profile mode
 * (@windows) each cycle is a marked window instead: "sub" the middle of
 * the big descriptor, "whole" the small one.
 */
static bool subrange_cycle(struct iodma_cmd *cmd, struct iodma_md *md,
			   u64 off, u64 *sink, struct phases *p,
			   const char *name)
{
	u32 segs;
	bool ok;

	if (iodma_cmd_set_md(cmd, md, false))
		return false;
	if (!windows)
		return iodma_path(cmd, off, SZ_64K, sink, &segs, p);
	out("window %u subrange 64K %s\n", window_n++, name);
	if (!window_open()) {
		out("error windows: no marker on this architecture\n");
		return false;
	}
	ok = iodma_path(cmd, off, SZ_64K, sink, &segs, p);
	window_close();
	return ok;
}

static void bench_subrange(struct iodma_cmd *cmd, u64 *ta, u64 *tb)
{
	const unsigned int big = SZ_1G / PAGE_SIZE, pool = SZ_1M / PAGE_SIZE;
	struct page **pages = kvcalloc(big, sizeof(*pages), GFP_KERNEL);
	struct iodma_md *md_big = NULL, *md_small = NULL;
	const unsigned int iters = windows ? windows + 3 : MAX_ITERS;
	/* one physically contiguous MiB: each 64 KiB window is one piece */
	void *block = alloc_pages_exact(SZ_1M, GFP_KERNEL);
	unsigned int i, ok = 0;
	struct phases p;
	u64 sink = 0;

	if (!pages || !block) {
		out("subrange n/a (allocation failed)\n");
		goto out;
	}
	for (i = 0; i < big; i++)
		pages[i] = virt_to_page(block + (i % pool) * PAGE_SIZE);
	md_big = iodma_md_from_pages(pages, big, 0, SZ_1G, DIR, GFP_KERNEL);
	md_small = iodma_md_from_pages(pages, SZ_64K / PAGE_SIZE, 0, SZ_64K,
				       DIR, GFP_KERNEL);
	for (i = 0; !IS_ERR(md_big) && !IS_ERR(md_small) && i < iters; i++) {
		if (!subrange_cycle(cmd, md_big, SZ_512M, &sink, &p, "sub"))
			break;
		ta[ok] = total(&p);
		if (!subrange_cycle(cmd, md_small, 0, &sink, &p, "whole"))
			break;
		tb[ok++] = total(&p);
	}
	iodma_cmd_clear_md(cmd, true);
	WRITE_ONCE(bench_sink, bench_sink + sink);
	if (ok == iters)
		out("subrange %llu %llu %u\n", median(ta, ok), median(tb, ok),
		    ok);
	else
		out("error subrange: failed after %u iterations\n", ok);
out:
	if (!IS_ERR_OR_NULL(md_big))
		iodma_md_put(md_big);
	if (!IS_ERR_OR_NULL(md_small))
		iodma_md_put(md_small);
	if (block)
		free_pages_exact(block, SZ_1M);
	kvfree(pages);
}

/*
 * Scaling: 64 KiB kmalloc cycles per second with one thread, then two
 * (each its own command and buffer, bound to its own vCPU), of iodma and
 * of raw (best) alike: what raw (best) shows is the platform's own
 * scaling (QEMU, the DMA layer, an emulated IOMMU), which iodma cannot
 * beat. Every worker reports that it is ready before the clock starts and
 * that it stopped after; one that fails, never starts or does no cycle is
 * an error line.
 */
struct worker {
	struct device *dev;
	bool raw;
	struct completion ready, done;
	struct completion *go;
	atomic_t *stop;
	u64 cycles;
	u64 sink;	/* summed into bench_sink by run_threads() */
	int err;
};

/*
 * One untimed cycle of each path, each in its own frame: the iodma path's
 * segment array inlined into worker_fn() beside the rest took its frame
 * past 2 KiB under KASAN.
 */
static noinline bool scaling_cycle_iodma(struct iodma_cmd *cmd, u64 *sink)
{
	u32 segs;

	return iodma_run(cmd, 0, SZ_64K, sink, &segs, NULL, false);
}

static noinline bool scaling_cycle_raw(struct buf *b, struct descs *d,
				       u64 *sink)
{
	d->n = 0;
	if (!best_single_run(b, d, NULL, false))
		return false;
	*sink += descs_sum(d);
	return true;
}

static int worker_fn(void *p)
{
	struct worker *w = p;
	struct iodma_cmd *cmd = iodma_cmd_create(w->dev, &bench_spec, 0,
						 GFP_KERNEL);
	void *va = kmalloc(SZ_64K, GFP_KERNEL);
	struct iodma_md *md = NULL;
	u64 sink = 0;
	struct buf b = { .dev = w->dev, .kind = KMALLOC, .size = SZ_64K };
	struct descs *d = kmalloc(sizeof(*d), GFP_KERNEL);

	if (IS_ERR(cmd)) {
		w->err = PTR_ERR(cmd);
		goto out;
	}
	w->err = -ENOMEM;
	if (!va || !d)
		goto out;
	b.va = va;
	md = iodma_md_from_kva(va, SZ_64K, DIR, GFP_KERNEL);
	w->err = PTR_ERR_OR_ZERO(md);
	if (!w->err)
		w->err = iodma_cmd_set_md(cmd, md, false);
	if (w->err)
		goto out;
	complete(&w->ready);
	wait_for_completion(w->go);
	while (!atomic_read(w->stop)) {
		/*
		 * Untimed: the clock is read around the run, not per cycle.
		 * An x86 guest under TCG soon marks its TSC unstable and
		 * reads the HPET, an MMIO exit that QEMU serves under its
		 * global lock, so four reads per cycle by two workers took
		 * turns: short cycles did not scale (6.12, 64 KiB direct:
		 * 0.86 timed, 2.02 untimed; swiotlb's long ones 1.80, 1.97).
		 */
		if (!(w->raw ? scaling_cycle_raw(&b, d, &sink) :
			       scaling_cycle_iodma(cmd, &sink))) {
			w->err = -EIO;
			break;
		}
		w->cycles++;
		cond_resched();
	}
out:
	/* ready is completed twice on success: harmless, it counts. */
	complete(&w->ready);
	if (!IS_ERR_OR_NULL(cmd))
		iodma_cmd_destroy(cmd);
	if (!IS_ERR_OR_NULL(md))
		iodma_md_put(md);
	kfree(va);
	kfree(d);
	w->sink = sink;
	complete(&w->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 100);
	return 0;
}

/* Cycles per second of @n workers (@raw: raw (best)); 0 after an error. */
static u64 run_threads(struct device *dev, unsigned int run, unsigned int n,
		       bool raw)
{
	struct task_struct *t[2] = {};
	struct worker w[2] = {};
	DECLARE_COMPLETION_ONSTACK(go);
	atomic_t stop = ATOMIC_INIT(0);
	u64 sum = 0, t0, t1;
	unsigned int i;
	const char *tag = raw ? "-raw" : "";
	bool bad = false;

	for (i = 0; i < n; i++) {
		w[i].dev = dev;
		w[i].raw = raw;
		w[i].go = &go;
		w[i].stop = &stop;
		init_completion(&w[i].ready);
		init_completion(&w[i].done);
		t[i] = kthread_create(worker_fn, &w[i], "iodma_bench/%u", i);
		if (IS_ERR(t[i])) {
			out("error scaling%s run %u threads %u: worker %u not created: %ld\n",
			    tag, run, n, i, PTR_ERR(t[i]));
			t[i] = NULL;
			bad = true;
			break;
		}
		kthread_bind(t[i], i % num_online_cpus());
		wake_up_process(t[i]);
	}
	for (i = 0; i < n && t[i]; i++) {
		if (!wait_for_completion_timeout(&w[i].ready, 30 * HZ)) {
			out("error scaling%s run %u threads %u: worker %u never started\n",
			    tag, run, n, i);
			bad = true;
		} else if (w[i].err) {
			out("error scaling%s run %u threads %u: worker %u setup failed: %d\n",
			    tag, run, n, i, w[i].err);
			bad = true;
		}
	}
	t0 = ktime_get_ns();
	complete_all(&go);
	if (!bad)
		msleep(scaling_ms);
	atomic_set(&stop, 1);
	t1 = ktime_get_ns();
	for (i = 0; i < n && t[i]; i++) {
		if (!wait_for_completion_timeout(&w[i].done, 30 * HZ)) {
			out("error scaling%s run %u threads %u: worker %u never finished\n",
			    tag, run, n, i);
			bad = true;
		}
		/* -EINTR: stopped before it ever ran (it then waits no more). */
		if (kthread_stop(t[i]) == -EINTR && !bad) {
			out("error scaling%s run %u threads %u: worker %u never ran\n",
			    tag, run, n, i);
			bad = true;
		}
		if (bad)
			continue;
		if (w[i].err) {
			out("error scaling%s run %u threads %u: worker %u failed: %d\n",
			    tag, run, n, i, w[i].err);
			bad = true;
		} else if (!w[i].cycles) {
			out("error scaling%s run %u threads %u: worker %u did no cycle in %u ms\n",
			    tag, run, n, i, scaling_ms);
			bad = true;
		}
		sum += w[i].cycles;
		WRITE_ONCE(bench_sink, bench_sink + w[i].sink);
	}
	return bad ? 0 : div64_u64(sum * NSEC_PER_SEC, t1 - t0);
}

static void bench_scaling(struct device *dev)
{
	unsigned int r, runs = min(scaling_runs, 16U);

	if (!runs)
		return;
	if (num_online_cpus() < 2) {
		out("error scaling: %u vCPU online, 2 needed\n",
		    num_online_cpus());
		return;
	}
	/* Pairs, so that a change of the host's load hits both figures. */
	for (r = 0; r < runs; r++) {
		u64 one = run_threads(dev, r, 1, false), two, raw1, raw2;

		if (!one)
			return;
		two = run_threads(dev, r, 2, false);
		if (!two)
			return;
		raw1 = run_threads(dev, r, 1, true);
		if (!raw1)
			return;
		raw2 = run_threads(dev, r, 2, true);
		if (!raw2)
			return;
		out("scaling %u %llu %llu\n", r, one, two);
		out("scaling-raw %u %llu %llu\n", r, raw1, raw2);
	}
}

/*
 * edu measured as its driver would use it: bound. A PCI device gets its
 * DMA configuration when a driver binds to it (pci_dma_configure()); on a
 * device-tree machine (arm64's virt) only then do the IOMMU, the DMA ops
 * and the host bridge's coherence reach it: an unbound edu there is a
 * non-coherent device outside the SMMU whatever the configuration. This
 * driver does nothing but bind; the benchmark runs at load time.
 */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

static int bench_edu_probe(struct pci_dev *pdev,
			   const struct pci_device_id *id)
{
	return 0;
}

static void bench_edu_remove(struct pci_dev *pdev)
{
}

static const struct pci_device_id bench_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{}
};

static struct pci_driver bench_edu_driver = {
	.name = "iodma_bench_edu",
	.id_table = bench_edu_ids,
	.probe = bench_edu_probe,
	.remove = bench_edu_remove,
};

static int __init bench_init(void)
{
	struct pci_dev *pdev = NULL;
	struct iodma_cmd *cmd = NULL;
	struct samples *s = NULL;
	bool registered = false;
	struct device *dev;
	unsigned int k, i;
	int err = -ENOMEM;

	results = kvzalloc(RESULTS_SIZE, GFP_KERNEL);
	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!results || !s)
		goto out;
	err = pci_register_driver(&bench_edu_driver);
	if (err)
		goto out;
	registered = true;
	err = -ENODEV;
	pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!pdev) {
		pr_err("iodma_bench: no QEMU edu device (-device edu)\n");
		goto out;
	}
	if (READ_ONCE(pdev->dev.driver) != &bench_edu_driver.driver) {
		pr_err("iodma_bench: edu is bound to another driver\n");
		goto out;
	}
	dev = &pdev->dev;
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	cmd = iodma_cmd_create(dev, &bench_spec, 0, GFP_KERNEL);
	err = PTR_ERR_OR_ZERO(cmd);
	if (err)
		goto out;
	out("cpus %u\n", num_online_cpus());
	if (windows) {
		bench_windows(dev, cmd);
		bench_subrange(cmd, s->v[0][0], s->v[1][0]);
		goto done;
	}
	bench_clock(s->v[0][0]);
	for (k = 0; k < NKINDS; k++)
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			bench_kind_size(dev, cmd, k, sizes[i], size_name[i], s,
					sizes[i] <= SZ_64K);
	bench_subrange(cmd, s->v[0][0], s->v[1][0]);
	bench_scaling(dev);
done:
	out("done\n");
	blob.data = results;
	blob.size = results_len;
	dir = debugfs_create_dir("iodma_bench", NULL);
	debugfs_create_blob("results", 0444, dir, &blob);
	err = 0;
out:
	if (!IS_ERR_OR_NULL(cmd))
		iodma_cmd_destroy(cmd);
	kvfree(s);
	pci_dev_put(pdev);
	if (err) {
		if (registered)
			pci_unregister_driver(&bench_edu_driver);
		kvfree(results);
	}
	return err;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(dir);
	pci_unregister_driver(&bench_edu_driver);
	kvfree(results);
}
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iodma against the raw DMA API");
MODULE_IMPORT_NS(IODMA);
