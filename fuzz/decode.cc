// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz bytes -> Config and ops (decode.h). Choices are weighted so rare allocator paths
// (tiny zones, small orders, fallbacks, reserves, private nodes, CMA) come up often.
#include "fuzz/decode.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <span>

#include "alloc/gfp.h"

namespace buddycheck::fuzz {

namespace {

template <typename T>
T pick(FuzzedDataProvider& fdp, std::span<const T> options) {
  return options[fdp.ConsumeIntegralInRange<size_t>(0, options.size() - 1)];
}
template <typename T>
T pick(FuzzedDataProvider& fdp, std::initializer_list<T> options) {
  return pick(fdp, std::span<const T>(options.begin(), options.size()));
}

// The per-op tables are static: an initializer_list's array is copied onto the
// (ASan-poisoned) stack at every call.
constexpr gfp_t kCompositeMasks[] = {GFP_KERNEL,
                                     GFP_KERNEL,
                                     GFP_ATOMIC,
                                     GFP_NOWAIT,
                                     GFP_USER,
                                     GFP_HIGHUSER_MOVABLE,
                                     GFP_HIGHUSER_MOVABLE,
                                     GFP_TRANSHUGE,
                                     GFP_TRANSHUGE_LIGHT,
                                     GFP_NOFS,
                                     GFP_NOIO,
                                     GFP_KERNEL_ACCOUNT,
                                     GFP_KERNEL | __GFP_RECLAIMABLE,
                                     GFP_DMA,
                                     GFP_DMA32,
                                     GFP_PRIVATE,
                                     GFP_KERNEL | __GFP_ZERO,
                                     GFP_ATOMIC | __GFP_NOWARN};
constexpr gfp_t kModifierBits[] = {
    __GFP_ZERO,     __GFP_NOWARN,   __GFP_HIGH,        __GFP_NORETRY,  __GFP_RETRY_MAYFAIL,
    __GFP_NOFAIL,   __GFP_MEMALLOC, __GFP_NOMEMALLOC,  __GFP_THISNODE, __GFP_COMP,
    __GFP_PRIVATE,  __GFP_MOVABLE,  __GFP_RECLAIMABLE, __GFP_DMA32,    __GFP_HIGHMEM,
    __GFP_HARDWALL, __GFP_WRITE,    __GFP_UNMAPPED};

bool one_in(FuzzedDataProvider& fdp, unsigned n) {
  return fdp.ConsumeIntegralInRange<unsigned>(0, n - 1) == 0;
}

// Small machines: O(pages) work (setup, the final full checks) stays cheap, and memory
// pressure - fallbacks, reserves, the slow path - comes after few ops. Version 2
// halved it (and the named shapes): +20% exec/s for 3 of 1,890 edges of the corpus.
constexpr uint64_t kPageBudget = 2048;

}  // namespace

Config decode_config(FuzzedDataProvider& fdp, uint8_t version) {
  const uint64_t scale = version == 1 ? 2 : 1;
  // Sometimes a named shape, scaled down: what tests and real machines look like.
  switch (fdp.ConsumeIntegralInRange<unsigned>(0, 15)) {
    case 0:
      return configs::pc_like(1024, 2048);
    case 1:
      return configs::numa(fdp.ConsumeIntegralInRange<int>(2, 4), 512 * scale, 6, 3);
    case 2:
      return configs::single_zone(1024 * scale, 5, 2);
    default:
      break;
  }
  Config c;
  c.max_page_order = pick<unsigned>(fdp, {3, 4, 5, 2, 6, 10, 1, 8});
  // pageblock_order small often, sometimes equal to max (no multi-block buddies).
  c.pageblock_order = 1 + fdp.ConsumeIntegralInRange<unsigned>(0, c.max_page_order - 1);
  c.mobility_grouping = !one_in(fdp, 8);
  const int nodes = fdp.ConsumeIntegralInRange<int>(1, 4);
  const Pfn block = Pfn{1} << c.max_page_order;
  Pfn cursor = one_in(fdp, 4) ? block * fdp.ConsumeIntegralInRange<unsigned>(1, 4) : 0;
  uint64_t budget = kPageBudget * scale;
  c.nodes.reserve(static_cast<size_t>(nodes));
  for (int n = 0; n < nodes; n++) {
    NodeConfig nc;
    nc.zones.reserve(MAX_NR_ZONES);
    nc.memory_private = n > 0 && one_in(fdp, 4);
    nc.generic_initiator = one_in(fdp, 8);
    unsigned types = fdp.ConsumeIntegralInRange<unsigned>(0, 15);
    if (n == 0) types |= 1u << ZONE_NORMAL;                        // some lowmem must exist
    if (types == 0 && !one_in(fdp, 3)) types = 1u << ZONE_NORMAL;  // memoryless nodes sometimes
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      if (!(types & (1u << t)) || budget < 4) continue;
      ZoneConfig z;
      z.type = static_cast<ZoneType>(t);
      if (one_in(fdp, 6))
        cursor += fdp.ConsumeIntegralInRange<unsigned>(1, 3 * static_cast<unsigned>(block));
      z.start_pfn = cursor;
      uint64_t pages = one_in(fdp, 4) ? fdp.ConsumeIntegralInRange<uint64_t>(4, kPageBudget * scale)
                                      : block * fdp.ConsumeIntegralInRange<uint64_t>(1, 8);
      pages = std::min(pages, budget);
      z.pages = pages;
      budget -= pages;
      if (pages >= 16 && one_in(fdp, 8)) {
        Pfn s = z.start_pfn + fdp.ConsumeIntegralInRange<uint64_t>(0, pages / 2);
        z.holes.push_back({s, s + fdp.ConsumeIntegralInRange<uint64_t>(1, pages / 4)});
      }
      if (pages >= 16 && one_in(fdp, 8)) {
        Pfn s = z.start_pfn + pages / 2 + fdp.ConsumeIntegralInRange<uint64_t>(1, pages / 4);
        z.reserved.push_back({s, s + 1 + fdp.ConsumeIntegralInRange<uint64_t>(0, 7)});
      }
      cursor += pages;
      nc.zones.push_back(z);
    }
    c.nodes.push_back(std::move(nc));
  }
  // CMA: one or two pageblocks inside a clean zone of a non-private node.
  if (one_in(fdp, 3)) {
    const Pfn pb = c.pageblock_nr_pages();
    size_t n = fdp.ConsumeIntegralInRange<size_t>(0, c.nodes.size() - 1);
    if (!c.nodes[n].memory_private && !c.nodes[n].zones.empty()) {
      const ZoneConfig& z =
          c.nodes[n].zones[fdp.ConsumeIntegralInRange<size_t>(0, c.nodes[n].zones.size() - 1)];
      Pfn first = (z.start_pfn + pb - 1) & ~(pb - 1);
      Pfn blocks = z.start_pfn + z.pages >= first ? (z.start_pfn + z.pages - first) / pb : 0;
      if (blocks >= 1 && z.holes.empty() && z.reserved.empty()) {
        Pfn s = first + pb * fdp.ConsumeIntegralInRange<Pfn>(0, blocks - 1);
        Pfn e = std::min<Pfn>(first + blocks * pb, s + pb * fdp.ConsumeIntegralInRange<Pfn>(1, 2));
        c.cma.push_back({s, e});
      }
    }
  }
  int cpus = fdp.ConsumeIntegralInRange<int>(1, 4);
  c.cpu_node.reserve(static_cast<size_t>(cpus));
  for (int i = 0; i < cpus; i++)
    c.cpu_node.push_back(fdp.ConsumeIntegralInRange<int>(0, nodes - 1));
  if (nodes > 1 && !one_in(fdp, 2)) {
    c.distance.assign(nodes, std::vector<unsigned>(nodes, 10));
    for (int a = 0; a < nodes; a++)
      for (int b = a + 1; b < nodes; b++)
        c.distance[a][b] = c.distance[b][a] = pick<unsigned>(fdp, {20, 20, 12, 30, 21, 40});
  }
  if (one_in(fdp, 4)) c.min_free_kbytes = fdp.ConsumeIntegralInRange<unsigned>(0, 4096);
  if (one_in(fdp, 6)) c.watermark_scale_factor = fdp.ConsumeIntegralInRange<unsigned>(1, 3000);
  if (one_in(fdp, 6)) c.watermark_boost_factor = pick<unsigned>(fdp, {0, 15000, 50000});
  if (one_in(fdp, 8))
    for (unsigned& r : c.lowmem_reserve_ratio) r = pick<unsigned>(fdp, {0, 1, 32, 256});
  if (one_in(fdp, 8)) c.percpu_pagelist_high_fraction = pick<unsigned>(fdp, {8, 16, 100});
  // Painting needs 8 bytes per page; small backings keep per-input memory churn low.
  c.page_bytes = pick<unsigned>(fdp, {16, 8, 16, 64, 0});
  c.can_set_direct_map = !one_in(fdp, 8);
  c.direct_map_level = pick<DirectMapLevel>(
      fdp, {DirectMapLevel::PMD_2M, DirectMapLevel::PUD_1G, DirectMapLevel::PAGE_4K});
  if (!validate_config(c).empty()) return configs::single_zone(kPageBudget * scale, 4, 2);
  return c;
}

gfp_t decode_gfp(FuzzedDataProvider& fdp) {
  switch (fdp.ConsumeIntegralInRange<unsigned>(0, 9)) {
    case 0:
      return fdp.ConsumeIntegral<gfp_t>() & __GFP_BITS_MASK;  // anything
    case 1:
      return fdp.ConsumeIntegral<gfp_t>();  // even unknown bits
    default:
      break;
  }
  gfp_t g = pick<gfp_t>(fdp, kCompositeMasks);
  // A few modifier bits on top.
  unsigned extra = fdp.ConsumeIntegralInRange<unsigned>(0, 2);
  for (unsigned i = 0; i < extra; i++) g |= pick<gfp_t>(fdp, kModifierBits);
  return g;
}

Op decode_op(FuzzedDataProvider& fdp, const Runner& runner) {
  const Machine& m = runner.machine();
  const auto& live = runner.live_ids();
  Op op;
  unsigned k = fdp.ConsumeIntegralInRange<unsigned>(0, 99);
  auto some_cpu = [&]() {
    return one_in(fdp, 32) ? m.nr_cpus() : fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
  };
  // Nodemasks the way kernel code builds them: raw bits, node_states[] unions and
  // complements, and nodes_remap() of a state mask - how a private node sneaks in.
  auto some_mask = [&]() {
    Nodemask mask{fdp.ConsumeIntegral<uint8_t>()};
    switch (fdp.ConsumeIntegralInRange<unsigned>(0, 5)) {
      case 0:
        mask = m.node_states(N_MEMORY) |
               (one_in(fdp, 2) ? m.node_states(N_MEMORY_PRIVATE) : Nodemask{});
        break;
      case 1:
        mask = ~m.node_states(N_MEMORY) & Nodemask::first_n(static_cast<int>(m.nr_nodes()));
        break;
      case 2:
        mask = nodes_remap(m.node_states(N_CPU), m.node_states(N_MEMORY),
                           Nodemask::first_n(static_cast<int>(m.nr_nodes())));
        break;
      case 3:
        mask = m.node_states(N_CPU) | m.node_states(N_GENERIC_INITIATOR);
        break;
      default:
        break;
    }
    return mask;
  };
  if (k < 45 || live.empty()) {
    op.kind = OpKind::Alloc;
    op.order = one_in(fdp, 3) ? fdp.ConsumeIntegralInRange<unsigned>(
                                    0, m.max_order() + (one_in(fdp, 16) ? 1 : 0))
                              : 0;
    op.gfp = decode_gfp(fdp);
    if (one_in(fdp, 3))
      op.nid = fdp.ConsumeIntegralInRange<int>(
          -1, static_cast<int>(m.nr_nodes()) - (one_in(fdp, 32) ? 0 : 1));
    if (op.nid < -1) op.nid = -1;
    if (one_in(fdp, 5)) op.nodemask = some_mask();
    if (one_in(fdp, 6))
      op.ctx = AllocFlags{fdp.ConsumeIntegral<uint16_t>() &
                          (one_in(fdp, 8) ? 0xffffu : (1u << NR_CTX_FIELDS) - 1)};
    else if (one_in(fdp, 8))
      op.ctx =
          AllocFlags{uint64_t{1} << pick<unsigned>(fdp, {CTX_cma, CTX_unmapped, CTX_managed_node})};
    op.cpu = some_cpu();
    if (one_in(fdp, 8)) op.task = fdp.ConsumeIntegral<uint8_t>() & ((1u << NR_TASK_BITS) - 1);
    if (one_in(fdp, 16)) op.cpuset = some_mask();
    if (!op.ctx) op.frozen = one_in(fdp, 8);
    return op;
  }
  uint32_t id = live[fdp.ConsumeIntegral<uint16_t>() % live.size()];
  if (k < 80) {
    op.kind = OpKind::Free;
    op.id = id;
    op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
  } else if (k < 83) {
    op.kind = OpKind::AllocBulk;
    op.count = fdp.ConsumeIntegralInRange<uint32_t>(0, 40);
    op.gfp = decode_gfp(fdp);
    op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
    if (one_in(fdp, 4))
      op.nid = fdp.ConsumeIntegralInRange<int>(0, static_cast<int>(m.nr_nodes()) - 1);
  } else if (k < 87) {
    op.kind = OpKind::Drain;
    op.all = one_in(fdp, 2);
    if (!op.all) op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
    if (one_in(fdp, 3))
      op.zone = fdp.ConsumeIntegralInRange<int>(0, static_cast<int>(m.nr_zones()) - 1);
  } else if (k < 89) {
    op.kind = OpKind::Sysctl;
    op.key =
        pick<SysctlKey>(fdp, {SysctlKey::min_free_kbytes, SysctlKey::watermark_scale_factor,
                              SysctlKey::watermark_boost_factor, SysctlKey::lowmem_reserve_ratio,
                              SysctlKey::percpu_pagelist_high_fraction});
    switch (op.key) {
      case SysctlKey::min_free_kbytes:
        op.value = fdp.ConsumeIntegralInRange<uint64_t>(0, 8192);
        break;
      case SysctlKey::watermark_scale_factor:
        op.value = fdp.ConsumeIntegralInRange<uint64_t>(1, 3000);
        break;
      case SysctlKey::watermark_boost_factor:
        op.value = pick<uint64_t>(fdp, {0, 15000, 100000});
        break;
      case SysctlKey::lowmem_reserve_ratio:
        for (unsigned& r : op.ratio) r = pick<unsigned>(fdp, {0, 1, 32, 256});
        break;
      case SysctlKey::percpu_pagelist_high_fraction:
        op.value = pick<uint64_t>(fdp, {0, 8, 64});
        break;
    }
  } else if (k < 91) {
    op.kind = OpKind::Hooks;
    op.hooks.reclaim = pick<unsigned>(fdp, {0, 1, 4});
    op.hooks.compact = pick<CompactResult>(
        fdp, {CompactResult::SKIPPED, CompactResult::COMPLETE, CompactResult::SUCCESS});
    op.hooks.oom_kill = one_in(fdp, 2);
  } else if (k < 92) {
    op.kind = OpKind::Kswapd;
    op.node = fdp.ConsumeIntegralInRange<int>(0, static_cast<int>(m.nr_nodes()) - 1);
  } else if (k < 93) {
    op.kind = OpKind::DecayPcp;
    op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
  } else if (k < 97) {
    op.kind = OpKind::BadFree;
    op.bad =
        pick<BadFreeKind>(fdp, {BadFreeKind::double_free, BadFreeKind::wrong_order,
                                BadFreeKind::tail, BadFreeKind::foreign, BadFreeKind::refcount});
    op.id = id;
    if (op.bad == BadFreeKind::double_free) {
      const auto& freed = runner.freed_ids();
      if (freed.empty()) op.bad = BadFreeKind::wrong_order;
      else op.id = freed[fdp.ConsumeIntegral<uint16_t>() % freed.size()];
    }
    if (op.bad == BadFreeKind::foreign)
      op.pfn = m.start_pfn() + fdp.ConsumeIntegralInRange<Pfn>(0, m.end_pfn() - m.start_pfn() + 16);
    op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, m.nr_cpus() - 1);
  } else {
    op.kind = OpKind::DmSet;
    op.id = id;
    op.present = one_in(fdp, 2);
  }
  return op;
}

OpsRun run_ops_input(const uint8_t* data, size_t size, const RunOptions& options) {
  OpsRun run;
  if (size < 2 || data[0] < 1 || data[0] > kOpsVersion) return run;
  FuzzedDataProvider fdp(data + 1, size - 1);
  Config c = decode_config(fdp, data[0]);
  run.runner = std::make_unique<Runner>(std::move(c), options);
  run.decoded = true;
  for (size_t i = 0; i < kMaxOps && fdp.remaining_bytes() > 0; i++) {
    Op op = decode_op(fdp, *run.runner);
    StepResult s = run.runner->step(op);
    // Decoded ops name real ids, CPUs and nodes, so the runner never rejects one; if
    // it does, the decoder is wrong and the trace would not replay.
    if (s.error) {
      run.error = *s.error;
      return run;
    }
    if (s.finding) {
      run.finding = s.finding;
      return run;
    }
  }
  run.finding = run.runner->check_full();
  return run;
}

std::optional<Trace> decode_ops_trace(const uint8_t* data, size_t size) {
  RunOptions o;
  o.check_every = 0;
  o.full_check_at_end = false;
  o.shadow = o.reference = o.liveness = o.paint = false;
  OpsRun run = run_ops_input(data, size, o);
  if (!run.decoded) return std::nullopt;
  return run.runner->trace();
}

}  // namespace buddycheck::fuzz
