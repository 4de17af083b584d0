// SPDX-License-Identifier: GPL-2.0-or-later
// A small stand-in for the runner, used by shadow_test and reference_test: random
// valid requests, frees and direct-map flips through the public Machine API, with the
// shadow, the reference and the liveness judgement asked after every op exactly as
// the runner asks them. A clean allocator must produce no finding.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "alloc/machine.h"
#include "oracles/reference.h"
#include "oracles/shadow.h"

namespace buddycheck::harness {

using namespace pagealloc;

// splitmix64: deterministic across platforms, unlike <random>'s distributions.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(unsigned percent) { return below(100) < percent; }
};

struct Counts {
  unsigned ok = 0, failed = 0, loops = 0, errors = 0, frees = 0, bulk_pages = 0;
};

class Harness {
 public:
  explicit Harness(const Config& c) : m_(std::make_unique<Machine>(c)), shadow_(*m_), ref_(c) {
    Hooks& h = m_->hooks();
    h.direct_reclaim = [this](Machine&, const ReclaimContext&) -> uint64_t {
      uint64_t pages = 0;
      for (unsigned n = 0; n < reclaim_; n++) pages += free_oldest();
      return pages;
    };
    h.zone_reclaimable_pages = [this](const Machine&, unsigned zone) -> uint64_t {
      uint64_t pages = 0;
      if (reclaim_)
        for (uint32_t id : live_)
          if (shadow_.record(id).zone == zone && !shadow_.record(id).dm_changed)
            pages += uint64_t{1} << shadow_.record(id).order;
      return pages;
    };
    h.direct_compact = [this](Machine&, const ReclaimContext&) { return compact_; };
    h.out_of_memory = [this](Machine&, const ReclaimContext& rc) -> bool {
      if (!oom_kill_) return !(rc.gfp & __GFP_FS);
      return free_oldest() > 0;
    };
  }

  Machine& m() { return *m_; }
  Shadow& shadow() { return shadow_; }
  Reference& ref() { return ref_; }
  const std::optional<Finding>& finding() const { return finding_; }
  const Counts& counts() const { return counts_; }
  const std::vector<uint32_t>& live() const { return live_; }
  std::string last_op() const { return last_op_; }

  void set_hooks(unsigned reclaim, CompactResult compact, bool oom_kill) {
    reclaim_ = reclaim;
    compact_ = compact;
    oom_kill_ = oom_kill;
  }

  // One allocation as the runner performs it.
  void alloc(const AllocRequest& req, const std::optional<AllocFlags>& ctx, bool frozen) {
    last_op_ = fmt::format("alloc order={} gfp={} nid={} cpu={} ctx={} frozen={}{}", req.order,
                           gfp_to_string(req.gfp), req.nid, req.cpu,
                           ctx ? ctx_flags_to_string(*ctx) : "-", frozen, task_str(req));
    const AllocFlags* c = ctx ? &*ctx : nullptr;
    PreState pre = shadow_.snapshot(*m_);
    hook_freed_ = 0;
    AllocResult r = c        ? m_->alloc_pages_context(req, c)
                    : frozen ? m_->alloc_frozen_pages(req)
                             : m_->alloc_pages(req);
    note(shadow_.judge_validity(*m_, req, c, r));
    switch (r.status) {
      case AllocStatus::Ok: {
        const uint32_t id = next_id_++;
        pre.freed_during_op = hook_freed_;
        note(ref_.on_alloc(id, r.pfn, r.order));
        note(shadow_.on_alloc(*m_, id, req, c, c || frozen, r, pre));
        live_.push_back(id);
        counts_.ok++;
        break;
      }
      case AllocStatus::Failed:
        note(ref_.judge_failure(*m_, req, c));
        counts_.failed++;
        break;
      case AllocStatus::Loops:
        counts_.loops++;
        break;
      case AllocStatus::Error:
        counts_.errors++;
        break;
    }
    after_op();
  }

  // alloc_pages_bulk: every page is an order-0 allocation served from a pcp list.
  void bulk(AllocRequest req, int count) {
    last_op_ =
        fmt::format("alloc_bulk count={} gfp={}{}", count, gfp_to_string(req.gfp), task_str(req));
    req.order = 0;
    PreState pre = shadow_.snapshot(*m_);
    hook_freed_ = 0;
    BulkResult b = m_->alloc_pages_bulk(req, count);
    const AllocRequest page_req = bulk_page_request(req);
    pre.freed_during_op = hook_freed_;
    if (b.status == AllocStatus::Error) {
      AllocResult r;
      r.status = AllocStatus::Error;
      note(shadow_.judge_validity(*m_, page_req, nullptr, r));
    }
    for (Pfn pfn : b.pfns) {
      AllocResult r;
      r.status = AllocStatus::Ok;
      r.pfn = pfn;
      r.zone = static_cast<uint16_t>(std::max(0, m_->page_zone_id(pfn)));
      r.from_pcp = true;
      const uint32_t id = next_id_++;
      note(ref_.on_alloc(id, pfn, 0));
      note(shadow_.on_alloc(*m_, id, page_req, nullptr, false, r, pre));
      live_.push_back(id);
      counts_.bulk_pages++;
    }
    if (b.pfns.empty() && count > 0 && b.status == AllocStatus::Failed)
      note(ref_.judge_failure(*m_, req, nullptr));
    after_op();
  }

  void free(size_t live_index, unsigned cpu) {
    const uint32_t id = live_[live_index];
    const AllocRecord& rec = shadow_.record(id);
    last_op_ = fmt::format("free id={} pfn={:#x} order={}", id, rec.pfn, rec.order);
    if (rec.dm_changed) {  // the owner restores the direct map before freeing (UNMAP)
      m_->owner_set_direct_map(rec.pfn, rec.order, !rec.unmapped);
      shadow_.on_dm_set(id, !rec.unmapped);
    }
    do_free(id, cpu);
    after_op();
  }

  // The owner flips an allocation's direct-map presence.
  void dm_toggle(size_t live_index) {
    const uint32_t id = live_[live_index];
    const AllocRecord& rec = shadow_.record(id);
    const bool present = rec.dm_changed ? !rec.unmapped : rec.unmapped;
    last_op_ = fmt::format("dm_set id={} present={}", id, present);
    if (m_->owner_set_direct_map(rec.pfn, rec.order, present)) shadow_.on_dm_set(id, present);
    after_op();
  }

  static std::string task_str(const AllocRequest& req) {
    std::string s;
    const TaskContext& t = req.task;
    if (req.nodemask) s += " nodemask=" + nodemask_to_string(*req.nodemask);
    if (t.cpuset_mems) s += " cpuset=" + nodemask_to_string(*t.cpuset_mems);
    if (t.in_interrupt) s += " in_interrupt";
    if (t.in_serving_softirq) s += " in_softirq";
    if (t.pf_memalloc) s += " pf_memalloc";
    if (t.pf_memalloc_noio) s += " noio";
    if (t.pf_memalloc_nofs) s += " nofs";
    if (t.pf_memalloc_pin) s += " pin";
    if (t.oom_victim) s += " oom_victim";
    if (t.rt_task) s += " rt_task";
    return s;
  }

  void after_op() {
    note(ref_.compare_incremental(*m_));
    m_->reset_touched();
    if (++ops_ % 97 == 0) full_check();
  }
  void full_check() { note(ref_.compare_full(*m_)); }

 private:
  void note(std::optional<Finding> f) {
    if (f && !finding_) {
      finding_ = std::move(f);
      finding_->summary += " [op #" + std::to_string(ops_) + ": " + last_op_ + "]";
    }
  }

  uint64_t do_free(uint32_t id, unsigned cpu) {
    const AllocRecord& rec = shadow_.record(id);
    note(shadow_.verify_paint(*m_, id));
    const Pfn pfn = rec.pfn;
    const unsigned order = rec.order;
    FreeResult fr =
        rec.frozen ? m_->free_frozen_pages(pfn, order, cpu) : m_->free_pages(pfn, order, cpu);
    if (!fr.ok()) {
      Finding f;
      f.id = "HARNESS-FREE-REFUSED";
      f.summary = fr.report;
      note(f);
      return 0;
    }
    ref_.on_free(id, pfn, order);
    shadow_.on_free(id);
    for (size_t i = 0; i < live_.size(); i++)
      if (live_[i] == id) {
        live_[i] = live_.back();
        live_.pop_back();
        break;
      }
    counts_.frees++;
    hook_freed_ += int64_t{1} << order;
    return uint64_t{1} << order;
  }

  // Reclaim and OOM kills take the oldest allocation whose direct map is as handed out.
  uint64_t free_oldest() {
    uint32_t victim = UINT32_MAX;
    for (uint32_t id : live_)
      if (!shadow_.record(id).dm_changed && id < victim) victim = id;
    return victim == UINT32_MAX ? 0 : do_free(victim, 0);
  }

  std::unique_ptr<Machine> m_;
  Shadow shadow_;
  Reference ref_;
  std::vector<uint32_t> live_;
  uint32_t next_id_ = 0;
  int64_t hook_freed_ = 0;
  uint64_t ops_ = 0;
  unsigned reclaim_ = 0;
  CompactResult compact_ = CompactResult::SKIPPED;
  bool oom_kill_ = false;
  std::optional<Finding> finding_;
  Counts counts_;
  std::string last_op_;
};

// A random request of the kinds real callers make, valid for the machine.
inline AllocRequest random_request(Rng& rng, const Machine& m, std::optional<AllocFlags>* ctx,
                                   bool* frozen) {
  static constexpr gfp_t kBase[] = {GFP_KERNEL,
                                    GFP_KERNEL,
                                    GFP_KERNEL,
                                    GFP_ATOMIC,
                                    GFP_NOWAIT,
                                    GFP_NOIO,
                                    GFP_NOFS,
                                    GFP_USER,
                                    GFP_HIGHUSER_MOVABLE,
                                    GFP_HIGHUSER_MOVABLE,
                                    GFP_KERNEL | __GFP_RECLAIMABLE,
                                    GFP_KERNEL | __GFP_DMA32,
                                    GFP_KERNEL | __GFP_DMA,
                                    GFP_ATOMIC | __GFP_DMA32,
                                    GFP_TRANSHUGE,
                                    GFP_TRANSHUGE_LIGHT,
                                    __GFP_HIGH | __GFP_RECLAIM,
                                    __GFP_MOVABLE | GFP_NOWAIT};
  AllocRequest req;
  gfp_t gfp = kBase[rng.below(std::size(kBase))];
  struct Mod {
    gfp_t bit;
    unsigned percent;
  };
  static constexpr Mod kMods[] = {
      {__GFP_ZERO, 15},         {__GFP_COMP, 10},    {__GFP_THISNODE, 8}, {__GFP_NORETRY, 15},
      {__GFP_RETRY_MAYFAIL, 5}, {__GFP_NOWARN, 20},  {__GFP_MEMALLOC, 3}, {__GFP_NOMEMALLOC, 5},
      {__GFP_HIGH, 5},          {__GFP_PRIVATE, 12}, {__GFP_NOFAIL, 1},   {__GFP_HARDWALL, 5}};
  for (const Mod& mod : kMods)
    if (rng.chance(mod.percent)) gfp |= mod.bit;
  req.gfp = gfp;
  const unsigned max = m.max_order();
  req.order = rng.chance(75) ? static_cast<unsigned>(rng.below(std::min(4u, max + 1)))
                             : static_cast<unsigned>(rng.below(max + 1));
  req.cpu = static_cast<unsigned>(rng.below(m.nr_cpus()));
  // THISNODE needs a node with memory.
  const int nodes = static_cast<int>(m.nr_nodes());
  if (rng.chance(50)) {
    req.nid = static_cast<int>(rng.below(nodes));
    if ((gfp & __GFP_THISNODE) && !m.node(req.nid).has(N_MEMORY) &&
        !m.node(req.nid).has(N_MEMORY_PRIVATE))
      req.nid = NUMA_NO_NODE;
  }
  if (nodes > 1 && rng.chance(20)) {
    Nodemask nm{rng.next() & Nodemask::first_n(nodes).bits};
    if (nm.empty()) nm.set(0);
    req.nodemask = nm;
  }
  if (nodes > 1 && rng.chance(15)) {
    Nodemask cs{rng.next() & Nodemask::first_n(nodes).bits};
    if (cs.empty()) cs.set(nodes - 1);
    req.task.cpuset_mems = cs;
  }
  if (rng.chance(10)) {
    switch (rng.below(8)) {
      case 0:
        req.task.in_interrupt = true;
        break;
      case 1:
        req.task.in_serving_softirq = true;
        break;
      case 2:
        req.task.pf_memalloc = true;
        break;
      case 3:
        req.task.pf_memalloc_noio = true;
        break;
      case 4:
        req.task.pf_memalloc_nofs = true;
        break;
      case 5:
        req.task.pf_memalloc_pin = true;
        break;
      case 6:
        req.task.oom_victim = true;
        break;
      default:
        req.task.rt_task = true;
        break;
    }
  }
  *frozen = rng.chance(15);
  ctx->reset();
  if (rng.chance(12)) {
    AllocFlags f;
    if (rng.chance(50)) f.set(CTX_unmapped);
    if (rng.chance(30)) f.set(CTX_managed_node);
    if (rng.chance(30)) f.set(CTX_cma);
    // Unmapped allocations must be unmovable, blocking and not zeroed (UNMAP v4).
    if (f.has(CTX_unmapped)) {
      req.gfp = (req.gfp & ~(__GFP_MOVABLE | __GFP_RECLAIMABLE | __GFP_ZERO | __GFP_HIGHMEM)) |
                __GFP_DIRECT_RECLAIM;
    }
    *ctx = f;
  }
  return req;
}

// Drives `ops` random operations; stops at the first finding.
inline void drive(Harness& h, uint64_t seed, unsigned ops, unsigned alloc_percent = 60) {
  Rng rng{seed};
  for (unsigned i = 0; i < ops && !h.finding(); i++) {
    const uint64_t dice = rng.below(100);
    if (dice < alloc_percent) {
      std::optional<AllocFlags> ctx;
      bool frozen = false;
      AllocRequest req = random_request(rng, h.m(), &ctx, &frozen);
      h.alloc(req, ctx, frozen);
    } else if (dice < alloc_percent + 4) {
      std::optional<AllocFlags> ctx;
      bool frozen = false;
      AllocRequest req = random_request(rng, h.m(), &ctx, &frozen);
      h.bulk(req, static_cast<int>(1 + rng.below(40)));
    } else if (dice < 92 && !h.live().empty()) {
      h.free(rng.below(h.live().size()), static_cast<unsigned>(rng.below(h.m().nr_cpus())));
    } else if (dice < 94 && !h.live().empty()) {
      h.dm_toggle(rng.below(h.live().size()));
    } else if (dice < 96) {
      h.m().drain_all_pages();
      h.after_op();
    } else if (dice < 97) {
      h.m().kswapd_balance(static_cast<int>(rng.below(h.m().nr_nodes())));
      h.after_op();
    } else if (dice < 98) {
      h.m().decay_pcp_high(static_cast<unsigned>(rng.below(h.m().nr_cpus())));
      h.after_op();
    } else if (dice < 99) {
      static constexpr CompactResult kCompact[] = {CompactResult::SKIPPED, CompactResult::DEFERRED,
                                                   CompactResult::COMPLETE, CompactResult::SUCCESS};
      h.set_hooks(static_cast<unsigned>(rng.below(3)), kCompact[rng.below(4)], rng.chance(50));
    } else {
      // The vm.* sysctls move watermarks, reserves and pcp sizes between ops.
      Machine& m = h.m();
      switch (rng.below(5)) {
        case 0:
          m.set_min_free_kbytes(static_cast<unsigned>(rng.below(2048)));
          break;
        case 1:
          m.set_watermark_scale_factor(static_cast<unsigned>(1 + rng.below(3000)));
          break;
        case 2:
          m.set_watermark_boost_factor(static_cast<unsigned>(rng.below(30000)));
          break;
        case 3: {
          std::array<unsigned, MAX_NR_ZONES> r = {static_cast<unsigned>(rng.below(300)),
                                                  static_cast<unsigned>(rng.below(300)),
                                                  static_cast<unsigned>(rng.below(64)), 0};
          m.set_lowmem_reserve_ratio(r);
          break;
        }
        default:
          m.set_percpu_pagelist_high_fraction(
              rng.chance(50) ? 0 : static_cast<unsigned>(8 + rng.below(100)));
      }
      h.after_op();
    }
  }
  if (!h.finding()) h.full_check();
}

// Named machine shapes for the clean runs (small constants make rare paths common).
inline Config private_node_config() {
  Config c = configs::numa(3, 2048, 6, 4);
  c.nodes[2].memory_private = true;
  return c;
}
inline Config cma_config() {
  Config c = configs::numa(2, 4096, 6, 4);
  c.cma = {{1024, 2048}, {4096 + 512, 4096 + 768}};
  return c;
}
// DMA/DMA32/Normal/Movable with a hole, reserved pages, zone boundaries inside
// pageblocks, two nodes of two CPUs and a memoryless node with a CPU.
inline Config odd_config() {
  Config c;
  c.max_page_order = 6;
  c.pageblock_order = 4;
  NodeConfig n0;
  n0.zones = {
      ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 1000, .reserved = {{0, 3}}},
      ZoneConfig{.type = ZONE_DMA32, .start_pfn = 1000, .pages = 1500, .holes = {{1200, 1300}}},
      ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2500, .pages = 1600},
      ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 4100, .pages = 1000}};
  NodeConfig n1;
  n1.zones = {
      ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 6144, .pages = 1500, .reserved = {{7000, 7010}}},
      ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 7644, .pages = 700}};
  c.nodes = {n0, n1, NodeConfig{}};
  c.cpu_node = {0, 0, 1, 1, 2};
  return c;
}
inline Config no_grouping_config() {
  Config c = configs::numa(2, 2048, 6, 4);
  c.mobility_grouping = false;
  return c;
}

}  // namespace buddycheck::harness
