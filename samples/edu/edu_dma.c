// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: a driver for QEMU's edu PCI device (1234:11e8) built on iodma.
 *
 * The edu engine moves one (address, length) pair at a time between RAM
 * and its 4 KiB internal buffer, finishes after a 100 ms timer and reaches
 * only its dma_mask (28 bits by default). The driver describes that once
 * in a spec and lets iodma produce segments and any copy buffer: every
 * transfer is prepare -> gen_segments -> program the engine per segment ->
 * complete; nothing here calls the DMA API.
 *
 * Since the engine's buffer cannot be read by the CPU, a transfer is a
 * loopback: the buffer under test goes through the engine to (or comes
 * from) the driver's own buffer, and both ends are compared.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iodma.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "edu_dma_uapi.h"

#define EDU_REG_ID		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_DMA_IRQ		0x4	/* raise EDU_IRQ_DMA when done */
#define EDU_IRQ_DMA		0x100
#define EDU_BUF			0x40000	/* the engine's buffer, device side */
/* QEMU 7.2 aborts on a transfer filling all 4096 bytes: stay below. */
#define EDU_MAX_SEG		4095

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA address bits of the edu engine (its dma_mask), 28-64");

struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *bar;
	struct mutex lock;		/* one transfer at a time */
	bool irq;			/* the engine interrupts when done */
	struct completion dma_done;	/* ... and edu_irq() says so here */
	struct iodma_cmd *test;		/* the buffer under test */
	struct iodma_cmd *own;		/* the driver's buffer */
	void *buf;			/* the driver's buffer, EDU_MAX_SIZE */
	struct iodma_md *buf_md;
	u64 buf_len;			/* bytes a write() left in buf */
	struct edu_xfer last;		/* stats of the last write/read */
	struct miscdevice misc;
};

static struct edu_dev *edu_single;

static u8 edu_pat(u64 i, u32 seed)
{
	return (u8)(i * 131 + seed * 7 + (i >> 8));
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_dev *edu = data;
	u32 status = readl(edu->bar + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;	/* a shared line, not ours */
	writel(status, edu->bar + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&edu->dma_done);
	return IRQ_HANDLED;
}

/*
 * One engine transfer of @len bytes, which ends when the engine's 100 ms
 * timer fires: the CPU sleeps until its interrupt, or polls where the
 * device got no interrupt vector.
 */
static int edu_engine(struct edu_dev *edu, u64 src, u64 dst, u32 len,
		      bool to_ram)
{
	unsigned long timeout = jiffies + 2 * HZ;
	u64 cmd = EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0);

	writeq(src, edu->bar + EDU_REG_DMA_SRC);
	writeq(dst, edu->bar + EDU_REG_DMA_DST);
	writeq(len, edu->bar + EDU_REG_DMA_COUNT);
	if (edu->irq) {
		reinit_completion(&edu->dma_done);
		writeq(cmd | EDU_DMA_IRQ, edu->bar + EDU_REG_DMA_CMD);
		/* the engine's own word decides, whatever woke us */
		while (readq(edu->bar + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
			if (time_after(jiffies, timeout))
				return -ETIMEDOUT;
			wait_for_completion_timeout(&edu->dma_done, HZ / 10);
		}
		return 0;
	}
	writeq(cmd, edu->bar + EDU_REG_DMA_CMD);
	while (readq(edu->bar + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (time_after(jiffies, timeout))
			return -ETIMEDOUT;
		usleep_range(2000, 4000);
	}
	return 0;
}

/* A command's segments, fetched seg_array at a time. */
struct edu_side {
	struct iodma_cmd *cmd;
	struct iodma_seg64 *segs;
	u32 cap, n, i;
	u64 off, in;
	u32 nsegs, calls;
};

static int edu_side_cur(struct edu_side *s, u64 *addr, u64 *left)
{
	if (s->i == s->n) {
		u32 count = s->cap;
		int err = iodma_cmd_gen_segments(s->cmd, &s->off, s->segs,
						 &count);

		if (err)
			return err;
		s->n = count;
		s->i = 0;
		s->in = 0;
		s->calls++;
		s->nsegs += count;
	}
	*addr = s->segs[s->i].addr + s->in;
	*left = s->segs[s->i].len - s->in;
	return 0;
}

static void edu_side_advance(struct edu_side *s, u64 n)
{
	s->in += n;
	if (s->in == s->segs[s->i].len) {
		s->i++;
		s->in = 0;
	}
}

/*
 * Move @len bytes from @src through the engine to @dst, in pieces within
 * one segment of each side: RAM -> engine buffer -> RAM.
 */
static int edu_loopback(struct edu_dev *edu, struct edu_side *src,
			struct edu_side *dst, u64 len, u32 *ops)
{
	u64 pos = 0;

	while (pos < len) {
		u64 sa, sl, da, dl, n;
		int err;

		err = edu_side_cur(src, &sa, &sl);
		if (!err)
			err = edu_side_cur(dst, &da, &dl);
		if (err)
			return err;
		n = min3(sl, dl, (u64)EDU_MAX_SEG);
		err = edu_engine(edu, sa, EDU_BUF, n, false);
		if (!err)
			err = edu_engine(edu, EDU_BUF, da, n, true);
		if (err)
			return err;
		*ops += 2;
		edu_side_advance(src, n);
		edu_side_advance(dst, n);
		pos += n;
	}
	return 0;
}

/*
 * Transfer @len bytes between the buffer under test (@md) and the
 * driver's buffer: @to_device, the device reads @md; otherwise it writes
 * @md. Fills @x's statistics.
 */
static int edu_transfer(struct edu_dev *edu, struct iodma_md *md, u64 len,
			bool to_device, u32 seg_array, struct edu_xfer *x)
{
	struct edu_side t = { .cmd = edu->test }, o = { .cmd = edu->own };
	u64 start = ktime_get_ns();
	int err, err2;

	t.cap = seg_array ? min(seg_array, 64U) : 16;
	o.cap = 16;
	t.segs = kcalloc(t.cap, sizeof(*t.segs), GFP_KERNEL);
	o.segs = kcalloc(o.cap, sizeof(*o.segs), GFP_KERNEL);
	err = (t.segs && o.segs) ? 0 : -ENOMEM;
	if (!err)
		err = iodma_cmd_set_md(edu->test, md, false);
	if (!err)
		err = iodma_cmd_set_md(edu->own, edu->buf_md, false);
	if (!err)
		err = iodma_cmd_prepare(edu->test, 0, len, 0);
	if (err)
		goto out;
	err = iodma_cmd_prepare(edu->own, 0, len, 0);
	if (err)
		goto out_test;
	x->copy_buffer = iodma_cmd_is_double_buffered(edu->test);
	x->dma_ops = 0;
	err = to_device ? edu_loopback(edu, &t, &o, len, &x->dma_ops) :
			  edu_loopback(edu, &o, &t, len, &x->dma_ops);
	/*
	 * The device wrote the buffer under test: make that visible to the
	 * CPU now (complete would too; a driver that looks at the data
	 * before completing needs this).
	 */
	if (!err && !to_device)
		err = iodma_cmd_synchronize(edu->test, IODMA_SYNC_FOR_CPU);
	err2 = iodma_cmd_complete(edu->own, 0);
	err = err ?: err2;
out_test:
	err2 = iodma_cmd_complete(edu->test, 0);
	err = err ?: err2;
out:
	iodma_cmd_clear_md(edu->test, true);
	iodma_cmd_clear_md(edu->own, true);
	kfree(t.segs);
	kfree(o.segs);
	x->segments = t.nsegs;
	x->gen_calls = t.calls;
	x->ns = ktime_get_ns() - start;
	return err;
}

/* Compare @n user bytes with @kbuf. */
static int edu_cmp_user(const void __user *ubuf, const u8 *kbuf, u64 n)
{
	u8 tmp[256];
	u64 pos;

	for (pos = 0; pos < n; pos += sizeof(tmp)) {
		size_t k = min_t(u64, sizeof(tmp), n - pos);

		if (copy_from_user(tmp, ubuf + pos, k))
			return -EFAULT;
		if (memcmp(tmp, kbuf + pos, k))
			return -EILSEQ;
	}
	return 0;
}

static ssize_t edu_write(struct file *f, const char __user *ubuf, size_t n,
			 loff_t *ppos)
{
	struct edu_dev *edu = edu_single;
	struct edu_xfer x = { .kind = EDU_KIND_USER, .dir = EDU_TO_DEVICE,
			      .size = n };
	struct iodma_md *md;
	int err;

	if (!n || n > EDU_MAX_SIZE)
		return -EINVAL;
	md = iodma_md_from_user((unsigned long)ubuf, n, DMA_TO_DEVICE,
				GFP_KERNEL);
	if (IS_ERR(md))
		return PTR_ERR(md);
	mutex_lock(&edu->lock);
	err = edu_transfer(edu, md, n, true, 0, &x);
	if (!err)
		err = edu_cmp_user(ubuf, edu->buf, n);
	edu->buf_len = err ? 0 : n;
	x.result = err;
	edu->last = x;
	mutex_unlock(&edu->lock);
	iodma_md_put(md);
	return err ? err : n;
}

static ssize_t edu_read(struct file *f, char __user *ubuf, size_t n,
			loff_t *ppos)
{
	struct edu_dev *edu = edu_single;
	struct edu_xfer x = { .kind = EDU_KIND_USER, .dir = EDU_FROM_DEVICE,
			      .size = n };
	struct iodma_md *md;
	int err;

	md = iodma_md_from_user((unsigned long)ubuf, n, DMA_FROM_DEVICE,
				GFP_KERNEL);
	if (IS_ERR(md))
		return PTR_ERR(md);
	mutex_lock(&edu->lock);
	if (!n || n > edu->buf_len) {
		err = -EINVAL;
	} else {
		err = edu_transfer(edu, md, n, false, 0, &x);
		if (!err)
			err = edu_cmp_user(ubuf, edu->buf, n);
	}
	x.result = err;
	edu->last = x;
	mutex_unlock(&edu->lock);
	iodma_md_put(md);
	return err ? err : n;
}

/* A kernel buffer of @kind for EDU_IOC_XFER and its CPU accessors. */
struct edu_kbuf {
	u32 kind;
	u64 size;
	void *va;
	struct page **pages;
	unsigned int npages;
};

static u8 *edu_kbuf_byte(struct edu_kbuf *b, u64 i)
{
	if (b->kind == EDU_KIND_PAGES)
		return (u8 *)page_address(b->pages[i >> PAGE_SHIFT]) +
		       offset_in_page(i);
	return (u8 *)b->va + i;
}

static void edu_kbuf_free(struct edu_kbuf *b)
{
	unsigned int i;

	if (b->kind == EDU_KIND_VMALLOC)
		vfree(b->va);
	else
		kfree(b->va);
	for (i = 0; b->pages && i < b->npages; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
	kfree(b->pages);
}

static struct iodma_md *edu_kbuf_alloc(struct edu_kbuf *b,
				       enum dma_data_direction dir)
{
	unsigned int i;

	switch (b->kind) {
	case EDU_KIND_KMALLOC:
		b->va = kmalloc(b->size, GFP_KERNEL);
		return b->va ? iodma_md_from_kva(b->va, b->size, dir,
						 GFP_KERNEL) : ERR_PTR(-ENOMEM);
	case EDU_KIND_VMALLOC:
		b->va = vmalloc(b->size);
		return b->va ? iodma_md_from_kva(b->va, b->size, dir,
						 GFP_KERNEL) : ERR_PTR(-ENOMEM);
	case EDU_KIND_PAGES:
		b->npages = DIV_ROUND_UP(b->size, PAGE_SIZE);
		b->pages = kcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
		if (!b->pages)
			return ERR_PTR(-ENOMEM);
		for (i = 0; i < b->npages; i++) {
			b->pages[i] = alloc_page(GFP_KERNEL);
			if (!b->pages[i])
				return ERR_PTR(-ENOMEM);
		}
		return iodma_md_from_pages(b->pages, b->npages, 0, b->size,
					   dir, GFP_KERNEL);
	default:
		return ERR_PTR(-EINVAL);
	}
}

static int edu_ioc_xfer(struct edu_dev *edu, struct edu_xfer *x)
{
	bool to_dev = x->dir == EDU_TO_DEVICE;
	struct edu_kbuf b = { .kind = x->kind, .size = x->size };
	struct iodma_md *md;
	u64 i;
	int err;

	if (!x->size || x->size > EDU_MAX_SIZE ||
	    (x->dir != EDU_TO_DEVICE && x->dir != EDU_FROM_DEVICE))
		return -EINVAL;
	md = edu_kbuf_alloc(&b, to_dev ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (IS_ERR(md)) {
		edu_kbuf_free(&b);
		return PTR_ERR(md);
	}
	mutex_lock(&edu->lock);
	/* The source holds the pattern; the destination starts zeroed. */
	for (i = 0; i < x->size; i++) {
		*edu_kbuf_byte(&b, i) = to_dev ? edu_pat(i, x->seed) : 0;
		((u8 *)edu->buf)[i] = to_dev ? 0 : edu_pat(i, x->seed);
	}
	edu->buf_len = 0;
	err = edu_transfer(edu, md, x->size, to_dev, x->seg_array, x);
	for (i = 0; !err && i < x->size; i++) {
		u8 got = to_dev ? ((u8 *)edu->buf)[i] : *edu_kbuf_byte(&b, i);

		if (got != edu_pat(i, x->seed))
			err = -EILSEQ;
	}
	mutex_unlock(&edu->lock);
	iodma_md_put(md);
	edu_kbuf_free(&b);
	x->result = err;
	return 0;
}

static long edu_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct edu_dev *edu = edu_single;
	struct edu_xfer x;
	int err;

	switch (cmd) {
	case EDU_IOC_XFER:
		if (copy_from_user(&x, (void __user *)arg, sizeof(x)))
			return -EFAULT;
		err = edu_ioc_xfer(edu, &x);
		if (err)
			return err;
		break;
	case EDU_IOC_LAST:
		mutex_lock(&edu->lock);
		x = edu->last;
		mutex_unlock(&edu->lock);
		break;
	default:
		return -ENOTTY;
	}
	return copy_to_user((void __user *)arg, &x, sizeof(x)) ? -EFAULT : 0;
}

static const struct file_operations edu_fops = {
	.owner = THIS_MODULE,
	.read = edu_read,
	.write = edu_write,
	.unlocked_ioctl = edu_ioctl,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iodma_spec spec = {
		.format = IODMA_FMT_HOST64,
		.address_bits = dma_bits < 64 ? dma_bits : 0,
		.max_segment_size = EDU_MAX_SEG,
	};
	struct edu_dev *edu;
	int err;

	if (edu_single)
		return -EBUSY;
	if (dma_bits < 28 || dma_bits > 64)
		return -EINVAL;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	err = pcim_enable_device(pdev);
	if (err)
		return err;
	err = pcim_iomap_regions(pdev, BIT(0), "edu_dma");
	if (err)
		return err;
	edu->bar = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (err)
		return err;
	mutex_init(&edu->lock);
	init_completion(&edu->dma_done);
	edu->pdev = pdev;
	/*
	 * An interrupt per transfer instead of polling: each wake-up of a
	 * 2-4 ms poll costs the guest CPU, and the engine takes 100 ms.
	 * Without a vector the driver polls (vectors of a managed device are
	 * freed when it unbinds).
	 */
	if (pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES) == 1)
		edu->irq = !devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0),
					     edu_irq, IRQF_SHARED, "edu_dma",
					     edu);
	edu->test = iodma_cmd_create(&pdev->dev, &spec, 0, GFP_KERNEL);
	if (IS_ERR(edu->test))
		return PTR_ERR(edu->test);
	edu->own = iodma_cmd_clone(edu->test, GFP_KERNEL);
	err = PTR_ERR_OR_ZERO(edu->own);
	if (err)
		goto err_test;
	/* Physically contiguous, so its segments line up with the other side. */
	edu->buf = alloc_pages_exact(EDU_MAX_SIZE, GFP_KERNEL | __GFP_ZERO);
	err = edu->buf ? 0 : -ENOMEM;
	if (err)
		goto err_own;
	edu->buf_md = iodma_md_from_kva(edu->buf, EDU_MAX_SIZE,
					DMA_BIDIRECTIONAL, GFP_KERNEL);
	err = PTR_ERR_OR_ZERO(edu->buf_md);
	if (err)
		goto err_buf;
	edu->misc.minor = MISC_DYNAMIC_MINOR;
	edu->misc.name = "edu-dma";
	edu->misc.fops = &edu_fops;
	edu_single = edu;
	err = misc_register(&edu->misc);
	if (err)
		goto err_md;
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "edu %08x, %u-bit DMA, %s, /dev/edu-dma\n",
		 readl(edu->bar + EDU_REG_ID), dma_bits,
		 edu->irq ? "interrupt" : "polled");
	return 0;

err_md:
	edu_single = NULL;
	iodma_md_put(edu->buf_md);
err_buf:
	free_pages_exact(edu->buf, EDU_MAX_SIZE);
err_own:
	iodma_cmd_destroy(edu->own);
err_test:
	iodma_cmd_destroy(edu->test);
	return err;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *edu = pci_get_drvdata(pdev);

	misc_deregister(&edu->misc);
	edu_single = NULL;
	iodma_cmd_destroy(edu->own);
	iodma_cmd_destroy(edu->test);
	iodma_md_put(edu->buf_md);
	free_pages_exact(edu->buf, EDU_MAX_SIZE);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "edu_dma",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("QEMU edu DMA engine driven through iodma");
MODULE_IMPORT_NS(IODMA);
