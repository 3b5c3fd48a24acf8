// SPDX-License-Identifier: GPL-2.0
/*
 * Exported command API: argument marshalling between the public kernel
 * types of <linux/iodma.h> and the core's plain C interface.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iodma.h>

#include "../core/core_api.h"
#include "shim.h"
#include "trace.h"

static void iodma_spec_to_core(const struct iodma_spec *in,
			       struct iodma_core_spec *out)
{
	unsigned int i;

	out->format = in->format;
	out->seg_fn = in->seg_fn;
	out->seg_ctx = in->seg_ctx;
	out->address_bits = in->address_bits;
	out->max_segment_size = in->max_segment_size;
	out->max_transfer_size = in->max_transfer_size;
	out->alignment = in->alignment;
	out->alignment_length = in->alignment_length;
	out->alignment_internal = in->alignment_internal;
	out->segment_boundary = in->segment_boundary;
	out->mapping = in->mapping;
	out->alignment_end = in->alignment_end;
	for (i = 0; i < ARRAY_SIZE(in->reserved); i++)
		out->reserved[i] = in->reserved[i];
}

static void iodma_spec_from_core(const struct iodma_core_spec *in,
				 struct iodma_spec *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->format = in->format;
	out->seg_fn = in->seg_fn;
	out->seg_ctx = in->seg_ctx;
	out->address_bits = in->address_bits;
	out->max_segment_size = in->max_segment_size;
	out->max_transfer_size = in->max_transfer_size;
	out->alignment = in->alignment;
	out->alignment_length = in->alignment_length;
	out->alignment_internal = in->alignment_internal;
	out->segment_boundary = in->segment_boundary;
	out->mapping = in->mapping;
	out->alignment_end = in->alignment_end;
	for (i = 0; i < ARRAY_SIZE(out->reserved); i++)
		out->reserved[i] = in->reserved[i];
}

/* NULL stays NULL so that the core reports it. */
static const struct iodma_core_spec *
iodma_spec_arg(const struct iodma_spec *spec, struct iodma_core_spec *buf)
{
	if (!spec)
		return NULL;
	iodma_spec_to_core(spec, buf);
	return buf;
}

/**
 * iodma_spec_check() - validate a spec for a device without a command
 * @dev: the device whose DMA engine @spec describes
 * @spec: the constraints to check
 *
 * Context: Any context.
 * Return: 0 if iodma_cmd_create() would accept @spec for @dev;
 * -EINVAL for a NULL argument or an invalid spec (permanent);
 * -EOPNOTSUPP for a spec the device can never meet: %IODMA_BYPASSED or
 * %IODMA_UNMAPPED on a device whose DMA is translated by an IOMMU or is not
 * cache-coherent, or device limits (dma_get_max_seg_size(),
 * dma_get_seg_boundary(), DMA mask) that leave no aligned segment
 * (permanent).
 */
int iodma_spec_check(struct device *dev, const struct iodma_spec *spec)
{
	struct iodma_core_spec cs;

	return iodma_core_spec_resolve(dev, iodma_spec_arg(spec, &cs), NULL);
}
EXPORT_SYMBOL_NS_GPL(iodma_spec_check, IODMA);

/**
 * iodma_cmd_create() - create a DMA command for a device
 * @dev: the device that will perform the DMA; referenced until destroy
 * @spec: the constraints of the device's DMA engine (copied)
 * @priv_size: bytes of zeroed caller data, see iodma_cmd_priv()
 * @gfp: allocation mask for this command, now and in later calls
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the command, or an ERR_PTR():
 * -EINVAL for a NULL argument or an invalid spec (permanent);
 * -EOPNOTSUPP for a spec the device can never meet: %IODMA_BYPASSED or
 * %IODMA_UNMAPPED on a device whose DMA is translated by an IOMMU or is not
 * cache-coherent, or device limits (dma_get_max_seg_size(),
 * dma_get_seg_boundary(), DMA mask) that leave no aligned segment
 * (permanent);
 * -EINVAL also for a @priv_size above INT_MAX;
 * -ENOMEM when memory is short (worth a retry).
 */
struct iodma_cmd *iodma_cmd_create(struct device *dev,
				   const struct iodma_spec *spec,
				   size_t priv_size, gfp_t gfp)
{
	struct iodma_core_spec cs;
	struct iodma_cmd *cmd = NULL;
	int err;

	err = iodma_core_cmd_create(dev, iodma_spec_arg(spec, &cs), priv_size,
				    (__force unsigned int)gfp, &cmd);
	return err ? ERR_PTR(err) : cmd;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_create, IODMA);

/**
 * iodma_cmd_clone() - create an unprepared copy of a command
 * @cmd: the command to copy
 * @gfp: allocation mask for the new command
 *
 * The copy has the same device, spec (every field in its own place) and
 * private data size; its private data is zeroed, it has no memory
 * descriptor and is not prepared.
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the new command, or an ERR_PTR(): -EINVAL for a NULL @cmd;
 * -ENOMEM when memory is short (worth a retry).
 */
struct iodma_cmd *iodma_cmd_clone(const struct iodma_cmd *cmd, gfp_t gfp)
{
	struct iodma_cmd *clone = NULL;
	int err;

	err = iodma_core_cmd_clone(IS_ERR(cmd) ? NULL : cmd,
				   (__force unsigned int)gfp, &clone);
	return err ? ERR_PTR(err) : clone;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_clone, IODMA);

/**
 * iodma_cmd_destroy() - release a command and everything it holds
 * @cmd: the command; NULL or an ERR_PTR() is ignored
 *
 * A prepared command is completed first (every nesting level) and its
 * descriptor released.
 *
 * Context: Process context (large working arrays may be vmalloc memory).
 * Return: nothing; afterwards @cmd must not be used.
 */
void iodma_cmd_destroy(struct iodma_cmd *cmd)
{
	if (!IS_ERR_OR_NULL(cmd))
		iodma_core_cmd_destroy(cmd);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_destroy, IODMA);

/**
 * iodma_cmd_priv() - the caller's private data of a command
 * @cmd: the command
 *
 * Context: Any context.
 * Return: priv_size zero-initialised bytes, 16-byte aligned, that live as
 * long as @cmd; NULL for a NULL @cmd.
 */
void *iodma_cmd_priv(struct iodma_cmd *cmd)
{
	return iodma_core_cmd_priv(cmd);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_priv, IODMA);

/**
 * iodma_cmd_device() - the device a command was created for
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the device; NULL for a NULL @cmd.
 */
struct device *iodma_cmd_device(const struct iodma_cmd *cmd)
{
	return iodma_core_cmd_device(cmd);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_device, IODMA);

/**
 * iodma_cmd_set_spec() - replace the spec of a command
 * @cmd: the command
 * @spec: the new constraints (copied)
 *
 * Atomic: on any error the previous spec stays fully in force.
 *
 * Context: Any context.
 * Return: 0; -EINVAL for a NULL argument or an invalid spec (permanent);
 * -EOPNOTSUPP for a spec the device can never meet: %IODMA_BYPASSED or
 * %IODMA_UNMAPPED on a device whose DMA is translated by an IOMMU or is not
 * cache-coherent, or device limits (dma_get_max_seg_size(),
 * dma_get_seg_boundary(), DMA mask) that leave no aligned segment
 * (permanent).
 */
int iodma_cmd_set_spec(struct iodma_cmd *cmd, const struct iodma_spec *spec)
{
	struct iodma_core_spec cs;

	return iodma_core_cmd_set_spec(cmd, iodma_spec_arg(spec, &cs));
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_set_spec, IODMA);

/**
 * iodma_cmd_get_spec() - read back the spec of a command
 * @cmd: the command
 * @out: receives the spec exactly as last set (zeros stay zeros); see the
 *	iodma_cmd_address_bits() family for the effective values
 *
 * Context: Any context.
 * Return: 0; -EINVAL for a NULL argument.
 */
int iodma_cmd_get_spec(const struct iodma_cmd *cmd, struct iodma_spec *out)
{
	struct iodma_core_spec cs;
	int err;

	err = iodma_core_cmd_get_spec(cmd, out ? &cs : NULL);
	if (!err)
		iodma_spec_from_core(&cs, out);
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_get_spec, IODMA);

static struct iodma_core_spec iodma_effective(const struct iodma_cmd *cmd)
{
	struct iodma_core_spec cs;

	iodma_core_cmd_effective_spec(cmd, &cs);
	return cs;
}

/**
 * iodma_cmd_format() - effective output format of a command's spec
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the format; 0 for a NULL @cmd.
 */
enum iodma_format iodma_cmd_format(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).format;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_format, IODMA);

/**
 * iodma_cmd_address_bits() - effective address width of a command's spec
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the number of address bits the engine can emit (64, or 32 for a
 * 32-bit format, when the spec left it 0); 0 for a NULL @cmd.
 */
u8 iodma_cmd_address_bits(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).address_bits;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_address_bits, IODMA);

/**
 * iodma_cmd_max_segment_size() - longest segment a command emits
 * @cmd: the command
 *
 * The spec's limit, capped below 4 GiB for 32-bit formats and rounded down
 * to a multiple of the length and internal alignments.
 *
 * Context: Any context.
 * Return: the limit in bytes (U64_MAX-aligned when unlimited); 0 for a
 * NULL @cmd.
 */
u64 iodma_cmd_max_segment_size(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).max_segment_size;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_max_segment_size, IODMA);

/**
 * iodma_cmd_max_transfer_size() - longest range a command may prepare
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the limit in bytes, U64_MAX when unlimited; 0 for a NULL @cmd.
 */
u64 iodma_cmd_max_transfer_size(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).max_transfer_size;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_max_transfer_size, IODMA);

/**
 * iodma_cmd_alignment() - address alignment of a command's first segment
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the alignment in bytes (1 when the spec left it 0); 0 for a NULL
 * @cmd.
 */
u32 iodma_cmd_alignment(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).alignment;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_alignment, IODMA);

/**
 * iodma_cmd_alignment_length() - length alignment of a command's segments
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the alignment in bytes (1 when the spec left it 0); 0 for a NULL
 * @cmd.
 */
u32 iodma_cmd_alignment_length(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).alignment_length;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_alignment_length, IODMA);

/**
 * iodma_cmd_alignment_internal() - address alignment of later segments
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the alignment in bytes (the first-segment alignment when the
 * spec left it 0); 0 for a NULL @cmd.
 */
u32 iodma_cmd_alignment_internal(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).alignment_internal;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_alignment_internal, IODMA);

/**
 * iodma_cmd_alignment_end() - alignment of the end of every segment but the last
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the alignment in bytes (1 when the spec left it 0); 0 for a NULL
 * @cmd.
 */
u32 iodma_cmd_alignment_end(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).alignment_end;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_alignment_end, IODMA);

/**
 * iodma_cmd_segment_boundary() - boundary no segment of a command crosses
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the boundary in bytes, 0 for none or for a NULL @cmd.
 */
u64 iodma_cmd_segment_boundary(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).segment_boundary;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_segment_boundary, IODMA);

/**
 * iodma_cmd_mapping() - mapping mode of a command's spec
 * @cmd: the command
 *
 * Context: Any context.
 * Return: an &enum iodma_mapping, or-ed with %IODMA_ITERATE_ONLY if set;
 * 0 for a NULL @cmd.
 */
u32 iodma_cmd_mapping(const struct iodma_cmd *cmd)
{
	return iodma_effective(cmd).mapping;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_mapping, IODMA);

/**
 * iodma_cmd_set_md() - set (or clear) the memory descriptor of a command
 * @cmd: the command
 * @md: the descriptor, or NULL to clear; the command takes its own reference
 * @auto_prepare: prepare the whole descriptor as well
 *
 * Setting the descriptor already set is a no-op (that prepares it if
 * @auto_prepare and it is not prepared). If the automatic prepare fails,
 * the command is left without a descriptor.
 *
 * Context: As iodma_cmd_prepare() when @auto_prepare; any context otherwise.
 * Return: 0; -EINVAL for a NULL @cmd; -EBUSY when another descriptor is
 * prepared (retry after complete); any error of iodma_cmd_prepare().
 */
int iodma_cmd_set_md(struct iodma_cmd *cmd, struct iodma_md *md,
		     bool auto_prepare)
{
	return iodma_core_cmd_set_md(cmd, md, auto_prepare);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_set_md, IODMA);

/**
 * iodma_cmd_clear_md() - drop the memory descriptor of a command
 * @cmd: the command
 * @auto_complete: complete every nesting level of a prepared command first
 *
 * Context: As iodma_cmd_complete().
 * Return: 0; -EINVAL for a NULL @cmd; -EBUSY when prepared and not
 * @auto_complete; otherwise the first error of the completes (the
 * descriptor is dropped even then).
 */
int iodma_cmd_clear_md(struct iodma_cmd *cmd, bool auto_complete)
{
	return iodma_core_cmd_clear_md(cmd, auto_complete);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_clear_md, IODMA);

/**
 * iodma_cmd_md() - the memory descriptor set on a command
 * @cmd: the command
 *
 * Context: Any context.
 * Return: the descriptor (no new reference), or NULL.
 */
struct iodma_md *iodma_cmd_md(const struct iodma_cmd *cmd)
{
	return iodma_core_cmd_md(cmd);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_md, IODMA);

/*
 * iodma_cmd_prepare() with its trace event. A function of its own, so
 * that the untraced path stays a jump to the core: with both calls in one
 * function the compiler merged them, and every prepare saved the
 * registers the trace event needs.
 */
static noinline int iodma_cmd_prepare_traced(struct iodma_cmd *cmd,
					     u64 offset, u64 length,
					     unsigned int flags)
{
	int err = iodma_core_cmd_prepare(cmd, offset, length, flags);

	trace_prepare(cmd, offset, length, flags, err);
	return err;
}

/**
 * iodma_cmd_prepare() - map a range of the descriptor for the device
 * @cmd: the command
 * @offset: start of the range in the descriptor
 * @length: bytes; 0 means from @offset to the end of the descriptor
 * @flags: %IODMA_PREPARE_NO_FLUSH (cache maintenance, NONCOHERENT only) and
 *	%IODMA_PREPARE_NO_SYNC (no copy into a bounce or copy buffer)
 *
 * Pins (user memory), maps (DMA API) or bounces (iodma's copy buffer, when
 * the mapping cannot meet the spec) only the pages of the range. A second
 * prepare of the same range nests and needs its own complete. A failed
 * prepare leaves the command exactly as it was.
 *
 * The device's DMA parameters are read here, not at creation: limits a
 * driver sets in probe after creating its commands apply from the next
 * prepare, and the effective constraints are the tighter of the spec and
 * the device's (maximum segment size, even below a page; segment boundary;
 * DMA mask).
 *
 * Context: Process context if the creation gfp may sleep or the descriptor
 * is user memory (in the process that created it); any context otherwise.
 * Return: 0; -ENODATA without a descriptor; -EINVAL for a range outside
 * the descriptor, a length not a multiple of the spec's alignment_length
 * or unknown flags; -EBUSY when another range is prepared; -ENOSPC above
 * max_transfer_size; -EFAULT when user memory cannot be pinned, or the
 * descriptor is user memory of another process (or the caller has none,
 * a kernel thread); -ENOMEM when memory, swiotlb or IOVA space is short
 * (worth a retry); -EOPNOTSUPP when the device's limits, as they are now,
 * can never meet the spec, or a copy buffer is needed and none can ever be
 * had below the spec's address_bits for this device (permanent); -EIO for
 * any other mapping failure, or an internal invariant found broken
 * (reported with a WARN).
 */
int iodma_cmd_prepare(struct iodma_cmd *cmd, u64 offset, u64 length,
		      unsigned int flags)
{
	/* Untraced: the core's result as it stands, one jump. */
	if (trace_prepare_enabled())
		return iodma_cmd_prepare_traced(cmd, offset, length, flags);
	return iodma_core_cmd_prepare(cmd, offset, length, flags);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_prepare, IODMA);

/**
 * iodma_cmd_prepare_with_spec() - set a spec and prepare, or neither
 * @cmd: the command
 * @spec: the new spec
 * @offset: as iodma_cmd_prepare()
 * @length: as iodma_cmd_prepare()
 * @flags: as iodma_cmd_prepare()
 *
 * Context: As iodma_cmd_prepare().
 * Return: as iodma_cmd_set_spec() and iodma_cmd_prepare(), and -EBUSY when
 * already prepared. On any error the previous spec stays in force.
 */
int iodma_cmd_prepare_with_spec(struct iodma_cmd *cmd,
				const struct iodma_spec *spec,
				u64 offset, u64 length, unsigned int flags)
{
	struct iodma_core_spec cs;
	int err;

	err = iodma_core_cmd_prepare_with_spec(cmd, iodma_spec_arg(spec, &cs),
					       offset, length, flags);
	trace_prepare(cmd, offset, length, flags, err);
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_prepare_with_spec, IODMA);

/* iodma_cmd_complete() with its trace event: the range it completes. */
static noinline int iodma_cmd_complete_traced(struct iodma_cmd *cmd,
					      unsigned int flags)
{
	unsigned long long off = 0, len = 0;
	int err;

	iodma_core_cmd_prepared_range(cmd, &off, &len);
	err = iodma_core_cmd_complete(cmd, flags);
	trace_complete(cmd, off, len, flags, err);
	return err;
}

/**
 * iodma_cmd_complete() - end one nesting level of a prepare
 * @cmd: the command
 * @flags: %IODMA_COMPLETE_NO_INVALIDATE (cache maintenance, NONCOHERENT
 *	only) and %IODMA_COMPLETE_NO_SYNC (no copy back from a bounce or copy
 *	buffer)
 *
 * The last level copies a copy buffer back to the descriptor for
 * directions the device writes, unmaps, unpins and frees the resources.
 *
 * Context: Same as the matching iodma_cmd_prepare().
 * Return: 0; -ENODATA when not prepared; -EINVAL for unknown flags.
 */
int iodma_cmd_complete(struct iodma_cmd *cmd, unsigned int flags)
{
	if (trace_complete_enabled())
		return iodma_cmd_complete_traced(cmd, flags);
	return iodma_core_cmd_complete(cmd, flags);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_complete, IODMA);

/*
 * iodma_cmd_gen_segments() with its trace event, which needs the offset
 * and count from before the call.
 */
static noinline int iodma_cmd_gen_segments_traced(struct iodma_cmd *cmd,
						  u64 *offset, void *segments,
						  u32 *count)
{
	unsigned long long off;
	unsigned int n;
	int err;

	if (!offset || !count) {
		err = iodma_core_cmd_gen_segments(cmd, NULL, segments, NULL);
		trace_gen_segments(cmd, 0, 0, 0, 0, err);
		return err;
	}
	off = *offset;
	n = *count;
	err = iodma_core_cmd_gen_segments(cmd, &off, segments, &n);
	trace_gen_segments(cmd, *offset, err ? *offset : off, *count,
			   err ? 0 : n, err);
	if (!err) {
		*offset = off;
		*count = n;
	}
	return err;
}

/**
 * iodma_cmd_gen_segments() - emit device segments of the prepared range
 * @cmd: the command
 * @offset: in: where to start, relative to the prepared offset; out: the
 *	end of the last segment written
 * @segments: array in the spec's format (struct iodma_seg32, struct
 *	iodma_seg64, or whatever the custom writer writes)
 * @count: in: room in @segments (at least 1); out: segments written
 *
 * Loop until @offset equals the prepared length. Sequential calls continue
 * in O(1); any other offset restarts the walk there. Allocates nothing.
 * On error, @offset, @count and @segments are unchanged, except that a
 * custom writer has already been given the segments before the one it
 * refused.
 *
 * Context: Any context.
 * Return: 0; -ENODATA when not prepared; -EINVAL for a NULL pointer, a
 * zero @count, or (%IODMA_ITERATE_ONLY, or an offset inside an alignment
 * unit) a misaligned segment; -ERANGE when @offset is at or after the
 * prepared end; -EOVERFLOW for an %IODMA_ITERATE_ONLY segment above the
 * address bits, or a segment the custom writer refused.
 */
int iodma_cmd_gen_segments(struct iodma_cmd *cmd, u64 *offset,
			   void *segments, u32 *count)
{
	if (trace_gen_segments_enabled())
		return iodma_cmd_gen_segments_traced(cmd, offset, segments,
						     count);
	/* The core writes *@offset and *@count only on success. */
	return iodma_core_cmd_gen_segments(cmd, offset, segments, count);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_gen_segments, IODMA);

/**
 * iodma_cmd_synchronize() - hand the prepared range to the CPU or device
 * @cmd: the command
 * @options: %IODMA_SYNC_FOR_CPU (device writes become visible in the
 *	descriptor) or %IODMA_SYNC_FOR_DEVICE (CPU writes become visible to
 *	the device), optionally or-ed with %IODMA_SYNC_FORCE_DOUBLE_BUFFER,
 *	which moves the prepared range to a copy buffer for the rest of this
 *	preparation
 *
 * Context: As iodma_cmd_prepare() with FORCE_DOUBLE_BUFFER; any context
 * otherwise.
 * Return: 0; -ENODATA when not prepared; -EINVAL for both directions or
 * unknown bits; -ENOMEM when a forced copy buffer cannot be allocated (the
 * preparation is unchanged).
 */
int iodma_cmd_synchronize(struct iodma_cmd *cmd, unsigned int options)
{
	int err = iodma_core_cmd_synchronize(cmd, options);

	trace_synchronize(cmd, 0, 0, options, err);
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_synchronize, IODMA);

/**
 * iodma_cmd_synchronize_range() - synchronize part of the prepared range
 * @cmd: the command
 * @offset: start, relative to the prepared offset
 * @length: bytes; 0 means to the end of the prepared range
 * @options: as iodma_cmd_synchronize()
 *
 * Context: As iodma_cmd_synchronize().
 * Return: as iodma_cmd_synchronize(), and -EINVAL for a range outside the
 * prepared range.
 */
int iodma_cmd_synchronize_range(struct iodma_cmd *cmd, u64 offset,
				u64 length, unsigned int options)
{
	int err = iodma_core_cmd_synchronize_range(cmd, offset, length,
						   options);

	trace_synchronize(cmd, offset, length, options, err);
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_synchronize_range, IODMA);

/**
 * iodma_cmd_read_bytes() - copy out of what the device sees
 * @cmd: the command
 * @offset: relative to the prepared offset
 * @buf: destination
 * @len: bytes wanted
 *
 * Returns what the device sees, wherever those bytes sit: iodma's copy
 * buffer, a platform bounce (swiotlb) or the descriptor. The range is
 * synced for the CPU before the copy (cache maintenance, bounce copy) and
 * handed back to the device after it; no iodma_cmd_synchronize() is
 * needed. Does not disturb a gen_segments walk.
 *
 * Context: Any context.
 * Return: bytes copied: clamped to the prepared range; 0 when not prepared
 * or @offset is at or after its end.
 */
size_t iodma_cmd_read_bytes(struct iodma_cmd *cmd, u64 offset, void *buf,
			    size_t len)
{
	return iodma_core_cmd_read_bytes(cmd, offset, buf, len);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_read_bytes, IODMA);

/**
 * iodma_cmd_write_bytes() - copy into what the device sees
 * @cmd: the command
 * @offset: relative to the prepared offset
 * @buf: source
 * @len: bytes to write
 *
 * Writes what the device sees, wherever those bytes sit: iodma's copy
 * buffer, a platform bounce (swiotlb) or the descriptor, and syncs the
 * range for the device: the device reads the new bytes, and they survive
 * iodma_cmd_complete(). Memory pinned without write access (a
 * %DMA_TO_DEVICE user descriptor) is never written, nor is a range that the
 * platform bounced for a %DMA_FROM_DEVICE mapping (its syncs never copy
 * towards the device). Does not disturb a gen_segments walk.
 *
 * Context: Any context.
 * Return: bytes copied: clamped to the prepared range; 0 when not prepared,
 * @offset is at or after its end, or the bytes cannot be written (above).
 */
size_t iodma_cmd_write_bytes(struct iodma_cmd *cmd, u64 offset,
			     const void *buf, size_t len)
{
	return iodma_core_cmd_write_bytes(cmd, offset, buf, len);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_write_bytes, IODMA);

/**
 * iodma_cmd_prepared_range() - the prepared range of a command
 * @cmd: the command
 * @offset: receives the prepared offset in the descriptor
 * @length: receives the prepared length
 *
 * Context: Any context.
 * Return: 0; -EINVAL for a NULL pointer; -ENODATA when not prepared.
 */
int iodma_cmd_prepared_range(const struct iodma_cmd *cmd, u64 *offset,
			     u64 *length)
{
	unsigned long long o, l;
	int err;

	err = iodma_core_cmd_prepared_range(cmd, offset ? &o : NULL,
					    length ? &l : NULL);
	if (!err) {
		*offset = o;
		*length = l;
	}
	return err;
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_prepared_range, IODMA);

/**
 * iodma_cmd_is_double_buffered() - whether the device uses a copy buffer
 * @cmd: the command
 *
 * Context: Any context.
 * Return: true when the prepared range goes through iodma's copy buffer.
 */
bool iodma_cmd_is_double_buffered(const struct iodma_cmd *cmd)
{
	return iodma_core_cmd_is_double_buffered(cmd);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_is_double_buffered, IODMA);

/**
 * iodma_cmd_reserve_copy_buffer() - keep a copy buffer with the command
 * @cmd: the command, not prepared
 * @bytes: how much to keep; 0 releases the reservation
 *
 * Beyond IOKit, for drivers whose I/O path must not allocate (blk-mq).
 * iodma allocates the blocks now, below the spec's address_bits and the
 * device's reach as they are now, mapped for both directions, and keeps
 * them until the command is destroyed or this is called again. Every
 * later preparation that needs a copy buffer (or is forced to one) of at
 * most @bytes, within the spec then in force, uses them and allocates
 * nothing; a larger one, or one the reserved blocks no longer suit after
 * iodma_cmd_set_spec(), allocates its own as without a reservation. The
 * blocks are refilled from the descriptor at every preparation, or zeroed
 * for a to-device one with %IODMA_PREPARE_NO_SYNC: the device never sees
 * an earlier transfer's bytes. iodma_cmd_clone() does not copy it; a
 * command in a pool keeps it across iodma_pool_put().
 *
 * Context: Process context if the creation gfp may sleep; any context
 * otherwise.
 * Return: 0; -EINVAL for a bad @cmd or @bytes above the spec's
 * max_transfer_size; -EBUSY while prepared; -ENOMEM when memory below the
 * reach is short now (the previous reservation stays in force);
 * -EOPNOTSUPP when no copy buffer can ever be had for this device and
 * spec (permanent).
 */
int iodma_cmd_reserve_copy_buffer(struct iodma_cmd *cmd, size_t bytes)
{
	return iodma_core_cmd_reserve_copy_buffer(cmd, bytes);
}
EXPORT_SYMBOL_NS_GPL(iodma_cmd_reserve_copy_buffer, IODMA);
