// SPDX-License-Identifier: GPL-2.0
/*
 * Submission and completion queues of the iodma NVMe sample: ring memory,
 * doorbells, submission, the interrupt handler and polled completion for
 * the admin queue.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>

#include "nvme_iodma.h"

int inv_queue_alloc(struct inv_dev *dev, u16 qid, u16 depth, int vector)
{
	struct inv_queue *q = &dev->queues[qid];
	struct device *d = &dev->pdev->dev;

	q->sq = dma_alloc_coherent(d, depth * sizeof(*q->sq), &q->sq_dma,
				   GFP_KERNEL);
	if (!q->sq)
		return -ENOMEM;
	q->cq = dma_alloc_coherent(d, depth * sizeof(*q->cq), &q->cq_dma,
				   GFP_KERNEL);
	if (!q->cq) {
		dma_free_coherent(d, depth * sizeof(*q->sq), q->sq, q->sq_dma);
		q->sq = NULL;
		return -ENOMEM;
	}
	q->dev = dev;
	q->qid = qid;
	q->depth = depth;
	q->sq_db = dev->bar + NVME_REG_DBS + 2 * qid * dev->db_stride;
	q->cq_db = dev->bar + NVME_REG_DBS + (2 * qid + 1) * dev->db_stride;
	spin_lock_init(&q->sq_lock);
	q->sq_tail = 0;
	q->cq_head = 0;
	q->cq_phase = 1;
	q->vector = vector;
	q->ios = 0;
	q->bounced = 0;
	return 0;
}

void inv_queue_free(struct inv_dev *dev, u16 qid)
{
	struct inv_queue *q = &dev->queues[qid];
	struct device *d = &dev->pdev->dev;

	if (!q->sq)
		return;
	dma_free_coherent(d, q->depth * sizeof(*q->cq), q->cq, q->cq_dma);
	dma_free_coherent(d, q->depth * sizeof(*q->sq), q->sq, q->sq_dma);
	q->sq = NULL;
	q->cq = NULL;
}

/* Copy @c into the next SQ slot and ring the doorbell. */
void inv_submit(struct inv_queue *q, struct nvme_command *c)
{
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	memcpy(&q->sq[q->sq_tail], c, sizeof(*c));
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	writel(q->sq_tail, q->sq_db);
	spin_unlock_irqrestore(&q->sq_lock, flags);
}

static bool inv_cqe_pending(struct inv_queue *q)
{
	return (le16_to_cpu(READ_ONCE(q->cq[q->cq_head].status)) & 1) ==
		q->cq_phase;
}

static void inv_cq_advance(struct inv_queue *q)
{
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
	}
}

/*
 * Admin commands are issued one at a time in process context and polled:
 * wait for the completion of @cid, up to @timeout_ms.
 */
int inv_poll_one(struct inv_queue *q, u16 cid, struct nvme_completion *out,
		 unsigned long timeout_ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);

	for (;;) {
		if (inv_cqe_pending(q)) {
			dma_rmb();
			*out = q->cq[q->cq_head];
			inv_cq_advance(q);
			writel(q->cq_head, q->cq_db);
			if (out->command_id == cid)
				return 0;
			continue;	/* a stale completion: skip it */
		}
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(50, 200);
	}
}

/* An I/O queue's MSI-X vector: complete every new entry. */
irqreturn_t inv_irq(int irq, void *data)
{
	struct inv_queue *q = data;
	bool found = false;

	while (inv_cqe_pending(q)) {
		struct nvme_completion *cqe;
		struct inv_iod *iod;
		struct request *rq;

		dma_rmb();
		cqe = &q->cq[q->cq_head];
		rq = blk_mq_tag_to_rq(*q->tags, cqe->command_id);
		inv_cq_advance(q);
		found = true;
		if (unlikely(!rq)) {
			dev_warn_ratelimited(&q->dev->pdev->dev,
					     "q%u: completion for unknown tag %u\n",
					     q->qid, cqe->command_id);
			continue;
		}
		iod = blk_mq_rq_to_pdu(rq);
		iod->status = le16_to_cpu(cqe->status) >> 1;
		blk_mq_complete_request(rq);
	}
	if (found)
		writel(q->cq_head, q->cq_db);
	return found ? IRQ_HANDLED : IRQ_NONE;
}
