// SPDX-License-Identifier: GPL-2.0-or-later
// The zone-wide invariants (oracles/invariants.def): zone counters, CMA, per-cpu
// pagesets, watermarks and the direct map, each fired on a machine corrupted on
// purpose (the structural ones: invariants_test.cc, which keeps the ID checklist).
#include "properties/invariants_fixture.h"

namespace {

using namespace invtest;

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
  set_block_type(c, r.pfn, MIGRATE_CMA);
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
  set_block_type(c, r.pfn, MIGRATE_MOVABLE);
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
  Pfn h =
      find_head(m, PageState::Buddy, [&](Pfn p, const Page&) { return m.pageblock_unmapped(p); });
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
