// SPDX-License-Identifier: GPL-2.0-or-later
// The invariant table, the full and incremental checks, and the per-zone counter
// checks (free counts, highatomic, CMA, per-cpu pagesets, watermarks).
//
// Full check: one walk over the memmap block by block (invariants_blocks.cc), then
// every free list and pcp list once (invariants_lists.cc), the zone counters and the
// pageblock bits. Incremental check: the same per-block code over the pageblocks
// holding the PFNs the last ops touched, local list-link checks of the heads found
// there, and the counters (cheap: O(zones * (orders * freetypes + cpus * lists))).
// When the incremental check sees a violation it re-runs the full check, so both
// name the same first violation.
#include "oracles/invariants.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "oracles/cold.h"
#include "oracles/invariants_internal.h"

namespace buddycheck {

using namespace pagealloc;
using namespace inv_detail;

namespace {

constexpr InvariantInfo kInfo[] = {
#define INVARIANT(Name, id, rule, kernel) {id, rule, kernel},
#include "oracles/invariants.def"
};
static_assert(std::size(kInfo) == static_cast<size_t>(Inv::kCount));

}  // namespace

const InvariantInfo& invariant_info(Inv inv) { return kInfo[static_cast<size_t>(inv)]; }

std::optional<Inv> invariant_by_id(std::string_view id) {
  for (size_t i = 0; i < std::size(kInfo); i++)
    if (kInfo[i].id == id) return static_cast<Inv>(i);
  return std::nullopt;
}

namespace inv_detail {

std::string zone_str(const Machine& m, int zone) {
  if (zone < 0 || static_cast<unsigned>(zone) >= m.nr_zones()) return "no zone";
  const Zone& z = m.zone(static_cast<unsigned>(zone));
  return fmt::format("node {} zone {}", z.node, zone_name(z.type));
}

void Checker::fail(Inv inv, int zone, uint64_t key, std::vector<Pfn> pfns, const std::string& what,
                   const std::string& expected, const std::string& actual) {
  if (!better(inv, zone, key)) return;
  Finding f;
  f.id = std::string(invariant_info(inv).id);
  f.summary = fmt::format("{}: {}", zone_str(m_, zone), what);
  f.expected = expected;
  f.actual = actual;
  f.pfns = std::move(pfns);
  f.zone = zone;
  best_ = std::move(f);
  inv_ = inv;
  zone_ = zone;
  key_ = key;
}

unsigned orders_in_use(const Machine& m, const Zone& z) {
  static constexpr FreeArea kUnused[kNrPageOrdersLimit] = {};
  const unsigned used = m.max_order() + 1;
  if (used >= kNrPageOrdersLimit) return kNrPageOrdersLimit;
  const size_t rest = (kNrPageOrdersLimit - used) * sizeof(FreeArea);
  return std::memcmp(&z.free_area[used], kUnused, rest) == 0 ? used : kNrPageOrdersLimit;
}

bool in_configured_cma(const Machine& m, Pfn pfn) {
  for (const PfnRange& r : m.config().cma)
    if (r.contains(pfn)) return true;
  return false;
}

uint64_t configured_cma_pages(const Machine& m, const Zone& z) {
  uint64_t n = 0;
  if (!z.spanned_pages) return 0;
  for (const PfnRange& r : m.config().cma)
    if (z.spans(r.start)) n += r.size();  // validate_config(): an area lies in one zone
  return n;
}

namespace {

void check_free_counters(Checker& c, const Zone& z) {
  const int zid = z.id;
  const unsigned orders = orders_in_use(c.m(), z);
  int64_t free_pages = 0, cma = 0, highatomic = 0;
  for (unsigned k = 0; k < orders; k++) {
    // Branch-free sums: this runs for every zone after every op.
    const FreeArea& area = z.free_area[k];
    uint64_t blocks = 0;
    for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++) blocks += area.free_list[ft].count;
    // account_freepages() skips ISOLATE.
    free_pages += static_cast<int64_t>(blocks - area.free_list[MIGRATE_ISOLATE].count) << k;
    cma += int64_t{area.free_list[MIGRATE_CMA].count} << k;
    highatomic += int64_t{area.free_list[MIGRATE_HIGHATOMIC].count} << k;
    if (area.nr_free != blocks && c.better(Inv::NrFreeArea, zid, k))
      cold([&, zid, k, blocks] {
        c.fail(Inv::NrFreeArea, zid, k, {z.zone_start_pfn},
               fmt::format("free_area[{}].nr_free is {} but its lists hold {} blocks", k,
                           area.nr_free, blocks),
               fmt::format("nr_free[{}] == {}", k, blocks),
               fmt::format("nr_free[{}] == {}", k, area.nr_free));
      });
  }
  if (z.nr_free_pages != free_pages && c.better(Inv::NrFreePages, zid, 0))
    cold([&, zid, free_pages] {
      c.fail(Inv::NrFreePages, zid, 0, {z.zone_start_pfn},
             fmt::format("NR_FREE_PAGES is {} but the free lists hold {} pages", z.nr_free_pages,
                         free_pages),
             fmt::format("NR_FREE_PAGES == {}", free_pages),
             fmt::format("NR_FREE_PAGES == {}", z.nr_free_pages));
    });
  if (z.nr_free_cma_pages != cma && c.better(Inv::NrFreeCma, zid, 0))
    cold([&, zid, cma] {
      c.fail(Inv::NrFreeCma, zid, 0, {z.zone_start_pfn},
             fmt::format("NR_FREE_CMA_PAGES is {} but the CMA lists hold {} pages",
                         z.nr_free_cma_pages, cma),
             fmt::format("NR_FREE_CMA_PAGES == {}", cma),
             fmt::format("NR_FREE_CMA_PAGES == {}", z.nr_free_cma_pages));
    });
  if (static_cast<int64_t>(z.nr_free_highatomic) != highatomic &&
      c.better(Inv::NrFreeHighatomic, zid, 0))
    cold([&, zid, highatomic] {
      c.fail(Inv::NrFreeHighatomic, zid, 0, {z.zone_start_pfn},
             fmt::format("nr_free_highatomic is {} but the HighAtomic lists hold {} pages",
                         z.nr_free_highatomic, highatomic),
             fmt::format("nr_free_highatomic == {}", highatomic),
             fmt::format("nr_free_highatomic == {}", z.nr_free_highatomic));
    });
}

void check_highatomic_and_cma(Checker& c, const Zone& z) {
  const Machine& m = c.m();
  const int zid = z.id;
  const uint64_t pb = m.pageblock_nr_pages();
  if (c.wants(Inv::HighatomicLimit)) {
    // reserve_highatomic_pageblock() reserves nothing below one pageblock per 1%, and
    // stops at ALIGN(managed / 100, pageblock_nr). Its "nr_reserved >= max" test runs
    // before adding, and an order > pageblock_order allocation adds 2^order at once, so
    // the counter may overshoot by up to max(pageblock_nr, 2^MAX_ORDER) - pageblock_nr.
    const uint64_t one_pct = z.managed_pages / 100;
    const uint64_t limit = (one_pct + pb - 1) & ~(pb - 1);
    const uint64_t bound =
        one_pct < pb ? 0 : limit - pb + std::max(pb, uint64_t{1} << m.max_order());
    const uint64_t r = z.nr_reserved_highatomic;
    if ((r > bound || r % pb) && c.better(Inv::HighatomicLimit, zid, 0))
      cold([&] {
        c.fail(Inv::HighatomicLimit, zid, 0, {z.zone_start_pfn},
               fmt::format("nr_reserved_highatomic {} {}", static_cast<int64_t>(r),
                           r % pb ? "is not a multiple of pageblock_nr_pages"
                                  : "exceeds the reserve limit"),
               fmt::format("multiple of {} in 0..{} (ALIGN(managed {} / 100, {}) = {})", pb, bound,
                           z.managed_pages, pb, limit),
               fmt::format("nr_reserved_highatomic == {}", static_cast<int64_t>(r)));
      });
  }
  if (c.wants(Inv::CmaPages)) {
    const uint64_t want = configured_cma_pages(m, z);
    if (z.cma_pages != want && c.better(Inv::CmaPages, zid, 0))
      cold([&] {
        c.fail(Inv::CmaPages, zid, 0, {z.zone_start_pfn},
               fmt::format("cma_pages is {} but the zone holds {} configured CMA pageblocks",
                           z.cma_pages, want / pb),
               fmt::format("cma_pages == {}", want), fmt::format("cma_pages == {}", z.cma_pages));
      });
  }
}

void check_pcp_counters(Checker& c, const Zone& z) {
  const Machine& m = c.m();
  const int zid = z.id;
  for (unsigned cpu = 0; cpu < m.nr_cpus(); cpu++) {
    const PerCpuPages& pcp = m.pcp(z.id, cpu);
    if (c.wants(Inv::PcpCount)) {
      // One register accumulator: an array of partial sums indexed by i % 4 stays in
      // memory and chains every add through a store and a load.
      int64_t pages = 0;
      for (unsigned i = 0; i < NR_PCP_LISTS; i++)
        pages += int64_t{pcp.lists[i].count} << c.pindex_order(i);
      if (pages != pcp.count && c.better(Inv::PcpCount, zid, cpu))
        cold([&, zid, cpu, pages] {
          c.fail(Inv::PcpCount, zid, cpu, {z.zone_start_pfn},
                 fmt::format("cpu {} pcp->count is {} but its lists hold {} pages", cpu, pcp.count,
                             pages),
                 fmt::format("pcp->count == {}", pages),
                 fmt::format("pcp->count == {}", pcp.count));
        });
    }
    if (c.wants(Inv::PcpHigh)) {
      // zone_set_pageset_high_and_batch() writes the zone's values into every pcp;
      // zone_highsize() keeps both highs at least batch << 2. high_min > high_max is
      // possible (low watermark above managed / 8) and then clamp() yields high_max.
      // The fraction sysctl only resizes populated zones (for_each_populated_zone).
      const bool fixed = m.config().percpu_pagelist_high_fraction != 0 && z.populated();
      const bool wrong_copy = pcp.high_min != z.pageset_high_min ||
                              pcp.high_max != z.pageset_high_max || pcp.batch != z.pageset_batch;
      const bool small =
          pcp.batch < 1 || pcp.high_min < (pcp.batch << 2) || pcp.high_max < (pcp.batch << 2);
      const bool unequal = fixed && pcp.high_min != pcp.high_max;
      const bool factor = pcp.alloc_factor > PCP_BATCH_SCALE_MAX;
      if ((wrong_copy || small || unequal || factor) && c.better(Inv::PcpHigh, zid, cpu))
        cold([&, zid, cpu, wrong_copy, small, unequal] {
          std::string bad;
          if (wrong_copy)
            bad = fmt::format(
                "pcp high_min/high_max/batch {}/{}/{} but the zone's pageset is {}/{}/{}",
                pcp.high_min, pcp.high_max, pcp.batch, z.pageset_high_min, z.pageset_high_max,
                z.pageset_batch);
          else if (small)
            bad = fmt::format("high_min {} / high_max {} below 4 * batch {}", pcp.high_min,
                              pcp.high_max, pcp.batch);
          else if (unequal)
            bad = fmt::format("high_min {} != high_max {} with percpu_pagelist_high_fraction {}",
                              pcp.high_min, pcp.high_max, m.config().percpu_pagelist_high_fraction);
          else
            bad = fmt::format("alloc_factor {} > PCP_BATCH_SCALE_MAX {}", pcp.alloc_factor,
                              PCP_BATCH_SCALE_MAX);
          c.fail(Inv::PcpHigh, zid, cpu, {z.zone_start_pfn}, fmt::format("cpu {} {}", cpu, bad),
                 "pageset values, highs >= 4 * batch, alloc_factor <= PCP_BATCH_SCALE_MAX", bad);
        });
    }
  }
}

void check_watermarks(Checker& c, const Zone& z) {
  const int zid = z.id;
  const uint64_t* w = z.watermark;
  auto marks = [w] {
    return fmt::format("min {} low {} high {} promo {}", w[WMARK_MIN], w[WMARK_LOW], w[WMARK_HIGH],
                       w[WMARK_PROMO]);
  };
  if (!(w[WMARK_MIN] <= w[WMARK_LOW] && w[WMARK_LOW] <= w[WMARK_HIGH] &&
        w[WMARK_HIGH] <= w[WMARK_PROMO]) &&
      c.better(Inv::WmarkOrder, zid, 0))
    cold([&] {
      c.fail(Inv::WmarkOrder, zid, 0, {z.zone_start_pfn}, "watermarks out of order: " + marks(),
             "min <= low <= high <= promo", marks());
    });
  if (!(w[WMARK_LOW] - w[WMARK_MIN] == w[WMARK_HIGH] - w[WMARK_LOW] &&
        w[WMARK_HIGH] - w[WMARK_LOW] == w[WMARK_PROMO] - w[WMARK_HIGH]) &&
      c.better(Inv::WmarkGaps, zid, 0))
    cold([&] {
      c.fail(Inv::WmarkGaps, zid, 0, {z.zone_start_pfn}, "watermark steps differ: " + marks(),
             "low - min == high - low == promo - high", marks());
    });
  if (c.wants(Inv::LowmemReserve)) {
    const uint64_t* r = z.lowmem_reserve;
    for (unsigned j = 0; j < MAX_NR_ZONES; j++) {
      bool bad = j <= z.type ? r[j] != 0 : r[j] < r[j - 1];
      if (bad && c.better(Inv::LowmemReserve, zid, j)) {
        cold([&, zid, j, r] {
          c.fail(Inv::LowmemReserve, zid, j, {z.zone_start_pfn},
                 fmt::format("lowmem_reserve[{}] = {} ({})", j, r[j],
                             j <= z.type
                                 ? "must be 0 at or below the zone's own index"
                                 : fmt::format("below lowmem_reserve[{}] = {}", j - 1, r[j - 1])),
                 j <= z.type ? "0" : fmt::format(">= {}", r[j - 1]), fmt::format("{}", r[j]));
        });
        break;
      }
    }
  }
  if (c.wants(Inv::BoostLimit)) {
    const uint64_t pb = c.m().pageblock_nr_pages();
    // boost_watermark() never boosts a zone smaller than four pageblocks and adds at
    // most a pageblock per raise (events.boost counts raises; resets only lower it).
    // Its max_boost cap depends on vm.watermark_boost_factor at the time of the raise,
    // which a later, smaller factor does not trim: not checkable from the state.
    const bool tiny = pb * 4 > z.managed_pages;
    const uint64_t cap = tiny ? 0 : pb * z.events.boost;
    if (z.watermark_boost > cap && c.better(Inv::BoostLimit, zid, 0))
      cold([&] {
        c.fail(Inv::BoostLimit, zid, 0, {z.zone_start_pfn},
               fmt::format("watermark_boost {} exceeds {}", z.watermark_boost, cap),
               tiny ? "0 (zone below 4 pageblocks)"
                    : fmt::format("<= {} ({} raises of {} pages)", cap, z.events.boost, pb),
               fmt::format("watermark_boost == {}", z.watermark_boost));
      });
  }
}

}  // namespace

void check_zone_counters(Checker& c, const Zone& z) {
  check_free_counters(c, z);
  check_highatomic_and_cma(c, z);
  check_pcp_counters(c, z);
  check_watermarks(c, z);
}

}  // namespace inv_detail

namespace {

std::optional<Finding> full_check(const Machine& m, bool probes) {
  Checker c(m);
  std::array<ZoneTally, kMaxZones> tally{};
  WalkState ws;
  ws.mode = Mode::Full;
  ws.probes = probes;
  ws.tally = &tally;
  walk_memmap(c, ws);
  std::array<bool, kMaxZones> free_ok{};
  if (probes) probe_free_lists(m, tally, free_ok);
  for (unsigned id = 0; id < m.nr_zones(); id++) {
    const Zone& z = m.zone(id);
    check_zone_lists(c, z, tally[id], free_ok[id]);
    check_zone_counters(c, z);
  }
  if (c.wants(Inv::CmaBlocks) || c.wants(Inv::DmBlocktype))
    for (Pfn p = m.start_pfn(); p < m.end_pfn(); p += m.pageblock_nr_pages()) check_pageblock(c, p);
  // Pages expected present were not looked at one by one: the absent count tells
  // whether any of them is absent, and then an exact pass finds it.
  if ((c.wants(Inv::DmFree) || c.wants(Inv::DmAlloc)) &&
      m.direct_map().nr_absent() != ws.expected_absent) {
    check_direct_map_exact(c);
    if (c.best_inv() > Inv::DmAlloc)  // the exact pass found nothing to name
      cold([&] {
        c.fail(Inv::DmFree, -1, 0, {m.start_pfn()},
               fmt::format("direct map holds {} absent pages, the blocks explain {}",
                           m.direct_map().nr_absent(), ws.expected_absent),
               fmt::format("{} absent pages", ws.expected_absent),
               fmt::format("{} absent pages", m.direct_map().nr_absent()));
      });
  }
  return c.take();
}

}  // namespace

std::optional<Finding> check_invariants(const Machine& m) { return full_check(m, true); }
std::optional<Finding> check_invariants_unprobed(const Machine& m) { return full_check(m, false); }

namespace {

// The incremental check over `pfns`: ascending, without repeats, inside the memmap.
std::optional<Finding> incremental(const Machine& m, const Pfn* pfns, unsigned n) {
  const TouchLog& log = m.touched();
  Checker c(m);
  // The block holding each touched PFN. A touch at a pageblock boundary may be a
  // pageblock retype (set_pageblock_migratetype() and friends are called with aligned
  // PFNs), so every block of that pageblock is walked: hygiene holds for all of them.
  WalkState ws;
  ws.mode = Mode::Incremental;
  const Pfn pb_mask = m.pageblock_nr_pages() - 1;
  Pfn walked_to = 0;
  for (unsigned i = 0; i < n; i++) {
    const Pfn q = pfns[i];
    const Pfn end = (q & pb_mask) ? q + 1 : q + m.pageblock_nr_pages();
    const Pfn from = std::max(find_block_head(m, q), walked_to);
    if (from < end) walked_to = walk_blocks(c, ws, from, end, kLookupZone);
    if (i == 0 || ((pfns[i - 1] ^ q) & ~pb_mask)) check_pageblock(c, q);
  }
  // Counters can only have moved in zones whose PFNs the op touched, unless a zone-wide
  // value changed (TouchLog::zones: sysctls, kswapd, pcp decay, boosts, zone flags).
  if (log.zones) {
    for (unsigned id = 0; id < m.nr_zones(); id++) check_zone_counters(c, m.zone(id));
  } else {
    int last = -1;
    for (unsigned i = 0; i < n; i++) {
      int id = m.page_zone_id(pfns[i]);
      if (id < 0 || id == last) continue;
      bool seen = false;
      for (unsigned j = 0; j < i && !seen; j++) seen = m.page_zone_id(pfns[j]) == id;
      if (!seen) check_zone_counters(c, m.zone(id));
      last = id;
    }
  }
  if (!c.found()) return std::nullopt;
  // Something is wrong: let the full check name the first violation.
  std::optional<Finding> full = check_invariants(m);
  return full ? full : c.take();
}

// A log that needs sorting or filtering (the runner sorts it first; other callers may
// not), copied in a frame of its own so the runner's call keeps a small one.
[[gnu::noinline]] std::optional<Finding> incremental_copy(const Machine& m) {
  const TouchLog& log = m.touched();
  std::array<Pfn, TouchLog::kCapacity> pfns;
  unsigned n = 0;
  for (unsigned i = 0; i < log.n; i++)
    if (m.pfn_in_memmap(log.pfns[i])) pfns[n++] = log.pfns[i];
  std::sort(pfns.begin(), pfns.begin() + n);
  n = static_cast<unsigned>(std::unique(pfns.begin(), pfns.begin() + n) - pfns.begin());
  return incremental(m, pfns.data(), n);
}

}  // namespace

std::optional<Finding> check_invariants_incremental(const Machine& m) {
  const TouchLog& log = m.touched();
  if (log.overflow) return check_invariants(m);
  if (!log.n && !log.zones) return std::nullopt;  // nothing moved: nothing to look at
  bool direct = log.sorted;                       // ascending without repeats
  for (unsigned i = 0; i < log.n && direct; i++) direct = m.pfn_in_memmap(log.pfns[i]);
  return direct ? incremental(m, log.pfns, log.n) : incremental_copy(m);
}

}  // namespace buddycheck
