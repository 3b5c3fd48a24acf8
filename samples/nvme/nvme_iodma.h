/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal NVMe block driver on iodma: shared definitions.
 *
 * nvme_pci.c    PCI probe, controller reset and enable, admin queue,
 *               Identify, I/O queue creation, MSI-X, remove
 * nvme_queue.c  submission and completion queues, the interrupt handler
 * nvme_blk.c    the blk-mq glue: tag set, ->queue_rq(), the disk
 * nvme_dma.c    the only file that talks to iodma: the spec, one reusable
 *               descriptor and one command per tag, PRP lists and SGLs
 *               written by gen_segments
 */
#ifndef NVME_IODMA_H
#define NVME_IODMA_H

#include <linux/blk-mq.h>
#include <linux/iodma.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>

#define INV_NAME		"iodma_nvme"
#define INV_CTRL_PAGE		4096u
/* Largest transfer: 1 MiB (fewer if the controller's MDTS says so). */
#define INV_MAX_BYTES		SZ_1M
#define INV_MAX_SEGMENTS	127u
#define INV_ADMIN_DEPTH		32u
#define INV_MAX_IO_QUEUES	4u

struct inv_dev;

/* One submission/completion queue pair; qid 0 is the admin queue. */
struct inv_queue {
	struct inv_dev *dev;
	u16 qid;
	u16 depth;
	struct nvme_command *sq;
	dma_addr_t sq_dma;
	struct nvme_completion *cq;
	dma_addr_t cq_dma;
	u32 __iomem *sq_db;
	u32 __iomem *cq_db;
	spinlock_t sq_lock;	/* sq_tail, the SQ doorbell, the counters */
	u16 sq_tail;
	u16 cq_head;		/* only the queue's interrupt handler moves it */
	u8 cq_phase;
	int vector;		/* MSI-X vector index, -1 for polled */
	struct blk_mq_tags **tags;
	/* Per queue, never a global counter on the I/O path. */
	u64 ios;
	u64 bounced;
};

struct inv_dev {
	struct pci_dev *pdev;
	void __iomem *bar;
	u64 cap;
	u32 db_stride;		/* bytes between doorbells */
	unsigned int nr_io_queues;
	struct inv_queue queues[INV_MAX_IO_QUEUES + 1];
	u32 max_bytes;
	u32 lba_shift;
	u64 capacity;		/* in logical blocks */
	bool vwc;		/* volatile write cache: flush means something */
	bool use_sgl;
	u32 cb_reserve;		/* copy buffer bytes each tag keeps, or 0 */
	atomic_t cb_unreserved;	/* tags that could not keep one */
	int instance;
	struct blk_mq_tag_set tagset;
	struct gendisk *disk;
	struct iodma_spec spec;	/* set by nvme_dma.c */
};

/* Per request (blk-mq PDU): lives as long as the tag. */
struct inv_iod {
	struct iodma_md *md;	/* reusable, re-pointed per request */
	struct iodma_cmd *cmd;	/* prepared per request */
	void *list;		/* one page: a PRP list or SGL descriptors */
	dma_addr_t list_dma;
	__le64 prp1;		/* PRP entry 0, written by gen_segments */
	u16 status;
	bool mapped;
};

/* nvme_pci.c */
int inv_admin_sync(struct inv_dev *dev, struct nvme_command *c, u32 *result);

/* nvme_queue.c */
int inv_queue_alloc(struct inv_dev *dev, u16 qid, u16 depth, int vector);
void inv_queue_free(struct inv_dev *dev, u16 qid);
void inv_submit(struct inv_queue *q, struct nvme_command *c);
int inv_poll_one(struct inv_queue *q, u16 cid, struct nvme_completion *out,
		 unsigned long timeout_ms);
irqreturn_t inv_irq(int irq, void *data);

/* nvme_blk.c */
int inv_blk_add(struct inv_dev *dev);
void inv_blk_remove(struct inv_dev *dev);

/* nvme_dma.c: everything iodma */
int inv_dma_setup(struct inv_dev *dev, unsigned int address_bits);
int inv_dma_init_iod(struct inv_dev *dev, struct inv_iod *iod, int node);
void inv_dma_exit_iod(struct inv_dev *dev, struct inv_iod *iod);
blk_status_t inv_dma_map(struct inv_dev *dev, struct request *rq,
			 struct nvme_command *c, bool *bounced);
void inv_dma_unmap(struct inv_iod *iod);

#endif /* NVME_IODMA_H */
