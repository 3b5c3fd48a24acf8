// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: spec validation through the exported API, against the edu
 * device's struct device in every QEMU configuration (SPEC.md section 2).
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/iodma.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/string.h>

#include "kunit_env.h"

static bool iodma_kunit_writer(void *segs, u32 index, u64 addr, u64 len,
			       void *ctx)
{
	return true;
}

struct spec_case {
	const char *name;
	struct iodma_spec spec;
	int want;		/* without an IOMMU translation */
	int want_translated;	/* behind a translating IOMMU */
};

#define OK_BOTH(n, ...) { .name = n, .spec = { __VA_ARGS__ } }
#define INVALID(n, ...) \
	{ .name = n, .spec = { __VA_ARGS__ }, .want = -EINVAL, \
	  .want_translated = -EINVAL }

static const struct spec_case spec_cases[] = {
	OK_BOTH("host64", .format = IODMA_FMT_HOST64),
	OK_BOTH("host32", .format = IODMA_FMT_HOST32),
	OK_BOTH("edu_28bit", .format = IODMA_FMT_LITTLE32, .address_bits = 28,
		.max_segment_size = 4095),
	OK_BOTH("big64_aligned", .format = IODMA_FMT_BIG64, .alignment = 512,
		.alignment_length = 512, .segment_boundary = 1ULL << 32),
	OK_BOTH("custom", .format = IODMA_FMT_CUSTOM,
		.seg_fn = iodma_kunit_writer),
	OK_BOTH("noncoherent_iterate", .format = IODMA_FMT_HOST64,
		.mapping = IODMA_NONCOHERENT | IODMA_ITERATE_ONLY),
	{ .name = "bypassed", .want_translated = -EOPNOTSUPP,
	  .spec = { .format = IODMA_FMT_HOST64, .mapping = IODMA_BYPASSED } },
	{ .name = "unmapped", .want_translated = -EOPNOTSUPP,
	  .spec = { .format = IODMA_FMT_HOST64, .mapping = IODMA_UNMAPPED } },
	{ .name = "bypassed_iterate", .want_translated = -EOPNOTSUPP,
	  .spec = { .format = IODMA_FMT_HOST32,
		    .mapping = IODMA_BYPASSED | IODMA_ITERATE_ONLY } },
	INVALID("no_format", .address_bits = 32),
	INVALID("format_8", .format = 8),
	INVALID("custom_no_writer", .format = IODMA_FMT_CUSTOM),
	INVALID("writer_not_custom", .format = IODMA_FMT_HOST64,
		.seg_fn = iodma_kunit_writer),
	INVALID("host32_33bits", .format = IODMA_FMT_HOST32,
		.address_bits = 33),
	INVALID("bits_below_page", .format = IODMA_FMT_HOST64,
		.address_bits = PAGE_SHIFT - 1),
	INVALID("bits_65", .format = IODMA_FMT_HOST64,
		.address_bits = 65),
	INVALID("alignment_3", .format = IODMA_FMT_HOST64,
		.alignment = 3),
	INVALID("length_align_6", .format = IODMA_FMT_HOST64,
		.alignment_length = 6),
	INVALID("internal_align_12", .format = IODMA_FMT_HOST64,
		.alignment_internal = 12),
	INVALID("boundary_3000", .format = IODMA_FMT_HOST64,
		.segment_boundary = 0x3000),
	INVALID("mss_below_length", .format = IODMA_FMT_HOST64,
		.alignment_length = 8, .max_segment_size = 4),
	INVALID("mapping_4", .format = IODMA_FMT_HOST64,
		.mapping = 4),
	INVALID("mapping_flag_80", .format = IODMA_FMT_HOST64,
		.mapping = 0x80),
	INVALID("reserved_set", .format = IODMA_FMT_HOST64,
		.reserved = { 0, 0, 0, 1 }),
	INVALID("bad_and_bypassed", .format = IODMA_FMT_HOST64,
		.alignment = 5, .mapping = IODMA_BYPASSED),
};

static void spec_case_desc(const struct spec_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(spec_case, spec_cases, spec_case_desc);

static unsigned int dev_refs(struct device *dev)
{
	return kref_read(&dev->kobj.kref);
}

/*
 * The platform is what the configuration says: edu reaches memory through
 * an IOMMU's translation exactly where one is put in front of it (iommu-*,
 * smmuv3*). Every expectation that depends on translation rests on this.
 */
static void spec_platform_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);
	bool translated = d && (d->type & __IOMMU_DOMAIN_PAGING);

	KUNIT_EXPECT_EQ_MSG(test, translated, iodma_kunit_expect_translated(),
			    "edu's IOMMU domain: %s, type %#x",
			    d ? "present" : "none", d ? d->type : 0);
}

/* Create with each spec: the errno SPEC.md tables, for this platform. */
static void spec_create_test(struct kunit *test)
{
	const struct spec_case *c = test->param_value;
	struct device *dev = iodma_kunit_edu_dev(test);
	/* What a translated device refuses, a non-coherent one may too. */
	bool refused = iodma_kunit_expect_translated() ||
		       iodma_kunit_expect_physical_refused(c->spec.mapping);
	int want = refused ? c->want_translated : c->want;
	unsigned int refs = dev_refs(dev);
	struct iodma_cmd *cmd;

	cmd = iodma_cmd_create(dev, &c->spec, 0, GFP_KERNEL);
	if (want) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(cmd), (long)want);
		KUNIT_EXPECT_EQ(test, dev_refs(dev), refs);
		if (!IS_ERR(cmd))
			iodma_cmd_destroy(cmd);
	} else {
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
		KUNIT_EXPECT_EQ(test, dev_refs(dev), refs + 1);
		KUNIT_EXPECT_PTR_EQ(test, iodma_cmd_device(cmd), dev);
		iodma_cmd_destroy(cmd);
	}
	KUNIT_EXPECT_EQ(test, iodma_spec_check(dev, &c->spec), want);
	KUNIT_EXPECT_EQ(test, dev_refs(dev), refs);
}

static void spec_defaults_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec s = { .format = IODMA_FMT_LITTLE32,
				.max_segment_size = 4095, .alignment = 64 };
	struct iodma_spec raw = {};
	struct iodma_cmd *cmd = iodma_cmd_create(dev, &s, 0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	KUNIT_EXPECT_EQ(test, iodma_cmd_format(cmd), IODMA_FMT_LITTLE32);
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd), 32);
	/* rounded down to the internal alignment, which defaults to 64 */
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_segment_size(cmd), 4032ULL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_transfer_size(cmd), U64_MAX);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment(cmd), 64U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_length(cmd), 1U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_internal(cmd), 64U);
	/* SPEC.md 10.1: "no boundary" is the device's own (PCI: 4 GiB) */
	KUNIT_EXPECT_EQ(test, iodma_cmd_segment_boundary(cmd),
			dma_get_seg_boundary(dev) == ULONG_MAX ? 0ULL :
			(u64)dma_get_seg_boundary(dev) + 1);
	KUNIT_EXPECT_EQ(test, iodma_cmd_mapping(cmd), (u32)IODMA_MAPPED);
	KUNIT_EXPECT_EQ(test, iodma_cmd_get_spec(cmd, &raw), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&raw, &s, sizeof(s)), 0);
	iodma_cmd_destroy(cmd);
}

/* SPEC.md 9.5: a failed set_spec leaves the previous spec fully intact. */
static void spec_set_atomic_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec s = { .format = IODMA_FMT_HOST64, .address_bits = 40,
				.max_segment_size = 65536, .alignment = 8 };
	struct iodma_spec bad = { .format = IODMA_FMT_HOST32,
				  .address_bits = 28,
				  .max_segment_size = 512,
				  .segment_boundary = 0x1800 };
	struct iodma_spec raw = {};
	struct iodma_cmd *cmd = iodma_cmd_create(dev, &s, 0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_spec(cmd, &bad), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_spec(cmd, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_spec(NULL, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_get_spec(cmd, &raw), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&raw, &s, sizeof(s)), 0);
	/* SPEC.md 10.1: no wider than the device's DMA mask */
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd),
			min(40, fls64(dma_get_mask(dev))));
	KUNIT_EXPECT_EQ(test, iodma_cmd_max_segment_size(cmd), 65536ULL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_format(cmd), IODMA_FMT_HOST64);

	bad.segment_boundary = 0;
	KUNIT_EXPECT_EQ(test, iodma_cmd_set_spec(cmd, &bad), 0);
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(cmd), 28);
	KUNIT_EXPECT_EQ(test, iodma_cmd_format(cmd), IODMA_FMT_HOST32);
	iodma_cmd_destroy(cmd);
}

/* SPEC.md 9.4: clone keeps every alignment field in its own place. */
static void spec_clone_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec s = { .format = IODMA_FMT_BIG64, .alignment = 8,
				.alignment_length = 16,
				.alignment_internal = 32,
				.max_segment_size = 8192,
				.segment_boundary = 1 << 16 };
	struct iodma_spec raw = {};
	struct iodma_cmd *cmd, *clone;
	unsigned int refs = dev_refs(dev);
	u8 *priv;
	int i;

	cmd = iodma_cmd_create(dev, &s, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	memset(iodma_cmd_priv(cmd), 0x5a, 40);
	clone = iodma_cmd_clone(cmd, GFP_KERNEL);
	if (IS_ERR_OR_NULL(clone))
		iodma_cmd_destroy(cmd);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, clone);
	KUNIT_EXPECT_EQ(test, dev_refs(dev), refs + 2);
	KUNIT_EXPECT_PTR_EQ(test, iodma_cmd_device(clone), dev);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment(clone), 8U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_length(clone), 16U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_alignment_internal(clone), 32U);
	KUNIT_EXPECT_EQ(test, iodma_cmd_segment_boundary(clone), 65536ULL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_get_spec(clone, &raw), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&raw, &s, sizeof(s)), 0);
	priv = iodma_cmd_priv(clone);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)priv, 16));
	for (i = 0; i < 40; i++)
		KUNIT_EXPECT_EQ(test, priv[i], 0);
	iodma_cmd_destroy(clone);
	iodma_cmd_destroy(cmd);
	KUNIT_EXPECT_EQ(test, dev_refs(dev), refs);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_cmd_clone(NULL, GFP_KERNEL)),
			-EINVAL);
}

/* Bad pointers are reported, never dereferenced. */
static void spec_null_args_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec s = { .format = IODMA_FMT_HOST64 };
	struct iodma_spec out;

	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_cmd_create(NULL, &s, 0, GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iodma_cmd_create(dev, NULL, 0, GFP_KERNEL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_get_spec(NULL, &out), -EINVAL);
	KUNIT_EXPECT_NULL(test, iodma_cmd_priv(NULL));
	KUNIT_EXPECT_EQ(test, iodma_spec_check(NULL, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, iodma_cmd_address_bits(NULL), 0);
	iodma_cmd_destroy(NULL);
	iodma_cmd_destroy(ERR_PTR(-ENOMEM));
}

/* Creation in atomic context with a non-sleeping gfp. */
static void spec_atomic_create_test(struct kunit *test)
{
	struct device *dev = iodma_kunit_edu_dev(test);
	struct iodma_spec s = { .format = IODMA_FMT_HOST64 };
	struct iodma_cmd *cmd;

	preempt_disable();
	cmd = iodma_cmd_create(dev, &s, 64, GFP_ATOMIC);
	preempt_enable();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cmd);
	iodma_cmd_destroy(cmd);
}

static struct kunit_case iodma_spec_cases[] = {
	KUNIT_CASE(spec_platform_test),
	KUNIT_CASE_PARAM(spec_create_test, spec_case_gen_params),
	KUNIT_CASE(spec_defaults_test),
	KUNIT_CASE(spec_set_atomic_test),
	KUNIT_CASE(spec_clone_test),
	KUNIT_CASE(spec_null_args_test),
	KUNIT_CASE(spec_atomic_create_test),
	{}
};

static struct kunit_suite iodma_spec_suite = {
	.name = "iodma_spec",
	.test_cases = iodma_spec_cases,
};

kunit_test_suites(&iodma_spec_suite);
