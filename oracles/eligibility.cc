// SPDX-License-Identifier: GPL-2.0-or-later
// What a request may receive, from the kernel's rules rather than from alloc/'s code paths.
// Only gfp_zone()/gfp_migratetype() (table-tested elsewhere), the flag constants, the
// machine's read-only views (zonelists, node states, zones, config) and
// sanitize_alloc_flags() are shared with alloc/; the rest is written out again here.
#include "oracles/eligibility.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "oracles/cold.h"

namespace buddycheck {

namespace {

// current_gfp_context() (include/linux/sched/mm.h): the task's memalloc scopes narrow the mask.
gfp_t scoped_gfp(gfp_t gfp, const TaskContext& t) {
  if (t.pf_memalloc_noio) gfp &= ~(__GFP_IO | __GFP_FS);
  else if (t.pf_memalloc_nofs) gfp &= ~__GFP_FS;
  if (t.pf_memalloc_pin) gfp &= ~__GFP_MOVABLE;  // no ZONE_MOVABLE, no CMA
  return gfp;
}

// gfp_to_alloc_flags_cma().
unsigned cma_flag(gfp_t gfp, bool mobility_grouping) {
  auto mt = gfp_migratetype(gfp, mobility_grouping);
  return (mt && *mt == MIGRATE_MOVABLE) ? ALLOC_CMA : 0;
}

// __zone_watermark_ok() step 2: the discounts a reserve user gets off the mark, in this order.
int64_t discounted_min(int64_t min, unsigned flags) {
  if (!(flags & ALLOC_RESERVES)) return min;
  if (flags & ALLOC_MIN_RESERVE) {
    min -= min / 2;
    if (flags & ALLOC_NON_BLOCK) min -= min / 4;
  }
  if (flags & ALLOC_OOM) min -= min / 2;
  return min;
}

}  // namespace

std::string request_string(const AllocRequest& req, const AllocFlags* ctx) {
  std::string s = fmt::format("order-{} {}", req.order, gfp_to_string(req.gfp));
  if (req.nid != NUMA_NO_NODE) s += fmt::format(" nid={}", req.nid);
  if (req.nodemask) s += fmt::format(" nodemask={}", nodemask_to_string(*req.nodemask));
  if (req.task.cpuset_mems)
    s += fmt::format(" cpuset={}", nodemask_to_string(*req.task.cpuset_mems));
  if (ctx) s += fmt::format(" ctx={}", ctx_flags_to_string(*ctx));
  const TaskContext& t = req.task;
  const std::pair<bool, const char*> bits[] = {
      {t.in_interrupt, "in_interrupt"}, {t.in_serving_softirq, "in_softirq"},
      {t.pf_memalloc, "pf_memalloc"},   {t.pf_memalloc_noio, "noio"},
      {t.pf_memalloc_nofs, "nofs"},     {t.pf_memalloc_pin, "pin"},
      {t.oom_victim, "oom_victim"},     {t.rt_task, "rt_task"}};
  std::string task;
  for (const auto& [on, name] : bits)
    if (on) task += task.empty() ? name : std::string("|") + name;
  if (!task.empty()) s += " task=" + task;
  return s;
}

unsigned spec_reserve_flags(gfp_t gfp, const TaskContext& task) {
  // __gfp_pfmemalloc_flags(): reserve escalation. The kernel's
  // in_interrupt() includes serving a softirq, so "not in interrupt" is in_task().
  if (gfp & __GFP_NOMEMALLOC) return 0;
  if (gfp & __GFP_MEMALLOC) return ALLOC_NO_WATERMARKS;
  if (task.in_serving_softirq && task.pf_memalloc) return ALLOC_NO_WATERMARKS;
  if (task.in_task()) {
    if (task.pf_memalloc) return ALLOC_NO_WATERMARKS;
    if (task.oom_victim) return ALLOC_OOM;
  }
  return 0;
}

unsigned spec_slow_alloc_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                               bool mobility_grouping) {
  // gfp_to_alloc_flags().
  unsigned f = ALLOC_WMARK_MIN | ALLOC_CPUSET;
  if (gfp & __GFP_HIGH) f |= ALLOC_MIN_RESERVE;
  if (gfp & __GFP_KSWAPD_RECLAIM) f |= ALLOC_KSWAPD;
  if (!(gfp & __GFP_DIRECT_RECLAIM)) {
    if (!(gfp & __GFP_NOMEMALLOC)) {
      f |= ALLOC_NON_BLOCK;
      if (order > 0 && (f & ALLOC_MIN_RESERVE)) f |= ALLOC_HIGHATOMIC;
    }
    // Non-blocking __GFP_HIGH (GFP_ATOMIC) ignores cpuset mems rather than fail.
    if (f & ALLOC_MIN_RESERVE) f &= ~ALLOC_CPUSET;
  } else if (task.rt_task && task.in_task()) {
    f |= ALLOC_MIN_RESERVE;
  }
  return f | cma_flag(gfp, mobility_grouping);
}

bool spec_cpuset_node_allowed(int node, gfp_t gfp, const TaskContext& task) {
  if (!task.cpuset_mems) return true;  // cpusets_enabled() is false
  if (!task.in_task()) return true;    // in_interrupt(): softirq included
  if (task.cpuset_mems->test(node)) return true;
  if (task.oom_victim) return true;  // OOM victims may take memory anywhere
  if (gfp & __GFP_HARDWALL) return false;
  return true;  // the nearest hardwall ancestor is the root cpuset: every node
}

bool spec_pcp_allowed_order(const Machine& m, unsigned order) {
  // HPAGE_PMD_ORDER is pageblock_order in the model.
  return order <= PAGE_ALLOC_COSTLY_ORDER || order == m.config().pageblock_order;
}

WatermarkCheck spec_watermark_check(const Machine& m, const Zone& z, unsigned order, uint64_t mark,
                                    unsigned highest_zoneidx, unsigned alloc_flags,
                                    int64_t free_pages, int64_t free_highatomic, int64_t free_cma,
                                    bool check_lists) {
  WatermarkCheck w;
  // Step 1: what the request may not count (since Linux 6.12: the free highatomic pages).
  int64_t unusable = (int64_t{1} << order) - 1;
  if (!(alloc_flags & ALLOC_RESERVES)) unusable += free_highatomic;
  if (!(alloc_flags & ALLOC_CMA)) unusable += free_cma;
  w.usable = free_pages - unusable;
  // Step 2.
  w.min = discounted_min(static_cast<int64_t>(mark), alloc_flags);
  // Step 3.
  w.reserve = static_cast<int64_t>(z.lowmem_reserve[highest_zoneidx]);
  if (w.usable <= w.min + w.reserve) return w;
  // Step 4.
  if (order == 0 || !check_lists) {
    w.ok = true;
    return w;
  }
  // Step 5: a free block of at least this order on a list the request may use.
  // ISOLATE never qualifies; the unmapped freetype is not in the kernel's predicate.
  for (unsigned k = order; k <= m.config().max_page_order; k++) {
    const FreeArea& area = z.free_area[k];
    for (unsigned mt = 0; mt < MIGRATE_PCPTYPES; mt++)
      if (!area.free_list[mt].empty()) w.ok = true;
    if ((alloc_flags & ALLOC_CMA) && !area.free_list[MIGRATE_CMA].empty()) w.ok = true;
    if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
        !area.free_list[MIGRATE_HIGHATOMIC].empty())
      w.ok = true;
    if (w.ok) return w;
  }
  w.no_block = true;
  return w;
}

std::optional<Eligibility> eligibility(const Machine& m, const AllocRequest& req,
                                       const AllocFlags* ctx, std::string* why) {
  // The reason is formatted only when asked for: the runner asks again on a finding.
  auto invalid = [&](auto&& reason) -> std::optional<Eligibility> {
    if (why)
      cold([&] {
        if constexpr (std::is_invocable_v<decltype(reason)>) *why = reason();
        else *why = reason;
      });
    return std::nullopt;
  };
  const Config& c = m.config();
  const TaskContext& task = req.task;

  // What the kernel WARNs or BUGs about before it allocates (__alloc_pages_noprof(),
  // gfp_zone(), gfp_migratetype(), __alloc_pages_slowpath()).
  if (req.gfp & ~__GFP_BITS_MASK)
    return invalid(
        [&] { return fmt::format("gfp {:#x} has bits outside __GFP_BITS_MASK", req.gfp); });
  if (req.order > c.max_page_order)
    return invalid(
        [&] { return fmt::format("order {} > MAX_PAGE_ORDER {}", req.order, c.max_page_order); });
  // __alloc_pages applies current_gfp_context() before prepare_alloc_pages(), so the
  // zone and migratetype checks see the scoped mask.
  const gfp_t gfp = scoped_gfp(req.gfp, task);
  const std::optional<ZoneType> highest = gfp_zone(gfp);
  if (!highest) return invalid("GFP_ZONE_BAD zone modifier combination (VM_BUG_ON in gfp_zone)");
  if ((gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE)) == (__GFP_MOVABLE | __GFP_RECLAIMABLE))
    return invalid("__GFP_MOVABLE|__GFP_RECLAIMABLE (VM_WARN_ON in gfp_migratetype)");
  if (req.cpu >= m.nr_cpus())
    return invalid(
        [&] { return fmt::format("cpu {} does not exist ({} CPUs)", req.cpu, m.nr_cpus()); });
  const int nid = req.nid == NUMA_NO_NODE ? c.node_of_cpu(req.cpu) : req.nid;
  if (nid < 0 || nid >= static_cast<int>(m.nr_nodes()))
    return invalid([&] { return fmt::format("node {} does not exist", req.nid); });
  if ((gfp & __GFP_THISNODE) && !m.node(nid).has(N_MEMORY) && !m.node(nid).has(N_MEMORY_PRIVATE))
    return invalid([&] { return fmt::format("__GFP_THISNODE on node {} without memory", nid); });

  // The context struct (and its v2 spelling __GFP_UNMAPPED): the per-field verdicts
  // of alloc_flags.def and the cross rules are sanitize_alloc_flags()'s; a separate
  // issue validates that function against an independent rule table, so calling it
  // here does not make this oracle depend on the allocator's own paths.
  AllocFlags f;
  if (ctx || (gfp & __GFP_UNMAPPED)) {
    if (ctx) f = *ctx;
    if (gfp & __GFP_UNMAPPED) f.set(CTX_unmapped);
    SanitizeResult s = sanitize_alloc_flags(&f, gfp, req.order, c.mobility_grouping);
    if (s.verdict == Verdict::REJECT)
      return invalid(
          [&] { return fmt::format("sanitize_alloc_flags rejects: {} ({})", s.rule, s.reason); });
  }

  Eligibility e;
  e.gfp = gfp;
  e.order = req.order;
  e.preferred_nid = nid;
  e.highest_zoneidx = *highest;
  e.migratetype = *gfp_migratetype(gfp, c.mobility_grouping);
  e.unmapped = f.has(CTX_unmapped);
  e.private_ok = (gfp & __GFP_PRIVATE) || f.has(CTX_managed_node);
  e.cma_ok = e.migratetype == MIGRATE_MOVABLE;
  // UNMAP v4 ALLOC_NOBLOCK: a flip needs a TLB shootdown IPI.
  e.can_block = (gfp & __GFP_DIRECT_RECLAIM) && !task.in_interrupt;

  // __alloc_pages_slowpath(): its flags, reserve escalation and __GFP_NOFAIL fallbacks.
  e.slow_flags = spec_slow_alloc_flags(gfp, req.order, task, c.mobility_grouping);
  const unsigned reserve = spec_reserve_flags(gfp, task);
  const bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
  const bool nofail = gfp & __GFP_NOFAIL;
  e.oom_kill_possible = can_direct_reclaim && !task.pf_memalloc && !(gfp & __GFP_NORETRY) &&
                        req.order <= PAGE_ALLOC_COSTLY_ORDER &&
                        !(gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) &&
                        e.highest_zoneidx >= ZONE_NORMAL;
  unsigned permissive = e.slow_flags;
  if (reserve) permissive |= reserve | cma_flag(gfp, c.mobility_grouping);
  // nopage: __alloc_pages_cpuset_fallback(ALLOC_MIN_RESERVE) for blocking NOFAIL.
  if (nofail && can_direct_reclaim) permissive |= ALLOC_MIN_RESERVE;
  // __alloc_pages_may_oom(): NOFAIL gets ALLOC_NO_WATERMARKS once the OOM path runs.
  if (nofail && e.oom_kill_possible) permissive |= ALLOC_NO_WATERMARKS;
  if (e.unmapped) permissive |= ALLOC_UNMAPPED;
  if (f.has(CTX_managed_node)) permissive |= ALLOC_MANAGED_NODE;
  e.permissive_flags = permissive;
  e.no_watermarks_possible = permissive & ALLOC_NO_WATERMARKS;
  // "Reset the nodemask ... if memory policies can be ignored" (slow path retry).
  e.nodemask_may_be_ignored = reserve != 0 || !(e.slow_flags & ALLOC_CPUSET);
  e.cpuset_may_be_ignored = e.nodemask_may_be_ignored || (nofail && can_direct_reclaim);

  // Zones: get_page_from_freelist()'s filters over the zonelist, PRIV's private gate.
  // `zones` is what the slow path's first attempt may use (original nodemask, slow
  // flags, the slow path's gfp without the fast path's forced __GFP_HARDWALL).
  const Nodemask* nodemask = req.nodemask ? &*req.nodemask : nullptr;
  const bool cpuset_strict = task.cpuset_mems && (e.slow_flags & ALLOC_CPUSET);
  const Zonelist zl = m.zonelist(nid, gfp_zonelist(gfp));
  e.zones = ZoneIds(zl);
  e.zones_relaxed = ZoneIds(zl);
  for (size_t i = 0; i < zl.size(); i++) {
    const Zoneref& zr = zl[i];
    if (zr.zone_idx > e.highest_zoneidx) continue;
    if (m.node(zr.node).has(N_MEMORY_PRIVATE) && !e.private_ok) continue;
    const bool in_mask = !nodemask || nodemask->test(zr.node);
    const bool cpuset_ok = spec_cpuset_node_allowed(zr.node, gfp, task);
    if (in_mask && (!cpuset_strict || cpuset_ok)) e.zones.add_position(i);
    if ((in_mask || e.nodemask_may_be_ignored) && (cpuset_ok || e.cpuset_may_be_ignored))
      e.zones_relaxed.add_position(i);
  }

  // Free lists for the slow path's first attempt (fallbacks[], __rmqueue(), UNMAP).
  if (e.unmapped) {
    e.list_ok[FREETYPE_UNMAPPED_IDX] = true;
  } else {
    // Own type; every PCPTYPE falls back to the other two (claim or steal).
    for (unsigned mt = 0; mt < MIGRATE_PCPTYPES; mt++) e.list_ok[mt] = true;
    e.list_ok[MIGRATE_CMA] = e.slow_flags & ALLOC_CMA;
    e.list_ok[MIGRATE_HIGHATOMIC] = e.slow_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM | ALLOC_NON_BLOCK);
  }
  e.flip_ok = e.can_block && c.can_set_direct_map;
  return e;
}

}  // namespace buddycheck
