// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the statistics behind /sys/kernel/debug/iodma/ move as the
 * operations say, per device and for everything, and the debugfs files
 * show them: the counters, the devices, the prepared commands.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/iodma.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_env.h"

#define LEN	(64 * 1024)
#define ROOM	4

/* The text of /sys/kernel/debug/iodma/@name, NUL-terminated (test memory). */
static char *debugfs_text(struct kunit *test, const char *name)
{
	char path[64];
	size_t cap = 64 * 1024;
	char *buf = kunit_kzalloc(test, cap, GFP_KERNEL);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	snprintf(path, sizeof(path), "/sys/kernel/debug/iodma/%s", name);
	f = filp_open(path, O_RDONLY, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(f), "%s: %ld", path, PTR_ERR(f));
	n = kernel_read(f, buf, cap - 1, &pos);
	filp_close(f, NULL);
	KUNIT_ASSERT_GE_MSG(test, n, (ssize_t)0, "%s: read %zd", path, n);
	return buf;
}

/* The value of "@key value" in the stats file's @text; -1 when missing. */
static long long stats_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;
	unsigned long long v;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == ' ' &&
		    sscanf(p + klen + 1, "%llu", &v) == 1)
			return v;
	}
	return -1;
}

static struct iodma_core_stats global(struct kunit *test)
{
	struct iodma_core_stats s;

	KUNIT_ASSERT_EQ(test, 0, iodma_stats_read(NULL, &s));
	return s;
}

/* Destroys *slot unless the test did (and cleared it) first. */
static void destroy_slot_action(void *slot)
{
	iodma_cmd_destroy(*(struct iodma_cmd **)slot);
}

static void observe_counters_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_core_stats g0 = global(test), d0, d, g;
	struct iodma_seg64 segs[ROOM];
	unsigned long long calls = 0, nsegs = 0;
	struct iodma_cmd **cmdp = kunit_kzalloc(test, sizeof(*cmdp), GFP_KERNEL);
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	bool had_record;
	char *text, want[160];
	void *buf;
	u64 off;

	had_record = !iodma_stats_read(dev, &d0);
	if (!had_record)
		memset(&d0, 0, sizeof(d0));
	buf = kunit_kzalloc(test, LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	md = iodma_md_from_kva(buf, LEN, DMA_TO_DEVICE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, md);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, iodma_kunit_md_put, md));
	KUNIT_ASSERT_NOT_NULL(test, cmdp);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, destroy_slot_action,
							   cmdp));
	cmd = iodma_cmd_create(dev, &spec, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	*cmdp = cmd;

	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_set_md(cmd, md, false));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, LEN, 0));
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_prepare(cmd, 0, LEN, 0));
	KUNIT_EXPECT_EQ(test, -EBUSY, iodma_cmd_prepare(cmd, 0, 4096, 0));
	for (off = 0; off < LEN; calls++) {
		u32 n = ROOM;

		KUNIT_ASSERT_EQ(test, 0, iodma_cmd_gen_segments(cmd, &off, segs, &n));
		nsegs += n;
	}
	KUNIT_ASSERT_EQ(test, 0, iodma_cmd_synchronize(cmd, IODMA_SYNC_FOR_DEVICE |
					       IODMA_SYNC_FORCE_DOUBLE_BUFFER));
	KUNIT_EXPECT_TRUE(test, iodma_cmd_is_double_buffered(cmd));

	/* While prepared: the device's counters, and the debugfs files. */
	KUNIT_ASSERT_EQ(test, 0, iodma_stats_read(dev, &d));
	KUNIT_EXPECT_EQ(test, d.commands - d0.commands, 1ULL);
	KUNIT_EXPECT_EQ(test, d.live - d0.live, 1ULL);
	KUNIT_EXPECT_EQ(test, d.prepares - d0.prepares, 2ULL);
	KUNIT_EXPECT_EQ(test, d.bytes_prepared - d0.bytes_prepared, (u64)LEN);
	KUNIT_EXPECT_EQ(test, d.gen_calls - d0.gen_calls, calls);
	KUNIT_EXPECT_EQ(test, d.segments - d0.segments, nsegs);
	KUNIT_EXPECT_EQ(test, d.syncs - d0.syncs, 1ULL);
	KUNIT_EXPECT_EQ(test, d.cb_engaged - d0.cb_engaged, 1ULL);
	/* Filled at the switch, then copied again for the device. */
	KUNIT_EXPECT_EQ(test, d.cb_bytes - d0.cb_bytes, 2ULL * LEN);
	KUNIT_EXPECT_EQ(test, d.failures[IODMA_CORE_ERR_EBUSY] -
			d0.failures[IODMA_CORE_ERR_EBUSY], 1ULL);

	text = debugfs_text(test, "prepared");
	snprintf(want, sizeof(want),
		 " device=%s range=0x0+0x%x nest=2 dir=to-device md=kmalloc copy_buffer=yes",
		 dev_name(dev), LEN);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(text, want), "no \"%s\" in:\n%s", want, text);
	text = debugfs_text(test, "devices");
	snprintf(want, sizeof(want), "device=%s commands=%llu live=%llu prepares=%llu ",
		 dev_name(dev), d.commands, d.live, d.prepares);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(text, want), "no \"%s\" in:\n%s", want, text);
	g = global(test);
	text = debugfs_text(test, "stats");
	KUNIT_EXPECT_EQ(test, stats_value(text, "prepares"), (long long)g.prepares);
	KUNIT_EXPECT_EQ(test, stats_value(text, "live"), (long long)g.live);
	KUNIT_EXPECT_EQ(test, stats_value(text, "copy_buffer_bytes"), (long long)g.cb_bytes);
	KUNIT_EXPECT_EQ(test, stats_value(text, "failures.EBUSY"),
			(long long)g.failures[IODMA_CORE_ERR_EBUSY]);

	KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	KUNIT_EXPECT_EQ(test, 0, iodma_cmd_complete(cmd, 0));
	KUNIT_EXPECT_EQ(test, -ENODATA, iodma_cmd_complete(cmd, 0));
	snprintf(want, sizeof(want), " device=%s range=0x0+0x%x nest=", dev_name(dev),
		 LEN);
	text = debugfs_text(test, "prepared");
	KUNIT_EXPECT_NULL_MSG(test, strstr(text, want), "still listed:\n%s", text);
	*cmdp = NULL;
	iodma_cmd_destroy(cmd);

	/* A destroyed command's counts stay in the global ones. */
	g = global(test);
	KUNIT_EXPECT_EQ(test, g.commands - g0.commands, 1ULL);
	KUNIT_EXPECT_EQ(test, g.live, g0.live);
	KUNIT_EXPECT_EQ(test, g.prepares - g0.prepares, 2ULL);
	KUNIT_EXPECT_EQ(test, g.completes - g0.completes, 2ULL);
	KUNIT_EXPECT_EQ(test, g.bytes_prepared - g0.bytes_prepared, (u64)LEN);
	KUNIT_EXPECT_EQ(test, g.segments - g0.segments, nsegs);
	KUNIT_EXPECT_EQ(test, g.cb_engaged - g0.cb_engaged, 1ULL);
	KUNIT_EXPECT_EQ(test, g.failures[IODMA_CORE_ERR_ENODATA] -
			g0.failures[IODMA_CORE_ERR_ENODATA], 1ULL);
	if (!had_record)
		KUNIT_EXPECT_EQ(test, -ENODATA, iodma_stats_read(dev, &d));
}

/* Nothing prepared, nothing listed; failed creations counted by errno. */
static void observe_failures_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec bad = { .format = IODMA_FMT_HOST64, .alignment = 3 };
	struct iodma_spec spec = { .format = IODMA_FMT_HOST64 };
	struct iodma_core_stats g0 = global(test), g;
	struct iodma_cmd *cmd;
	char *text;

	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_cmd_create(dev, &bad, 0, GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_cmd_create(NULL, &spec, 0, GFP_KERNEL)),
			-EINVAL);
	cmd = iodma_kunit_cmd(test, dev, &spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	KUNIT_EXPECT_EQ(test, -ENODATA, iodma_cmd_prepare(cmd, 0, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, iodma_cmd_synchronize(cmd, 3));
	g = global(test);
	KUNIT_EXPECT_EQ(test, g.commands - g0.commands, 1ULL);
	KUNIT_EXPECT_EQ(test, g.failures[IODMA_CORE_ERR_EINVAL] -
			g0.failures[IODMA_CORE_ERR_EINVAL], 3ULL);
	KUNIT_EXPECT_EQ(test, g.failures[IODMA_CORE_ERR_ENODATA] -
			g0.failures[IODMA_CORE_ERR_ENODATA], 1ULL);
	KUNIT_EXPECT_EQ(test, g.prepares, g0.prepares);
	text = debugfs_text(test, "stats");
	KUNIT_EXPECT_EQ(test, stats_value(text, "failures.EINVAL"),
			(long long)g.failures[IODMA_CORE_ERR_EINVAL]);
	KUNIT_EXPECT_EQ(test, stats_value(text, "commands"), (long long)g.commands);
}

static struct kunit_case iodma_observe_cases[] = {
	KUNIT_CASE(observe_counters_test),
	KUNIT_CASE(observe_failures_test),
	{}
};

static struct kunit_suite iodma_observe_suite = {
	.name = "iodma_observe",
	.test_cases = iodma_observe_cases,
};

kunit_test_suites(&iodma_observe_suite);
