// SPDX-License-Identifier: GPL-2.0-or-later
// Entry points and the allocation paths (__alloc_pages_noprof(), get_page_from_freelist()
// in mm/page_alloc.c): request validation,
// prepare_alloc_pages, get_page_from_freelist, rmqueue, prep_new_page, and
// alloc_pages_bulk. The slow path lives in slowpath.cc, frees in free.cc.
#include <cstring>

#include <fmt/format.h>

#include "alloc/kasan.h"
#include "alloc/page_alloc_internal.h"

namespace pagealloc {

const char* alloc_status_name(AllocStatus s) {
  switch (s) {
    case AllocStatus::Ok:
      return "ok";
    case AllocStatus::Failed:
      return "failed";
    case AllocStatus::Loops:
      return "loops";
    case AllocStatus::Error:
      return "error";
  }
  return "?";
}

const char* alloc_error_name(AllocError e) {
  switch (e) {
    case AllocError::None:
      return "none";
    case AllocError::OrderTooLarge:
      return "order-too-large";
    case AllocError::UnknownGfpBits:
      return "unknown-gfp-bits";
    case AllocError::BadZoneCombination:
      return "bad-zone-combination";
    case AllocError::MovableAndReclaimable:
      return "movable-and-reclaimable";
    case AllocError::BadNode:
      return "bad-node";
    case AllocError::ThisnodeWithoutMemory:
      return "thisnode-without-memory";
    case AllocError::BadCpu:
      return "bad-cpu";
    case AllocError::ContextRejected:
      return "context-rejected";
    case AllocError::BulkTooLarge:
      return "bulk-too-large";
  }
  return "?";
}

// Everything the kernel would WARN/BUG about before allocating, and the context
// struct's sanitization, written into *r (status Error on refusal). Const: a refused
// request changes nothing.
bool Machine::validate_request(const AllocRequest& req, const AllocFlags* aflags,
                               AllocFlags* sanitized, AllocResult* r) const {
  r->order = req.order;
  // __alloc_pages() applies current_gfp_context() first: gfp_zone() and
  // gfp_migratetype() see the task's scoped mask (a memalloc_pin scope drops MOVABLE).
  const gfp_t gfp = current_gfp_context(req.gfp, req.task);
  auto refuse = [r](AllocError e, std::string detail) {
    r->status = AllocStatus::Error;
    r->error = e;
    r->detail = std::move(detail);
    return false;
  };
  if (req.gfp & ~__GFP_BITS_MASK) [[unlikely]]
    return refuse(
        AllocError::UnknownGfpBits,
        fmt::format("gfp {:#x} has bits outside __GFP_BITS_MASK {:#x}", req.gfp, __GFP_BITS_MASK));
  if (req.order > config_.max_page_order) [[unlikely]]
    return refuse(AllocError::OrderTooLarge,
                  fmt::format("order {} > MAX_PAGE_ORDER {} (WARN_ON_ONCE_GFP)", req.order,
                              config_.max_page_order));
  if (gfp_zone_bad(gfp)) [[unlikely]]
    return refuse(AllocError::BadZoneCombination,
                  fmt::format("{} is a GFP_ZONE_BAD combination (VM_BUG_ON in gfp_zone)",
                              gfp_names_string(gfp & GFP_ZONEMASK)));
  if ((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK) [[unlikely]]
    return refuse(AllocError::MovableAndReclaimable,
                  "__GFP_MOVABLE|__GFP_RECLAIMABLE (VM_WARN_ON in gfp_migratetype)");
  if (req.cpu >= nr_cpus_) [[unlikely]]
    return refuse(AllocError::BadCpu,
                  fmt::format("cpu {} does not exist ({} CPUs)", req.cpu, nr_cpus_));
  int nid = req.nid == NUMA_NO_NODE ? config_.node_of_cpu(req.cpu) : req.nid;
  if (nid < 0 || nid >= static_cast<int>(nodes_.size())) [[unlikely]]
    return refuse(AllocError::BadNode, fmt::format("node {} is not online", req.nid));
  if ((gfp & __GFP_THISNODE) && !nodes_[nid].has(N_MEMORY) && !nodes_[nid].has(N_MEMORY_PRIVATE))
    return refuse(
        AllocError::ThisnodeWithoutMemory,
        fmt::format("__GFP_THISNODE on node {} without memory (warn_if_node_offline)", nid));

  // The context struct and the v2 spelling __GFP_UNMAPPED share the sanitizer.
  if (aflags || (gfp & __GFP_UNMAPPED)) {
    AllocFlags f = aflags ? *aflags : AllocFlags{};
    if (gfp & __GFP_UNMAPPED) f.set(CTX_unmapped);
    r->sanitize = sanitize_alloc_flags(&f, gfp, req.order, config_.mobility_grouping);
    if (r->sanitize.verdict == Verdict::REJECT)
      return refuse(AllocError::ContextRejected, fmt::format("sanitize_alloc_flags: {} ({})",
                                                             r->sanitize.rule, r->sanitize.reason));
    if (r->sanitize.verdict == Verdict::CLEAR) r->warnings |= WARN_CTX_CLEARED;
    if (sanitized) *sanitized = f;
  }
  return true;
}

AllocResult Machine::check_request(const AllocRequest& req, const AllocFlags* aflags) const {
  AllocResult r;
  if (!validate_request(req, aflags, nullptr, &r)) return r;
  r.status = AllocStatus::Ok;
  // The slow path's WARN_ON_ONCE()s for __GFP_NOFAIL.
  if (req.gfp & __GFP_NOFAIL) {
    if (req.order > 1) r.warnings |= WARN_NOFAIL_COSTLY;
    if (!(req.gfp & __GFP_DIRECT_RECLAIM)) r.warnings |= WARN_NOFAIL_NO_RECLAIM;
    if (req.task.pf_memalloc) r.warnings |= WARN_NOFAIL_MEMALLOC;
  }
  return r;
}

// prepare_alloc_pages().
bool Machine::prepare_alloc_pages(gfp_t gfp, unsigned order, int preferred_nid,
                                  const Nodemask* nodemask, AllocContext* ac, gfp_t* alloc_gfp,
                                  unsigned* alloc_flags) {
  (void)order;
  ac->highest_zoneidx = *gfp_zone(gfp);
  ac->zonelist = &nodes_[preferred_nid].zonelists[gfp_zonelist(gfp)];
  ac->nodemask = nodemask;
  ac->migratetype = *gfp_migratetype(gfp, config_.mobility_grouping);
  if (ac->task->cpuset_mems) {
    *alloc_gfp |= __GFP_HARDWALL;
    // A task-context NULL nodemask becomes the cpuset's mems: no ALLOC_CPUSET needed.
    if (ac->task->in_task() && !ac->nodemask) ac->nodemask = &*ac->task->cpuset_mems;
    else *alloc_flags |= ALLOC_CPUSET;
  }
  *alloc_flags = gfp_to_alloc_flags_cma(gfp, *alloc_flags, config_.mobility_grouping);
  ac->spread_dirty_pages = gfp & __GFP_WRITE;
  ac->preferred = first_zones_zonelist(*ac->zonelist, 0, ac->highest_zoneidx, ac->nodemask);
  return true;
}

// alloc_flags_nofragment(): avoid fragmenting NORMAL when DMA32 can absorb fallbacks.
unsigned Machine::alloc_flags_nofragment(const Zone* zone, gfp_t gfp) const {
  unsigned flags = (gfp & __GFP_KSWAPD_RECLAIM) ? ALLOC_KSWAPD : 0;
  if (!zone || zone->type != ZONE_NORMAL) return flags;
  // On a NUMA machine, a node without DMA32 falls back to remote nodes instead.
  if (nodes_.size() > 1 && !zones_[zone->node * MAX_NR_ZONES + ZONE_DMA32].populated())
    return flags;
  return flags | ALLOC_NOFRAGMENT;
}

// get_page_from_freelist(): walk the zonelist from the preferred zone; take from the
// first zone that passes its watermark.
Pfn Machine::get_page_from_freelist(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                    const AllocContext& ac, AllocResult* out) {
  const Zonelist& zl = *ac.zonelist;
  const TaskContext& task = *ac.task;
retry:
  const bool no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
  for (size_t i = first_zones_zonelist(zl, ac.preferred, ac.highest_zoneidx, ac.nodemask);
       i < zl.size(); i = first_zones_zonelist(zl, i + 1, ac.highest_zoneidx, ac.nodemask)) {
    Zone& z = zones_[zl[i].zone];
    if (!zone_alloc_allowed(z, gfp, alloc_flags, task)) continue;
    // spread_dirty_pages: node_dirty_ok() always holds (no dirty accounting here).

    // NOFRAGMENT: before falling back to a remote node, retry locally allowing mixing.
    if (no_fallback && nodes_.size() > 1 && i != ac.preferred && z.node != zl[ac.preferred].node) {
      alloc_flags &= ~ALLOC_NOFRAGMENT;
      goto retry;
    }

    bool ok = false;
    if (!z.test_flag(ZONE_BELOW_HIGH)) {
      if (zone_watermark_fast(z, order, z.high_wmark_pages(), ac.highest_zoneidx, alloc_flags)) {
        ok = true;
      } else {
        z.flags |= ZONE_BELOW_HIGH;
        bump_zones();
      }
    }
    if (!ok) {
      uint64_t mark = z.wmark_pages(alloc_flags & ALLOC_WMARK_MASK);
      ok = zone_watermark_fast(z, order, mark, ac.highest_zoneidx, alloc_flags) ||
           (alloc_flags & ALLOC_NO_WATERMARKS);
      // node_reclaim_mode is 0: a zone below its watermark is skipped.
    }
    if (!ok) continue;

    bool from_pcp = false;
    Pfn page = rmqueue(zones_[zl[ac.preferred].zone], z, order, gfp, alloc_flags, ac.freetype,
                       ac.cpu, &from_pcp);
    if (page != kNoPfn) {
      prep_new_page(page, order, gfp, alloc_flags, ac.frozen);
      if (ac.migratetype == MIGRATE_MOVABLE) pg(page).flags |= PG_movable_alloc;
      // Linux 6.12 reserves here, after the allocation succeeded.
      if (alloc_flags & ALLOC_HIGHATOMIC) reserve_highatomic_pageblock(page, order, z);
      if (out) {
        out->zone = z.id;
        out->alloc_flags = alloc_flags;
        out->from_pcp = from_pcp;
      }
      return page;
    }
  }
  // It's possible on a UMA machine to get through all zones that are fragmented. If
  // avoiding fragmentation, reset and try again.
  if (no_fallback) {
    alloc_flags &= ~ALLOC_NOFRAGMENT;
    goto retry;
  }
  return kNoPfn;
}

// rmqueue(): pcp for cacheable orders, else (or when the pcp refill fails) buddy.
Pfn Machine::rmqueue(Zone& preferred, Zone& z, unsigned order, gfp_t gfp, unsigned alloc_flags,
                     unsigned ft, unsigned cpu, bool* from_pcp) {
  (void)preferred;
  (void)gfp;
  Pfn page = kNoPfn;
  if (pcp_allowed_order(order)) {
    page = rmqueue_pcplist(z, order, ft, alloc_flags, cpu);
    *from_pcp = page != kNoPfn;
  }
  if (page == kNoPfn) page = rmqueue_buddy(z, order, alloc_flags, ft);
  // Separate test to allow a boosted watermark to wake kswapd.
  if ((alloc_flags & ALLOC_KSWAPD) && z.test_flag(ZONE_BOOSTED_WATERMARK)) {
    z.flags &= ~ZONE_BOOSTED_WATERMARK;
    z.events.kswapd_wake++;
    stats_.kswapd_wakeups++;
    bump_zones();
  }
  if (page != kNoPfn) z.events.pgalloc += uint64_t{1} << order;
  return page;
}

// prep_new_page() + post_alloc_hook(): refcount, compound, pfmemalloc, KASAN unpoison,
// zeroing.
void Machine::prep_new_page(Pfn pfn, unsigned order, gfp_t gfp, unsigned alloc_flags, bool frozen) {
  Page& p = pg(pfn);
  p.state = PageState::Allocated;
  p.order = static_cast<uint8_t>(order);
  p.list = 0;
  p.cpu = 0;
  p.refcount = frozen ? 0 : 1;
  p.flags = 0;
  if (order && (gfp & __GFP_COMP)) p.flags |= PG_compound;
  // Set when ALLOC_NO_WATERMARKS was needed: the caller must be freeing memory.
  if (alloc_flags & ALLOC_NO_WATERMARKS) p.flags |= PG_pfmemalloc;
  if (alloc_flags & ALLOC_UNMAPPED) p.flags |= PG_unmapped;
  touch(pfn);
  bump();
  if (data_.empty()) return;
  uint8_t* mem = page_data(pfn);
  size_t bytes = (size_t{1} << order) * config_.page_bytes;
  // An unmapped page stays poisoned: it has no direct-map alias to touch.
  if (alloc_flags & ALLOC_UNMAPPED) return;
  kasan::unpoison(mem, bytes);
  if (gfp & __GFP_ZERO) std::memset(mem, 0, bytes);
}

// ---- entry points ----

AllocResult Machine::alloc_common(const AllocRequest& req, const AllocFlags* aflags, bool frozen) {
  AllocFlags sanitized;
  AllocResult r;
  if (!validate_request(req, aflags, &sanitized, &r)) return r;

  gfp_t gfp = current_gfp_context(req.gfp, req.task);
  gfp_t alloc_gfp = gfp;
  AllocContext ac;
  ac.task = &req.task;
  ac.cpu = req.cpu;
  ac.frozen = frozen;
  ac.preferred_nid = req.nid == NUMA_NO_NODE ? config_.node_of_cpu(req.cpu) : req.nid;
  ac.ctx_flags = (aflags || (gfp & __GFP_UNMAPPED)) ? alloc_flags_from_ctx(sanitized) : 0;
  // UNMAP v4 ALLOC_NOBLOCK: no direct-map flips for callers that cannot block.
  if (!(gfp & __GFP_DIRECT_RECLAIM) || req.task.in_interrupt) ac.ctx_flags |= ALLOC_NOBLOCK;
  const Nodemask* nodemask = req.nodemask ? &*req.nodemask : nullptr;

  unsigned alloc_flags = ALLOC_WMARK_LOW;
  prepare_alloc_pages(gfp, req.order, ac.preferred_nid, nodemask, &ac, &alloc_gfp, &alloc_flags);
  ac.freetype = (ac.ctx_flags & ALLOC_UNMAPPED) ? FREETYPE_UNMAPPED_IDX : unsigned{ac.migratetype};
  alloc_flags |= ac.ctx_flags;
  alloc_flags |= alloc_flags_nofragment(
      ac.has_preferred() ? &zones_[(*ac.zonelist)[ac.preferred].zone] : nullptr, gfp);

  // First allocation attempt.
  Pfn page = get_page_from_freelist(alloc_gfp, req.order, alloc_flags, ac, &r);
  if (page == kNoPfn) {
    // Restore the original nodemask if it was potentially replaced with
    // &cpuset_current_mems_allowed to optimize the fast-path attempt.
    ac.spread_dirty_pages = false;
    ac.nodemask = nodemask;
    page = _alloc_pages_slowpath(gfp, req.order, ac, &r);
  }
  if (page != kNoPfn) {
    r.status = AllocStatus::Ok;
    r.pfn = page;
  }
  return r;
}

AllocResult Machine::alloc_pages(const AllocRequest& req) {
  return alloc_common(req, nullptr, false);
}

AllocResult Machine::alloc_frozen_pages(const AllocRequest& req) {
  return alloc_common(req, nullptr, true);
}

AllocResult Machine::alloc_pages_context(const AllocRequest& req, const AllocFlags* aflags) {
  // Snapshot to prevent external changes (AFLAGS); a NULL struct means none.
  AllocFlags snapshot = aflags ? *aflags : AllocFlags{};
  return alloc_common(req, &snapshot, true);
}

// alloc_pages_bulk_noprof() (page_array form): fill from one zone's pcp list; on any
// difficulty fall back to a single __alloc_pages().
BulkResult Machine::alloc_pages_bulk(const AllocRequest& req_in, int nr_pages) {
  BulkResult b;
  AllocRequest req = req_in;
  req.order = 0;
  if (nr_pages < 0 || nr_pages > (1 << 20)) {
    b.status = AllocStatus::Error;
    b.error = AllocError::BulkTooLarge;
    return b;
  }
  // alloc_pages_bulk_noprof() never applies current_gfp_context(): validate (and
  // allocate) with the raw mask, whatever memalloc scopes the task is in.
  AllocRequest raw = req;
  raw.task.pf_memalloc_noio = raw.task.pf_memalloc_nofs = raw.task.pf_memalloc_pin = false;
  AllocResult v;
  if (!validate_request(raw, nullptr, nullptr, &v)) {
    b.status = AllocStatus::Error;
    b.error = v.error;
    return b;
  }
  b.status = AllocStatus::Ok;
  if (nr_pages == 0) return b;

  // Fills b in place; callers then return b (returning it from here would copy it).
  auto fallback = [&]() {
    b.used_fallback = true;
    AllocResult r = alloc_pages(req);
    if (r.ok()) {
      b.pfns.push_back(r.pfn);
      b.fallback_from_pcp = r.from_pcp;
    } else if (b.pfns.empty()) b.status = r.status;
  };
  // Single pages, and unmapped requests (the bulk path has no direct-map handling), go
  // through __alloc_pages like the kernel's "goto failed" cases.
  if (nr_pages == 1 || (req.gfp & __GFP_UNMAPPED)) {
    fallback();
    return b;
  }

  gfp_t gfp = req.gfp, alloc_gfp = gfp;
  AllocContext ac;
  ac.task = &req.task;
  ac.cpu = req.cpu;
  ac.preferred_nid = req.nid == NUMA_NO_NODE ? config_.node_of_cpu(req.cpu) : req.nid;
  unsigned alloc_flags = ALLOC_WMARK_LOW;
  const Nodemask* nodemask = req.nodemask ? &*req.nodemask : nullptr;
  prepare_alloc_pages(gfp, 0, ac.preferred_nid, nodemask, &ac, &alloc_gfp, &alloc_flags);
  ac.freetype = ac.migratetype;
  gfp = alloc_gfp;

  const Zonelist& zl = *ac.zonelist;
  Zone* zone = nullptr;
  for (size_t i = first_zones_zonelist(zl, ac.preferred, ac.highest_zoneidx, ac.nodemask);
       i < zl.size(); i = first_zones_zonelist(zl, i + 1, ac.highest_zoneidx, ac.nodemask)) {
    Zone& z = zones_[zl[i].zone];
    if (!zone_alloc_allowed(z, gfp, alloc_flags, req.task)) continue;
    // Bulk allocation does not fall back to remote nodes.
    if (nodes_.size() > 1 && i != ac.preferred && z.node != zl[ac.preferred].node) {
      fallback();
      return b;
    }
    uint64_t mark = z.wmark_pages(alloc_flags & ALLOC_WMARK_MASK) + static_cast<uint64_t>(nr_pages);
    // The kernel passes the preferred zone's index as highest_zoneidx here.
    if (zone_watermark_fast(z, 0, mark, zl[ac.preferred].zone_idx, alloc_flags)) {
      zone = &z;
      break;
    }
  }
  if (!zone) {
    fallback();
    return b;
  }

  PerCpuPages& pcp = pcp_mut(zone->id, req.cpu);
  unsigned pindex = order_to_pindex(ac.migratetype, 0);
  int nr_account = 0;
  b.pfns.reserve(static_cast<size_t>(std::min(nr_pages, 256)));  // one allocation, not log2(n)
  while (static_cast<int>(b.pfns.size()) < nr_pages) {
    Pfn page = _rmqueue_pcplist(*zone, 0, ac.migratetype, alloc_flags, pcp, pindex, req.cpu);
    if (page == kNoPfn) {
      if (!nr_account) fallback();
      break;
    }
    nr_account++;
    prep_new_page(page, 0, gfp, 0, false);
    if (ac.migratetype == MIGRATE_MOVABLE) pg(page).flags |= PG_movable_alloc;
    b.pfns.push_back(page);
  }
  zone->events.pgalloc += static_cast<uint64_t>(nr_account);
  return b;
}

}  // namespace pagealloc
