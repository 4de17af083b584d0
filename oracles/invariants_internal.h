// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by invariants*.cc: the Checker that keeps the first violation by rank, and
// the pieces of the full and incremental checks (block walk, list walks, counters).
// Not part of the oracles API; include oracles/invariants.h instead.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "alloc/machine.h"
#include "oracles/finding.h"
#include "oracles/invariants.h"

namespace buddycheck::inv_detail {

using namespace pagealloc;

// Upper bound on zone ids (nodes * MAX_NR_ZONES) for fixed per-zone tallies.
inline constexpr unsigned kMaxZones = kMaxNodes * MAX_NR_ZONES;

// Keeps the violation that ranks first: table order, then zone id, then a key (a PFN
// or a list coordinate). Both checks use it, so the reported violation does not depend
// on the order the checks happen to visit things in.
class Checker {
 public:
  explicit Checker(const Machine& m) : m_(m) {
    for (unsigned i = 0; i < NR_PCP_LISTS; i++)
      pindex_order_[i] = static_cast<uint8_t>(m.pindex_to_order(i));
  }
  const Machine& m() const { return m_; }
  unsigned pindex_order(unsigned pindex) const { return pindex_order_[pindex]; }

  // Is a violation of `inv` still able to become the reported one?
  bool wants(Inv inv) const { return !best_ || inv <= inv_; }
  bool better(Inv inv, int zone, uint64_t key) const {
    return !best_ || std::make_tuple(inv, zone, key) < std::make_tuple(inv_, zone_, key_);
  }
  // Records a violation. `what` is the one-line summary after the location prefix.
  void fail(Inv inv, int zone, uint64_t key, std::vector<Pfn> pfns, const std::string& what,
            const std::string& expected, const std::string& actual);
  bool found() const { return best_.has_value(); }
  Inv best_inv() const { return inv_; }  // Inv::kCount when nothing was found
  std::optional<Finding> take() { return std::move(best_); }

 private:
  const Machine& m_;
  std::array<uint8_t, NR_PCP_LISTS> pindex_order_;
  std::optional<Finding> best_;
  Inv inv_ = Inv::kCount;
  int zone_ = 0;
  uint64_t key_ = 0;
};

// "node 0 zone Normal" or "no zone".
std::string zone_str(const Machine& m, int zone);

enum class Mode : uint8_t { Full, Incremental };

// What the full walk tallies per zone, to compare with the lists afterwards.
struct ZoneTally {
  uint64_t buddy_heads = 0;
  uint64_t pcp_heads = 0;
  uint64_t block_pages = 0;
};

struct WalkState {
  Mode mode = Mode::Full;
  // Full mode: pages expected absent from the direct map (compared with
  // DirectMap::nr_absent() at the end); per-page presence is then only verified for
  // blocks expected absent. Exact mode verifies every page.
  bool dm_exact = false;
  uint64_t expected_absent = 0;
  bool probes = true;                                 // Full mode: try walk_zone_fast() first
  std::array<ZoneTally, kMaxZones>* tally = nullptr;  // Full mode only
};

// invariants_blocks.cc
inline constexpr int kLookupZone = -2;
// Walks the blocks starting at or after `from` up to `to` (a block starting before
// `to` is walked whole). `from` must be a block head or a PFN not covered by a block.
// `zone` is the zone id every PFN of the range lies in (-1: none), or kLookupZone to
// look it up per block. Returns the PFN after the last block walked.
Pfn walk_blocks(Checker& c, WalkState& ws, Pfn from, Pfn to, int zone);
// One block at p (or one absent, reserved or orphan page) with every check; returns the
// PFN after it.
Pfn visit_block(Checker& c, WalkState& ws, Pfn p, int zone);

// invariants_probe.cc
// Full mode, one zone span: the same judgement as walk_blocks(c, ws, from, to, zid),
// faster on a machine with nothing to report (see the file).
Pfn walk_zone_fast(Checker& c, WalkState& ws, Pfn from, Pfn to, int zid);
// Full mode, after the block walk: ok[id] = are zone id's free lists right (LIST-LINKS,
// LIST-FLAG) with tally[id].buddy_heads members? false: maybe not; check_zone_lists()
// then walks them and reports.
void probe_free_lists(const Machine& m, const std::array<ZoneTally, kMaxZones>& tally,
                      std::array<bool, kMaxZones>& ok);
// Full mode: every PFN of the memmap, zone span by zone span, gaps in between.
void walk_memmap(Checker& c, WalkState& ws);
// The lowest block head whose block covers pfn, or pfn itself when none does.
Pfn find_block_head(const Machine& m, Pfn pfn);
// CMA-BLOCKS and DM-BLOCKTYPE for the pageblock containing pfn.
void check_pageblock(Checker& c, Pfn pfn);
// Exact direct-map pass over every memmap PFN (full mode, after a count mismatch).
void check_direct_map_exact(Checker& c);

// invariants_lists.cc
// Walks every free list and pcp list of a zone (links, membership), comparing with the
// full walk's tallies.
// free_ok: probe_free_lists() vouched for the free lists, which are then not walked.
void check_zone_lists(Checker& c, const Zone& z, const ZoneTally& t, bool free_ok);
// Local list-link check of one Buddy or Pcp head (incremental mode).
void check_head_links(Checker& c, Pfn head, int zone);
// Counters of a zone: nr_free, NR_FREE_*, highatomic, CMA pages, pcp counts/high,
// watermarks, lowmem_reserve, boost. O(orders * freetypes + cpus * pcp lists).
void check_zone_counters(Checker& c, const Zone& z);
// How many free_area orders the checks read: MAX_PAGE_ORDER + 1 while the areas above
// it (which the allocator never uses) are exactly as booted - one comparison instead
// of a load per list - and all of them otherwise.
unsigned orders_in_use(const Machine& m, const Zone& z);

// Helpers shared by the files.
inline bool is_head(PageState s) {
  return s == PageState::Buddy || s == PageState::Pcp || s == PageState::Allocated;
}
inline unsigned ft_migratetype(unsigned ft) {
  return ft == FREETYPE_UNMAPPED_IDX ? unsigned{MIGRATE_UNMOVABLE} : ft;
}
// Pages of the zone inside configured CMA areas.
uint64_t configured_cma_pages(const Machine& m, const Zone& z);
bool in_configured_cma(const Machine& m, Pfn pfn);

}  // namespace buddycheck::inv_detail
