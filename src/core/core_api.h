/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core's C interface, called by src/shim only. Every decision is made
 * behind it; the shim converts between kernel types and these plain ones.
 * Pointers are checked here, so the shim passes them on unchanged.
 */
#ifndef IODMA_CORE_API_H
#define IODMA_CORE_API_H

#include "errno_codes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Field for field the public struct iodma_spec, in plain C types. */
struct iodma_core_spec {
	unsigned int format;
	void *seg_fn;
	void *seg_ctx;
	unsigned char address_bits;
	unsigned long long max_segment_size;
	unsigned long long max_transfer_size;
	unsigned int alignment;
	unsigned int alignment_length;
	unsigned int alignment_internal;
	unsigned long long segment_boundary;
	unsigned int mapping;
	unsigned int alignment_end;
	unsigned long long reserved[4];
};

/* Same values as the public enums and flags. */
#define IODMA_CORE_FMT_HOST32 1
#define IODMA_CORE_FMT_CUSTOM 7
#define IODMA_CORE_MAP_MAPPED 0
#define IODMA_CORE_MAP_BYPASSED 1
#define IODMA_CORE_MAP_NONCOHERENT 2
#define IODMA_CORE_MAP_UNMAPPED 3
#define IODMA_CORE_ITERATE_ONLY 0x40

struct iodma_cmd;
struct iodma_md;

/* Flags, with the values of the public header. */
#define IODMA_CORE_PREPARE_NO_FLUSH 0x1
#define IODMA_CORE_PREPARE_NO_SYNC 0x2
#define IODMA_CORE_COMPLETE_NO_INVALIDATE 0x1
#define IODMA_CORE_COMPLETE_NO_SYNC 0x2
#define IODMA_CORE_SYNC_FOR_CPU 0x1
#define IODMA_CORE_SYNC_FOR_DEVICE 0x2
#define IODMA_CORE_SYNC_FORCE_DOUBLE_BUFFER 0x100

/* Kinds of memory descriptor. */
#define IODMA_CORE_MD_KVA 1 /* kmalloc or vmalloc memory: kva, len */
#define IODMA_CORE_MD_PAGES 2 /* pages, npages, offset, len */
#define IODMA_CORE_MD_USER 3 /* uaddr, len */
#define IODMA_CORE_MD_SGTABLE 4 /* sgt */
#define IODMA_CORE_MD_PHYS 5 /* phys, len */

struct iodma_core_md_desc {
	unsigned int kind;
	unsigned int dir; /* enum dma_data_direction */
	const void *kva;
	void **pages;
	unsigned int npages;
	unsigned long long offset;
	unsigned long long uaddr;
	void *sgt;
	unsigned long long phys;
	unsigned long long len;
};

/* 0 and *out, or -EINVAL / -EFAULT / -ENOMEM. */
int iodma_core_md_create(const struct iodma_core_md_desc *desc,
			 unsigned int gfp, struct iodma_md **out);
/*
 * A reusable descriptor of up to @max_ranges physical ranges, empty until
 * re-pointed with reset + add_range: 0 and *out, or -EINVAL / -ENOMEM.
 */
int iodma_core_md_create_ranges(unsigned int max_ranges, unsigned int gfp,
				struct iodma_md **out);
/* Empty @md and set its direction: 0, -EINVAL, or -EBUSY while prepared. */
int iodma_core_md_reset(struct iodma_md *md, unsigned int dir);
/*
 * Append physical [@phys, @phys + @len) to @md: 0, or -EINVAL / -ENOSPC
 * with @md left empty, or -EBUSY (prepared: unchanged). Allocates nothing.
 */
int iodma_core_md_add_range(struct iodma_md *md, unsigned long long phys,
			    unsigned long long len);
void iodma_core_md_get(struct iodma_md *md);
void iodma_core_md_put(struct iodma_md *md);
unsigned long long iodma_core_md_length(const struct iodma_md *md);
/* enum dma_data_direction of @md; DMA_NONE (3) for NULL. */
unsigned int iodma_core_md_direction(const struct iodma_md *md);

/*
 * Validate @spec for @dev without creating anything: 0, -EINVAL or
 * -EOPNOTSUPP. On success and if @out is non-NULL, store the effective
 * values (defaults resolved) there.
 */
int iodma_core_spec_resolve(void *dev, const struct iodma_core_spec *spec,
			    struct iodma_core_spec *out);

int iodma_core_cmd_create(void *dev, const struct iodma_core_spec *spec,
			  unsigned long priv_size, unsigned int gfp,
			  struct iodma_cmd **out);
int iodma_core_cmd_clone(const struct iodma_cmd *cmd, unsigned int gfp,
			 struct iodma_cmd **out);
void iodma_core_cmd_destroy(struct iodma_cmd *cmd);
void *iodma_core_cmd_priv(struct iodma_cmd *cmd);
void *iodma_core_cmd_device(const struct iodma_cmd *cmd);
int iodma_core_cmd_set_spec(struct iodma_cmd *cmd,
			    const struct iodma_core_spec *spec);
/* The spec as last set, unchanged. */
int iodma_core_cmd_get_spec(const struct iodma_cmd *cmd,
			    struct iodma_core_spec *out);
/* The effective spec; all zero for a NULL @cmd. */
void iodma_core_cmd_effective_spec(const struct iodma_cmd *cmd,
				   struct iodma_core_spec *out);

int iodma_core_cmd_set_md(struct iodma_cmd *cmd, struct iodma_md *md,
			  int auto_prepare);
int iodma_core_cmd_clear_md(struct iodma_cmd *cmd, int auto_complete);
struct iodma_md *iodma_core_cmd_md(const struct iodma_cmd *cmd);
int iodma_core_cmd_prepare(struct iodma_cmd *cmd, unsigned long long offset,
			   unsigned long long length, unsigned int flags);
int iodma_core_cmd_prepare_with_spec(struct iodma_cmd *cmd,
				     const struct iodma_core_spec *spec,
				     unsigned long long offset,
				     unsigned long long length,
				     unsigned int flags);
int iodma_core_cmd_complete(struct iodma_cmd *cmd, unsigned int flags);
int iodma_core_cmd_gen_segments(struct iodma_cmd *cmd,
				unsigned long long *offset, void *segments,
				unsigned int *count);
int iodma_core_cmd_synchronize(struct iodma_cmd *cmd, unsigned int options);
int iodma_core_cmd_synchronize_range(struct iodma_cmd *cmd,
				     unsigned long long offset,
				     unsigned long long length,
				     unsigned int options);
unsigned long iodma_core_cmd_read_bytes(struct iodma_cmd *cmd,
					unsigned long long offset, void *buf,
					unsigned long len);
unsigned long iodma_core_cmd_write_bytes(struct iodma_cmd *cmd,
					 unsigned long long offset,
					 const void *buf, unsigned long len);
int iodma_core_cmd_prepared_range(const struct iodma_cmd *cmd,
				  unsigned long long *offset,
				  unsigned long long *length);
int iodma_core_cmd_is_double_buffered(const struct iodma_cmd *cmd);
/*
 * Keep a copy buffer of @bytes with the command until it is destroyed or
 * this is called again (0: none). 0, -EINVAL, -EBUSY (prepared), -ENOMEM
 * (the old reservation kept), -EOPNOTSUPP (no copy buffer for this device).
 */
int iodma_core_cmd_reserve_copy_buffer(struct iodma_cmd *cmd,
				       unsigned long long bytes);

/*
 * Statistics (Documentation/observability.rst). Every command counts its
 * own operations (one user at a time: plain increments on its own memory,
 * nothing shared on the hot path); a registry of the live commands, grouped
 * per device under the platform lock (iodma_plat_lock()), adds them up for
 * readers and keeps what destroyed commands counted.
 */

/* Failure slots, one per errno the core returns, then everything else. */
enum {
	IODMA_CORE_ERR_EINVAL,
	IODMA_CORE_ERR_ENODATA,
	IODMA_CORE_ERR_EBUSY,
	IODMA_CORE_ERR_ENOSPC,
	IODMA_CORE_ERR_ERANGE,
	IODMA_CORE_ERR_EOVERFLOW,
	IODMA_CORE_ERR_EOPNOTSUPP,
	IODMA_CORE_ERR_ENOMEM,
	IODMA_CORE_ERR_EFAULT,
	IODMA_CORE_ERR_EIO,
	IODMA_CORE_ERR_OTHER,
	IODMA_CORE_NERR
};

struct iodma_core_stats {
	unsigned long long commands;	   /* created */
	unsigned long long live;	   /* created and not yet destroyed */
	unsigned long long prepares;	   /* successful prepares, nested too */
	unsigned long long completes;	   /* successful completes, nested too */
	unsigned long long bytes_prepared; /* of each new preparation */
	unsigned long long cb_engaged;	   /* preparations moved to a copy buffer */
	unsigned long long cb_bytes;	   /* copied descriptor <-> copy buffer */
	unsigned long long cb_reserved;	   /* engaged ones the reserved served */
	unsigned long long syncs;	   /* successful synchronizes */
	unsigned long long gen_calls;	   /* successful gen_segments calls */
	unsigned long long segments;	   /* segments they emitted */
	unsigned long long abandoned;	   /* released still prepared (unbind) */
	/* failed calls on a command, and failed creations, by errno slot */
	unsigned long long failures[IODMA_CORE_NERR];
};

/* The errno slot (IODMA_CORE_ERR_*) of a negative errno. */
unsigned int iodma_core_err_slot(int err);

/* What a command is doing, for the list of prepared commands. */
struct iodma_core_cmd_state {
	const struct iodma_cmd *cmd;
	/* unique since module load, from 1 (pointers print hashed, or not) */
	unsigned long long id;
	void *dev;
	unsigned int nest;		/* 0: not prepared */
	unsigned long long offset;	/* prepared range in the descriptor */
	unsigned long long length;
	unsigned int dir;		/* enum dma_data_direction of the md */
	/*
	 * 0 without md; 1 linear (kmalloc), 2 vmalloc, 3 pages, 4 user,
	 * 5 sg_table, 6 physical
	 */
	unsigned int md_kind;
	int copy_buffer;		/* the device sees iodma's copy buffer */
	struct iodma_core_spec spec;	/* effective */
};

/* The counters of one command (commands = live = 1); zeros for NULL. */
void iodma_core_cmd_stats(const struct iodma_cmd *cmd,
			  struct iodma_core_stats *out);
/* A snapshot of @cmd; -EINVAL for NULL. */
int iodma_core_cmd_snapshot(const struct iodma_cmd *cmd,
			    struct iodma_core_cmd_state *out);
/*
 * Destroy @cmd as its device goes away (devm release). Returns 1 when it
 * was still prepared: then it is completed, counted as abandoned, and *was
 * describes it as it was; 0 otherwise.
 */
int iodma_core_cmd_abandon(struct iodma_cmd *cmd,
			   struct iodma_core_cmd_state *was);

/*
 * The counters of @dev's commands, live and destroyed, for as long as it
 * has a live command (0), -ENODATA when it has none; of every command ever
 * created, and every failed creation, when @dev is NULL.
 */
int iodma_core_stats_read(void *dev, struct iodma_core_stats *out);
/*
 * Call @fn for each device with live commands and then for each prepared
 * command, under the platform lock: @fn must not sleep nor call iodma.
 */
void iodma_core_stats_for_each_device(void (*fn)(void *dev,
						 const struct iodma_core_stats *s,
						 void *ctx),
				      void *ctx);
void iodma_core_for_each_prepared(void (*fn)(const struct iodma_core_cmd_state *st,
					     void *ctx),
				  void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* IODMA_CORE_API_H */
