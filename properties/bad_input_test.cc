// SPDX-License-Identifier: GPL-2.0-or-later
// Bad input (the kernel's WARN/VM_BUG cases, free_page_is_bad(), alloc/request.h,
// alloc/config.h): every AllocError a
// request can get, every FreeError a free can get, and impossible Configs. A refused
// request or free must leave the machine exactly as it was (generation, buddyinfo,
// zoneinfo, pagetypeinfo), a refused free must come with a bad_page()-style report, and
// the page involved must still work afterwards.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

struct Snapshot {
  uint64_t gen;
  std::string buddyinfo, zoneinfo, pagetypeinfo;
  explicit Snapshot(const Machine& m)
      : gen(m.generation()),
        buddyinfo(m.buddyinfo()),
        zoneinfo(m.zoneinfo()),
        pagetypeinfo(m.pagetypeinfo()) {}
  void expect_same(const Machine& m) const {
    EXPECT_EQ(m.generation(), gen);
    EXPECT_EQ(m.buddyinfo(), buddyinfo);
    EXPECT_EQ(m.zoneinfo(), zoneinfo);
    EXPECT_EQ(m.pagetypeinfo(), pagetypeinfo);
  }
};

AllocRequest request(gfp_t gfp, unsigned order = 0, int nid = NUMA_NO_NODE, unsigned cpu = 0) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  r.nid = nid;
  r.cpu = cpu;
  return r;
}

// Expects `req` to be refused with `e` by every entry point, the machine untouched.
void expect_refused(Machine& m, const AllocRequest& req, AllocError e) {
  Snapshot s(m);
  AllocResult a = m.alloc_pages(req);
  EXPECT_EQ(a.status, AllocStatus::Error);
  EXPECT_EQ(a.error, e) << alloc_error_name(a.error);
  EXPECT_FALSE(a.detail.empty());
  EXPECT_EQ(a.pfn, kNoPfn);
  EXPECT_EQ(m.alloc_frozen_pages(req).error, e);
  EXPECT_EQ(m.check_request(req, nullptr).error, e);
  // alloc_pages_bulk() works at order 0 whatever the request says.
  if (req.order == 0) {
    EXPECT_EQ(m.alloc_pages_bulk(req, 4).error, e);
  }
  s.expect_same(m);
}

Config plain() { return configs::single_zone(1024, 4, 2); }

// ---- requests ---------------------------------------------------------------------------

// bad-input-alloc-1: Expect an order above MAX_PAGE_ORDER (4 here) to be refused
// (WARN_ON_ONCE_GFP in the kernel) and order 4 itself to work.
TEST(bad_input, alloc_1) {
  Machine m(plain());
  expect_refused(m, request(GFP_KERNEL, 5), AllocError::OrderTooLarge);
  expect_refused(m, request(GFP_KERNEL | __GFP_NOWARN, 11), AllocError::OrderTooLarge);
  EXPECT_TRUE(m.alloc_pages(request(GFP_KERNEL, 4)).ok());
}

// bad-input-alloc-2: Expect gfp bits outside __GFP_BITS_MASK (bit 26 and up) to be refused.
TEST(bad_input, alloc_2) {
  Machine m(plain());
  expect_refused(m, request(GFP_KERNEL | (gfp_t{1} << 26)), AllocError::UnknownGfpBits);
  expect_refused(m, request(0x80000000u), AllocError::UnknownGfpBits);
}

// bad-input-alloc-3: Expect each of the eight GFP_ZONE_BAD combinations to be refused (the
// kernel's VM_BUG_ON in gfp_zone()).
TEST(bad_input, alloc_3) {
  Machine m(plain());
  for (gfp_t bad : {0x3u, 0x5u, 0x6u, 0x7u, 0xbu, 0xdu, 0xeu, 0xfu}) {
    SCOPED_TRACE(bad);
    expect_refused(m, request(GFP_KERNEL | bad), AllocError::BadZoneCombination);
  }
}

// bad-input-alloc-4: Expect __GFP_MOVABLE|__GFP_RECLAIMABLE to be refused (VM_WARN_ON in
// gfp_migratetype(): the value 3 would be MIGRATE_HIGHATOMIC).
TEST(bad_input, alloc_4) {
  Machine m(plain());
  expect_refused(m, request(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE),
                 AllocError::MovableAndReclaimable);
}

// bad-input-alloc-5: Expect a preferred node that does not exist to be refused (1 and 64 on a
// one-node machine, and a negative id other than NUMA_NO_NODE).
TEST(bad_input, alloc_5) {
  Machine m(plain());
  expect_refused(m, request(GFP_KERNEL, 0, 1), AllocError::BadNode);
  expect_refused(m, request(GFP_KERNEL, 0, 64), AllocError::BadNode);
  expect_refused(m, request(GFP_KERNEL, 0, -2), AllocError::BadNode);
}

// bad-input-alloc-6: Expect __GFP_THISNODE on a node without memory to be refused, while the
// same node without THISNODE falls back to a node with memory.
TEST(bad_input, alloc_6) {
  Config c = configs::numa(2, 1024, 4, 2);
  c.nodes[1].zones.clear();
  Machine m(c);
  expect_refused(m, request(GFP_KERNEL | __GFP_THISNODE, 0, 1), AllocError::ThisnodeWithoutMemory);
  // CPU 1 sits on the memoryless node: NUMA_NO_NODE means node 1 too.
  expect_refused(m, request(GFP_KERNEL | __GFP_THISNODE, 0, NUMA_NO_NODE, 1),
                 AllocError::ThisnodeWithoutMemory);
  AllocResult r = m.alloc_pages(request(GFP_KERNEL, 0, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(m.zone(r.zone).node, 0);
}

// bad-input-alloc-7: Expect a CPU that does not exist to be refused.
TEST(bad_input, alloc_7) {
  Machine m(plain());
  expect_refused(m, request(GFP_KERNEL, 0, NUMA_NO_NODE, 1), AllocError::BadCpu);
  expect_refused(m, request(GFP_KERNEL, 0, NUMA_NO_NODE, 300), AllocError::BadCpu);
}

// bad-input-alloc-8: Expect the context entry point to refuse rejected struct alloc_flags
// (an internal bit with verdict REJECT, unknown bits, unmapped for a non-blocking
// request) without touching the machine, and to accept a cleared bit with a warning.
TEST(bad_input, alloc_8) {
  Machine m(plain());
  Snapshot s(m);
  const AllocRequest req = request(GFP_KERNEL);
  for (uint64_t bits : {uint64_t{1} << CTX_no_watermarks, uint64_t{1} << CTX_oom,
                        uint64_t{1} << CTX_nolock, uint64_t{1} << 20}) {
    AllocFlags f;
    f.bits = bits;
    AllocResult r = m.alloc_pages_context(req, &f);
    EXPECT_EQ(r.status, AllocStatus::Error) << bits;
    EXPECT_EQ(r.error, AllocError::ContextRejected) << bits;
    EXPECT_EQ(r.sanitize.verdict, Verdict::REJECT);
  }
  AllocFlags u;
  u.set(CTX_unmapped);
  EXPECT_EQ(m.alloc_pages_context(request(GFP_ATOMIC), &u).error, AllocError::ContextRejected);
  EXPECT_EQ(m.alloc_pages(request(GFP_ATOMIC | __GFP_UNMAPPED)).error, AllocError::ContextRejected);
  s.expect_same(m);
  AllocFlags k;
  k.set(CTX_kswapd);
  AllocResult ok = m.alloc_pages_context(req, &k);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok.warnings & WARN_CTX_CLEARED);
}

// bad-input-alloc-9: Expect alloc_pages_bulk() to refuse a negative count or one above
// 2^20 without touching the machine.
TEST(bad_input, alloc_9) {
  Machine m(plain());
  Snapshot s(m);
  for (int n : {-1, -1000, (1 << 20) + 1}) {
    BulkResult b = m.alloc_pages_bulk(request(GFP_KERNEL), n);
    EXPECT_EQ(b.status, AllocStatus::Error) << n;
    EXPECT_EQ(b.error, AllocError::BulkTooLarge) << n;
    EXPECT_TRUE(b.pfns.empty());
  }
  s.expect_same(m);
}

// ---- frees ------------------------------------------------------------------------------

// "0x1f": the kernel's %#lx spelling of a PFN (0 prints as 0x0 there too).
std::string hex(Pfn pfn) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(pfn));
  return buf;
}

void expect_report(const FreeResult& f, Pfn pfn, const char* reason) {
  EXPECT_EQ(f.report.rfind("BUG: Bad page state", 0), 0u) << f.report;
  const size_t at = f.report.find("page dumped because: ");
  ASSERT_NE(at, std::string::npos) << f.report;
  const std::string line = f.report.substr(at, f.report.find('\n', at) - at);
  EXPECT_NE(line.find(reason), std::string::npos) << f.report;
  EXPECT_NE(f.report.find("pfn:" + hex(pfn)), std::string::npos) << f.report;
}

// Expects the free to be refused with `e`, the machine untouched, one bad_page report.
FreeResult expect_bad_free(Machine& m, Pfn pfn, unsigned order, FreeError e, bool frozen = false,
                           unsigned cpu = 0) {
  Snapshot s(m);
  const uint64_t reports = m.stats().bad_page_reports;
  FreeResult f = frozen ? m.free_frozen_pages(pfn, order, cpu) : m.free_pages(pfn, order, cpu);
  EXPECT_EQ(f.error, e) << free_error_name(f.error);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(m.stats().bad_page_reports, reports + 1);
  s.expect_same(m);
  return f;
}

// bad-input-free-1: Expect a second free of an order-4 block (not cached per cpu, and at
// MAX_PAGE_ORDER so it stays a free head) to be refused as a double free; the block is
// then allocated again and freed normally.
TEST(bad_input, free_1) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL, 4));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(m.free_pages(a.pfn, 4).ok());
  ASSERT_EQ(m.page(a.pfn).state, PageState::Buddy);
  FreeResult f = expect_bad_free(m, a.pfn, 4, FreeError::NotAllocated);
  expect_report(f, a.pfn, "page is already free in the buddy allocator");
  AllocResult again = m.alloc_pages(request(GFP_KERNEL, 4));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.pfn, a.pfn);  // freed to the head of the order-4 list
  EXPECT_TRUE(m.free_pages(again.pfn, 4).ok());
}

// bad-input-free-2: Expect a second free of an order-0 page still on the per-cpu list to be
// refused as a double free; the next order-0 allocation gets it back from the list.
TEST(bad_input, free_2) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(m.free_pages(a.pfn, 0).ok());
  ASSERT_EQ(m.page(a.pfn).state, PageState::Pcp);
  FreeResult f = expect_bad_free(m, a.pfn, 0, FreeError::OnPcp);
  expect_report(f, a.pfn, "page is already free on a per-cpu list");
  AllocResult again = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.pfn, a.pfn);
  EXPECT_TRUE(m.free_pages(again.pfn, 0).ok());
}

// bad-input-free-3: Expect a free with the wrong order (1 for an order-2 block, 3 too) to be
// refused; the right order then works.
TEST(bad_input, free_3) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL, 2));
  ASSERT_TRUE(a.ok());
  FreeResult f = expect_bad_free(m, a.pfn, 1, FreeError::WrongOrder);
  expect_report(f, a.pfn, "order does not match");
  expect_bad_free(m, a.pfn, 3, FreeError::WrongOrder);
  EXPECT_TRUE(m.free_pages(a.pfn, 2).ok());
}

// bad-input-free-4: Expect a free of a tail page (inside an order-4 allocation, and inside a
// free block) to be refused, the report naming the block it belongs to; the head works.
TEST(bad_input, free_4) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL, 4));
  ASSERT_TRUE(a.ok());
  FreeResult f = expect_bad_free(m, a.pfn + 1, 0, FreeError::TailPage);
  expect_report(f, a.pfn + 1, "not the head of an allocation");
  EXPECT_NE(f.report.find("allocated block at pfn:" + hex(a.pfn)), std::string::npos) << f.report;
  expect_bad_free(m, a.pfn + 8, 3, FreeError::TailPage);
  expect_bad_free(m, 1023, 0, FreeError::TailPage);  // inside the last free order-4 block
  EXPECT_TRUE(m.free_pages(a.pfn, 4).ok());
}

// bad-input-free-5: Expect a reserved page and a hole to be refused, and a normal allocation
// and free to work afterwards.
TEST(bad_input, free_5) {
  Config c = plain();
  c.nodes[0].zones[0].reserved = {{0, 2}};
  c.nodes[0].zones[0].holes = {{100, 104}};
  Machine m(c);
  FreeResult r = expect_bad_free(m, 1, 0, FreeError::Reserved);
  expect_report(r, 1, "PageReserved");
  FreeResult h = expect_bad_free(m, 101, 0, FreeError::Absent);
  expect_report(h, 101, "hole");
  AllocResult a = m.alloc_pages(request(GFP_KERNEL, 3));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(m.free_pages(a.pfn, 3).ok());
}

// bad-input-free-6: Expect PFNs outside the memmap, an order above MAX_PAGE_ORDER and a CPU
// that does not exist to be refused as out of range.
TEST(bad_input, free_6) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(a.ok());
  expect_bad_free(m, m.end_pfn(), 0, FreeError::OutOfRange);
  expect_bad_free(m, m.end_pfn() + 12345, 0, FreeError::OutOfRange);
  expect_bad_free(m, kNoPfn, 0, FreeError::OutOfRange);
  expect_bad_free(m, a.pfn, 11, FreeError::OutOfRange);
  FreeResult f = expect_bad_free(m, a.pfn, 0, FreeError::OutOfRange, false, /*cpu=*/1);
  EXPECT_NE(f.report.find("cpu 1 does not exist"), std::string::npos) << f.report;
  EXPECT_TRUE(m.free_pages(a.pfn, 0).ok());
}

// bad-input-free-7: Expect the refcount to decide which free fits: free_pages() on a frozen
// allocation (refcount 0) and free_frozen_pages() on a normal one (refcount 1) are both
// refused; the matching call then works.
TEST(bad_input, free_7) {
  Machine m(plain());
  AllocResult fz = m.alloc_frozen_pages(request(GFP_KERNEL, 1));
  ASSERT_TRUE(fz.ok());
  EXPECT_EQ(m.page(fz.pfn).refcount, 0);
  FreeResult f = expect_bad_free(m, fz.pfn, 1, FreeError::Refcount);
  expect_report(f, fz.pfn, "_refcount");
  EXPECT_TRUE(m.free_frozen_pages(fz.pfn, 1).ok());
  AllocResult rc = m.alloc_pages(request(GFP_KERNEL, 1));
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(m.page(rc.pfn).refcount, 1);
  expect_bad_free(m, rc.pfn, 1, FreeError::Refcount, /*frozen=*/true);
  EXPECT_TRUE(m.free_pages(rc.pfn, 1).ok());
}

// bad-input-free-8: Expect a page whose owner removed it from the direct map and did not
// restore it to be refused; once restored, the free works.
TEST(bad_input, free_8) {
  Machine m(plain());
  AllocResult a = m.alloc_pages(request(GFP_KERNEL));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(m.owner_set_direct_map(a.pfn, 0, false));
  FreeResult f = expect_bad_free(m, a.pfn, 0, FreeError::DirectMapNotRestored);
  expect_report(f, a.pfn, "direct map");
  ASSERT_TRUE(m.owner_set_direct_map(a.pfn, 0, true));
  EXPECT_TRUE(m.free_pages(a.pfn, 0).ok());
}

// ---- configs ------------------------------------------------------------------------------

// Expects validate_config() to refuse `c` with a message starting with `field` and
// containing `needle`, and both constructors to refuse it the same way.
void expect_invalid(const Config& c, const std::string& field, const std::string& needle = "") {
  std::string err = validate_config(c);
  SCOPED_TRACE(err);
  EXPECT_EQ(err.rfind(field, 0), 0u);
  EXPECT_NE(err.find(needle), std::string::npos);
  std::string err2;
  EXPECT_EQ(Machine::create(c, &err2), nullptr);
  EXPECT_EQ(err2, err);
  EXPECT_THROW(Machine{c}, std::invalid_argument);
}

// bad-input-config-1: Expect orders and knobs out of range to be refused by field name.
TEST(bad_input, config_1) {
  EXPECT_EQ(validate_config(plain()), "");
  expect_invalid(Config{}, "nodes:");
  Config c = plain();
  c.max_page_order = 11;
  expect_invalid(c, "max_page_order:");
  c.max_page_order = 0;
  expect_invalid(c, "max_page_order:");
  expect_invalid(configs::single_zone(64, 3, 4), "pageblock_order:");
  expect_invalid(configs::single_zone(64, 3, 0), "pageblock_order:");
  c = plain();
  c.watermark_scale_factor = 0;
  expect_invalid(c, "watermark_scale_factor:");
  c.watermark_scale_factor = 3001;
  expect_invalid(c, "watermark_scale_factor:");
  c = plain();
  c.percpu_pagelist_high_fraction = 7;
  expect_invalid(c, "percpu_pagelist_high_fraction:");
  c = plain();
  c.page_bytes = 12;
  expect_invalid(c, "page_bytes:");
}

// bad-input-config-2: Expect overlapping zone spans, a zone of one node inside another node's
// range, zones out of type order and a duplicate zone type to be refused.
TEST(bad_input, config_2) {
  Config c = configs::numa(2, 1024, 4, 2);
  c.nodes[1].zones[0].start_pfn = 512;
  expect_invalid(c, "nodes[1].zones[0].start_pfn:", "overlaps node 0 zone Normal");
  Config s;
  s.max_page_order = 4;
  s.pageblock_order = 2;
  s.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 0, .pages = 100},
                           ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 200, .pages = 100}}});
  s.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 100, .pages = 100}}});
  expect_invalid(s, "nodes[1].zones[0].start_pfn:", "straddles node 0");
  Config o = plain();
  o.nodes[0].zones.push_back(ZoneConfig{.type = ZONE_DMA32, .start_pfn = 1024, .pages = 64});
  expect_invalid(o, "nodes[0].zones[1].start_pfn:", "must lie below zone Normal");
  Config d = plain();
  d.nodes[0].zones.push_back(ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2048, .pages = 64});
  expect_invalid(d, "nodes[0].zones[1].type:", "already has a Normal zone");
  Config mv;
  mv.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 0, .pages = 64}}});
  expect_invalid(mv, "nodes:", "ZONE_MOVABLE");
}

// bad-input-config-3: Expect holes and reserved ranges outside the span or overlapping each
// other to be refused.
TEST(bad_input, config_3) {
  Config c = plain();
  c.nodes[0].zones[0].holes = {{1000, 1100}};
  expect_invalid(c, "nodes[0].zones[0].holes[0]:", "outside the zone span");
  c = plain();
  c.nodes[0].zones[0].holes = {{10, 20}};
  c.nodes[0].zones[0].reserved = {{15, 16}};
  expect_invalid(c, "nodes[0].zones[0].reserved[0]:", "overlaps");
}

// bad-input-config-4: Expect CMA ranges that are not pageblock-aligned, outside every zone,
// across two zones, over a hole, or on a private node to be refused.
TEST(bad_input, config_4) {
  Config c = plain();
  c.cma = {{2, 8}};
  expect_invalid(c, "cma[0]:", "not aligned to pageblock_nr_pages (4)");
  c.cma = {{1024, 1028}};
  expect_invalid(c, "cma[0]:", "does not lie inside one zone");
  Config two = configs::pc_like(4096, 4096);
  two.cma = {{7680, 8704}};  // pageblocks of 512; DMA32 ends at 8192
  expect_invalid(two, "cma[0]:", "does not lie inside one zone");
  c = plain();
  c.nodes[0].zones[0].holes = {{100, 101}};
  c.cma = {{96, 104}};
  expect_invalid(c, "cma[0]:", "covers a hole");
  Config p = configs::numa(2, 1024, 4, 2);
  p.nodes[1].memory_private = true;
  p.cma = {{1024, 1032}};
  expect_invalid(p, "cma[0]:", "private node 1");
  c = plain();
  c.cma = {{0, 8}, {4, 12}};
  expect_invalid(c, "cma[1]:", "overlaps cma[0]");
}

// bad-input-config-5: Expect a distance matrix of the wrong shape, a local distance other than
// 10, and remote distances outside 11..254 to be refused, and CPUs on missing nodes.
TEST(bad_input, config_5) {
  Config c = configs::numa(2, 1024, 4, 2);
  c.distance = {{10, 20}};
  expect_invalid(c, "distance:", "1 rows for 2 nodes");
  c.distance = {{10, 20}, {20}};
  expect_invalid(c, "distance[1]:", "1 columns");
  c.distance = {{10, 20}, {20, 11}};
  expect_invalid(c, "distance[1][1]:", "local distance must be 10");
  c.distance = {{10, 10}, {20, 10}};
  expect_invalid(c, "distance[0][1]:", "11..254");
  c.distance = {{10, 20}, {255, 10}};
  expect_invalid(c, "distance[1][0]:", "11..254");
  c.distance = {{10, 20}, {20, 10}};
  EXPECT_EQ(validate_config(c), "");
  c.cpu_node = {0, 2};
  expect_invalid(c, "cpu_node[1]:", "node 2 does not exist");
  c.cpu_node = {-1};
  expect_invalid(c, "cpu_node[0]:");
}

}  // namespace
