// SPDX-License-Identifier: GPL-2.0-or-later
// The shadow oracle: a record of every allocation (id, PFN, order, request) that
// judges each result against what the request allowed (eligibility()), paints every
// mapped allocation's memory with its id and verifies the paint at free (an overlap or
// a stray write shows up as a wrong colour), and checks __GFP_ZERO pages read zero.
// Free and unmapped pages stay ASan-poisoned by the allocator's KASAN hooks, so any
// touch of them in a sanitizer build is reported like KASAN would.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/machine.h"
#include "oracles/eligibility.h"
#include "oracles/finding.h"

namespace buddycheck {

using namespace pagealloc;

struct AllocRecord {
  Pfn pfn = kNoPfn;
  unsigned order = 0;
  bool live = false;
  bool frozen = false;      // free with free_frozen_pages
  bool unmapped = false;    // handed out unmapped
  bool dm_changed = false;  // owner changed the direct map and has not restored it
  bool painted = false;     // on_alloc painted its memory (verify_paint checks it)
  uint16_t zone = 0;
  AllocRequest req;
  std::optional<AllocFlags> ctx;
};

// State the eligibility checks need from just before the op.
struct ZoneSnapshot {
  int64_t nr_free = 0;      // NR_FREE_PAGES
  int64_t pcp_pages = 0;    // pages on all of the zone's pcp lists
  int64_t nr_free_cma = 0;  // NR_FREE_CMA_PAGES
};

struct PreState {
  std::vector<ZoneSnapshot> zones;  // per zone id (one vector: one allocation per run)
  int64_t freed_during_op = 0;      // pages freed by hooks during the op
};

class Shadow {
 public:
  explicit Shadow(const Machine& m, bool paint = true);

  // Snapshot taken before an allocation op (cheap: O(zones * cpus)).
  PreState snapshot(const Machine& m) const;
  // The same into `into`, reusing its buffers (the runner's per-op path: no allocation).
  void snapshot(const Machine& m, PreState& into) const;

  // Judge a successful allocation and paint it. `id` is the new allocation's id.
  std::optional<Finding> on_alloc(Machine& m, uint32_t id, const AllocRequest& req,
                                  const AllocFlags* ctx, bool frozen, const AllocResult& r,
                                  const PreState& pre);
  // The same with `e` = eligibility(m, req, ctx) computed by the caller: it depends on
  // the request and the topology only, so a bulk op asks once for all its pages.
  std::optional<Finding> on_alloc(Machine& m, uint32_t id, const AllocRequest& req,
                                  const AllocFlags* ctx, bool frozen, const AllocResult& r,
                                  const PreState& pre, const std::optional<Eligibility>& e);
  // The machine's accept/refuse decision against eligibility()'s:
  // SHADOW-REFUSED for a valid request answered with AllocStatus::Error,
  // SHADOW-ACCEPTED-INVALID for an invalid one that was not.
  std::optional<Finding> judge_validity(const Machine& m, const AllocRequest& req,
                                        const AllocFlags* ctx, const AllocResult& r) const;
  // The same with `e` and `why` from eligibility(m, req, ctx, &why) (the runner asks
  // once per op for this, on_alloc and the liveness judgement).
  std::optional<Finding> judge_validity(const AllocRequest& req, const AllocFlags* ctx,
                                        const AllocResult& r, const std::optional<Eligibility>& e,
                                        std::string_view why) const;

  // Before freeing allocation `id`: verify its paint. After: mark it dead.
  std::optional<Finding> verify_paint(const Machine& m, uint32_t id) const;
  void on_free(uint32_t id);
  void on_dm_set(uint32_t id, bool present);

  const AllocRecord& record(uint32_t id) const { return records_[id]; }
  AllocRecord& record_mut(uint32_t id) { return records_[id]; }
  size_t nr_records() const { return records_.size(); }
  void reserve(size_t ids) { records_.reserve(ids); }

 private:
  bool paint_;
  std::vector<AllocRecord> records_;
};

// alloc_pages_bulk() does not apply current_gfp_context() (the kernel's
// alloc_pages_bulk_noprof() neither) and serves its pages from a pcp list: judge each
// bulk page (on_alloc, judge_validity) with this request and AllocResult::from_pcp set.
AllocRequest bulk_page_request(AllocRequest req);

// The paint word for page `i` of allocation `id`.
uint64_t paint_word(uint32_t id, uint64_t i);

}  // namespace buddycheck
