// SPDX-License-Identifier: GPL-2.0-or-later
// MIGRATE_HIGHATOMIC (reserve_highatomic_pageblock(), unreserve_highatomic_pageblock()
// of Linux 6.12): reserving pageblocks after a
// high-order GFP_ATOMIC allocation made in the slow path (ALLOC_HIGHATOMIC), the ~1%
// limit ALIGN_UP(managed/100, pageblock_nr_pages), no reserve on small zones, who may use
// reserved pages, unreserving them from the slow path (after a reclaim round: non-force,
// keeps one block; in should_reclaim_retry: force), and merging at a HIGHATOMIC block's
// boundary. pageblock_order 2 (four pages per block), MAX_PAGE_ORDER 4.
#include <gtest/gtest.h>

#include <optional>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

constexpr gfp_t kMovable = GFP_KERNEL | __GFP_MOVABLE;

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  return m.alloc_pages(r);
}

Config zone_cfg(uint64_t pages, std::optional<unsigned> min_free_kbytes = std::nullopt) {
  Config c = configs::single_zone(pages, 4, 2);
  c.min_free_kbytes = min_free_kbytes;
  return c;
}

// Fills a zone with movable order-4 blocks, `n` of them (PFN order from 0).
void fill(Machine& m, int n) {
  for (int i = 0; i < n; i++) {
    AllocResult r = alloc(m, kMovable, 4);
    ASSERT_TRUE(r.ok()) << i;
    ASSERT_EQ(r.pfn, Pfn(16 * i));
  }
}

const Zone& zone(const Machine& m) { return m.node_zone(0, ZONE_NORMAL); }

// highatomic-reserve-1: Expect an order-1 GFP_ATOMIC that fails the fast path (48 - 1 <=
// low 56) to succeed in the slow path (min 45 -> 45 - 22 = 23 -> 23 - 5 = 18 < 47) with
// ALLOC_HIGHATOMIC, claim 464-479 for UNMOVABLE, and reserve the pageblock of what it got:
// 464-467 becomes HIGHATOMIC with its free half 466-467, nr_reserved_highatomic 4.
// 512 pages, default min_free_kbytes: int_sqrt(2048*16) = 181, pages_min 45 = min, delta
// max(11, 0) = 11 -> low 56; 29 movable order-4 blocks leave 464-511 (48 pages) free:
//   pfn   0 ......... 463 | 464 465 466 467 | 468 .. 471 | 472 .... 479 | 480 ... 511
//         A (29 x o4)      |  A   A   .   .  |   .  (o2)  |   .  (o3)    |  . (2 x o4)
//                          |   HIGHATOMIC    |  <------ UNMOVABLE ------> |  MOVABLE
TEST(highatomic, reserve_1) {
  Machine m(zone_cfg(512));
  ASSERT_EQ(zone(m).watermark[WMARK_MIN], 45u);
  ASSERT_EQ(zone(m).watermark[WMARK_LOW], 56u);
  fill(m, 29);
  AllocResult r = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.slowpath);
  EXPECT_TRUE(r.alloc_flags & ALLOC_HIGHATOMIC);
  EXPECT_EQ(r.pfn, 464u);
  EXPECT_EQ(m.get_pageblock_migratetype(464), MIGRATE_HIGHATOMIC);
  EXPECT_EQ(m.get_pageblock_migratetype(468), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.page(466).state, PageState::Buddy);
  EXPECT_EQ(m.page(466).list, MIGRATE_HIGHATOMIC);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 4u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 2u);
  EXPECT_EQ(zone(m).events.highatomic_reserve, 1u);
}

// highatomic-reserve-2: Expect the limit ALIGN_UP(512/100 = 5, 4) = 8 pages: a second
// order-1 GFP_ATOMIC (served from 468, the next UNMOVABLE piece) reserves 468-471, a
// third (472) finds 8 >= 8 and reserves nothing.
TEST(highatomic, reserve_2) {
  Machine m(zone_cfg(512));
  fill(m, 29);
  ASSERT_EQ(alloc(m, GFP_ATOMIC, 1).pfn, 464u);
  AllocResult b = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.pfn, 468u);
  EXPECT_EQ(m.get_pageblock_migratetype(468), MIGRATE_HIGHATOMIC);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 8u);
  AllocResult c = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.pfn, 472u);
  EXPECT_EQ(m.get_pageblock_migratetype(472), MIGRATE_UNMOVABLE);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 8u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 4u);  // 466-467 and 470-471
  EXPECT_EQ(zone(m).events.highatomic_reserve, 2u);
}

// highatomic-reserve-3: Expect no reserve when managed/100 < pageblock_nr_pages: 256
// pages (256/100 = 2 < 4). min_free_kbytes 128: min 32, low 40; 14 order-4 blocks leave
// 32 free, so an order-1 GFP_ATOMIC goes to the slow path (31 <= 40; 31 > 32 -> 16 -> 12)
// with ALLOC_HIGHATOMIC and claims 224-239 for UNMOVABLE, but nothing becomes HIGHATOMIC.
TEST(highatomic, reserve_3) {
  Machine m(zone_cfg(256));
  ASSERT_EQ(zone(m).watermark[WMARK_MIN], 32u);
  fill(m, 14);
  AllocResult r = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.alloc_flags & ALLOC_HIGHATOMIC);
  EXPECT_EQ(r.pfn, 224u);
  EXPECT_EQ(m.get_pageblock_migratetype(224), MIGRATE_UNMOVABLE);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 0u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 0u);
}

// highatomic-reserve-4: Expect no reserve from the fast path (it never sets
// ALLOC_HIGHATOMIC): on the fresh 512-page zone an order-1 GFP_ATOMIC succeeds at once.
TEST(highatomic, reserve_4) {
  Machine m(zone_cfg(512));
  AllocResult r = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.slowpath);
  EXPECT_FALSE(r.alloc_flags & ALLOC_HIGHATOMIC);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 0u);
}

// A 4096-page zone with min_free_kbytes 64: pages_min 16 = min; delta max(4, 4) = 4 ->
// low 20; limit ALIGN_UP(40, 4) = 40. 255 order-4 blocks leave 4080-4095; four order-1
// GFP_ATOMIC allocations (each in the slow path: free - 1 - free highatomic <= 20, but
// free - 1 > 16 - 8 - 2 = 6) take 4080, 4084, 4088, 4092 and reserve their four
// pageblocks, so that the only free pages are the four highatomic halves:
//   pfn  4080 4081 4082 4083 | 4084 .. 4087 | 4088 .. 4091 | 4092 .. 4095
//          A    A    .    .  |  A  A  .  .  |  A  A  .  .  |  A  A  .  .
//                 HIGHATOMIC |  HIGHATOMIC  |  HIGHATOMIC  |  HIGHATOMIC
Machine reserved(int blocks) {
  Machine m(zone_cfg(4096, 64));
  EXPECT_EQ(zone(m).watermark[WMARK_MIN], 16u);
  EXPECT_EQ(zone(m).watermark[WMARK_LOW], 20u);
  fill(m, 255);
  for (int i = 0; i < blocks; i++) {
    AllocResult r = alloc(m, GFP_ATOMIC, 1);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.slowpath);
    EXPECT_EQ(r.pfn, 4080u + 4 * i);
  }
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 4u * blocks);
  return m;
}

// highatomic-use-1: Expect the reserved pages to be off limits for GFP_KERNEL (its
// watermark does not count them: 8 - 8 = 0 <= min 16) but usable by an order-0
// GFP_ATOMIC: reserve users count them (8 > 16 - 8 - 2 = 6), __rmqueue() finds nothing
// of its own or fallback types, and rmqueue_buddy() then takes the head of the
// HIGHATOMIC lists for a NON_BLOCK request: 4082.
TEST(highatomic, use_1) {
  Machine m = reserved(4);
  ASSERT_EQ(zone(m).nr_free_pages, 8);
  ASSERT_EQ(zone(m).nr_free_highatomic, 8u);
  AllocResult k = alloc(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
  EXPECT_EQ(k.status, AllocStatus::Failed);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 16u);  // NORETRY: nothing unreserved
  AllocResult a = alloc(m, GFP_ATOMIC, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.pfn, 4082u);
  EXPECT_EQ(m.get_pageblock_migratetype(a.pfn), MIGRATE_HIGHATOMIC);
  EXPECT_EQ(zone(m).nr_free_highatomic, 7u);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 16u);
}

// highatomic-use-2: Expect an order-1 GFP_ATOMIC (ALLOC_HIGHATOMIC) to try the HIGHATOMIC
// list first in rmqueue_buddy() (8 - 1 > 6) and get 4082; reserving around it changes
// nothing because its block is already HIGHATOMIC (not a mergeable type).
TEST(highatomic, use_2) {
  Machine m = reserved(4);
  AllocResult b = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.pfn, 4082u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 6u);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 16u);
  EXPECT_EQ(zone(m).events.highatomic_reserve, 4u);
  // And a second one no longer fits the discounted min: 6 - 1 <= 6.
  EXPECT_EQ(alloc(m, GFP_ATOMIC | __GFP_NOWARN, 1).status, AllocStatus::Failed);
}

// highatomic-unreserve-1: Expect a reclaim round that reports progress but frees nothing
// to unreserve one block without force (16 > 4 reserved): the first highatomic page from
// order 0 up is 4082, so 4080-4083 goes back to UNMOVABLE (the request's type) and the
// count drops by max(4, 2) = 4; __GFP_NORETRY then gives up (2 usable <= 16).
TEST(highatomic, unreserve_1) {
  Machine m = reserved(4);
  m.hooks().direct_reclaim = [](Machine&, const ReclaimContext&) -> uint64_t { return 1; };
  AllocResult k = alloc(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
  EXPECT_EQ(k.status, AllocStatus::Failed);
  EXPECT_EQ(m.stats().direct_reclaim_calls, 1u);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 12u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 6u);
  EXPECT_EQ(m.get_pageblock_migratetype(4080), MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.page(4082).list, MIGRATE_UNMOVABLE);
  EXPECT_EQ(m.get_pageblock_migratetype(4084), MIGRATE_HIGHATOMIC);
  EXPECT_EQ(zone(m).events.highatomic_unreserve, 1u);
}

// highatomic-unreserve-2: Expect the non-force unreserve to keep the last block: with one
// reserved block (4 <= pageblock_nr_pages) the same reclaim round unreserves nothing.
TEST(highatomic, unreserve_2) {
  Machine m = reserved(1);
  m.hooks().direct_reclaim = [](Machine&, const ReclaimContext&) -> uint64_t { return 1; };
  AllocResult k = alloc(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
  EXPECT_EQ(k.status, AllocStatus::Failed);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 4u);
  EXPECT_EQ(m.get_pageblock_migratetype(4080), MIGRATE_HIGHATOMIC);
  EXPECT_EQ(zone(m).events.highatomic_unreserve, 0u);
}

// highatomic-unreserve-3: Expect GFP_KERNEL without __GFP_NORETRY (default hooks: no
// reclaim progress) to force-unreserve in should_reclaim_retry, one block per retry
// until none is left (4 unreserves, count 0, all four blocks UNMOVABLE), and then fail:
// 8 usable pages are still below min 16.
TEST(highatomic, unreserve_3) {
  Machine m = reserved(4);
  AllocResult k = alloc(m, GFP_KERNEL | __GFP_NOWARN, 0);
  EXPECT_EQ(k.status, AllocStatus::Failed);
  EXPECT_EQ(zone(m).nr_reserved_highatomic, 0u);
  EXPECT_EQ(zone(m).nr_free_highatomic, 0u);
  EXPECT_EQ(zone(m).events.highatomic_unreserve, 4u);
  for (Pfn b = 4080; b < 4096; b += 4)
    EXPECT_EQ(m.get_pageblock_migratetype(b), MIGRATE_UNMOVABLE) << b;
  EXPECT_EQ(zone(m).nr_free_pages, 8);
}

// highatomic-merge-1: Expect a freed pair in a HIGHATOMIC block to wait on the MOVABLE pcp
// list (highatomic pages are cached as movable), then to merge with 4082-4083 into an
// order-2 HIGHATOMIC block that stops at the pageblock boundary: 4084-4087 stays a separate
// order-2 UNMOVABLE block. One reserved block, then its allocation 4080-4081 freed:
//   pfn  4080 4081 4082 4083 | 4084 4085 4086 4087 | 4088 ........ 4095
//          A    A    .    .  |   .    .    .    .  |   .  order 3
//              HIGHATOMIC    |      UNMOVABLE      |   UNMOVABLE
TEST(highatomic, merge_1) {
  Machine m = reserved(1);
  ASSERT_EQ(m.page(4084).state, PageState::Buddy);
  ASSERT_EQ(m.page(4084).order, 2);
  ASSERT_TRUE(m.free_pages(4080, 1).ok());
  EXPECT_EQ(m.page(4080).state, PageState::Pcp);
  EXPECT_EQ(m.page(4080).list, m.order_to_pindex(MIGRATE_MOVABLE, 1));
  m.drain_all_pages();
  EXPECT_EQ(m.page(4080).state, PageState::Buddy);
  EXPECT_EQ(m.page(4080).order, 2);
  EXPECT_EQ(m.page(4080).list, MIGRATE_HIGHATOMIC);
  EXPECT_EQ(m.page(4084).state, PageState::Buddy);
  EXPECT_EQ(m.page(4084).order, 2);
  EXPECT_EQ(m.page(4084).list, MIGRATE_UNMOVABLE);
  EXPECT_EQ(zone(m).nr_free_highatomic, 4u);
  EXPECT_EQ(m.get_pageblock_migratetype(4080), MIGRATE_HIGHATOMIC);
}

}  // namespace
