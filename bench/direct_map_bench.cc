// SPDX-License-Identifier: GPL-2.0-or-later
// The cost of unmapped allocations: a mixed workload of mapped and unmapped requests
// with pageblock-granular tracking (the allocator's unmapped freetype, UNMAP)
// against naive per-allocation flipping (unmap each allocation's own pages and flush,
// map them back and flush at free). Counters: direct-map splits and TLB flushes per
// 1,000 unmapped allocations, for each boot mapping size.
#include <benchmark/benchmark.h>

#include <vector>

#include "alloc/machine.h"

using namespace pagealloc;

namespace {

struct Live {
  Pfn pfn;
  unsigned order;
  bool unmapped;
};

// A small deterministic generator (no <random> engine differences across libraries).
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

struct Figures {
  double unmapped_allocs = 0;
  DirectMapStats stats;
};

// pageblock_granular: unmapped requests go through the context entry point. Otherwise
// the same requests are made mapped and each unmapped one flips its own pages in a
// separate direct-map model.
Figures run(bool pageblock_granular, DirectMapLevel level) {
  Config c = configs::pc_like(65536, 65536);
  c.direct_map_level = level;
  Machine m(c);
  DirectMap naive;
  naive.init(m.start_pfn(), m.end_pfn() - m.start_pfn(), level);
  Rng rng{0x9e3779b97f4a7c15ull};
  std::vector<Live> live;
  Figures f;
  const AllocFlags unmapped = AllocFlags{}.set(CTX_unmapped);
  for (int i = 0; i < 20000; i++) {
    bool do_free = !live.empty() && (live.size() > 3000 || rng.next() % 100 < 45);
    if (do_free) {
      size_t k = rng.next() % live.size();
      Live l = live[k];
      live[k] = live.back();
      live.pop_back();
      if (!pageblock_granular && l.unmapped) {
        naive.set_valid_noflush(l.pfn, uint64_t{1} << l.order, true);
        naive.flush_tlb_kernel_range();
      }
      if (pageblock_granular && l.unmapped) m.free_frozen_pages(l.pfn, l.order);
      else m.free_pages(l.pfn, l.order);
      continue;
    }
    AllocRequest req;
    req.gfp = GFP_KERNEL;
    req.order = static_cast<unsigned>(rng.next() % 4);
    bool want_unmapped = rng.next() % 100 < 30;
    AllocResult r = (pageblock_granular && want_unmapped) ? m.alloc_pages_context(req, &unmapped)
                                                          : m.alloc_pages(req);
    if (!r.ok()) continue;
    live.push_back({r.pfn, r.order, want_unmapped});
    if (!want_unmapped) continue;
    f.unmapped_allocs++;
    if (!pageblock_granular) {
      naive.set_valid_noflush(r.pfn, uint64_t{1} << r.order, false);
      naive.flush_tlb_kernel_range();
    }
  }
  f.stats = pageblock_granular ? m.direct_map().stats() : naive.stats();
  return f;
}

void report(benchmark::State& state, bool pageblock_granular) {
  DirectMapLevel level = static_cast<DirectMapLevel>(state.range(0));
  Figures f;
  for (auto _ : state) f = run(pageblock_granular, level);
  double per = 1000.0 / std::max(1.0, f.unmapped_allocs);
  state.counters["splits/1k"] = static_cast<double>(f.stats.splits_1g + f.stats.splits_2m) * per;
  state.counters["flushes/1k"] = static_cast<double>(f.stats.tlb_flushes) * per;
  state.counters["pages_flipped/1k"] =
      static_cast<double>(f.stats.pages_unmapped + f.stats.pages_mapped) * per;
  state.counters["unmapped_allocs"] = f.unmapped_allocs;
}

void BM_UnmappedPageblockGranular(benchmark::State& state) { report(state, true); }
void BM_UnmappedNaivePerAllocation(benchmark::State& state) { report(state, false); }

// Arg: DirectMapLevel (0: 4 KiB, 1: 2 MiB, 2: 1 GiB boot mappings).
BENCHMARK(BM_UnmappedPageblockGranular)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnmappedNaivePerAllocation)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
