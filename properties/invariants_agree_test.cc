// SPDX-License-Identifier: GPL-2.0-or-later
// The "both must agree" property of the invariant checks (oracles/invariants.h): a
// clean machine driven through many random operations -- allocations of every kind,
// frees, drains, pcp decay, owner direct-map flips, kswapd, sysctl writes, in phases
// that fill memory into the slow path and drain it again -- passes the full and the
// incremental check after every operation, both returning nullopt. The configs cover
// a PC-like node, two NUMA nodes, a small machine with CMA (MAX_ORDER 4, 4-page
// pageblocks), a private node, mobility grouping off, and NUMA with CMA areas.
// Corruptions that each invariant must catch are in invariants_test.cc.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "oracles/invariants.h"

namespace {

using namespace pagealloc;
using buddycheck::check_invariants;
using buddycheck::check_invariants_incremental;
using buddycheck::Finding;

// The small machine of invariants_test.cc: 1024 pages, MAX_ORDER 4, 4-page
// pageblocks, CMA at [512, 576), 2 CPUs.
Config small_cfg() {
  Config c = configs::single_zone(1024, /*max_order=*/4, /*pageblock_order=*/2);
  c.cpu_node = {0, 0};
  c.cma = {{512, 576}};
  return c;
}

std::string show(const std::optional<Finding>& f) {
  if (!f) return "no finding";
  return f->id + ": " + f->summary + " (expected " + f->expected + ", actual " + f->actual + ")";
}

// Drives a machine with a stream of operations through the public API: allocations of
// many kinds (orders skewed small), frees, drains, pcp decay, direct-map flips by
// owners (restored before the free), kswapd balancing. `next()` supplies the choices.
class Driver {
 public:
  Driver(Machine& m, std::function<uint64_t()> next) : m_(m), next_(std::move(next)) {
    const Config& c = m.config();
    for (const NodeConfig& n : c.nodes)
      for (const ZoneConfig& z : n.zones) total_ += z.pages;
    for (const NodeConfig& n : c.nodes) has_private_ |= n.memory_private;
    for (const NodeConfig& n : c.nodes)
      for (const ZoneConfig& z : n.zones) has_dma_ |= z.type == ZONE_DMA && z.pages;
  }

  void step() {
    // Alternate filling (into the watermarks, the slow path, highatomic reserves and
    // CMA balancing) with draining (merging, pcp high-water frees).
    const bool filling = (steps_++ / 400) % 2 == 0;
    const uint64_t op = next_() % 100;
    if (op < (filling ? 75u : 35u)) return do_alloc();
    if (op < 88 && !live_.empty()) return do_free();
    if (op < 91) return m_.drain_all_pages(-1, next_() % 2);
    if (op < 93) return m_.drain_local_pages(static_cast<unsigned>(next_() % m_.nr_cpus()));
    if (op < 95) return m_.decay_pcp_high(static_cast<unsigned>(next_() % m_.nr_cpus()));
    if (op < 98 && !live_.empty()) return do_flip();
    if (op < 99) return m_.kswapd_balance(static_cast<int>(next_() % m_.nr_nodes()));
    do_sysctl();
  }

 private:
  struct Live {
    Pfn pfn;
    unsigned order;
    bool frozen;
    bool flipped;
  };

  void do_alloc() {
    static const gfp_t kGfps[] = {
        GFP_KERNEL,
        GFP_HIGHUSER_MOVABLE,
        GFP_ATOMIC,
        GFP_NOWAIT,
        GFP_KERNEL | __GFP_COMP,
        GFP_KERNEL | __GFP_UNMAPPED,
        GFP_KERNEL | __GFP_RECLAIMABLE,
        GFP_TRANSHUGE_LIGHT,
        GFP_ATOMIC | __GFP_COMP,
        GFP_NOWAIT | __GFP_MOVABLE,
        GFP_KERNEL | __GFP_DMA,
        GFP_KERNEL | __GFP_PRIVATE,
    };
    AllocRequest req;
    req.gfp = kGfps[next_() % std::size(kGfps)];
    if ((req.gfp & __GFP_DMA) && !has_dma_) req.gfp &= ~__GFP_DMA;
    if ((req.gfp & __GFP_PRIVATE) && !has_private_) req.gfp &= ~__GFP_PRIVATE;
    // Mostly small orders, but uniformly any order half of the time so memory fills.
    unsigned order = 0;
    if (next_() % 2) order = static_cast<unsigned>(next_() % (m_.max_order() + 1));
    else
      while (order < m_.max_order() && next_() % 3 == 0) order++;
    req.order = order;
    req.cpu = static_cast<unsigned>(next_() % m_.nr_cpus());
    if (next_() % 4 == 0) req.nid = static_cast<int>(next_() % m_.nr_nodes());
    const bool frozen = next_() % 8 == 0;
    AllocResult r = frozen ? m_.alloc_frozen_pages(req) : m_.alloc_pages(req);
    if (!r.ok()) return;
    live_.push_back({r.pfn, r.order, frozen, false});
    live_pages_ += uint64_t{1} << r.order;
  }

  void do_free() {
    const size_t i = next_() % live_.size();
    Live l = live_[i];
    if (l.flipped) restore(l);
    const unsigned cpu = static_cast<unsigned>(next_() % m_.nr_cpus());
    FreeResult f =
        l.frozen ? m_.free_frozen_pages(l.pfn, l.order, cpu) : m_.free_pages(l.pfn, l.order, cpu);
    EXPECT_TRUE(f.ok()) << f.report;
    live_pages_ -= uint64_t{1} << l.order;
    live_[i] = live_.back();
    live_.pop_back();
  }

  void do_flip() {
    Live& l = live_[next_() % live_.size()];
    if (l.flipped) {
      restore(l);
      return;
    }
    const bool as_allocated = !(m_.page(l.pfn).flags & PG_unmapped);
    EXPECT_TRUE(m_.owner_set_direct_map(l.pfn, l.order, !as_allocated));
    l.flipped = true;
  }

  // Sysctl writes the kernel accepts (the setters refuse what its handlers refuse).
  void do_sysctl() {
    switch (next_() % 5) {
      case 0:
        m_.set_min_free_kbytes(static_cast<unsigned>(128 + next_() % 4096));
        break;
      case 1:
        m_.set_watermark_scale_factor(static_cast<unsigned>(1 + next_() % 1000));
        break;
      case 2:
        m_.set_watermark_boost_factor(static_cast<unsigned>(next_() % 30000));
        break;
      case 3:
        m_.set_percpu_pagelist_high_fraction(next_() % 2 ? 0u
                                                         : static_cast<unsigned>(8 + next_() % 64));
        break;
      default: {
        std::array<unsigned, MAX_NR_ZONES> r = {static_cast<unsigned>(1 + next_() % 512),
                                                static_cast<unsigned>(1 + next_() % 512),
                                                static_cast<unsigned>(next_() % 64), 0};
        m_.set_lowmem_reserve_ratio(r);
      }
    }
  }

  void restore(Live& l) {
    const bool as_allocated = !(m_.page(l.pfn).flags & PG_unmapped);
    EXPECT_TRUE(m_.owner_set_direct_map(l.pfn, l.order, as_allocated));
    l.flipped = false;
  }

  Machine& m_;
  std::function<uint64_t()> next_;
  std::vector<Live> live_;
  uint64_t live_pages_ = 0, total_ = 0, steps_ = 0;
  bool has_private_ = false, has_dma_ = false;
};

struct NamedConfig {
  const char* name;
  Config config;
};

std::vector<NamedConfig> clean_configs() {
  std::vector<NamedConfig> out;
  out.push_back({"pc_like", configs::pc_like(4096, 8192)});
  out.push_back({"numa", configs::numa(2, 8192)});
  out.push_back({"small_cma", small_cfg()});
  Config priv = configs::numa(2, 4096, 8, 4);
  priv.nodes[1].memory_private = true;
  out.push_back({"private_node", priv});
  Config nogroup = configs::single_zone(4096, 6, 3);
  nogroup.mobility_grouping = false;
  nogroup.cpu_node = {0, 0, 0};
  out.push_back({"no_mobility_grouping", nogroup});
  Config multi = configs::numa(2, 2048, 5, 3);
  multi.cma = {{512, 768}, {2048 + 1024, 2048 + 1152}};
  multi.cpu_node = {0, 1, 1};
  out.push_back({"numa_cma", multi});
  return out;
}

// Runs `steps` operations, checking after each that both checks pass. Returns how many
// incremental checks ran on a non-overflowed touch log.
unsigned run_clean(Machine& m, Driver& d, unsigned steps, const char* name) {
  unsigned incremental = 0;
  for (unsigned i = 0; i < steps; i++) {
    d.step();
    std::optional<Finding> full = check_invariants(m);
    std::optional<Finding> inc = check_invariants_incremental(m);
    if (full || inc) {
      ADD_FAILURE() << name << " step " << i << ": full " << show(full) << "; incremental "
                    << show(inc);
      return incremental;
    }
    incremental += !m.touched().overflow;
    m.reset_touched();
  }
  return incremental;
}

// inv-clean-1: Expect every named config, driven by seeded streams of 1,500 random
// operations, to pass the full and the incremental check after every operation (both
// nullopt: they agree), with most incremental checks really incremental.
// BUDDYCHECK_INV_SEEDS=N runs N seeds per config instead of 3 (a longer soak).
TEST(invariants, clean_random_ops_agree) {
  const char* env = std::getenv("BUDDYCHECK_INV_SEEDS");
  const uint64_t nr_seeds = env ? std::strtoull(env, nullptr, 10) : 3;
  for (NamedConfig& nc : clean_configs()) {
    for (uint64_t seed = 1; seed <= nr_seeds; seed++) {
      SCOPED_TRACE(std::string(nc.name) + " seed " + std::to_string(seed));
      Machine m(nc.config);
      ASSERT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
      m.reset_touched();
      std::mt19937_64 rng(seed);
      Driver d(m, [&] { return rng(); });
      unsigned inc = run_clean(m, d, 1500, nc.name);
      EXPECT_GT(inc, 500u);
    }
  }
}

// inv-clean-2: the same as a RapidCheck property over short operation streams on the
// small configs (shrinks to a minimal failing stream).
RC_GTEST_PROP(invariants, clean_random_ops_agree_prop, ()) {
  const auto which = *rc::gen::inRange(0, 3);
  const auto choices = *rc::gen::container<std::vector<uint64_t>>(rc::gen::arbitrary<uint64_t>());
  std::vector<NamedConfig> cfgs = clean_configs();
  const NamedConfig& nc = cfgs[which == 0 ? 2 : which == 1 ? 4 : 5];
  Machine m(nc.config);
  m.reset_touched();
  size_t pos = 0;
  Driver d(m,
           [&] { return pos < choices.size() ? choices[pos++] * 0x9e3779b97f4a7c15ull : pos++; });
  for (size_t i = 0; i < choices.size() / 4 + 1; i++) {
    d.step();
    std::optional<Finding> full = check_invariants(m);
    std::optional<Finding> inc = check_invariants_incremental(m);
    RC_ASSERT(!full.has_value());
    RC_ASSERT(!inc.has_value());
    m.reset_touched();
  }
}

}  // namespace
