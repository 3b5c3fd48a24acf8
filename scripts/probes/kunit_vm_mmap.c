// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_KUNIT_VM_MMAP: kunit_vm_mmap(), user memory for a KUnit test, with
 * an address space of its own attached to the test's kernel thread
 * (6.12 has it, 6.1 does not). Without it, kunit/kunit_env.c maps into a
 * helper process's address space.
 */
#include <kunit/test.h>
#include <linux/mman.h>

unsigned long iodma_probe(struct kunit *test);
unsigned long iodma_probe(struct kunit *test)
{
	return kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
}
