// SPDX-License-Identifier: GPL-2.0-or-later
// Runner throughput with every oracle on (issue 3 target: >= 1M ops/s on a fuzz-sized
// machine in the release build), and the cost of machine_hash.
#include <benchmark/benchmark.h>

#include "drive/runner.h"

using namespace buddycheck;

namespace {

// A steady state of order-0..2 allocations and frees on 2 nodes, 16,384 pages.
void BM_RunnerAllOracles(benchmark::State& state) {
  Runner r(configs::numa(2, 8192));
  uint64_t x = 88172645463325252ull;
  uint64_t ops = 0;
  for (auto _ : state) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    StepResult s;
    if (r.live_ids().size() > 256 || (!r.live_ids().empty() && (x & 1))) {
      s = r.step(ops::free(r.live_ids()[(x >> 8) % r.live_ids().size()],
                           static_cast<unsigned>((x >> 4) & 1)));
    } else {
      gfp_t g = (x & 6) == 6 ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL;
      s = r.step(ops::alloc(static_cast<unsigned>((x >> 16) % 3), g, -1,
                            static_cast<unsigned>((x >> 4) & 1)));
    }
    if (!s.ok()) state.SkipWithError("finding during benchmark");
    ops++;
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RunnerAllOracles);

void BM_MachineHash(benchmark::State& state) {
  Runner r(configs::numa(2, 8192));
  for (auto _ : state) benchmark::DoNotOptimize(machine_hash(r.machine()));
}
BENCHMARK(BM_MachineHash);

}  // namespace
