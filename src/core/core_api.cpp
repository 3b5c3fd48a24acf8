// SPDX-License-Identifier: GPL-2.0
// The C entry points of the core (core_api.h): pointer checks and the
// conversion between the opaque C handle and the C++ command.
#include "core_api.h"

#include "command.h"

using iodma::Command;

namespace {

Command* from_handle(iodma_cmd* h) { return reinterpret_cast<Command*>(h); }
const Command* from_handle(const iodma_cmd* h) {
  return reinterpret_cast<const Command*>(h);
}
iodma_cmd* to_handle(Command* c) { return reinterpret_cast<iodma_cmd*>(c); }

}  // namespace

extern "C" {

int iodma_core_spec_resolve(void* dev, const iodma_core_spec* spec,
                            iodma_core_spec* out) {
  if (dev == nullptr || spec == nullptr) return iodma::kEINVAL;
  iodma::Spec s;
  int err = iodma::resolve_for_device(dev, *spec, &s);
  if (err == iodma::kOk && out != nullptr) s.to_core(out);
  return err;
}

int iodma_core_cmd_create(void* dev, const iodma_core_spec* spec,
                          unsigned long priv_size, unsigned int gfp,
                          iodma_cmd** out) {
  if (dev == nullptr || spec == nullptr || out == nullptr)
    return iodma::kEINVAL;
  Command* cmd = nullptr;
  int err = Command::create(dev, *spec, priv_size, gfp, &cmd);
  if (err == iodma::kOk) *out = to_handle(cmd);
  return err;
}

int iodma_core_cmd_clone(const iodma_cmd* h, unsigned int gfp,
                         iodma_cmd** out) {
  if (h == nullptr || out == nullptr) return iodma::kEINVAL;
  Command* cmd = nullptr;
  int err = from_handle(h)->clone(gfp, &cmd);
  if (err == iodma::kOk) *out = to_handle(cmd);
  return err;
}

void iodma_core_cmd_destroy(iodma_cmd* h) { Command::destroy(from_handle(h)); }

void* iodma_core_cmd_priv(iodma_cmd* h) {
  return h != nullptr ? from_handle(h)->priv() : nullptr;
}

void* iodma_core_cmd_device(const iodma_cmd* h) {
  return h != nullptr ? from_handle(h)->device() : nullptr;
}

int iodma_core_cmd_set_spec(iodma_cmd* h, const iodma_core_spec* spec) {
  if (h == nullptr || spec == nullptr) return iodma::kEINVAL;
  return from_handle(h)->set_spec(*spec);
}

int iodma_core_cmd_get_spec(const iodma_cmd* h, iodma_core_spec* out) {
  if (h == nullptr || out == nullptr) return iodma::kEINVAL;
  *out = from_handle(h)->raw_spec();
  return iodma::kOk;
}

void iodma_core_cmd_effective_spec(const iodma_cmd* h, iodma_core_spec* out) {
  if (out == nullptr) return;
  if (h == nullptr) {
    *out = iodma_core_spec{};
    return;
  }
  from_handle(h)->spec().to_core(out);
}

}  // extern "C"
