// SPDX-License-Identifier: GPL-2.0-or-later
// Per-cpu pagesets (struct per_cpu_pages; zone_batchsize(), zone_highsize(),
// rmqueue_pcplist(), free_unref_page(), nr_pcp_high() in mm/page_alloc.c): sizing,
// refill from the buddy lists, freeing to a pcp
// list, high/low auto-tuning and draining. The caller names the CPU; the model's
// trylocks always succeed.
#include <bit>

#include "alloc/machine.h"

namespace pagealloc {

namespace {
constexpr unsigned MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;

int rounddown_pow_of_two(int v) {
  return v <= 0 ? 0 : 1 << (31 - std::countl_zero(static_cast<uint32_t>(v)));
}
}  // namespace

// zone_batchsize(): about a quarter of a 1 MiB chunk, rounded to 2^n - 1.
int Machine::zone_batchsize(const Zone& z) const {
  int batch = static_cast<int>(std::min<uint64_t>(z.managed_pages >> 10, (1u << 20) >> kPageShift));
  batch /= 4;  // we effectively *= 4 below
  if (batch < 1) batch = 1;
  return rounddown_pow_of_two(batch + batch / 2) - 1;
}

// zone_highsize(): the low watermark (or managed / fraction) split over the node's CPUs.
int Machine::zone_highsize(const Zone& z, int batch, int cpu_online, unsigned high_fraction) const {
  uint64_t total = high_fraction ? z.managed_pages / high_fraction : z.low_wmark_pages();
  int nr_split_cpus = cpu_online;
  for (unsigned c = 0; c < nr_cpus_; c++)
    if (config_.node_of_cpu(c) == z.node) nr_split_cpus++;
  if (!nr_split_cpus) nr_split_cpus = static_cast<int>(nr_cpus_);
  int high = static_cast<int>(total / static_cast<uint64_t>(nr_split_cpus));
  return std::max(high, batch << 2);
}

// zone_set_pageset_high_and_batch(): a fixed fraction disables auto-tuning.
void Machine::zone_set_pageset_high_and_batch(Zone& z, int cpu_online) {
  int new_batch = std::max(1, zone_batchsize(z));
  int new_high_min, new_high_max;
  if (config_.percpu_pagelist_high_fraction) {
    new_high_min = zone_highsize(z, new_batch, cpu_online, config_.percpu_pagelist_high_fraction);
    new_high_max = new_high_min;
  } else {
    new_high_min = zone_highsize(z, new_batch, cpu_online, 0);
    new_high_max = zone_highsize(z, new_batch, cpu_online, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
  }
  if (z.pageset_high_min == new_high_min && z.pageset_high_max == new_high_max &&
      z.pageset_batch == new_batch)
    return;
  z.pageset_high_min = new_high_min;
  z.pageset_high_max = new_high_max;
  z.pageset_batch = new_batch;
  for (unsigned c = 0; c < nr_cpus_; c++) {
    PerCpuPages& p = pcp_mut(z.id, c);
    p.batch = new_batch;
    p.high_min = new_high_min;
    p.high_max = new_high_max;
  }
  bump_zones();
}

bool Machine::set_percpu_pagelist_high_fraction(unsigned fraction) {
  // Sanity check: 0 (auto) or at least MIN_PERCPU_PAGELIST_HIGH_FRACTION, else -EINVAL.
  if ((fraction && fraction < MIN_PERCPU_PAGELIST_HIGH_FRACTION) || fraction > INT32_MAX)
    return false;
  config_.percpu_pagelist_high_fraction = fraction;
  for (Zone& z : zones_)
    if (z.populated()) zone_set_pageset_high_and_batch(z, 0);
  return true;
}

// nr_pcp_alloc(): how many blocks to pull into an empty list; grows alloc_factor while
// the list keeps running dry.
int Machine::nr_pcp_alloc(PerCpuPages& pcp, const Zone& z, unsigned order) {
  int base_batch = pcp.batch;
  int high = pcp.high = kernel_clamp(pcp.high, pcp.high_min, pcp.high_max);
  if (high < base_batch) return 1;
  int batch = order ? base_batch : (base_batch << pcp.alloc_factor);
  // Let the list grow when the zone is not short of memory.
  if (pcp.high_min != pcp.high_max && !z.test_flag(ZONE_BELOW_HIGH))
    high = pcp.high = std::min(high + batch, pcp.high_max);
  if (!order) {
    int max_nr_alloc = std::max(high - pcp.count - base_batch, base_batch);
    if (batch <= max_nr_alloc && pcp.alloc_factor < PCP_BATCH_SCALE_MAX) pcp.alloc_factor++;
    batch = std::min(batch, max_nr_alloc);
  }
  // Scale batch to the order so a high-order refill does not grab too much.
  if (batch > 1) batch = std::max(batch >> order, 2);
  return batch;
}

// rmqueue_bulk(): `count` blocks under one zone-lock hold, appended in physical order.
int Machine::rmqueue_bulk(Zone& z, unsigned order, int count, ListHead& list, unsigned ft,
                          unsigned alloc_flags, unsigned cpu, unsigned pindex) {
  RmqueueMode mode = RmqueueMode::NORMAL;
  int i = 0;
  for (; i < count; i++) {
    Pfn page = _rmqueue(z, order, ft, alloc_flags, &mode);
    if (page == kNoPfn) break;
    Page& p = pg(page);
    p.state = PageState::Pcp;
    p.order = static_cast<uint8_t>(order);
    p.list = static_cast<uint8_t>(pindex);
    p.cpu = static_cast<uint16_t>(cpu);
    p.flags = 0;
    list_add_tail(list, page);
  }
  return i;
}

// __rmqueue_pcplist(): refill an empty list, then take the head.
Pfn Machine::_rmqueue_pcplist(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags,
                              PerCpuPages& pcp, unsigned pindex, unsigned cpu) {
  ListHead& list = pcp.lists[pindex];
  if (list.empty()) {
    const int old_high = pcp.high;
    const uint8_t old_factor = pcp.alloc_factor;
    int batch = nr_pcp_alloc(pcp, z, order);
    int alloced = rmqueue_bulk(z, order, batch, list, ft, alloc_flags, cpu, pindex);
    pcp.count += alloced << order;
    if (list.empty()) {
      // nr_pcp_alloc() may have moved pcp->high or alloc_factor with nothing to show.
      if (pcp.high != old_high || pcp.alloc_factor != old_factor) bump_zones();
      return kNoPfn;
    }
  }
  Pfn page = list_first(list);
  list_del(list, page);
  pcp.count -= 1 << order;
  return page;
}

Pfn Machine::rmqueue_pcplist(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags,
                             unsigned cpu) {
  PerCpuPages& pcp = pcp_mut(z.id, cpu);
  pcp.free_count >>= 1;  // an allocation ends a run of frees
  return _rmqueue_pcplist(z, order, ft, alloc_flags, pcp, order_to_pindex(ft, order), cpu);
}

// nr_pcp_free(): how much a free that hit `high` sends back to the buddy lists.
int Machine::nr_pcp_free(const PerCpuPages& pcp, int batch, int high, bool free_high) const {
  // Free as much as possible if batch freeing high-order pages.
  if (free_high) return std::min(pcp.count, batch << PCP_BATCH_SCALE_MAX);
  // Check for PCP disabled or boot pageset.
  if (high < batch) return 1;
  // Leave at least pcp->batch pages on the list.
  return kernel_clamp(pcp.free_count, batch, high - batch);
}

// nr_pcp_high(): the effective high mark, auto-tuning pcp->high on the way.
int Machine::nr_pcp_high(PerCpuPages& pcp, const Zone& z, int batch, bool free_high) {
  int high_min = pcp.high_min, high_max = pcp.high_max;
  int high = pcp.high = kernel_clamp(pcp.high, high_min, high_max);
  if (!high) return 0;
  if (free_high) {
    pcp.high = std::max(high - (batch << PCP_BATCH_SCALE_MAX), high_min);
    return 0;
  }
  // Under reclaim, shrink the list and free aggressively.
  if (z.test_flag(ZONE_RECLAIM_ACTIVE)) {
    int free_count = std::max(pcp.free_count, batch);
    pcp.high = std::max(high - free_count, high_min);
    return std::min(batch << 2, pcp.high);
  }
  if (high_min == high_max) return high;
  if (z.test_flag(ZONE_BELOW_HIGH)) {
    int free_count = std::max(pcp.free_count, batch);
    pcp.high = std::max(high - free_count, high_min);
    high = std::max(pcp.count, high_min);
  } else if (pcp.count >= high) {
    int need_high = pcp.free_count + batch;
    // pcp->high should be large enough to hold the batch freed pages.
    if (pcp.high < need_high) pcp.high = kernel_clamp(need_high, high_min, high_max);
  }
  return high;
}

// free_unref_page_commit(): push on the list head; drain to the buddy lists past high.
void Machine::free_unref_page_commit(Zone& z, PerCpuPages& pcp, Pfn pfn, unsigned ft,
                                     unsigned order, unsigned cpu) {
  pcp.alloc_factor >>= 1;
  z.events.pgfree += uint64_t{1} << order;
  unsigned pindex = order_to_pindex(ft, order);
  Page& p = pg(pfn);
  p.state = PageState::Pcp;
  p.order = static_cast<uint8_t>(order);
  p.list = static_cast<uint8_t>(pindex);
  p.cpu = static_cast<uint16_t>(cpu);
  p.flags = 0;
  list_add(pcp.lists[pindex], pfn);
  pcp.count += 1 << order;

  int batch = pcp.batch;
  bool free_high = false;
  // Freeing runs of high-order pages: return them to the buddy lists quickly so they
  // can merge. PCPF_FREE_HIGH_BATCH depends on cache sizes; the model never sets it.
  if (order && order <= PAGE_ALLOC_COSTLY_ORDER) {
    free_high = pcp.free_count >= batch && (pcp.flags & PCPF_PREV_FREE_HIGH_ORDER) &&
                (!(pcp.flags & PCPF_FREE_HIGH_BATCH) || pcp.count >= batch);
    pcp.flags |= PCPF_PREV_FREE_HIGH_ORDER;
  } else if (pcp.flags & PCPF_PREV_FREE_HIGH_ORDER) {
    pcp.flags &= ~PCPF_PREV_FREE_HIGH_ORDER;
  }
  if (pcp.free_count < (batch << PCP_BATCH_SCALE_MAX)) pcp.free_count += 1 << order;
  int high = nr_pcp_high(pcp, z, batch, free_high);
  if (pcp.count >= high) {
    free_pcppages_bulk(z, nr_pcp_free(pcp, batch, high, free_high), pcp, static_cast<int>(pindex));
    if (z.test_flag(ZONE_BELOW_HIGH) &&
        zone_watermark_ok(z, 0, z.high_wmark_pages(), ZONE_MOVABLE, 0)) {
      z.flags &= ~ZONE_BELOW_HIGH;
      bump_zones();
    }
  }
}

// free_pcppages_bulk(): round-robin over the lists starting at `pindex`, taking from
// each list's tail; the type is re-read from the pageblock at drain time.
void Machine::free_pcppages_bulk(Zone& z, int count, PerCpuPages& pcp, int pindex) {
  count = std::min(pcp.count, count);
  pindex = pindex - 1;  // ensure the requested pindex is drained first
  while (count > 0) {
    ListHead* list;
    do {
      if (++pindex > static_cast<int>(NR_PCP_LISTS) - 1) pindex = 0;
      list = &pcp.lists[pindex];
    } while (list->empty());
    unsigned order = pindex_to_order(static_cast<unsigned>(pindex));
    int nr_pages = 1 << order;
    do {
      Pfn page = list_last(*list);
      unsigned ft = pageblock_freetype_idx(page);
      list_del(*list, page);
      Page& p = pg(page);
      p.state = PageState::Tail;
      p.list = 0;
      p.cpu = 0;
      count -= nr_pages;
      pcp.count -= nr_pages;
      _free_one_page(page, z, order, ft, false);
    } while (count > 0 && !list->empty());
  }
}

void Machine::drain_pages_zone(unsigned cpu, Zone& z) {
  PerCpuPages& pcp = pcp_mut(z.id, cpu);
  int count;
  do {
    count = pcp.count;
    if (count) {
      int to_drain = std::min(count, pcp.batch << PCP_BATCH_SCALE_MAX);
      free_pcppages_bulk(z, to_drain, pcp, 0);
      count -= to_drain;
    }
  } while (count);
}

void Machine::drain_local_pages(unsigned cpu, int zone) {
  if (zone >= 0) {
    drain_pages_zone(cpu, zones_[zone]);
    return;
  }
  for (Zone& z : zones_)
    if (z.populated()) drain_pages_zone(cpu, z);
}

// drain_all_pages(), an entry point: __drain_all_pages() for one zone or all, every CPU
// that holds pcp pages (all of them when forced).
void Machine::drain_all_pages(int zone, bool force_all_cpus) {
  stats_.drain_all_calls++;
  for (unsigned cpu = 0; cpu < nr_cpus_; cpu++) {
    bool has_pcps = force_all_cpus;
    if (!has_pcps && zone >= 0) {
      has_pcps = pcp(static_cast<unsigned>(zone), cpu).count != 0;
    } else if (!has_pcps) {
      for (const Zone& z : zones_)
        if (z.populated() && pcp(z.id, cpu).count) has_pcps = true;
    }
    if (has_pcps) drain_local_pages(cpu, zone);
  }
}

// decay_pcp_high() from the vmstat worker: shrink high towards high_min, drain excess.
void Machine::decay_pcp_high(unsigned cpu) {
  for (Zone& z : zones_) {
    if (!z.populated()) continue;
    PerCpuPages& pcp = pcp_mut(z.id, cpu);
    if (pcp.high > pcp.high_min) {
      pcp.high = std::max({pcp.count - (pcp.batch << PCP_BATCH_SCALE_MAX),
                           pcp.high - (pcp.high >> 3), pcp.high_min});
      bump_zones();
    }
    int to_drain = pcp.count - pcp.high;
    while (to_drain > 0) {
      int chunk = std::min(to_drain, pcp.batch);
      free_pcppages_bulk(z, chunk, pcp, 0);
      to_drain -= chunk;
    }
  }
}

// free_unref_page() after free_pages_prepare(): pcp for cacheable orders, the buddy
// lists directly for isolated blocks.
void Machine::free_unref_page(Pfn pfn, unsigned order, unsigned cpu) {
  Zone& z = zone_of(pfn);
  if (!pcp_allowed_order(order)) {
    free_one_page(z, pfn, order, false);
    return;
  }
  unsigned ft = pageblock_freetype_idx(pfn);
  if (ft >= MIGRATE_PCPTYPES && ft != FREETYPE_UNMAPPED_IDX) {
    if (ft == MIGRATE_ISOLATE) {
      free_one_page(z, pfn, order, false);
      return;
    }
    ft = MIGRATE_MOVABLE;  // HIGHATOMIC and CMA pages use the movable list
  }
  free_unref_page_commit(z, pcp_mut(z.id, cpu), pfn, ft, order, cpu);
}

}  // namespace pagealloc
