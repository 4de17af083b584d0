// SPDX-License-Identifier: GPL-2.0-or-later
// The structural invariants (oracles/invariants.def): every rule fires on a
// machine corrupted on purpose, with exactly its own ID, in the full check and -- when
// the corruption sits at touched PFNs -- in the incremental check; and a clean machine
// driven through many random operations passes both checks after every operation
// (invariants_agree_test.cc).
//
// Corruption goes through MachineCorruptor (oracles/corrupt.h), never through alloc/'s
// API. Most tests use the small machine below, where a MAX_ORDER block spans four
// pageblocks so multi-pageblock rules have something to bite on:
//
//   pfn  0          512      576                 1024
//        |  MOVABLE  |   CMA  |      MOVABLE       |   max_order 4 (16 pages)
//        +-----------+--------+--------------------+   pageblock_order 2 (4 pages)
//                                                      2 CPUs on node 0
#include "properties/invariants_fixture.h"

namespace {

using namespace invtest;

// ---- table --------------------------------------------------------------------------

// inv-table-1: Expect every invariant to have a distinct "INV-" ID, a rule and a kernel
// reference, and invariant_by_id() to find each one and nothing else.
TEST(invariants, table_ids) {
  std::set<std::string> ids;
  for (unsigned i = 0; i < static_cast<unsigned>(Inv::kCount); i++) {
    const auto& info = buddycheck::invariant_info(static_cast<Inv>(i));
    EXPECT_EQ(info.id.substr(0, 4), "INV-");
    EXPECT_FALSE(info.rule.empty());
    EXPECT_FALSE(info.kernel.empty());
    EXPECT_TRUE(ids.insert(std::string(info.id)).second) << info.id;
    EXPECT_EQ(buddycheck::invariant_by_id(info.id), static_cast<Inv>(i));
  }
  EXPECT_EQ(buddycheck::invariant_by_id("INV-NOPE"), std::nullopt);
}

// The IDs the *_fires tests below cover; inv-table-2 keeps it equal to the table.
const char* const kFireTested[] = {
    "INV-BUDDY-ALIGN",        "INV-BUDDY-ZONE",
    "INV-PARTITION",          "INV-BUDDY-META",
    "INV-LIST-LINKS",         "INV-LIST-FLAG",
    "INV-NR-FREE-AREA",       "INV-NO-CROSS-MERGE",
    "INV-MULTIBLOCK-UNIFORM", "INV-HYGIENE",
    "INV-BUDDY-MERGED",       "INV-NR-FREE-PAGES",
    "INV-NR-FREE-CMA",        "INV-NR-FREE-HIGHATOMIC",
    "INV-HIGHATOMIC-LIMIT",   "INV-CMA-BLOCKS",
    "INV-CMA-PAGES",          "INV-PCP-MEMBER",
    "INV-PCP-COUNT",          "INV-PCP-HIGH",
    "INV-WMARK-ORDER",        "INV-WMARK-GAPS",
    "INV-LOWMEM-RESERVE",     "INV-BOOST-LIMIT",
    "INV-DM-BLOCKTYPE",       "INV-DM-FREE",
    "INV-DM-ALLOC",
};

// inv-table-2: Expect every invariant ID to have a fires test here or in
// invariants_zone_test.cc.
TEST(invariants, every_id_has_a_fires_test) {
  std::set<std::string> tested(std::begin(kFireTested), std::end(kFireTested));
  for (unsigned i = 0; i < static_cast<unsigned>(Inv::kCount); i++) {
    std::string id(buddycheck::invariant_info(static_cast<Inv>(i)).id);
    EXPECT_EQ(tested.count(id), 1u) << id << " has no fires test";
    tested.erase(id);
  }
  EXPECT_TRUE(tested.empty()) << "tests for unknown IDs: " << *tested.begin();
}

// ---- structural buddy ---------------------------------------------------------------

// inv-buddy-align: Expect a free block whose order is raised past its alignment (an
// upper half at pfn 2^k*odd claiming order k+1) to be reported as misaligned.
TEST(invariants, buddy_align_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [&](Pfn p, const Page& pg) {
    return pg.order < m.max_order() && (p & (Pfn{1} << pg.order));
  });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.page(h).order++;
  c.touch(h);
  expect_fires(m, "INV-BUDDY-ALIGN");
}

// inv-buddy-align-2: Expect an allocated head with an order above MAX_PAGE_ORDER to be
// reported.
TEST(invariants, buddy_align_order_too_large_fires) {
  Machine m(small_cfg());
  auto live = warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  c.page(live[0].pfn).order = static_cast<uint8_t>(m.max_order() + 1);
  c.touch(live[0].pfn);
  expect_fires(m, "INV-BUDDY-ALIGN");
}

// inv-buddy-zone: Expect the zone's last free block, grown to an aligned order that
// runs past the zone end (pfn 1000 of a 1000-page zone), to be reported.
//
//   984      992       1000     1008
//   |        |order 3   |  hole  |     order 3 -> 4: [992, 1008) crosses the end
TEST(invariants, buddy_zone_fires) {
  Config cfg = configs::single_zone(1000, 4, 2);
  Machine m(cfg);
  expect_clean(m);
  const Zone& z = m.zone(zone_of(m, 0));
  Pfn h = find_head(m, PageState::Buddy, [&](Pfn p, const Page& pg) {
    unsigned k = pg.order + 1u;
    return k <= m.max_order() && !(p & ((Pfn{1} << k) - 1)) && p + (Pfn{1} << k) > z.zone_end_pfn();
  });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.page(h).order++;
  c.touch(h);
  expect_fires(m, "INV-BUDDY-ZONE");
}

// inv-partition: Expect a page inside a free block marked allocated (a double
// allocation) to be reported.
TEST(invariants, partition_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [](Pfn, const Page& pg) { return pg.order >= 1; });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  Page& p = c.page(h + 1);
  p.state = PageState::Allocated;
  p.order = 0;
  p.refcount = 1;
  c.touch(h + 1);
  expect_fires(m, "INV-PARTITION");
}

// inv-partition-2: Expect an allocation whose head lost its state (a leaked block: its
// pages belong to no block) to be reported.
TEST(invariants, partition_leak_fires) {
  Machine m(small_cfg());
  auto live = warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  c.page(live[0].pfn).state = PageState::Tail;
  c.touch(live[0].pfn);
  expect_fires(m, "INV-PARTITION");
}

// inv-buddy-meta: Expect a free block head with a nonzero refcount to be reported.
TEST(invariants, buddy_meta_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.page(h).refcount = 1;
  c.touch(h);
  expect_fires(m, "INV-BUDDY-META");
}

// ---- lists --------------------------------------------------------------------------

// inv-list-links: Expect the second entry of a free list whose prev link is cut (it
// claims to be the first) to be reported.
TEST(invariants, list_links_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn second = find_head(m, PageState::Buddy, [](Pfn, const Page& pg) { return pg.prev != kNil; });
  ASSERT_NE(second, kNoPfn);
  MachineCorruptor c(m);
  c.page(second).prev = kNil;
  c.touch(second);
  expect_fires(m, "INV-LIST-LINKS");
}

// inv-list-links-2: Expect a per-cpu list whose count is one more than its entries to
// be reported (the incremental check sees it through the pcp counters).
TEST(invariants, list_links_pcp_count_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Pcp);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.pcp(zone_of(m, h), m.page(h).cpu).lists[m.page(h).list].count++;
  expect_fires(m, "INV-LIST-LINKS");
}

// inv-list-flag: Expect a PageBuddy head unlinked from its list (counters adjusted, so
// only membership is wrong) to be reported.
TEST(invariants, list_flag_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  const unsigned order = m.page(h).order;
  Zone& z = c.zone(zone_of(m, h));
  c.list_del(free_list(c, m, h), h);  // touches h
  z.free_area[order].nr_free--;
  z.nr_free_pages -= int64_t{1} << order;
  expect_fires(m, "INV-LIST-FLAG");
}

// inv-nr-free-area: Expect free_area[k].nr_free one above its lists' length to be
// reported.
TEST(invariants, nr_free_area_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  c.zone(zone_of(m, 0)).free_area[2].nr_free++;
  expect_fires(m, "INV-NR-FREE-AREA");
}

// inv-nr-free-area-2: Expect a count in a free_area above MAX_PAGE_ORDER (an order
// the allocator never uses, which the counter check skips while it is untouched) to
// be reported by both checks.
TEST(invariants, nr_free_area_above_max_order_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  ASSERT_LT(m.max_order() + 1, kNrPageOrdersLimit);
  MachineCorruptor c(m);
  c.zone(zone_of(m, 0)).free_area[m.max_order() + 1].nr_free++;
  expect_fires(m, "INV-NR-FREE-AREA");
}

// ---- types / hygiene ----------------------------------------------------------------

// A free MAX_ORDER block outside CMA: four pageblocks in the small machine.
Pfn max_order_block(const Machine& m) {
  return find_head(m, PageState::Buddy, [&](Pfn p, const Page& pg) {
    return pg.order == m.max_order() && m.get_pageblock_migratetype(p) == MIGRATE_MOVABLE;
  });
}

// inv-no-cross-merge: Expect a free order-4 MOVABLE block whose second pageblock is
// made CMA to be reported as mixing non-mergeable types.
TEST(invariants, no_cross_merge_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = max_order_block(m);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  const Pfn pb = h + m.pageblock_nr_pages();
  set_block_type(c, pb, MIGRATE_CMA);
  c.touch(pb);
  expect_fires(m, "INV-NO-CROSS-MERGE");
}

// inv-no-cross-merge-2: Expect a free order-4 block whose third pageblock is marked
// unmapped to be reported (mapped and unmapped space never merge).
TEST(invariants, no_cross_merge_unmapped_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = max_order_block(m);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  const Pfn pb = h + 2 * m.pageblock_nr_pages();
  c.pageblock_bits(pb) |= PB_unmapped;
  c.touch(pb);
  expect_fires(m, "INV-NO-CROSS-MERGE");
}

// inv-multiblock-uniform: Expect a free order-4 MOVABLE block whose last pageblock is
// RECLAIMABLE (mergeable, but not fixed up) to be reported.
TEST(invariants, multiblock_uniform_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = max_order_block(m);
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  const Pfn pb = h + 3 * m.pageblock_nr_pages();
  set_block_type(c, pb, MIGRATE_RECLAIMABLE);
  c.touch(pb);
  expect_fires(m, "INV-MULTIBLOCK-UNIFORM");
}

// inv-hygiene: Expect a pageblock holding free MOVABLE blocks retyped UNMOVABLE
// without moving them (what move_freepages_block() exists for) to be reported.
TEST(invariants, hygiene_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [&](Pfn, const Page& pg) {
    return pg.order <= m.pageblock_order() && pg.list == MIGRATE_MOVABLE;
  });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  set_block_type(c, h, MIGRATE_UNMOVABLE);
  c.touch(h);
  expect_fires(m, "INV-HYGIENE");
}

// inv-hygiene-2: Expect the same retype noticed by the incremental check when only the
// pageblock's first PFN is touched and that PFN is an allocation (the free blocks on
// the wrong list lie elsewhere in the pageblock): set_pageblock_migratetype() touches
// the pageblock start, so the incremental check walks the whole pageblock.
TEST(invariants, hygiene_pageblock_touch_fires) {
  Machine m(small_cfg());
  warm(m);
  m.drain_all_pages();  // per-cpu pages back to the buddy lists
  const Pfn pb = m.pageblock_nr_pages();
  Pfn start = kNoPfn;
  for (Pfn p = m.start_pfn(); p < m.end_pfn() && start == kNoPfn; p += pb) {
    if (m.page(p).state != PageState::Allocated ||
        m.get_pageblock_migratetype(p) != MIGRATE_MOVABLE)
      continue;
    for (Pfn q = p + 1; q < p + pb; q++)
      if (m.page(q).state == PageState::Buddy) start = p;
  }
  ASSERT_NE(start, kNoPfn);
  ASSERT_EQ(m.page(start).state, PageState::Allocated);
  expect_clean(m);
  MachineCorruptor c(m);
  set_block_type(c, start, MIGRATE_UNMOVABLE);
  c.touch(start);
  expect_fires(m, "INV-HYGIENE");
}

// inv-buddy-merged: Expect a free block split into two free halves (lists and
// counters consistent) to be reported as buddies that should have merged.
TEST(invariants, buddy_merged_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [&](Pfn, const Page& pg) {
    return pg.order >= 1 && pg.order <= m.pageblock_order();
  });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  const unsigned k = m.page(h).order, t = m.page(h).list;
  Zone& z = c.zone(zone_of(m, h));
  c.list_del(z.free_area[k].free_list[t], h);
  z.free_area[k].nr_free--;
  const Pfn upper = h + (Pfn{1} << (k - 1));
  c.page(h).order = static_cast<uint8_t>(k - 1);
  Page& u = c.page(upper);
  u = Page{};
  u.state = PageState::Buddy;
  u.order = static_cast<uint8_t>(k - 1);
  u.list = static_cast<uint8_t>(t);
  c.list_add(z.free_area[k - 1].free_list[t], h);
  c.list_add(z.free_area[k - 1].free_list[t], upper);
  z.free_area[k - 1].nr_free += 2;
  expect_fires(m, "INV-BUDDY-MERGED");
}

}  // namespace
