// SPDX-License-Identifier: GPL-2.0-or-later
// Falling back to other migratetypes (__rmqueue(), try_to_steal_block(),
// boost_watermark()): claiming a whole
// pageblock versus stealing one block, the half-free threshold, ALLOC_NOFRAGMENT,
// watermark boosting on partial claims, the CMA balancing rule, and mobility grouping
// off. Zones are tiny (pageblock_order 2: four pages per block, so "half" is two pages)
// and mostly DMA32, where the fast path does not set ALLOC_NOFRAGMENT; expectations are
// worked out from __rmqueue() and try_to_steal_block() of Linux 6.12.117.
//
// Legend in the diagrams:  . free   A allocated   M movable allocation
//                          U unmovable allocation   C CMA block
#include <gtest/gtest.h>

#include <optional>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

constexpr gfp_t kMovable = GFP_KERNEL | __GFP_MOVABLE;

Config zone_cfg(uint64_t pages, unsigned max_order, std::optional<unsigned> min_free_kbytes,
                ZoneType type = ZONE_DMA32) {
  Config c = configs::single_zone(pages, max_order, 2);
  c.nodes[0].zones[0].type = type;
  c.min_free_kbytes = min_free_kbytes;
  return c;
}

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order, unsigned cpu = 0) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  r.cpu = cpu;
  return m.alloc_pages(r);
}

void free_now(Machine& m, Pfn pfn, unsigned order) {
  ASSERT_TRUE(m.free_pages(pfn, order).ok()) << pfn;
  m.drain_all_pages();
}

// The "half-used" layout of a 32-page zone, MAX_PAGE_ORDER 3: sixteen movable order-1
// allocations (0-31 in PFN order), then the first pair of every pageblock whose second
// pair is allocated freed, the last such block last; with `compound` the allocations are folios, so
// both of their pages count as movable when a claim looks at the block.
//   pfn   0  1  2  3 | 4  5  6  7 | ... |28 29 30 31
//         .  .  M  M | .  .  M  M | ... | .  .  M  M
// (with marks above 0 the last pair cannot be allocated: see boosted setup below)
void half_used(Machine& m, bool compound, int pairs) {
  for (int i = 0; i < pairs; i++) {
    AllocResult r = alloc(m, kMovable | (compound ? __GFP_COMP : 0), 1);
    ASSERT_TRUE(r.ok()) << i;
    ASSERT_EQ(r.pfn, Pfn(2 * i));
  }
  for (Pfn p = 0; p + 2 < Pfn(2 * pairs); p += 4) free_now(m, p, 1);
}

// fallback-claim-1: Expect an UNMOVABLE order-0 request with only half-free MOVABLE
// blocks left to claim the block at the head of the order-1 list (28-31, freed last):
// free 2 + alike (4 - 2 free - 2 movable = 0) = 2 >= 4/2. The block becomes UNMOVABLE,
// its free pages move along, 28 is handed out and 29 stays free on the UNMOVABLE list.
TEST(fallback, claim_1) {
  Machine m(zone_cfg(32, 3, 0));
  half_used(m, /*compound=*/true, 16);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  ASSERT_EQ(z.nr_free_pages, 16);
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 28u);
  EXPECT_EQ(m.get_pageblock_migratetype(28), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.page(29).state, PageState::Buddy);
  EXPECT_EQ(m.page(29).list, MIGRATE_UNMOVABLE);
  EXPECT_EQ(z.events.extfrag_claim, 1u);
  EXPECT_EQ(z.events.extfrag_steal, 0u);
  // High watermark 0 here: nothing to boost (mult_frac(0, 15000, 10000) = 0).
  EXPECT_EQ(z.watermark_boost, 0u);
  for (Pfn b = 0; b < 28; b += 4) EXPECT_EQ(m.get_pageblock_migratetype(b), MIGRATE_MOVABLE) << b;
}

// fallback-claim-2: Expect an UNMOVABLE order-0 request not to claim a MOVABLE block with
// one free page whose other pages are all movable allocations (free 1 + alike 0 < 2), but
// to steal page 3, leaving the block MOVABLE. A 16-page zone, 3 the only free page:
//   pfn   0  1  2  3 | 4 .. 7 | 8 ..... 15
//         M  M  M  . | A .. A | A ..... A
TEST(fallback, claim_2) {
  Machine m(zone_cfg(16, 3, 0));
  ASSERT_EQ(alloc(m, kMovable | __GFP_COMP, 1).pfn, 0u);  // splits 0-7: 2-3 and 4-7 free
  ASSERT_EQ(alloc(m, kMovable, 0).pfn, 2u);               // one page pulled: 3 stays free
  ASSERT_EQ(alloc(m, kMovable, 2).pfn, 4u);
  ASSERT_EQ(alloc(m, kMovable, 3).pfn, 8u);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  ASSERT_EQ(z.nr_free_pages, 1);
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 3u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_MOVABLE);
  EXPECT_EQ(z.events.extfrag_claim, 0u);
  EXPECT_EQ(z.events.extfrag_steal, 1u);
}

// An UNMOVABLE pageblock 0-3 with 2-3 free and everything else allocated. 16 pages,
// MAX_PAGE_ORDER 3: GFP_KERNEL order 1 claims the whole first order-3 block (pageblocks
// 0-3 and 4-7 become UNMOVABLE) and leaves 2-3 (order 1) and 4-7 (order 2) free; 4-7
// and 8-15 are then allocated.
Machine unmovable_block() {
  Machine m(zone_cfg(16, 3, 0));
  EXPECT_EQ(alloc(m, GFP_KERNEL, 1).pfn, 0u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.get_pageblock_migratetype(4), MIGRATE_UNMOVABLE);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 2).pfn, 4u);
  EXPECT_EQ(alloc(m, kMovable, 3).pfn, 8u);
  return m;
}

// fallback-claim-3: Expect a MOVABLE order-1 request to claim the UNMOVABLE block 0-3
// holding a free order-1 pair (the fallback block is order 1 >= pageblock_order/2; free 2 +
// movable 0 >= 2): block 0-3 becomes MOVABLE and 2 is handed out.
//   pfn   0  1  2  3 | 4 .. 15
//         U  U  .  . | A .. A
TEST(fallback, claim_3) {
  Machine m = unmovable_block();
  AllocResult r = alloc(m, kMovable, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 2u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_MOVABLE);
  EXPECT_EQ(m.node_zone(0, ZONE_DMA32).events.extfrag_claim, 2u);  // GFP_KERNEL's + this
}

// fallback-steal-1: Expect a MOVABLE order-0 request whose only fallback blocks are order 0
// (< pageblock_order/2 = 1) not to claim but to steal the head of the UNMOVABLE order-0
// list (3, freed last): the block stays UNMOVABLE and 1 stays free on the UNMOVABLE list,
// although a claim would have found half the block free. A 16-page zone, two CPUs: four
// GFP_KERNEL order-0 allocations on CPU 0 claim 0-7 for UNMOVABLE and take 0-3 (pcp
// refills of 1, 2 and 3 pages; the extra 4-5 is drained back); 1 and 3 are freed, 4-7 and
// 8-15 allocated; the request runs on CPU 1 (one page pulled):
//   pfn   0  1  2  3 | 4 .. 7 | 8 ..... 15
//         U  .  U  . | U .. U | M ..... M
TEST(fallback, steal_1) {
  Config c = zone_cfg(16, 3, 0);
  c.cpu_node = {0, 0};
  Machine m(c);
  for (Pfn p = 0; p < 4; p++) ASSERT_EQ(alloc(m, GFP_KERNEL, 0, 0).pfn, p);
  m.drain_all_pages();
  free_now(m, 1, 0);
  free_now(m, 3, 0);
  ASSERT_EQ(alloc(m, GFP_KERNEL, 2, 0).pfn, 4u);
  ASSERT_EQ(alloc(m, kMovable, 3, 0).pfn, 8u);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  ASSERT_EQ(z.nr_free_pages, 2);
  ASSERT_EQ(z.events.extfrag_claim, 1u);  // the first GFP_KERNEL allocation
  AllocResult r = alloc(m, kMovable, 0, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 3u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.page(1).state, PageState::Buddy);
  EXPECT_EQ(m.page(1).list, MIGRATE_UNMOVABLE);
  EXPECT_EQ(z.events.extfrag_steal, 1u);
  EXPECT_EQ(z.events.extfrag_claim, 1u);
}

// DMA32 0-15 and NORMAL 16-31 on one node, MAX_PAGE_ORDER 3, marks 0. NORMAL is used
// down to one free order-1 pair in a MOVABLE block:
//   pfn   0 ............ 15 | 16 17 18 19 | 20 .. 23 | 24 ..... 31
//         DMA32: . (2 x o3)  |  M  M  .  . |  A .. A  |  A ..... A
Machine normal_with_pair() {
  Config c;
  c.max_page_order = 3;
  c.pageblock_order = 2;
  c.min_free_kbytes = 0;
  c.nodes.push_back(NodeConfig{.zones = {
                                   ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 16},
                                   ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 16, .pages = 16},
                               }});
  Machine m(c);
  EXPECT_EQ(alloc(m, kMovable, 1).pfn, 16u);
  EXPECT_EQ(alloc(m, kMovable, 2).pfn, 20u);
  EXPECT_EQ(alloc(m, kMovable, 3).pfn, 24u);
  return m;
}

// fallback-nofrag-1: Expect ALLOC_NOFRAGMENT (preferred zone NORMAL, DMA32 populated) to
// refuse the sub-pageblock claim of 18-19 in NORMAL and to take a whole block from DMA32
// instead: PFN 0, DMA32's first order-3 block turned UNMOVABLE, NORMAL untouched.
TEST(fallback, nofrag_1) {
  Machine m = normal_with_pair();
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(m.zone(r.zone).type, ZONE_DMA32);
  EXPECT_TRUE(r.alloc_flags & ALLOC_NOFRAGMENT);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.get_pageblock_migratetype(16), MIGRATE_MOVABLE);
  EXPECT_EQ(m.page(18).state, PageState::Buddy);
  EXPECT_EQ(m.page(18).list, MIGRATE_MOVABLE);
}

// fallback-nofrag-2: Expect the fast path, once every zone failed with NOFRAGMENT, to
// drop it and retry: with DMA32 full as well, the UNMOVABLE request claims NORMAL's
// half-free block 16-19 (free 2 + alike 1 >= 2) and gets 18.
TEST(fallback, nofrag_2) {
  Machine m = normal_with_pair();
  ASSERT_EQ(alloc(m, kMovable | GFP_DMA32, 3).pfn, 0u);
  ASSERT_EQ(alloc(m, kMovable | GFP_DMA32, 3).pfn, 8u);
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.slowpath);
  EXPECT_EQ(r.pfn, 18u);
  EXPECT_FALSE(r.alloc_flags & ALLOC_NOFRAGMENT);
  EXPECT_EQ(m.get_pageblock_migratetype(16), MIGRATE_UNMOVABLE);
}

// fallback-nofrag-3: Expect NOFRAGMENT to be dropped before leaving the local node
// (locality beats fragmentation avoidance): with node 0 laid out as in nofrag-2 and a
// second node 1 (32-63) all free, the UNMOVABLE request still claims node 0's half-free
// block and gets 18 rather than a whole block on node 1; on a NUMA machine without
// DMA32 the fast path never sets NOFRAGMENT at all.
TEST(fallback, nofrag_3) {
  Config c;
  c.max_page_order = 3;
  c.pageblock_order = 2;
  c.min_free_kbytes = 0;
  c.nodes.push_back(NodeConfig{.zones = {
                                   ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 16},
                                   ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 16, .pages = 16},
                               }});
  c.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 32, .pages = 32}}});
  c.cpu_node = {0, 1};
  Machine m(c);
  ASSERT_EQ(alloc(m, kMovable, 1).pfn, 16u);
  ASSERT_EQ(alloc(m, kMovable, 2).pfn, 20u);
  ASSERT_EQ(alloc(m, kMovable, 3).pfn, 24u);
  ASSERT_EQ(alloc(m, kMovable | GFP_DMA32, 3).pfn, 0u);
  ASSERT_EQ(alloc(m, kMovable | GFP_DMA32, 3).pfn, 8u);
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 18u);
  EXPECT_FALSE(r.alloc_flags & ALLOC_NOFRAGMENT);
  EXPECT_EQ(m.node_zone(1, ZONE_NORMAL).nr_free_pages, 32);

  Machine n(configs::numa(2, 1024, 4, 2));
  AllocResult q = alloc(n, GFP_KERNEL, 0);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q.alloc_flags & ALLOC_NOFRAGMENT);
}

// fallback-boost-1: Expect an UNMOVABLE order-0 claim of a partial block (24-27, head of
// the order-1 list) to raise watermark_boost to min(0 + 4, max(4, mult_frac(1, 15000,
// 10000) = 1)) = 4, and, GFP_KERNEL having __GFP_KSWAPD_RECLAIM, to set
// ZONE_BOOSTED_WATERMARK, which the same rmqueue() clears when it wakes kswapd. The
// half-used layout in a 32-page zone whose marks are all 1 (min_free_kbytes 4: pages_min 1,
// tmp 1*32/32 = 1, delta max(0, 0) = 0), fifteen pairs allocated (a sixteenth would leave
// 0 free):
//   pfn   0  1  2  3 | ... |24 25 26 27 |28 29 30 31
//         .  .  M  M | ... | .  .  M  M | M  M  .  .
TEST(fallback, boost_1) {
  Machine m(zone_cfg(32, 3, 4));
  half_used(m, false, 15);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  ASSERT_EQ(z.watermark[WMARK_HIGH], 1u);
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 24u);
  EXPECT_EQ(z.watermark_boost, 4u);
  EXPECT_EQ(z.high_wmark_pages(), 5u);
  EXPECT_EQ(z.events.boost, 1u);
  EXPECT_FALSE(z.test_flag(ZONE_BOOSTED_WATERMARK));
  EXPECT_EQ(z.events.kswapd_wake, 1u);
}

// fallback-boost-2: Expect the same claim without __GFP_KSWAPD_RECLAIM to boost the
// watermark but neither flag the zone nor wake kswapd, and the boost to stay capped at
// max(pageblock 4, mult_frac(high 1, 15000, 10000) = 1) = 4 when a second partial claim
// follows: CPU 1 first takes the leftover 25 (one page pulled), then pulls two pages,
// which claims 20-23, the next head of the order-1 list.
TEST(fallback, boost_2) {
  Config c = zone_cfg(32, 3, 4);
  c.cpu_node = {0, 0};
  Machine m(c);
  half_used(m, false, 15);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  const gfp_t no_kswapd = GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM;
  AllocResult r = alloc(m, no_kswapd, 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 24u);
  EXPECT_EQ(z.watermark_boost, 4u);
  EXPECT_FALSE(z.test_flag(ZONE_BOOSTED_WATERMARK));
  EXPECT_EQ(z.events.kswapd_wake, 0u);
  ASSERT_EQ(alloc(m, no_kswapd, 0, 1).pfn, 25u);
  AllocResult s = alloc(m, no_kswapd, 0, 1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.pfn, 20u);
  EXPECT_EQ(m.get_pageblock_migratetype(20), MIGRATE_UNMOVABLE);
  EXPECT_EQ(z.events.boost, 2u);
  EXPECT_EQ(z.watermark_boost, 4u);
}

// fallback-boost-3: Expect a claim of a whole free pageblock (order >= pageblock_order)
// not to boost: a fresh 32-page zone with marks 1, GFP_KERNEL order 0 claims the first
// order-3 block outright.
TEST(fallback, boost_3) {
  Machine m(zone_cfg(32, 3, 4));
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  EXPECT_EQ(z.watermark_boost, 0u);
  EXPECT_EQ(z.events.boost, 0u);
  EXPECT_EQ(z.events.extfrag_claim, 1u);
}

// fallback-cma-1: Expect a movable order-0 request to be served from CMA first when
// NR_FREE_CMA 24 > NR_FREE 32 / 2 (balancing): the head of the CMA order-3 list, 24 (CMA
// blocks are freed at boot one pageblock at a time, each merged block going to the head).
// CMA covers 8-31 of the 32-page zone:
//   pfn   0 ...... 7 | 8 .................................... 31
//         . MOVABLE  | C C C C C C C C C C C C C C C C C C C C C C C C
TEST(fallback, cma_1) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.cma = {{8, 32}};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  AllocResult r = alloc(m, kMovable, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 24u);
  EXPECT_EQ(m.get_pageblock_migratetype(r.pfn), MIGRATE_CMA);
  EXPECT_EQ(z.events.cma_alloc, 1u);
  EXPECT_EQ(z.nr_free_cma_pages, 23);
}

// fallback-cma-2: Expect exactly half in CMA (16-31: 16 > 32/2 is false) not to trigger
// balancing, so an order-3 movable request gets MOVABLE 0; after that 16 of the 24 free
// pages are CMA (16 > 12) and the next one is served from CMA's head block, 24.
TEST(fallback, cma_2) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.cma = {{16, 32}};
  Machine m(c);
  AllocResult r = alloc(m, kMovable, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  // Now 16 CMA of 24 free: balancing takes over (16 > 12).
  AllocResult s = alloc(m, kMovable, 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(m.get_pageblock_migratetype(s.pfn), MIGRATE_CMA);
  EXPECT_EQ(s.pfn, 24u);
}

// fallback-cma-3: Expect unmovable requests never to be served from CMA, even with CMA
// holding most free memory: GFP_KERNEL claims MOVABLE 0-7, and fails once only CMA is
// left.
TEST(fallback, cma_3) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.cma = {{8, 32}};
  Machine m(c);
  AllocResult r = alloc(m, GFP_KERNEL, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  AllocResult s = alloc(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
  EXPECT_EQ(s.status, AllocStatus::Failed);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).nr_free_cma_pages, 24);
}

// fallback-cma-4: Expect a movable request inside a memalloc_pin scope (PF_MEMALLOC_PIN:
// current_gfp_context() drops __GFP_MOVABLE, long-term pins must not land in CMA) to be
// treated as UNMOVABLE without ALLOC_CMA: it claims MOVABLE 0-7 although CMA holds 24 of
// the 32 free pages.
TEST(fallback, cma_4) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.cma = {{8, 32}};
  Machine m(c);
  AllocRequest req;
  req.gfp = GFP_HIGHUSER_MOVABLE;
  req.task.pf_memalloc_pin = true;
  AllocResult r = m.alloc_pages(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_FALSE(r.alloc_flags & ALLOC_CMA);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).nr_free_cma_pages, 24);
}

// fallback-nogroup-1: Expect mobility grouping off to make every request UNMOVABLE:
// GFP_HIGHUSER_MOVABLE gets no ALLOC_CMA (so never CMA despite 24 > 32/2) and claims the
// MOVABLE block 0-7 as UNMOVABLE.
TEST(fallback, nogroup_1) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.cma = {{8, 32}};
  c.mobility_grouping = false;
  Machine m(c);
  AllocResult r = alloc(m, GFP_HIGHUSER_MOVABLE, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_FALSE(r.alloc_flags & ALLOC_CMA);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.page(0).flags & PG_movable_alloc, 0);
}

// fallback-nogroup-2: Expect grouping off to fold RECLAIMABLE and MOVABLE requests onto
// the UNMOVABLE lists: a __GFP_RECLAIMABLE request claims 0-7 as UNMOVABLE (not
// RECLAIMABLE), and a following movable request is served from the same block's
// leftovers (pcp refill of two pages: 1 and 2) without another claim.
TEST(fallback, nogroup_2) {
  Config c = zone_cfg(32, 3, 0, ZONE_NORMAL);
  c.mobility_grouping = false;
  Machine m(c);
  ASSERT_EQ(alloc(m, GFP_KERNEL | __GFP_RECLAIMABLE, 0).pfn, 0u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
  AllocResult r = alloc(m, GFP_HIGHUSER_MOVABLE, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 1u);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_EQ(z.events.extfrag_claim, 1u);
  EXPECT_EQ(m.pcp(z.id, 0).count, 1);  // 2 waits on the UNMOVABLE list
  EXPECT_EQ(m.get_pageblock_migratetype(8), MIGRATE_MOVABLE);
}

}  // namespace
