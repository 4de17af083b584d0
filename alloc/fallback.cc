// SPDX-License-Identifier: GPL-2.0-or-later
// Falling back to other migratetypes: the fallback table, claiming a whole pageblock,
// stealing a single block, watermark boosting, the CMA balancing rule and the
// rmqueue mode machine (boost_watermark(), fallbacks[], __rmqueue_claim(),
// __rmqueue_steal(), __rmqueue() and rmqueue_buddy() in mm/page_alloc.c).
#include "alloc/machine.h"

namespace pagealloc {

namespace {

// fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] (mm/page_alloc.c). HIGHATOMIC, CMA
// and ISOLATE are never fallback sources or targets; the unmapped freetype has none.
constexpr unsigned kFallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
    /* UNMOVABLE   */ {MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE},
    /* MOVABLE     */ {MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE},
    /* RECLAIMABLE */ {MIGRATE_UNMOVABLE, MIGRATE_MOVABLE},
};

// mult_frac(): x * n / d without overflowing the product.
uint64_t mult_frac(uint64_t x, uint64_t n, uint64_t d) {
  uint64_t q = x / d, r = x % d;
  return q * n + r * n / d;
}

}  // namespace

// boost_watermark(): raise the zone's watermarks when a fallback mixes pageblocks.
bool Machine::boost_watermark(Zone& z) {
  if (!config_.watermark_boost_factor) return false;
  // Small zones: boosting can cause an immediate OOM.
  if (pageblock_nr_pages() * 4 > z.managed_pages) return false;
  uint64_t max_boost = mult_frac(z.watermark[WMARK_HIGH], config_.watermark_boost_factor, 10000);
  // High watermark may be uninitialised very early in boot: do not boost.
  if (!max_boost) return false;
  max_boost = std::max<uint64_t>(pageblock_nr_pages(), max_boost);
  uint64_t boost = std::min<uint64_t>(z.watermark_boost + pageblock_nr_pages(), max_boost);
  if (boost != z.watermark_boost) {
    z.watermark_boost = boost;
    bump_zones();
  }
  z.events.boost++;
  return true;
}

// try_to_claim_block() (Linux 6.15+; try_to_steal_block() in 6.12.117, which has the
// 6.15 rework as a stable backport; steal_suitable_fallback() in 6.12.0 and earlier):
// take a whole pageblock for the requested type if enough of it is free or compatible.
Pfn Machine::try_to_claim_block(Zone& z, Pfn page, unsigned current_order, unsigned order,
                                unsigned start_type, unsigned block_type, unsigned alloc_flags) {
  // Races can leave a highatomic buddy here; never break highatomic accounting.
  if (block_type == MIGRATE_HIGHATOMIC) return kNoPfn;

  // Take ownership for orders >= pageblock_order.
  if (current_order >= config_.pageblock_order) {
    del_page_from_free_list(page, z, current_order, block_type);
    change_pageblock_range(page, current_order, start_type);
    unsigned nr_added = expand(z, page, order, current_order, start_type);
    account_freepages(z, nr_added, start_type);
    return page;
  }

  // Boost watermarks to increase reclaim pressure; wake kswapd through the flag.
  if (boost_watermark(z) && (alloc_flags & ALLOC_KSWAPD) && !z.test_flag(ZONE_BOOSTED_WATERMARK)) {
    z.flags |= ZONE_BOOSTED_WATERMARK;
    bump_zones();
  }

  Pfn start;
  int free_pages, movable_pages;
  // Moving a whole block fails when it straddles the zone boundary.
  if (!prep_move_freepages_block(z, page, &start, &free_pages, &movable_pages)) return kNoPfn;

  int alike_pages;
  if (start_type == MIGRATE_MOVABLE) {
    alike_pages = movable_pages;
  } else if (block_type == MIGRATE_MOVABLE) {
    // Falling back from UNMOVABLE/RECLAIMABLE into MOVABLE: every non-movable page
    // counts as compatible.
    alike_pages = static_cast<int>(pageblock_nr_pages()) - (free_pages + movable_pages);
  } else {
    alike_pages = 0;  // UNMOVABLE <-> RECLAIMABLE: cannot tell, be conservative
  }
  if (free_pages + alike_pages >= (1 << (config_.pageblock_order - 1)) ||
      !config_.mobility_grouping) {
    _move_freepages_block(z, start, block_type, start_type);
    return _rmqueue_smallest(z, order, start_type);
  }
  return kNoPfn;
}

// find_suitable_fallback() with only_stealable = false; *can_claim is the answer of
// can_steal_fallback() (Linux 6.12; should_try_claim_block() since 6.15).
int Machine::find_suitable_fallback(const Zone& z, unsigned order, unsigned start_ft,
                                    bool* can_claim) const {
  const FreeArea& area = z.free_area[order];
  if (area.nr_free == 0 || start_ft >= MIGRATE_PCPTYPES) return -1;
  *can_claim = false;
  for (unsigned fmt : kFallbacks[start_ft]) {
    if (area.free_list[fmt].empty()) continue;
    const unsigned pbo = config_.pageblock_order;
    // MOVABLE requests below pageblock_order/2 never claim (fragmentation heuristic).
    if (order >= pbo || order >= pbo / 2 || start_ft == MIGRATE_RECLAIMABLE ||
        start_ft == MIGRATE_UNMOVABLE || !config_.mobility_grouping)
      *can_claim = true;
    return static_cast<int>(fmt);
  }
  return -1;
}

// __rmqueue_claim() (Linux 6.15, in 6.12.117 as a stable backport; the claiming half of
// __rmqueue_fallback() before): the largest fallback block first, roughly the emptiest
// pageblock.
Pfn Machine::_rmqueue_claim(Zone& z, unsigned order, unsigned start_ft, unsigned alloc_flags) {
  int min_order = static_cast<int>(order);
  // NOFRAGMENT: never take pieces of other types' pageblocks below pageblock_order.
  if (order < config_.pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
    min_order = static_cast<int>(config_.pageblock_order);
  for (int k = static_cast<int>(config_.max_page_order); k >= min_order; k--) {
    bool can_claim;
    int fmt = find_suitable_fallback(z, static_cast<unsigned>(k), start_ft, &can_claim);
    if (fmt == -1) continue;
    if (!can_claim) break;
    Pfn page = list_first(z.free_area[k].free_list[fmt]);
    page = try_to_claim_block(z, page, static_cast<unsigned>(k), order, start_ft,
                              get_pageblock_migratetype(page), alloc_flags);
    if (page != kNoPfn) {
      z.events.extfrag_claim++;
      return page;
    }
  }
  return kNoPfn;
}

// __rmqueue_steal() (likewise; the stealing half of __rmqueue_fallback() before): one
// block from a fallback list, leaving its pageblock's type alone.
Pfn Machine::_rmqueue_steal(Zone& z, unsigned order, unsigned start_ft) {
  for (unsigned k = order; k <= config_.max_page_order; k++) {
    bool can_claim;
    int fmt = find_suitable_fallback(z, k, start_ft, &can_claim);
    if (fmt == -1) continue;
    Pfn page = list_first(z.free_area[k].free_list[fmt]);
    page_del_and_expand(z, page, order, k, static_cast<unsigned>(fmt));
    z.events.extfrag_steal++;
    return page;
  }
  return kNoPfn;
}

// __rmqueue(): own lists, then fallbacks with increasing fragmentation risk. *mode
// remembers where the last call found pages (rmqueue_bulk keeps it across calls).
Pfn Machine::_rmqueue(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags,
                      RmqueueMode* mode) {
  Pfn page;
  // Balance movable allocations between regular and CMA areas: use CMA first when it
  // holds more than half of the zone's free memory.
  if ((alloc_flags & ALLOC_CMA) && z.nr_free_cma_pages > z.nr_free_pages / 2) {
    page = _rmqueue_smallest(z, order, MIGRATE_CMA);
    if (page != kNoPfn) {
      z.events.cma_alloc++;
      return page;
    }
  }
  switch (*mode) {
    case RmqueueMode::NORMAL:
      page = _rmqueue_smallest(z, order, ft);
      if (page != kNoPfn) return page;
      [[fallthrough]];
    case RmqueueMode::CMA:
      if (alloc_flags & ALLOC_CMA) {
        page = _rmqueue_smallest(z, order, MIGRATE_CMA);
        if (page != kNoPfn) {
          *mode = RmqueueMode::CMA;
          z.events.cma_alloc++;
          return page;
        }
      }
      [[fallthrough]];
    case RmqueueMode::CLAIM:
      page = _rmqueue_claim(z, order, ft, alloc_flags);
      if (page != kNoPfn) {
        *mode = RmqueueMode::NORMAL;  // replenished the preferred list
        return page;
      }
      [[fallthrough]];
    case RmqueueMode::STEAL:
      if (!(alloc_flags & ALLOC_NOFRAGMENT)) {
        page = _rmqueue_steal(z, order, ft);
        if (page != kNoPfn) {
          *mode = RmqueueMode::STEAL;
          return page;
        }
      }
  }
  // UNMAP (RFC 17/19 __rmqueue_direct_map): flip a block of the opposite freetype.
  return _rmqueue_direct_map(z, order, ft, alloc_flags);
}

// rmqueue_buddy(): highatomic requests try the reserve first; OOM victims and
// non-blocking requests may fall back to it last.
Pfn Machine::rmqueue_buddy(Zone& z, unsigned order, unsigned alloc_flags, unsigned ft) {
  Pfn page = kNoPfn;
  const bool unmapped = ft == FREETYPE_UNMAPPED_IDX;  // highatomic blocks are mapped
  if ((alloc_flags & ALLOC_HIGHATOMIC) && !unmapped)
    page = _rmqueue_smallest(z, order, MIGRATE_HIGHATOMIC);
  if (page == kNoPfn) {
    RmqueueMode mode = RmqueueMode::NORMAL;
    page = _rmqueue(z, order, ft, alloc_flags, &mode);
    if (page == kNoPfn && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)) && !unmapped)
      page = _rmqueue_smallest(z, order, MIGRATE_HIGHATOMIC);
  }
  return page;
}

}  // namespace pagealloc
