// SPDX-License-Identifier: GPL-2.0-or-later
// Generator definitions (generators.h): compiled once, so each property test only
// instantiates RapidCheck's machinery for its own properties.
#include "properties/generators.h"

#include "drive/trace.h"
#include "properties/prop_check.h"

namespace buddycheck::props {

namespace {

// Kernel callers' masks and the modifiers they add (gen_kernel_gfp).
constexpr std::array kCompositeMasks = {GFP_KERNEL,
                                        GFP_KERNEL,
                                        GFP_ATOMIC,
                                        GFP_NOWAIT,
                                        GFP_NOIO,
                                        GFP_NOFS,
                                        GFP_USER,
                                        GFP_HIGHUSER,
                                        GFP_HIGHUSER_MOVABLE,
                                        GFP_HIGHUSER_MOVABLE,
                                        GFP_TRANSHUGE,
                                        GFP_TRANSHUGE_LIGHT,
                                        GFP_KERNEL_ACCOUNT,
                                        GFP_KERNEL | __GFP_RECLAIMABLE,
                                        GFP_DMA,
                                        GFP_DMA32,
                                        GFP_KERNEL | GFP_DMA32,
                                        GFP_ATOMIC | GFP_DMA,
                                        GFP_PRIVATE,
                                        GFP_KERNEL | __GFP_PRIVATE,
                                        __GFP_HIGH | __GFP_RECLAIM,
                                        __GFP_MOVABLE | GFP_NOWAIT};
constexpr std::array kModifierBits = {
    __GFP_ZERO,    __GFP_NOWARN,   __GFP_HIGH,       __GFP_NORETRY,  __GFP_RETRY_MAYFAIL,
    __GFP_NOFAIL,  __GFP_MEMALLOC, __GFP_NOMEMALLOC, __GFP_THISNODE, __GFP_COMP,
    __GFP_PRIVATE, __GFP_HARDWALL, __GFP_WRITE,      __GFP_ACCOUNT,  __GFP_KSWAPD_RECLAIM};

}  // namespace

// ---- named machine shapes (the config matrix) --------------------------------------

// One node, one 256-page Normal zone, MAX_PAGE_ORDER 3, 4-page pageblocks, 2 CPUs:
// every path (exhaustion, fallback, boosts) is a few ops away.
Config tiny_config() {
  Config c = configs::single_zone(256, 3, 2);
  c.cpu_node = {0, 0};
  return c;
}

// DMA-heavy PC: DMA 0-1023 (BIOS page reserved), DMA32 1024-2559, a small Normal zone
// 2560-3071, low lowmem_reserve ratios so the reserves matter.
Config dma_heavy_config() {
  Config c;
  c.max_page_order = 5;
  c.pageblock_order = 3;
  NodeConfig n;
  n.zones = {ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 1024, .reserved = {{0, 1}}},
             ZoneConfig{.type = ZONE_DMA32, .start_pfn = 1024, .pages = 1536},
             ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2560, .pages = 512}};
  c.nodes = {n};
  c.cpu_node = {0, 0};
  c.lowmem_reserve_ratio = {16, 16, 32, 0};
  return c;
}

// Four nodes with unequal, asymmetric distances; node 0 has DMA32 below Normal, node 3
// is memoryless but has a CPU.
Config numa_unequal_config() {
  Config c;
  c.max_page_order = 5;
  c.pageblock_order = 3;
  auto normal = [](Pfn start, uint64_t pages) {
    return NodeConfig{
        .zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = start, .pages = pages}}};
  };
  NodeConfig n0;
  n0.zones = {ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 512},
              ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 512, .pages = 512}};
  c.nodes = {n0, normal(1024, 768), normal(2048, 512), NodeConfig{}};
  c.distance = {{10, 12, 20, 30}, {12, 10, 25, 20}, {21, 25, 10, 12}, {30, 20, 14, 10}};
  c.cpu_node = {0, 1, 2, 3};
  return c;
}

// page_group_by_mobility_disabled: every request is MIGRATE_UNMOVABLE.
Config no_grouping_config() {
  Config c = configs::numa(2, 1024, 5, 3);
  c.mobility_grouping = false;
  return c;
}

// Node 2 is N_MEMORY_PRIVATE (and has a CPU, as a private node may).
Config private_config() {
  Config c = configs::numa(3, 1024, 5, 3);
  c.nodes[2].memory_private = true;
  return c;
}

// CMA pageblocks in both nodes' Normal zones, not MAX_PAGE_ORDER-aligned, so a CMA
// pageblock has ordinary buddies above pageblock_order.
Config cma_config() {
  Config c = configs::numa(2, 1024, 5, 3);
  c.cma = {{264, 280}, {1024 + 512 + 8, 1024 + 512 + 16}};
  return c;
}

// One node, four CPUs, DMA32 + Normal + Movable.
Config many_cpus_config() {
  Config c;
  c.max_page_order = 5;
  c.pageblock_order = 3;
  NodeConfig n;
  n.zones = {ZoneConfig{.type = ZONE_DMA32, .start_pfn = 0, .pages = 1024},
             ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 1024, .pages = 1024},
             ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 2048, .pages = 512}};
  c.nodes = {n};
  c.cpu_node = {0, 0, 0, 0};
  return c;
}

// Small pageblocks under large MAX_PAGE_ORDER: unmapped flips span several pageblocks
// and the direct map starts at 4 KiB granularity.
Config unmapped_config() {
  Config c = configs::single_zone(2048, 5, 2);
  c.cpu_node = {0, 0};
  c.direct_map_level = DirectMapLevel::PAGE_4K;
  return c;
}

// Holes, reserved ranges and zone boundaries inside pageblocks, over two nodes.
Config holes_config() {
  Config c;
  c.max_page_order = 5;
  c.pageblock_order = 3;
  NodeConfig n0;
  n0.zones = {ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 500, .reserved = {{0, 3}}},
              ZoneConfig{.type = ZONE_DMA32, .start_pfn = 500, .pages = 700, .holes = {{600, 650}}},
              ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 1200, .pages = 900}};
  NodeConfig n1;
  n1.zones = {
      ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2112, .pages = 800, .reserved = {{2500, 2510}}}};
  c.nodes = {n0, n1};
  c.cpu_node = {0, 1, 1};
  return c;
}

// The config matrix every machine property and the stateful test run across.
const std::vector<NamedConfig>& named_configs() {
  static const std::vector<NamedConfig> kConfigs = {{"tiny", tiny_config},
                                                    {"dma_heavy", dma_heavy_config},
                                                    {"numa_unequal", numa_unequal_config},
                                                    {"no_grouping", no_grouping_config},
                                                    {"private_node", private_config},
                                                    {"cma", cma_config},
                                                    {"many_cpus", many_cpus_config},
                                                    {"unmapped", unmapped_config},
                                                    {"holes", holes_config}};
  return kConfigs;
}

// ---- random configs ------------------------------------------------------------------

// A random valid machine of at most 4096 pages: 1-4 nodes, any zone types, unequal
// (even asymmetric) distances, private nodes, CMA blocks, holes and reserved ranges,
// 1-4 CPUs and random watermark knobs. An invalid draw falls back to tiny_config().
rc::Gen<Config> gen_random_config() {
  return rc::gen::exec([] {
    Config c;
    c.max_page_order = *rc::gen::element(3u, 4u, 5u, 2u, 6u);
    c.pageblock_order = *pick(1u, c.max_page_order + 1);
    c.mobility_grouping = *rc::gen::weightedElement<bool>({{7, true}, {1, false}});
    const int nodes = *pick(1, 5);
    const Pfn block = Pfn{1} << c.max_page_order;
    uint64_t budget = 4096;
    Pfn cursor = 0;
    for (int n = 0; n < nodes; n++) {
      NodeConfig nc;
      nc.memory_private = n > 0 && *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
      unsigned types = *pick(0u, 16u);
      if (n == 0) types |= 1u << ZONE_NORMAL;  // some lowmem must exist
      for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
        if (!(types & (1u << t)) || budget < 16) continue;
        ZoneConfig z;
        z.type = static_cast<ZoneType>(t);
        z.start_pfn = cursor;
        uint64_t pages = *rc::gen::weightedElement<bool>({{3, true}, {1, false}})
                             ? block * *pick<uint64_t>(1, 9)
                             : *pick<uint64_t>(16, 700);
        z.pages = std::min(pages, budget);
        if (z.pages >= 64 && *rc::gen::weightedElement<bool>({{6, false}, {1, true}})) {
          Pfn s = z.start_pfn + *pick<uint64_t>(1, z.pages / 2);
          z.reserved.push_back({s, s + *pick<uint64_t>(1, 8)});
        }
        if (z.pages >= 64 && *rc::gen::weightedElement<bool>({{6, false}, {1, true}})) {
          Pfn s = z.start_pfn + z.pages / 2 + *pick<uint64_t>(8, z.pages / 4 + 9);
          if (s + 8 < z.start_pfn + z.pages) z.holes.push_back({s, s + 8});
        }
        budget -= z.pages;
        cursor += z.pages + (*rc::gen::weightedElement<bool>({{4, false}, {1, true}}) ? block : 0);
        nc.zones.push_back(z);
      }
      c.nodes.push_back(nc);
    }
    // CMA: up to two pageblocks in the first clean zone of a non-private node.
    if (*rc::gen::weightedElement<bool>({{2, false}, {1, true}})) {
      const Pfn pb = c.pageblock_nr_pages();
      for (const NodeConfig& nc : c.nodes) {
        if (nc.memory_private || !c.cma.empty()) continue;
        for (const ZoneConfig& z : nc.zones) {
          Pfn first = (z.start_pfn + pb - 1) & ~(pb - 1);
          if (!z.holes.empty() || !z.reserved.empty() || first + 2 * pb > z.start_pfn + z.pages)
            continue;
          c.cma.push_back({first, first + pb * *pick<Pfn>(1, 3)});
          break;
        }
      }
    }
    const int cpus = *pick(1, 5);
    for (int i = 0; i < cpus; i++) c.cpu_node.push_back(*pick(0, nodes));
    if (nodes > 1 && *rc::gen::arbitrary<bool>()) {
      c.distance.assign(nodes, std::vector<unsigned>(nodes, 10));
      for (int a = 0; a < nodes; a++)
        for (int b = 0; b < nodes; b++)
          if (a != b) c.distance[a][b] = *rc::gen::element(20u, 20u, 12u, 30u, 21u, 40u);
    }
    if (*rc::gen::weightedElement<bool>({{3, false}, {1, true}}))
      c.min_free_kbytes = *pick(0u, 4097u);
    if (*rc::gen::weightedElement<bool>({{5, false}, {1, true}}))
      c.watermark_scale_factor = *pick(1u, 3001u);
    if (*rc::gen::weightedElement<bool>({{5, false}, {1, true}}))
      for (unsigned& r : c.lowmem_reserve_ratio) r = *rc::gen::element(0u, 1u, 4u, 32u, 256u);
    c.can_set_direct_map = *rc::gen::weightedElement<bool>({{7, true}, {1, false}});
    if (!validate_config(c).empty()) return tiny_config();
    return c;
  });
}

// A named shape or a random machine.
rc::Gen<Config> gen_config() {
  return rc::gen::oneOf(rc::gen::map(pick<size_t>(0, named_configs().size()),
                                     [](size_t i) { return named_configs()[i].make(); }),
                        gen_random_config());
}

// ---- gfp masks, alloc_flags, orders, tasks -------------------------------------------

// A mask the way kernel callers write them: a composite plus a few modifiers.
rc::Gen<gfp_t> gen_kernel_gfp() {
  return rc::gen::exec([] {
    gfp_t g = *rc::gen::elementOf(kCompositeMasks);
    const unsigned extra = *rc::gen::element(0u, 0u, 1u, 1u, 2u, 3u);
    for (unsigned i = 0; i < extra; i++) g |= *rc::gen::elementOf(kModifierBits);
    return g;
  });
}

// Kernel composites weighted high; random known bits and raw 32-bit words too (these
// are often invalid: bad zone combinations, MOVABLE|RECLAIMABLE, unknown bits).
rc::Gen<gfp_t> gen_gfp() {
  return rc::gen::weightedOneOf<gfp_t>(
      {{8, gen_kernel_gfp()},
       {2, rc::gen::map(rc::gen::arbitrary<gfp_t>(), [](gfp_t g) { return g & __GFP_BITS_MASK; })},
       {1, rc::gen::arbitrary<gfp_t>()}});
}

rc::Gen<gfp_t> gen_valid_gfp() {
  return rc::gen::map(gen_gfp(), [](gfp_t g) {
    if (gfp_is_valid(g)) return g;
    g &= __GFP_BITS_MASK & ~(__GFP_UNMAPPED | __GFP_RECLAIMABLE);
    return gfp_zone_bad(g) ? g & ~GFP_ZONEMASK : g;
  });
}

// struct alloc_flags: mostly external context bits, sometimes internal ones, rarely
// bits from a newer header.
rc::Gen<AllocFlags> gen_alloc_flags() {
  return rc::gen::weightedOneOf<AllocFlags>(
      {{6,
        rc::gen::map(pick<uint64_t>(0, 8),
                     [](uint64_t b) {
                       AllocFlags f;
                       f.set(CTX_cma, b & 1).set(CTX_unmapped, b & 2).set(CTX_managed_node, b & 4);
                       return f;
                     })},
       {3, rc::gen::map(rc::gen::arbitrary<uint64_t>(),
                        [](uint64_t b) { return AllocFlags{b & kCtxKnownMask}; })},
       {1,
        rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t b) { return AllocFlags{b}; })}});
}

// Small orders dominate, as in real workloads; MAX_PAGE_ORDER + 1 now and then.
rc::Gen<unsigned> gen_order(unsigned max_order) {
  return rc::gen::weightedOneOf<unsigned>({{12, rc::gen::just(0u)},
                                           {6, pick(1u, std::min(4u, max_order + 1))},
                                           {4, pick(0u, max_order + 1)},
                                           {1, rc::gen::just(max_order + 1)}});
}

// Task bits (ops.def TASK_BIT order): usually none, sometimes one, rarely any.
rc::Gen<uint32_t> gen_task_bits() {
  return rc::gen::weightedOneOf<uint32_t>(
      {{12, rc::gen::just(0u)},
       {4, rc::gen::map(pick(0u, unsigned{NR_TASK_BITS}), [](unsigned b) { return 1u << b; })},
       {1, pick(0u, 1u << NR_TASK_BITS)}});
}

// ---- nodemasks -----------------------------------------------------------------------

NodeInfoSnapshot snapshot_nodes(const Machine& m) {
  NodeInfoSnapshot s;
  s.nr_nodes = static_cast<int>(m.nr_nodes());
  for (unsigned i = 0; i < NR_NODE_STATES; i++)
    s.states[i] = m.node_states(static_cast<NodeState>(i));
  return s;
}

// Nodemasks the way kernel code builds them: random subsets, node_states[] masks, their
// unions and complements, and nodes_remap() of one state mask through two others --
// the route by which a private node sneaks into a mask built from N_CPU or N_MEMORY.
rc::Gen<Nodemask> gen_nodemask(const NodeInfoSnapshot& s) {
  const Nodemask online = Nodemask::first_n(s.nr_nodes);
  auto state = [s]() { return s.states[*pick(0u, unsigned{NR_NODE_STATES})]; };
  return rc::gen::weightedOneOf<Nodemask>(
      {{4, rc::gen::map(rc::gen::arbitrary<uint64_t>(),
                        [online](uint64_t b) { return Nodemask{b & online.bits}; })},
       {3, rc::gen::exec(state)},
       {2, rc::gen::exec([state] { return state() | state(); })},
       {2, rc::gen::exec([state, online] { return ~state() & online; })},
       {2,
        rc::gen::exec([state, online] { return nodes_remap(state(), state(), state()) & online; })},
       {1, rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t b) { return Nodemask{b}; })}});
}

// ---- ops -----------------------------------------------------------------------------

// The allocation an alloc op performs, exactly as the runner performs it (so a trace
// ending in this op replays the same call).
AllocResult perform_alloc(Machine& m, const Op& op) {
  const AllocRequest req = request_of(op);
  if (op.ctx) return m.alloc_pages_context(req, &*op.ctx);
  return op.frozen ? m.alloc_frozen_pages(req) : m.alloc_pages(req);
}

GenContext snapshot(const Runner& r) {
  const Machine& m = r.machine();
  GenContext g;
  g.nodes = snapshot_nodes(m);
  g.nr_cpus = m.nr_cpus();
  g.nr_zones = m.nr_zones();
  g.max_order = m.max_order();
  g.pageblock_order = m.pageblock_order();
  g.start_pfn = m.start_pfn();
  g.end_pfn = m.end_pfn();
  g.live = r.live_ids();
  g.freed = r.freed_ids();
  return g;
}

// One alloc op: any request callers make, now and then an invalid one.
rc::Gen<Op> gen_alloc_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::Alloc;
    op.gfp = *rc::gen::weightedOneOf<gfp_t>({{12, gen_valid_gfp()}, {1, gen_gfp()}});
    op.order = *gen_order(g.max_order);
    if (*rc::gen::weightedElement<bool>({{3, false}, {2, true}}))
      op.nid = *pick(0, g.nodes.nr_nodes);
    if (*rc::gen::weightedElement<bool>({{4, false}, {1, true}}))
      op.nodemask = *gen_nodemask(g.nodes);
    if (*rc::gen::weightedElement<bool>({{9, false}, {1, true}})) op.ctx = *gen_alloc_flags();
    op.cpu = *pick(0u, g.nr_cpus);
    op.task = *gen_task_bits();
    if (*rc::gen::weightedElement<bool>({{15, false}, {1, true}}))
      op.cpuset = *gen_nodemask(g.nodes);
    if (!op.ctx) op.frozen = *rc::gen::weightedElement<bool>({{7, false}, {1, true}});
    return op;
  });
}

// An unmapped allocation the sanitizer accepts (unmovable, blocking, not zeroed), with
// orders up to MAX_PAGE_ORDER so flips span several pageblocks.
rc::Gen<Op> gen_unmapped_alloc_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::Alloc;
    op.gfp = *rc::gen::element(GFP_KERNEL, GFP_NOFS, GFP_KERNEL | __GFP_NOWARN, GFP_KERNEL_ACCOUNT);
    op.order = *pick(0u, g.max_order + 1);
    AllocFlags f;
    f.set(CTX_unmapped);
    op.ctx = f;
    op.cpu = *pick(0u, g.nr_cpus);
    return op;
  });
}

rc::Gen<Op> gen_free_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::Free;
    op.id = *rc::gen::elementOf(g.live);
    op.cpu = *pick(0u, g.nr_cpus);
    return op;
  });
}

// One generator per remaining op kind, valid for the snapshot (ids from the live and
// freed sets, CPUs, nodes and zones that exist, sysctl values the kernel accepts).
rc::Gen<Op> gen_bulk_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::AllocBulk;
    op.count = *pick(0u, 41u);
    op.gfp = *gen_valid_gfp();
    op.cpu = *pick(0u, g.nr_cpus);
    if (*rc::gen::arbitrary<bool>()) op.nid = *pick(0, g.nodes.nr_nodes);
    return op;
  });
}

rc::Gen<Op> gen_drain_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::Drain;
    op.all = *rc::gen::arbitrary<bool>();
    if (!op.all) op.cpu = *pick(0u, g.nr_cpus);
    if (*rc::gen::weightedElement<bool>({{2, false}, {1, true}}))
      op.zone = *pick(0, static_cast<int>(g.nr_zones));
    return op;
  });
}

rc::Gen<Op> gen_sysctl_op() {
  return rc::gen::exec([] {
    Op op;
    op.kind = OpKind::Sysctl;
    op.key = static_cast<SysctlKey>(*pick(0, 5));
    switch (op.key) {
      case SysctlKey::min_free_kbytes:
        op.value = *pick<uint64_t>(0, 4097);
        break;
      case SysctlKey::watermark_scale_factor:
        op.value = *pick<uint64_t>(1, 3001);
        break;
      case SysctlKey::watermark_boost_factor:
        op.value = *rc::gen::element(uint64_t{0}, uint64_t{15000}, uint64_t{100000});
        break;
      case SysctlKey::lowmem_reserve_ratio:
        for (unsigned& r : op.ratio) r = *rc::gen::element(0u, 1u, 4u, 32u, 256u);
        break;
      case SysctlKey::percpu_pagelist_high_fraction:
        op.value = *rc::gen::element(uint64_t{0}, uint64_t{8}, uint64_t{64});
        break;
    }
    return op;
  });
}

rc::Gen<Op> gen_hooks_op() {
  return rc::gen::exec([] {
    Op op;
    op.kind = OpKind::Hooks;
    op.hooks.reclaim = *rc::gen::element(0u, 1u, 4u);
    op.hooks.compact = *rc::gen::element(CompactResult::SKIPPED, CompactResult::DEFERRED,
                                         CompactResult::COMPLETE, CompactResult::SUCCESS);
    op.hooks.oom_kill = *rc::gen::arbitrary<bool>();
    return op;
  });
}

rc::Gen<Op> gen_kswapd_op(const GenContext& g) {
  return rc::gen::map(pick(0, g.nodes.nr_nodes), [](int n) {
    Op op;
    op.kind = OpKind::Kswapd;
    op.node = n;
    return op;
  });
}

rc::Gen<Op> gen_decay_op(const GenContext& g) {
  return rc::gen::map(pick(0u, g.nr_cpus), [](unsigned cpu) {
    Op op;
    op.kind = OpKind::DecayPcp;
    op.cpu = cpu;
    return op;
  });
}

// Needs a live allocation (or, for double_free, a freed one).
rc::Gen<Op> gen_bad_free_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::BadFree;
    op.bad = static_cast<BadFreeKind>(*pick(0, 5));
    op.cpu = *pick(0u, g.nr_cpus);
    if (op.bad == BadFreeKind::double_free && g.freed.empty()) op.bad = BadFreeKind::wrong_order;
    if (op.bad == BadFreeKind::double_free) op.id = *rc::gen::elementOf(g.freed);
    else if (op.bad == BadFreeKind::foreign) op.pfn = *pick<Pfn>(g.start_pfn, g.end_pfn + 16);
    else op.id = *rc::gen::elementOf(g.live);
    return op;
  });
}

rc::Gen<Op> gen_dm_set_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::DmSet;
    op.id = *rc::gen::elementOf(g.live);
    op.present = *rc::gen::arbitrary<bool>();
    return op;
  });
}

rc::Gen<Op> gen_simple_op(OpKind kind) {
  Op op;
  op.kind = kind;
  if (kind == OpKind::Dump) op.what = DumpWhat::buddyinfo;
  return rc::gen::just(op);
}

// Any op valid for the runner's current state, weighted toward allocations and frees.
rc::Gen<Op> gen_op(const Runner& r) {
  const GenContext g = snapshot(r);
  const size_t live = g.live.empty() ? 0 : 1;
  return rc::gen::weightedOneOf<Op>({{16, gen_alloc_op(g)},
                                     {2, gen_unmapped_alloc_op(g)},
                                     {14 * live, gen_free_op(g)},
                                     {1, gen_bulk_op(g)},
                                     {2, gen_drain_op(g)},
                                     {1, gen_sysctl_op()},
                                     {1, gen_hooks_op()},
                                     {1, gen_kswapd_op(g)},
                                     {1, gen_decay_op(g)},
                                     {live, gen_bad_free_op(g)},
                                     {live, gen_dm_set_op(g)}});
}

rc::Gen<Trace> gen_trace(rc::Gen<Config> configs, size_t max_ops) {
  return rc::gen::exec([configs, max_ops] {
    Runner r(*configs, quiet_options());
    const size_t n = *rc::gen::inRange<size_t>(0, max_ops + 1);
    for (size_t i = 0; i < n; i++) r.step(*gen_op(r));
    return r.trace();
  });
}

}  // namespace buddycheck::props

namespace pagealloc {
void showValue(const Config& c, std::ostream& os) { os << "\n" << buddycheck::print_config(c); }
}  // namespace pagealloc

namespace buddycheck {
void showValue(const Op& op, std::ostream& os) { os << print_op(op); }
}  // namespace buddycheck
