// SPDX-License-Identifier: GPL-2.0-or-later
#include "drive/shrink.h"

#include <algorithm>
#include <map>

namespace buddycheck {

namespace {

bool names_allocation(const Op& op) {
  return op.kind == OpKind::Free || op.kind == OpKind::DmSet ||
         (op.kind == OpKind::BadFree && op.bad != BadFreeKind::foreign);
}

struct Outcome {
  std::optional<Finding> finding;
  Trace trace;
};

// Runs the ops selected by `keep`, translating each allocation reference through the
// op that created it. References to allocations that no longer exist drop the op.
Outcome run_subset(const Trace& t, const std::vector<std::pair<size_t, uint32_t>>& creator,
                   const std::vector<bool>& keep, const RunOptions& options) {
  Outcome out;
  Runner r(t.config, options);
  std::map<std::pair<size_t, uint32_t>, uint32_t> new_id;  // (op, k) -> id in this run
  for (size_t i = 0; i < t.ops.size(); i++) {
    if (!keep[i]) continue;
    Op op = t.ops[i];
    if (names_allocation(op)) {
      if (op.id >= creator.size()) continue;
      auto it = new_id.find(creator[op.id]);
      if (it == new_id.end()) continue;
      op.id = it->second;
      bool live = false;
      for (uint32_t id : r.live_ids()) live |= id == op.id;
      bool want_live = !(op.kind == OpKind::BadFree && op.bad == BadFreeKind::double_free);
      if (live != want_live) continue;
    }
    uint32_t before = r.next_id();
    StepResult s = r.step(op);
    for (uint32_t k = 0; before + k < r.next_id(); k++) new_id[{i, k}] = before + k;
    if (s.error) return out;
    if (s.finding) {
      out.finding = s.finding;
      out.trace = r.trace();
      return out;
    }
  }
  if (options.full_check_at_end) out.finding = r.check_full();
  out.trace = r.trace();
  return out;
}

}  // namespace

std::optional<ShrinkResult> shrink_trace(const Trace& t, const RunOptions& run_options,
                                         size_t max_runs, const ShrinkProgress& progress) {
  // The shrinker holds the whole trace anyway: every candidate run keeps its ops too.
  RunOptions options = run_options;
  options.history_limit = std::max(options.history_limit, t.ops.size());
  // Which op (and which page of it) created each allocation id in the original run.
  std::vector<std::pair<size_t, uint32_t>> creator;
  {
    Runner r(t.config, options);
    for (size_t i = 0; i < t.ops.size(); i++) {
      uint32_t before = r.next_id();
      StepResult s = r.step(t.ops[i]);
      for (uint32_t k = 0; before + k < r.next_id(); k++) creator.push_back({i, k});
      if (s.error || s.finding) break;
    }
  }
  std::vector<bool> keep(t.ops.size(), true);
  Outcome base = run_subset(t, creator, keep, options);
  if (!base.finding) return std::nullopt;
  const std::string id = base.finding->id;
  ShrinkResult best{base.trace, *base.finding, 1};
  // Ops after the failing one never matter.
  for (size_t i = best.finding.op_index + 1; i < keep.size(); i++) keep[i] = false;

  auto try_keep = [&](const std::vector<bool>& cand) {
    if (best.runs >= max_runs) return false;
    best.runs++;
    Outcome o = run_subset(t, creator, cand, options);
    if (progress) progress(best.runs, max_runs, best.trace.ops.size());
    if (!o.finding || o.finding->id != id) return false;
    best.trace = o.trace;
    best.finding = *o.finding;
    return true;
  };
  // ddmin: drop chunks of the kept ops, halving the chunk size until single ops.
  for (size_t chunk = std::max<size_t>(1, t.ops.size() / 2);; chunk /= 2) {
    bool progress = true;
    while (progress) {
      progress = false;
      std::vector<size_t> kept;
      for (size_t i = 0; i < keep.size(); i++)
        if (keep[i]) kept.push_back(i);
      for (size_t start = 0; start < kept.size(); start += chunk) {
        std::vector<bool> cand = keep;
        for (size_t j = start; j < std::min(kept.size(), start + chunk); j++) cand[kept[j]] = false;
        if (try_keep(cand)) {
          keep = cand;
          progress = true;
          break;
        }
      }
      if (best.runs >= max_runs) return best;
    }
    if (chunk == 1) break;
  }
  return best;
}

}  // namespace buddycheck
