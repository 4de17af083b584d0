// What a request may receive, written from the spec (§1.3-1.7, §3.5-3.6, §7.3, §8.2-8.4)
// independently of alloc/'s code paths: the shadow judges successful allocations with
// it (§9 17-24) and the liveness judgement uses it for failures. Only gfp_zone()'s
// table and the gfp/alloc_flags constants are shared with alloc/ (the table has its
// own property test against the kernel's values).
#pragma once

#include <optional>
#include <vector>

#include "alloc/machine.h"

namespace buddycheck {

using namespace pagealloc;

struct Eligibility {
  gfp_t gfp = 0;                 // after current_gfp_context()
  unsigned order = 0;
  int preferred_nid = 0;
  ZoneType highest_zoneidx = ZONE_NORMAL;
  MigrateType migratetype = MIGRATE_UNMOVABLE;
  bool unmapped = false;         // ctx.unmapped or __GFP_UNMAPPED
  bool private_ok = false;       // __GFP_PRIVATE or ctx.managed_node
  bool cma_ok = false;           // movable request (ALLOC_CMA)
  bool can_block = false;        // __GFP_DIRECT_RECLAIM and not in interrupt
  // The slow path may drop the nodemask (reserve escalation, or !ALLOC_CPUSET).
  bool nodemask_may_be_ignored = false;
  bool no_watermarks_possible = false;  // some path may use ALLOC_NO_WATERMARKS
  // Union of the alloc_flags any attempt of this request may use (slow path, reserve
  // escalation, __GFP_NOFAIL fallbacks). Used as the most permissive bound.
  unsigned permissive_flags = 0;
  // alloc_flags of the slow path's first attempt (gfp_to_alloc_flags()).
  unsigned slow_flags = 0;
  // Zones the request may take pages from, in zonelist order, after zone index,
  // THISNODE, nodemask (strict), private-node and cpuset rules.
  std::vector<uint16_t> zones;
  // Zones allowed when the nodemask is ignored (superset of `zones`).
  std::vector<uint16_t> zones_relaxed;
  // Free lists (freetype indices) the request may take a block from without
  // flipping the direct map.
  bool list_ok[NR_FREETYPE_IDXS] = {};
  // Whether a direct-map flip is possible for this request in principle.
  bool flip_ok = false;
};

// nullopt: the request is invalid (the machine must refuse it); `why` says why.
std::optional<Eligibility> eligibility(const Machine& m, const AllocRequest& req,
                                       const AllocFlags* ctx, std::string* why = nullptr);

// The spec's slow-path alloc_flags (§1.6), written out again for the oracles.
unsigned spec_slow_alloc_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                               bool mobility_grouping);
unsigned spec_reserve_flags(gfp_t gfp, const TaskContext& task);

}  // namespace buddycheck
