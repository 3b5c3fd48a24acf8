// SPDX-License-Identifier: GPL-2.0
// Command lifetime, spec changes and the memory descriptor slot.
#include "command.h"

namespace iodma {

DeviceInfo query_device(void* dev) {
  iodma_plat_dev_info pi{};
  iodma_plat_dev_query(dev, &pi);
  DeviceInfo di;
  di.translated = pi.translated != 0;
  di.coherent = pi.coherent != 0;
  di.page_shift = pi.page_shift;
  di.max_seg_size = pi.max_seg_size;
  di.max_mapping_size = pi.max_mapping_size;
  di.seg_boundary = pi.seg_boundary;
  di.dma_mask = pi.dma_mask;
  di.cb_floor = pi.cb_floor;
  return di;
}

int resolve_for_device(void* dev, const iodma_core_spec& in, DeviceInfo* info,
                       Spec* out, DevKey* key) {
  DevKey k;
  if (key != nullptr) iodma_plat_dev_read_key(dev, &k.raw);
  const DeviceInfo di = query_device(dev);
  int err = Spec::resolve(in, di, out);
  if (err == kOk && info != nullptr) *info = di;
  if (err == kOk && key != nullptr) *key = k;
  return err;
}

void* Command::operator new(size_t size, AllocChecker* ac,
                            size_t extra) noexcept {
  return ::operator new(size + extra, ac);
}

Command::Command(void* dev, const DeviceInfo& info, const DevKey& key,
                 const iodma_core_spec& raw, const Spec& spec, size_t priv_size,
                 u32 gfp)
    : dev_(dev), raw_spec_(raw), spec_(spec), priv_size_(priv_size), gfp_(gfp) {
  set_device(info, key);
  iodma_plat_dev_get(dev_);
  stats_.commands = 1;
  stats_.live = 1;
}

// Destroying a command releases everything it holds, prepared or not.
Command::~Command() {
  if (nest_ > 0) {
    nest_ = 1;
    (void)complete(0);
  }
  free_reserve();
  if (md_ != nullptr) md_->put();
  // Its counts stay with its device's; the device stays referenced while
  // a reader may name it.
  registry::detach(this);
  iodma_plat_dev_put(dev_);
}

int Command::create(void* dev, const iodma_core_spec& raw, size_t priv_size,
                    u32 gfp, Command** out) {
  Spec spec;
  DeviceInfo info;
  DevKey key;
  int err = resolve_for_device(dev, raw, &info, &spec, &key);
  if (err != kOk) return err;
  // The allocators below refuse (and warn about) anything larger.
  if (priv_size > kPrivMax) return kEINVAL;

  AllocChecker ac(gfp);
  const size_t extra = priv_offset() - sizeof(Command) + priv_size;
  Command* cmd =
      new (&ac, extra) Command(dev, info, key, raw, spec, priv_size, gfp);
  if (!ac.check()) return kENOMEM;
  err = registry::attach(cmd, gfp);
  if (err != kOk) {
    destroy(cmd);
    return err;
  }
  *out = cmd;
  return kOk;
}

int Command::clone(u32 gfp, Command** out) const {
  return create(dev_, raw_spec_, priv_size_, gfp, out);
}

void Command::destroy(Command* cmd) { iodma::destroy(cmd); }

int Command::set_spec(const iodma_core_spec& raw) {
  Spec spec;
  DeviceInfo info;
  DevKey key;
  int err = resolve_for_device(dev_, raw, &info, &spec, &key);
  if (err != kOk) return err;
  if (nest_ > 0) return kEBUSY;
  set_device(info, key);
  raw_spec_ = raw;
  spec_ = spec;
  return kOk;
}

int Command::set_md(Md* md, bool auto_prepare) {
  if (md == md_) {
    if (md != nullptr && auto_prepare && nest_ == 0) return prepare(0, 0, 0);
    return kOk;
  }
  if (nest_ > 0) return kEBUSY;
  if (md != nullptr) md->get();
  if (md_ != nullptr) md_->put();
  set_md_slot(md);
  if (md != nullptr && auto_prepare) {
    int err = prepare(0, 0, 0);
    if (err != kOk) {
      md_->put();
      set_md_slot(nullptr);
      return err;
    }
  }
  return kOk;
}

int Command::clear_md(bool auto_complete) {
  int first = kOk;
  if (nest_ > 0) {
    if (!auto_complete) return kEBUSY;
    while (nest_ > 0) {
      int err = complete(0);
      if (first == kOk) first = err;
    }
  }
  if (md_ != nullptr) md_->put();
  set_md_slot(nullptr);
  return first;
}

// The device as the platform reported it, and the limits gather() cuts
// physical ranges at: every mapping entry within the device's segment
// limits and the DMA layer's (DMA-API debug checks them), sub-page limits
// included; longer ones stay page-sized so that an IOMMU can merge them
// again.
void Command::set_device(const DeviceInfo& info, const DevKey& key) {
  // A scatterlist entry's length is an unsigned int: stay well below it.
  constexpr u64 kMaxRange = u64{1} << 30;
  const u64 page = u64{1} << info.page_shift;
  info_ = info;
  key_ = key;
  gathered_ = false;  // cut by other limits, maybe for another mapping
  map_reusable_ = false;
  kept_ = false;  // the spec changes with the device
  lim_.max_len =
      min_of(min_of(info.max_seg_size, info.max_mapping_size), kMaxRange);
  if (lim_.max_len >= page) lim_.max_len = align_down(lim_.max_len, page);
  if (lim_.max_len == 0) lim_.max_len = 1;
  lim_.boundary = info.seg_boundary != 0
                      ? u64{1} << (63 - __builtin_clzll(info.seg_boundary))
                      : 0;
  lim_.page_shift = info.page_shift;
}

// The device's limits as they are now: a driver may set them after it
// created its commands (SPEC.md 10.1). refresh_device() reads the raw
// parameters at every prepare; only when they changed does this query the
// device again and resolve the spec again. On error the command keeps its
// old view.
int Command::reread_device() {
  DevKey key;
  iodma_plat_dev_read_key(dev_, &key.raw);
  const DeviceInfo now = query_device(dev_);
  Spec spec;
  int err = Spec::resolve(raw_spec_, now, &spec);
  if (err != kOk) return err;
  set_device(now, key);
  spec_ = spec;
  return kOk;
}

void Command::state(iodma_core_cmd_state* out) const {
  *out = iodma_core_cmd_state{};
  out->cmd = reinterpret_cast<const iodma_cmd*>(this);
  out->id = link_.id;
  out->dev = dev_;
  out->nest = nest_;
  if (nest_ > 0) {
    out->offset = offset_;
    out->length = length_;
    out->dir = static_cast<u32>(dir_);
    out->copy_buffer = via_ == Via::kCopy;
  }
  // Scalars only: a reader under the registry lock must never follow md_,
  // which the command's user may drop meanwhile.
  if (nest_ == 0) out->dir = md_dir_;
  out->md_kind = md_kind_;
  spec_.to_core(&out->spec);
}

void Command::set_md_slot(Md* md) {
  md_ = md;
  gathered_ = false;
  map_reusable_ = false;
  md_kind_ = md != nullptr ? md->core_kind() : 0;
  md_dir_ = md != nullptr ? static_cast<u32>(md->dir()) : 3;  // DMA_NONE
}

int Command::prepared_range(u64* offset, u64* length) const {
  if (nest_ == 0) return kENODATA;
  if (offset != nullptr) *offset = offset_;
  if (length != nullptr) *length = length_;
  return kOk;
}

}  // namespace iodma
