// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: bad calls, one per case, each asserting its exact errno (SPEC.md
 * error table). Every case runs on a fresh fixture: a command on the edu
 * device and a prepared-or-not descriptor; leaks and stray mappings are
 * caught by DMA-API debug and kmemleak after the suite.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/iodma.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "kunit_env.h"

struct fx {
	struct kunit *test;
	struct device *dev;
	struct iodma_cmd *cmd;
	struct iodma_md *md;
	void *buf;
	struct iodma_spec spec;
};

static bool refuse_all(void *segs, u32 i, u64 a, u64 l, void *ctx)
{
	return false;
}

/* Each case returns the errno (or 0) of the call it checks. */
struct bad_case {
	const char *name;
	int want;
	long (*call)(struct fx *f);
};

#define BUF 8192
#define U64MAX U64_MAX

static long c_create_null_dev(struct fx *f)
{
	return PTR_ERR(iodma_cmd_create(NULL, &f->spec, 0, GFP_KERNEL));
}

static long c_create_null_spec(struct fx *f)
{
	return PTR_ERR(iodma_cmd_create(f->dev, NULL, 0, GFP_KERNEL));
}

static long c_create_no_format(struct fx *f)
{
	struct iodma_spec s = {};

	return PTR_ERR(iodma_cmd_create(f->dev, &s, 0, GFP_KERNEL));
}

static long c_create_huge_priv(struct fx *f)
{
	return PTR_ERR(iodma_cmd_create(f->dev, &f->spec, SIZE_MAX, GFP_KERNEL));
}

static long c_spec_bits_65(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.address_bits = 65;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_bits_low(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.address_bits = PAGE_SHIFT - 1;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_align_3(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.alignment = 3;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_alen_12(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.alignment_length = 12;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_aint_48(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.alignment_internal = 48;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_boundary_3k(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.segment_boundary = 3072;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_mapping_5(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.mapping = 5;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_mapping_flag(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.mapping = 0x80;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_format_9(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.format = 9;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_custom_nofn(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.format = IODMA_FMT_CUSTOM;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_reserved(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.reserved[0] = 1;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_fn_not_custom(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.seg_fn = refuse_all;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_mss_below_alen(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.alignment_length = 64;
	s.max_segment_size = 32;
	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_32_bits_33(struct fx *f)
{
	struct iodma_spec s = { .format = IODMA_FMT_BIG32, .address_bits = 33 };

	return iodma_cmd_set_spec(f->cmd, &s);
}

static long c_spec_null(struct fx *f)
{
	return iodma_cmd_set_spec(f->cmd, NULL);
}

static long c_spec_null_cmd(struct fx *f)
{
	return iodma_cmd_set_spec(NULL, &f->spec);
}

static long c_get_spec_null(struct fx *f)
{
	return iodma_cmd_get_spec(f->cmd, NULL);
}

static long c_clone_null(struct fx *f)
{
	return PTR_ERR(iodma_cmd_clone(NULL, GFP_KERNEL));
}

static long c_md_kva_null(struct fx *f)
{
	return PTR_ERR(iodma_md_from_kva(NULL, 8, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_kva_zero(struct fx *f)
{
	return PTR_ERR(iodma_md_from_kva(f->buf, 0, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_kva_stack(struct fx *f)
{
	u8 on_stack[64];

	return PTR_ERR(iodma_md_from_kva(on_stack, sizeof(on_stack),
					 DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_kva_dir_none(struct fx *f)
{
	return PTR_ERR(iodma_md_from_kva(f->buf, 8, DMA_NONE, GFP_KERNEL));
}

static long c_md_kva_wrap(struct fx *f)
{
	return PTR_ERR(iodma_md_from_kva((void *)(ULONG_MAX - 8), 64,
					 DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_pages_null(struct fx *f)
{
	return PTR_ERR(iodma_md_from_pages(NULL, 1, 0, 8, DMA_TO_DEVICE,
					   GFP_KERNEL));
}

static long c_md_pages_past(struct fx *f)
{
	struct page *p = virt_to_page(f->buf);

	return PTR_ERR(iodma_md_from_pages(&p, 1, 100, PAGE_SIZE,
					   DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_pages_offset_past(struct fx *f)
{
	struct page *p = virt_to_page(f->buf);

	return PTR_ERR(iodma_md_from_pages(&p, 1, PAGE_SIZE, 1,
					   DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_user_zero(struct fx *f)
{
	return PTR_ERR(iodma_md_from_user(0x10000, 0, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_user_kernel(struct fx *f)
{
	return PTR_ERR(iodma_md_from_user((unsigned long)f->buf, 64,
					  DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_user_wrap(struct fx *f)
{
	return PTR_ERR(iodma_md_from_user(ULONG_MAX - 8, 64, DMA_TO_DEVICE,
					  GFP_KERNEL));
}

static long c_md_sgt_null(struct fx *f)
{
	return PTR_ERR(iodma_md_from_sgtable(NULL, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_sgt_empty(struct fx *f)
{
	struct sg_table t = {};

	return PTR_ERR(iodma_md_from_sgtable(&t, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_phys_zero(struct fx *f)
{
	return PTR_ERR(iodma_md_from_phys(virt_to_phys(f->buf), 0,
					  DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_md_phys_mmio(struct fx *f)
{
	/* The edu device's registers: not RAM on any platform. */
	return PTR_ERR(iodma_md_from_phys(pci_resource_start(to_pci_dev(f->dev), 0),
					  4096, DMA_TO_DEVICE, GFP_KERNEL));
}

static long c_prepare_no_md(struct fx *f)
{
	return iodma_cmd_prepare(f->cmd, 0, 0, 0);
}

static long c_prepare_null(struct fx *f)
{
	return iodma_cmd_prepare(NULL, 0, 0, 0);
}

static int setmd(struct fx *f)
{
	return iodma_cmd_set_md(f->cmd, f->md, false);
}

static long c_prepare_offset_end(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, BUF, 0, 0);
}

static long c_prepare_past_end(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 0, BUF + 1, 0);
}

static long c_prepare_wrap(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 16, U64MAX - 8, 0);
}

static long c_prepare_offset_wrap(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, U64MAX, 1, 0);
}

static long c_prepare_flags(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 0, 0, 0x100);
}

static long c_prepare_too_long(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.max_transfer_size = 4096;
	return iodma_cmd_set_spec(f->cmd, &s) ?: setmd(f) ?:
	       iodma_cmd_prepare(f->cmd, 0, 0, 0);
}

static long c_prepare_misaligned_len(struct fx *f)
{
	struct iodma_spec s = f->spec;

	s.alignment_length = 512;
	return iodma_cmd_set_spec(f->cmd, &s) ?: setmd(f) ?:
	       iodma_cmd_prepare(f->cmd, 0, 1000, 0);
}

static long c_prepare_other_range(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 0, 4096, 0) ?:
	       iodma_cmd_prepare(f->cmd, 4096, 4096, 0);
}

static long c_prepare_with_spec_busy(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 0, 0, 0) ?:
	       iodma_cmd_prepare_with_spec(f->cmd, &f->spec, 0, 0, 0);
}

static long c_prepare_with_spec_bad(struct fx *f)
{
	struct iodma_spec s = { .format = 0 };

	return setmd(f) ?: iodma_cmd_prepare_with_spec(f->cmd, &s, 0, 0, 0);
}

static int prep(struct fx *f)
{
	return setmd(f) ?: iodma_cmd_prepare(f->cmd, 0, 0, 0);
}

static long c_complete_unprepared(struct fx *f)
{
	return iodma_cmd_complete(f->cmd, 0);
}

static long c_complete_twice(struct fx *f)
{
	return prep(f) ?: iodma_cmd_complete(f->cmd, 0) ?:
	       iodma_cmd_complete(f->cmd, 0);
}

static long c_complete_flags(struct fx *f)
{
	return prep(f) ?: iodma_cmd_complete(f->cmd, 0x40);
}

static long c_set_md_busy(struct fx *f)
{
	struct iodma_md *other = iodma_md_from_kva(f->buf, 16, DMA_TO_DEVICE,
						   GFP_KERNEL);
	long err = prep(f) ?: iodma_cmd_set_md(f->cmd, other, false);

	iodma_md_put(other);
	return err;
}

static long c_set_spec_busy(struct fx *f)
{
	return prep(f) ?: iodma_cmd_set_spec(f->cmd, &f->spec);
}

static long c_clear_md_busy(struct fx *f)
{
	return prep(f) ?: iodma_cmd_clear_md(f->cmd, false);
}

static long c_clear_md_null(struct fx *f)
{
	return iodma_cmd_clear_md(NULL, true);
}

static long gen(struct fx *f, u64 off, void *segs, u32 count)
{
	u64 o = off;
	u32 n = count;

	return iodma_cmd_gen_segments(f->cmd, &o, segs, &n);
}

static long c_gen_unprepared(struct fx *f)
{
	struct iodma_seg64 s;

	return gen(f, 0, &s, 1);
}

static long c_gen_zero_count(struct fx *f)
{
	struct iodma_seg64 s;

	return prep(f) ?: gen(f, 0, &s, 0);
}

static long c_gen_null_array(struct fx *f)
{
	return prep(f) ?: gen(f, 0, NULL, 1);
}

static long c_gen_null_offset(struct fx *f)
{
	struct iodma_seg64 s;
	u32 n = 1;

	return prep(f) ?: iodma_cmd_gen_segments(f->cmd, NULL, &s, &n);
}

static long c_gen_null_count(struct fx *f)
{
	struct iodma_seg64 s;
	u64 o = 0;

	return prep(f) ?: iodma_cmd_gen_segments(f->cmd, &o, &s, NULL);
}

static long c_gen_at_end(struct fx *f)
{
	struct iodma_seg64 s;

	return prep(f) ?: gen(f, BUF, &s, 1);
}

static long c_gen_past_end(struct fx *f)
{
	struct iodma_seg64 s;

	return prep(f) ?: gen(f, U64MAX, &s, 1);
}

static long c_gen_refused(struct fx *f)
{
	struct iodma_spec s = { .format = IODMA_FMT_CUSTOM,
				.seg_fn = refuse_all };
	struct iodma_seg64 out;

	return iodma_cmd_set_spec(f->cmd, &s) ?: prep(f) ?: gen(f, 0, &out, 1);
}

static long c_gen_misaligned_offset(struct fx *f)
{
	struct iodma_spec s = f->spec;
	struct iodma_seg64 out;

	s.alignment_length = 8;
	return iodma_cmd_set_spec(f->cmd, &s) ?: prep(f) ?: gen(f, 3, &out, 1);
}

static long c_sync_unprepared(struct fx *f)
{
	return iodma_cmd_synchronize(f->cmd, IODMA_SYNC_FOR_CPU);
}

static long c_sync_both(struct fx *f)
{
	return prep(f) ?: iodma_cmd_synchronize(f->cmd, IODMA_SYNC_FOR_CPU |
						IODMA_SYNC_FOR_DEVICE);
}

static long c_sync_flags(struct fx *f)
{
	return prep(f) ?: iodma_cmd_synchronize(f->cmd, 0x8);
}

static long c_sync_range_past(struct fx *f)
{
	return prep(f) ?: iodma_cmd_synchronize_range(f->cmd, BUF, 1,
						      IODMA_SYNC_FOR_CPU);
}

static long c_sync_range_long(struct fx *f)
{
	return prep(f) ?: iodma_cmd_synchronize_range(f->cmd, 4096, BUF,
						      IODMA_SYNC_FOR_CPU);
}

static long c_range_unprepared(struct fx *f)
{
	u64 o, l;

	return iodma_cmd_prepared_range(f->cmd, &o, &l);
}

static long c_range_null(struct fx *f)
{
	u64 o;

	return prep(f) ?: iodma_cmd_prepared_range(f->cmd, &o, NULL);
}

static long c_read_unprepared(struct fx *f)
{
	u8 b[8];

	return iodma_cmd_read_bytes(f->cmd, 0, b, sizeof(b));
}

static long c_read_past_end(struct fx *f)
{
	u8 b[8];

	return prep(f) ?: iodma_cmd_read_bytes(f->cmd, BUF, b, sizeof(b));
}

static long c_write_null_buf(struct fx *f)
{
	return prep(f) ?: iodma_cmd_write_bytes(f->cmd, 0, NULL, 8);
}

static long c_bypassed_translated(struct fx *f)
{
	struct iodma_spec s = { .format = IODMA_FMT_HOST64,
				.mapping = IODMA_BYPASSED };

	/* Valid on an untranslated device: report 0 there. */
	return iodma_cmd_set_spec(f->cmd, &s);
}

/* User memory the device may not write, or that is not there. */
static long user_prepare(struct fx *f, unsigned long prot, bool unmap)
{
	unsigned long u = iodma_kunit_vm_mmap(f->test, NULL, 0, PAGE_SIZE, prot,
					      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	struct iodma_md *md;
	long err;

	if (!u)
		return -ENOMEM;
	if (unmap)
		vm_munmap(u, PAGE_SIZE);
	md = iodma_md_from_user(u, PAGE_SIZE, DMA_FROM_DEVICE, GFP_KERNEL);
	if (IS_ERR(md))
		return PTR_ERR(md);
	err = iodma_cmd_set_md(f->cmd, md, true);
	iodma_md_put(md);
	return err;
}

static long c_user_readonly(struct fx *f)
{
	return user_prepare(f, PROT_READ, false);
}

static long c_user_unmapped(struct fx *f)
{
	return user_prepare(f, PROT_READ | PROT_WRITE, true);
}

static const struct bad_case cases[] = {
	{ "create_null_dev", -EINVAL, c_create_null_dev },
	{ "create_null_spec", -EINVAL, c_create_null_spec },
	{ "create_no_format", -EINVAL, c_create_no_format },
	{ "create_huge_priv", -EINVAL, c_create_huge_priv },
	{ "spec_bits_65", -EINVAL, c_spec_bits_65 },
	{ "spec_bits_below_page", -EINVAL, c_spec_bits_low },
	{ "spec_alignment_3", -EINVAL, c_spec_align_3 },
	{ "spec_alignment_length_12", -EINVAL, c_spec_alen_12 },
	{ "spec_alignment_internal_48", -EINVAL, c_spec_aint_48 },
	{ "spec_boundary_3k", -EINVAL, c_spec_boundary_3k },
	{ "spec_mapping_5", -EINVAL, c_spec_mapping_5 },
	{ "spec_mapping_flag_80", -EINVAL, c_spec_mapping_flag },
	{ "spec_format_9", -EINVAL, c_spec_format_9 },
	{ "spec_custom_without_fn", -EINVAL, c_spec_custom_nofn },
	{ "spec_reserved_nonzero", -EINVAL, c_spec_reserved },
	{ "spec_fn_not_custom", -EINVAL, c_spec_fn_not_custom },
	{ "spec_mss_below_alignment_length", -EINVAL, c_spec_mss_below_alen },
	{ "spec_32bit_33_bits", -EINVAL, c_spec_32_bits_33 },
	{ "set_spec_null", -EINVAL, c_spec_null },
	{ "set_spec_null_cmd", -EINVAL, c_spec_null_cmd },
	{ "get_spec_null", -EINVAL, c_get_spec_null },
	{ "clone_null", -EINVAL, c_clone_null },
	{ "md_kva_null", -EINVAL, c_md_kva_null },
	{ "md_kva_zero_len", -EINVAL, c_md_kva_zero },
	{ "md_kva_stack", -EINVAL, c_md_kva_stack },
	{ "md_kva_dma_none", -EINVAL, c_md_kva_dir_none },
	{ "md_kva_wraps", -EINVAL, c_md_kva_wrap },
	{ "md_pages_null", -EINVAL, c_md_pages_null },
	{ "md_pages_len_past", -EINVAL, c_md_pages_past },
	{ "md_pages_offset_past", -EINVAL, c_md_pages_offset_past },
	{ "md_user_zero_len", -EINVAL, c_md_user_zero },
	{ "md_user_kernel_address", -EFAULT, c_md_user_kernel },
	{ "md_user_wraps", -EINVAL, c_md_user_wrap },
	{ "md_sgtable_null", -EINVAL, c_md_sgt_null },
	{ "md_sgtable_empty", -EINVAL, c_md_sgt_empty },
	{ "md_phys_zero_len", -EINVAL, c_md_phys_zero },
	{ "md_phys_not_ram", -EINVAL, c_md_phys_mmio },
	{ "prepare_without_md", -ENODATA, c_prepare_no_md },
	{ "prepare_null_cmd", -EINVAL, c_prepare_null },
	{ "prepare_offset_at_end", -EINVAL, c_prepare_offset_end },
	{ "prepare_past_end", -EINVAL, c_prepare_past_end },
	{ "prepare_length_wraps", -EINVAL, c_prepare_wrap },
	{ "prepare_offset_wraps", -EINVAL, c_prepare_offset_wrap },
	{ "prepare_unknown_flags", -EINVAL, c_prepare_flags },
	{ "prepare_above_max_transfer", -ENOSPC, c_prepare_too_long },
	{ "prepare_misaligned_length", -EINVAL, c_prepare_misaligned_len },
	{ "prepare_other_range_nested", -EBUSY, c_prepare_other_range },
	{ "prepare_with_spec_while_prepared", -EBUSY, c_prepare_with_spec_busy },
	{ "prepare_with_invalid_spec", -EINVAL, c_prepare_with_spec_bad },
	{ "complete_unprepared", -ENODATA, c_complete_unprepared },
	{ "complete_twice", -ENODATA, c_complete_twice },
	{ "complete_unknown_flags", -EINVAL, c_complete_flags },
	{ "set_md_while_prepared", -EBUSY, c_set_md_busy },
	{ "set_spec_while_prepared", -EBUSY, c_set_spec_busy },
	{ "clear_md_while_prepared", -EBUSY, c_clear_md_busy },
	{ "clear_md_null_cmd", -EINVAL, c_clear_md_null },
	{ "gen_unprepared", -ENODATA, c_gen_unprepared },
	{ "gen_zero_count", -EINVAL, c_gen_zero_count },
	{ "gen_null_array", -EINVAL, c_gen_null_array },
	{ "gen_null_offset", -EINVAL, c_gen_null_offset },
	{ "gen_null_count", -EINVAL, c_gen_null_count },
	{ "gen_offset_at_end", -ERANGE, c_gen_at_end },
	{ "gen_offset_wraps", -ERANGE, c_gen_past_end },
	{ "gen_custom_refused", -EOVERFLOW, c_gen_refused },
	{ "gen_misaligned_offset", -EINVAL, c_gen_misaligned_offset },
	{ "sync_unprepared", -ENODATA, c_sync_unprepared },
	{ "sync_both_directions", -EINVAL, c_sync_both },
	{ "sync_unknown_options", -EINVAL, c_sync_flags },
	{ "sync_range_past_end", -EINVAL, c_sync_range_past },
	{ "sync_range_too_long", -EINVAL, c_sync_range_long },
	{ "prepared_range_unprepared", -ENODATA, c_range_unprepared },
	{ "prepared_range_null", -EINVAL, c_range_null },
	{ "read_bytes_unprepared", 0, c_read_unprepared },
	{ "read_bytes_past_end", 0, c_read_past_end },
	{ "write_bytes_null_buffer", 0, c_write_null_buf },
	{ "user_readonly_from_device", -EFAULT, c_user_readonly },
	{ "user_unmapped", -EFAULT, c_user_unmapped },
	{ "bypassed_on_translated_device", -EOPNOTSUPP, c_bypassed_translated },
};

static void case_desc(const struct bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad, cases, case_desc);

static void badinput_test(struct kunit *test)
{
	const struct bad_case *c = test->param_value;
	struct fx f = { .test = test, .spec = { .format = IODMA_FMT_HOST64 } };
	int want = c->want;

	f.dev = iodma_kunit_edu_dev(test);
	f.buf = kunit_kzalloc(test, BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f.buf);
	f.cmd = iodma_cmd_create(f.dev, &f.spec, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f.cmd);
	f.md = iodma_md_from_kva(f.buf, BUF, DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f.md);
	if (c->call == c_bypassed_translated &&
	    !iodma_kunit_expect_physical_refused(IODMA_BYPASSED))
		want = 0;
	KUNIT_EXPECT_EQ(test, c->call(&f), (long)want);
	/* Whatever state the case left, destroy releases all of it. */
	iodma_cmd_destroy(f.cmd);
	iodma_md_put(f.md);
}

static struct kunit_case iodma_badinput_cases[] = {
	KUNIT_CASE_PARAM(badinput_test, bad_gen_params),
	{}
};

static struct kunit_suite iodma_badinput_suite = {
	.name = "iodma_badinput",
	.test_cases = iodma_badinput_cases,
};

kunit_test_suites(&iodma_badinput_suite);
