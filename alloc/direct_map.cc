// SPDX-License-Identifier: GPL-2.0-or-later
// Unmapped allocations (UNMAP RFC/v4, docs/glossary.md): the direct-map model, and flipping
// whole pageblocks between the mapped and unmapped freetypes when a request finds no
// block of its own freetype (__rmqueue_direct_map).
#include "alloc/direct_map.h"

#include "alloc/kasan.h"
#include "alloc/machine.h"

namespace pagealloc {

void DirectMap::init(Pfn base, uint64_t nr_pages, DirectMapLevel level) {
  base_ = base;
  nr_pages_ = nr_pages;
  absent_.assign((nr_pages + 63) / 64, 0);
  uint64_t regions = nr_pages ? ((base + nr_pages - 1) >> kPmdOrder) - (base >> kPmdOrder) + 1 : 0;
  Level l = level == DirectMapLevel::PUD_1G ? PUD : level == DirectMapLevel::PMD_2M ? PMD : PTE;
  pmd_level_.assign(regions, l);
  nr_absent_ = 0;
  stats_ = {};
}

DirectMap::Level DirectMap::level(Pfn pfn) const {
  return static_cast<Level>(pmd_level_[(pfn >> kPmdOrder) - (base_ >> kPmdOrder)]);
}

bool DirectMap::range_is(Pfn pfn, uint64_t n, bool want_present) const {
  for (uint64_t i = 0; i < n; i++)
    if (present(pfn + i) != want_present) return false;
  return true;
}

// CPA splits a large mapping only when the change covers part of it.
void DirectMap::split_for(Pfn pfn, uint64_t n) {
  const Pfn end = pfn + n;
  const Pfn first_region = base_ >> kPmdOrder;
  // 1 GiB mappings first: splitting one turns every 2 MiB region under it into a PMD.
  for (Pfn g = pfn >> kPudOrder; g <= (end - 1) >> kPudOrder; g++) {
    Pfn gs = g << kPudOrder, ge = gs + (Pfn{1} << kPudOrder);
    if (pfn <= gs && end >= ge) continue;
    bool split = false;
    for (Pfn r = std::max(gs, base_) >> kPmdOrder;
         r <= (std::min(ge, base_ + nr_pages_) - 1) >> kPmdOrder; r++) {
      uint8_t& lv = pmd_level_[r - first_region];
      if (lv == PUD) {
        lv = PMD;
        split = true;
      }
    }
    if (split) stats_.splits_1g++;
  }
  for (Pfn r = pfn >> kPmdOrder; r <= (end - 1) >> kPmdOrder; r++) {
    Pfn rs = r << kPmdOrder, re = rs + (Pfn{1} << kPmdOrder);
    uint8_t& lv = pmd_level_[r - first_region];
    if (lv == PMD && !(pfn <= rs && end >= re)) {
      lv = PTE;
      stats_.splits_2m++;
    }
  }
}

void DirectMap::set_valid_noflush(Pfn pfn, uint64_t n, bool want_present) {
  if (!n || range_is(pfn, n, want_present)) return;
  split_for(pfn, n);
  stats_.flips++;
  for (uint64_t k = 0; k < n; k++) {
    uint64_t i = pfn + k - base_;
    uint64_t bit = uint64_t{1} << (i & 63);
    bool is_absent = absent_[i >> 6] & bit;
    if (want_present && is_absent) {
      absent_[i >> 6] &= ~bit;
      nr_absent_--;
      stats_.pages_mapped++;
    } else if (!want_present && !is_absent) {
      absent_[i >> 6] |= bit;
      nr_absent_++;
      stats_.pages_unmapped++;
    }
  }
}

// Flip a free block of `order` >= pageblock_order: direct map, TLB flush, block flags.
bool Machine::flip_direct_map(Zone& z, Pfn start, unsigned order, bool unmap) {
  (void)z;
  uint64_t n = uint64_t{1} << order;
  direct_map_.set_valid_noflush(start, n, !unmap);
  direct_map_.flush_tlb_kernel_range();
#ifdef BUDDYCHECK_MUTANT_UNMAP_FIRST_BLOCK_ONLY  // mutant build only (properties/mutants)
  n = uint64_t{1} << config_.pageblock_order;    // only the first pageblock's flag flips
#endif
  for (uint64_t b = 0; b < (n >> config_.pageblock_order); b++)
    set_pageblock_unmapped(start + (b << config_.pageblock_order), unmap);
  return true;
}

// __rmqueue_direct_map() (RFC 17/19): take a block of the opposite freetype (same
// migratetype, flag flipped) of order max(order, pageblock_order), flip it, and hand
// out the requested piece; the rest goes to the new freetype's lists. A mapped request
// of another migratetype retypes the flipped blocks to its own type (model choice).
Pfn Machine::_rmqueue_direct_map(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags) {
  // Flips need a TLB shootdown IPI: only callers that can block, never NOLOCK, and
  // only when the architecture can change the direct map.
  if ((alloc_flags & (ALLOC_NOBLOCK | ALLOC_NOLOCK)) || !config_.can_set_direct_map) return kNoPfn;
  const unsigned flip_order = std::max(order, config_.pageblock_order);
  Pfn page;
  unsigned new_ft;
  if (ft == FREETYPE_UNMAPPED_IDX) {
    // Want unmapped: a mapped UNMOVABLE block (claimed from other types if need be).
    RmqueueMode mode = RmqueueMode::NORMAL;
    unsigned flags = (alloc_flags & ~(ALLOC_CMA | ALLOC_UNMAPPED)) | ALLOC_NOBLOCK;
    page = _rmqueue(z, flip_order, MIGRATE_UNMOVABLE, flags, &mode);
    if (page == kNoPfn) return kNoPfn;
    change_pageblock_range(page, flip_order, MIGRATE_UNMOVABLE);
    flip_direct_map(z, page, flip_order, /*unmap=*/true);
    new_ft = FREETYPE_UNMAPPED_IDX;
  } else {
    if (ft >= MIGRATE_PCPTYPES) return kNoPfn;
    // Want mapped: give an unmapped block back to the direct map.
    page = _rmqueue_smallest(z, flip_order, FREETYPE_UNMAPPED_IDX);
    if (page == kNoPfn) return kNoPfn;
    flip_direct_map(z, page, flip_order, /*unmap=*/false);
    change_pageblock_range(page, flip_order, ft);
    new_ft = ft;
  }
  unsigned nr_added = expand(z, page, order, flip_order, new_ft);
  account_freepages(z, nr_added, new_ft);
  return page;
}

bool Machine::owner_set_direct_map(Pfn pfn, unsigned order, bool present) {
  if (!pfn_in_memmap(pfn)) return false;
  Page& p = pg(pfn);
  if (p.state != PageState::Allocated || p.order != order) return false;
  uint64_t n = uint64_t{1} << order;
  direct_map_.set_valid_noflush(pfn, n, present);
  direct_map_.flush_tlb_kernel_range();
  touch(pfn);
  bool as_allocated = !(p.flags & PG_unmapped);
  if (present == as_allocated) p.flags &= ~PG_dm_changed;
  else p.flags |= PG_dm_changed;
  if (!data_.empty()) {
    if (present) kasan::unpoison(page_data(pfn), n * config_.page_bytes);
    else kasan::poison(page_data(pfn), n * config_.page_bytes);
  }
  bump();
  return true;
}

}  // namespace pagealloc
