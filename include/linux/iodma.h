/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iodma - the IOKit IODMACommand model for Linux drivers.
 *
 * A driver describes its DMA engine once (struct iodma_spec) and creates
 * commands (struct iodma_cmd) for a device. The behaviour contract is in
 * Documentation/api.rst. Symbols are exported GPL-only in the IODMA
 * namespace: client modules need MODULE_IMPORT_NS(IODMA).
 */
#ifndef _LINUX_IODMA_H
#define _LINUX_IODMA_H

#include <linux/types.h>
#include <linux/dma-direction.h>

struct device;

/**
 * enum iodma_format - layout of the segments iodma_cmd_gen_segments() writes
 * @IODMA_FMT_HOST32: &struct iodma_seg32, CPU byte order
 * @IODMA_FMT_BIG32: &struct iodma_seg32, big endian
 * @IODMA_FMT_LITTLE32: &struct iodma_seg32, little endian
 * @IODMA_FMT_HOST64: &struct iodma_seg64, CPU byte order
 * @IODMA_FMT_BIG64: &struct iodma_seg64, big endian
 * @IODMA_FMT_LITTLE64: &struct iodma_seg64, little endian
 * @IODMA_FMT_CUSTOM: the spec's @seg_fn writes each segment
 */
enum iodma_format {
	IODMA_FMT_HOST32 = 1,
	IODMA_FMT_BIG32,
	IODMA_FMT_LITTLE32,
	IODMA_FMT_HOST64,
	IODMA_FMT_BIG64,
	IODMA_FMT_LITTLE64,
	IODMA_FMT_CUSTOM,
};

/**
 * struct iodma_seg32 - one segment in a 32-bit output format
 * @addr: DMA address of the first byte
 * @len: length in bytes
 */
struct iodma_seg32 {
	u32 addr;
	u32 len;
};

/**
 * struct iodma_seg64 - one segment in a 64-bit output format
 * @addr: DMA address of the first byte
 * @len: length in bytes
 */
struct iodma_seg64 {
	u64 addr;
	u64 len;
};

/**
 * typedef iodma_seg_fn - writer of one segment, for %IODMA_FMT_CUSTOM
 * @segments: the array passed to iodma_cmd_gen_segments()
 * @index: the slot of this segment in @segments
 * @addr: DMA address of the segment's first byte
 * @len: length of the segment in bytes
 * @ctx: the spec's @seg_ctx
 *
 * Context: as the iodma_cmd_gen_segments() call that runs it.
 * Return: true when the segment is written; false to refuse it, and
 * iodma_cmd_gen_segments() then fails with -EOVERFLOW.
 */
typedef bool (*iodma_seg_fn)(void *segments, u32 index, u64 addr, u64 len,
			     void *ctx);

/**
 * enum iodma_mapping - how segment addresses are produced
 * @IODMA_MAPPED: through the Linux DMA API for the device (direct,
 *	swiotlb or IOMMU, whatever the platform does)
 * @IODMA_BYPASSED: physical bus addresses; refused on a translated device
 * @IODMA_NONCOHERENT: as @IODMA_MAPPED, and the prepare/complete flags
 *	control the CPU cache maintenance
 * @IODMA_UNMAPPED: physical bus addresses, no mapping; refused on a
 *	translated device
 */
enum iodma_mapping {
	IODMA_MAPPED = 0,
	IODMA_BYPASSED = 1,
	IODMA_NONCOHERENT = 2,
	IODMA_UNMAPPED = 3,
};

/* Or-ed into iodma_spec.mapping: never copy, a violating segment is an error. */
#define IODMA_ITERATE_ONLY 0x40

/**
 * struct iodma_spec - constraints of a device's DMA engine
 * @format: output segment layout (required)
 * @seg_fn: segment writer, for %IODMA_FMT_CUSTOM only
 * @seg_ctx: passed to @seg_fn
 * @address_bits: highest emitted address is 2^bits - 1; 0 = 64, or 32 for
 *	a 32-bit format
 * @max_segment_size: no emitted segment is longer; 0 = no limit
 * @max_transfer_size: a longer prepare fails with -ENOSPC; 0 = no limit
 * @alignment: address alignment of the first segment; 0 = 1
 * @alignment_length: every segment length and the prepared length are a
 *	multiple of it; 0 = 1
 * @alignment_internal: address alignment of every later segment;
 *	0 = @alignment
 * @segment_boundary: no segment crosses a multiple of it; 0 = none
 * @mapping: an &enum iodma_mapping, optionally or-ed with
 *	%IODMA_ITERATE_ONLY
 * @alignment_end: the end (address + length) of every segment but the
 *	last is a multiple of it: no gap inside a unit, the other half of
 *	Linux's virt_boundary (with @alignment_internal for the starts), as
 *	NVMe PRP lists need; 0 = 1. Beyond IOKit. It sits in what was
 *	padding, so a zero-initialised structure of an older client means 1.
 * @reserved: must be zero; later versions add fields here
 *
 * Alignments and the boundary are powers of two. Zero-initialise the
 * whole structure and set what the engine needs.
 */
struct iodma_spec {
	enum iodma_format format;
	iodma_seg_fn seg_fn;
	void *seg_ctx;
	u8  address_bits;
	u64 max_segment_size;
	u64 max_transfer_size;
	u32 alignment;
	u32 alignment_length;
	u32 alignment_internal;
	u64 segment_boundary;
	u32 mapping;
	u32 alignment_end;
	u64 reserved[4];
};

struct iodma_cmd;
struct iodma_md;
struct page;
struct sg_table;
struct bio_vec;
struct request;

/* Memory descriptors: ERR_PTR on failure, reference counted. */
struct iodma_md *iodma_md_from_kva(void *addr, size_t len,
				   enum dma_data_direction dir, gfp_t gfp);
struct iodma_md *iodma_md_from_pages(struct page **pages, unsigned int npages,
				     size_t offset, size_t len,
				     enum dma_data_direction dir, gfp_t gfp);
struct iodma_md *iodma_md_from_user(unsigned long uaddr, size_t len,
				    enum dma_data_direction dir, gfp_t gfp);
struct iodma_md *iodma_md_from_sgtable(struct sg_table *sgt,
				       enum dma_data_direction dir, gfp_t gfp);
struct iodma_md *iodma_md_from_phys(phys_addr_t addr, size_t len,
				    enum dma_data_direction dir, gfp_t gfp);
/*
 * Reusable descriptors, for drivers that keep one per tag or slot: created
 * once, re-pointed at each request's memory with no allocation.
 */
struct iodma_md *iodma_md_alloc_reusable(unsigned int max_ranges, gfp_t gfp);
int iodma_md_set_bvecs(struct iodma_md *md, const struct bio_vec *bv,
		       unsigned int nr, enum dma_data_direction dir);
int iodma_md_set_request(struct iodma_md *md, struct request *rq);
void iodma_md_get(struct iodma_md *md);
void iodma_md_put(struct iodma_md *md);
u64 iodma_md_length(const struct iodma_md *md);
enum dma_data_direction iodma_md_direction(const struct iodma_md *md);

struct iodma_cmd *iodma_cmd_create(struct device *dev,
				   const struct iodma_spec *spec,
				   size_t priv_size, gfp_t gfp);
struct iodma_cmd *iodma_cmd_clone(const struct iodma_cmd *cmd, gfp_t gfp);
void iodma_cmd_destroy(struct iodma_cmd *cmd);
void *iodma_cmd_priv(struct iodma_cmd *cmd);
struct device *iodma_cmd_device(const struct iodma_cmd *cmd);
int iodma_cmd_set_spec(struct iodma_cmd *cmd, const struct iodma_spec *spec);
int iodma_cmd_get_spec(const struct iodma_cmd *cmd, struct iodma_spec *out);
int iodma_spec_check(struct device *dev, const struct iodma_spec *spec);

int iodma_cmd_set_md(struct iodma_cmd *cmd, struct iodma_md *md,
		     bool auto_prepare);
int iodma_cmd_clear_md(struct iodma_cmd *cmd, bool auto_complete);
struct iodma_md *iodma_cmd_md(const struct iodma_cmd *cmd);

#define IODMA_PREPARE_NO_FLUSH		0x1	/* IOKit flushCache = false */
#define IODMA_PREPARE_NO_SYNC		0x2	/* IOKit synchronize = false */
int iodma_cmd_prepare(struct iodma_cmd *cmd, u64 offset, u64 length,
		      unsigned int flags);
int iodma_cmd_prepare_with_spec(struct iodma_cmd *cmd,
				const struct iodma_spec *spec,
				u64 offset, u64 length, unsigned int flags);
#define IODMA_COMPLETE_NO_INVALIDATE	0x1
#define IODMA_COMPLETE_NO_SYNC		0x2
int iodma_cmd_complete(struct iodma_cmd *cmd, unsigned int flags);
int iodma_cmd_gen_segments(struct iodma_cmd *cmd, u64 *offset,
			   void *segments, u32 *count);
#define IODMA_SYNC_FOR_CPU		0x1	/* IOKit kIODirectionIn */
#define IODMA_SYNC_FOR_DEVICE		0x2	/* IOKit kIODirectionOut */
#define IODMA_SYNC_FORCE_DOUBLE_BUFFER	0x100
int iodma_cmd_synchronize(struct iodma_cmd *cmd, unsigned int options);
int iodma_cmd_synchronize_range(struct iodma_cmd *cmd, u64 offset,
				u64 length, unsigned int options);
size_t iodma_cmd_read_bytes(struct iodma_cmd *cmd, u64 offset, void *buf,
			    size_t len);
size_t iodma_cmd_write_bytes(struct iodma_cmd *cmd, u64 offset,
			     const void *buf, size_t len);
int iodma_cmd_prepared_range(const struct iodma_cmd *cmd, u64 *offset,
			     u64 *length);
bool iodma_cmd_is_double_buffered(const struct iodma_cmd *cmd);
int iodma_cmd_reserve_copy_buffer(struct iodma_cmd *cmd, size_t bytes);

/* Effective values of the current spec, defaults resolved. */
enum iodma_format iodma_cmd_format(const struct iodma_cmd *cmd);
u8 iodma_cmd_address_bits(const struct iodma_cmd *cmd);
u64 iodma_cmd_max_segment_size(const struct iodma_cmd *cmd);
u64 iodma_cmd_max_transfer_size(const struct iodma_cmd *cmd);
u32 iodma_cmd_alignment(const struct iodma_cmd *cmd);
u32 iodma_cmd_alignment_length(const struct iodma_cmd *cmd);
u32 iodma_cmd_alignment_internal(const struct iodma_cmd *cmd);
u64 iodma_cmd_segment_boundary(const struct iodma_cmd *cmd);
u32 iodma_cmd_alignment_end(const struct iodma_cmd *cmd);
u32 iodma_cmd_mapping(const struct iodma_cmd *cmd);

/* A pool of identical commands (IOKit IOCommandPool). */
struct iodma_pool;
struct iodma_pool *iodma_pool_create(struct device *dev,
				     const struct iodma_spec *spec,
				     size_t priv_size, unsigned int count,
				     gfp_t gfp);
struct iodma_cmd *iodma_pool_get(struct iodma_pool *pool, bool wait);
void iodma_pool_put(struct iodma_pool *pool, struct iodma_cmd *cmd);
void iodma_pool_destroy(struct iodma_pool *pool);

/*
 * Managed commands and pools (devres): released when @dev unbinds from its
 * driver, a command still prepared then completed and reported once.
 * Never pass them to iodma_cmd_destroy() / iodma_pool_destroy().
 */
struct iodma_cmd *devm_iodma_cmd_create(struct device *dev,
					const struct iodma_spec *spec,
					size_t priv_size, gfp_t gfp);
struct iodma_pool *devm_iodma_pool_create(struct device *dev,
					  const struct iodma_spec *spec,
					  size_t priv_size, unsigned int count,
					  gfp_t gfp);

#endif /* _LINUX_IODMA_H */
