// SPDX-License-Identifier: GPL-2.0
/*
 * iodma_cache: the CPU cache maintenance iodma has the DMA layer do for a
 * device, observed where it happens. QEMU models no cache, so comparing
 * data cannot show it; instead kprobes on the architecture's
 * arch_sync_dma_for_device() and arch_sync_dma_for_cpu(), which receive the
 * physical range they clean or invalidate, record every call the test's
 * own task makes. Each case compares the union of the recorded ranges with
 * the physical memory the device sees behind the command's segments
 * (through the IOMMU, a swiotlb slot or directly: iodma_kunit_dev_phys(),
 * never iodma): equal on a non-coherent device, empty on a coherent one.
 *
 * Built where the kernel has those hooks and kprobes (Kbuild); run in
 * every configuration of such an architecture. Which configurations are
 * non-coherent the runner says on the kernel command line
 * (iodma.coherent=), and the first case checks the device agrees.
 */
#include <kunit/test.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iodma.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "../kunit_env.h"

#define LOG_MAX 512
#define RANGES_MAX 64
#define NPAGES 3

struct cache_op {
	phys_addr_t phys;
	size_t size;
	bool for_cpu;
};

/*
 * Written only by the kprobe handlers running in @task, and read by that
 * task between the operations it records: no lock needed.
 */
static struct {
	struct task_struct *task;
	unsigned int n;
	bool overflow;
	struct cache_op op[LOG_MAX];
} cache_log;

static int cache_hit(struct pt_regs *regs, bool for_cpu)
{
	struct cache_op *o;

	if (READ_ONCE(cache_log.task) != current)
		return 0;
	if (cache_log.n == LOG_MAX) {
		cache_log.overflow = true;
		return 0;
	}
	o = &cache_log.op[cache_log.n++];
	o->phys = regs_get_kernel_argument(regs, 0);
	o->size = regs_get_kernel_argument(regs, 1);
	o->for_cpu = for_cpu;
	return 0;
}

static int hit_for_device(struct kprobe *p, struct pt_regs *regs)
{
	return cache_hit(regs, false);
}

static int hit_for_cpu(struct kprobe *p, struct pt_regs *regs)
{
	return cache_hit(regs, true);
}

static struct kprobe probe_dev = {
	.symbol_name = "arch_sync_dma_for_device",
	.pre_handler = hit_for_device,
};

static struct kprobe probe_cpu = {
	.symbol_name = "arch_sync_dma_for_cpu",
	.pre_handler = hit_for_cpu,
};

/* A set of physical ranges, kept sorted and merged by ranges_norm(). */
struct ranges {
	unsigned int n;
	bool overflow;
	struct {
		phys_addr_t start, end;
	} r[RANGES_MAX];
};

static void ranges_add(struct ranges *rs, phys_addr_t start, u64 len)
{
	if (!len)
		return;
	if (rs->n && rs->r[rs->n - 1].end == start) {
		rs->r[rs->n - 1].end += len;
		return;
	}
	if (rs->n == RANGES_MAX) {
		rs->overflow = true;
		return;
	}
	rs->r[rs->n].start = start;
	rs->r[rs->n].end = start + len;
	rs->n++;
}

static int range_cmp(const void *a, const void *b)
{
	const phys_addr_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static void ranges_norm(struct ranges *rs)
{
	unsigned int i, k = 0;

	sort(rs->r, rs->n, sizeof(rs->r[0]), range_cmp, NULL);
	for (i = 0; i < rs->n; i++) {
		if (k && rs->r[i].start <= rs->r[k - 1].end) {
			rs->r[k - 1].end = max(rs->r[k - 1].end, rs->r[i].end);
			continue;
		}
		rs->r[k++] = rs->r[i];
	}
	rs->n = k;
}

static void expect_ranges(struct kunit *test, const char *what,
			  struct ranges *got, struct ranges *want)
{
	unsigned int i;

	ranges_norm(got);
	ranges_norm(want);
	KUNIT_ASSERT_FALSE(test, got->overflow || want->overflow);
	KUNIT_EXPECT_EQ_MSG(test, got->n, want->n, "%s: number of ranges", what);
	for (i = 0; i < min(got->n, want->n); i++) {
		KUNIT_EXPECT_EQ_MSG(test, got->r[i].start, want->r[i].start,
				    "%s: range %u start", what, i);
		KUNIT_EXPECT_EQ_MSG(test, got->r[i].end, want->r[i].end,
				    "%s: range %u end", what, i);
	}
}

struct cache_ctx {
	struct device *dev;
	bool coherent;
	struct page *pages[2 * NPAGES];
	struct page *md_pages[NPAGES];
	struct iodma_md *md;
	struct iodma_cmd *cmd;
	u64 len;
	unsigned int nseg;
	struct iodma_seg64 seg[64];
	/* Maintained for the CPU, for the device, expected, none. */
	struct ranges r_cpu, r_dev, r_want, r_none;
};

static void log_start(void)
{
	cache_log.n = 0;
	cache_log.overflow = false;
	WRITE_ONCE(cache_log.task, current);
}

/* Stop recording; the ranges maintained for the CPU and for the device. */
static void log_stop(struct kunit *test, struct ranges *cpu,
		     struct ranges *dev)
{
	unsigned int i;

	WRITE_ONCE(cache_log.task, NULL);
	KUNIT_ASSERT_FALSE(test, cache_log.overflow);
	memset(cpu, 0, sizeof(*cpu));
	memset(dev, 0, sizeof(*dev));
	for (i = 0; i < cache_log.n; i++)
		ranges_add(cache_log.op[i].for_cpu ? cpu : dev,
			   cache_log.op[i].phys, cache_log.op[i].size);
}

/*
 * The physical memory the device reaches behind prepared [off, off + len):
 * each segment translated page by page, independently of iodma. Empty on
 * a coherent device, which needs no maintenance.
 */
static void device_ranges(struct kunit *test, struct cache_ctx *c, u64 off,
			  u64 len, struct ranges *out)
{
	unsigned int i;
	u64 pos = 0;

	memset(out, 0, sizeof(*out));
	if (c->coherent)
		return;
	for (i = 0; i < c->nseg && len; i++) {
		u64 s = c->seg[i].len, skip, dma, n;

		if (off >= pos + s) {
			pos += s;
			continue;
		}
		skip = off > pos ? off - pos : 0;
		dma = c->seg[i].addr + skip;
		n = min(s - skip, len);
		off += n;
		len -= n;
		pos += s;
		while (n) {
			phys_addr_t phys = iodma_kunit_dev_phys(c->dev, dma);
			u64 k = min_t(u64, n, PAGE_SIZE - offset_in_page(dma));

			KUNIT_ASSERT_NE_MSG(test, phys, (phys_addr_t)0,
					    "no translation for %llx", dma);
			ranges_add(out, phys, k);
			dma += k;
			n -= k;
		}
	}
	KUNIT_ASSERT_EQ(test, len, 0);
}

struct cache_param {
	enum dma_data_direction dir;
	u32 mapping;
	const char *name;
};

static const struct cache_param cache_params[] = {
	{ DMA_TO_DEVICE, IODMA_MAPPED, "to-device mapped" },
	{ DMA_FROM_DEVICE, IODMA_MAPPED, "from-device mapped" },
	{ DMA_BIDIRECTIONAL, IODMA_MAPPED, "bidirectional mapped" },
	{ DMA_TO_DEVICE, IODMA_NONCOHERENT, "to-device noncoherent" },
	{ DMA_FROM_DEVICE, IODMA_NONCOHERENT, "from-device noncoherent" },
	{ DMA_BIDIRECTIONAL, IODMA_NONCOHERENT, "bidirectional noncoherent" },
};

static void cache_param_desc(const struct cache_param *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cache, cache_params, cache_param_desc);

static void cache_ctx_free(void *data)
{
	struct cache_ctx *c = data;
	unsigned int i;

	WRITE_ONCE(cache_log.task, NULL);
	if (!IS_ERR_OR_NULL(c->cmd))
		iodma_cmd_destroy(c->cmd);
	if (!IS_ERR_OR_NULL(c->md))
		iodma_md_put(c->md);
	for (i = 0; i < ARRAY_SIZE(c->pages); i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
}

/*
 * A command over NPAGES pages that are not neighbours in physical memory
 * (every other one of 2 * NPAGES), starting 100 bytes into the first and
 * ending 200 bytes before the end of the last: a direct mapping has one
 * segment per page, an IOMMU merges them into one IOVA range.
 */
static struct cache_ctx *cache_setup(struct kunit *test)
{
	const struct cache_param *p = test->param_value;
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .mapping = p->mapping };
	struct cache_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, cache_ctx_free, c));
	c->dev = iodma_kunit_edu_dev(test);
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(c->dev, DMA_BIT_MASK(32)));
	c->coherent = dev_is_dma_coherent(c->dev);
	for (i = 0; i < ARRAY_SIZE(c->pages); i++) {
		c->pages[i] = alloc_page(GFP_KERNEL | GFP_DMA32);
		KUNIT_ASSERT_NOT_NULL(test, c->pages[i]);
	}
	for (i = 0; i < NPAGES; i++)
		c->md_pages[i] = c->pages[2 * i];
	for (i = 1; i < NPAGES; i++)
		KUNIT_ASSERT_NE(test, page_to_phys(c->md_pages[i]),
				page_to_phys(c->md_pages[i - 1]) + PAGE_SIZE);
	c->len = NPAGES * PAGE_SIZE - 300;
	c->md = iodma_md_from_pages(c->md_pages, NPAGES, 100, c->len, p->dir,
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->md);
	c->cmd = iodma_cmd_create(c->dev, &spec, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->cmd);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(c->cmd, c->md, false));
	return c;
}

/* Prepare, then every segment of it (for device_ranges()). */
static void cache_prepare(struct kunit *test, struct cache_ctx *c)
{
	u64 off = 0;

	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(c->cmd, 0, 0, 0));
	c->nseg = 0;
	while (off < c->len) {
		u32 count = ARRAY_SIZE(c->seg) - c->nseg;

		KUNIT_ASSERT_GT(test, count, 0U);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_gen_segments(c->cmd, &off,
								&c->seg[c->nseg], &count));
		c->nseg += count;
	}
}

/* The device is as coherent as the configuration says it is. */
static void cache_platform_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	int want = iodma_kunit_expect_coherent();

	KUNIT_ASSERT_GE_MSG(test, want, 0, "the runner did not pass iodma.coherent=");
	KUNIT_EXPECT_EQ(test, dev_is_dma_coherent(dev), (bool)want);
}

/*
 * prepare cleans exactly the memory the device sees, and dma_need_sync()
 * agrees that the device's addresses need maintenance; complete
 * invalidates exactly that memory.
 */
static void cache_prepare_complete_test(struct kunit *test)
{
	struct cache_ctx *c = cache_setup(test);
	struct ranges *cpu = &c->r_cpu, *dev = &c->r_dev, *want = &c->r_want;
	struct ranges *none = &c->r_none;

	unsigned int i;

	log_start();
	cache_prepare(test, c);
	log_stop(test, cpu, dev);
	/*
	 * The DMA layer's own answer: maintenance is due exactly then. Behind
	 * an IOMMU it answers yes for a coherent device too whenever DMA-API
	 * debug is on (__dma_need_sync() knows only dma-direct's addresses),
	 * so there only a non-coherent device's yes is checked; the recorded
	 * ranges show that nothing is maintained on a coherent one.
	 */
	for (i = 0; i < c->nseg; i++) {
		if (c->coherent && iodma_kunit_expect_translated())
			break;
		KUNIT_EXPECT_EQ_MSG(test, dma_need_sync(c->dev, c->seg[i].addr),
				    !c->coherent, "segment %u", i);
	}
	device_ranges(test, c, 0, c->len, want);
	expect_ranges(test, "prepare, for the device", dev, want);
	expect_ranges(test, "prepare, for the CPU", cpu, none);

	log_start();
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(c->cmd, 0));
	log_stop(test, cpu, dev);
	expect_ranges(test, "complete, for the CPU", cpu, want);
	expect_ranges(test, "complete, for the device", dev, none);
}

/* synchronize, whole and ranges crossing the pages, both ways. */
static void cache_synchronize_test(struct kunit *test)
{
	static const struct { u64 off, len; } sub[] = {
		{ 0, 0 },			/* whole: synchronize() */
		{ 0, 50 },
		{ 10, 2 * 4096 },
		{ 4096 - 120, 200 },		/* across a page on 4 KiB pages */
	};
	struct cache_ctx *c = cache_setup(test);
	struct ranges *cpu = &c->r_cpu, *dev = &c->r_dev, *want = &c->r_want;
	struct ranges *none = &c->r_none;
	unsigned int i, w;

	cache_prepare(test, c);
	for (i = 0; i < ARRAY_SIZE(sub); i++) {
		/* On 64 KiB pages, cross one as well: scale the offsets. */
		u64 off = sub[i].off * (PAGE_SIZE / 4096);
		u64 len = sub[i].len ? min(sub[i].len, c->len - off) : c->len;

		for (w = 0; w < 2; w++) {
			unsigned int opt = w ? IODMA_SYNC_FOR_DEVICE : IODMA_SYNC_FOR_CPU;

			log_start();
			if (sub[i].len)
				KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize_range(c->cmd, off,
										     len, opt));
			else
				KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize(c->cmd, opt));
			log_stop(test, cpu, dev);
			device_ranges(test, c, off, len, want);
			kunit_info(test, "[%llu, +%llu) for the %s", off, len,
				   w ? "device" : "CPU");
			expect_ranges(test, "maintained", w ? dev : cpu, want);
			expect_ranges(test, "the other way", w ? cpu : dev, none);
		}
	}
	KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(c->cmd, 0));
}

/*
 * read_bytes and write_bytes make the CPU's view agree with the device's
 * before they copy, and hand the bytes back to the device after: exactly
 * the range they touch, both ways (or nothing, where write_bytes refuses).
 */
static void cache_bytes_test(struct kunit *test)
{
	struct cache_ctx *c = cache_setup(test);
	u64 off = PAGE_SIZE - 64, len = 300;
	struct ranges *cpu = &c->r_cpu, *dev = &c->r_dev, *want = &c->r_want;
	struct ranges *none = &c->r_none;
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	cache_prepare(test, c);
	device_ranges(test, c, off, len, want);

	log_start();
	n = iodma_cmd_read_bytes(c->cmd, off, buf, len);
	log_stop(test, cpu, dev);
	KUNIT_EXPECT_EQ(test, n, (size_t)len);
	expect_ranges(test, "read_bytes, for the CPU", cpu, want);
	expect_ranges(test, "read_bytes, for the device", dev, want);

	log_start();
	n = iodma_cmd_write_bytes(c->cmd, off, buf, len);
	log_stop(test, cpu, dev);
	if (!n) {
		/* Refused (a bounce the device reads is out of reach). */
		expect_ranges(test, "refused write_bytes, for the CPU", cpu, none);
		expect_ranges(test, "refused write_bytes, for the device", dev, none);
	} else {
		KUNIT_EXPECT_EQ(test, n, (size_t)len);
		expect_ranges(test, "write_bytes, for the CPU", cpu, want);
		expect_ranges(test, "write_bytes, for the device", dev, want);
	}
	KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(c->cmd, 0));
}

static int cache_suite_init(struct kunit_suite *suite)
{
	int err = register_kprobe(&probe_dev);

	if (err)
		return err;
	err = register_kprobe(&probe_cpu);
	if (err)
		unregister_kprobe(&probe_dev);
	return err;
}

static void cache_suite_exit(struct kunit_suite *suite)
{
	unregister_kprobe(&probe_cpu);
	unregister_kprobe(&probe_dev);
}

static struct kunit_case cache_cases[] = {
	KUNIT_CASE(cache_platform_test),
	KUNIT_CASE_PARAM(cache_prepare_complete_test, cache_gen_params),
	KUNIT_CASE_PARAM(cache_synchronize_test, cache_gen_params),
	KUNIT_CASE_PARAM(cache_bytes_test, cache_gen_params),
	{}
};

static struct kunit_suite cache_suite = {
	.name = "iodma_cache",
	.suite_init = cache_suite_init,
	.suite_exit = cache_suite_exit,
	.test_cases = cache_cases,
};

kunit_test_suites(&cache_suite);
