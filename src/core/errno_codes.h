/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Linux errno values the core returns, for C and C++ alike. The shim
 * checks at build time that each equals the kernel's own definition.
 */
#ifndef IODMA_CORE_ERRNO_CODES_H
#define IODMA_CORE_ERRNO_CODES_H

#define IODMA_EIO 5
#define IODMA_ENOMEM 12
#define IODMA_EFAULT 14
#define IODMA_EBUSY 16
#define IODMA_EINVAL 22
#define IODMA_ENOSPC 28
#define IODMA_ERANGE 34
#define IODMA_ENODATA 61
#define IODMA_EOVERFLOW 75
#define IODMA_EOPNOTSUPP 95

#endif /* IODMA_CORE_ERRNO_CODES_H */
