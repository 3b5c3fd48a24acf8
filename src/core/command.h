// SPDX-License-Identifier: GPL-2.0
// One DMA command: a device, a spec, and (later) a memory descriptor with
// its prepared state.
#ifndef IODMA_CORE_COMMAND_H
#define IODMA_CORE_COMMAND_H

#include "alloc.h"
#include "spec.h"
#include "types.h"

namespace iodma {

// Invariants:
//  - dev_ is referenced (iodma_plat_dev_get) for the command's lifetime.
//  - spec_ is raw_spec_ resolved for dev_; both change together or not at
//    all.
//  - priv_size_ bytes of zeroed client data follow the object, 16-byte
//    aligned, inside the same allocation.
class Command {
 public:
  static constexpr size_t kPrivAlign = 16;

  // Returns kOk and *out, or kEINVAL / kEOPNOTSUPP / kENOMEM.
  [[nodiscard]] static int create(void* dev, const iodma_core_spec& spec,
                                  size_t priv_size, u32 gfp, Command** out);
  // A new, unprepared command with the same device, spec and priv size.
  [[nodiscard]] int clone(u32 gfp, Command** out) const;
  static void destroy(Command* cmd);

  // Atomic: on error the previous spec stays fully in force.
  [[nodiscard]] int set_spec(const iodma_core_spec& spec);

  void* priv() { return reinterpret_cast<u8*>(this) + priv_offset(); }
  void* device() const { return dev_; }
  const iodma_core_spec& raw_spec() const { return raw_spec_; }
  const Spec& spec() const { return spec_; }

  static void* operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept;

 private:
  Command(void* dev, const iodma_core_spec& raw, const Spec& spec,
          size_t priv_size);
  ~Command();
  static constexpr size_t priv_offset() {
    return (sizeof(Command) + kPrivAlign - 1) & ~(kPrivAlign - 1);
  }
  friend void iodma::destroy<Command>(Command*);

  void* dev_;
  iodma_core_spec raw_spec_;
  Spec spec_;
  size_t priv_size_;
};

[[nodiscard]] int resolve_for_device(void* dev, const iodma_core_spec& in,
                                     Spec* out);

}  // namespace iodma

#endif  // IODMA_CORE_COMMAND_H
