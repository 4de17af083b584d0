// SPDX-License-Identifier: GPL-2.0-or-later
// The "current" task as the allocator sees it: the bits of task_struct, preempt count
// and cpuset that change a request's meaning (current_gfp_context(),
// __gfp_pfmemalloc_flags(), gfp_to_alloc_flags(), cpuset_node_allowed()). A request
// carries one of these; the default is an ordinary task outside any cpuset.
#pragma once

#include <optional>

#include "alloc/nodemask.h"

namespace pagealloc {

struct TaskContext {
  bool in_interrupt = false;  // hard IRQ or NMI: !in_task()
  bool in_serving_softirq = false;
  bool pf_memalloc = false;       // PF_MEMALLOC: reclaimer, may use reserves
  bool pf_memalloc_noio = false;  // memalloc_noio_save(): clears __GFP_IO|__GFP_FS
  bool pf_memalloc_nofs = false;  // memalloc_nofs_save(): clears __GFP_FS
  bool pf_memalloc_pin = false;   // memalloc_pin_save(): clears __GFP_MOVABLE
  bool oom_victim = false;        // tsk_is_oom_victim(): ALLOC_OOM reserves
  bool rt_task = false;           // rt_or_dl_task(): ALLOC_MIN_RESERVE when blocking
  // cpusets_enabled() and the task's mems_allowed; nullopt: cpusets off (the default).
  std::optional<Nodemask> cpuset_mems;

  bool in_task() const { return !in_interrupt && !in_serving_softirq; }
  bool operator==(const TaskContext&) const = default;
};

}  // namespace pagealloc
