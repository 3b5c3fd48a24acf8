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

#ifdef __cplusplus
}
#endif

#endif /* IODMA_CORE_API_H */
