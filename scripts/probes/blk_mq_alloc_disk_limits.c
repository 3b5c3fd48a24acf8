// SPDX-License-Identifier: GPL-2.0
/*
 * HAVE_BLK_MQ_ALLOC_DISK_LIMITS: blk_mq_alloc_disk() takes the queue limits
 * (struct queue_limits, 6.9+); before, a driver set them on the queue with
 * blk_queue_*() after allocating the disk (6.1). Used by samples/nvme.
 */
#include <linux/blk-mq.h>

struct gendisk *iodma_probe(struct blk_mq_tag_set *set);
struct gendisk *iodma_probe(struct blk_mq_tag_set *set)
{
	struct queue_limits lim = { .logical_block_size = 512 };

	return blk_mq_alloc_disk(set, &lim, NULL);
}
