// SPDX-License-Identifier: GPL-2.0-or-later
// The buddy free lists: accounting, list helpers, merging on free, splitting on
// allocation, and moving a pageblock's free pages between lists (account_freepages(),
// __free_one_page(), expand(), __rmqueue_smallest(), __move_freepages_block() in
// mm/page_alloc.c). Free lists keep Johannes Weiner's "freelist migratetype hygiene"
// (Linux 6.10): every block on free_list[t] lies in pageblocks of type t.
#include <bit>

#include "alloc/machine.h"

namespace pagealloc {

namespace {
inline unsigned ft_migratetype(unsigned ft) {
  return ft == FREETYPE_UNMAPPED_IDX ? unsigned{MIGRATE_UNMOVABLE} : ft;
}
}  // namespace

// account_freepages(): the single place NR_FREE_PAGES and friends change.
void Machine::account_freepages(Zone& z, int64_t nr, unsigned ft) {
  if (ft == MIGRATE_ISOLATE) return;
  z.nr_free_pages += nr;
  if (ft == MIGRATE_CMA) z.nr_free_cma_pages += nr;
  else if (ft == MIGRATE_HIGHATOMIC) z.nr_free_highatomic += nr;
}

// __add_to_free_list() + set_buddy_order().
void Machine::_add_to_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft, bool tail) {
  Page& p = pg(pfn);
  p.state = PageState::Buddy;
  p.order = static_cast<uint8_t>(order);
  p.list = static_cast<uint8_t>(ft);
  p.flags = 0;
  FreeArea& area = z.free_area[order];
  if (tail) list_add_tail(area.free_list[ft], pfn);
  else list_add(area.free_list[ft], pfn);
  area.nr_free++;
}

// move_to_free_list(): list_move_tail() to the new type's list, re-accounted.
void Machine::move_to_free_list(Pfn pfn, Zone& z, unsigned order, unsigned old_ft,
                                unsigned new_ft) {
  FreeArea& area = z.free_area[order];
  list_del(area.free_list[pg(pfn).list], pfn);
  list_add_tail(area.free_list[new_ft], pfn);
  pg(pfn).list = static_cast<uint8_t>(new_ft);
  account_freepages(z, -(int64_t{1} << order), old_ft);
  account_freepages(z, int64_t{1} << order, new_ft);
}

// __del_page_from_free_list(): unlink and clear PageBuddy; no accounting. The page
// leaves the list it is actually on; `ft` is what the caller believes (the hygiene
// invariant says they agree).
void Machine::_del_page_from_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft) {
  (void)ft;
  Page& p = pg(pfn);
  list_del(z.free_area[order].free_list[p.list], pfn);
  p.state = PageState::Tail;
  p.order = 0;
  p.list = 0;
  z.free_area[order].nr_free--;
}

void Machine::del_page_from_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft) {
  _del_page_from_free_list(pfn, z, order, ft);
  account_freepages(z, -(int64_t{1} << order), ft);
}

// page_is_buddy(): free, same order, same zone.
bool Machine::page_is_buddy(Pfn buddy, const Zone& z, unsigned order) const {
  if (!pfn_in_memmap(buddy)) return false;
  const Page& b = page(buddy);
  if (b.state != PageState::Buddy || b.order != order) return false;
  return page_zone_id(buddy) == z.id;
}

// buddy_merge_likely(): if the order+1 buddy of the merged block is free, put the
// block at the tail so it is less likely to be split before it can merge.
bool Machine::buddy_merge_likely(Pfn pfn, Pfn buddy_pfn, const Zone& z, unsigned order) const {
  if (order >= config_.max_page_order - 1) return false;
  Pfn higher = buddy_pfn & pfn;
  return page_is_buddy(higher ^ (Pfn{1} << (order + 1)), z, order + 1);
}

void Machine::change_pageblock_range(Pfn pfn, unsigned start_order, unsigned mt) {
  uint64_t n = uint64_t{1} << (start_order - config_.pageblock_order);
  for (uint64_t i = 0; i < n; i++)
    set_pageblock_migratetype(pfn + (i << config_.pageblock_order), mt);
}

// __free_one_page(): merge with free buddies as far as the rules allow.
void Machine::_free_one_page(Pfn pfn, Zone& z, unsigned order, unsigned ft, bool to_tail) {
  account_freepages(z, int64_t{1} << order, ft);
  Pfn buddy_pfn = 0;
  const unsigned mt = ft_migratetype(ft);
  while (order < config_.max_page_order) {
    buddy_pfn = pfn ^ (Pfn{1} << order);
    if (!page_is_buddy(buddy_pfn, z, order)) break;
    unsigned buddy_ft = ft;
    if (order >= config_.pageblock_order) {
      // Prevent merges between blocks without fallbacks (CMA, HIGHATOMIC, ISOLATE)
      // and normal blocks, and (UNMAP) between mapped and unmapped space.
      buddy_ft = pageblock_freetype_idx(buddy_pfn);
// Mutant build only (properties/mutants): MERGE_IGNORES_TYPE drops the type rule.
#ifndef BUDDYCHECK_MUTANT_MERGE_IGNORES_TYPE
      const unsigned buddy_mt = ft_migratetype(buddy_ft);
      if (mt != buddy_mt && (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
        break;
#endif
      if ((ft == FREETYPE_UNMAPPED_IDX) != (buddy_ft == FREETYPE_UNMAPPED_IDX)) break;
    }
    _del_page_from_free_list(buddy_pfn, z, order, buddy_ft);
    // Match the buddy's block type so a later expand() puts halves on the right lists.
    if (buddy_ft != ft) change_pageblock_range(buddy_pfn, order, mt);
    pfn &= buddy_pfn;
    order++;
  }
  if (!to_tail) to_tail = buddy_merge_likely(pfn, buddy_pfn, z, order);
  _add_to_free_list(pfn, z, order, ft, to_tail);
}

// split_large_buddy(): a block larger than a pageblock is freed per pageblock, each
// with its own block's type.
void Machine::split_large_buddy(Zone& z, Pfn pfn, unsigned order, bool to_tail) {
  Pfn end = pfn + (Pfn{1} << order);
  if (order > config_.pageblock_order) order = config_.pageblock_order;
  for (; pfn < end; pfn += Pfn{1} << order)
    _free_one_page(pfn, z, order, pageblock_freetype_idx(pfn), to_tail);
}

void Machine::free_one_page(Zone& z, Pfn pfn, unsigned order, bool to_tail) {
  split_large_buddy(z, pfn, order, to_tail);
  z.events.pgfree += uint64_t{1} << order;
}

// expand(): hand out the lower half repeatedly; upper halves go to the head of `ft`.
unsigned Machine::expand(Zone& z, Pfn pfn, unsigned low, unsigned high, unsigned ft) {
  uint64_t size = uint64_t{1} << high;
  unsigned nr_added = 0;
  while (high > low) {
    high--;
    size >>= 1;
#ifdef BUDDYCHECK_MUTANT_EXPAND_WRONG_LIST  // mutant build only (properties/mutants)
    _add_to_free_list(pfn + size, z, high, ft == MIGRATE_UNMOVABLE ? unsigned{MIGRATE_MOVABLE} : ft,
                      false);
#else
    _add_to_free_list(pfn + size, z, high, ft, false);
#endif
    nr_added += static_cast<unsigned>(size);
  }
  return nr_added;
}

void Machine::page_del_and_expand(Zone& z, Pfn pfn, unsigned low, unsigned high, unsigned ft) {
  int64_t nr = int64_t{1} << high;
  _del_page_from_free_list(pfn, z, high, ft);
  nr -= expand(z, pfn, low, high, ft);
  account_freepages(z, -nr, ft);
}

// __rmqueue_smallest(): first block on `ft`'s lists from `order` upwards.
Pfn Machine::_rmqueue_smallest(Zone& z, unsigned order, unsigned ft) {
  for (unsigned k = order; k <= config_.max_page_order; k++) {
    Pfn p = list_first(z.free_area[k].free_list[ft]);
    if (p == kNoPfn) continue;
    page_del_and_expand(z, p, order, k, ft);
    return p;
  }
  return kNoPfn;
}

// prep_move_freepages_block(): the block must lie in the zone; optionally count free
// pages and "movable" ones. The model treats an allocation made with __GFP_MOVABLE as
// PageLRU/__PageMovable: its head, and its tails if compound (PF_HEAD flags).
bool Machine::prep_move_freepages_block(Zone& z, Pfn pfn, Pfn* start_pfn, int* num_free,
                                        int* num_movable) {
  Pfn start = pfn & ~(pageblock_nr_pages() - 1);
  Pfn end = start + pageblock_nr_pages();
  if (!z.spans(start) || !z.spans(end - 1)) return false;
  *start_pfn = start;
  if (num_free) {
    *num_free = 0;
    *num_movable = 0;
    for (Pfn p = start; p < end;) {
      const Page& pp = page(p);
      if (pp.state == PageState::Buddy) {
        *num_free += 1 << pp.order;
        p += Pfn{1} << pp.order;
        continue;
      }
      if (pp.state == PageState::Allocated && (pp.flags & PG_movable_alloc)) {
        uint64_t n = (pp.flags & PG_compound) ? (uint64_t{1} << pp.order) : 1;
        Pfn stop = std::min<Pfn>(end, p + (Pfn{1} << pp.order));
        *num_movable += static_cast<int>(std::min<uint64_t>(n, stop - p));
        p = stop;
        continue;
      }
      p++;
    }
  }
  return true;
}

// __move_freepages_block(): move every free page of the block to new_mt's lists, then
// retype the block. Returns pages moved.
int Machine::_move_freepages_block(Zone& z, Pfn start, unsigned old_ft, unsigned new_mt) {
  Pfn end = start + pageblock_nr_pages();
  int moved = 0;
  for (Pfn p = start; p < end;) {
    const Page& pp = page(p);
    if (pp.state != PageState::Buddy) {
      p++;
      continue;
    }
    unsigned order = pp.order;
    move_to_free_list(p, z, order, old_ft, new_mt);
    p += Pfn{1} << order;
    moved += 1 << order;
  }
  set_pageblock_migratetype(start, new_mt);
  return moved;
}

int Machine::move_freepages_block(Zone& z, Pfn pfn, unsigned old_mt, unsigned new_mt) {
  Pfn start;
  if (!prep_move_freepages_block(z, pfn, &start, nullptr, nullptr)) return -1;
  return _move_freepages_block(z, start, old_mt, new_mt);
}

}  // namespace pagealloc
