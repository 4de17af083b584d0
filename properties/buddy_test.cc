// SPDX-License-Identifier: GPL-2.0-or-later
// The buddy free lists: merging on free (__free_one_page), its stops at
// pageblock boundaries between non-mergeable types, the type fix-up when mergeable types
// merge, splitting on allocation (expand), tail placement (buddy_merge_likely), and the
// boot layout around holes and reserved pages. Every case uses a tiny zone
// (MAX_PAGE_ORDER 3-5, pageblock_order 2: four pages per block) with min_free_kbytes 0
// so that all pages are usable, and draws its PFN range the way
// tools/testing/memblock does. Frees go through the per-cpu list and are pushed to the
// buddy lists with drain_all_pages() right away, as the kernel's drain would.
//
// Legend in the diagrams:  A allocated   . free   U unmovable block   C CMA block
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

constexpr gfp_t kMovable = GFP_KERNEL | __GFP_MOVABLE;

Config tiny(uint64_t pages, unsigned max_order = 4, ZoneType type = ZONE_NORMAL) {
  Config c = configs::single_zone(pages, max_order, 2);
  c.nodes[0].zones[0].type = type;
  c.min_free_kbytes = 0;
  return c;
}

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  return m.alloc_pages(r);
}

void free_now(Machine& m, Pfn pfn, unsigned order) {
  ASSERT_TRUE(m.free_pages(pfn, order).ok()) << pfn;
  m.drain_all_pages();
}

// PFNs on free_area[order].free_list[type], head first.
std::vector<Pfn> free_list(const Machine& m, const Zone& z, unsigned order, unsigned type) {
  std::vector<Pfn> out;
  for (uint32_t i = z.free_area[order].free_list[type].head; i != kNil;
       i = m.page(m.pfn_of_index(i)).next)
    out.push_back(m.pfn_of_index(i));
  return out;
}

void expect_free_block(const Machine& m, Pfn pfn, unsigned order, unsigned type) {
  SCOPED_TRACE(::testing::Message() << "pfn " << pfn);
  EXPECT_EQ(m.page(pfn).state, PageState::Buddy);
  EXPECT_EQ(m.page(pfn).order, order);
  EXPECT_EQ(m.page(pfn).list, type);
}

// Allocates `n` movable order-0 pages, which come out of the lowest block in PFN order,
// then drains the per-cpu leftovers back.
void alloc_order0(Machine& m, int n) {
  for (int i = 0; i < n; i++) {
    AllocResult r = alloc(m, kMovable, 0);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.pfn, static_cast<Pfn>(i));
  }
  m.drain_all_pages();
}

using V = std::vector<Pfn>;
const unsigned M = MIGRATE_MOVABLE;

// buddy-merge-1: Expect the sixteen order-0 pages of 0-15, freed in a scrambled order, to
// merge back into one order-4 block at 0 (MAX_PAGE_ORDER) that stays apart from the free
// order-4 block at 16: buddyinfo shows two order-4 blocks and nothing else.
//
//    0                                              15 16                     31
//  +---+---+---+---+---+---+---+---+---+---+---+---+---+-----------------------+
//  | A | A | A | A | A | A | A | A | A | A | A | A | A |     free, order 4     |
//  +---+---+---+---+---+---+---+---+---+---+---+---+---+-----------------------+
TEST(buddy, merge_1) {
  Machine m(tiny(32));
  alloc_order0(m, 16);
  expect_free_block(m, 16, 4, M);
  for (Pfn p : {15, 0, 7, 8, 3, 12, 1, 14, 5, 10, 2, 13, 6, 9, 4, 11}) free_now(m, p, 0);
  expect_free_block(m, 0, 4, M);
  expect_free_block(m, 16, 4, M);
  for (Pfn p = 1; p < 16; p++) EXPECT_EQ(m.page(p).state, PageState::Tail) << p;
  EXPECT_EQ(m.buddyinfo(), "Node 0, zone   Normal      0      0      0      0      2 \n");
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).nr_free_pages, 32);
}

// buddy-merge-2: Expect freeing 4, then 6, then 7, then 5 (0-15 allocated) to keep 4 and 6
// at order 0 (buddies 5 and 7 allocated), to join 7 to 6 as an order-1 block, and then 5 to
// 4 and 6-7 into an order-2 block at 4 that stops because its buddy 0-3 is allocated.
//
//    0   1   2   3   4   5   6   7   8          15
//  +---+---+---+---+---+---+---+---+--------------+
//  | A | A | A | A | 4 | 5 | 6 | 7 | A .. A       |
//  +---+---+---+---+---+---+---+---+--------------+
//                  |-------|-------|  order 1 pairs
//                  |---------------|  order 2
TEST(buddy, merge_2) {
  Machine m(tiny(32));
  alloc_order0(m, 16);
  free_now(m, 4, 0);
  expect_free_block(m, 4, 0, M);
  free_now(m, 6, 0);
  expect_free_block(m, 6, 0, M);
  free_now(m, 7, 0);
  expect_free_block(m, 6, 1, M);
  EXPECT_EQ(m.page(7).state, PageState::Tail);
  expect_free_block(m, 4, 0, M);
  free_now(m, 5, 0);
  expect_free_block(m, 4, 2, M);
  for (Pfn p : {5, 6, 7}) EXPECT_EQ(m.page(p).state, PageState::Tail) << p;
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_EQ(z.free_area[0].nr_free, 0u);
  EXPECT_EQ(z.free_area[1].nr_free, 0u);
  EXPECT_EQ(z.free_area[2].nr_free, 1u);
}

// buddy-merge-3: Expect a CMA pageblock (8-11) and the MOVABLE block beside it (12-15) to
// stay two order-2 blocks on their own lists although they are buddies, at boot and after
// 12-15 is allocated and freed again; 0-7 cannot merge either (its buddy 8 is not order 3).
//
//    0                           7   8           11  12          15  16           31
//  +-------------------------------+---------------+---------------+---------------+
//  |     free MOVABLE, order 3     |  C  C  C  C   |  free MOVABLE |  free, order 4 |
//  +-------------------------------+---------------+---------------+---------------+
//                                  ^ pageblock boundary: CMA does not merge with MOVABLE
TEST(buddy, merge_3) {
  Config c = tiny(32);
  c.cma = {{8, 12}};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  expect_free_block(m, 0, 3, M);
  expect_free_block(m, 8, 2, MIGRATE_CMA);
  expect_free_block(m, 12, 2, M);
  expect_free_block(m, 16, 4, M);
  EXPECT_EQ(z.nr_free_cma_pages, 4);
  EXPECT_EQ(z.cma_pages, 4u);
  // Balancing: 4 CMA pages are not more than half of 32, so MOVABLE 12 comes first.
  AllocResult r = alloc(m, kMovable, 2);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.pfn, 12u);
  free_now(m, 12, 2);
  expect_free_block(m, 8, 2, MIGRATE_CMA);
  expect_free_block(m, 12, 2, M);
  EXPECT_EQ(m.get_pageblock_migratetype(8), MIGRATE_CMA);
  EXPECT_EQ(m.get_pageblock_migratetype(12), M);
  EXPECT_EQ(m.buddyinfo(), "Node 0, zone   Normal      0      0      2      1      1 \n");
}

// buddy-merge-4: Expect mergeable types to merge across a pageblock boundary, the buddy's
// block taking the freed block's type: 0-3 (MOVABLE) and 4-7 (UNMOVABLE) become one
// order-3 MOVABLE block and pageblock 4-7 turns MOVABLE, so no free page sits on a list of
// another type. Set-up, MAX_PAGE_ORDER 3: all eight blocks allocated as MOVABLE order 2,
// then 4-7 freed and re-allocated as UNMOVABLE (the claim of a whole order-2 block retypes
// its pageblock), freed again, and finally 0-3 freed:
//
//    0           3   4           7   8                              31
//  +---------------+---------------+----------------------------------+
//  |  A MOVABLE    |  . UNMOVABLE  |  A  A  A ...                     |
//  +---------------+---------------+----------------------------------+
//                  ^ pageblock boundary between two mergeable types
TEST(buddy, merge_4) {
  Machine m(tiny(32, 3));
  for (Pfn p = 0; p < 32; p += 4) ASSERT_EQ(alloc(m, kMovable, 2).pfn, p);
  free_now(m, 4, 2);
  AllocResult u = alloc(m, GFP_KERNEL, 2);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u.pfn, 4u);
  ASSERT_EQ(m.get_pageblock_migratetype(4), MIGRATE_UNMOVABLE);
  ASSERT_EQ(m.get_pageblock_migratetype(0), M);
  free_now(m, 4, 2);
  expect_free_block(m, 4, 2, MIGRATE_UNMOVABLE);
  free_now(m, 0, 2);
  expect_free_block(m, 0, 3, M);
  EXPECT_EQ(m.get_pageblock_migratetype(4), M);
  EXPECT_EQ(m.page(4).state, PageState::Tail);
  EXPECT_TRUE(free_list(m, m.node_zone(0, ZONE_NORMAL), 2, MIGRATE_UNMOVABLE).empty());
}

// buddy-split-1: Expect an order-0 allocation from a fresh zone to hand out the lowest page
// and expand() to put each upper half on the head of its order's MOVABLE list: 1 (order 0),
// 2 (1), 4 (2), 8 (3), 16 untouched; an order-2 request then takes the order-2 piece 4
// whole rather than splitting the order-3 one.
//
//    0   1   2   3   4       7   8              15  16                      31
//  +---+---+-------+-----------+------------------+---------------------------+
//  | A | . |   .   |     .     |        .         |        ., order 4         |
//  +---+---+-------+-----------+------------------+---------------------------+
//        o0   o1        o2             o3
TEST(buddy, split_1) {
  Machine m(tiny(32));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(free_list(m, z, 4, M), (V{0, 16}));  // boot frees to the tail in PFN order
  AllocResult r = alloc(m, kMovable, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(m.page(0).state, PageState::Allocated);
  EXPECT_EQ(free_list(m, z, 0, M), (V{1}));
  EXPECT_EQ(free_list(m, z, 1, M), (V{2}));
  EXPECT_EQ(free_list(m, z, 2, M), (V{4}));
  EXPECT_EQ(free_list(m, z, 3, M), (V{8}));
  EXPECT_EQ(free_list(m, z, 4, M), (V{16}));
  EXPECT_EQ(z.nr_free_pages, 31);
  AllocResult r2 = alloc(m, kMovable, 2);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.pfn, 4u);
  EXPECT_EQ(free_list(m, z, 3, M), (V{8}));
  EXPECT_TRUE(free_list(m, z, 2, M).empty());
}

// buddy-split-2: Expect an order-3 request, with only order-4 blocks free, to split the
// first one on the list (0) once: 0-7 handed out, 8-15 on the order-3 list; buddyinfo
// 0 0 0 1 1.
//
//    0                              7  8             15  16                    31
//  +----------------------------------+----------------+-----------------------+
//  |        A (order 3)               |  ., order 3    |      ., order 4       |
//  +----------------------------------+----------------+-----------------------+
TEST(buddy, split_2) {
  Machine m(tiny(32));
  AllocResult r = alloc(m, kMovable, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(m.page(0).order, 3);
  expect_free_block(m, 8, 3, M);
  EXPECT_EQ(m.buddyinfo(), "Node 0, zone   Normal      0      0      0      1      1 \n");
}

// buddy-tail-1: Expect a freed page whose order-1 buddy block is free to go to the tail of
// its list (buddy_merge_likely): with 0-15 allocated, free 8, then 2 and 3, then 0; 8 sits at
// the head of the order-0 list and 0 behind it, so the next order-0 allocation takes 8; 10,
// whose order-1 buddy 8 is only order 0, goes to the head.
//
//    0   1   2   3   4 .. 7   8   9   10 .. 15
//  +---+---+-------+--------+---+---+---------+
//  | . | A |  . .  | A .. A | . | A | A .. A  |
//  +---+---+-------+--------+---+---+---------+
//   0's order-1 buddy (2-3) is free: merging is likely once 1 is freed
TEST(buddy, tail_1) {
  Machine m(tiny(32));
  alloc_order0(m, 16);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  free_now(m, 8, 0);
  free_now(m, 2, 0);
  free_now(m, 3, 0);
  expect_free_block(m, 2, 1, M);
  free_now(m, 0, 0);
  EXPECT_EQ(free_list(m, z, 0, M), (V{8, 0}));
  free_now(m, 10, 0);
  EXPECT_EQ(free_list(m, z, 0, M), (V{10, 8, 0}));
  AllocResult r = alloc(m, kMovable, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 10u);
}

// buddy-tail-2: Expect no tail placement at MAX_PAGE_ORDER - 1: freeing 0-7 puts it at the
// head of the order-3 list although its order-4 buddy 16-31 is free. Zone of 48 pages:
// 0-7 and 8-15 allocated as order 3, 16-31 free (order 4), 32-39 allocated, 40-47 free
// (order 3); then 0-7 is freed:
//
//    0           7  8          15  16                    31  32        39  40        47
//  +--------------+--------------+-------------------------+-------------+-------------+
//  |   . order 3  | A (order 3)  |     ., order 4          | A (order 3) |  . order 3  |
//  +--------------+--------------+-------------------------+-------------+-------------+
TEST(buddy, tail_2) {
  Machine m(tiny(48));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(alloc(m, kMovable, 3).pfn, 0u);
  ASSERT_EQ(alloc(m, kMovable, 3).pfn, 8u);
  ASSERT_EQ(alloc(m, kMovable, 4).pfn, 16u);  // order 4: straight from the buddy lists
  ASSERT_EQ(alloc(m, kMovable, 3).pfn, 32u);
  free_now(m, 16, 4);
  ASSERT_EQ(free_list(m, z, 3, M), (V{40}));
  free_now(m, 0, 3);
  EXPECT_EQ(free_list(m, z, 3, M), (V{0, 40}));
}

// buddy-boot-1: Expect boot to free the largest aligned chunks around a hole (5) and
// reserved pages (20-21), nothing to merge across them, present 31 / managed 29 pages, and
// buddyinfo 1 2 2 2 0.
//
//    0       3   4   5   6   7   8            15  16       19  20  21  22  23  24         31
//  +-----------+---+---+-------+----------------+------------+---+---+-------+-------------+
//  |  o2       |o0 | H |  o1   |      o3        |    o2      | R | R |  o1   |     o3      |
//  +-----------+---+---+-------+----------------+------------+---+---+-------+-------------+
TEST(buddy, boot_1) {
  Config c = tiny(32);
  c.nodes[0].zones[0].holes = {{5, 6}};
  c.nodes[0].zones[0].reserved = {{20, 22}};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_EQ(z.spanned_pages, 32u);
  EXPECT_EQ(z.present_pages, 31u);
  EXPECT_EQ(z.managed_pages, 29u);
  EXPECT_EQ(z.nr_free_pages, 29);
  EXPECT_EQ(m.page(5).state, PageState::Absent);
  EXPECT_EQ(m.page(20).state, PageState::Reserved);
  EXPECT_EQ(m.page(21).state, PageState::Reserved);
  EXPECT_EQ(free_list(m, z, 0, M), (V{4}));
  EXPECT_EQ(free_list(m, z, 1, M), (V{6, 22}));
  EXPECT_EQ(free_list(m, z, 2, M), (V{0, 16}));
  EXPECT_EQ(free_list(m, z, 3, M), (V{8, 24}));
  EXPECT_EQ(m.buddyinfo(), "Node 0, zone   Normal      1      2      2      2      0 \n");
}

// buddy-boot-2: Expect a zone starting at PFN 4 inside a memmap that starts at 0 to leave
// 0-3 absent and 4-7 an order-2 block (its buddy is outside the zone).
//
//    0       3   4       7   8            15  16                       31
//  +-----------+-----------+----------------+-----------------------------+
//  |  no zone  |    o2     |       o3       |             o4              |
//  +-----------+-----------+----------------+-----------------------------+
TEST(buddy, boot_2) {
  Config c = configs::single_zone(28, 4, 2, /*start=*/4);
  c.min_free_kbytes = 0;
  Machine m(c);
  EXPECT_EQ(m.start_pfn(), 0u);
  for (Pfn p = 0; p < 4; p++) EXPECT_EQ(m.page(p).state, PageState::Absent) << p;
  expect_free_block(m, 4, 2, M);
  expect_free_block(m, 8, 3, M);
  expect_free_block(m, 16, 4, M);
  EXPECT_EQ(m.buddyinfo(), "Node 0, zone   Normal      0      0      1      1      1 \n");
}

// buddy-boot-3: Expect two 16-page zones side by side (MAX_PAGE_ORDER 5) to hold one
// order-4 block each, never one order-5 block, also after an allocation is freed back.
//
//    0                   15  16                   31
//  +-----------------------+-----------------------+
//  |   DMA32, order 4      |   NORMAL, order 4     |
//  +-----------------------+-----------------------+
//                          ^ zone boundary
TEST(buddy, boot_3) {
  Config c;
  c.max_page_order = 5;
  c.pageblock_order = 2;
  c.min_free_kbytes = 0;
  c.nodes.push_back(NodeConfig{.zones = {
                                   ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 16},
                                   ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 16, .pages = 16},
                               }});
  Machine m(c);
  expect_free_block(m, 0, 4, M);
  expect_free_block(m, 16, 4, M);
  EXPECT_EQ(m.node_zone(0, ZONE_DMA32).free_area[4].nr_free, 1u);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).free_area[4].nr_free, 1u);
  AllocResult r = alloc(m, kMovable, 4);  // NORMAL first in the zonelist
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.pfn, 16u);
  ASSERT_TRUE(m.free_pages(16, 4).ok());
  expect_free_block(m, 16, 4, M);
  expect_free_block(m, 0, 4, M);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).free_area[5].nr_free, 0u);
  EXPECT_EQ(m.node_zone(0, ZONE_DMA32).free_area[5].nr_free, 0u);
}

// buddy-page-data-1: Expect every MAX_PAGE_ORDER block's backing memory to be one
// contiguous run (page_data(head + i) == page_data(head) + i * page_bytes), also on a
// machine whose backing is split into several chunks, and distinct blocks not to
// overlap: kasan poisoning and the shadow's paint address a block from its head.
TEST(buddy, page_data_1) {
  for (unsigned page_bytes : {8u, 64u, 4096u}) {
    Config c = configs::pc_like(1024, 2048);  // 7,168 pages: several 64 KiB chunks at 64 bytes
    c.page_bytes = page_bytes;
    Machine m(c);
    const uint64_t block = uint64_t{1} << m.max_order();
    std::vector<std::pair<uintptr_t, uintptr_t>> runs;  // [begin, end) addresses
    for (Pfn head = m.start_pfn(); head < m.end_pfn(); head += block) {
      const uint8_t* base = m.page_data(head);
      ASSERT_NE(base, nullptr);
      for (uint64_t i = 0; i < block; i++)
        ASSERT_EQ(m.page_data(head + i), base + i * page_bytes) << page_bytes << " " << head + i;
      runs.emplace_back(reinterpret_cast<uintptr_t>(base),
                        reinterpret_cast<uintptr_t>(base) + block * page_bytes);
    }
    std::sort(runs.begin(), runs.end());
    for (size_t i = 1; i < runs.size(); i++)
      EXPECT_LE(runs[i - 1].second, runs[i].first) << page_bytes;
  }
}

}  // namespace
