// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: no stale data (the CVE-2022-0854 lesson). For from-device
 * transfers through iodma's copy buffer (forced, or because the engine's
 * address bits demand it) or through swiotlb (the swiotlb configurations),
 * with and without NO_SYNC: the bytes the device does not write come back
 * unchanged. And a copy buffer never hands an earlier transfer's data to
 * the device.
 */
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iodma.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit_env.h"

#define LEN	(3 * PAGE_SIZE + 100)
#define HOLE	64	/* bytes the device writes, in the middle */

enum stale_path { P_FORCED, P_ADDRESS_BITS, P_PLATFORM, P_NR };
static const char *const path_names[] = { "forced", "address_bits",
					  "platform" };
enum stale_kind { K_KMALLOC, K_VMALLOC, K_PAGES, K_NR };
static const char *const kind_names[] = { "kmalloc", "vmalloc", "pages" };

struct stale_case {
	enum stale_path path;
	enum stale_kind kind;
	bool no_sync;
	char name[48];
};

static struct stale_case stale_cases[P_NR * K_NR * 2];

static const void *stale_gen(const void *prev, char *desc)
{
	const struct stale_case *c = prev ? (const struct stale_case *)prev + 1
					  : stale_cases;
	unsigned int i;

	if (!prev) {
		for (i = 0; i < ARRAY_SIZE(stale_cases); i++) {
			stale_cases[i].path = i / (K_NR * 2);
			stale_cases[i].kind = (i / 2) % K_NR;
			stale_cases[i].no_sync = i % 2;
			snprintf(stale_cases[i].name, sizeof(stale_cases[i].name),
				 "%s_%s%s", path_names[stale_cases[i].path],
				 kind_names[stale_cases[i].kind],
				 i % 2 ? "_nosync" : "");
		}
	}
	if (c >= stale_cases + ARRAY_SIZE(stale_cases))
		return NULL;
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
	return c;
}

static void dev_rw(struct device *dev, u64 dma, u8 *buf, size_t n, bool write)
{
	WARN_ON(!iodma_kunit_dev_rw(dev, dma, buf, n, write));
}

static void restore_mask(void *dev)
{
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
}

struct sbuf {
	enum stale_kind kind;
	void *va;		/* CPU view */
	struct page *pages[4];
};

static void sbuf_free(void *p)
{
	struct sbuf *b = p;
	unsigned int i;

	if (b->kind == K_KMALLOC)
		kfree(b->va);
	else
		vfree(b->va);
	for (i = 0; b->kind == K_PAGES && i < ARRAY_SIZE(b->pages); i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
}

static struct iodma_md *sbuf_make(struct kunit *test, enum stale_kind kind,
				  u8 fill, enum dma_data_direction dir,
				  struct sbuf **out)
{
	struct sbuf *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct iodma_md *md;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->kind = kind;
	if (kind == K_KMALLOC) {
		b->va = kmalloc(LEN, GFP_KERNEL);
	} else if (kind == K_VMALLOC) {
		b->va = vmalloc(LEN);
	} else {
		for (i = 0; i < ARRAY_SIZE(b->pages); i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, b->pages[i]);
		}
		b->va = vmap(b->pages, ARRAY_SIZE(b->pages), VM_MAP,
			     PAGE_KERNEL);
	}
	KUNIT_ASSERT_NOT_NULL(test, b->va);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, sbuf_free, b));
	memset(b->va, fill, LEN);
	if (kind == K_PAGES)
		md = iodma_md_from_pages(b->pages, ARRAY_SIZE(b->pages), 0, LEN,
					 dir, GFP_KERNEL);
	else
		md = iodma_md_from_kva(b->va, LEN, dir, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	*out = b;
	return md;
}

/* The device writes HOLE bytes in the middle; the rest must not change. */
static void stale_from_device_test(struct kunit *test)
{
	const struct stale_case *c = test->param_value;
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_seg64 segs[16];
	u8 *hole = kunit_kmalloc(test, HOLE, GFP_KERNEL);
	u64 off = 0, pos = 0, mid = LEN / 2;
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	struct sbuf *b;
	u32 n = ARRAY_SIZE(segs), i;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, hole);
	memset(hole, 0xee, HOLE);
	if (c->path == P_ADDRESS_BITS) {
		/*
		 * An engine reaching 16 MiB (or the narrowest mask the
		 * platform gives: 4 GiB on arm64's virt): iodma's copy
		 * buffer or a platform bounce, mostly.
		 */
		err = kunit_add_action_or_reset(test, restore_mask, dev);
		KUNIT_ASSERT_EQ(test, 0, err);
		spec.address_bits = iodma_kunit_narrow_mask(test, dev, 24);
		KUNIT_ASSERT_GT(test, spec.address_bits, 0);
	}
	md = sbuf_make(test, c->kind, 0x5a, DMA_FROM_DEVICE, &b);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, iodma_kunit_md_put, md));
	cmd = iodma_kunit_cmd(test, dev, &spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(cmd, md, false));
	err = iodma_cmd_prepare(cmd, 0, 0,
				c->no_sync ? IODMA_PREPARE_NO_SYNC : 0);
	KUNIT_ASSERT_EQ(test, 0, err);
	if (c->path == P_FORCED) {
		err = iodma_cmd_synchronize(cmd,
					    IODMA_SYNC_FORCE_DOUBLE_BUFFER);
		KUNIT_ASSERT_EQ(test, 0, err);
		KUNIT_EXPECT_TRUE(test, iodma_cmd_is_double_buffered(cmd));
	}
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_gen_segments(cmd, &off, segs, &n));
	KUNIT_ASSERT_EQ(test, off, (u64)LEN);
	for (i = 0; i < n; i++) {
		u64 lo = max(pos, mid), hi = min(pos + segs[i].len, mid + HOLE);

		if (lo < hi)
			dev_rw(dev, segs[i].addr + lo - pos, hole + lo - mid,
			       hi - lo, true);
		pos += segs[i].len;
	}
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	for (i = 0; i < LEN; i++) {
		u8 want = i >= mid && i < mid + HOLE ? 0xee : 0x5a;

		if (((u8 *)b->va)[i] != want)
			break;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, (u32)LEN, "byte %u changed", i);
}

/*
 * A copy buffer never carries an earlier transfer's data: a secret goes to
 * the device through a copy buffer, then another to-device transfer with
 * NO_SYNC (nothing copied in) must show the device zeros, not the secret.
 */
static void stale_carry_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_seg64 segs[16];
	u8 *seen = kunit_kmalloc(test, LEN, GFP_KERNEL);
	struct iodma_cmd *cmd;
	struct iodma_md *md[2];
	struct sbuf *b;
	int round, err;

	KUNIT_ASSERT_NOT_NULL(test, seen);
	/* Both buffers first: the command goes before either is freed. */
	for (round = 0; round < 2; round++) {
		md[round] = sbuf_make(test, K_KMALLOC, round ? 0x11 : 0xc5,
				      DMA_TO_DEVICE, &b);
		err = kunit_add_action_or_reset(test, iodma_kunit_md_put, md[round]);
		KUNIT_ASSERT_EQ(test, 0, err);
	}
	cmd = iodma_kunit_cmd(test, dev, &spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	for (round = 0; round < 2; round++) {
		u64 off = 0, pos = 0;
		u32 n = ARRAY_SIZE(segs), i;

		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(cmd, md[round], false));
		err = iodma_cmd_prepare(cmd, 0, 0,
					round ? IODMA_PREPARE_NO_SYNC : 0);
		KUNIT_ASSERT_EQ(test, 0, err);
		err = iodma_cmd_synchronize(cmd, IODMA_SYNC_FORCE_DOUBLE_BUFFER |
					    (round ? 0 : IODMA_SYNC_FOR_DEVICE));
		KUNIT_ASSERT_EQ(test, 0, err);
		err = iodma_cmd_gen_segments(cmd, &off, segs, &n);
		KUNIT_ASSERT_EQ(test, 0, err);
		for (i = 0; i < n; i++) {
			dev_rw(dev, segs[i].addr, seen + pos, segs[i].len, false);
			pos += segs[i].len;
		}
		for (i = 0; i < LEN; i++)
			if (seen[i] == 0xc5 && round)
				break;
		KUNIT_EXPECT_EQ_MSG(test, i, (u32)LEN,
				    "round %d: an earlier transfer's byte at %u",
				    round, i);
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(cmd, NULL, false));
	}
}

static struct kunit_case iodma_stale_cases[] = {
	KUNIT_CASE_PARAM(stale_from_device_test, stale_gen),
	KUNIT_CASE(stale_carry_test),
	{}
};

static struct kunit_suite iodma_stale_suite = {
	.name = "iodma_stale",
	.test_cases = iodma_stale_cases,
};

kunit_test_suites(&iodma_stale_suite);
