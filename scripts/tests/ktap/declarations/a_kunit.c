// SPDX-License-Identifier: GPL-2.0
/*
 * Not built: how ktap-check.py finds the suites to expect
 * (--suites-from), tested by scripts/tests/run-checker-tests.sh on the
 * ways a kunit/*.c file may declare them: .name not the first member,
 * nested braces, several suites in one registration, a registration over
 * two lines (b_kunit.c). Expected: iodma_badinput, iodma_fault,
 * iodma_stale (here) and iodma_stress, iodma_xfer (b_kunit.c). Not
 * expected: iodma_unregistered (never registered) and iodma_commented
 * (registered only in comments): kunit_test_suites(&iodma_commented_suite);
 */
static struct kunit_suite iodma_badinput_suite = {
	.name = "iodma_badinput",
	.test_cases = iodma_badinput_cases,
};

static struct kunit_suite iodma_fault_suite = {
	.test_cases = iodma_fault_cases,
	.name = "iodma_fault",
	.attr = { .speed = KUNIT_SPEED_SLOW },
};

static struct kunit_suite iodma_stale_suite = {
	.name = "iodma_stale",
	.test_cases = iodma_stale_cases,
};

static struct kunit_suite iodma_unregistered_suite = {
	.name = "iodma_unregistered",
	.test_cases = iodma_stale_cases,
};

static struct kunit_suite iodma_commented_suite = {
	.name = "iodma_commented",
	.test_cases = iodma_stale_cases,
};

kunit_test_suites(&iodma_badinput_suite, &iodma_fault_suite);
// kunit_test_suites(&iodma_commented_suite);
kunit_test_suites(&iodma_stale_suite);
