// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: managed commands and pools. A platform driver made here binds to
 * a platform device made here; its probe creates a devm command and a devm
 * pool (and leaves some prepared); unbinding, or a failing probe, releases
 * them all: a prepared one completed and counted (and reported) once.
 * DMA-API debug checks at unbind that no mapping is left, kmemleak that no
 * memory is (the harness's "kernel clean" case).
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/iodma.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "kunit_env.h"

#define DRV_NAME	"iodma-devm-kunit"
#define LEN		(2 * PAGE_SIZE)
#define POOL		2

struct devm_case {
	const char *name;
	bool prepare;		/* leave the command prepared (nested twice) */
	bool pool_prepared;	/* leave a pool command out and prepared */
	bool fail_probe;	/* probe fails after creating everything */
};

static const struct devm_case devm_cases[] = {
	{ "clean" },
	{ "cmd-prepared", .prepare = true },
	{ "pool-cmd-prepared", .pool_prepared = true },
	{ "both-prepared", .prepare = true, .pool_prepared = true },
	{ "probe-fails-prepared", .prepare = true, .fail_probe = true },
};

static void devm_desc(const struct devm_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(devm, devm_cases, devm_desc);

/* What the test hands to probe, and what probe found and made. */
struct devm_ctx {
	const struct devm_case *c;
	struct iodma_md *md;		/* the command's */
	struct iodma_md *pool_md;	/* the pool command's (no overlap) */
	int probed;
	int err;			/* the first failure inside probe */
	struct iodma_cmd *cmd;
	struct iodma_pool *pool;
	struct iodma_core_stats bound;	/* the device's counters at the end */
	int bad_spec_err;
};

static int devm_probe(struct platform_device *pdev)
{
	struct devm_ctx *ctx = *(struct devm_ctx **)dev_get_platdata(&pdev->dev);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_spec bad = { .format = IODMA_FMT_HOST64, .alignment = 3 };
	struct device *dev = &pdev->dev;
	struct iodma_cmd *pc;
	int err = 0;

	ctx->probed++;
	ctx->cmd = devm_iodma_cmd_create(dev, &spec, 16, GFP_KERNEL);
	if (IS_ERR(ctx->cmd))
		err = PTR_ERR(ctx->cmd);
	ctx->pool = err ? NULL : devm_iodma_pool_create(dev, &spec, 0, POOL,
							 GFP_KERNEL);
	if (!err && IS_ERR(ctx->pool))
		err = PTR_ERR(ctx->pool);
	ctx->bad_spec_err = PTR_ERR_OR_ZERO(devm_iodma_cmd_create(dev, &bad, 0,
								  GFP_KERNEL));
	if (!err && ctx->c->prepare) {
		err = iodma_cmd_set_md(ctx->cmd, ctx->md, false);
		err = err ?: iodma_cmd_prepare(ctx->cmd, 0, 0, 0);
		err = err ?: iodma_cmd_prepare(ctx->cmd, 0, 0, 0);
	}
	if (!err && ctx->c->pool_prepared) {
		pc = iodma_pool_get(ctx->pool, false);
		err = pc ? iodma_cmd_set_md(pc, ctx->pool_md, true) : -ENOSPC;
	}
	ctx->err = err;
	iodma_stats_read(dev, &ctx->bound);
	return ctx->c->fail_probe ? -ENODEV : err;
}

static struct platform_driver devm_driver = {
	.probe = devm_probe,
	.driver = { .name = DRV_NAME },
};

static void unregister_driver(void *drv)
{
	platform_driver_unregister(drv);
}

/* A bidirectional descriptor over a buffer of its own (test-managed). */
static struct iodma_md *kva_md(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, LEN, GFP_KERNEL);
	struct iodma_md *md;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	md = iodma_md_from_kva(buf, LEN, DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, iodma_kunit_md_put, md));
	return md;
}

static struct iodma_core_stats global(struct kunit *test)
{
	struct iodma_core_stats s;

	KUNIT_ASSERT_EQ(test, 0, iodma_stats_read(NULL, &s));
	return s;
}

static void devm_bind_unbind_test(struct kunit *test)
{
	const struct devm_case *c = test->param_value;
	struct devm_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct platform_device_info info = {
		.name = DRV_NAME,
		.id = PLATFORM_DEVID_AUTO,
		.data = &ctx,
		.size_data = sizeof(ctx),
		.dma_mask = DMA_BIT_MASK(64),
	};
	unsigned int prepared = c->prepare + c->pool_prepared;
	struct iodma_core_stats g0, g1, g2;
	struct platform_device *pdev;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->c = c;
	ctx->md = kva_md(test);
	ctx->pool_md = kva_md(test);
	/*
	 * Owned by no module: where KUnit runs the suites while the module is
	 * still coming (6.1), its sysfs entry to link the driver to does not
	 * exist yet. The driver is gone before the case ends.
	 */
	KUNIT_ASSERT_EQ(test, 0, __platform_driver_register(&devm_driver, NULL));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, unregister_driver,
							   &devm_driver));

	g0 = global(test);
	pdev = platform_device_register_full(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pdev));
	KUNIT_EXPECT_EQ(test, ctx->probed, 1);
	KUNIT_EXPECT_EQ(test, ctx->err, 0);
	KUNIT_EXPECT_EQ(test, ctx->bad_spec_err, -EINVAL);
	/* Probe saw its command and the pool's under its device. */
	KUNIT_EXPECT_EQ(test, ctx->bound.live, 1ULL + POOL);
	KUNIT_EXPECT_EQ(test, ctx->bound.prepares,
			(c->prepare ? 2ULL : 0) + c->pool_prepared);

	g1 = global(test);
	if (c->fail_probe) {
		/* devres released everything as probe failed. */
		KUNIT_EXPECT_EQ(test, g1.live, g0.live);
		KUNIT_EXPECT_EQ(test, g1.abandoned - g0.abandoned, (u64)prepared);
		KUNIT_EXPECT_EQ(test, g1.completes - g0.completes, (u64)prepared);
		KUNIT_EXPECT_NULL(test, pdev->dev.driver);
		platform_device_unregister(pdev);
		return;
	}
	KUNIT_EXPECT_EQ(test, g1.live - g0.live, 1ULL + POOL);
	KUNIT_EXPECT_EQ(test, g1.abandoned, g0.abandoned);
	KUNIT_EXPECT_NOT_NULL(test, pdev->dev.driver);

	/* Unbind (and remove): devres releases the command and the pool. */
	platform_device_unregister(pdev);
	g2 = global(test);
	KUNIT_EXPECT_EQ(test, g2.live, g0.live);
	KUNIT_EXPECT_EQ(test, g2.commands - g0.commands, 1ULL + POOL);
	KUNIT_EXPECT_EQ(test, g2.abandoned - g1.abandoned, (u64)prepared);
	/* Each prepared command completed exactly once, however nested. */
	KUNIT_EXPECT_EQ(test, g2.completes - g1.completes, (u64)prepared);
}

static struct kunit_case iodma_devm_cases[] = {
	KUNIT_CASE_PARAM(devm_bind_unbind_test, devm_gen_params),
	{}
};

static struct kunit_suite iodma_devm_suite = {
	.name = "iodma_devm",
	.test_cases = iodma_devm_cases,
};

kunit_test_suites(&iodma_devm_suite);
