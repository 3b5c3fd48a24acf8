// SPDX-License-Identifier: GPL-2.0
// The C handles of core_api.h and the C++ objects behind them, for the C
// entry points (core_api.cpp, and gen.cpp's, which sits beside the code
// it calls so that the compiler can put it in one function).
#ifndef IODMA_CORE_HANDLE_H
#define IODMA_CORE_HANDLE_H

#include "command.h"
#include "core_api.h"

namespace iodma {

// NULL, or an error pointer (ERR_PTR: the top 4095 addresses) that a caller
// passed on unchecked: bad input, never dereferenced (SPEC.md 10.7).
[[gnu::always_inline]] inline bool bad(const void* h) {
  constexpr uintptr_t kMaxErrno = 4095;
  return h == nullptr || reinterpret_cast<uintptr_t>(h) >= -kMaxErrno;
}

[[gnu::always_inline]] inline Command* from_handle(iodma_cmd* h) {
  return reinterpret_cast<Command*>(h);
}
[[gnu::always_inline]] inline const Command* from_handle(const iodma_cmd* h) {
  return reinterpret_cast<const Command*>(h);
}
[[gnu::always_inline]] inline iodma_cmd* to_handle(Command* c) {
  return reinterpret_cast<iodma_cmd*>(c);
}

}  // namespace iodma

#endif  // IODMA_CORE_HANDLE_H
