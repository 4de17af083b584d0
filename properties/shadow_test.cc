// SPDX-License-Identifier: GPL-2.0-or-later
// The shadow oracle: every check it reports fires on a crafted result, and clean runs
// over several machine shapes produce no finding (no false positives).
#include <gtest/gtest.h>

#include "alloc/kasan.h"
#include "oracles/corrupt.h"
#include "oracles/eligibility.h"
#include "oracles/shadow.h"
#include "properties/oracle_harness.h"

namespace buddycheck {
namespace {

using namespace pagealloc;

constexpr unsigned kNormal0 = 0 * MAX_NR_ZONES + ZONE_NORMAL;  // zone ids
constexpr unsigned kNormal1 = 1 * MAX_NR_ZONES + ZONE_NORMAL;

AllocResult ok_result(Pfn pfn, unsigned order, unsigned zone) {
  AllocResult r;
  r.status = AllocStatus::Ok;
  r.pfn = pfn;
  r.order = order;
  r.zone = static_cast<uint16_t>(zone);
  return r;
}

AllocRequest request(gfp_t gfp, unsigned order = 0, int nid = NUMA_NO_NODE) {
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.nid = nid;
  return req;
}

// Judges a fabricated result without painting (the PFN was never really allocated,
// so its memory is still poisoned).
std::optional<Finding> judge(Machine& m, const AllocRequest& req, const AllocResult& r,
                             const AllocFlags* ctx = nullptr) {
  Shadow s(m, /*paint=*/false);
  return s.on_alloc(m, 0, req, ctx, false, r, s.snapshot(m));
}

#define EXPECT_FINDING(f, ID)                       \
  do {                                              \
    ASSERT_TRUE((f).has_value()) << "expected " ID; \
    EXPECT_EQ((f)->id, ID) << (f)->summary;         \
  } while (0)

// shadow-zone-1: Expect a GFP_DMA32 request answered from ZONE_NORMAL to be flagged.
//   DMA 0-4095 | DMA32 4096-8191 | Normal 8192-12287
//                                  ^ pfn 8192 handed to GFP_DMA32
TEST(shadow, zone_fires) {
  Machine m(configs::pc_like(4096, 4096));
  auto f = judge(m, request(GFP_KERNEL | __GFP_DMA32), ok_result(8192, 0, kNormal0));
  EXPECT_FINDING(f, "SHADOW-ZONE");
}

// shadow-thisnode-1: Expect __GFP_THISNODE for node 0 answered from node 1 to be flagged.
TEST(shadow, thisnode_fires) {
  Machine m(configs::numa(2, 2048, 6, 4));
  auto f = judge(m, request(GFP_KERNEL | __GFP_THISNODE, 0, 0), ok_result(2048, 0, kNormal1));
  EXPECT_FINDING(f, "SHADOW-THISNODE");
}

// shadow-nodemask-1: Expect a page outside nodemask {0} for GFP_KERNEL to be flagged.
TEST(shadow, nodemask_fires) {
  Machine m(configs::numa(2, 2048, 6, 4));
  AllocRequest req = request(GFP_KERNEL, 0, 0);
  req.nodemask = Nodemask::of(0);
  EXPECT_FINDING(judge(m, req, ok_result(2048, 0, kNormal1)), "SHADOW-NODEMASK");
  // GFP_ATOMIC runs without ALLOC_CPUSET: the slow path may drop the nodemask.
  req.gfp = GFP_ATOMIC;
  EXPECT_FALSE(judge(m, req, ok_result(2048, 0, kNormal1)));
}

// shadow-cpuset-1: Expect GFP_USER (hardwall) in cpuset {0} answered from node 1 to be
// flagged; GFP_KERNEL may leave the cpuset (root hardwall ancestor), as may an interrupt.
TEST(shadow, cpuset_fires) {
  Machine m(configs::numa(2, 2048, 6, 4));
  AllocRequest req = request(GFP_USER, 0, 0);
  req.task.cpuset_mems = Nodemask::of(0);
  EXPECT_FINDING(judge(m, req, ok_result(2048, 0, kNormal1)), "SHADOW-CPUSET");
  req.gfp = GFP_KERNEL;
  EXPECT_FALSE(judge(m, req, ok_result(2048, 0, kNormal1)));
  req.gfp = GFP_USER;
  req.task.in_serving_softirq = true;  // in_interrupt() includes softirq
  EXPECT_FALSE(judge(m, req, ok_result(2048, 0, kNormal1)));
}

// shadow-cma-1: Expect an unmovable request answered from a CMA pageblock to be flagged.
//   Normal 0-4095, CMA pageblocks 1024-1087
TEST(shadow, cma_fires) {
  Config c = configs::numa(1, 4096, 6, 4);
  c.cma = {{1024, 1088}};
  Machine m(c);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL), ok_result(1024, 0, kNormal0)), "SHADOW-CMA");
  EXPECT_FALSE(judge(m, request(GFP_HIGHUSER_MOVABLE), ok_result(1024, 0, kNormal0)));
  AllocRequest pin = request(GFP_HIGHUSER_MOVABLE);
  pin.task.pf_memalloc_pin = true;  // long-term pins never get CMA
  EXPECT_FINDING(judge(m, pin, ok_result(1024, 0, kNormal0)), "SHADOW-CMA");
}

// shadow-private-1: Expect a page on a private node for a request without
// __GFP_PRIVATE (or managed_node) to be flagged.
//   node 0 Normal 0-2047 | node 1 (N_MEMORY_PRIVATE) Normal 2048-4095
TEST(shadow, private_fires) {
  Config c = configs::numa(2, 2048, 6, 4);
  c.nodes[1].memory_private = true;
  Machine m(c);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 0, 1), ok_result(2048, 0, kNormal1)),
                 "SHADOW-PRIVATE");
  EXPECT_FALSE(judge(m, request(GFP_KERNEL | __GFP_PRIVATE, 0, 1), ok_result(2048, 0, kNormal1)));
  AllocFlags managed;
  managed.set(CTX_managed_node);
  EXPECT_FALSE(judge(m, request(GFP_KERNEL, 0, 1), ok_result(2048, 0, kNormal1), &managed));
}

// shadow-private-2: Expect __GFP_PRIVATE from an ordinary preferred node to never reach
// the private node: it is not in node 0's zonelist (PRIV v4 04/27).
TEST(shadow, private_zonelist_fires) {
  Config c = configs::numa(2, 2048, 6, 4);
  c.nodes[1].memory_private = true;
  Machine m(c);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL | __GFP_PRIVATE, 0, 0), ok_result(2048, 0, kNormal1)),
                 "SHADOW-PRIVATE");
}

// shadow-unmapped-1: Expect a mapped request given a page absent from the direct map,
// and an unmapped request given a mapped page, to be flagged.
TEST(shadow, unmapped_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  MachineCorruptor(m).direct_map().set_valid_noflush(64, 1, false);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL), ok_result(64, 0, kNormal0)), "SHADOW-UNMAPPED");
  AllocFlags unmapped;
  unmapped.set(CTX_unmapped);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL), ok_result(128, 0, kNormal0), &unmapped),
                 "SHADOW-UNMAPPED");
}

// shadow-watermark-1: Expect a GFP_KERNEL page taken while the zone held 10 free pages
// (min watermark ~128) to be flagged; __GFP_MEMALLOC may ignore watermarks.
TEST(shadow, watermark_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  ASSERT_GT(m.zone(kNormal0).watermark[WMARK_MIN], 20u);
  Shadow s(m, false);
  PreState pre = s.snapshot(m);
  pre.zones[kNormal0].nr_free = 10;
  auto f = s.on_alloc(m, 0, request(GFP_KERNEL), nullptr, false, ok_result(0, 0, kNormal0), pre);
  EXPECT_FINDING(f, "SHADOW-WATERMARK");
  EXPECT_FALSE(s.on_alloc(m, 1, request(GFP_KERNEL | __GFP_MEMALLOC), nullptr, false,
                          ok_result(0, 0, kNormal0), pre));
  // Pages a drain could return count as free.
  pre.zones[kNormal0].pcp_pages = 4000;
  EXPECT_FALSE(
      s.on_alloc(m, 2, request(GFP_KERNEL), nullptr, false, ok_result(0, 0, kNormal0), pre));
}

// shadow-highatomic-1: Expect an order-5 GFP_KERNEL block from a HIGHATOMIC pageblock to
// be flagged; GFP_ATOMIC may use the reserve.
//   pageblocks (16 pages) 0-15 and 16-31 retyped HIGHATOMIC; block 0-31 handed out
TEST(shadow, highatomic_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  MachineCorruptor mc(m);
  for (Pfn p : {Pfn{0}, Pfn{16}})
    mc.pageblock_bits(p) = (mc.pageblock_bits(p) & ~PB_migrate_mask) | MIGRATE_HIGHATOMIC;
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 5), ok_result(0, 5, kNormal0)), "SHADOW-HIGHATOMIC");
  EXPECT_FALSE(judge(m, request(GFP_ATOMIC, 5), ok_result(0, 5, kNormal0)));
  // Pages served from a pcp list may be highatomic (freed highatomic pages sit on the
  // MOVABLE pcp list; a reserve retypes blocks with pages on pcp lists).
  AllocResult pcp = ok_result(0, 0, kNormal0);
  pcp.from_pcp = true;
  EXPECT_FALSE(judge(m, request(GFP_KERNEL, 0), pcp));
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 0), ok_result(0, 0, kNormal0)), "SHADOW-HIGHATOMIC");
}

// shadow-order-1: Expect a misaligned block, a block crossing a zone boundary and a
// result naming the wrong zone to be flagged.
//   DMA 0-999 | Normal 1000-4095; order-4 block 992-1007 crosses 1000
TEST(shadow, order_fires) {
  Config c;
  c.max_page_order = 6;
  c.pageblock_order = 4;
  c.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 1000},
                           ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 1000, .pages = 3096}}});
  Machine m(c);
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 1), ok_result(2001, 1, kNormal0)), "SHADOW-ORDER");
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 4), ok_result(992, 4, 0)), "SHADOW-ORDER");
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 0), ok_result(2000, 0, 0)), "SHADOW-ORDER");
  EXPECT_FINDING(judge(m, request(GFP_KERNEL, 2), ok_result(2000, 1, kNormal0)), "SHADOW-ORDER");
  EXPECT_FALSE(judge(m, request(GFP_KERNEL, 3), ok_result(2000, 3, kNormal0)));
}

// shadow-pfmemalloc-1: Expect page->pfmemalloc on a GFP_KERNEL page to be flagged.
TEST(shadow, pfmemalloc_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  PreState pre = s.snapshot(m);
  AllocResult r = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(r.ok());
  MachineCorruptor(m).page(r.pfn).flags |= PG_pfmemalloc;
  EXPECT_FINDING(s.on_alloc(m, 0, request(GFP_KERNEL), nullptr, false, r, pre),
                 "SHADOW-PFMEMALLOC");
  EXPECT_FALSE(s.on_alloc(m, 1, request(GFP_KERNEL | __GFP_MEMALLOC), nullptr, false, r, pre));
}

// shadow-zero-1: Expect a __GFP_ZERO page with a stray byte to be flagged.
TEST(shadow, zero_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  PreState pre = s.snapshot(m);
  AllocRequest req = request(GFP_KERNEL | __GFP_ZERO, 1);
  AllocResult r = m.alloc_pages(req);
  ASSERT_TRUE(r.ok());
  m.page_data(r.pfn + 1)[17] = 0x5a;
  EXPECT_FINDING(s.on_alloc(m, 0, req, nullptr, false, r, pre), "SHADOW-ZERO");
}

// shadow-paint-1: Expect a write into a live allocation's memory to be caught at free.
TEST(shadow, paint_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  PreState pre = s.snapshot(m);
  AllocResult r = m.alloc_pages(request(GFP_KERNEL, 2));
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(s.on_alloc(m, 0, request(GFP_KERNEL, 2), nullptr, false, r, pre));
  EXPECT_FALSE(s.verify_paint(m, 0));
  m.page_data(r.pfn + 3)[9] ^= 0x40;
  EXPECT_FINDING(s.verify_paint(m, 0), "SHADOW-PAINT");
  // An allocation whose owner unmapped it is not read.
  s.on_dm_set(0, false);
  EXPECT_FALSE(s.verify_paint(m, 0));
}

// shadow-paint-2: Expect two allocations handed the same page to clash in paint.
TEST(shadow, paint_overlap_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  PreState pre = s.snapshot(m);
  AllocResult r = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(s.on_alloc(m, 0, request(GFP_KERNEL), nullptr, false, r, pre));
  ASSERT_FALSE(s.on_alloc(m, 1, request(GFP_KERNEL), nullptr, false, r, pre));  // handed out twice
  EXPECT_FINDING(s.verify_paint(m, 0), "SHADOW-PAINT");
}

// shadow-refused-1: Expect a valid GFP_KERNEL request answered with AllocStatus::Error
// to be flagged.
TEST(shadow, refused_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  AllocResult r;
  r.status = AllocStatus::Error;
  r.error = AllocError::BadNode;
  r.detail = "made up";
  EXPECT_FINDING(s.judge_validity(m, request(GFP_KERNEL), nullptr, r), "SHADOW-REFUSED");
}

// shadow-accepted-invalid-1: Expect an order above MAX_PAGE_ORDER that was not refused
// to be flagged.
TEST(shadow, accepted_invalid_fires) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  AllocResult r;
  r.status = AllocStatus::Failed;
  EXPECT_FINDING(s.judge_validity(m, request(GFP_KERNEL, 7), nullptr, r),
                 "SHADOW-ACCEPTED-INVALID");
}

// shadow-validity-1: Expect the machine and eligibility() to agree on every kind of bad
// input (the kernel's WARN and VM_BUG cases) and on good inputs near them.
TEST(shadow, validity_agrees) {
  Config c = configs::numa(2, 2048, 6, 4);
  c.nodes.push_back(NodeConfig{});  // node 2: memoryless
  Machine m(c);
  Shadow s(m);
  AllocFlags unmapped, internal, unknown;
  unmapped.set(CTX_unmapped);
  internal.set(CTX_no_watermarks);
  unknown.bits = uint64_t{1} << 40;
  struct Case {
    AllocRequest req;
    const AllocFlags* ctx;
    bool valid;
  };
  AllocRequest bad_cpu = request(GFP_KERNEL);
  bad_cpu.cpu = 9;
  std::vector<Case> cases = {
      {request(GFP_KERNEL), nullptr, true},
      {request(GFP_KERNEL, 6), nullptr, true},
      {request(GFP_KERNEL, 7), nullptr, false},
      {request(gfp_t{1} << 27), nullptr, false},
      {request(__GFP_DMA | __GFP_DMA32), nullptr, false},
      {request(__GFP_MOVABLE | __GFP_HIGHMEM | __GFP_DMA), nullptr, false},
      {request(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE), nullptr, false},
      {bad_cpu, nullptr, false},
      {request(GFP_KERNEL, 0, 5), nullptr, false},
      {request(GFP_KERNEL, 0, -3), nullptr, false},
      {request(GFP_KERNEL | __GFP_THISNODE, 0, 2), nullptr, false},
      {request(GFP_KERNEL, 0, 2), nullptr, true},
      {request(GFP_KERNEL), &unmapped, true},
      {request(GFP_ATOMIC), &unmapped, false},
      {request(GFP_KERNEL | __GFP_ZERO), &unmapped, false},
      {request(GFP_HIGHUSER_MOVABLE), &unmapped, false},
      {request(GFP_KERNEL | __GFP_UNMAPPED), nullptr, true},
      {request(GFP_NOWAIT | __GFP_UNMAPPED), nullptr, false},
      {request(GFP_KERNEL), &internal, false},
      {request(GFP_KERNEL), &unknown, false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(gfp_to_string(k.req.gfp) + " order " + std::to_string(k.req.order));
    std::string why;
    EXPECT_EQ(eligibility(m, k.req, k.ctx, &why).has_value(), k.valid) << why;
    AllocResult r = k.ctx ? m.alloc_pages_context(k.req, k.ctx) : m.alloc_pages(k.req);
    auto f = s.judge_validity(m, k.req, k.ctx, r);
    EXPECT_FALSE(f) << f->summary;
  }
}

// shadow-unmapped-2: Expect alloc_pages_bulk(GFP_KERNEL|__GFP_UNMAPPED) to hand out
// unmapped pages. (alloc/ once ignored __GFP_UNMAPPED on the bulk path.)
TEST(shadow, bulk_unmapped_honoured) {
  harness::Harness h(configs::numa(1, 4096, 6, 4));
  h.bulk(request(GFP_KERNEL | __GFP_UNMAPPED), 4);
  EXPECT_FALSE(h.finding()) << h.finding()->id << ": " << h.finding()->summary;
  EXPECT_GT(h.counts().bulk_pages, 0u);
}

// shadow-validity-3: Expect PF_MEMALLOC_PIN + __GFP_MOVABLE|__GFP_RECLAIMABLE to be
// accepted by alloc_pages: the scope clears __GFP_MOVABLE before gfp_migratetype()
// (current_gfp_context()). (alloc/ once checked the unscoped mask.)
TEST(shadow, pin_scoped_migratetype_accepted) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  AllocRequest req = request(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE);
  req.task.pf_memalloc_pin = true;
  AllocResult r = m.alloc_pages(req);
  auto f = s.judge_validity(m, req, nullptr, r);
  EXPECT_FALSE(f) << f->summary;
}

// ---- alloc/ bugs these oracles found (reported; enable once alloc/ is fixed) ----

// shadow-bulk-pin-1: Expect alloc_pages_bulk to refuse __GFP_MOVABLE|__GFP_RECLAIMABLE
// even under PF_MEMALLOC_PIN: alloc_pages_bulk_noprof() does not apply
// current_gfp_context(), so gfp_migratetype() sees both bits. (Regression: alloc/ once
// validated the scoped mask, then used the raw one: a heap overflow under ASan.)
TEST(shadow, bulk_pin_movable_reclaimable_regression) {
  Machine m(configs::numa(1, 4096, 6, 4));
  Shadow s(m);
  AllocRequest req = request(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE);
  req.task.pf_memalloc_pin = true;
  BulkResult b = m.alloc_pages_bulk(req, 4);
  EXPECT_EQ(b.status, AllocStatus::Error);
  AllocResult r;
  r.status = b.status;
  auto f = s.judge_validity(m, bulk_page_request(req), nullptr, r);
  EXPECT_FALSE(f) << f->summary;
}

// shadow-eligibility-1: Expect the slow-path flags gfp_to_alloc_flags() gives the
// common masks.
TEST(shadow, slow_flags_table) {
  TaskContext t;
  EXPECT_EQ(spec_slow_alloc_flags(GFP_KERNEL, 0, t, true),
            ALLOC_WMARK_MIN | ALLOC_CPUSET | ALLOC_KSWAPD);
  EXPECT_EQ(spec_slow_alloc_flags(GFP_ATOMIC, 1, t, true),
            ALLOC_MIN_RESERVE | ALLOC_KSWAPD | ALLOC_NON_BLOCK | ALLOC_HIGHATOMIC);
  EXPECT_EQ(spec_slow_alloc_flags(GFP_NOWAIT, 0, t, true),
            ALLOC_CPUSET | ALLOC_KSWAPD | ALLOC_NON_BLOCK);
  EXPECT_EQ(spec_slow_alloc_flags(GFP_HIGHUSER_MOVABLE, 0, t, true),
            ALLOC_CPUSET | ALLOC_KSWAPD | ALLOC_CMA);
  EXPECT_EQ(spec_slow_alloc_flags(GFP_HIGHUSER_MOVABLE, 0, t, false), ALLOC_CPUSET | ALLOC_KSWAPD);
  t.rt_task = true;
  EXPECT_EQ(spec_slow_alloc_flags(GFP_KERNEL, 0, t, true),
            ALLOC_CPUSET | ALLOC_KSWAPD | ALLOC_MIN_RESERVE);
  TaskContext victim;
  victim.oom_victim = true;
  EXPECT_EQ(spec_reserve_flags(GFP_KERNEL, victim), ALLOC_OOM);
  victim.in_serving_softirq = true;
  EXPECT_EQ(spec_reserve_flags(GFP_KERNEL, victim), 0u);
  EXPECT_EQ(spec_reserve_flags(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC, victim), 0u);
}

// ---- clean runs: no finding on an allocator that follows the kernel's rules ----

void clean_run(const Config& c, uint64_t seed, unsigned ops, unsigned alloc_percent = 60) {
  harness::Harness h(c);
  harness::drive(h, seed, ops, alloc_percent);
  const harness::Counts& n = h.counts();
  SCOPED_TRACE(fmt::format("ok {} failed {} loops {} errors {} frees {} bulk {}", n.ok, n.failed,
                           n.loops, n.errors, n.frees, n.bulk_pages));
  if (h.finding())
    ADD_FAILURE() << h.finding()->id << ": " << h.finding()->summary
                  << "\n  expected: " << h.finding()->expected
                  << "\n  actual: " << h.finding()->actual;
  EXPECT_GT(n.ok, 0u);
}

// shadow-clean-1..6: Expect no finding over random valid traffic on each shape.
TEST(shadow, clean_pc_like) { clean_run(configs::pc_like(4096, 8192), 1, 2500); }
TEST(shadow, clean_numa2) { clean_run(configs::numa(2, 2048, 6, 4), 2, 3000); }
TEST(shadow, clean_numa4) { clean_run(configs::numa(4, 1024, 5, 3), 3, 3000); }
TEST(shadow, clean_private) { clean_run(harness::private_node_config(), 4, 3000); }
TEST(shadow, clean_cma) { clean_run(harness::cma_config(), 5, 3000); }
TEST(shadow, clean_no_grouping) { clean_run(harness::no_grouping_config(), 6, 3000); }
// shadow-clean-7: Expect no finding under memory pressure (allocations outnumber frees).
TEST(shadow, clean_pressure) { clean_run(configs::numa(3, 1024, 5, 3), 7, 4000, 80); }
// shadow-clean-8: Expect no finding on four zone types, holes, reserved pages, zone
// boundaries inside pageblocks and a memoryless node with a CPU.
TEST(shadow, clean_odd_shape) { clean_run(harness::odd_config(), 8, 3000); }

}  // namespace
}  // namespace buddycheck
