// SPDX-License-Identifier: GPL-2.0-or-later
// Per-cpu pagesets: zone_batchsize(), high_min/high_max from
// zone_highsize(), refilling an empty list (nr_pcp_alloc, alloc_factor growth),
// freeing to a list and draining past high (nr_pcp_high, nr_pcp_free, free_high),
// drains of one CPU versus all, per-CPU separation, and the
// percpu_pagelist_high_fraction sysctl. Numbers are worked out by hand from
// mm/page_alloc.c (Linux 6.12) with CONFIG_PCP_BATCH_SCALE_MAX = 5.
#include <gtest/gtest.h>

#include <vector>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order, unsigned cpu) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  r.cpu = cpu;
  return m.alloc_pages(r);
}

void expect_sizes(const Machine& m, const Zone& z, int batch, int high_min, int high_max) {
  SCOPED_TRACE(::testing::Message() << "node " << z.node << " zone " << zone_name(z.type));
  EXPECT_EQ(z.pageset_batch, batch);
  EXPECT_EQ(z.pageset_high_min, high_min);
  EXPECT_EQ(z.pageset_high_max, high_max);
  for (unsigned c = 0; c < m.nr_cpus(); c++) {
    EXPECT_EQ(m.pcp(z.id, c).batch, batch);
    EXPECT_EQ(m.pcp(z.id, c).high_min, high_min);
    EXPECT_EQ(m.pcp(z.id, c).high_max, high_max);
  }
}

// PFNs on one pcp list, head first.
std::vector<Pfn> pcp_list(const Machine& m, unsigned zone, unsigned cpu, unsigned pindex) {
  std::vector<Pfn> out;
  for (uint32_t i = m.pcp(zone, cpu).lists[pindex].head; i != kNil;
       i = m.page(m.pfn_of_index(i)).next)
    out.push_back(m.pfn_of_index(i));
  return out;
}

// single_zone(16384) with two CPUs on node 0:
//   watermarks: min_free_kbytes int_sqrt(65536*16) = 1024, pages_min 256, delta
//   max(64, 16) = 64 -> low 320.
//   batch: min(16384 >> 10, 256) = 16; 16/4 = 4; rounddown_pow2(4 + 2) - 1 = 3.
//   high_min = 320 / 2 CPUs = 160; high_max = (16384/8) / 2 = 1024.
Config two_cpu_zone() {
  Config c = configs::single_zone(16384);
  c.cpu_node = {0, 0};
  return c;
}
constexpr unsigned kZ = ZONE_NORMAL;  // zone id of node 0's NORMAL zone

// ---- sizing -------------------------------------------------------------------------

// pcp-size-1: Expect batch 3, high_min 160, high_max 1024 on the two-CPU 16384-page zone.
TEST(pcp, size_1) {
  Machine m(two_cpu_zone());
  expect_sizes(m, m.zone(kZ), 3, 160, 1024);
  EXPECT_EQ(m.pcp(kZ, 0).high, 0);  // the boot value until first use
}

// pcp-size-2: Expect pc_like's three zones (two CPUs) to size their pagesets from their
// own managed pages and low marks (27 / 423 / 452, see watermarks-setup-1).
TEST(pcp, size_2) {
  Machine m(configs::pc_like(61440, 65536));
  // DMA: 4095>>10 = 3; 3/4 = 0 -> 1; rounddown_pow2(1) - 1 = 0 -> max(1, 0) = 1.
  //      high_min = max(27/2 = 13, 4*1); high_max = max((4095/8 = 511)/2 = 255, 4)
  expect_sizes(m, m.node_zone(0, ZONE_DMA), 1, 13, 255);
  // DMA32: 61440>>10 = 60; 60/4 = 15; rounddown_pow2(15+7 = 22) - 1 = 15.
  //      high_min = 423/2 = 211; high_max = (61440/8 = 7680)/2 = 3840
  expect_sizes(m, m.node_zone(0, ZONE_DMA32), 15, 211, 3840);
  // NORMAL: 64/4 = 16; rounddown_pow2(24) - 1 = 15. 452/2 = 226; 8192/2 = 4096
  expect_sizes(m, m.node_zone(0, ZONE_NORMAL), 15, 226, 4096);
}

// pcp-size-3: Expect batch to stop growing at 1 MiB: 2^20 pages give
// min(1024, 256)/4 = 64, rounddown_pow2(96) - 1 = 63; high_min = low 3096, high_max 2^17.
TEST(pcp, size_3) {
  Config c = configs::single_zone(uint64_t{1} << 20);
  c.page_bytes = 0;
  Machine m(c);
  expect_sizes(m, m.node_zone(0, ZONE_NORMAL), 63, 3096, 131072);
}

// pcp-size-4: Expect high to be split over the CPUs of the zone's node, and over all
// online CPUs for a node without CPUs. numa(3, 16384), CPUs {0, 0, 1}:
//   min_free_kbytes int_sqrt(49152*4*16 = 3145728) = 1773; pages_min 443;
//   tmp = 443*16384/49152 = 147; delta = max(36, 16) = 36 -> low 183; batch 3.
TEST(pcp, size_4) {
  Config c = configs::numa(3, 16384);
  c.cpu_node = {0, 0, 1};
  Machine m(c);
  ASSERT_EQ(m.min_free_kbytes(), 1773u);
  ASSERT_EQ(m.node_zone(0, ZONE_NORMAL).watermark[WMARK_LOW], 183u);
  expect_sizes(m, m.node_zone(0, ZONE_NORMAL), 3, 183 / 2, 2048 / 2);  // 91, 1024
  expect_sizes(m, m.node_zone(1, ZONE_NORMAL), 3, 183, 2048);
  expect_sizes(m, m.node_zone(2, ZONE_NORMAL), 3, 183 / 3, 2048 / 3);  // 61, 682
}

// pcp-size-5: Expect high to be at least 4 * batch: a 16-page zone with no min_free_kbytes
// has low 0 and managed/8 = 2, both raised to 4 * 1.
TEST(pcp, size_5) {
  Config c = configs::single_zone(16, 3, 2);
  c.min_free_kbytes = 0;
  Machine m(c);
  expect_sizes(m, m.node_zone(0, ZONE_NORMAL), 1, 4, 4);
}

// ---- refill ---------------------------------------------------------------------------

// pcp-refill-1: Expect the first order-0 allocation on a CPU to clamp high to 160, grow it
// by one batch (163), pull 3 pages (max_nr_alloc = 163 - 0 - 3 = 160 >= 3) and hand out
// the first: PFN 0 from the UNMOVABLE claim of block 0-1023; 1 and 2 stay on the list.
TEST(pcp, refill_1) {
  Machine m(two_cpu_zone());
  AllocResult r = alloc(m, GFP_KERNEL, 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.from_pcp);
  EXPECT_EQ(r.pfn, 0u);
  const PerCpuPages& p = m.pcp(kZ, 0);
  EXPECT_EQ(p.count, 2);
  EXPECT_EQ(p.high, 163);
  EXPECT_EQ(p.alloc_factor, 1);
  EXPECT_EQ(pcp_list(m, kZ, 0, m.order_to_pindex(MIGRATE_UNMOVABLE, 0)), (std::vector<Pfn>{1, 2}));
  EXPECT_EQ(m.page(1).state, PageState::Pcp);
  EXPECT_EQ(m.page(1).cpu, 0);
  // pcp pages are not free in NR_FREE_PAGES.
  EXPECT_EQ(m.zone(kZ).nr_free_pages, 16384 - 3);
  EXPECT_EQ(m.pcp(kZ, 1).count, 0);
}

// pcp-refill-2: Expect each refill of a list that ran dry to double the batch
// (3, 6, 12, 24, 48, then 96 = 3 << 5 twice) and to raise high by that batch: refills
// happen at allocations 1, 4, 10, 22, 46, 94 and 190.
TEST(pcp, refill_2) {
  Machine m(two_cpu_zone());
  struct Step {
    int nth;     // allocation number that refilled
    int pulled;  // pages pulled by that refill
    int factor;  // alloc_factor after it
    int high;    // pcp->high after it
  } steps[] = {{1, 3, 1, 163},   {4, 6, 2, 169},   {10, 12, 3, 181}, {22, 24, 4, 205},
               {46, 48, 5, 253}, {94, 96, 5, 349}, {190, 96, 5, 445}};
  int n = 0;
  for (const Step& s : steps) {
    while (n < s.nth) {
      AllocResult r = alloc(m, GFP_KERNEL, 0, 0);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r.pfn, static_cast<Pfn>(n)) << "allocations come out in PFN order";
      n++;
    }
    SCOPED_TRACE(s.nth);
    const PerCpuPages& p = m.pcp(kZ, 0);
    EXPECT_EQ(p.count, s.pulled - 1);
    EXPECT_EQ(p.alloc_factor, s.factor);
    EXPECT_EQ(p.high, s.high);
  }
}

// pcp-refill-3: Expect order-1 refills to pull max(3 >> 1, 2) = 2 blocks and not to touch
// alloc_factor.
TEST(pcp, refill_3) {
  Machine m(two_cpu_zone());
  AllocResult r = alloc(m, GFP_KERNEL, 1, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(m.pcp(kZ, 0).count, 2);  // one order-1 block = 2 pages
  EXPECT_EQ(m.pcp(kZ, 0).alloc_factor, 0);
  EXPECT_EQ(pcp_list(m, kZ, 0, m.order_to_pindex(MIGRATE_UNMOVABLE, 1)), (std::vector<Pfn>{2}));
}

// pcp-cpu-1: Expect each CPU to refill and hand out from its own list: CPU 1's first
// allocation pulls fresh pages 3-5 and does not see CPU 0's 1-2.
TEST(pcp, cpu_1) {
  Machine m(two_cpu_zone());
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 0).pfn, 0u);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 1).pfn, 3u);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 0).pfn, 1u);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 1).pfn, 4u);
  EXPECT_EQ(m.pcp(kZ, 0).count, 1);
  EXPECT_EQ(m.pcp(kZ, 1).count, 1);
  EXPECT_EQ(m.page(2).cpu, 0);
  EXPECT_EQ(m.page(5).cpu, 1);
  // A free on CPU 1 lands on CPU 1's list, at the head.
  ASSERT_TRUE(m.free_pages(0, 0, 1).ok());
  EXPECT_EQ(pcp_list(m, kZ, 1, 0), (std::vector<Pfn>{0, 5}));
}

// ---- free ---------------------------------------------------------------------------------

// Allocates PFNs 0..n-1 on CPU 0 (see pcp-refill-2), returns the machine.
Machine with_allocated(int n) {
  Machine m(two_cpu_zone());
  for (int i = 0; i < n; i++) EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 0).pfn, static_cast<Pfn>(i));
  return m;
}

// pcp-free-1: Expect 160 order-0 frees on a fresh CPU to fill its list up to high_min
// 160, then to send back clamp(free_count, batch, high - batch) = clamp(96, 3, 157) = 96
// pages (free_count stops at 3 << 5 = 96), the oldest first (the list's tail), leaving 64.
TEST(pcp, free_1) {
  Machine m = with_allocated(200);
  for (Pfn p = 0; p < 159; p++) ASSERT_TRUE(m.free_pages(p, 0, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 159);
  EXPECT_EQ(m.pcp(kZ, 1).free_count, 96);
  ASSERT_TRUE(m.free_pages(159, 0, 1).ok());
  const PerCpuPages& p = m.pcp(kZ, 1);
  EXPECT_EQ(p.count, 64);
  // need_high = 96 + 3 = 99 < high 160: high unchanged.
  EXPECT_EQ(p.high, 160);
  for (Pfn f = 0; f < 96; f++) ASSERT_NE(m.page(f).state, PageState::Pcp) << f;
  for (Pfn f = 96; f < 160; f++) ASSERT_EQ(m.page(f).state, PageState::Pcp) << f;
  // The 40 frees after that stay below high: 104 pages, no drain.
  for (Pfn f = 160; f < 200; f++) ASSERT_TRUE(m.free_pages(f, 0, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 104);
}

// pcp-free-2: Expect an allocation to halve free_count (96 -> 48), so the next drain past
// high sends back clamp(48 + frees since, 3, 157) pages.
TEST(pcp, free_2) {
  Machine m = with_allocated(200);
  for (Pfn p = 0; p < 150; p++) ASSERT_TRUE(m.free_pages(p, 0, 1).ok());
  ASSERT_EQ(m.pcp(kZ, 1).free_count, 96);
  // Allocating on CPU 1 takes the head (149) and halves free_count.
  AllocResult r = alloc(m, GFP_KERNEL, 0, 1);
  EXPECT_EQ(r.pfn, 149u);
  EXPECT_EQ(m.pcp(kZ, 1).free_count, 48);
  EXPECT_EQ(m.pcp(kZ, 1).count, 149);
  // Eleven more frees: count 160 at the eleventh, free_count 48 + 11 = 59 -> 59 sent back.
  for (Pfn p = 150; p < 161; p++) ASSERT_TRUE(m.free_pages(p, 0, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 160 - 59);
}

// pcp-free-3: Expect the third consecutive order-1 free to drain the whole list:
// free_count (4) >= batch (3) after a previous high-order free sets free_high, and
// nr_pcp_free then returns min(count, 96) = 6.
TEST(pcp, free_3) {
  Machine m(two_cpu_zone());
  Pfn blocks[3];
  for (Pfn& b : blocks) {
    AllocResult r = alloc(m, GFP_KERNEL, 1, 0);
    ASSERT_TRUE(r.ok());
    b = r.pfn;
  }
  ASSERT_TRUE(m.free_pages(blocks[0], 1, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 2);
  ASSERT_TRUE(m.free_pages(blocks[1], 1, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 4);  // free_count was 2 < 3: no free_high yet
  ASSERT_TRUE(m.free_pages(blocks[2], 1, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 0);
  EXPECT_EQ(m.pcp(kZ, 1).high, 160);  // max(160 - 96, high_min)
}

// ---- drains ---------------------------------------------------------------------------------

// pcp-drain-1: Expect drain_local_pages(cpu) to empty only that CPU's lists and
// drain_all_pages() every CPU's; afterwards everything merges back into order-10 blocks.
TEST(pcp, drain_1) {
  Machine m = with_allocated(200);  // CPU 0 holds 285 - 200 = 85 pages
  for (Pfn p = 0; p < 200; p++) ASSERT_TRUE(m.free_pages(p, 0, 1).ok());
  ASSERT_EQ(m.pcp(kZ, 0).count, 85);
  ASSERT_EQ(m.pcp(kZ, 1).count, 104);
  m.drain_local_pages(1);
  EXPECT_EQ(m.pcp(kZ, 1).count, 0);
  EXPECT_EQ(m.pcp(kZ, 0).count, 85);
  const uint64_t calls = m.stats().drain_all_calls;
  m.drain_all_pages();
  EXPECT_EQ(m.stats().drain_all_calls, calls + 1);
  EXPECT_EQ(m.pcp(kZ, 0).count, 0);
  EXPECT_EQ(m.zone(kZ).nr_free_pages, 16384);
  // 16 order-10 blocks; the claimed first block is UNMOVABLE but merges with itself.
  EXPECT_EQ(m.zone(kZ).free_area[10].nr_free, 16u);
  EXPECT_EQ(m.get_pageblock_migratetype(0), MIGRATE_UNMOVABLE);
}

// pcp-drain-2: Expect drain_local_pages(cpu, zone) to drain only that zone.
TEST(pcp, drain_2) {
  Config c = configs::pc_like(61440, 65536);
  Machine m(c);
  ASSERT_TRUE(alloc(m, GFP_KERNEL, 0, 0).ok());              // NORMAL
  ASSERT_TRUE(alloc(m, GFP_KERNEL | GFP_DMA32, 0, 0).ok());  // DMA32
  const unsigned normal = m.node_zone(0, ZONE_NORMAL).id, dma32 = m.node_zone(0, ZONE_DMA32).id;
  // batch 15: the first refill pulls 15 and hands out 1.
  ASSERT_EQ(m.pcp(normal, 0).count, 14);
  ASSERT_EQ(m.pcp(dma32, 0).count, 14);
  m.drain_local_pages(0, dma32);
  EXPECT_EQ(m.pcp(dma32, 0).count, 0);
  EXPECT_EQ(m.pcp(normal, 0).count, 14);
}

// ---- sysctl ---------------------------------------------------------------------------------

// pcp-fraction-1: Expect percpu_pagelist_high_fraction to fix high_min = high_max =
// (managed / fraction) / CPUs: 8 -> 2048/2 = 1024; 100 -> 163/2 = 81; 0 restores 160/1024.
TEST(pcp, fraction_1) {
  Machine m(two_cpu_zone());
  m.set_percpu_pagelist_high_fraction(8);
  expect_sizes(m, m.zone(kZ), 3, 1024, 1024);
  m.set_percpu_pagelist_high_fraction(100);
  expect_sizes(m, m.zone(kZ), 3, 81, 81);
  m.set_percpu_pagelist_high_fraction(0);
  expect_sizes(m, m.zone(kZ), 3, 160, 1024);
}

// pcp-fraction-2: Expect a fixed high (fraction 100: 81) not to grow on refill and to
// drain at 81 pages: clamp(free_count 82, 3, 78) = 78 pages back, 3 left (free_count
// is 1 from the first free plus 81).
TEST(pcp, fraction_2) {
  Machine m = with_allocated(100);
  m.set_percpu_pagelist_high_fraction(100);
  AllocResult r = alloc(m, GFP_KERNEL, 0, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(m.pcp(kZ, 1).high, 81);
  ASSERT_TRUE(m.free_pages(r.pfn, 0, 1).ok());
  m.drain_local_pages(1);
  for (Pfn p = 0; p < 80; p++) ASSERT_TRUE(m.free_pages(p, 0, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 80);
  ASSERT_TRUE(m.free_pages(80, 0, 1).ok());
  EXPECT_EQ(m.pcp(kZ, 1).count, 3);
  EXPECT_EQ(m.pcp(kZ, 1).high, 81);
}

// pcp-fraction-3: Expect a fraction between 1 and 7 to be refused as the kernel's sysctl
// handler does ("Sanity checking to avoid pcp imbalance": -EINVAL, old value kept), so
// the pagesets keep 160/1024.
TEST(pcp, fraction_3) {
  Machine m(two_cpu_zone());
  EXPECT_FALSE(m.set_percpu_pagelist_high_fraction(4));
  expect_sizes(m, m.zone(kZ), 3, 160, 1024);
  EXPECT_EQ(m.config().percpu_pagelist_high_fraction, 0u);
}

// pcp-decay-1: Expect the vmstat tick to shrink high by max(count - 96, high - high/8,
// high_min) and to drain what exceeds it. CPU 0 after 94 allocations holds 95 pages with
// high 349 (pcp-refill-2); freeing 0..93 there brings count to 189 without a drain.
// Ticks: 349 -> 306 -> 268 -> 235 -> 206 -> 181 (drain 189 - 181 = 8) ->
// max(181 - 96, 181 - 22, 160) = 160 (drain 21) -> 160 (no change).
TEST(pcp, decay_1) {
  Machine m = with_allocated(94);
  for (Pfn p = 0; p < 94; p++) ASSERT_TRUE(m.free_pages(p, 0, 0).ok());
  ASSERT_EQ(m.pcp(kZ, 0).count, 189);
  ASSERT_EQ(m.pcp(kZ, 0).high, 349);
  struct Tick {
    int high, count;
  } ticks[] = {{306, 189}, {268, 189}, {235, 189}, {206, 189}, {181, 181}, {160, 160}, {160, 160}};
  for (const Tick& t : ticks) {
    m.decay_pcp_high(0);
    EXPECT_EQ(m.pcp(kZ, 0).high, t.high);
    EXPECT_EQ(m.pcp(kZ, 0).count, t.count);
  }
  EXPECT_EQ(m.pcp(kZ, 1).count, 0);
}

// pcp-clamp-1: Expect pcp->high to follow the kernel's clamp(v, lo, hi) = "v >= hi ? hi :
// v <= lo ? lo : v" when high_min > high_max: the first allocation on CPU 0 sets its high
// to min(clamp(0) = 65 + 1, 64) = 64; the first free on the unused CPU 1 sets its high to
// clamp(0, 65, 64) = 65; the second free to clamp(65, 65, 64) = 64. A zone whose low mark
// exceeds managed/8: 1024 pages, min_free_kbytes 420 -> pages_min 105, delta max(26, 1) =
// 26, low 131; two CPUs: high_min 131/2 = 65, high_max (1024/8)/2 = 64 (batch 1).
TEST(pcp, clamp_1) {
  Config c = configs::single_zone(1024, 4, 2);
  c.min_free_kbytes = 420;
  c.cpu_node = {0, 0};
  Machine m(c);
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  ASSERT_EQ(z.watermark[WMARK_LOW], 131u);
  ASSERT_EQ(z.pageset_high_min, 65);
  ASSERT_EQ(z.pageset_high_max, 64);
  AllocResult a = alloc(m, GFP_KERNEL, 0, 0);
  AllocResult b = alloc(m, GFP_KERNEL, 0, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(m.pcp(z.id, 0).high, 64);
  ASSERT_TRUE(m.free_pages(a.pfn, 0, 1).ok());
  // 6.12's __clamp(0, 65, 64): 0 >= 64? no; 0 <= 65? yes -> lo = 65.
  EXPECT_EQ(m.pcp(z.id, 1).high, 65);
  ASSERT_TRUE(m.free_pages(b.pfn, 0, 1).ok());
  EXPECT_EQ(m.pcp(z.id, 1).high, 64);
}

}  // namespace
