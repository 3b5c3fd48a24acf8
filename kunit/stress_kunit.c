// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: concurrency. One thread per CPU drives its own commands, and
 * commands sharing one descriptor, through prepare / gen_segments /
 * complete in mixed modes (mapped, non-coherent, iterate-only, forced copy
 * buffer) on random sub-ranges. Every cycle checks that emitted addresses
 * reach the right bytes (through the IOMMU, swiotlb or directly). A thread
 * of its own interleaves real edu DMA transfers, verified byte for byte.
 * Lockdep, DMA-API debug and KASAN watch; 100 000 cycles in smp4, in ten
 * rounds (cases) that each stay well inside KUnit's 300 s per case, unless
 * the runner asks for another number (iodma.stress_cycles=: the smp4 run
 * of a kernel line after the first, see scripts/lib/kernels.sh).
 *
 * What the summary line counts: "cycles" are worker cycles that ran to
 * the end (prepare, every segment, complete) without an error; "errors"
 * are calls that failed in a worker or in the edu thread, each ending its
 * cycle or transfer; "retries" are prepares that found memory short
 * (-ENOMEM), which end a cycle without counting it; "mismatches" are
 * checked bytes the device would not reach (a wrong byte or no
 * translation); "edu" is transfers verified / attempted to the end.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iodma.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_env.h"

#define BUF_LEN		(256 * 1024)
#define EDU_CHUNK	3000

struct stress {
	struct device *dev;
	struct iodma_md *shared;	/* one to-device md for everyone */
	u8 *shared_va;
	atomic_t cycles, mismatches, errors, retries, stop;
	atomic_t first_error;	/* the errno of the first error, for the log */
	atomic_t edu_ok, edu_bad, edu_done;
	unsigned int per_thread;
	unsigned int bits;	/* the engine's reach (the device's mask) */
};

static void count_error(struct stress *s, int err)
{
	atomic_inc(&s->errors);
	atomic_cmpxchg(&s->first_error, 0, err);
}

/* Whether the device reaches @want at @dma (a missing translation: no). */
static bool dev_byte_is(struct device *dev, u64 dma, u8 want)
{
	u8 v;

	return iodma_kunit_dev_rw(dev, dma, &v, 1, false) && v == want;
}

/* Walk the prepared [0, len) of @cmd, checking the bytes at @checks. */
static int stress_walk(struct stress *s, struct iodma_cmd *cmd, const u8 *va,
		       u64 len, const u64 *checks, unsigned int nchecks)
{
	struct iodma_seg64 segs[8];
	u64 pos = 0;
	int err;

	while (pos < len) {
		u32 n = ARRAY_SIZE(segs), i;
		u64 start = pos;

		err = iodma_cmd_gen_segments(cmd, &pos, segs, &n);
		if (err)
			return err;
		/* Every call moves on, or the walk would never end. */
		if (!n || pos <= start || pos > len)
			return -EPROTO;
		for (i = 0; i < n; i++) {
			unsigned int k;

			for (k = 0; k < nchecks; k++) {
				u64 c = checks[k];

				if (c < start || c >= start + segs[i].len)
					continue;
				if (!dev_byte_is(s->dev,
						 segs[i].addr + c - start,
						 va[c]))
					atomic_inc(&s->mismatches);
			}
			start += segs[i].len;
		}
		if (start != pos)	/* the segments cover what they claim */
			return -EPROTO;
	}
	return 0;
}

/*
 * One cycle: prepare a random sub-range, walk it, check 4 bytes, complete.
 * Returns 0 for a cycle that ran to the end; -ENOMEM when memory was short
 * (the prepare, or the copy buffer of a forced double buffering: a retry,
 * counted in s->retries); or the first error, counted in s->errors. Any
 * failure ends the cycle.
 */
static int stress_cycle(struct stress *s, struct iodma_cmd *cmd,
			const u8 *va, u32 rnd)
{
	u64 len = 1 + (rnd >> 8) % SZ_16K, off = rnd % (BUF_LEN - len);
	u64 checks[4];
	int i, err, done;

	for (i = 0; i < ARRAY_SIZE(checks); i++)
		checks[i] = get_random_u32_below(len);
	err = iodma_cmd_prepare(cmd, off, len, 0);
	if (!err) {
		if (rnd % 16 == 0)
			err = iodma_cmd_synchronize(cmd,
						    IODMA_SYNC_FORCE_DOUBLE_BUFFER |
						    IODMA_SYNC_FOR_DEVICE);
		if (!err)
			err = stress_walk(s, cmd, va + off, len, checks,
					  ARRAY_SIZE(checks));
		done = iodma_cmd_complete(cmd, 0);
		err = err ?: done;
	}
	if (err == -ENOMEM) {	/* swiotlb, IOVA or DMA zone short */
		atomic_inc(&s->retries);
		return err;
	}
	if (err) {
		count_error(s, err);
		return err;
	}
	atomic_inc(&s->cycles);
	return 0;
}

struct worker {
	struct stress *s;
	struct iodma_cmd *own, *shared;
	u8 *va;
	struct iodma_md *md;
	struct completion done;
	unsigned int done_cycles;
};

static int worker_fn(void *p)
{
	struct worker *w = p;
	unsigned int i;

	/*
	 * A -ENOMEM prepare (DMA zone or swiotlb short under load) is a
	 * retry, not a cycle: keep going until this thread's share is done,
	 * within a bound.
	 */
	for (i = 0; w->done_cycles < w->s->per_thread &&
	     i < 4 * w->s->per_thread && !atomic_read(&w->s->stop); i++) {
		u32 rnd = get_random_u32();
		int err;

		if (rnd & 0x10000)
			err = stress_cycle(w->s, w->shared, w->s->shared_va,
					   rnd);
		else
			err = stress_cycle(w->s, w->own, w->va, rnd);
		if (err != -ENOMEM)
			w->done_cycles++;
		cond_resched();
	}
	complete(&w->done);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

/* edu registers: DMA source, destination, count, command (and status). */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	1
#define EDU_CMD_TO_RAM	2
#define EDU_BUF		0x40000	/* the engine's 4 KiB buffer */

/*
 * One DMA of the engine, waited for (it completes from a 100 ms timer):
 * 0, or -ETIMEDOUT when it has not finished within 10 s.
 */
static int edu_dma(void __iomem *bar, u64 src, u64 dst, u64 len, bool to_ram)
{
	unsigned int waited;

	writeq(src, bar + EDU_DMA_SRC);
	writeq(dst, bar + EDU_DMA_DST);
	writeq(len, bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0),
	       bar + EDU_DMA_CMD);
	for (waited = 0; readq(bar + EDU_DMA_CMD) & EDU_CMD_START; waited++) {
		if (waited >= 5000)
			return -ETIMEDOUT;
		usleep_range(2000, 4000);
	}
	return 0;
}

/* The next segment of @cmd into @seg, when the current one is used up. */
static int edu_next(struct iodma_cmd *cmd, u64 *off, struct iodma_seg64 *seg)
{
	u64 before = *off;
	u32 n = 1;
	int err;

	if (seg->len)
		return 0;
	err = iodma_cmd_gen_segments(cmd, off, seg, &n);
	if (err)
		return err;
	/* Each call must move on: a stuck walk would loop for ever. */
	if (n != 1 || !seg->len || *off != before + seg->len)
		return -EPROTO;
	return 0;
}

/*
 * One transfer of @len bytes, src -> engine -> dst, in pieces within one
 * segment of each side (their segments need not line up). Returns 0, or
 * the first error; both commands are completed either way.
 */
static int edu_transfer(void __iomem *bar, struct iodma_cmd *cs,
			struct iodma_cmd *cd, u64 len)
{
	struct iodma_seg64 a = {}, b = {};
	u64 oa = 0, ob = 0, moved = 0;
	int err, ec, es;

	err = iodma_cmd_prepare(cs, 0, len, 0);
	if (err)
		return err;
	err = iodma_cmd_prepare(cd, 0, len, 0);
	if (err) {
		iodma_cmd_complete(cs, 0);
		return err;
	}
	while (!err && moved < len) {
		u64 n;

		err = edu_next(cs, &oa, &a) ?: edu_next(cd, &ob, &b);
		if (err)
			break;
		n = min3(a.len, b.len, len - moved);
		err = edu_dma(bar, a.addr, EDU_BUF, n, false) ?:
		      edu_dma(bar, EDU_BUF, b.addr, n, true);
		a.addr += n;
		a.len -= n;
		b.addr += n;
		b.len -= n;
		moved += n;
	}
	/* Both walks end exactly at the prepared length. */
	if (!err && (a.len || b.len || oa != len || ob != len))
		err = -EPROTO;
	ec = iodma_cmd_complete(cd, 0);
	es = iodma_cmd_complete(cs, 0);
	return err ?: ec ?: es;
}

/*
 * Real DMA through the edu engine: buffer -> engine -> buffer, compared
 * byte for byte. Every error is counted and ends its transfer; a prepare
 * that finds memory short is a retry; an engine that stops answering, a
 * setup that fails or a hundred errors end the thread (counted too).
 */
static int edu_fn(void *p)
{
	struct stress *s = p;
	struct pci_dev *pdev = to_pci_dev(s->dev);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .address_bits = s->bits,
				   .max_segment_size = 4095 };
	void __iomem *bar = pci_iomap(pdev, 0, 0);
	u8 *src = kmalloc(EDU_CHUNK, GFP_KERNEL);
	u8 *dst = kmalloc(EDU_CHUNK, GFP_KERNEL);
	struct iodma_cmd *cs = iodma_cmd_create(s->dev, &spec, 0, GFP_KERNEL);
	struct iodma_cmd *cd = iodma_cmd_clone(cs, GFP_KERNEL);
	struct iodma_md *ms = NULL, *md = NULL;
	unsigned int i, failed = 0;

	if (!bar || !src || !dst || IS_ERR(cs) || IS_ERR(cd)) {
		count_error(s, -ENOMEM);
		goto out;
	}
	ms = iodma_md_from_kva(src, EDU_CHUNK, DMA_TO_DEVICE, GFP_KERNEL);
	md = iodma_md_from_kva(dst, EDU_CHUNK, DMA_FROM_DEVICE, GFP_KERNEL);
	if (IS_ERR(ms) || IS_ERR(md) || iodma_cmd_set_md(cs, ms, false) ||
	    iodma_cmd_set_md(cd, md, false)) {
		count_error(s, -EINVAL);
		goto out;
	}
	while (!atomic_read(&s->stop)) {
		u32 len = 1 + get_random_u32_below(EDU_CHUNK);
		int err;

		for (i = 0; i < len; i++)
			src[i] = get_random_u8();
		memset(dst, 0, len);
		err = edu_transfer(bar, cs, cd, len);
		if (err == -ENOMEM) {	/* the copy buffer's zone is short */
			atomic_inc(&s->retries);
			msleep(20);
			continue;
		}
		if (err) {
			count_error(s, err);
			/* A stuck engine, or failing for good: stop here. */
			if (err == -ETIMEDOUT || ++failed >= 100)
				break;
			continue;
		}
		if (memcmp(src, dst, len))
			atomic_inc(&s->edu_bad);
		else
			atomic_inc(&s->edu_ok);
	}
out:
	if (!IS_ERR_OR_NULL(cs))
		iodma_cmd_destroy(cs);
	if (!IS_ERR_OR_NULL(cd))
		iodma_cmd_destroy(cd);
	if (!IS_ERR_OR_NULL(ms))
		iodma_md_put(ms);
	if (!IS_ERR_OR_NULL(md))
		iodma_md_put(md);
	kfree(src);
	kfree(dst);
	if (bar)
		pci_iounmap(pdev, bar);
	atomic_set(&s->edu_done, 1);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static void restore_mask(void *dev)
{
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
}

static void free_buf(void *va)
{
	free_pages((unsigned long)va, get_order(BUF_LEN));
}

/*
 * A buffer the engine reaches without a bounce (the DMA zone), for every
 * descriptor an ITERATE_ONLY command walks: iterate-only never bounces or
 * copies, so memory above the engine's reach is an error there by
 * contract, not a finding. Behind an IOMMU every buffer is within reach
 * (its IOVA is allocated under the mask), wherever it lies: on arm64's
 * virt no memory lies below 2^28 at all. The other workers' buffers lie
 * wherever the allocator puts them, above it too (then through a bounce
 * or the copy buffer).
 */
static u8 *reachable_buf(struct kunit *test, unsigned int bits)
{
	u8 *va = (u8 *)__get_free_pages(GFP_KERNEL | GFP_DMA,
					get_order(BUF_LEN));

	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, free_buf, va));
	if (!iodma_kunit_expect_translated())
		KUNIT_ASSERT_LT(test, (u64)virt_to_phys(va) + BUF_LEN - 1,
				1ULL << bits);
	return va;
}

/*
 * The run is split into STRESS_ROUNDS cases of a tenth each: KUnit gives a
 * case 300 s on every kernel, and 100 000 cycles on four vCPUs under TCG
 * took 700 s on 6.1 on a quiet 2-core machine with a host thread per vCPU
 * (1400 s under load; about 110 s now that they take turns on one). The
 * rounds add their figures up; the last one prints the run's line.
 */
#define STRESS_ROUNDS	10

static struct {
	int cycles, mismatches, edu_ok, edu_all, errors, retries, rounds;
	s64 ms;
} totals;

static const void *stress_gen(const void *prev, char *desc)
{
	static const unsigned int rounds[STRESS_ROUNDS] = { 1, 2, 3, 4, 5,
							    6, 7, 8, 9, 10 };
	const unsigned int *r = prev ? (const unsigned int *)prev + 1 : rounds;

	if (r >= rounds + STRESS_ROUNDS)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "round_%u", *r);
	return r;
}

static void stress_test(struct kunit *test)
{
	unsigned int round = *(const unsigned int *)test->param_value;
	bool big = !strcmp(iodma_kunit_config(), "smp4");
	unsigned int nt = min(num_online_cpus(), 4U), i, started;
	struct stress *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct worker *w = kunit_kcalloc(test, nt, sizeof(*w), GFP_KERNEL);
	struct task_struct **t = kunit_kcalloc(test, nt, sizeof(*t), GFP_KERNEL);
	static const u32 modes[] = { IODMA_MAPPED, IODMA_NONCOHERENT,
				     IODMA_ITERATE_ONLY };
	unsigned int min_edu = big ? 20 : 1, waited = 0;
	/* The runner may ask for fewer (a second kernel line's smp4). */
	unsigned int target = iodma_kunit_stress_cycles() ?: big ? 101000 : 4000;
	struct task_struct *edu;
	ktime_t start;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, t);
	s->dev = iodma_kunit_edu_dev(test);
	/*
	 * The edu engine reaches 28 bits (or the narrowest mask the platform
	 * gives: 32 on arm64's virt); everyone maps within them.
	 */
	err = pci_enable_device(to_pci_dev(s->dev));
	KUNIT_ASSERT_EQ(test, 0, err);
	pci_set_master(to_pci_dev(s->dev));
	err = kunit_add_action_or_reset(test, restore_mask, s->dev);
	KUNIT_ASSERT_EQ(test, 0, err);
	s->bits = iodma_kunit_narrow_mask(test, s->dev, 28);
	KUNIT_ASSERT_GT(test, s->bits, 0U);
	if (round == 1)
		memset(&totals, 0, sizeof(totals));
	s->per_thread = target / STRESS_ROUNDS / nt + 1;
	s->shared_va = reachable_buf(test, s->bits);
	get_random_bytes(s->shared_va, BUF_LEN);
	s->shared = iodma_md_from_kva(s->shared_va, BUF_LEN, DMA_TO_DEVICE,
				      GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s->shared);
	err = kunit_add_action_or_reset(test, iodma_kunit_md_put, s->shared);
	KUNIT_ASSERT_EQ(test, 0, err);
	for (i = 0; i < nt; i++) {
		struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
					   .mapping = modes[i % 3] };

		w[i].s = s;
		init_completion(&w[i].done);
		if (spec.mapping & IODMA_ITERATE_ONLY)
			w[i].va = reachable_buf(test, s->bits);
		else
			w[i].va = kunit_kmalloc(test, BUF_LEN, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, w[i].va);
		get_random_bytes(w[i].va, BUF_LEN);
		w[i].md = iodma_md_from_kva(w[i].va, BUF_LEN, DMA_BIDIRECTIONAL,
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w[i].md);
		err = kunit_add_action_or_reset(test, iodma_kunit_md_put,
						w[i].md);
		KUNIT_ASSERT_EQ(test, 0, err);
		/* KUnit's to destroy, before the descriptors and buffers. */
		w[i].own = iodma_kunit_cmd(test, s->dev, &spec);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w[i].own);
		w[i].shared = iodma_cmd_clone(w[i].own, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w[i].shared);
		err = kunit_add_action_or_reset(test, iodma_kunit_cmd_destroy,
						w[i].shared);
		KUNIT_ASSERT_EQ(test, 0, err);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(w[i].own, w[i].md,
							  false));
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(w[i].shared,
							  s->shared, false));
	}
	start = ktime_get();
	edu = kthread_run(edu_fn, s, "iodma_stress_edu");
	KUNIT_ASSERT_FALSE(test, IS_ERR(edu));
	/*
	 * No assertion while threads run on the test's memory: a worker that
	 * does not start stops the start, the rest finish, then it counts.
	 */
	for (started = 0; started < nt; started++) {
		t[started] = kthread_run(worker_fn, &w[started],
					 "iodma_stress/%u", started);
		if (IS_ERR(t[started]))
			break;
	}
	for (i = 0; i < started; i++) {
		wait_for_completion(&w[i].done);
		kthread_stop(t[i]);
	}
	/* Let the engine finish its share (0.2 s a transfer), bounded. */
	while (atomic_read(&s->edu_ok) + atomic_read(&s->edu_bad) < min_edu &&
	       !atomic_read(&s->edu_done) && waited++ < 1200)
		msleep(100);
	atomic_set(&s->stop, 1);
	kthread_stop(edu);
	pci_clear_master(to_pci_dev(s->dev));
	pci_disable_device(to_pci_dev(s->dev));
	KUNIT_EXPECT_EQ_MSG(test, started, nt, "workers started");
	KUNIT_EXPECT_EQ(test, atomic_read(&s->mismatches), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->errors), 0, "first error %d",
			    atomic_read(&s->first_error));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->edu_bad), 0);
	KUNIT_EXPECT_GE(test, (unsigned int)atomic_read(&s->edu_ok), min_edu);
	totals.cycles += atomic_read(&s->cycles);
	totals.mismatches += atomic_read(&s->mismatches);
	totals.edu_ok += atomic_read(&s->edu_ok);
	totals.edu_all += atomic_read(&s->edu_ok) + atomic_read(&s->edu_bad);
	totals.errors += atomic_read(&s->errors);
	totals.retries += atomic_read(&s->retries);
	totals.ms += ktime_ms_delta(ktime_get(), start);
	totals.rounds++;
	kunit_info(test, "round %u: cycles=%d edu=%d errors=%d ms=%lld\n", round,
		   atomic_read(&s->cycles), atomic_read(&s->edu_ok),
		   atomic_read(&s->errors), ktime_ms_delta(ktime_get(), start));
	if (round < STRESS_ROUNDS)
		return;
	/* Every round ran to here: none was cut short by a failed assertion. */
	KUNIT_EXPECT_EQ(test, totals.rounds, STRESS_ROUNDS);
	KUNIT_EXPECT_GE(test, totals.cycles, target);
	kunit_info(test, "stress cycles=%d mismatches=%d edu=%d/%d errors=%d retries=%d threads=%u ms=%lld\n",
		   totals.cycles, totals.mismatches, totals.edu_ok,
		   totals.edu_all, totals.errors, totals.retries, nt, totals.ms);
}

static struct kunit_case iodma_stress_cases[] = {
	KUNIT_CASE_PARAM_SLOW(stress_test, stress_gen),
	{}
};

static struct kunit_suite iodma_stress_suite = {
	.name = "iodma_stress",
	.test_cases = iodma_stress_cases,
};

kunit_test_suites(&iodma_stress_suite);
