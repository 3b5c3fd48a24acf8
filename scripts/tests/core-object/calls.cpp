// SPDX-License-Identifier: GPL-2.0
// A function that saves its return address (it calls out) and a leaf.
extern "C" long iodma_plat_probe(long v);

extern "C" long caller(long v)
{
	return iodma_plat_probe(v) + iodma_plat_probe(v + 1);
}

extern "C" long leaf(long v)
{
	return v * 3;
}
