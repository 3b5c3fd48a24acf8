/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * edu_dma: user interface of the sample driver for QEMU's edu device.
 *
 * write(fd, buf, n) moves n bytes from the caller's pages through the
 * device into the driver's buffer; read(fd, buf, n) moves them back out
 * into the caller's pages. Both go straight from/to the caller's pages by
 * DMA (iodma_md_from_user). EDU_IOC_XFER runs a transfer from a kernel
 * buffer of a given kind; EDU_IOC_LAST reports the last write/read.
 */
#ifndef EDU_DMA_UAPI_H
#define EDU_DMA_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define EDU_KIND_USER		0
#define EDU_KIND_KMALLOC	1
#define EDU_KIND_VMALLOC	2
#define EDU_KIND_PAGES		3

#define EDU_TO_DEVICE		1	/* the buffer is read by the device */
#define EDU_FROM_DEVICE		2	/* the buffer is written by the device */

#define EDU_MAX_SIZE		(4u << 20)

struct edu_xfer {
	/* in (EDU_IOC_XFER) */
	__u32 kind;
	__u32 dir;
	__u64 size;
	__u32 seg_array;	/* segments per gen_segments call; 0: 16 */
	__u32 seed;
	/* out */
	__u32 segments;		/* segments of the buffer under test */
	__u32 gen_calls;	/* gen_segments calls for it */
	__u32 copy_buffer;	/* iodma bounced it through its copy buffer */
	__u32 dma_ops;		/* engine transfers */
	__u64 ns;		/* prepare to complete, both sides */
	__s32 result;		/* 0, -errno, or -EILSEQ for a wrong byte */
	__u32 pad;
};

#define EDU_IOC_XFER	_IOWR('E', 1, struct edu_xfer)
#define EDU_IOC_LAST	_IOR('E', 2, struct edu_xfer)

#endif /* EDU_DMA_UAPI_H */
