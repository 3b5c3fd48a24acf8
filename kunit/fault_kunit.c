// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: fault injection. For each descriptor kind and mode, count the
 * fallible platform calls (allocation, pin, mapping, copy-buffer block) of
 * the prepare, synchronize(FORCE_DOUBLE_BUFFER), complete and
 * reserve_copy_buffer paths, then fail each one in turn on a fresh
 * command: the call returns the
 * documented error and the command is as before. Nothing is left behind:
 * iodma's live counts of mappings, copy-buffer blocks and pinned pages are
 * as before the failed call, and its allocations once the command is
 * destroyed (a command may keep its reusable working memory); no user
 * page stays pinned (checked independently of iodma). DMA-API debug and
 * kmemleak check the rest after the suite.
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/iodma.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kunit_env.h"

#define LEN (5 * PAGE_SIZE + 300)

enum fkind { F_KMALLOC, F_VMALLOC, F_USER, F_SGTABLE, F_PAGES, F_PHYS, F_NR };
static const char *const fkind_names[] = { "kmalloc", "vmalloc", "user",
					   "sgtable", "pages", "phys" };

struct fault_case {
	enum fkind kind;
	bool copy;	/* a narrow engine (24 bits): the copy-buffer path */
	char name[32];
};

static struct fault_case fault_cases[F_NR * 2];

static const void *fault_gen(const void *prev, char *desc)
{
	const struct fault_case *c = prev ? (const struct fault_case *)prev + 1
					  : fault_cases;
	unsigned int i;

	if (!prev) {
		for (i = 0; i < ARRAY_SIZE(fault_cases); i++) {
			fault_cases[i].kind = i / 2;
			fault_cases[i].copy = i % 2;
			snprintf(fault_cases[i].name, sizeof(fault_cases[i].name),
				 "%s_%s", fkind_names[i / 2],
				 i % 2 ? "copy" : "mapped");
		}
	}
	if (c >= fault_cases + ARRAY_SIZE(fault_cases))
		return NULL;
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
	return c;
}

struct fbuf {
	enum fkind kind;
	void *va;
	unsigned long uaddr;
	struct page *pages[6];
	struct sg_table sgt;
};

static void fbuf_free(void *p)
{
	struct fbuf *b = p;
	unsigned int i;

	if (b->kind == F_SGTABLE)
		sg_free_table(&b->sgt);
	if (b->kind == F_KMALLOC || b->kind == F_PHYS)
		kfree(b->va);
	else if (b->kind == F_VMALLOC)
		vfree(b->va);
	for (i = 0; i < ARRAY_SIZE(b->pages); i++)
		if (b->pages[i] && (b->kind == F_SGTABLE || b->kind == F_PAGES))
			__free_page(b->pages[i]);
	iodma_test_fault(false, -1);
}

static struct fbuf *fbuf_make(struct kunit *test, enum fkind kind)
{
	struct fbuf *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->kind = kind;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fbuf_free, b));
	switch (kind) {
	case F_KMALLOC:
	case F_PHYS:
		b->va = kmalloc(LEN, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, b->va);
		break;
	case F_VMALLOC:
		b->va = vmalloc(LEN);
		KUNIT_ASSERT_NOT_NULL(test, b->va);
		break;
	case F_USER:
		b->uaddr = iodma_kunit_vm_mmap(test, NULL, 0, LEN,
					       PROT_READ | PROT_WRITE,
					       MAP_ANONYMOUS | MAP_PRIVATE, 0);
		KUNIT_ASSERT_NE(test, b->uaddr, 0UL);
		/* Touch every page so that pinning is the only thing to do. */
		for (i = 0; i < ARRAY_SIZE(b->pages); i++)
			KUNIT_ASSERT_EQ(test, 0,
					put_user(1, (u8 __user *)b->uaddr +
						 i * PAGE_SIZE));
		break;
	case F_PAGES:
	case F_SGTABLE:
		for (i = 0; i < ARRAY_SIZE(b->pages); i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, b->pages[i]);
		}
		if (kind == F_PAGES)
			break;
		i = sg_alloc_table_from_pages(&b->sgt, b->pages,
					      ARRAY_SIZE(b->pages), 0, LEN,
					      GFP_KERNEL);
		KUNIT_ASSERT_EQ(test, 0U, i);
		break;
	default:
		break;
	}
	return b;
}

static struct iodma_md *fbuf_md(struct fbuf *b)
{
	switch (b->kind) {
	case F_USER:
		return iodma_md_from_user(b->uaddr, LEN, DMA_BIDIRECTIONAL,
					  GFP_KERNEL);
	case F_SGTABLE:
		return iodma_md_from_sgtable(&b->sgt, DMA_BIDIRECTIONAL,
					     GFP_KERNEL);
	case F_PAGES:
		return iodma_md_from_pages(b->pages, ARRAY_SIZE(b->pages), 0,
					   LEN, DMA_BIDIRECTIONAL, GFP_KERNEL);
	case F_PHYS:
		return iodma_md_from_phys(virt_to_phys(b->va), LEN,
					  DMA_BIDIRECTIONAL, GFP_KERNEL);
	default:
		return iodma_md_from_kva(b->va, LEN, DMA_BIDIRECTIONAL,
					 GFP_KERNEL);
	}
}

/* User pages still pinned (FOLL_PIN) after a failed or finished call. */
static unsigned int pinned_user_pages(struct fbuf *b)
{
	struct page *pg[6];
	unsigned int i, n = 0;
	int got;

	if (b->kind != F_USER)
		return 0;
	got = get_user_pages_fast(b->uaddr, ARRAY_SIZE(pg), 0, pg);
	for (i = 0; i < max(got, 0); i++) {
		n += folio_maybe_dma_pinned(page_folio(pg[i]));
		put_page(pg[i]);
	}
	return n;
}

/*
 * A command the test destroys itself (fcmd_destroy()), where the live
 * counts need it gone; KUnit destroys it if an assertion stops the test
 * first.
 */
struct fcmd {
	struct iodma_cmd *cmd;
};

static void fcmd_destroy(void *p)
{
	struct fcmd *f = p;

	if (f->cmd)
		iodma_cmd_destroy(f->cmd);
	f->cmd = NULL;
}

/* A command over @b; @bits: its engine's reach (0 for the device's). */
static struct fcmd *fresh(struct kunit *test, struct device *dev,
			  unsigned int bits, struct fbuf *b)
{
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64,
				   .address_bits = bits };
	struct fcmd *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct iodma_md *md;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->cmd = iodma_cmd_create(dev, &spec, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->cmd);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fcmd_destroy,
							   f));
	md = fbuf_md(b);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	err = iodma_cmd_set_md(f->cmd, md, false);
	iodma_md_put(md);
	KUNIT_ASSERT_EQ(test, 0, err);
	return f;
}

/* Fault injection off when the test ends, also after a failed assertion. */
static void fault_off(void *unused)
{
	iodma_test_fault(false, -1);
}

static void restore_mask(void *dev)
{
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
}

static bool fault_err_ok(int err)
{
	return err == -ENOMEM || err == -EIO || err == -EFAULT;
}

static unsigned long live_diff(long a, long b)
{
	return a > b ? a - b : b - a;
}

/*
 * Resources a failed call left behind: mappings, copy-buffer blocks and
 * pins must be back at once (@before/@after: around the call), and all of
 * them, allocations included, once the command is destroyed (@base/@end:
 * before it was created, after it was destroyed).
 */
static unsigned long leaked(struct kunit *test, const char *what, int site,
			    const struct iodma_test_live *base,
			    const struct iodma_test_live *before,
			    const struct iodma_test_live *after,
			    const struct iodma_test_live *end)
{
	unsigned long maps = max(live_diff(after->mappings, before->mappings),
				 live_diff(end->mappings, base->mappings));
	unsigned long cbs = max(live_diff(after->cb_blocks, before->cb_blocks),
				live_diff(end->cb_blocks, base->cb_blocks));
	unsigned long pins = max(live_diff(after->pins, before->pins),
				 live_diff(end->pins, base->pins));
	unsigned long allocs = live_diff(end->allocs, base->allocs);

	KUNIT_EXPECT_EQ_MSG(test, maps + cbs + pins + allocs, 0UL,
			    "%s site %d left mappings %lu, copy-buffer blocks %lu, pins %lu, allocations %lu",
			    what, site, maps, cbs, pins, allocs);
	return maps + cbs + pins + allocs;
}

enum fop { FOP_PREPARE, FOP_SYNC, FOP_RESERVE };
static const char *const fop_names[] = { "prepare", "sync", "reserve" };

/*
 * One call of @op on a fresh command with fault site @site armed: it must
 * fail as its kind says and leave the command as it was. The live counts
 * run (nothing armed) from before the command is made until after it is
 * destroyed. Returns what the call left behind (pins, mappings,
 * copy-buffer blocks, allocations).
 */
static unsigned long fail_at(struct kunit *test, struct device *dev,
			     unsigned int bits, struct fbuf *b, enum fop op,
			     int site)
{
	struct iodma_test_live base, before, after, end;
	struct iodma_cmd *cmd;
	unsigned int pinned;
	struct fcmd *f;
	u64 o, l;
	int err;

	iodma_test_fault(true, -1);
	iodma_test_live(&base);
	f = fresh(test, dev, bits, b);
	cmd = f->cmd;
	if (op == FOP_SYNC)
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	iodma_test_fault(true, site);
	iodma_test_live(&before);
	if (op == FOP_PREPARE)
		err = iodma_cmd_prepare(cmd, 0, 0, 0);
	else if (op == FOP_SYNC)
		err = iodma_cmd_synchronize(cmd,
					    IODMA_SYNC_FORCE_DOUBLE_BUFFER);
	else
		err = iodma_cmd_reserve_copy_buffer(cmd, LEN);
	iodma_test_live(&after);
	iodma_test_fault(true, -1);
	if (op == FOP_PREPARE) {
		KUNIT_EXPECT_TRUE_MSG(test, fault_err_ok(err),
				      "prepare site %d: %d", site, err);
		KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &o, &l),
				-ENODATA);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, err, -ENOMEM, "%s site %d",
				    fop_names[op], site);
	}
	if (op == FOP_SYNC) {
		KUNIT_EXPECT_EQ(test, iodma_cmd_prepared_range(cmd, &o, &l), 0);
		KUNIT_EXPECT_EQ(test, iodma_cmd_complete(cmd, 0), 0);
	}
	pinned = pinned_user_pages(b);
	KUNIT_EXPECT_EQ_MSG(test, pinned, 0U, "%s site %d", fop_names[op],
			    site);
	fcmd_destroy(f);
	iodma_test_live(&end);
	iodma_test_fault(false, -1);
	return pinned + leaked(test, fop_names[op], site, &base, &before,
			       &after, &end);
}

static void fault_test(struct kunit *test)
{
	const struct fault_case *c = test->param_value;
	struct device *dev = iodma_kunit_edu_dev(test);
	struct fbuf *b = fbuf_make(test, c->kind);
	unsigned int sites_prep, sites_sync, sites_comp, sites_rsv;
	unsigned int injected = 0;
	unsigned long leaks = 0;
	unsigned int bits = 0;	/* the copy-buffer cases' engine reach */
	struct iodma_test_live base, after, end;
	struct iodma_cmd *cmd;
	struct fcmd *f;
	int i, err;

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fault_off, NULL));
	if (c->copy) {
		err = kunit_add_action_or_reset(test, restore_mask, dev);
		KUNIT_ASSERT_EQ(test, 0, err);
		bits = iodma_kunit_narrow_mask(test, dev, 24);
		KUNIT_ASSERT_GT(test, bits, 0U);
	}
	/*
	 * Count the sites of each path on a fresh command, and see that the
	 * live counts follow what it holds: a mapping or a copy-buffer block
	 * and the pinned pages while prepared, a copy-buffer block and no
	 * mapping after a forced double buffering, nothing after complete.
	 */
	f = fresh(test, dev, bits, b);
	cmd = f->cmd;
	iodma_test_fault(true, -1);
	iodma_test_live(&base);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, 0, 0));
	sites_prep = iodma_test_fault(true, -1);
	iodma_test_live(&after);
	KUNIT_EXPECT_GE(test, after.mappings + after.cb_blocks,
			base.mappings + base.cb_blocks + 1);
	KUNIT_EXPECT_EQ(test, after.pins - base.pins,
			c->kind == F_USER ? (long)ARRAY_SIZE(b->pages) : 0L);
	err = iodma_cmd_synchronize(cmd, IODMA_SYNC_FORCE_DOUBLE_BUFFER);
	KUNIT_ASSERT_EQ(test, 0, err);
	sites_sync = iodma_test_fault(true, -1);
	iodma_test_live(&after);
	KUNIT_EXPECT_EQ(test, after.mappings, base.mappings);
	KUNIT_EXPECT_GE(test, after.cb_blocks, base.cb_blocks + 1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	iodma_test_live(&end);
	sites_comp = iodma_test_fault(false, -1);
	KUNIT_EXPECT_EQ(test, end.mappings, base.mappings);
	KUNIT_EXPECT_EQ(test, end.cb_blocks, base.cb_blocks);
	KUNIT_EXPECT_EQ(test, end.pins, base.pins);
	fcmd_destroy(f);
	KUNIT_EXPECT_GT(test, sites_prep, 0U);

	/*
	 * Each site of each call fails once (fail_at()): prepare leaves the
	 * command unprepared; synchronize(FORCE) fails cleanly with the
	 * mapping as it was; reserve_copy_buffer fails with nothing held.
	 */
	for (i = 0; i < sites_prep; i++, injected++)
		leaks += fail_at(test, dev, bits, b, FOP_PREPARE, i);
	for (i = 0; i < sites_sync; i++, injected++)
		leaks += fail_at(test, dev, bits, b, FOP_SYNC, i);
	f = fresh(test, dev, bits, b);
	iodma_test_fault(true, -1);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_reserve_copy_buffer(f->cmd, LEN));
	sites_rsv = iodma_test_fault(false, -1);
	fcmd_destroy(f);
	KUNIT_EXPECT_GT(test, sites_rsv, 0U);
	for (i = 0; i < sites_rsv; i++, injected++)
		leaks += fail_at(test, dev, bits, b, FOP_RESERVE, i);
	KUNIT_EXPECT_EQ(test, leaks, 0UL);
	kunit_info(test, "faults sites=%u injected=%u leaks=%lu\n",
		   sites_prep + sites_sync + sites_comp + sites_rsv, injected,
		   leaks);
}

static struct kunit_case iodma_fault_cases[] = {
	KUNIT_CASE_PARAM(fault_test, fault_gen),
	{}
};

static struct kunit_suite iodma_fault_suite = {
	.name = "iodma_fault",
	.test_cases = iodma_fault_cases,
};

kunit_test_suites(&iodma_fault_suite);
