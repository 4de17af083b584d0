// SPDX-License-Identifier: GPL-2.0-or-later
// struct alloc_context: what one allocation carries through the fast and slow paths.
// Internal to alloc/.
#pragma once

#include "alloc/machine.h"

namespace pagealloc {

struct Machine::AllocContext {
  const Zonelist* zonelist = nullptr;
  const Nodemask* nodemask = nullptr;  // nullptr: the kernel's NULL nodemask
  Nodemask nodemask_storage;           // backing for nodemask when it points here
  size_t preferred = 0;                // preferred_zoneref: index into *zonelist
  unsigned highest_zoneidx = ZONE_NORMAL;
  MigrateType migratetype = MIGRATE_UNMOVABLE;
  unsigned freetype = MIGRATE_UNMOVABLE;  // migratetype, or the unmapped freetype
  bool spread_dirty_pages = false;
  unsigned cpu = 0;
  int preferred_nid = 0;
  // ALLOC_* bits that come from the caller's context (alloc_flags struct, __GFP_UNMAPPED,
  // ability to block) and survive every recomputation in the slow path.
  unsigned ctx_flags = 0;
  bool frozen = false;
  const TaskContext* task = nullptr;

  bool has_preferred() const { return preferred < zonelist->size(); }
};

}  // namespace pagealloc
