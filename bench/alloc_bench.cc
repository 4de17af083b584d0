// SPDX-License-Identifier: GPL-2.0-or-later
// Allocator benchmarks (issue 2 targets): pcp order-0 pairs, buddy order-9 pairs, the
// watermark check, machine construction, metadata size.
#include <benchmark/benchmark.h>

#include "alloc/machine.h"

using namespace pagealloc;

namespace {

Config fuzz_sized() {
  // 2 nodes, 16,384 pages in all (the size the fuzzers use).
  Config c = configs::numa(2, 8192);
  return c;
}

// order-0 alloc+free pairs served from the per-cpu lists.
void BM_Order0PcpPair(benchmark::State& state) {
  Machine m(configs::pc_like(65536, 65536));
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  for (auto _ : state) {
    AllocResult r = m.alloc_pages(req);
    benchmark::DoNotOptimize(r.pfn);
    m.free_pages(r.pfn, 0);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Order0PcpPair);

// order-9 alloc+free pairs from the buddy lists (not pcp-cacheable at pageblock 10).
void BM_Order9BuddyPair(benchmark::State& state) {
  Config c = configs::pc_like(65536, 65536);
  c.pageblock_order = 10;  // order 9 is then not the THP pcp order
  Machine m(c);
  AllocRequest req;
  req.gfp = GFP_KERNEL;
  req.order = 9;
  for (auto _ : state) {
    AllocResult r = m.alloc_pages(req);
    benchmark::DoNotOptimize(r.pfn);
    m.free_pages(r.pfn, 9);
  }
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Order9BuddyPair);

// order-9 through the THP pcp list (pageblock_order 9: the kernel caches it).
void BM_Order9ThpPcpPair(benchmark::State& state) {
  Machine m(configs::pc_like(65536, 65536));
  AllocRequest req;
  req.gfp = GFP_TRANSHUGE_LIGHT;
  req.order = 9;
  for (auto _ : state) {
    AllocResult r = m.alloc_pages(req);
    benchmark::DoNotOptimize(r.pfn);
    m.free_pages(r.pfn, 9);
  }
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Order9ThpPcpPair);

void BM_WatermarkOk(benchmark::State& state) {
  Machine m(configs::pc_like(65536, 65536));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  unsigned order = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    bool ok = m.zone_watermark_ok(z, order, z.low_wmark_pages(), ZONE_NORMAL,
                                  ALLOC_WMARK_LOW | ALLOC_CMA);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_WatermarkOk)->Arg(0)->Arg(3)->Arg(9);

void BM_WatermarkFast(benchmark::State& state) {
  Machine m(configs::pc_like(65536, 65536));
  const Zone& z = m.node_zone(0, ZONE_NORMAL);
  for (auto _ : state) {
    bool ok = m.zone_watermark_fast(z, 0, z.low_wmark_pages(), ZONE_NORMAL, ALLOC_WMARK_LOW);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_WatermarkFast);

// Constructing a fuzz-sized machine (2 nodes, 16,384 pages, 64-byte backing per page).
void BM_ConstructFuzzSized(benchmark::State& state) {
  Config c = fuzz_sized();
  for (auto _ : state) {
    Machine m(c);
    benchmark::DoNotOptimize(m.zone(0).nr_free_pages);
  }
}
BENCHMARK(BM_ConstructFuzzSized);

// Metadata per page: memmap plus pageblock arrays, amortised (64 GiB machine).
void BM_MetadataPerPage64GiB(benchmark::State& state) {
  Config c = configs::single_zone(uint64_t{16} << 20);  // 16 Mi pages = 64 GiB
  c.page_bytes = 0;
  for (auto _ : state) {
    Machine m(c);
    benchmark::DoNotOptimize(m.zone(2).managed_pages);
  }
  double per_page = sizeof(Page) + 1.0 / 512 + 2.0 / 512;  // Page + pageblock bits + zone id
  state.counters["bytes/page"] = per_page;
}
BENCHMARK(BM_MetadataPerPage64GiB)->Iterations(3);

}  // namespace
