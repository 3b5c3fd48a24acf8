// SPDX-License-Identifier: GPL-2.0
/*
 * The DMA mapping of the iodma NVMe sample: the only file that talks to
 * iodma. A reader learns iodma's blk-mq pattern from this file alone:
 *
 * - the engine is described once, as a struct iodma_spec: PRP lists (NVMe's
 *   page list: first entry dword-aligned, every later one page-aligned,
 *   every one but the last ending on a page, none crossing one) or SGLs
 *   (any dword-aligned segment, written as 16-byte data block
 *   descriptors, which is exactly iodma's little-endian 64-bit format);
 * - every tag owns a reusable descriptor and a command, made once in
 *   ->init_request(): the I/O path allocates nothing;
 * - ->queue_rq() re-points the descriptor at the request, prepares, and
 *   lets gen_segments write the PRP entries or SGL descriptors straight
 *   into the tag's list page; completion completes.
 *
 * A request the PRP rules cannot express as is (a sub-page piece in the
 * middle of vectored I/O; memory above a narrow address_bits) goes through
 * iodma's copy buffer; this file never patches a segment.
 */
#include <linux/dma-mapping.h>
#include <linux/iodma.h>
#include <linux/sizes.h>

#include "nvme_iodma.h"

#define INV_PRP_PER_PAGE	(INV_CTRL_PAGE / sizeof(__le64))
#define INV_SGL_PER_PAGE	(INV_CTRL_PAGE / sizeof(struct nvme_sgl_desc))

/*
 * iodma's segment function for PRP: entry 0 goes into the command, every
 * later one into the tag's PRP list page. gen_segments calls it once per
 * segment, and the spec makes every segment a valid PRP entry.
 */
static bool inv_prp_entry(void *segments, u32 index, u64 addr, u64 len,
			  void *ctx)
{
	struct inv_iod *iod = segments;
	__le64 *list = iod->list;

	if (!index) {
		iod->prp1 = cpu_to_le64(addr);
		return true;
	}
	/* 1 MiB from any dword offset needs 257 entries: always room. */
	if (index - 1 >= INV_PRP_PER_PAGE)
		return false;
	list[index - 1] = cpu_to_le64(addr);
	return true;
}

/**
 * inv_dma_setup() - describe the controller's DMA engine to iodma
 * @dev: the controller, with use_sgl and max_bytes set
 * @address_bits: 0, or a narrower reach to test iodma's copy buffer
 *
 * Return: 0, or the negative errno of iodma_spec_check().
 */
int inv_dma_setup(struct inv_dev *dev, unsigned int address_bits)
{
	struct iodma_spec *s = &dev->spec;

	memset(s, 0, sizeof(*s));
	s->address_bits = address_bits;
	s->max_transfer_size = dev->max_bytes;
	/* NVMe wants dword-aligned data pointers and dword lengths. */
	s->alignment = 4;
	s->alignment_length = 4;
	if (dev->use_sgl) {
		/* {le64 addr; le64 len}: a data block descriptor (type 0). */
		s->format = IODMA_FMT_LITTLE64;
		s->max_segment_size = dev->max_bytes;
	} else {
		s->format = IODMA_FMT_CUSTOM;
		s->seg_fn = inv_prp_entry;
		s->max_segment_size = INV_CTRL_PAGE;
		s->segment_boundary = INV_CTRL_PAGE;
		s->alignment_internal = INV_CTRL_PAGE;
		s->alignment_end = INV_CTRL_PAGE;
	}
	return iodma_spec_check(&dev->pdev->dev, s);
}

/**
 * inv_dma_init_iod() - a tag's descriptor, command and list page
 * @dev: the controller
 * @iod: the tag's PDU
 * @node: NUMA node of the tag
 *
 * Context: Process context (->init_request()).
 * Return: 0 or a negative errno, with nothing left allocated.
 */
int inv_dma_init_iod(struct inv_dev *dev, struct inv_iod *iod, int node)
{
	struct device *d = &dev->pdev->dev;
	int err;

	iod->md = iodma_md_alloc_reusable(INV_MAX_SEGMENTS, GFP_KERNEL);
	if (IS_ERR(iod->md))
		return PTR_ERR(iod->md);
	/* ->queue_rq() may sleep (BLK_MQ_F_BLOCKING): so may prepare. */
	iod->cmd = iodma_cmd_create(d, &dev->spec, 0, GFP_KERNEL);
	if (IS_ERR(iod->cmd)) {
		err = PTR_ERR(iod->cmd);
		goto out_put_md;
	}
	err = iodma_cmd_set_md(iod->cmd, iod->md, false);
	if (err)
		goto out_destroy_cmd;
	/*
	 * The tag's own copy buffer: a request that needs one takes it and
	 * allocates nothing. Short of memory below the reach, the tag goes
	 * without, and such a request allocates its copy buffer at prepare.
	 */
	if (dev->cb_reserve) {
		err = iodma_cmd_reserve_copy_buffer(iod->cmd, dev->cb_reserve);
		if (err == -ENOMEM)
			atomic_inc(&dev->cb_unreserved);
		else if (err)
			goto out_destroy_cmd;
	}
	iod->list = dma_alloc_coherent(d, INV_CTRL_PAGE, &iod->list_dma,
				       GFP_KERNEL);
	if (!iod->list) {
		err = -ENOMEM;
		goto out_destroy_cmd;
	}
	return 0;

out_destroy_cmd:
	iodma_cmd_destroy(iod->cmd);
out_put_md:
	iodma_md_put(iod->md);
	iod->md = NULL;
	iod->cmd = NULL;
	return err;
}

void inv_dma_exit_iod(struct inv_dev *dev, struct inv_iod *iod)
{
	if (!iod->md)
		return;
	dma_free_coherent(&dev->pdev->dev, INV_CTRL_PAGE, iod->list,
			  iod->list_dma);
	iodma_cmd_destroy(iod->cmd);	/* drops its reference on md */
	iodma_md_put(iod->md);
	iod->md = NULL;
}

static blk_status_t inv_errno_to_status(int err)
{
	/* -ENOMEM is worth a retry: blk-mq requeues the request. */
	return err == -ENOMEM ? BLK_STS_RESOURCE : BLK_STS_IOERR;
}

/**
 * inv_dma_map() - map a read or write request into an NVMe command
 * @dev: the controller
 * @rq: the request
 * @c: the command being built; its data pointer is filled in
 * @bounced: set when iodma used its copy buffer for this request
 *
 * Context: ->queue_rq(), may sleep. Allocates nothing once the tag's
 * command has seen a request of this size.
 * Return: BLK_STS_OK, BLK_STS_RESOURCE (retry) or BLK_STS_IOERR.
 */
blk_status_t inv_dma_map(struct inv_dev *dev, struct request *rq,
			 struct nvme_command *c, bool *bounced)
{
	struct inv_iod *iod = blk_mq_rq_to_pdu(rq);
	u64 len = blk_rq_bytes(rq), off = 0;
	u32 n;
	int err;

	err = iodma_md_set_request(iod->md, rq);
	if (err)
		return inv_errno_to_status(err);
	err = iodma_cmd_prepare(iod->cmd, 0, 0, 0);
	if (err)
		return inv_errno_to_status(err);
	iod->mapped = true;
	*bounced = iodma_cmd_is_double_buffered(iod->cmd);

	if (!dev->use_sgl) {
		n = 1 + INV_PRP_PER_PAGE;
		err = iodma_cmd_gen_segments(iod->cmd, &off, iod, &n);
		if (err || off != len)
			goto fail;
		c->rw.dptr.prp1 = iod->prp1;
		if (n == 2)
			c->rw.dptr.prp2 = ((__le64 *)iod->list)[0];
		else if (n > 2)
			c->rw.dptr.prp2 = cpu_to_le64(iod->list_dma);
		return BLK_STS_OK;
	}

	n = INV_SGL_PER_PAGE;
	err = iodma_cmd_gen_segments(iod->cmd, &off, iod->list, &n);
	if (err || off != len)
		goto fail;
	c->rw.flags |= NVME_CMD_SGL_METABUF;
	if (n == 1) {
		/* One data block: in the command itself. */
		memcpy(&c->rw.dptr.sgl, iod->list, sizeof(c->rw.dptr.sgl));
	} else {
		c->rw.dptr.sgl.addr = cpu_to_le64(iod->list_dma);
		c->rw.dptr.sgl.length = cpu_to_le32(n * sizeof(struct nvme_sgl_desc));
		c->rw.dptr.sgl.type = NVME_SGL_FMT_LAST_SEG_DESC << 4;
	}
	return BLK_STS_OK;

fail:
	dev_err_ratelimited(&dev->pdev->dev,
			    "gen_segments: %d, %llu of %llu bytes in %u entries\n",
			    err, off, len, n);
	inv_dma_unmap(iod);
	return BLK_STS_IOERR;
}

/**
 * inv_dma_unmap() - the request is done: complete its iodma command
 * @iod: the tag's PDU
 *
 * Copies a from-device copy buffer back, unmaps, releases the descriptor
 * for the next request.
 *
 * Context: Any context (blk-mq's completion).
 */
void inv_dma_unmap(struct inv_iod *iod)
{
	if (!iod->mapped)
		return;
	iod->mapped = false;
	WARN_ON_ONCE(iodma_cmd_complete(iod->cmd, 0));
}
