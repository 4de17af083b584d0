// SPDX-License-Identifier: GPL-2.0-or-later
// Watermarks: min_free_kbytes, the per-zone min/low/high/promo marks,
// lowmem_reserve and totalreserve_pages for several zone layouts, the sysctls that
// recompute them, and the watermark predicates __zone_watermark_ok() and
// zone_watermark_fast(). Every number is worked out by hand from the formulas of
// mm/page_alloc.c (Linux 6.12); the arithmetic is in the comment above each check.
#include <gtest/gtest.h>

#include <optional>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

struct Marks {
  uint64_t min, low, high, promo;
};

void expect_marks(const Zone& z, Marks m) {
  SCOPED_TRACE(zone_name(z.type));
  EXPECT_EQ(z.watermark[WMARK_MIN], m.min);
  EXPECT_EQ(z.watermark[WMARK_LOW], m.low);
  EXPECT_EQ(z.watermark[WMARK_HIGH], m.high);
  EXPECT_EQ(z.watermark[WMARK_PROMO], m.promo);
  EXPECT_EQ(z.watermark_boost, 0u);
}

void expect_reserve(const Zone& z, uint64_t r0, uint64_t r1, uint64_t r2, uint64_t r3) {
  SCOPED_TRACE(zone_name(z.type));
  EXPECT_EQ(z.lowmem_reserve[ZONE_DMA], r0);
  EXPECT_EQ(z.lowmem_reserve[ZONE_DMA32], r1);
  EXPECT_EQ(z.lowmem_reserve[ZONE_NORMAL], r2);
  EXPECT_EQ(z.lowmem_reserve[ZONE_MOVABLE], r3);
}

// One node, one zone of `pages` pages from PFN 0.
Config one_zone(uint64_t pages, unsigned max_order, unsigned pb_order,
                std::optional<unsigned> min_free_kbytes, ZoneType type = ZONE_NORMAL) {
  Config c = configs::single_zone(pages, max_order, pb_order);
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

constexpr gfp_t kMovable = GFP_KERNEL | __GFP_MOVABLE;

// ---- setup ---------------------------------------------------------------------------

// watermarks-setup-1: Expect pc_like(61440, 65536) (DMA 4096 pages with PFN 0 reserved) to get
// min_free_kbytes 2896 and per-zone marks split by managed share.
TEST(watermarks, setup_1) {
  Machine m(configs::pc_like(61440, 65536));
  // managed: DMA 4096-1 = 4095, DMA32 61440, NORMAL 65536 -> 131071 (all <= NORMAL).
  // lowmem_kbytes = 131071*4 = 524284; int_sqrt(524284*16 = 8388544) = 2896
  // (2896^2 = 8386816, 2897^2 = 8392609).
  EXPECT_EQ(m.min_free_kbytes(), 2896u);
  // pages_min = 2896 >> 2 = 724, lowmem_pages = 131071.
  // DMA:   tmp = 724*4095/131071 = 2964780/131071 = 22;  delta = max(22>>2=5, 4095*10/10000=4) = 5
  expect_marks(m.node_zone(0, ZONE_DMA), {22, 27, 32, 37});
  // DMA32: tmp = 724*61440/131071 = 44482560/131071 = 339; delta = max(84, 61) = 84
  expect_marks(m.node_zone(0, ZONE_DMA32), {339, 423, 507, 591});
  // NORMAL: tmp = 724*65536/131071 = 47448064/131071 = 362; delta = max(90, 65) = 90
  expect_marks(m.node_zone(0, ZONE_NORMAL), {362, 452, 542, 632});
  // Empty MOVABLE: min = clamp(0/1024, 32, 128) = 32; delta = max(0, 0) = 0
  expect_marks(m.node_zone(0, ZONE_MOVABLE), {32, 32, 32, 32});
}

// watermarks-setup-2: Expect pc_like's lowmem_reserve from ratios 256/256/32 and
// totalreserve_pages = sum of min(managed, max reserve + high).
TEST(watermarks, setup_2) {
  Machine m(configs::pc_like(61440, 65536));
  // DMA (ratio 256):   [DMA32] 61440/256 = 240; [NORMAL] (61440+65536)/256 = 496; [MOVABLE] 496
  expect_reserve(m.node_zone(0, ZONE_DMA), 0, 240, 496, 496);
  // DMA32 (ratio 256): [NORMAL] 65536/256 = 256; [MOVABLE] 256
  expect_reserve(m.node_zone(0, ZONE_DMA32), 0, 0, 256, 256);
  // NORMAL (ratio 32): [MOVABLE] 0/32 = 0
  expect_reserve(m.node_zone(0, ZONE_NORMAL), 0, 0, 0, 0);
  expect_reserve(m.node_zone(0, ZONE_MOVABLE), 0, 0, 0, 0);
  // DMA 496+32 = 528; DMA32 256+507 = 763; NORMAL 0+542 = 542; MOVABLE min(32, 0) = 0
  EXPECT_EQ(m.totalreserve_pages(), 528u + 763u + 542u);
}

// watermarks-setup-3: Expect a single 32768-page NORMAL zone to get min_free_kbytes 1448 and
// marks 362/452/542/632, no lowmem_reserve, totalreserve 542.
TEST(watermarks, setup_3) {
  Machine m(configs::single_zone(32768));
  // 32768*4 = 131072 kB; int_sqrt(2097152) = 1448 (1448^2 = 2096704, 1449^2 = 2099601)
  EXPECT_EQ(m.min_free_kbytes(), 1448u);
  // pages_min = 362 = tmp; delta = max(362>>2 = 90, 32768*10/10000 = 32) = 90
  expect_marks(m.node_zone(0, ZONE_NORMAL), {362, 452, 542, 632});
  expect_reserve(m.node_zone(0, ZONE_NORMAL), 0, 0, 0, 0);
  EXPECT_EQ(m.totalreserve_pages(), 542u);
}

// watermarks-setup-4: Expect the scale factor to set the gaps on a big zone: 2^20 pages get
// min_free_kbytes 8192 and delta = managed*10/10000 = 1048 > tmp/4 = 512.
TEST(watermarks, setup_4) {
  Config c = configs::single_zone(uint64_t{1} << 20);
  c.page_bytes = 0;
  Machine m(c);
  // 2^20*4 kB = 4194304; int_sqrt(67108864) = 8192 exactly
  EXPECT_EQ(m.min_free_kbytes(), 8192u);
  // pages_min = 2048 = tmp; delta = max(512, mult_frac(1048576, 10, 10000) = 1048) = 1048
  expect_marks(m.node_zone(0, ZONE_NORMAL), {2048, 3096, 4144, 5192});
  EXPECT_EQ(m.totalreserve_pages(), 4144u);
}

// watermarks-setup-5: Expect the default floor of 128 kB for a tiny zone: 1024 pages give
// int_sqrt(4096*16) = 256 (above the floor), 256 pages give 128 exactly, and 64 pages
// int_sqrt(256*16) = 64, clamped up to 128.
TEST(watermarks, setup_5) {
  EXPECT_EQ(Machine(configs::single_zone(1024, 4, 2)).min_free_kbytes(), 256u);
  EXPECT_EQ(Machine(configs::single_zone(256, 4, 2)).min_free_kbytes(), 128u);
  Machine m(configs::single_zone(64, 4, 2));
  EXPECT_EQ(m.min_free_kbytes(), 128u);
  // pages_min = 32 = tmp; delta = max(8, 0) = 8. High 48 of 64 pages.
  expect_marks(m.node_zone(0, ZONE_NORMAL), {32, 40, 48, 56});
}

// watermarks-setup-6: Expect two NUMA nodes of 16384 pages to share pages_min by managed
// share: lowmem counts both nodes, min_free_kbytes from node 0's fallback list (both).
TEST(watermarks, setup_6) {
  Machine m(configs::numa(2, 16384));
  // nr_free_buffer_pages = 16384+16384 = 32768 -> 1448 kB; pages_min 362.
  EXPECT_EQ(m.min_free_kbytes(), 1448u);
  // tmp = 362*16384/32768 = 181; delta = max(45, 16) = 45
  expect_marks(m.node_zone(0, ZONE_NORMAL), {181, 226, 271, 316});
  expect_marks(m.node_zone(1, ZONE_NORMAL), {181, 226, 271, 316});
  EXPECT_EQ(m.totalreserve_pages(), 2u * 271u);
}

Config normal_plus_movable() {
  Config c;
  c.nodes.push_back(
      NodeConfig{.zones = {
                     ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 0, .pages = 16384},
                     ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 16384, .pages = 65536},
                 }});
  return c;
}

// watermarks-setup-7: Expect a MOVABLE zone to be left out of lowmem and of min_free_kbytes,
// to get the small fixed min clamp(managed/1024, 32, 128) but full-size gaps, and to be
// protected in NORMAL's lowmem_reserve by managed/32.
TEST(watermarks, setup_7) {
  Machine m(normal_plus_movable());
  // nr_free_buffer_pages: zones <= NORMAL only: 16384 -> 65536 kB; int_sqrt(1048576) = 1024
  EXPECT_EQ(m.min_free_kbytes(), 1024u);
  // pages_min = 256, lowmem = 16384 (MOVABLE excluded).
  // NORMAL: tmp = 256*16384/16384 = 256; delta = max(64, 16) = 64
  expect_marks(m.node_zone(0, ZONE_NORMAL), {256, 320, 384, 448});
  // MOVABLE: tmp = 256*65536/16384 = 1024 (not the min); min = clamp(65536/1024 = 64, 32, 128) = 64
  //          delta = max(1024>>2 = 256, 65536*10/10000 = 65) = 256
  expect_marks(m.node_zone(0, ZONE_MOVABLE), {64, 320, 576, 832});
  // NORMAL ratio 32: [MOVABLE] = 65536/32 = 2048
  expect_reserve(m.node_zone(0, ZONE_NORMAL), 0, 0, 0, 2048);
  // NORMAL 2048+384 = 2432; MOVABLE 0+576 = 576
  EXPECT_EQ(m.totalreserve_pages(), 2432u + 576u);
}

// ---- sysctls ---------------------------------------------------------------------------

// watermarks-sysctl-1: Expect writing min_free_kbytes to recompute marks, totalreserve and
// the pcp high_min (= low mark on a one-CPU node).
TEST(watermarks, sysctl_1) {
  Machine m(configs::single_zone(32768));
  const uint64_t gen = m.generation();
  m.set_min_free_kbytes(4096);
  EXPECT_EQ(m.min_free_kbytes(), 4096u);
  EXPECT_GT(m.generation(), gen);
  // pages_min = 1024 = tmp; delta = max(256, 32) = 256
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  expect_marks(z, {1024, 1280, 1536, 1792});
  EXPECT_EQ(m.totalreserve_pages(), 1536u);
  EXPECT_EQ(z.pageset_high_min, 1280);
  EXPECT_EQ(m.pcp(z.id, 0).high_min, 1280);
}

// watermarks-sysctl-2: Expect totalreserve to be capped at managed when min_free_kbytes
// exceeds the zone: 8192 kB on 1024 pages gives high 3072 > 1024.
TEST(watermarks, sysctl_2) {
  Machine m(configs::single_zone(1024, 4, 2));
  m.set_min_free_kbytes(8192);
  // pages_min 2048; tmp = 2048*1024/1024 = 2048; delta = max(512, 1) = 512
  expect_marks(m.node_zone(0, ZONE_NORMAL), {2048, 2560, 3072, 3584});
  EXPECT_EQ(m.totalreserve_pages(), 1024u);
}

// watermarks-sysctl-3: Expect watermark_scale_factor 1000 (10%) to widen the gaps to
// mult_frac(32768, 1000, 10000) = 3*1000 + 2768*1000/10000 = 3276, min unchanged.
TEST(watermarks, sysctl_3) {
  Machine m(configs::single_zone(32768));
  m.set_watermark_scale_factor(1000);
  // min 362; delta = max(90, 3276) = 3276
  expect_marks(m.node_zone(0, ZONE_NORMAL), {362, 3638, 6914, 10190});
  EXPECT_EQ(m.totalreserve_pages(), 6914u);
  // And back: the default restores the old marks.
  m.set_watermark_scale_factor(10);
  expect_marks(m.node_zone(0, ZONE_NORMAL), {362, 452, 542, 632});
}

// watermarks-sysctl-4: Expect lowmem_reserve_ratio {128, 512, 32, 0} to recompute pc_like's
// reserves and totalreserve; a 0 ratio clears the zone's reserves.
TEST(watermarks, sysctl_4) {
  Machine m(configs::pc_like(61440, 65536));
  m.set_lowmem_reserve_ratio({128, 512, 32, 0});
  // DMA: 61440/128 = 480; 126976/128 = 992
  expect_reserve(m.node_zone(0, ZONE_DMA), 0, 480, 992, 992);
  // DMA32: 65536/512 = 128
  expect_reserve(m.node_zone(0, ZONE_DMA32), 0, 0, 128, 128);
  // DMA 992+32 = 1024; DMA32 128+507 = 635; NORMAL 542
  EXPECT_EQ(m.totalreserve_pages(), 1024u + 635u + 542u);
  m.set_lowmem_reserve_ratio({0, 256, 32, 0});
  expect_reserve(m.node_zone(0, ZONE_DMA), 0, 0, 0, 0);
  // DMA 0+32; DMA32 256+507; NORMAL 542
  EXPECT_EQ(m.totalreserve_pages(), 32u + 763u + 542u);
}

// ---- __zone_watermark_ok ---------------------------------------------------------------

// watermarks-ok-1: Expect the plain check "free - (2^order - 1) > mark + reserve" with a
// signed free count: mark 101 passes at 102 free and fails at 101; order 3 needs 7 more.
TEST(watermarks, ok_1) {
  Machine m(configs::single_zone(32768));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_TRUE(m._zone_watermark_ok(z, 0, 101, ZONE_NORMAL, ALLOC_WMARK_MIN, 102));
  EXPECT_FALSE(m._zone_watermark_ok(z, 0, 101, ZONE_NORMAL, ALLOC_WMARK_MIN, 101));
  EXPECT_TRUE(m._zone_watermark_ok(z, 3, 101, ZONE_NORMAL, ALLOC_WMARK_MIN, 109));
  EXPECT_FALSE(m._zone_watermark_ok(z, 3, 101, ZONE_NORMAL, ALLOC_WMARK_MIN, 108));
  EXPECT_FALSE(m._zone_watermark_ok(z, 3, 0, ZONE_NORMAL, ALLOC_WMARK_MIN, 0));  // 0-7 < 0
}

// watermarks-ok-2: Expect the reserve discounts in the kernel's order with integer division
// (mark 101): MIN_RESERVE 101-50 = 51; +NON_BLOCK 51-12 = 39; OOM 101-50 = 51;
// all three 39-19 = 20; NON_BLOCK or HIGHATOMIC alone: no discount.
TEST(watermarks, ok_2) {
  Machine m(configs::single_zone(32768));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  struct Case {
    unsigned flags;
    int64_t min;
  } cases[] = {
      {ALLOC_MIN_RESERVE, 51},
      {ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 39},
      {ALLOC_OOM, 51},
      {ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK | ALLOC_OOM, 20},
      {ALLOC_MIN_RESERVE | ALLOC_OOM, 26},  // 51 - 25
      {ALLOC_NON_BLOCK, 101},
      {ALLOC_HIGHATOMIC, 101},
      {ALLOC_CMA | ALLOC_CPUSET | ALLOC_KSWAPD, 101},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(alloc_flags_to_string(c.flags));
    EXPECT_TRUE(m._zone_watermark_ok(z, 0, 101, ZONE_NORMAL, c.flags, c.min + 1));
    EXPECT_FALSE(m._zone_watermark_ok(z, 0, 101, ZONE_NORMAL, c.flags, c.min));
  }
}

// watermarks-ok-3: Expect lowmem_reserve[highest_zoneidx] on top of the mark: pc_like's DMA32
// keeps 256 pages from NORMAL-capable requests but nothing from DMA32-only ones.
TEST(watermarks, ok_3) {
  Machine m(configs::pc_like(61440, 65536));
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  // 507 + 256 = 763
  EXPECT_TRUE(m._zone_watermark_ok(z, 0, 507, ZONE_NORMAL, 0, 764));
  EXPECT_FALSE(m._zone_watermark_ok(z, 0, 507, ZONE_NORMAL, 0, 763));
  EXPECT_TRUE(m._zone_watermark_ok(z, 0, 507, ZONE_DMA32, 0, 508));
  // DMA under a MOVABLE-capable request: 32 + 496
  const Zone& dma = m.node_zone(0, ZONE_DMA);
  EXPECT_FALSE(m._zone_watermark_ok(dma, 0, 32, ZONE_MOVABLE, 0, 528));
  EXPECT_TRUE(m._zone_watermark_ok(dma, 0, 32, ZONE_MOVABLE, 0, 529));
}

// watermarks-ok-4: Expect free CMA pages not to count for a request without ALLOC_CMA: 1024
// pages, 512 of them CMA, pass mark 511 only with 512 usable, or mark 1023 with CMA.
TEST(watermarks, ok_4) {
  Config c = configs::single_zone(1024, 4, 2);
  c.cma = {{512, 1024}};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(z.nr_free_pages, 1024);
  ASSERT_EQ(z.nr_free_cma_pages, 512);
  // 1024 - 512 = 512
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 511, ZONE_NORMAL, 0));
  EXPECT_FALSE(m.zone_watermark_ok(z, 0, 512, ZONE_NORMAL, 0));
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 1023, ZONE_NORMAL, ALLOC_CMA));
  EXPECT_FALSE(m.zone_watermark_ok(z, 0, 1024, ZONE_NORMAL, ALLOC_CMA));
}

// watermarks-ok-5: Expect free highatomic pages not to count for a request without reserve
// flags, but to count for NON_BLOCK/HIGHATOMIC ones (Linux 6.12 counts nr_free_highatomic).
// Zone: 512 pages, min 45 low 56; 29 movable order-4 blocks leave 48 free, then an
// order-1 GFP_ATOMIC (slow path) reserves the pageblock of what it got.
TEST(watermarks, ok_5) {
  Machine m(configs::single_zone(512, 4, 2));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(z.watermark[WMARK_MIN], 45u);
  for (int i = 0; i < 29; i++) ASSERT_TRUE(alloc(m, kMovable, 4).ok()) << i;
  ASSERT_EQ(z.nr_free_pages, 48);
  AllocResult a = alloc(m, GFP_ATOMIC, 1);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a.slowpath);
  ASSERT_EQ(z.nr_free_pages, 46);
  ASSERT_EQ(z.nr_free_highatomic, 2u);  // the other half of the claimed order-2 piece
  // Without reserves: 46 - 2 = 44 usable.
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 43, ZONE_NORMAL, 0));
  EXPECT_FALSE(m.zone_watermark_ok(z, 0, 44, ZONE_NORMAL, 0));
  // Reserve users count all 46 (and these two get no discount).
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 45, ZONE_NORMAL, ALLOC_NON_BLOCK));
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 45, ZONE_NORMAL, ALLOC_HIGHATOMIC));
  EXPECT_FALSE(m.zone_watermark_ok(z, 0, 46, ZONE_NORMAL, ALLOC_HIGHATOMIC));
}

// watermarks-ok-6: Expect a high-order check to need a free block of at least that order on
// an UNMOVABLE/MOVABLE/RECLAIMABLE list, however many pages are free.
//   pfn   0  1  2  3  4  5  6  7  8 .. 15
//         .  A  .  A  .  A  .  A  A .. A     (. free order-0, A allocated)
// Expect order 0 to pass and order 1 to fail with 4 pages (or a claimed 1000) free.
TEST(watermarks, ok_6) {
  Machine m(one_zone(16, 3, 2, 0));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  // Eight order-0 allocations take 0..7 in PFN order (pcp refills of 1, 2, 3 and 3
  // pages); draining returns the extra page 8, which merges back into 8-15.
  Pfn p[8];
  for (int i = 0; i < 8; i++) {
    AllocResult r = alloc(m, kMovable, 0);
    ASSERT_TRUE(r.ok());
    p[i] = r.pfn;
  }
  m.drain_all_pages();
  for (int i = 0; i < 8; i++) ASSERT_EQ(p[i], static_cast<Pfn>(i));
  ASSERT_EQ(m.page(8).state, PageState::Buddy);
  ASSERT_EQ(m.page(8).order, 3);
  ASSERT_TRUE(alloc(m, kMovable, 3).ok());  // 8-15
  for (Pfn f : {0, 2, 4, 6}) {
    ASSERT_TRUE(m.free_pages(f, 0).ok());
    m.drain_all_pages();
  }
  ASSERT_EQ(z.nr_free_pages, 4);
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, 0, ZONE_NORMAL, 0));
  EXPECT_FALSE(m.zone_watermark_ok(z, 1, 0, ZONE_NORMAL, 0));
  EXPECT_FALSE(m._zone_watermark_ok(z, 1, 0, ZONE_NORMAL, 0, 1000));
}

// watermarks-ok-7: Expect free CMA blocks to satisfy the high-order list test only for
// ALLOC_CMA requests (a zone that is all CMA).
TEST(watermarks, ok_7) {
  Config c = one_zone(32, 3, 2, 0);
  c.cma = {{0, 32}};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(z.nr_free_cma_pages, 32);
  // Explicit free 1000: 1000 - 1 - 32 > 0, so only the list test decides.
  EXPECT_FALSE(m._zone_watermark_ok(z, 1, 0, ZONE_NORMAL, 0, 1000));
  EXPECT_TRUE(m._zone_watermark_ok(z, 1, 0, ZONE_NORMAL, ALLOC_CMA, 1000));
  EXPECT_TRUE(m._zone_watermark_ok(z, 0, 0, ZONE_NORMAL, 0, 1000));  // order 0: no list test
}

// ---- zone_watermark_fast -----------------------------------------------------------------

// watermarks-fast-1: Expect the order-0 shortcut to agree with the full check on a fresh zone
// (no highatomic, no CMA): 32768 free passes mark 32767 and fails 32768.
TEST(watermarks, fast_1) {
  Machine m(configs::single_zone(32768));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  EXPECT_TRUE(m.zone_watermark_fast(z, 0, 32767, ZONE_NORMAL, 0));
  EXPECT_FALSE(m.zone_watermark_fast(z, 0, 32768, ZONE_NORMAL, 0));
  // MIN_RESERVE fails the shortcut but passes the full check: 32768 > 40000 - 20000.
  EXPECT_TRUE(m.zone_watermark_fast(z, 0, 40000, ZONE_NORMAL, ALLOC_MIN_RESERVE));
  // Order 1 skips the shortcut: 32768 - 1 > 32766.
  EXPECT_TRUE(m.zone_watermark_fast(z, 1, 32766, ZONE_NORMAL, 0));
  EXPECT_FALSE(m.zone_watermark_fast(z, 1, 32767, ZONE_NORMAL, 0));
}

// A 32-page DMA32 zone (no NOFRAGMENT), pageblocks of 4, marks all 1 (min_free_kbytes 4:
// pages_min 1, tmp = 1*32/32 = 1, delta = max(0, 0) = 0), where one UNMOVABLE order-0
// allocation claims a half-free MOVABLE block and boosts the watermark by
// min(0 + 4, max(4, mult_frac(high 1, 15000, 10000) = 1)) = 4:
//   pfn   0  1  2  3 | 4  5  6  7 | ... |24 25 26 27 |28 29 30 31
//         .  .  M  M | .  .  M  M | ... | U  u  M  M | M  M  .  .
// (. free, M movable order-1 allocation, U the claim's page, u free UNMOVABLE)
Machine boosted_zone() {
  Machine m(one_zone(32, 3, 2, 4, ZONE_DMA32));
  for (int i = 0; i < 15; i++) EXPECT_TRUE(alloc(m, kMovable, 1).ok()) << i;  // 0..29
  for (Pfn f = 0; f <= 24; f += 4) {
    EXPECT_TRUE(m.free_pages(f, 1).ok());
    m.drain_all_pages();
  }
  AllocResult u = alloc(m, GFP_KERNEL, 0);
  EXPECT_TRUE(u.ok());
  EXPECT_EQ(u.pfn, 24u);  // head of the order-1 list: the last block freed
  return m;
}

// watermarks-fast-2: Expect the boost retry: at 3 free pages with min 1 + boost 4, an order-0
// MIN_RESERVE check fails against the boosted min (5 - 5/2 = 3, 3 > 3 false) and
// passes against the unboosted one (1 - 0 = 1); no retry for other marks, for order 1,
// or without MIN_RESERVE.
TEST(watermarks, fast_2) {
  Machine m = boosted_zone();
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  ASSERT_EQ(z.watermark_boost, 4u);
  ASSERT_EQ(z.min_wmark_pages(), 5u);
  // Six movable order-1 GFP_ATOMIC allocations bring free from 15 to 3.
  for (int i = 0; i < 6; i++) ASSERT_TRUE(alloc(m, GFP_ATOMIC | __GFP_MOVABLE, 1).ok()) << i;
  ASSERT_EQ(z.nr_free_pages, 3);
  const unsigned mr = ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE;
  EXPECT_FALSE(m.zone_watermark_ok(z, 0, z.min_wmark_pages(), ZONE_NORMAL, mr));
  EXPECT_TRUE(m.zone_watermark_fast(z, 0, z.min_wmark_pages(), ZONE_NORMAL, mr));
  EXPECT_FALSE(m.zone_watermark_fast(z, 0, z.min_wmark_pages(), ZONE_NORMAL,
                                     ALLOC_WMARK_LOW | ALLOC_MIN_RESERVE));
  EXPECT_FALSE(m.zone_watermark_fast(z, 0, z.min_wmark_pages(), ZONE_NORMAL, ALLOC_WMARK_MIN));
  EXPECT_FALSE(m.zone_watermark_fast(z, 1, z.min_wmark_pages(), ZONE_NORMAL, mr));
  // What it buys: order-0 GFP_ATOMIC (MIN_RESERVE|NON_BLOCK: 5 -> 3 -> 3) still succeeds.
  AllocResult a = alloc(m, GFP_ATOMIC, 0);
  EXPECT_TRUE(a.ok());
}

// watermarks-fast-3: Expect kswapd_balance() to clear the boost, after which the plain order-0
// MIN_RESERVE check passes without the retry (3 > 1 - 0).
TEST(watermarks, fast_3) {
  Machine m = boosted_zone();
  for (int i = 0; i < 6; i++) ASSERT_TRUE(alloc(m, GFP_ATOMIC | __GFP_MOVABLE, 1).ok()) << i;
  m.kswapd_balance(0);
  const Zone& z = m.node_zone(0, ZONE_DMA32);
  EXPECT_EQ(z.watermark_boost, 0u);
  EXPECT_EQ(z.min_wmark_pages(), 1u);
  EXPECT_TRUE(m.zone_watermark_ok(z, 0, z.min_wmark_pages(), ZONE_NORMAL, ALLOC_MIN_RESERVE));
}

// watermarks-sysctl-5: Expect watermark_scale_factor outside the sysctl's 1..3000 to be
// refused as proc_dointvec_minmax() does (-EINVAL, old value and marks kept).
TEST(watermarks, sysctl_5) {
  Machine m(configs::single_zone(32768));
  EXPECT_FALSE(m.set_watermark_scale_factor(0));
  EXPECT_FALSE(m.set_watermark_scale_factor(3001));
  EXPECT_EQ(m.config().watermark_scale_factor, 10u);
  expect_marks(m.node_zone(0, ZONE_NORMAL), {362, 452, 542, 632});
}

}  // namespace
