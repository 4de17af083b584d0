// SPDX-License-Identifier: GPL-2.0-or-later
// Zonelists (and PRIV v4 04/27's private nodes): the FALLBACK node order that build_zonelists()
// gets from repeated find_next_best_node() calls, with its tie breakers (nodes below
// the local one, nodes with CPUs, node_load[] round robin shared across the build of
// every node), NOFALLBACK lists, memoryless nodes, and PRIV v4's private nodes with the
// allocation rules they imply. Expected orders are worked out by hand in the comments:
//   score(L, n) = (distance(L, n) + [n < L] + [n has CPUs]) * 1024 + node_load[n]
// smallest score wins, ties go to the lower node id; node_load[n]++ when n's distance
// from L differs from the previously chosen node's (the local node counts as previous
// at the start); node_load[] is not reset between nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <vector>

#include "alloc/machine.h"

namespace {

using namespace pagealloc;

std::vector<int> fallback_order(const Machine& m, int nid) {
  const std::span<const uint8_t> order = m.node(nid).fallback_order();
  return {order.begin(), order.end()};
}

std::vector<int> zonelist_nodes(const Machine& m, int nid, ZonelistKind kind) {
  std::vector<int> out;
  for (const Zoneref& zr : m.zonelist(nid, kind)) out.push_back(zr.node);
  return out;
}

AllocResult alloc(Machine& m, gfp_t gfp, unsigned order, int nid, unsigned cpu = 0,
                  std::optional<Nodemask> mask = std::nullopt) {
  AllocRequest r;
  r.gfp = gfp;
  r.order = order;
  r.nid = nid;
  r.cpu = cpu;
  r.nodemask = mask;
  return m.alloc_pages(r);
}

int node_of(const Machine& m, const AllocResult& r) { return m.zone(r.zone).node; }

using V = std::vector<int>;

// zonelist-fallback-1: Expect node_load to break a distance tie: with CPUs on every node
// and the matrix below, node 1 lists 3 before 2 because node 0's build loaded node 2.
//        0   1   2   3
//   0:  10  30  20  30
//   1:  30  10  20  20
//   2:  20  20  10  20
//   3:  30  20  20  10
// node 0: 0; then 1: (30+0+1)*1024 = 31744, 2: 21*1024 = 21504, 3: 31744 -> 2, load[2]=1
//         (20 != 10); then 1 vs 3 tie at 31744 -> 1, load[1]=1 (30 != 20); then 3.
//         [0 2 1 3], load 0 1 1 0
// node 1: 0: (30+1+1)*1024 = 32768; 2: 21*1024+1 = 21505; 3: 21*1024+0 = 21504 -> 3,
//         load[3]=1; then 2 (same distance 20); then 0, load[0]=1. [1 3 2 0], load 1 1 1 1
// node 2: 0: 22*1024+1; 1: 22*1024+1; 3: 21*1024+1 -> 3, load[3]=2; 0 and 1 tie -> 0;
//         then 1. [2 3 0 1], load 1 1 1 2
// node 3: 0: 32*1024+1; 1: 22*1024+1; 2: 22*1024+1 -> 1, load[1]=2; then 2; then 0.
//         [3 1 2 0]
TEST(zonelist, fallback_1) {
  Config c = configs::numa(4, 1024, 4, 2);
  c.distance = {{10, 30, 20, 30}, {30, 10, 20, 20}, {20, 20, 10, 20}, {30, 20, 20, 10}};
  Machine m(c);
  EXPECT_EQ(fallback_order(m, 0), (V{0, 2, 1, 3}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 3, 2, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{2, 3, 0, 1}));
  EXPECT_EQ(fallback_order(m, 3), (V{3, 1, 2, 0}));
  for (int n = 0; n < 4; n++)
    EXPECT_EQ(zonelist_nodes(m, n, ZONELIST_FALLBACK), fallback_order(m, n)) << n;
}

// zonelist-fallback-2: Expect nodes without CPUs to be preferred at equal distance
// (PENALTY_FOR_NODE_WITH_CPUS). Default distances (20), CPUs on nodes 0 and 1 only.
// node 0: 1: (20+0+1)*1024 = 21504; 2: 20480; 3: 20480 -> 2, load[2]=1; then 3 (20480)
//         before 1. [0 2 3 1]
// node 1: 0: (20+1+1)*1024 = 22528; 2: 20480+1; 3: 20480+0 -> 3, load[3]=1; then 2; then
//         0. [1 3 2 0]
// node 2: 0: 22528; 1: 22528; 3: (20+0+0)*1024+1 = 20481 -> 3, load[3]=2; then 0 (tie
//         with 1, lower id); then 1. [2 3 0 1]
// node 3: 0: 22528; 1: 22528; 2: (20+1+0)*1024+1 = 21505 -> 2; then 0; then 1. [3 2 0 1]
TEST(zonelist, fallback_2) {
  Config c = configs::numa(4, 1024, 4, 2);
  c.cpu_node = {0, 1};
  Machine m(c);
  EXPECT_EQ(fallback_order(m, 0), (V{0, 2, 3, 1}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 3, 2, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{2, 3, 0, 1}));
  EXPECT_EQ(fallback_order(m, 3), (V{3, 2, 0, 1}));
  EXPECT_TRUE(m.node(0).has(N_CPU));
  EXPECT_FALSE(m.node(2).has(N_CPU));
}

// zonelist-fallback-3: Expect equal distances with CPUs everywhere to rotate the first
// remote node: [0 1 2 3], [1 2 3 0], [2 3 0 1], [3 0 1 2].
// node 0: all 21*1024 -> 1 (lowest id), load[1]=1; node 1: 0 is 22*1024, 2 and 3 are
// 21*1024 -> 2, load[2]=1; node 2: 0: 22528, 1: 22529, 3: 21504 -> 3, load[3]=1, then 0
// before 1 (load); node 3: 0: 22528, 1: 22529, 2: 22529 -> 0, then 1, 2.
TEST(zonelist, fallback_3) {
  Machine m(configs::numa(4, 1024, 4, 2));
  EXPECT_EQ(fallback_order(m, 0), (V{0, 1, 2, 3}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 2, 3, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{2, 3, 0, 1}));
  EXPECT_EQ(fallback_order(m, 3), (V{3, 0, 1, 2}));
}

// zonelist-zones-1: Expect each node's populated zones in descending zone index,
// node-major in FALLBACK, and only the local node's in NOFALLBACK.
TEST(zonelist, zones_1) {
  Config c;
  c.nodes.push_back(
      NodeConfig{.zones = {
                     ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 1024},
                     ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 1024, .pages = 1024},
                 }});
  c.nodes.push_back(
      NodeConfig{.zones = {
                     ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2048, .pages = 1024},
                     ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 3072, .pages = 1024},
                 }});
  c.cpu_node = {0, 1};
  c.max_page_order = 4;
  c.pageblock_order = 2;
  Machine m(c);
  auto ids = [&](int nid, ZonelistKind k) {
    std::vector<std::pair<int, int>> out;
    for (const Zoneref& zr : m.zonelist(nid, k)) {
      EXPECT_EQ(m.zone(zr.zone).type, zr.zone_idx);
      EXPECT_EQ(m.zone(zr.zone).node, zr.node);
      out.emplace_back(zr.node, zr.zone_idx);
    }
    return out;
  };
  using P = std::vector<std::pair<int, int>>;
  EXPECT_EQ(ids(0, ZONELIST_FALLBACK),
            (P{{0, ZONE_NORMAL}, {0, ZONE_DMA32}, {1, ZONE_MOVABLE}, {1, ZONE_NORMAL}}));
  EXPECT_EQ(ids(1, ZONELIST_FALLBACK),
            (P{{1, ZONE_MOVABLE}, {1, ZONE_NORMAL}, {0, ZONE_NORMAL}, {0, ZONE_DMA32}}));
  EXPECT_EQ(ids(0, ZONELIST_NOFALLBACK), (P{{0, ZONE_NORMAL}, {0, ZONE_DMA32}}));
  EXPECT_EQ(ids(1, ZONELIST_NOFALLBACK), (P{{1, ZONE_MOVABLE}, {1, ZONE_NORMAL}}));
  // first_zones_zonelist skips zones above highest_zoneidx: GFP_KERNEL on node 1 starts at
  // node 1's NORMAL (index 1), GFP_DMA32 at node 0's DMA32 (index 3).
  EXPECT_EQ(
      Machine::first_zones_zonelist(m.zonelist(1, ZONELIST_FALLBACK), 0, ZONE_NORMAL, nullptr), 1u);
  EXPECT_EQ(Machine::first_zones_zonelist(m.zonelist(1, ZONELIST_FALLBACK), 0, ZONE_DMA32, nullptr),
            3u);
  Nodemask only1 = Nodemask::of(1);
  EXPECT_EQ(Machine::first_zones_zonelist(m.zonelist(0, ZONELIST_FALLBACK), 0, ZONE_DMA32, &only1),
            4u);
}

// zonelist-zones-2: Expect GFP_HIGHUSER_MOVABLE (HIGHMEM|MOVABLE: highest zone MOVABLE) to
// start at ZONE_MOVABLE, GFP_KERNEL|__GFP_MOVABLE (highest NORMAL) to skip it, and a
// memalloc_pin scope (current_gfp_context() clears __GFP_MOVABLE) to keep even
// GFP_HIGHUSER_MOVABLE out of ZONE_MOVABLE.
TEST(zonelist, zones_2) {
  Config c;
  c.max_page_order = 4;
  c.pageblock_order = 2;
  c.nodes.push_back(
      NodeConfig{.zones = {
                     ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 0, .pages = 1024},
                     ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 1024, .pages = 1024},
                 }});
  Machine m(c);
  AllocResult a = alloc(m, GFP_HIGHUSER_MOVABLE, 0, NUMA_NO_NODE);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(m.zone(a.zone).type, ZONE_MOVABLE);
  AllocResult b = alloc(m, GFP_KERNEL | __GFP_MOVABLE, 0, NUMA_NO_NODE);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(m.zone(b.zone).type, ZONE_NORMAL);
  AllocRequest pin;
  pin.gfp = GFP_HIGHUSER_MOVABLE;
  pin.task.pf_memalloc_pin = true;
  AllocResult p = m.alloc_pages(pin);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(m.zone(p.zone).type, ZONE_NORMAL);
}

// A 4-node machine whose node 2 has CPUs but no memory.
Config memoryless() {
  Config c;
  for (int n = 0; n < 4; n++) {
    NodeConfig nc;
    if (n != 2)
      nc.zones.push_back(
          ZoneConfig{.type = ZONE_NORMAL, .start_pfn = Pfn(n) * 1024, .pages = 1024});
    c.nodes.push_back(nc);
  }
  c.cpu_node = {0, 1, 2, 3};
  c.max_page_order = 4;
  c.pageblock_order = 2;
  return c;
}

// zonelist-memoryless-1: Expect a memoryless node to be skipped as local node and absent
// from every list, its own FALLBACK list to start with the best remote node, and its
// NOFALLBACK list to be empty.
// node 0: 1 and 3 at 21*1024 -> 1, load[1]=1; then 3.                 [0 1 3]
// node 1: 0: 22528, 3: 21504 -> 3, load[3]=1; then 0.                   [1 3 0]
// node 2: no local; 0: 22*1024, 1: 22*1024+1, 3: (20+0+1)*1024+1 -> 3, load[3]=2
//         (20 != distance to itself); then 0 (load 0 beats 1's 1); then 1. [3 0 1]
// node 3: 0: 22528, 1: 22529 -> 0; then 1.                              [3 0 1]
TEST(zonelist, memoryless_1) {
  Machine m(memoryless());
  EXPECT_FALSE(m.node(2).has(N_MEMORY));
  EXPECT_TRUE(m.node(2).has(N_CPU));
  EXPECT_EQ(fallback_order(m, 0), (V{0, 1, 3}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 3, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{3, 0, 1}));
  EXPECT_EQ(fallback_order(m, 3), (V{3, 0, 1}));
  EXPECT_TRUE(m.zonelist(2, ZONELIST_NOFALLBACK).empty());
  EXPECT_EQ(m.node_states(N_MEMORY).bits, 0b1011u);
}

// zonelist-holes-1: Expect a zone whose whole span is a hole to count as unpopulated:
// absent from every list, its node memoryless if it has nothing else -- in the booted
// Machine and in the lists built from numa_topology() alone (the zonelist fuzzer's path).
//   node 0: NORMAL [0, 1024)
//   node 1: DMA32  [1024, 1280) all hole, NORMAL [1280, 2304)
//   node 2: NORMAL [2304, 2560) all hole
// One CPU, on node 0. node 0: [0 1], load[1]=1; node 1: [1 0], load[0]=1; node 2: no
// local, 0: (20+1+1)*1024+1, 1: (20+1)*1024+1 -> [1 0].
TEST(zonelist, holes_1) {
  Config c;
  c.max_page_order = 4;
  c.pageblock_order = 2;
  c.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 0, .pages = 1024}}});
  c.nodes.push_back(NodeConfig{
      .zones = {
          ZoneConfig{.type = ZONE_DMA32, .start_pfn = 1024, .pages = 256, .holes = {{1024, 1280}}},
          ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 1280, .pages = 1024},
      }});
  c.nodes.push_back(NodeConfig{
      .zones = {ZoneConfig{
          .type = ZONE_NORMAL, .start_pfn = 2304, .pages = 256, .holes = {{2304, 2560}}}}});
  Machine m(c);
  EXPECT_EQ(m.node_states(N_MEMORY).bits, 0b011u);
  EXPECT_EQ(fallback_order(m, 0), (V{0, 1}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{1, 0}));
  ASSERT_EQ(m.zonelist(1, ZONELIST_NOFALLBACK).size(), 1u);
  EXPECT_EQ(m.zonelist(1, ZONELIST_NOFALLBACK)[0].zone_idx, ZONE_NORMAL);
  EXPECT_TRUE(m.zonelist(2, ZONELIST_NOFALLBACK).empty());
  EXPECT_EQ(zonelist_nodes(m, 2, ZONELIST_FALLBACK), (V{1, 0}));
  BuiltZonelists built;
  _build_all_zonelists(numa_topology(c), &built);
  for (int nid = 0; nid < 3; nid++)
    for (ZonelistKind k : {ZONELIST_FALLBACK, ZONELIST_NOFALLBACK}) {
      const std::span<const Zoneref> got = built.list(nid, k);
      EXPECT_TRUE(std::ranges::equal(got, m.zonelist(nid, k))) << nid << " " << k;
    }
}

// zonelist-memoryless-2: Expect an allocation on the memoryless node's CPU to come from
// the head of its FALLBACK list (node 3), as does an explicit nid 2.
TEST(zonelist, memoryless_2) {
  Machine m(memoryless());
  AllocResult r = alloc(m, GFP_KERNEL, 0, NUMA_NO_NODE, /*cpu=*/2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(node_of(m, r), 3);
  EXPECT_GE(r.pfn, 3072u);
  AllocResult s = alloc(m, GFP_KERNEL, 4, 2, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(node_of(m, s), 3);
}

// ---- private nodes (PRIV v4) ----------------------------------------------------------

// Nodes 0 and 1 ordinary with one CPU each, node 2 private without CPUs; 1024 pages
// each. Watermarks: nr_free_buffer_pages walks node 0's list (nodes 0 and 1): 2048 pages
// -> int_sqrt(8192*16) = 362 kB, pages_min 90; every zone counts in lowmem (3072):
// tmp = 90*1024/3072 = 30, delta = max(7, 1) = 7 -> min 30, low 37.
Config with_private() {
  Config c = configs::numa(3, 1024, 4, 2);
  c.nodes[2].memory_private = true;
  c.cpu_node = {0, 1};
  return c;
}

// zonelist-private-1: Expect the private node in N_MEMORY_PRIVATE only, its FALLBACK
// list to be itself then the N_MEMORY nodes (0: 22*1024+1 ties with 1 -> 0), its
// NOFALLBACK list itself, and the ordinary nodes' lists to leave it out.
TEST(zonelist, private_1) {
  Machine m(with_private());
  EXPECT_TRUE(m.node(2).has(N_MEMORY_PRIVATE));
  EXPECT_FALSE(m.node(2).has(N_MEMORY));
  EXPECT_EQ(m.node_states(N_MEMORY).bits, 0b011u);
  EXPECT_EQ(fallback_order(m, 0), (V{0, 1}));
  EXPECT_EQ(fallback_order(m, 1), (V{1, 0}));
  EXPECT_EQ(fallback_order(m, 2), (V{2, 0, 1}));
  EXPECT_EQ(zonelist_nodes(m, 2, ZONELIST_FALLBACK), (V{2, 0, 1}));
  EXPECT_EQ(zonelist_nodes(m, 2, ZONELIST_NOFALLBACK), (V{2}));
  EXPECT_EQ(zonelist_nodes(m, 0, ZONELIST_FALLBACK), (V{0, 1}));
  EXPECT_EQ(zonelist_nodes(m, 1, ZONELIST_NOFALLBACK), (V{1}));
  const Zone& z = m.node_zone(2, ZONE_NORMAL);
  EXPECT_EQ(z.watermark[WMARK_MIN], 30u);
  EXPECT_EQ(z.watermark[WMARK_LOW], 37u);
}

// zonelist-private-2: Expect a request without __GFP_PRIVATE never to get a private page:
// preferring the private node falls through to node 0; THISNODE or a nodemask of only
// the private node fails (NULL); reserve escalation (__GFP_MEMALLOC) drops the nodemask
// and so lands on node 0, still not on the private node.
TEST(zonelist, private_2) {
  Machine m(with_private());
  AllocResult a = alloc(m, GFP_KERNEL, 0, 2);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(node_of(m, a), 0);
  EXPECT_EQ(alloc(m, GFP_KERNEL | __GFP_THISNODE, 0, 2).status, AllocStatus::Failed);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, 2, 0, Nodemask::of(2)).status, AllocStatus::Failed);
  EXPECT_EQ(alloc(m, GFP_KERNEL, 0, NUMA_NO_NODE, 0, Nodemask::of(2)).status, AllocStatus::Failed);
  AllocResult e = alloc(m, GFP_ATOMIC | __GFP_MEMALLOC, 0, 2, 0, Nodemask::of(2));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e.slowpath);
  EXPECT_EQ(node_of(m, e), 0);
  EXPECT_EQ(m.node_zone(2, ZONE_NORMAL).nr_free_pages, 1024);
}

// zonelist-private-3: Expect GFP_PRIVATE (__GFP_PRIVATE|__GFP_THISNODE) on the private
// node to get pages of that node only, and NULL once it is below its watermark: order-4
// blocks succeed while free - 15 > min 30 in the slow path, i.e. 62 times (1024 - 61*16 =
// 48 before the 62nd; 32 before the 63rd), and never spill to nodes 0 or 1.
TEST(zonelist, private_3) {
  Machine m(with_private());
  int got = 0;
  AllocResult r;
  for (;;) {
    r = alloc(m, GFP_KERNEL | GFP_PRIVATE | __GFP_NOWARN, 4, 2);
    if (!r.ok()) break;
    ASSERT_EQ(node_of(m, r), 2) << got;
    ASSERT_LT(++got, 100);
  }
  EXPECT_EQ(got, 62);
  EXPECT_EQ(r.status, AllocStatus::Failed);
  EXPECT_EQ(m.node_zone(2, ZONE_NORMAL).nr_free_pages, 32);
  EXPECT_EQ(m.node_zone(0, ZONE_NORMAL).nr_free_pages, 1024);
  EXPECT_EQ(m.node_zone(1, ZONE_NORMAL).nr_free_pages, 1024);
  EXPECT_EQ(m.stats().oom_calls, 0u);  // THISNODE: no OOM kill
}

// zonelist-private-4: Expect __GFP_PRIVATE without THISNODE, preferring the private node,
// to use it first and then fall back to node 0 (its FALLBACK list): the fast path takes
// order-4 blocks from node 2 while free - 15 > low 37, i.e. 61 times (64 free before the
// 61st, 48 before the 62nd), and the 62nd comes from node 0. __GFP_PRIVATE preferring
// node 0 never reaches the private node.
TEST(zonelist, private_4) {
  Machine m(with_private());
  for (int i = 0; i < 61; i++) ASSERT_EQ(node_of(m, alloc(m, GFP_KERNEL | __GFP_PRIVATE, 4, 2)), 2);
  AllocResult spill = alloc(m, GFP_KERNEL | __GFP_PRIVATE, 4, 2);
  ASSERT_TRUE(spill.ok());
  EXPECT_EQ(node_of(m, spill), 0);

  Machine n(with_private());
  for (int i = 0; i < 70; i++) {
    AllocResult r = alloc(n, GFP_KERNEL | __GFP_PRIVATE, 4, 0);
    ASSERT_TRUE(r.ok());
    ASSERT_NE(node_of(n, r), 2) << i;
  }
  EXPECT_EQ(n.node_zone(2, ZONE_NORMAL).nr_free_pages, 1024);
}

// zonelist-private-5: Expect the context struct's managed_node to open the private node
// like __GFP_PRIVATE does (AFLAGS), with THISNODE keeping it there.
TEST(zonelist, private_5) {
  Machine m(with_private());
  AllocFlags ctx;
  ctx.set(CTX_managed_node);
  AllocRequest req;
  req.gfp = GFP_KERNEL | __GFP_THISNODE;
  req.nid = 2;
  AllocResult r = m.alloc_pages_context(req, &ctx);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(node_of(m, r), 2);
  AllocResult without = m.alloc_pages_context(req, nullptr);
  EXPECT_EQ(without.status, AllocStatus::Failed);
}

}  // namespace
