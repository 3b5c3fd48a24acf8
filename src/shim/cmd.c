// SPDX-License-Identifier: GPL-2.0
/*
 * Exported command API: argument marshalling between the public kernel
 * types of <linux/iodma.h> and the core's plain C interface.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iodma.h>

#include "../core/core_api.h"

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
 * -EOPNOTSUPP for %IODMA_BYPASSED or %IODMA_UNMAPPED on a device whose DMA
 * is translated by an IOMMU (permanent).
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
 * -EOPNOTSUPP for %IODMA_BYPASSED or %IODMA_UNMAPPED on a device whose DMA
 * is translated by an IOMMU (permanent);
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
 * Context: Any context in which the command's resources may be freed.
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
 * -EOPNOTSUPP for %IODMA_BYPASSED or %IODMA_UNMAPPED on a device whose DMA
 * is translated by an IOMMU (permanent).
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
