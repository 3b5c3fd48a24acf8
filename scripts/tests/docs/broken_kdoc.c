// SPDX-License-Identifier: GPL-2.0
/*
 * Crafted input of scripts/tests/run-checker-tests.sh: an exported
 * function whose kernel-doc forgets a parameter and the return value.
 * The docs stage must fail on it. Never built.
 */

/**
 * iodma_docs_broken() - a function documented carelessly
 * @dev: the device
 *
 * Context: Any context.
 */
int iodma_docs_broken(struct device *dev, gfp_t gfp)
{
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iodma_docs_broken, IODMA);
