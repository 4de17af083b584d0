// The structural invariants (oracles/invariants.def, spec §9): every rule fires on a
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
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "oracles/corrupt.h"
#include "oracles/invariants.h"

namespace {

using namespace pagealloc;
using buddycheck::check_invariants;
using buddycheck::check_invariants_incremental;
using buddycheck::Finding;
using buddycheck::Inv;

Config small_cfg() {
  Config c = configs::single_zone(1024, /*max_order=*/4, /*pageblock_order=*/2);
  c.cpu_node = {0, 0};
  c.cma = {{512, 576}};
  return c;
}

std::string show(const std::optional<Finding>& f) {
  if (!f) return "no finding";
  return f->id + ": " + f->summary + " (expected " + f->expected + ", actual " + f->actual + ")";
}

// Both checks pass, then the touch log starts afresh so only the corruption shows.
void expect_clean(Machine& m) {
  ASSERT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
  ASSERT_EQ(check_invariants_incremental(m), std::nullopt) << show(check_invariants_incremental(m));
  m.reset_touched();
}

// The full check names `id`; with `incremental`, so does the incremental check.
void expect_fires(const Machine& m, const std::string& id, bool incremental = true) {
  std::optional<Finding> full = check_invariants(m);
  ASSERT_TRUE(full.has_value()) << "full check found nothing, expected " << id;
  EXPECT_EQ(full->id, id) << show(full);
  EXPECT_FALSE(full->summary.empty());
  EXPECT_FALSE(full->pfns.empty());
  if (!incremental) return;
  std::optional<Finding> inc = check_invariants_incremental(m);
  ASSERT_TRUE(inc.has_value()) << "incremental check found nothing, expected " << id;
  EXPECT_EQ(inc->id, id) << show(inc);
}

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order = 0, unsigned cpu = 0) {
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.cpu = cpu;
  return m.alloc_pages(req);
}

// A few allocations of mixed orders and types, some freed again, so that the free
// lists, the per-cpu lists and split blocks all hold something.
std::vector<AllocResult> warm(Machine& m) {
  std::vector<AllocResult> live;
  for (unsigned i = 0; i < 6; i++) live.push_back(alloc(m, GFP_KERNEL, i % 4, i % 2));
  for (unsigned i = 0; i < 4; i++) live.push_back(alloc(m, GFP_HIGHUSER_MOVABLE, i % 3, 0));
  for (const AllocResult& r : live) EXPECT_TRUE(r.ok());
  m.free_pages(live[1].pfn, live[1].order, 1);
  m.free_pages(live[7].pfn, live[7].order, 0);
  live.erase(live.begin() + 7);
  live.erase(live.begin() + 1);
  return live;
}

// First head (by PFN) in state `st` satisfying `pred`; kNoPfn if none.
Pfn find_head(const Machine& m, PageState st, const std::function<bool(Pfn, const Page&)>& pred = {}) {
  for (Pfn p = m.start_pfn(); p < m.end_pfn(); p++) {
    const Page& pg = m.page(p);
    if (pg.state == st && (!pred || pred(p, pg))) return p;
  }
  return kNoPfn;
}

ListHead& free_list(MachineCorruptor& c, const Machine& m, Pfn head) {
  const Page& pg = m.page(head);
  return c.zone(static_cast<unsigned>(m.page_zone_id(head))).free_area[pg.order].free_list[pg.list];
}

unsigned zone_of(const Machine& m, Pfn pfn) { return static_cast<unsigned>(m.page_zone_id(pfn)); }

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
    "INV-BUDDY-ALIGN",   "INV-BUDDY-ZONE",     "INV-PARTITION",          "INV-BUDDY-META",
    "INV-LIST-LINKS",    "INV-LIST-FLAG",      "INV-NR-FREE-AREA",       "INV-NO-CROSS-MERGE",
    "INV-MULTIBLOCK-UNIFORM", "INV-HYGIENE",   "INV-BUDDY-MERGED",       "INV-NR-FREE-PAGES",
    "INV-NR-FREE-CMA",   "INV-NR-FREE-HIGHATOMIC", "INV-HIGHATOMIC-LIMIT", "INV-CMA-BLOCKS",
    "INV-CMA-PAGES",     "INV-PCP-MEMBER",     "INV-PCP-COUNT",          "INV-PCP-HIGH",
    "INV-WMARK-ORDER",   "INV-WMARK-GAPS",     "INV-LOWMEM-RESERVE",     "INV-BOOST-LIMIT",
    "INV-DM-BLOCKTYPE",  "INV-DM-FREE",        "INV-DM-ALLOC",
};

// inv-table-2: Expect every invariant ID to have a fires test in this file.
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
  c.pageblock_bits(pb) = static_cast<uint8_t>((c.pageblock_bits(pb) & ~PB_migrate_mask) | MIGRATE_CMA);
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
  c.pageblock_bits(pb) = static_cast<uint8_t>((c.pageblock_bits(pb) & ~PB_migrate_mask) | MIGRATE_RECLAIMABLE);
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
  c.pageblock_bits(h) = static_cast<uint8_t>((c.pageblock_bits(h) & ~PB_migrate_mask) | MIGRATE_UNMOVABLE);
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
    if (m.page(p).state != PageState::Allocated || m.get_pageblock_migratetype(p) != MIGRATE_MOVABLE) continue;
    for (Pfn q = p + 1; q < p + pb; q++)
      if (m.page(q).state == PageState::Buddy) start = p;
  }
  ASSERT_NE(start, kNoPfn);
  ASSERT_EQ(m.page(start).state, PageState::Allocated);
  expect_clean(m);
  MachineCorruptor c(m);
  c.pageblock_bits(start) =
      static_cast<uint8_t>((c.pageblock_bits(start) & ~PB_migrate_mask) | MIGRATE_UNMOVABLE);
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

// ---- zone counters ------------------------------------------------------------------

// inv-nr-free-pages: Expect NR_FREE_PAGES one above the free lists' pages to be
// reported.
TEST(invariants, nr_free_pages_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor(m).zone(zone_of(m, 0)).nr_free_pages++;
  expect_fires(m, "INV-NR-FREE-PAGES");
}

// inv-nr-free-cma: Expect NR_FREE_CMA_PAGES off by one to be reported.
TEST(invariants, nr_free_cma_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  ASSERT_GT(m.zone(zone_of(m, 0)).nr_free_cma_pages, 0);
  MachineCorruptor(m).zone(zone_of(m, 0)).nr_free_cma_pages--;
  expect_fires(m, "INV-NR-FREE-CMA");
}

// inv-nr-free-highatomic: Expect nr_free_highatomic without HIGHATOMIC free blocks to
// be reported.
TEST(invariants, nr_free_highatomic_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor(m).zone(zone_of(m, 0)).nr_free_highatomic += 4;
  expect_fires(m, "INV-NR-FREE-HIGHATOMIC");
}

// inv-highatomic-limit: Expect an underflowed nr_reserved_highatomic (unsigned
// -pageblock_nr) to be reported, and so a count that is no multiple of pageblock_nr.
TEST(invariants, highatomic_limit_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  Zone& z = c.zone(zone_of(m, 0));
  z.nr_reserved_highatomic = uint64_t{0} - m.pageblock_nr_pages();
  expect_fires(m, "INV-HIGHATOMIC-LIMIT");
  z.nr_reserved_highatomic = 1;
  expect_fires(m, "INV-HIGHATOMIC-LIMIT");
}

// inv-cma-blocks: Expect a fully allocated non-CMA pageblock retyped CMA to be
// reported (no free page there, so hygiene is untouched).
TEST(invariants, cma_blocks_fires) {
  Machine m(small_cfg());
  warm(m);
  AllocResult r = alloc(m, GFP_KERNEL, m.pageblock_order());
  ASSERT_TRUE(r.ok());
  ASSERT_NE(m.get_pageblock_migratetype(r.pfn), MIGRATE_CMA);
  expect_clean(m);
  MachineCorruptor c(m);
  c.pageblock_bits(r.pfn) = static_cast<uint8_t>((c.pageblock_bits(r.pfn) & ~PB_migrate_mask) | MIGRATE_CMA);
  c.touch(r.pfn);
  expect_fires(m, "INV-CMA-BLOCKS");
}

// inv-cma-pages: Expect zone->cma_pages one pageblock above the configured areas to be
// reported.
TEST(invariants, cma_pages_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor(m).zone(zone_of(m, 0)).cma_pages += m.pageblock_nr_pages();
  expect_fires(m, "INV-CMA-PAGES");
}

// ---- per-cpu pagesets ---------------------------------------------------------------

// inv-pcp-member: Expect a page on CPU 0's per-cpu list that names CPU 1 to be
// reported.
TEST(invariants, pcp_member_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Pcp, [](Pfn, const Page& pg) { return pg.cpu == 0; });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.page(h).cpu = 1;
  c.touch(h);
  expect_fires(m, "INV-PCP-MEMBER");
}

// inv-pcp-member-2: Expect a per-cpu page in the unmapped bank while its pageblock is
// mapped to be reported.
TEST(invariants, pcp_member_bank_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Pcp, [](Pfn, const Page& pg) { return pg.order == 0; });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  ListHead& from = c.pcp(zone_of(m, h), m.page(h).cpu).lists[m.page(h).list];
  ListHead& to = c.pcp(zone_of(m, h), m.page(h).cpu).lists[NR_PCP_LISTS_MAPPED];
  c.list_del(from, h);
  c.list_add(to, h);
  c.page(h).state = PageState::Pcp;
  c.page(h).list = static_cast<uint8_t>(NR_PCP_LISTS_MAPPED);
  expect_fires(m, "INV-PCP-MEMBER");
}

// inv-pcp-count: Expect pcp->count one above its lists' pages to be reported.
TEST(invariants, pcp_count_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor(m).pcp(zone_of(m, 0), 1).count++;
  expect_fires(m, "INV-PCP-COUNT");
}

// inv-pcp-high: Expect alloc_factor above PCP_BATCH_SCALE_MAX, and a pcp whose
// high_max differs from the zone's pageset value, to be reported.
TEST(invariants, pcp_high_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  PerCpuPages& pcp = c.pcp(zone_of(m, 0), 0);
  pcp.alloc_factor = PCP_BATCH_SCALE_MAX + 1;
  expect_fires(m, "INV-PCP-HIGH");
  pcp.alloc_factor = 0;
  pcp.high_max++;
  expect_fires(m, "INV-PCP-HIGH");
}

// inv-pcp-high-2: Expect states the kernel reaches through sysctls to stay clean: a
// low watermark above managed/8 (high_min > high_max from zone_highsize()) and a boost
// above the cap of a since lowered vm.watermark_boost_factor.
TEST(invariants, pcp_high_and_boost_kernel_states_clean) {
  Machine m(configs::pc_like(4096, 8192));
  m.set_watermark_scale_factor(3000);
  const PerCpuPages& pcp = m.pcp(zone_of(m, 1), 0);
  EXPECT_GT(pcp.high_min, pcp.high_max);
  EXPECT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
  // Fill until fallbacks boost the watermarks, then lower the boost factor.
  std::vector<AllocResult> live;
  for (unsigned i = 0; i < 4000; i++) {
    AllocResult r = alloc(m, i % 2 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE, i % 3);
    if (r.ok()) live.push_back(r);
  }
  m.set_watermark_boost_factor(1);
  EXPECT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
  m.reset_touched();
  for (const AllocResult& r : live) m.free_pages(r.pfn, r.order);
  EXPECT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
}

// ---- watermarks ---------------------------------------------------------------------

// inv-wmark-order: Expect a min watermark above the low one to be reported.
TEST(invariants, wmark_order_fires) {
  Machine m(small_cfg());
  expect_clean(m);
  Zone& z = MachineCorruptor(m).zone(zone_of(m, 0));
  z.watermark[WMARK_MIN] = z.watermark[WMARK_LOW] + 1;
  expect_fires(m, "INV-WMARK-ORDER");
}

// inv-wmark-gaps: Expect a promo watermark one page too high to be reported.
TEST(invariants, wmark_gaps_fires) {
  Machine m(small_cfg());
  expect_clean(m);
  MachineCorruptor(m).zone(zone_of(m, 0)).watermark[WMARK_PROMO]++;
  expect_fires(m, "INV-WMARK-GAPS");
}

// inv-lowmem-reserve: Expect, on a PC-like node, DMA's reserve against Normal below its
// reserve against DMA32 to be reported, and so a reserve against its own index.
TEST(invariants, lowmem_reserve_fires) {
  Machine m(configs::pc_like(4096, 8192));
  expect_clean(m);
  MachineCorruptor c(m);
  Zone& dma = c.zone(zone_of(m, 1));
  ASSERT_EQ(dma.type, ZONE_DMA);
  ASSERT_GT(dma.lowmem_reserve[ZONE_DMA32], 0u);
  const uint64_t saved = dma.lowmem_reserve[ZONE_NORMAL];
  dma.lowmem_reserve[ZONE_NORMAL] = dma.lowmem_reserve[ZONE_DMA32] - 1;
  expect_fires(m, "INV-LOWMEM-RESERVE");
  dma.lowmem_reserve[ZONE_NORMAL] = saved;
  dma.lowmem_reserve[ZONE_DMA] = 1;
  expect_fires(m, "INV-LOWMEM-RESERVE");
}

// inv-boost-limit: Expect a watermark boost far above max(pageblock, high * 1.5) to be
// reported.
TEST(invariants, boost_limit_fires) {
  Machine m(small_cfg());
  expect_clean(m);
  Zone& z = MachineCorruptor(m).zone(zone_of(m, 0));
  z.watermark_boost = z.managed_pages;
  expect_fires(m, "INV-BOOST-LIMIT");
}

// ---- direct map ---------------------------------------------------------------------

AllocResult alloc_unmapped(Machine& m, unsigned order = 0) {
  return alloc(m, GFP_KERNEL | __GFP_UNMAPPED, order);
}

// inv-dm-blocktype: Expect an unmapped pageblock (made by an unmapped allocation)
// retyped MOVABLE to be reported.
TEST(invariants, dm_blocktype_fires) {
  Machine m(small_cfg());
  warm(m);
  AllocResult r = alloc_unmapped(m);
  ASSERT_TRUE(r.ok()) << alloc_status_name(r.status) << " " << r.detail;
  ASSERT_TRUE(m.pageblock_unmapped(r.pfn));
  expect_clean(m);
  MachineCorruptor c(m);
  c.pageblock_bits(r.pfn) = static_cast<uint8_t>((c.pageblock_bits(r.pfn) & ~PB_migrate_mask) | MIGRATE_MOVABLE);
  c.touch(r.pfn);
  expect_fires(m, "INV-DM-BLOCKTYPE");
}

// inv-dm-free: Expect a free page of an unmapped pageblock put back into the direct
// map to be reported.
TEST(invariants, dm_free_fires) {
  Machine m(small_cfg());
  warm(m);
  AllocResult r = alloc_unmapped(m);
  ASSERT_TRUE(r.ok());
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [&](Pfn p, const Page&) { return m.pageblock_unmapped(p); });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.direct_map().set_valid_noflush(h, 1, true);
  c.touch(h);
  expect_fires(m, "INV-DM-FREE");
}

// inv-dm-free-2: Expect a free page of a mapped pageblock missing from the direct map
// to be reported (the full check finds it through the absent-page count).
TEST(invariants, dm_free_mapped_fires) {
  Machine m(small_cfg());
  warm(m);
  expect_clean(m);
  Pfn h = find_head(m, PageState::Buddy, [](Pfn, const Page& pg) { return pg.order >= 2; });
  ASSERT_NE(h, kNoPfn);
  MachineCorruptor c(m);
  c.direct_map().set_valid_noflush(h + 3, 1, false);
  c.touch(h + 3);
  expect_fires(m, "INV-DM-FREE");
}

// inv-dm-alloc: Expect a mapped allocation missing from the direct map without
// PG_dm_changed to be reported.
TEST(invariants, dm_alloc_fires) {
  Machine m(small_cfg());
  auto live = warm(m);
  expect_clean(m);
  MachineCorruptor c(m);
  c.direct_map().set_valid_noflush(live[0].pfn, 1, false);
  c.touch(live[0].pfn);
  expect_fires(m, "INV-DM-ALLOC");
}

// inv-dm-alloc-2: Expect a mapped allocation claiming PG_unmapped (it lies in a mapped
// pageblock) to be reported; and an owner flip through the API to stay clean.
TEST(invariants, dm_alloc_flag_fires) {
  Machine m(small_cfg());
  auto live = warm(m);
  ASSERT_TRUE(m.owner_set_direct_map(live[0].pfn, live[0].order, false));
  expect_clean(m);
  MachineCorruptor c(m);
  c.page(live[1].pfn).flags |= PG_unmapped;
  c.touch(live[1].pfn);
  expect_fires(m, "INV-DM-ALLOC");
}

}  // namespace
