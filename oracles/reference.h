// SPDX-License-Identifier: GPL-2.0-or-later
// The reference model: an obviously simple account of every PFN, kept beside the
// machine from op outcomes alone (never by reading the machine's lists):
//
//   Absent    a hole or outside every zone
//   Reserved  present, never managed
//   Free      free: in a buddy block or on some per-cpu list (the model does not
//             predict which; the machine's split is checked by the invariants and
//             by NR_FREE_PAGES + pcp counts == the reference's free count per zone)
//   Allocated owned by allocation `owner` (head and tails)
//
// After every op the machine is compared with it: around the touched PFNs and per-zone
// counts incrementally, every PFN in full.
//
// The liveness judgement (judge_failure) decides whether a failed allocation was
// allowed. It claims exactly this, on the machine state after the op: a valid request
// that returns NULL is a finding if some zone of Eligibility::zones (the zones the
// slow path's first attempt walks: the request's zonelist, zone index <= gfp_zone(),
// the caller's nodemask, the private-node gate, and with ALLOC_CPUSET in the slow
// flags cpuset_node_allowed() for the slow path's gfp) both
//   (a) passes __zone_watermark_ok() (spec_watermark_check(), all five steps) with the boosted
//       mark watermark[WMARK_MIN] + watermark_boost, the slow path's alloc_flags
//       (gfp_to_alloc_flags()), the zone's NR_FREE_PAGES, nr_free_highatomic and
//       NR_FREE_CMA_PAGES, and lowmem_reserve[gfp_zone()], and
//   (b) holds a buddy block of order >= the request's order on a free list the
//       request may take from (Eligibility::list_ok: own type and its fallbacks, CMA
//       with ALLOC_CMA, HIGHATOMIC with ALLOC_HIGHATOMIC/OOM/NON_BLOCK, the unmapped
//       freetype for unmapped requests), or, for a mapped request that may flip
//       (Eligibility::flip_ok), an unmapped block of order >= max(order,
//       pageblock_order).
// Not judged: Loops and Error outcomes, and OOM victims that may reach the OOM killer
// with ALLOC_OOM or __GFP_NOMEMALLOC (the slow path gives up right after a kill that
// may have freed memory, without another attempt). Pages on per-cpu lists never
// count: the kernel drains them only after reclaim makes progress. Every state change
// inside the slow path (reclaim, drains, highatomic unreserve) is followed by another
// attempt with flags at least as permissive, and watermark boosts only grow during
// an op, so the post-op state is a sound place to judge.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "alloc/machine.h"
#include "oracles/eligibility.h"
#include "oracles/finding.h"

namespace buddycheck {

using namespace pagealloc;

class Reference {
 public:
  enum class State : uint8_t { Absent, Reserved, Free, Allocated };

  // Built from the machine's Config only (holes, reserved ranges, zone spans).
  explicit Reference(const Config& config);

  State state(Pfn pfn) const;
  uint32_t owner(Pfn pfn) const;  // allocation id of an Allocated page
  uint64_t free_pages(unsigned zone) const { return zone_free_[zone]; }

  // An allocation [pfn, pfn + 2^order) was handed out. Finding if any page was not
  // Free (handed out twice, or never free).
  std::optional<Finding> on_alloc(uint32_t id, Pfn pfn, unsigned order);
  // A successful free of allocation `id`.
  void on_free(uint32_t id, Pfn pfn, unsigned order);

  // Is [pfn, +2^order) exactly one live allocation's head with that order?
  bool is_allocation(Pfn pfn, unsigned order) const;

  // Compare the machine around what the last op touched, plus per-zone free counts.
  std::optional<Finding> compare_incremental(const Machine& m) const;
  // Compare every PFN.
  std::optional<Finding> compare_full(const Machine& m) const;

  // Liveness: was this failure allowed? (see the header comment)
  std::optional<Finding> judge_failure(const Machine& m, const AllocRequest& req,
                                       const AllocFlags* ctx) const;
  // The same with `e` = eligibility(m, req, ctx) computed by the caller.
  std::optional<Finding> judge_failure(const Machine& m, const AllocRequest& req,
                                       const AllocFlags* ctx,
                                       const std::optional<Eligibility>& e) const;

 private:
  // compare_full()'s first pass: block by block, true when every PFN agrees.
  bool agrees_by_block(const Machine& m) const;
  // compare_incremental() over ascending PFNs (repeats allowed), and over a sorted copy
  // of an unsorted log.
  std::optional<Finding> compare_touched(const Machine& m, const Pfn* pfns, unsigned n) const;
  [[gnu::noinline]] std::optional<Finding> compare_sorted_copy(const Machine& m) const;

  Pfn base_ = 0;
  uint64_t n_ = 0;  // PFNs covered, from base_
  // One allocation per Reference (a fuzz input boots one): the per-zone free counts,
  // then three per-PFN arrays, which agrees_by_block() reads a word at a time.
  std::unique_ptr<std::byte[]> buf_;
  std::span<uint64_t> zone_free_;
  uint32_t* owner_ = nullptr;
  uint16_t* zone_of_ = nullptr;  // per PFN zone id (0xffff: none)
  uint8_t* state_ = nullptr;
};

// The machine's coarse view of one PFN, for comparisons and reports.
Reference::State machine_coarse_state(const Machine& m, Pfn pfn);

}  // namespace buddycheck
