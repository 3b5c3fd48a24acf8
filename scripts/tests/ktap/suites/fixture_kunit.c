// SPDX-License-Identifier: GPL-2.0
/*
 * Not built: the suites scripts/tests/run-checker-tests.sh tells
 * ktap-check.py to expect (--suites-from) when it judges the crafted logs
 * in this directory, declared as kunit/*.c declares them.
 */
static struct kunit_suite iodma_badinput_suite = {
	.name = "iodma_badinput",
	.test_cases = iodma_badinput_cases,
};

static struct kunit_suite iodma_fault_suite = {
	.name = "iodma_fault",
	.test_cases = iodma_fault_cases,
};

static struct kunit_suite iodma_stale_suite = {
	.name = "iodma_stale",
	.test_cases = iodma_stale_cases,
};

static struct kunit_suite iodma_stress_suite = {
	.name = "iodma_stress",
	.test_cases = iodma_stress_cases,
};

static struct kunit_suite iodma_xfer_suite = {
	.name = "iodma_xfer",
	.test_cases = iodma_xfer_cases,
};

kunit_test_suites(&iodma_badinput_suite);
kunit_test_suites(&iodma_fault_suite);
kunit_test_suites(&iodma_stale_suite);
kunit_test_suites(&iodma_stress_suite);
kunit_test_suites(&iodma_xfer_suite);
