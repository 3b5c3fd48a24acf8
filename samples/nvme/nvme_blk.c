// SPDX-License-Identifier: GPL-2.0
/*
 * The blk-mq glue of the iodma NVMe sample: tag set, ->queue_rq(),
 * completion and the disk (/dev/iodmanvme<N>n1). Every byte of data is
 * mapped by nvme_dma.c.
 */
#include <linux/blkdev.h>
#include <linux/idr.h>

#include "nvme_iodma.h"
#include "iodma_probes.h"

static DEFINE_IDA(inv_ida);

static int inv_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			 unsigned int idx)
{
	struct inv_dev *dev = data;
	struct inv_queue *q = &dev->queues[idx + 1];

	q->tags = &dev->tagset.tags[idx];
	hctx->driver_data = q;
	return 0;
}

static int inv_init_request(struct blk_mq_tag_set *set, struct request *rq,
			    unsigned int hctx_idx, unsigned int numa_node)
{
	return inv_dma_init_iod(set->driver_data, blk_mq_rq_to_pdu(rq),
				numa_node);
}

static void inv_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			     unsigned int hctx_idx)
{
	inv_dma_exit_iod(set->driver_data, blk_mq_rq_to_pdu(rq));
}

static blk_status_t inv_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct inv_queue *q = hctx->driver_data;
	struct inv_dev *dev = q->dev;
	struct request *rq = bd->rq;
	struct inv_iod *iod = blk_mq_rq_to_pdu(rq);
	struct nvme_command c = { };
	bool bounced = false;
	blk_status_t st;
	unsigned long flags;

	iod->status = 0;
	iod->mapped = false;
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		c.common.opcode = nvme_cmd_flush;
		c.common.nsid = cpu_to_le32(1);
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		c.rw.opcode = req_op(rq) == REQ_OP_READ ? nvme_cmd_read :
							  nvme_cmd_write;
		c.rw.nsid = cpu_to_le32(1);
		c.rw.slba = cpu_to_le64(blk_rq_pos(rq) >> (dev->lba_shift - 9));
		c.rw.length = cpu_to_le16((blk_rq_bytes(rq) >> dev->lba_shift) - 1);
		st = inv_dma_map(dev, rq, &c, &bounced);
		if (st)
			return st;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	c.common.command_id = rq->tag;
	blk_mq_start_request(rq);
	spin_lock_irqsave(&q->sq_lock, flags);
	q->ios++;
	q->bounced += bounced;
	spin_unlock_irqrestore(&q->sq_lock, flags);
	inv_submit(q, &c);
	return BLK_STS_OK;
}

static void inv_complete_rq(struct request *rq)
{
	struct inv_iod *iod = blk_mq_rq_to_pdu(rq);

	inv_dma_unmap(iod);
	blk_mq_end_request(rq, iod->status ? BLK_STS_IOERR : BLK_STS_OK);
}

static const struct blk_mq_ops inv_mq_ops = {
	.queue_rq = inv_queue_rq,
	.complete = inv_complete_rq,
	.init_hctx = inv_init_hctx,
	.init_request = inv_init_request,
	.exit_request = inv_exit_request,
};

/*
 * I/O statistics: "ios <n> bounced <n> sgl <0|1> reserve <bytes per tag>
 * unreserved_tags <n>", summed over the queues.
 */
static ssize_t iodma_stats_show(struct device *d, struct device_attribute *a,
				char *buf)
{
	struct inv_dev *dev = dev_to_disk(d)->private_data;
	u64 ios = 0, bounced = 0;
	unsigned int i;

	for (i = 1; i <= dev->nr_io_queues; i++) {
		struct inv_queue *q = &dev->queues[i];

		spin_lock_irq(&q->sq_lock);
		ios += q->ios;
		bounced += q->bounced;
		spin_unlock_irq(&q->sq_lock);
	}
	return sysfs_emit(buf,
			  "ios %llu bounced %llu sgl %d reserve %u unreserved_tags %d\n",
			  ios, bounced, dev->use_sgl, dev->cb_reserve,
			  atomic_read(&dev->cb_unreserved));
}
static DEVICE_ATTR_RO(iodma_stats);

static struct attribute *inv_disk_attrs[] = {
	&dev_attr_iodma_stats.attr,
	NULL,
};

static const struct attribute_group inv_disk_group = {
	.attrs = inv_disk_attrs,
};

static const struct attribute_group *inv_disk_groups[] = {
	&inv_disk_group,
	NULL,
};

static const struct block_device_operations inv_fops = {
	.owner = THIS_MODULE,
};

#ifdef HAVE_BLK_MQ_ALLOC_DISK_LIMITS
static struct gendisk *inv_alloc_disk(struct inv_dev *dev)
{
	struct queue_limits lim = {
		.logical_block_size = 1u << dev->lba_shift,
		.max_hw_sectors = dev->max_bytes >> SECTOR_SHIFT,
		.max_segments = INV_MAX_SEGMENTS,
		/* NVMe takes dword-aligned memory; iodma does the rest. */
		.dma_alignment = 3,
	};

#ifdef HAVE_BLK_FEAT_WRITE_CACHE
	if (dev->vwc)
		lim.features |= BLK_FEAT_WRITE_CACHE;
#endif
	return blk_mq_alloc_disk(&dev->tagset, &lim, dev);
}
#else
static struct gendisk *inv_alloc_disk(struct inv_dev *dev)
{
	struct gendisk *disk = blk_mq_alloc_disk(&dev->tagset, dev);
	struct request_queue *q;

	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, 1u << dev->lba_shift);
	blk_queue_max_hw_sectors(q, dev->max_bytes >> SECTOR_SHIFT);
	blk_queue_max_segments(q, INV_MAX_SEGMENTS);
	blk_queue_dma_alignment(q, 3);
	return disk;
}
#endif

int inv_blk_add(struct inv_dev *dev)
{
	struct blk_mq_tag_set *set = &dev->tagset;
	struct gendisk *disk;
	int err;

	dev->instance = ida_alloc(&inv_ida, GFP_KERNEL);
	if (dev->instance < 0)
		return dev->instance;
	set->ops = &inv_mq_ops;
	set->nr_hw_queues = dev->nr_io_queues;
	set->queue_depth = dev->queues[1].depth - 1;
	set->numa_node = dev_to_node(&dev->pdev->dev);
	set->cmd_size = sizeof(struct inv_iod);
	/* ->queue_rq() may sleep: iodma's prepare allocates on first use. */
	set->flags = BLK_MQ_F_BLOCKING;
	set->driver_data = dev;
	err = blk_mq_alloc_tag_set(set);
	if (err)
		goto out_ida;

	disk = inv_alloc_disk(dev);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto out_tagset;
	}
#if !defined(HAVE_BLK_FEAT_WRITE_CACHE)
	blk_queue_write_cache(disk->queue, dev->vwc, false);
#endif
	snprintf(disk->disk_name, DISK_NAME_LEN, "iodmanvme%dn1", dev->instance);
	disk->fops = &inv_fops;
	disk->private_data = dev;
	set_capacity(disk, dev->capacity << (dev->lba_shift - SECTOR_SHIFT));
	err = device_add_disk(&dev->pdev->dev, disk, inv_disk_groups);
	if (err)
		goto out_disk;
	dev->disk = disk;
	return 0;

out_disk:
	put_disk(disk);
out_tagset:
	blk_mq_free_tag_set(set);
out_ida:
	ida_free(&inv_ida, dev->instance);
	return err;
}

void inv_blk_remove(struct inv_dev *dev)
{
	del_gendisk(dev->disk);
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tagset);
	ida_free(&inv_ida, dev->instance);
	dev->disk = NULL;
}
