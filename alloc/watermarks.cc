// SPDX-License-Identifier: GPL-2.0-or-later
// Watermarks, lowmem_reserve and the watermark predicates (__setup_per_zone_wmarks(),
// setup_per_zone_lowmem_reserve(), __zone_watermark_ok() in mm/page_alloc.c), plus the
// sysctls that recompute them.
#include "alloc/machine.h"

namespace pagealloc {

namespace {

uint64_t mult_frac(uint64_t x, uint64_t n, uint64_t d) {
  uint64_t q = x / d, r = x % d;
  return q * n + r * n / d;
}

// int_sqrt(): floor of the square root.
uint64_t int_sqrt(uint64_t x) {
  uint64_t r = 0;
  for (uint64_t bit = uint64_t{1} << 62; bit; bit >>= 2) {
    if (x >= r + bit) {
      x -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

}  // namespace

// nr_free_buffer_pages(): pages above the high watermark in zones <= gfp_zone(GFP_USER)
// of the boot CPU's node's FALLBACK zonelist.
uint64_t Machine::nr_free_buffer_pages() const {
  uint64_t sum = 0;
  const Zonelist zl = nodes_[config_.node_of_cpu(0)].zonelists[ZONELIST_FALLBACK];
  for (const Zoneref& zr : zl) {
    if (zr.zone_idx > ZONE_NORMAL) continue;
    const Zone& z = zones_[zr.zone];
    if (z.managed_pages > z.high_wmark_pages()) sum += z.managed_pages - z.high_wmark_pages();
  }
  return sum;
}

// calculate_min_free_kbytes(): sqrt(16 * lowmem_kbytes), clamped to 128..262144; a
// user-set value wins if larger (user_min_free_kbytes is -1 until the sysctl is written).
void Machine::calculate_min_free_kbytes() {
  uint64_t lowmem_kbytes = nr_free_buffer_pages() * (1u << (kPageShift - 10));
  uint64_t v = int_sqrt(lowmem_kbytes * 16);
  if (user_min_free_kbytes_ == 0 || v > user_min_free_kbytes_)
    min_free_kbytes_ = static_cast<unsigned>(kernel_clamp<uint64_t>(v, 128, 262144));
}

// __setup_per_zone_wmarks() then zone_pcp_update() for every zone.
void Machine::setup_per_zone_wmarks() {
  uint64_t pages_min = min_free_kbytes_ >> (kPageShift - 10);
  uint64_t lowmem_pages = 0;
  for (const Zone& z : zones_)
    if (z.type != ZONE_MOVABLE) lowmem_pages += z.managed_pages;
  for (Zone& z : zones_) {
    uint64_t tmp = lowmem_pages ? pages_min * z.managed_pages / lowmem_pages : 0;
    if (z.type == ZONE_MOVABLE) {
      // Movable (and highmem) zones get a small fixed minimum.
      z.watermark[WMARK_MIN] =
          kernel_clamp<uint64_t>(z.managed_pages / 1024, SWAP_CLUSTER_MAX, 128);
    } else {
      z.watermark[WMARK_MIN] = tmp;
    }
    tmp = std::max(tmp >> 2, mult_frac(z.managed_pages, config_.watermark_scale_factor, 10000));
    z.watermark_boost = 0;
    z.watermark[WMARK_LOW] = z.watermark[WMARK_MIN] + tmp;
    z.watermark[WMARK_HIGH] = z.watermark[WMARK_LOW] + tmp;
    z.watermark[WMARK_PROMO] = z.watermark[WMARK_HIGH] + tmp;
  }
  calculate_totalreserve_pages();
  for (Zone& z : zones_) zone_set_pageset_high_and_batch(z, 0);
  bump_zones();
}

// setup_per_zone_lowmem_reserve(): per node, zone i keeps (managed above i) / ratio[i].
void Machine::setup_per_zone_lowmem_reserve() {
  for (size_t n = 0; n < nodes_.size(); n++) {
    for (unsigned i = 0; i + 1 < MAX_NR_ZONES; i++) {
      Zone& z = zones_[n * MAX_NR_ZONES + i];
      unsigned ratio = config_.lowmem_reserve_ratio[i];
      bool clear = !ratio || !z.managed_pages;
      uint64_t managed = 0;
      for (unsigned j = i + 1; j < MAX_NR_ZONES; j++) {
        managed += zones_[n * MAX_NR_ZONES + j].managed_pages;
        z.lowmem_reserve[j] = clear ? 0 : managed / ratio;
      }
    }
  }
  calculate_totalreserve_pages();
  bump_zones();
}

void Machine::calculate_totalreserve_pages() {
  uint64_t total = 0;
  for (const Zone& z : zones_) {
    uint64_t max = 0;
    for (unsigned j = z.type; j < MAX_NR_ZONES; j++) max = std::max(max, z.lowmem_reserve[j]);
    max += z.high_wmark_pages();
    total += std::min(max, z.managed_pages);
  }
  totalreserve_pages_ = total;
}

// __zone_watermark_unusable_free(): what a request may not count as free.
int64_t Machine::_zone_watermark_unusable_free(const Zone& z, unsigned order,
                                               unsigned alloc_flags) const {
  int64_t unusable = (int64_t{1} << order) - 1;
  // Highatomic pages are reserved for the reserve users: the free ones, counted by
  // nr_free_highatomic since "mm/page_alloc: keep track of free highatomic" (Linux
  // 6.12; before, nr_reserved_highatomic held back whole reserved blocks).
  if (!(alloc_flags & ALLOC_RESERVES)) unusable += static_cast<int64_t>(z.nr_free_highatomic);
  if (!(alloc_flags & ALLOC_CMA)) unusable += z.nr_free_cma_pages;
  return unusable;
}

// __zone_watermark_ok().
bool Machine::_zone_watermark_ok(const Zone& z, unsigned order, uint64_t mark,
                                 unsigned highest_zoneidx, unsigned alloc_flags,
                                 int64_t free_pages) const {
  int64_t min = static_cast<int64_t>(mark);
  free_pages -= _zone_watermark_unusable_free(z, order, alloc_flags);
  if (alloc_flags & ALLOC_RESERVES) {
    // __GFP_HIGH may dip into half the reserve; non-blocking callers a quarter more.
    if (alloc_flags & ALLOC_MIN_RESERVE) {
      min -= min / 2;
      if (alloc_flags & ALLOC_NON_BLOCK) min -= min / 4;
    }
    // OOM victims get half of what is left.
    if (alloc_flags & ALLOC_OOM) min -= min / 2;
  }
#ifdef BUDDYCHECK_MUTANT_WMARK_NO_LOWMEM_RESERVE  // mutant build only (properties/mutants)
  if (free_pages <= min) return false;
#else
  if (free_pages <= min + static_cast<int64_t>(z.lowmem_reserve[highest_zoneidx])) return false;
#endif
  if (order == 0) return true;
  // For a high-order request, a suitable free block must exist.
  for (unsigned o = order; o <= config_.max_page_order; o++) {
    const FreeArea& area = z.free_area[o];
    if (!area.nr_free) continue;
    for (unsigned mt = 0; mt < MIGRATE_PCPTYPES; mt++)
      if (!area.free_list[mt].empty()) return true;
    // The unmapped freetype serves unmapped requests and, by flipping back, mapped ones.
    if (!area.free_list[FREETYPE_UNMAPPED_IDX].empty()) return true;
    if ((alloc_flags & ALLOC_CMA) && !area.free_list[MIGRATE_CMA].empty()) return true;
    if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
        !area.free_list[MIGRATE_HIGHATOMIC].empty())
      return true;
  }
  return false;
}

// zone_watermark_fast(): an order-0 shortcut, the full check, and for __GFP_HIGH
// order-0 requests a retry against the unboosted min watermark.
bool Machine::zone_watermark_fast(const Zone& z, unsigned order, uint64_t mark,
                                  unsigned highest_zoneidx, unsigned alloc_flags) const {
  int64_t free_pages = z.nr_free_pages;
  if (order == 0) {
    int64_t usable = free_pages;
    int64_t reserved = _zone_watermark_unusable_free(z, 0, alloc_flags);
    usable -= std::min(usable, reserved);
    // The kernel compares long against unsigned long here.
    if (static_cast<uint64_t>(usable) > mark + z.lowmem_reserve[highest_zoneidx]) return true;
  }
  if (_zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages)) return true;
  // Ignore the watermark boost for high-priority order-0 requests.
  if (order == 0 && (alloc_flags & ALLOC_MIN_RESERVE) && z.watermark_boost &&
      (alloc_flags & ALLOC_WMARK_MASK) == ALLOC_WMARK_MIN)
    return _zone_watermark_ok(z, order, z.watermark[WMARK_MIN], highest_zoneidx, alloc_flags,
                              free_pages);
  return false;
}

// ---- sysctls ----

bool Machine::set_min_free_kbytes(unsigned kbytes) {
  if (kbytes > INT32_MAX) return false;
  // min_free_kbytes_sysctl_handler(): the written value becomes user_min_free_kbytes.
  min_free_kbytes_ = kbytes;
  user_min_free_kbytes_ = kbytes;
  config_.min_free_kbytes = kbytes;
  setup_per_zone_wmarks();
  return true;
}

bool Machine::set_watermark_scale_factor(unsigned factor) {
  if (factor < 1 || factor > 3000) return false;  // SYSCTL_ONE .. SYSCTL_THREE_THOUSAND
  config_.watermark_scale_factor = factor;
  setup_per_zone_wmarks();
  return true;
}

bool Machine::set_watermark_boost_factor(unsigned factor) {
  if (factor > INT32_MAX) return false;
  config_.watermark_boost_factor = factor;
  bump_zones();
  return true;
}

bool Machine::set_lowmem_reserve_ratio(const std::array<unsigned, MAX_NR_ZONES>& ratio) {
  for (unsigned r : ratio)
    if (r > INT32_MAX) return false;
  config_.lowmem_reserve_ratio = ratio;
  setup_per_zone_lowmem_reserve();
  return true;
}

void Machine::kswapd_balance(int nid) {
  // balance_pgdat(): once the node is balanced, boosts are cleared.
  for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
    Zone& z = zones_[nid * MAX_NR_ZONES + t];
    if (z.watermark_boost || z.test_flag(ZONE_BOOSTED_WATERMARK)) {
      z.watermark_boost = 0;
      z.flags &= ~ZONE_BOOSTED_WATERMARK;
      bump_zones();
    }
  }
}

}  // namespace pagealloc
