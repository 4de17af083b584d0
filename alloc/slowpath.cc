// SPDX-License-Identifier: GPL-2.0-or-later
// __alloc_pages_slowpath() (mm/page_alloc.c) as a deterministic model. Reclaim, compaction
// and the OOM killer are hooks the embedding test supplies; everything the page
// allocator itself does between them (reserve escalation, highatomic unreserve, drains,
// retry accounting, __GFP_NOFAIL fallbacks) is modelled. Where the kernel would retry
// forever, the model notices that a retry changed nothing and reports AllocStatus::Loops.
#include <fmt/format.h>

#include "alloc/page_alloc_internal.h"

namespace pagealloc {

namespace {
// enum compact_priority: lower is more thorough.
constexpr int COMPACT_PRIO_SYNC_FULL = 0;   // MIN_COMPACT_PRIORITY
constexpr int COMPACT_PRIO_SYNC_LIGHT = 1;  // MIN_COMPACT_COSTLY_PRIORITY
constexpr int COMPACT_PRIO_ASYNC = 2;       // DEF/INIT_COMPACT_PRIORITY
constexpr int MAX_COMPACT_RETRIES = 16;
// Endless-loop detection. The model is deterministic and the loop's own state
// (no_progress_loops, compaction retries and priority, did_some_progress) is periodic:
// no_progress_loops climbs to MAX_RECLAIM_RETRIES + 1 and an OOM "pretend progress"
// resets it. So a slow path that retries with an unchanged machine for longer than two
// such periods can only go on forever. Identical consecutive retries are a fixed point
// even sooner; a few are tolerated for hooks that keep state of their own.
constexpr int kIdenticalRetriesForLoop = 4;
constexpr int kUnchangedRetriesForLoop = 2 * (MAX_RECLAIM_RETRIES + 2) + 4;
constexpr int kMaxRetries = 100000;
}  // namespace

ReclaimContext Machine::reclaim_context(gfp_t gfp, unsigned order, const AllocContext& ac) const {
  ReclaimContext rc;
  rc.gfp = gfp;
  rc.order = order;
  rc.highest_zoneidx = static_cast<ZoneType>(ac.highest_zoneidx);
  rc.preferred_nid = ac.preferred_nid;
  if (ac.nodemask) rc.nodemask = *ac.nodemask;
  return rc;
}

// __alloc_pages_cpuset_fallback(): with ALLOC_CPUSET first, then without.
Pfn Machine::_alloc_pages_cpuset_fallback(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                          const AllocContext& ac, AllocResult* out) {
  Pfn page = get_page_from_freelist(gfp, order, alloc_flags | ALLOC_CPUSET | ac.ctx_flags, ac, out);
  if (page == kNoPfn)
    page = get_page_from_freelist(gfp, order, alloc_flags | ac.ctx_flags, ac, out);
  return page;
}

// __alloc_pages_may_oom().
Pfn Machine::_alloc_pages_may_oom(gfp_t gfp, unsigned order, const AllocContext& ac,
                                  uint64_t* did_some_progress, AllocResult* out) {
  *did_some_progress = 0;
  // Go through the zonelist once more with a very high watermark: catch a parallel OOM
  // kill that already freed memory.
  Pfn page = get_page_from_freelist((gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order,
                                    ALLOC_WMARK_HIGH | ALLOC_CPUSET | ac.ctx_flags, ac, out);
  if (page != kNoPfn) return page;
  if (order > PAGE_ALLOC_COSTLY_ORDER) return kNoPfn;  // the OOM killer won't help
  if (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) return kNoPfn;
  if (ac.highest_zoneidx < ZONE_NORMAL) return kNoPfn;  // no kills for lowmem
  stats_.oom_calls++;
  ReclaimContext rc = reclaim_context(gfp, order, ac);
  // Default out_of_memory(): nothing to kill; for !__GFP_FS it returns true without
  // killing ("pretend progress"), which is what keeps GFP_NOFS allocations looping.
  bool oom = hooks_.out_of_memory ? hooks_.out_of_memory(*this, rc) : !(gfp & __GFP_FS);
  bool nofail = gfp & __GFP_NOFAIL;
  // WARN_ON_ONCE_GFP(): silent with __GFP_NOWARN.
  if (!oom && nofail && !(gfp & __GFP_NOWARN)) out->warnings |= WARN_NOFAIL_OOM;
  if (oom || nofail) {
    *did_some_progress = 1;
    // Help non-failing allocations by giving them access to memory reserves.
    if (nofail) page = _alloc_pages_cpuset_fallback(gfp, order, ALLOC_NO_WATERMARKS, ac, out);
  }
  return page;
}

// __alloc_pages_direct_reclaim(): reclaim (a hook), retry once, and if that fails
// release a highatomic block and drain every pcp list before one more try.
Pfn Machine::_alloc_pages_direct_reclaim(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                         const AllocContext& ac, uint64_t* did_some_progress,
                                         AllocResult* out) {
  stats_.direct_reclaim_calls++;
  *did_some_progress =
      hooks_.direct_reclaim ? hooks_.direct_reclaim(*this, reclaim_context(gfp, order, ac)) : 0;
  if (!*did_some_progress) return kNoPfn;
  bool drained = false;
  for (;;) {
    Pfn page = get_page_from_freelist(gfp, order, alloc_flags, ac, out);
    if (page != kNoPfn || drained) return page;
    // If an allocation failed after direct reclaim, it could be because pages are
    // pinned on the per-cpu lists or in high alloc reserves.
    unreserve_highatomic_pageblock(ac, false);
    drain_all_pages();
    drained = true;
  }
}

// __alloc_pages_direct_compact(): compaction is a hook; on anything but SKIPPED the
// freelists are tried again (capture is not modelled).
Pfn Machine::_alloc_pages_direct_compact(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                         const AllocContext& ac, CompactResult* result,
                                         AllocResult* out) {
  if (!order) return kNoPfn;
  stats_.direct_compact_calls++;
  *result = hooks_.direct_compact ? hooks_.direct_compact(*this, reclaim_context(gfp, order, ac))
                                  : CompactResult::SKIPPED;
  if (*result == CompactResult::SKIPPED) return kNoPfn;
  return get_page_from_freelist(gfp, order, alloc_flags, ac, out);
}

// should_reclaim_retry(): keep going while some zone could meet its min watermark
// with everything reclaimable reclaimed; give up after MAX_RECLAIM_RETRIES rounds
// without progress, releasing highatomic reserves as a last act.
bool Machine::should_reclaim_retry(gfp_t gfp, unsigned order, const AllocContext& ac,
                                   unsigned alloc_flags, bool did_some_progress,
                                   int* no_progress_loops) {
  bool ret = false;
  // Costly orders may make progress without their order becoming available.
  if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER) *no_progress_loops = 0;
  else (*no_progress_loops)++;
  if (*no_progress_loops <= MAX_RECLAIM_RETRIES) {
    const Zonelist& zl = *ac.zonelist;
    for (size_t i = first_zones_zonelist(zl, 0, ac.highest_zoneidx, ac.nodemask); i < zl.size();
         i = first_zones_zonelist(zl, i + 1, ac.highest_zoneidx, ac.nodemask)) {
      const Zone& z = zones_[zl[i].zone];
      if (!zone_alloc_allowed(z, gfp, alloc_flags, *ac.task)) continue;
      uint64_t reclaimable =
          hooks_.zone_reclaimable_pages ? hooks_.zone_reclaimable_pages(*this, z.id) : 0;
      int64_t available = static_cast<int64_t>(reclaimable) + z.nr_free_pages;
      if (_zone_watermark_ok(z, order, z.min_wmark_pages(), ac.highest_zoneidx, alloc_flags,
                             available)) {
        ret = true;
        break;
      }
    }
  }
  if (!ret) return unreserve_highatomic_pageblock(ac, true);
  return ret;
}

// __alloc_pages_slowpath().
Pfn Machine::_alloc_pages_slowpath(gfp_t gfp, unsigned order, AllocContext& ac, AllocResult* out) {
  stats_.slowpath_entries++;
  out->slowpath = true;
  const TaskContext& task = *ac.task;
  const bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
  const bool can_compact = gfp & __GFP_IO;  // gfp_compaction_allowed(), CONFIG_COMPACTION=y
  const bool nofail = gfp & __GFP_NOFAIL;
  const bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
  Pfn page = kNoPfn;
  uint64_t did_some_progress = 0;
  CompactResult compact_result = CompactResult::SKIPPED;
  int compact_priority = COMPACT_PRIO_ASYNC;
  int compaction_retries = 0;
  int no_progress_loops = 0;
  int retries = 0, identical = 0, unchanged = 0;
  uint64_t gen_at_last_retry = 0;
  struct Signature {
    uint64_t gen, progress;
    int npl, cr, cp;
    unsigned flags;
    bool null_mask;
    bool operator==(const Signature&) const = default;
  } last{};

  // __GFP_NOFAIL requests: the kernel warns once about each of these.
  if (nofail) {
    if (order > 1) out->warnings |= WARN_NOFAIL_COSTLY;
    if (!can_direct_reclaim) out->warnings |= WARN_NOFAIL_NO_RECLAIM;
    if (task.pf_memalloc) out->warnings |= WARN_NOFAIL_MEMALLOC;
  }

  unsigned alloc_flags =
      gfp_to_alloc_flags(gfp, order, task, config_.mobility_grouping) | ac.ctx_flags;
  // The fast path may have restricted the preferred zoneref to the cpuset's nodes.
  ac.preferred = first_zones_zonelist(*ac.zonelist, 0, ac.highest_zoneidx, ac.nodemask);
  if (!ac.has_preferred()) goto nopage;
  if (alloc_flags & ALLOC_KSWAPD) stats_.kswapd_wakeups++;  // wake_all_kswapds()

  // The adjusted alloc_flags might result in immediate success.
  page = get_page_from_freelist(gfp, order, alloc_flags, ac, out);
  if (page != kNoPfn) return page;

  // Costly or non-movable high-order requests try compaction before reclaim.
  if (can_direct_reclaim && can_compact &&
      (costly_order || (order > 0 && ac.migratetype != MIGRATE_MOVABLE)) &&
      !_gfp_pfmemalloc_flags(gfp, task)) {
    page = _alloc_pages_direct_compact(gfp, order, alloc_flags, ac, &compact_result, out);
    if (page != kNoPfn) return page;
    if (costly_order && (gfp & __GFP_NORETRY)) {
      if (compact_result == CompactResult::SKIPPED || compact_result == CompactResult::DEFERRED)
        goto nopage;
      if (gfp & __GFP_THISNODE) goto nopage;
      compact_priority = COMPACT_PRIO_ASYNC;
    }
  }

retry: {
  Signature sig{
      gen_,        did_some_progress,     no_progress_loops, compaction_retries, compact_priority,
      alloc_flags, ac.nodemask == nullptr};
  identical = (retries > 0 && sig == last) ? identical + 1 : 0;
  unchanged = (retries > 0 && gen_ == gen_at_last_retry) ? unchanged + 1 : 0;
  last = sig;
  gen_at_last_retry = gen_;
  if (identical >= kIdenticalRetriesForLoop || unchanged >= kUnchangedRetriesForLoop ||
      ++retries > kMaxRetries) {
    out->status = AllocStatus::Loops;
    out->detail = fmt::format(
        "the slow path retries forever: {} retries, the machine unchanged over the last {}{}",
        retries, unchanged, nofail ? " (__GFP_NOFAIL)" : "");
    return kNoPfn;
  }
}
  if (alloc_flags & ALLOC_KSWAPD) stats_.kswapd_wakeups++;

  // Reserve escalation: watermarks off (or halved for OOM victims), no cpuset.
  if (unsigned reserve_flags = _gfp_pfmemalloc_flags(gfp, task))
    alloc_flags = gfp_to_alloc_flags_cma(gfp, reserve_flags, config_.mobility_grouping) |
                  (alloc_flags & ALLOC_KSWAPD) | ac.ctx_flags;
  // Reset the nodemask and zonelist iterators if memory policies can be ignored.
  if (!(alloc_flags & ALLOC_CPUSET) || _gfp_pfmemalloc_flags(gfp, task)) {
    ac.nodemask = nullptr;
    ac.preferred = first_zones_zonelist(*ac.zonelist, 0, ac.highest_zoneidx, nullptr);
  }

  page = get_page_from_freelist(gfp, order, alloc_flags, ac, out);
  if (page != kNoPfn) return page;
  if (!can_direct_reclaim) goto nopage;
  if (task.pf_memalloc) goto nopage;  // avoid recursion of direct reclaim

  page = _alloc_pages_direct_reclaim(gfp, order, alloc_flags, ac, &did_some_progress, out);
  if (page != kNoPfn) return page;
  page = _alloc_pages_direct_compact(gfp, order, alloc_flags, ac, &compact_result, out);
  if (page != kNoPfn) return page;

  if (gfp & __GFP_NORETRY) goto nopage;
  // Costly requests only retry hard with __GFP_RETRY_MAYFAIL.
  if (costly_order && (!can_compact || !(gfp & __GFP_RETRY_MAYFAIL))) goto nopage;

  if (should_reclaim_retry(gfp, order, ac, alloc_flags, did_some_progress > 0, &no_progress_loops))
    goto retry;

  // should_compact_retry(): SUCCESS retries a bounded number of times; other results
  // escalate priority. COMPACT_SKIPPED defers to compaction_zonelist_suitable(), which
  // the model answers with the hook's verdict (no).
  if (did_some_progress > 0 && can_compact && order) {
    bool again = false;
    if (compact_result == CompactResult::SUCCESS) {
      int max_retries = costly_order ? MAX_COMPACT_RETRIES / 4 : MAX_COMPACT_RETRIES;
      if (++compaction_retries <= max_retries) again = true;
    }
    if (!again && compact_result != CompactResult::SKIPPED) {
      int min_priority = costly_order ? COMPACT_PRIO_SYNC_LIGHT : COMPACT_PRIO_SYNC_FULL;
      if (compact_priority > min_priority) {
        compact_priority--;
        compaction_retries = 0;
        again = true;
      }
    }
    if (again) goto retry;
  }

  page = _alloc_pages_may_oom(gfp, order, ac, &did_some_progress, out);
  if (page != kNoPfn) return page;
  // Avoid allocations with no watermarks from looping endlessly.
  if (task.oom_victim && ((alloc_flags & ALLOC_OOM) || (gfp & __GFP_NOMEMALLOC))) goto nopage;
  if (did_some_progress) {
    no_progress_loops = 0;
    goto retry;
  }

nopage:
  if (nofail) {
    // All existing users of __GFP_NOFAIL are blockable; a non-blocking one fails.
    if (!can_direct_reclaim) goto fail;
    // Help the non-failing allocation a bit: min watermark halved, cpuset ignored.
    page = _alloc_pages_cpuset_fallback(gfp, order, ALLOC_MIN_RESERVE, ac, out);
    if (page != kNoPfn) return page;
    goto retry;
  }
fail:
  if (!(gfp & __GFP_NOWARN)) out->warnings |= WARN_ALLOC_FAILURE;
  return kNoPfn;
}

}  // namespace pagealloc
