// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel direct map as the unmapped-allocation work (UNMAP) sees it: which PFNs
// are present, at which page-table level each region is mapped, and what changing it
// costs. x86 maps the direct map with 1 GiB or 2 MiB pages and splits a large mapping
// when only part of it changes (set_direct_map_valid_noflush() through CPA); every
// flip ends with one flush_tlb_kernel_range().
#pragma once

#include <cstdint>
#include <vector>

#include "alloc/config.h"

namespace pagealloc {

struct DirectMapStats {
  uint64_t splits_1g = 0;       // PUD mappings split into PMDs
  uint64_t splits_2m = 0;       // PMD mappings split into PTEs
  uint64_t tlb_flushes = 0;     // flush_tlb_kernel_range() calls
  uint64_t pages_unmapped = 0;  // pages whose presence went 1 -> 0
  uint64_t pages_mapped = 0;    // pages whose presence went 0 -> 1
  uint64_t flips = 0;           // set_direct_map_valid_noflush() range calls
};

class DirectMap {
 public:
  static constexpr unsigned kPmdOrder = 9;   // 2 MiB / 4 KiB
  static constexpr unsigned kPudOrder = 18;  // 1 GiB / 4 KiB
  enum Level : uint8_t { PUD = 0, PMD = 1, PTE = 2 };

  DirectMap() = default;
  // Covers [base, base + nr_pages); every page starts present at `level`.
  void init(Pfn base, uint64_t nr_pages, DirectMapLevel level);

  bool present(Pfn pfn) const {
    uint64_t i = pfn - base_;
    return !((absent_[i >> 6] >> (i & 63)) & 1);
  }
  // Is every page of [pfn, pfn + n) in the given state?
  bool range_is(Pfn pfn, uint64_t n, bool present) const;
  // set_direct_map_valid_noflush() over [pfn, pfn + n): splits what must be split,
  // counts pages changed. Does not flush.
  void set_valid_noflush(Pfn pfn, uint64_t n, bool present);
  void flush_tlb_kernel_range() { stats_.tlb_flushes++; }

  // The level of the mapping that covers a PFN (after any splits).
  Level level(Pfn pfn) const;
  const DirectMapStats& stats() const { return stats_; }
  uint64_t nr_absent() const { return nr_absent_; }

 private:
  void split_for(Pfn pfn, uint64_t n);

  Pfn base_ = 0;
  uint64_t nr_pages_ = 0;
  std::vector<uint64_t> absent_;    // 1 bit per page: out of the direct map
  std::vector<uint8_t> pmd_level_;  // per 2 MiB region: PUD, PMD or PTE
  std::vector<uint8_t> pud_split_;  // per 1 GiB region: split into PMDs
  uint64_t nr_absent_ = 0;
  DirectMapStats stats_;
};

}  // namespace pagealloc
