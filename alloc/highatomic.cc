// SPDX-License-Identifier: GPL-2.0-or-later
// MIGRATE_HIGHATOMIC: reserving pageblocks for high-order atomic allocations and giving
// them back under pressure (reserve_highatomic_pageblock() and
// unreserve_highatomic_pageblock() of Linux 6.12).
#include "alloc/machine.h"
#include "alloc/page_alloc_internal.h"

namespace pagealloc {

// reserve_highatomic_pageblock(): after a successful ALLOC_HIGHATOMIC allocation, make
// the surrounding pageblock(s) highatomic, up to about 1% of the zone.
void Machine::reserve_highatomic_pageblock(Pfn pfn, unsigned order, Zone& z) {
  const uint64_t pb = pageblock_nr_pages();
  // Minimum one pageblock, maximum ~1% of the zone; below that, reserve nothing.
  if (z.managed_pages / 100 < pb) return;
  uint64_t max_managed = (z.managed_pages / 100 + pb - 1) & ~(pb - 1);
  if (z.nr_reserved_highatomic >= max_managed) return;
  unsigned mt = get_pageblock_migratetype(pfn);
  // Only normal pageblocks (those that can merge with others); never unmapped ones.
  if (!migratetype_is_mergeable(mt) || pageblock_unmapped(pfn)) return;
  if (order < config_.pageblock_order) {
    if (move_freepages_block(z, pfn, mt, MIGRATE_HIGHATOMIC) == -1) return;
    z.nr_reserved_highatomic += pb;
  } else {
    change_pageblock_range(pfn & ~((Pfn{1} << order) - 1), order, MIGRATE_HIGHATOMIC);
    z.nr_reserved_highatomic += uint64_t{1} << order;
  }
  z.events.highatomic_reserve++;
  bump();
}

// unreserve_highatomic_pageblock(): convert one reserved block back to the caller's
// migratetype. Keeps one pageblock unless `force`.
bool Machine::unreserve_highatomic_pageblock(const AllocContext& ac, bool force) {
  const uint64_t pb = pageblock_nr_pages();
  for (size_t i = first_zones_zonelist(*ac.zonelist, 0, ac.highest_zoneidx, ac.nodemask);
       i < ac.zonelist->size();
       i = first_zones_zonelist(*ac.zonelist, i + 1, ac.highest_zoneidx, ac.nodemask)) {
    Zone& z = zones_[(*ac.zonelist)[i].zone];
    if (!force && z.nr_reserved_highatomic <= pb) continue;
    for (unsigned order = 0; order <= config_.max_page_order; order++) {
      Pfn page = list_first(z.free_area[order].free_list[MIGRATE_HIGHATOMIC]);
      if (page == kNoPfn) continue;
      unsigned mt = get_pageblock_migratetype(page);
      // Only subtract while the block is still highatomic, never below zero.
      if (mt == MIGRATE_HIGHATOMIC) {
        uint64_t size = std::max<uint64_t>(pb, uint64_t{1} << order);
        size = std::min(size, z.nr_reserved_highatomic);
        z.nr_reserved_highatomic -= size;
      }
      // Convert to the caller's type, bypassing the claim heuristics.
      int ret;
      unsigned target = ac.migratetype;
      if (order < config_.pageblock_order) {
        ret = move_freepages_block(z, page, mt, target);
      } else {
        move_to_free_list(page, z, order, mt, target);
        change_pageblock_range(page, order, target);
        ret = 1;
      }
      if (ret > 0) {
        z.events.highatomic_unreserve++;
        return true;
      }
    }
  }
  return false;
}

}  // namespace pagealloc
