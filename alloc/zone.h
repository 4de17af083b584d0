// SPDX-License-Identifier: GPL-2.0-or-later
// struct zone (include/linux/mmzone.h): spans, counters, watermarks, lowmem_reserve,
// free areas.
#pragma once

#include <cstdint>

#include "alloc/page.h"
#include "alloc/types.h"

namespace pagealloc {

struct FreeArea {
  ListHead free_list[NR_FREETYPE_IDXS];
  uint64_t nr_free = 0;  // blocks on all lists of this order, ISOLATE included
};

enum ZoneFlag : uint32_t {
  ZONE_BOOSTED_WATERMARK = 1 << 0,
  ZONE_RECLAIM_ACTIVE = 1 << 1,
  ZONE_BELOW_HIGH = 1 << 2,
};

// Event counters (the model's /proc/vmstat subset).
struct ZoneEvents {
  uint64_t pgalloc = 0;             // pages allocated
  uint64_t pgfree = 0;              // pages freed
  uint64_t extfrag_claim = 0;       // __rmqueue_claim successes (whole block taken)
  uint64_t extfrag_steal = 0;       // __rmqueue_steal successes (fragmenting)
  uint64_t cma_alloc = 0;           // blocks served from CMA lists
  uint64_t highatomic_reserve = 0;  // reserve_highatomic_pageblock() successes
  uint64_t highatomic_unreserve = 0;
  uint64_t boost = 0;        // boost_watermark() raises
  uint64_t kswapd_wake = 0;  // wakeup_kswapd() calls attributed to this zone
};

struct Zone {
  uint16_t id = 0;  // machine-wide: node * MAX_NR_ZONES + type
  int node = 0;
  ZoneType type = ZONE_NORMAL;

  Pfn zone_start_pfn = 0;
  uint64_t spanned_pages = 0;
  uint64_t present_pages = 0;
  uint64_t managed_pages = 0;
  uint64_t cma_pages = 0;

  uint64_t watermark[NR_WMARK] = {};
  uint64_t watermark_boost = 0;
  uint64_t lowmem_reserve[MAX_NR_ZONES] = {};

  uint64_t nr_reserved_highatomic = 0;
  uint64_t nr_free_highatomic = 0;
  uint64_t nr_isolate_pageblock = 0;
  int64_t nr_free_pages = 0;      // NR_FREE_PAGES (buddy only, ISOLATE excluded)
  int64_t nr_free_cma_pages = 0;  // NR_FREE_CMA_PAGES

  uint32_t flags = 0;
  // zone->pageset_high_min/max/batch (what zone_set_pageset_high_and_batch chose)
  int pageset_high_min = 0;
  int pageset_high_max = 0;
  int pageset_batch = 0;

  FreeArea free_area[kNrPageOrdersLimit];
  ZoneEvents events;

  Pfn zone_end_pfn() const { return zone_start_pfn + spanned_pages; }
  bool spans(Pfn pfn) const { return pfn >= zone_start_pfn && pfn < zone_end_pfn(); }
  bool populated() const { return present_pages != 0; }
  bool managed() const { return managed_pages != 0; }
  uint64_t wmark_pages(unsigned i) const { return watermark[i] + watermark_boost; }
  uint64_t min_wmark_pages() const { return wmark_pages(WMARK_MIN); }
  uint64_t low_wmark_pages() const { return wmark_pages(WMARK_LOW); }
  uint64_t high_wmark_pages() const { return wmark_pages(WMARK_HIGH); }
  bool test_flag(ZoneFlag f) const { return flags & f; }
};

}  // namespace pagealloc
