/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one seam between the iodma core and the system under it.
 *
 * The core calls these functions and nothing else outside itself and
 * src/rt. src/shim/platform.c implements them with the Linux kernel;
 * tests/fake_platform.cpp implements them for host tests. No kernel type
 * crosses this line: devices are opaque pointers, gfp masks are opaque
 * integers passed through unchanged.
 */
#ifndef IODMA_CORE_PLATFORM_H
#define IODMA_CORE_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What the core needs to know about a device, read when it matters (at
 * set_spec and at every prepare), never cached by the platform: a driver
 * may set its limits after it created its commands.
 */
struct iodma_plat_dev_info {
	/* DMA goes through an IOMMU translation (not identity/passthrough). */
	unsigned char translated;
	/* log2 of the CPU page size. */
	unsigned char page_shift;
	/* The CPU caches are coherent with the device's DMA. */
	unsigned char coherent;
	/* The device's own longest DMA segment (dma_get_max_seg_size), >= 1. */
	unsigned long long max_seg_size;
	/*
	 * Longest range one mapping entry may have in the DMA layer below the
	 * device (swiotlb's slots): dma_max_mapping_size().
	 */
	unsigned long long max_mapping_size;
	/* No DMA segment may cross a multiple of this (0: none). */
	unsigned long long seg_boundary;
	/* The highest bus address the device reaches (DMA mask, bus limit). */
	unsigned long long dma_mask;
	/*
	 * The lowest limit (highest bus address) for which
	 * iodma_plat_cb_alloc() can guarantee memory the device reaches: below
	 * it, a copy buffer can never be had for this device.
	 */
	unsigned long long cb_floor;
};

/* A physically contiguous range of CPU memory. */
struct iodma_plat_range {
	unsigned long long addr;
	unsigned long long len;
};

/* Directions: the values of enum dma_data_direction. */
#define IODMA_PLAT_BIDIRECTIONAL 0
#define IODMA_PLAT_TO_DEVICE 1
#define IODMA_PLAT_FROM_DEVICE 2

/* Mapping attributes. */
#define IODMA_PLAT_SKIP_CPU_SYNC 0x1
/*
 * iodma_plat_map(): @state still holds what the previous map of it built
 * for exactly these ranges and the same device key (unmapped since): map
 * that again without rebuilding it, as a driver maps an sg_table it built
 * once, and without deciding again what only they decide.
 * iodma_plat_map_single(): the previous single mapping was of exactly this
 * range for the same device key: whether it bounces is decided already,
 * IODMA_PLAT_MAP_BOUNCED when that mapping set *@direct to 0.
 */
#define IODMA_PLAT_MAP_REUSE 0x2
#define IODMA_PLAT_MAP_BOUNCED 0x4

/* Kinds of kernel virtual address. */
#define IODMA_PLAT_KVA_INVALID 0
#define IODMA_PLAT_KVA_LINEAR 1 /* physically contiguous (kmalloc) */
#define IODMA_PLAT_KVA_VMALLOC 2

/*
 * Zeroed memory, or NULL. @gfp is the mask the client passed at creation;
 * the platform may sleep only where it allows.
 */
void *iodma_plat_alloc(unsigned long size, unsigned int gfp);
/* Free memory from iodma_plat_alloc(); NULL is a no-op. */
void iodma_plat_free(void *p);

/* log2 of the CPU page size. */
unsigned int iodma_plat_page_shift(void);

/* Take and drop a reference on a device for as long as a command uses it. */
void iodma_plat_dev_get(void *dev);
void iodma_plat_dev_put(void *dev);
/* Describe @dev. */
void iodma_plat_dev_query(void *dev, struct iodma_plat_dev_info *info);

/*
 * The raw DMA parameters of a device that a driver (or the bus) may change
 * after the core queried it: the DMA mask, bus limit, coherent mask,
 * maximum segment, segment boundary, IOMMU domain and DMA ops, coherence.
 * Read as they are, nothing computed: while the key stays the same, so
 * does everything iodma_plat_dev_query() reports, and the core need not
 * ask again.
 */
struct iodma_plat_dev_key {
	unsigned long long word[8];
};

void iodma_plat_dev_read_key(void *dev, struct iodma_plat_dev_key *key);
/*
 * Whether @dev's key is @key still: what iodma_plat_dev_read_key() would
 * read, compared where it is read (no copy; the check of every prepare).
 */
int iodma_plat_dev_key_same(void *dev, const struct iodma_plat_dev_key *key);

/*
 * Classify [kva, kva + len): IODMA_PLAT_KVA_*. For LINEAR, *phys is the
 * physical address of kva.
 */
int iodma_plat_kva_kind(const void *kva, unsigned long long len,
			unsigned long long *phys);
/*
 * Whether every page of vmalloc [kva, kva + len) is mapped to RAM (no guard
 * hole, no I/O memory).
 */
int iodma_plat_vmalloc_ok(const void *kva, unsigned long long len);
/* Physical address of a byte of vmalloc memory. */
unsigned long long iodma_plat_vmalloc_phys(const void *kva);
/* Physical address of the first byte of a struct page. */
unsigned long long iodma_plat_page_phys(void *page);
/*
 * Physical address of the first byte of @pages[0], and in @run how many of
 * the @n (>= 1) pages from it follow each other in physical memory.
 */
unsigned long long iodma_plat_page_run(void *const *pages, unsigned int n,
				       unsigned int *run);
/*
 * Whether [phys, phys + len) is System RAM with struct pages (no MMIO, no
 * reserved range, no hole).
 */
int iodma_plat_phys_is_ram(unsigned long long phys, unsigned long long len);

/* Whether [uaddr, uaddr + len) is a plausible user range (access_ok). */
int iodma_plat_user_range_ok(unsigned long long uaddr, unsigned long long len);
/*
 * The calling task's address space, with a reference that keeps the pointer
 * unique until iodma_plat_mm_put(); NULL for a task without one (a kernel
 * thread).
 */
void *iodma_plat_mm_get(void);
/* Drop the reference of iodma_plat_mm_get(); NULL is a no-op. */
void iodma_plat_mm_put(void *mm);
/* Whether @mm is the calling task's address space. */
int iodma_plat_mm_is_current(void *mm);
/*
 * Pin @npages user pages from the page-aligned @uaddr of the calling task
 * (whose address space the core has checked), for as long as a command may
 * stay prepared (FOLL_LONGTERM), for writing by the device if @write, into
 * @pages. Returns 0, or -EFAULT / -ENOMEM with nothing pinned.
 */
int iodma_plat_pin_user(unsigned long long uaddr, unsigned int npages,
			int write, void **pages);
/* Unpin what iodma_plat_pin_user() pinned; mark dirty if @dirty. */
void iodma_plat_unpin_user(void **pages, unsigned int npages, int dirty);

/* Entries of a caller's struct sg_table (CPU view), and the entries. */
unsigned int iodma_plat_sgt_count(void *sgt);
void iodma_plat_sgt_ranges(void *sgt, struct iodma_plat_range *out,
			   unsigned int n);

/*
 * Bytes of state iodma_plat_map() needs for @n ranges. The core provides
 * the state and keeps it between map and unmap.
 */
unsigned long iodma_plat_map_state_size(unsigned int n);
/*
 * Map @n physical @ranges for DMA by @dev through the Linux DMA API; write
 * the resulting device ranges to @out (at most @n) and their number to
 * @nout. On entry *@nout is how many ranges @out already holds that the
 * caller wants compared (an earlier mapping's, 0 for none): when the new
 * ranges are exactly those, the call returns IODMA_PLAT_MAPPED_SAME and
 * the caller need not compare them again. Returns 0 or
 * IODMA_PLAT_MAPPED_SAME on success, -ENOMEM (resources short: swiotlb
 * slots, IOVA space, memory) or -EIO (the platform cannot reach the memory
 * for this device, e.g. it would bounce into a swiotlb pool above the
 * device's DMA mask); nothing stays mapped on error, and @out may then
 * hold anything.
 */
#define IODMA_PLAT_MAPPED_SAME 1
int iodma_plat_map(void *dev, void *state,
		   const struct iodma_plat_range *ranges, unsigned int n,
		   int dir, unsigned int attrs, struct iodma_plat_range *out,
		   unsigned int *nout);
void iodma_plat_unmap(void *dev, void *state, int dir, unsigned int attrs);
/*
 * iodma_plat_map() for one physical range, without a scatterlist
 * (dma_map_page_attrs()): the device address in *@dma; the same errors,
 * nothing mapped on error. Unmapped by iodma_plat_unmap_single() with the
 * same @dma, @len and @dir; synced with iodma_plat_sync_range(). *@direct
 * (on success): 1 when the device reaches the range itself, no bounce
 * buffer between, else 0 (the decision IODMA_PLAT_MAP_REUSE, with
 * IODMA_PLAT_MAP_BOUNCED for 0, lets it skip next time).
 */
int iodma_plat_map_single(void *dev, unsigned long long phys,
			  unsigned long long len, int dir, unsigned int attrs,
			  unsigned long long *dma, int *direct);
void iodma_plat_unmap_single(void *dev, unsigned long long dma,
			     unsigned long long len, int dir,
			     unsigned int attrs);
/* Sync a whole mapping for the CPU (@for_cpu) or for the device. */
void iodma_plat_sync_mapping(void *dev, void *state, int dir, int for_cpu);
/*
 * Sync @len bytes at device address @dma of a mapping or copy buffer. The
 * DMA layer maintains the CPU side linearly from the physical address of
 * @dma, so the core passes only ranges that are contiguous both at the
 * device and in physical memory.
 */
void iodma_plat_sync_range(void *dev, unsigned long long dma,
			   unsigned long long len, int dir, int for_cpu);
/* Bus address of physical @phys for @dev, without any mapping. */
unsigned long long iodma_plat_phys_to_bus(void *dev, unsigned long long phys);
/*
 * The physical address the device reaches at @dma of a live mapping (the
 * IOMMU's translation, or the bus address's), to tell where the DMA layer
 * bounced a range; ~0 when it does not know.
 */
unsigned long long iodma_plat_dma_to_phys(void *dev, unsigned long long dma);

/* A block of copy buffer, as iodma_plat_cb_alloc() made it. */
struct iodma_plat_cb_block {
	void *cpu;		/* kernel address of the first byte */
	unsigned long long dma;	/* device address of the first byte */
	unsigned long cookie;	/* the platform's, for iodma_plat_cb_free() */
};

/*
 * A zeroed copy-buffer block of @size bytes (a power of two number of
 * pages): physically contiguous for the CPU at @cpu, one range for the
 * device at @dma, naturally aligned there (a multiple of @size) and no
 * higher than @max_addr (@max_addr >= the device's cb_floor).
 *
 * Where the platform bounces the block (a non-coherent, untranslated
 * device whose mappings swiotlb bounces, as under swiotlb=force), the
 * device's range is the bounce slot, not the CPU's pages: the CPU works on
 * the pages and every iodma_plat_cb_sync() copies between them and the
 * slot, in both directions whatever @dir. A slot is aligned to a page at
 * most, so such a block is at most a page (the core's cb_block_cap()).
 *
 * Returns 0, -ENOMEM (short now) or -EIO (the device cannot reach such
 * memory at all: memory encryption, a bounce slot above @max_addr, or a
 * bounced block that is larger than a page or not naturally aligned);
 * nothing is held on error.
 */
int iodma_plat_cb_alloc(void *dev, unsigned long long size, int dir,
			unsigned int gfp, unsigned long long max_addr,
			struct iodma_plat_cb_block *out);
void iodma_plat_cb_free(void *dev, unsigned long long size, int dir,
			const struct iodma_plat_cb_block *block);
/*
 * Sync @len bytes at @offset of a copy-buffer block, as sync_range: the
 * cache maintenance of the range, and where the block is bounced, the copy
 * of the range from the slot (@for_cpu) or into it.
 */
void iodma_plat_cb_sync(void *dev, const struct iodma_plat_cb_block *block,
			unsigned long long offset, unsigned long long len,
			int dir, int for_cpu);

/* Copy between CPU memory and physical RAM (any alignment, any length). */
void iodma_plat_copy_from_phys(void *dst, unsigned long long phys,
			       unsigned long long len);
void iodma_plat_copy_to_phys(unsigned long long phys, const void *src,
			     unsigned long long len);

/* An invariant of the core is broken: report loudly (WARN in the kernel). */
void iodma_plat_bug(const char *what);

/*
 * The lock of the statistics registry (src/core/stats.cpp): held only to
 * add or remove a command and to read the counters, never on the hot path.
 * Usable in any context (a spinlock with interrupts off); returns what
 * iodma_plat_unlock() needs.
 */
unsigned long iodma_plat_lock(void);
void iodma_plat_unlock(unsigned long flags);

/* Why a preparation moved to a copy buffer. */
#define IODMA_PLAT_CB_SPEC 0	   /* the mapping could not meet the spec */
#define IODMA_PLAT_CB_UNREACHABLE 1 /* the platform could not reach the md */
#define IODMA_PLAT_CB_FORCED 2	   /* synchronize(FORCE_DOUBLE_BUFFER) */

/*
 * Event: command @cmd_id (iodma_core_cmd_state's id) of @dev tried to
 * move its prepared range [@offset, @offset + @length) of the descriptor
 * to a copy buffer, for @reason
 * (IODMA_PLAT_CB_*), with @result (0 or a negative errno). Only on the
 * copy-buffer path, which allocates and copies anyway: the kernel makes it
 * the iodma:copy_buffer trace event.
 */
void iodma_plat_event_copy_buffer(void *dev, unsigned long long cmd_id,
				  unsigned long long offset,
				  unsigned long long length, int dir,
				  unsigned int reason, int result);

#ifdef __cplusplus
}
#endif

#endif /* IODMA_CORE_PLATFORM_H */
