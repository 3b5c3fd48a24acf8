// SPDX-License-Identifier: GPL-2.0
/*
 * Crafted input of scripts/tests/run-checker-tests.sh: an exported,
 * well-documented function that the API reference does not list. The
 * docs stage must fail on it. Never built.
 */

/**
 * iodma_docs_unlisted() - a function nobody added to the reference
 * @dev: the device
 *
 * Context: Any context.
 * Return: 0.
 */
int iodma_docs_unlisted(struct device *dev)
{
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iodma_docs_unlisted, IODMA);
