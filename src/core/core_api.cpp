// SPDX-License-Identifier: GPL-2.0
// The C entry points of the core (core_api.h): pointer checks and the
// conversion between the opaque C handle and the C++ command.
#include "core_api.h"

#include "command.h"
#include "handle.h"

using iodma::Command;
using iodma::Md;

using iodma::bad;
using iodma::from_handle;
using iodma::to_handle;

namespace {

// A creation's result, failures counted.
int created(int err) {
  if (err != iodma::kOk) iodma::registry::note_create_failure(err);
  return err;
}
Md* md_of(iodma_md* h) { return reinterpret_cast<Md*>(h); }
const Md* md_of(const iodma_md* h) { return reinterpret_cast<const Md*>(h); }

}  // namespace

extern "C" {

int iodma_core_spec_resolve(void* dev, const iodma_core_spec* spec,
                            iodma_core_spec* out) {
  if (bad(dev) || spec == nullptr) return iodma::kEINVAL;
  iodma::Spec s;
  int err = iodma::resolve_for_device(dev, *spec, nullptr, &s);
  if (err == iodma::kOk && out != nullptr) s.to_core(out);
  return err;
}

int iodma_core_cmd_create(void* dev, const iodma_core_spec* spec,
                          unsigned long priv_size, unsigned int gfp,
                          iodma_cmd** out) {
  if (bad(dev) || spec == nullptr || out == nullptr)
    return created(iodma::kEINVAL);
  Command* cmd = nullptr;
  int err = Command::create(dev, *spec, priv_size, gfp, &cmd);
  if (err == iodma::kOk) *out = to_handle(cmd);
  return created(err);
}

int iodma_core_cmd_clone(const iodma_cmd* h, unsigned int gfp,
                         iodma_cmd** out) {
  if (bad(h) || out == nullptr) return created(iodma::kEINVAL);
  Command* cmd = nullptr;
  int err = from_handle(h)->clone(gfp, &cmd);
  if (err == iodma::kOk) *out = to_handle(cmd);
  return created(err);
}

void iodma_core_cmd_destroy(iodma_cmd* h) {
  if (!bad(h)) Command::destroy(from_handle(h));
}

void* iodma_core_cmd_priv(iodma_cmd* h) {
  return !bad(h) ? from_handle(h)->priv() : nullptr;
}

void* iodma_core_cmd_device(const iodma_cmd* h) {
  return !bad(h) ? from_handle(h)->device() : nullptr;
}

int iodma_core_cmd_set_spec(iodma_cmd* h, const iodma_core_spec* spec) {
  if (bad(h) || spec == nullptr) return iodma::kEINVAL;
  return from_handle(h)->note(from_handle(h)->set_spec(*spec));
}

int iodma_core_cmd_get_spec(const iodma_cmd* h, iodma_core_spec* out) {
  if (bad(h) || out == nullptr) return iodma::kEINVAL;
  *out = from_handle(h)->raw_spec();
  return iodma::kOk;
}

void iodma_core_cmd_effective_spec(const iodma_cmd* h, iodma_core_spec* out) {
  if (out == nullptr) return;
  if (bad(h)) {
    *out = iodma_core_spec{};
    return;
  }
  from_handle(h)->spec().to_core(out);
}

int iodma_core_md_create(const iodma_core_md_desc* desc, unsigned int gfp,
                         iodma_md** out) {
  if (desc == nullptr || out == nullptr) return iodma::kEINVAL;
  // Tables the caller passes by pointer: an error pointer is bad input.
  if ((desc->sgt != nullptr && bad(desc->sgt)) ||
      (desc->pages != nullptr && bad(desc->pages)))
    return iodma::kEINVAL;
  Md* md = nullptr;
  int err = Md::create(*desc, gfp, &md);
  if (err == iodma::kOk) *out = reinterpret_cast<iodma_md*>(md);
  return err;
}

int iodma_core_md_create_ranges(unsigned int max_ranges, unsigned int gfp,
                                iodma_md** out) {
  if (out == nullptr) return iodma::kEINVAL;
  Md* md = nullptr;
  int err = Md::create_ranges(max_ranges, gfp, &md);
  if (err == iodma::kOk) *out = reinterpret_cast<iodma_md*>(md);
  return err;
}

int iodma_core_md_reset(iodma_md* md, unsigned int dir) {
  if (bad(md)) return iodma::kEINVAL;
  return md_of(md)->reset(dir);
}

int iodma_core_md_add_range(iodma_md* md, unsigned long long phys,
                            unsigned long long len) {
  if (bad(md)) return iodma::kEINVAL;
  return md_of(md)->add_range(phys, len);
}

void iodma_core_md_get(iodma_md* md) {
  if (!bad(md)) md_of(md)->get();
}

void iodma_core_md_put(iodma_md* md) {
  if (!bad(md)) md_of(md)->put();
}

unsigned long long iodma_core_md_length(const iodma_md* md) {
  return !bad(md) ? md_of(md)->length() : 0;
}

unsigned int iodma_core_md_direction(const iodma_md* md) {
  return !bad(md) ? static_cast<unsigned int>(md_of(md)->dir()) : 3;
}

int iodma_core_cmd_set_md(iodma_cmd* h, iodma_md* md, int auto_prepare) {
  // NULL detaches; an error pointer is bad input.
  if (bad(h) || (md != nullptr && bad(md))) return iodma::kEINVAL;
  Command* c = from_handle(h);
  return c->note(c->set_md(md_of(md), auto_prepare != 0));
}

int iodma_core_cmd_clear_md(iodma_cmd* h, int auto_complete) {
  if (bad(h)) return iodma::kEINVAL;
  return from_handle(h)->note(from_handle(h)->clear_md(auto_complete != 0));
}

iodma_md* iodma_core_cmd_md(const iodma_cmd* h) {
  return !bad(h) ? reinterpret_cast<iodma_md*>(from_handle(h)->md()) : nullptr;
}

// iodma_core_cmd_prepare() and iodma_core_cmd_complete(): in transfer.cpp,
// beside what they call.

int iodma_core_cmd_prepare_with_spec(iodma_cmd* h, const iodma_core_spec* spec,
                                     unsigned long long offset,
                                     unsigned long long length,
                                     unsigned int flags) {
  if (bad(h) || spec == nullptr) return iodma::kEINVAL;
  Command* c = from_handle(h);
  return c->note(c->prepare_with_spec(*spec, offset, length, flags));
}

// iodma_core_cmd_gen_segments(): in gen.cpp, beside what it calls.

int iodma_core_cmd_synchronize(iodma_cmd* h, unsigned int options) {
  if (bad(h)) return iodma::kEINVAL;
  return from_handle(h)->note(from_handle(h)->synchronize(0, 0, true, options));
}

int iodma_core_cmd_synchronize_range(iodma_cmd* h, unsigned long long offset,
                                     unsigned long long length,
                                     unsigned int options) {
  if (bad(h)) return iodma::kEINVAL;
  Command* c = from_handle(h);
  return c->note(c->synchronize(offset, length, false, options));
}

unsigned long iodma_core_cmd_read_bytes(iodma_cmd* h, unsigned long long offset,
                                        void* buf, unsigned long len) {
  return !bad(h) ? from_handle(h)->read_bytes(offset, buf, len) : 0;
}

unsigned long iodma_core_cmd_write_bytes(iodma_cmd* h,
                                         unsigned long long offset,
                                         const void* buf, unsigned long len) {
  return !bad(h) ? from_handle(h)->write_bytes(offset, buf, len) : 0;
}

int iodma_core_cmd_prepared_range(const iodma_cmd* h,
                                  unsigned long long* offset,
                                  unsigned long long* length) {
  if (bad(h) || offset == nullptr || length == nullptr) return iodma::kEINVAL;
  iodma::u64 o, l;
  int err = from_handle(h)->prepared_range(&o, &l);
  if (err == iodma::kOk) {
    *offset = o;
    *length = l;
  }
  return err;
}

void iodma_core_cmd_stats(const iodma_cmd* h, iodma_core_stats* out) {
  if (out == nullptr) return;
  *out = !bad(h) ? from_handle(h)->stats() : iodma_core_stats{};
}

int iodma_core_cmd_snapshot(const iodma_cmd* h, iodma_core_cmd_state* out) {
  if (bad(h) || out == nullptr) return iodma::kEINVAL;
  from_handle(h)->state(out);
  return iodma::kOk;
}

int iodma_core_cmd_abandon(iodma_cmd* h, iodma_core_cmd_state* was) {
  if (bad(h)) return 0;
  Command* c = from_handle(h);
  const bool prepared = c->prepared();
  if (prepared) {
    if (was != nullptr) c->state(was);
    c->note_abandoned();
  }
  Command::destroy(c);  // completes every nesting level first
  return prepared;
}

int iodma_core_cmd_is_double_buffered(const iodma_cmd* h) {
  return !bad(h) && from_handle(h)->double_buffered();
}

int iodma_core_cmd_reserve_copy_buffer(iodma_cmd* h, unsigned long long bytes) {
  if (bad(h)) return iodma::kEINVAL;
  return from_handle(h)->note(from_handle(h)->reserve_copy_buffer(bytes));
}

}  // extern "C"
