// SPDX-License-Identifier: GPL-2.0-or-later
// The reference model and the liveness judgement: every check fires when the machine
// is corrupted or a failure is fabricated, and stays silent on clean runs.
#include <gtest/gtest.h>

#include "oracles/corrupt.h"
#include "oracles/eligibility.h"
#include "oracles/reference.h"
#include "properties/oracle_harness.h"

namespace buddycheck {
namespace {

using namespace pagealloc;
using State = Reference::State;

constexpr unsigned kNormal0 = 0 * MAX_NR_ZONES + ZONE_NORMAL;

AllocRequest request(gfp_t gfp, unsigned order = 0, int nid = NUMA_NO_NODE) {
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.nid = nid;
  return req;
}

#define EXPECT_FINDING(f, ID)                       \
  do {                                              \
    ASSERT_TRUE((f).has_value()) << "expected " ID; \
    EXPECT_EQ((f)->id, ID) << (f)->summary;         \
  } while (0)

// ref-build-1: Expect the reference to be built from the config alone.
//   DMA 0-4095 (pfn 0 reserved) | DMA32 4096-8191 | Normal 8192-12287 (hole 9000-9099)
TEST(ref, built_from_config) {
  Config c = configs::pc_like(4096, 4096);
  c.nodes[0].zones[2].holes = {{9000, 9100}};
  c.cma = {{8192 + 2048, 8192 + 2560}};
  Reference ref(c);
  Machine m(c);
  EXPECT_EQ(ref.state(0), State::Reserved);
  EXPECT_EQ(ref.state(1), State::Free);
  EXPECT_EQ(ref.state(9050), State::Absent);
  EXPECT_EQ(ref.state(8192 + 2100), State::Free);  // CMA pageblocks are free
  EXPECT_EQ(ref.state(20000), State::Absent);
  EXPECT_EQ(ref.free_pages(ZONE_DMA), 4095u);
  EXPECT_EQ(ref.free_pages(kNormal0), 4096u - 100);
  EXPECT_FALSE(ref.compare_full(m));
  EXPECT_FALSE(ref.compare_incremental(m));
}

// ref-overlap-1: Expect a page handed out twice, or a reserved page handed out, to be
// flagged.
TEST(ref, overlap_fires) {
  Reference ref(configs::pc_like(4096, 4096));
  ASSERT_FALSE(ref.on_alloc(0, 8192, 1));
  EXPECT_TRUE(ref.is_allocation(8192, 1));
  EXPECT_FALSE(ref.is_allocation(8192, 0));
  EXPECT_FINDING(ref.on_alloc(1, 8193, 0), "REF-OVERLAP");
  EXPECT_FINDING(ref.on_alloc(2, 0, 0), "REF-OVERLAP");
  ref.on_free(0, 8192, 1);
  EXPECT_FALSE(ref.on_alloc(3, 8193, 0));
}

// One node of 4096 pages (MAX_ORDER 6, 16-page pageblocks) and its reference model.
struct OneNode {
  Config c = configs::numa(1, 4096, 6, 4);
  Machine m{c};
  Reference ref{c};
  AllocResult alloc(unsigned order) { return m.alloc_pages(request(GFP_KERNEL, order)); }
};

// ref-state-1: Expect a machine that marks an allocated page free (PageBuddy) to be
// flagged incrementally (the PFN was touched) and in full.
TEST(ref, state_fires) {
  OneNode n;
  auto& [c, m, ref] = n;
  AllocResult r = n.alloc(2);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(ref.on_alloc(0, r.pfn, 2));
  ASSERT_FALSE(ref.compare_incremental(m));
  m.reset_touched();
  MachineCorruptor mc(m);
  mc.page(r.pfn).state = PageState::Buddy;
  mc.touch(r.pfn);
  EXPECT_FINDING(ref.compare_incremental(m), "REF-STATE");
  EXPECT_FINDING(ref.compare_full(m), "REF-STATE");
}

// ref-state-2: Expect an allocation of the wrong size to be flagged: the machine
// handed out order 2 but the reference recorded order 1.
TEST(ref, state_order_fires) {
  OneNode n;
  AllocResult r = n.alloc(2);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(n.ref.on_alloc(0, r.pfn, 1));
  EXPECT_FINDING(n.ref.compare_incremental(n.m), "REF-STATE");
  EXPECT_FINDING(n.ref.compare_full(n.m), "REF-STATE");
}

// ref-state-4: Expect one machine block that the reference knows as two allocations
// (the machine handed out an order-1 block, the reference recorded its two pages as
// allocations 0 and 1) to be flagged in full: every page is allocated on both sides,
// only the owners tell.
TEST(ref, state_two_owners_fires) {
  OneNode n;
  AllocResult r = n.alloc(1);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(n.ref.on_alloc(0, r.pfn, 0));
  ASSERT_FALSE(n.ref.on_alloc(1, r.pfn + 1, 0));
  EXPECT_FINDING(n.ref.compare_full(n.m), "REF-STATE");
}

// ref-state-3: Expect a corrupt tail page deep inside a free block (never touched) to be
// missed incrementally but caught by the full comparison.
//   free order-6 block 0-63; pfn 37 claims to head an allocated block
TEST(ref, state_full_only_fires) {
  Config c = configs::numa(1, 4096, 6, 4);
  Machine m(c);
  Reference ref(c);
  m.reset_touched();
  MachineCorruptor mc(m);
  ASSERT_EQ(m.page(37).state, PageState::Tail);
  mc.page(37).state = PageState::Allocated;
  mc.page(37).order = 0;
  EXPECT_FALSE(ref.compare_incremental(m));
  EXPECT_FINDING(ref.compare_full(m), "REF-STATE");
  EXPECT_EQ(machine_coarse_state(m, 37), State::Allocated);
  EXPECT_EQ(machine_coarse_state(m, 38), State::Free);
}

// ref-free-count-1: Expect NR_FREE_PAGES off by one to be flagged.
TEST(ref, free_count_fires) {
  Config c = configs::numa(2, 2048, 6, 4);
  Machine m(c);
  Reference ref(c);
  MachineCorruptor(m).zone(MAX_NR_ZONES + ZONE_NORMAL).nr_free_pages -= 1;
  auto f = ref.compare_incremental(m);
  EXPECT_FINDING(f, "REF-FREE-COUNT");
  EXPECT_EQ(f->zone, static_cast<int>(MAX_NR_ZONES + ZONE_NORMAL));
  EXPECT_FINDING(ref.compare_full(m), "REF-FREE-COUNT");
}

// ref-coarse-1: Expect tail pages to resolve to their block's head.
TEST(ref, coarse_state) {
  Machine m(configs::pc_like(4096, 4096));
  EXPECT_EQ(machine_coarse_state(m, 0), State::Reserved);
  EXPECT_EQ(machine_coarse_state(m, 1), State::Free);
  EXPECT_EQ(machine_coarse_state(m, 5000), State::Free);
  EXPECT_EQ(machine_coarse_state(m, 1u << 30), State::Absent);
  AllocResult r = m.alloc_pages(request(GFP_KERNEL, 3));
  ASSERT_TRUE(r.ok());
  for (Pfn p = r.pfn; p < r.pfn + 8; p++) EXPECT_EQ(machine_coarse_state(m, p), State::Allocated);
}

// live-fail-1: Expect a GFP_KERNEL failure on a fresh machine (every zone far above its
// min watermark, free blocks of every order) to be flagged.
TEST(live, fail_fires) {
  Config c = configs::numa(1, 4096, 6, 4);
  Machine m(c);
  Reference ref(c);
  auto f = ref.judge_failure(m, request(GFP_KERNEL, 3), nullptr);
  EXPECT_FINDING(f, "LIVE-FAIL");
  EXPECT_EQ(f->zone, static_cast<int>(kNormal0));
  // Invalid requests are not judged here.
  EXPECT_FALSE(ref.judge_failure(m, request(GFP_KERNEL, 9), nullptr));
}

// live-fail-2: Expect no claim when the only free memory sits below the min watermark,
// and a claim for __GFP_HIGH|__GFP_KSWAPD_RECLAIM (GFP_ATOMIC) which may dip below it.
//   order-0 GFP_KERNEL pages taken until the zone fails: at most min (+boost) free remain
TEST(live, fail_respects_watermark) {
  Config c = configs::numa(1, 1024, 5, 3);
  Machine m(c);
  Reference ref(c);
  AllocResult r;
  uint32_t id = 0;
  while ((r = m.alloc_pages(request(GFP_KERNEL | __GFP_NORETRY))).ok())
    ASSERT_FALSE(ref.on_alloc(id++, r.pfn, 0));
  ASSERT_EQ(r.status, AllocStatus::Failed);
  EXPECT_FALSE(ref.judge_failure(m, request(GFP_KERNEL | __GFP_NORETRY), nullptr));
  const Zone& z = m.zone(kNormal0);
  ASSERT_GT(z.nr_free_pages, 2);
  EXPECT_LE(z.nr_free_pages, static_cast<int64_t>(z.min_wmark_pages()));
  EXPECT_FINDING(ref.judge_failure(m, request(GFP_ATOMIC), nullptr), "LIVE-FAIL");
  EXPECT_FALSE(ref.compare_full(m));
}

// live-fail-3: Expect no claim for a node outside the nodemask, nor for a private node
// without __GFP_PRIVATE.
TEST(live, fail_respects_placement) {
  Config c = configs::numa(2, 2048, 6, 4);
  c.nodes[1].memory_private = true;
  Machine m(c);
  Reference ref(c);
  // Empty node 0 completely.
  AllocResult r;
  uint32_t id = 0;
  AllocRequest take = request(GFP_KERNEL | __GFP_MEMALLOC | __GFP_THISNODE, 0, 0);
  while ((r = m.alloc_pages(take)).ok()) ASSERT_FALSE(ref.on_alloc(id++, r.pfn, 0));
  m.drain_all_pages();
  EXPECT_FALSE(ref.judge_failure(m, request(GFP_KERNEL, 0, 0), nullptr));
  EXPECT_FALSE(ref.judge_failure(m, request(GFP_KERNEL | __GFP_PRIVATE, 0, 0), nullptr));
  EXPECT_FINDING(ref.judge_failure(m, request(GFP_KERNEL | __GFP_PRIVATE, 0, 1), nullptr),
                 "LIVE-FAIL");
  AllocRequest masked = request(GFP_KERNEL | __GFP_PRIVATE, 0, 1);
  masked.nodemask = Nodemask::of(0);
  EXPECT_FALSE(ref.judge_failure(m, masked, nullptr));
}

// live-fail-4: Expect a softirq GFP_USER request in cpuset {0} to be allowed node 1:
// cpuset_node_allowed() admits everything in_interrupt(), softirqs included.
TEST(live, softirq_cpuset) {
  Config c = configs::numa(2, 2048, 6, 4);
  Machine m(c);
  AllocRequest req = request(GFP_USER, 0, 0);
  req.task.cpuset_mems = Nodemask::of(0);
  req.task.in_serving_softirq = true;
  auto e = eligibility(m, req, nullptr);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->zones.size(), 2u);
  req.task.in_serving_softirq = false;
  e = eligibility(m, req, nullptr);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->zones.size(), 1u);
}

// live-softirq-cpuset-1: Expect a softirq GFP_USER allocation in cpuset {0} to succeed
// from node 1 once node 0 is empty: cpuset_node_allowed() passes everything
// in_interrupt(), softirqs included. (Regression: alloc/ once exempted only hard IRQs.)
TEST(live, softirq_cpuset_regression) {
  harness::Harness h(configs::numa(2, 2048, 6, 4));
  AllocRequest take = request(GFP_KERNEL | __GFP_MEMALLOC | __GFP_THISNODE, 0, 0);
  while (h.counts().failed == 0) h.alloc(take, std::nullopt, false);
  h.m().drain_all_pages();
  AllocRequest req = request(GFP_USER, 0, 0);
  req.task.cpuset_mems = Nodemask::of(0);
  req.task.in_serving_softirq = true;
  h.alloc(req, std::nullopt, false);
  EXPECT_FALSE(h.finding()) << h.finding()->id << ": " << h.finding()->summary;
}

// ---- clean runs ----

void clean_run(const Config& c, uint64_t seed, unsigned ops, unsigned alloc_percent) {
  harness::Harness h(c);
  harness::drive(h, seed, ops, alloc_percent);
  const harness::Counts& n = h.counts();
  SCOPED_TRACE(fmt::format("ok {} failed {} loops {} errors {} frees {}", n.ok, n.failed, n.loops,
                           n.errors, n.frees));
  if (h.finding())
    ADD_FAILURE() << h.finding()->id << ": " << h.finding()->summary
                  << "\n  expected: " << h.finding()->expected
                  << "\n  actual: " << h.finding()->actual;
  EXPECT_GT(n.failed, 0u) << "the run never ran out of memory: liveness was not exercised";
}

// ref-clean-1..6: Expect no finding under sustained pressure (failures judged) on
// each machine shape.
TEST(ref, clean_pc_like) { clean_run(configs::pc_like(2048, 4096), 11, 3000, 75); }
TEST(ref, clean_numa2) { clean_run(configs::numa(2, 1024, 6, 4), 12, 3000, 75); }
TEST(ref, clean_numa3) { clean_run(configs::numa(3, 1024, 5, 3), 13, 3000, 75); }
TEST(ref, clean_private) { clean_run(harness::private_node_config(), 14, 4000, 80); }
TEST(ref, clean_cma) { clean_run(harness::cma_config(), 15, 5000, 85); }
TEST(ref, clean_no_grouping) { clean_run(harness::no_grouping_config(), 16, 4000, 80); }
TEST(ref, clean_odd_shape) { clean_run(harness::odd_config(), 17, 5000, 85); }

}  // namespace
}  // namespace buddycheck
