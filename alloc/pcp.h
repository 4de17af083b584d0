// SPDX-License-Identifier: GPL-2.0-or-later
// struct per_cpu_pages (include/linux/mmzone.h): one per (zone, CPU).
//
// Lists: pindex(mt, o) = 3*o + mt for o <= PAGE_ALLOC_COSTLY_ORDER; the THP order
// (HPAGE_PMD_ORDER, = pageblock_order in this model) has 12 (UNMOVABLE and
// RECLAIMABLE share it) and 13 (MOVABLE). UNMAP v4 adds one bank for the unmapped
// freetype: 14 + o for o <= 3 and 18 for the THP order.
#pragma once

#include <cstdint>

#include "alloc/page.h"
#include "alloc/types.h"

namespace pagealloc {

inline constexpr unsigned NR_PCP_LISTS_MAPPED =
    MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1) + 2;
inline constexpr unsigned NR_PCP_THP_UNMAPPED = NR_PCP_LISTS_MAPPED + PAGE_ALLOC_COSTLY_ORDER + 1;
inline constexpr unsigned NR_PCP_LISTS = NR_PCP_THP_UNMAPPED + 1;

enum PcpFlag : uint8_t {
  PCPF_PREV_FREE_HIGH_ORDER = 1 << 0,
  PCPF_FREE_HIGH_BATCH = 1 << 1,
};

struct PerCpuPages {
  int count = 0;  // pages on all lists
  int high = 0;   // auto-tuned between high_min and high_max
  int high_min = 0;
  int high_max = 0;
  int batch = 1;
  int free_count = 0;  // consecutive freed pages (decays on alloc)
  uint8_t flags = 0;
  uint8_t alloc_factor = 0;
  ListHead lists[NR_PCP_LISTS];
};

}  // namespace pagealloc
