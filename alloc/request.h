// SPDX-License-Identifier: GPL-2.0-or-later
// What callers hand the allocator and what they get back: requests, outcomes,
// structured bad-input errors (the kernel's WARN/VM_BUG/bad_page cases), and the hooks
// through which an embedding test supplies reclaim, compaction and OOM behaviour.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "alloc/alloc_flags.h"
#include "alloc/nodemask.h"
#include "alloc/page.h"
#include "alloc/task.h"

namespace pagealloc {

class Machine;

struct AllocRequest {
  gfp_t gfp = GFP_KERNEL;
  unsigned order = 0;
  int nid = NUMA_NO_NODE;            // preferred node; NUMA_NO_NODE: the CPU's node
  std::optional<Nodemask> nodemask;  // nullopt: the kernel's NULL nodemask
  unsigned cpu = 0;                  // the CPU this call runs on (smp_processor_id())
  TaskContext task;
};

enum class AllocStatus : uint8_t {
  Ok,      // pfn/order valid
  Failed,  // the allocator returned NULL
  Loops,   // the kernel would retry forever here (e.g. __GFP_NOFAIL, GFP_NOFS at OOM)
  Error,   // bad input: the kernel would WARN and return NULL, or BUG()
};
const char* alloc_status_name(AllocStatus s);

enum class AllocError : uint8_t {
  None,
  OrderTooLarge,          // WARN_ON_ONCE_GFP(order > MAX_PAGE_ORDER)
  UnknownGfpBits,         // bits outside __GFP_BITS_MASK
  BadZoneCombination,     // GFP_ZONE_BAD: VM_BUG_ON in gfp_zone()
  MovableAndReclaimable,  // VM_WARN_ON in gfp_migratetype(): garbage migratetype
  BadNode,                // nid out of range or not online
  ThisnodeWithoutMemory,  // __GFP_THISNODE on a node without memory (warn_if_node_offline)
  BadCpu,                 // cpu out of range
  ContextRejected,        // sanitize_alloc_flags(): BUG() on insanity
  BulkTooLarge,           // alloc_pages_bulk with nr_pages out of range
};
const char* alloc_error_name(AllocError e);

// Kernel warnings a request triggered without being refused.
enum AllocWarning : uint32_t {
  WARN_NOFAIL_COSTLY = 1 << 0,      // WARN_ON_ONCE(order > 1) for __GFP_NOFAIL
  WARN_NOFAIL_NO_RECLAIM = 1 << 1,  // WARN_ON_ONCE(!can_direct_reclaim) for __GFP_NOFAIL
  WARN_NOFAIL_MEMALLOC = 1 << 2,    // WARN_ON_ONCE(PF_MEMALLOC) for __GFP_NOFAIL
  WARN_NOFAIL_OOM = 1 << 3,         // WARN_ON_ONCE_GFP in __alloc_pages_may_oom
  WARN_ALLOC_FAILURE = 1 << 4,      // warn_alloc("page allocation failure") without NOWARN
  WARN_CTX_CLEARED = 1 << 5,        // sanitize_alloc_flags() cleared caller bits
};

struct AllocResult {
  AllocStatus status = AllocStatus::Failed;
  AllocError error = AllocError::None;
  Pfn pfn = kNoPfn;
  unsigned order = 0;
  uint16_t zone = 0;         // zone id the page came from
  unsigned alloc_flags = 0;  // the alloc_flags of the successful attempt
  bool from_pcp = false;     // served from a per-cpu list
  bool slowpath = false;     // __alloc_pages_slowpath() was entered
  uint32_t warnings = 0;     // AllocWarning
  SanitizeResult sanitize;   // context entry only
  std::string detail;        // human-readable reason for Error / Loops

  bool ok() const { return status == AllocStatus::Ok; }
};

// bad_page(): why a free was refused. The machine is left exactly as it was.
enum class FreeError : uint8_t {
  None,
  OutOfRange,            // PFN outside the machine's memmap
  Absent,                // a hole: pfn_valid() fails
  Reserved,              // PageReserved: never handed out
  NotAllocated,          // free block head: double free (PageBuddy)
  OnPcp,                 // free block on a per-cpu list: double free
  TailPage,              // not the head of an allocation (or inside a free block)
  WrongOrder,            // order differs from the allocation's (compound order mismatch)
  Refcount,              // free_pages on a frozen page or free_frozen_pages on a refcounted one
  DirectMapNotRestored,  // the owner changed the direct map and did not restore it
};
const char* free_error_name(FreeError e);

struct FreeResult {
  FreeError error = FreeError::None;
  Pfn pfn = kNoPfn;
  unsigned order = 0;
  std::string report;  // the bad_page()-style report, empty when ok
  bool ok() const { return error == FreeError::None; }
};

struct BulkResult {
  AllocStatus status = AllocStatus::Failed;
  AllocError error = AllocError::None;
  std::vector<Pfn> pfns;           // order-0 pages, in the order the kernel's list holds them
  bool used_fallback = false;      // went through __alloc_pages for a single page
  bool fallback_from_pcp = false;  // ...and that page came off a per-cpu list
};

// ---- hooks -------------------------------------------------------------------------

struct ReclaimContext {
  gfp_t gfp = 0;
  unsigned order = 0;
  ZoneType highest_zoneidx = ZONE_NORMAL;
  int preferred_nid = 0;
  std::optional<Nodemask> nodemask;
};

// enum compact_result subset.
enum class CompactResult : uint8_t { SKIPPED, DEFERRED, PARTIAL_SKIPPED, COMPLETE, SUCCESS };

// The embedding test supplies what lies outside the page allocator. Hooks may free
// pages through the Machine. Defaults model a machine with nothing reclaimable and no
// OOM victim: reclaim makes no progress, compaction is skipped, and the OOM killer
// kills nothing but "pretends progress" for !__GFP_FS requests as out_of_memory() does.
struct Hooks {
  std::function<uint64_t(Machine&, const ReclaimContext&)> direct_reclaim;
  std::function<CompactResult(Machine&, const ReclaimContext&)> direct_compact;
  std::function<bool(Machine&, const ReclaimContext&)> out_of_memory;
  std::function<uint64_t(const Machine&, unsigned zone)> zone_reclaimable_pages;
};

}  // namespace pagealloc
