// SPDX-License-Identifier: GPL-2.0-or-later
// Invariant checker speed (oracles/invariants.h): the full check on a 1,048,576-page
// machine, fresh and after churn (budget: <= 2 ns per page in a release build), and
// the incremental check after one order-0 alloc+free on the fuzz-sized machine
// (2 nodes, 16,384 pages; budget: < 1 us). The "s/page" counter prints seconds per
// page with an SI suffix: "1.2n" is 1.2 ns per page.
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>
#include <vector>

#include "alloc/machine.h"
#include "oracles/invariants.h"

using namespace pagealloc;

namespace {

constexpr uint64_t kBigPages = uint64_t{1} << 20;

Config big_config() { return configs::numa(2, kBigPages / 2); }

Config fuzz_config() { return configs::numa(2, 8192); }

// Deterministic churn: allocations of mixed orders and types until about half the
// memory is handed out, then every other one freed, so the memmap holds many blocks
// of every kind (free, per-cpu, allocated) instead of a few MAX_ORDER blocks.
void churn(Machine& m, uint64_t target_pages, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const gfp_t gfps[] = {GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE};
  std::vector<std::pair<Pfn, unsigned>> live;
  uint64_t pages = 0;
  while (pages < target_pages) {
    AllocRequest req;
    req.gfp = gfps[rng() % 3];
    req.order = rng() % 2 ? 0 : static_cast<unsigned>(rng() % 4);
    req.cpu = static_cast<unsigned>(rng() % m.nr_cpus());
    AllocResult r = m.alloc_pages(req);
    if (!r.ok()) break;
    live.emplace_back(r.pfn, r.order);
    pages += uint64_t{1} << r.order;
  }
  for (size_t i = 0; i < live.size(); i += 2) m.free_pages(live[i].first, live[i].second);
  m.reset_touched();
}

void report_per_page(benchmark::State& state, const Machine& m) {
  const double pages = static_cast<double>(m.end_pfn() - m.start_pfn());
  uint64_t free_blocks = 0, pcp_blocks = 0, allocated = 0;
  for (Pfn p = m.start_pfn(); p < m.end_pfn(); p++) {
    PageState s = m.page(p).state;
    free_blocks += s == PageState::Buddy;
    pcp_blocks += s == PageState::Pcp;
    allocated += s == PageState::Allocated;
  }
  state.counters["pages"] = pages;
  state.counters["free_blocks"] = static_cast<double>(free_blocks);
  state.counters["pcp_blocks"] = static_cast<double>(pcp_blocks);
  state.counters["alloc_blocks"] = static_cast<double>(allocated);
  state.counters["s/page"] = benchmark::Counter(
      pages, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_FullCheckFresh(benchmark::State& state) {
  Machine m(big_config());
  if (buddycheck::check_invariants(m)) state.SkipWithError("machine not clean");
  for (auto _ : state) benchmark::DoNotOptimize(buddycheck::check_invariants(m));
  report_per_page(state, m);
}
BENCHMARK(BM_FullCheckFresh)->Unit(benchmark::kMillisecond);

void BM_FullCheckChurned(benchmark::State& state) {
  Machine m(big_config());
  churn(m, kBigPages / 2, 1);
  if (buddycheck::check_invariants(m)) state.SkipWithError("machine not clean");
  for (auto _ : state) benchmark::DoNotOptimize(buddycheck::check_invariants(m));
  report_per_page(state, m);
}
BENCHMARK(BM_FullCheckChurned)->Unit(benchmark::kMillisecond);

// The full check on the fuzz-sized machine, for comparison with the incremental one.
void BM_FullCheckFuzzSized(benchmark::State& state) {
  Machine m(fuzz_config());
  churn(m, 4096, 2);
  for (auto _ : state) benchmark::DoNotOptimize(buddycheck::check_invariants(m));
  report_per_page(state, m);
}
BENCHMARK(BM_FullCheckFuzzSized)->Unit(benchmark::kMicrosecond);

// One order-0 alloc+free (untimed), then the incremental check over what they touched
// (timed by hand so the ops and the touch-log reset stay out of the figure).
void BM_IncrementalAfterOrder0Pair(benchmark::State& state) {
  Machine m(fuzz_config());
  churn(m, 4096, 3);
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  uint64_t touched = 0;
  for (auto _ : state) {
    m.reset_touched();
    AllocResult r = m.alloc_pages(req);
    m.free_pages(r.pfn, 0);
    touched += m.touched().n;
    const auto t0 = std::chrono::steady_clock::now();
    auto f = buddycheck::check_invariants_incremental(m);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(f);
    if (f) state.SkipWithError("finding on a clean machine");
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["touched/iter"] =
      benchmark::Counter(static_cast<double>(touched), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_IncrementalAfterOrder0Pair)->UseManualTime()->Unit(benchmark::kNanosecond);

// The same with the order-0 pages coming from and going to the buddy lists (pcp
// disabled by draining after each op): merges touch more PFNs.
void BM_IncrementalAfterOrder0BuddyPair(benchmark::State& state) {
  Machine m(fuzz_config());
  churn(m, 4096, 4);
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  uint64_t touched = 0;
  for (auto _ : state) {
    m.drain_all_pages();
    m.reset_touched();
    AllocResult r = m.alloc_pages(req);
    m.free_pages(r.pfn, 0);
    m.drain_local_pages(0);
    if (m.touched().overflow) {
      state.SkipWithError("touch log overflowed");
      break;
    }
    touched += m.touched().n;
    const auto t0 = std::chrono::steady_clock::now();
    auto f = buddycheck::check_invariants_incremental(m);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(f);
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["touched/iter"] =
      benchmark::Counter(static_cast<double>(touched), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_IncrementalAfterOrder0BuddyPair)->UseManualTime()->Unit(benchmark::kNanosecond);

}  // namespace
