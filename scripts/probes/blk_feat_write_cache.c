// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_BLK_FEAT_WRITE_CACHE: a volatile write cache is a queue limit
 * feature flag (6.11+); before, blk_queue_write_cache(). Used by
 * samples/nvme.
 */
#include <linux/blkdev.h>

void iodma_probe(struct queue_limits *lim);
void iodma_probe(struct queue_limits *lim)
{
	lim->features |= BLK_FEAT_WRITE_CACHE;
}
