// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_KUNIT_ADD_ACTION: KUnit's deferred actions, kunit_action_t and
 * kunit_add_action_or_reset() (mainline 6.5). Without them,
 * kunit/kunit_env.c builds the same on the KUnit resource API.
 */
#include <kunit/test.h>

static void iodma_probe_action(void *ctx)
{
}

int iodma_probe(struct kunit *test);
int iodma_probe(struct kunit *test)
{
	kunit_action_t *action = iodma_probe_action;

	return kunit_add_action_or_reset(test, action, test);
}
