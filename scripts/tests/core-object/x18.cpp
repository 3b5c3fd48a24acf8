// SPDX-License-Identifier: GPL-2.0
// x18 used as an ordinary register (what -ffixed-x18 forbids).
extern "C" long iodma_plat_probe(long v);

extern "C" long clobber(long v)
{
	register long r asm("x18") = v;

	asm volatile("" : "+r"(r));
	return iodma_plat_probe(r);
}
