// SPDX-License-Identifier: GPL-2.0-or-later
// Unmapped allocations (UNMAP): flipping pageblocks between the mapped and
// unmapped freetypes, the direct-map model, merging across the flag, and every refusal.
//
// Machine for the diagrams: one NORMAL zone of 64 pages, MAX_PAGE_ORDER 4 (16-page
// blocks), pageblock_order 1 (2-page pageblocks), min_free_kbytes 0 so the watermarks
// stay out of the way. Order-4 requests are not cached on per-cpu lists (orders 0..3
// and the THP order = pageblock_order 1 are), so they go straight to the buddy lists.
//
//   pfn   0               16              32              48              64
//         |M M M M M M M M|M M M M M M M M|M M M M M M M M|M M M M M M M M|
//          one letter per pageblock: M movable, U unmovable, u unmovable+unmapped
#include <gtest/gtest.h>

#include "alloc/machine.h"
#include "drive/runner.h"
#include "drive/trace.h"
#include "oracles/invariants.h"

namespace {

using namespace pagealloc;
using namespace buddycheck;

Config small(bool can_flip = true) {
  Config c = configs::single_zone(64, 4, 1);
  c.min_free_kbytes = 0;
  c.can_set_direct_map = can_flip;
  return c;
}

AllocFlags unmapped() { return AllocFlags{}.set(CTX_unmapped); }

AllocRequest req(gfp_t gfp, unsigned order) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  return r;
}

std::string blocks(const Machine& m) {
  std::string s;
  for (Pfn p = 0; p < 64; p += 2) {
    unsigned mt = m.get_pageblock_migratetype(p);
    char c = mt == MIGRATE_MOVABLE ? 'M' : mt == MIGRATE_UNMOVABLE ? 'U' : '?';
    if (m.pageblock_unmapped(p)) c = c == 'U' ? 'u' : '!';
    s += c;
  }
  return s;
}

// direct-map-flip-1: Expect an unmapped order-4 request on a fresh machine to flip the
// first movable block:
//
//   before |M M M M M M M M|M ...
//   after  |u u u u u u u u|M ...    pfns 0-15 allocated, absent from the direct map
//
// The unmapped freetype has no list yet, so __rmqueue_direct_map takes an UNMOVABLE
// block of order max(4, pageblock_order) = 4 through __rmqueue (claiming a whole
// movable block), unmaps its 16 pages with one flush and marks its 8 pageblocks.
TEST(direct_map, flip_1) {
  Machine m(small());
  AllocFlags f = unmapped();
  AllocResult r = m.alloc_pages_context(req(GFP_KERNEL, 4), &f);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(blocks(m), "uuuuuuuuMMMMMMMMMMMMMMMMMMMMMMMM");
  EXPECT_TRUE(m.direct_map().range_is(0, 16, false));
  EXPECT_TRUE(m.direct_map().range_is(16, 48, true));
  EXPECT_EQ(m.direct_map().stats().pages_unmapped, 16u);
  EXPECT_EQ(m.direct_map().stats().tlb_flushes, 1u);
  // The 2 MiB mapping over pfns 0-511 is split: only 16 of its pages changed.
  EXPECT_EQ(m.direct_map().stats().splits_2m, 1u);
  EXPECT_TRUE(m.page(0).flags & PG_unmapped);
  EXPECT_FALSE(check_invariants(m)) << check_invariants(m)->summary;
}

// direct-map-free-1: Expect a freed unmapped block to return to the unmapped list and
// stay out of the direct map (no flush on free):
//
//   |u u u u u u u u|M ...   pfns 0-15 free on free_list[Unmapped] at order 4
TEST(direct_map, free_1) {
  Machine m(small());
  AllocFlags f = unmapped();
  AllocResult r = m.alloc_pages_context(req(GFP_KERNEL, 4), &f);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(m.free_frozen_pages(r.pfn, 4).ok());
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_EQ(z.free_area[4].free_list[FREETYPE_UNMAPPED_IDX].count, 1u);
  EXPECT_EQ(m.page(0).state, PageState::Buddy);
  EXPECT_TRUE(m.direct_map().range_is(0, 16, false));
  EXPECT_EQ(m.direct_map().stats().tlb_flushes, 1u);
  EXPECT_FALSE(check_invariants(m));
}

// direct-map-flip-back-1: Expect a mapped request that finds only unmapped space to flip
// it back. Three movable blocks are taken first, so only the unmapped one is free:
//
//   |u u u u u u u u|A A A A A A A A|A A A A A A A A|A A A A A A A A|   A: allocated
//   GFP_KERNEL order 4:
//   |U U U U U U U U|A ...           pfns 0-15 present again, pageblocks mapped
TEST(direct_map, flip_back_1) {
  Machine m(small());
  AllocFlags f = unmapped();
  AllocResult u = m.alloc_pages_context(req(GFP_KERNEL, 4), &f);
  ASSERT_TRUE(u.ok());
  for (int i = 0; i < 3; i++) ASSERT_TRUE(m.alloc_pages(req(GFP_HIGHUSER_MOVABLE, 4)).ok());
  ASSERT_TRUE(m.free_frozen_pages(u.pfn, 4).ok());
  AllocResult r = m.alloc_pages(req(GFP_KERNEL, 4));
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(blocks(m).substr(0, 8), "UUUUUUUU");
  EXPECT_TRUE(m.direct_map().range_is(0, 16, true));
  EXPECT_EQ(m.direct_map().stats().tlb_flushes, 2u);
  EXPECT_EQ(m.direct_map().stats().pages_mapped, 16u);
  EXPECT_FALSE(m.page(0).flags & PG_unmapped);
  EXPECT_FALSE(check_invariants(m));
}

// direct-map-flip-remainder-1: Expect an order-0 unmapped request to flip a whole
// pageblock-order chunk (the flip granule is max(order, pageblock_order)) and leave the
// rest of the flipped space on the unmapped lists (or this CPU's unmapped pcp bank):
// every page of an unmapped pageblock is absent, every other page present.
TEST(direct_map, flip_remainder_1) {
  Machine m(small());
  AllocFlags f = unmapped();
  AllocResult r = m.alloc_pages_context(req(GFP_KERNEL, 0), &f);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_TRUE(m.pageblock_unmapped(r.pfn));
  for (Pfn p = 0; p < 64; p++) EXPECT_EQ(m.direct_map().present(p), !m.pageblock_unmapped(p)) << p;
  EXPECT_FALSE(check_invariants(m));
}

// direct-map-merge-1: Expect mapped and unmapped free blocks of the same order never to
// merge, even when they are buddies and both UNMOVABLE:
//
//   |u u u u u u u u|U U U U U U U U|M ...
//    order-4 free,    order-4 free        -> still two order-4 blocks, not one order-5
// (max order is 4 here, so the test uses max order 5 to give them a common parent).
TEST(direct_map, merge_refused_1) {
  Config c = configs::single_zone(64, 5, 1);
  c.min_free_kbytes = 0;
  Machine m(c);
  AllocFlags f = unmapped();
  AllocResult u = m.alloc_pages_context(req(GFP_KERNEL, 4), &f);
  ASSERT_TRUE(u.ok());
  AllocResult k = m.alloc_pages(req(GFP_KERNEL, 4));  // the mapped buddy, UNMOVABLE
  ASSERT_TRUE(k.ok());
  ASSERT_EQ(u.pfn ^ k.pfn, 16u) << "the two allocations must be buddies at order 4";
  ASSERT_TRUE(m.free_frozen_pages(u.pfn, 4).ok());
  ASSERT_TRUE(m.free_pages(k.pfn, 4).ok());
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_EQ(z.free_area[5].nr_free, 1u) << "only the untouched movable half [32, 64)";
  EXPECT_EQ(z.free_area[4].free_list[FREETYPE_UNMAPPED_IDX].count, 1u);
  EXPECT_EQ(z.free_area[4].free_list[MIGRATE_UNMOVABLE].count, 1u);
  EXPECT_FALSE(check_invariants(m));
}

// direct-map-kunit-1: Expect the kernel's KUnit case to hold: allocate more than half
// of a node unmapped, free it all, then allocate the same amount mapped; every page of
// every mapped allocation is present in the direct map again (the shadow oracle checks
// each allocation, the invariants the whole machine).
TEST(direct_map, kunit_half_node_1) {
  Config c = configs::single_zone(1024, 4, 2);
  c.min_free_kbytes = 0;
  Runner r(c);
  const unsigned n = 600;  // > 1024 / 2 pages, order 0
  Op a = ops::alloc(0, GFP_KERNEL);
  a.ctx = unmapped();
  for (unsigned i = 0; i < n; i++) ASSERT_TRUE(r.step(a).ok());
  ASSERT_EQ(r.live_ids().size(), n);
  while (!r.live_ids().empty()) ASSERT_TRUE(r.step(ops::free(r.live_ids().back())).ok());
  ASSERT_TRUE(r.step(ops::drain_all()).ok());
  EXPECT_GE(r.machine().direct_map().nr_absent(), n);
  for (unsigned i = 0; i < n; i++) {
    StepResult s = r.step(ops::alloc(0, GFP_KERNEL));
    ASSERT_TRUE(s.ok()) << (s.finding ? r.report(*s.finding) : *s.error);
  }
  ASSERT_EQ(r.live_ids().size(), n);
  for (uint32_t id : r.live_ids()) EXPECT_TRUE(r.machine().direct_map().present(r.record(id).pfn));
  EXPECT_FALSE(r.check_full());
}

// direct-map-refuse-1..4: Expect the sanitizer to refuse unmapped requests that are not
// unmovable, cannot block, or ask for zeroing (v4), and the v2 spelling __GFP_UNMAPPED
// to be refused the same way.
TEST(direct_map, refuse_1) {
  Machine m(small());
  AllocFlags f = unmapped();
  for (gfp_t g : {GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_NOWAIT,
                  GFP_KERNEL | __GFP_ZERO}) {
    AllocResult r = m.alloc_pages_context(req(g, 0), &f);
    EXPECT_EQ(r.status, AllocStatus::Error) << gfp_to_string(g);
    EXPECT_EQ(r.error, AllocError::ContextRejected) << gfp_to_string(g);
    AllocResult v2 = m.alloc_pages(req(g | __GFP_UNMAPPED, 0));
    EXPECT_EQ(v2.error, AllocError::ContextRejected) << gfp_to_string(g);
  }
  EXPECT_EQ(m.direct_map().stats().flips, 0u);
}

// direct-map-refuse-2: Expect no flip where the architecture cannot change the direct
// map (can_set_direct_map() false): an unmapped request with no unmapped block fails,
// and nothing is unmapped.
TEST(direct_map, refuse_2) {
  Machine m(small(/*can_flip=*/false));
  AllocFlags f = unmapped();
  AllocResult r = m.alloc_pages_context(req(GFP_KERNEL, 0), &f);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_EQ(m.direct_map().nr_absent(), 0u);
}

// direct-map-refuse-3: Expect a mapped request that cannot block not to flip unmapped
// space back (the flip needs a TLB-shootdown IPI): with only unmapped space free,
// GFP_ATOMIC fails while GFP_KERNEL succeeds.
TEST(direct_map, refuse_3) {
  Machine m(small());
  AllocFlags f = unmapped();
  AllocResult u = m.alloc_pages_context(req(GFP_KERNEL, 4), &f);
  ASSERT_TRUE(u.ok());
  for (int i = 0; i < 3; i++) ASSERT_TRUE(m.alloc_pages(req(GFP_HIGHUSER_MOVABLE, 4)).ok());
  ASSERT_TRUE(m.free_frozen_pages(u.pfn, 4).ok());
  EXPECT_EQ(m.alloc_pages(req(GFP_ATOMIC | __GFP_NOWARN, 4)).status, AllocStatus::Failed);
  EXPECT_TRUE(m.direct_map().range_is(0, 16, false));
  EXPECT_TRUE(m.alloc_pages(req(GFP_KERNEL, 4)).ok());
}

// direct-map-refuse-4: Expect a free after the owner removed a mapped page from the
// direct map and did not restore it to be refused (bad_page), leaving the machine as it
// was; after restoring, the free goes through.
TEST(direct_map, refuse_4) {
  Machine m(small());
  AllocResult a = m.alloc_pages(req(GFP_KERNEL, 4));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(m.owner_set_direct_map(a.pfn, 4, false));
  uint64_t gen = m.generation();
  FreeResult f = m.free_pages(a.pfn, 4);
  EXPECT_EQ(f.error, FreeError::DirectMapNotRestored);
  EXPECT_NE(f.report.find("direct map"), std::string::npos);
  EXPECT_EQ(m.generation(), gen);
  ASSERT_TRUE(m.owner_set_direct_map(a.pfn, 4, true));
  EXPECT_TRUE(m.free_pages(a.pfn, 4).ok());
  EXPECT_FALSE(check_invariants(m));
}

// direct-map-levels-1: Expect splits to follow the boot mapping size: with 4 KiB pages
// nothing splits, with 1 GiB pages the first partial flip splits the 1 GiB mapping and
// the 2 MiB mapping under it.
TEST(direct_map, levels_1) {
  for (DirectMapLevel lvl : {DirectMapLevel::PAGE_4K, DirectMapLevel::PUD_1G}) {
    Config c = small();
    c.direct_map_level = lvl;
    Machine m(c);
    AllocFlags f = unmapped();
    ASSERT_TRUE(m.alloc_pages_context(req(GFP_KERNEL, 4), &f).ok());
    const DirectMapStats& s = m.direct_map().stats();
    if (lvl == DirectMapLevel::PAGE_4K) {
      EXPECT_EQ(s.splits_1g + s.splits_2m, 0u);
    } else {
      EXPECT_EQ(s.splits_1g, 1u);
      EXPECT_EQ(s.splits_2m, 1u);
    }
  }
}

// direct-map-trace-1: Expect the op vocabulary to carry unmapped work: a trace with a
// context unmapped allocation, an owner flip and restore, and frees runs clean.
TEST(direct_map, trace_1) {
  ParseResult p = parse_trace(
      "buddycheck-trace 1\n"
      "config max_order=4 pageblock_order=1 min_free_kbytes=0\n"
      "node 0 cpus=0\n"
      "zone 0 Normal start=0x0 pages=64\n"
      "alloc order=4 gfp=GFP_KERNEL ctx=unmapped\n"
      "alloc order=2 gfp=GFP_KERNEL\n"
      "dm_set id=1 present=no\n"
      "dm_set id=1 present=yes\n"
      "free id=1\n"
      "free id=0\n"
      "check\n",
      "unmapped.trace");
  ASSERT_TRUE(p.ok()) << p.error->to_string();
  RunResult r = run_trace(*p.trace);
  EXPECT_TRUE(r.ok()) << r.report << (r.error ? *r.error : "");
}

}  // namespace
