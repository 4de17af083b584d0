// SPDX-License-Identifier: GPL-2.0-or-later
// What a request may receive, written from the kernel's rules (gfp_zone(),
// current_gfp_context(), the slow path's alloc_flags, get_page_from_freelist()'s zone
// walk over build_zonelists()'s lists, cpuset_node_allowed(), __zone_watermark_ok(),
// __rmqueue()'s fallbacks; PRIV and UNMAP for private nodes and unmapped pages)
// independently of alloc/'s code paths: the shadow judges successful allocations with
// it and the liveness judgement uses it for failures. The spec_ prefix marks the
// oracles' own statement of a kernel rule (docs/glossary.md). Only gfp_zone()'s
// table and the gfp/alloc_flags constants are shared with alloc/ (the table has its
// own property test against the kernel's values).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "alloc/machine.h"

namespace buddycheck {

using namespace pagealloc;

// Zone ids in zonelist order: which positions of one node's zonelist passed, as a bit
// per position over a view of the Machine's list. No heap, and small: eligibility()
// runs for every allocation the runner judges, and a list of 256 ids made its result
// a kilobyte that every caller's (ASan-poisoned) frame held and copied.
class ZoneIds {
 public:
  ZoneIds() = default;
  explicit ZoneIds(Zonelist zl) : zl_(zl) {}
  void add_position(size_t i) {
    bits_[i / 64] |= uint64_t{1} << (i % 64);
    n_++;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  bool contains(uint16_t zid) const {
    for (uint16_t z : *this)
      if (z == zid) return true;
    return false;
  }

  class iterator {
   public:
    iterator(const ZoneIds* s, size_t pos) : s_(s), pos_(pos) { skip(); }
    uint16_t operator*() const { return s_->zl_[pos_].zone; }
    iterator& operator++() {
      pos_++;
      skip();
      return *this;
    }
    bool operator==(const iterator& o) const { return pos_ == o.pos_; }

   private:
    void skip() {
      while (pos_ < s_->zl_.size() && !((s_->bits_[pos_ / 64] >> (pos_ % 64)) & 1)) pos_++;
    }
    const ZoneIds* s_;
    size_t pos_;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, zl_.size()}; }

 private:
  Zonelist zl_;
  std::array<uint64_t, (kMaxNodes * MAX_NR_ZONES + 63) / 64> bits_ = {};
  uint16_t n_ = 0;
};

struct Eligibility {
  gfp_t gfp = 0;  // after current_gfp_context()
  unsigned order = 0;
  int preferred_nid = 0;
  ZoneType highest_zoneidx = ZONE_NORMAL;
  MigrateType migratetype = MIGRATE_UNMOVABLE;
  bool unmapped = false;    // ctx.unmapped or __GFP_UNMAPPED
  bool private_ok = false;  // __GFP_PRIVATE or ctx.managed_node
  bool cma_ok = false;      // movable request (ALLOC_CMA)
  bool can_block = false;   // __GFP_DIRECT_RECLAIM and not in interrupt
  // The slow path may drop the nodemask (reserve escalation, or !ALLOC_CPUSET).
  bool nodemask_may_be_ignored = false;
  // Some attempt runs without ALLOC_CPUSET (the above, or the __GFP_NOFAIL
  // __alloc_pages_cpuset_fallback() second try).
  bool cpuset_may_be_ignored = false;
  // __alloc_pages_may_oom() may call the OOM killer (order <= COSTLY, blocking, no
  // NORETRY/RETRY_MAYFAIL/THISNODE, not PF_MEMALLOC, highest zone >= NORMAL).
  bool oom_kill_possible = false;
  bool no_watermarks_possible = false;  // some path may use ALLOC_NO_WATERMARKS
  // Union of the alloc_flags any attempt of this request may use (slow path, reserve
  // escalation, __GFP_NOFAIL fallbacks). Used as the most permissive bound.
  unsigned permissive_flags = 0;
  // alloc_flags of the slow path's first attempt (gfp_to_alloc_flags()).
  unsigned slow_flags = 0;
  // Zones the request may take pages from, in zonelist order, after zone index,
  // THISNODE, nodemask (strict), private-node and cpuset rules.
  ZoneIds zones;
  // Zones allowed when the nodemask is ignored (superset of `zones`).
  ZoneIds zones_relaxed;
  // Free lists (freetype indices) the slow path's first attempt (slow_flags) may take
  // a block from without flipping the direct map: own type and its fallbacks (or the
  // unmapped freetype), CMA with ALLOC_CMA, HIGHATOMIC with HIGHATOMIC/OOM/NON_BLOCK.
  bool list_ok[NR_FREETYPE_IDXS] = {};
  // Whether a direct-map flip is possible for this request in principle (can block,
  // the architecture can change the direct map).
  bool flip_ok = false;
};

// nullopt: the request is invalid (the machine must refuse it); `why` says why.
std::optional<Eligibility> eligibility(const Machine& m, const AllocRequest& req,
                                       const AllocFlags* ctx, std::string* why = nullptr);

// The slow path's alloc_flags (gfp_to_alloc_flags()), written out again for the oracles.
unsigned spec_slow_alloc_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                               bool mobility_grouping);
unsigned spec_reserve_flags(gfp_t gfp, const TaskContext& task);

// cpuset_node_allowed() (kernel/cgroup/cpuset.c) with the root cpuset as the nearest hardwall
// ancestor; true when cpusets are off.
bool spec_cpuset_node_allowed(int node, gfp_t gfp, const TaskContext& task);

// __zone_watermark_ok() written again (mm/page_alloc.c). `free_pages`, `free_highatomic`
// and `free_cma` are the counters to judge with (the zone's own, or bounds); with
// `check_lists` false only the free-count test (steps 1-3) runs.
struct WatermarkCheck {
  bool ok = false;
  int64_t usable = 0;     // free_pages - unusable
  int64_t min = 0;        // mark after the reserve discounts
  int64_t reserve = 0;    // lowmem_reserve[highest_zoneidx]
  bool no_block = false;  // the count passed but no free list qualified (order > 0)
};
WatermarkCheck spec_watermark_check(const Machine& m, const Zone& z, unsigned order, uint64_t mark,
                                    unsigned highest_zoneidx, unsigned alloc_flags,
                                    int64_t free_pages, int64_t free_highatomic, int64_t free_cma,
                                    bool check_lists);

// "order-2 0xcc0(GFP_KERNEL) nid=1 nodemask=0-1 ctx=cma task=pf_memalloc": a request
// as findings name it.
std::string request_string(const AllocRequest& req, const AllocFlags* ctx);

// pcp_allowed_order(): orders the per-cpu lists cache.
bool spec_pcp_allowed_order(const Machine& m, unsigned order);

}  // namespace buddycheck
