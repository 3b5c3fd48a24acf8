// SPDX-License-Identifier: GPL-2.0
/*
 * PCI and controller bring-up of the iodma NVMe sample: probe, controller
 * reset and enable, the admin queue, Identify, the I/O queues with their
 * MSI-X vectors, and remove.
 *
 * The driver binds only when asked: it matches no device by itself. Hand
 * it a controller with
 *
 *	echo iodma_nvme > /sys/bus/pci/devices/<bdf>/driver_override
 *	echo <bdf> > /sys/bus/pci/drivers_probe
 *
 * so that the kernel's own nvme driver can drive the same device in the
 * same boot (unbind it first, and clear driver_override to give it back).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "nvme_iodma.h"

static bool sgl;
module_param(sgl, bool, 0444);
MODULE_PARM_DESC(sgl, "describe data with SGLs instead of PRP lists");
static uint address_bits;
module_param(address_bits, uint, 0444);
MODULE_PARM_DESC(address_bits,
		 "narrower DMA reach given to iodma (tests its copy buffer); 0 = none");
static uint io_queues = 2;
module_param(io_queues, uint, 0444);
MODULE_PARM_DESC(io_queues, "I/O queue pairs wanted (1-4)");
static uint cb_reserve_kib = 128;
module_param(cb_reserve_kib, uint, 0444);
MODULE_PARM_DESC(cb_reserve_kib,
		 "copy buffer kept per tag where requests may need one (PRP, narrowed address bits); 0 = allocate per request");
static uint queue_depth = 64;
module_param(queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "entries per I/O queue (2-1024)");

/* The controller's timeout (CAP.TO, in 500 ms units). */
static unsigned long inv_timeout_ms(struct inv_dev *dev)
{
	return (NVME_CAP_TIMEOUT(dev->cap) + 1) * 500;
}

static int inv_wait_ready(struct inv_dev *dev, bool ready)
{
	unsigned long end = jiffies + msecs_to_jiffies(inv_timeout_ms(dev));
	u32 csts;

	for (;;) {
		csts = readl(dev->bar + NVME_REG_CSTS);
		if (csts == ~0u)
			return -ENODEV;
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return 0;
		if (time_after(jiffies, end)) {
			dev_err(&dev->pdev->dev, "CSTS.RDY stuck at %u\n", !ready);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
}

static int inv_disable(struct inv_dev *dev)
{
	writel(0, dev->bar + NVME_REG_CC);
	return inv_wait_ready(dev, false);
}

/* One admin command, polled: 0, -EIO for an error status, or -ETIMEDOUT. */
int inv_admin_sync(struct inv_dev *dev, struct nvme_command *c, u32 *result)
{
	struct inv_queue *q = &dev->queues[0];
	struct nvme_completion cqe;
	u16 cid = q->sq_tail;	/* one command at a time: the slot is unique */
	int err;

	c->common.command_id = cid;
	inv_submit(q, c);
	err = inv_poll_one(q, cid, &cqe, inv_timeout_ms(dev));
	if (err)
		return err;
	if (result)
		*result = le32_to_cpu(cqe.result.u32);
	if (le16_to_cpu(cqe.status) >> 1) {
		dev_err(&dev->pdev->dev, "admin opcode %#x: status %#x\n",
			c->common.opcode, le16_to_cpu(cqe.status) >> 1);
		return -EIO;
	}
	return 0;
}

static int inv_enable_admin(struct inv_dev *dev)
{
	struct inv_queue *aq = &dev->queues[0];
	u32 cc;
	int err;

	err = inv_disable(dev);
	if (err)
		return err;
	err = inv_queue_alloc(dev, 0, INV_ADMIN_DEPTH, -1);
	if (err)
		return err;
	writel((INV_ADMIN_DEPTH - 1) | ((INV_ADMIN_DEPTH - 1) << 16),
	       dev->bar + NVME_REG_AQA);
	lo_hi_writeq(aq->sq_dma, dev->bar + NVME_REG_ASQ);
	lo_hi_writeq(aq->cq_dma, dev->bar + NVME_REG_ACQ);
	/* NVM command set, 4 KiB pages, round robin, 64/16-byte entries. */
	cc = NVME_CC_CSS_NVM | NVME_CC_AMS_RR | NVME_CC_SHN_NONE |
	     NVME_CC_IOSQES | NVME_CC_IOCQES | NVME_CC_ENABLE;
	writel(cc, dev->bar + NVME_REG_CC);
	err = inv_wait_ready(dev, true);
	if (err)
		inv_queue_free(dev, 0);
	return err;
}

static int inv_identify(struct inv_dev *dev)
{
	struct device *d = &dev->pdev->dev;
	struct nvme_command c = { };
	struct nvme_id_ctrl *ctrl;
	struct nvme_id_ns *ns;
	dma_addr_t dma;
	void *buf;
	u8 mdts;
	int err;

	buf = dma_alloc_coherent(d, INV_CTRL_PAGE, &dma, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	c.identify.opcode = nvme_admin_identify;
	c.identify.dptr.prp1 = cpu_to_le64(dma);
	c.identify.cns = NVME_ID_CNS_CTRL;
	err = inv_admin_sync(dev, &c, NULL);
	if (err)
		goto out;
	ctrl = buf;
	mdts = ctrl->mdts;
	dev->max_bytes = INV_MAX_BYTES;
	if (mdts && mdts < 20 && (INV_CTRL_PAGE << mdts) < dev->max_bytes)
		dev->max_bytes = INV_CTRL_PAGE << mdts;
	dev->vwc = ctrl->vwc & 1;
	if (dev->use_sgl && !(le32_to_cpu(ctrl->sgls) & 3)) {
		dev_err(d, "sgl=1, but the controller has no SGL support\n");
		err = -EOPNOTSUPP;
		goto out;
	}

	memset(&c, 0, sizeof(c));
	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(1);
	c.identify.dptr.prp1 = cpu_to_le64(dma);
	c.identify.cns = NVME_ID_CNS_NS;
	err = inv_admin_sync(dev, &c, NULL);
	if (err)
		goto out;
	ns = buf;
	dev->capacity = le64_to_cpu(ns->nsze);
	dev->lba_shift = ns->lbaf[ns->flbas & 0xf].ds;
	if (!dev->capacity || dev->lba_shift < 9 || dev->lba_shift > 12) {
		dev_err(d, "namespace 1: %llu blocks of 2^%u bytes: unusable\n",
			dev->capacity, dev->lba_shift);
		err = -ENODEV;
	}
out:
	dma_free_coherent(d, INV_CTRL_PAGE, buf, dma);
	return err;
}

/* Ask for @want I/O queues; the controller may grant fewer. */
static int inv_set_queue_count(struct inv_dev *dev, unsigned int want)
{
	struct nvme_command c = { };
	u32 result;
	int err;

	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(NVME_FEAT_NUM_QUEUES);
	c.features.dword11 = cpu_to_le32((want - 1) | ((want - 1) << 16));
	err = inv_admin_sync(dev, &c, &result);
	if (err)
		return err;
	return min3(want, (result & 0xffff) + 1, (result >> 16) + 1);
}

static int inv_create_io_queue(struct inv_dev *dev, u16 qid, int vector)
{
	struct inv_queue *q = &dev->queues[qid];
	struct nvme_command c = { };
	int err;

	c.create_cq.opcode = nvme_admin_create_cq;
	c.create_cq.prp1 = cpu_to_le64(q->cq_dma);
	c.create_cq.cqid = cpu_to_le16(qid);
	c.create_cq.qsize = cpu_to_le16(q->depth - 1);
	c.create_cq.cq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG |
					   NVME_CQ_IRQ_ENABLED);
	c.create_cq.irq_vector = cpu_to_le16(vector);
	err = inv_admin_sync(dev, &c, NULL);
	if (err)
		return err;

	memset(&c, 0, sizeof(c));
	c.create_sq.opcode = nvme_admin_create_sq;
	c.create_sq.prp1 = cpu_to_le64(q->sq_dma);
	c.create_sq.sqid = cpu_to_le16(qid);
	c.create_sq.qsize = cpu_to_le16(q->depth - 1);
	c.create_sq.sq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG);
	c.create_sq.cqid = cpu_to_le16(qid);
	return inv_admin_sync(dev, &c, NULL);
}

static void inv_free_io_queues(struct inv_dev *dev)
{
	unsigned int i;

	for (i = 1; i <= dev->nr_io_queues; i++) {
		struct inv_queue *q = &dev->queues[i];

		if (q->vector >= 0)
			free_irq(pci_irq_vector(dev->pdev, q->vector), q);
		inv_queue_free(dev, i);
	}
}

/*
 * Vector 0 is left to the admin queue (polled, its interrupt is masked by
 * never being requested); I/O queue i takes vector i.
 */
static int inv_setup_io_queues(struct inv_dev *dev)
{
	struct pci_dev *pdev = dev->pdev;
	unsigned int want = clamp_val(io_queues, 1, INV_MAX_IO_QUEUES);
	unsigned int depth = clamp_val(queue_depth, 2,
				       NVME_CAP_MQES(dev->cap) + 1);
	int nvec, n, err;
	unsigned int i;

	n = inv_set_queue_count(dev, want);
	if (n < 0)
		return n;
	nvec = pci_alloc_irq_vectors(pdev, 2, n + 1, PCI_IRQ_MSIX);
	if (nvec < 0)
		return nvec;
	dev->nr_io_queues = min_t(unsigned int, n, nvec - 1);
	for (i = 1; i <= dev->nr_io_queues; i++) {
		err = inv_queue_alloc(dev, i, depth, -1);
		if (err)
			goto fail;
		err = request_irq(pci_irq_vector(pdev, i), inv_irq, 0,
				  INV_NAME, &dev->queues[i]);
		if (err) {
			inv_queue_free(dev, i);
			goto fail;
		}
		dev->queues[i].vector = i;
		err = inv_create_io_queue(dev, i, i);
		if (err) {
			i++;	/* its memory and vector are freed below */
			goto fail;
		}
	}
	return 0;
fail:
	dev->nr_io_queues = i - 1;
	inv_free_io_queues(dev);
	pci_free_irq_vectors(pdev);
	return err;
}

static int inv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct inv_dev *dev;
	int err;

	dev = devm_kzalloc(&pdev->dev, sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->pdev = pdev;
	dev->use_sgl = sgl;
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	pci_set_master(pdev);
	/*
	 * address_bits narrows only the iodma spec, not the DMA mask: the DMA
	 * layer maps anywhere and iodma's copy buffer takes whatever lies
	 * above the spec's reach (behind an IOMMU, whose addresses iodma
	 * cannot place, such a spec is refused at probe).
	 */
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	/* An SGL data block takes up to 4 GiB; PRP entries are cut by iodma. */
	dma_set_max_seg_size(&pdev->dev, 0xffffffff);
	err = pcim_iomap_regions(pdev, BIT(0), INV_NAME);
	if (err)
		return err;
	dev->bar = pcim_iomap_table(pdev)[0];
	dev->cap = lo_hi_readq(dev->bar + NVME_REG_CAP);
	dev->db_stride = 4u << NVME_CAP_STRIDE(dev->cap);
	if (NVME_CAP_MPSMIN(dev->cap) > 0) {
		dev_err(&pdev->dev, "4 KiB pages not supported\n");
		return -ENODEV;
	}

	err = inv_enable_admin(dev);
	if (err)
		return err;
	err = inv_identify(dev);
	if (err)
		goto out_disable;
	/*
	 * Where a request may need iodma's copy buffer (a PRP gap, memory
	 * beyond a narrowed reach), every tag keeps one, and no request is
	 * larger: the I/O path then never allocates.
	 */
	if (cb_reserve_kib && (!dev->use_sgl || address_bits)) {
		dev->max_bytes = clamp_t(u32, round_down(cb_reserve_kib, 4) * SZ_1K,
					 INV_CTRL_PAGE, dev->max_bytes);
		dev->cb_reserve = dev->max_bytes;
	}
	err = inv_dma_setup(dev, address_bits);
	if (err) {
		dev_err(&pdev->dev, "iodma refuses the spec: %d\n", err);
		goto out_disable;
	}
	err = inv_setup_io_queues(dev);
	if (err)
		goto out_disable;
	pci_set_drvdata(pdev, dev);
	err = inv_blk_add(dev);
	if (err)
		goto out_queues;
	dev_info(&pdev->dev,
		 "%s: %llu blocks of %u bytes, %u I/O queues of %u, %s, max %u KiB, copy buffer kept per tag %u KiB%s\n",
		 dev->disk->disk_name, dev->capacity, 1u << dev->lba_shift,
		 dev->nr_io_queues, dev->queues[1].depth,
		 dev->use_sgl ? "SGL" : "PRP", dev->max_bytes >> 10,
		 dev->cb_reserve >> 10,
		 address_bits ? ", narrowed address bits" : "");
	return 0;

out_queues:
	inv_free_io_queues(dev);
	pci_free_irq_vectors(pdev);
out_disable:
	inv_disable(dev);
	inv_queue_free(dev, 0);
	return err;
}

static void inv_remove(struct pci_dev *pdev)
{
	struct inv_dev *dev = pci_get_drvdata(pdev);

	inv_blk_remove(dev);
	/* Disabling the controller deletes its queues. */
	inv_disable(dev);
	inv_free_io_queues(dev);
	pci_free_irq_vectors(pdev);
	inv_queue_free(dev, 0);
}

/* No ID table: the driver binds only through driver_override. */
static struct pci_driver inv_driver = {
	.name = INV_NAME,
	.probe = inv_probe,
	.remove = inv_remove,
};
module_pci_driver(inv_driver);

MODULE_DESCRIPTION("A minimal NVMe block driver whose every transfer goes through iodma");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IODMA);
