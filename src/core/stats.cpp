// SPDX-License-Identifier: GPL-2.0
// The statistics registry (core_api.h, "Statistics"). Readers and the
// creation and destruction of commands take the platform lock; the hot
// path never does: each command counts its own operations in its own
// memory, and a reader adds them up.
#include "stats.h"

#include "alloc.h"
#include "command.h"

namespace iodma {

// The live commands of one device and what its destroyed ones counted.
// Invariants (under the platform lock): in the registry's list exactly
// while `cmds` is not empty; `retired.live` is 0.
struct DeviceRecord {
  void* dev;
  DeviceRecord* next;
  Command* cmds;
  iodma_core_stats retired;
};

namespace {

// Plain zero-initialised data: no constructor runs for it.
struct Registry {
  DeviceRecord* devices;
  u64 last_id;
  // Devices that no longer have a live command, and failed creations.
  iodma_core_stats gone;
};
Registry g_registry;

class Locked {
 public:
  Locked() : flags_(iodma_plat_lock()) {}
  ~Locked() { iodma_plat_unlock(flags_); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  unsigned long flags_;
};

DeviceRecord* find(void* dev) {
  DeviceRecord* r = g_registry.devices;
  while (r != nullptr && r->dev != dev) r = r->next;
  return r;
}

// A device's counters: its destroyed commands' and its live ones'.
void sum_device(const DeviceRecord& r, iodma_core_stats* out) {
  *out = r.retired;
  for (const Command* c = r.cmds; c != nullptr; c = c->link().next)
    add_stats(out, c->stats());
}

void link_into(DeviceRecord* r, Command* cmd) {
  RegistryLink& l = cmd->link();
  l.rec = r;
  l.id = ++g_registry.last_id;
  l.prev = nullptr;
  l.next = r->cmds;
  if (r->cmds != nullptr) r->cmds->link().prev = cmd;
  r->cmds = cmd;
}

}  // namespace

u32 err_slot(int err) {
  switch (err) {
    case kEINVAL:
      return IODMA_CORE_ERR_EINVAL;
    case kENODATA:
      return IODMA_CORE_ERR_ENODATA;
    case kEBUSY:
      return IODMA_CORE_ERR_EBUSY;
    case kENOSPC:
      return IODMA_CORE_ERR_ENOSPC;
    case kERANGE:
      return IODMA_CORE_ERR_ERANGE;
    case kEOVERFLOW:
      return IODMA_CORE_ERR_EOVERFLOW;
    case kEOPNOTSUPP:
      return IODMA_CORE_ERR_EOPNOTSUPP;
    case kENOMEM:
      return IODMA_CORE_ERR_ENOMEM;
    case kEFAULT:
      return IODMA_CORE_ERR_EFAULT;
    case kEIO:
      return IODMA_CORE_ERR_EIO;
    default:
      return IODMA_CORE_ERR_OTHER;
  }
}

void add_stats(iodma_core_stats* to, const iodma_core_stats& from) {
  to->commands += from.commands;
  to->live += from.live;
  to->prepares += from.prepares;
  to->completes += from.completes;
  to->bytes_prepared += from.bytes_prepared;
  to->cb_engaged += from.cb_engaged;
  to->cb_reserved += from.cb_reserved;
  to->cb_bytes += from.cb_bytes;
  to->syncs += from.syncs;
  to->gen_calls += from.gen_calls;
  to->segments += from.segments;
  to->abandoned += from.abandoned;
  for (u32 i = 0; i < IODMA_CORE_NERR; i++) to->failures[i] += from.failures[i];
}

namespace registry {

int attach(Command* cmd, u32 gfp) {
  DeviceRecord* fresh = nullptr;
  for (;;) {
    {
      Locked lock;
      DeviceRecord* r = find(cmd->device());
      if (r == nullptr && fresh != nullptr) {
        r = fresh;
        fresh = nullptr;
        r->next = g_registry.devices;
        g_registry.devices = r;
      }
      if (r != nullptr) {
        link_into(r, cmd);
        break;
      }
    }
    // The device's first command: allocate its record outside the lock
    // (it may sleep where gfp allows), then look again.
    AllocChecker ac(gfp);
    fresh = new (&ac) DeviceRecord{cmd->device(), nullptr, nullptr, {}};
    if (!ac.check()) return kENOMEM;
  }
  // Another command of the device registered it meanwhile.
  destroy(fresh);
  return kOk;
}

void detach(Command* cmd) {
  DeviceRecord* dead = nullptr;
  {
    Locked lock;
    RegistryLink& l = cmd->link();
    DeviceRecord* r = l.rec;
    if (r == nullptr) return;
    if (l.prev != nullptr)
      l.prev->link().next = l.next;
    else
      r->cmds = l.next;
    if (l.next != nullptr) l.next->link().prev = l.prev;
    l = RegistryLink{};
    add_stats(&r->retired, cmd->stats());
    r->retired.live--;
    if (r->cmds == nullptr) {
      DeviceRecord** p = &g_registry.devices;
      while (*p != r) p = &(*p)->next;
      *p = r->next;
      add_stats(&g_registry.gone, r->retired);
      dead = r;
    }
  }
  destroy(dead);
}

void note_create_failure(int err) {
  Locked lock;
  g_registry.gone.failures[err_slot(err)]++;
}

}  // namespace registry
}  // namespace iodma

using iodma::Command;
using iodma::DeviceRecord;

extern "C" {

unsigned int iodma_core_err_slot(int err) { return iodma::err_slot(err); }

int iodma_core_stats_read(void* dev, iodma_core_stats* out) {
  if (out == nullptr) return iodma::kEINVAL;
  iodma::Locked lock;
  if (dev != nullptr) {
    const DeviceRecord* r = iodma::find(dev);
    if (r == nullptr) return iodma::kENODATA;
    iodma::sum_device(*r, out);
    return iodma::kOk;
  }
  *out = iodma::g_registry.gone;
  for (const DeviceRecord* r = iodma::g_registry.devices; r != nullptr;
       r = r->next) {
    iodma_core_stats s{};
    iodma::sum_device(*r, &s);
    iodma::add_stats(out, s);
  }
  return iodma::kOk;
}

void iodma_core_stats_for_each_device(
    void (*fn)(void* dev, const iodma_core_stats* s, void* ctx), void* ctx) {
  if (fn == nullptr) return;
  iodma::Locked lock;
  for (const DeviceRecord* r = iodma::g_registry.devices; r != nullptr;
       r = r->next) {
    iodma_core_stats s{};
    iodma::sum_device(*r, &s);
    fn(r->dev, &s, ctx);
  }
}

void iodma_core_for_each_prepared(void (*fn)(const iodma_core_cmd_state* st,
                                             void* ctx),
                                  void* ctx) {
  if (fn == nullptr) return;
  iodma::Locked lock;
  for (const DeviceRecord* r = iodma::g_registry.devices; r != nullptr;
       r = r->next) {
    for (const Command* c = r->cmds; c != nullptr; c = c->link().next) {
      if (!c->prepared()) continue;
      iodma_core_cmd_state st{};
      c->state(&st);
      fn(&st, ctx);
    }
  }
}

}  // extern "C"
