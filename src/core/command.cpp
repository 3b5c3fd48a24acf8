// SPDX-License-Identifier: GPL-2.0
// Command lifetime and spec changes.
#include "command.h"

namespace iodma {

int resolve_for_device(void* dev, const iodma_core_spec& in, Spec* out) {
  iodma_plat_dev_info info{};
  iodma_plat_dev_query(dev, &info);
  DeviceInfo di;
  di.translated = info.translated != 0;
  di.page_shift = info.page_shift;
  return Spec::resolve(in, di, out);
}

void* Command::operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept {
  return ::operator new(size + extra, ac);
}

Command::Command(void* dev, const iodma_core_spec& raw, const Spec& spec,
                 size_t priv_size)
    : dev_(dev), raw_spec_(raw), spec_(spec), priv_size_(priv_size) {
  iodma_plat_dev_get(dev_);
}

Command::~Command() { iodma_plat_dev_put(dev_); }

int Command::create(void* dev, const iodma_core_spec& raw, size_t priv_size,
                    u32 gfp, Command** out) {
  Spec spec;
  int err = resolve_for_device(dev, raw, &spec);
  if (err != kOk) return err;
  // Keep priv_offset() + priv_size from wrapping.
  if (priv_size > kU32Max) return kEINVAL;

  AllocChecker ac(gfp);
  const size_t extra = priv_offset() - sizeof(Command) + priv_size;
  Command* cmd = new (&ac, extra) Command(dev, raw, spec, priv_size);
  if (!ac.check()) return kENOMEM;
  *out = cmd;
  return kOk;
}

int Command::clone(u32 gfp, Command** out) const {
  return create(dev_, raw_spec_, priv_size_, gfp, out);
}

void Command::destroy(Command* cmd) { iodma::destroy(cmd); }

int Command::set_spec(const iodma_core_spec& raw) {
  Spec spec;
  int err = resolve_for_device(dev_, raw, &spec);
  if (err != kOk) return err;
  raw_spec_ = raw;
  spec_ = spec;
  return kOk;
}

}  // namespace iodma
