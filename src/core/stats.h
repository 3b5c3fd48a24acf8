// SPDX-License-Identifier: GPL-2.0
// Statistics: every command counts its own operations; the registry of
// live commands, grouped per device, adds them up for readers and keeps
// what destroyed commands counted (core_api.h, "Statistics").
#ifndef IODMA_CORE_STATS_H
#define IODMA_CORE_STATS_H

#include "core_api.h"
#include "types.h"

namespace iodma {

class Command;
struct DeviceRecord;

// Where a command sits in the registry: owned by the registry and changed
// only under the platform lock.
struct RegistryLink {
  Command* prev = nullptr;
  Command* next = nullptr;
  DeviceRecord* rec = nullptr;  // nullptr: not registered
  u64 id = 0;  // unique since load, from 1: names the command in traces
};

// The slot of failures[] that counts `err` (a negative errno).
u32 err_slot(int err);
// to += from, field by field.
void add_stats(iodma_core_stats* to, const iodma_core_stats& from);

namespace registry {

// Register a new command under its device: kOk, or kENOMEM (the device's
// first command needs a record, allocated with `gfp`). Any context `gfp`
// allows.
[[nodiscard]] int attach(Command* cmd, u32 gfp);
// Unregister a command being destroyed, keeping its counts with its
// device's, and the device's with everything's when it was the last one.
// A command never registered is ignored.
void detach(Command* cmd);
// Count a creation that failed with `err`.
void note_create_failure(int err);

}  // namespace registry
}  // namespace iodma

#endif  // IODMA_CORE_STATS_H
