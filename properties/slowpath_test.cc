// SPDX-License-Identifier: GPL-2.0-or-later
// __alloc_pages_slowpath() with the embedding test's hooks for reclaim,
// compaction and the OOM killer: what fails, what succeeds after reclaim, what would
// retry forever (AllocStatus::Loops), the __GFP_NOFAIL warnings, reserve escalation
// (__GFP_MEMALLOC, PF_MEMALLOC, OOM victims), and alloc_pages_bulk().
//
// Most tests use a 1024-page zone (MAX_PAGE_ORDER 4, pageblock_order 2): min_free_kbytes
// int_sqrt(4096*16) = 256, pages_min 64 = min, delta max(16, 1) = 16 -> low 80, high 96.
// Sixty movable order-4 blocks leave 64 free pages, exactly the min watermark: the last
// of them goes through the slow path (80 - 15 = 65 <= low 80, 65 > min 64).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

constexpr gfp_t kMovable = GFP_KERNEL | __GFP_MOVABLE;

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order, TaskContext task = {}) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  r.task = task;
  return m.alloc_pages(r);
}

const Zone& zone(const Machine& m) { return m.node_zone(0, ZONE_NORMAL); }

// The 1024-page zone with 60 order-4 blocks (0-959) allocated, then `extra` more taken
// with __GFP_MEMALLOC (no watermarks).
Machine at_min(int extra = 0) {
  Machine m(configs::single_zone(1024, 4, 2));
  EXPECT_EQ(zone(m).watermark[WMARK_MIN], 64u);
  EXPECT_EQ(zone(m).watermark[WMARK_LOW], 80u);
  for (int i = 0; i < 60; i++) EXPECT_EQ(alloc(m, kMovable, 4).pfn, Pfn(16 * i));
  for (int i = 0; i < extra; i++) EXPECT_TRUE(alloc(m, kMovable | __GFP_MEMALLOC, 4).ok());
  EXPECT_EQ(zone(m).nr_free_pages, 64 - 16 * extra);
  return m;
}

// slowpath-default-1: Expect GFP_KERNEL at the min watermark (64 free, 64 <= 64) with the
// default hooks to fail: one reclaim round without progress, should_reclaim_retry() sees
// no zone that could pass min, one OOM call that kills nothing (returns false for
// __GFP_FS), then NULL with the allocation-failure warning; the machine keeps its pages.
TEST(slowpath, default_1) {
  Machine m = at_min();
  const std::string before = m.buddyinfo();
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_TRUE(r.slowpath);
  EXPECT_EQ(r.warnings, uint32_t{WARN_ALLOC_FAILURE});
  EXPECT_EQ(m.stats().direct_reclaim_calls, 1u);
  EXPECT_EQ(m.stats().oom_calls, 1u);
  EXPECT_EQ(m.buddyinfo(), before);
  // With __GFP_NOWARN the same failure is silent.
  EXPECT_EQ(alloc(m, GFP_KERNEL | __GFP_NOWARN, 0).warnings, 0u);
}

// slowpath-reclaim-1: Expect a reclaim hook that frees an order-4 block (0-15, put at the
// head of the order-4 list) to make the request succeed right after reclaim: 80 free >
// min 64, and the unmovable claim takes that block first, so the page is PFN 0.
TEST(slowpath, reclaim_1) {
  Machine m = at_min();
  int calls = 0;
  ReclaimContext seen;
  m.hooks().direct_reclaim = [&](Machine& mm, const ReclaimContext& rc) -> uint64_t {
    calls++;
    seen = rc;
    EXPECT_TRUE(mm.free_pages(0, 4).ok());
    return 16;
  };
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.slowpath);
  EXPECT_EQ(r.pfn, 0u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen.gfp, GFP_KERNEL);
  EXPECT_EQ(seen.order, 0u);
  EXPECT_EQ(seen.highest_zoneidx, ZONE_NORMAL);
  EXPECT_EQ(seen.preferred_nid, 0);
  EXPECT_EQ(m.stats().oom_calls, 0u);
}

// slowpath-nofail-1: Expect __GFP_NOFAIL with nothing free at all (the last 64 pages
// taken with __GFP_MEMALLOC) and nothing to reclaim to report Loops instead of hanging:
// the OOM path warns (WARN_ON_ONCE_GFP for NOFAIL), pretends progress, and even the
// ALLOC_NO_WATERMARKS fallback finds no page; the free lists are unchanged (only the
// pcp auto-tuning moved: every failed refill runs nr_pcp_alloc()).
TEST(slowpath, nofail_1) {
  Machine m = at_min(4);
  const std::string before = m.buddyinfo();
  const int64_t free_before = m.node_zone(0, ZONE_NORMAL).nr_free_pages;
  AllocResult r = alloc(m, GFP_KERNEL | __GFP_NOFAIL, 0);
  EXPECT_EQ(r.status, AllocStatus::Loops);
  EXPECT_TRUE(r.warnings & WARN_NOFAIL_OOM);
  EXPECT_NE(r.detail.find("__GFP_NOFAIL"), std::string::npos) << r.detail;
  EXPECT_EQ(m.buddyinfo(), before);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).nr_free_pages, free_before);
}

// slowpath-nofail-2: Expect __GFP_NOFAIL with pages below min to be served from the
// reserves (the NO_WATERMARKS cpuset fallback after the OOM path), not to loop.
TEST(slowpath, nofail_2) {
  Machine m = at_min();
  AllocResult r = alloc(m, GFP_KERNEL | __GFP_NOFAIL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.warnings & WARN_NOFAIL_OOM);
  EXPECT_TRUE(r.alloc_flags & ALLOC_NO_WATERMARKS);
  EXPECT_TRUE(m.page(r.pfn).flags & PG_pfmemalloc);
}

// slowpath-nofail-3: Expect __GFP_NOFAIL without __GFP_DIRECT_RECLAIM (GFP_NOWAIT: no
// reserves, 64 <= 64) to fail after all, with only WARN_NOFAIL_NO_RECLAIM (GFP_NOWAIT
// carries __GFP_NOWARN); check_request() predicts the same warning.
TEST(slowpath, nofail_3) {
  Machine m = at_min();
  AllocResult r = alloc(m, GFP_NOWAIT | __GFP_NOFAIL, 0);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_EQ(r.warnings, uint32_t{WARN_NOFAIL_NO_RECLAIM});
  AllocRequest req;
  req.gfp = GFP_NOWAIT | __GFP_NOFAIL;
  EXPECT_EQ(m.check_request(req, nullptr).warnings, uint32_t{WARN_NOFAIL_NO_RECLAIM});
  req.gfp = GFP_KERNEL | __GFP_NOFAIL;
  req.order = 2;
  EXPECT_EQ(m.check_request(req, nullptr).warnings, uint32_t{WARN_NOFAIL_COSTLY});
}

// slowpath-nofs-1: Expect GFP_NOFS at the min watermark to loop: out_of_memory() kills
// nothing but returns true for a !__GFP_FS request ("pretend progress"), so the slow
// path retries forever; with __GFP_NORETRY it fails instead.
TEST(slowpath, nofs_1) {
  Machine m = at_min();
  AllocResult r = alloc(m, GFP_NOFS, 0);
  EXPECT_EQ(r.status, AllocStatus::Loops);
  EXPECT_EQ(r.warnings & (WARN_NOFAIL_OOM | WARN_ALLOC_FAILURE), 0u);
  EXPECT_GT(m.stats().oom_calls, 1u);
  EXPECT_EQ(zone(m).nr_free_pages, 64);
  EXPECT_EQ(alloc(m, GFP_NOFS | __GFP_NORETRY, 0).status, AllocStatus::Failed);
}

// slowpath-noretry-1: Expect __GFP_NORETRY to give up after one reclaim round, before
// should_reclaim_retry() and the OOM killer.
TEST(slowpath, noretry_1) {
  Machine m = at_min();
  const MachineStats before = m.stats();  // the 60th fill went through the slow path
  AllocResult r = alloc(m, GFP_KERNEL | __GFP_NORETRY, 0);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_EQ(m.stats().direct_reclaim_calls - before.direct_reclaim_calls, 1u);
  EXPECT_EQ(m.stats().oom_calls - before.oom_calls, 0u);
  EXPECT_EQ(m.stats().slowpath_entries - before.slowpath_entries, 1u);
}

// slowpath-oom-1: Expect an OOM hook that frees memory (the "victim" exits) to make the
// next retry succeed.
TEST(slowpath, oom_1) {
  Machine m = at_min();
  m.hooks().out_of_memory = [](Machine& mm, const ReclaimContext&) {
    return mm.free_pages(16, 4).ok();
  };
  AllocResult r = alloc(m, GFP_KERNEL, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(m.stats().oom_calls, 1u);
  EXPECT_EQ(r.pfn, 16u);
}

// slowpath-reserve-1: Expect __GFP_MEMALLOC to escalate to ALLOC_NO_WATERMARKS below min
// and the page to carry PG_pfmemalloc; a normal allocation's page does not.
TEST(slowpath, reserve_1) {
  Machine m = at_min();
  AllocResult r = alloc(m, GFP_KERNEL | __GFP_MEMALLOC, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.slowpath);
  EXPECT_TRUE(r.alloc_flags & ALLOC_NO_WATERMARKS);
  EXPECT_EQ(r.pfn, 960u);  // the unmovable claim takes the first free order-4 block
  EXPECT_TRUE(m.page(r.pfn).flags & PG_pfmemalloc);
  Machine n(configs::single_zone(1024, 4, 2));
  AllocResult plain = alloc(n, GFP_KERNEL, 0);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(n.page(plain.pfn).flags & PG_pfmemalloc);
}

// slowpath-reserve-2: Expect PF_MEMALLOC to give reserves in task context and while serving
// a softirq, but not in hard interrupt context, and __GFP_NOMEMALLOC to beat __GFP_MEMALLOC;
// with 16 free pages, below GFP_ATOMIC's discounted min (64 - 32 = 32, 32 - 8 = 24).
TEST(slowpath, reserve_2) {
  Machine m = at_min(3);
  TaskContext irq;
  irq.in_interrupt = true;
  irq.pf_memalloc = true;
  EXPECT_EQ(alloc(m, GFP_ATOMIC | __GFP_NOWARN, 0, irq).status, AllocStatus::Failed);
  EXPECT_EQ(alloc(m, GFP_ATOMIC | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_NOWARN, 0).status,
            AllocStatus::Failed);
  TaskContext softirq;
  softirq.in_serving_softirq = true;
  softirq.pf_memalloc = true;
  AllocResult s = alloc(m, GFP_ATOMIC, 0, softirq);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(m.page(s.pfn).flags & PG_pfmemalloc);
  TaskContext task;
  task.pf_memalloc = true;
  AllocResult t = alloc(m, GFP_KERNEL, 0, task);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(m.page(t.pfn).flags & PG_pfmemalloc);
}

// slowpath-reserve-3: Expect an OOM victim to get ALLOC_OOM, half the min watermark
// (64 - 32 = 32): with 48 free it succeeds without PG_pfmemalloc; with 16 free it fails.
TEST(slowpath, reserve_3) {
  TaskContext victim;
  victim.oom_victim = true;
  Machine m = at_min(1);
  AllocResult r = alloc(m, GFP_KERNEL, 0, victim);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.alloc_flags & ALLOC_OOM);
  EXPECT_FALSE(r.alloc_flags & ALLOC_NO_WATERMARKS);
  EXPECT_FALSE(m.page(r.pfn).flags & PG_pfmemalloc);
  Machine n = at_min(3);
  EXPECT_EQ(alloc(n, GFP_KERNEL | __GFP_NOWARN, 0, victim).status, AllocStatus::Failed);
}

// ---- alloc_pages_bulk ------------------------------------------------------------------

// slowpath-bulk-1: Expect eight order-0 pages from one zone's pcp list on a fresh
// 1024-page zone, in PFN order 0-7: refills of 1, 2, 4 and 8 pages (high 80 grows by each
// batch, alloc_factor 0 -> 4), 15 pulled in all, 7 left on the list.
TEST(slowpath, bulk_1) {
  Machine m(configs::single_zone(1024, 4, 2));
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  BulkResult b = m.alloc_pages_bulk(req, 8);
  ASSERT_EQ(b.status, AllocStatus::Ok);
  EXPECT_FALSE(b.used_fallback);
  EXPECT_EQ(b.pfns, (std::vector<Pfn>{0, 1, 2, 3, 4, 5, 6, 7}));
  for (Pfn p : b.pfns) {
    EXPECT_EQ(m.page(p).state, PageState::Allocated);
    EXPECT_EQ(m.page(p).order, 0);
    EXPECT_EQ(m.page(p).refcount, 1);
  }
  const PerCpuPages& pcp = m.pcp(zone(m).id, 0);
  EXPECT_EQ(pcp.count, 7);
  EXPECT_EQ(pcp.alloc_factor, 4);
  EXPECT_EQ(zone(m).nr_free_pages, 1024 - 15);
}

// slowpath-bulk-2: Expect one page to go through the single-page allocator, zero pages to
// succeed empty, a request the zone cannot cover above low + nr_pages (80 + 2000 > 1024)
// to fall back to a single page, and a negative count to be refused.
TEST(slowpath, bulk_2) {
  Machine m(configs::single_zone(1024, 4, 2));
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  BulkResult one = m.alloc_pages_bulk(req, 1);
  EXPECT_TRUE(one.used_fallback);
  EXPECT_EQ(one.pfns.size(), 1u);
  BulkResult none = m.alloc_pages_bulk(req, 0);
  EXPECT_EQ(none.status, AllocStatus::Ok);
  EXPECT_TRUE(none.pfns.empty());
  BulkResult big = m.alloc_pages_bulk(req, 2000);
  EXPECT_EQ(big.status, AllocStatus::Ok);
  EXPECT_TRUE(big.used_fallback);
  EXPECT_EQ(big.pfns.size(), 1u);
  BulkResult neg = m.alloc_pages_bulk(req, -1);
  EXPECT_EQ(neg.status, AllocStatus::Error);
  EXPECT_EQ(neg.error, AllocError::BulkTooLarge);
  req.gfp = GFP_KERNEL | __GFP_DMA | __GFP_DMA32;
  BulkResult bad = m.alloc_pages_bulk(req, 4);
  EXPECT_EQ(bad.status, AllocStatus::Error);
  EXPECT_EQ(bad.error, AllocError::BadZoneCombination);
}

// slowpath-bulk-3: Expect the bulk pages to be distinct, all allocated, and freeable one
// by one; afterwards the zone is whole again.
TEST(slowpath, bulk_3) {
  Machine m(configs::single_zone(1024, 4, 2));
  AllocRequest req;
  req.gfp = GFP_HIGHUSER_MOVABLE;
  BulkResult b = m.alloc_pages_bulk(req, 40);
  ASSERT_EQ(b.pfns.size(), 40u);
  EXPECT_EQ(std::set<Pfn>(b.pfns.begin(), b.pfns.end()).size(), 40u);
  for (Pfn p : b.pfns) ASSERT_TRUE(m.free_pages(p, 0).ok()) << p;
  m.drain_all_pages();
  EXPECT_EQ(zone(m).nr_free_pages, 1024);
  EXPECT_EQ(zone(m).free_area[4].nr_free, 64u);
}

// slowpath-nofail-4: Expect __GFP_NOWARN to silence the OOM path's NOFAIL warning: the
// kernel uses WARN_ON_ONCE_GFP(), which does not fire for __GFP_NOWARN; the request
// still loops.
TEST(slowpath, nofail_4) {
  Machine m = at_min(4);
  AllocResult r = alloc(m, GFP_KERNEL | __GFP_NOFAIL | __GFP_NOWARN, 0);
  EXPECT_EQ(r.status, AllocStatus::Loops);
  EXPECT_EQ(r.warnings, 0u);
}

// slowpath-reserve-4: Expect a PF_MEMALLOC task (a reclaimer itself) never to recurse
// into direct reclaim or the OOM killer: with nothing free even ALLOC_NO_WATERMARKS finds
// no page and the request fails without calling either hook.
TEST(slowpath, reserve_4) {
  Machine m = at_min(4);
  int reclaims = 0, ooms = 0;
  m.hooks().direct_reclaim = [&](Machine&, const ReclaimContext&) -> uint64_t {
    reclaims++;
    return 0;
  };
  m.hooks().out_of_memory = [&](Machine&, const ReclaimContext&) {
    ooms++;
    return false;
  };
  TaskContext task;
  task.pf_memalloc = true;
  AllocResult r = alloc(m, GFP_KERNEL, 0, task);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_EQ(reclaims, 0);
  EXPECT_EQ(ooms, 0);
}

}  // namespace
