// SPDX-License-Identifier: GPL-2.0
// Freestanding basics for the iodma core: fixed-width integers, errno codes
// and small helpers. The core includes no kernel and no standard header.
#ifndef IODMA_CORE_TYPES_H
#define IODMA_CORE_TYPES_H

#include "errno_codes.h"

namespace iodma {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using size_t = decltype(sizeof(0));
using uintptr_t = __UINTPTR_TYPE__;
// The C interface's 64-bit type (core_api.h), which u64 may not be.
using c_u64 = unsigned long long;

inline constexpr u64 kU64Max = ~u64{0};
inline constexpr u32 kU32Max = ~u32{0};

// Error codes are negative Linux errno values (src/shim asserts they match).
enum Err : int {
  kOk = 0,
  kEINVAL = -IODMA_EINVAL,
  kENODATA = -IODMA_ENODATA,
  kEBUSY = -IODMA_EBUSY,
  kENOSPC = -IODMA_ENOSPC,
  kERANGE = -IODMA_ERANGE,
  kEOVERFLOW = -IODMA_EOVERFLOW,
  kEOPNOTSUPP = -IODMA_EOPNOTSUPP,
  kENOMEM = -IODMA_ENOMEM,
  kEFAULT = -IODMA_EFAULT,
  kEIO = -IODMA_EIO,
};

constexpr bool is_pow2(u64 v) { return v != 0 && (v & (v - 1)) == 0; }
// Unsigned operands only; mixed widths (u64 and unsigned long long) meet
// in their common type.
template <typename A, typename B>
constexpr auto max_of(A a, B b) -> decltype(a + b) {
  return a > b ? a : b;
}
template <typename A, typename B>
constexpr auto min_of(A a, B b) -> decltype(a + b) {
  return a < b ? a : b;
}
// Round down to a multiple of a power of two.
constexpr u64 align_down(u64 v, u64 pow2) { return v & ~(pow2 - 1); }

}  // namespace iodma

#endif  // IODMA_CORE_TYPES_H
