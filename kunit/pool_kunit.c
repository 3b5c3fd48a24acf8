// SPDX-License-Identifier: GPL-2.0
/* KUnit: command pools (IOKit IOCommandPool) on the edu device. */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/iodma.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "kunit_env.h"

struct late_put {
	struct delayed_work work;
	struct iodma_pool *pool;
	struct iodma_cmd *cmd;
};

static void late_put_fn(struct work_struct *w)
{
	struct late_put *lp = container_of(w, struct late_put, work.work);

	iodma_pool_put(lp->pool, lp->cmd);
}

static void pool_basic_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST32,
				   .alignment_internal = 8,
				   .alignment_length = 4 };
	struct iodma_cmd *a, *b, *c;
	struct iodma_pool *pool;
	struct iodma_md *md;
	void *buf;

	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_pool_create(dev, &spec, 0, 0,
							GFP_KERNEL)), -EINVAL);
	spec.alignment = 3;
	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_pool_create(dev, &spec, 0, 2,
							GFP_KERNEL)), -EINVAL);
	spec.alignment = 0;
	pool = iodma_pool_create(dev, &spec, 24, 2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	a = iodma_pool_get(pool, false);
	b = iodma_pool_get(pool, false);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_NULL(test, iodma_pool_get(pool, false));
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_internal(b), 8U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_length(b), 4U);
	KUNIT_EXPECT_NOT_NULL(test, iodma_cmd_priv(b));

	/* Returned while prepared: the next user gets it clean. */
	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	md = iodma_md_from_kva(buf, 4096, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(a, md, true));
	iodma_md_put(md);
	iodma_pool_put(pool, a);
	c = iodma_pool_get(pool, false);
	KUNIT_EXPECT_PTR_EQ(test, c, a);
	KUNIT_EXPECT_NULL(test, iodma_cmd_md(c));
	KUNIT_EXPECT_EQ(test, iodma_cmd_complete(c, 0), -ENODATA);
	iodma_pool_put(pool, c);
	iodma_pool_put(pool, b);
	iodma_pool_destroy(pool);
	KUNIT_EXPECT_NULL(test, iodma_pool_get(NULL, true));
	iodma_pool_destroy(NULL);
}

/* A blocking get sleeps until another context returns a command. */
static void pool_wait_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct late_put *lp = kunit_kzalloc(test, sizeof(*lp), GFP_KERNEL);
	struct iodma_pool *pool;
	struct iodma_cmd *a, *got;

	KUNIT_ASSERT_NOT_NULL(test, lp);
	pool = iodma_pool_create(dev, &spec, 0, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	a = iodma_pool_get(pool, true);
	KUNIT_ASSERT_NOT_NULL(test, a);
	lp->pool = pool;
	lp->cmd = a;
	INIT_DELAYED_WORK(&lp->work, late_put_fn);
	schedule_delayed_work(&lp->work, msecs_to_jiffies(50));
	got = iodma_pool_get(pool, true);
	KUNIT_EXPECT_PTR_EQ(test, got, a);
	flush_delayed_work(&lp->work);
	iodma_pool_put(pool, got);
	iodma_pool_destroy(pool);
}

static struct kunit_case iodma_pool_cases[] = {
	KUNIT_CASE(pool_basic_test),
	KUNIT_CASE(pool_wait_test),
	{}
};

static struct kunit_suite iodma_pool_suite = {
	.name = "iodma_pool",
	.test_cases = iodma_pool_cases,
};

kunit_test_suites(&iodma_pool_suite);
