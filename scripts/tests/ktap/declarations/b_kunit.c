// SPDX-License-Identifier: GPL-2.0
/* Not built: see a_kunit.c. */
static struct kunit_suite iodma_stress_suite = {
	.name = "iodma_stress",
	.test_cases = iodma_stress_cases,
};

static struct kunit_suite iodma_xfer_suite = {
	.name = "iodma_xfer",
	.test_cases = iodma_xfer_cases,
};

kunit_test_suites(&iodma_stress_suite,
		  &iodma_xfer_suite);
